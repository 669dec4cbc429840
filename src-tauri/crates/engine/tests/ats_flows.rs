//! The ATS half of the loop against the simulated Greenhouse: stage triggers, and writing results
//! back exactly once whatever the network does.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::time::Duration;

use desk_domain::InvitationStatus;
use desk_engine::InviteOutcome;
use desk_sandbox::{FaultKind, FaultRule, SandboxConfig};
use desk_store::{AtsSnapshot, AutomationSpec};
use serde_json::Value;
use support::{world_with, World};

/// A world whose store learns the ATS only through the connector (as the app does).
async fn world() -> World {
    let w = world_with(
        SandboxConfig::for_tests(),
        support::per_second(200),
        |snap| *snap = AtsSnapshot::default(),
    )
    .await;
    w.engine.poll_triggers().await.unwrap();
    w
}

async fn writes(w: &World, kind: &str) -> Vec<Value> {
    reqwest::get(format!(
        "{}/ats/writes?ats=greenhouse&kind={kind}",
        w.sandbox.info.admin_url
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap()
}

/// Job 4001's automation: Screening sends the interview; `review_required` and the stage to move
/// on to (the ATS's id) as given.
async fn automate(w: &World, review_required: bool, move_to: Option<&str>, at: i64) {
    let job = w.store.job_id(w.ats, "4001").await.unwrap().unwrap();
    let screening = w.store.stage_id(w.ats, "400101").await.unwrap().unwrap();
    let next = match move_to {
        Some(remote) => Some(w.store.stage_id(w.ats, remote).await.unwrap().unwrap()),
        None => None,
    };
    w.store
        .set_automation(
            &AutomationSpec::direct(job, &w.interview, &[screening], review_required, next),
            at,
        )
        .await
        .unwrap();
}

/// A review-free automation switched on now.
async fn enable(w: &World, move_to: Option<&str>) {
    automate(w, false, move_to, chrono_now()).await;
}

fn chrono_now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// An invitation's status in the store.
async fn status(w: &World, invitation: i64) -> InvitationStatus {
    w.store.invitation(invitation).await.unwrap().status
}

/// The key of the Willo participant an invitation follows.
async fn participant_of(w: &World, invitation: i64) -> String {
    w.store
        .invitation(invitation)
        .await
        .unwrap()
        .participant_key
        .unwrap()
}

/// Invites Zoë (9002), completes her interview in Willo, and reconciles: a completed invitation.
async fn completed_invitation(w: &World) -> i64 {
    let app = w
        .store
        .application_id(w.ats, "9002")
        .await
        .unwrap()
        .unwrap();
    let (invitation, key) = w.invited(app).await;
    w.complete_in_sandbox(&key).await;
    w.engine.catch_up(10).await.unwrap();
    assert_eq!(
        w.store.invitation(invitation).await.unwrap().status,
        InvitationStatus::Completed
    );
    invitation
}

#[tokio::test]
async fn a_candidate_moved_into_a_trigger_stage_is_invited_once() {
    let w = world().await;
    enable(&w, None).await;
    let first = w.engine.poll_triggers().await.unwrap();
    assert_eq!(
        first.queued, 0,
        "those already in Screening when the automation was switched on are not invited"
    );

    w.move_in_ats(9002, "Screening").await;
    let second = w.engine.poll_triggers().await.unwrap();
    assert_eq!((second.synced.stage_changes, second.queued), (1, 1));
    w.drain_outbox(Duration::from_secs(10)).await;
    let sent = w.participants_in_sandbox();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1, "zoe.mueller@example.de");

    let third = w.engine.poll_triggers().await.unwrap();
    assert_eq!(
        third.queued, 0,
        "seen again by the next poll: not invited again"
    );
    w.drain_outbox(Duration::from_secs(10)).await;
    assert_eq!(w.participants_in_sandbox().len(), 1);
}

#[tokio::test]
async fn a_paused_automation_invites_nobody_and_refusals_are_not_retried_by_the_poll() {
    let w = world().await;
    enable(&w, None).await;
    let job = w.store.job_id(w.ats, "4001").await.unwrap().unwrap();
    w.store
        .set_automation_paused(job, true, chrono_now())
        .await
        .unwrap();
    w.move_in_ats(9002, "Screening").await;
    assert_eq!(w.engine.poll_triggers().await.unwrap().queued, 0, "paused");

    enable(&w, None).await;
    w.move_in_ats(9012, "Screening").await; // Amelia: phone "12345"
    let report = w.engine.poll_triggers().await.unwrap();
    assert_eq!((report.queued, report.refused), (0, 1));
    assert_eq!(
        w.engine.poll_triggers().await.unwrap().refused,
        0,
        "a refusal is recorded once, not on every poll"
    );
}

#[tokio::test]
async fn write_back_survives_throttling_errors_and_a_lost_answer_and_writes_one_note() {
    let w = world().await;
    let invitation = completed_invitation(&w).await;
    // The note's POST is throttled, then fails, then succeeds on the ATS but the answer is lost.
    for rule in [
        FaultRule::new(FaultKind::RateLimit {
            retry_after_secs: 1,
        })
        .times(1),
        FaultRule::new(FaultKind::Status { status: 503 }).times(1),
        FaultRule::new(FaultKind::Drop).after_handler().times(1),
    ] {
        w.sandbox
            .faults
            .add(rule.on_path("/greenhouse/v3/notes").on_method("POST"));
    }
    w.engine.queue_writeback(invitation).await.unwrap();
    w.drain_outbox(Duration::from_secs(30)).await;

    let notes = writes(&w, "note").await;
    assert_eq!(
        notes.len(),
        1,
        "exactly one note, though the ATS accepted one whose answer was lost: {notes:#?}"
    );
    let body = notes[0]["body"]["body"].as_str().unwrap();
    assert!(
        body.contains("Willo interview: Customer Success Associate: screening")
            && body.contains("Q1."),
        "{body}"
    );
    let key = participant_of(&w, invitation).await;
    assert!(body.ends_with(&format!("willo-desk:{key}:1")));
    assert_eq!(
        writes(&w, "field").await.len(),
        1,
        "the score went to the custom field"
    );
    let ledger = w.store.writebacks(invitation).await.unwrap();
    assert!(
        ledger
            .iter()
            .any(|(target, revision, id)| target == "note" && *revision == 1 && id.is_some()),
        "{ledger:?}"
    );
    assert_eq!(status(&w, invitation).await, InvitationStatus::Synced);
}

#[tokio::test]
async fn a_later_change_adds_a_follow_up_note_not_a_duplicate() {
    let w = world().await;
    let invitation = completed_invitation(&w).await;
    w.engine.queue_writeback(invitation).await.unwrap();
    w.drain_outbox(Duration::from_secs(10)).await;
    assert_eq!(
        w.engine.queue_writeback(invitation).await.unwrap().len(),
        2,
        "note and field again..."
    );
    w.drain_outbox(Duration::from_secs(10)).await;
    assert_eq!(
        writes(&w, "note").await.len(),
        1,
        "...but the same revision is not written twice"
    );

    let key = participant_of(&w, invitation).await;
    let edit = |change: &dyn Fn(&mut desk_sandbox::willo::model::Participant)| {
        w.sandbox
            .willo
            .with_data(|d| change(d.participants.iter_mut().find(|p| p.key == key).unwrap()))
    };

    // What a recruiter does not care about changes: a re-signed media link, a Kanban column.
    edit(&|p| {
        for r in &mut p.responses {
            r.media_url = r
                .media_url
                .as_ref()
                .map(|u| format!("{u}?signature=renewed"));
        }
        p.stage = Some("Accepted".into());
    });
    w.engine.reconcile_participant(&key).await.unwrap();
    w.engine.queue_writeback(invitation).await.unwrap();
    w.drain_outbox(Duration::from_secs(10)).await;
    assert_eq!(
        writes(&w, "note").await.len(),
        1,
        "no follow-up note for a new media signature or a Willo stage"
    );

    // Willo's score arrives later: the results changed.
    edit(&|p| p.score = Some(91.0));
    w.engine.reconcile_participant(&key).await.unwrap();
    w.engine.queue_writeback(invitation).await.unwrap();
    w.drain_outbox(Duration::from_secs(10)).await;
    let notes = writes(&w, "note").await;
    assert_eq!(notes.len(), 2, "one follow-up note for the new score");
    assert!(notes[1]["body"]["body"]
        .as_str()
        .unwrap()
        .starts_with("Update to the Willo interview results (revision 2)."));
}

#[tokio::test]
async fn a_score_that_comes_after_the_write_back_reaches_the_ats_without_a_webhook() {
    let w = world().await;
    enable(&w, None).await;
    let invitation = completed_invitation(&w).await;
    w.drain_outbox(Duration::from_secs(10)).await;
    assert_eq!(status(&w, invitation).await, InvitationStatus::Synced);
    let key = participant_of(&w, invitation).await;
    w.sandbox.willo.with_data(|d| {
        d.participants
            .iter_mut()
            .find(|p| p.key == key)
            .unwrap()
            .score = Some(77.0)
    });

    // Just checked: the catch-up leaves it for now (at most hourly).
    w.engine.catch_up(10).await.unwrap();
    w.drain_outbox(Duration::from_secs(10)).await;
    assert_eq!(writes(&w, "note").await.len(), 1);

    // An hour on, within the days completed interviews are re-checked: the new score is found
    // by the catch-up alone and written as a follow-up note.
    let two_hours_ago = chrono_now() - 2 * 60 * 60 * 1000;
    w.store
        .mark_checked(invitation, two_hours_ago)
        .await
        .unwrap();
    w.engine.catch_up(10).await.unwrap();
    w.drain_outbox(Duration::from_secs(10)).await;
    let notes = writes(&w, "note").await;
    assert_eq!(notes.len(), 2, "one follow-up note for the later score");
    assert!(notes[1]["body"]["body"].as_str().unwrap().contains("77"));
}

#[tokio::test]
async fn the_candidate_is_moved_on_once_results_are_written() {
    let w = world().await;
    enable(&w, Some("400102")).await; // then to Phone Interview
    let invitation = completed_invitation(&w).await;
    w.engine.queue_writeback(invitation).await.unwrap();
    w.drain_outbox(Duration::from_secs(10)).await;
    let moves = writes(&w, "move").await;
    assert_eq!(moves.len(), 1);
    assert_eq!(moves[0]["body"]["to_stage_id"], 400102);
    assert_eq!(
        w.sandbox
            .ats
            .with_data(|d| d.application(9002).unwrap().stage),
        2,
        "in Phone Interview now"
    );
}

#[tokio::test]
async fn write_back_of_an_unfinished_interview_is_refused() {
    let w = world().await;
    let app = w
        .store
        .application_id(w.ats, "9002")
        .await
        .unwrap()
        .unwrap();
    let InviteOutcome::Queued(q) = w.engine.queue_invite(app, &w.interview).await.unwrap() else {
        panic!()
    };
    assert!(w.engine.queue_writeback(q.invitation_id).await.is_err());
    assert!(writes(&w, "note").await.is_empty());
}

mod ats_webhooks {
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::time::Duration;

    use desk_domain::Sensitive;
    use desk_engine::receiver::{self, AtsHooks, ReceiverState};
    use desk_engine::SystemClock;
    use hmac::{Hmac, Mac};
    use serde_json::json;

    use super::{enable, world};

    const TOKEN: &str = "b1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
    const SECRET: &str = "greenhouse-webhook-secret";

    fn signed(body: &str, secret: &str) -> String {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body.as_bytes());
        format!("sha256 {}", hex::encode(mac.finalize().into_bytes()))
    }

    async fn receiver(w: &super::World) -> String {
        let state = ReceiverState {
            store: w.store.clone(),
            token: Arc::new(Sensitive::from(TOKEN)),
            clock: Arc::new(SystemClock),
            wake: w.engine.wake_handle(),
            ats: Some(AtsHooks {
                connector: w.engine.ats().unwrap(),
                secret: Arc::new(Sensitive::from(SECRET)),
                poll_now: w.engine.poll_handle(),
            }),
        };
        let (addr, _) = receiver::serve(SocketAddr::from(([127, 0, 0, 1], 0)), state)
            .await
            .unwrap();
        format!("http://{addr}/hooks/ats")
    }

    /// Greenhouse's delivery names the candidate, as the real one does.
    fn stage_change() -> String {
        json!({"action": "candidate_stage_change", "payload": {"application": {"id": 9002, "current_stage": {"id": 400101, "name": "Screening"},
            "candidate": {"first_name": "Zoë", "last_name": "Müller", "email_addresses": [{"value": "zoe.mueller@example.de"}]}}}}).to_string()
    }

    /// The bodies kept in the inbox.
    async fn inbox_bodies(w: &super::World) -> Vec<String> {
        w.database.texts("SELECT body FROM inbox").await
    }

    async fn post(url: &str, body: &str, signature: &str) -> u16 {
        reqwest::Client::new()
            .post(url)
            .header("Signature", signature)
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    #[tokio::test]
    async fn a_signed_stage_change_is_accepted_and_a_forged_one_refused() {
        let w = world().await;
        let url = receiver(&w).await;
        let body = stage_change();
        let inbox_before = w.store.last_inbox_at().await.unwrap();
        assert_eq!(
            post(
                &format!("{url}/{TOKEN}"),
                &body,
                &signed(&body, "not-the-secret")
            )
            .await,
            401,
            "wrong signature"
        );
        assert_eq!(
            post(
                &format!("{url}/{}", "0".repeat(64)),
                &body,
                &signed(&body, SECRET)
            )
            .await,
            401,
            "wrong token"
        );
        assert_eq!(
            w.store.last_inbox_at().await.unwrap(),
            inbox_before,
            "nothing stored from a refused delivery"
        );

        assert_eq!(
            post(&format!("{url}/{TOKEN}"), &body, &signed(&body, SECRET)).await,
            200
        );
        let poll = w.engine.poll_handle();
        tokio::time::timeout(Duration::from_secs(1), poll.notified())
            .await
            .expect("the delivery asked for a poll now");
        let kept = inbox_bodies(&w).await;
        assert_eq!(kept.len(), 1);
        assert!(
            kept[0].contains("9002") && !kept[0].contains("zoe") && !kept[0].contains("Müller"),
            "only the ids are kept, not the candidate the ATS named: {kept:?}"
        );
        let other = json!({"action": "ping"}).to_string();
        assert_eq!(
            post(&format!("{url}/{TOKEN}"), &other, &signed(&other, SECRET)).await,
            200,
            "verified, not a stage change: acknowledged"
        );
    }

    #[tokio::test]
    async fn an_ats_webhook_makes_the_loop_invite_without_waiting_for_the_next_poll() {
        let w = world().await;
        enable(&w, None).await;
        let url = receiver(&w).await;
        let schedule = desk_engine::Schedule {
            tick: Duration::from_secs(30),
            ats_poll_every: Duration::from_secs(3600),
            ..desk_engine::Schedule::default()
        };
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let running = tokio::spawn(Arc::clone(&w.engine).run(schedule, stopped));
        tokio::time::sleep(Duration::from_millis(300)).await; // the loop's first poll at start

        w.move_in_ats(9002, "Screening").await;
        let body = stage_change();
        assert_eq!(
            post(&format!("{url}/{TOKEN}"), &body, &signed(&body, SECRET)).await,
            200
        );
        let mut sent = 0;
        for _ in 0..200 {
            sent = w.participants_in_sandbox().len();
            if sent == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        assert_eq!(
            sent, 1,
            "polled, triggered and sent within seconds, not at the hourly poll"
        );
        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), running)
            .await
            .unwrap()
            .unwrap();
    }
}

