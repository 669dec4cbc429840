// The built UI in Debian's Chromium (playwright-core), with the Tauri commands mocked: every
// screen renders with data, the keyboard review flow works, a 100,000-row list scrolls and
// filters, and markup in candidates' text shows as text and runs nothing. Screenshots go to
// tests/artifacts/ui/. Needs `npm run build` in ui/ first.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { HOSTILE } from "./fixtures.mjs";
import { nav, shots, useBrowser } from "./harness.mjs";

const { open } = useBrowser();

test("every screen renders with data", async () => {
  const { page, errors } = await open();
  await page.getByTestId("job-card").first().waitFor();
  assert.equal(await page.getByTestId("job-card").count(), 2);
  assert.equal(await page.getByTestId("funnel").count(), 2);
  assert.equal(await page.locator("svg[role=img] rect").count(), 14 * 3, "one column per day and series");
  const budget = page.getByTestId("willo-budget");
  await budget.screenshot({ path: join(shots, "dashboard-willo-budget.png") });
  assert.match(await budget.getByTestId("willo-day").textContent(), /33,120 of 40,000 in the last 24 hours/);
  assert.equal(await budget.getByRole("meter").getAttribute("aria-valuenow"), "33120");
  assert.match(await budget.getByRole("status").textContent(), /Close to today's limit/);
  assert.match(
    (await budget.getByTestId("willo-checks").textContent()).replace(/\s+/g, " "),
    /All 1,980 open invitations checked 4 min ago \(took 26 s\)\. The next full check takes about 24 s\./,
  );
  await page.screenshot({ path: join(shots, "dashboard.png"), fullPage: true });

  await nav(page, "Candidates");
  await page.getByTestId("candidate-row").first().getByRole("button").waitFor();
  assert.match(await page.getByTestId("candidate-total").textContent(), /240 applications/);
  await page.screenshot({ path: join(shots, "candidates.png") });

  await nav(page, "Inbox");
  assert.equal(await page.getByTestId("inbox-item").count(), 3);
  assert.equal(await page.getByTestId("count-inbox").textContent(), "3");
  await page.screenshot({ path: join(shots, "inbox.png") });

  await page.getByTestId("inbox-item").first().click();
  await page.getByTestId("review-name").waitFor();
  await page.screenshot({ path: join(shots, "review.png"), fullPage: true });

  await nav(page, "Automations");
  await page.getByTestId("automation-card").first().waitFor();
  assert.equal(await page.getByTestId("automation-card").count(), 2);
  await page.getByRole("button", { name: "Set up" }).click();
  assert.ok(await page.getByRole("button", { name: "Dry run" }).isDisabled(), "no dry run before a trigger stage is chosen");
  await page.getByLabel("Screening").check();
  await page.getByRole("button", { name: "Dry run" }).click();
  await page.getByTestId("dry-run").waitFor();
  assert.match(await page.getByTestId("dry-run").textContent(), /refuse: The candidate has no email/);
  await page.screenshot({ path: join(shots, "automations.png"), fullPage: true });

  await nav(page, "Activity");
  await page.getByTestId("failed-item").waitFor();
  assert.equal(await page.getByTestId("activity-row").count(), 3);
  await page.getByRole("button", { name: "Retry" }).click();
  await page.getByRole("button", { name: "Export CSV" }).click();
  await page.getByText("Saved to").waitFor();
  assert.match(await page.getByRole("status").filter({ hasText: "Saved to" }).textContent(), /Downloads/);
  await page.getByRole("button", { name: "Show in folder" }).click();
  await page.waitForFunction(() => window.__calls.some(([c, a]) => c === "reveal_export" && a.path.endsWith(".csv")));
  await page.screenshot({ path: join(shots, "activity.png"), fullPage: true });

  await nav(page, "Settings");
  await page.getByRole("button", { name: "Register with Willo" }).click();
  await page.getByText("Willo has 4 webhooks for us.").waitFor();
  assert.equal(await page.getByTestId("data-dir").textContent(), "/tmp/willo-desk");
  await page.getByRole("button", { name: "Clear local data…" }).click();
  await page.getByRole("button", { name: "Keep it" }).click();
  await page.getByRole("button", { name: "Run the checks" }).click();
  assert.equal(await page.getByTestId("finding").count(), 2);
  await page.screenshot({ path: join(shots, "settings.png"), fullPage: true });

  const calls = await page.evaluate(() => window.__calls.map(([c]) => c));
  for (const command of ["overview", "candidates", "inbox", "review_detail", "automations", "dry_run", "activity", "failed_work", "retry", "export_activity", "settings", "doctor"]) {
    assert.ok(calls.includes(command), `${command} was called`);
  }
  assert.deepEqual(errors, []);
});

test("a recruiter reviews from the keyboard: J/K, 1–5, A, S, Space and ?", async () => {
  const { page, errors } = await open();
  await nav(page, "Inbox");
  await page.getByTestId("inbox-item").first().focus();
  await page.keyboard.press("Enter");
  await page.getByTestId("review-name").waitFor();
  assert.equal(await page.getByTestId("review-name").textContent(), "Zoë Müller");

  await page.keyboard.press("j");
  await page.waitForFunction(() => document.querySelector("[data-testid=review-name]")?.textContent?.startsWith("Mallory"));
  await page.keyboard.press("k");
  await page.waitForFunction(() => document.querySelector("[data-testid=review-name]")?.textContent === "Zoë Müller");

  await page.keyboard.press("?");
  await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
  await page.keyboard.press("?");
  await page.keyboard.press(" "); // nothing to play here: must not throw

  await page.keyboard.press("4");
  await page.getByLabel("Comment").fill("Great answers; a strong yes.");
  await page.getByLabel(/Keep this transcript out of /).first().check();
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("a");
  await page.waitForFunction(() => document.querySelector("[data-testid=review-name]")?.textContent?.startsWith("Mallory"));
  const approve = await page.evaluate(() => window.__calls.find(([c]) => c === "approve")?.[1]);
  assert.equal(approve.invitationId, 1);
  assert.equal(approve.review.rating, 4);
  assert.equal(approve.review.comment, "Great answers; a strong yes.");
  assert.deepEqual(approve.review.redactions, ["q1"]);

  await page.keyboard.press("s");
  await page.waitForFunction(() => document.querySelector("[data-testid=review-name]")?.textContent === "Kenji Watanabe");
  const skipped = await page.evaluate(() => window.__calls.filter(([c]) => c === "skip").map(([, a]) => a.invitationId));
  assert.deepEqual(skipped, [2]);
  assert.deepEqual(errors, []);
});

test("a 100,000-row list scrolls and filters while rendering only what is in view", async () => {
  const { page, errors } = await open({ candidateTotal: 100_000 });
  await nav(page, "Candidates");
  await page.getByTestId("candidate-row").first().getByRole("button").waitFor();
  assert.match(await page.getByTestId("candidate-total").textContent(), /100,000 applications/);
  const rendered = await page.getByTestId("candidate-row").count();
  assert.ok(rendered < 80, `only the rows in view are in the DOM (${rendered})`);

  await page.locator("[role=grid]").evaluate((el) => (el.scrollTop = el.scrollHeight));
  await page.waitForFunction(() => [...document.querySelectorAll("[data-testid=candidate-row] button")].some((b) => b.textContent?.includes("99999")));
  assert.ok((await page.getByTestId("candidate-row").count()) < 80);
  await page.screenshot({ path: join(shots, "candidates-100k-bottom.png") });

  await page.keyboard.press("/");
  await page.keyboard.type("Ada12");
  await page.waitForFunction(() => /^\d+ applications$/.test(document.querySelector("[data-testid=candidate-total]")?.textContent ?? "") && !document.querySelector("[data-testid=candidate-total]")?.textContent?.startsWith("100,000"));
  const names = await page.locator("[data-testid=candidate-row] button").allTextContents();
  assert.ok(names.length > 0 && names.every((n) => n.startsWith("Ada12")), names.join(", "));

  // Select two and open the pre-send report.
  await page.getByRole("checkbox").nth(0).check();
  await page.getByRole("checkbox").nth(1).check();
  await page.getByRole("button", { name: "Send interview to 2" }).click();
  await page.getByTestId("pre-send").waitFor();
  await page.getByRole("button", { name: /^Send to/ }).click();
  await page.getByTestId("send-progress").waitFor();
  assert.match(await page.getByTestId("send-progress").textContent(), /2 sent · 1 refused/);
  await page.screenshot({ path: join(shots, "send.png") });
  assert.deepEqual(errors, []);
});

test("markup in names, answers, transcripts and summaries is shown as text and runs nothing", async () => {
  const { page, errors } = await open();
  await nav(page, "Inbox");
  assert.ok((await page.getByTestId("inbox-item").nth(1).textContent()).includes("<img src=x"));
  await page.getByTestId("inbox-item").nth(1).click();
  await page.getByTestId("review-name").waitFor();
  assert.ok((await page.getByTestId("review-name").textContent()).includes(HOSTILE));
  assert.ok((await page.getByTestId("summary").textContent()).includes(HOSTILE));
  assert.ok((await page.getByTestId("transcript").textContent()).includes(HOSTILE));
  await nav(page, "Activity");
  await page.getByTestId("activity-row").first().waitFor();
  await page.waitForTimeout(300);
  const injected = await page.evaluate(() => ({
    xss: window.__xss ?? null,
    images: document.querySelectorAll("img").length,
    scripts: [...document.querySelectorAll("script")].filter((s) => !s.src).length,
  }));
  assert.deepEqual(injected, { xss: null, images: 0, scripts: 0 });
  assert.deepEqual(errors, []);
});

test("the layout holds at 1024×700", async () => {
  const { page, errors } = await open({}, { width: 1024, height: 700 });
  await nav(page, "Candidates");
  await page.getByTestId("candidate-row").first().getByRole("button").waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, "no sideways scrolling");
  await page.screenshot({ path: join(shots, "candidates-1024.png") });
  assert.deepEqual(errors, []);
});

