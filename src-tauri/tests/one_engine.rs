//! One engine per data folder, across processes: a second `serve` refuses to start while the
//! first runs (naming it), and one started after the first is killed mid-invite takes over. With
//! Willo taking 3 s per invitation, 25 candidates are each invited once and written back once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::time::{Duration, Instant};

use desk_sandbox::{AtsSettings, FaultKind, FaultRule, Lifecycle, Sandbox, SandboxConfig};
use support::{config, config_file, free_port, participants_per_email, serve, wait_ready, writes};

const CANDIDATES: usize = 25;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_serve_is_refused_and_one_after_a_kill_takes_over_without_inviting_anyone_twice() {
    let mut sandbox = SandboxConfig::for_tests();
    sandbox.ats = AtsSettings {
        extra_applicants: CANDIDATES,
        ..sandbox.ats
    };
    sandbox.lifecycle = Lifecycle::Timed {
        open_after: Duration::from_millis(100),
        start_after: Duration::from_millis(100),
        complete_after: Duration::from_millis(500),
    };
    let sb = Sandbox::start(sandbox).await.unwrap();
    sb.faults.add(
        FaultRule::new(FaultKind::Delay { millis: 3_000 })
            .on_path("/api/integrations/v2/participants/")
            .on_method("POST"),
    );
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let path = config_file(dir.path(), &config(&sb, dir.path(), port, ""));

    let mut first = serve(&path, &sb);
    wait_ready(port, Duration::from_secs(30)).await;
    sb.ats.with_data(|d| {
        for n in 0..CANDIDATES as u64 {
            d.move_application(10_001 + n, 1).unwrap();
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while sb.willo.with_data(|d| d.participants.len()) < 2 {
        assert!(
            Instant::now() < deadline,
            "the first serve never started inviting"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A second one on the same folder, while the first has a slow invitation in flight.
    let mut second = support::serve_piped(&path, &sb);
    let status = support::wait_exit(&mut second, Duration::from_secs(20));
    let said = support::stderr_of(&mut second);
    assert!(!status.success(), "the second serve must not run: {said}");
    assert!(
        said.contains(&format!("willo-desk serve (pid {})", first.id()))
            && said.contains("already runs the engine"),
        "it names the one that runs the engine: {said}"
    );

    // The first dies mid-invite; a new one takes over its unfinished work.
    first.kill().unwrap();
    first.wait().unwrap();
    let mut third = serve(&path, &sb);
    wait_ready(port, Duration::from_secs(30)).await;
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let written = writes(&sb, "note")
            .iter()
            .filter(|n| n["application_id"].as_u64().is_some_and(|id| id > 10_000))
            .count();
        if written >= CANDIDATES {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {written} of {CANDIDATES} were written back"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Time for anything sent twice to show.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(support::terminate(&mut third, Duration::from_secs(40)).success());

    let per_email = participants_per_email(&sb);
    let load: Vec<_> = per_email
        .iter()
        .filter(|(email, _)| email.starts_with("load"))
        .collect();
    assert_eq!(load.len(), CANDIDATES, "every candidate was invited");
    assert!(
        load.iter().all(|(_, n)| **n == 1),
        "nobody was invited twice: {:?}",
        load.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>()
    );
    let mut notes = std::collections::HashMap::<u64, usize>::new();
    for note in writes(&sb, "note") {
        *notes
            .entry(note["application_id"].as_u64().unwrap())
            .or_default() += 1;
    }
    assert!(
        (0..CANDIDATES as u64).all(|n| notes.get(&(10_001 + n)) == Some(&1)),
        "each completion was written back once: {notes:?}"
    );
}
