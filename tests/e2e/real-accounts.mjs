// The real app on real accounts, for the tests that drive it there: a private keyring session,
// and the app's processes on one data folder (the simulators beside it, its window under the
// driver, who holds its engine's lock, its commands called from the page).
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { environ } from "./processes.mjs";
import { Session, startDriver, waitFor } from "./webdriver.mjs";

const keyringScripts = join(dirname(fileURLToPath(import.meta.url)), "../keyring");

export function stopPid(pid, signal = "SIGTERM") {
  // 0 (no such process, as a missing pid reads) would signal this whole process group.
  if (!(pid > 0)) return;
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

export function alive(pid) {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A private bus with an unlocked GNOME Keyring (tests/keyring/session.sh). */
export class Keyring {
  constructor(vars) {
    this.bus = vars.DBUS_SESSION_BUS_ADDRESS;
    this.busPid = Number(vars.KEYRING_BUS_PID);
    this.daemonPid = Number(vars.KEYRING_DAEMON_PID);
  }

  /** With `secrets: false`, only the bus: a session without a Secret Service. */
  static start({ secrets = true } = {}) {
    const env = secrets ? process.env : { ...process.env, NO_KEYRING: "1" };
    const out = execFileSync("bash", [join(keyringScripts, "session.sh")], { encoding: "utf8", env });
    return new Keyring(Object.fromEntries(out.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)])));
  }

  /** This process's environment, on the keyring's bus. */
  get env() {
    return { ...process.env, DBUS_SESSION_BUS_ADDRESS: this.bus };
  }

  /** What another keychain client (secret-tool) finds under Willo Desk's `name`. */
  has(name) {
    try {
      execFileSync("secret-tool", ["lookup", "service", "willo-desk", "username", name], {
        env: this.env,
        stdio: ["ignore", "pipe", "ignore"],
      });
      return true;
    } catch {
      return false;
    }
  }

  stop() {
    stopPid(this.daemonPid);
    stopPid(this.busPid);
  }
}

/**
 * The app (`binary`) on the data folder `dataDir`. Its screenshots go to `${shots}<name>.png`.
 * `session` is its window under the driver while one is open.
 */
export class App {
  constructor({ binary, dataDir, shots }) {
    this.binary = binary;
    this.dataDir = dataDir;
    this.shots = shots;
    this.simulators = null;
    this.driver = null;
    this.session = null;
  }

  /** The simulators in a process of their own (`sandbox` with `args`); resolves with the JSON line they print. */
  startSimulators(args = []) {
    this.simulators = spawn(this.binary, ["sandbox", ...args], {
      stdio: ["ignore", "pipe", "ignore"],
      env: { ...process.env, WILLO_DESK_DATA_DIR: this.dataDir },
    });
    return new Promise((resolve, reject) => {
      let out = "";
      this.simulators.stdout.on("data", (chunk) => {
        out += chunk;
        if (out.includes("\n")) resolve(JSON.parse(out.slice(0, out.indexOf("\n"))));
      });
      this.simulators.on("exit", (code) => reject(new Error(`the sandbox exited with ${code}`)));
    });
  }

  /** The driver, with its session bus the keyring's: the app finds its secrets there. */
  async startDriver(keyring) {
    this.driver = await startDriver({ dataDir: this.dataDir, bus: keyring.bus });
  }

  async stop() {
    await this.session?.end();
    await this.driver?.stop();
    this.simulators?.kill("SIGTERM");
  }

  /** Opens a window under the driver; resolves with the app's first answer (its app_info). */
  async open() {
    this.session = await Session.start(this.driver, this.binary);
    return waitFor("the app's first answer", () => this.invoke("app_info"), 60_000, 500);
  }

  /** The app's processes on this data folder (the simulators and serve have arguments). */
  pids() {
    let pids = [];
    try {
      pids = execFileSync("pgrep", ["-fx", this.binary], { encoding: "utf8" }).trim().split("\n").map(Number);
    } catch {
      return [];
    }
    return pids.filter((pid) => {
      try {
        return environ(pid).includes(`WILLO_DESK_DATA_DIR=${this.dataDir}`);
      } catch {
        return false;
      }
    });
  }

  /** Ends the session and waits until the app (and any restart of it) has ended. */
  async close() {
    await this.session?.end();
    this.session = null;
    for (const pid of this.pids()) stopPid(pid);
    await waitFor("the app to end", async () => this.pids().length === 0, 40_000);
  }

  /** A window still open after a test means a step failed: its picture goes on file, then the app ends. */
  async closeLeftOpen() {
    if (!this.session) return;
    await this.shot("last-failure").catch(() => undefined);
    await this.close().catch(() => undefined);
  }

  /** Who holds the engine's lock on the live database, if anyone said so. */
  holder() {
    const path = join(this.dataDir, "willo-desk.db.holder");
    return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : null;
  }

  /** What every process on this data folder wrote to its log files so far. */
  log() {
    const dir = join(this.dataDir, "logs");
    return existsSync(dir) ? readdirSync(dir).map((name) => readFileSync(join(dir, name), "utf8")).join("") : "";
  }

  /** Calls one of the app's commands from the page, as the UI does. */
  invoke(command, args = {}) {
    return this.session.command("POST", "/execute/async", {
      script: "const done = arguments[arguments.length - 1]; window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then(done, (e) => done({ error: e }));",
      args: [command, args],
    });
  }

  /** Clicks the first element matching `selector` whose text includes `text`. */
  async click(selector, text = "") {
    const clicked = await this.session.execute(
      "const e = [...document.querySelectorAll(arguments[0])].find(x => x.textContent.includes(arguments[1])); if (e) e.click(); return !!e;",
      [selector, text],
    );
    assert.ok(clicked, `nothing to click: ${selector} ${text}`);
  }

  async shot(name) {
    writeFileSync(`${this.shots}${name}.png`, await this.session.screenshot());
  }
}
