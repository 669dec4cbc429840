//! What a recruiter does in the app, through the same API the UI calls, against the simulators:
//! find candidates, send with a pre-send report and progress, follow the timeline, review from
//! the inbox, set up an automation after a dry run, and deal with work that failed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use desk_app::ipc::{ActivityQuery, CandidateQuery, Severity};
use desk_app::{App, ErrorCode};
use desk_domain::{InvitationStatus, ListStatus};
use desk_engine::{AutomationRequest, BulkProgress, InterviewChoice, ReviewInput};
use desk_sandbox::SandboxConfig;
use support::{application, complete_latest, fast, query, wait_for_status};

async fn open() -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open_sandbox(dir.path(), SandboxConfig::for_tests(), fast())
        .await
        .unwrap();
    app.sync_ats().await.unwrap();
    (app, dir)
}

/// Sends the first interview to Zoë by hand and has her complete it in the simulated Willo.
/// Returns her application and invitation.
async fn zoe_completed(app: &App) -> (u32, u32) {
    let interview = app.interviews().await.unwrap()[0].key.clone();
    let zoe = application(app, "Zoë").await;
    app.send(&[zoe], &interview, &|_| {}).await.unwrap();
    (zoe, complete_latest(app, zoe).await)
}

#[tokio::test]
async fn the_list_pages_searches_and_filters_and_refuses_a_bad_filter() {
    let (app, _dir) = open().await;
    let all = app.candidates(&query(None)).await.unwrap();
    assert_eq!(all.total, Some(41), "one row per application");
    assert!(all.rows.iter().all(|r| r.status == ListStatus::NotSent));
    let page = app
        .candidates(&CandidateQuery {
            offset: 40,
            limit: 10,
            ..CandidateQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (page.total, page.rows.len()),
        (None, 1),
        "the last page, without the total (it came with the first)"
    );

    let zoe = app.candidates(&query(Some("zoë"))).await.unwrap();
    assert_eq!(zoe.rows[0].name, "Zoë Müller");
    let by_full_name = app.candidates(&query(Some("Zoë Mü"))).await.unwrap();
    assert_eq!(by_full_name.total, Some(1));
    let wildcard = app.candidates(&query(Some("%"))).await.unwrap();
    assert_eq!(
        wildcard.total,
        Some(0),
        "a % in the search is a character, not a wildcard"
    );

    let job = all.rows[0].job_id;
    let in_job = app
        .candidates(&CandidateQuery {
            job_id: Some(job),
            limit: 100,
            ..CandidateQuery::default()
        })
        .await
        .unwrap();
    assert!(in_job.total > Some(0) && in_job.rows.iter().all(|r| r.job_id == job));

    let error =
        serde_json::from_value::<CandidateQuery>(serde_json::json!({ "status": "<script>" }))
            .expect_err("a bad status filter is refused where the request is read");
    assert!(
        !error.to_string().contains("<script>"),
        "and not repeated: {error}"
    );
    let completed = app
        .candidates(&CandidateQuery {
            status: Some(ListStatus::Invitation(InvitationStatus::Completed)),
            ..query(None)
        })
        .await
        .unwrap();
    assert_eq!(completed.total, Some(0), "nobody has completed yet");
    app.shutdown().await;
}

#[tokio::test]
async fn a_selection_is_reported_then_sent_with_progress_and_the_timeline_follows_it() {
    let (app, _dir) = open().await;
    let interviews = app.interviews().await.unwrap();
    let interview = interviews[0].key.clone();
    let rows = app.candidates(&query(None)).await.unwrap().rows;
    let selection: Vec<u32> = rows.iter().take(6).map(|r| r.application_id).collect();

    let report = app.pre_send(&selection, &interview).await.unwrap();
    assert_eq!(report.len(), selection.len());
    assert!(report.iter().all(|r| r.will_send == r.refusals.is_empty()));
    let will_send = report.iter().filter(|r| r.will_send).count();

    let seen: Arc<Mutex<Vec<BulkProgress>>> = Arc::default();
    let record = Arc::clone(&seen);
    let done = app
        .send(&selection, &interview, &move |p| {
            record.lock().unwrap().push(p)
        })
        .await
        .unwrap();
    assert_eq!(done.sent, will_send);
    assert_eq!(done.sent + done.refused + done.failed, selection.len());
    assert_eq!(done.remaining, 0);
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.len() >= 2,
        "progress while sending, not only at the end"
    );
    assert!(seen.windows(2).all(|w| w[1].remaining <= w[0].remaining));

    let again = app.pre_send(&selection, &interview).await.unwrap();
    assert!(again.iter().all(|r| !r.will_send), "nobody is sent twice");

    let sent = report.iter().find(|r| r.will_send).unwrap().application_id;
    let steps: Vec<String> = app
        .timeline(sent)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.step)
        .collect();
    assert_eq!(steps[..3], ["stage", "queued", "invited"], "{steps:?}");

    let empty = app.pre_send(&[], &interview).await.unwrap_err();
    assert!(empty.message.starts_with("selection:"), "{}", empty.message);
    assert!(!app.cancel_send(), "nothing to cancel");
    app.shutdown().await;
}

