// The built app, under Xvfb, in sandbox mode: its window shows the skeleton with real data.
// Needs the binary (WILLO_DESK_BIN, default target/debug/willo-desk), Xvfb, dbus-run-session and
// WebKitWebDriver. Screenshots go to tests/artifacts/.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Session, startDriver, waitFor } from "./webdriver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const binary = resolve(process.env.WILLO_DESK_BIN ?? join(root, "target/debug/willo-desk"));
const artifacts = join(root, "tests/artifacts");

let driver;
let session;

before(async () => {
  assert.ok(existsSync(binary), `build the app first: ${binary} is missing`);
  mkdirSync(artifacts, { recursive: true });
  driver = await startDriver();
  session = await Session.start(driver.url, binary);
});

after(async () => {
  await session?.end();
  await driver?.stop();
});

test("the window opens in sandbox mode with navigation, the banner and data from the simulators", async () => {
  const jobs = await waitFor("the jobs count", async () => {
    const text = await session.text("[data-testid=jobs-count]");
    return text === "3" ? text : null;
  });
  assert.equal(jobs, "3", "three open jobs synced from the simulated Greenhouse");
  assert.equal(await session.text("[data-testid=candidates-count]"), "40");
  assert.equal(await session.count("[data-testid=job-card]"), 3);

  const nav = await session.execute("return [...document.querySelectorAll('nav[aria-label=Main] button')].map(b => b.firstElementChild.textContent);");
  assert.deepEqual(nav, ["Candidates", "Inbox", "Automations", "Activity", "Dashboard", "Settings"]);
  const banner = await session.text("[role=status]");
  assert.match(banner, /Sandbox/i);
  assert.match(banner, /demo data/);

  writeFileSync(join(artifacts, "app-sandbox-dashboard.png"), await session.screenshot());
});

test("Ctrl+digit switches screens", async () => {
  await session.execute("window.dispatchEvent(new KeyboardEvent('keydown', {key: '2', ctrlKey: true}));");
  await waitFor("the Inbox screen", async () => (await session.text("#screen-title")) === "Inbox");
  writeFileSync(join(artifacts, "app-sandbox-inbox.png"), await session.screenshot());
  await session.execute("window.dispatchEvent(new KeyboardEvent('keydown', {key: '5', ctrlKey: true}));");
  await waitFor("the Dashboard", async () => (await session.text("#screen-title")) === "Dashboard");
});
