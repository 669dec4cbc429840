//! The Greenhouse connector against wiremock with fixtures in Harvest's documented shapes: every
//! call, and every way a call can fail.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::time::{Duration, Instant};

use desk_ats::greenhouse::{Greenhouse, GreenhouseConfig};
use desk_ats::{Application, AtsConnector, AtsError, FileSource, NewAttachment, NewNote, Removal};
use desk_domain::Sensitive;
use http::HeaderMap;
use serde_json::{json, Value};
use wiremock::matchers::{
    body_partial_json, body_string_contains, header, method, path, query_param,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/greenhouse/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

async fn server_with_token() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(header("authorization", "Basic Y2xpZW50OnNlY3JldA==")) // client:secret
        .and(body_string_contains("grant_type=client_credentials"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "tok-1", "token_type": "Bearer", "expires_in": 3600}),
        ))
        .mount(&server)
        .await;
    server
}

fn connector(server: &MockServer) -> Greenhouse {
    Greenhouse::new(
        reqwest::Client::builder()
            .timeout(Duration::from_millis(800))
            .build()
            .unwrap(),
        GreenhouseConfig {
            base_url: format!("{}/v3", server.uri()),
            token_url: format!("{}/token", server.uri()),
            client_id: "client".into(),
            client_secret: Sensitive::from("secret"),
            acting_user: Some("501".into()),
            per_second: 1_000,
        },
    )
}

async fn get(server: &MockServer, route: &str, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(format!("/v3{route}")))
        .respond_with(response)
        .mount(server)
        .await;
}

fn application(id: &str, stage: &str) -> Application {
    Application {
        id: id.into(),
        candidate_id: "7001".into(),
        job_id: "4001".into(),
        stage_id: Some(stage.into()),
        status: "active".into(),
        raw: json!({}),
    }
}

