//! The candidate list at 100,000 and 1,000,000 candidates, measured on this machine in one run:
//! search as you type, opening the list, and a page of the virtual list while scrolling (the first
//! page of a filter comes with its total, as the app asks; the first page further down reads the
//! list's ids, and is counted), p50/p95, next to a full scan of the same table. Every row is
//! printed with its target, met or not.
//!
//! Run: `cargo bench -p desk-store --bench candidate_list` (`LIST_SIZES=100000` for one size).
//! Prints, and appends its figures to `FIGURES_OUT` when set; asserts nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::cast_precision_loss
)]

#[path = "../../../../tests/bench/figures.rs"]
mod figures;

use std::time::{Duration, Instant};

use figures::{report as figure, Figure, Target};

use desk_domain::ats::{Application, Candidate, Job, Stage};
use desk_domain::{InvitationStatus, ListStatus};
use desk_store::{AtsSnapshot, CandidateFilter, ScrolledList, Store};
use serde_json::json;

const INVITED_EVERY: usize = 7;
const RUNS: usize = 200;

const FIRST: [&str; 16] = [
    "Ada", "Ben", "Chloé", "Dmitri", "Eun-ji", "Farah", "Giulia", "Hamid", "Ines", "Jonas",
    "Kenji", "Lena", "Mateo", "Nadia", "Omar", "Priya",
];
const LAST: [&str; 12] = [
    "Müller", "Smith", "García", "Nowak", "Okafor", "Tanaka", "Rossi", "Dubois", "Kowalski",
    "Silva", "Haddad", "Olsen",
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[(((sorted.len() - 1) as f64) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn build(store: &Store, candidates: usize) -> i64 {
    let connection = store
        .upsert_connection("greenhouse", "Bench", "bench://", 0)
        .await
        .unwrap();
    let mut snap = AtsSnapshot::default();
    for j in 0..5 {
        snap.jobs.push(Job {
            id: format!("job{j}"),
            title: format!("Job {j}"),
            department: None,
            location: None,
            status: "open".into(),
            raw: json!({}),
        });
        for s in 0..3 {
            snap.stages.push(Stage {
                job_id: Some(format!("job{j}")),
                id: format!("job{j}-s{s}"),
                name: format!("Stage {s}"),
                position: s,
            });
        }
    }
    for n in 0..candidates {
        let (first, last) = (FIRST[n % FIRST.len()], LAST[(n / FIRST.len()) % LAST.len()]);
        snap.candidates.push(Candidate {
            id: format!("c{n}"),
            first_name: format!("{first}{}", n % 97),
            last_name: last.into(),
            emails: vec![format!("{}.{n}@example.com", first.to_lowercase())],
            phones: vec![],
            raw: json!({}),
        });
        snap.applications.push(Application {
            id: format!("a{n}"),
            candidate_id: format!("c{n}"),
            job_id: format!("job{}", n % 5),
            stage_id: Some(format!("job{}-s{}", n % 5, n % 3)),
            status: "active".into(),
            raw: json!({}),
        });
    }
    store.save_ats_snapshot(connection, &snap, 0).await.unwrap();
    let interview = store
        .upsert_interview(
            1,
            "bench-interview",
            "Bench",
            None,
            None,
            &json!([]),
            &json!({}),
            0,
        )
        .await
        .unwrap();
    for n in (0..candidates).step_by(INVITED_EVERY) {
        let app = store
            .application_id(connection, &format!("a{n}"))
            .await
            .unwrap()
            .unwrap();
        store
            .queue_invitation(
                app,
                interview,
                &format!("x{n}@example.com"),
                None,
                &json!({}),
                0,
            )
            .await
            .unwrap();
    }
    connection
}

/// What the app asks for one view: a page, and with the first page of a filter its total.
async fn view(
    store: &Store,
    list: &ScrolledList,
    connection: i64,
    filter: &CandidateFilter,
    offset: i64,
    limit: i64,
) -> Duration {
    let started = Instant::now();
    let rows = store
        .candidate_rows(list, connection, filter, offset, limit)
        .await
        .unwrap();
    if offset == 0 {
        std::hint::black_box(store.candidate_total(connection, filter).await.unwrap());
    }
    std::hint::black_box(rows);
    started.elapsed()
}

/// Prints p50 and p95 of one view, the p95 next to the full scan and against its target.
fn report(size: usize, name: &str, mut times: Vec<Duration>, reference: Duration, target_ms: f64) {
    times.sort();
    let (p50, p95) = (percentile(&times, 0.5), percentile(&times, 0.95));
    let group = format!("candidate list at {size} candidates");
    figure(&Figure {
        group: &group,
        name: &format!("{name}: p95"),
        value: ms(p95),
        unit: "ms",
        reference: format!(
            "p50 {:.2} ms; full scan of the table {:.2} ms (p95 / scan {:.2})",
            ms(p50),
            ms(reference),
            ms(p95) / ms(reference)
        ),
        target: Target::AtMost(target_ms),
    });
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = std::env::var("LIST_SIZES")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .map(|n| {
            n.trim()
                .parse()
                .expect("LIST_SIZES: numbers separated by commas")
        })
        .collect();
    for size in sizes {
        measure(size).await;
    }
}

async fn measure(candidates: usize) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bench.db")).await.unwrap();
    // The list as the app's window scrolls it.
    let list = ScrolledList::default();
    let started = Instant::now();
    let connection = build(&store, candidates).await;
    println!(
        "{candidates} candidates stored in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The reference: every candidate row read and matched, as a search without an index would.
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}?mode=ro",
        dir.path().join("bench.db").display()
    ))
    .await
    .unwrap();
    let mut scans = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM candidates WHERE first_name || ' ' || last_name || ' ' || COALESCE(email, '') LIKE '%zz%'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        std::hint::black_box(n);
        scans.push(started.elapsed());
    }
    scans.sort();
    let scan = percentile(&scans, 0.5);
    println!(
        "{:<34} p50 {:>7.2} ms",
        "full scan of the candidates table",
        ms(scan)
    );

    // Search as you type: each prefix of a few names, as the keys arrive.
    let mut searches = Vec::new();
    for (i, word) in [
        "Ada",
        "Chloé Mü",
        "kenji",
        "priya.5",
        "Omar7",
        "Haddad",
        "zz",
        "Ines4",
    ]
    .iter()
    .cycle()
    .take(RUNS / 4)
    .enumerate()
    {
        let chars: Vec<char> = word.chars().collect();
        let typed: String = chars[..=(i % chars.len())].iter().collect();
        for prefix in [typed.clone(), word.to_string()] {
            let filter = CandidateFilter {
                search: Some(prefix),
                ..CandidateFilter::default()
            };
            searches.push(view(&store, &list, connection, &filter, 0, 200).await);
        }
    }
    report(
        candidates,
        "search as you type (page + total)",
        searches,
        scan,
        10.0,
    );

    let mut firsts = Vec::new();
    for _ in 0..RUNS / 4 {
        firsts.push(
            view(
                &store,
                &list,
                connection,
                &CandidateFilter::default(),
                0,
                200,
            )
            .await,
        );
    }
    report(
        candidates,
        "the list opened (page + total)",
        firsts,
        scan,
        5.0,
    );

    // Pages of the virtual list, anywhere in it: the recruiter scrolls the whole list, then the
    // list filtered by status. Each starts with its first page, as the app does.
    let by_status = CandidateFilter {
        status: Some(ListStatus::Invitation(InvitationStatus::Queued)),
        ..CandidateFilter::default()
    };
    let mut pages = Vec::new();
    let mut filtered = Vec::new();
    for (filter, times, rows) in [
        (CandidateFilter::default(), &mut pages, candidates),
        (by_status, &mut filtered, candidates / INVITED_EVERY),
    ] {
        view(&store, &list, connection, &filter, 0, 200).await;
        for i in 0..RUNS {
            let offset = 1 + ((i * 7919) % rows) as i64;
            times.push(view(&store, &list, connection, &filter, offset, 200).await);
        }
    }
    report(candidates, "a page while scrolling", pages, scan, 5.0);
    report(candidates, "a page filtered by status", filtered, scan, 5.0);
    store.close().await;
}
