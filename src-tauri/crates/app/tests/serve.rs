//! `serve` against the simulators: a configuration file, secrets from the environment, an
//! automation from the file running the loop, and a clean stop.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::collections::HashMap;
use std::time::Duration;

use desk_app::config::ServeConfig;
use desk_app::serve::Server;
use desk_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

const TOKEN: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

fn config_text(sb: &Sandbox, interview: &str, extra: &str) -> String {
    format!(
        r#"
[willo]
base_url = "{willo}"
per_second = 20
per_minute = 1200

[ats]
kind = "greenhouse"
base_url = "{gh}"
token_url = "{token_url}"
client_id = "{client}"
acting_user = "503"
per_second = 50

[receiver]
listen = "127.0.0.1:0"

[engine]
default_region = "GB"

[[automations]]
job = "4001"
interview = "{interview}"
trigger_stages = ["400101"]
review_required = false
{extra}
"#,
        willo = sb.info.willo_base_url,
        gh = sb.info.greenhouse_base_url,
        token_url = sb.info.greenhouse_token_url,
        client = sb.info.greenhouse_client_id,
    )
}

fn secrets(sb: &Sandbox) -> HashMap<String, String> {
    HashMap::from([
        (
            "WILLO_DESK_WILLO_API_KEY".to_owned(),
            sb.info.willo_api_key.clone(),
        ),
        (
            "WILLO_DESK_GREENHOUSE_CLIENT_SECRET".to_owned(),
            sb.info.greenhouse_client_secret.clone(),
        ),
        ("WILLO_DESK_WEBHOOK_TOKEN".to_owned(), TOKEN.to_owned()),
    ])
}

fn load(dir: &tempfile::TempDir, text: &str) -> ServeConfig {
    let path = dir.path().join("serve.toml");
    std::fs::write(&path, text).unwrap();
    ServeConfig::load(&path).unwrap()
}

fn writes(sb: &Sandbox, kind: &str) -> Vec<Value> {
    let recorded = sb
        .ats
        .with_data(|d| d.writes_to(Some("greenhouse"), Some(kind)));
    serde_json::to_value(recorded)
        .unwrap()
        .as_array()
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn serve_runs_an_automation_from_its_file_end_to_end_and_stops_cleanly() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let interview = sb.willo.with_data(|d| d.interviews[0].key.clone());
    let dir = tempfile::tempdir().unwrap();
    let config = load(&dir, &config_text(&sb, &interview, ""));
    let env = secrets(&sb);
    let server = Server::start(&config, dir.path(), &|k| env.get(k).cloned())
        .await
        .unwrap();
    assert!(server.receiver.is_some(), "the receiver listens");

    // A recruiter moves Zoë into Screening; the next poll invites her (asked for now, not in 2 minutes).
    reqwest::Client::new()
        .post(format!("{}/ats/applications/9002/move", sb.info.admin_url))
        .json(&json!({"stage": "Screening"}))
        .send()
        .await
        .unwrap();
    server.engine().poll_handle().notify_one();
    let mut participant = None;
    for _ in 0..200 {
        participant = sb
            .willo
            .with_data(|d| d.participants.first().map(|p| p.key.clone()));
        if participant.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let participant = participant.expect("the trigger invited her");
    sb.willo.advance(
        &participant,
        Some(desk_sandbox::willo::model::ParticipantStatus::Completed),
    );
    server.engine().catch_up(10).await.unwrap();
    let mut notes = Vec::new();
    for _ in 0..200 {
        notes = writes(&sb, "note");
        if !notes.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        notes.len(),
        1,
        "review is off: the results went back to the ATS by themselves"
    );
    tokio::time::timeout(Duration::from_secs(25), server.shutdown())
        .await
        .expect("stops when told");
    assert!(dir.path().join("willo-desk.db").exists());
}

#[tokio::test]
async fn serve_refuses_to_start_on_a_missing_secret_a_short_token_or_an_unknown_stage() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let interview = sb.willo.with_data(|d| d.interviews[0].key.clone());
    let dir = tempfile::tempdir().unwrap();
    let config = load(&dir, &config_text(&sb, &interview, ""));

    let mut env = secrets(&sb);
    env.remove("WILLO_DESK_GREENHOUSE_CLIENT_SECRET");
    let error = Server::start(&config, dir.path(), &|k| env.get(k).cloned())
        .await
        .err()
        .unwrap();
    assert!(
        error
            .message
            .contains("WILLO_DESK_GREENHOUSE_CLIENT_SECRET"),
        "{}",
        error.message
    );

    let mut env = secrets(&sb);
    env.insert("WILLO_DESK_WEBHOOK_TOKEN".into(), "short".into());
    let error = Server::start(&config, dir.path(), &|k| env.get(k).cloned())
        .await
        .err()
        .unwrap();
    assert!(error.message.contains("at least 32"), "{}", error.message);

    let bad_stage = load(
        &dir,
        &config_text(&sb, &interview, "move_to_stage = \"nope\""),
    );
    let env = secrets(&sb);
    let error = Server::start(&bad_stage, dir.path(), &|k| env.get(k).cloned())
        .await
        .err()
        .unwrap();
    assert!(
        error.message.contains("automations[0].move_to_stage") && error.message.contains("nope"),
        "{}",
        error.message
    );

    let mut env = secrets(&sb);
    env.insert("WILLO_DESK_WILLO_API_KEY".into(), "0".repeat(32));
    let error = Server::start(&config, dir.path(), &|k| env.get(k).cloned())
        .await
        .err()
        .unwrap();
    assert_eq!(
        error.code,
        desk_app::ErrorCode::AuthFailed,
        "{}",
        error.message
    );
    assert!(
        !error.message.contains(&"0".repeat(32)),
        "the key is never in a message"
    );
}

