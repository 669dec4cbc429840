//! What the recruiter's desktop relies on beyond the loop, through the API the UI calls, against
//! the simulators: review drafts that survive leaving the review, the interview offered by
//! default for a job, the list sorted by a column, phones whose country was assumed, the
//! timeline naming the interview, and exports to the Downloads folder.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::time::Duration;

use desk_app::ipc::{CandidateQuery, CandidateSort};
use desk_app::{App, ErrorCode};
use desk_engine::{AutomationRequest, InterviewChoice, ReviewInput, Schedule};
use desk_sandbox::SandboxConfig;
use support::{application, complete_latest};

async fn open() -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let schedule = Schedule {
        tick: Duration::from_millis(50),
        reconcile_every: Duration::from_secs(60),
        ..Schedule::default()
    };
    let app = App::open_sandbox(dir.path(), SandboxConfig::for_tests(), schedule)
        .await
        .unwrap();
    app.sync_ats().await.unwrap();
    (app, dir)
}

/// An automation for a job that sends `interview_key` from the job's second stage, with review.
fn automation(job: &desk_app::ipc::AutomationView, interview_key: &str) -> AutomationRequest {
    AutomationRequest {
        job_id: job.job_id.into(),
        choice: InterviewChoice::Interview {
            interview_key: interview_key.to_owned(),
        },
        trigger_stage_ids: vec![job.stages[1].id.into()],
        review_required: true,
        move_to_stage_id: None,
        move_min_score: None,
        note_policy: desk_domain::NotePolicy::Everything,
    }
}

#[tokio::test]
async fn a_review_draft_is_kept_until_the_review_is_decided() {
    let (app, dir) = open().await;
    let interview = app.interviews().await.unwrap()[0].key.clone();
    let zoe = application(&app, "Zoë").await;
    app.send(&[zoe], &interview, &|_| {}).await.unwrap();
    let invitation = complete_latest(&app, zoe).await;
    assert_eq!(app.review_detail(invitation).await.unwrap().draft, None);

    let draft = ReviewInput {
        rating: Some(4),
        comment: Some("Strong on support stories.".into()),
        ..ReviewInput::default()
    };
    app.save_draft(invitation, &draft).await.unwrap();
    assert_eq!(
        app.review_detail(invitation).await.unwrap().draft,
        Some(draft.clone())
    );

    // Leaving the app loses nothing either: the draft is in the database.
    app.shutdown().await;
    drop(app);
    let app = App::open_sandbox(dir.path(), SandboxConfig::for_tests(), Schedule::default())
        .await
        .unwrap();
    assert_eq!(
        app.review_detail(invitation).await.unwrap().draft,
        Some(draft.clone())
    );

    let too_long = ReviewInput {
        comment: Some("x".repeat(10_001)),
        ..ReviewInput::default()
    };
    assert_eq!(
        app.save_draft(invitation, &too_long)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Validation
    );
    assert_eq!(
        app.save_draft(999_999, &draft).await.unwrap_err().code,
        ErrorCode::NotFound,
        "no draft for an interview that is not there"
    );
    assert_eq!(
        app.review_detail(invitation).await.unwrap().draft,
        Some(draft.clone())
    );

    app.approve(invitation, draft).await.unwrap();
    assert_eq!(
        app.review_detail(invitation).await.unwrap().draft,
        None,
        "the decision replaces the draft"
    );
    app.save_draft(invitation, &ReviewInput::default())
        .await
        .unwrap();
    app.discard_draft(invitation).await.unwrap();
    assert_eq!(app.review_detail(invitation).await.unwrap().draft, None);
    app.shutdown().await;
}

#[tokio::test]
async fn the_interview_offered_first_is_the_jobs_own_or_none() {
    let (app, _dir) = open().await;
    let interviews = app.interviews().await.unwrap();
    let jobs = app.automations().await.unwrap();
    assert!(
        jobs.iter().all(|j| j.suggested_interview_key.is_none()),
        "nothing sent and no automation: the recruiter must choose"
    );
    let rows = app
        .candidates(&CandidateQuery {
            limit: 100,
            ..CandidateQuery::default()
        })
        .await
        .unwrap()
        .rows;
    let (first_job, other_job) = (jobs[0].job_id, jobs[1].job_id);
    let of_job = |job: u32| -> Vec<u32> {
        rows.iter()
            .filter(|r| r.job_id == job)
            .map(|r| r.application_id)
            .collect()
    };
    assert_eq!(
        app.suggested_interview(&of_job(first_job)).await.unwrap(),
        None
    );

    // The last interview sent for a job is offered for it, and only for it.
    let sent = interviews.last().unwrap().key.clone();
    let zoe = application(&app, "Zoë").await;
    let zoe_job = rows
        .iter()
        .find(|r| r.application_id == zoe)
        .unwrap()
        .job_id;
    app.send(&[zoe], &sent, &|_| {}).await.unwrap();
    let others: Vec<u32> = of_job(zoe_job).into_iter().filter(|&a| a != zoe).collect();
    assert_eq!(
        app.suggested_interview(&others).await.unwrap(),
        Some(sent.clone())
    );
    let not_zoes_job = if zoe_job == first_job {
        other_job
    } else {
        first_job
    };
    let mixed: Vec<u32> = others.iter().copied().chain(of_job(not_zoes_job)).collect();
    assert_eq!(
        app.suggested_interview(&mixed).await.unwrap(),
        None,
        "candidates of two jobs that disagree get no default"
    );

    // An automation's interview wins over the last one sent.
    let automated = interviews[0].key.clone();
    let job = jobs.iter().find(|j| j.job_id == zoe_job).unwrap();
    app.set_automation(&automation(job, &automated))
        .await
        .unwrap();
    assert_eq!(
        app.suggested_interview(&others).await.unwrap(),
        Some(automated.clone())
    );
    let view = app.automations().await.unwrap();
    let view = view.iter().find(|j| j.job_id == zoe_job).unwrap();
    assert_eq!(view.suggested_interview_key, Some(automated));
    app.shutdown().await;
}

