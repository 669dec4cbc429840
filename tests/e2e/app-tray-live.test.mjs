// The real app in the tray on real accounts (the simulators in a process of their own, the
// secrets in a real Secret Service), under Xvfb with dunst as the notification server. In live
// mode closing the window (during a send from the list, which finishes first) hands the engine
// to a fresh tray process that runs no web engine and
// loads no OpenGL; a completion still becomes a notification there, and a click on it opens
// the review in a fresh window process; the tray menu's Open (read
// and clicked over D-Bus as a desktop panel does) or a second launch hands the engine back to a
// fresh window process, and Quit ends it. At every step one process holds the engine.
// Needs the binary (WILLO_DESK_BIN, default target/debug/willo-desk), Xvfb, dbus, gnome-keyring,
// dunst, python3-xlib, python3-gi and WebKitWebDriver.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { Notifications, Panel, children, x11Windows } from "./desktop.mjs";
import { environ } from "./processes.mjs";
import { App, Keyring, alive, stopPid } from "./real-accounts.mjs";
import { waitFor } from "./webdriver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const binary = resolve(process.env.WILLO_DESK_BIN ?? join(root, "target/debug/willo-desk"));
const artifacts = join(root, "tests/artifacts");
const zoeQuery = { search: "Zoë", jobId: null, stageId: null, status: null, sort: null, descending: false, offset: 0, limit: 10 };

let keyring;
let app;
let sandbox;
let notifications;
let panel;
/** The tray process the first test left running. */
let tray;

const windows = (command, pid, ...more) => x11Windows(app.driver.env, command, pid, ...more);
const shown = () => notifications.shown();

/** The live engine's holder once it is a live process other than `previous`. */
const nextHolder = (what, previous) =>
  waitFor(what, async () => {
    const h = app.holder();
    return h && h.pid !== previous && alive(h.pid) ? h : null;
  }, 60_000, 250);

before(async () => {
  assert.ok(existsSync(binary), `build the app first: ${binary} is missing`);
  mkdirSync(artifacts, { recursive: true });
  keyring = Keyring.start();
  app = new App({ binary, dataDir: mkdtempSync(join(tmpdir(), "willo-desk-tray-live-")), shots: join(artifacts, "app-tray-live-") });
  sandbox = await app.startSimulators();
  await app.startDriver(keyring);
  notifications = new Notifications(app.driver.env);
  panel = await Panel.start(app.driver.env);
});

after(async () => {
  await app?.closeLeftOpen();
  const last = app?.holder()?.pid;
  stopPid(last);
  await waitFor("the last app process to end", async () => !alive(last), 30_000).catch(() => undefined);
  await app?.stop();
  notifications?.stop();
  panel?.stop();
  keyring?.stop();
});