#[tokio::test]
async fn a_long_transcript_goes_whole_into_one_attachment_and_the_note_says_so() {
    let w = world().await;
    let invitation = completed_invitation(&w).await;
    let key = participant_of(&w, invitation).await;
    let long = "I walked the customer through every step of the migration. ".repeat(40);
    w.sandbox.willo.with_data(|d| {
        let p = d.participants.iter_mut().find(|p| p.key == key).unwrap();
        p.responses[0].transcript = Some(long.clone());
    });
    w.engine.reconcile_participant(&key).await.unwrap();
    // The upload succeeds on the ATS, but its answer is lost.
    w.sandbox.faults.add(
        FaultRule::new(FaultKind::Drop)
            .after_handler()
            .times(1)
            .on_path("/greenhouse/v3/attachments")
            .on_method("POST"),
    );
    w.engine.queue_writeback(invitation).await.unwrap();
    w.drain_outbox(Duration::from_secs(20)).await;

    let attachments = writes(&w, "attachment").await;
    assert_eq!(
        attachments.len(),
        1,
        "found by name after the lost answer, not uploaded twice: {attachments:#?}"
    );
    let filename = attachments[0]["body"]["filename"].as_str().unwrap();
    assert!(
        filename.starts_with("willo-transcripts-") && filename.ends_with("-r2.txt"),
        "{filename}"
    );
    let notes = writes(&w, "note").await;
    let body = notes[0]["body"]["body"].as_str().unwrap();
    assert!(
        body.contains(&format!(
            "(the whole transcript is in the attachment {filename})"
        )),
        "{body}"
    );
    assert!(body.len() < long.len(), "the note stays readable");
}

