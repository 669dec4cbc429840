// A candidate's data rights from the UI: their data exported and deleted from the timeline, with
// the deletion's progress, its report and its place among past deletions; the automation's note
// policy; the retention period in Settings. Needs `npm run build` in ui/ first.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { nav, shots, useBrowser } from "./harness.mjs";

const { open } = useBrowser();

/** The calls the app made of one command, with their arguments. */
const calls = (page, command) => page.evaluate((c) => window.__calls.filter(([name]) => name === c).map(([, args]) => args), command);

test("a candidate's data is exported, then deleted everywhere with a report of what is left to do by hand", async () => {
  const { page, errors } = await open();
  const logged = [];
  page.on("console", (message) => logged.push(message.text()));
  await nav(page, "Candidates");
  await page.getByTestId("candidate-row").first().getByRole("button").click();
  const panel = page.getByRole("complementary", { name: /^Timeline of/ });
  await panel.locator("ol").waitFor();

  await panel.getByRole("button", { name: "Export data (ZIP)" }).click();
  const saved = panel.getByRole("status").filter({ hasText: "Saved to" });
  await saved.waitFor();
  assert.match(await saved.textContent(), /willo-desk-candidate-1-.*\.zip/);
  await saved.getByRole("button", { name: "Show in folder" }).click();
  await page.waitForFunction(() => window.__calls.some(([c, a]) => c === "reveal_export" && a.path.endsWith(".zip")));
  assert.deepEqual(await calls(page, "export_candidate"), [{ applicationId: 1 }]);

  // The dialog says what happens, starts on Cancel, and Escape closes it without closing the timeline.
  const opener = panel.getByRole("button", { name: "Delete interview data…" });
  await opener.click();
  const dialog = page.getByRole("dialog", { name: /^Delete the interview data of/ });
  await dialog.waitFor();
  const said = (await dialog.textContent()).replace(/\s+/g, " ");
  for (const part of [/In Willo, the candidate is deleted/, /remove by hand/, /transcripts, summaries and reviews is removed/, /name and email stay only as your ATS's own record/]) {
    assert.match(said, part);
  }
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Cancel");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  assert.equal(await panel.count(), 1, "the timeline stays open");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Delete interview data…");
  assert.deepEqual(await calls(page, "request_erasure"), []);

  await opener.click();
  await dialog.getByRole("button", { name: "Delete everywhere" }).click();
  await dialog.getByRole("progressbar", { name: "Deleting" }).waitFor();
  assert.match(await dialog.getByRole("status").textContent(), /the deletion carries on/);
  const report = dialog.getByTestId("deletion-report");
  await report.waitFor();
  assert.equal(await dialog.getByRole("progressbar").count(), 0);
  assert.match(await report.textContent(), /Not everything could be deleted/);
  const steps = await report.getByTestId("deletion-step").allTextContents();
  assert.deepEqual(
    steps.map((s) => s.replace(/\s+/g, " ").trim()),
    [
      "Deleted In Willo: participant p-5521",
      "Remove by hand In your ATS: Greenhouse note 77120 Greenhouse's API cannot delete notes: delete it on the candidate's page. Open in your ATS ↗",
      "Already gone In your ATS: Greenhouse field “Willo score”",
    ],
  );
  assert.match(
    await report.getByTestId("local-removal").textContent(),
    /3 answers, 1 review, 0 queued items, 2 notifications from Willo, 4 activity entries, and 1 export file\./,
  );
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Done", "the focus stays in the dialog");
  await dialog.screenshot({ path: join(shots, "deletion-report.png") });
  await report.getByRole("button", { name: "Open in your ATS ↗" }).click();
  await page.waitForFunction(() => window.__calls.some(([c, a]) => c === "open_link" && a.url === "https://app.greenhouse.io/people/8001"));
  assert.deepEqual(await calls(page, "request_erasure"), [{ applicationId: 1 }]);
  assert.deepEqual(await calls(page, "erasure"), [{ erasureId: 5 }, { erasureId: 5 }, { erasureId: 5 }], "asked until finished, then no more");

  // Done: the timeline shows the deletion, and lists it among past ones, its report a click away.
  await dialog.getByRole("button", { name: "Done" }).click();
  await dialog.waitFor({ state: "detached" });
  await panel.getByText("Interview data deleted").waitFor();
  const past = panel.getByTestId("past-deletion");
  await past.waitFor();
  assert.match((await past.textContent()).replace(/\s+/g, " "), /Not complete just now by sam/);
  await past.getByText("Not complete").click();
  await past.getByTestId("deletion-step").first().waitFor();
  await panel.screenshot({ path: join(shots, "candidate-past-deletions.png") });
  assert.deepEqual(logged, [], "nothing about the candidate goes to the console");
  assert.deepEqual(errors, []);
});

test("the automation editor sends what the note in the ATS carries", async () => {
  const { page, errors } = await open();
  await nav(page, "Automations");
  await page.getByTestId("automation-card").first().waitFor();
  await page.getByRole("button", { name: "Edit" }).click();
  const policy = page.getByLabel("What the note in the ATS carries");
  assert.equal(await policy.inputValue(), "everything", "from the saved automation");
  await policy.selectOption({ label: "Summary and links (no transcript text)" });
  await page.getByRole("button", { name: "Switch on" }).click();
  await page.waitForFunction(() => window.__calls.some(([c]) => c === "set_automation"));
  const [sent] = await calls(page, "set_automation");
  assert.equal(sent.request.jobId, 1);
  assert.equal(sent.request.notePolicy, "summary_and_links");

  // A new automation starts from everything.
  await page.getByRole("button", { name: "Set up" }).click();
  assert.equal(await page.getByLabel("What the note in the ATS carries").inputValue(), "everything");
  assert.deepEqual(errors, []);
});

test("Settings keeps a retention period, and shows the app's refusal of 0 days", async () => {
  const { page, errors } = await open();
  await nav(page, "Settings");
  const section = page.getByRole("region", { name: "Data retention" });
  const runs = section.getByTestId("retention-runs");
  await runs.waitFor();
  assert.equal((await runs.textContent()).replace(/\s+/g, " ").trim(), "Last run: 3 h ago, removed 2 interviews. Next run: in 21 h.");
  assert.ok(await section.getByLabel("Remove local interview data after").isChecked());
  assert.match(await section.textContent(), /Removes only Willo Desk's copy on this computer/);
  await section.screenshot({ path: join(shots, "settings-retention.png") });

  const days = section.getByLabel("Days to keep local interview data");
  await days.fill("90");
  await section.getByRole("button", { name: "Save retention" }).click();
  await section.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  assert.equal((await runs.textContent()).replace(/\s+/g, " ").trim(), "Not run yet. Next run: shortly.");

  await days.fill("0");
  await section.getByRole("button", { name: "Save retention" }).click();
  const alert = section.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.textContent(), /retention: 0 days is outside 1 to 3650/);
  assert.equal(await days.getAttribute("aria-invalid"), "true");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "retentionDays");
  await section.screenshot({ path: join(shots, "settings-retention-refused.png") });

  await section.getByLabel("Remove local interview data after").uncheck();
  assert.ok(await days.isDisabled());
  await section.getByRole("button", { name: "Save retention" }).click();
  await alert.waitFor({ state: "detached" });
  assert.deepEqual(await calls(page, "set_retention"), [{ days: 90 }, { days: 0 }, { days: null }]);
  assert.equal(await runs.count(), 0, "no schedule while it is off");
  assert.deepEqual(errors, []);
});
