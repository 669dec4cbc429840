//! Candidates' data rights against the simulators: deleting a candidate's interview data
//! everywhere (Willo, the ATS, this database's file), the retention purge on a moved clock, and
//! what a "summary and links" note leaves out.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::path::Path;
use std::time::Duration;

use desk_domain::{AtsKind, InvitationStatus, NotePolicy};
use desk_engine::{ErasureOutcome, ErasurePlace, ErasureReport};
use desk_sandbox::{FaultKind, FaultRule, SandboxConfig};
use desk_store::{AtsSnapshot, AutomationSpec};
use serde_json::Value;
use sqlx::Connection;
use support::{quick_config, world_on, World};

/// Written into the candidate's answers, transcripts and summary, to be looked for afterwards.
const SPOKEN: &str = "spoken-marker-4b1f";
const WRITTEN: &str = "written-marker-9c2e";
const SUMMARY: &str = "summary-marker-77d0";

/// A world on `kind` whose store learnt the ATS through the connector, with job 4001's
/// automation sending the interview from its first stage without review.
async fn world(kind: AtsKind, policy: NotePolicy) -> World {
    let w = world_on(
        kind,
        SandboxConfig::for_tests(),
        desk_willo::Pacer::new(support::per_second(200)),
        quick_config(),
        |snap| *snap = AtsSnapshot::default(),
    )
    .await;
    w.engine.poll_triggers().await.unwrap();
    let job = job_of_zoe(&w).await;
    let mut spec = AutomationSpec::direct(job, &w.interview, &[], false, None);
    spec.note_policy = policy;
    w.store.set_automation(&spec, 0).await.unwrap();
    w
}

async fn job_of_zoe(w: &World) -> i64 {
    let application = w.store.ats_application(zoe(w).await).await.unwrap();
    w.store
        .job_id(w.ats, &application.job_remote_id)
        .await
        .unwrap()
        .unwrap()
}

/// Zoë's application (the ATS's id differs by dialect; her email does not).
async fn zoe(w: &World) -> i64 {
    w.store
        .applications_by_email("zoe.mueller@example.de")
        .await
        .unwrap()
        .first()
        .copied()
        .expect("Zoë is in the ATS")
}

/// Invites Zoë, completes her interview with the markers in it, and writes it back.
async fn written_back(w: &World) -> (i64, i64, String) {
    let app = zoe(w).await;
    let (invitation, key) = w.invited(app).await;
    w.complete_in_sandbox(&key).await;
    w.sandbox.willo.with_data(|d| {
        let p = d.participants.iter_mut().find(|p| p.key == key).unwrap();
        p.summary = Some(format!("{SUMMARY} A clear communicator."));
        for r in &mut p.responses {
            if r.transcript.is_some() {
                r.transcript = Some(format!("{SPOKEN} I led the team."));
            }
            if r.text.is_some() {
                r.text = Some(format!("{WRITTEN} Zendesk."));
            }
        }
    });
    w.engine.catch_up(10).await.unwrap();
    w.engine.queue_due_writebacks().await.unwrap();
    w.drain_outbox(Duration::from_secs(10)).await;
    assert_eq!(
        w.store.invitation(invitation).await.unwrap().status,
        InvitationStatus::Synced
    );
    (app, invitation, key)
}

/// Changes the simulated ATS's data, given Zoë's candidate id there.
fn in_the_ats(w: &World, change: impl FnOnce(&mut desk_sandbox::ats::dataset::Dataset, u64)) {
    w.sandbox.ats.with_data(|d| {
        let zoe = d
            .candidates
            .iter()
            .find(|c| c.emails.iter().any(|e| e == "zoe.mueller@example.de"))
            .unwrap()
            .id;
        change(d, zoe);
    });
}

async fn erase(w: &World, app: i64) -> ErasureReport {
    let id = w
        .engine
        .request_erasure(app, "Dana (recruiter)")
        .await
        .unwrap();
    w.drain_outbox(Duration::from_secs(20)).await;
    let report = w.engine.erasure_report(id).await.unwrap();
    assert!(report.finished_at.is_some(), "done: {report:#?}");
    report
}

