//! Figures for the Willo half of the loop, measured on this machine in one run:
//!
//! - webhook deliveries acknowledged per second (durable inbox writes), next to plain inserts of
//!   the same rows into the same kind of store, as a ratio;
//! - acknowledgement latency p50/p99 in a burst and at a steady 200 deliveries per second;
//! - the catch-up reconcile's requests per open invitation.
//!
//! Run: `cargo bench -p desk-engine --bench willo_intake`. Prints; asserts nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::cast_precision_loss
)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use desk_domain::Sensitive;
use desk_engine::receiver::{self, ReceiverState};
use desk_engine::{InviteOutcome, SystemClock};
use desk_store::Store;
use serde_json::json;

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

async fn store(dir: &tempfile::TempDir, name: &str) -> Store {
    Store::open(&dir.path().join(name)).await.unwrap()
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

/// Plain inserts of the same rows, one after another, into a fresh store of the same kind.
async fn reference_inserts(dir: &tempfile::TempDir) -> f64 {
    let store = store(dir, "reference.db").await;
    let started = Instant::now();
    for n in 0..BURST {
        store
            .insert_inbox("willo", "new_response", &format!("ref-{n}"), &body(n), 0)
            .await
            .unwrap();
    }
    BURST as f64 / started.elapsed().as_secs_f64()
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

async fn reconcile_ratio() -> (usize, usize, usize) {
    const OPEN: usize = 300;
    const COMPLETED: usize = 100;
    let w = support::world_with(
        desk_sandbox::SandboxConfig::for_tests(),
        support::per_second(2_000),
        |snap| {
            support::applicants(snap, OPEN);
        },
    )
    .await;
    for app in w.applicant_ids(OPEN).await {
        assert!(matches!(
            w.engine.queue_invite(app, &w.interview).await.unwrap(),
            InviteOutcome::Queued(_)
        ));
    }
    w.drain_outbox(Duration::from_secs(120)).await;
    let keys: Vec<String> = w
        .participants_in_sandbox()
        .into_iter()
        .map(|(k, _)| k)
        .take(COMPLETED)
        .collect();
    for key in &keys {
        w.sandbox.willo.advance(
            key,
            Some(desk_sandbox::willo::model::ParticipantStatus::Completed),
        );
    }
    let report = w.engine.catch_up(10_000).await.unwrap();
    (OPEN, report.requests, report.completed)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    println!("Willo intake benchmark ({BURST} deliveries, {SENDERS} concurrent senders, loopback)");

    let reference = reference_inserts(&dir).await;
    let url = receiver_on(store(&dir, "intake.db").await).await;
    let (acks, latencies) = burst(&url).await;
    println!("  plain inbox inserts (reference):   {reference:>8.0} rows/s");
    println!(
        "  webhook deliveries acknowledged:   {acks:>8.0} /s   ratio to plain inserts {:.2}",
        acks / reference
    );
    println!(
        "  burst ack latency:                 p50 {:>6.2} ms   p99 {:>6.2} ms",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3
    );

    let steady = steady(&url, 200, 5).await;
    println!(
        "  steady 200/s ack latency:          p50 {:>6.2} ms   p99 {:>6.2} ms",
        percentile(&steady, 0.5).as_secs_f64() * 1e3,
        percentile(&steady, 0.99).as_secs_f64() * 1e3
    );

    let (open, requests, completed) = reconcile_ratio().await;
    println!("  catch-up: {open} open invitations, {completed} completed found, {requests} requests = {:.2} requests per open invitation", requests as f64 / open as f64);
}
