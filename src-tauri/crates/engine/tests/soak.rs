//! The whole loop under a fifth of all requests failing, on both simulators: throttling, server
//! errors, delays, connections dropped after the server acted, and cut-off bodies. Once the faults
//! stop, every candidate has been invited exactly once and every completion written back exactly
//! once.
//!
//! The default run uses 60 applicants to keep CI short; the full run of 300 is
//! `SOAK_APPLICANTS=300 cargo test --release -p desk-engine --test soak`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use desk_engine::Schedule;
use desk_sandbox::{AtsSettings, FaultKind, FaultRule, Lifecycle, SandboxConfig};
use desk_store::{AtsSnapshot, AutomationSpec};
use support::world_with;

/// How many applicants go through the loop: `SOAK_APPLICANTS`, or 60.
fn applicants() -> u64 {
    std::env::var("SOAK_APPLICANTS").map_or(60, |n| {
        n.parse()
            .expect("SOAK_APPLICANTS is a whole number of applicants")
    })
}

/// Five kinds of fault at 4% each on every route under `prefix`: about one request in five.
fn faults(prefix: &str) -> Vec<FaultRule> {
    let rule = |kind| FaultRule::new(kind).on_path(prefix).with_probability(0.04);
    vec![
        rule(FaultKind::RateLimit {
            retry_after_secs: 0,
        }),
        rule(FaultKind::Status { status: 503 }),
        rule(FaultKind::Delay { millis: 150 }),
        rule(FaultKind::Drop).after_handler(),
        rule(FaultKind::Malformed).after_handler(),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifth_of_requests_failing_loses_nothing_and_duplicates_nothing() {
    let applicants = applicants();
    let mut config = SandboxConfig::for_tests();
    config.ats = AtsSettings {
        extra_applicants: usize::try_from(applicants).unwrap(),
        ..config.ats
    };
    config.lifecycle = Lifecycle::Timed {
        open_after: Duration::from_millis(100),
        start_after: Duration::from_millis(100),
        complete_after: Duration::from_millis(300),
    };
    // The store starts empty and learns the ATS through the connector, as in the app.
    let w = world_with(config, support::per_second(200), |snap| {
        *snap = AtsSnapshot::default()
    })
    .await;
    w.engine.poll_triggers().await.unwrap();
    let job = w.store.job_id(w.ats, "4001").await.unwrap().unwrap();
    let screening = w.store.stage_id(w.ats, "400101").await.unwrap().unwrap();
    w.store
        .set_automation(
            &AutomationSpec::direct(job, &w.interview, &[screening], false, None),
            chrono::Utc::now().timestamp_millis(),
        )
        .await
        .unwrap();

    let mut rules = faults("/api/integrations/v2");
    rules.extend(faults("/greenhouse"));
    w.sandbox.faults.set(rules);
    let load: Vec<u64> = (0..applicants).map(|n| 10_001 + n).collect();
    w.sandbox.ats.with_data(|d| {
        load.iter()
            .for_each(|id| d.move_application(*id, 1).unwrap())
    });
    let background = w.engine.spawn(Schedule {
        tick: Duration::from_millis(50),
        reconcile_every: Duration::from_millis(500),
        reconcile_every_with_webhooks: Duration::from_millis(500),
        ats_poll_every: Duration::from_millis(300),
        ..Schedule::default()
    });

    tokio::time::sleep(Duration::from_secs(8)).await;
    w.sandbox.faults.clear();
    let notes_for_load = |w: &support::World| {
        w.sandbox.ats.with_data(|d| {
            d.writes
                .iter()
                .filter(|x| x.kind == "note" && x.application_id > 10_000)
                .map(|x| x.application_id)
                .collect::<Vec<_>>()
        })
    };
    // 150 s for the default 60, and proportionally more for a longer run.
    let deadline = Instant::now() + Duration::from_secs(60 + 3 * applicants / 2);
    while (notes_for_load(&w).len() as u64) < applicants && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A little longer: a duplicate would show up now if one were coming.
    tokio::time::sleep(Duration::from_secs(1)).await;
    background.stop().await;

    let mut per_email: HashMap<String, usize> = HashMap::new();
    for (_, email) in w.participants_in_sandbox() {
        *per_email.entry(email).or_default() += 1;
    }
    for n in 0..applicants {
        let email = format!("load{n}@example.com");
        assert_eq!(per_email.get(&email), Some(&1), "{email} invited once");
    }
    let mut per_application: HashMap<u64, usize> = HashMap::new();
    for id in notes_for_load(&w) {
        *per_application.entry(id).or_default() += 1;
    }
    for id in &load {
        if per_application.get(id) != Some(&1) {
            let app = w
                .store
                .application_id(w.ats, &id.to_string())
                .await
                .unwrap()
                .unwrap();
            panic!(
                "application {id}: {:?} notes, not one; its timeline: {:?}; failed work: {:?}",
                per_application.get(id),
                w.store.timeline(app).await.unwrap(),
                w.store.failed_items().await.unwrap()
            );
        }
    }
    assert!(
        w.store.failed_items().await.unwrap().is_empty(),
        "nothing gave up"
    );
}
