//! The command line, through the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_willo-desk"));
    // Logs must not land in the developer's own data folder.
    command.env(
        "WILLO_DESK_DATA_DIR",
        std::env::temp_dir().join("willo-desk-cli-test"),
    );
    command
}

/// `willo-desk sandbox` as its own process, and the line of JSON it prints (URLs and demo keys).
fn sandbox_process() -> (Child, Value) {
    sandbox_process_with(&[])
}

/// As [`sandbox_process`], with more arguments.
fn sandbox_process_with(args: &[&str]) -> (Child, Value) {
    sandbox_started(&[&["--manual"], args].concat())
}

/// `willo-desk sandbox` with `args` alone (the demo unless they say `--manual`).
fn sandbox_started(args: &[&str]) -> (Child, Value) {
    let mut child = binary()
        .args(["sandbox", "--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info = serde_json::from_str(&line).expect("the first stdout line is JSON");
    (child, info)
}

#[tokio::test]
async fn sandbox_prints_one_json_line_with_working_urls_and_serves_until_stopped() {
    let (mut child, info) = sandbox_process();
    for field in [
        "willoBaseUrl",
        "willoApiKey",
        "greenhouseBaseUrl",
        "greenhouseTokenUrl",
        "greenhouseClientId",
        "greenhouseClientSecret",
        "leverBaseUrl",
        "leverApiKey",
        "adminUrl",
    ] {
        assert!(info[field].is_string(), "{field} is printed");
    }

    let client = reqwest::Client::new();
    let interviews = client
        .get(format!(
            "{}/interviews/",
            info["willoBaseUrl"].as_str().unwrap()
        ))
        .header("Authorization", info["willoApiKey"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        interviews.status(),
        200,
        "the printed Willo URL and key work"
    );
    let postings = client
        .get(format!(
            "{}/postings",
            info["leverBaseUrl"].as_str().unwrap()
        ))
        .basic_auth(info["leverApiKey"].as_str().unwrap(), Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(postings.status(), 200, "the printed Lever URL and key work");

    assert!(child.try_wait().unwrap().is_none(), "it keeps serving");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = binary()
        .args(["sandbox", "--port", &port])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("could not listen on") && stderr.contains(&port),
        "stderr: {stderr}"
    );
}

#[test]
fn help_lists_the_commands_and_the_data_dir_flag() {
    let output = binary().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for word in ["desktop", "sandbox", "serve", "--data-dir"] {
        assert!(help.contains(word), "--help mentions {word}: {help}");
    }
}

#[test]
fn serve_refuses_a_broken_configuration_with_the_field_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("serve.toml");
    std::fs::write(&path, "[willo]\nper_minute = 0\n[ats]\nkind = \"lever\"\n").unwrap();
    let output = binary()
        .args(["serve", "--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("willo.per_minute"));
}

#[tokio::test]
async fn serve_runs_against_the_sandbox_and_stops_cleanly_on_sigterm() {
    // The simulators, as their own process.
    let (mut sandbox, info) = sandbox_process();

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("serve.toml");
    let config = format!(
        "data_dir = \"{data}\"\n[willo]\nbase_url = \"{willo}\"\n[ats]\nkind = \"lever\"\nbase_url = \"{lever}\"\n[receiver]\nlisten = \"127.0.0.1:{port}\"\n",
        data = dir.path().display(),
        willo = info["willoBaseUrl"].as_str().unwrap(),
        lever = info["leverBaseUrl"].as_str().unwrap(),
    );
    std::fs::write(&path, config).unwrap();
    let mut serve = binary()
        .args(["serve", "--config", path.to_str().unwrap()])
        .env(
            "WILLO_DESK_WILLO_API_KEY",
            info["willoApiKey"].as_str().unwrap(),
        )
        .env(
            "WILLO_DESK_LEVER_API_KEY",
            info["leverApiKey"].as_str().unwrap(),
        )
        .env("WILLO_DESK_WEBHOOK_TOKEN", "a".repeat(40))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // Ready when the receiver answers.
    let receiver = format!(
        "http://127.0.0.1:{port}/hooks/willo/{}/new_response",
        "a".repeat(40)
    );
    let mut ready = false;
    for _ in 0..100 {
        if let Ok(response) = reqwest::Client::new()
            .post(&receiver)
            .body("{}")
            .send()
            .await
        {
            ready = response.status() == 200;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "serve came up and its receiver took a delivery");
    assert!(
        dir.path().join("willo-desk.db").exists(),
        "the database is where the file says"
    );

    let status = Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut exited = None;
    for _ in 0..100 {
        exited = serve.try_wait().unwrap();
        if exited.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = sandbox.kill();
    let _ = sandbox.wait();
    assert!(
        exited.expect("stopped within 10 s of SIGTERM").success(),
        "a clean stop exits 0"
    );
}

#[tokio::test]
async fn doctor_reports_findings_with_fixes_and_exits_1_on_a_problem() {
    let (mut sandbox, info) = sandbox_process();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("serve.toml");
    let config = format!(
        "[willo]\nbase_url = \"{willo}\"\n[ats]\nkind = \"lever\"\nbase_url = \"{lever}\"\n",
        willo = info["willoBaseUrl"].as_str().unwrap(),
        lever = info["leverBaseUrl"].as_str().unwrap(),
    );
    std::fs::write(&path, config).unwrap();
    let run = |willo_key: &str| {
        binary()
            .args(["doctor", "--config", path.to_str().unwrap()])
            .env("WILLO_DESK_WILLO_API_KEY", willo_key)
            .env(
                "WILLO_DESK_LEVER_API_KEY",
                info["leverApiKey"].as_str().unwrap(),
            )
            .output()
            .unwrap()
    };
    let healthy = run(info["willoApiKey"].as_str().unwrap());
    let report = String::from_utf8_lossy(&healthy.stdout);
    assert!(healthy.status.success(), "{report}");
    assert!(
        report.contains("ok") && report.contains("Willo accepts the API key"),
        "{report}"
    );
    assert!(
        report.contains("WARNING") && report.contains("acting user"),
        "no acting user is a warning, with its fix: {report}"
    );

    let broken = run(&"0".repeat(32));
    let _ = sandbox.kill();
    let _ = sandbox.wait();
    let report = String::from_utf8_lossy(&broken.stdout);
    assert_eq!(broken.status.code(), Some(1), "{report}");
    assert!(
        report.contains("PROBLEM") && report.contains("→ Copy the key again"),
        "{report}"
    );
    assert!(
        !report.contains(&"0".repeat(32)),
        "the key is never printed"
    );
}

#[test]
fn without_a_display_the_desktop_says_so_and_points_to_serve() {
    let output = binary()
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no display") && stderr.contains("willo-desk serve"),
        "{stderr}"
    );
}

#[test]
fn a_database_the_desktop_cannot_open_is_named_on_stderr_and_in_the_log_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = b"this is a spreadsheet, not a database".repeat(200);
    std::fs::write(dir.path().join("sandbox.db"), &garbage).unwrap();
    // A virtual display and a session bus of its own, as a desktop has.
    let output = Command::new("xvfb-run")
        .args(["-a", "dbus-run-session", "--"])
        .arg(env!("CARGO_BIN_EXE_willo-desk"))
        .env("WILLO_DESK_DATA_DIR", dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("could not open Willo Desk")
            && stderr.contains("sandbox.db is not a Willo Desk database"),
        "{stderr}"
    );
    let logs: String = std::fs::read_dir(dir.path().join("logs"))
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert!(logs.contains("is not a Willo Desk database"), "{logs}");
    assert_eq!(
        std::fs::read(dir.path().join("sandbox.db")).unwrap(),
        garbage
    );
}

/// `sandbox --ats KIND` prints that ATS's `[ats]` section and credential, and they are a working
/// `serve` configuration: the doctor, run on them, finds the ATS takes them.
#[tokio::test]
async fn sandbox_prints_the_chosen_ats_as_a_working_section_of_a_serve_file() {
    for kind in ["ashby", "workable"] {
        let (mut sandbox, info) = sandbox_process_with(&["--ats", kind]);
        let ats = &info["ats"];
        assert_eq!(ats["section"]["kind"], kind);
        let section: String = ats["section"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(key, value)| format!("{key} = {value}\n"))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("serve.toml");
        std::fs::write(
            &path,
            format!(
                "[willo]\nbase_url = \"{}\"\n[ats]\n{section}",
                info["willoBaseUrl"].as_str().unwrap()
            ),
        )
        .unwrap();
        let output = binary()
            .args(["doctor", "--config", path.to_str().unwrap()])
            .env(
                "WILLO_DESK_WILLO_API_KEY",
                info["willoApiKey"].as_str().unwrap(),
            )
            .env(
                ats["secretEnv"].as_str().unwrap(),
                ats["secret"].as_str().unwrap(),
            )
            .output()
            .unwrap();
        let _ = sandbox.kill();
        let _ = sandbox.wait();
        let report = String::from_utf8_lossy(&output.stdout);
        let label = if kind == "ashby" { "Ashby" } else { "Workable" };
        assert!(
            report.contains(&format!("The {label} credentials work")),
            "{kind}: {report}"
        );
        assert!(output.status.success(), "{kind}: {report}");
    }
    let refused = binary()
        .args(["sandbox", "--port", "0", "--ats", "workday"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("greenhouse, lever, ashby, workable"),
        "the choices are named"
    );
}

/// The demo sandbox holds Workable's published limit for an account token (10 requests in 10
/// seconds, with its `X-Rate-Limit-*` headers), so the demo on Workable paces as it would for real.
#[tokio::test]
async fn the_demo_sandbox_holds_workables_rate_limit() {
    let (mut child, info) = sandbox_started(&[]);
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    let mut limit = None;
    for _ in 0..11 {
        let answer = client
            .get(format!(
                "{}/members",
                info["workableBaseUrl"].as_str().unwrap()
            ))
            .bearer_auth(info["workableToken"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        limit = answer
            .headers()
            .get("x-rate-limit-limit")
            .map(|v| v.to_str().unwrap().to_owned());
        statuses.push(answer.status().as_u16());
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(limit.as_deref(), Some("10"));
    assert_eq!(statuses[..10], [200; 10]);
    assert_eq!(statuses[10], 429, "the 11th in 10 seconds is refused");
}
