// The real app in the tray, under Xvfb with dunst as the desktop's notification server:
// closing the window keeps the engine running (a completion still becomes a notification) and
// ends the web process, the first close says so once, a second launch (with a willo-desk://
// link or without) hands over to the first instance without starting a second engine, the
// tray menu (read and clicked over D-Bus as a desktop panel does, see desktop.mjs) shows the inbox
// count, pauses every automation and opens the window, Ctrl+Q quits whatever the tray setting
// says, and with the setting off closing the window quits. This is sandbox mode, where the app
// stays one process; app-tray-live.test.mjs has real accounts.
// Needs the binary (WILLO_DESK_BIN, default target/debug/willo-desk), Xvfb, dbus, dunst,
// python3-xlib, python3-gi and WebKitWebDriver.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Notifications, Panel, children, x11Windows } from "./desktop.mjs";
import { App, Keyring, alive } from "./real-accounts.mjs";
import { waitFor } from "./webdriver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const binary = resolve(process.env.WILLO_DESK_BIN ?? join(root, "target/debug/willo-desk"));
const artifacts = join(root, "tests/artifacts");

let bus;
/** The app's home: where start at login writes its entry (~/.config/autostart). */
let home;
let app;
let notifications;
let panel;
let pid;
/** The Willo participant the first test invited. */
let participant;
const zoeQuery = { search: "Zoë", jobId: null, stageId: null, status: null, sort: null, descending: false, offset: 0, limit: 10 };

/** The app's mapped windows' titles, or the number asked to close. */
const windows = (command) => x11Windows(app.driver.env, command, pid);
const shown = () => notifications.shown();

before(async () => {
  assert.ok(existsSync(binary), `build the app first: ${binary} is missing`);
  mkdirSync(artifacts, { recursive: true });
  home = mkdtempSync(join(tmpdir(), "willo-desk-tray-home-"));
  process.env.HOME = home;
  bus = Keyring.start({ secrets: false });
  app = new App({ binary, dataDir: mkdtempSync(join(tmpdir(), "willo-desk-tray-")), shots: join(artifacts, "app-tray-") });
  await app.startDriver(bus);
  notifications = new Notifications(app.driver.env);
  panel = await Panel.start(app.driver.env);
  await app.open();
  [pid] = app.pids();
});

after(async () => {
  await app?.closeLeftOpen();
  await app?.stop();
  notifications?.stop();
  panel?.stop();
  bus?.stop();
});

test("closed into the tray, the app goes on: the first close says so once, and a completion still notifies", async () => {
  await waitFor("the demo data", async () => (await app.invoke("overview"))?.applications > 0, 60_000, 500);
  const { sandboxOrigin } = await app.invoke("app_info");
  const admin = `${sandboxOrigin}/_admin`;
  const zoe = (await app.invoke("candidates", { query: zoeQuery })).rows[0];
  const [interview] = await app.invoke("interviews");
  const sent = await app.invoke("send", { applicationIds: [zoe.applicationId], interviewKey: interview.key });
  assert.equal(sent.sent, 1, JSON.stringify(sent));

  assert.deepEqual(windows("list").split("\n"), ["Willo Desk"]);
  // A size of the recruiter's own, to find again when the window reopens.
  await app.session.command("POST", "/window/rect", { width: 1100, height: 720 });
  assert.equal(windows("close"), "1");
  await waitFor("the window to close", async () => windows("list") === "", 10_000);
  await waitFor("the web process to end", async () => !children(pid).includes("WebKitWebProces"), 10_000);
  await waitFor("the word that it goes on", async () => shown().includes("Willo Desk is still running"), 10_000);
  assert.ok(alive(pid), "the app runs on in the tray");

  participant = await waitFor("the participant in the simulated Willo", async () => {
    const all = await (await fetch(`${admin}/willo/participants`)).json();
    return all.find((p) => p.email === zoe.email);
  });
  const advanced = await fetch(`${admin}/willo/participants/${participant.key}/advance`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ to: "completed" }),
  });
  assert.ok(advanced.ok);
  await waitFor("the completion's notification", async () => shown().includes("Interview completed"), 60_000, 500);
  assert.ok(notifications.printed.includes("Zoë Müller"), "it names who completed");
  assert.equal(shown().filter((s) => s === "Willo Desk is still running").length, 1, "said once");
});

