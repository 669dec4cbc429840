//! A flood of webhook deliveries, in a process of its own so that the memory it measures is its
//! own (tests in one binary share a process).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use serde_json::json;
use support::world;

const TOKEN: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

/// Resident memory of this process, in KiB (Linux).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_ten_thousand_deliveries_with_replays_is_stored_once_each_in_bounded_memory() {
    let w = world().await;
    let base = support::receiver_for(&w, TOKEN).await;
    let url = format!("{base}/hooks/willo/{TOKEN}/new_response");
    let client = reqwest::Client::new();
    let before = rss_kib();
    // 1,000 distinct deliveries, each arriving ten times, 50 at a time; some bodies malformed.
    let mut sent = 0;
    for round in 0..200 {
        let mut batch = tokio::task::JoinSet::new();
        for n in 0..50 {
            let delivery = (round * 50 + n) % 1_000;
            let body = if delivery % 100 == 0 {
                format!("{{\"participant\": {{\"key\": \"{delivery:032x}\"")
            } else {
                json!({"participant": {"key": format!("{delivery:032x}")}, "interview": {"key": "x"}}).to_string()
            };
            let (client, url) = (client.clone(), url.clone());
            batch.spawn(async move { client.post(url).body(body).send().await.unwrap().status() });
        }
        while let Some(status) = batch.join_next().await {
            assert_eq!(status.unwrap(), 200);
            sent += 1;
        }
    }
    assert_eq!(sent, 10_000);
    assert_eq!(
        w.store.unprocessed_inbox(5_000).await.unwrap().len(),
        1_000,
        "each delivery stored once"
    );
    let grown_mib = rss_kib().saturating_sub(before) / 1024;
    assert!(grown_mib < 64, "memory grew by {grown_mib} MiB");

    // Processing all of it, the malformed ones included, panics nowhere and leaves nothing behind.
    while w.engine.process_inbox_once().await.unwrap() > 0 {}
    assert_eq!(w.store.unprocessed_inbox(1_000).await.unwrap().len(), 0);
}
