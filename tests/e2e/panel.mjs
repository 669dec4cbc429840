// A desktop panel's side of the app's tray icon, for the tray tests (tray-host.py does the D-Bus):
// the icons that registered, each by the process that shows it, their menus, and clicks on them.
import { execFileSync, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "./webdriver.mjs";

const script = join(dirname(fileURLToPath(import.meta.url)), "tray-host.py");

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
