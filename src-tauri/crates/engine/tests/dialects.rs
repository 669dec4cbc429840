//! The loop against each ATS the simulators speak (Greenhouse, Lever, Ashby, Workable), through
//! its own connector: a stage change invites once, the completion is written back as one note
//! and the candidate moved on; a note whose answer was lost is found by its marker instead of
//! written twice; throttling is waited out. Each dialect runs the same checks.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::time::Duration;

use desk_domain::{AtsKind, InvitationStatus};
use desk_sandbox::ats::Dialect;
use desk_sandbox::{FaultKind, FaultRule, SandboxConfig};
use desk_store::{AtsSnapshot, AutomationSpec};
use serde_json::Value;
use support::{quick_config, world_on, World};

/// Zoë Müller's application to job 4001 in the demo data, in its first stage.
const ZOE: u64 = 9002;
const JOB: u64 = 4001;
/// Indices into the demo's stages: Screening sends the interview; Phone Interview is next.
const SCREENING: usize = 1;
const PHONE: usize = 2;

/// A world on `kind`'s dialect whose store learns the ATS only through the connector.
async fn world(kind: AtsKind) -> World {
    world_in(kind, SandboxConfig::for_tests()).await
}

/// As [`world`], on simulators set up as `config` says.
async fn world_in(kind: AtsKind, config: SandboxConfig) -> World {
    let w = world_on(
        kind,
        config,
        desk_willo::Pacer::new(support::per_second(200)),
        quick_config(),
        |snap| *snap = AtsSnapshot::default(),
    )
    .await;
    w.engine.poll_triggers().await.unwrap();
    w
}

/// Job 4001's automation on `kind`'s ids: Screening sends the interview without review, and the
/// candidate moves on to Phone Interview once the results are written.
async fn automate(w: &World, dialect: Dialect) {
    let job = w
        .store
        .job_id(w.ats, &dialect.job_id(JOB))
        .await
        .unwrap()
        .expect("the job was read from the ATS");
    let stage = |index| {
        let remote = dialect.stage_id(JOB, index);
        async move { w.store.stage_id(w.ats, &remote).await.unwrap().unwrap() }
    };
    let (trigger, next) = (stage(SCREENING).await, stage(PHONE).await);
    w.store
        .set_automation(
            &AutomationSpec::direct(job, &w.interview, &[trigger], false, Some(next)),
            chrono::Utc::now().timestamp_millis(),
        )
        .await
        .unwrap();
}

/// Zoë's candidate in the demo data: Ashby keeps notes on the candidate, the others on the
/// application, and she has only the one.
const ZOE_CANDIDATE: u64 = 7002;

/// What the simulated ATS recorded of `kind` writes (`note`, `move`) on Zoë.
fn writes(w: &World, dialect: Dialect, kind: &str) -> Vec<Value> {
    w.sandbox.ats.with_data(|d| {
        d.writes_to(Some(dialect.name()), Some(kind))
            .into_iter()
            .filter(|write| write.candidate_id == ZOE_CANDIDATE)
            .map(|write| write.body)
            .collect()
    })
}

/// The path the dialect's note (or comment) on Zoë is written to.
fn note_path(dialect: Dialect) -> String {
    let application = dialect.application_id(ZOE);
    match dialect {
        Dialect::Greenhouse => "/greenhouse/v3/notes".into(),
        Dialect::Lever => format!("/lever/v1/opportunities/{application}/notes"),
        Dialect::Ashby => "/ashby/candidate.createNote".into(),
        Dialect::Workable => format!("/workable/spi/v3/candidates/{application}/comments"),
    }
}

/// Moves Zoë into Screening, lets the loop invite her, completes her interview in Willo and
/// runs the loop until the write-back is done.
async fn through_the_loop(w: &World) {
    w.move_in_ats(ZOE, "Screening").await;
    let polled = w.engine.poll_triggers().await.unwrap();
    assert_eq!(
        polled.queued, 1,
        "Zoë, moved into the trigger stage, is invited"
    );
    w.drain_outbox(Duration::from_secs(20)).await;
    let sent = w.participants_in_sandbox();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1, "zoe.mueller@example.de");
    w.complete_in_sandbox(&sent[0].0).await;
    w.engine.catch_up(10).await.unwrap();
    w.drain_outbox(Duration::from_secs(30)).await;
    let invitation = w
        .store
        .invitation_by_participant(&sent[0].0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(invitation.status, InvitationStatus::Synced, "written back");
}

async fn the_loop_runs_once_from_a_stage_change_to_the_next_stage(kind: AtsKind) {
    let dialect = Dialect::of(kind);
    let w = world(kind).await;
    automate(&w, dialect).await;
    assert_eq!(
        w.engine.poll_triggers().await.unwrap().queued,
        0,
        "those already in Screening when the automation was switched on are not invited"
    );
    through_the_loop(&w).await;

    let notes = writes(&w, dialect, "note");
    assert_eq!(notes.len(), 1, "one note: {notes:?}");
    assert!(
        notes[0].to_string().contains("willo-desk:"),
        "the note carries its marker: {}",
        notes[0]
    );
    assert_eq!(writes(&w, dialect, "move").len(), 1);
    assert_eq!(
        w.sandbox
            .ats
            .with_data(|d| d.application(ZOE).unwrap().stage),
        PHONE,
        "moved on to Phone Interview"
    );

    // Seen again by later polls: nothing is sent or written twice.
    w.engine.poll_triggers().await.unwrap();
    w.drain_outbox(Duration::from_secs(10)).await;
    assert_eq!(w.participants_in_sandbox().len(), 1);
    assert_eq!(writes(&w, dialect, "note").len(), 1);
    assert_eq!(writes(&w, dialect, "move").len(), 1);
}

