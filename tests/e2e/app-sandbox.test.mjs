// The built app, under Xvfb, in sandbox mode: its window shows the skeleton with real data.
// Needs the binary (WILLO_DESK_BIN, default target/debug/willo-desk), Xvfb, dbus-run-session and
// WebKitWebDriver. Screenshots go to tests/artifacts/.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { environ, named, tree } from "./processes.mjs";
import { Session, startDriver, waitFor } from "./webdriver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const binary = resolve(process.env.WILLO_DESK_BIN ?? join(root, "target/debug/willo-desk"));
const artifacts = join(root, "tests/artifacts");

let driver;
let session;

before(async () => {
  assert.ok(existsSync(binary), `build the app first: ${binary} is missing`);
  mkdirSync(artifacts, { recursive: true });
  driver = await startDriver();
  session = await Session.start(driver, binary);
});

after(async () => {
  await session?.end();
  await driver?.stop();
});

test("the window opens in sandbox mode with navigation, the banner and data from the simulators", async () => {
  const jobs = await waitFor("the jobs count", async () => {
    const text = await session.text("[data-testid=jobs-count]");
    return text === "3" ? text : null;
  });
  assert.equal(jobs, "3", "three open jobs synced from the simulated Greenhouse");
  assert.equal(await session.text("[data-testid=candidates-count]"), "40");
  assert.equal(await session.count("[data-testid=job-card]"), 3);

  const nav = await session.execute("return [...document.querySelectorAll('nav[aria-label=Main] button')].map(b => b.firstElementChild.textContent);");
  assert.deepEqual(nav, ["Candidates", "Inbox", "Automations", "Activity", "Dashboard", "Settings"]);
  const banner = await session.text("[role=status]");
  assert.match(banner, /Sandbox/i);
  assert.match(banner, /demo data/);

  writeFileSync(join(artifacts, "app-sandbox-dashboard.png"), await session.screenshot());

  // First run: the welcome offers the sandbox or real accounts; exploring dismisses it for good.
  assert.equal(await session.text("#welcome-title"), "Welcome to Willo Desk");
  await session.execute("[...document.querySelectorAll('button')].find(b => b.textContent.includes('Explore the sandbox')).click();");
  await waitFor("the welcome to go", async () => (await session.count("#welcome-title")) === 0);
});

test("Ctrl+digit switches screens", async () => {
  await session.execute("window.dispatchEvent(new KeyboardEvent('keydown', {key: '2', ctrlKey: true}));");
  await waitFor("the Inbox screen", async () => (await session.text("#screen-title")) === "Inbox");
  writeFileSync(join(artifacts, "app-sandbox-inbox.png"), await session.screenshot());
  await session.execute("window.dispatchEvent(new KeyboardEvent('keydown', {key: '5', ctrlKey: true}));");
  await waitFor("the Dashboard", async () => (await session.text("#screen-title")) === "Dashboard");
});

/**
 * WEBKIT_DISABLE_COMPOSITING_MODE as the web processes of the app on `dataDir` were given it (the
 * app sets it for itself before GTK starts, which its own /proc entry does not show).
 */
function compositingOf(dataDir) {
  const web = named(tree(binary), "WebKitWebProces").filter((pid) => environ(pid).includes(`WILLO_DESK_DATA_DIR=${dataDir}`));
  assert.ok(web.length > 0, "the app has a web process");
  return [...new Set(web.map((pid) => environ(pid).find((v) => v.startsWith("WEBKIT_DISABLE_COMPOSITING_MODE="))))];
}

test("the page draws without WebKit's OpenGL compositing, unless the environment asks for it", async () => {
  assert.deepEqual(compositingOf(driver.env.WILLO_DESK_DATA_DIR), ["WEBKIT_DISABLE_COMPOSITING_MODE=1"]);
  const asking = await startDriver({ env: { WEBKIT_DISABLE_COMPOSITING_MODE: "0" } });
  try {
    const other = await Session.start(asking, binary);
    await waitFor("the composited window's data", async () => (await other.text("[data-testid=jobs-count]")) === "3");
    assert.deepEqual(compositingOf(asking.env.WILLO_DESK_DATA_DIR), ["WEBKIT_DISABLE_COMPOSITING_MODE=0"]);
    await other.end();
  } finally {
    await asking.stop();
  }
});

/** Clicks the first element matching `selector` whose text includes `text` (all of them when no text). */
async function click(selector, text = "") {
  const clicked = await session.execute(
    "const e = [...document.querySelectorAll(arguments[0])].find(x => x.textContent.includes(arguments[1])); if (e) e.click(); return !!e;",
    [selector, text],
  );
  assert.ok(clicked, `nothing to click: ${selector} ${text}`);
}