#[tokio::test]
async fn with_review_off_the_loop_runs_from_a_stage_change_to_a_note_in_the_ats() {
    let w = world().await;
    enable(&w, None).await; // review not required
    w.move_in_ats(9002, "Screening").await;
    assert_eq!(w.engine.poll_triggers().await.unwrap().queued, 1);
    w.drain_outbox(Duration::from_secs(10)).await;
    let (key, _) = w.participants_in_sandbox().remove(0);
    w.complete_in_sandbox(&key).await;
    assert_eq!(w.engine.catch_up(10).await.unwrap().completed, 1);
    w.drain_outbox(Duration::from_secs(10)).await;
    let notes = writes(&w, "note").await;
    assert_eq!(notes.len(), 1, "written back with nobody approving it");
    assert_eq!(notes[0]["application_id"], 9002);
    let invitation = w
        .store
        .invitation_by_participant(&key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(invitation.status, InvitationStatus::Synced);
    let steps: Vec<String> = w
        .store
        .invitation_history(invitation.id)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.0)
        .collect();
    assert_eq!(steps, ["queued", "invited", "completed", "synced"]);
}

mod review_gate {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use desk_engine::ReviewInput;

    use super::{automate, completed_invitation, participant_of, status, world, writes};
    use desk_domain::InvitationStatus;

