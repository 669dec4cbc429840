//! Figures for the Willo webhook intake, measured on this machine in one run, in each durability
//! mode (SQLite `synchronous=NORMAL`, which the app uses, and `FULL`):
//!
//! - webhook deliveries acknowledged per second (each a durable inbox write) by 16 concurrent
//!   senders, next to plain inbox inserts by 16 concurrent tasks into the same database file;
//! - acknowledgement latency p50/p99 in a burst and at a steady 200 deliveries per second.
//!
//! Run: `cargo bench -p desk-engine --bench willo_intake`. Prints, and appends its figures to
//! `FIGURES_OUT` when set; asserts nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::cast_precision_loss
)]

#[path = "../../../../tests/bench/figures.rs"]
mod figures;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use desk_domain::Sensitive;
use desk_engine::receiver::{self, ReceiverState};
use desk_engine::SystemClock;
use desk_store::{Durability, Store};
use figures::{report, Figure, Target};
use serde_json::json;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

const TOKEN: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
const BURST: usize = 4_000;
const SENDERS: usize = 16;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn body(n: usize) -> String {
    json!({"participant": {"key": format!("{n:032x}"), "name": "Bench Candidate", "email": "bench@example.com"},
           "interview": {"key": "fedcba9876543210fedcba9876543210"}})
    .to_string()
}

async fn receiver_on(store: Store) -> String {
    let state = ReceiverState {
        store,
        token: Arc::new(Sensitive::from(TOKEN)),
        clock: Arc::new(SystemClock),
        wake: Arc::new(tokio::sync::Notify::new()),
        ats: None,
    };
    let (addr, _task) = receiver::serve(SocketAddr::from(([127, 0, 0, 1], 0)), state)
        .await
        .unwrap();
    format!("http://{addr}/hooks/willo/{TOKEN}/new_response")
}

/// Plain inserts of the same rows by as many concurrent tasks as there are senders, into a table
/// of their own in the same database file, with the same durability and one writer connection as
/// the store: SQL only, none of the store's or the receiver's code.
async fn reference_inserts(path: &std::path::Path, durability: Durability) -> f64 {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(match durability {
            Durability::Normal => SqliteSynchronous::Normal,
            Durability::Full => SqliteSynchronous::Full,
        })
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    sqlx::query(
        "CREATE TABLE reference_inbox (id INTEGER PRIMARY KEY, dedup TEXT UNIQUE, body TEXT, at INTEGER)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..SENDERS {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            for n in (task..BURST).step_by(SENDERS) {
                sqlx::query("INSERT INTO reference_inbox (dedup, body, at) VALUES (?, ?, 0)")
                    .bind(format!("ref-{n}"))
                    .bind(body(n))
                    .execute(&pool)
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let rate = BURST as f64 / started.elapsed().as_secs_f64();
    pool.close().await;
    rate
}

async fn burst(url: &str) -> (f64, Vec<Duration>) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for sender in 0..SENDERS {
        let (client, url) = (client.clone(), url.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for n in (sender..BURST).step_by(SENDERS) {
                let sent = Instant::now();
                let status = client
                    .post(&url)
                    .body(body(n))
                    .send()
                    .await
                    .unwrap()
                    .status();
                assert_eq!(status, 200);
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let rate = BURST as f64 / started.elapsed().as_secs_f64();
    latencies.sort();
    (rate, latencies)
}

async fn steady(url: &str, per_second: u32, seconds: u32) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1) / per_second);
    let mut tasks = Vec::new();
    for n in 0..(per_second * seconds) as usize {
        tick.tick().await;
        let (client, url) = (client.clone(), url.to_owned());
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            client
                .post(&url)
                .body(body(1_000_000 + n))
                .send()
                .await
                .unwrap();
            sent.elapsed()
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.push(task.await.unwrap());
    }
    latencies.sort();
    latencies
}

fn ms(sorted: &[Duration], p: f64) -> f64 {
    percentile(sorted, p).as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    println!("Willo intake benchmark ({BURST} deliveries, {SENDERS} concurrent senders, loopback)");
    for (durability, mode) in [(Durability::Normal, "NORMAL"), (Durability::Full, "FULL")] {
        let path = dir.path().join(format!("intake-{mode}.db"));
        let store = Store::open_with(&path, durability).await.unwrap();
        let group = format!("webhook intake, synchronous={mode}");
        let reference = reference_inserts(&path, durability).await;
        let url = receiver_on(store.clone()).await;
        let (acks, latencies) = burst(&url).await;
        report(&Figure {
            group: &group,
            name: &format!("deliveries acknowledged / plain inserts ({mode})"),
            value: acks / reference,
            unit: "×",
            reference: format!(
                "{acks:.0} acknowledged/s; {reference:.0} plain inserts/s, same file, same concurrency"
            ),
            target: Target::AtLeast(0.5),
        });
        report(&Figure {
            group: &group,
            name: &format!("acknowledgement p99, burst of {BURST} ({mode})"),
            value: ms(&latencies, 0.99),
            unit: "ms",
            reference: format!("p50 {:.2} ms", ms(&latencies, 0.5)),
            target: Target::None,
        });
        let steady = steady(&url, 200, 5).await;
        report(&Figure {
            group: &group,
            name: &format!("acknowledgement p99, steady 200/s ({mode})"),
            value: ms(&steady, 0.99),
            unit: "ms",
            reference: format!("p50 {:.2} ms", ms(&steady, 0.5)),
            target: Target::AtMost(20.0),
        });
        store.close().await;
    }
}
