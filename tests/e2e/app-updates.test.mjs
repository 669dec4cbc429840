// Signed updates in the real app, against a local update server: a newer version signed with the
// release key is offered (with its notes) and downloads verified; one signed with another key is
// refused with a clear message and cannot be installed; a build without a release key says that
// updates are not set up. The keys are made here with Tauri's signer (minisign), the package is
// random bytes, and the app trusts the test's key through WILLO_DESK_UPDATE_PUBKEY, which only
// debug builds read. Needs the binary (WILLO_DESK_BIN, default target/debug/willo-desk), Xvfb,
// dbus-run-session and WebKitWebDriver.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Session, startDriver, waitFor } from "./webdriver.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const binary = resolve(process.env.WILLO_DESK_BIN ?? join(root, "target/debug/willo-desk"));
const tauri = join(root, "ui/node_modules/.bin/tauri");
const keys = mkdtempSync(join(tmpdir(), "willo-desk-update-keys-"));
const packageBytes = randomBytes(64 * 1024);

/** A minisign key pair made by Tauri's signer; returns the public key as the app takes it. */
function keyPair(name) {
  execFileSync(tauri, ["signer", "generate", "--ci", "-w", join(keys, name), "-p", ""], { stdio: "ignore" });
  return readFileSync(join(keys, `${name}.pub`), "utf8").trim();
}

/** The package's signature by `name`'s private key. */
function signature(name) {
  const file = join(keys, `package-${name}.deb`);
  writeFileSync(file, packageBytes);
  execFileSync(tauri, ["signer", "sign", "-f", join(keys, name), "-p", "", file], { stdio: "ignore" });
  return readFileSync(`${file}.sig`, "utf8").trim();
}

const releaseKey = keyPair("release");
keyPair("stranger");
const signed = { release: signature("release"), stranger: signature("stranger") };

let server;
let origin;
let signedBy = "release";
const asked = { manifest: 0, package: 0 };
let hanging = 0;

before(async () => {
  assert.ok(existsSync(binary), `build the app first: ${binary} is missing`);
  server = createServer((req, res) => {
    if (req.url === "/latest.json") {
      asked.manifest += 1;
      const platform = { signature: signed[signedBy], url: `${origin}/willo-desk_99.0.0_amd64.deb` };
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          version: "99.0.0",
          notes: "Reviews open faster.",
          pub_date: "2026-12-01T10:00:00Z",
          platforms: { "linux-x86_64": platform, "linux-x86_64-deb": platform },
        }),
      );
    } else if (req.url === "/silent/latest.json") {
      // A server that takes the request and never answers.
      hanging += 1;
    } else if (req.url === "/willo-desk_99.0.0_amd64.deb") {
      asked.package += 1;
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": packageBytes.length }).end(packageBytes);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  origin = `http://127.0.0.1:${server.address().port}`;
});

after(() => {
  server?.closeAllConnections();
  server?.close();
});

/** The app with `env` added, until `use` is done with its window. */
async function withApp(env, use) {
  Object.assign(process.env, env);
  const driver = await startDriver();
  for (const name of Object.keys(env)) delete process.env[name];
  const session = await Session.start(driver, binary);
  const invoke = (command, args = {}) =>
    session.command("POST", "/execute/async", {
      script: "const done = arguments[arguments.length - 1]; window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then(done, (e) => done({ error: e }));",
      args: [command, args],
    });
  try {
    await waitFor("the app's first answer", () => invoke("app_info"), 60_000, 500);
    await use(session, invoke);
  } finally {
    await session.end();
    await driver.stop();
  }
}

test("a build without a release key says updates are not set up, and asks no server", async () => {
  await withApp({ WILLO_DESK_UPDATE_URL: `${origin}/latest.json` }, async (_, invoke) => {
    const answer = await invoke("check_update");
    assert.equal(answer.error?.code, "unavailable");
    assert.match(answer.error.message, /Updates are not set up in this build/);
  });
  assert.deepEqual(asked, { manifest: 0, package: 0 });
});

test("an update signed with another key is refused and cannot be installed; one signed with the release key is offered and verified", async () => {
  signedBy = "stranger";
  await withApp({ WILLO_DESK_UPDATE_URL: `${origin}/latest.json`, WILLO_DESK_UPDATE_PUBKEY: releaseKey }, async (session, invoke) => {
    // The app asks once at start (and then daily).
    await waitFor("the check at start", async () => asked.manifest >= 1, 20_000);

    assert.equal((await invoke("check_update")).version, "99.0.0");
    const refused = await invoke("download_update");
    assert.equal(refused.error?.code, "validation");
    assert.match(refused.error.message, /^Version 99\.0\.0 was refused: its signature does not match Willo Desk's release key/);
    assert.equal(asked.package, 1, "downloaded, then refused");
    const install = await invoke("install_update", { version: "99.0.0" });
    assert.equal(install.error?.message, "Download version 99.0.0 first.", "nothing refused is kept to install");

    // Signed with the release key, through Settings → About, as a recruiter does.
    signedBy = "release";
    await session.execute("window.dispatchEvent(new KeyboardEvent('keydown', {key: '6', ctrlKey: true}));");
    const click = (text) =>
      session.execute("const b = [...document.querySelectorAll('[data-testid=updates] button')].find(x => x.textContent.includes(arguments[0])); if (b) b.click(); return !!b;", [text]);
    await waitFor("the check button", () => click("Check for updates"));
    await waitFor("the offer", async () => /Willo Desk 99\.0\.0 is available \(you have \d+\.\d+\.\d+\)/.test((await session.text("[data-testid=updates]")) ?? ""));
    assert.equal(await session.text("[data-testid=update-notes]"), "Reviews open faster.");
    assert.ok(await click("Download 99.0.0"));
    await waitFor("the verified download", async () => (await session.count("[data-testid=update-verified]")) === 1, 20_000);
    assert.equal(asked.package, 2);
    // Offered for install once verified (not pressed: the package is random bytes).
    assert.equal(
      await session.execute("return [...document.querySelectorAll('[data-testid=updates] button')].some(b => b.textContent.trim() === 'Install 99.0.0');"),
      true,
    );
  });
});

test("an update server that never answers ends the check with a clear error instead of leaving it waiting", async () => {
  await withApp({ WILLO_DESK_UPDATE_URL: `${origin}/silent/latest.json`, WILLO_DESK_UPDATE_PUBKEY: releaseKey }, async (session, invoke) => {
    // Longer than the app's own limit on a check, so that limit is what ends it.
    await session.command("POST", "/timeouts", { script: 90_000 });
    const answer = await invoke("check_update");
    assert.equal(answer.error?.code, "unavailable");
    assert.match(answer.error.message, /^The update server could not be asked/);
    assert.ok(hanging >= 1, "the check reached the server");
  });
});
