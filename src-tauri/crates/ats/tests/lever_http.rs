//! The Lever connector against wiremock with fixtures in Lever's documented shapes: every call,
//! and every way a call can fail.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::time::Duration;

use desk_ats::lever::{Lever, LeverConfig};
use desk_ats::{Application, AtsConnector, AtsError, FileSource, NewAttachment, NewNote, Removal};
use desk_domain::Sensitive;
use http::HeaderMap;
use serde_json::{json, Value};
use wiremock::matchers::{
    body_partial_json, body_string_contains, header, method, path, query_param,
    query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "lever-key";

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/lever/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn connector(server: &MockServer) -> Lever {
    Lever::new(
        reqwest::Client::builder()
            .timeout(Duration::from_millis(800))
            .build()
            .unwrap(),
        LeverConfig {
            base_url: format!("{}/v1", server.uri()),
            api_key: Sensitive::from(KEY),
            acting_user: Some("user-1".into()),
            per_second: 1_000,
        },
    )
}

async fn get(server: &MockServer, route: &str, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(format!("/v1{route}")))
        .respond_with(response)
        .mount(server)
        .await;
}

fn opportunity(id: &str) -> Application {
    Application {
        id: id.into(),
        candidate_id: "contact-1".into(),
        job_id: "posting".into(),
        stage_id: Some("stage-screen".into()),
        status: "active".into(),
        raw: json!({}),
    }
}

#[tokio::test]
async fn every_read_uses_basic_auth_and_follows_next() {
    let server = MockServer::start().await;
    // "lever-key:" in base64.
    let basic = "Basic bGV2ZXIta2V5Og==";
    Mock::given(method("GET"))
        .and(path("/v1/opportunities"))
        .and(query_param("offset", "b2Zmc2V0LTE="))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("opportunities_page2")))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/opportunities"))
        .and(header("authorization", basic))
        .and(query_param_is_missing("offset"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("opportunities_page1")))
        .with_priority(2)
        .mount(&server)
        .await;
    get(
        &server,
        "/postings",
        ResponseTemplate::new(200).set_body_json(fixture("postings")),
    )
    .await;
    get(
        &server,
        "/stages",
        ResponseTemplate::new(200).set_body_json(fixture("stages")),
    )
    .await;
    get(
        &server,
        "/users",
        ResponseTemplate::new(200).set_body_json(fixture("users")),
    )
    .await;

    let lever = connector(&server);
    assert_eq!(lever.users().await.unwrap()[0].id, "user-1");
    let jobs = lever.jobs().await.unwrap();
    assert_eq!(
        (jobs[0].title.as_str(), jobs[0].location.as_deref()),
        ("Backend Engineer", Some("Remote (EU)"))
    );
    let stages = lever.stages(&jobs).await.unwrap();
    assert!(
        stages.iter().all(|s| s.job_id.is_none()),
        "Lever's stages are account-wide"
    );
    let apps = lever.applications(&jobs, None).await.unwrap();
    assert_eq!(
        apps.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["opp-1", "opp-2"],
        "two pages; the archived one left out"
    );
    assert_eq!(
        apps[1].stage_id.as_deref(),
        Some("lead-new"),
        "an expanded stage object is read too"
    );
    let candidates = lever.candidates(&apps).await.unwrap();
    assert_eq!(
        (
            candidates[0].first_name.as_str(),
            candidates[0].last_name.as_str()
        ),
        ("Priya", "Sharma")
    );
    assert_eq!(candidates[0].phones, ["+91 98765 43210"]);
}

