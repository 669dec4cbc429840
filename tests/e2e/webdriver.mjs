// A small W3C WebDriver client and the processes the real-app tests need (Xvfb, a session bus,
// WebKitWebDriver). Node built-ins only.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** Polls `check` until it returns a truthy value or `ms` pass. */
export async function waitFor(what, check, ms = 20_000, every = 200) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await sleep(every);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
}

/**
 * Starts a virtual display and WebKitWebDriver inside its own session bus, or on `bus` (a
 * session bus address) when given; `env` adds to the environment the app gets. Returns the
 * driver's URL, that environment, and a stop function.
 */
export async function startDriver({ dataDir, bus, env: more } = {}) {
  const children = [];
  // -displayfd: Xvfb picks a free display and writes its number once it accepts clients.
  const xvfb = spawn("Xvfb", ["-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp"], {
    stdio: ["ignore", "ignore", "ignore", "pipe"],
    detached: true,
  });
  children.push(xvfb);
  const display = await new Promise((resolve, reject) => {
    let out = "";
    xvfb.stdio[3].on("data", (chunk) => {
      out += chunk;
      if (out.includes("\n")) {
        xvfb.stdio[3].destroy();
        resolve(`:${out.trim()}`);
      }
    });
    xvfb.on("exit", (code) => reject(new Error(`Xvfb exited with ${code}`)));
    setTimeout(() => reject(new Error("Xvfb did not start within 10 s")), 10_000).unref();
  });
  const port = await freePort();
  const env = {
    ...process.env,
    DISPLAY: display,
    NO_AT_BRIDGE: "1",
    TAURI_WEBVIEW_AUTOMATION: "true",
    WILLO_DESK_DATA_DIR: dataDir ?? mkdtempSync(join(tmpdir(), "willo-desk-e2e-")),
    // The webview keeps its storage (the first-run welcome, for one) under the XDG folders: a
    // fresh set per run, so no run sees what an earlier one left.
    XDG_DATA_HOME: mkdtempSync(join(tmpdir(), "willo-desk-e2e-data-")),
    XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), "willo-desk-e2e-config-")),
    XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), "willo-desk-e2e-cache-")),
    RUST_LOG: "info",
    ...more,
  };
  if (bus) env.DBUS_SESSION_BUS_ADDRESS = bus;
  const [program, args] = bus
    ? ["WebKitWebDriver", [`--port=${port}`]]
    : ["dbus-run-session", ["--", "WebKitWebDriver", `--port=${port}`]];
  const driver = spawn(program, args, {
    env,
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
  });
  children.push(driver);
  const url = `http://127.0.0.1:${port}`;
  await waitFor("WebKitWebDriver", async () => (await fetch(`${url}/status`)).ok, 15_000);
  // Each helper runs in its own process group, so stopping it also stops what it started
  // (the app, the bus daemons).
  const stop = async () => {
    for (const child of children.reverse()) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
    await sleep(300);
  };
  return { url, env, stop };
}

const x11Windows = join(dirname(fileURLToPath(import.meta.url)), "x11-windows.py");

export class Session {
  constructor(driver, id) {
    this.base = `${driver.url}/session/${id}`;
    this.driverUrl = driver.url;
    this.env = driver.env;
    this.id = id;
  }

  /** Starts `binary` (with `args`) under `driver` (what `startDriver` returned). */
  static async start(driver, binary, args = []) {
    const response = await fetch(`${driver.url}/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        capabilities: { alwaysMatch: { "webkitgtk:browserOptions": { binary, args } } },
      }),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(`session not created: ${JSON.stringify(body)}`);
    return new Session(driver, body.value.sessionId);
  }

  async command(method, path, body) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value)}`);
    return json.value;
  }

  /** Runs `script` in the page and returns its result. */
  execute(script, args = []) {
    return this.command("POST", "/execute/sync", { script, args });
  }

  async text(selector) {
    return this.execute("const e = document.querySelector(arguments[0]); return e ? e.textContent.trim() : null;", [selector]);
  }

  async count(selector) {
    return this.execute("return document.querySelectorAll(arguments[0]).length;", [selector]);
  }

  /**
   * A picture of the screen (the app's window fills it) once the page has painted what it shows
   * now (two frames on) and the screen has stopped changing. Read from the X server, not through
   * WebKitWebDriver, whose screenshots hang when WebKit draws without compositing, as the app does.
   */
  async screenshot() {
    await this.command("POST", "/execute/async", {
      script: "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
      args: [],
    });
    const folder = mkdtempSync(join(tmpdir(), "willo-desk-shot-"));
    try {
      const file = join(folder, "screen.png");
      await promisify(execFile)("/usr/bin/python3", [x11Windows, "screen", file], { env: this.env });
      return readFileSync(file);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }

  async end() {
    await fetch(this.base, { method: "DELETE" }).catch(() => undefined);
  }
}