    /// A completed interview under a review-required automation (the default).
    async fn waiting(w: &super::World) -> i64 {
        automate(w, true, None, 0).await;
        completed_invitation(w).await
    }

    #[tokio::test]
    async fn a_review_required_interview_waits_in_the_inbox_until_approved_and_what_is_approved_is_written(
    ) {
        let w = world().await;
        let invitation = waiting(&w).await;
        w.drain_outbox(Duration::from_secs(5)).await;
        assert!(
            writes(&w, "note").await.is_empty(),
            "nothing goes to the ATS before a recruiter approves"
        );
        let inbox = w.store.inbox(10).await.unwrap();
        assert_eq!(
            inbox.iter().map(|e| e.invitation_id).collect::<Vec<_>>(),
            [invitation]
        );
        assert_eq!(
            (inbox[0].first_name.as_str(), inbox[0].job_title.as_str()),
            ("Zoë", "Customer Success Associate")
        );

        let key = participant_of(&w, invitation).await;
        let questions: Vec<String> = w
            .store
            .responses(&key)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.question_key)
            .collect();
        let input = ReviewInput {
            rating: Some(4),
            question_ratings: BTreeMap::from([(questions[0].clone(), 5)]),
            comment: Some("Warm and clear; invite to a call.".into()),
            redactions: vec![questions[1].clone()],
        };
        w.engine.approve(invitation, input).await.unwrap();
        assert!(
            w.store.inbox(10).await.unwrap().is_empty(),
            "reviewed: out of the inbox"
        );
        w.drain_outbox(Duration::from_secs(10)).await;
        let notes = writes(&w, "note").await;
        assert_eq!(notes.len(), 1);
        let body = notes[0]["body"]["body"].as_str().unwrap();
        assert!(
            body.contains("Recruiter's rating: 4/5")
                && body.contains("Recruiter's comment: Warm and clear; invite to a call."),
            "{body}"
        );
        assert!(
            body.contains("Transcript: withheld by the reviewer."),
            "{body}"
        );
        let withheld = w.store.responses(&key).await.unwrap()[1]
            .transcript
            .clone()
            .unwrap();
        assert!(
            !body.contains(&withheld),
            "the redacted transcript did not reach the ATS"
        );
        assert_eq!(status(&w, invitation).await, InvitationStatus::Synced);
    }

    #[tokio::test]
    async fn a_skipped_interview_writes_nothing() {
        let w = world().await;
        let invitation = waiting(&w).await;
        w.engine.skip(invitation).await.unwrap();
        assert!(
            w.engine.queue_writeback(invitation).await.is_err(),
            "a skipped interview cannot be written back by accident"
        );
        w.drain_outbox(Duration::from_secs(5)).await;
        assert!(writes(&w, "note").await.is_empty());
        assert_eq!(status(&w, invitation).await, InvitationStatus::Reviewed);
        assert_eq!(
            w.store.review(invitation).await.unwrap().unwrap().decision,
            "skipped"
        );
    }

    #[tokio::test]
    async fn a_bad_review_is_refused_naming_the_field_and_nothing_is_stored() {
        let w = world().await;
        let invitation = waiting(&w).await;
        for (input, field) in [
            (
                ReviewInput {
                    rating: Some(7),
                    ..ReviewInput::default()
                },
                "rating",
            ),
            (
                ReviewInput {
                    question_ratings: BTreeMap::from([("nope".to_owned(), 3)]),
                    ..ReviewInput::default()
                },
                "question_ratings",
            ),
            (
                ReviewInput {
                    redactions: vec!["nope".into()],
                    ..ReviewInput::default()
                },
                "redactions",
            ),
            (
                ReviewInput {
                    comment: Some("x".repeat(10_001)),
                    ..ReviewInput::default()
                },
                "comment",
            ),
        ] {
            let error = w
                .engine
                .approve(invitation, input)
                .await
                .unwrap_err()
                .to_string();
            assert!(error.starts_with(field), "{error}");
        }
        assert_eq!(w.store.review(invitation).await.unwrap(), None);
        assert_eq!(status(&w, invitation).await, InvitationStatus::Completed);
        let app = w
            .store
            .application_id(w.ats, "9014")
            .await
            .unwrap()
            .unwrap();
        let desk_engine::InviteOutcome::Queued(q) =
            w.engine.queue_invite(app, &w.interview).await.unwrap()
        else {
            panic!()
        };
        assert!(w
            .engine
            .approve(q.invitation_id, ReviewInput::default())
            .await
            .unwrap_err()
            .to_string()
            .contains("only a completed interview"));
    }
}

