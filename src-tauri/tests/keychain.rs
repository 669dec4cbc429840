//! Secrets through the real OS keychain: a GNOME Keyring on a private session bus, driven by the
//! real binary. `secret set` stores what `doctor` and `serve` then read; a locked keychain, a
//! session without a Secret Service and no session bus at all each give a message that says what
//! to do, never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use desk_sandbox::{Sandbox, SandboxConfig};
use support::{binary, config, config_file, free_port, secrets, Keyring};

/// The binary on `bus`, with no secret in its environment.
fn on_bus(data: &std::path::Path, bus: &str) -> Command {
    let mut command = binary(data);
    command.env("DBUS_SESSION_BUS_ADDRESS", bus);
    for name in secrets_names() {
        command.env_remove(name);
    }
    command
}

fn secrets_names() -> [&'static str; 3] {
    [
        "WILLO_DESK_WILLO_API_KEY",
        "WILLO_DESK_GREENHOUSE_CLIENT_SECRET",
        "WILLO_DESK_WEBHOOK_TOKEN",
    ]
}

/// `willo-desk secret set <name>` with `value` on standard input.
fn secret_set(data: &std::path::Path, bus: &str, name: &str, value: &str) -> Output {
    let mut child = on_bus(data, bus)
        .args(["secret", "set", name])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{value}").unwrap();
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// No panic, and the run said `expected`.
fn clear_failure(output: &Output, expected: &str) {
    let said = text(output);
    assert_ne!(output.status.code(), Some(101), "it panicked: {said}");
    assert!(!said.contains("panicked"), "{said}");
    assert!(!output.status.success(), "it failed: {said}");
    assert!(said.contains(expected), "expected {expected:?} in: {said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_set_from_the_command_line_are_read_back_by_doctor_and_serve() {
    let keyring = Keyring::start();
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = config_file(dir.path(), &config(&sb, dir.path(), port, ""));

    for (name, value) in secrets(&sb) {
        let output = secret_set(dir.path(), &keyring.bus, name, &value);
        assert!(output.status.success(), "{}", text(&output));
        assert_eq!(
            keyring.lookup(name).as_deref(),
            Some(value.as_str()),
            "{name} is in the keychain, where other programs see it"
        );
    }

    let mut serve = on_bus(dir.path(), &keyring.bus)
        .args(["serve", "--config", path.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    support::wait_ready(port, Duration::from_secs(30)).await;
    // The doctor, beside the running serve (it checks the receiver it started, too).
    let doctor = on_bus(dir.path(), &keyring.bus)
        .args(["doctor", "--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(doctor.status.success(), "{}", text(&doctor));
    assert!(
        text(&doctor).contains("Willo accepts the API key"),
        "{}",
        text(&doctor)
    );
    let status = support::terminate(&mut serve, Duration::from_secs(40));
    assert!(status.success(), "{}", support::stderr_of(&mut serve));

    let deleted = on_bus(dir.path(), &keyring.bus)
        .args(["secret", "delete", "WILLO_DESK_WILLO_API_KEY"])
        .output()
        .unwrap();
    assert!(deleted.status.success(), "{}", text(&deleted));
    assert_eq!(keyring.lookup("WILLO_DESK_WILLO_API_KEY"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_keychain_no_secret_service_and_no_session_bus_are_each_explained() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = config_file(dir.path(), &config(&sb, dir.path(), port, ""));
    let run = |bus: &str, command: &str| {
        on_bus(dir.path(), bus)
            .args([command, "--config", path.to_str().unwrap()])
            .output()
            .unwrap()
    };

    let keyring = Keyring::start();
    let stored = secret_set(dir.path(), &keyring.bus, "WILLO_DESK_WILLO_API_KEY", "k");
    assert!(stored.status.success(), "{}", text(&stored));
    keyring.lock();
    for command in ["doctor", "serve"] {
        clear_failure(
            &run(&keyring.bus, command),
            "keychain holding `WILLO_DESK_WILLO_API_KEY` is locked. Unlock it",
        );
    }
    clear_failure(
        &secret_set(dir.path(), &keyring.bus, "WILLO_DESK_WILLO_API_KEY", "k"),
        "is locked",
    );

    let no_service = Keyring::without_service();
    for command in ["doctor", "serve"] {
        clear_failure(
            &run(&no_service.bus, command),
            "no Secret Service is running in this session). Start one",
        );
    }

    let nowhere = format!("unix:path={}", dir.path().join("no-bus").display());
    for command in ["doctor", "serve"] {
        clear_failure(&run(&nowhere, command), "there is no keychain");
    }
}