fn notes_in_ats(w: &World, kind: AtsKind) -> Vec<Value> {
    w.sandbox
        .ats
        .with_data(|d| d.writes_to(Some(kind.as_str()), Some("note")))
        .into_iter()
        .map(|n| n.body)
        .collect()
}

/// Every file in the folder, as bytes.
fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn holds(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The tables (other than the mirror of the ATS's own records) whose text holds `needle`.
async fn tables_holding(w: &World, needle: &str) -> Vec<String> {
    let mut conn = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}?mode=ro",
        w.dir.path().join("desk.db").display()
    ))
    .await
    .unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'application_search%'
           AND name NOT IN ('candidates', 'applications', '_sqlx_migrations')",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut found = Vec::new();
    for table in tables {
        let columns: Vec<String> =
            sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(&mut conn)
                .await
                .unwrap();
        let text = columns
            .iter()
            .map(|c| format!("COALESCE(CAST(\"{c}\" AS TEXT), '')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let hits: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM \"{table}\" WHERE instr(lower({text}), lower(?)) > 0"
        ))
        .bind(needle)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        if hits > 0 {
            found.push(table);
        }
    }
    found
}

fn outcome_of<'a>(
    report: &'a ErasureReport,
    place: ErasurePlace,
    what: &str,
) -> &'a ErasureOutcome {
    &report
        .steps
        .iter()
        .find(|s| s.place == place && s.what.contains(what))
        .unwrap_or_else(|| panic!("no {place:?} step about {what}: {report:#?}"))
        .outcome
}

#[tokio::test]
async fn on_lever_a_deletion_removes_the_participant_the_note_and_every_local_copy() {
    let w = world(AtsKind::Lever, NotePolicy::Everything).await;
    let (app, invitation, key) = written_back(&w).await;
    assert!(
        notes_in_ats(&w, AtsKind::Lever)
            .iter()
            .any(|n| n.to_string().contains(SPOKEN)),
        "the note carried the transcript before"
    );

    let report = erase(&w, app).await;

    assert!(report.complete, "{report:#?}");
    assert_eq!(
        outcome_of(&report, ErasurePlace::Willo, &key),
        &ErasureOutcome::Deleted
    );
    assert_eq!(
        outcome_of(&report, ErasurePlace::Ats, "Lever note"),
        &ErasureOutcome::Deleted
    );
    assert!(
        !w.participants_in_sandbox().iter().any(|(k, _)| *k == key),
        "the participant is gone from Willo"
    );
    assert!(
        notes_in_ats(&w, AtsKind::Lever).is_empty(),
        "the note is gone from Lever"
    );
    let erased = w.store.invitation(invitation).await.unwrap();
    assert_eq!(erased.status, InvitationStatus::Erased);
    assert_eq!(erased.email, None);
    assert!(w.store.participant_of(invitation).await.unwrap().is_none());
    assert!(w.store.responses(&key).await.unwrap().is_empty());
    assert_eq!(report.local.invitations, 1);
    assert!(
        report.local.answers > 0 && report.local.participants >= 1,
        "{report:#?}"
    );

    // Nothing of the answers in any file of the data folder: tables, WAL, free pages.
    w.store.close().await;
    for (file, bytes) in files_of(w.dir.path()) {
        for marker in [SPOKEN, WRITTEN, SUMMARY] {
            assert!(!holds(&bytes, marker), "{marker} is still in {file}");
        }
    }
}