/// Starts `serve` on `dir` with the configuration `text` and the sandbox's secrets.
async fn start(sb: &Sandbox, dir: &tempfile::TempDir, text: &str) -> Server {
    let env = secrets(sb);
    Server::start(&load(dir, text), dir.path(), &|k| env.get(k).cloned())
        .await
        .unwrap()
}

/// The one rule for automations set both in a `serve` file and in the app: a file entry is
/// applied when it is new or changed; otherwise the app's change stands.
#[tokio::test]
async fn a_file_automation_is_applied_when_the_file_changes_and_otherwise_the_apps_change_stands() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let interview = sb.willo.with_data(|d| d.interviews[0].key.clone());
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(&sb, &interview, "");
    let automation = |server: &Server| {
        let store = server.engine().store().clone();
        async move {
            let all = store.automations().await.unwrap();
            assert_eq!(all.len(), 1, "the file's one automation");
            all.into_iter().next().unwrap()
        }
    };

    let server = start(&sb, &dir, &text).await;
    let first = automation(&server).await;
    assert!(
        !first.paused && !first.review_required,
        "applied from the file"
    );
    // A recruiter pauses it in the app.
    server
        .engine()
        .store()
        .set_automation_paused(first.job_id, true, 1)
        .await
        .unwrap();
    server.shutdown().await;

    let server = start(&sb, &dir, &text).await;
    assert!(
        automation(&server).await.paused,
        "the file did not change: the pause made in the app stands"
    );
    server.shutdown().await;

    let changed = text.replace("review_required = false", "review_required = true");
    let server = start(&sb, &dir, &changed).await;
    let applied = automation(&server).await;
    assert!(
        applied.review_required && !applied.paused,
        "the file changed since: its entry is applied again"
    );
    server
        .engine()
        .store()
        .set_automation_paused(applied.job_id, true, 2)
        .await
        .unwrap();
    server.shutdown().await;

    // The entry leaves the file, then comes back unchanged: it is new again.
    let without = changed.replace("[[automations]]", "[[nothing]]");
    let without = &without[..without.find("[[nothing]]").unwrap()];
    let server = start(&sb, &dir, without).await;
    assert!(automation(&server).await.paused, "left as the app set it");
    server.shutdown().await;
    let server = start(&sb, &dir, &changed).await;
    assert!(
        !automation(&server).await.paused,
        "back in the file: applied again"
    );
    server.shutdown().await;
}

/// A write cut off by a kill leaves its part file; the next engine on the folder removes it.
#[tokio::test]
async fn the_part_file_of_a_write_cut_off_long_ago_is_removed_at_start() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let interview = sb.willo.with_data(|d| d.interviews[0].key.clone());
    let dir = tempfile::tempdir().unwrap();
    let cut_off = dir.path().join("connections.json.4242-7.part");
    std::fs::File::create(&cut_off)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(2 * 3600))
        .unwrap();
    let server = start(&sb, &dir, &config_text(&sb, &interview, "")).await;
    assert!(!cut_off.exists(), "the litter of a killed write is gone");
    server.shutdown().await;
}

/// The file's `retention_days` and an automation's `note` are applied at start; a file without
/// `retention_days` turns retention off, as the file alone configures `serve`.
#[tokio::test]
async fn the_files_retention_and_note_policy_are_applied_at_start() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let interview = sb.willo.with_data(|d| d.interviews[0].key.clone());
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(&sb, &interview, "note = \"summary_and_links\"\n")
        .replace("[engine]\n", "[engine]\nretention_days = 90\n");
    let server = start(&sb, &dir, &text).await;
    assert_eq!(server.engine().retention().await.unwrap().days, Some(90));
    let automations = server.engine().store().automations().await.unwrap();
    assert_eq!(
        automations[0].note_policy,
        desk_domain::NotePolicy::SummaryAndLinks
    );
    server.shutdown().await;

    let server = start(&sb, &dir, &config_text(&sb, &interview, "")).await;
    assert_eq!(server.engine().retention().await.unwrap().days, None);
    server.shutdown().await;

    let path = dir.path().join("zero.toml");
    std::fs::write(
        &path,
        text.replace("retention_days = 90", "retention_days = 0"),
    )
    .unwrap();
    let refused = ServeConfig::load(&path);
    assert!(
        refused.is_err_and(|e| e.to_string().contains("engine.retention_days")),
        "0 days is refused, naming the field"
    );
}