async function key(k, ctrl = false) {
  await session.execute("window.dispatchEvent(new KeyboardEvent('keydown', {key: arguments[0], ctrlKey: arguments[1], bubbles: true}));", [k, ctrl]);
}

async function shot(name) {
  writeFileSync(join(artifacts, `app-sandbox-${name}.png`), await session.screenshot());
}

/** Calls one of the app's commands from the page, as the UI does. */
async function invoke(command, args = {}) {
  return session.command("POST", "/execute/async", {
    script: "const done = arguments[arguments.length - 1]; window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then(done, (e) => done({ error: e }));",
    args: [command, args],
  });
}

/** Types into the candidate search as a recruiter does: `/`, then the text. */
async function search(text) {
  await key("/");
  await session.execute(
    "const s = document.activeElement; s.value = arguments[0]; s.dispatchEvent(new Event('input', {bubbles: true}));",
    [text],
  );
}

test("a recruiter sends from the candidate list, sees it complete, approves it, and the note reaches the ATS", async () => {
  await key("1", true);
  await waitFor("the candidate list", async () => (await session.count("[data-testid=candidate-row] .name button")) > 0);

  // Searching after scrolling down shows the matches (the list used to stay blank).
  await session.execute("const g = document.querySelector('[role=grid]'); g.scrollTop = g.scrollHeight; g.dispatchEvent(new Event('scroll'));");
  await new Promise((r) => setTimeout(r, 300));
  await search("m");
  await waitFor("matches in view after scrolling", async () => {
    const total = await session.text("[data-testid=candidate-total]");
    const shown = await session.count("[data-testid=candidate-row] .name button");
    return total !== "…" && !/^4\d applications/.test(total) && shown > 0 && shown === Number.parseInt(total, 10) ? shown : null;
  });

  await search("Zoë");
  await waitFor("the search result", async () => (await session.text("[data-testid=candidate-total]")) === "1 application");
  await shot("candidates");
  await click("[data-testid=candidate-row] input[type=checkbox]");
  await click("button", "Send interview to 1");
  // Nothing was sent for this job and it has no automation: no interview is chosen for the
  // recruiter, so nothing is checked or sent until they choose.
  await waitFor("the interviews", async () => (await session.count("dialog select option")) > 1);
  assert.equal(await session.execute("return document.querySelector('dialog select').value;"), "", "no interview by default");
  assert.equal(await session.count("[data-testid=pre-send]"), 0);
  await session.execute("const s = document.querySelector('dialog select'); s.value = s.options[1].value; s.dispatchEvent(new Event('change', {bubbles: true}));");
  await waitFor("the pre-send report", async () => (await session.count("[data-testid=pre-send] tbody tr")) === 1);
  assert.match(await session.text("[data-testid=pre-send] tbody tr"), /Will be sent/);
  await shot("send-report");
  await click("dialog button.primary", "Send to 1");
  await waitFor("the send", async () => /1 sent/.test((await session.text("[data-testid=send-progress]")) ?? ""), 30_000);
  await shot("send-progress");
  await click("dialog button", "Done");

  // The simulated candidate opens, starts and completes the interview within about 40 s; the
  // completion reaches the app by webhook and the list re-reads.
  await waitFor(
    "the completion",
    async () => (await session.text("[data-testid=candidate-row] [data-status]")) === "Completed",
    120_000,
    1_000,
  );
  await click("[data-testid=candidate-row] .name button", "Zoë");
  await waitFor("the timeline", async () => (await session.count("aside li")) >= 4);
  await shot("timeline");

  await key("2", true);
  await waitFor("the inbox", async () => (await session.count("[data-testid=inbox-item]")) === 1);
  await shot("inbox");
  await click("[data-testid=inbox-item]");
  await waitFor("the review", async () => (await session.text("[data-testid=review-name]")) === "Zoë Müller");
  await key("4");
  await session.execute(
    "const t = document.querySelector('textarea'); t.focus(); t.value = 'Warm, clear answers.'; t.dispatchEvent(new Event('input', {bubbles: true}));",
  );
  // Esc in the comment leaves the comment only; leaving the review keeps the work as a draft.
  await session.execute("document.querySelector('textarea').dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}));");
  assert.equal(await session.text("[data-testid=review-name]"), "Zoë Müller", "the review is still open");
  await waitFor("the draft saved", async () => (await session.text("[data-testid=draft]")) === "Draft saved", 10_000);
  await key("1", true);
  await waitFor("the candidate list", async () => (await session.text("#screen-title")) === "Candidates");
  await key("2", true);
  await waitFor("the inbox", async () => (await session.count("[data-testid=inbox-item]")) === 1);
  await click("[data-testid=inbox-item]");
  await waitFor("the review with its draft", async () => (await session.execute("return document.querySelector('textarea')?.value;")) === "Warm, clear answers.");
  assert.equal(
    await session.execute("return document.querySelector('[aria-label=\"Your review\"] .star[aria-pressed=true]')?.textContent;"),
    "4",
    "the rating came back too",
  );
  await shot("review");
  // The answer's video decodes and plays in the window (which WebKit draws without compositing).
  const played = await session.command("POST", "/execute/async", {
    script: `const done = arguments[arguments.length - 1];
      const video = document.querySelector("video");
      if (!video) return done(null);
      video.muted = true;
      const from = video.currentTime;
      video.play().then(
        () => setTimeout(() => { const at = video.currentTime; video.pause(); done({ from, at, width: video.videoWidth }); }, 1500),
        (error) => done({ error: String(error) }),
      );`,
    args: [],
  });
  assert.ok(played?.at > played?.from && played.width > 0, `the answer's video plays: ${JSON.stringify(played)}`);
  await click("button.primary", "Approve and send to");
  await waitFor("the empty inbox", async () => (await session.count("[data-testid=inbox-item]")) === 0 && (await session.text("#screen-title")) === "Inbox");

  const info = await invoke("app_info");
  const admin = `${info.sandboxOrigin}/_admin/ats/writes?ats=greenhouse&kind=note`;
  const note = await waitFor("the note in the simulated Greenhouse", async () => {
    const notes = await (await fetch(admin)).json();
    return notes.find((n) => JSON.stringify(n.body).includes("Warm, clear answers."));
  }, 30_000);
  assert.match(JSON.stringify(note.body), /rating: 4\/5/);

  await key("1", true);
  await waitFor("the candidate list", async () => (await session.count("input[type=search]")) === 1);
  await session.execute(
    "const s = document.querySelector('input[type=search]'); s.value = 'Zoë'; s.dispatchEvent(new Event('input', {bubbles: true}));",
  );
  await waitFor("the synced status", async () => (await session.text("[data-testid=candidate-row] [data-status]")) === "Synced", 30_000);
  for (const [digit, name] of [["3", "automations"], ["4", "activity"], ["6", "settings"], ["5", "dashboard"]]) {
    await key(digit, true);
    await waitFor(name, async () => (await session.text("#screen-title")).toLowerCase() === name);
    await new Promise((r) => setTimeout(r, 800));
    await shot(name === "dashboard" ? "dashboard-after" : name);
  }
});

