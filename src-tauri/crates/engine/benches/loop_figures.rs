//! Figures for the loop against the simulators, measured on this machine in one run, each next to
//! its reference:
//!
//! - bulk send: 1,000 invitations against a Willo that throttles at R requests per second, the
//!   rate achieved / R and the 429s met;
//! - catch-up: 2,000 open invitations after a night offline, 300 completed, the requests made per
//!   open invitation and the time taken / the time the rate limit allows;
//! - completion to ATS: from the moment Willo marks an interview completed (and sends its webhook)
//!   to the note in the ATS, review off, next to the time the simulators spent answering the
//!   requests that took: the difference is our overhead.
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

use std::time::{Duration, Instant};

use desk_domain::Sensitive;
use desk_engine::{BulkProgress, Schedule};
use desk_sandbox::willo::model::ParticipantStatus;
use desk_sandbox::SandboxConfig;
use desk_store::{AtsSnapshot, AutomationSpec};

async fn bulk_send() {
    const INVITES: usize = 1_000;
    const R: u32 = 40;
    let mut config = SandboxConfig::for_tests();
    config.willo_limits = desk_sandbox::WilloLimits {
        per_second: R,
        ..desk_sandbox::WilloLimits::NONE
    };
    // The pacer starts above the limit it does not know, meets it once, and settles under it.
    let w = support::world_with(config, support::per_second(R * 2), |snap| {
        support::applicants(snap, INVITES)
    })
    .await;
    let ids = w.applicant_ids(INVITES).await;
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
    let w = support::world_with(SandboxConfig::for_tests(), support::per_second(R), |snap| {
        support::applicants(snap, OPEN)
    })
    .await;
    let ids = w.applicant_ids(OPEN).await;
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
    w.sandbox.willo.set_limits(desk_sandbox::WilloLimits {
        per_second: R,
        ..desk_sandbox::WilloLimits::NONE
    });
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

/// The p-th percentile (0–100) of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

async fn completion_to_ats() {
    const INTERVIEWS: usize = 100;
    const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let mut config = SandboxConfig::for_tests();
    config.ats.extra_applicants = INTERVIEWS;
    // As in the app: the store learns the ATS through the connector.
    let w = support::world_with(config, support::per_second(200), |snap| {
        *snap = AtsSnapshot::default()
    })
    .await;
    w.engine.poll_triggers().await.unwrap();
    let job = w.store.job_id(w.ats, "4001").await.unwrap().unwrap();
    let screening = w.store.stage_id(w.ats, "400101").await.unwrap().unwrap();
    let review_off = AutomationSpec::direct(job, &w.interview, &[screening], false, None);
    w.store
        .set_automation(&review_off, chrono::Utc::now().timestamp_millis())
        .await
        .unwrap();
    let receiver = w
        .engine
        .serve_receiver(([127, 0, 0, 1], 0).into(), Sensitive::from(TOKEN), None)
        .await
        .unwrap();
    w.engine
        .register_webhooks(&format!("http://{receiver}"), TOKEN, None)
        .await
        .unwrap();
    w.sandbox.ats.with_data(|d| {
        (0..INTERVIEWS as u64).for_each(|n| d.move_application(10_001 + n, 1).unwrap())
    });
    w.engine.poll_triggers().await.unwrap();
    w.drain_outbox(Duration::from_secs(60)).await;
    // The app's own schedule, with the catch-up pushed out of the way: only webhooks drive this.
    let background = w.engine.spawn(Schedule {
        reconcile_every: Duration::from_secs(3600),
        ..Schedule::default()
    });
    // The first pass of the loop runs a catch-up at once: let it finish before measuring.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let note_at = |application: u64| {
        w.sandbox.ats.with_data(|d| {
            d.writes
                .iter()
                .find(|x| x.kind == "note" && x.application_id == application)
                .map(|x| x.at)
        })
    };
    let mut latencies = Vec::new();
    let mut overheads = Vec::new();
    for (key, email) in w.participants_in_sandbox() {
        let n: u64 = email
            .trim_start_matches("load")
            .trim_end_matches("@example.com")
            .parse()
            .unwrap();
        let application = 10_001 + n;
        let busy_before = w.sandbox.busy.total();
        let completed_at = chrono::Utc::now();
        w.sandbox
            .willo
            .advance(&key, Some(ParticipantStatus::Completed));
        let deadline = Instant::now() + Duration::from_secs(30);
        let (noted_at, busy_after) = loop {
            if let Some(at) = note_at(application) {
                break (at, w.sandbox.busy.total());
            }
            assert!(
                Instant::now() < deadline,
                "no note for {application} in 30 s"
            );
            tokio::time::sleep(Duration::from_micros(500)).await;
        };
        let latency = (noted_at - completed_at).num_microseconds().unwrap() as f64 / 1000.0;
        let simulators = (busy_after - busy_before).as_secs_f64() * 1000.0;
        // The rest of the write-back settles before the next completion, so each measurement
        // covers one completion alone.
        while w.store.outbox_pending().await.unwrap() > 0 {
            assert!(
                Instant::now() < deadline,
                "the write-back of {application} did not finish"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        latencies.push(latency);
        overheads.push(latency - simulators.min(latency));
    }
    background.stop().await;
    latencies.sort_by(f64::total_cmp);
    overheads.sort_by(f64::total_cmp);
    println!("completion to ATS ({INTERVIEWS} completions one after another, review off):");
    println!(
        "  webhook to note: p50 {:.1} ms, p99 {:.1} ms (target p99 < 1000 ms)",
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0)
    );
    println!(
        "  less the simulators' own answering time: p50 {:.1} ms, p99 {:.1} ms (target < 50 ms)",
        percentile(&overheads, 50.0),
        percentile(&overheads, 99.0)
    );
}

#[tokio::main]
async fn main() {
    completion_to_ats().await;
    bulk_send().await;
    catch_up().await;
}
