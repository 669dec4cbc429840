//! Figures for the loop against the simulators, measured on this machine in one run, each next to
//! its reference:
//!
//! - bulk send: 1,000 invitations against a Willo that throttles at R requests per second, the
//!   rate achieved / R and the 429s met;
//! - catch-up: 2,000 open invitations after a night offline, 300 completed, the requests made per
//!   open invitation and the time taken / the time the rate limit allows.
//!
//! Run: `cargo bench -p desk-engine --bench loop_figures`. Prints; asserts nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::cast_precision_loss
)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use desk_engine::BulkProgress;
use desk_sandbox::willo::model::ParticipantStatus;
use desk_sandbox::SandboxConfig;

async fn bulk_send() {
    const INVITES: usize = 1_000;
    const R: u32 = 40;
    let mut config = SandboxConfig::for_tests();
    config.willo_rate_per_second = R;
    // The pacer starts above the limit it does not know, meets it once, and settles under it.
    let w = support::world_with(config, f64::from(R) * 2.0, |snap| {
        support::applicants(snap, INVITES)
    })
    .await;
    let mut ids = Vec::new();
    for i in 0..INVITES {
        ids.push(
            w.store
                .application_id(w.ats, &format!("a{i}"))
                .await
                .unwrap()
                .unwrap(),
        );
    }
    let (_cancel_tx, cancel) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let done: BulkProgress = w
        .engine
        .send_many(&ids, &w.interview, &|_| {}, cancel)
        .await
        .unwrap();
    let took = started.elapsed().as_secs_f64();
    let achieved = done.sent as f64 / took;
    println!("bulk send ({INVITES} invitations, Willo throttling at {R}/s):");
    println!(
        "  {} sent in {took:.1} s = {achieved:.1}/s   achieved / R {:.2} (target ≥ 0.9)   429s met {} (target ≤ 1)",
        done.sent,
        achieved / f64::from(R),
        w.sandbox.willo.throttle.refused()
    );
}

async fn catch_up() {
    const OPEN: usize = 2_000;
    const COMPLETED: usize = 300;
    const R: u32 = 100;
    let w = support::world_with(SandboxConfig::for_tests(), f64::from(R), |snap| {
        support::applicants(snap, OPEN)
    })
    .await;
    let mut ids = Vec::new();
    for i in 0..OPEN {
        ids.push(
            w.store
                .application_id(w.ats, &format!("a{i}"))
                .await
                .unwrap()
                .unwrap(),
        );
    }
    let (_cancel_tx, cancel) = tokio::sync::watch::channel(false);
    w.engine
        .send_many(&ids, &w.interview, &|_| {}, cancel)
        .await
        .unwrap();
    // The night: 300 complete while nothing listens.
    let keys: Vec<String> = w
        .participants_in_sandbox()
        .into_iter()
        .map(|(k, _)| k)
        .take(COMPLETED)
        .collect();
    for key in &keys {
        w.sandbox
            .willo
            .advance(key, Some(ParticipantStatus::Completed));
    }
    w.sandbox.willo.throttle.set_limit(R);
    let started = Instant::now();
    let mut requests = 0;
    let mut completed = 0;
    loop {
        let report = w.engine.catch_up(OPEN * 2).await.unwrap();
        requests += report.requests;
        completed += report.completed;
        if report.checked == 0 || !report.throttled {
            break;
        }
    }
    let took = started.elapsed().as_secs_f64();
    let allowed = requests as f64 / f64::from(R);
    println!(
        "catch-up ({OPEN} open invitations, {COMPLETED} completed overnight, Willo at {R}/s):"
    );
    println!(
        "  {completed} completions found with {requests} requests = {:.2} per open invitation (target ≤ 1.1)",
        requests as f64 / OPEN as f64
    );
    println!(
        "  took {took:.1} s; the rate limit allows {allowed:.1} s: ratio {:.2}",
        took / allowed
    );
}

#[tokio::main]
async fn main() {
    bulk_send().await;
    catch_up().await;
}