test("the recruiter deletes Zoë's interview data from her timeline: Willo no longer has her and the report says what is left", async () => {
  const info = await invoke("app_info");
  const zoeInWillo = async () => {
    const participants = await (await fetch(`${info.sandboxOrigin}/_admin/willo/participants`)).json();
    return participants.filter((p) => JSON.stringify(p).includes("zoe.mueller@example.de")).length;
  };
  assert.equal(await zoeInWillo(), 1, "sent and completed by the test before");
  await key("1", true);
  await waitFor("the candidate list", async () => (await session.count("input[type=search]")) === 1);
  await search("Zoë");
  await waitFor("the search result", async () => (await session.text("[data-testid=candidate-total]")) === "1 application");
  await click("[data-testid=candidate-row] .name button", "Zoë");
  await waitFor("the timeline", async () => (await session.count("aside li")) >= 4);
  await click("button", "Delete interview data…");
  await waitFor("the confirmation", async () => (await session.count("dialog button.danger")) === 1);
  await click("dialog button.danger", "Delete everywhere");
  // The engine's loop carries it out at its next turn.
  await waitFor("the report", async () => (await session.count("[data-testid=deletion-step]")) > 0 && (await session.count("dialog button.primary")) === 1 && /Done/.test(await session.text("dialog button.primary")), 60_000, 500);
  const report = await session.text("[data-testid=deletion-report]");
  assert.match(report, /Deleted/);
  assert.match(report, /Remove by hand/, "the simulated Greenhouse cannot delete its note");
  assert.doesNotMatch(report, /zoe\.mueller|Müller/, "the report names no one");
  await shot("deletion-report");
  assert.equal(await zoeInWillo(), 0, "her participant is gone from Willo");
  await click("dialog button.primary", "Done");
  await waitFor("the timeline's last step", async () => /Interview data deleted/.test(await session.text("aside")), 10_000);
  await waitFor("the list's status", async () => (await session.text("[data-testid=candidate-row] [data-status]")) === "Data deleted", 10_000);
});

