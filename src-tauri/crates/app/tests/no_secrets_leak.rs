//! A full sandbox run with known credentials (the simulators' API key and client secret), then a
//! search of everything the app leaves behind or hands out: the SQLite files, the log, every
//! command's answer and the CSV export. No secret may be in any of them, and no candidate's
//! name or email may be in the log.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use desk_app::ipc::{ActivityQuery, CandidateQuery};
use desk_app::App;
use desk_engine::{AutomationRequest, InterviewChoice, ReviewInput, Schedule};
use desk_sandbox::SandboxConfig;

/// The log, captured.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_database_the_log_or_any_answer() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let dir = tempfile::tempdir().unwrap();
    let schedule = Schedule {
        tick: Duration::from_millis(50),
        ..Schedule::default()
    };
    let app = App::open_sandbox(dir.path(), SandboxConfig::for_tests(), schedule)
        .await
        .unwrap();
    let sb = &app.sandbox().unwrap().info;
    let secrets = [
        sb.willo_api_key.clone(),
        sb.greenhouse_client_secret.clone(),
        sb.willo_standard_api_key.clone(),
    ];

    // The whole loop: sync, an automation, a send, a completion, a review, the write-back.
    let mut answers = vec![json(&app.info()), json(&app.sync_ats().await.unwrap())];
    let interviews = app.interviews().await.unwrap();
    answers.push(json(&interviews));
    answers.push(json(&app.templates().await.unwrap()));
    let views = app.automations().await.unwrap();
    let job = &views[0];
    let request = AutomationRequest {
        job_id: job.job_id.into(),
        choice: InterviewChoice::Interview {
            interview_key: interviews[0].key.clone(),
        },
        trigger_stage_ids: vec![job.stages[1].id.into()],
        review_required: true,
        move_to_stage_id: None,
        move_min_score: None,
        note_policy: desk_domain::NotePolicy::Everything,
    };
    answers.push(json(&app.dry_run(&request).await.unwrap()));
    answers.push(json(&app.set_automation(&request).await.unwrap()));
    let application = support::application(&app, "Zoë").await;
    answers.push(json(
        &app.pre_send(&[application], &interviews[0].key)
            .await
            .unwrap(),
    ));
    answers.push(json(
        &app.send(&[application], &interviews[0].key, &|_| {})
            .await
            .unwrap(),
    ));
    let invitation = support::complete_latest(&app, application).await;
    let inbox = app.inbox().await.unwrap();
    assert_eq!(inbox.len(), 1, "the completed interview waits for review");
    answers.push(json(&inbox));
    answers.push(json(&app.review_detail(invitation).await.unwrap()));
    app.approve(
        invitation,
        ReviewInput {
            rating: Some(5),
            ..ReviewInput::default()
        },
    )
    .await
    .unwrap();
    // The write-back ran too: the note is one more place a secret could have gone.
    support::wait_for_status(&app, application, "synced").await;
    answers.push(json(&app.timeline(application).await.unwrap()));
    answers.push(json(
        &app.candidates(&CandidateQuery {
            limit: 100,
            ..CandidateQuery::default()
        })
        .await
        .unwrap(),
    ));
    answers.push(json(
        &app.activity(&ActivityQuery {
            limit: 500,
            ..ActivityQuery::default()
        })
        .await
        .unwrap(),
    ));
    answers.push(json(&app.failed_work().await.unwrap()));
    answers.push(json(&app.settings().await.unwrap()));
    answers.push(json(&app.doctor().await.unwrap()));
    answers.push(json(&app.dashboard().await.unwrap()));
    answers.push(json(&app.overview().await.unwrap()));
    answers.push(
        std::fs::read_to_string(
            app.export_activity(&ActivityQuery::default())
                .await
                .unwrap()
                .path,
        )
        .unwrap(),
    );
    // Refusals and errors are answers too.
    answers.push(json(
        &app.pre_send(&[application], "no-such-interview")
            .await
            .unwrap(),
    ));
    answers.push(json(
        &app.candidates(&CandidateQuery {
            search: Some("x".repeat(201)),
            ..CandidateQuery::default()
        })
        .await
        .unwrap_err(),
    ));
    answers.push(json(&app.retry(999_999).await.unwrap_err()));
    app.shutdown().await;

    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            files.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    assert!(
        files.iter().any(|(p, _)| p.ends_with("sandbox.db")),
        "the database was written"
    );
    let log = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
    assert!(log.contains("ready"), "the log was captured");

    for secret in &secrets {
        for (path, bytes) in &files {
            assert!(
                !String::from_utf8_lossy(bytes).contains(secret.as_str()),
                "a secret is in {path}"
            );
        }
        assert!(!log.contains(secret.as_str()), "a secret is in the log");
        for answer in &answers {
            assert!(
                !answer.contains(secret.as_str()),
                "a secret is in an answer: {answer}"
            );
        }
    }
    for private in ["Zoë", "Müller", "zoe.mueller@example.de"] {
        assert!(
            !log.contains(private),
            "candidate data ({private}) is in the log"
        );
    }
    assert!(
        answers.iter().any(|a| a.contains("Zoë")),
        "the answers do carry what the recruiter sees"
    );
}
