// The real app on real accounts, outside its own simulators' process: the simulators run as a
// separate `willo-desk sandbox` process and are given to Settings → Connections as custom URLs,
// and the secrets go to a real Secret Service (GNOME Keyring on a private session bus). Then:
// the app restarts in live mode reading its secrets back from the keychain; with `serve` running
// the engine on the same folder the app says so and `serve` carries out what the recruiter sends;
// a locked keychain and no Secret Service at all each fall back to the sandbox and say why.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, afterEach, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Session, startDriver, waitFor } from "./webdriver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const binary = resolve(process.env.WILLO_DESK_BIN ?? join(root, "target/debug/willo-desk"));
const artifacts = join(root, "tests/artifacts");
const dataDir = mkdtempSync(join(tmpdir(), "willo-desk-e2e-live-"));

let keyring;
let simulators;
let sandbox;
let driver;
let session;
let serve;

/** A private bus with an unlocked GNOME Keyring (tests/keyring/session.sh). */
function startKeyring() {
  const out = execFileSync("bash", [join(root, "tests/keyring/session.sh")], { encoding: "utf8" });
  return Object.fromEntries(out.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

function stopPid(pid, signal = "SIGTERM") {
  try {
    process.kill(Number(pid), signal);
  } catch {
    // Already gone.
  }
}

/** What another keychain client (secret-tool) finds under Willo Desk's `name`. */
function keychainHas(name) {
  try {
    execFileSync("secret-tool", ["lookup", "service", "willo-desk", "username", name], {
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: keyring.DBUS_SESSION_BUS_ADDRESS },
      stdio: ["ignore", "pipe", "ignore"],
    });
    return true;
  } catch {
    return false;
  }
}

/** How many times an app on this data folder logged that it is ready (opened its database). */
function readyLines() {
  const logs = join(dataDir, "logs");
  if (!existsSync(logs)) return 0;
  return readdirSync(logs)
    .map((name) => readFileSync(join(logs, name), "utf8"))
    .join("")
    .split("\n")
    .filter((line) => /\bready\b.*data_dir/.test(line)).length;
}

/** Who holds the engine's lock on the live database, if anyone said so. */
function holder() {
  const path = join(dataDir, "willo-desk.db.holder");
  return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : null;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function openApp() {
  session = await Session.start(driver.url, binary);
  return waitFor("the app's first answer", () => invoke("app_info"), 60_000, 500);
}

/** The app's processes on this test's data folder (the simulators and serve have arguments). */
function appPids() {
  let pids = [];
  try {
    pids = execFileSync("pgrep", ["-fx", binary], { encoding: "utf8" }).trim().split("\n").map(Number);
  } catch {
    return [];
  }
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`WILLO_DESK_DATA_DIR=${dataDir}`);
    } catch {
      return false;
    }
  });
}

/** Ends the session and waits until the app (and any restart of it) has ended. */
async function closeApp() {
  await session?.end();
  session = null;
  for (const pid of appPids()) stopPid(pid);
  await waitFor("the app to end", async () => appPids().length === 0, 40_000);
}

/** Calls one of the app's commands from the page, as the UI does. */
async function invoke(command, args = {}) {
  const answer = await session.command("POST", "/execute/async", {
    script: "const done = arguments[arguments.length - 1]; window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then(done, (e) => done({ error: e }));",
    args: [command, args],
  });
  return answer;
}

async function click(selector, text = "") {
  const clicked = await session.execute(
    "const e = [...document.querySelectorAll(arguments[0])].find(x => x.textContent.includes(arguments[1])); if (e) e.click(); return !!e;",
    [selector, text],
  );
  assert.ok(clicked, `nothing to click: ${selector} ${text}`);
}

/** Types `value` into the input labelled `label` (its text or aria-label), as a user would. */
async function type(label, value) {
  const typed = await session.execute(
    `const label = [...document.querySelectorAll('label')].find(l => l.firstChild?.textContent.trim() === arguments[0]);
     const input = label?.querySelector('input') ?? document.querySelector('input[aria-label="' + arguments[0] + '"]');
     if (!input) return false;
     input.value = arguments[1];
     input.dispatchEvent(new Event('input', { bubbles: true }));
     return true;`,
    [label, value],
  );
  assert.ok(typed, `no field labelled ${label}`);
}

async function shot(name) {
  writeFileSync(join(artifacts, `app-live-${name}.png`), await session.screenshot());
}

