//! The PostgreSQL store against a real server (the test script's, named by
//! `DESK_TEST_POSTGRES`; `tests/postgres.sh start DIR` starts one): its schema means what the
//! SQLite store's does, and two replicas on one database never do one thing twice.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use desk_domain::ats::{Application, Candidate, Job, Stage};
use desk_store::{AtsSnapshot, Store};
use serde_json::json;
use sqlx::{Connection, PgConnection, SqliteConnection};

const NEEDS: &str = "needs PostgreSQL: DESK_TEST_POSTGRES (run by ./tests/dev.sh test)";

/// A new database on the test server, and its URL.
async fn database() -> String {
    let server = std::env::var("DESK_TEST_POSTGRES").expect(NEEDS);
    desk_store_pg::fresh_database(&server).await.unwrap()
}

/// Per table, its columns as (name, NOT NULL), and its unique column sets other than the key.
type Shape = BTreeMap<String, (BTreeSet<(String, bool)>, BTreeSet<Vec<String>>)>;

/// The tables both stores share; each keeps search in its own form (FTS5, tsvector).
fn shared(table: &str) -> bool {
    !table.starts_with("application_search") && table != "_sqlx_migrations"
}

async fn sqlite_shape() -> Shape {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("desk.db")).await.unwrap();
    store.close().await;
    let url = format!("sqlite://{}?mode=ro", dir.path().join("desk.db").display());
    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let mut shape = Shape::new();
    for table in tables.into_iter().filter(|t| shared(t)) {
        // A key column is NOT NULL in PostgreSQL whatever it says; SQLite's rowid key is too.
        let columns: Vec<(String, bool, i64)> =
            sqlx::query_as("SELECT name, \"notnull\", pk FROM pragma_table_info(?)")
                .bind(&table)
                .fetch_all(&mut conn)
                .await
                .unwrap();
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM pragma_index_list(?) WHERE \"unique\" AND origin != 'pk'",
        )
        .bind(&table)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let mut uniques = BTreeSet::new();
        for index in indexes {
            let mut columns: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info(?)")
                    .bind(&index)
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
            columns.sort();
            uniques.insert(columns);
        }
        let columns = columns
            .into_iter()
            .map(|(name, not_null, pk)| (name, not_null || pk > 0))
            .collect();
        shape.insert(table, (columns, uniques));
    }
    shape
}

async fn postgres_shape(url: &str) -> Shape {
    let mut conn = PgConnection::connect(url).await.unwrap();
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::TEXT, column_name::TEXT, is_nullable::TEXT FROM information_schema.columns
         WHERE table_schema = 'public'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let uniques: Vec<(String, Vec<String>)> = sqlx::query_as(
        "SELECT t.relname::TEXT, array_agg(a.attname::TEXT ORDER BY a.attname)
         FROM pg_index i
         JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey)
         WHERE i.indisunique AND NOT i.indisprimary
         GROUP BY i.indexrelid, t.relname",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut shape = Shape::new();
    for (table, column, nullable) in columns.into_iter().filter(|(t, _, _)| shared(t)) {
        shape
            .entry(table)
            .or_default()
            .0
            .insert((column, nullable == "NO"));
    }
    for (table, columns) in uniques.into_iter().filter(|(t, _)| shared(t)) {
        shape.entry(table).or_default().1.insert(columns);
    }
    shape
}

