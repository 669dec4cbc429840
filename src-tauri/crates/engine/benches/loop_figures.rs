//! Figures for the loop against the simulators, measured on this machine in one run, each next to
//! a reference the measured code cannot move:
//!
//! - completion to ATS: from Willo marking an interview completed (its webhook goes out) to the
//!   note in the ATS, review off, next to the time the simulators spent answering; then the same
//!   with Willo holding its published budget;
//! - bulk send: 1,000 invitations against the simulated Willo holding the published budget (10/s,
//!   100/min, 50,000/day, sliding windows), answering 429 and then 403 when over: the time the
//!   budget allows / the time taken, and the throttles the simulator counted;
//! - catch-up: 2,000 open invitations and completions at random times, without webhooks (listing
//!   participants, and reading each one), and with webhooks: when each completion was noticed, and
//!   the requests the simulator counted against the fewest a sweep can take.
//!
//! Time is compressed where a figure would otherwise take hours: the simulator's windows and the
//! pacer's are shortened by the same factor (`BULK_COMPRESS`, `CATCH_UP_COMPRESS`), so ratios
//! and counts are those of real time, and times are given in simulated (real × factor) time.
//!
//! Run: `cargo bench -p desk-engine --bench loop_figures`. Prints, and appends its figures to
//! `FIGURES_OUT` when set; asserts nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "../../../../tests/bench/figures.rs"]
mod figures;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use desk_domain::Sensitive;
use desk_engine::{BulkProgress, EngineConfig, EngineEvent, Schedule};
use desk_sandbox::willo::model::ParticipantStatus;
use desk_sandbox::{SandboxConfig, WilloLimits};
use desk_store::{AtsSnapshot, AutomationSpec};
use desk_willo::{Budget, Pacer};
use figures::{quantile, report, Figure, Target};

