//! A candidate's data rights through the API the UI calls, in sandbox mode with the engine's
//! loop running: the access-request export's contents, and a deletion that leaves nothing of
//! their answers in the data folder or the exports.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use desk_app::ipc::ActivityQuery;
use desk_app::App;
use desk_engine::{ErasureOutcome, ErasurePlace, ReviewInput, Schedule};
use desk_sandbox::SandboxConfig;
use serde_json::Value;
use support::{application, complete_latest, wait_for_status};

const SPOKEN: &str = "app-spoken-marker-31aa";

async fn open() -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let schedule = Schedule {
        tick: Duration::from_millis(50),
        ..Schedule::default()
    };
    let app = App::open_sandbox(dir.path(), SandboxConfig::for_tests(), schedule)
        .await
        .unwrap();
    app.sync_ats().await.unwrap();
    (app, dir)
}

/// Zoë sent an interview, completed with the marker in her transcripts, approved and written
/// back. Returns her application.
async fn zoe_written_back(app: &App) -> u32 {
    let interview = app.interviews().await.unwrap()[0].key.clone();
    let zoe = application(app, "Zoë").await;
    app.send(&[zoe], &interview, &|_| {}).await.unwrap();
    let (_, key) = support::latest_invitation(app, zoe).await;
    app.sandbox().unwrap().willo.with_data(|d| {
        let p = d.participants.iter_mut().find(|p| p.key == key).unwrap();
        p.first_name = format!("{} {SPOKEN}", p.first_name);
    });
    let invitation = complete_latest(app, zoe).await;
    app.approve(invitation, ReviewInput::default())
        .await
        .unwrap();
    wait_for_status(app, zoe, "synced").await;
    zoe
}

fn unzip(path: &Path) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut text = String::new();
            file.read_to_string(&mut text).unwrap();
            (file.name().unwrap().into_owned(), text)
        })
        .collect()
}

fn file<'a>(files: &'a [(String, String)], name: &str) -> &'a str {
    &files
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} is in the export"))
        .1
}

#[tokio::test]
async fn the_export_holds_the_profile_invitations_answers_reviews_writes_and_activity() {
    let (app, _dir) = open().await;
    let zoe = zoe_written_back(&app).await;
    let exported = app.export_candidate(zoe).await.unwrap();
    let files = unzip(Path::new(&exported.path));

    let profile: Value = serde_json::from_str(file(&files, "profile.json")).unwrap();
    assert_eq!(profile["email"], "zoe.mueller@example.de");
    assert_eq!(profile["first_name"], "Zoë");
    let invitations: Vec<Value> = serde_json::from_str(file(&files, "invitations.json")).unwrap();
    assert_eq!(invitations.len(), 1);
    assert_eq!(invitations[0]["status"], "synced");
    assert!(invitations[0]["steps"].as_array().unwrap().len() >= 3);
    let id = invitations[0]["id"].as_i64().unwrap();
    let answers: Value = serde_json::from_str(file(&files, &format!("answers/{id}.json"))).unwrap();
    let transcripts: Vec<&str> = answers["answers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["transcript"].as_str())
        .collect();
    assert!(
        transcripts.iter().any(|t| t.contains(SPOKEN)),
        "{answers:#}"
    );
    assert!(file(&files, &format!("answers/{id}.txt")).contains("Transcript: "));
    let reviews: Vec<Value> = serde_json::from_str(file(&files, "reviews.json")).unwrap();
    assert_eq!(reviews[0]["decision"], "approved");
    let written: Vec<Value> =
        serde_json::from_str(file(&files, "written_to_the_ats.json")).unwrap();
    let writes = written[0]["writes"].as_array().unwrap();
    let note = writes.iter().find(|w| w["target"] == "note").unwrap();
    assert!(note["ats_id"].is_string(), "{note:#}");
    assert!(
        note["content"]["text"].as_str().unwrap().contains(SPOKEN),
        "what the note said: {note:#}"
    );
    let activity: Vec<Value> = serde_json::from_str(file(&files, "activity.json")).unwrap();
    assert!(
        activity.iter().any(|a| a["kind"] == "written_back"),
        "{activity:#?}"
    );
    assert!(file(&files, "README.txt").contains("answers/"));
    std::fs::remove_file(&exported.path).unwrap();
    app.shutdown().await;
}

/// Every file under `dir`, recursively.
fn all_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(all_files(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[tokio::test]
async fn a_deletion_from_the_timeline_leaves_no_answers_in_the_data_folder_or_the_exports() {
    let (app, dir) = open().await;
    let zoe = zoe_written_back(&app).await;
    let export = app.export_candidate(zoe).await.unwrap();
    let activity = app
        .export_activity(&ActivityQuery::default())
        .await
        .unwrap();
    assert!(std::fs::read_to_string(&activity.path)
        .unwrap()
        .contains("Zoë Müller"));

    let asked = app.request_erasure(zoe).await.unwrap();
    assert!(asked.finished_at.is_none(), "queued for the engine");
    let mut report = asked;
    for _ in 0..200 {
        report = app
            .erasure(u32::try_from(report.erasure_id).unwrap())
            .await
            .unwrap();
        if report.finished_at.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        report.finished_at.is_some(),
        "the engine's loop carried it out: {report:#?}"
    );
    assert!(report
        .steps
        .iter()
        .any(|s| s.place == ErasurePlace::Willo && s.outcome == ErasureOutcome::Deleted));
    assert!(
        report
            .steps
            .iter()
            .any(|s| matches!(&s.outcome, ErasureOutcome::ByHand { .. })),
        "the sandbox's Greenhouse cannot delete its note: {report:#?}"
    );
    assert_eq!(report.local.export_files, 2, "{report:#?}");
    assert!(!Path::new(&export.path).exists() && !Path::new(&activity.path).exists());
    assert_eq!(app.erasures(zoe).await.unwrap().len(), 1);
    let timeline = app.timeline(zoe).await.unwrap();
    assert!(
        timeline.iter().any(|s| s.label == "Interview data deleted"),
        "{timeline:#?}"
    );
    wait_for_status(&app, zoe, "erased").await;

    app.shutdown().await;
    for path in all_files(dir.path()) {
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(SPOKEN.len()).any(|w| w == SPOKEN.as_bytes()),
            "the answers are still in {}",
            path.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_asked_for_on_a_following_desktop_is_carried_out_by_the_process_that_runs_the_engine(
) {
    let (first, dir) = open().await;
    let zoe = zoe_written_back(&first).await;
    let participants_in_willo = || {
        first
            .sandbox()
            .unwrap()
            .willo
            .with_data(|d| d.participants.len())
    };
    assert_eq!(participants_in_willo(), 1);
    let second = App::open_sandbox(
        dir.path(),
        SandboxConfig::for_tests(),
        Schedule {
            tick: Duration::from_millis(50),
            ..Schedule::default()
        },
    )
    .await
    .unwrap();
    assert!(
        second.info().engine_elsewhere.is_some(),
        "the second follows the first"
    );

    let mut report = second.request_erasure(zoe).await.unwrap();
    for _ in 0..200 {
        if report.finished_at.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        report = second
            .erasure(u32::try_from(report.erasure_id).unwrap())
            .await
            .unwrap();
    }
    assert!(report.finished_at.is_some(), "carried out: {report:#?}");
    assert_eq!(
        participants_in_willo(),
        0,
        "by the first, whose Willo it deleted from"
    );
    second.shutdown().await;
    first.shutdown().await;
}
