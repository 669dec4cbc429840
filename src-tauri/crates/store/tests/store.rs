//! Persistence tests: every test gets its own migrated database.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use desk_domain::ats::{Application, Candidate, Job, Stage};
use desk_store::{AtsSnapshot, AutomationSpec, InboxInsert, OutboxStatus, Store, StoreError};
use serde_json::json;
use sqlx::SqlitePool;

fn snapshot(stage_of_app: &str) -> AtsSnapshot {
    AtsSnapshot {
        jobs: vec![Job {
            id: "J1".into(),
            title: "Backend Engineer".into(),
            department: Some("Engineering".into()),
            location: None,
            status: "open".into(),
            raw: json!({"id": "J1", "unmapped": true}),
        }],
        stages: ["S-review", "S-screen"]
            .iter()
            .enumerate()
            .map(|(i, s)| Stage {
                job_id: Some("J1".into()),
                id: (*s).into(),
                name: (*s).into(),
                position: i64::try_from(i).unwrap(),
            })
            .collect(),
        candidates: vec![Candidate {
            id: "C1".into(),
            first_name: "Zoë".into(),
            last_name: "Müller".into(),
            emails: vec!["zoe@example.de".into()],
            phones: vec![],
            raw: json!({}),
        }],
        applications: vec![Application {
            id: "A1".into(),
            candidate_id: "C1".into(),
            job_id: "J1".into(),
            stage_id: Some(stage_of_app.into()),
            status: "active".into(),
            raw: json!({}),
        }],
    }
}

#[sqlx::test(migrator = "desk_store::MIGRATOR")]
async fn a_snapshot_is_stored_and_counted_per_stage(pool: SqlitePool) {
    let (store, conn) = connected(pool).await;
    let counts = store
        .save_ats_snapshot(conn, &snapshot("S-review"), 10)
        .await
        .unwrap();
    assert_eq!(
        (
            counts.jobs,
            counts.stages,
            counts.candidates,
            counts.applications
        ),
        (1, 2, 1, 1)
    );
    assert_eq!(
        counts.stage_changes, 1,
        "a new application counts as arriving in its stage"
    );

    let jobs = store.job_summaries(conn).await.unwrap();
    assert_eq!(jobs.len(), 1);
    let stages: Vec<_> = jobs[0]
        .stages
        .iter()
        .map(|s| (s.name.as_str(), s.applications))
        .collect();
    assert_eq!(
        stages,
        [("S-review", 1), ("S-screen", 0)],
        "stages in pipeline order with their counts"
    );
    assert_eq!(store.candidate_count(conn).await.unwrap(), 1);
}

#[sqlx::test(migrator = "desk_store::MIGRATOR")]
async fn a_resync_detects_only_real_stage_changes(pool: SqlitePool) {
    let store = Store::from_pool(pool.clone());
    let conn = store
        .upsert_connection("lever", "Acme", "http://lever", 1)
        .await
        .unwrap();
    store
        .save_ats_snapshot(conn, &snapshot("S-review"), 10)
        .await
        .unwrap();
    let same = store
        .save_ats_snapshot(conn, &snapshot("S-review"), 20)
        .await
        .unwrap();
    assert_eq!(same.stage_changes, 0, "nothing moved");
    let entered: i64 = sqlx::query_scalar("SELECT stage_entered_at FROM applications")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        entered, 10,
        "staying in a stage keeps the time it was entered"
    );

    let moved = store
        .save_ats_snapshot(conn, &snapshot("S-screen"), 30)
        .await
        .unwrap();
    assert_eq!(moved.stage_changes, 1);
    let entered: i64 = sqlx::query_scalar("SELECT stage_entered_at FROM applications")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(entered, 30, "moving resets the time the stage was entered");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM applications")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 1, "re-syncing updates rows, never duplicates them");
}

#[sqlx::test(migrator = "desk_store::MIGRATOR")]
async fn applications_whose_job_is_missing_are_skipped_not_half_written(pool: SqlitePool) {
    let (store, conn) = connected(pool).await;
    let mut snap = snapshot("S-review");
    snap.applications[0].job_id = "unknown".into();
    let counts = store.save_ats_snapshot(conn, &snap, 10).await.unwrap();
    assert_eq!((counts.applications, counts.orphans), (0, 1));
}