test("first run: the welcome leads to the connections, each tested before saving", async () => {
  const { page, errors } = await open();
  await page.getByRole("heading", { name: "Welcome to Willo Desk" }).waitFor();
  await page.getByRole("button", { name: "Connect my accounts" }).click();
  await page.getByRole("region", { name: "Connections" }).waitFor();
  assert.equal(await page.getByRole("heading", { name: "Welcome to Willo Desk" }).count(), 0, "chosen once, gone");

  await page.getByLabel("API key").first().fill("willo-key-123");
  await page.getByRole("button", { name: "Test connection" }).first().click();
  await page.getByText("Willo accepts the key and it sees 2 interviews").waitFor();
  // The scheme Willo accepted is for support, behind Details.
  const scheme = page.locator("details", { hasText: "The key is sent with bearer authorisation." });
  assert.equal(await scheme.evaluate((d) => d.open), false, "closed until asked for");
  await scheme.getByText("Details", { exact: true }).click();
  assert.equal(await scheme.evaluate((d) => d.open), true);
  await page.getByLabel("Client id").fill("client-1");
  await page.getByLabel("Client secret").fill("secret-456");
  await page.getByLabel("Acting user id").fill("503");
  await page.getByRole("button", { name: "Test connection" }).nth(1).click();
  await page.getByText("notes will be written as Sam Recruiter").waitFor();
  await page.screenshot({ path: join(shots, "connections.png"), fullPage: true });
  await page.getByRole("button", { name: "Save and restart on these accounts" }).click();
  const saved = await page.waitForFunction(() => window.__calls.find(([c]) => c === "save_connections")?.[1]).then((h) => h.jsonValue());
  assert.equal(saved.willoKey, "willo-key-123");
  assert.equal(saved.atsSecret, "secret-456");
  assert.deepEqual(
    { env: saved.connections.willoEnvironment, ats: saved.connections.ats, client: saved.connections.atsClientId, user: saved.connections.atsActingUser },
    { env: "production", ats: "greenhouse", client: "client-1", user: "503" },
  );
  assert.deepEqual(errors, []);
});

