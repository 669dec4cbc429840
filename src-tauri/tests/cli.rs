//! The command line, through the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

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

#[tokio::test]
async fn sandbox_prints_one_json_line_with_working_urls_and_serves_until_stopped() {
    let mut child = binary()
        .args(["sandbox", "--port", "0", "--manual"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: Value = serde_json::from_str(&line).expect("the first stdout line is JSON");
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
    for word in ["desktop", "sandbox", "--data-dir"] {
        assert!(help.contains(word), "--help mentions {word}: {help}");
    }
}
