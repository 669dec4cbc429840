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
import { alive, App, Keyring, stopPid } from "./real-accounts.mjs";
import { waitFor } from "./webdriver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const binary = resolve(process.env.WILLO_DESK_BIN ?? join(root, "target/debug/willo-desk"));
const artifacts = join(root, "tests/artifacts");
const dataDir = mkdtempSync(join(tmpdir(), "willo-desk-e2e-live-"));

const app = new App({ binary, dataDir, shots: join(artifacts, "app-live-") });

let keyring;
let sandbox;
let serve;

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

/** Types `value` into the input labelled `label` (its text or aria-label), as a user would. */
async function type(label, value) {
  const typed = await app.session.execute(
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

before(async () => {
  assert.ok(existsSync(binary), `build the app first: ${binary} is missing`);
  mkdirSync(artifacts, { recursive: true });
  keyring = Keyring.start();
  // The simulators, in a process of their own: to the app they are just servers at some URLs.
  sandbox = await app.startSimulators();
  await app.startDriver(keyring);
});

// A failed step leaves its window on file, and the next test a fresh app.
afterEach(() => app.closeLeftOpen());

after(async () => {
  serve?.kill("SIGTERM");
  await app.stop();
  keyring?.stop();
});

test("connecting through Settings stores the secrets in the keychain and the app restarts in live mode reading them back", async () => {
  const first = await app.open();
  assert.equal(first.mode, "sandbox", "a new user starts in the sandbox");
  await waitFor("the welcome", async () => (await app.session.count("#welcome-title")) === 1);
  await app.click("button", "Explore the sandbox");
  await app.session.execute("window.dispatchEvent(new KeyboardEvent('keydown', {key: '6', ctrlKey: true}));");
  await waitFor("Settings", async () => (await app.session.text("#screen-title")) === "Settings");

  await app.click("section[aria-label=Connections] label", "custom");
  await type("URL", sandbox.willoBaseUrl);
  await type("API key", sandbox.willoApiKey);
  await type("Client id", sandbox.greenhouseClientId);
  await type("Client secret", sandbox.greenhouseClientSecret);
  await type("Acting user id", "503");
  await app.session.execute("document.querySelector('section[aria-label=Connections] details.custom').open = true;");
  await type("ATS URL", sandbox.greenhouseBaseUrl);
  await type("ATS token URL", sandbox.greenhouseTokenUrl);
  await app.click("section[aria-label=Connections] button", "Test connection");
  await waitFor("Willo's answer", async () => /Willo accepts the key/.test((await app.session.text("section[aria-label=Connections] .ok")) ?? ""), 20_000);
  await app.shot("connections");
  const before = app.holder();
  assert.equal(before, null, "nobody runs the engine on the live database yet");

  await app.click("section[aria-label=Connections] button.primary", "Save and restart");
  // The app checks both accounts, keeps the secrets in the keychain and starts again.
  await waitFor("the secrets in the keychain", async () => keyring.has("willo-api-key") && keyring.has("ats-secret"), 30_000);
  assert.ok(existsSync(join(dataDir, "connections.json")));
  await waitFor("the app restarted on the live database", async () => {
    const h = app.holder();
    return h && h.program === "the Willo Desk app" && alive(h.pid) ? h : null;
  }, 60_000, 250);
  // The restarted window is not under the driver's control: stop it and open one that is.
  await app.close();

  const info = await app.open();
  assert.equal(info.mode, "live", `live mode, reading the secrets from the keychain: ${info.startupProblem ?? ""}`);
  assert.equal(info.startupProblem, null);
  assert.match(info.atsLabel, /Greenhouse/);
  const jobs = await waitFor("the jobs from the simulated Greenhouse", async () => {
    const text = await app.session.text("[data-testid=jobs-count]");
    return text && text !== "0" ? text : null;
  }, 60_000, 500);
  assert.equal(jobs, "3");
  assert.equal(await app.session.count(".banner"), 0, "no sandbox banner in live mode");
  await app.shot("dashboard");

  // Starting the app again while it runs hands over to the open window; the second process
  // ends without opening the database or the engine (it never logs that it is ready).
  const [running] = app.pids();
  const readyBefore = readyLines();
  assert.ok(readyBefore > 0, "the running app logged that it is ready");
  const second = spawn(binary, [], { env: app.driver.env, stdio: "ignore" });
  const code = await new Promise((resolve) => second.on("exit", resolve));
  assert.equal(code, 0, "the second start hands over to the first and ends");
  assert.deepEqual(app.pids(), [running], "the first app still runs, alone");
  assert.equal(readyLines(), readyBefore, "the second opened nothing");
  await app.close();
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
  const env = { ...keyring.env, WILLO_DESK_DATA_DIR: dataDir };
  delete env.WILLO_DESK_WILLO_API_KEY;
  serve = spawn(binary, ["serve", "--config", config], { env, stdio: "ignore" });
  const running = await waitFor("serve to run the engine", async () => {
    const h = app.holder();
    return h?.program === "willo-desk serve" && h.pid === serve.pid ? h : null;
  }, 60_000, 250);

  const info = await app.open();
  assert.equal(info.mode, "live");
  assert.match(info.engineElsewhere ?? "", new RegExp(`willo-desk serve \\(pid ${running.pid}\\)`));
  const banner = await waitFor("the banner naming serve", () => app.session.text("[data-testid=engine-elsewhere]"));
  assert.match(banner, /willo-desk serve/);
  await waitFor("the dashboard", () => app.session.text("[data-testid=jobs-count]"), 30_000);
  await app.shot("engine-elsewhere");

  // The recruiter sends from the list; serve, not the app, sends it to Willo.
  await app.session.execute("window.dispatchEvent(new KeyboardEvent('keydown', {key: '1', ctrlKey: true}));");
  await waitFor("the candidate list", async () => (await app.session.count("[data-testid=candidate-row] .name button")) > 0, 30_000);
  await app.session.execute(
    "const s = document.querySelector('input[type=search]'); s.value = 'Zoë'; s.dispatchEvent(new Event('input', {bubbles: true}));",
  );
  await waitFor("the search result", async () => (await app.session.text("[data-testid=candidate-total]")) === "1 application");
  await app.click("[data-testid=candidate-row] input[type=checkbox]");
  await app.click("button", "Send interview to 1");
  // Nothing was sent for this job before: the recruiter chooses the interview.
  await waitFor("the interviews", async () => (await app.session.count("dialog select option")) > 1, 30_000);
  await app.session.execute("const s = document.querySelector('dialog select'); s.value = s.options[1].value; s.dispatchEvent(new Event('change', {bubbles: true}));");
  await waitFor("the pre-send report", async () => (await app.session.count("[data-testid=pre-send] tbody tr")) === 1, 30_000);
  await app.click("dialog button.primary", "Send to 1");
  await waitFor("the send, carried out by serve", async () => /1 sent/.test((await app.session.text("[data-testid=send-progress]")) ?? ""), 60_000, 500);
  await app.click("dialog button", "Done");
  const participants = await (await fetch(`${sandbox.adminUrl}/willo/participants`)).json();
  const zoe = participants.filter((p) => p.email === "zoe.mueller@example.de");
  assert.equal(zoe.length, 1, `one invitation for Zoë: ${JSON.stringify(participants.map((p) => p.email))}`);
  assert.equal(app.holder().pid, serve.pid, "serve kept the engine all along");

  // serve stops: the open app takes the engine over, and the banner goes.
  serve.kill("SIGTERM");
  await waitFor("serve to stop", async () => serve.exitCode !== null, 45_000, 250);
  assert.equal(serve.exitCode, 0, "a SIGTERM is a clean stop");
  serve = null;
  const taken = await waitFor("the app to take the engine over", async () => {
    const h = app.holder();
    return h?.program === "the Willo Desk app" && app.pids().includes(h.pid) ? h : null;
  }, 30_000, 250);
  assert.ok(taken);
  await waitFor("the banner to go", async () => (await app.session.count("[data-testid=engine-elsewhere]")) === 0, 20_000);
  await app.close();
});

test("a locked keychain, then no Secret Service at all, each fall back to the sandbox and say what to do", async () => {
  execFileSync("bash", [join(root, "tests/keyring/lock.sh")], { env: keyring.env });
  let info = await app.open();
  assert.equal(info.mode, "sandbox");
  assert.match(info.startupProblem ?? "", /locked/);
  const alert = await waitFor("the reason, in the window", () => app.session.text("[role=alert]"));
  assert.match(alert, /keychain .* is locked/);
  await waitFor("the sandbox's dashboard", () => app.session.text("[data-testid=jobs-count]"), 30_000);
  await app.shot("keychain-locked");
  await app.close();

  stopPid(keyring.daemonPid);
  await waitFor("the keyring to stop", async () => !alive(keyring.daemonPid), 10_000);
  info = await app.open();
  assert.equal(info.mode, "sandbox");
  assert.match(info.startupProblem ?? "", /no Secret Service/);
  await app.close();
});