test("each ATS asks for what it needs, and the sandbox switches to another simulated ATS", async () => {
  const { page, errors } = await open();
  await nav(page, "Settings");
  const connections = page.getByRole("region", { name: "Connections" });
  await connections.waitFor();
  const ats = connections.getByRole("group", { name: "ATS", exact: true });

  await ats.getByLabel("Workable").check();
  for (const label of ["Subdomain", "API token", "Acting member id"]) {
    assert.equal(await ats.getByLabel(label, { exact: true }).count(), 1, label);
  }
  assert.equal(await ats.getByLabel("Client id").count(), 0, "Greenhouse's client id is not asked of Workable");
  assert.match(await ats.textContent(), /r_jobs, r_candidates, w_candidates and w_comments/);
  await ats.getByLabel("Subdomain").fill("acme");
  await ats.getByLabel("API token").fill("workable-token");
  await ats.getByLabel("Acting member id").fill("13e0eb0e");
  await page.screenshot({ path: join(shots, "connections-workable.png"), fullPage: true });

  await ats.getByLabel("Ashby").check();
  assert.equal(await ats.getByLabel(/Acting (user|member) id/).count(), 0, "Ashby writes as the key's own user");
  assert.match(await ats.textContent(), /Ashby writes notes and moves as the API key's own user/);
  assert.equal(await ats.getByLabel("API key", { exact: true }).inputValue(), "workable-token", "the secret typed stays while choosing");
  await ats.getByLabel("Workable").check();

  await connections.getByLabel("API key", { exact: true }).first().fill("willo-key-123");
  await page.getByRole("button", { name: "Save and restart on these accounts" }).click();
  const saved = await page.waitForFunction(() => window.__calls.find(([c]) => c === "save_connections")?.[1]).then((h) => h.jsonValue());
  assert.deepEqual(
    { ats: saved.connections.ats, subdomain: saved.connections.atsSubdomain, member: saved.connections.atsActingUser, secret: saved.atsSecret },
    { ats: "workable", subdomain: "acme", member: "13e0eb0e", secret: "workable-token" },
  );

  // In the sandbox: another simulated ATS, and a restart on it.
  const simulated = connections.getByRole("group", { name: "Simulated ATS" });
  const switchButton = simulated.getByRole("button", { name: "Switch and restart" });
  assert.equal(await simulated.getByLabel("Greenhouse").isChecked(), true, "the one running is shown");
  assert.equal(await switchButton.isDisabled(), true, "nothing to switch to yet");
  await simulated.getByLabel("Ashby").check();
  await switchButton.click();
  const chosen = await page.waitForFunction(() => window.__calls.find(([c]) => c === "choose_sandbox_ats")?.[1]).then((h) => h.jsonValue());
  assert.deepEqual(chosen, { ats: "ashby" });
  assert.deepEqual(errors, []);
});
