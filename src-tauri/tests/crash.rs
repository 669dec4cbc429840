//! The promise that matters most: whatever happens to the process, every candidate is invited
//! exactly once and every completed interview is written back exactly once. `serve` runs the loop
//! for 100 applicants and is killed with SIGKILL at random moments, twenty times, then restarted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use desk_sandbox::{AtsSettings, Lifecycle, Sandbox, SandboxConfig};
use serde_json::Value;

const APPLICANTS: usize = 100;
const KILLS: usize = 20;
const TOKEN: &str = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf";

fn serve(config: &std::path::Path, sb: &Sandbox) -> Child {
    Command::new(env!("CARGO_BIN_EXE_willo-desk"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .env("WILLO_DESK_WILLO_API_KEY", &sb.info.willo_api_key)
        .env(
            "WILLO_DESK_GREENHOUSE_CLIENT_SECRET",
            &sb.info.greenhouse_client_secret,
        )
        .env("WILLO_DESK_WEBHOOK_TOKEN", TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_ready(port: u16) {
    let url = format!("http://127.0.0.1:{port}/hooks/health");
    for _ in 0..200 {
        if reqwest::get(&url)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("serve did not come up");
}

async fn notes(sb: &Sandbox) -> Vec<Value> {
    reqwest::get(format!(
        "{}/ats/writes?ats=greenhouse&kind=note",
        sb.info.admin_url
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_twenty_times_mid_run_every_candidate_is_invited_once_and_written_back_once() {
    let mut config = SandboxConfig::for_tests();
    config.ats = AtsSettings {
        extra_applicants: APPLICANTS,
        ..config.ats
    };
    config.lifecycle = Lifecycle::Timed {
        open_after: Duration::from_millis(100),
        start_after: Duration::from_millis(100),
        complete_after: Duration::from_millis(300),
    };
    let sb = Sandbox::start(config).await.unwrap();
    let interview = sb.willo.with_data(|d| d.interviews[0].key.clone());

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("serve.toml");
    std::fs::write(
        &path,
        format!(
            "data_dir = \"{data}\"\n\
             [willo]\nbase_url = \"{willo}\"\nrate_per_second = 50\n\
             [ats]\nkind = \"greenhouse\"\nbase_url = \"{gh}\"\ntoken_url = \"{tok}\"\nclient_id = \"{client}\"\nacting_user = \"503\"\nper_second = 100\n\
             [receiver]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n\
             [engine]\nreconcile_every_minutes = 1\nats_poll_every_seconds = 10\n\
             [[automations]]\njob = \"4001\"\ninterview = \"{interview}\"\ntrigger_stages = [\"400101\"]\nreview_required = false\n",
            data = dir.path().display(),
            willo = sb.info.willo_base_url,
            gh = sb.info.greenhouse_base_url,
            tok = sb.info.greenhouse_token_url,
            client = sb.info.greenhouse_client_id,
        ),
    )
    .unwrap();

    // The first run switches the automation on; then the 100 applicants reach Screening.
    let mut child = serve(&path, &sb);
    wait_ready(port).await;
    let load: Vec<u64> = (0..APPLICANTS as u64).map(|n| 10_001 + n).collect();
    sb.ats.with_data(|d| {
        load.iter()
            .for_each(|id| d.move_application(*id, 1).unwrap())
    });

    for _ in 0..KILLS {
        let lifetime = Duration::from_millis(300 + rand::random::<u64>() % 1_200);
        tokio::time::sleep(lifetime).await;
        child.kill().unwrap(); // SIGKILL: no chance to finish anything
        child.wait().unwrap();
        child = serve(&path, &sb);
        wait_ready(port).await;
    }

    // Left alone, it finishes the work.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let written = notes(&sb)
            .await
            .iter()
            .filter(|n| n["application_id"].as_u64().is_some_and(|id| id > 10_000))
            .count();
        if written >= APPLICANTS || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success(), "a clean stop at the end");

    let participants = sb.willo.with_data(|d| {
        d.participants
            .iter()
            .map(|p| p.email.clone())
            .collect::<Vec<_>>()
    });
    let mut per_email: HashMap<&str, usize> = HashMap::new();
    for email in &participants {
        *per_email.entry(email.as_str()).or_default() += 1;
    }
    assert_eq!(
        participants.len(),
        APPLICANTS,
        "exactly 100 invitations reached Willo"
    );
    assert!(
        per_email.values().all(|n| *n == 1),
        "nobody was invited twice: {:?}",
        per_email
            .iter()
            .filter(|(_, n)| **n > 1)
            .collect::<Vec<_>>()
    );

    let mut per_application: HashMap<u64, usize> = HashMap::new();
    for note in notes(&sb).await {
        *per_application
            .entry(note["application_id"].as_u64().unwrap())
            .or_default() += 1;
    }
    assert!(
        load.iter().all(|id| per_application.get(id) == Some(&1)),
        "exactly one note for each of the 100: {:?}",
        load.iter()
            .filter(|id| per_application.get(id) != Some(&1))
            .map(|id| (id, per_application.get(id)))
            .collect::<Vec<_>>()
    );
}
