//! What several app tests do the same way in sandbox mode: a quick schedule, find a candidate,
//! wait for a status, and complete an interview in the simulated Willo.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // shared by several test files

use std::time::Duration;

use desk_app::ipc::CandidateQuery;
use desk_app::App;
use desk_engine::Schedule;
use desk_sandbox::willo::model::ParticipantStatus;

/// A quick loop for tests: the real schedule works in minutes.
pub fn fast() -> Schedule {
    Schedule {
        tick: Duration::from_millis(50),
        reconcile_every: Duration::from_secs(60),
        ..Schedule::default()
    }
}

/// The first 100 rows of the list, searched for `search` when given.
pub fn query(search: Option<&str>) -> CandidateQuery {
    CandidateQuery {
        search: search.map(Into::into),
        limit: 100,
        ..CandidateQuery::default()
    }
}

/// The one application the search `name` finds.
pub async fn application(app: &App, name: &str) -> u32 {
    let page = app.candidates(&query(Some(name))).await.unwrap();
    assert_eq!(page.rows.len(), 1, "one {name}");
    page.rows[0].application_id
}

/// Waits (10 s at most) for the list to show `status` for the application.
pub async fn wait_for_status(app: &App, application_id: u32, status: &str) {
    for _ in 0..200 {
        let rows = app.candidates(&query(None)).await.unwrap().rows;
        if rows
            .iter()
            .any(|r| r.application_id == application_id && r.status.as_str() == status)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("application {application_id} never became {status}");
}

/// The application's latest invitation and the key of its Willo participant.
pub async fn latest_invitation(app: &App, application_id: u32) -> (u32, String) {
    let invitation = app
        .candidates(&query(None))
        .await
        .unwrap()
        .rows
        .into_iter()
        .find(|r| r.application_id == application_id)
        .and_then(|r| r.invitation_id)
        .expect("the application has an invitation");
    let key = app
        .engine()
        .store()
        .invitation(invitation.into())
        .await
        .unwrap()
        .participant_key
        .expect("the invitation reached Willo");
    (invitation, key)
}

/// Has the simulated candidate complete the application's latest invitation, and waits until
/// the app knows. Returns the invitation.
pub async fn complete_latest(app: &App, application_id: u32) -> u32 {
    let (invitation, key) = latest_invitation(app, application_id).await;
    app.sandbox()
        .unwrap()
        .willo
        .advance(&key, Some(ParticipantStatus::Completed))
        .unwrap();
    wait_for_status(app, application_id, "completed").await;
    invitation
}
