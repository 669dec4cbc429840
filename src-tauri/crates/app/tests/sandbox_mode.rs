//! The app in sandbox mode, end to end against the in-process simulators and a real SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::time::Duration;

use desk_app::App;
use desk_engine::{EngineEvent, InviteOutcome, Schedule};
use desk_sandbox::SandboxConfig;

/// A quick loop for tests: the real schedule works in minutes.
fn fast() -> Schedule {
    Schedule {
        tick: Duration::from_millis(50),
        reconcile_every: Duration::from_secs(60),
        ..Schedule::default()
    }
}

#[tokio::test]
async fn a_sync_brings_the_demo_ats_into_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_sandbox(dir.path(), SandboxConfig::for_tests(), fast())
        .await
        .unwrap();

    let report = app.sync_ats().await.unwrap();
    assert_eq!(
        (report.jobs, report.candidates, report.applications),
        (3, 40, 41)
    );
    // The background loop may have polled first, in which case nothing was new any more.
    assert!(
        report.stage_changes == 41 || report.stage_changes == 0,
        "{}",
        report.stage_changes
    );

    let overview = app.overview().await.unwrap();
    assert_eq!(overview.jobs.len(), 3);
    assert_eq!((overview.candidates, overview.applications), (40, 41));
    let screening: u32 = overview
        .jobs
        .iter()
        .flat_map(|j| &j.stages)
        .filter(|s| s.name == "Screening")
        .map(|s| s.applications)
        .sum();
    assert_eq!(
        screening, 8,
        "the demo data has eight applications in Screening"
    );
    assert!(overview.last_sync_at.is_some());
    assert!(app
        .info()
        .sandbox_origin
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    app.shutdown().await;
}

#[tokio::test]
async fn data_survives_a_restart_and_a_resync_sees_only_moves() {
    let dir = tempfile::tempdir().unwrap();
    {
        let app = App::open_sandbox(dir.path(), SandboxConfig::for_tests(), fast())
            .await
            .unwrap();
        app.sync_ats().await.unwrap();
        app.shutdown().await;
    }
    let app = App::open_sandbox(dir.path(), SandboxConfig::for_tests(), fast())
        .await
        .unwrap();
    assert_eq!(
        app.overview().await.unwrap().jobs.len(),
        3,
        "the store kept the jobs across the restart"
    );
    assert_eq!(
        app.sync_ats().await.unwrap().stage_changes,
        0,
        "same data, a new simulator port: nothing moved"
    );
    app.sandbox().ats.advance_one_applicant().unwrap();
    assert_eq!(
        app.sync_ats().await.unwrap().stage_changes,
        1,
        "one applicant reached Screening"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_completion_in_willo_becomes_a_desktop_notice() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_sandbox(dir.path(), SandboxConfig::for_tests(), fast())
        .await
        .unwrap();
    let mut events = app
        .take_events()
        .await
        .expect("the first taker gets the events");
    assert!(app.take_events().await.is_none(), "and only the first");
    app.sync_ats().await.unwrap();

    let interview = app
        .sandbox()
        .willo
        .with_data(|d| d.interviews[0].key.clone());
    let application = app
        .engine()
        .store()
        .application_id(1, "9002")
        .await
        .unwrap()
        .unwrap();
    let InviteOutcome::Queued(queued) = app
        .engine()
        .queue_invite(application, &interview)
        .await
        .unwrap()
    else {
        panic!("refused")
    };

    // The background loop sends it; the candidate completes it in the simulated Willo, which
    // calls the app's webhook receiver; the loop reconciles and raises the event.
    let sent = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        sent,
        EngineEvent::InvitationSent {
            invitation_id: queued.invitation_id
        }
    );
    assert_eq!(
        app.notice_for(&sent).await.unwrap(),
        None,
        "a sent invitation interrupts nobody"
    );
    let key = app
        .engine()
        .store()
        .invitation(queued.invitation_id)
        .await
        .unwrap()
        .participant_key
        .unwrap();
    assert!(app
        .sandbox()
        .willo
        .advance(
            &key,
            Some(desk_sandbox::willo::model::ParticipantStatus::Completed)
        )
        .is_some());

    let completed = loop {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("the completion arrives by webhook")
            .unwrap();
        if matches!(event, EngineEvent::InterviewCompleted { .. }) {
            break event;
        }
    };
    let notice = app
        .notice_for(&completed)
        .await
        .unwrap()
        .expect("a completion is worth a notification");
    assert_eq!(notice.title, "Interview completed");
    assert_eq!(notice.body, "Zoë Müller completed “Customer Success Associate: screening” (Customer Success Associate).");
    assert_eq!(notice.invitation_id, queued.invitation_id);
    app.shutdown().await;
}
