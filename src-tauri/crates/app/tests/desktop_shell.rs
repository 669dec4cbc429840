//! What the desktop's tray and links ask of the app, through the app's API on the sandbox: the
//! tray's inbox count and its switch that pauses every automation, and `willo-desk://` links by
//! the services' own ids, which still name the same person after the local data is read again,
//! and which a notification's click opens.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use desk_app::{App, ErrorCode, NoticeTarget};
use desk_engine::{AutomationRequest, InterviewChoice, ReviewInput};
use desk_sandbox::SandboxConfig;
use support::{application, complete_latest, fast, latest_invitation};

async fn open(dir: &std::path::Path) -> App {
    let app = App::open_sandbox(dir, SandboxConfig::for_tests(), fast())
        .await
        .unwrap();
    app.sync_ats().await.unwrap();
    app
}

/// An automation on each of the first `n` jobs, on their Screening stage.
async fn automate(app: &App, n: usize) {
    let interview = app.interviews().await.unwrap()[0].key.clone();
    for job in app.automations().await.unwrap().into_iter().take(n) {
        let screening = job
            .stages
            .iter()
            .find(|s| s.name == "Screening")
            .unwrap()
            .id;
        app.set_automation(&AutomationRequest {
            job_id: job.job_id.into(),
            choice: InterviewChoice::Interview {
                interview_key: interview.clone(),
            },
            trigger_stage_ids: vec![screening.into()],
            review_required: true,
            move_to_stage_id: None,
            move_min_score: None,
            note_policy: desk_domain::NotePolicy::Everything,
        })
        .await
        .unwrap();
    }
}

/// What the tray's Pause item shows: whether every automation is paused (`None`: there is none).
async fn paused(app: &App) -> Option<bool> {
    app.tray_summary().await.unwrap().automations_paused
}

#[tokio::test]
async fn the_tray_counts_the_inbox_and_pauses_every_automation_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    let summary = app.tray_summary().await.unwrap();
    assert_eq!(summary.to_review, 0);
    assert_eq!(summary.automations_paused, None, "nothing to pause yet");

    let interview = app.interviews().await.unwrap()[0].key.clone();
    let zoe = application(&app, "Zoë").await;
    app.send(&[zoe], &interview, &|_| {}).await.unwrap();
    complete_latest(&app, zoe).await;
    assert_eq!(app.tray_summary().await.unwrap().to_review, 1);
    // A second one waiting, then one reviewed: the count follows the inbox.
    let jose = application(&app, "José").await;
    app.send(&[jose], &interview, &|_| {}).await.unwrap();
    let joses = complete_latest(&app, jose).await;
    assert_eq!(app.tray_summary().await.unwrap().to_review, 2);
    app.approve(joses, ReviewInput::default()).await.unwrap();
    assert_eq!(app.tray_summary().await.unwrap().to_review, 1);
    assert_eq!(app.inbox().await.unwrap().len(), 1);

    automate(&app, 2).await;
    assert_eq!(paused(&app).await, Some(false));
    // One already paused by hand: pausing all changes the other only.
    let first = app.automations().await.unwrap()[0].job_id;
    app.pause_automation(first, true).await.unwrap();
    assert_eq!(paused(&app).await, Some(false), "not all");
    assert_eq!(app.pause_all_automations(true).await.unwrap(), 1);
    assert_eq!(paused(&app).await, Some(true));
    assert!(app
        .automations()
        .await
        .unwrap()
        .iter()
        .filter_map(|v| v.automation.as_ref())
        .all(|a| a.paused));
    assert_eq!(app.pause_all_automations(false).await.unwrap(), 2);
    assert_eq!(paused(&app).await, Some(false));
    app.shutdown().await;
}

#[tokio::test]
async fn links_name_the_same_review_and_candidate_after_the_local_data_is_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    let interview = app.interviews().await.unwrap()[0].key.clone();
    let zoe = application(&app, "Zoë").await;
    app.send(&[zoe], &interview, &|_| {}).await.unwrap();
    let invitation = complete_latest(&app, zoe).await;
    let (_, key) = latest_invitation(&app, zoe).await;
    let review = format!("willo-desk://review/{key}");
    // Zoë Müller's application in the simulated Greenhouse's demo data.
    let candidate = "willo-desk://candidate/9002";

    assert_eq!(
        app.link_target(&review).await.unwrap(),
        NoticeTarget::Review {
            invitation_id: invitation.into()
        }
    );
    assert_eq!(
        app.link_target(candidate).await.unwrap(),
        NoticeTarget::Candidate {
            application_id: zoe.into(),
            name: "Zoë Müller".into()
        }
    );
    // A notification's click opens its target's link: the same link, both ways.
    let review_target = NoticeTarget::Review {
        invitation_id: invitation.into(),
    };
    assert_eq!(app.link_to(&review_target).await.unwrap(), Some(review));
    let candidate_target = app.link_target(candidate).await.unwrap();
    assert_eq!(
        app.link_to(&candidate_target).await.unwrap().as_deref(),
        Some(candidate)
    );
    for (link, screen) in [
        ("willo-desk://inbox", NoticeTarget::Inbox),
        ("willo-desk://activity", NoticeTarget::Activity),
        ("willo-desk://settings", NoticeTarget::Settings),
    ] {
        assert_eq!(app.link_to(&screen).await.unwrap().as_deref(), Some(link));
        assert_eq!(app.link_target(link).await.unwrap(), screen);
    }
    for (link, code) in [
        (
            "willo-desk://review/no-such-participant",
            ErrorCode::NotFound,
        ),
        ("willo-desk://candidate/123456789", ErrorCode::NotFound),
        ("willo-desk://review/..%2F..", ErrorCode::Validation),
    ] {
        let error = app.link_target(link).await.unwrap_err();
        assert_eq!(error.code, code, "{link}");
        assert!(!error.message.contains("Zoë"), "{link}: {}", error.message);
    }
    app.shutdown().await;
    drop(app);

    // The local database again from nothing: new local numbers, the same services' ids.
    desk_app::paths::remove_database(&desk_app::paths::sandbox_database(dir.path())).unwrap();
    let again = open(dir.path()).await;
    let target = again.link_target(candidate).await.unwrap();
    let NoticeTarget::Candidate { name, .. } = target else {
        panic!("{target:?}");
    };
    assert_eq!(name, "Zoë Müller");
    again.shutdown().await;
}
