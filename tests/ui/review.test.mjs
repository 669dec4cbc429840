// The Inbox and the review, from the keyboard: review work is kept as a draft and never lost by
// a key, the Inbox has a selection to open, answers are rated by key, a rating shows where it
// went, and an approval says what was queued for the ATS. Needs the UI built first.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { nav, shots, useBrowser } from "./harness.mjs";

const { open } = useBrowser();

const name = (page) => page.getByTestId("review-name").textContent();
const waitForName = (page, expected) =>
  page.waitForFunction((n) => document.querySelector("[data-testid=review-name]")?.textContent?.startsWith(n), expected);
const pressed = (page, scope) => page.locator(scope).locator("button[aria-pressed=true]").allTextContents();
const calls = (page, command) => page.evaluate((c) => window.__calls.filter(([name]) => name === c).map(([, a]) => a), command);

async function openFirst(page) {
  await nav(page, "Inbox");
  await page.getByTestId("inbox-item").first().click();
  await page.getByTestId("review-name").waitFor();
}

test("Esc in the comment only leaves it, and a rating and comment survive J then K", async () => {
  const { page, errors } = await open();
  await openFirst(page);
  await page.keyboard.press("4");
  await page.getByLabel("Comment").fill("Clear answers; a strong yes.");
  await page.keyboard.press("Escape");
  assert.equal(await name(page), "Zoë Müller", "the review is still open");
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), "BODY", "the text box was left");

  await page.keyboard.press("j");
  await waitForName(page, "Mallory");
  assert.deepEqual(await pressed(page, "[data-testid=overall]"), [], "the next interview starts empty");
  await page.keyboard.press("k");
  await waitForName(page, "Zoë Müller");
  await page.getByText("Draft saved").waitFor();
  assert.deepEqual(await pressed(page, "[data-testid=overall]"), ["4"]);
  assert.equal(await page.getByLabel("Comment").inputValue(), "Clear answers; a strong yes.");
  const saved = await calls(page, "save_draft");
  assert.deepEqual(saved.at(-1), {
    invitationId: 1,
    review: { rating: 4, questionRatings: {}, comment: "Clear answers; a strong yes.", redactions: [] },
  });
  await page.screenshot({ path: join(shots, "review-draft.png"), fullPage: true });
  assert.deepEqual(errors, []);
});

test("a draft survives leaving for another screen, and goes on Discard or a decision", async () => {
  const { page, errors } = await open();
  await openFirst(page);
  await page.getByTestId("answer").first().getByRole("button", { name: "2", exact: true }).click();
  await page.getByLabel(/Keep this transcript out of /).first().check();
  await nav(page, "Candidates"); // at once, before the pause that saves a draft
  await openFirst(page);
  await page.getByText("Draft saved").waitFor();
  assert.deepEqual(await pressed(page, "[data-testid=answer] >> nth=0"), ["2"]);
  assert.ok(await page.getByLabel(/Keep this transcript out of /).first().isChecked());

  await page.getByRole("button", { name: "Discard draft" }).click();
  await page.getByTestId("draft").waitFor({ state: "detached" });
  assert.deepEqual(await pressed(page, "[data-testid=answer] >> nth=0"), []);
  assert.deepEqual(await calls(page, "discard_draft"), [{ invitationId: 1 }]);
  await page.keyboard.press("j");
  await waitForName(page, "Mallory");
  await page.keyboard.press("k");
  await waitForName(page, "Zoë Müller");
  assert.equal(await page.getByTestId("draft").count(), 0, "nothing came back");

  // A rating then an approval at once: no late save brings the draft back after it.
  await page.keyboard.press("5");
  await page.keyboard.press("a");
  await waitForName(page, "Mallory");
  await page.waitForTimeout(800);
  const order = await page.evaluate(() => window.__calls.map(([c, a]) => `${c}:${a?.invitationId ?? ""}`));
  assert.ok(!order.slice(order.indexOf("approve:1")).includes("save_draft:1"), order.join(" "));
  assert.deepEqual(errors, []);
});

test("the Inbox has a selection on arrival: J/K or the arrows move it, Enter opens it", async () => {
  const { page, errors } = await open();
  await nav(page, "Inbox");
  const items = page.getByTestId("inbox-item");
  await items.first().waitFor();
  await page.waitForFunction(() => document.activeElement?.getAttribute("data-testid") === "inbox-item");
  assert.equal(await items.first().getAttribute("aria-current"), "true");
  await page.keyboard.press("j");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("k");
  assert.equal(await items.nth(1).getAttribute("aria-current"), "true");
  assert.equal(await items.first().getAttribute("aria-current"), null);
  const style = await items.nth(1).evaluate((el) => getComputedStyle(el).outlineStyle + " " + getComputedStyle(el).boxShadow);
  assert.match(style, /solid .*inset/, `the selected row shows (${style})`);
  await page.screenshot({ path: join(shots, "inbox-selected.png") });

  await page.keyboard.press("Enter");
  await waitForName(page, "Mallory");
  await page.keyboard.press("Escape");
  await items.first().waitFor();
  await page.waitForFunction(() => document.activeElement?.getAttribute("aria-current") === "true");
  assert.equal(await items.nth(1).getAttribute("aria-current"), "true", "back on the interview reviewed last");
  assert.deepEqual(errors, []);
});

