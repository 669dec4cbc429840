// The real app on each of the newer ATSs, Ashby and Workable, as a recruiter connects to them:
// the simulators run as a separate `willo-desk sandbox --manual` process, Settings → Connections
// is given the simulated Willo and the chosen ATS as custom URLs and tests both, the app restarts
// in live mode reading its secrets from a real Secret Service, and one whole loop runs on that
// ATS: the recruiter sends Zoë Müller an interview from the candidate list, she completes it
// (through the simulators' admin API), the recruiter approves it in the Inbox, and exactly one
// note reaches the ATS. Each ATS gets its own data folder, keyring, simulators and window.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterEach, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Session, startDriver, waitFor } from "./webdriver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const binary = resolve(process.env.WILLO_DESK_BIN ?? join(root, "target/debug/willo-desk"));
const artifacts = join(root, "tests/artifacts");

/** Zoë Müller in the simulators' demo data: her email, and her candidate id in the ATS's records. */
const ZOE = { email: "zoe.mueller@example.de", candidateId: 7002 };
/** The review comment the recruiter writes; the note in the ATS must carry it. */
const COMMENT = "Clear, warm answers; invite to the next round.";

// The current test's world: set up by `setUp`, torn down after each test.
let ats;
let dataDir;
let keyring;
let simulators;
let sandbox;
let driver;
let session;

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

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
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

/** Who holds the engine's lock on the live database, if anyone said so. */
function holder() {
  const path = join(dataDir, "willo-desk.db.holder");
  return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : null;
}

/** The simulators in a process of their own; resolves with the JSON line they print. */
async function startSimulators() {
  simulators = spawn(binary, ["sandbox", "--manual", "--ats", ats], {
    stdio: ["ignore", "pipe", "ignore"],
    env: { ...process.env, WILLO_DESK_DATA_DIR: dataDir },
  });
  return new Promise((resolve, reject) => {
    let out = "";
    simulators.stdout.on("data", (chunk) => {
      out += chunk;
      if (out.includes("\n")) resolve(JSON.parse(out.slice(0, out.indexOf("\n"))));
    });
    simulators.on("exit", (code) => reject(new Error(`the sandbox exited with ${code}`)));
  });
}

/** A fresh data folder, keyring, simulators and driver for `kind`'s test. */
async function setUp(kind) {
  ats = kind;
  dataDir = mkdtempSync(join(tmpdir(), `willo-desk-e2e-${kind}-`));
  keyring = startKeyring();
  sandbox = await startSimulators();
  driver = await startDriver({ dataDir, bus: keyring.DBUS_SESSION_BUS_ADDRESS });
}