#[tokio::test]
#[ignore = "needs PostgreSQL: DESK_TEST_POSTGRES (run by ./tests/dev.sh test)"]
async fn the_schema_has_the_tables_columns_and_unique_keys_of_the_sqlite_store() {
    let url = database().await;
    desk_store_pg::open(&url).await.unwrap().close().await;
    let sqlite = sqlite_shape().await;
    let postgres = postgres_shape(&url).await;
    assert_eq!(
        sqlite.keys().collect::<Vec<_>>(),
        postgres.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (table, (columns, uniques)) in &sqlite {
        assert_eq!(columns, &postgres[table].0, "columns of {table}");
        assert_eq!(uniques, &postgres[table].1, "unique keys of {table}");
    }
}

/// Two stores on one database, as two `serve` replicas have, with one application and one
/// interview to invite it to: (stores, application id, interview id).
async fn two_replicas() -> ([Store; 2], i64, i64) {
    let url = database().await;
    let first = desk_store_pg::open(&url).await.unwrap();
    let second = desk_store_pg::open(&url).await.unwrap();
    let ats = first
        .upsert_connection("greenhouse", "ATS", "https://ats.example", 0)
        .await
        .unwrap();
    let willo = first
        .upsert_connection("willo", "Willo", "https://willo.example", 0)
        .await
        .unwrap();
    let snapshot = AtsSnapshot {
        jobs: vec![Job {
            id: "J1".into(),
            title: "Engineer".into(),
            department: None,
            location: None,
            status: "open".into(),
            raw: json!({}),
        }],
        stages: vec![Stage {
            job_id: Some("J1".into()),
            id: "S1".into(),
            name: "Screening".into(),
            position: 0,
        }],
        candidates: vec![Candidate {
            id: "C1".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            emails: vec!["ada@example.com".into()],
            phones: vec![],
            raw: json!({}),
        }],
        applications: vec![Application {
            id: "A1".into(),
            candidate_id: "C1".into(),
            job_id: "J1".into(),
            stage_id: Some("S1".into()),
            status: "active".into(),
            raw: json!({}),
        }],
    };
    first.save_ats_snapshot(ats, &snapshot, 0).await.unwrap();
    let application = first.application_id(ats, "A1").await.unwrap().unwrap();
    let interview = first
        .upsert_interview(willo, "I1", "Screen", None, None, &json!([]), &json!({}), 0)
        .await
        .unwrap();
    ([first, second], application, interview)
}

#[tokio::test]
#[ignore = "needs PostgreSQL: DESK_TEST_POSTGRES (run by ./tests/dev.sh test)"]
async fn two_replicas_inviting_one_application_at_once_queue_one_invitation() {
    let (stores, application, interview) = two_replicas().await;
    let attempts = (0..40).map(|n| {
        let store = stores[n % 2].clone();
        tokio::spawn(async move {
            store
                .queue_invitation(
                    application,
                    interview,
                    "ada@example.com",
                    None,
                    &json!({}),
                    1,
                )
                .await
                .ok()
        })
    });
    let queued: Vec<(i64, i64)> = joined(attempts).await.into_iter().flatten().collect();
    assert_eq!(
        queued.len(),
        1,
        "one queueing succeeds, the rest are refused"
    );
    assert_eq!(
        stores[0].outbox_pending().await.unwrap(),
        1,
        "one invite to send"
    );
    let (invitation, _) = queued[0];

    // One revision's note, recorded by both replicas at once, is recorded once.
    let records = (0..20).map(|n| {
        let store = stores[n % 2].clone();
        tokio::spawn(async move {
            store
                .record_writeback(invitation, "note", 1, Some("N1"), 2)
                .await
                .unwrap()
        })
    });
    let recorded = joined(records).await;
    assert_eq!(recorded.iter().filter(|r| **r).count(), 1, "{recorded:?}");
    assert_eq!(
        stores[1].writebacks(invitation).await.unwrap().len(),
        1,
        "one row for the note"
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL: DESK_TEST_POSTGRES (run by ./tests/dev.sh test)"]
async fn workers_of_two_replicas_claim_every_item_once() {
    let (stores, _, _) = two_replicas().await;
    const ITEMS: i64 = 300;
    for n in 0..ITEMS {
        stores[0]
            .enqueue("test", &format!("item:{n}"), &json!({ "n": n }), 0)
            .await
            .unwrap();
    }
    let claimed = Arc::new(std::sync::Mutex::new(Vec::new()));
    let workers = (0..8).map(|w| {
        let store = stores[w % 2].clone();
        let claimed = Arc::clone(&claimed);
        tokio::spawn(async move {
            let owner = format!("replica-{}-worker-{w}", w % 2);
            loop {
                // A lease far longer than the test: nothing is claimed again by expiry.
                let items = store.claim_outbox(&owner, 1, 3_600_000, 7).await.unwrap();
                if items.is_empty() {
                    break;
                }
                for item in items {
                    assert!(store
                        .complete_outbox(item.id, &owner, None, 2)
                        .await
                        .unwrap());
                    claimed.lock().unwrap().push(item.id);
                }
            }
        })
    });
    joined(workers).await;
    let claimed = claimed.lock().unwrap().clone();
    let distinct: BTreeSet<i64> = claimed.iter().copied().collect();
    assert_eq!(claimed.len(), distinct.len(), "an item was claimed twice");
    assert_eq!(
        i64::try_from(distinct.len()).unwrap(),
        ITEMS,
        "every item was claimed"
    );
    assert_eq!(stores[1].outbox_pending().await.unwrap(), 0);
}

async fn joined<T: Send + 'static>(
    tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for task in tasks.collect::<Vec<_>>() {
        out.push(task.await.unwrap());
    }
    out
}
