//! ATS webhooks reach a real `serve`: with `[receiver] ats_secret_env` set, a stage change signed
//! with that secret makes it poll the ATS at once (here the regular poll is a day away), so the
//! candidate is invited within seconds; a forged signature is refused and changes nothing. Ashby's
//! webhook (set up in its admin screens) is signed with that secret too; Workable's subscription
//! is made by `serve` itself and its deliveries are signed with the account token.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use desk_sandbox::ats::{AshbyWebhook, Dialect};
use desk_sandbox::{AtsSettings, FaultKind, FaultRule, Sandbox, SandboxConfig};
use support::{
    binary, config, config_file, config_on, free_port, greenhouse_signature, secrets, terminate,
    wait_ready, TOKEN,
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

/// `serve` on `dialect` with its regular ATS poll a day away, once it has read the ATS at start;
/// `ats` is the `[ats]` section's body and `receiver` more `[receiver]` settings.
async fn serve_on(
    sb: &Sandbox,
    dir: &std::path::Path,
    port: u16,
    dialect: Dialect,
    ats: &str,
    receiver: &str,
) -> std::process::Child {
    let text = config_on(sb, dir, port, dialect, ats, "")
        .replace("[engine]\n", &format!("{receiver}[engine]\n"))
        .replace(
            "ats_poll_every_seconds = 10",
            "ats_poll_every_seconds = 86400",
        );
    let path = config_file(dir, &text);
    let child = binary(dir)
        .args(["serve", "--config", path.to_str().unwrap()])
        .envs(secrets(sb))
        .env("WILLO_DESK_ATS_WEBHOOK_SECRET", SECRET)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(port, Duration::from_secs(30)).await;
    child
}

/// Waits until `serve` has invited someone: the stage change reached it.
async fn wait_for_an_invitation(sb: &Sandbox, why: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while sb.willo.with_data(|d| d.participants.is_empty()) {
        assert!(Instant::now() < deadline, "{why}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The simulator's deliveries to this test's receiver, as (delivered, last status).
fn deliveries(sb: &Sandbox, port: u16) -> Vec<(bool, Option<u16>)> {
    sb.ats
        .webhook_deliveries()
        .into_iter()
        .filter(|d| {
            d.url
                .starts_with(&format!("http://127.0.0.1:{port}/hooks/ats/"))
        })
        .map(|d| (d.delivered, d.last_status))
        .collect()
}

/// `serve` on the simulated Ashby, taking its webhooks with `SECRET`: the simulators, the data
/// folder, the receiver's port and the process.
async fn serve_on_ashby() -> (Sandbox, tempfile::TempDir, u16, std::process::Child) {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let ats = format!(
        "kind = \"ashby\"\nbase_url = \"{}\"\nper_minute = 6000\n",
        sb.info.ashby_base_url
    );
    let receiver = "ats_secret_env = \"WILLO_DESK_ATS_WEBHOOK_SECRET\"\n";
    let child = serve_on(&sb, dir.path(), port, Dialect::Ashby, &ats, receiver).await;
    (sb, dir, port, child)
}

/// Zoë (application 9002) reaches Screening in the simulated ATS, as a recruiter would move her.
fn move_zoe_to_screening(sb: &Sandbox) {
    sb.ats.with_data(|d| d.move_application(9002, 1)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ashby_webhook_signed_with_its_secret_makes_serve_invite_at_once() {
    let (sb, _dir, port, mut child) = serve_on_ashby().await;
    // What an Ashby admin sets up in Ashby's settings: the address, and the secret it signs with.
    sb.ats.set_ashby_webhook(Some(AshbyWebhook {
        url: format!("http://127.0.0.1:{port}/hooks/ats/{TOKEN}"),
        secret: SECRET.into(),
    }));
    tokio::time::sleep(Duration::from_secs(1)).await; // for the start's read to be taken in
    move_zoe_to_screening(&sb);
    wait_for_an_invitation(
        &sb,
        "Ashby's signed stage change did not lead to an invitation",
    )
    .await;
    assert_eq!(deliveries(&sb, port), [(true, Some(200))]);
    assert!(terminate(&mut child, Duration::from_secs(40)).success());
    assert_eq!(
        support::participants_per_email(&sb).get("zoe.mueller@example.de"),
        Some(&1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ashby_webhook_signed_with_another_secret_is_refused() {
    let (sb, _dir, port, mut child) = serve_on_ashby().await;
    sb.ats.set_ashby_webhook(Some(AshbyWebhook {
        url: format!("http://127.0.0.1:{port}/hooks/ats/{TOKEN}"),
        secret: "not-the-secret".into(),
    }));
    move_zoe_to_screening(&sb);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !deliveries(&sb, port)
        .iter()
        .any(|(_, status)| *status == Some(401))
    {
        assert!(
            Instant::now() < deadline,
            "the forged delivery was not answered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        sb.willo.with_data(|d| d.participants.is_empty()),
        "a refused delivery starts nothing"
    );
    assert!(terminate(&mut child, Duration::from_secs(40)).success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_subscribes_to_workables_stage_changes_and_its_signed_delivery_invites_at_once() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let ats = format!(
        "kind = \"workable\"\nbase_url = \"{}\"\nacting_user = \"{}\"\nper_10_seconds = 50\n",
        sb.info.workable_base_url,
        Dialect::Workable.user_id(503)
    );
    let ours = format!("http://127.0.0.1:{port}/hooks/ats/{TOKEN}");
    let mut child = serve_on(&sb, dir.path(), port, Dialect::Workable, &ats, "").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while subscriptions(&sb).await != [ours.clone()] {
        assert!(
            Instant::now() < deadline,
            "serve did not subscribe: {:?}",
            subscriptions(&sb).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    move_zoe_to_screening(&sb);
    wait_for_an_invitation(&sb, "Workable's delivery did not lead to an invitation").await;
    assert_eq!(deliveries(&sb, port), [(true, Some(200))]);
    assert!(terminate(&mut child, Duration::from_secs(40)).success());

    // A second start finds its subscription there and makes no other: it lists the
    // subscriptions (counted here) and posts none (counted too; the simulator would answer a
    // second one with 409, so the list alone could not tell).
    let (posts, lists) = (
        FaultRule::new(FaultKind::Delay { millis: 0 })
            .on_path("/workable/spi/v3/subscriptions")
            .on_method("POST"),
        FaultRule::new(FaultKind::Delay { millis: 0 })
            .on_path("/workable/spi/v3/subscriptions")
            .on_method("GET"),
    );
    sb.faults.add(posts);
    sb.faults.add(lists);
    let mut child = serve_on(&sb, dir.path(), port, Dialect::Workable, &ats, "").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while sb.faults.struck() == 0 {
        assert!(
            Instant::now() < deadline,
            "the second start did not look for its subscription"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(sb.faults.struck(), 1, "listed once, posted nothing");
    assert_eq!(subscriptions(&sb).await, [ours]);
    assert!(terminate(&mut child, Duration::from_secs(40)).success());
    assert_eq!(
        support::participants_per_email(&sb).get("zoe.mueller@example.de"),
        Some(&1)
    );
}

/// The targets of the simulated Workable's subscriptions, as its API lists them.
async fn subscriptions(sb: &Sandbox) -> Vec<String> {
    let body: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/subscriptions", sb.info.workable_base_url))
        .bearer_auth(&sb.info.workable_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["target"].as_str().unwrap().to_owned())
        .collect()
}