test("in live mode, closing the window hands the engine to a tray process with no web engine, where a completion still notifies", async () => {
  // Connected as Settings does it (its form is driven in app-ats.test.mjs): the app restarts live.
  assert.equal((await app.open()).mode, "sandbox");
  const connections = {
    willoEnvironment: "custom",
    willoUrl: sandbox.willoBaseUrl,
    ats: "ashby",
    atsClientId: null,
    atsActingUser: null,
    atsUrl: sandbox.ashbyBaseUrl,
    atsTokenUrl: null,
    atsSubdomain: null,
  };
  await app.session.execute("window.__TAURI_INTERNALS__.invoke('save_connections', arguments[0]); return true;", [
    { connections, willoKey: sandbox.willoApiKey, atsSecret: sandbox.ashbyApiKey },
  ]);
  await nextHolder("the app restarted on the live database", null);
  // The restarted window is not under the driver's control: stop it and open one that is.
  await app.close();
  const info = await app.open();
  assert.equal(info.mode, "live", info.startupProblem ?? "");

  await waitFor("the ATS's data", async () => (await app.invoke("overview"))?.applications > 0, 60_000, 500);
  const picked = [];
  for (const search of ["Zoë", "José", "Łukasz"]) picked.push((await app.invoke("candidates", { query: { ...zoeQuery, search } })).rows[0]);
  const zoe = picked[0];
  const [interview] = await app.invoke("interviews");
  const invited = async () => {
    const all = await (await fetch(`${sandbox.adminUrl}/willo/participants`)).json();
    return picked.map((c) => all.filter((p) => p.email === c.email).length);
  };

  // Closed while a send from the list is under way (Willo slowed to 4 s a request): the send
  // finishes first, then the engine moves. Opened again meanwhile, the window comes back at once
  // in the same process, which keeps the engine.
  const faults = (method, body) => fetch(`${sandbox.adminUrl}/faults`, { method, headers: { "content-type": "application/json" }, body: body && JSON.stringify(body) });
  assert.ok((await faults("PUT", [{ kind: "delay", millis: 4000, method: "POST", path_prefix: "/api/integrations" }])).ok);
  await app.session.execute("window.__TAURI_INTERNALS__.invoke('send', arguments[0]); return true;", [
    { applicationIds: picked.map((c) => c.applicationId), interviewKey: interview.key },
  ]);
  await waitFor("the send under way", async () => (await invited()).some((n) => n > 0), 30_000, 100);
  const windowed = app.holder();
  assert.equal(windows("list", windowed.pid), "Willo Desk");
  assert.equal(windows("close", windowed.pid), "1");
  await waitFor("the window to close", async () => windows("list", windowed.pid) === "", 10_000, 50);
  await panel.click(windowed.pid, "Open Willo Desk");
  await waitFor("the window back", async () => windows("list", windowed.pid) === "Willo Desk", 10_000, 50);
  assert.ok((await invited()).includes(0), "back before the send is done");
  await waitFor("the send done", async () => (await invited()).every((n) => n === 1), 30_000, 250);
  await sleep(1_000);
  assert.equal(app.holder().pid, windowed.pid, "no hand-over: the engine stays with the window");
  assert.equal(windows("list", windowed.pid), "Willo Desk");
  // Closed again, with nothing to wait for: the engine moves.
  assert.equal(windows("close", windowed.pid), "1");
  tray = await nextHolder("the tray process", windowed.pid);
  assert.deepEqual(await invited(), [1, 1, 1], "every one sent once, before the hand-over");
  assert.ok((await faults("DELETE")).ok);
  // The window's process, and the web page's with it, has ended.
  await waitFor("the window's process to end", async () => !alive(windowed.pid), 30_000);
  app.session = null;
  assert.equal(tray.program, "the Willo Desk app");
  assert.ok(readFileSync(`/proc/${tray.pid}/cmdline`, "utf8").split("\0").includes("--hidden"), "started for the tray");
  assert.equal(windows("list", tray.pid), "", "no window");
  assert.deepEqual(children(tray.pid).filter((c) => c.startsWith("WebKit")), [], "no web or network process");
  const maps = readFileSync(`/proc/${tray.pid}/maps`, "utf8");
  assert.ok(!/_dri\.so|libLLVM/.test(maps), "no OpenGL driver loaded");
  await waitFor("the word that it goes on", async () => shown().includes("Willo Desk is still running"), 10_000);

  const participant = await waitFor("Zoë's invitation in the simulated Willo", async () => {
    const all = await (await fetch(`${sandbox.adminUrl}/willo/participants`)).json();
    return all.find((p) => p.email === zoe.email);
  });
  const advanced = await fetch(`${sandbox.adminUrl}/willo/participants/${participant.key}/advance`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ to: "completed" }),
  });
  assert.ok(advanced.ok);
  await waitFor("the completion's notification", async () => shown().includes("Interview completed"), 90_000, 500);
  assert.ok(notifications.printed.includes("Zoë Müller"), "it names who completed");
  assert.equal(app.holder().pid, tray.pid, "found by the tray process");
  assert.equal(shown().filter((s) => s === "Willo Desk is still running").length, 1, "said once");

  // A click on it (dunst's default action, as a click on the bubble) opens her review in a fresh
  // window process, by the same link a willo-desk:// link would be.
  notifications.clickLatest();
  const opened = await nextHolder("the window's process", tray.pid);
  assert.ok(readFileSync(`/proc/${opened.pid}/cmdline`, "utf8").split("\0").includes(`willo-desk://review/${participant.key}`), "opened at her review");
  await waitFor("the window", async () => windows("list", opened.pid) === "Willo Desk", 30_000);
  // Made smaller (above its least size), as a user drags its corner, then back into the tray for the next test (which
  // finds the size kept across the processes).
  windows("resize", opened.pid, 1100, 720);
  await waitFor("the window's new size", async () => windows("size", opened.pid) === "1100x720", 10_000);
  assert.equal(windows("close", opened.pid), "1");
  tray = await nextHolder("the tray process again", opened.pid);
  // Its process logged its hand-over before it ended (the log is written out first).
  await waitFor("the window's process to end", async () => !alive(opened.pid), 30_000);
  assert.ok(
    app.log().split("\n").some((line) => line.includes("handing the engine to the next process") && line.includes(`pid=${opened.pid}`)),
    "the ended process's last words are in the log",
  );
});

