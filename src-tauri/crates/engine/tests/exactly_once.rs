//! "Once" under the conditions that broke it: a cancel after an attempt whose answer was lost, a
//! lease that would run out mid-batch, a participant found after the fact, a candidate invited
//! twice in the past, and a stop while an invite is in flight.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use desk_domain::InvitationStatus;
use desk_engine::{BulkProgress, EngineConfig, InviteOutcome, Schedule};
use desk_sandbox::{FaultKind, FaultRule, SandboxConfig};
use desk_store::AutomationSpec;
use desk_willo::NewParticipant;
use serde_json::json;
use support::{quick_config, world_configured, World};

const INVITES: &str = "/api/integrations/v2/participants/";

/// A world with `n` more applicants to job 4001 in the simulated ATS (and so in the store), and
/// the engine configured as given.
async fn world_of(n: usize, engine: EngineConfig) -> World {
    let mut config = SandboxConfig::for_tests();
    config.willo_limits = desk_sandbox::WilloLimits {
        per_second: 200,
        ..desk_sandbox::WilloLimits::NONE
    };
    config.ats.extra_applicants = n;
    world_configured(config, support::per_second(100), engine, |_| {}).await
}

/// The store's ids of the `n` applicants [`world_of`] added.
async fn applicants(w: &World, n: u64) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(w.app(10_001 + i).await);
    }
    ids
}

fn slow_retries() -> EngineConfig {
    EngineConfig {
        first_backoff: Duration::from_secs(2),
        max_backoff: Duration::from_secs(2),
        ..quick_config()
    }
}

/// Sends to `selection`, pressing Cancel as soon as `cancel_when` says so (checked every 10 ms).
async fn send_and_cancel(
    w: &World,
    selection: &[i64],
    cancel_when: impl Fn(&World) -> bool,
) -> BulkProgress {
    let (cancel, cancelled) = tokio::sync::watch::channel(false);
    let send = w
        .engine
        .send_many(selection, &w.interview, &|_| {}, cancelled);
    tokio::pin!(send);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        tokio::select! {
            done = &mut send => return done.unwrap(),
            () = tokio::time::sleep(Duration::from_millis(10)) => {
                assert!(Instant::now() < deadline, "the send did not finish");
                if cancel_when(w) {
                    let _ = cancel.send(true);
                }
            }
        }
    }
}

/// Whether the fault rules set on the simulators have all fired.
fn faults_spent(w: &World) -> bool {
    w.sandbox.faults.list().is_empty()
}

/// Willo creates the next participant, and its answer is lost on the way back.
fn answer_lost() -> FaultRule {
    FaultRule::new(FaultKind::Drop)
        .after_handler()
        .times(1)
        .on_path(INVITES)
        .on_method("POST")
}

#[tokio::test]
async fn a_cancel_after_an_attempt_willo_acted_on_links_it_and_a_second_send_invites_nobody() {
    let w = world_of(1, slow_retries()).await;
    let selection = applicants(&w, 1).await;
    w.sandbox.faults.add(answer_lost());
    let done = send_and_cancel(&w, &selection, faults_spent).await;
    assert_eq!(
        (done.sent, done.cancelled),
        (1, 0),
        "the cancel came after Willo had acted: the invitation counts as sent ({done:?})"
    );
    let again = send_and_cancel(&w, &selection, |_| false).await;
    assert_eq!(again.refused, 1, "already invited: {again:?}");
    assert_eq!(w.participants_in_sandbox().len(), 1, "one participant");
}

