//! The whole loop under a fifth of all requests failing, on both simulators: throttling, server
//! errors, delays, connections dropped after the server acted, and cut-off bodies. Once the faults
//! stop, every candidate has been invited exactly once and every completion written back exactly
//! once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use desk_engine::Schedule;
use desk_sandbox::{AtsSettings, FaultKind, FaultRule, Lifecycle, SandboxConfig};
use desk_store::{AtsSnapshot, AutomationSpec};
use support::world_with;

const APPLICANTS: u64 = 60;

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
    let mut config = SandboxConfig::for_tests();
    config.ats = AtsSettings {
        extra_applicants: APPLICANTS as usize,
        ..config.ats
    };
    config.lifecycle = Lifecycle::Timed {
        open_after: Duration::from_millis(100),
        start_after: Duration::from_millis(100),
        complete_after: Duration::from_millis(300),
    };
    // The store starts empty and learns the ATS through the connector, as in the app.
    let w = world_with(config, 200.0, |snap| *snap = AtsSnapshot::default()).await;
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
    let load: Vec<u64> = (0..APPLICANTS).map(|n| 10_001 + n).collect();
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
    let deadline = Instant::now() + Duration::from_secs(150);
    while (notes_for_load(&w).len() as u64) < APPLICANTS && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A little longer: a duplicate would show up now if one were coming.
    tokio::time::sleep(Duration::from_secs(1)).await;
    background.stop().await;

    let mut per_email: HashMap<String, usize> = HashMap::new();
    for (_, email) in w.participants_in_sandbox() {
        *per_email.entry(email).or_default() += 1;
    }
    for n in 0..APPLICANTS {
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
                "application {id}: {:?} notes; its timeline: {:?}; failed work: {:?}",
                per_application.get(id),
                w.store.timeline(app).await.unwrap(),
                w.store.failed_items().await.unwrap()
            );
        }
    }
    for id in &load {
        assert_eq!(
            per_application.get(id),
            Some(&1),
            "application {id}: one note"
        );
    }
    assert!(
        w.store.failed_items().await.unwrap().is_empty(),
        "nothing gave up"
    );
}
