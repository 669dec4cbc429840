// Which interview goes out, and what the recruiter learns about it: the send dialog and the
// automation editor start from the job's interview or from none (never the first in the list),
// the pre-send report stays after the send with its refusals to copy, and a phone read in the
// default region says so. Needs the UI built first.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { nav, shots, useBrowser } from "./harness.mjs";

const { open } = useBrowser();

const calls = (page, command) => page.evaluate((c) => window.__calls.filter(([name]) => name === c).map(([, a]) => a), command);

/** The send dialog for the first `count` rows of the candidate list. */
async function sendDialog(options, count) {
  const opened = await open(options);
  const { page } = opened;
  await nav(page, "Candidates");
  await page.getByTestId("candidate-row").first().getByRole("button").first().waitFor();
  for (let i = 0; i < count; i++) await page.getByRole("checkbox").nth(i).check();
  await page.getByRole("button", { name: `Send interview to ${count}` }).click();
  await page.getByRole("dialog").getByLabel("Interview").waitFor();
  return opened;
}

test("the send dialog preselects the interview the jobs agree on", async () => {
  const { page, errors } = await sendDialog({}, 2);
  await page.getByTestId("pre-send").waitFor();
  assert.equal(await page.getByRole("dialog").getByLabel("Interview").inputValue(), "iv-2");
  const [asked] = await calls(page, "suggested_interview");
  assert.equal(asked.applicationIds.length, 2);
  assert.deepEqual((await calls(page, "pre_send")).map((a) => a.interviewKey), ["iv-2"]);
  assert.deepEqual(errors, []);
});

test("without a suggestion no interview is chosen, and nothing is checked or sent until one is", async () => {
  const { page, errors } = await sendDialog({ edit: (f) => (f.answers.suggested_interview = null) }, 2);
  const dialog = page.getByRole("dialog");
  const select = dialog.getByLabel("Interview");
  await dialog.getByText("Choose the interview to send").waitFor();
  assert.equal(await select.inputValue(), "");
  assert.equal(await select.locator("option:checked").textContent(), "Choose an interview…");
  assert.equal(await dialog.getByTestId("pre-send").count(), 0);
  assert.ok(await dialog.getByRole("button", { name: /^Send to/ }).isDisabled());
  assert.deepEqual(await calls(page, "pre_send"), []);

  await select.selectOption("iv-1");
  await dialog.getByTestId("pre-send").waitFor();
  assert.deepEqual((await calls(page, "pre_send")).map((a) => a.interviewKey), ["iv-1"]);
  assert.ok(await dialog.getByRole("button", { name: /^Send to/ }).isEnabled());
  assert.deepEqual(errors, []);
});

test("after a send, who was refused and why stays on screen and can be copied", async () => {
  const { page, errors } = await sendDialog({}, 3);
  const dialog = page.getByRole("dialog");
  const table = dialog.getByTestId("pre-send");
  await table.waitFor();
  const head = await table.locator("thead").textContent();
  assert.ok(head.includes("Phone") && !head.includes("E.164"), head);
  assert.match(await table.locator("tbody tr").nth(1).textContent(), /\+441632960001 · assumed United Kingdom, from the default region/);
  assert.doesNotMatch(await table.locator("tbody tr").nth(0).textContent(), /assumed/);

  await dialog.getByRole("button", { name: /^Send to 2/ }).click();
  await dialog.getByTestId("send-progress").waitFor();
  await dialog.getByRole("button", { name: "Done" }).waitFor();
  assert.equal(await table.count(), 1, "the report is still there under the progress");
  const refused = table.locator("tr.refused");
  assert.equal(await refused.count(), 1);
  const [name] = await refused.locator("td").first().allTextContents();

  await page.evaluate(() => {
    navigator.clipboard.writeText = async (text) => {
      window.__copied = text;
    };
  });
  await dialog.getByRole("button", { name: "Copy the refusals" }).click();
  await dialog.getByText("Copied 1 refusal.").waitFor();
  assert.equal(await page.evaluate(() => window.__copied), `${name} — The phone number cannot be used (too short): correct it in the ATS.`);
  await page.screenshot({ path: join(shots, "send-after.png") });
  assert.deepEqual(errors, []);
});

/** The automation editor of the Customer Success job, which has no automation yet. */
async function setUp(options) {
  const opened = await open(options);
  await nav(opened.page, "Automations");
  await opened.page.getByRole("button", { name: "Set up" }).click();
  await opened.page.getByTestId("automation-editor").waitFor();
  return opened;
}

test("a new automation starts from the job's suggested interview", async () => {
  const { page, errors } = await setUp({ edit: (f) => (f.answers.automations[1].suggestedInterviewKey = "iv-2") });
  assert.equal(await page.getByLabel("Interview", { exact: true }).inputValue(), "iv-2");
  assert.deepEqual(errors, []);
});

test("without a suggestion no interview is chosen, and neither a dry run nor switching on can start", async () => {
  const { page, errors } = await setUp({ edit: (f) => (f.answers.automations[1].suggestedInterviewKey = null) });
  const interview = page.getByLabel("Interview", { exact: true });
  const dry = page.getByRole("button", { name: "Dry run" });
  const on = page.getByRole("button", { name: "Switch on" });
  await page.getByLabel("Screening").check();
  assert.equal(await interview.inputValue(), "");
  assert.ok((await dry.isDisabled()) && (await on.isDisabled()));
  await page.getByText("Choose an interview first.").waitFor();

  await interview.selectOption("iv-1");
  assert.ok((await dry.isEnabled()) && (await on.isEnabled()));

  // A new rule has no interview either until one is chosen.
  await page.getByLabel("Pick by rules on the job").check();
  await page.getByRole("button", { name: "Add a rule" }).click();
  const rule = page.getByLabel("Interview for this rule");
  assert.equal(await rule.inputValue(), "");
  assert.ok(await dry.isDisabled());
  await rule.selectOption("iv-1");
  assert.ok(await dry.isEnabled());
  assert.deepEqual(errors, []);
});

test("the dry run says when a phone's country was assumed from the default region", async () => {
  const { page, errors } = await setUp();
  assert.equal(await page.getByLabel("Interview", { exact: true }).inputValue(), "iv-1");
  await page.getByLabel("Screening").check();
  await page.getByRole("button", { name: "Dry run" }).click();
  const dry = page.getByTestId("dry-run");
  await dry.waitFor();
  assert.match(
    (await dry.locator("tbody tr").first().textContent()).replace(/\s+/g, " "),
    /invite zoe@example\.com · \+447700900123 · assumed United Kingdom, from the default region/,
  );
  await page.screenshot({ path: join(shots, "automation-dry-run.png"), fullPage: true });
  assert.deepEqual(errors, []);
});