#[tokio::test]
async fn a_cancel_after_an_attempt_that_never_arrived_withdraws_it_and_a_second_send_invites_once()
{
    let w = world_of(1, slow_retries()).await;
    let selection = applicants(&w, 1).await;
    // The connection drops before Willo sees the request.
    w.sandbox.faults.add(
        FaultRule::new(FaultKind::Drop)
            .times(1)
            .on_path(INVITES)
            .on_method("POST"),
    );
    let done = send_and_cancel(&w, &selection, faults_spent).await;
    assert_eq!((done.sent, done.cancelled), (0, 1), "{done:?}");
    assert!(w.participants_in_sandbox().is_empty());

    let again = send_and_cancel(&w, &selection, |_| false).await;
    assert_eq!(again.sent, 1, "{again:?}");
    assert_eq!(w.participants_in_sandbox().len(), 1, "one participant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_shorter_than_a_batch_of_slow_invites_invite_nobody_twice() {
    let engine = EngineConfig {
        lease: Duration::from_millis(400),
        ..quick_config()
    };
    let w = world_of(12, engine).await;
    let selection = applicants(&w, 12).await;
    // Each invite takes 300 ms: a batch of 12 outlives any lease taken for all of it at once.
    w.sandbox.faults.add(
        FaultRule::new(FaultKind::Delay { millis: 300 })
            .on_path(INVITES)
            .on_method("POST"),
    );
    // The background loop and the bulk send both drive the outbox.
    let background = w.engine.spawn(Schedule {
        tick: Duration::from_millis(20),
        ..Schedule::default()
    });
    let done = send_and_cancel(&w, &selection, |_| false).await;
    background.stop().await;
    assert_eq!(done.sent, 12, "{done:?}");
    let sent = w.participants_in_sandbox();
    let emails: HashSet<_> = sent.iter().map(|(_, e)| e.clone()).collect();
    assert_eq!(
        (sent.len(), emails.len()),
        (12, 12),
        "twelve participants, none twice"
    );
}

/// Job 4001's automation without review, triggered by its first stage.
async fn automate(w: &World) {
    let job = w.store.job_id(w.ats, "4001").await.unwrap().unwrap();
    let stage = w.store.stage_id(w.ats, "4001-1").await.unwrap().unwrap();
    w.store
        .set_automation(
            &AutomationSpec::direct(job, &w.interview, &[stage], false, None),
            0,
        )
        .await
        .unwrap();
}

async fn notes_for(w: &World) -> usize {
    let writes: Vec<serde_json::Value> = reqwest::get(format!(
        "{}/ats/writes?ats=greenhouse&kind=note",
        w.sandbox.info.admin_url
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    writes.len()
}

#[tokio::test]
async fn a_participant_found_after_an_uncertain_invite_is_reconciled_and_written_back_at_once() {
    let w = world_of(1, slow_retries()).await;
    automate(&w).await;
    let app = applicants(&w, 1).await[0];
    w.sandbox.faults.add(answer_lost());
    let InviteOutcome::Queued(q) = w.engine.queue_invite(app, &w.interview).await.unwrap() else {
        panic!("refused")
    };
    w.engine.run_outbox_once().await.unwrap();
    assert_eq!(
        w.store.invitation(q.invitation_id).await.unwrap().status,
        InvitationStatus::Queued,
        "the answer was lost: not known to be invited yet"
    );
    // The candidate answers the email before the worker looks again.
    let (key, _) = w.participants_in_sandbox().pop().unwrap();
    w.complete_in_sandbox(&key).await;
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    w.drain_outbox(Duration::from_secs(10)).await;

    let invitation = w.store.invitation(q.invitation_id).await.unwrap();
    assert_eq!(invitation.participant_key.as_deref(), Some(key.as_str()));
    assert_eq!(
        invitation.status,
        InvitationStatus::Synced,
        "completed and written back without waiting for a catch-up"
    );
    assert_eq!(notes_for(&w).await, 1);
    assert_eq!(w.participants_in_sandbox().len(), 1);
}

#[tokio::test]
async fn a_candidate_invited_twice_in_the_past_who_answers_the_second_invitation_is_written_back() {
    let w = world_of(1, quick_config()).await;
    automate(&w).await;
    let app = applicants(&w, 1).await[0];
    let InviteOutcome::Queued(q) = w.engine.queue_invite(app, &w.interview).await.unwrap() else {
        panic!("refused")
    };
    w.drain_outbox(Duration::from_secs(10)).await;
    // A second participant for the same person, as an earlier bug or another tool made it.
    let second = w
        .engine
        .willo()
        .invite(&NewParticipant {
            interview: w.interview.clone(),
            name: "Load0 Candidate".into(),
            first_name: "Load0".into(),
            last_name: "Candidate".into(),
            email: "load0@example.com".into(),
            phone: None,
        })
        .await
        .unwrap()
        .key;
    w.complete_in_sandbox(&second).await;
    // Willo's webhook names the second participant.
    w.store
        .insert_inbox(
            "willo",
            "interview_completed",
            "test:second",
            &json!({"participant": {"key": second}}).to_string(),
            0,
        )
        .await
        .unwrap();
    w.engine.process_inbox_once().await.unwrap();
    w.drain_outbox(Duration::from_secs(10)).await;

    let invitation = w.store.invitation(q.invitation_id).await.unwrap();
    assert_eq!(
        invitation.participant_key.as_deref(),
        Some(second.as_str()),
        "the invitation follows the participant who answered"
    );
    assert_eq!(invitation.status, InvitationStatus::Synced);
    assert_eq!(notes_for(&w).await, 1, "one note, from the answers given");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_finishes_the_invite_in_flight_and_takes_no_other() {
    let w = world_of(5, quick_config()).await;
    let mut invitations = Vec::new();
    for app in applicants(&w, 5).await {
        let InviteOutcome::Queued(q) = w.engine.queue_invite(app, &w.interview).await.unwrap()
        else {
            panic!("refused")
        };
        invitations.push(q.invitation_id);
    }
    w.sandbox.faults.add(
        FaultRule::new(FaultKind::Delay { millis: 1_500 })
            .on_path(INVITES)
            .on_method("POST"),
    );
    let background = w.engine.spawn(Schedule::default());
    tokio::time::sleep(Duration::from_millis(500)).await; // the first invite is on its way
    let started = Instant::now();
    background.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the stop waited for one invite, not the batch: {:?}",
        started.elapsed()
    );
    let sent = w.participants_in_sandbox();
    assert_eq!(sent.len(), 1, "the one in flight went out, no other");
    let linked = w.store.settled_invitations(&invitations).await.unwrap();
    assert_eq!(linked.len(), 1, "and it is recorded as sent: {linked:?}");
    assert_eq!(w.store.outbox_pending().await.unwrap(), 4, "the rest wait");
}

#[tokio::test]
async fn a_stop_waits_for_the_item_a_bulk_send_has_in_flight_and_takes_no_other() {
    let w = world_of(3, slow_retries()).await;
    let selection = applicants(&w, 3).await;
    w.sandbox.faults.add(
        FaultRule::new(FaultKind::Delay { millis: 1_500 })
            .on_path(INVITES)
            .on_method("POST"),
    );
    let (_cancel, cancelled) = tokio::sync::watch::channel(false);
    let (engine, interview) = (w.engine.clone(), w.interview.clone());
    let send = tokio::spawn(async move {
        engine
            .send_many(&selection, &interview, &|_| {}, cancelled)
            .await
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while w.sandbox.faults.struck() == 0 {
        assert!(Instant::now() < deadline, "no invitation went out");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        w.engine.quiesce().await,
        "the invitation in flight finished within the grace"
    );
    assert_eq!(w.participants_in_sandbox().len(), 1, "that one went out");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        w.participants_in_sandbox().len(),
        1,
        "and no other after the stop"
    );
    send.abort();
}
