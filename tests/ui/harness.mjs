// What every Chromium test of the UI shares: a static server for the built UI (ui/dist, or the
// folder in UI_DIST), one Chromium for the file, and pages opened with the Tauri commands mocked.
import assert from "node:assert/strict";
import { createReadStream, existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize, resolve } from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "../../ui/node_modules/playwright-core/index.mjs";
import { fixtures } from "./fixtures.mjs";
import { installMock } from "./mock-ipc.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dist = resolve(process.env.UI_DIST ?? join(root, "ui/dist"));
export const shots = join(root, "tests/artifacts/ui");
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml" };

/** Starts the server and Chromium before the file's tests and stops them after. */
export function useBrowser() {
  let server;
  let origin;
  let browser;

  before(async () => {
    assert.ok(existsSync(join(dist, "index.html")), "build the UI first: npm run build in ui/");
    mkdirSync(shots, { recursive: true });
    server = createServer((req, res) => {
      const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
      const file = join(dist, path === "/" ? "index.html" : path);
      if (!file.startsWith(dist) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      createReadStream(file).pipe(res);
    });
    await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
    origin = `http://127.0.0.1:${server.address().port}`;
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu"],
    });
  });

  after(async () => {
    await browser?.close();
    server?.close();
  });

  /** A page of the app with fixtures(options) behind its commands; errors collects page errors and dialogs. */
  async function open(options, viewport = { width: 1280, height: 800 }, context = {}) {
    const page = await browser.newPage({ viewport, ...context });
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("dialog", (d) => {
      errors.push(`a dialog opened: ${d.message()}`);
      void d.dismiss();
    });
    await page.addInitScript(installMock, fixtures(options));
    await page.goto(origin);
    await page.waitForSelector("nav[aria-label=Main]");
    return { page, errors };
  }

  return { open };
}

/** Clicks the sidebar entry whose label starts with `label`. */
export const nav = (page, label) => page.getByRole("button", { name: new RegExp(`^${label}`) }).first().click();