/** The simulators' admin API: GET `path`, or POST `body` to it. */
async function admin(path, body) {
  const response = await fetch(`${sandbox.adminUrl}${path}`, body === undefined ? {} : {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.ok(response.ok, `${path}: ${response.status}`);
  return response.status === 204 ? null : response.json();
}

async function openApp() {
  session = await Session.start(driver.url, binary);
  return waitFor("the app's first answer", () => invoke("app_info"), 60_000, 500);
}

/** The app's processes on this test's data folder (the simulators have arguments). */
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
  return session.command("POST", "/execute/async", {
    script: "const done = arguments[arguments.length - 1]; window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then(done, (e) => done({ error: e }));",
    args: [command, args],
  });
}

/** Clicks the first element matching `selector` whose text includes `text`. */
async function click(selector, text = "") {
  const clicked = await session.execute(
    "const e = [...document.querySelectorAll(arguments[0])].find(x => x.textContent.includes(arguments[1])); if (e) e.click(); return !!e;",
    [selector, text],
  );
  assert.ok(clicked, `nothing to click: ${selector} ${text}`);
}

/**
 * Types `value` into the input with id `id`, as a user would. By id, not label: Willo's key and
 * Ashby's key are both labelled "API key".
 */
async function typeInto(id, value) {
  const typed = await session.execute(
    `const input = document.getElementById(arguments[0]);
     if (!input) return false;
     input.value = arguments[1];
     input.dispatchEvent(new Event('input', { bubbles: true }));
     return true;`,
    [id, value],
  );
  assert.ok(typed, `no input #${id}`);
}

async function key(k, ctrl = false) {
  await session.execute("window.dispatchEvent(new KeyboardEvent('keydown', {key: arguments[0], ctrlKey: arguments[1], bubbles: true}));", [k, ctrl]);
}

/** Waits for the status line of the Connections fieldset `legend`; an error shown there fails at once. */
async function connectionStatus(legend, what, pattern, ms = 30_000) {
  const { ok, error } = await waitFor(what, async () => {
    const found = await session.execute(
      `const f = [...document.querySelectorAll('section[aria-label=Connections] fieldset')].find(x => x.querySelector('legend')?.textContent === arguments[0]);
       return { ok: f?.querySelector('.ok')?.textContent.trim() ?? null, error: f?.querySelector('[role=alert]')?.textContent.trim() ?? null };`,
      [legend],
    );
    return found.error || (found.ok && pattern.test(found.ok)) ? found : null;
  }, ms);
  assert.equal(error, null, `${legend} refused the connection`);
  return ok;
}

async function shot(name) {
  writeFileSync(join(artifacts, `app-ats-${ats}-${name}.png`), await session.screenshot());
}

before(() => {
  assert.ok(existsSync(binary), `build the app first: ${binary} is missing`);
  mkdirSync(artifacts, { recursive: true });
});

// A failed step leaves its window on file; each test's processes end with it.
afterEach(async () => {
  if (session) {
    await shot("last-failure").catch(() => undefined);
    await closeApp().catch(() => undefined);
  }
  await driver?.stop();
  simulators?.kill("SIGTERM");
  stopPid(keyring?.KEYRING_DAEMON_PID);
  stopPid(keyring?.KEYRING_BUS_PID);
  driver = simulators = keyring = sandbox = null;
});

/**
 * Connects the app to the simulated `kind` through Settings, restarts it in live mode, and runs
 * one loop: send to Zoë, her completion, the approval, the note in the ATS.
 */
async function connectAndLoop(kind, label) {
  await setUp(kind);

  // 1. Settings → Connections: the simulated Willo and ATS, each tested.
  const first = await openApp();
  assert.equal(first.mode, "sandbox", "a new user starts in the sandbox");
  await waitFor("the welcome", async () => (await session.count("#welcome-title")) === 1);
  await click("button", "Explore the sandbox");
  await key("6", true);
  await waitFor("Settings", async () => (await session.text("#screen-title")) === "Settings");

  await click("section[aria-label=Connections] label", "custom");
  await typeInto("willoUrl", sandbox.willoBaseUrl);
  await typeInto("willoKey", sandbox.willoApiKey);
  await click(`section[aria-label=Connections] input[name=ats][value=${kind}]`);
  await waitFor(`the ${label} fields`, async () => (await session.execute("return document.querySelector('#atsSecret')?.parentElement.textContent.trim();")) === (kind === "ashby" ? "API key" : "API token"));
  let member = null;
  if (kind === "ashby") {
    assert.equal(await session.count("#atsActingUser"), 0, "Ashby writes as its key's user: no acting user to enter");
    await typeInto("atsSecret", sandbox.ashbyApiKey);
  } else {
    // Workable writes as a member: the integration's own, looked up as an admin would.
    const response = await fetch(`${sandbox.workableBaseUrl}/members`, { headers: { authorization: `Bearer ${sandbox.workableToken}` } });
    assert.ok(response.ok, `Workable's members: ${response.status}`);
    member = (await response.json()).members.find((m) => m.email === "integrations@acme.example");
    assert.ok(member, "the integration's member in the simulated Workable");
    assert.equal(await session.count("#atsSubdomain"), 1, "Workable asks for the subdomain");
    await typeInto("atsSecret", sandbox.workableToken);
    await typeInto("atsActingUser", String(member.id));
  }
  await session.execute("document.querySelector('section[aria-label=Connections] details.custom').open = true;");
  await typeInto("atsUrl", kind === "ashby" ? sandbox.ashbyBaseUrl : sandbox.workableBaseUrl);

  await click("section[aria-label=Connections] fieldset:nth-of-type(1) button", "Test connection");
  await connectionStatus("Willo", "Willo's answer", /Willo accepts the key/);
  await click("section[aria-label=Connections] fieldset:nth-of-type(2) button", "Test connection");
  const accepted = await connectionStatus("ATS", `${label}'s answer`, /The ATS accepts the credentials and shows 3 open jobs/);
  if (member) assert.match(accepted, new RegExp(`notes will be written as ${member.name}`));
  await shot("connections");
  assert.equal(holder(), null, "nobody runs the engine on the live database yet");

  // 2. Saved: the secrets go to the keychain and the app restarts in live mode on them.
  await click("section[aria-label=Connections] button.primary", "Save and restart");
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
  assert.match(info.atsLabel, new RegExp(label));
  const jobs = await waitFor(`the jobs from the simulated ${label}`, async () => {
    const text = await session.text("[data-testid=jobs-count]");
    return text && text !== "0" ? text : null;
  }, 60_000, 500);
  assert.equal(jobs, "3");
  assert.equal(await session.count(".banner"), 0, "no sandbox banner in live mode");
  await shot("dashboard");

  // 3. One loop: sent from the list, completed, approved in the Inbox, written to the ATS.
  await key("1", true);
  await waitFor("the candidate list", async () => (await session.count("[data-testid=candidate-row] .name button")) > 0, 60_000, 500);
  await session.execute(
    "const s = document.querySelector('input[type=search]'); s.value = 'Zoë'; s.dispatchEvent(new Event('input', {bubbles: true}));",
  );
  await waitFor("the search result", async () => (await session.text("[data-testid=candidate-total]")) === "1 application");
  await click("[data-testid=candidate-row] input[type=checkbox]");
  await click("button", "Send interview to 1");
  await waitFor("the interviews", async () => (await session.count("dialog select option")) > 1, 30_000);
  await session.execute("const s = document.querySelector('dialog select'); if (!s.value) { s.value = s.options[1].value; s.dispatchEvent(new Event('change', {bubbles: true})); }");
  await waitFor("the pre-send report", async () => (await session.count("[data-testid=pre-send] tbody tr")) === 1, 30_000);
  assert.match(await session.text("[data-testid=pre-send] tbody tr"), /Will be sent/);
  await click("dialog button.primary", "Send to 1");
  await waitFor("the send", async () => /1 sent/.test((await session.text("[data-testid=send-progress]")) ?? ""), 60_000, 500);
  await click("dialog button", "Done");

  // Zoë completes her interview; the app finds out by its catch-up (no webhooks reach a desktop
  // on real accounts).
  const participant = await waitFor("Zoë's invitation in the simulated Willo", async () => {
    const all = await admin("/willo/participants");
    return all.find((p) => p.email === ZOE.email);
  });
  await admin(`/willo/participants/${participant.key}/advance`, { to: "completed" });

  await key("2", true);
  await waitFor("the completion in the inbox", async () => (await session.count("[data-testid=inbox-item]")) === 1, 90_000, 1_000);
  await click("[data-testid=inbox-item]");
  await waitFor("the review", async () => (await session.text("[data-testid=review-name]")) === "Zoë Müller");
  await key("4");
  await session.execute(
    "const t = document.querySelector('textarea'); t.focus(); t.value = arguments[0]; t.dispatchEvent(new Event('input', {bubbles: true}));",
    [COMMENT],
  );
  const approve = await session.execute("return [...document.querySelectorAll('button.primary')].find(b => b.textContent.includes('Approve and send to'))?.textContent;");
  assert.match(approve ?? "", new RegExp(`Approve and send to ${label}`), "the button names the ATS");
  await click("button.primary", "Approve and send to");
  await waitFor("the empty inbox", async () => (await session.count("[data-testid=inbox-item]")) === 0 && (await session.text("#screen-title")) === "Inbox");

  const notesForZoe = async () => (await admin(`/ats/writes?ats=${kind}&kind=note`)).filter((w) => w.candidate_id === ZOE.candidateId);
  const [note] = await waitFor(`the note in the simulated ${label}`, async () => {
    const notes = await notesForZoe();
    return notes.length > 0 ? notes : null;
  }, 60_000, 500);
  assert.ok(JSON.stringify(note.body).includes(COMMENT), `the note carries the review: ${JSON.stringify(note.body)}`);
  assert.match(JSON.stringify(note.body), /rating: 4\/5/);
  if (member) assert.equal(note.actor, String(member.id), "Workable's note is written as the acting member");

  // The list says the write-back is done; by then nothing else is on its way to the ATS.
  await key("1", true);
  await waitFor("the candidate list", async () => (await session.count("input[type=search]")) === 1);
  await session.execute(
    "const s = document.querySelector('input[type=search]'); s.value = 'Zoë'; s.dispatchEvent(new Event('input', {bubbles: true}));",
  );
  await waitFor("the synced status", async () => (await session.text("[data-testid=candidate-row] [data-status]")) === "Synced", 30_000);
  const notes = await notesForZoe();
  assert.equal(notes.length, 1, `exactly one note for Zoë in ${label}: ${JSON.stringify(notes)}`);
  await shot("synced");
  await closeApp();
}

test("connecting to Ashby through Settings, the app runs one loop on it: send, completion, approval, note", async () => {
  await connectAndLoop("ashby", "Ashby");
});

test("connecting to Workable through Settings, the app runs one loop on it: send, completion, approval, note", async () => {
  await connectAndLoop("workable", "Workable");
});
