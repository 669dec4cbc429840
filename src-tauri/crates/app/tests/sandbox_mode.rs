//! The app in sandbox mode, end to end against the in-process simulators and a real SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::time::Duration;

use desk_app::{App, NoticeKind, NoticeTarget};
use desk_engine::{EngineEvent, InviteOutcome};
use desk_sandbox::SandboxConfig;
use support::fast;

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
    let screening = |o: &desk_app::ipc::Overview| -> u32 {
        o.jobs
            .iter()
            .flat_map(|j| &j.stages)
            .filter(|s| s.name == "Screening")
            .map(|s| s.applications)
            .sum()
    };
    let before = screening(&app.overview().await.unwrap());
    app.sandbox().unwrap().ats.advance_one_applicant().unwrap();
    // The background loop may poll first and see the move itself; either way it is seen once.
    let changes = app.sync_ats().await.unwrap().stage_changes;
    assert!(changes <= 1, "{changes} moves seen for one");
    assert_eq!(
        screening(&app.overview().await.unwrap()),
        before + 1,
        "one applicant reached Screening"
    );
    app.shutdown().await;
}

/// Invites the demo applications `remote_ids` by hand and waits until Willo has each.
async fn invite(app: &App, remote_ids: &[&str]) -> Vec<(i64, String)> {
    let interview = app
        .sandbox()
        .unwrap()
        .willo
        .with_data(|d| d.interviews[0].key.clone());
    let mut invited = Vec::new();
    for remote in remote_ids {
        let application = app
            .engine()
            .store()
            .application_id(1, remote)
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
        invited.push(queued.invitation_id);
    }
    let mut keyed = Vec::new();
    for id in invited {
        let key = loop {
            if let Some(key) = app
                .engine()
                .store()
                .invitation(id)
                .await
                .unwrap()
                .participant_key
            {
                break key;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        keyed.push((id, key));
    }
    keyed
}

fn complete(app: &App, key: &str) {
    assert!(app
        .sandbox()
        .unwrap()
        .willo
        .advance(
            key,
            Some(desk_sandbox::willo::model::ParticipantStatus::Completed)
        )
        .is_some());
}

#[tokio::test]
async fn a_completion_in_willo_becomes_a_desktop_notice_that_opens_its_review() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_sandbox(dir.path(), SandboxConfig::for_tests(), fast())
        .await
        .unwrap();
    let (mut events, mut notices) = app
        .start_listening(Duration::from_millis(300))
        .await
        .expect("the first listener gets the events");
    assert!(
        app.start_listening(Duration::ZERO).await.is_none(),
        "and only the first"
    );
    app.sync_ats().await.unwrap();

    let [(invitation_id, key)] = invite(&app, &["9002"]).await.try_into().unwrap();
    let sent = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sent, EngineEvent::InvitationSent { invitation_id });

    // The candidate completes it in the simulated Willo, which calls the app's webhook receiver.
    complete(&app, &key);
    let notice = tokio::time::timeout(Duration::from_secs(10), notices.recv())
        .await
        .expect("a completion is worth a notification")
        .unwrap();
    assert_eq!(notice.kind, NoticeKind::Completed);
    assert_eq!(notice.title, "Interview completed");
    assert_eq!(notice.body, "Zoë Müller completed “Customer Success Associate: screening” (Customer Success Associate).");
    assert_eq!(notice.target, NoticeTarget::Review { invitation_id });
    assert!(
        notices.try_recv().is_err(),
        "a sent invitation interrupts nobody"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn completions_arriving_together_make_one_notice_and_a_kind_can_be_switched_off() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_sandbox(dir.path(), SandboxConfig::for_tests(), fast())
        .await
        .unwrap();
    let (_events, mut notices) = app.start_listening(Duration::from_secs(2)).await.unwrap();
    app.sync_ats().await.unwrap();
    let invited = invite(&app, &["9001", "9002", "9003", "9004"]).await;
    for (_, key) in &invited {
        complete(&app, key);
    }
    let notice = tokio::time::timeout(Duration::from_secs(15), notices.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(notice.title, "4 interviews completed");
    assert_eq!(notice.target, NoticeTarget::Inbox);
    assert!(
        notice.body.ends_with("and 1 more are waiting for review."),
        "{}",
        notice.body
    );

    // Switched off: the next completion is stored and in the inbox, but interrupts nobody.
    let mut settings = app.settings().await.unwrap();
    settings.notifications.completed = false;
    app.save_settings(&settings).await.unwrap();
    let [(_, key)] = invite(&app, &["9005"]).await.try_into().unwrap();
    complete(&app, &key);
    let inbox = loop {
        let inbox = app.inbox().await.unwrap();
        if inbox.len() == 5 {
            break inbox;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(inbox.len(), 5);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert!(notices.try_recv().is_err(), "no notice once switched off");
    app.shutdown().await;
}
