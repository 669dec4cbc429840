// The processes of the machine as /proc shows them, for the real-app tests and figures.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Every process as { pid, ppid }, read from /proc. */
export function processes() {
  const all = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The command name may hold spaces and parentheses: the fields after it start at the last ")".
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      all.push({ pid: Number(name), ppid });
    } catch {
      // Gone while we looked.
    }
  }
  return all;
}

/** The process running `binary` and everything it started. */
export function tree(binary) {
  const running = processes().filter(({ pid }) => {
    try {
      return readlinkSync(`/proc/${pid}/exe`) === binary;
    } catch {
      return false;
    }
  });
  return descendants(...running.map((p) => p.pid));
}

/** These processes and every process they started, as they are now. */
export function descendants(...roots) {
  const all = processes();
  const pids = [...roots];
  for (let i = 0; i < pids.length; i++) for (const child of all) if (child.ppid === pids[i]) pids.push(child.pid);
  return pids;
}

/** The environment `pid` was started with, as NAME=value strings. */
export const environ = (pid) => readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");

/** The processes among `pids` named `comm` (the kernel's 15-character name). */
export const named = (pids, comm) =>
  pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === comm;
    } catch {
      return false;
    }
  });
