//! `serve` starting and stopping as a real process: transient errors from Willo and the ATS while
//! it starts are waited out (not an exit), a SIGTERM at any moment of the start ends it cleanly,
//! and a SIGTERM while an invitation is in flight finishes that one and records it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::time::{Duration, Instant};

use desk_sandbox::{AtsSettings, FaultKind, FaultRule, Sandbox, SandboxConfig};
use support::{config, config_file, free_port, receiving, serve, terminate, wait_ready};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_willo_and_the_ats_fail_serve_keeps_trying_and_a_sigterm_ends_it_cleanly() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    for prefix in ["/api/integrations/v2/", "/greenhouse/"] {
        sb.faults
            .add(FaultRule::new(FaultKind::Status { status: 502 }).on_path(prefix));
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = config_file(dir.path(), &config(&sb, dir.path(), port, ""));
    let mut child = serve(&path, &sb);
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "502s while starting are waited out, not an exit"
    );
    assert!(
        !receiving(port).await,
        "not serving before the start is done"
    );
    let status = terminate(&mut child, Duration::from_secs(5));
    assert!(
        status.success(),
        "a SIGTERM during the start is a clean stop: {status:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_server_errors_at_start_are_retried_until_serve_is_up_and_registered() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    for rule in [
        // Auth detection, the first ATS poll and the webhook registration each meet trouble.
        FaultRule::new(FaultKind::RateLimit {
            retry_after_secs: 1,
        })
        .on_path("/api/integrations/v2/interviews/")
        .times(2),
        FaultRule::new(FaultKind::Status { status: 502 })
            .on_path("/api/integrations/v2/interviews/")
            .times(2),
        FaultRule::new(FaultKind::Status { status: 503 })
            .on_path("/greenhouse/v3/jobs")
            .times(3),
        FaultRule::new(FaultKind::Status { status: 502 })
            .on_path("/api/integrations/v2/webhooks/")
            .on_method("POST")
            .times(3),
    ] {
        sb.faults.add(rule);
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = config_file(dir.path(), &config(&sb, dir.path(), port, ""));
    let mut child = serve(&path, &sb);
    wait_ready(port, Duration::from_secs(90)).await;
    assert!(
        sb.faults.list().iter().all(|rule| !rule
            .path_prefix
            .as_deref()
            .is_some_and(|p| p.contains("interviews") || p.contains("jobs"))),
        "serve came up through every fault on the way: {:?}",
        sb.faults.list()
    );
    let deadline = Instant::now() + Duration::from_secs(90);
    while sb.willo.with_data(|d| d.webhooks.is_empty()) {
        assert!(
            Instant::now() < deadline,
            "the webhooks were never registered"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(child.try_wait().unwrap().is_none(), "still serving");
    assert!(terminate(&mut child, Duration::from_secs(40)).success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigterm_while_an_invitation_is_in_flight_finishes_and_records_that_one_only() {
    let mut sandbox = SandboxConfig::for_tests();
    sandbox.ats = AtsSettings {
        extra_applicants: 5,
        ..sandbox.ats
    };
    let sb = Sandbox::start(sandbox).await.unwrap();
    sb.faults.add(
        FaultRule::new(FaultKind::Delay { millis: 2_000 })
            .on_path("/api/integrations/v2/participants/")
            .on_method("POST"),
    );
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = config_file(dir.path(), &config(&sb, dir.path(), port, ""));
    let mut child = serve(&path, &sb);
    wait_ready(port, Duration::from_secs(30)).await;
    sb.ats.with_data(|d| {
        for n in 0..5 {
            d.move_application(10_001 + n, 1).unwrap();
        }
    });
    // The next ATS poll (within 10 s) queues all five; the first invitation then takes 2 s.
    let deadline = Instant::now() + Duration::from_secs(30);
    while sb.faults.struck() == 0 {
        assert!(Instant::now() < deadline, "no invitation was sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let asked = Instant::now();
    assert!(terminate(&mut child, Duration::from_secs(30)).success());
    assert!(
        asked.elapsed() < Duration::from_secs(8),
        "it finished the one in flight, not all five: {:?}",
        asked.elapsed()
    );
    let sent = sb.willo.with_data(|d| d.participants.len());
    assert_eq!(sent, 1, "one invitation went out");

    // That one is recorded: a new start does not send it again, and sends the other four.
    sb.faults.clear();
    let mut again = serve(&path, &sb);
    wait_ready(port, Duration::from_secs(30)).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while sb.willo.with_data(|d| d.participants.len()) < 5 {
        assert!(Instant::now() < deadline, "the other four were not sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(terminate(&mut again, Duration::from_secs(30)).success());
    let per_email = support::participants_per_email(&sb);
    assert!(
        per_email.values().all(|n| *n == 1) && per_email.len() == 5,
        "five people, once each: {per_email:?}"
    );
}