#[tokio::test]
async fn on_greenhouse_the_note_is_listed_for_a_person_with_a_link_and_the_score_field_emptied() {
    let w = world(AtsKind::Greenhouse, NotePolicy::Everything).await;
    let (app, _, key) = written_back(&w).await;

    let report = erase(&w, app).await;

    assert!(!report.complete, "a note is left for a person: {report:#?}");
    match outcome_of(&report, ErasurePlace::Ats, "Greenhouse note") {
        ErasureOutcome::ByHand { why, url } => {
            assert!(why.contains("Greenhouse"), "{why}");
            assert!(
                url.as_deref()
                    .is_some_and(|u| u.starts_with("https://app.greenhouse.io/people/")),
                "{url:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        outcome_of(&report, ErasurePlace::Ats, "field"),
        &ErasureOutcome::Deleted
    );
    assert_eq!(
        outcome_of(&report, ErasurePlace::Willo, &key),
        &ErasureOutcome::Deleted
    );
    assert_eq!(
        notes_in_ats(&w, AtsKind::Greenhouse).len(),
        1,
        "still there, as reported"
    );
}

#[tokio::test]
async fn name_email_and_phone_stay_only_in_the_mirror_of_the_ats_and_the_audit_names_no_one() {
    let w = world(AtsKind::Lever, NotePolicy::Everything).await;
    let (app, invitation, key) = written_back(&w).await;
    // A Willo delivery about them, and review work left unfinished.
    let delivery = serde_json::json!({"event": "participant.completed", "participant": {"key": key, "name": "Zoë Müller"}});
    w.store
        .insert_inbox(
            "willo",
            "participant.completed",
            "d-1",
            &delivery.to_string(),
            0,
        )
        .await
        .unwrap();
    assert!(w
        .store
        .save_review_draft(invitation, r#"{"comment": "Müller was great"}"#)
        .await
        .unwrap());
    let report = erase(&w, app).await;
    assert_eq!(report.local.webhook_deliveries, 1, "{report:#?}");
    assert_eq!(w.store.review_draft(invitation).await.unwrap(), None);
    assert!(
        !w.store.save_review_draft(invitation, "{}").await.unwrap(),
        "no review work is kept for a deleted interview"
    );
    assert!(w.engine.skip(invitation).await.is_err(), "nor a review");

    for needle in [
        "zoe.mueller@example.de",
        "Müller",
        "1512",
        SPOKEN,
        WRITTEN,
        SUMMARY,
    ] {
        assert_eq!(
            tables_holding(&w, needle).await,
            Vec::<String>::new(),
            "{needle} outside the ATS mirror"
        );
    }
    let audit = w.store.erasures_of(app).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].requested_by, "Dana (recruiter)");
    assert!(audit[0].done);
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        !json.contains("zoe") && !json.contains("Zoë") && !json.contains("Müller"),
        "{json}"
    );
}

#[tokio::test]
async fn a_deletion_waits_out_a_failing_willo_and_then_finishes() {
    let w = world(AtsKind::Lever, NotePolicy::Everything).await;
    let (app, _, key) = written_back(&w).await;
    w.sandbox.faults.add(
        FaultRule::new(FaultKind::Status { status: 503 })
            .times(3)
            .on_path("/api/integrations/v2/participants/")
            .on_method("DELETE"),
    );
    let report = erase(&w, app).await;
    assert!(report.complete, "{report:#?}");
    assert!(!w.participants_in_sandbox().iter().any(|(k, _)| *k == key));
}

#[tokio::test]
async fn what_willo_refuses_for_good_is_reported_and_a_later_read_brings_nothing_back() {
    let w = world(AtsKind::Lever, NotePolicy::Everything).await;
    let (app, invitation, key) = written_back(&w).await;
    w.sandbox.faults.add(
        FaultRule::new(FaultKind::Status { status: 403 })
            .on_path("/api/integrations/v2/participants/")
            .on_method("DELETE"),
    );
    let report = erase(&w, app).await;
    assert!(!report.complete);
    assert!(
        matches!(outcome_of(&report, ErasurePlace::Willo, &key), ErasureOutcome::Failed { error } if error.contains("403")),
        "{report:#?}"
    );
    assert!(
        w.store.participant_of(invitation).await.unwrap().is_none(),
        "the local copy went regardless"
    );

    // Willo still has it: neither a webhook's read nor the catch-up stores it again.
    w.sandbox.faults.clear();
    let read = w.engine.reconcile_participant(&key).await.unwrap();
    assert_eq!(read.status, InvitationStatus::Erased);
    w.engine.catch_up(10).await.unwrap();
    assert!(w.store.responses(&key).await.unwrap().is_empty());
    assert_eq!(
        w.store.invitation(invitation).await.unwrap().status,
        InvitationStatus::Erased
    );
}