#[tokio::test]
async fn the_stage_filter_is_sent_to_the_server() {
    let server = MockServer::start().await;
    get(
        &server,
        "/postings",
        ResponseTemplate::new(200).set_body_json(fixture("postings")),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/v1/opportunities"))
        .and(query_param(
            "posting_id",
            "00000001-0000-4000-8000-000000000fa1",
        ))
        .and(query_param("stage_id", "stage-screen"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": [fixture("opportunities_page1")["data"][0]], "hasNext": false}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let lever = connector(&server);
    let jobs = lever.jobs().await.unwrap();
    assert_eq!(
        lever
            .applications(&jobs, Some(&["stage-screen".to_owned()]))
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn every_write_names_perform_as() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/v1/opportunities/opp-1/stage"))
        .and(query_param("perform_as", "user-1"))
        .and(body_partial_json(json!({"stage": "stage-onsite"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/opportunities/opp-1/notes"))
        .and(query_param("perform_as", "user-1"))
        .and(body_partial_json(json!({"value": "Done.", "secret": true})))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"data": {"noteId": "note-9"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/opportunities/opp-1/addLinks"))
        .and(body_partial_json(json!({"links": ["https://x/a"]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/opportunities/opp-1/files"))
        .and(body_string_contains("filename=\"t.txt\""))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"data": {"id": "file-1"}})))
        .expect(1)
        .mount(&server)
        .await;
    get(
        &server,
        "/opportunities/opp-1/notes",
        ResponseTemplate::new(200).set_body_json(fixture("notes")),
    )
    .await;

    let lever = connector(&server);
    let opp = opportunity("opp-1");
    lever
        .move_application(opp.reference(), "stage-onsite")
        .await
        .unwrap();
    assert_eq!(
        lever
            .add_note(
                opp.reference(),
                &NewNote {
                    text: "Done.".into(),
                    html: None
                }
            )
            .await
            .unwrap(),
        "note-9"
    );
    lever
        .add_attachment(
            opp.reference(),
            &NewAttachment {
                filename: "a".into(),
                source: FileSource::Url("https://x/a".into()),
            },
        )
        .await
        .unwrap();
    let file = NewAttachment {
        filename: "t.txt".into(),
        source: FileSource::Bytes {
            data: b"hi".to_vec(),
            content_type: "text/plain".into(),
        },
    };
    assert_eq!(
        lever.add_attachment(opp.reference(), &file).await.unwrap(),
        "file-1"
    );
    assert_eq!(
        lever
            .find_note(
                opp.reference(),
                "willo-desk:0123456789abcdef0123456789abcdef:1"
            )
            .await
            .unwrap()
            .as_deref(),
        Some("note-2")
    );
    assert!(matches!(
        lever.set_field(opp.reference(), "x", "y").await,
        Err(AtsError::Unsupported(_))
    ));
}

#[tokio::test]
async fn each_error_status_is_typed() {
    type Check = fn(&AtsError) -> bool;
    let cases: Vec<(u16, Check)> = vec![
        (401, |e| matches!(e, AtsError::Unauthorized)),
        (403, |e| matches!(e, AtsError::Forbidden(_))),
        (404, |e| matches!(e, AtsError::NotFound)),
        (422, |e| matches!(e, AtsError::Rejected { status: 422, .. })),
        (
            400,
            |e| matches!(e, AtsError::Rejected { status: 400, message } if message.contains("value")),
        ),
        (503, |e| matches!(e, AtsError::Server { status: 503 })),
    ];
    for (status, check) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/opportunities/opp-1/notes"))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_json(json!({"code": "X", "message": "value is required"})),
            )
            .mount(&server)
            .await;
        let error = connector(&server)
            .add_note(
                opportunity("opp-1").reference(),
                &NewNote {
                    text: "x".into(),
                    html: None,
                },
            )
            .await
            .unwrap_err();
        assert!(check(&error), "{status}: {error:?}");
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1,
            "{status}: a note is never re-posted blind"
        );
    }
}

#[tokio::test]
async fn a_429_without_retry_after_is_retried_with_backoff() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/postings"))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({"code": "TooManyRequests"})))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    get(
        &server,
        "/postings",
        ResponseTemplate::new(200).set_body_json(fixture("postings")),
    )
    .await;
    assert_eq!(connector(&server).jobs().await.unwrap().len(), 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_429_with_retry_after_honours_it_and_a_lasting_one_is_reported() {
    let server = MockServer::start().await;
    get(
        &server,
        "/postings",
        ResponseTemplate::new(429).insert_header("Retry-After", "0"),
    )
    .await;
    assert!(matches!(
        connector(&server).jobs().await,
        Err(AtsError::RateLimited {
            retry_after: Some(_)
        })
    ));
}

#[tokio::test]
async fn malformed_bodies_and_timeouts_are_typed() {
    let server = MockServer::start().await;
    get(
        &server,
        "/postings",
        ResponseTemplate::new(200).set_body_raw("{\"data\": [", "application/json"),
    )
    .await;
    get(
        &server,
        "/stages",
        ResponseTemplate::new(200).set_body_json(json!({"data": "not a list"})),
    )
    .await;
    get(
        &server,
        "/users",
        ResponseTemplate::new(200)
            .set_delay(Duration::from_secs(3))
            .set_body_json(fixture("users")),
    )
    .await;
    let lever = connector(&server);
    assert!(matches!(lever.jobs().await, Err(AtsError::Decode { .. })));
    assert!(
        matches!(lever.stages(&[]).await, Err(AtsError::Decode { path, .. }) if path == "data")
    );
    assert!(matches!(lever.users().await, Err(AtsError::Transport(_))));
}

#[tokio::test]
async fn webhook_signatures_over_token_and_triggered_at_are_verified() {
    let server = MockServer::start().await;
    let lever = connector(&server);
    let secret = "signature-token";
    let mut payload = fixture("stage_change_webhook");
    let signed = {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(
            format!(
                "{}{}",
                payload["token"].as_str().unwrap(),
                payload["triggeredAt"]
            )
            .as_bytes(),
        );
        hex::encode(mac.finalize().into_bytes())
    };
    payload["signature"] = json!(signed);
    let body = serde_json::to_vec(&payload).unwrap();
    let change = lever
        .verify_webhook(&HeaderMap::new(), &body, secret)
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            change.application_id.as_str(),
            change.to_stage_id.as_deref()
        ),
        ("opp-2", Some("stage-screen"))
    );

    assert!(matches!(
        lever.verify_webhook(&HeaderMap::new(), &body, "wrong"),
        Err(AtsError::BadSignature)
    ));
    let mut forged = payload.clone();
    forged["signature"] = json!("00".repeat(32));
    assert!(matches!(
        lever.verify_webhook(
            &HeaderMap::new(),
            &serde_json::to_vec(&forged).unwrap(),
            secret
        ),
        Err(AtsError::BadSignature)
    ));
    let mut other = payload.clone();
    other["event"] = json!("applicationCreated");
    assert_eq!(
        lever
            .verify_webhook(
                &HeaderMap::new(),
                &serde_json::to_vec(&other).unwrap(),
                secret
            )
            .unwrap(),
        None,
        "verified, but not a stage change"
    );
    assert!(matches!(
        lever.verify_webhook(&HeaderMap::new(), b"not json", secret),
        Err(AtsError::BadSignature)
    ));
}

#[tokio::test]
async fn an_uploaded_file_is_found_by_its_name() {
    let server = MockServer::start().await;
    get(&server, "/opportunities/opp-1/files", ResponseTemplate::new(200).set_body_json(json!({"data": [{"id": "file-1", "name": "willo-transcripts-ab-r1.txt"}], "hasNext": false}))).await;
    let lever = connector(&server);
    assert_eq!(
        lever
            .find_attachment(
                opportunity("opp-1").reference(),
                "willo-transcripts-ab-r1.txt"
            )
            .await
            .unwrap()
            .as_deref(),
        Some("file-1")
    );
    assert_eq!(
        lever
            .find_attachment(opportunity("opp-1").reference(), "other.txt")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_marker_is_found_exactly_and_in_every_field_a_note_keeps_its_body_in() {
    let server = MockServer::start().await;
    get(
        &server,
        "/opportunities/opp-1/notes",
        ResponseTemplate::new(200).set_body_json(fixture("notes_fields")),
    )
    .await;
    let lever = connector(&server);
    let opp = opportunity("opp-1");
    let find = |revision: &str| {
        let marker = format!("willo-desk:0123456789abcdef0123456789abcdef:{revision}");
        let lever = &lever;
        let opp = &opp;
        async move { lever.find_note(opp.reference(), &marker).await.unwrap() }
    };
    assert_eq!(
        find("1").await.as_deref(),
        Some("note-4"),
        "revision 1 lives in fields[].value, and revision 10's note is not it"
    );
    assert_eq!(find("10").await.as_deref(), Some("note-3"));
    assert_eq!(find("2").await, None, "no note of revision 2");
}

/// Answers `DELETE /v1{route}` (with `perform_as`) with `response`, once.
/// Lever's list of an opportunity's notes or files, as the check after a 404 reads it.
async fn listed(server: &MockServer, route: &str, ids: &[&str]) {
    let data: Vec<serde_json::Value> = ids.iter().map(|id| json!({ "id": id })).collect();
    Mock::given(method("GET"))
        .and(path(format!("/v1{route}")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "data": data, "hasNext": false })),
        )
        .mount(server)
        .await;
}

async fn delete(server: &MockServer, route: &str, response: ResponseTemplate) {
    Mock::given(method("DELETE"))
        .and(path(format!("/v1{route}")))
        .and(query_param("perform_as", "user-1"))
        .and(header("authorization", "Basic bGV2ZXIta2V5Og=="))
        .respond_with(response)
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn removing_a_note_deletes_it_or_says_why_it_cannot() {
    let server = MockServer::start().await;
    let notes = "/opportunities/opp-1/notes";
    delete(
        &server,
        &format!("{notes}/note-1"),
        ResponseTemplate::new(204),
    )
    .await;
    delete(
        &server,
        &format!("{notes}/note-2"),
        ResponseTemplate::new(404).set_body_json(json!({"code": "ResourceNotFound"})),
    )
    .await;
    delete(
        &server,
        &format!("{notes}/note-3"),
        ResponseTemplate::new(405).set_body_json(json!({"code": "MethodNotAllowed"})),
    )
    .await;
    delete(
        &server,
        &format!("{notes}/note-4"),
        ResponseTemplate::new(403)
            .set_body_json(json!({"code": "Forbidden", "message": "notes:write is required"})),
    )
    .await;
    delete(
        &server,
        &format!("{notes}/note-5"),
        ResponseTemplate::new(404).set_body_json(json!({"code": "ResourceNotFound"})),
    )
    .await;
    // After a 404 the list says whether it is really gone: note-5 is still there.
    listed(&server, notes, &["note-1", "note-5"]).await;
    let lever = connector(&server);
    let opp = opportunity("opp-1");
    let remove = |id: &'static str| lever.remove_note(opp.reference(), id);
    assert_eq!(remove("note-1").await.unwrap(), Removal::Deleted);
    assert_eq!(remove("note-2").await.unwrap(), Removal::AlreadyGone);
    assert!(
        matches!(remove("note-3").await.unwrap(), Removal::ByHand { why } if why.contains("note")),
        "405: Lever's API does not delete it"
    );
    assert!(
        matches!(
            remove("note-4").await.unwrap(),
            Removal::ByHand { why } if why.contains("notes:write is required")
        ),
        "403: Lever's reason is passed on"
    );
    assert!(
        matches!(remove("note-5").await.unwrap(), Removal::ByHand { why } if why.contains("still lists it")),
        "a 404 for a note Lever still lists is not taken as deleted"
    );
}

#[tokio::test]
async fn removing_a_note_is_retried_through_server_errors_and_reports_a_lasting_rate_limit() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/opportunities/opp-1/notes/note-1"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    delete(
        &server,
        "/opportunities/opp-1/notes/note-1",
        ResponseTemplate::new(204),
    )
    .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/opportunities/opp-1/notes/note-2"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .mount(&server)
        .await;
    let lever = connector(&server);
    let opp = opportunity("opp-1");
    assert_eq!(
        lever.remove_note(opp.reference(), "note-1").await.unwrap(),
        Removal::Deleted,
        "a DELETE is safe to repeat"
    );
    assert!(matches!(
        lever.remove_note(opp.reference(), "note-2").await,
        Err(AtsError::RateLimited { .. })
    ));
}

#[tokio::test]
async fn removing_a_file_deletes_it_and_a_link_is_left_to_a_person() {
    let server = MockServer::start().await;
    let files = "/opportunities/opp-1/files";
    delete(
        &server,
        &format!("{files}/file-1"),
        ResponseTemplate::new(204),
    )
    .await;
    delete(
        &server,
        &format!("{files}/file-2"),
        ResponseTemplate::new(404).set_body_json(json!({"code": "ResourceNotFound"})),
    )
    .await;
    delete(
        &server,
        &format!("{files}/a%2Fb"),
        ResponseTemplate::new(204),
    )
    .await;
    listed(&server, files, &[]).await;
    let lever = connector(&server);
    let opp = opportunity("opp-1");
    let remove = |id: &'static str| lever.remove_attachment(opp.reference(), id);
    assert_eq!(remove("file-1").await.unwrap(), Removal::Deleted);
    assert_eq!(remove("file-2").await.unwrap(), Removal::AlreadyGone);
    assert_eq!(
        remove("a/b").await.unwrap(),
        Removal::Deleted,
        "an id stays one path segment"
    );
    assert!(matches!(
        remove("https://x/a").await.unwrap(),
        Removal::ByHand { .. }
    ));
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        4,
        "three deletes and the list after the 404; nothing is sent for a link"
    );
}

#[test]
fn the_record_url_opens_the_candidate_in_lever() {
    let lever = Lever::new(
        reqwest::Client::new(),
        LeverConfig {
            base_url: "https://api.lever.co/v1".into(),
            api_key: Sensitive::from(KEY),
            acting_user: None,
            per_second: 1,
        },
    );
    assert_eq!(
        lever
            .record_url(opportunity("opp-1").reference())
            .as_deref(),
        Some("https://hire.lever.co/candidates/opp-1")
    );
}
