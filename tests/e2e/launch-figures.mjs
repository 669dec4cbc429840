// The app's launch figures: the release build in sandbox mode under Xvfb, next to WebKitGTK's own
// MiniBrowser showing a one-line page (the floor any app on this engine starts from), measured
// the same way in the same run:
//   - time from launch to the first data on screen (the dashboard's job count; the reference's
//     one line), with the part until the webview answered WebDriver shown apart;
//   - memory of the whole process tree (the program and its WebKit helpers) after a minute idle,
//     as resident set (shared pages counted in each process) and as proportional set (shared
//     pages split between the processes);
//   - the same on real accounts (the simulators in a process of their own, as the services
//     are, the secrets in a GNOME Keyring), which is what a recruiter runs: sandbox mode also
//     holds the simulated services and their data in the app's process;
//   - the app's memory again once its window is closed into the tray (closed as a window
//     manager's button does, then idle as long), where only the engine should stay: in sandbox
//     mode, where it stays the same process, and on real accounts, where the engine is handed
//     to a fresh tray process that opens no web view;
//   - the app once more with WebKit's OpenGL compositing, which it turns off by default
//     (WEBKIT_DISABLE_COMPOSITING_MODE=0 in its environment brings it back), to show its cost.
// Run: ./tests/dev.sh bench-app (it builds first). Prints; asserts nothing. LAUNCHES (5) and
// IDLE_SECONDS (60) change the run.
import { appendFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { App, Keyring, alive, stopPid } from "./real-accounts.mjs";
import { descendants, tree } from "./processes.mjs";
import { Session, startDriver, waitFor } from "./webdriver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const LAUNCHES = Number(process.env.LAUNCHES ?? 5);
const IDLE_MS = Number(process.env.IDLE_SECONDS ?? 60) * 1000;

const app = {
  name: "Willo Desk",
  binary: resolve(process.env.WILLO_DESK_BIN ?? join(root, "target/release/willo-desk")),
  args: [],
  open: async () => {},
  shown: async (session) => (await session.text("[data-testid=jobs-count]")) === "3",
  /** Closes the window into the tray (the app's own process is the tree's first). */
  hide: (pids, env) => execFileSync("/usr/bin/python3", [join(dirname(fileURLToPath(import.meta.url)), "x11-windows.py"), "close", String(pids[0])], { env }),
};
/** The app with WebKit's OpenGL compositing, as a user who asks for it gets it: launched once. */
const composited = { ...app, name: "Willo Desk, composited", env: { WEBKIT_DISABLE_COMPOSITING_MODE: "0" }, launches: 1, hide: undefined };
const floor = {
  name: "MiniBrowser",
  binary: "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
  args: ["--automation"],
  open: (session) => session.command("POST", "/url", { url: "data:text/html,<p id=line>3</p>" }),
  shown: async (session) => (await session.text("#line")) === "3",
};

/** A field of /proc/<pid>/<file> in kB (0 if the process is gone). */
function kib(pid, file, field) {
  try {
    const line = readFileSync(`/proc/${pid}/${file}`, "utf8").split("\n").find((l) => l.startsWith(`${field}:`));
    return line ? Number(line.split(/\s+/)[1]) : 0;
  } catch {
    return 0;
  }
}

/** The memory of these processes together, in MB, and of each (with its mapped files' share). */
function weigh(pids) {
  const name = (pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {
      return "?";
    }
  };
  return {
    processes: pids.length,
    rss: pids.reduce((sum, pid) => sum + kib(pid, "status", "VmRSS"), 0) / 1024,
    pss: pids.reduce((sum, pid) => sum + kib(pid, "smaps_rollup", "Pss"), 0) / 1024,
    each: pids.map((pid) => ({ name: name(pid), rss: kib(pid, "status", "VmRSS") / 1024, files: kib(pid, "status", "RssFile") / 1024 })),
  };
}

/**
 * Launches `subject` LAUNCHES times (or its own count); weighs the last one after IDLE_MS (and
 * hidden, if it hides).
 */
async function measure(subject) {
  const webviews = [];
  const firsts = [];
  const launches = subject.launches ?? LAUNCHES;
  let memory;
  for (let i = 0; i < launches; i++) {
    const driver = await startDriver({ env: subject.env });
    try {
      const started = performance.now();
      const session = await Session.start(driver, subject.binary, subject.args);
      webviews.push(performance.now() - started);
      await subject.open(session);
      await waitFor(`${subject.name}'s first data`, () => subject.shown(session), 30_000, 5);
      firsts.push(performance.now() - started);
      if (i === launches - 1) {
        await sleep(IDLE_MS);
        memory = weigh(tree(subject.binary));
        if (subject.hide) {
          const pids = tree(subject.binary);
          subject.hide(pids, driver.env);
          await sleep(IDLE_MS);
          memory.hidden = weigh(tree(subject.binary));
        }
      }
      await session.end();
    } finally {
      await driver.stop();
    }
  }
  return { webview: median(webviews), first: median(firsts), worst: Math.max(...firsts), ...memory };
}

/**
 * The app on real accounts: its window open, showing the ATS's data, after IDLE_MS (the app and
 * its WebKit helpers; the simulators are a process of their own, as the services are); then
 * closed into the tray, the tray process (and anything it started) after IDLE_MS.
 */
async function measureLive() {
  const keyring = Keyring.start();
  const live = new App({ binary: app.binary, dataDir: mkdtempSync(join(tmpdir(), "willo-desk-figures-live-")), shots: "" });
  try {
    const sandbox = await live.startSimulators();
    await live.startDriver(keyring);
    await live.open();
    const connections = { willoEnvironment: "custom", willoUrl: sandbox.willoBaseUrl, ats: "ashby", atsClientId: null, atsActingUser: null, atsUrl: sandbox.ashbyBaseUrl, atsTokenUrl: null, atsSubdomain: null };
    await live.session.execute("window.__TAURI_INTERNALS__.invoke('save_connections', arguments[0]); return true;", [
      { connections, willoKey: sandbox.willoApiKey, atsSecret: sandbox.ashbyApiKey },
    ]);
    await waitFor("the app on real accounts", async () => alive(live.holder()?.pid), 60_000, 250);
    await live.close();
    const info = await live.open();
    if (info.mode !== "live") throw new Error(`not on real accounts: ${info.startupProblem}`);
    await waitFor("the ATS's data", async () => (await live.invoke("overview"))?.applications > 0, 60_000, 500);
    await waitFor("the dashboard's data", async () => Number(await live.session.text("[data-testid=jobs-count]")) > 0, 30_000, 5);
    const windowed = live.holder().pid;
    await sleep(IDLE_MS);
    const open = weigh(descendants(windowed));
    app.hide([windowed], live.driver.env);
    const tray = await waitFor("the tray process", async () => {
      const pid = live.holder()?.pid;
      return pid !== windowed && alive(pid) ? pid : null;
    }, 60_000, 250);
    live.session = null;
    await sleep(IDLE_MS);
    const hidden = weigh(descendants(tray));
    stopPid(tray);
    await waitFor("the tray process to end", async () => !alive(tray), 30_000);
    return { open, hidden };
  } finally {
    await live.stop();
    keyring.stop();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const subject of [app, floor]) {
  if (!existsSync(subject.binary)) {
    console.error(`${subject.binary} is missing${subject === app ? ": build the release app first" : ""}`);
    process.exit(2);
  }
}
const ours = await measure(app);
const base = await measure(floor);
const live = await measureLive();
const withGl = await measure(composited);
const ms = (x) => `${x.toFixed(0)} ms`;
const mb = (x) => `${x.toFixed(0)} MB`;
const ratio = (x) => (x / base.rss).toFixed(2).padStart(5);
const each = (memory) => {
  for (const p of memory.each) console.log(`    ${p.name.padEnd(16)} ${mb(p.rss).padStart(7)} resident, ${mb(p.files)} of it mapped files`);
};
console.log(`\nthe app (${app.binary.replace(`${root}/`, "")}), ${LAUNCHES} launches each in sandbox mode, next to ${floor.name} (WebKitGTK alone):`);
console.log(`                                   Willo Desk   MiniBrowser   ratio   target`);
console.log(
  `  launch to first data (median)    ${ms(ours.first).padStart(10)}   ${ms(base.first).padStart(11)}   ${(ours.first / base.first).toFixed(2).padStart(5)}   < 1500 ms: ${(ours.first / 1500).toFixed(2)} of it`,
);
console.log(`  launch to first data (worst)     ${ms(ours.worst).padStart(10)}   ${ms(base.worst).padStart(11)}`);
console.log(`  until the webview answered       ${ms(ours.webview).padStart(10)}   ${ms(base.webview).padStart(11)}`);
console.log(`memory after ${IDLE_MS / 1000} s idle, the window open:`);
console.log(
  `  resident, real accounts          ${mb(live.open.rss).padStart(10)}   ${mb(base.rss).padStart(11)}   ${ratio(live.open.rss)}   ≤ 1.1 × MiniBrowser`,
);
console.log(`  proportional, real accounts      ${mb(live.open.pss).padStart(10)}   ${mb(base.pss).padStart(11)}   ${(live.open.pss / base.pss).toFixed(2).padStart(5)}`);
each(live.open);
console.log(`  resident, sandbox mode           ${mb(ours.rss).padStart(10)}   ${mb(base.rss).padStart(11)}   ${ratio(ours.rss)}   (the simulated services in the app's process)`);
console.log(`  proportional, sandbox mode       ${mb(ours.pss).padStart(10)}   ${mb(base.pss).padStart(11)}   ${(ours.pss / base.pss).toFixed(2).padStart(5)}`);
each(ours);
console.log(`  resident, sandbox, composited    ${mb(withGl.rss).padStart(10)}   ${mb(base.rss).padStart(11)}   ${ratio(withGl.rss)}   (WEBKIT_DISABLE_COMPOSITING_MODE=0: WebKit's OpenGL compositing, as MiniBrowser draws)`);
each(withGl);
console.log(`memory after ${IDLE_MS / 1000} s idle, the window closed into the tray:`);
console.log(`  resident, real accounts          ${mb(live.hidden.rss).padStart(10)}   ${"".padStart(11)}   ${ratio(live.hidden.rss)}   < 150 MB: ${(live.hidden.rss / 150).toFixed(2)} of it`);
console.log(`  proportional, real accounts      ${mb(live.hidden.pss).padStart(10)}`);
each(live.hidden);
console.log(`  resident, sandbox mode           ${mb(ours.hidden.rss).padStart(10)}   (the simulated services in the same process)`);
each(ours.hidden);

// The same figures for `./tests/dev.sh bench`, one JSON line each (see tests/bench/figures.rs).
if (process.env.FIGURES_OUT) {
  const group = "the desktop app under Xvfb";
  const lines = [
    { name: "launch to first data on screen (median)", value: ours.first, unit: "ms", reference: `MiniBrowser ${ms(base.first)}; ratio ${(ours.first / base.first).toFixed(2)}; worst ${ms(ours.worst)}`, target: "≤ 1500", met: ours.first <= 1500 },
    { name: `resident memory on real accounts, the window open, after ${IDLE_MS / 1000} s idle`, value: live.open.rss, unit: "MB", reference: `MiniBrowser ${mb(base.rss)}; ratio ${(live.open.rss / base.rss).toFixed(2)}`, target: "≤ 1.1 × MiniBrowser", met: live.open.rss <= 1.1 * base.rss },
    { name: `resident memory in sandbox mode, the window open, after ${IDLE_MS / 1000} s idle`, value: ours.rss, unit: "MB", reference: `MiniBrowser ${mb(base.rss)}; ratio ${(ours.rss / base.rss).toFixed(2)}; the simulated services in the app's process`, target: "", met: null },
    { name: `resident memory in the tray on real accounts, window closed, after ${IDLE_MS / 1000} s idle`, value: live.hidden.rss, unit: "MB", reference: `MiniBrowser with its page ${mb(base.rss)}`, target: "≤ 150", met: live.hidden.rss <= 150 },
    { name: `resident memory in the tray in sandbox mode, window closed, after ${IDLE_MS / 1000} s idle`, value: ours.hidden.rss, unit: "MB", reference: "the simulated services in the app's process", target: "", met: null },
    { name: `resident memory in sandbox mode with OpenGL compositing, the window open, after ${IDLE_MS / 1000} s idle`, value: withGl.rss, unit: "MB", reference: `MiniBrowser ${mb(base.rss)}; ratio ${(withGl.rss / base.rss).toFixed(2)}; WEBKIT_DISABLE_COMPOSITING_MODE=0`, target: "", met: null },
    { name: `proportional memory in sandbox mode, the window open, after ${IDLE_MS / 1000} s idle`, value: ours.pss, unit: "MB", reference: `MiniBrowser ${mb(base.pss)}; ratio ${(ours.pss / base.pss).toFixed(2)}`, target: "", met: null },
  ];
  appendFileSync(process.env.FIGURES_OUT, lines.map((l) => `${JSON.stringify({ group, ...l })}\n`).join(""));
}
