//! Sending invitations through the engine to the simulated Willo: every refusal, and nothing
//! sent twice.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::sync::Arc;
use std::time::Duration;

use desk_domain::InvitationStatus;
use desk_engine::checks::Refusal;
use desk_engine::{Engine, EngineEvent, InviteOutcome, SystemClock};
use desk_sandbox::{SandboxConfig, STANDARD_API_KEY};
use desk_willo::Pacer;
use support::{quick_config, willo_client, world, world_with};

fn refused(outcome: InviteOutcome) -> Vec<Refusal> {
    match outcome {
        InviteOutcome::Refused(r) => r,
        InviteOutcome::Queued(q) => panic!("expected a refusal, got {q:?}"),
    }
}

#[tokio::test]
async fn a_clean_candidate_is_invited_and_linked_to_the_participant() {
    let mut w = world().await;
    let app = w.app(9002).await; // Zoë Müller, +49 phone
    let InviteOutcome::Queued(q) = w.engine.queue_invite(app, &w.interview).await.unwrap() else {
        panic!("refused")
    };
    assert_eq!(
        w.store.invitation(q.invitation_id).await.unwrap().status,
        InvitationStatus::Queued
    );
    assert!(
        w.participants_in_sandbox().is_empty(),
        "queueing sends nothing by itself"
    );

    w.drain_outbox(Duration::from_secs(10)).await;
    let invitation = w.store.invitation(q.invitation_id).await.unwrap();
    assert_eq!(invitation.status, InvitationStatus::Invited);
    let sent = w.participants_in_sandbox();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        invitation.participant_key.as_deref(),
        Some(sent[0].0.as_str()),
        "the local link holds Willo's key"
    );
    let phone = w
        .sandbox
        .willo
        .with_data(|d| d.participants[0].phone.clone());
    assert_eq!(
        phone.as_deref(),
        Some("+4915123456789"),
        "the phone went out in E.164"
    );
    assert_eq!(
        w.drain_events(),
        [EngineEvent::InvitationSent {
            invitation_id: q.invitation_id
        }]
    );
    let history: Vec<String> = w
        .store
        .invitation_history(q.invitation_id)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.0)
        .collect();
    assert_eq!(history, ["queued", "invited"]);
}

#[tokio::test]
async fn every_refusal_is_recorded_and_nothing_refused_is_sent() {
    let w = world_with(
        SandboxConfig::for_tests(),
        support::per_second(200),
        |snap| {
            for c in &mut snap.candidates {
                match c.id.as_str() {
                    "7003" => c.emails.clear(),                   // José: no email
                    "7004" => c.emails = vec!["siobhan@".into()], // Siobhán: broken email
                    "7005" => (c.first_name, c.last_name) = (String::new(), " ".into()), // Łukasz: no name
                    _ => {}
                }
            }
        },
    )
    .await;
    type Expected = fn(&Refusal) -> bool;
    let cases: [(u64, Expected); 6] = [
        (9003, |r| matches!(r, Refusal::NoEmail)),
        (9004, |r| matches!(r, Refusal::InvalidEmail(_))),
        (9005, |r| matches!(r, Refusal::NoName)),
        (9012, |r| matches!(r, Refusal::InvalidPhone(_))), // "12345"
        (9020, |r| matches!(r, Refusal::InvalidPhone(_))), // "call after 5pm"
        (9025, |r| matches!(r, Refusal::InvalidPhone(_))), // "+1 212"
    ];
    for (remote, expected) in cases {
        let refusals = refused(
            w.engine
                .queue_invite(w.app(remote).await, &w.interview)
                .await
                .unwrap(),
        );
        assert!(
            refusals.iter().any(expected),
            "application {remote}: {refusals:?}"
        );
        assert!(
            refusals.iter().all(|r| r.to_string().len() > 20),
            "each refusal says what to fix"
        );
    }

    // María: the first invite passes; the same application again, and her second application
    // (same email), are refused.
    assert!(matches!(
        w.engine
            .queue_invite(w.app(9001).await, &w.interview)
            .await
            .unwrap(),
        InviteOutcome::Queued(_)
    ));
    let again = refused(
        w.engine
            .queue_invite(w.app(9001).await, &w.interview)
            .await
            .unwrap(),
    );
    assert!(
        matches!(again[..], [Refusal::AlreadyInvited { .. }]),
        "{again:?}"
    );
    let twin = refused(
        w.engine
            .queue_invite(w.app(9041).await, &w.interview)
            .await
            .unwrap(),
    );
    assert!(
        matches!(twin[..], [Refusal::EmailAlreadyInvited { .. }]),
        "{twin:?}"
    );

    // An interview that does not exist.
    let missing = refused(
        w.engine
            .queue_invite(w.app(9002).await, &"f".repeat(32))
            .await
            .unwrap(),
    );
    assert_eq!(missing, [Refusal::InterviewNotVisible]);

    w.drain_outbox(Duration::from_secs(10)).await;
    assert_eq!(
        w.participants_in_sandbox().len(),
        1,
        "only María's first invite reached Willo"
    );
    let activity = w.store.recent_activity(50).await.unwrap();
    assert_eq!(
        activity
            .iter()
            .filter(|a| a.kind == "invite_refused")
            .count(),
        7,
        "every refusal is in the activity log"
    );
}

