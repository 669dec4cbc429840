//! The promise that matters most: whatever happens to the process, every candidate is invited
//! exactly once and every completed interview is written back exactly once. `serve` runs the loop
//! for 100 applicants and is killed with SIGKILL at random moments, twenty times, then restarted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use desk_sandbox::{AtsSettings, Lifecycle, Sandbox, SandboxConfig};
use support::{config_file, free_port, serve, wait_ready, writes};

const APPLICANTS: usize = 100;
const KILLS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_twenty_times_mid_run_every_candidate_is_invited_once_and_written_back_once() {
    let mut config = SandboxConfig::for_tests();
    config.ats = AtsSettings {
        extra_applicants: APPLICANTS,
        ..config.ats
    };
    config.lifecycle = Lifecycle::Timed {
        open_after: Duration::from_millis(100),
        start_after: Duration::from_millis(100),
        complete_after: Duration::from_millis(300),
    };
    let sb = Sandbox::start(config).await.unwrap();
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let path = config_file(dir.path(), &support::config(&sb, dir.path(), port, ""));

    // The first run switches the automation on; then the 100 applicants reach Screening.
    let mut child = serve(&path, &sb);
    wait_ready(port, Duration::from_secs(30)).await;
    let load: Vec<u64> = (0..APPLICANTS as u64).map(|n| 10_001 + n).collect();
    sb.ats.with_data(|d| {
        load.iter()
            .for_each(|id| d.move_application(*id, 1).unwrap())
    });

    for _ in 0..KILLS {
        let lifetime = Duration::from_millis(300 + rand::random::<u64>() % 1_200);
        tokio::time::sleep(lifetime).await;
        child.kill().unwrap(); // SIGKILL: no chance to finish anything
        child.wait().unwrap();
        child = serve(&path, &sb);
        wait_ready(port, Duration::from_secs(30)).await;
    }

    // Left alone, it finishes the work.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let written = writes(&sb, "note")
            .iter()
            .filter(|n| n["application_id"].as_u64().is_some_and(|id| id > 10_000))
            .count();
        if written >= APPLICANTS || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success(), "a clean stop at the end");

    let participants = sb.willo.with_data(|d| {
        d.participants
            .iter()
            .map(|p| p.email.clone())
            .collect::<Vec<_>>()
    });
    let mut per_email: HashMap<&str, usize> = HashMap::new();
    for email in &participants {
        *per_email.entry(email.as_str()).or_default() += 1;
    }
    assert_eq!(
        participants.len(),
        APPLICANTS,
        "exactly 100 invitations reached Willo"
    );
    assert!(
        per_email.values().all(|n| *n == 1),
        "nobody was invited twice: {:?}",
        per_email
            .iter()
            .filter(|(_, n)| **n > 1)
            .collect::<Vec<_>>()
    );

    let mut per_application: HashMap<u64, usize> = HashMap::new();
    for note in writes(&sb, "note") {
        *per_application
            .entry(note["application_id"].as_u64().unwrap())
            .or_default() += 1;
    }
    assert!(
        load.iter().all(|id| per_application.get(id) == Some(&1)),
        "exactly one note for each of the 100: {:?}",
        load.iter()
            .filter(|id| per_application.get(id) != Some(&1))
            .map(|id| (id, per_application.get(id)))
            .collect::<Vec<_>>()
    );
}