test("a candidate whose name and transcript hold markup is shown as text and runs nothing", async () => {
  const { sandboxOrigin } = await invoke("app_info");
  const admin = `${sandboxOrigin}/_admin`;
  // José Álvarez, renamed in the simulated Greenhouse; simulated candidates say their name in
  // their first answer, so the markup reaches the transcript too.
  const first = `<img src=x onerror="window.__xss = 1">José`;
  const last = `<script>window.__xss = 2</script>Álvarez`;
  const renamed = await fetch(`${admin}/ats/candidates/7003/name`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ first_name: first, last_name: last }),
  });
  assert.equal(renamed.status, 204);
  const synced = await invoke("sync_ats");
  assert.equal(synced.error, undefined, JSON.stringify(synced.error));

  await key("1", true);
  await waitFor("the candidate list", async () => (await session.count("input[type=search]")) === 1);
  await session.execute(
    "const s = document.querySelector('input[type=search]'); s.value = 'José'; s.dispatchEvent(new Event('input', {bubbles: true}));",
  );
  await waitFor("the renamed candidate", async () => (await session.text("[data-testid=candidate-row] .name button"))?.includes("<img"));
  await click("[data-testid=candidate-row] input[type=checkbox]");
  await click("button", "Send interview to 1");
  await waitFor("the interviews", async () => (await session.count("dialog select option")) > 1);
  await session.execute("const s = document.querySelector('dialog select'); if (!s.value) { s.value = s.options[1].value; s.dispatchEvent(new Event('change', {bubbles: true})); }");
  await waitFor("the pre-send report", async () => (await session.count("[data-testid=pre-send] tbody tr")) === 1);
  await click("dialog button.primary", "Send to 1");
  await waitFor("the send", async () => /1 sent/.test((await session.text("[data-testid=send-progress]")) ?? ""), 30_000);
  await click("dialog button", "Done");

  const participant = await waitFor("the participant in the simulated Willo", async () => {
    const all = await (await fetch(`${admin}/willo/participants`)).json();
    return all.find((p) => p.email === "jose.alvarez@example.es");
  });
  const advanced = await fetch(`${admin}/willo/participants/${participant.key}/advance`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ to: "completed" }),
  });
  assert.ok(advanced.ok);

  await key("2", true);
  await waitFor("the completion in the inbox", async () => (await session.count("[data-testid=inbox-item]")) === 1, 60_000, 500);
  await click("[data-testid=inbox-item]");
  await waitFor("the review", async () => (await session.text("[data-testid=review-name]"))?.includes("José"));
  await waitFor("the transcript", async () => (await session.count(".transcript .line")) > 0);
  await shot("hostile-review");

  const page = await session.execute(`return {
    name: document.querySelector('[data-testid=review-name]').textContent,
    transcripts: [...document.querySelectorAll('.transcript')].map((t) => t.textContent).join(' '),
    xss: window.__xss ?? null,
    images: document.querySelectorAll('img[src="x"]').length,
    inlineScripts: [...document.querySelectorAll('script')].filter((s) => !s.src).length,
  };`);
  assert.equal(page.name.trim(), `${first} ${last}`, "the name is shown as the text it is");
  assert.ok(page.transcripts.includes(`Hi, I'm ${first}.`), "the transcript shows the markup as text");
  assert.deepEqual({ xss: page.xss, images: page.images, inlineScripts: page.inlineScripts }, { xss: null, images: 0, inlineScripts: 0 });
});

test("commands given the wrong types, empty, too long or hostile values answer with a clear error and change nothing", async () => {
  const before = await invoke("candidates", { query: { search: null, jobId: null, stageId: null, status: null, offset: 0, limit: 1 } });
  const cases = [
    ["candidates", { query: "everyone" }, /query/],
    ["candidates", { query: { search: "x".repeat(5_000), jobId: null, stageId: null, status: null, offset: 0, limit: 50 } }, /search: at most 200/],
    ["candidates", { query: { search: null, jobId: null, stageId: null, status: "'; DROP TABLE candidates; --", offset: 0, limit: 50 } }, /status/],
    ["timeline", { applicationId: "one" }, /applicationId/],
    ["timeline", { applicationId: 987654 }, /application/],
    ["pre_send", { applicationIds: [], interviewKey: "" }, /selection/],
    ["approve", { invitationId: -1, review: {} }, /invitationId/],
    ["open_link", { url: "javascript:alert(1)" }, /link: javascript: links are not opened/],
    ["open_link", { url: 42 }, /url/],
    ["save_settings", { settings: "loud" }, /settings/],
  ];
  for (const [command, args, expected] of cases) {
    const answer = await invoke(command, args);
    assert.ok(answer?.error, `${command} ${JSON.stringify(args).slice(0, 80)} was accepted: ${JSON.stringify(answer).slice(0, 200)}`);
    const message = typeof answer.error === "string" ? answer.error : answer.error.message;
    assert.match(message, expected, `${command}: ${message}`);
    assert.ok(message.length < 400, `${command}: the message is short enough to read: ${message.length} characters`);
  }
  const after = await invoke("candidates", { query: { search: null, jobId: null, stageId: null, status: null, offset: 0, limit: 1 } });
  assert.equal(after.total, before.total, "the list is as it was");
});
