//! Sending by hand: the pre-send report, a selection sent with progress, and a cancel halfway.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use desk_engine::checks::Refusal;
use desk_engine::{BulkProgress, PreSend};
use desk_sandbox::SandboxConfig;
use support::{world, world_with};

#[tokio::test]
async fn a_selection_is_checked_first_then_sent_with_progress() {
    let w = world().await;
    // Zoë, Amelia (phone "12345"), Priya, María and María's second application (same email), Ethan.
    let mut selection = Vec::new();
    for remote in [9002, 9012, 9014, 9001, 9041, 9023] {
        selection.push(w.app(remote).await);
    }
    // Counts Willo fetches of the interview: a harmless rule that is used up one request at a time.
    let counter = desk_sandbox::FaultRule::new(desk_sandbox::FaultKind::Delay { millis: 0 })
        .on_path(format!("/api/integrations/v2/interviews/{}/", w.interview))
        .times(10);
    w.sandbox.faults.add(counter);
    let report = w
        .engine
        .pre_send_report(&selection, &w.interview)
        .await
        .unwrap();
    let will: Vec<&PreSend> = report
        .iter()
        .filter(|r| matches!(r, PreSend::WillSend { .. }))
        .collect();
    assert_eq!(will.len(), 4, "{report:#?}");
    assert!(
        matches!(&report[1], PreSend::Refused { refusals, .. } if matches!(refusals[0], Refusal::InvalidPhone(_)))
    );
    assert!(
        matches!(&report[4], PreSend::Refused { refusals, .. } if matches!(refusals[0], Refusal::EmailAlreadyInvited { .. })),
        "the same email twice in one selection"
    );
    assert!(
        matches!(&report[0], PreSend::WillSend { phone: Some(p), .. } if p == "+4915123456789"),
        "shows exactly what will be sent"
    );
    assert!(
        w.participants_in_sandbox().is_empty(),
        "the report sends nothing"
    );
    assert!(
        w.store.recent_activity(10).await.unwrap().is_empty(),
        "and records nothing"
    );

    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let (_cancel, cancelled) = tokio::sync::watch::channel(false);
    let done = w
        .engine
        .send_many(
            &selection,
            &w.interview,
            &move |p: BulkProgress| record.lock().unwrap().push(p),
            cancelled,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            done.sent,
            done.refused,
            done.failed,
            done.cancelled,
            done.remaining
        ),
        (4, 2, 0, 0, 0)
    );
    let steps = seen.lock().unwrap().clone();
    assert!(
        steps
            .windows(2)
            .all(|p| p[1].sent >= p[0].sent && p[1].remaining <= p[0].remaining),
        "progress only moves forward: {steps:?}"
    );
    assert_eq!(w.participants_in_sandbox().len(), 4);
    let left = w.sandbox.faults.list()[0].times;
    assert_eq!(
        left,
        Some(8),
        "the interview was fetched once for the report and once for the send, not per candidate"
    );
}

#[tokio::test]
async fn a_bulk_send_cancelled_halfway_keeps_what_was_sent_and_withdraws_the_rest() {
    let mut config = SandboxConfig::for_tests();
    config.willo_limits = desk_sandbox::WilloLimits {
        per_second: 50,
        ..desk_sandbox::WilloLimits::NONE
    };
    let w = world_with(config, support::per_second(6), |snap| {
        support::applicants(snap, 30)
    })
    .await;
    let selection = w.applicant_ids(30).await;
    let (cancel, cancelled) = tokio::sync::watch::channel(false);
    let trigger = Arc::new(cancel);
    // The recruiter presses Cancel once five are out (Willo paced at six a second here).
    let on_progress = move |p: BulkProgress| {
        if p.sent >= 5 {
            let _ = trigger.send(true);
        }
    };
    let done = tokio::time::timeout(
        Duration::from_secs(30),
        w.engine
            .send_many(&selection, &w.interview, &on_progress, cancelled),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(done.sent >= 5 && done.cancelled > 0, "{done:?}");
    assert_eq!(
        done.sent + done.cancelled + done.failed + done.refused,
        30,
        "every candidate is accounted for: {done:?}"
    );

    // Nothing sent is lost and nothing withdrawn goes out later.
    tokio::time::sleep(Duration::from_millis(300)).await;
    w.engine.run_outbox_once().await.unwrap();
    let sent = w.participants_in_sandbox();
    assert_eq!(
        sent.len(),
        done.sent,
        "what Willo has is exactly what was counted as sent"
    );
    assert_eq!(
        sent.iter().map(|(_, e)| e).collect::<HashSet<_>>().len(),
        sent.len(),
        "no duplicates"
    );
    let withdrawn = w
        .store
        .blocking_invitations(1, selection[29], "c29@example.com")
        .await
        .unwrap();
    assert!(
        withdrawn.is_empty(),
        "a withdrawn invitation does not block a later send"
    );
}
