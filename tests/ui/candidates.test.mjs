// The candidate list (one row per application): a search after scrolling shows its rows, the
// column headers sort, the toolbar keeps still while typing, only the list scrolls, and each
// row's status stays in view with the timeline open. Needs `npm run build` in ui/ first.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { nav, shots, useBrowser } from "./harness.mjs";

const { open } = useBrowser();

/** The Candidates screen, its first rows loaded. */
async function candidates(options, viewport) {
  const opened = await open(options, viewport);
  await nav(opened.page, "Candidates");
  await opened.page.getByTestId("candidate-row").first().getByRole("button").waitFor();
  return opened;
}

/** The names of the rows in the DOM, top to bottom. */
const names = (page) => page.locator("[data-testid=candidate-row] button").allTextContents();

/** The names of the rows the recruiter can see inside the list's viewport. */
const seen = (page) =>
  page.evaluate(() => {
    const grid = document.querySelector("[role=grid]").getBoundingClientRect();
    return [...document.querySelectorAll("[data-testid=candidate-row] button")]
      .filter((b) => {
        const r = b.getBoundingClientRect();
        return r.height > 0 && r.top >= grid.top && r.bottom <= grid.bottom;
      })
      .map((b) => b.textContent);
  });

/** Waits until the rows in the DOM are sorted by name, A to Z or (`descending`) Z to A. */
const sortedByName = (page, descending) =>
  page.waitForFunction((descending) => {
    const all = [...document.querySelectorAll("[data-testid=candidate-row] button")].map((b) => b.textContent.toLowerCase());
    return all.length > 5 && all.every((name, i) => i === 0 || (descending ? all[i - 1] >= name : all[i - 1] <= name));
  }, descending);

/** The arguments of the latest `candidates` command. */
const lastQuery = (page) => page.evaluate(() => window.__calls.filter(([c]) => c === "candidates").at(-1)[1].query);

test("a search after scrolling to the bottom of 100,000 rows shows its matches from the top", async () => {
  const { page, errors } = await candidates({ candidateTotal: 100_000 });
  await page.locator("[role=grid]").evaluate((el) => (el.scrollTop = el.scrollHeight));
  await page.waitForFunction(() => [...document.querySelectorAll("[data-testid=candidate-row] button")].some((b) => b.textContent?.includes("99999")));

  // Fewer matches than fit in the view: the list cannot scroll at all. Chromium reports the jump
  // when the shorter list clamps the scroll position; the webview the bug was seen in did not.
  // Hold those reports back, so that the list has to do without them.
  await page.evaluate(() => window.addEventListener("scroll", (window.__mute = (e) => e.stopPropagation()), true));
  await page.keyboard.press("/");
  await page.keyboard.type("Ada4200");
  await page.waitForFunction(() => document.querySelector("[data-testid=candidate-total]")?.textContent?.startsWith("3 "));
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=candidate-row] button").length === 3, null, { timeout: 2_000 }).catch(() => {});
  await page.screenshot({ path: join(shots, "candidates-search-after-scroll.png") });
  assert.deepEqual(await seen(page), ["Ada4200 Candidate", "Ada42000 Candidate", "Ada42006 Candidate"]);
  await page.evaluate(() => window.removeEventListener("scroll", window.__mute, true));

  // More matches than fit: the first of them shows, not the place the old list was scrolled to.
  await page.getByRole("searchbox").fill("");
  await page.waitForFunction(() => document.querySelector("[data-testid=candidate-total]")?.textContent?.startsWith("100,000 "));
  await page.locator("[role=grid]").evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
  await page.waitForFunction(() => [...document.querySelectorAll("[data-testid=candidate-row] button")].some((b) => b.textContent?.includes("50000")));
  await page.getByRole("searchbox").fill("Ada12");
  await page.waitForFunction(() => !document.querySelector("[data-testid=candidate-total]")?.textContent?.startsWith("100,000"));
  await page.waitForFunction(() => document.querySelector("[data-testid=candidate-row] button")?.textContent === "Ada12 Candidate", null, { timeout: 2_000 }).catch(() => {});
  const shown = await seen(page);
  assert.equal(shown[0], "Ada12 Candidate", shown.join(", "));
  assert.ok(shown.length > 5 && shown.every((n) => n.startsWith("Ada12")), shown.join(", "));
  assert.equal(await page.locator("[role=grid]").evaluate((el) => el.scrollTop), 0);

  // A filter, too, starts the list afresh at its top.
  await page.locator("[role=grid]").evaluate((el) => (el.scrollTop = el.scrollHeight));
  await page.getByLabel("Interview status").selectOption({ label: "Completed" });
  await page.waitForFunction(() => document.querySelector("[role=grid]").scrollTop === 0, null, { timeout: 2_000 }).catch(() => {});
  assert.equal(await page.locator("[role=grid]").evaluate((el) => el.scrollTop), 0);
  assert.deepEqual(errors, []);
});

test("the list counts applications, as the Dashboard does", async () => {
  for (const [candidateTotal, count] of [[240, "240 applications"], [100_000, "100,000 applications"], [1, "1 application"]]) {
    const { page, errors } = await candidates({ candidateTotal });
    assert.equal(await page.getByTestId("candidate-total").textContent(), count);
    assert.deepEqual(errors, []);
  }
});

