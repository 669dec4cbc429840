// How every screen looks and reads. In light and dark, axe-core finds no serious or critical
// violation; at 1024×700 no screen scrolls sideways; dark screenshots go to
// tests/artifacts/ui/dark-<screen>.png. Also: the window shows the app's frame before its scripts
// run, a first run's Dashboard says how to start, the Dashboard counts candidates and applications
// each by its name, Activity keeps its times on one line, and password inputs look like the
// others. Needs `npm run build` in ui/ first.
import assert from "node:assert/strict";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { firstRun } from "./fixtures.mjs";
import { nav, shots, useBrowser } from "./harness.mjs";

const { open } = useBrowser();
const AXE = resolve(dirname(fileURLToPath(import.meta.url)), "../../ui/node_modules/axe-core/axe.min.js");

/** Each screen in the state worth checking, reached from the one before it. */
const SCREENS = [
  ["dashboard", async (page) => page.getByTestId("job-card").first().waitFor()],
  [
    "candidates",
    async (page) => {
      await nav(page, "Candidates");
      await page.getByTestId("candidate-row").first().getByRole("button").first().click();
      await page.getByRole("complementary", { name: /^Timeline of/ }).locator("ol").waitFor();
    },
  ],
  [
    "send",
    async (page) => {
      await page.getByRole("checkbox").first().check();
      await page.getByRole("button", { name: "Send interview to 1" }).click();
      await page.getByTestId("pre-send").waitFor();
    },
  ],
  [
    "inbox",
    async (page) => {
      await page.keyboard.press("Escape");
      await page.getByRole("dialog").waitFor({ state: "detached" });
      await nav(page, "Inbox");
      await page.getByTestId("inbox-item").first().waitFor();
    },
  ],
  [
    "review",
    async (page) => {
      await page.getByTestId("inbox-item").first().click();
      await page.getByTestId("review-name").waitFor();
      await page.keyboard.press("4"); // a rating shows as a pressed button
    },
  ],
  [
    "automations",
    async (page) => {
      await nav(page, "Automations");
      await page.getByRole("button", { name: "Set up" }).click();
      await page.getByLabel("Screening").waitFor();
    },
  ],
  [
    "activity",
    async (page) => {
      await nav(page, "Activity");
      await page.getByTestId("activity-row").first().waitFor();
    },
  ],
  [
    "settings",
    async (page) => {
      await nav(page, "Settings");
      await page.getByRole("region", { name: "Connections" }).waitFor();
    },
  ],
];