#[tokio::test]
async fn a_due_write_back_nobody_queued_is_found_by_the_sweep() {
    let w = world().await;
    automate(&w, true, None, 0).await;
    let invitation = completed_invitation(&w).await;
    assert_eq!(
        w.engine.queue_due_writebacks().await.unwrap(),
        0,
        "review required: nothing due"
    );
    // As after a crash between completion and queueing: due, and nothing queued.
    automate(&w, false, None, 0).await;
    assert_eq!(w.engine.queue_due_writebacks().await.unwrap(), 1);
    assert_eq!(
        w.engine.queue_due_writebacks().await.unwrap(),
        0,
        "queued once, not again"
    );
    w.drain_outbox(Duration::from_secs(10)).await;
    assert_eq!(writes(&w, "note").await.len(), 1);
    assert_eq!(status(&w, invitation).await, InvitationStatus::Synced);
}

mod automation_setup {
    use std::time::Duration;

    use desk_engine::{
        AutomationRequest, DryRunOutcome, InterviewChoice, InterviewRule, RuleField,
    };

    use super::{world, writes};

    async fn ids(w: &super::World, stage: &str) -> (i64, i64) {
        let job = w.store.job_id(w.ats, "4001").await.unwrap().unwrap();
        let stage = w.store.stage_id(w.ats, stage).await.unwrap().unwrap();
        (job, stage)
    }

    fn request(job: i64, stage: i64, choice: InterviewChoice) -> AutomationRequest {
        AutomationRequest {
            job_id: job,
            choice,
            trigger_stage_ids: vec![stage],
            review_required: false,
            move_to_stage_id: None,
            move_min_score: None,
            note_policy: desk_domain::NotePolicy::Everything,
        }
    }