#[sqlx::test(migrator = "desk_store::MIGRATOR")]
async fn the_same_connection_is_found_again_by_kind_and_url(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    let a = store
        .upsert_connection("willo", "Willo", "http://w", 1)
        .await
        .unwrap();
    let b = store
        .upsert_connection("willo", "Willo (renamed)", "http://w", 2)
        .await
        .unwrap();
    assert_eq!(a, b);
    let all = store.connections().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].label, "Willo (renamed)");
}

#[sqlx::test(migrator = "desk_store::MIGRATOR")]
async fn enqueueing_the_same_key_twice_queues_one_item(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    let (first, created) = store
        .enqueue("invite", "invite:A1:I1", &json!({"a": 1}), 0)
        .await
        .unwrap();
    let (second, created_again) = store
        .enqueue("invite", "invite:A1:I1", &json!({"a": 2}), 5)
        .await
        .unwrap();
    assert!(created && !created_again);
    assert_eq!(first, second);
    assert_eq!(
        store.outbox_item(first).await.unwrap().payload,
        json!({"a": 1}),
        "the first payload stays"
    );
}

#[sqlx::test(migrator = "desk_store::MIGRATOR")]
async fn a_leased_item_is_not_claimed_twice_until_its_lease_expires(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    let (id, _) = store
        .enqueue("note", "note:1", &json!({}), 0)
        .await
        .unwrap();
    let first = store
        .claim_outbox("worker-a", 100, 1_000, 10)
        .await
        .unwrap();
    assert_eq!(first.iter().map(|i| i.id).collect::<Vec<_>>(), [id]);
    assert!(
        store
            .claim_outbox("worker-b", 500, 1_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "leased to worker-a"
    );

    // worker-a died; after the lease runs out worker-b takes over, and worker-a's late answer is refused.
    let again = store
        .claim_outbox("worker-b", 1_200, 1_000, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert!(
        !store
            .complete_outbox(id, "worker-a", Some("late"), 1_300)
            .await
            .unwrap(),
        "a lost lease cannot finish the item"
    );
    assert!(store
        .complete_outbox(id, "worker-b", Some("note-77"), 1_300)
        .await
        .unwrap());
    let item = store.outbox_item(id).await.unwrap();
    assert_eq!(
        (item.status, item.result.as_deref()),
        (OutboxStatus::Done, Some("note-77"))
    );
    assert!(
        store
            .claim_outbox("worker-c", 10_000, 1_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "done items are never claimed"
    );
}

#[sqlx::test(migrator = "desk_store::MIGRATOR")]
async fn no_way_of_ending_a_claim_writes_anything_without_the_lease(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    let (id, _) = store
        .enqueue("note", "note:1", &json!({}), 0)
        .await
        .unwrap();
    store.claim_outbox("w", 0, 1_000, 10).await.unwrap();
    let before = store.outbox_item(id).await.unwrap();
    assert!(!store
        .complete_outbox(id, "other", Some("x"), 10)
        .await
        .unwrap());
    assert!(!store
        .retry_outbox_later(id, "other", "503", 5_000, false, 10)
        .await
        .unwrap());
    assert!(!store.fail_outbox(id, "other", "422", 10).await.unwrap());
    assert_eq!(store.outbox_item(id).await.unwrap(), before);

    // The holder's failure keeps when it was due and how often it was tried; done clears the error.
    assert!(store.fail_outbox(id, "w", "422", 10).await.unwrap());
    let failed = store.outbox_item(id).await.unwrap();
    assert_eq!(
        (
            failed.attempts,
            failed.next_attempt_at,
            failed.last_error.as_deref(),
            failed.result
        ),
        (1, 0, Some("422"), None)
    );
    store.requeue_failed_outbox(id, 20).await.unwrap();
    store.claim_outbox("w", 20, 1_000, 10).await.unwrap();
    assert!(store.complete_outbox(id, "w", None, 30).await.unwrap());
    let done = store.outbox_item(id).await.unwrap();
    assert_eq!(
        (done.status, done.attempts, done.last_error, done.result),
        (OutboxStatus::Done, 2, None, None)
    );
}

#[sqlx::test(migrator = "desk_store::MIGRATOR")]
async fn a_retried_item_waits_for_its_next_attempt(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    let (id, _) = store
        .enqueue("note", "note:1", &json!({}), 0)
        .await
        .unwrap();
    store.claim_outbox("w", 0, 1_000, 10).await.unwrap();
    assert!(store
        .retry_outbox_later(id, "w", "503 from ATS", 5_000, true, 10)
        .await
        .unwrap());
    assert!(
        store
            .claim_outbox("w", 4_999, 1_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "not due yet"
    );
    let due = store.claim_outbox("w", 5_000, 1_000, 10).await.unwrap();
    assert_eq!(due[0].attempts, 2, "each claim counts an attempt");
    assert_eq!(due[0].last_error.as_deref(), Some("503 from ATS"));
    // Throttled: the service did not act, so the attempt is given back.
    assert!(store
        .retry_outbox_later(id, "w", "throttled", 6_000, false, 5_000)
        .await
        .unwrap());
    let due = store.claim_outbox("w", 6_000, 1_000, 10).await.unwrap();
    assert_eq!(due[0].attempts, 2, "the throttled claim did not count");
}

#[sqlx::test(migrator = "desk_store::MIGRATOR")]
async fn a_failed_item_stays_until_a_person_requeues_it(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    let (id, _) = store
        .enqueue("note", "note:1", &json!({}), 0)
        .await
        .unwrap();
    store.claim_outbox("w", 0, 1_000, 10).await.unwrap();
    assert!(store
        .fail_outbox(id, "w", "422: note body refused", 10)
        .await
        .unwrap());
    assert!(
        store
            .claim_outbox("w", 100_000, 1_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "failed items are not retried by themselves"
    );
    assert_eq!(
        store.outbox_item(id).await.unwrap().status,
        OutboxStatus::Failed
    );
    store.requeue_failed_outbox(id, 200).await.unwrap();
    assert_eq!(
        store.claim_outbox("w", 200, 1_000, 10).await.unwrap().len(),
        1
    );
    assert!(
        matches!(
            store.requeue_failed_outbox(id, 300).await,
            Err(StoreError::NotFound { .. })
        ),
        "only failed items can be requeued"
    );
}

#[sqlx::test(migrator = "desk_store::MIGRATOR")]
async fn a_duplicate_webhook_delivery_is_stored_once(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    let first = store
        .insert_inbox("willo", "new_response", "p1:new_response", "{}", 1)
        .await
        .unwrap();
    let again = store
        .insert_inbox("willo", "new_response", "p1:new_response", "{}", 2)
        .await
        .unwrap();
    assert!(matches!(first, InboxInsert::New(_)));
    assert_eq!(again, InboxInsert::Duplicate);
    let pending = store.unprocessed_inbox(10).await.unwrap();
    assert_eq!(pending.len(), 1);
    store
        .mark_inbox_processed(pending[0].id, None, 3)
        .await
        .unwrap();
    assert!(store.unprocessed_inbox(10).await.unwrap().is_empty());
}

#[sqlx::test(migrator = "desk_store::MIGRATOR")]
async fn activity_is_listed_newest_first(pool: SqlitePool) {
    let store = Store::from_pool(pool);
    store
        .log_activity("sync", "Synced 3 jobs", None, None, 1)
        .await
        .unwrap();
    store
        .log_activity("invite", "Invited a candidate", None, None, 2)
        .await
        .unwrap();
    let entries = store.recent_activity(10).await.unwrap();
    assert_eq!(
        entries.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["invite", "sync"]
    );
}

#[sqlx::test(migrator = "desk_store::MIGRATOR")]
async fn the_schema_refuses_an_unknown_invitation_status(pool: SqlitePool) {
    let result = sqlx::query(
        "INSERT INTO invitations (application_id, interview_id, status, created_at, updated_at) VALUES (1, 1, 'bogus', 0, 0)",
    )
    .execute(&pool)
    .await;
    assert!(result.is_err(), "status is a closed set");
}

#[tokio::test]
async fn a_file_store_opens_in_wal_mode_and_reopens_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("desk.db");
    let store = Store::open(&path).await.unwrap();
    store
        .log_activity("start", "first run", None, None, 1)
        .await
        .unwrap();
    store.close().await;
    assert!(path.exists());

    let store = Store::open(&path).await.unwrap();
    assert_eq!(
        store.recent_activity(10).await.unwrap().len(),
        1,
        "data survives a restart"
    );
    store.close().await;
    let mode: String = {
        let pool = SqlitePool::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.db");
    std::fs::write(&path, b"these are my notes, not a database").unwrap();
    let error = Store::open(&path).await.unwrap_err();
    assert!(
        matches!(error, StoreError::NotADatabase { .. }),
        "got {error}"
    );
    assert!(error.to_string().contains("left untouched"));
    assert!(
        std::fs::read(&path).unwrap() == b"these are my notes, not a database",
        "the file is not modified"
    );
}

#[tokio::test]
async fn another_programs_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.db");
    {
        let pool = SqlitePool::connect(&format!("sqlite://{}?mode=rwc", path.display()))
            .await
            .unwrap();
        sqlx::query("CREATE TABLE recipes (name TEXT)")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let before = std::fs::read(&path).unwrap();
    let error = Store::open(&path).await.unwrap_err();
    assert!(matches!(error, StoreError::Foreign { .. }), "got {error}");
    assert!(
        std::fs::read(&path).unwrap() == before,
        "the foreign file is not modified"
    );
}

#[tokio::test]
async fn a_damaged_database_is_refused_by_name_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("willo-desk.db");
    {
        let store = Store::open(&path).await.unwrap();
        for n in 0..3_000 {
            store
                .log_activity(
                    "ats_sync",
                    &format!("entry {n} {}", "x".repeat(200)),
                    None,
                    None,
                    n,
                )
                .await
                .unwrap();
        }
        store.close().await;
    }
    // The last connection checkpoints the log into the file as it goes, on its own thread:
    // wait for that, so the damage below is the last write the file sees.
    let wal = dir.path().join("willo-desk.db-wal");
    for _ in 0..100 {
        if !wal.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        !wal.exists(),
        "the store was closed with its log checkpointed"
    );
    // Two whole pages in the middle of the file overwritten, as a failing disk would.
    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    let start = (bytes.len() / 2) / page * page;
    assert!(start > page, "the file has interior pages");
    for (i, b) in bytes[start..start + 2 * page].iter_mut().enumerate() {
        *b = u8::try_from((i * 7 + 13) % 251).unwrap();
    }
    std::fs::write(&path, &bytes).unwrap();

    let error = Store::open(&path).await.unwrap_err();
    assert!(matches!(error, StoreError::Damaged { .. }), "got {error}");
    let message = error.to_string();
    assert!(
        message.contains("willo-desk.db") && message.contains("left untouched"),
        "the message names the file and says it was not changed: {message}"
    );
    assert!(
        std::fs::read(&path).unwrap() == bytes,
        "the damaged file is not modified"
    );
}

/// A store over `pool` with the test's Greenhouse connection, and that connection's id.
async fn connected(pool: SqlitePool) -> (Store, i64) {
    let store = Store::from_pool(pool);
    let conn = store
        .upsert_connection("greenhouse", "Acme", "http://gh", 1)
        .await
        .unwrap();
    (store, conn)
}

/// A store with the test snapshot synced at time 10 (the application in `stage`), and the ids of
/// its connection, its job and its screening stage.
async fn synced(pool: SqlitePool, stage: &str) -> (Store, i64, i64, i64) {
    let (store, conn) = connected(pool).await;
    store
        .save_ats_snapshot(conn, &snapshot(stage), 10)
        .await
        .unwrap();
    let job = store.job_id(conn, "J1").await.unwrap().unwrap();
    let screen = store.stage_id(conn, "S-screen").await.unwrap().unwrap();
    (store, conn, job, screen)
}

#[sqlx::test(migrator = "desk_store::MIGRATOR")]
async fn an_automation_set_again_unchanged_keeps_counting_from_when_it_was_switched_on(
    pool: SqlitePool,
) {
    let (store, _, job, screen) = synced(pool, "S-review").await;
    store
        .set_automation(
            &AutomationSpec::direct(job, "interview-a", &[screen], false, None),
            100,
        )
        .await
        .unwrap();
    store
        .set_automation(
            &AutomationSpec::direct(job, "interview-a", &[screen], true, None),
            200,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .automation_for_job(job)
            .await
            .unwrap()
            .unwrap()
            .enabled_at,
        100,
        "same interview and stages: a restart, not a new start"
    );
    store
        .set_automation(
            &AutomationSpec::direct(job, "interview-b", &[screen], true, None),
            300,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .automation_for_job(job)
            .await
            .unwrap()
            .unwrap()
            .enabled_at,
        300,
        "a new interview starts afresh"
    );
}

#[sqlx::test(migrator = "desk_store::MIGRATOR")]
async fn a_jobs_automation_reads_the_same_alone_and_in_the_list(pool: SqlitePool) {
    let (store, _, job, screen) = synced(pool, "S-review").await;
    assert!(store.automation_for_job(job).await.unwrap().is_none());
    store
        .set_automation(
            &AutomationSpec::direct(job, "interview-a", &[screen], true, None),
            100,
        )
        .await
        .unwrap();
    let alone = store.automation_for_job(job).await.unwrap().unwrap();
    assert_eq!(
        (
            alone.job_id,
            alone.trigger_stage_ids.as_slice(),
            alone.review_required
        ),
        (job, [screen].as_slice(), true)
    );
    assert_eq!(store.automations().await.unwrap(), [alone]);
    assert!(store.automation_for_job(job + 1).await.unwrap().is_none());
}

#[sqlx::test(migrator = "desk_store::MIGRATOR")]
async fn only_arrivals_after_switch_on_are_triggered_and_only_once(pool: SqlitePool) {
    let (store, conn, job, screen) = synced(pool, "S-screen").await;
    store
        .set_automation(
            &AutomationSpec::direct(job, "interview-a", &[screen], false, None),
            20,
        )
        .await
        .unwrap();
    assert!(
        store.triggered_applications().await.unwrap().is_empty(),
        "already in the stage at switch-on"
    );
    store
        .save_ats_snapshot(conn, &snapshot("S-review"), 30)
        .await
        .unwrap();
    store
        .save_ats_snapshot(conn, &snapshot("S-screen"), 40)
        .await
        .unwrap();
    let triggered = store.triggered_applications().await.unwrap();
    assert_eq!(triggered.len(), 1, "moved out and back in after switch-on");
    assert_eq!(triggered[0].interview_key, "interview-a");
}

#[sqlx::test(migrator = "desk_store::MIGRATOR")]
async fn a_killed_workers_claim_counts_and_its_lease_is_released_for_the_next_process(
    pool: SqlitePool,
) {
    let store = Store::from_pool(pool);
    let (id, _) = store
        .enqueue("invite", "invite:1", &json!({}), 0)
        .await
        .unwrap();
    let first = store.claim_outbox("worker-1", 0, 60_000, 10).await.unwrap();
    assert_eq!(
        first[0].attempts, 1,
        "counted at claim: the killed worker may have sent it"
    );
    // worker-1 is killed mid-request; a new process starts.
    assert!(
        store
            .claim_outbox("worker-2", 10, 60_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "still leased"
    );
    assert_eq!(store.release_leases_of_others("worker-2").await.unwrap(), 1);
    let again = store
        .claim_outbox("worker-2", 20, 60_000, 10)
        .await
        .unwrap();
    assert_eq!(
        (again[0].id, again[0].attempts),
        (id, 2),
        "taken over at once, knowing an earlier attempt happened"
    );
}

#[sqlx::test(migrator = "desk_store::MIGRATOR")]
async fn a_lease_is_renewed_only_by_its_owner_before_it_runs_out_and_a_start_keeps_its_own(
    pool: SqlitePool,
) {
    let store = Store::from_pool(pool);
    for n in 1..=2 {
        store
            .enqueue("invite", &format!("invite:{n}"), &json!({}), 0)
            .await
            .unwrap();
    }
    // Claims are owned as `<process>#<n>`, one item each.
    let mine = store.claim_outbox("worker-7#1", 0, 1_000, 1).await.unwrap()[0].id;
    let theirs = store.claim_outbox("worker-8#1", 0, 1_000, 1).await.unwrap()[0].id;

    assert!(store
        .renew_outbox_lease(mine, "worker-7#1", 500, 1_000)
        .await
        .unwrap());
    assert!(
        !store
            .renew_outbox_lease(mine, "worker-8#1", 600, 1_000)
            .await
            .unwrap(),
        "another owner cannot renew it"
    );
    assert!(
        !store
            .renew_outbox_lease(theirs, "worker-8#1", 1_000, 1_000)
            .await
            .unwrap(),
        "a lease that ran out is not renewed: someone else may be acting on it"
    );
    assert!(
        !store
            .complete_outbox(mine, "worker-8#1", None, 700)
            .await
            .unwrap(),
        "nor completed by another owner"
    );

    // worker-7 starts its engine: worker-8's stale claim is freed, its own is kept.
    assert_eq!(store.release_leases_of_others("worker-7").await.unwrap(), 1);
    assert!(store
        .renew_outbox_lease(mine, "worker-7#1", 800, 1_000)
        .await
        .unwrap());
    assert!(store
        .complete_outbox(mine, "worker-7#1", None, 900)
        .await
        .unwrap());
    let next = store
        .claim_outbox("worker-7#2", 900, 1_000, 10)
        .await
        .unwrap();
    assert_eq!(
        next.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![theirs],
        "only the freed one is left to claim"
    );
}

#[sqlx::test(migrator = "desk_store::MIGRATOR")]
async fn search_finds_each_application_and_follows_a_rename(pool: SqlitePool) {
    let (store, conn) = connected(pool).await;
    let mut snap = snapshot("S-review");
    // Zoë applied twice: both applications are found, newest first.
    snap.applications.push(Application {
        id: "A2".into(),
        ..snap.applications[0].clone()
    });
    store.save_ats_snapshot(conn, &snap, 10).await.unwrap();
    let list = std::sync::Arc::new(desk_store::ScrolledList::default());
    let search = |text: &str| desk_store::CandidateFilter {
        search: Some(text.into()),
        ..desk_store::CandidateFilter::default()
    };
    let found = |filter| {
        let store = store.clone();
        let list = std::sync::Arc::clone(&list);
        async move {
            let rows = store
                .candidate_rows(&list, conn, &filter, 0, 50)
                .await
                .unwrap();
            let total = store.candidate_total(conn, &filter).await.unwrap();
            assert_eq!(usize::try_from(total).unwrap(), rows.len());
            rows.into_iter()
                .map(|r| r.application_id)
                .collect::<Vec<_>>()
        }
    };
    let both = found(search("zoe mu")).await;
    assert_eq!(both.len(), 2, "accents folded, prefixes of each word");
    assert!(both[0] > both[1], "newest application first");
    assert_eq!(found(search("zoe@example")).await, both, "by email too");
    let second = store
        .candidate_rows(&list, conn, &search("zoe"), 1, 50)
        .await
        .unwrap();
    assert_eq!(
        second.iter().map(|r| r.application_id).collect::<Vec<_>>(),
        both[1..],
        "a later page continues the list"
    );

    snap.candidates[0].first_name = "Chloé-Ann".into();
    snap.candidates[0].emails = vec!["zann@example.org".into()];
    store.save_ats_snapshot(conn, &snap, 20).await.unwrap();
    assert!(
        found(search("zoë")).await.is_empty(),
        "the old name is gone"
    );
    assert!(
        found(search("example.de")).await.is_empty(),
        "the old email is gone"
    );
    assert_eq!(found(search("ann müller")).await, both);
    assert_eq!(found(search("zann")).await, both);

    // A second ATS in the same database: its applications are neither listed nor counted here.
    let other = store
        .upsert_connection("lever", "Other", "http://lever", 1)
        .await
        .unwrap();
    store.save_ats_snapshot(other, &snap, 30).await.unwrap();
    assert_eq!(found(search("ann müller")).await, both);
}

/// The data-rights migration rebuilds `invitations` (to allow `erased`), and a later one
/// `connections` (to allow Ashby and Workable): on a database made by the earlier migrations,
/// every connection, invitation and every row that hangs off one survives them, and the rebuilt
/// tables' triggers and cascades work.
#[tokio::test]
async fn an_older_database_keeps_every_invitation_and_what_hangs_off_it_through_the_upgrade() {
    use sqlx::migrate::Migrator;
    use sqlx::Connection;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let earlier = Migrator {
        migrations: desk_store::MIGRATOR.migrations[..9].to_vec().into(),
        ignore_missing: false,
        locking: true,
        no_tx: false,
    };
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    earlier.run(&mut conn).await.unwrap();
    sqlx::raw_sql(
        "INSERT INTO connections VALUES (1, 'greenhouse', 'g', 'u', '{}', 0, 0);
         INSERT INTO jobs VALUES (1, 1, 'j', 'Job', NULL, NULL, 'open', '{}', 0);
         INSERT INTO candidates VALUES (1, 1, 'c', 'Zoë', 'Müller', 'zoe@example.de', NULL, '{}', 0);
         INSERT INTO applications (id, connection_id, remote_id, candidate_id, job_id, status, stage_entered_at, raw, synced_at)
             VALUES (1, 1, 'a', 1, 1, 'active', 0, '{}', 0);
         INSERT INTO interviews (id, connection_id, key, title, raw, synced_at) VALUES (1, 1, 'k', 'Interview', '{}', 0);
         INSERT INTO invitations (id, application_id, interview_id, participant_key, status, email, created_at, updated_at)
             VALUES (7, 1, 1, 'p1', 'synced', 'zoe@example.de', 0, 0);
         INSERT INTO invitation_events (invitation_id, status, at) VALUES (7, 'queued', 0), (7, 'synced', 1);
         INSERT INTO participants (key, interview_key, invitation_id, status, raw, fetched_at) VALUES ('p1', 'k', 7, 'completed', '{}', 0);
         INSERT INTO reviews (invitation_id, decision, reviewed_at) VALUES (7, 'approved', 0);
         INSERT INTO review_drafts (invitation_id, body) VALUES (7, '{}');
         INSERT INTO writebacks (invitation_id, target, revision, remote_id, written_at) VALUES (7, 'note', 1, 'n1', 0);
         INSERT INTO activity (at, kind, message, invitation_id, application_id) VALUES (0, 'written_back', 'Wrote', 7, 1);",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();

    let store = Store::open(&path).await.unwrap();
    store.close().await;

    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let count = |table: &'static str| format!("SELECT COUNT(*) FROM {table}");
    for (table, expected) in [
        ("connections", 1),
        ("jobs", 1),
        ("candidates", 1),
        ("applications", 1),
        ("interviews", 1),
        ("invitations", 1),
        ("invitation_events", 2),
        ("participants", 1),
        ("reviews", 1),
        ("review_drafts", 1),
        ("writebacks", 1),
        ("activity", 1),
    ] {
        let n: i64 = sqlx::query_scalar(&count(table))
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(n, expected, "{table}");
    }
    let linked: Option<i64> = sqlx::query_scalar("SELECT invitation_id FROM activity")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(linked, Some(7), "references kept, not nulled");
    let problems: Vec<(String,)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(problems.is_empty(), "{problems:?}");

    // The rebuilt table: its trigger keeps the list's status, and a delete cascades.
    sqlx::raw_sql(
        "PRAGMA foreign_keys = ON;
         UPDATE invitations SET status = 'erased' WHERE id = 7;",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let listed: String =
        sqlx::query_scalar("SELECT invitation_status FROM applications WHERE id = 1")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(listed, "erased");
    sqlx::query("DELETE FROM invitations WHERE id = 7")
        .execute(&mut conn)
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar(&count("reviews"))
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 0, "deleting an invitation still deletes its review");

    // The rebuilt connections: the new kinds are taken, others still refused, and deleting a
    // connection still deletes what was read from it.
    sqlx::raw_sql(
        "INSERT INTO connections VALUES (2, 'ashby', 'a', 'u', '{}', 0, 0);
         INSERT INTO connections VALUES (3, 'workable', 'w', 'u', '{}', 0, 0);",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    assert!(
        sqlx::raw_sql("INSERT INTO connections VALUES (4, 'workday', 'x', 'u', '{}', 0, 0);")
            .execute(&mut conn)
            .await
            .is_err(),
        "an ATS the app does not know is refused"
    );
    sqlx::query("DELETE FROM connections WHERE id = 1")
        .execute(&mut conn)
        .await
        .unwrap();
    let jobs: i64 = sqlx::query_scalar(&count("jobs"))
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(jobs, 0, "deleting a connection still deletes its jobs");
}
