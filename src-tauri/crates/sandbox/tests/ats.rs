//! The simulated ATS over real HTTP: Lever's dialect, Greenhouse's writes, and test-driven stage
//! moves. (Greenhouse reads are covered by desk-ats's connector tests against this simulator.)

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use axum::http::StatusCode;
use desk_sandbox::{AtsSettings, Sandbox, SandboxConfig, LEVER_API_KEY};
use reqwest::Client;
use serde_json::{json, Value};

async fn start() -> Sandbox {
    Sandbox::start(SandboxConfig::for_tests()).await.unwrap()
}

fn lever(sb: &Sandbox, path: &str) -> reqwest::RequestBuilder {
    Client::new()
        .get(format!("{}{path}", sb.info.lever_base_url))
        .basic_auth(LEVER_API_KEY, Some(""))
}

async fn lever_json(sb: &Sandbox, path: &str) -> Value {
    let response = lever(sb, path).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.json().await.unwrap()
}

async fn writes(sb: &Sandbox, query: &str) -> Vec<Value> {
    Client::new()
        .get(format!("{}/ats/writes{query}", sb.info.admin_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn greenhouse_token(sb: &Sandbox, sub: Option<&str>) -> String {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(sub) = sub {
        form.push(("sub", sub));
    }
    let token: Value = Client::new()
        .post(&sb.info.greenhouse_token_url)
        .basic_auth(
            &sb.info.greenhouse_client_id,
            Some(&sb.info.greenhouse_client_secret),
        )
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn lever_wants_its_api_key_as_basic_auth() {
    let sb = start().await;
    assert_eq!(
        lever(&sb, "/postings").send().await.unwrap().status(),
        StatusCode::OK
    );
    let wrong = Client::new()
        .get(format!("{}/postings", sb.info.lever_base_url))
        .basic_auth("nope", Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn lever_pages_with_next_and_has_next() {
    let sb = start().await;
    let mut offset: Option<String> = None;
    let mut seen = 0;
    let mut pages = 0;
    loop {
        let path = match &offset {
            Some(token) => format!("/opportunities?limit=15&offset={token}"),
            None => "/opportunities?limit=15".to_owned(),
        };
        let page = lever_json(&sb, &path).await;
        seen += page["data"].as_array().unwrap().len();
        pages += 1;
        if page["hasNext"] == false {
            assert!(page.get("next").is_none());
            break;
        }
        offset = Some(page["next"].as_str().unwrap().to_owned());
    }
    assert_eq!((seen, pages), (41, 3));
}

#[tokio::test]
async fn lever_filters_opportunities_by_stage_on_the_server() {
    let sb = start().await;
    let stages = lever_json(&sb, "/stages").await;
    let screening = stages["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["text"] == "Screening")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let in_screening = lever_json(&sb, &format!("/opportunities?stage_id={screening}")).await;
    let opportunities = in_screening["data"].as_array().unwrap();
    assert_eq!(opportunities.len(), 8);
    assert!(opportunities
        .iter()
        .all(|o| o["stage"] == screening.as_str()));
    let posting = lever_json(&sb, "/postings").await["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let both = lever_json(
        &sb,
        &format!("/opportunities?stage_id={screening}&posting_id={posting}"),
    )
    .await;
    assert_eq!(
        both["data"].as_array().unwrap().len(),
        3,
        "stage and posting filters combine"
    );
    let by_email = lever_json(&sb, "/opportunities?email=MARIA.GARCIA@example.com").await;
    assert_eq!(
        by_email["data"].as_array().unwrap().len(),
        2,
        "the candidate who applied twice has two opportunities"
    );
}

#[tokio::test]
async fn lever_notes_and_stage_changes_are_recorded_with_perform_as() {
    let sb = start().await;
    let user = lever_json(&sb, "/users").await["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let opportunity = lever_json(&sb, "/opportunities?limit=1").await["data"][0].clone();
    let id = opportunity["id"].as_str().unwrap();
    let client = Client::new();
    let note = client
        .post(format!(
            "{}/opportunities/{id}/notes?perform_as={user}",
            sb.info.lever_base_url
        ))
        .basic_auth(LEVER_API_KEY, Some(""))
        .json(&json!({"value": "Willo interview completed", "secret": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(note.status(), StatusCode::CREATED);
    assert!(note.json::<Value>().await.unwrap()["data"]["noteId"].is_string());

    let stages = lever_json(&sb, "/stages").await;
    let phone = stages["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["text"] == "Phone Interview")
        .unwrap()["id"]
        .clone();
    let moved = client
        .put(format!(
            "{}/opportunities/{id}/stage?perform_as={user}",
            sb.info.lever_base_url
        ))
        .basic_auth(LEVER_API_KEY, Some(""))
        .json(&json!({"stage": phone}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::OK);
    assert_eq!(moved.json::<Value>().await.unwrap()["data"]["stage"], phone);

    let bad_actor = client
        .post(format!(
            "{}/opportunities/{id}/notes?perform_as=someone",
            sb.info.lever_base_url
        ))
        .basic_auth(LEVER_API_KEY, Some(""))
        .json(&json!({"value": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_actor.status(), StatusCode::BAD_REQUEST);

    let recorded = writes(&sb, "?ats=lever").await;
    assert_eq!(recorded.len(), 2, "the refused note was not recorded");
    assert_eq!(recorded[0]["kind"], "note");
    assert_eq!(recorded[0]["actor"], user.as_str());
    assert_eq!(recorded[0]["body"]["secret"], true);
    assert_eq!(recorded[1]["kind"], "move");
    let notes = lever_json(&sb, &format!("/opportunities/{id}/notes")).await;
    assert_eq!(
        notes["data"][0]["text"], "Willo interview completed",
        "notes can be read back (to check before retrying)"
    );
}

#[tokio::test]
async fn lever_deletes_a_note_or_file_once_and_then_answers_404() {
    let sb = start().await;
    let user = lever_json(&sb, "/users").await["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = lever_json(&sb, "/opportunities?limit=1").await["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let base = format!("{}/opportunities/{id}", sb.info.lever_base_url);
    let client = Client::new();
    let note: Value = client
        .post(format!("{base}/notes?perform_as={user}"))
        .basic_auth(LEVER_API_KEY, Some(""))
        .json(&json!({"value": "Q1: Because.", "secret": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let note = note["data"]["noteId"].as_str().unwrap();
    // An upload, recorded directly (this crate's reqwest has no multipart): the opportunity
    // listed first is the dataset's first application.
    sb.ats.with_data(|d| {
        let app = d.applications[0].id;
        d.record(
            "lever",
            "file",
            app,
            None,
            json!({"filename": "transcript.txt"}),
        )
    });
    let files = lever_json(&sb, &format!("/opportunities/{id}/files")).await;
    let file = files["data"][0]["id"].as_str().unwrap().to_owned();
    let delete = |path: String| {
        client
            .delete(format!("{base}{path}?perform_as={user}"))
            .basic_auth(LEVER_API_KEY, Some(""))
            .send()
    };

    let wrong_kind = delete(format!("/files/{note}")).await.unwrap();
    assert_eq!(
        wrong_kind.status(),
        StatusCode::NOT_FOUND,
        "a note is not a file"
    );
    let deleted = delete(format!("/notes/{note}")).await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let notes = lever_json(&sb, &format!("/opportunities/{id}/notes")).await;
    assert_eq!(notes["data"], json!([]), "the note is no longer listed");
    let again = delete(format!("/notes/{note}")).await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        again.json::<Value>().await.unwrap()["code"],
        "ResourceNotFound"
    );

    assert_eq!(
        delete(format!("/files/{file}")).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let files = lever_json(&sb, &format!("/opportunities/{id}/files")).await;
    assert_eq!(files["data"], json!([]), "the file is no longer listed");
    assert_eq!(
        delete(format!("/files/{file}")).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert!(
        writes(&sb, "?ats=lever").await.is_empty(),
        "the admin API no longer shows them"
    );
}

#[tokio::test]
async fn lever_throttles_without_retry_after() {
    let mut config = SandboxConfig::for_tests();
    config.ats = AtsSettings {
        lever_limit_per_second: 2,
        ..config.ats
    };
    let sb = Sandbox::start(config).await.unwrap();
    let mut last = None;
    for _ in 0..3 {
        last = Some(lever(&sb, "/stages").send().await.unwrap());
    }
    let last = last.unwrap();
    assert_eq!(last.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        last.headers().get("retry-after").is_none(),
        "Lever is reported to send no Retry-After"
    );
}

#[tokio::test]
async fn greenhouse_notes_attachments_and_moves_are_recorded_as_the_acting_user() {
    let sb = start().await;
    let token = greenhouse_token(&sb, Some("501")).await;
    let base = &sb.info.greenhouse_base_url;
    let client = Client::new();
    let note = client
        .post(format!("{base}/notes"))
        .bearer_auth(&token)
        .json(&json!({"application_id": 9001, "body": "<p>Willo: completed</p>", "visibility": "admin_only"}))
        .send()
        .await
        .unwrap();
    assert_eq!(note.status(), StatusCode::CREATED);
    let attachment = client
        .post(format!("{base}/attachments"))
        .bearer_auth(&token)
        .json(&json!({"application_id": 9001, "filename": "transcript.txt", "type": "other", "url": "http://127.0.0.1/t.txt"}))
        .send()
        .await
        .unwrap();
    assert_eq!(attachment.status(), StatusCode::CREATED);
    let wrong_from = client
        .post(format!("{base}/applications/9001/move"))
        .bearer_auth(&token)
        .json(&json!({"from_stage_id": 400100, "to_stage_id": 400102}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        wrong_from.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "9001 is in Screening, not Application Review"
    );
    let moved = client
        .post(format!("{base}/applications/9001/move"))
        .bearer_auth(&token)
        .json(&json!({"from_stage_id": 400101, "to_stage_id": 400102}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::OK);
    let app: Value = client
        .get(format!("{base}/applications/9001"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(app["current_stage"]["name"], "Phone Interview");

    let recorded = writes(&sb, "?ats=greenhouse").await;
    let kinds: Vec<&str> = recorded
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["note", "attachment", "move"]);
    assert!(
        recorded.iter().all(|w| w["actor"] == "501"),
        "writes are attributed to the token's sub"
    );
    let notes: Vec<Value> = client
        .get(format!("{base}/notes?candidate_ids=7001"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["body"], "<p>Willo: completed</p>");
}

#[tokio::test]
async fn greenhouse_refuses_bad_writes_without_recording_them() {
    let sb = start().await;
    let token = greenhouse_token(&sb, None).await;
    let base = &sb.info.greenhouse_base_url;
    let client = Client::new();
    for (path, body) in [
        ("notes", json!({"application_id": 9001, "body": "  "})),
        ("notes", json!({"application_id": 1, "body": "x"})),
        (
            "notes",
            json!({"application_id": 9001, "body": "x", "visibility": "everyone"}),
        ),
        (
            "attachments",
            json!({"application_id": 9001, "filename": "a.txt"}),
        ),
        (
            "attachments",
            json!({"application_id": 9001, "filename": "a.txt", "content": "%%%"}),
        ),
    ] {
        let response = client
            .post(format!("{base}/{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {body}"
        );
    }
    assert!(writes(&sb, "").await.is_empty());
    let no_token = client.get(format!("{base}/jobs")).send().await.unwrap();
    assert_eq!(no_token.status(), StatusCode::UNAUTHORIZED);
    let unknown_sub = Client::new()
        .post(&sb.info.greenhouse_token_url)
        .basic_auth(
            &sb.info.greenhouse_client_id,
            Some(&sb.info.greenhouse_client_secret),
        )
        .form(&[("grant_type", "client_credentials"), ("sub", "999")])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_sub.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_test_can_move_candidates_between_stages() {
    let sb = start().await;
    let client = Client::new();
    let moved = client
        .post(format!("{}/ats/applications/9002/move", sb.info.admin_url))
        .json(&json!({"stage": "Screening"}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::OK);
    assert_eq!(sb.ats.with_data(|d| d.application(9002).unwrap().stage), 1);
    let refused = client
        .post(format!("{}/ats/applications/9002/move", sb.info.admin_url))
        .json(&json!({"stage": "Technical Interview"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        StatusCode::BAD_REQUEST,
        "job 4001 has no technical interview"
    );

    let advanced: Value = client
        .post(format!("{}/ats/advance-one", sb.info.admin_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = advanced["application_id"].as_u64().unwrap();
    assert_eq!(
        sb.ats.with_data(|d| d.application(id).unwrap().stage),
        1,
        "the oldest new applicant reached Screening"
    );
}

#[tokio::test]
async fn a_test_can_rename_a_candidate_and_the_ats_shows_the_name_as_given() {
    let sb = start().await;
    let rename = |id: u64| {
        Client::new()
            .put(format!("{}/ats/candidates/{id}/name", sb.info.admin_url))
            .json(&json!({"first_name": "<b>José</b>", "last_name": "Álvarez & Co"}))
            .send()
    };
    assert_eq!(rename(7003).await.unwrap().status(), StatusCode::NO_CONTENT);
    let candidate = sb.ats.with_data(|d| d.candidate(7003).cloned().unwrap());
    assert_eq!(
        (candidate.first_name.as_str(), candidate.last_name.as_str()),
        ("<b>José</b>", "Álvarez & Co")
    );
    assert_eq!(
        rename(1).await.unwrap().status(),
        StatusCode::BAD_REQUEST,
        "no such candidate"
    );
}

#[tokio::test]
async fn applicants_reach_screening_on_a_timer_when_asked() {
    let mut config = SandboxConfig::for_tests();
    config.ats_advance_every = Some(std::time::Duration::from_millis(30));
    let sb = Sandbox::start(config).await.unwrap();
    let in_screening = || {
        sb.ats
            .with_data(|d| d.applications.iter().filter(|a| a.stage == 1).count())
    };
    let before = in_screening();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(in_screening() > before, "the timer moved applicants on");
}

#[tokio::test]
async fn greenhouse_pages_are_linked_by_cursor_in_the_link_header() {
    let sb = start().await;
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(&sb.info.greenhouse_token_url)
        .basic_auth(
            &sb.info.greenhouse_client_id,
            Some(&sb.info.greenhouse_client_secret),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = token["access_token"].as_str().unwrap();
    let mut url = format!("{}/applications?per_page=10", sb.info.greenhouse_base_url);
    let mut seen = 0;
    let mut pages = 0;
    loop {
        let response = http.get(&url).bearer_auth(bearer).send().await.unwrap();
        let link = response
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_owned());
        let page: Vec<serde_json::Value> = response.json().await.unwrap();
        seen += page.len();
        pages += 1;
        match link {
            Some(link) => {
                url = link
                    .split(';')
                    .next()
                    .unwrap()
                    .trim_matches(['<', '>'])
                    .to_owned()
            }
            None => break,
        }
    }
    assert_eq!((seen, pages), (41, 5), "41 applications in pages of 10");

    let mixed = http
        .get(format!(
            "{}/applications?cursor=abc&per_page=5",
            sb.info.greenhouse_base_url
        ))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(
        mixed.status(),
        422,
        "a cursor cannot be mixed with other parameters"
    );
}