test("a second launch with a willo-desk:// link opens that review in the first instance, and starts no second engine", async () => {
  const holder = JSON.parse(readFileSync(join(app.dataDir, "sandbox.db.holder"), "utf8"));
  assert.equal(holder.pid, pid);
  assert.ok(participant, "invited in the test before");

  // Links name Willo's participant key and the ATS's application id, as the services know them.
  const second = spawnSync(binary, [`willo-desk://review/${participant.key}`], { env: app.driver.env, encoding: "utf8", timeout: 30_000 });
  assert.equal(second.status, 0, second.stderr);
  await waitFor("the window to open again", async () => windows("list") === "Willo Desk", 15_000);
  // The driver follows the new window's page.
  await waitFor("the new page", async () => {
    const [handle] = await app.session.command("GET", "/window/handles");
    await app.session.command("POST", "/window", { handle });
    return (await app.session.text("[data-testid=review-name]")) === "Zoë Müller";
  }, 30_000, 500);
  await app.shot("deep-link-review");
  const rect = await app.session.command("GET", "/window/rect");
  assert.deepEqual([rect.width, rect.height], [1100, 720], "reopened at the size it closed with");
  assert.deepEqual(app.pids(), [pid], "one app process, the first");
  assert.equal(JSON.parse(readFileSync(join(app.dataDir, "sandbox.db.holder"), "utf8")).pid, pid, "the engine is still the first's");
});

test("with the window open, a candidate link opens their timeline and a link to nothing held here says why", async () => {
  const launch = (...args) => spawnSync(binary, args, { env: app.driver.env, encoding: "utf8", timeout: 30_000 });
  // A plain second launch hands over and exits too.
  assert.equal(launch().status, 0);
  assert.deepEqual(app.pids(), [pid]);
  // Zoë Müller's application in the simulated Greenhouse's demo data.
  assert.equal(launch("willo-desk://candidate/9002").status, 0);
  await waitFor("the timeline", async () => (await app.session.text("aside h2")) === "Zoë Müller", 15_000);
  assert.equal(await app.session.text("#screen-title"), "Candidates");

  assert.equal(launch("willo-desk://candidate/99999999").status, 0);
  await waitFor("the reason", async () => /no candidate by that id here/.test((await app.session.text("[data-testid=link-error]")) ?? ""), 15_000);
  // A word that is neither a command nor a link is refused by the second launch itself.
  const typo = launch("doctr");
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /“doctr” is neither a command \(see --help\) nor a willo-desk:\/\/ link/);
  assert.deepEqual(app.pids(), [pid]);
});

