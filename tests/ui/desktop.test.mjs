// The desktop's own parts of the UI in Debian's Chromium, with the Tauri commands mocked:
// Settings → Desktop and About, and the window opening where a willo-desk:// link says.
// Needs `npm run build` in ui/ first.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { nav, shots, useBrowser } from "./harness.mjs";

const { open } = useBrowser();

const calls = (page, command) => page.evaluate((c) => window.__calls.filter(([cmd]) => cmd === c).map(([, args]) => args), command);

test("Settings → Desktop switches the tray and start at login at once, and says what the system refused", async () => {
  const { page, errors } = await open();
  await nav(page, "Settings");
  const tray = page.locator("#keepInTray");
  await tray.waitFor();
  assert.equal(await tray.isChecked(), true, "on until switched off");
  assert.match(await page.getByRole("region", { name: "Desktop" }).textContent(), /go on with the window closed/);
  await tray.uncheck();
  await page.getByText("Closing the window quits Willo Desk").waitFor();
  assert.deepEqual(await calls(page, "set_desktop_prefs"), [{ prefs: { keepInTray: false, startAtLogin: false } }]);
  // Quit, from the button or Ctrl+Q anywhere.
  await page.getByRole("button", { name: "Quit Willo Desk" }).click();
  await page.keyboard.press("Control+q");
  assert.equal((await calls(page, "quit_app")).length, 2);

  // The system refuses the autostart entry: the switch stays off and the reason shows.
  await page.close();
  const refused = await open({
    failing: { set_desktop_prefs: { code: "validation", message: "Start at login: the system refused it (no autostart folder)", detail: null, field: "startAtLogin" } },
  });
  await nav(refused.page, "Settings");
  await refused.page.locator("#startAtLogin").click();
  await refused.page.getByRole("alert").filter({ hasText: "Start at login: the system refused it" }).waitFor();
  assert.equal(await refused.page.locator("#startAtLogin").isChecked(), false, "shows what is, not what was asked");
  assert.deepEqual(errors, []);
});

test("Settings → About shows the build and folders, and Copy diagnostics shows what it copies", async () => {
  const { page, errors } = await open();
  await nav(page, "Settings");
  const about = page.getByRole("region", { name: "About" });
  await about.getByTestId("about-version").waitFor();
  assert.equal((await about.getByTestId("about-version").textContent()).replace(/\s+/g, " "), "0.1.0 (0123abcd45)");
  assert.equal(await about.getByTestId("about-logs").textContent(), "/home/sam/.local/share/willo-desk/logs");
  await about.getByRole("button", { name: "Copy diagnostics" }).click();
  await about.getByTestId("diagnostics").waitFor({ state: "attached" });
  assert.match(await about.getByTestId("diagnostics").textContent(), /^Willo Desk 0\.1\.0 \(commit 0123abcd45\)/);
  // Headless Chromium may refuse the clipboard; either way the recruiter is told what to do.
  assert.match(await about.getByRole("status").textContent(), /Copied|Select the text below/);
  await about.screenshot({ path: join(shots, "settings-about.png") });
  assert.deepEqual(errors, []);
});

test("a willo-desk:// link opens the review or the candidate's timeline, and a stale one says why", async () => {
  const { page, errors } = await open({
    edit: (f) => {
      f.answers.take_opening = { screen: "candidate", applicationId: 7, name: "Zoë Müller" };
    },
  });
  await page.getByRole("complementary", { name: "Timeline of Zoë Müller" }).waitFor();
  assert.equal(await page.locator("#screen-title").textContent(), "Candidates");

  // While open: the app says a link came, and the page takes it.
  await page.evaluate(() => {
    window.__fixtures.answers.take_opening = { screen: "review", invitationId: 1 };
    window.__emit("opening", null);
  });
  await page.getByRole("heading", { name: "Review" }).waitFor({ state: "attached" });
  assert.deepEqual((await calls(page, "review_detail")).at(-1), { invitationId: 1 });

  await page.evaluate(() => {
    window.__fixtures.failing.take_opening = { code: "not_found", message: "Willo Desk link: no interview of that number here", detail: null, field: null };
    window.__emit("opening", null);
  });
  await page.getByTestId("link-error").getByText("no interview of that number here").waitFor();
  assert.deepEqual(errors, []);
});

test("Settings → About checks for updates, shows what is new, and installs only a verified download", async () => {
  const { page, errors } = await open();
  await nav(page, "Settings");
  const updates = page.getByTestId("updates");
  await updates.getByRole("button", { name: "Check for updates" }).click();
  await updates.getByText("Willo Desk 0.2.0 is available (you have 0.1.0).").waitFor();
  assert.equal(await updates.getByTestId("update-notes").textContent(), "Reviews open faster.\nThe tray shows the inbox.");
  await updates.getByRole("button", { name: "Download 0.2.0" }).click();
  await updates.getByTestId("update-verified").waitFor();
  await updates.getByRole("button", { name: "Install 0.2.0" }).click();
  await updates.getByText("Installed: it runs from the next start.").waitFor();
  await page.getByRole("region", { name: "About" }).screenshot({ path: join(shots, "settings-about-updated.png") });
  assert.deepEqual(errors, []);
});

test("a wrongly signed update is refused with the reason, and nothing is offered for install", async () => {
  const refusal = "Version 0.2.0 was refused: its signature does not match Willo Desk's release key, so it may not come from us. Nothing was installed.";
  const { page, errors } = await open({ failing: { download_update: { code: "validation", message: refusal, detail: null, field: null } } });
  await nav(page, "Settings");
  const updates = page.getByTestId("updates");
  await updates.getByRole("button", { name: "Check for updates" }).click();
  await updates.getByRole("button", { name: "Download 0.2.0" }).click();
  await updates.getByRole("alert").getByText(refusal).waitFor();
  assert.equal(await updates.getByRole("button", { name: /^Install/ }).count(), 0);
  assert.equal(await updates.getByRole("button", { name: "Download 0.2.0" }).count(), 1, "it may be tried again");
  assert.deepEqual(errors, []);
});
