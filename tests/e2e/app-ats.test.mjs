// The real app on each of the newer ATSs, Ashby and Workable, as a recruiter connects to them:
// the simulators run as a separate `willo-desk sandbox --manual` process, Settings → Connections
// is given the simulated Willo and the chosen ATS as custom URLs and tests both, the app restarts
// in live mode reading its secrets from a real Secret Service, and one whole loop runs on that
// ATS: the recruiter sends Zoë Müller an interview from the candidate list, she completes it
// (through the simulators' admin API), the recruiter approves it in the Inbox, and exactly one
// note reaches the ATS. Each ATS gets its own data folder, keyring, simulators and window.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterEach, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { alive, App, Keyring } from "./real-accounts.mjs";
import { waitFor } from "./webdriver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const binary = resolve(process.env.WILLO_DESK_BIN ?? join(root, "target/debug/willo-desk"));
const artifacts = join(root, "tests/artifacts");

/** Zoë Müller in the simulators' demo data: her email, and her candidate id in the ATS's records. */
const ZOE = { email: "zoe.mueller@example.de", candidateId: 7002 };
/** The review comment the recruiter writes; the note in the ATS must carry it. */
const COMMENT = "Clear, warm answers; invite to the next round.";

// The current test's world: set up by `setUp`, torn down after each test.
let keyring;
let app;
let sandbox;

