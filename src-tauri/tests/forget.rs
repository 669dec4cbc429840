//! A candidate's data rights from the shell, with the real binary: `export-candidate` writes
//! their answers into a ZIP; `forget`, while `serve` runs on the same data, has that `serve`
//! delete the Willo participant and every local copy and prints what was deleted where; run
//! again with `serve` stopped, it does the work itself. Afterwards no file of the data folder
//! (database, WAL, logs) holds the candidate's answers.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::io::Read;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use desk_sandbox::willo::model::ParticipantStatus;
use desk_sandbox::{AtsSettings, Sandbox, SandboxConfig};
use support::{
    binary, config, config_file, free_port, secrets, serve, terminate, wait_ready, writes,
};

const EMAIL: &str = "load0@example.com";
/// Put in the candidate's name as Willo has it, so it reaches their transcripts and raw JSON.
const MARKER: &str = "forget-marker-5e6f";

fn run(args: &[&str], dir: &Path, sb: &Sandbox) -> Output {
    binary(dir).args(args).envs(secrets(sb)).output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn holds(path: &Path, needle: &str) -> bool {
    std::fs::read(path)
        .unwrap()
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_forget_through_a_running_serve_and_again_on_its_own() {
    let mut sandbox = SandboxConfig::for_tests();
    sandbox.ats = AtsSettings {
        extra_applicants: 1,
        ..sandbox.ats
    };
    let sb = Sandbox::start(sandbox).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let path = config_file(dir.path(), &config(&sb, &data, port, ""));
    let config_arg = path.to_str().unwrap();

    let mut server = serve(&path, &sb);
    wait_ready(port, Duration::from_secs(30)).await;
    sb.ats.with_data(|d| d.move_application(10_001, 1).unwrap());
    let mut key = None;
    until("the invitation", Duration::from_secs(30), || {
        key = sb.willo.with_data(|d| {
            d.participants
                .iter_mut()
                .find(|p| p.email == EMAIL)
                .map(|p| {
                    p.first_name = format!("Lou {MARKER}");
                    p.key.clone()
                })
        });
        key.is_some()
    })
    .await;
    let key = key.unwrap();
    sb.willo
        .advance(&key, Some(ParticipantStatus::Completed))
        .unwrap();
    until("the note in the ATS", Duration::from_secs(60), || {
        writes(&sb, "note")
            .iter()
            .any(|n| n.to_string().contains(MARKER))
    })
    .await;

    // The access request: the answers are in the export.
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let export = run(
        &[
            "export-candidate",
            "--config",
            config_arg,
            "--email",
            EMAIL,
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
        &sb,
    );
    assert!(export.status.success(), "{}", text(&export));
    let zip_path = String::from_utf8_lossy(&export.stdout).trim().to_owned();
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut answers = String::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        if entry.name().unwrap().starts_with("answers/") {
            entry.read_to_string(&mut answers).unwrap();
        }
    }
    assert!(
        answers.contains(MARKER),
        "the transcripts are in the export: {answers}"
    );

    // Bad requests are refused, naming what is wrong.
    let bad = run(
        &["forget", "--config", config_arg, "--email", "not-an-email"],
        dir.path(),
        &sb,
    );
    assert!(!bad.status.success());
    assert!(
        text(&bad).contains("email: not an email address"),
        "{}",
        text(&bad)
    );
    let unknown = run(
        &[
            "forget",
            "--config",
            config_arg,
            "--email",
            "nobody@example.com",
        ],
        dir.path(),
        &sb,
    );
    assert!(!unknown.status.success());
    assert!(
        text(&unknown).contains("no candidate with this email"),
        "{}",
        text(&unknown)
    );

    // With serve running, serve carries it out.
    let forget = run(
        &[
            "forget", "--config", config_arg, "--email", EMAIL, "--by", "Dana", "--wait", "60",
        ],
        dir.path(),
        &sb,
    );
    let report = text(&forget);
    assert!(forget.status.success(), "{report}");
    assert!(report.contains("(asked by Dana)"), "{report}");
    assert!(
        report.contains(&format!("Willo participant {key}: deleted")),
        "{report}"
    );
    assert!(
        report.contains("must be removed by hand"),
        "Greenhouse's note: {report}"
    );
    assert!(
        !report.contains(EMAIL) && !report.contains(MARKER),
        "no personal data: {report}"
    );
    assert!(!sb
        .willo
        .with_data(|d| d.participants.iter().any(|p| p.key == key)));
    assert!(
        !Path::new(&zip_path).exists(),
        "the access-request export made earlier holds them: removed too"
    );

    assert!(terminate(&mut server, Duration::from_secs(30)).success());
    // With nothing running, the command runs the engine itself (a second request, nothing left).
    let again = run(
        &[
            "forget", "--config", config_arg, "--email", EMAIL, "--wait", "60",
        ],
        dir.path(),
        &sb,
    );
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains("Deletion 2"), "{}", text(&again));

    let files = files_under(&data);
    assert!(
        files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "log")
                || f.to_string_lossy().contains("logs")),
        "the log is among them: {files:?}"
    );
    for file in files {
        assert!(
            !holds(&file, MARKER),
            "the answers are still in {}",
            file.display()
        );
    }
}
