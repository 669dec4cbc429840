//! A full disk under `serve`: a webhook delivery is acknowledged only once it is stored, so while
//! the disk is full Willo is told 503 (and delivers again later), and once space returns the
//! store works again. The data folder is a small tmpfs (mounting one needs root, as in CI).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use desk_sandbox::{Sandbox, SandboxConfig};
use support::{config, config_file, free_port, serve, terminate, wait_ready, TOKEN};

/// A tmpfs of `size` mounted at `path`, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(path: &Path, size: &str) -> Self {
        std::fs::create_dir_all(path).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "tmpfs could not be mounted at {}",
            path.display()
        );
        Self(path.to_owned())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the disk under `dir` to the last byte with one file, returned for removing later.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 4096];
    while file.write_all(&chunk).and_then(|()| file.flush()).is_ok() {}
    let _ = file.sync_all();
    path
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

async fn deliver(port: u16, n: usize) -> (u16, String) {
    let body = serde_json::json!({
        "participant": {"key": format!("p{n}")},
        "padding": "x".repeat(48 * 1024),
    });
    let response = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{port}/hooks/willo/{TOKEN}/new_response"
        ))
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_disk_full_deliveries_are_refused_not_lost_and_the_store_recovers() {
    if !is_root() {
        // Mounting a tmpfs needs root. CI runs as root: there, not running is a failure.
        assert!(
            std::env::var_os("CI").is_none(),
            "this test mounts a tmpfs: CI must run it as root"
        );
        eprintln!("skipped: this test mounts a tmpfs and needs root");
        return;
    }
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let _disk = SmallDisk::mount(&data, "24m");
    let port = free_port();
    let path = config_file(dir.path(), &config(&sb, &data, port, ""));
    let mut child = serve(&path, &sb);
    wait_ready(port, Duration::from_secs(30)).await;

    let filler = fill(&data);
    let mut accepted: i64 = 0;
    let mut refused = None;
    for n in 0..400 {
        match deliver(port, n).await {
            (200, body) => {
                assert!(body.contains("accepted"), "{body}");
                accepted += 1;
            }
            (503, _) => {
                refused = Some(n);
                break;
            }
            other => panic!("unexpected answer {other:?}"),
        }
    }
    let refused = refused.expect("a delivery that could not be stored was answered 503");

    // Space returns: the store takes writes again, and the refused delivery was never stored.
    std::fs::remove_file(filler).unwrap();
    let (status, body) = deliver(port, refused).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("accepted"),
        "the delivery refused while the disk was full is new to the store: {body}"
    );
    assert_eq!(deliver(port, 10_000).await.0, 200);
    assert!(terminate(&mut child, Duration::from_secs(40)).success());

    let store = desk_store::Store::open(&data.join("willo-desk.db"))
        .await
        .unwrap();
    let stored = store.inbox_count().await.unwrap();
    assert_eq!(
        stored,
        accepted + 2,
        "every delivery answered 200 was stored, and no other"
    );
    store.close().await;
}