before(async () => {
  assert.ok(existsSync(binary), `build the app first: ${binary} is missing`);
  mkdirSync(artifacts, { recursive: true });
  keyring = startKeyring();
  // The simulators, in a process of their own: to the app they are just servers at some URLs.
  simulators = spawn(binary, ["sandbox"], { stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, WILLO_DESK_DATA_DIR: dataDir } });
  sandbox = await new Promise((resolve, reject) => {
    let out = "";
    simulators.stdout.on("data", (chunk) => {
      out += chunk;
      if (out.includes("\n")) resolve(JSON.parse(out.slice(0, out.indexOf("\n"))));
    });
    simulators.on("exit", (code) => reject(new Error(`the sandbox exited with ${code}`)));
  });
  driver = await startDriver({ dataDir, bus: keyring.DBUS_SESSION_BUS_ADDRESS });
});

// A failed step leaves its window on file, and the next test a fresh app.
afterEach(async () => {
  if (!session) return;
  await shot("last-failure").catch(() => undefined);
  await closeApp().catch(() => undefined);
});

after(async () => {
  await session?.end();
  serve?.kill("SIGTERM");
  await driver?.stop();
  simulators?.kill("SIGTERM");
  stopPid(keyring?.KEYRING_DAEMON_PID);
  stopPid(keyring?.KEYRING_BUS_PID);
});

test("connecting through Settings stores the secrets in the keychain and the app restarts in live mode reading them back", async () => {
  const first = await openApp();
  assert.equal(first.mode, "sandbox", "a new user starts in the sandbox");
  await waitFor("the welcome", async () => (await session.count("#welcome-title")) === 1);
  await click("button", "Explore the sandbox");
  await session.execute("window.dispatchEvent(new KeyboardEvent('keydown', {key: '6', ctrlKey: true}));");
  await waitFor("Settings", async () => (await session.text("#screen-title")) === "Settings");

  await click("section[aria-label=Connections] label", "custom");
  await type("URL", sandbox.willoBaseUrl);
  await type("API key", sandbox.willoApiKey);
  await type("Client id", sandbox.greenhouseClientId);
  await type("Client secret", sandbox.greenhouseClientSecret);
  await type("Acting user id", "503");
  await session.execute("document.querySelector('section[aria-label=Connections] details.custom').open = true;");
  await type("ATS URL", sandbox.greenhouseBaseUrl);
  await type("ATS token URL", sandbox.greenhouseTokenUrl);
  await click("section[aria-label=Connections] button", "Test connection");
  await waitFor("Willo's answer", async () => /Willo accepts the key/.test((await session.text("section[aria-label=Connections] .ok")) ?? ""), 20_000);
  await shot("connections");
  const before = holder();
  assert.equal(before, null, "nobody runs the engine on the live database yet");

  await click("section[aria-label=Connections] button.primary", "Save and restart");
  // The app checks both accounts, keeps the secrets in the keychain and starts again.
  await waitFor("the secrets in the keychain", async () => keychainHas("willo-api-key") && keychainHas("ats-secret"), 30_000);
  assert.ok(existsSync(join(dataDir, "connections.json")));
  await waitFor("the app restarted on the live database", async () => {
    const h = holder();
    return h && h.program === "the Willo Desk app" && alive(h.pid) ? h : null;
  }, 60_000, 250);
  // The restarted window is not under the driver's control: stop it and open one that is.
  await closeApp();

  const info = await openApp();
  assert.equal(info.mode, "live", `live mode, reading the secrets from the keychain: ${info.startupProblem ?? ""}`);
  assert.equal(info.startupProblem, null);
  assert.match(info.atsLabel, /Greenhouse/);
  const jobs = await waitFor("the jobs from the simulated Greenhouse", async () => {
    const text = await session.text("[data-testid=jobs-count]");
    return text && text !== "0" ? text : null;
  }, 60_000, 500);
  assert.equal(jobs, "3");
  assert.equal(await session.count(".banner"), 0, "no sandbox banner in live mode");
  await shot("dashboard");

  // Starting the app again while it runs hands over to the open window; the second process
  // ends without opening the database or the engine (it never logs that it is ready).
  const [running] = appPids();
  const readyBefore = readyLines();
  assert.ok(readyBefore > 0, "the running app logged that it is ready");
  const second = spawn(binary, [], { env: driver.env, stdio: "ignore" });
  const code = await new Promise((resolve) => second.on("exit", resolve));
  assert.equal(code, 0, "the second start hands over to the first and ends");
  assert.deepEqual(appPids(), [running], "the first app still runs, alone");
  assert.equal(readyLines(), readyBefore, "the second opened nothing");
  await closeApp();
});