#[tokio::test]
async fn a_completed_interview_is_reviewed_from_the_inbox_and_its_note_reaches_the_ats() {
    let (app, _dir) = open().await;
    let (zoe, invitation) = zoe_completed(&app).await;

    let inbox = app.inbox().await.unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].invitation_id, invitation);
    let detail = app.review_detail(invitation).await.unwrap();
    assert_eq!(detail.name, "Zoë Müller");
    assert!(!detail.answers.is_empty());
    assert!(detail
        .answers
        .iter()
        .any(|a| a.media_url.is_some() && a.transcript.is_some()));
    assert!(detail.review.is_none());

    let bad = app
        .approve(
            invitation,
            ReviewInput {
                rating: Some(9),
                ..ReviewInput::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(bad.code, ErrorCode::Validation);
    let first_question = detail.answers[0].question_key.clone();
    app.approve(
        invitation,
        ReviewInput {
            rating: Some(4),
            comment: Some("Clear and friendly.".into()),
            redactions: vec![first_question],
            ..ReviewInput::default()
        },
    )
    .await
    .unwrap();
    assert!(app.inbox().await.unwrap().is_empty());
    wait_for_status(&app, zoe, "synced").await;
    let notes = app.sandbox().unwrap().ats.with_data(|d| {
        d.writes
            .iter()
            .filter(|w| w.kind == "note")
            .map(|w| w.body.to_string())
            .collect::<Vec<_>>()
    });
    assert_eq!(notes.len(), 1);
    assert!(notes[0].contains("Clear and friendly."), "{}", notes[0]);
    let timeline = app.timeline(zoe).await.unwrap();
    assert!(timeline.iter().any(|s| s.step == "written:note"));
    assert_eq!(
        app.review_detail(invitation)
            .await
            .unwrap()
            .review
            .unwrap()
            .rating,
        Some(4)
    );

    let received_before = app.sandbox().unwrap().willo.requests().received;
    let stats = app.dashboard().await.unwrap();
    let funnel = stats
        .funnel
        .iter()
        .find(|f| f.job_title == "Customer Success Associate")
        .unwrap();
    assert_eq!(
        (
            funnel.triggered,
            funnel.invited,
            funnel.completed,
            funnel.reviewed,
            funnel.synced
        ),
        (1, 1, 1, 1, 1)
    );
    assert_eq!(stats.days.len(), 14);
    assert_eq!(stats.days.last().unwrap().completed, 1, "completed today");
    // The engine's loop goes on meanwhile: the pacer counts a request as it leaves, the
    // simulator as it arrives, so one may be on its way.
    let received_after = app.sandbox().unwrap().willo.requests().received;
    assert!(
        (received_before..=received_after + 1).contains(&u64::from(stats.willo.last_day)),
        "the day's use is the requests the simulated Willo received: {} against {received_before}..={received_after}",
        stats.willo.last_day
    );
    assert_eq!(
        (stats.willo.day_limit, stats.willo.minute_limit),
        (40_000, 80),
        "80% of Willo's published budget"
    );
    assert!(!stats.willo.nearing_limit);
    assert_eq!(
        stats.time_to_complete.iter().map(|b| b.count).sum::<u32>(),
        1
    );
    assert_eq!(
        (stats.completion[0].invited, stats.completion[0].completed),
        (1, 1)
    );
    assert_eq!(
        stats.unreviewed_age.iter().map(|b| b.count).sum::<u32>(),
        0,
        "reviewed"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn an_automation_is_tried_dry_then_set_listed_and_paused() {
    let (app, _dir) = open().await;
    let views = app.automations().await.unwrap();
    assert_eq!(views.len(), 3);
    assert!(views.iter().all(|v| v.automation.is_none()));
    let job = views
        .iter()
        .find(|v| v.job_title == "Customer Success Associate")
        .unwrap();
    let screening = job
        .stages
        .iter()
        .find(|s| s.name == "Screening")
        .unwrap()
        .id;
    let request = AutomationRequest {
        job_id: job.job_id.into(),
        choice: InterviewChoice::Interview {
            interview_key: app.interviews().await.unwrap()[0].key.clone(),
        },
        trigger_stage_ids: vec![screening.into()],
        review_required: true,
        move_to_stage_id: None,
        move_min_score: None,
        note_policy: desk_domain::NotePolicy::Everything,
    };
    let dry = app.dry_run(&request).await.unwrap();
    assert!(!dry.rows.is_empty());
    assert!(
        app.automations()
            .await
            .unwrap()
            .iter()
            .all(|v| v.automation.is_none()),
        "a dry run saves nothing"
    );

    let state = app.set_automation(&request).await.unwrap();
    assert!(state.review_required && !state.paused);
    assert!(state.interview_title.is_some());
    app.pause_automation(job.job_id, true).await.unwrap();
    let listed = app.automations().await.unwrap();
    let paused = listed
        .iter()
        .find(|v| v.job_id == job.job_id)
        .unwrap()
        .automation
        .as_ref()
        .unwrap();
    assert!(paused.paused);
    let missing = app.pause_automation(999_999, true).await.unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound);

    let log = app
        .activity(&ActivityQuery {
            kind: Some("automation".into()),
            limit: 50,
            ..ActivityQuery::default()
        })
        .await
        .unwrap();
    assert!(
        log.len() >= 2,
        "setting and pausing are both logged: {log:?}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn work_that_fails_for_good_is_listed_retried_and_the_log_exports_as_csv() {
    let (app, dir) = open().await;
    let (zoe, invitation) = zoe_completed(&app).await;

    // The application disappears from the ATS: the write-back is refused for good.
    let removed = app.sandbox().unwrap().ats.with_data(|d| {
        let at = d.applications.iter().position(|a| a.id == 9002).unwrap();
        d.applications.remove(at)
    });
    app.approve(invitation, ReviewInput::default())
        .await
        .unwrap();
    let failed = loop {
        let failed = app.failed_work().await.unwrap();
        if !failed.is_empty() {
            break failed;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(failed[0].kind, "writeback");
    assert_eq!(failed[0].candidate.as_deref(), Some("Zoë Müller"));
    assert!(!failed[0].error.is_empty() && failed[0].fix.contains("retry"));
    let timeline = app.timeline(zoe).await.unwrap();
    assert!(
        timeline.iter().any(|s| s.failed && s.fix.is_some()),
        "{timeline:?}"
    );

    // Back in the ATS; the recruiter retries; it is written once.
    app.sandbox()
        .unwrap()
        .ats
        .with_data(|d| d.applications.push(removed));
    for item in &failed {
        app.retry(item.outbox_id).await.unwrap();
    }
    wait_for_status(&app, zoe, "synced").await;
    assert!(app.failed_work().await.unwrap().is_empty());
    assert_eq!(
        app.retry(failed[0].outbox_id).await.unwrap_err().code,
        ErrorCode::NotFound
    );

    let export = app
        .export_activity(&ActivityQuery::default())
        .await
        .unwrap();
    let path = export.path;
    assert_eq!(
        std::path::Path::new(&path).parent().unwrap(),
        desk_app::paths::exports_dir(dir.path())
    );
    assert_eq!(app.exported(&path).unwrap(), std::path::Path::new(&path));
    assert!(
        app.exported("/etc/passwd").is_err(),
        "only the app's own exports are shown"
    );
    let csv = std::fs::read_to_string(&path).unwrap();
    assert!(csv.starts_with("time,kind,candidate,job,message\n"));
    assert!(
        csv.contains("writeback_failed") && csv.contains("retried"),
        "{csv}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn settings_refuse_bad_values_and_the_doctor_checks_the_apps_own_setup() {
    let (app, _dir) = open().await;
    let mut settings = app.settings().await.unwrap();
    assert!(settings
        .receiver_url
        .as_deref()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    settings.default_region = Some("XX".into());
    assert_eq!(
        app.save_settings(&settings).await.unwrap_err().code,
        ErrorCode::Validation
    );
    settings.default_region = Some("US".into());
    settings.ats_poll_seconds = 300;
    let saved = app.save_settings(&settings).await.unwrap();
    assert_eq!(
        (saved.default_region.as_deref(), saved.ats_poll_seconds),
        (Some("US"), 300)
    );

    settings.receiver_public_url = Some("http://not-https.example.com".into());
    let error = app.save_settings(&settings).await.unwrap_err();
    assert_eq!(
        error.field.as_deref(),
        Some("receiverPublicUrl"),
        "{}",
        error.message
    );
    settings.receiver_public_url = None;
    assert!(
        app.register_webhooks().await.unwrap() > 0,
        "the simulated Willo has our webhooks"
    );
    assert!(app.database_path().ends_with("sandbox.db"));

    let findings = app.doctor().await.unwrap();
    let problems: Vec<_> = findings
        .iter()
        .filter(|f| f.severity == Severity::Problem)
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    for check in ["willo_key", "willo_interviews", "receiver", "webhooks"] {
        assert!(
            findings.iter().any(|f| f.check.starts_with(check)),
            "no {check} finding: {findings:?}"
        );
    }
    app.shutdown().await;
}