/** A fresh data folder, keyring, simulators and driver for `kind`'s test. */
async function setUp(kind) {
  const dataDir = mkdtempSync(join(tmpdir(), `willo-desk-e2e-${kind}-`));
  keyring = Keyring.start();
  app = new App({ binary, dataDir, shots: join(artifacts, `app-ats-${kind}-`) });
  sandbox = await app.startSimulators(["--manual", "--ats", kind]);
  await app.startDriver(keyring);
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

/**
 * Types `value` into the input with id `id`, as a user would. By id, not label: Willo's key and
 * Ashby's key are both labelled "API key".
 */
async function typeInto(id, value) {
  const typed = await app.session.execute(
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
  await app.session.execute("window.dispatchEvent(new KeyboardEvent('keydown', {key: arguments[0], ctrlKey: arguments[1], bubbles: true}));", [k, ctrl]);
}

/** Waits for the status line of the Connections fieldset `legend`; an error shown there fails at once. */
async function connectionStatus(legend, what, pattern, ms = 30_000) {
  const { ok, error } = await waitFor(what, async () => {
    const found = await app.session.execute(
      `const f = [...document.querySelectorAll('section[aria-label=Connections] fieldset')].find(x => x.querySelector('legend')?.textContent === arguments[0]);
       return { ok: f?.querySelector('.ok')?.textContent.trim() ?? null, error: f?.querySelector('[role=alert]')?.textContent.trim() ?? null };`,
      [legend],
    );
    return found.error || (found.ok && pattern.test(found.ok)) ? found : null;
  }, ms);
  assert.equal(error, null, `${legend} refused the connection`);
  return ok;
}

before(() => {
  assert.ok(existsSync(binary), `build the app first: ${binary} is missing`);
  mkdirSync(artifacts, { recursive: true });
});

// A failed step leaves its window on file; each test's processes end with it.
afterEach(async () => {
  await app?.closeLeftOpen();
  await app?.stop();
  keyring?.stop();
  app = keyring = sandbox = null;
});

/**
 * Connects the app to the simulated `kind` through Settings, restarts it in live mode, and runs
 * one loop: send to Zoë, her completion, the approval, the note in the ATS.
 */
async function connectAndLoop(kind, label) {
  await setUp(kind);

  // 1. Settings → Connections: the simulated Willo and ATS, each tested.
  const first = await app.open();
  assert.equal(first.mode, "sandbox", "a new user starts in the sandbox");
  await waitFor("the welcome", async () => (await app.session.count("#welcome-title")) === 1);
  await app.click("button", "Explore the sandbox");
  await key("6", true);
  await waitFor("Settings", async () => (await app.session.text("#screen-title")) === "Settings");

  await app.click("section[aria-label=Connections] label", "custom");
  await typeInto("willoUrl", sandbox.willoBaseUrl);
  await typeInto("willoKey", sandbox.willoApiKey);
  await app.click(`section[aria-label=Connections] input[name=ats][value=${kind}]`);
  await waitFor(`the ${label} fields`, async () => (await app.session.execute("return document.querySelector('#atsSecret')?.parentElement.textContent.trim();")) === (kind === "ashby" ? "API key" : "API token"));
  let member = null;
  if (kind === "ashby") {
    assert.equal(await app.session.count("#atsActingUser"), 0, "Ashby writes as its key's user: no acting user to enter");
    await typeInto("atsSecret", sandbox.ashbyApiKey);
  } else {
    // Workable writes as a member: the integration's own, looked up as an admin would.
    const response = await fetch(`${sandbox.workableBaseUrl}/members`, { headers: { authorization: `Bearer ${sandbox.workableToken}` } });
    assert.ok(response.ok, `Workable's members: ${response.status}`);
    member = (await response.json()).members.find((m) => m.email === "integrations@acme.example");
    assert.ok(member, "the integration's member in the simulated Workable");
    assert.equal(await app.session.count("#atsSubdomain"), 1, "Workable asks for the subdomain");
    await typeInto("atsSecret", sandbox.workableToken);
    await typeInto("atsActingUser", String(member.id));
  }
  await app.session.execute("document.querySelector('section[aria-label=Connections] details.custom').open = true;");
  await typeInto("atsUrl", kind === "ashby" ? sandbox.ashbyBaseUrl : sandbox.workableBaseUrl);

  await app.click("section[aria-label=Connections] fieldset:nth-of-type(1) button", "Test connection");
  await connectionStatus("Willo", "Willo's answer", /Willo accepts the key/);
  await app.click("section[aria-label=Connections] fieldset:nth-of-type(2) button", "Test connection");
  const accepted = await connectionStatus("ATS", `${label}'s answer`, /The ATS accepts the credentials and shows 3 open jobs/);
  if (member) assert.match(accepted, new RegExp(`notes will be written as ${member.name}`));
  await app.shot("connections");
  assert.equal(app.holder(), null, "nobody runs the engine on the live database yet");

  // 2. Saved: the secrets go to the keychain and the app restarts in live mode on them.
  await app.click("section[aria-label=Connections] button.primary", "Save and restart");
  await waitFor("the secrets in the keychain", async () => keyring.has("willo-api-key") && keyring.has("ats-secret"), 30_000);
  assert.ok(existsSync(join(app.dataDir, "connections.json")));
  await waitFor("the app restarted on the live database", async () => {
    const h = app.holder();
    return h && h.program === "the Willo Desk app" && alive(h.pid) ? h : null;
  }, 60_000, 250);
  // The restarted window is not under the driver's control: stop it and open one that is.
  await app.close();

  const info = await app.open();
  assert.equal(info.mode, "live", `live mode, reading the secrets from the keychain: ${info.startupProblem ?? ""}`);
  assert.equal(info.startupProblem, null);
  assert.match(info.atsLabel, new RegExp(label));
  const jobs = await waitFor(`the jobs from the simulated ${label}`, async () => {
    const text = await app.session.text("[data-testid=jobs-count]");
    return text && text !== "0" ? text : null;
  }, 60_000, 500);
  assert.equal(jobs, "3");
  assert.equal(await app.session.count(".banner"), 0, "no sandbox banner in live mode");
  await app.shot("dashboard");

  // 3. One loop: sent from the list, completed, approved in the Inbox, written to the ATS.
  await key("1", true);
  await waitFor("the candidate list", async () => (await app.session.count("[data-testid=candidate-row] .name button")) > 0, 60_000, 500);
  await app.session.execute(
    "const s = document.querySelector('input[type=search]'); s.value = 'Zoë'; s.dispatchEvent(new Event('input', {bubbles: true}));",
  );
  await waitFor("the search result", async () => (await app.session.text("[data-testid=candidate-total]")) === "1 application");
  await app.click("[data-testid=candidate-row] input[type=checkbox]");
  await app.click("button", "Send interview to 1");
  await waitFor("the interviews", async () => (await app.session.count("dialog select option")) > 1, 30_000);
  await app.session.execute("const s = document.querySelector('dialog select'); if (!s.value) { s.value = s.options[1].value; s.dispatchEvent(new Event('change', {bubbles: true})); }");
  await waitFor("the pre-send report", async () => (await app.session.count("[data-testid=pre-send] tbody tr")) === 1, 30_000);
  assert.match(await app.session.text("[data-testid=pre-send] tbody tr"), /Will be sent/);
  await app.click("dialog button.primary", "Send to 1");
  await waitFor("the send", async () => /1 sent/.test((await app.session.text("[data-testid=send-progress]")) ?? ""), 60_000, 500);
  await app.click("dialog button", "Done");

  // Zoë completes her interview; the app finds out by its catch-up (no webhooks reach a desktop
  // on real accounts).
  const participant = await waitFor("Zoë's invitation in the simulated Willo", async () => {
    const all = await admin("/willo/participants");
    return all.find((p) => p.email === ZOE.email);
  });
  await admin(`/willo/participants/${participant.key}/advance`, { to: "completed" });

  await key("2", true);
  await waitFor("the completion in the inbox", async () => (await app.session.count("[data-testid=inbox-item]")) === 1, 90_000, 1_000);
  await app.click("[data-testid=inbox-item]");
  await waitFor("the review", async () => (await app.session.text("[data-testid=review-name]")) === "Zoë Müller");
  await key("4");
  await app.session.execute(
    "const t = document.querySelector('textarea'); t.focus(); t.value = arguments[0]; t.dispatchEvent(new Event('input', {bubbles: true}));",
    [COMMENT],
  );
  const approve = await app.session.execute("return [...document.querySelectorAll('button.primary')].find(b => b.textContent.includes('Approve and send to'))?.textContent;");
  assert.match(approve ?? "", new RegExp(`Approve and send to ${label}`), "the button names the ATS");
  await app.click("button.primary", "Approve and send to");
  await waitFor("the empty inbox", async () => (await app.session.count("[data-testid=inbox-item]")) === 0 && (await app.session.text("#screen-title")) === "Inbox");

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
  await waitFor("the candidate list", async () => (await app.session.count("input[type=search]")) === 1);
  await app.session.execute(
    "const s = document.querySelector('input[type=search]'); s.value = 'Zoë'; s.dispatchEvent(new Event('input', {bubbles: true}));",
  );
  await waitFor("the synced status", async () => (await app.session.text("[data-testid=candidate-row] [data-status]")) === "Synced", 30_000);
  const notes = await notesForZoe();
  assert.equal(notes.length, 1, `exactly one note for Zoë in ${label}: ${JSON.stringify(notes)}`);
  await app.shot("synced");
  await app.close();
}

test("connecting to Ashby through Settings, the app runs one loop on it: send, completion, approval, note", async () => {
  await connectAndLoop("ashby", "Ashby");
});

test("connecting to Workable through Settings, the app runs one loop on it: send, completion, approval, note", async () => {
  await connectAndLoop("workable", "Workable");
});