test("Shift+1–5 rates the highlighted answer, N/P move it, and a rating shows where it went", async () => {
  const { page, errors } = await open();
  await openFirst(page);
  await page.keyboard.press("Shift+Digit3");
  await page.keyboard.press("n");
  await page.keyboard.press("Shift+Digit5");
  await page.keyboard.press("p");
  assert.deepEqual(await pressed(page, "[data-testid=answer] >> nth=0"), ["3"]);
  assert.deepEqual(await pressed(page, "[data-testid=answer] >> nth=1"), ["5"]);
  assert.match(await page.getByTestId("answer").first().getAttribute("class"), /\bactive\b/);
  assert.equal(await page.getByTestId("rating-said").textContent(), "Answer 2 rating: 5 of 5");

  await page.keyboard.press("4");
  assert.deepEqual(await pressed(page, "[data-testid=overall]"), ["4"]);
  assert.match(await page.getByTestId("overall").getAttribute("class"), /\bflash\b/, "the Overall control lights up");
  assert.equal(await page.getByTestId("rating-said").textContent(), "Overall rating: 4 of 5");
  assert.equal(await page.getByTestId("rating-said").getAttribute("aria-live"), "polite");
  await page.screenshot({ path: join(shots, "review-rated.png"), fullPage: true });
  await page.waitForFunction(() => !document.querySelector("[data-testid=overall]")?.classList.contains("flash"));

  await page.keyboard.press("?");
  const help = await page.getByRole("dialog", { name: "Keyboard shortcuts" }).textContent();
  for (const key of ["Shift+1–5", "N", "P", "Esc"]) assert.ok(help.includes(key), `${key} is listed`);
  assert.deepEqual(errors, []);
});

/** WCAG contrast of two rgb() colours. */
function contrast(a, b) {
  const lum = (rgb) => {
    const [r, g, bl] = rgb.match(/\d+(\.\d+)?/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

test("approving says what was queued for the ATS, and the approve key hint is legible", async () => {
  const { page, errors } = await open({
    edit: (f) => {
      // The Customer Success job moves candidates scoring 70 or more to Phone Interview.
      const job = f.answers.automations[1];
      job.automation = { ...f.answers.automations[0].automation, interviewKey: "iv-1", choice: { kind: "interview", interviewKey: "iv-1" } };
      f.reviews[2].score = null;
    },
  });
  await openFirst(page);
  const approve = page.getByRole("button", { name: /^Approve and send to Greenhouse \(sandbox\)/ });
  const colours = await approve.evaluate((el) => [getComputedStyle(el.querySelector("kbd")).color, getComputedStyle(el).backgroundColor]);
  assert.ok(contrast(...colours) >= 4.5, `the key hint reads on the button (${colours.join(" on ")})`);

  await page.keyboard.press("a");
  const decided = page.getByTestId("decided");
  await decided.waitFor();
  assert.equal(await decided.locator("span").textContent(), "Queued for Greenhouse (sandbox): the note on Zoë Müller and a move to Phone Interview.");
  await page.screenshot({ path: join(shots, "review-approved.png") });

  await waitForName(page, "Mallory"); // no score from Willo: the automation holds the move
  await page.keyboard.press("a");
  await page.waitForFunction(() => document.querySelector("[data-testid=decided] span")?.textContent?.includes("Mallory"));
  assert.match(await decided.locator("span").textContent(), /: the note on Mallory .*; no move to Phone Interview, as there is no score\.$/);

  await page.keyboard.press("s");
  await page.waitForFunction(() => document.querySelector("[data-testid=decided] span")?.textContent?.startsWith("Skipped"));
  assert.equal(await decided.locator("span").textContent(), "Skipped Kenji Watanabe: nothing was sent to Greenhouse (sandbox).");
  assert.deepEqual(errors, []);
});

test("the review's header fits at 1024 px, Open in Willo on one line", async () => {
  const { page, errors } = await open({}, { width: 1024, height: 700 });
  await openFirst(page);
  const button = page.getByRole("button", { name: "Open in Willo ↗" });
  const [box, card, line] = await Promise.all([
    button.boundingBox(),
    page.locator(".who").boundingBox(),
    page.getByRole("button", { name: "← Inbox" }).boundingBox(),
  ]);
  assert.ok(box.height <= line.height + 1, `one line (${box.height} px high, a one-line button is ${line.height})`);
  assert.ok(box.x + box.width <= card.x + card.width, "inside the card");
  const sideways = await page.evaluate(() => document.querySelector(".main").scrollWidth - document.querySelector(".main").clientWidth);
  assert.equal(sideways, 0);
  await page.locator(".who").screenshot({ path: join(shots, "review-header-1024.png") });
  assert.deepEqual(errors, []);
});