fn env_number(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// 1,000 invitations at the published budget, compressed `factor` times, Willo answering
/// `status` when over.
async fn bulk_send(status: u16, factor: f64) {
    const INVITES: usize = 1_000;
    let mut config = SandboxConfig::for_tests();
    config.willo_limits = WilloLimits {
        status,
        compress: factor,
        ..WilloLimits::PUBLISHED
    };
    let pacer = Pacer::compressed(Budget::PUBLISHED, factor);
    let w = support::world_paced(config, pacer, support::quick_config(), |snap| {
        support::applicants(snap, INVITES)
    })
    .await;
    let ids = w.applicant_ids(INVITES).await;
    // What setting up the world asked of Willo does not count.
    w.sandbox.willo.set_limits(WilloLimits {
        status,
        compress: factor,
        ..WilloLimits::PUBLISHED
    });
    let before = w.sandbox.willo.requests();
    let (_cancel_tx, cancel) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let done: BulkProgress = w
        .engine
        .send_many(&ids, &w.interview, &|_| {}, cancel)
        .await
        .unwrap();
    let took = started.elapsed().as_secs_f64() * factor;
    let after = w.sandbox.willo.requests();
    let requests = after.received - before.received;
    // The least time the budget allows for one request per invitation: all but the last
    // minute's worth take a minute per 100, and the last 100 go at 10 a second.
    let b = Budget::PUBLISHED;
    let per_minute = f64::from(b.per_minute);
    let needed = INVITES as f64;
    let allowed = ((needed / per_minute).ceil() - 1.0).max(0.0) * 60.0
        + needed.min(per_minute) / f64::from(b.per_second);
    let group = format!("bulk send, Willo answering {status} when over");
    report(&Figure {
        group: &group,
        name: &format!("{INVITES} invitations: time the budget allows / time taken ({status})"),
        value: allowed / took,
        unit: "×",
        reference: format!(
            "{} sent with {requests} requests (counted by the simulator) in {took:.0} s; the published 10/s, 100/min allow {allowed:.0} s (time compressed {factor}×)",
            done.sent
        ),
        target: Target::AtLeast(0.9),
    });
    report(&Figure {
        group: &group,
        name: &format!("{INVITES} invitations: throttled requests ({status})"),
        value: (after.throttled - before.throttled) as f64,
        unit: "",
        reference: format!(
            "counted by the simulator; {} invitations failed",
            done.failed
        ),
        target: Target::AtMost(1.0),
    });
}

/// The engine's webhook receiver on loopback, registered with the simulated Willo.
async fn listen_for_webhooks(w: &support::World, token: &str) {
    let receiver = w
        .engine
        .serve_receiver(([127, 0, 0, 1], 0).into(), Sensitive::from(token), None)
        .await
        .unwrap();
    w.engine
        .register_webhooks(&format!("http://{receiver}"), token, None)
        .await
        .unwrap();
}

/// How a catch-up day is run.
#[derive(Clone, Copy, PartialEq)]
enum Noticing {
    Lists,
    OneByOne,
    Webhooks,
}

/// 2,000 open invitations and `completions` completing at random over `hours` simulated hours,
/// the loop running on its own schedule, compressed `factor` times.
async fn catch_up_day(noticing: Noticing, hours: f64, completions: usize, factor: f64) {
    const OPEN: usize = 2_000;
    const TOKEN: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
    let pacer = Pacer::compressed(Budget::PUBLISHED.share(0.8), factor);
    let engine_config = EngineConfig {
        list_participants: noticing != Noticing::OneByOne,
        ..support::quick_config()
    };
    let mut w = support::world_paced(SandboxConfig::for_tests(), pacer, engine_config, |snap| {
        support::applicants(snap, OPEN)
    })
    .await;
    let ids = w.applicant_ids(OPEN).await;
    let (_cancel_tx, cancel) = tokio::sync::watch::channel(false);
    w.engine
        .send_many(&ids, &w.interview, &|_| {}, cancel)
        .await
        .unwrap();
    if noticing == Noticing::Webhooks {
        listen_for_webhooks(&w, TOKEN).await;
    }
    // Everything from here counts against the published budget.
    w.sandbox.willo.set_limits(WilloLimits {
        compress: factor,
        ..WilloLimits::PUBLISHED
    });
    let keys: Vec<String> = w
        .participants_in_sandbox()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let span = Duration::from_secs_f64(hours * 3600.0 / factor);
    let mut schedule: Vec<(Duration, String)> = keys
        .iter()
        .take(completions)
        .map(|k| (span.mul_f64(rand::random::<f64>()), k.clone()))
        .collect();
    schedule.sort();
    let background = w.engine.spawn(Schedule {
        tick: Schedule::default().tick.div_f64(factor),
        reconcile_every: Schedule::default().reconcile_every.div_f64(factor),
        reconcile_every_with_webhooks: Schedule::default()
            .reconcile_every_with_webhooks
            .div_f64(factor),
        webhooks_fresh_for: Schedule::default().webhooks_fresh_for.div_f64(factor),
        ats_poll_every: Duration::from_secs(24 * 3600),
        ..Schedule::default()
    });
    let before = w.sandbox.willo.requests();
    let started = Instant::now();
    let mut completed_at: HashMap<String, Instant> = HashMap::new();
    let mut noticed: Vec<f64> = Vec::new();
    let mut next = schedule.into_iter().peekable();
    let end = started + span;
    loop {
        while let Some((at, _)) = next.peek() {
            if started + *at > Instant::now() {
                break;
            }
            let (_, key) = next.next().unwrap();
            w.sandbox
                .willo
                .advance(&key, Some(ParticipantStatus::Completed));
            completed_at.insert(key, Instant::now());
        }
        while let Ok(event) = w.events.try_recv() {
            if let EngineEvent::InterviewCompleted {
                participant_key, ..
            } = event
            {
                if let Some(at) = completed_at.get(&participant_key) {
                    noticed.push(at.elapsed().as_secs_f64());
                }
            }
        }
        // After the span, until every completion is noticed (or an hour more has passed).
        let all_noticed = noticed.len() == completed_at.len();
        if Instant::now() >= end
            && next.peek().is_none()
            && (all_noticed || Instant::now() >= end + span / 4)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let requests = w.sandbox.willo.requests().received - before.received;
    let ran = started.elapsed().as_secs_f64() * factor / 3600.0;
    let sweeps = w.engine.sweep_status().await.unwrap();
    background.stop().await;
    noticed.sort_by(f64::total_cmp);
    let missed = completed_at.len() - noticed.len();
    let (name, scale, unit) = match noticing {
        Noticing::Lists => ("without webhooks, listing participants", factor, "s"),
        Noticing::OneByOne => ("without webhooks, one read per participant", factor, "s"),
        // Webhook delivery is processing, not waiting: real time, not compressed.
        Noticing::Webhooks => ("with webhooks", 1000.0, "ms"),
    };
    let group = "catch-up: completions noticed";
    let budget_for_span = ran * 60.0 * f64::from(Budget::PUBLISHED.per_minute);
    report(&Figure {
        group,
        name: &format!("noticed {name}: p95"),
        value: quantile(&noticed, 0.95) * scale,
        unit,
        reference: format!(
            "p50 {:.1} {unit}; {} of {} completions at random in {hours} simulated hours noticed",
            quantile(&noticed, 0.5) * scale,
            noticed.len(),
            completed_at.len()
        ),
        target: Target::None,
    });
    let minimum = OPEN.div_ceil(100);
    report(&Figure {
        group,
        name: &format!("requests {name}: share of the organisation's budget"),
        value: requests as f64 / budget_for_span,
        unit: "×",
        reference: format!(
            "{requests} requests counted by the simulator over {ran:.1} h (the published 100/min allow {budget_for_span:.0}); last full check {} requests for {} open (fewest possible: {minimum} pages of 100, plus one read per completion)",
            sweeps.last.map_or(0, |l| l.requests),
            sweeps.last.map_or(0, |l| l.open),
        ),
        target: Target::AtMost(0.8),
    });
    if missed > 0 {
        println!("  ({missed} completions were not noticed before the run ended)");
    }
}

/// Completion to ATS: `interviews` completions one after another, review off, each from Willo
/// marking it completed (its webhook goes out) to the note in the ATS. `budgeted`: against
/// Willo's published budget (the pacer at its default share) instead of an unthrottled Willo,
/// one completion a second.
async fn completion_to_ats(interviews: usize, budgeted: bool) {
    const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let mut config = SandboxConfig::for_tests();
    config.ats.extra_applicants = interviews;
    let budget = if budgeted {
        config.willo_limits = WilloLimits::PUBLISHED;
        Budget::PUBLISHED.share(0.8)
    } else {
        support::per_second(200)
    };
    // As in the app: the store learns the ATS through the connector.
    let w = support::world_with(config, budget, |snap| *snap = AtsSnapshot::default()).await;
    w.engine.poll_triggers().await.unwrap();
    let job = w.store.job_id(w.ats, "4001").await.unwrap().unwrap();
    let screening = w.store.stage_id(w.ats, "400101").await.unwrap().unwrap();
    let review_off = AutomationSpec::direct(job, &w.interview, &[screening], false, None);
    w.store
        .set_automation(&review_off, chrono::Utc::now().timestamp_millis())
        .await
        .unwrap();
    listen_for_webhooks(&w, TOKEN).await;
    w.sandbox.ats.with_data(|d| {
        (0..interviews as u64).for_each(|n| d.move_application(10_001 + n, 1).unwrap())
    });
    w.engine.poll_triggers().await.unwrap();
    w.drain_outbox(Duration::from_secs(600)).await;
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
        if budgeted {
            // One a second, as completions come in a busy hour: back to back they would queue
            // behind the per-second window.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
    background.stop().await;
    latencies.sort_by(f64::total_cmp);
    overheads.sort_by(f64::total_cmp);
    let group = if budgeted {
        "completion to ATS, Willo at its published budget"
    } else {
        "completion to ATS"
    };
    report(&Figure {
        group,
        name: &format!(
            "webhook to note, p99 ({interviews} completions, review off{})",
            if budgeted {
                ", published budget, 1/s"
            } else {
                ""
            }
        ),
        value: quantile(&latencies, 0.99),
        unit: "ms",
        reference: format!("p50 {:.1} ms", quantile(&latencies, 0.5)),
        target: Target::AtMost(1_000.0),
    });
    report(&Figure {
        group,
        name: &format!(
            "our overhead, p99 ({interviews} completions{})",
            if budgeted { ", published budget" } else { "" }
        ),
        value: quantile(&overheads, 0.99),
        unit: "ms",
        reference: format!(
            "the same less the simulators' own answering time (p50 {:.1} ms)",
            quantile(&overheads, 0.5)
        ),
        target: Target::AtMost(50.0),
    });
}

#[tokio::main]
async fn main() {
    let bulk = env_number("BULK_COMPRESS", 10.0);
    let catch_up = env_number("CATCH_UP_COMPRESS", 120.0);
    let hours = env_number("CATCH_UP_HOURS", 4.0);
    completion_to_ats(100, false).await;
    completion_to_ats(30, true).await;
    bulk_send(429, bulk).await;
    bulk_send(403, bulk).await;
    for noticing in [Noticing::Webhooks, Noticing::Lists, Noticing::OneByOne] {
        catch_up_day(noticing, hours, 300, catch_up).await;
    }
}