#[tokio::test]
async fn an_erased_candidate_is_not_invited_again_by_the_automation_or_by_hand() {
    let w = world(AtsKind::Lever, NotePolicy::Everything).await;
    let (app, _, _) = written_back(&w).await;
    erase(&w, app).await;
    let interviews = w.engine.willo().interviews().await.unwrap();
    for interview in interviews.iter().take(2) {
        let again = w.engine.queue_invite(app, &interview.key).await.unwrap();
        assert!(
            matches!(&again, desk_engine::InviteOutcome::Refused(r) if r.contains(&desk_engine::checks::Refusal::DataDeleted)),
            "neither this interview nor another: {again:?}"
        );
    }
    w.engine.poll_triggers().await.unwrap();
    w.drain_outbox(Duration::from_secs(5)).await;
    assert_eq!(w.participants_in_sandbox().len(), 0, "nobody invited");
}

#[tokio::test]
async fn retention_removes_local_data_a_set_number_of_days_after_write_back_and_only_then() {
    let w = world(AtsKind::Lever, NotePolicy::Everything).await;
    let (_, invitation, key) = written_back(&w).await;
    assert_eq!(
        w.engine.purge_if_due().await.unwrap(),
        None,
        "off by default"
    );

    let set = w.engine.set_retention(Some(30)).await.unwrap();
    assert_eq!(set.days, Some(30));
    assert!(
        w.engine.set_retention(Some(0)).await.is_err(),
        "0 days is refused"
    );
    assert_eq!(
        w.engine.purge_if_due().await.unwrap(),
        Some(0),
        "not yet due"
    );
    let after_first = w.engine.retention().await.unwrap();
    assert!(after_first.next_run.unwrap() > after_first.last_run.unwrap());

    w.clock.advance(Duration::from_secs(29 * 24 * 3600));
    assert_eq!(
        w.engine.purge_if_due().await.unwrap(),
        Some(0),
        "29 days: kept"
    );
    assert!(!w.store.responses(&key).await.unwrap().is_empty());

    w.clock.advance(Duration::from_secs(2 * 24 * 3600));
    assert_eq!(
        w.engine.purge_if_due().await.unwrap(),
        Some(1),
        "31 days: removed"
    );
    assert!(w.store.responses(&key).await.unwrap().is_empty());
    assert_eq!(
        w.store.invitation(invitation).await.unwrap().status,
        InvitationStatus::Erased
    );
    assert_eq!(w.engine.purge_if_due().await.unwrap(), None, "once a day");
    let logged = w.store.recent_activity(5).await.unwrap();
    assert!(
        logged.iter().any(|a| a.kind == "retention_purge"
            && a.message
                .contains("1 candidate after the 30-day retention period")),
        "{logged:#?}"
    );
    assert!(
        w.participants_in_sandbox().iter().any(|(k, _)| *k == key),
        "only the local copy: Willo keeps its own"
    );
}