async fn a_note_whose_answer_was_lost_is_found_not_written_twice(kind: AtsKind) {
    let dialect = Dialect::of(kind);
    let w = world(kind).await;
    automate(&w, dialect).await;
    // The ATS writes the note, and the connection drops before its answer arrives.
    w.sandbox.faults.add(
        FaultRule::new(FaultKind::Drop)
            .on_path(note_path(dialect))
            .on_method("POST")
            .after_handler()
            .times(1),
    );
    through_the_loop(&w).await;
    assert_eq!(w.sandbox.faults.struck(), 1, "the fault struck");
    assert_eq!(
        writes(&w, dialect, "note").len(),
        1,
        "the retry found the note by its marker"
    );
    assert_eq!(writes(&w, dialect, "move").len(), 1);
}

async fn throttled_reads_and_writes_are_waited_out(kind: AtsKind) {
    let dialect = Dialect::of(kind);
    if dialect == Dialect::Workable {
        return workable_throttling_is_waited_out().await;
    }
    let w = world(kind).await;
    automate(&w, dialect).await;
    let prefix = match dialect {
        Dialect::Greenhouse => "/greenhouse/",
        Dialect::Lever => "/lever/",
        Dialect::Ashby => "/ashby/",
        Dialect::Workable => "/workable/",
    };
    // The next two requests of every kind to the ATS, reads and writes, are refused with 429.
    w.sandbox.faults.add(
        FaultRule::new(FaultKind::RateLimit {
            retry_after_secs: 1,
        })
        .on_path(prefix)
        .times(2),
    );
    w.sandbox.faults.add(
        FaultRule::new(FaultKind::RateLimit {
            retry_after_secs: 1,
        })
        .on_path(note_path(dialect))
        .times(2),
    );
    through_the_loop(&w).await;
    assert!(w.sandbox.faults.struck() >= 4, "every 429 was met");
    assert_eq!(writes(&w, dialect, "note").len(), 1);
    assert_eq!(writes(&w, dialect, "move").len(), 1);
}

/// Workable throttles as it does for real: 10 requests in 10 seconds per token, a 429 without
/// `Retry-After`, and the `X-Rate-Limit-*` headers on every answer. Another tool uses the same
/// token all along (a request every 300 ms, more than the window holds), so the window is full
/// whenever a slot frees; the loop still completes, once. (The connector's wait on a 429 without
/// `Retry-After` is checked on its own in `desk-ats`'s `workable_http`.)
async fn workable_throttling_is_waited_out() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    let mut config = SandboxConfig::for_tests();
    config.ats.workable_limit_per_10s = 10;
    let w = world_in(AtsKind::Workable, config).await;
    automate(&w, Dialect::Workable).await;
    let refused_to_the_other = Arc::new(AtomicU64::new(0));
    let other = {
        let (url, token) = (
            format!("{}/members", w.sandbox.info.workable_base_url),
            w.sandbox.info.workable_token.clone(),
        );
        let refused = Arc::clone(&refused_to_the_other);
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            loop {
                let answer = client.get(&url).bearer_auth(&token).send().await;
                if answer.is_ok_and(|a| a.status() == 429) {
                    refused.fetch_add(1, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        })
    };
    through_the_loop(&w).await;
    other.abort();
    assert!(
        refused_to_the_other.load(Ordering::Relaxed) > 0,
        "the other tool was refused: the window was full"
    );
    assert_eq!(writes(&w, Dialect::Workable, "note").len(), 1);
    assert_eq!(writes(&w, Dialect::Workable, "move").len(), 1);
}

macro_rules! every_dialect {
    ($($module:ident => $kind:expr),* $(,)?) => {$(
        mod $module {
            use super::*;

            #[tokio::test]
            async fn the_loop_runs_once_from_a_stage_change_to_the_next_stage() {
                super::the_loop_runs_once_from_a_stage_change_to_the_next_stage($kind).await;
            }

            #[tokio::test]
            async fn a_note_whose_answer_was_lost_is_found_not_written_twice() {
                super::a_note_whose_answer_was_lost_is_found_not_written_twice($kind).await;
            }

            #[tokio::test]
            async fn throttled_reads_and_writes_are_waited_out() {
                super::throttled_reads_and_writes_are_waited_out($kind).await;
            }
        }
    )*};
}

every_dialect!(
    greenhouse => AtsKind::Greenhouse,
    lever => AtsKind::Lever,
    ashby => AtsKind::Ashby,
    workable => AtsKind::Workable,
);