test("the tray menu shows the inbox count, pauses every automation at once and opens the window", async () => {
  const labels = async () => (await panel.menu(pid)).map((item) => item.label);
  assert.deepEqual(await labels(), ["Inbox: 1 interview to review", "Open Willo Desk", "Pause automations", "Quit Willo Desk"]);
  const pause = async () => (await panel.menu(pid)).find((item) => item.label === "Pause automations");
  assert.equal((await pause()).enabled, false, "no automation to pause yet");

  const [interview] = await app.invoke("interviews");
  for (const job of (await app.invoke("automations")).slice(0, 2)) {
    const screening = job.stages.find((stage) => stage.name === "Screening");
    const set = await app.invoke("set_automation", {
      request: { jobId: job.jobId, choice: { kind: "interview", interviewKey: interview.key }, triggerStageIds: [screening.id], reviewRequired: true, moveToStageId: null, moveMinScore: null, notePolicy: "everything" },
    });
    assert.equal(set.error, undefined, JSON.stringify(set.error));
  }
  await waitFor("Pause to be offered", async () => (await pause()).enabled, 10_000, 200);
  assert.equal((await pause()).checked, false);
  await panel.click(pid, "Pause automations");
  await waitFor("every automation paused", async () => (await app.invoke("automations")).filter((j) => j.automation).every((j) => j.automation.paused), 10_000, 200);
  await waitFor("the item checked", async () => (await pause()).checked, 10_000, 200);
  // Resumed from the window: the tray follows.
  for (const job of (await app.invoke("automations")).filter((j) => j.automation)) {
    await app.invoke("pause_automation", { jobId: job.jobId, paused: false });
  }
  await waitFor("the item unchecked", async () => !(await pause()).checked, 10_000, 200);

  assert.equal(windows("close"), "1");
  await waitFor("the window to close", async () => windows("list") === "", 10_000);
  await panel.click(pid, "Open Willo Desk");
  await waitFor("the window to open from the tray", async () => windows("list") === "Willo Desk", 15_000);
  await waitFor("the new page", async () => {
    const [handle] = await app.session.command("GET", "/window/handles");
    await app.session.command("POST", "/window", { handle });
    return (await app.invoke("app_info"))?.mode === "sandbox";
  }, 30_000, 500);
  assert.deepEqual(app.pids(), [pid], "the same process");
});

test("Settings → About's diagnostics name no candidate and no key; start at login is an autostart entry; Ctrl+Q quits", async () => {
  const diagnostics = await app.invoke("diagnostics");
  assert.match(diagnostics, /^Willo Desk \d+\.\d+\.\d+ \(commit [0-9a-f]{10}\) on linux/);
  assert.ok(diagnostics.includes(`Data folder: ${app.dataDir}`));
  assert.match(diagnostics, /\nDoctor:\n(ok|WARNING|PROBLEM) /);
  for (const leak of ["Zoë", "Müller", "zoe.mueller", "@example"]) assert.ok(!diagnostics.includes(leak), `names ${leak}`);
  assert.doesNotMatch(diagnostics, /[0-9a-f]{32}/i, "no API key");

  const entry = join(home, ".config/autostart/Willo Desk.desktop");
  const on = await app.invoke("set_desktop_prefs", { prefs: { keepInTray: false, startAtLogin: true } });
  assert.deepEqual(on, { keepInTray: false, startAtLogin: true });
  assert.match(readFileSync(entry, "utf8"), new RegExp(`^Exec=${binary} --hidden$`, "m"), "starts in the tray");
  const off = await app.invoke("set_desktop_prefs", { prefs: { keepInTray: false, startAtLogin: false } });
  assert.deepEqual(off, { keepInTray: false, startAtLogin: false });
  assert.ok(!existsSync(entry));

  // Ctrl+Q quits, though the tray setting is on again: where there is no tray, the way out.
  await app.invoke("set_desktop_prefs", { prefs: { keepInTray: true, startAtLogin: false } });
  const holder = join(app.dataDir, "sandbox.db.holder");
  assert.ok(existsSync(holder));
  // Pressed just after the script returns: the page may be gone before a later answer could come.
  await app.session.execute("setTimeout(() => window.dispatchEvent(new KeyboardEvent('keydown', {key: 'q', ctrlKey: true})), 100);");
  await waitFor("the app to quit", async () => !alive(pid), 30_000);
  // The driver holds one session at a time: this one's app is gone.
  await app.session.end();
  app.session = null;
  assert.ok(!existsSync(holder), "the engine stopped and let go of its lock");
  assert.equal(shown().filter((s) => s === "Willo Desk is still running").length, 1, "said once, and not when quitting");
});

test("with 'keep running in the tray' off, closing the window quits", async () => {
  await app.open();
  [pid] = app.pids();
  await app.invoke("set_desktop_prefs", { prefs: { keepInTray: false, startAtLogin: false } });
  assert.equal(windows("close"), "1");
  await waitFor("the app to quit", async () => !alive(pid), 30_000);
  await app.session.end();
  app.session = null;
  assert.ok(!existsSync(join(app.dataDir, "sandbox.db.holder")));
});