#[tokio::test]
async fn every_read_uses_the_bearer_token_and_follows_the_link_header() {
    let server = server_with_token().await;
    let next = format!(
        "<{}/v3/applications?cursor=abc>; rel=\"next\"",
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path("/v3/applications"))
        .and(query_param("cursor", "abc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("applications_page2")))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/applications"))
        .and(query_param("job_ids", "4001"))
        .and(header("authorization", "Bearer tok-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture("applications_page1"))
                .insert_header("Link", next.as_str()),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    get(
        &server,
        "/jobs",
        ResponseTemplate::new(200).set_body_json(fixture("jobs")),
    )
    .await;
    get(
        &server,
        "/job_stages",
        ResponseTemplate::new(200).set_body_json(fixture("job_stages")),
    )
    .await;
    get(
        &server,
        "/candidates",
        ResponseTemplate::new(200).set_body_json(fixture("candidates")),
    )
    .await;
    get(
        &server,
        "/users",
        ResponseTemplate::new(200).set_body_json(fixture("users")),
    )
    .await;

    let gh = connector(&server);
    assert_eq!(gh.users().await.unwrap()[0].name, "Riley Chen");
    let jobs = gh.jobs().await.unwrap();
    assert_eq!(
        (jobs[0].id.as_str(), jobs[0].department.as_deref()),
        ("4001", Some("Customer Success"))
    );
    let stages = gh.stages(&jobs).await.unwrap();
    assert_eq!(
        stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["Application Review", "Screening", "Phone Interview"]
    );
    let all = gh.applications(&jobs, None).await.unwrap();
    assert_eq!(all.len(), 2, "two pages through the Link header");
    let screening = gh
        .applications(&jobs, Some(&["400101".to_owned()]))
        .await
        .unwrap();
    assert_eq!(
        screening.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["9001"],
        "filtered here: Greenhouse cannot"
    );
    let candidates = gh.candidates(&all).await.unwrap();
    assert_eq!(candidates[1].first_name, "Zoë");
    assert_eq!(candidates[0].phones, ["+34 612 345 678"]);
    let token_requests = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/token")
        .count();
    assert_eq!(token_requests, 1, "the token is cached");
}

#[tokio::test]
async fn every_write_sends_harvests_body() {
    let server = server_with_token().await;
    Mock::given(method("POST"))
        .and(path("/v3/applications/9001/move"))
        .and(body_partial_json(
            json!({"from_stage_id": 400101, "to_stage_id": 400102}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path("/v3/notes")).and(body_partial_json(json!({"application_id": 9001, "candidate_id": 7001, "body": "Done.", "visibility": "admin_only"}))).respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 77}))).expect(1).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/v3/attachments"))
        .and(body_partial_json(
            json!({"filename": "a.html", "type": "other", "url": "https://x/a"}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 88})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v3/attachments"))
        .and(body_partial_json(
            json!({"filename": "t.txt", "content": "aGk=", "content_type": "text/plain"}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 89})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v3/applications/9001"))
        .and(body_partial_json(
            json!({"custom_fields": [{"name_key": "willo_score", "value": "80"}]}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/notes"))
        .and(query_param("candidate_ids", "7001"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("notes")))
        .mount(&server)
        .await;

    let gh = connector(&server);
    let app = application("9001", "400101");
    gh.move_application(app.reference(), "400102")
        .await
        .unwrap();
    assert_eq!(
        gh.add_note(
            app.reference(),
            &NewNote {
                text: "Done.".into(),
                html: None
            }
        )
        .await
        .unwrap(),
        "77"
    );
    assert_eq!(
        gh.add_attachment(
            app.reference(),
            &NewAttachment {
                filename: "a.html".into(),
                source: FileSource::Url("https://x/a".into())
            }
        )
        .await
        .unwrap(),
        "88"
    );
    let bytes = NewAttachment {
        filename: "t.txt".into(),
        source: FileSource::Bytes {
            data: b"hi".to_vec(),
            content_type: "text/plain".into(),
        },
    };
    assert_eq!(
        gh.add_attachment(app.reference(), &bytes).await.unwrap(),
        "89"
    );
    gh.set_field(app.reference(), "willo_score", "80")
        .await
        .unwrap();
    assert_eq!(
        gh.find_note(
            app.reference(),
            "willo-desk:0123456789abcdef0123456789abcdef:1"
        )
        .await
        .unwrap()
        .as_deref(),
        Some("32")
    );
    assert_eq!(
        gh.find_note(app.reference(), "willo-desk:nothing")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        gh.find_note(
            app.reference(),
            "willo-desk:0123456789abcdef0123456789abcdef"
        )
        .await
        .unwrap(),
        None,
        "a marker's prefix is not the marker"
    );
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once() {
    let server = server_with_token().await;
    Mock::given(method("GET"))
        .and(path("/v3/jobs"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_token"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    get(
        &server,
        "/jobs",
        ResponseTemplate::new(200).set_body_json(fixture("jobs")),
    )
    .await;
    assert_eq!(connector(&server).jobs().await.unwrap().len(), 1);
    let tokens = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/token")
        .count();
    assert_eq!(tokens, 2, "a second token was fetched after the 401");
}

#[tokio::test]
async fn each_error_status_is_typed() {
    type Check = fn(&AtsError) -> bool;
    let cases: Vec<(u16, Check)> = vec![
        (401, |e| matches!(e, AtsError::Unauthorized)),
        (
            403,
            |e| matches!(e, AtsError::Forbidden(m) if m.contains("scope")),
        ),
        (404, |e| matches!(e, AtsError::NotFound)),
        (
            422,
            |e| matches!(e, AtsError::Rejected { status: 422, message } if message.contains("invalid")),
        ),
        (500, |e| matches!(e, AtsError::Server { status: 500 })),
    ];
    for (status, check) in cases {
        let server = server_with_token().await;
        Mock::given(method("POST"))
            .and(path("/v3/notes"))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_json(json!({"message": "missing scope / invalid body"})),
            )
            .mount(&server)
            .await;
        let error = connector(&server)
            .add_note(
                application("9001", "1").reference(),
                &NewNote {
                    text: "x".into(),
                    html: None,
                },
            )
            .await
            .unwrap_err();
        assert!(check(&error), "{status}: {error:?}");
        let posts = server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.url.path() == "/v3/notes")
            .count();
        assert!(
            posts <= 2,
            "a note is not retried blindly ({status}: {posts} posts)"
        );
    }
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after() {
    let server = server_with_token().await;
    Mock::given(method("GET"))
        .and(path("/v3/jobs"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    get(
        &server,
        "/jobs",
        ResponseTemplate::new(200).set_body_json(fixture("jobs")),
    )
    .await;
    let started = Instant::now();
    assert_eq!(connector(&server).jobs().await.unwrap().len(), 1);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited the second Greenhouse asked for"
    );
}

#[tokio::test]
async fn a_429_that_persists_is_reported_with_its_wait() {
    let server = server_with_token().await;
    get(
        &server,
        "/jobs",
        ResponseTemplate::new(429).insert_header("Retry-After", "0"),
    )
    .await;
    let error = connector(&server).jobs().await.unwrap_err();
    assert!(
        matches!(error, AtsError::RateLimited { retry_after: Some(d) } if d.is_zero()),
        "{error:?}"
    );
}

#[tokio::test]
async fn server_errors_on_reads_are_retried_and_on_writes_are_not() {
    let server = server_with_token().await;
    Mock::given(method("GET"))
        .and(path("/v3/jobs"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    get(
        &server,
        "/jobs",
        ResponseTemplate::new(200).set_body_json(fixture("jobs")),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/v3/notes"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let gh = connector(&server);
    assert_eq!(gh.jobs().await.unwrap().len(), 1, "two 502s, then the jobs");
    assert!(matches!(
        gh.add_note(
            application("9001", "1").reference(),
            &NewNote {
                text: "x".into(),
                html: None
            }
        )
        .await,
        Err(AtsError::Server { status: 503 })
    ));
    let posts = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/v3/notes")
        .count();
    assert_eq!(
        posts, 1,
        "a note whose outcome is unknown is checked by marker, not re-posted"
    );
}

#[tokio::test]
async fn a_slow_server_is_a_transport_error_and_a_malformed_body_a_decode_error() {
    let server = server_with_token().await;
    get(
        &server,
        "/jobs",
        ResponseTemplate::new(200).set_body_raw("[{\"id\": 4001, \"name\": ", "application/json"),
    )
    .await;
    get(
        &server,
        "/users",
        ResponseTemplate::new(200)
            .set_delay(Duration::from_secs(3))
            .set_body_json(json!([])),
    )
    .await;
    let gh = connector(&server);
    assert!(matches!(gh.jobs().await, Err(AtsError::Decode { .. })));
    assert!(matches!(gh.users().await, Err(AtsError::Transport(_))));
}

#[tokio::test]
async fn a_link_to_another_host_is_not_followed() {
    let server = server_with_token().await;
    get(
        &server,
        "/jobs",
        ResponseTemplate::new(200)
            .set_body_json(fixture("jobs"))
            .insert_header(
                "Link",
                "<https://evil.example/v3/jobs?cursor=x>; rel=\"next\"",
            ),
    )
    .await;
    assert!(
        matches!(connector(&server).jobs().await, Err(AtsError::Decode { path, .. }) if path == "Link")
    );
}

#[tokio::test]
async fn webhook_signatures_are_verified() {
    let server = MockServer::start().await;
    let gh = connector(&server);
    let body = serde_json::to_vec(&fixture("stage_change_webhook")).unwrap();
    let secret = "webhook-secret";
    let good = {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(&body);
        hex::encode(mac.finalize().into_bytes())
    };
    let mut headers = HeaderMap::new();
    headers.insert("Signature", format!("sha256 {good}").parse().unwrap());
    let change = gh.verify_webhook(&headers, &body, secret).unwrap().unwrap();
    assert_eq!(
        (
            change.application_id.as_str(),
            change.to_stage_id.as_deref()
        ),
        ("9002", Some("400101"))
    );

    assert!(matches!(
        gh.verify_webhook(&headers, &body, "another-secret"),
        Err(AtsError::BadSignature)
    ));
    let mut tampered = body.clone();
    tampered[20] ^= 1;
    assert!(
        matches!(
            gh.verify_webhook(&headers, &tampered, secret),
            Err(AtsError::BadSignature)
        ),
        "a changed body fails"
    );
    assert!(
        matches!(
            gh.verify_webhook(&HeaderMap::new(), &body, secret),
            Err(AtsError::BadSignature)
        ),
        "no signature fails"
    );
}

#[tokio::test]
async fn an_attachment_is_found_by_its_file_name() {
    let server = server_with_token().await;
    Mock::given(method("GET"))
        .and(path("/v3/attachments"))
        .and(query_param("application_ids", "9001"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": 88, "application_id": 9001, "filename": "willo-transcripts-ab-r1.txt", "type": "other"}])))
        .mount(&server)
        .await;
    let gh = connector(&server);
    let app = application("9001", "400101");
    assert_eq!(
        gh.find_attachment(app.reference(), "willo-transcripts-ab-r1.txt")
            .await
            .unwrap()
            .as_deref(),
        Some("88")
    );
    assert_eq!(
        gh.find_attachment(app.reference(), "other.txt")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_used_up_rate_limit_window_holds_the_next_request_back() {
    let server = server_with_token().await;
    get(
        &server,
        "/jobs",
        ResponseTemplate::new(200)
            .set_body_json(fixture("jobs"))
            .insert_header("X-RateLimit-Limit", "50")
            .insert_header("X-RateLimit-Remaining", "0"),
    )
    .await;
    get(
        &server,
        "/users",
        ResponseTemplate::new(200)
            .set_body_json(fixture("users"))
            .insert_header("X-RateLimit-Remaining", "49"),
    )
    .await;
    let gh = connector(&server);
    gh.jobs().await.unwrap();
    let started = Instant::now();
    gh.users().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited for the window: {:?}",
        started.elapsed()
    );
    let again = Instant::now();
    gh.users().await.unwrap();
    assert!(
        again.elapsed() < Duration::from_millis(500),
        "with requests left, no wait"
    );
}

#[tokio::test]
async fn notes_and_attachments_are_left_to_a_person_without_a_request() {
    let server = server_with_token().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&server)
        .await;
    let gh = connector(&server);
    let app = application("9001", "400101");
    assert!(matches!(
        gh.remove_note(app.reference(), "5501").await.unwrap(),
        Removal::ByHand { why } if why.contains("cannot delete notes")
    ));
    assert!(matches!(
        gh.remove_attachment(app.reference(), "88").await.unwrap(),
        Removal::ByHand { why } if why.contains("cannot delete attachments")
    ));
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "not even a token is asked for"
    );
}

#[tokio::test]
async fn the_record_url_opens_the_candidate_on_the_application() {
    let server = MockServer::start().await;
    assert_eq!(
        connector(&server)
            .record_url(application("9001", "400101").reference())
            .as_deref(),
        Some("https://app.greenhouse.io/people/7001?application_id=9001")
    );
}