    #[tokio::test]
    async fn the_dry_run_reports_each_waiting_candidate_and_changes_nothing() {
        let w = world().await;
        let (job, screening) = ids(&w, "400101").await;
        let choice = InterviewChoice::Interview {
            interview_key: w.interview.clone(),
        };
        let outbox_before = w.store.outbox_pending().await.unwrap();
        let activity_before = w.store.recent_activity(1_000).await.unwrap().len();

        let run = w
            .engine
            .dry_run(&request(job, screening, choice))
            .await
            .unwrap();
        let waiting = w
            .store
            .applications_in_stages(job, &[screening])
            .await
            .unwrap();
        assert!(
            !waiting.is_empty(),
            "the demo data has candidates in Screening"
        );
        assert_eq!(
            run.rows.len(),
            waiting.len(),
            "one row per candidate in the stage"
        );
        assert!(run.interview_title.is_some());
        assert!(run.note.contains("does not invite them"), "{}", run.note);
        let refused: Vec<_> = run
            .rows
            .iter()
            .filter(|r| matches!(r.result, DryRunOutcome::Refused { .. }))
            .collect();
        let invited = run.rows.len() - refused.len();
        assert!(invited > 0, "most demo candidates pass the checks");
        for row in &refused {
            let DryRunOutcome::Refused { reasons } = &row.result else {
                unreachable!()
            };
            assert!(
                !reasons.is_empty() && reasons.iter().all(|r| r.ends_with('.')),
                "{reasons:?}"
            );
        }
        assert!(run
            .rows
            .iter()
            .all(|r| r.stage.as_deref() == Some("Screening")));

        assert_eq!(
            w.store.outbox_pending().await.unwrap(),
            outbox_before,
            "nothing queued"
        );
        assert_eq!(
            w.store.recent_activity(1_000).await.unwrap().len(),
            activity_before,
            "nothing logged"
        );
        assert!(
            w.store.automation_for_job(job).await.unwrap().is_none(),
            "nothing switched on"
        );
        assert_eq!(
            w.sandbox.willo.with_data(|d| d.participants.len()),
            0,
            "nobody invited"
        );
    }

