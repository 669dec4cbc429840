//! ATS webhooks reach a real `serve`: with `[receiver] ats_secret_env` set, a stage change signed
//! with that secret makes it poll the ATS at once (here the regular poll is a day away), so the
//! candidate is invited within seconds; a forged signature is refused and changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use desk_sandbox::{AtsSettings, FaultKind, FaultRule, Sandbox, SandboxConfig};
use support::{
    binary, config, config_file, free_port, greenhouse_signature, secrets, terminate, wait_ready,
    TOKEN,
};

const SECRET: &str = "the-greenhouse-webhook-secret";
const APPLICATION: u64 = 10_001;

async fn deliver(port: u16, body: &str, signature: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/hooks/ats/{TOKEN}"))
        .header("Signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_stage_change_makes_serve_invite_at_once_and_a_forged_one_is_refused() {
    let mut sandbox = SandboxConfig::for_tests();
    sandbox.ats = AtsSettings {
        extra_applicants: 1,
        ..sandbox.ats
    };
    let sb = Sandbox::start(sandbox).await.unwrap();
    // Counts serve's reads of the applications (a rule that delays nothing).
    sb.faults.add(
        FaultRule::new(FaultKind::Delay { millis: 0 })
            .on_path("/greenhouse/v3/applications")
            .on_method("GET"),
    );
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let text = config(&sb, dir.path(), port, "")
        .replace(
            "[engine]\n",
            "ats_secret_env = \"WILLO_DESK_ATS_WEBHOOK_SECRET\"\n[engine]\n",
        )
        .replace(
            "ats_poll_every_seconds = 10",
            "ats_poll_every_seconds = 86400",
        );
    let path = config_file(dir.path(), &text);
    let mut child = binary(dir.path())
        .args(["serve", "--config", path.to_str().unwrap()])
        .envs(secrets(&sb))
        .env("WILLO_DESK_ATS_WEBHOOK_SECRET", SECRET)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(port, Duration::from_secs(30)).await;
    // serve reads the ATS once as it starts; the next regular read is a day away. Each read
    // lists the applications once.
    let deadline = Instant::now() + Duration::from_secs(30);
    while sb.faults.struck() < 1 {
        assert!(Instant::now() < deadline, "serve never read the ATS");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await; // for that read to be taken in

    // The candidate reaches Screening; the ATS says so by webhook.
    sb.ats
        .with_data(|d| d.move_application(APPLICATION, 1))
        .unwrap();
    let body = serde_json::json!({
        "action": "candidate_stage_change",
        "payload": {"application": {"id": APPLICATION, "current_stage": {"id": 400_101, "name": "Screening"}}},
    })
    .to_string();
    let invited = || sb.willo.with_data(|d| d.participants.len());

    assert_eq!(
        sb.faults.struck(),
        1,
        "the loop did not read the ATS again at start"
    );
    assert_eq!(
        deliver(port, &body, &greenhouse_signature(&body, "not-the-secret")).await,
        401,
        "a forged signature is refused"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(invited(), 0, "a refused delivery starts nothing");

    assert_eq!(
        deliver(port, &body, &greenhouse_signature(&body, SECRET)).await,
        200
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while invited() == 0 {
        assert!(
            Instant::now() < deadline,
            "the verified stage change did not lead to an invitation"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(terminate(&mut child, Duration::from_secs(40)).success());
    assert_eq!(
        support::participants_per_email(&sb).values().sum::<usize>(),
        1
    );
}