test("the column headers sort the list, click again to reverse, and the order stays across screens", async () => {
  const { page, errors } = await candidates();
  const header = (name) => page.getByRole("columnheader", { name });
  assert.deepEqual(
    await page.getByRole("columnheader").allTextContents().then((all) => all.map((t) => t.trim()).filter(Boolean)),
    ["Name", "Email", "Job", "Stage", "Status", "Last activity"],
  );

  await header("Name").getByRole("button").click();
  await sortedByName(page, false);
  assert.equal((await names(page))[0], "Ada0 Candidate");
  assert.equal(await header("Name").getAttribute("aria-sort"), "ascending");
  assert.deepEqual(await lastQuery(page).then(({ sort, descending }) => ({ sort, descending })), { sort: "name", descending: false });

  await header("Name").getByRole("button").click();
  await sortedByName(page, true);
  assert.equal((await names(page))[0], "Farah95 Candidate");
  assert.equal(await header("Name").getAttribute("aria-sort"), "descending");
  assert.deepEqual(await lastQuery(page).then(({ sort, descending }) => ({ sort, descending })), { sort: "name", descending: true });

  // One column sorts at a time.
  await header("Status").getByRole("button").click();
  await page.waitForFunction(() => document.querySelector("[data-testid=candidate-row] [data-status]")?.getAttribute("data-status") === "not_sent");
  assert.equal(await header("Status").getAttribute("aria-sort"), "ascending");
  assert.equal(await header("Name").getAttribute("aria-sort"), null);
  await header("Status").getByRole("button").click();
  await page.waitForFunction(() => document.querySelector("[data-testid=candidate-row] [data-status]")?.getAttribute("data-status") === "synced");

  // Oldest activity first; the mock's rows were last active up to two days ago.
  await header("Last activity").getByRole("button").click();
  await page.waitForFunction(() => document.querySelector("[data-testid=candidate-row] button")?.textContent === "Eun-ji4 Candidate");
  assert.deepEqual(await lastQuery(page).then(({ sort, descending }) => ({ sort, descending })), { sort: "activity", descending: false });
  await header("Last activity").getByRole("button").click();
  await page.waitForFunction(() => document.querySelector("[data-testid=candidate-row] .activity")?.textContent?.trim() === "just now");
  await page.screenshot({ path: join(shots, "candidates-sorted.png") });

  await nav(page, "Inbox");
  await nav(page, "Candidates");
  await page.getByTestId("candidate-row").first().getByRole("button").waitFor();
  assert.equal(await header("Last activity").getAttribute("aria-sort"), "descending");
  assert.deepEqual(await lastQuery(page).then(({ sort, descending }) => ({ sort, descending })), { sort: "activity", descending: true });
  assert.deepEqual(errors, []);
});

test("the toolbar keeps still while the count changes under typing", async () => {
  for (const viewport of [{ width: 1280, height: 800 }, { width: 1024, height: 700 }]) {
    const { page, errors } = await candidates({ candidateTotal: 100_000 }, viewport);
    const boxes = () => page.locator(".tools > :not([data-testid=candidate-total])").evaluateAll((all) => all.map((el) => JSON.stringify(el.getBoundingClientRect())));
    const before = await boxes();
    await page.getByRole("searchbox").pressSequentially("Ada4200");
    await page.waitForFunction(() => document.querySelector("[data-testid=candidate-total]")?.textContent?.startsWith("3 "));
    assert.deepEqual(await boxes(), before, `at ${viewport.width}×${viewport.height}`);
    assert.deepEqual(errors, []);
  }
});

test("only the list scrolls: the screen fits the window", async () => {
  for (const viewport of [{ width: 1280, height: 800 }, { width: 1024, height: 700 }]) {
    const { page, errors } = await candidates({}, viewport);
    const scrolling = await page.evaluate(() =>
      [document.documentElement, document.querySelector(".main"), document.querySelector("[role=grid]")].map((el) => el.scrollHeight > el.clientHeight),
    );
    assert.deepEqual(scrolling, [false, false, true], `page, .main and the list scroll at ${viewport.width}×${viewport.height}`);
    // With the welcome gone there is room for more rows, still without a page scroll.
    await page.getByRole("button", { name: "Explore the sandbox" }).click();
    assert.equal(await page.locator(".main").evaluate((el) => el.scrollHeight > el.clientHeight), false);
    await page.screenshot({ path: join(shots, `candidates-fit-${viewport.width}.png`) });
    assert.deepEqual(errors, []);
  }
});

test("with the timeline open at 1024 px, each row still shows its status", async () => {
  const { page, errors } = await candidates({}, { width: 1024, height: 700 });
  await page.getByTestId("candidate-row").first().getByRole("button").click();
  await page.getByRole("complementary", { name: /^Timeline of/ }).locator("ol").waitFor();
  const hidden = await page.evaluate(() => {
    const grid = document.querySelector("[role=grid]").getBoundingClientRect();
    return [...document.querySelectorAll("[data-testid=candidate-row]")]
      .map((row) => [row.querySelector("button")?.textContent, row.querySelector(".chip")?.getBoundingClientRect()])
      .filter(([, chip]) => !chip || chip.width === 0 || chip.right > grid.right - 1)
      .map(([name]) => name);
  });
  await page.screenshot({ path: join(shots, "candidates-1024-timeline.png") });
  assert.deepEqual(hidden, [], "rows whose status is cut off or hidden");
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0);
  assert.deepEqual(errors, []);
});