    #[tokio::test]
    async fn a_bad_request_names_what_is_wrong_and_saves_nothing() {
        let w = world().await;
        let (job, screening) = ids(&w, "400101").await;
        let other_job_stage = w.store.stage_id(w.ats, "400201").await.unwrap().unwrap();
        let good = InterviewChoice::Interview {
            interview_key: w.interview.clone(),
        };
        for (req, expected) in [
            (
                AutomationRequest {
                    trigger_stage_ids: vec![],
                    ..request(job, screening, good.clone())
                },
                "trigger stages",
            ),
            (
                request(job, other_job_stage, good.clone()),
                "is not a stage of the job",
            ),
            (
                AutomationRequest {
                    move_min_score: Some(120.0),
                    note_policy: desk_domain::NotePolicy::Everything,
                    move_to_stage_id: Some(screening),
                    ..request(job, screening, good.clone())
                },
                "minimum score",
            ),
            (
                AutomationRequest {
                    move_min_score: Some(50.0),
                    note_policy: desk_domain::NotePolicy::Everything,
                    ..request(job, screening, good.clone())
                },
                "choose the stage to move to",
            ),
            (
                request(
                    job,
                    screening,
                    InterviewChoice::Interview {
                        interview_key: "no-such-interview".into(),
                    },
                ),
                "does not exist",
            ),
            (
                request(
                    job,
                    screening,
                    InterviewChoice::Rules {
                        rules: vec![],
                        fallback: None,
                    },
                ),
                "no rule matches",
            ),
        ] {
            let error = w.engine.set_automation(&req).await.unwrap_err().to_string();
            assert!(error.contains(expected), "{error} (expected: {expected})");
        }
        assert!(w.store.automation_for_job(job).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_template_makes_one_interview_for_the_job_however_often_it_is_set() {
        let w = world().await;
        let (job, screening) = ids(&w, "400101").await;
        let template = w.sandbox.willo.with_data(|d| d.templates[0].clone());
        let before = w.sandbox.willo.with_data(|d| d.interviews.len());
        let choice = InterviewChoice::Template {
            template_key: template.key.clone(),
        };

        let run = w
            .engine
            .dry_run(&request(job, screening, choice.clone()))
            .await
            .unwrap();
        assert_eq!(run.interview_title, None, "the dry run creates nothing");
        assert_eq!(w.sandbox.willo.with_data(|d| d.interviews.len()), before);

        let first = w
            .engine
            .set_automation(&request(job, screening, choice.clone()))
            .await
            .unwrap();
        let second = w
            .engine
            .set_automation(&request(job, screening, choice))
            .await
            .unwrap();
        assert_eq!(first.interview_key, second.interview_key);
        assert_eq!(
            w.sandbox.willo.with_data(|d| d.interviews.len()),
            before + 1,
            "made once"
        );
        let made = w.sandbox.willo.with_data(|d| {
            d.interviews
                .iter()
                .find(|i| i.key == first.interview_key)
                .unwrap()
                .title
                .clone()
        });
        assert_eq!(
            made,
            format!("{} — Customer Success Associate", template.name)
        );
    }

    #[tokio::test]
    async fn rules_pick_the_interview_and_follow_the_job_when_it_changes() {
        let w = world().await;
        let (job, screening) = ids(&w, "400101").await;
        let keys: Vec<String> = w
            .sandbox
            .willo
            .with_data(|d| d.interviews.iter().map(|i| i.key.clone()).collect());
        let (support, engineering) = (keys[0].clone(), keys[1].clone());
        let choice = InterviewChoice::Rules {
            rules: vec![
                InterviewRule {
                    field: RuleField::Department,
                    equals: "engineering".into(),
                    interview_key: engineering.clone(),
                },
                InterviewRule {
                    field: RuleField::Department,
                    equals: "Customer Success".into(),
                    interview_key: support.clone(),
                },
            ],
            fallback: None,
        };
        let set = w
            .engine
            .set_automation(&request(job, screening, choice))
            .await
            .unwrap();
        assert_eq!(
            set.interview_key, support,
            "job 4001 is in Customer Success"
        );

        // The job moves to Engineering in the ATS: the next sync re-reads the rules.
        w.sandbox.ats.with_data(|d| {
            d.jobs.iter_mut().find(|j| j.id == 4001).unwrap().department = "Engineering".into()
        });
        w.engine.poll_triggers().await.unwrap();
        let now = w.store.automation_for_job(job).await.unwrap().unwrap();
        assert_eq!(now.interview_key, engineering);
        let log = w.store.recent_activity(10).await.unwrap();
        assert!(
            log.iter()
                .any(|e| e.kind == "automation_set" && e.message.contains("changed in the ATS")),
            "{log:?}"
        );
    }

    #[tokio::test]
    async fn below_the_score_threshold_the_move_waits_for_a_later_score() {
        let w = world().await;
        let (job, screening) = ids(&w, "400101").await;
        let next = w.store.stage_id(w.ats, "400102").await.unwrap().unwrap();
        w.engine
            .set_automation(&super::AutomationRequestExt::with_move(
                request(
                    job,
                    screening,
                    InterviewChoice::Interview {
                        interview_key: w.interview.clone(),
                    },
                ),
                next,
                70.0,
            ))
            .await
            .unwrap();
        let app = w
            .store
            .application_id(w.ats, "9002")
            .await
            .unwrap()
            .unwrap();
        let (_, key) = w.invited(app).await;
        w.complete_in_sandbox(&key).await;
        // Completed, but Willo has not scored it yet.
        w.sandbox.willo.with_data(|d| {
            d.participants
                .iter_mut()
                .find(|p| p.key == key)
                .unwrap()
                .score = None
        });
        w.engine.catch_up(10).await.unwrap();
        w.engine.queue_due_writebacks().await.unwrap();
        w.drain_outbox(Duration::from_secs(10)).await;
        assert_eq!(writes(&w, "note").await.len(), 1, "the results go back");
        assert!(
            writes(&w, "move").await.is_empty(),
            "but the candidate stays"
        );
        let log = w.store.recent_activity(50).await.unwrap();
        assert!(
            log.iter()
                .any(|e| e.kind == "move_held" && e.message.contains("no score")),
            "{log:?}"
        );

        // The score arrives later, above the threshold: a follow-up note, and the move.
        w.sandbox.willo.with_data(|d| {
            d.participants
                .iter_mut()
                .find(|p| p.key == key)
                .unwrap()
                .score = Some(85.0)
        });
        w.engine.reconcile_participant(&key).await.unwrap();
        w.engine.queue_due_writebacks().await.unwrap();
        w.drain_outbox(Duration::from_secs(10)).await;
        assert_eq!(writes(&w, "note").await.len(), 2);
        assert_eq!(writes(&w, "move").await.len(), 1);
        assert_eq!(
            w.sandbox
                .ats
                .with_data(|d| d.application(9002).unwrap().stage),
            2
        );
    }
}

/// Builder for the move settings of a request.
trait AutomationRequestExt {
    fn with_move(self, stage: i64, min_score: f64) -> Self;
}

impl AutomationRequestExt for desk_engine::AutomationRequest {
    fn with_move(self, stage: i64, min_score: f64) -> Self {
        Self {
            move_to_stage_id: Some(stage),
            move_min_score: Some(min_score),
            ..self
        }
    }
}

/// The kinds of activity logged about an invitation, oldest first.
async fn activity_kinds(w: &World, invitation: i64) -> Vec<String> {
    let mut kinds: Vec<_> = w
        .store
        .recent_activity(1_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.invitation_id == Some(invitation))
        .map(|a| a.kind)
        .collect();
    kinds.reverse();
    kinds
}

#[tokio::test]
async fn while_the_ats_answers_the_note_with_503_the_candidate_is_not_moved() {
    let w = world().await;
    enable(&w, Some("400102")).await;
    let invitation = completed_invitation(&w).await;
    w.sandbox.faults.add(
        FaultRule::new(FaultKind::Status { status: 503 })
            .times(4)
            .on_path("/greenhouse/v3/notes")
            .on_method("POST"),
    );
    w.engine.queue_writeback(invitation).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while writes(&w, "note").await.is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the note was never written"
        );
        w.engine.run_outbox_once().await.unwrap();
        let note_written = !writes(&w, "note").await.is_empty();
        assert!(
            note_written || writes(&w, "move").await.is_empty(),
            "the candidate moved before the note existed"
        );
        assert!(
            note_written || status(&w, invitation).await != InvitationStatus::Synced,
            "synced without a note"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    w.drain_outbox(Duration::from_secs(10)).await;
    let (notes, moves) = (writes(&w, "note").await, writes(&w, "move").await);
    assert_eq!((notes.len(), moves.len()), (1, 1));
    assert!(
        notes[0]["id"].as_u64() < moves[0]["id"].as_u64(),
        "the move came after the note"
    );
    assert_eq!(status(&w, invitation).await, InvitationStatus::Synced);
}

#[tokio::test]
async fn a_note_the_ats_refuses_for_good_holds_the_move_and_shows_as_failed_until_retried() {
    let mut w = world().await;
    enable(&w, Some("400102")).await;
    let invitation = completed_invitation(&w).await;
    w.drain_events();
    w.sandbox.faults.add(
        FaultRule::new(FaultKind::Status { status: 400 })
            .on_path("/greenhouse/v3/notes")
            .on_method("POST"),
    );
    w.engine.queue_writeback(invitation).await.unwrap();
    w.drain_outbox(Duration::from_secs(10)).await;

    assert!(writes(&w, "note").await.is_empty());
    assert!(
        writes(&w, "move").await.is_empty(),
        "no move without the note"
    );
    assert_eq!(
        status(&w, invitation).await,
        InvitationStatus::Completed,
        "not synced: the note is missing"
    );
    let kinds = activity_kinds(&w, invitation).await;
    assert!(kinds.contains(&"writeback_failed".to_owned()), "{kinds:?}");
    assert!(
        !kinds.contains(&"written_back".to_owned()),
        "the log does not claim the results were written: {kinds:?}"
    );
    let failed = w.store.failed_items().await.unwrap();
    let note = failed
        .iter()
        .find(|f| f.invitation_id == Some(invitation))
        .expect("the refused note is listed as failed work");
    assert!(
        note.error.as_deref().is_some_and(|e| e.contains("400")),
        "{note:?}"
    );
    assert!(
        w.drain_events().iter().any(|e| matches!(
            e,
            desk_engine::EngineEvent::WritebackFailed { invitation_id, .. } if *invitation_id == invitation
        )),
        "a notification is raised"
    );

    // The recruiter fixes it in the ATS and presses Retry: the note, then the move.
    w.sandbox.faults.clear();
    w.engine.retry_failed(note.outbox_id).await.unwrap();
    w.drain_outbox(Duration::from_secs(10)).await;
    let (notes, moves) = (writes(&w, "note").await, writes(&w, "move").await);
    assert_eq!((notes.len(), moves.len()), (1, 1));
    assert!(notes[0]["id"].as_u64() < moves[0]["id"].as_u64());
    assert_eq!(status(&w, invitation).await, InvitationStatus::Synced);
    assert!(activity_kinds(&w, invitation)
        .await
        .contains(&"written_back".to_owned()));
}

#[tokio::test]
async fn a_process_stopped_after_the_last_item_was_done_is_finished_by_the_next_catch_up() {
    let w = world().await;
    enable(&w, Some("400102")).await;
    let invitation = completed_invitation(&w).await;
    // A process finishes every item and stops before the step after the last one (queueing the
    // move, marking the invitation synced).
    let now = chrono_now();
    for item in w
        .store
        .claim_outbox("stopped#1", now, 60_000, 10)
        .await
        .unwrap()
    {
        assert!(w
            .store
            .complete_outbox(item.id, "stopped#1", None, now)
            .await
            .unwrap());
    }
    w.drain_outbox(Duration::from_secs(5)).await;
    assert!(writes(&w, "move").await.is_empty());
    assert_eq!(status(&w, invitation).await, InvitationStatus::Completed);

    w.engine.catch_up(10).await.unwrap();
    w.drain_outbox(Duration::from_secs(10)).await;
    assert_eq!(writes(&w, "move").await.len(), 1, "the move goes out");
    assert_eq!(status(&w, invitation).await, InvitationStatus::Synced);
    w.engine.catch_up(10).await.unwrap();
    w.drain_outbox(Duration::from_secs(5)).await;
    assert_eq!(writes(&w, "move").await.len(), 1, "and only once");
}

#[tokio::test]
async fn re_approving_with_a_new_review_writes_the_new_review_once() {
    let w = world().await;
    automate(&w, true, None, chrono_now()).await;
    let invitation = completed_invitation(&w).await;
    let review = |rating: i64, comment: &str| desk_engine::ReviewInput {
        rating: Some(rating),
        comment: Some(comment.into()),
        ..desk_engine::ReviewInput::default()
    };
    w.engine
        .approve(invitation, review(3, "Solid."))
        .await
        .unwrap();
    w.drain_outbox(Duration::from_secs(10)).await;
    assert_eq!(status(&w, invitation).await, InvitationStatus::Synced);

    w.engine
        .approve(invitation, review(5, "Outstanding on second look."))
        .await
        .unwrap();
    assert_ne!(
        status(&w, invitation).await,
        InvitationStatus::Synced,
        "not synced while the new review is on its way"
    );
    w.drain_outbox(Duration::from_secs(10)).await;
    let notes = writes(&w, "note").await;
    assert_eq!(notes.len(), 2, "the new review is written");
    let body = notes[1]["body"]["body"].as_str().unwrap();
    assert!(
        body.contains("Outstanding on second look.") && !body.contains("Solid."),
        "{body}"
    );
    let key = participant_of(&w, invitation).await;
    assert!(body.ends_with(&format!("willo-desk:{key}:1.r2")), "{body}");
    assert_eq!(status(&w, invitation).await, InvitationStatus::Synced);

    // The same review again is not a new one.
    w.engine
        .approve(invitation, review(5, "Outstanding on second look."))
        .await
        .unwrap();
    w.drain_outbox(Duration::from_secs(10)).await;
    assert_eq!(writes(&w, "note").await.len(), 2);
}
