// Plain words (ui/GLOSSARY.md): every screen, its dialogs and its errors are read as the
// recruiter sees them, and none may show a status code, a setting key or jargon. Also: a
// connection error highlights and focuses the input at fault, and each connection tests alone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { nav, useBrowser } from "./harness.mjs";

const { open } = useBrowser();

/** What must never be on screen (see ui/GLOSSARY.md), as patterns over the visible text. */
const BANNED = [
  /\b40[13]\b/,
  /\b429\b/,
  /authorization scheme/i,
  /\b(bare|bearer) authori[sz]ation/i,
  /E\.164/,
  /\breceiver\b/i,
  /catch-up/i,
  /\brevision \d/i,
  /\bats\.[a-z_]+/,
  /\bautomations\[\d+\]/,
  /\w\(s\)/,
  /\(es\)/,
];

async function visibleText(page) {
  // innerText is what is rendered: closed <details> and hidden elements are left out.
  return page.evaluate(() => document.body.innerText);
}

function assertPlain(text, where) {
  for (const pattern of BANNED) {
    const found = text.match(pattern);
    assert.equal(found, null, `${where} shows “${found?.[0]}” (${pattern}): use the glossary's words`);
  }
}

test("no screen shows status codes, setting keys or jargon", async () => {
  const { page, errors } = await open();
  await page.getByRole("button", { name: "Not now" }).click().catch(() => {});
  const screens = [
    ["Dashboard", "job-card"],
    ["Candidates", "candidate-row"],
    ["Inbox", "inbox-item"],
    ["Automations", "automation-card"],
    ["Activity", "activity-row"],
    ["Settings", "data-dir"],
  ];
  for (const [screen, testId] of screens) {
    await nav(page, screen);
    await page.getByTestId(testId).first().waitFor();
    assertPlain(await visibleText(page), screen);
  }

  await nav(page, "Inbox");
  await page.getByTestId("inbox-item").first().click();
  await page.getByTestId("review-name").waitFor();
  assertPlain(await visibleText(page), "Review");

  await nav(page, "Automations");
  await page.getByRole("button", { name: "Set up" }).click();
  await page.getByLabel("Screening").check();
  const interview = page.getByLabel("Interview", { exact: true });
  if ((await interview.inputValue()) === "") await interview.selectOption({ index: 1 });
  await page.getByRole("button", { name: "Dry run" }).click();
  await page.getByTestId("dry-run").waitFor();
  assertPlain(await visibleText(page), "the dry run");

  await nav(page, "Settings");
  await page.getByRole("button", { name: "Run the checks" }).click();
  await page.getByTestId("finding").first().waitFor();
  assertPlain(await visibleText(page), "the setup checks");
  assert.deepEqual(errors, []);
});

test("an error says it in plain words, with the technical version behind Details", async () => {
  const { page, errors } = await open({
    failing: { test_willo: { code: "auth_failed", message: "Willo did not accept the API key: check that it was copied whole from Willo's Integrations page.", detail: "Willo refused the API key (401): check the key and its authorization scheme", field: "willoKey" } },
  });
  await nav(page, "Settings");
  await page.getByLabel("API key").first().fill("0123456789abcdef0123456789abcdef");
  await page.getByRole("button", { name: "Test connection" }).first().click();
  const alert = page.getByRole("alert").filter({ hasText: "did not accept the API key" });
  await alert.waitFor();
  assertPlain(await visibleText(page), "the Willo error");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "willoKey", "the key's input is focused");
  assert.equal(await page.locator("#willoKey").getAttribute("aria-invalid"), "true");
  await alert.getByText("Details").click();
  assert.match(await alert.innerText(), /\(401\)/, "the detail is there for support, on request");
  assert.deepEqual(errors, []);
});

test("Willo's connection tests without the ATS filled in, and the ATS's error points at its own input", async () => {
  const { page, errors } = await open({
    failing: { test_ats: { code: "validation", message: "Greenhouse client id: enter the client id from Greenhouse's API credentials", detail: null, field: "atsClientId" } },
  });
  await nav(page, "Settings");
  await page.getByLabel("API key").first().fill("willo-key-123");
  assert.match(await page.getByTestId("key-shape").textContent(), /usually 32 characters .* this one has 13/);
  await page.getByRole("button", { name: "Test connection" }).first().click();
  await page.getByText("Willo accepts the key").waitFor();
  const tested = await page.evaluate(() => window.__calls.find(([c]) => c === "test_willo")[1]);
  assert.equal(tested.connections.atsClientId, null, "nothing of the ATS was needed");

  await page.getByLabel("Client secret").fill("secret-456");
  await page.getByRole("button", { name: "Test connection" }).nth(1).click();
  await page.getByRole("alert").filter({ hasText: "Greenhouse client id" }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), "atsClientId");
  assert.equal(await page.getByText("Correct the highlighted input").count(), 1, "said once, under the ATS");
  assert.deepEqual(errors, []);
});

test("a settings error highlights its input, and the default region is shown as set", async () => {
  const { page, errors } = await open({
    failing: { save_settings: { code: "validation", message: "Default phone region: ZZ is not a country code", detail: null, field: "defaultRegion" } },
  });
  await nav(page, "Settings");
  assert.equal(await page.locator("#defaultRegion").inputValue(), "GB", "the region is a value, not a placeholder");
  assert.match(await page.getByTestId("region-help").textContent(), /read as United Kingdom numbers/);
  await page.locator("#defaultRegion").fill("ZZ");
  await page.getByRole("button", { name: "Save settings" }).click();
  await page.getByRole("alert").filter({ hasText: "ZZ is not a country code" }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), "defaultRegion");
  assert.deepEqual(errors, []);
});