#[tokio::test]
async fn retention_counts_from_when_the_application_left_the_ats() {
    let w = world(AtsKind::Lever, NotePolicy::Everything).await;
    let app = zoe(&w).await;
    let (_, key) = w.invited(app).await;
    w.complete_in_sandbox(&key).await;
    w.engine.catch_up(10).await.unwrap();
    w.engine.set_retention(Some(7)).await.unwrap();

    // Archived in Lever: the next read no longer lists it.
    in_the_ats(&w, |d, zoe| {
        d.applications.retain(|a| a.candidate_id != zoe)
    });
    w.engine.poll_triggers().await.unwrap();
    w.clock.advance(Duration::from_secs(8 * 24 * 3600));
    assert_eq!(w.engine.purge_if_due().await.unwrap(), Some(1));
    assert!(w.store.responses(&key).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_summary_and_links_note_has_the_summary_and_links_but_no_answer_text() {
    let w = world(AtsKind::Lever, NotePolicy::SummaryAndLinks).await;
    written_back(&w).await;
    let notes = notes_in_ats(&w, AtsKind::Lever);
    assert_eq!(notes.len(), 1);
    let note = notes[0].to_string();
    assert!(note.contains(SUMMARY), "{note}");
    assert!(
        note.contains("/media/answer-video.webm"),
        "a link to the answer: {note}"
    );
    assert!(!note.contains(SPOKEN) && !note.contains(WRITTEN), "{note}");
    assert!(!note.contains("Transcript"), "{note}");
}

#[tokio::test]
async fn an_everything_note_has_the_transcripts_and_written_answers() {
    let w = world(AtsKind::Lever, NotePolicy::Everything).await;
    written_back(&w).await;
    let note = notes_in_ats(&w, AtsKind::Lever)[0].to_string();
    assert!(
        note.contains(SPOKEN) && note.contains(WRITTEN) && note.contains(SUMMARY),
        "{note}"
    );
}

#[tokio::test]
async fn once_the_ats_anonymises_the_candidate_the_next_sync_leaves_no_trace_of_them() {
    let w = world(AtsKind::Lever, NotePolicy::Everything).await;
    let (app, _, _) = written_back(&w).await;
    erase(&w, app).await;
    let everywhere = |needle: &str| {
        files_of(w.dir.path())
            .into_iter()
            .filter(|(_, bytes)| holds(bytes, needle))
            .map(|(file, _)| file)
            .collect::<Vec<_>>()
    };
    assert!(
        !everywhere("mueller").is_empty(),
        "the mirror holds them until the ATS changes"
    );

    in_the_ats(&w, |d, zoe| {
        let zoe = d.candidates.iter_mut().find(|c| c.id == zoe).unwrap();
        zoe.first_name = "Anonymised".into();
        zoe.last_name = "Candidate".into();
        zoe.emails = vec!["anonymised@example.invalid".into()];
        zoe.phones.clear();
    });
    w.engine.poll_triggers().await.unwrap();
    w.store.close().await;
    for needle in ["mueller", "Müller", "Zoë", "3456789"] {
        assert_eq!(
            everywhere(needle),
            Vec::<String>::new(),
            "{needle} is still in the data folder"
        );
    }
}

#[tokio::test]
async fn a_second_participant_made_in_willo_directly_is_deleted_too() {
    let w = world(AtsKind::Lever, NotePolicy::Everything).await;
    let (app, _, key) = written_back(&w).await;
    let other_interview = w.engine.willo().interviews().await.unwrap()[1].key.clone();
    let stray = w
        .engine
        .willo()
        .invite(&desk_willo::NewParticipant {
            interview: other_interview,
            name: "Zoë Müller".into(),
            first_name: "Zoë".into(),
            last_name: "Müller".into(),
            email: "zoe.mueller@example.de".into(),
            phone: None,
        })
        .await
        .unwrap();
    let read = w.engine.reconcile_participant(&stray.key).await.unwrap();
    assert_eq!(
        read.invitation_id, None,
        "stored, followed by no invitation"
    );

    let report = erase(&w, app).await;
    for deleted in [&key, &stray.key] {
        assert_eq!(
            outcome_of(&report, ErasurePlace::Willo, deleted),
            &ErasureOutcome::Deleted
        );
    }
    assert!(
        w.participants_in_sandbox().is_empty(),
        "nothing of them left in Willo"
    );
}

#[tokio::test]
async fn an_invite_whose_answer_was_lost_leaves_nobody_in_willo_after_a_deletion() {
    let w = world(AtsKind::Lever, NotePolicy::Everything).await;
    let app = zoe(&w).await;
    w.sandbox.faults.add(
        FaultRule::new(FaultKind::Drop)
            .after_handler()
            .times(1)
            .on_path("/api/integrations/v2/participants/")
            .on_method("POST"),
    );
    let desk_engine::InviteOutcome::Queued(q) =
        w.engine.queue_invite(app, &w.interview).await.unwrap()
    else {
        panic!("refused")
    };
    let invitation = q.invitation_id;
    w.engine.run_outbox_once().await.unwrap();
    assert_eq!(w.participants_in_sandbox().len(), 1, "Willo made it");
    assert_eq!(
        w.store
            .invitation(invitation)
            .await
            .unwrap()
            .participant_key,
        None,
        "but its answer was lost"
    );

    erase(&w, app).await;
    assert!(w.participants_in_sandbox().is_empty(), "found and deleted");
    assert_eq!(
        w.store.invitation(invitation).await.unwrap().status,
        InvitationStatus::Erased
    );
}

#[tokio::test]
async fn a_second_participant_to_the_same_interview_is_deleted_and_never_stored_again() {
    let w = world(AtsKind::Lever, NotePolicy::Everything).await;
    let (app, invitation, key) = written_back(&w).await;
    // Invited a second time from Willo directly: stored against the invitation, not followed.
    let second = w
        .engine
        .willo()
        .invite(&desk_willo::NewParticipant {
            interview: w.interview.clone(),
            name: "Zoë Müller".into(),
            first_name: "Zoë".into(),
            last_name: "Müller".into(),
            email: "zoe.mueller@example.de".into(),
            phone: None,
        })
        .await
        .unwrap();
    w.engine.reconcile_participant(&second.key).await.unwrap();
    assert_eq!(
        w.store
            .invitation(invitation)
            .await
            .unwrap()
            .participant_key
            .as_deref(),
        Some(key.as_str()),
        "the answered one is still followed"
    );
    w.sandbox.faults.add(
        FaultRule::new(FaultKind::RateLimit {
            retry_after_secs: 0,
        })
        .times(2)
        .on_path("/lever/v1/opportunities/")
        .on_method("DELETE"),
    );
    // Willo refuses to delete the second one: it keeps it.
    w.sandbox.faults.add(
        FaultRule::new(FaultKind::Status { status: 403 })
            .on_path(format!("/api/integrations/v2/participants/{}/", second.key))
            .on_method("DELETE"),
    );

    let report = erase(&w, app).await;
    assert_eq!(
        outcome_of(&report, ErasurePlace::Willo, &key),
        &ErasureOutcome::Deleted
    );
    assert!(
        matches!(
            outcome_of(&report, ErasurePlace::Willo, &second.key),
            ErasureOutcome::Failed { .. }
        ),
        "tried, and reported: {report:#?}"
    );
    assert_eq!(
        outcome_of(&report, ErasurePlace::Ats, "Lever note"),
        &ErasureOutcome::Deleted,
        "a throttling ATS only delays it"
    );
    // Willo still has it and completes it: a read of it stores nothing.
    w.sandbox.faults.clear();
    w.complete_in_sandbox(&second.key).await;
    w.engine.reconcile_participant(&second.key).await.unwrap();
    w.engine.catch_up(10).await.unwrap();
    assert!(w.store.responses(&second.key).await.unwrap().is_empty());
    assert!(
        w.store.participant_raw(&second.key).await.is_err(),
        "not stored at all"
    );
}

/// Greenhouse keeps what is written (it cannot delete notes), and a rule that delays nothing
/// counts Willo's invites: what a deletion holds back is seen not to happen.
#[tokio::test]
async fn a_write_back_or_invite_queued_before_the_deletion_is_never_carried_out() {
    let w = world(AtsKind::Greenhouse, NotePolicy::Everything).await;
    let app = zoe(&w).await;
    let (_, key) = w.invited(app).await;
    w.complete_in_sandbox(&key).await;
    w.engine.catch_up(10).await.unwrap();
    w.engine.queue_due_writebacks().await.unwrap();
    assert!(
        w.store.outbox_pending().await.unwrap() > 0,
        "the note is queued"
    );
    let other = w
        .store
        .applications_by_email("jose.alvarez@example.es")
        .await
        .unwrap()[0];
    let desk_engine::InviteOutcome::Queued(_) =
        w.engine.queue_invite(other, &w.interview).await.unwrap()
    else {
        panic!("refused")
    };
    w.sandbox.faults.add(
        FaultRule::new(FaultKind::Delay { millis: 0 })
            .on_path("/api/integrations/v2/participants/")
            .on_method("POST"),
    );

    for application in [app, other] {
        w.engine.request_erasure(application, "Dana").await.unwrap();
    }
    w.drain_outbox(Duration::from_secs(20)).await;
    assert!(
        notes_in_ats(&w, AtsKind::Greenhouse).is_empty(),
        "nothing written about them after they asked"
    );
    assert_eq!(w.sandbox.faults.struck(), 0, "nor anyone invited");
}

#[tokio::test]
async fn a_person_the_ats_anonymised_first_is_still_found_by_their_email() {
    let w = world(AtsKind::Lever, NotePolicy::Everything).await;
    let (app, _, _) = written_back(&w).await;
    in_the_ats(&w, |d, zoe| {
        let zoe = d.candidates.iter_mut().find(|c| c.id == zoe).unwrap();
        zoe.emails = vec!["anonymised@example.invalid".into()];
    });
    w.engine.poll_triggers().await.unwrap();
    assert_eq!(
        w.store
            .applications_by_email("Zoe.Mueller@example.de")
            .await
            .unwrap(),
        vec![app],
        "by the email their invitation went to"
    );
}