/** axe's serious and critical violations on the page, one line each. */
async function violations(page) {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => axe.run(document, { resultTypes: ["violations"] }));
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}) at ${n.target.join(" ")}: ${n.failureSummary?.split("\n")[1]?.trim()}`));
}

/** Visits every screen and returns what `check` found on each, as "screen: finding" lines. */
async function everyScreen(page, check) {
  const found = [];
  for (const [name, reach] of SCREENS) {
    await reach(page);
    await page.waitForTimeout(150); // let transitions and late answers settle
    for (const line of await check(name)) found.push(`${name}: ${line}`);
  }
  return found;
}

test("axe finds nothing serious on any screen in light mode, and nothing scrolls sideways at 1024×700", async () => {
  const { page, errors } = await open({}, { width: 1024, height: 700 });
  const found = await everyScreen(page, async () => {
    const sideways = await page.evaluate(() =>
      [document.documentElement, document.querySelector(".main")]
        .filter((el) => el && el.scrollWidth > el.clientWidth)
        .map((el) => `${el.className || el.tagName} scrolls sideways (${el.scrollWidth} > ${el.clientWidth})`),
    );
    return [...sideways, ...(await violations(page))];
  });
  assert.deepEqual(found, []);
  assert.deepEqual(errors, []);
});

test("axe finds nothing serious on any screen in dark mode", async () => {
  const { page, errors } = await open({}, { width: 1280, height: 800 }, { colorScheme: "dark" });
  assert.ok(await page.evaluate(() => matchMedia("(prefers-color-scheme: dark)").matches));
  const found = await everyScreen(page, async (name) => {
    await page.screenshot({ path: join(shots, `dark-${name}.png`) });
    return violations(page);
  });
  assert.deepEqual(found, []);
  assert.deepEqual(errors, []);
});

test("the window shows the app's frame, in the system's colours, before the scripts run", async () => {
  for (const colorScheme of ["light", "dark"]) {
    const { page } = await open({}, { width: 1024, height: 700 }, { colorScheme });
    const colours = () =>
      page.evaluate(() => ({
        page: getComputedStyle(document.documentElement).backgroundColor,
        sidebar: getComputedStyle(document.querySelector("nav") ?? document.querySelector(".boot")).backgroundColor,
        width: (document.querySelector("nav") ?? document.querySelector(".boot")).getBoundingClientRect().width,
      }));
    const app = await colours();
    // The first paint: index.html alone, before any script or stylesheet has arrived.
    await page.route("**/assets/**", (route) => route.abort());
    await page.reload();
    await page.screenshot({ path: join(shots, `first-paint-${colorScheme}.png`) });
    assert.deepEqual(await colours(), app, colorScheme);
  }
});

test("a first run's Dashboard says how to get started instead of showing empty charts", async () => {
  for (const colorScheme of ["light", "dark"]) {
    const { page, errors } = await open({ edit: firstRun }, { width: 1280, height: 800 }, { colorScheme });
    const start = page.getByRole("region", { name: "Get started" });
    await start.waitFor();
    assert.match(await start.textContent(), /Set up an automation/);
    assert.match(await start.textContent(), /send an interview yourself/);
    assert.equal(await page.locator("svg[role=img]").count(), 0, "no empty chart");
    await page.screenshot({ path: join(shots, `dashboard-first-run-${colorScheme}.png`) });
    assert.deepEqual(errors, []);
  }
  const { page } = await open();
  await page.getByTestId("job-card").first().waitFor();
  assert.equal(await page.getByRole("region", { name: "Get started" }).count(), 0, "not once interviews went out");
});

test("the Dashboard names what it counts: open jobs, candidates and applications", async () => {
  const edit = (f) => Object.assign(f.answers.overview, { jobs: f.answers.overview.jobs.slice(0, 1), candidates: 1, applications: 2 });
  const { page, errors } = await open({ edit });
  await page.getByTestId("job-card").first().waitFor();
  const card = (id) => page.getByTestId(id).locator("..").textContent().then((t) => t.replace(/\s+/g, " ").trim());
  assert.deepEqual(
    [await card("jobs-count"), await card("candidates-count"), await card("applications-count")],
    ["1 open job", "1 candidate", "2 applications"],
  );
  assert.deepEqual(errors, []);
});

test("Activity keeps each time on one line at 1024×700", async () => {
  const { page, errors } = await open({}, { width: 1024, height: 700 });
  await nav(page, "Activity");
  await page.getByTestId("activity-row").first().waitFor();
  const lines = await page.locator("[data-testid=activity-row] td:first-child, [data-testid=failed-item] .when").evaluateAll((cells) =>
    cells.map((cell) => {
      const range = document.createRange();
      range.selectNodeContents(cell);
      return `${cell.textContent}: ${new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size}`;
    }),
  );
  assert.deepEqual(lines, ["1 min ago · 8 tries: 1", "1 min ago: 1", "2 min ago: 1", "3 min ago: 1"]);
  assert.deepEqual(errors, []);
});

test("password inputs look like the other inputs", async () => {
  const { page, errors } = await open();
  await nav(page, "Settings");
  const look = (input) =>
    input.evaluate((el) => {
      const s = getComputedStyle(el);
      return [s.fontSize, s.fontFamily, s.color, s.backgroundColor, s.borderTopStyle, s.borderTopWidth, s.borderTopColor, s.borderRadius, s.paddingLeft, s.height];
    });
  const text = await look(page.getByLabel("Client id"));
  for (const password of await page.locator("input[type=password]").all()) assert.deepEqual(await look(password), text);
  assert.deepEqual(errors, []);
});