test("with serve running the engine on the same folder, the app says so and serve sends what the recruiter sends", async () => {
  const config = join(dataDir, "serve.toml");
  writeFileSync(
    config,
    [
      `data_dir = "${dataDir}"`,
      "[willo]",
      `base_url = "${sandbox.willoBaseUrl}"`,
      // The secrets the app stored: serve reads them from the same keychain.
      'api_key_env = "willo-api-key"',
      "[ats]",
      'kind = "greenhouse"',
      `base_url = "${sandbox.greenhouseBaseUrl}"`,
      `token_url = "${sandbox.greenhouseTokenUrl}"`,
      `client_id = "${sandbox.greenhouseClientId}"`,
      'client_secret_env = "ats-secret"',
      'acting_user = "503"',
      "[engine]",
      "ats_poll_every_seconds = 10",
      "",
    ].join("\n"),
  );
  const env = { ...process.env, WILLO_DESK_DATA_DIR: dataDir, DBUS_SESSION_BUS_ADDRESS: keyring.DBUS_SESSION_BUS_ADDRESS };
  delete env.WILLO_DESK_WILLO_API_KEY;
  serve = spawn(binary, ["serve", "--config", config], { env, stdio: "ignore" });
  const running = await waitFor("serve to run the engine", async () => {
    const h = holder();
    return h?.program === "willo-desk serve" && h.pid === serve.pid ? h : null;
  }, 60_000, 250);

  const info = await openApp();
  assert.equal(info.mode, "live");
  assert.match(info.engineElsewhere ?? "", new RegExp(`willo-desk serve \\(pid ${running.pid}\\)`));
  const banner = await waitFor("the banner naming serve", () => session.text("[data-testid=engine-elsewhere]"));
  assert.match(banner, /willo-desk serve/);
  await waitFor("the dashboard", () => session.text("[data-testid=jobs-count]"), 30_000);
  await shot("engine-elsewhere");

  // The recruiter sends from the list; serve, not the app, sends it to Willo.
  await session.execute("window.dispatchEvent(new KeyboardEvent('keydown', {key: '1', ctrlKey: true}));");
  await waitFor("the candidate list", async () => (await session.count("[data-testid=candidate-row] .name button")) > 0, 30_000);
  await session.execute(
    "const s = document.querySelector('input[type=search]'); s.value = 'Zoë'; s.dispatchEvent(new Event('input', {bubbles: true}));",
  );
  await waitFor("the search result", async () => (await session.text("[data-testid=candidate-total]")) === "1 application");
  await click("[data-testid=candidate-row] input[type=checkbox]");
  await click("button", "Send interview to 1");
  // Nothing was sent for this job before: the recruiter chooses the interview.
  await waitFor("the interviews", async () => (await session.count("dialog select option")) > 1, 30_000);
  await session.execute("const s = document.querySelector('dialog select'); s.value = s.options[1].value; s.dispatchEvent(new Event('change', {bubbles: true}));");
  await waitFor("the pre-send report", async () => (await session.count("[data-testid=pre-send] tbody tr")) === 1, 30_000);
  await click("dialog button.primary", "Send to 1");
  await waitFor("the send, carried out by serve", async () => /1 sent/.test((await session.text("[data-testid=send-progress]")) ?? ""), 60_000, 500);
  await click("dialog button", "Done");
  const participants = await (await fetch(`${sandbox.adminUrl}/willo/participants`)).json();
  const zoe = participants.filter((p) => p.email === "zoe.mueller@example.de");
  assert.equal(zoe.length, 1, `one invitation for Zoë: ${JSON.stringify(participants.map((p) => p.email))}`);
  assert.equal(holder().pid, serve.pid, "serve kept the engine all along");

  // serve stops: the open app takes the engine over, and the banner goes.
  serve.kill("SIGTERM");
  await waitFor("serve to stop", async () => serve.exitCode !== null, 45_000, 250);
  assert.equal(serve.exitCode, 0, "a SIGTERM is a clean stop");
  serve = null;
  const taken = await waitFor("the app to take the engine over", async () => {
    const h = holder();
    return h?.program === "the Willo Desk app" && appPids().includes(h.pid) ? h : null;
  }, 30_000, 250);
  assert.ok(taken);
  await waitFor("the banner to go", async () => (await session.count("[data-testid=engine-elsewhere]")) === 0, 20_000);
  await closeApp();
});

test("a locked keychain, then no Secret Service at all, each fall back to the sandbox and say what to do", async () => {
  execFileSync("bash", [join(root, "tests/keyring/lock.sh")], {
    env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: keyring.DBUS_SESSION_BUS_ADDRESS },
  });
  let info = await openApp();
  assert.equal(info.mode, "sandbox");
  assert.match(info.startupProblem ?? "", /locked/);
  const alert = await waitFor("the reason, in the window", () => session.text("[role=alert]"));
  assert.match(alert, /keychain .* is locked/);
  await waitFor("the sandbox's dashboard", () => session.text("[data-testid=jobs-count]"), 30_000);
  await shot("keychain-locked");
  await closeApp();

  stopPid(keyring.KEYRING_DAEMON_PID);
  await waitFor("the keyring to stop", async () => !alive(Number(keyring.KEYRING_DAEMON_PID)), 10_000);
  info = await openApp();
  assert.equal(info.mode, "sandbox");
  assert.match(info.startupProblem ?? "", /no Secret Service/);
  await closeApp();
});
