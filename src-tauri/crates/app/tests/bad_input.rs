//! Bad input everywhere: each command the UI calls, given empty, too long and hostile values,
//! answers with an error that names what is wrong, and nothing is sent, stored or changed.
//! (Values of the wrong type are refused before they reach `App`: the real-app test sends those
//! through the webview.)

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::time::Duration;

use desk_app::ipc::{ActivityQuery, CandidateQuery};
use desk_app::live::{self, AtsChoice, Connections, WilloEnvironment};
use desk_app::{App, AppError, ErrorCode};
use desk_engine::{AutomationRequest, InterviewChoice, Schedule};
use desk_sandbox::SandboxConfig;

const HOSTILE: &str = "<script>alert(1)</script>'; DROP TABLE candidates; --\u{0}\r\nX-Injected: 1";

fn quiet() -> Schedule {
    // The loop stays out of the way: nothing here should give it work.
    Schedule {
        tick: Duration::from_secs(3600),
        reconcile_every: Duration::from_secs(3600),
        ats_poll_every: Duration::from_secs(3600),
        ..Schedule::default()
    }
}

/// Asserts `result` is a validation error whose message starts with `field`.
#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<T, AppError>, field: &str) {
    let error = result.expect_err(&format!("{field}: a bad value was accepted"));
    assert_eq!(error.code, ErrorCode::Validation, "{field}: {error:?}");
    assert!(
        error
            .message
            .to_lowercase()
            .starts_with(&field.to_lowercase()),
        "the message names {field}: {}",
        error.message
    );
}

/// As [`refused`], for a secret: the message must not repeat it, not even in part.
#[track_caller]
fn refused_secret<T: std::fmt::Debug>(result: Result<T, AppError>, field: &str, secret: &str) {
    let message = result.as_ref().err().map(|e| e.message.clone());
    refused(result, field);
    let message = message.unwrap_or_default();
    for part in secret.as_bytes().chunks(8).filter(|p| p.len() == 8) {
        let part = String::from_utf8_lossy(part);
        assert!(
            !message.contains(part.as_ref()),
            "the secret leaked into: {message}"
        );
    }
}

/// Asserts `result` is an error saying nothing is found.
#[track_caller]
fn not_found<T: std::fmt::Debug>(result: Result<T, AppError>, what: &str) {
    let error = result.expect_err(&format!("{what}: an unknown id was accepted"));
    assert_eq!(error.code, ErrorCode::NotFound, "{what}: {error:?}");
    assert!(error.message.contains(what), "{}", error.message);
}

fn list(search: Option<&str>) -> CandidateQuery {
    CandidateQuery {
        search: search.map(Into::into),
        limit: 50,
        ..CandidateQuery::default()
    }
}

