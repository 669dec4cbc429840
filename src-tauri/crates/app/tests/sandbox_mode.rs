//! The app in sandbox mode, end to end against the in-process simulators and a real SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use desk_app::App;
use desk_sandbox::SandboxConfig;

#[tokio::test]
async fn a_first_start_syncs_the_demo_ats_into_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_sandbox(dir.path(), SandboxConfig::for_tests())
        .await
        .unwrap();

    let before = app.overview().await.unwrap();
    assert!(
        before.jobs.is_empty(),
        "nothing is known before the first sync"
    );
    assert_eq!(before.last_sync_at, None);

    let report = app.sync_ats().await.unwrap();
    assert_eq!(
        (report.jobs, report.candidates, report.applications),
        (3, 40, 41)
    );
    assert_eq!(
        report.stage_changes, 41,
        "on a first sync every application is new in its stage"
    );

    let overview = app.overview().await.unwrap();
    assert_eq!(overview.jobs.len(), 3);
    assert_eq!((overview.candidates, overview.applications), (40, 41));
    let screening: u32 = overview
        .jobs
        .iter()
        .flat_map(|j| &j.stages)
        .filter(|s| s.name == "Screening")
        .map(|s| s.applications)
        .sum();
    assert_eq!(
        screening, 8,
        "the demo data has eight applications in Screening"
    );
    assert!(overview.last_sync_at.is_some());
    assert!(app
        .info()
        .sandbox_origin
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    app.shutdown().await;
}

#[tokio::test]
async fn data_survives_a_restart_and_a_resync_sees_only_moves() {
    let dir = tempfile::tempdir().unwrap();
    {
        let app = App::open_sandbox(dir.path(), SandboxConfig::for_tests())
            .await
            .unwrap();
        app.sync_ats().await.unwrap();
        app.shutdown().await;
    }
    let app = App::open_sandbox(dir.path(), SandboxConfig::for_tests())
        .await
        .unwrap();
    assert_eq!(
        app.overview().await.unwrap().jobs.len(),
        3,
        "the store kept the jobs across the restart"
    );
    assert_eq!(
        app.sync_ats().await.unwrap().stage_changes,
        0,
        "same data, a new simulator port: nothing moved"
    );
    app.sandbox().ats.advance_one_applicant().unwrap();
    assert_eq!(
        app.sync_ats().await.unwrap().stage_changes,
        1,
        "one applicant reached Screening"
    );
    app.shutdown().await;
}