#[tokio::test]
async fn a_standard_users_key_cannot_invite_to_someone_elses_interview() {
    let w = world().await;
    let standard = willo_client(&w.sandbox, STANDARD_API_KEY, Pacer::unlimited());
    let willo_connection = w
        .store
        .upsert_connection("willo", "Willo (standard)", "sandbox://willo-standard", 0)
        .await
        .unwrap();
    let engine = Engine::new(
        w.store.clone(),
        Arc::new(standard),
        willo_connection,
        Arc::new(SystemClock),
        Arc::new(support_sink()),
        quick_config(),
    );
    let refusals = refused(
        engine
            .queue_invite(w.app(9002).await, &w.interview)
            .await
            .unwrap(),
    );
    assert_eq!(refusals, [Refusal::InterviewNotVisible]);
}

fn support_sink() -> desk_engine::ChannelSink {
    desk_engine::ChannelSink(tokio::sync::mpsc::unbounded_channel().0)
}

#[tokio::test]
async fn a_fixed_candidate_can_be_invited_after_a_refusal() {
    let w = world().await;
    let app = w.app(9012).await; // Amelia, phone "12345"
    refused(w.engine.queue_invite(app, &w.interview).await.unwrap());
    // The recruiter fixes the phone in the ATS; the next sync brings it in.
    let mut snap = w.sandbox.ats.with_data(|d| support::snapshot(d));
    snap.candidates
        .iter_mut()
        .find(|c| c.id == "7012")
        .unwrap()
        .phones = vec!["020 7946 0958".into()];
    w.store.save_ats_snapshot(w.ats, &snap, 1).await.unwrap();
    assert!(matches!(
        w.engine.queue_invite(app, &w.interview).await.unwrap(),
        InviteOutcome::Queued(_)
    ));
    w.drain_outbox(Duration::from_secs(10)).await;
    assert_eq!(w.participants_in_sandbox().len(), 1);
}

#[tokio::test]
async fn validation_errors_from_willo_fail_the_invitation_with_willos_reason() {
    let w = world().await;
    let app = w.app(9002).await;
    w.sandbox.faults.add(
        desk_sandbox::FaultRule::new(desk_sandbox::FaultKind::Status { status: 400 })
            .on_path("/api/integrations/v2/participants/")
            .on_method("POST"),
    );
    let InviteOutcome::Queued(q) = w.engine.queue_invite(app, &w.interview).await.unwrap() else {
        panic!()
    };
    w.drain_outbox(Duration::from_secs(10)).await;
    let invitation = w.store.invitation(q.invitation_id).await.unwrap();
    assert_eq!(
        invitation.status,
        InvitationStatus::Failed,
        "a 400 is not retried"
    );
    assert!(invitation.refused_reason.unwrap().contains("Willo refused"));
}