#[tokio::test]
async fn every_command_refuses_empty_long_and_hostile_values_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_sandbox(dir.path(), SandboxConfig::for_tests(), quiet())
        .await
        .unwrap();
    app.sync_ats().await.unwrap();
    let total = app.candidates(&list(None)).await.unwrap().total;
    let settings = app.settings().await.unwrap();
    let activity_before = app
        .activity(&ActivityQuery {
            limit: 500,
            ..ActivityQuery::default()
        })
        .await
        .unwrap()
        .len();
    let someone = app.candidates(&list(None)).await.unwrap().rows[0].application_id;
    let interview = app.interviews().await.unwrap()[0].key.clone();

    // The candidate list.
    refused(
        app.candidates(&list(Some(&"x".repeat(201)))).await,
        "search",
    );
    // A status is one of the list's or none: any other is refused where the request is read,
    // before it reaches `App`.
    for status in [HOSTILE, ""] {
        let read = serde_json::from_value::<CandidateQuery>(
            serde_json::json!({ "status": status, "limit": 50 }),
        );
        assert!(read.is_err(), "{status:?} was taken for a status");
    }
    // Search text is only ever text: full-text syntax and SQL find nothing and break nothing.
    for text in [HOSTILE, "\"", "*", "a OR b NEAR(c", "NOT", "^x", "-", "%_"] {
        let page = app.candidates(&list(Some(text))).await.unwrap();
        assert!(page.rows.is_empty(), "{text:?} found {:?}", page.rows);
    }
    not_found(app.timeline(u32::MAX).await, "application");

    // Sending.
    refused(app.pre_send(&[], &interview).await, "selection");
    refused(app.pre_send(&[someone], "").await, "interview");
    refused(
        app.pre_send(&[someone], &"k".repeat(10_000)).await,
        "interview",
    );
    refused(
        app.pre_send(&vec![someone; 5_001], &interview).await,
        "selection",
    );
    refused(app.send(&[], &interview, &|_| {}).await, "selection");
    refused(app.send(&[someone], HOSTILE, &|_| {}).await, "interview");

    // Reviews and failed work.
    not_found(app.review_detail(u32::MAX).await, "invitation");
    not_found(app.skip(u32::MAX).await, "invitation");
    not_found(app.retry(u32::MAX).await, "outbox");

    // Automations.
    let jobs = app.automations().await.unwrap();
    let (job, stage) = (jobs[0].job_id, i64::from(jobs[0].stages[0].id));
    let request = |choice, stages: Vec<i64>| AutomationRequest {
        job_id: job.into(),
        choice,
        trigger_stage_ids: stages,
        review_required: true,
        move_to_stage_id: None,
        move_min_score: None,
        note_policy: desk_domain::NotePolicy::Everything,
    };
    let direct = |key: &str| InterviewChoice::Interview {
        interview_key: key.into(),
    };
    refused(
        app.set_automation(&request(direct(&interview), Vec::new()))
            .await,
        "trigger stages",
    );
    refused(
        app.set_automation(&request(direct(&interview), vec![i64::MAX]))
            .await,
        "trigger stages",
    );
    refused(
        app.set_automation(&request(direct(""), vec![stage])).await,
        "interview",
    );
    refused(
        app.set_automation(&request(direct(HOSTILE), vec![stage]))
            .await,
        "interview",
    );
    let mut scored = request(direct(&interview), vec![stage]);
    scored.move_min_score = Some(f64::NAN);
    refused(app.set_automation(&scored).await, "minimum score");
    not_found(app.pause_automation(u32::MAX, true).await, "automation");

    // The activity log and its export.
    let long_search = ActivityQuery {
        search: Some("x".repeat(201)),
        limit: 50,
        ..ActivityQuery::default()
    };
    refused(app.activity(&long_search).await, "search");
    refused(app.export_activity(&long_search).await, "search");

    // Settings: each field alone.
    let mut bad = settings.clone();
    bad.default_region = Some(HOSTILE.into());
    refused(app.save_settings(&bad).await, "Default phone region");
    let mut bad = settings.clone();
    bad.ats_poll_seconds = 0;
    refused(app.save_settings(&bad).await, "Check the ATS every");
    let mut bad = settings.clone();
    bad.reconcile_minutes = u32::MAX;
    refused(
        app.save_settings(&bad).await,
        "Check open interviews at least every",
    );
    let mut bad = settings.clone();
    bad.receiver_listen = Some(HOSTILE.into());
    refused(app.save_settings(&bad).await, "Listen on");
    let mut bad = settings.clone();
    bad.receiver_public_url = Some("javascript:alert(1)".into());
    refused(app.save_settings(&bad).await, "Public address");
    let mut bad = settings.clone();
    bad.receiver_public_url = Some(format!("https://{}.example", "a".repeat(3_000)));
    refused(app.save_settings(&bad).await, "Public address");

    // Links the UI asks to open.
    for link in ["", "javascript:alert(1)", "file:///etc/passwd", HOSTILE] {
        refused(app.link(link), "link");
    }

    // Connections to real accounts: checked before anything is sent anywhere.
    let connections = Connections {
        willo_environment: WilloEnvironment::Custom,
        willo_url: Some("file:///etc/passwd".into()),
        ats: AtsChoice::Lever,
        ats_client_id: None,
        ats_acting_user: None,
        ats_url: None,
        ats_token_url: None,
        ats_subdomain: None,
    };
    refused(live::test_willo(&connections, "a-key").await, "Willo URL");
    let production = Connections {
        willo_environment: WilloEnvironment::Production,
        willo_url: None,
        ..connections.clone()
    };
    refused(live::test_willo(&production, "").await, "Willo API key");
    refused_secret(
        live::test_willo(&production, HOSTILE).await,
        "Willo API key",
        HOSTILE,
    );
    let long = "k".repeat(5_000);
    refused_secret(
        live::test_willo(&production, &long).await,
        "Willo API key",
        &long,
    );
    refused(live::test_ats(&production, " ").await, "ATS secret");
    refused_secret(
        live::test_ats(&production, HOSTILE).await,
        "ATS secret",
        HOSTILE,
    );

    // Nothing changed: no one invited, nothing logged, nothing saved, nothing automated.
    assert!(
        app.sandbox()
            .unwrap()
            .willo
            .with_data(|d| d.participants.is_empty()),
        "nobody was invited"
    );
    assert_eq!(app.candidates(&list(None)).await.unwrap().total, total);
    assert_eq!(app.settings().await.unwrap(), settings);
    assert!(app
        .automations()
        .await
        .unwrap()
        .iter()
        .all(|a| a.automation.is_none()));
    assert_eq!(
        app.activity(&ActivityQuery {
            limit: 500,
            ..ActivityQuery::default()
        })
        .await
        .unwrap()
        .len(),
        activity_before,
        "nothing was logged"
    );
    app.shutdown().await;
}