test("the tray's Open and a second launch each hand the engine to a fresh window process; Quit ends it", async () => {
  assert.ok(tray && alive(tray.pid), "the tray process from the test before");
  const menu = await panel.menu(tray.pid);
  assert.deepEqual(menu.map((item) => item.label), ["Inbox: 1 interview to review", "Open Willo Desk", "Pause automations", "Quit Willo Desk"]);

  await panel.click(tray.pid, "Open Willo Desk");
  const opened = await nextHolder("the window's process", tray.pid);
  await waitFor("the tray process to end", async () => !alive(tray.pid), 30_000);
  await waitFor("the window", async () => windows("list", opened.pid) === "Willo Desk", 30_000);
  assert.ok(!readFileSync(`/proc/${opened.pid}/cmdline`, "utf8").split("\0").includes("--hidden"));
  assert.ok(!environ(opened.pid).some((v) => v.startsWith("GDK_GL=")), "the window draws with GTK's OpenGL as usual");
  assert.equal(windows("size", opened.pid), "1100x720", "the size it was closed with, kept through the tray's process");

  // Closed again, then two launches at once (a double click): one window process comes of them.
  assert.equal(windows("close", opened.pid), "1");
  const again = await nextHolder("the tray process", opened.pid);
  await waitFor("the window's process to end", async () => !alive(opened.pid), 30_000);
  // A launch that comes while the tray's process has let go of being the single instance and
  // the next has not taken it yet becomes the app itself; the other then hands over to it.
  const launches = [0, 1].map(() => spawn(binary, [], { env: app.driver.env, stdio: "ignore" }));
  await nextHolder("the window's process", again.pid);
  await waitFor("the tray process to end", async () => !alive(again.pid), 30_000);
  const windowed = await waitFor("one app process, with the window and the engine", async () => {
    const h = app.holder();
    return h && alive(h.pid) && app.pids().length === 1 && windows("list", h.pid) === "Willo Desk" ? h : null;
  }, 60_000, 250);
  for (const launch of launches) {
    if (launch.pid !== windowed.pid) {
      await waitFor("the launch to hand over", async () => launch.exitCode !== null, 30_000);
      assert.equal(launch.exitCode, 0);
    }
  }
  assert.equal(spawnSync(binary, [], { env: app.driver.env, timeout: 30_000 }).status, 0, "a third launch hands over to it");
  assert.equal(app.holder().pid, windowed.pid);

  await panel.click(windowed.pid, "Quit Willo Desk");
  await waitFor("the app to quit", async () => !alive(windowed.pid), 30_000);
  assert.equal(app.holder(), null, "the engine stopped and let go of its lock");
  assert.equal(shown().filter((s) => s === "Willo Desk is still running").length, 1, "said once in all");
});
