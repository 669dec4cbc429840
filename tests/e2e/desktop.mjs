// What a Linux desktop shows of the app, for the tray tests: its windows (X11, x11-windows.py),
// the processes it started, the notifications (dunst) and its tray icon (a desktop panel's side of
// it, tray-host.py over D-Bus). Needs Debian's python3 with python3-xlib and python3-gi, and dunst.
import { execFileSync, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "./webdriver.mjs";

const here = dirname(fileURLToPath(import.meta.url));

/** What x11-windows.py says of `pid`'s mapped windows: `list`, `close`, `size` or `resize W H`. */
export const x11Windows = (env, command, pid, ...more) =>
  execFileSync("/usr/bin/python3", [join(here, "x11-windows.py"), command, String(pid), ...more.map(String)], { env, encoding: "utf8" }).trim();

/** The names of the processes `parent` started (the kernel cuts them to 15 characters). */
export function children(parent) {
  try {
    return execFileSync("ps", ["--ppid", String(parent), "-o", "comm="], { encoding: "utf8" }).trim().split("\n");
  } catch {
    return [];
  }
}

/** dunst as the notification server on the session bus of `env`, printing what it shows. */
export class Notifications {
  constructor(env) {
    this.env = env;
    this.printed = "";
    this.dunst = spawn("dunst", ["-print"], { env, stdio: ["ignore", "pipe", "ignore"] });
    this.dunst.stdout.on("data", (chunk) => (this.printed += chunk));
  }

  /** The titles of the notifications shown since the start. */
  shown() {
    return [...this.printed.matchAll(/summary: '([^']*)'/g)].map((m) => m[1]);
  }

  /** Clicks the notification on top, as a click on its bubble does (its default action). */
  clickLatest() {
    execFileSync("dunstctl", ["action", "0"], { env: this.env });
  }

  stop() {
    this.dunst.kill();
  }
}

const script = join(here, "tray-host.py");

export class Panel {
  /** Starts watching for tray icons on the session bus of `env`, before any app starts. */
  static async start(env) {
    const panel = new Panel(env);
    await waitFor("the panel to watch", async () => panel.out.includes("watching\n"), 10_000, 50);
    return panel;
  }

  constructor(env) {
    this.env = env;
    this.out = "";
    this.watcher = spawn("/usr/bin/python3", [script, "watch"], { env, stdio: ["ignore", "pipe", "inherit"] });
    this.watcher.stdout.on("data", (chunk) => (this.out += chunk));
  }

  /** The bus name and path of the icon `pid` registered last, if it has. */
  icon(pid) {
    const lines = this.out.split("\n").filter((l) => l.startsWith(`item ${pid} `));
    if (lines.length === 0) return null;
    const [, , name, path] = lines.at(-1).split(" ");
    return { name, path };
  }

  /** `pid`'s tray menu, once its icon has registered: [{ label, enabled, checked }]. */
  async menu(pid) {
    const { name, path } = await waitFor(`the tray icon of ${pid}`, async () => this.icon(pid), 30_000, 100);
    return execFileSync("/usr/bin/python3", [script, "menu", name, path], { env: this.env, encoding: "utf8" })
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
  }

  /** Clicks the item labelled `label` in `pid`'s tray menu. */
  async click(pid, label) {
    const { name, path } = await waitFor(`the tray icon of ${pid}`, async () => this.icon(pid), 30_000, 100);
    execFileSync("/usr/bin/python3", [script, "click", name, path, label], { env: this.env });
  }

  stop() {
    this.watcher.kill();
  }
}