#[tokio::test]
async fn the_list_sorts_by_each_column_and_pages_keep_the_order() {
    let (app, _dir) = open().await;
    let sorted = |sort: CandidateSort, descending: bool, offset: u32, limit: u32| {
        let app = &app;
        async move {
            app.candidates(&CandidateQuery {
                sort: Some(sort),
                descending,
                offset,
                limit,
                ..CandidateQuery::default()
            })
            .await
            .unwrap()
            .rows
        }
    };
    let by_name = sorted(CandidateSort::Name, false, 0, 100).await;
    let names: Vec<String> = by_name.iter().map(|r| r.name.to_lowercase()).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
    let reversed = sorted(CandidateSort::Name, true, 0, 100).await;
    assert_eq!(
        reversed.first().unwrap().name.to_lowercase(),
        names.last().unwrap().clone()
    );
    // A later page continues the same order.
    let head = sorted(CandidateSort::Name, false, 0, 10).await;
    let next = sorted(CandidateSort::Name, false, 10, 10).await;
    let paged: Vec<u32> = head.iter().chain(&next).map(|r| r.application_id).collect();
    let whole: Vec<u32> = by_name.iter().take(20).map(|r| r.application_id).collect();
    assert_eq!(paged, whole);

    let by_job = sorted(CandidateSort::Job, false, 0, 100).await;
    assert!(by_job
        .windows(2)
        .all(|w| w[0].job_title.to_lowercase() <= w[1].job_title.to_lowercase()));

    // Sending to one makes it the most recent activity and moves its status along.
    let interview = app.interviews().await.unwrap()[0].key.clone();
    let zoe = application(&app, "Zoë").await;
    app.send(&[zoe], &interview, &|_| {}).await.unwrap();
    let latest = sorted(CandidateSort::Activity, true, 0, 1).await;
    assert_eq!(latest[0].application_id, zoe);
    let by_status = sorted(CandidateSort::Status, true, 0, 1).await;
    assert_eq!(
        by_status[0].application_id, zoe,
        "invited sorts after not sent"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_phone_read_in_the_default_region_is_reported_as_assumed() {
    let (app, _dir) = open().await;
    // A London number written as Londoners do; the demo's own national numbers are from
    // ranges no real plan holds, so they are refused rather than assumed.
    app.sandbox().unwrap().ats.with_data(|d| {
        let zoe = d
            .candidates
            .iter_mut()
            .find(|c| c.first_name == "Zoë")
            .unwrap();
        zoe.phones = vec!["020 7946 0958".into()];
    });
    app.sync_ats().await.unwrap();
    let interview = app.interviews().await.unwrap()[0].key.clone();
    let rows = app
        .candidates(&CandidateQuery {
            limit: 100,
            ..CandidateQuery::default()
        })
        .await
        .unwrap()
        .rows;
    let ids: Vec<u32> = rows.iter().map(|r| r.application_id).collect();
    let report = app.pre_send(&ids, &interview).await.unwrap();
    let row_with = |phone: &str| {
        let id = rows
            .iter()
            .find(|r| r.phone.as_deref() == Some(phone))
            .unwrap_or_else(|| panic!("the demo data has {phone}"))
            .application_id;
        report.iter().find(|r| r.application_id == id).unwrap()
    };
    let national = row_with("020 7946 0958");
    assert!(national.will_send, "{:?}", national.refusals);
    assert_eq!(national.phone.as_deref(), Some("+442079460958"));
    assert_eq!(
        national.phone_assumed_region.as_deref(),
        Some("GB"),
        "read as British"
    );
    for own_country in ["0039 333 1234567", "+1 415 555 2671"] {
        let row = row_with(own_country);
        assert!(row.will_send, "{own_country}");
        assert_eq!(
            row.phone_assumed_region, None,
            "{own_country} says its country"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn the_timeline_names_the_interview_and_pausing_names_the_job() {
    let (app, _dir) = open().await;
    let interview = app.interviews().await.unwrap()[0].clone();
    let zoe = application(&app, "Zoë").await;
    app.send(&[zoe], &interview.key, &|_| {}).await.unwrap();
    let labels: Vec<String> = app
        .timeline(zoe)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.label)
        .collect();
    assert!(
        labels.contains(&format!("Invited to {}", interview.title)),
        "{labels:?}"
    );

    let job = &app.automations().await.unwrap()[0];
    app.set_automation(&automation(job, &interview.key))
        .await
        .unwrap();
    app.pause_automation(job.job_id, true).await.unwrap();
    let activity = app
        .activity(&desk_app::ipc::ActivityQuery::default())
        .await
        .unwrap();
    let paused = activity
        .iter()
        .find(|a| a.kind == "automation_paused")
        .unwrap();
    assert_eq!(
        paused.message,
        format!("Automation for “{}” paused", job.job_title)
    );
    app.shutdown().await;
}
