//! The Willo client against wiremock: every call, and every way a call can fail.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::time::{Duration, Instant};

use desk_domain::Sensitive;
use desk_willo::{
    AnswerKind, AuthScheme, NewParticipant, Pacer, RetryPolicy, ThrottleSigns, WebhookSpec,
    WilloClient, WilloConfig, WilloError,
};
use serde_json::{json, Value};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "5a4d1b0e9c3f47e2b8a61d0c7e9f2a3b";
const P: &str = "0123456789abcdef0123456789abcdef";
const I: &str = "fedcba9876543210fedcba9876543210";

fn client_with(
    server: &MockServer,
    scheme: AuthScheme,
    retry: RetryPolicy,
    timeout: Duration,
) -> WilloClient {
    let http = reqwest::Client::builder().timeout(timeout).build().unwrap();
    let config = WilloConfig {
        base_url: format!("{}/api/integrations/v2", server.uri()),
        api_key: Sensitive::from(KEY),
        auth_scheme: scheme,
        retry,
        throttle: ThrottleSigns::default(),
    };
    WilloClient::new(http, config, Pacer::unlimited()).unwrap()
}

fn client(server: &MockServer) -> WilloClient {
    client_with(
        server,
        AuthScheme::Bare,
        RetryPolicy::NONE,
        Duration::from_secs(5),
    )
}

fn page(results: Value, next: Option<String>) -> Value {
    json!({"count": results.as_array().map_or(0, Vec::len), "next": next, "previous": null, "results": results})
}

fn interview(key: &str) -> Value {
    json!({"key": key, "title": "Screening", "department": "Sales", "language": "en",
           "questions": [{"key": "q1", "prompt": "Why us?", "type": "video", "order": 1}]})
}

/// Answers the first matching request with `response`, before any other mock of lower priority.
async fn once(
    server: &MockServer,
    verb: &str,
    route: &str,
    response: ResponseTemplate,
    priority: u8,
) {
    Mock::given(method(verb))
        .and(path(format!("/api/integrations/v2{route}")))
        .respond_with(response)
        .up_to_n_times(1)
        .with_priority(priority)
        .mount(server)
        .await;
}

async fn on(server: &MockServer, verb: &str, route: &str, response: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(format!("/api/integrations/v2{route}")))
        .respond_with(response)
        .mount(server)
        .await;
}

// ---- every call ------------------------------------------------------------------------------

#[tokio::test]
async fn interviews_are_listed_and_read_with_the_bare_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/integrations/v2/interviews/"))
        .and(header("authorization", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(json!([interview(I)]), None)))
        .mount(&server)
        .await;
    on(
        &server,
        "GET",
        &format!("/interviews/{I}/"),
        ResponseTemplate::new(200).set_body_json(interview(I)),
    )
    .await;
    let c = client(&server);
    let list = c.interviews().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].raw["department"], "Sales", "the raw JSON is kept");
    let one = c.interview(I).await.unwrap();
    assert_eq!(one.questions[0].prompt, "Why us?");
}

#[tokio::test]
async fn templates_and_categories_are_listed_read_and_used() {
    let server = MockServer::start().await;
    let template = json!({"key": "t1", "name": "Support", "category": "c1", "questions": []});
    Mock::given(method("GET"))
        .and(path("/api/integrations/v2/interview-templates/"))
        .and(query_param("category", "c1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(json!([template]), None)))
        .mount(&server)
        .await;
    on(
        &server,
        "GET",
        "/interview-templates/t1/",
        ResponseTemplate::new(200).set_body_json(template.clone()),
    )
    .await;
    Mock::given(method("POST"))
        .and(path(
            "/api/integrations/v2/interview-templates/t1/interviews/",
        ))
        .and(body_partial_json(json!({"title": "Support — Leeds"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(interview(I)))
        .expect(1)
        .mount(&server)
        .await;
    on(
        &server,
        "GET",
        "/categories/",
        ResponseTemplate::new(200).set_body_json(page(
            json!([{"key": "c1", "name": "Customer facing"}]),
            None,
        )),
    )
    .await;
    on(
        &server,
        "GET",
        "/categories/c1/",
        ResponseTemplate::new(200).set_body_json(json!({"key": "c1", "name": "Customer facing"})),
    )
    .await;
    on(
        &server,
        "GET",
        "/languages/",
        ResponseTemplate::new(200)
            .set_body_json(page(json!([{"code": "en", "name": "English"}]), None)),
    )
    .await;

    let c = client(&server);
    assert_eq!(c.templates(Some("c1")).await.unwrap()[0].name, "Support");
    assert_eq!(
        c.template("t1").await.unwrap().category.as_deref(),
        Some("c1")
    );
    assert_eq!(
        c.create_interview_from_template("t1", Some("Support — Leeds"))
            .await
            .unwrap()
            .key,
        I
    );
    assert_eq!(c.categories().await.unwrap().len(), 1);
    assert_eq!(c.category("c1").await.unwrap().name, "Customer facing");
    assert_eq!(c.languages().await.unwrap()[0].code, "en");
}

#[tokio::test]
async fn a_participant_is_invited_read_restaged_filtered_and_deleted() {
    let server = MockServer::start().await;
    let created = json!({"key": P, "interview": I, "name": "Zoë Müller", "email": "zoe@example.de", "status": "invited", "responses": []});
    Mock::given(method("POST"))
        .and(path("/api/integrations/v2/participants/"))
        .and(body_partial_json(json!({"interview": I, "name": "Zoë Müller", "email": "zoe@example.de", "phone": "+4915123456789"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(created.clone()))
        .expect(1)
        .mount(&server)
        .await;
    on(
        &server,
        "GET",
        &format!("/participants/{P}/"),
        ResponseTemplate::new(200).set_body_json(created.clone()),
    )
    .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/integrations/v2/participants/{P}/")))
        .and(body_partial_json(json!({"stage": "Accepted"})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"key": P, "stage": "Accepted"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/integrations/v2/participants/"))
        .and(query_param("interview", I))
        .and(query_param("email", "ZOE@example.de"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(json!([created]), None)))
        .mount(&server)
        .await;
    on(
        &server,
        "DELETE",
        &format!("/participants/{P}/"),
        ResponseTemplate::new(204),
    )
    .await;

    let c = client(&server);
    let invited = c
        .invite(&NewParticipant {
            interview: I.into(),
            name: "Zoë Müller".into(),
            first_name: "Zoë".into(),
            last_name: "Müller".into(),
            email: "zoe@example.de".into(),
            phone: Some("+4915123456789".into()),
        })
        .await
        .unwrap();
    assert_eq!(invited.key, P);
    assert_eq!(c.participant(P).await.unwrap().name, "Zoë Müller");
    assert_eq!(
        c.set_participant_stage(P, "Accepted")
            .await
            .unwrap()
            .stage
            .as_deref(),
        Some("Accepted")
    );
    assert_eq!(
        c.find_participant(I, "ZOE@example.de")
            .await
            .unwrap()
            .map(|p| p.key),
        Some(P.to_owned()),
        "emails match without case"
    );
    c.delete_participant(P).await.unwrap();
}

#[tokio::test]
async fn find_participant_checks_the_results_itself() {
    let server = MockServer::start().await;
    // A server that ignores the filters and returns everyone.
    let everyone = json!([{"key": P, "interview": I, "email": "someone@else.com"}, {"key": I, "interview": "other", "email": "zoe@example.de"}]);
    on(
        &server,
        "GET",
        "/participants/",
        ResponseTemplate::new(200).set_body_json(page(everyone, None)),
    )
    .await;
    assert_eq!(
        client(&server)
            .find_participant(I, "zoe@example.de")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn webhooks_are_listed_created_updated_and_deleted() {
    let server = MockServer::start().await;
    let hook = json!({"key": "w1", "url": "https://x/hooks/willo/t/new_response", "event": "new_response", "interviews": [I],
                      "follow_all_interviews": false, "departments": [], "users": [], "payload_configuration": {}, "api_version": "v1", "status": "active"});
    on(
        &server,
        "GET",
        "/webhooks/",
        ResponseTemplate::new(200).set_body_json(page(json!([hook]), None)),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/api/integrations/v2/webhooks/"))
        .and(body_partial_json(
            json!({"event": "new_response", "interviews": [I], "follow_all_interviews": false}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(hook.clone()))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/api/integrations/v2/webhooks/w1/"))
        .and(body_partial_json(json!({"url": "https://y/hooks"})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"key": "w1", "url": "https://y/hooks", "event": "new_response"}),
            ),
        )
        .mount(&server)
        .await;
    on(
        &server,
        "DELETE",
        "/webhooks/w1/",
        ResponseTemplate::new(204),
    )
    .await;
    let c = client(&server);
    let listed = c.webhooks().await.unwrap();
    assert_eq!(
        (
            listed[0].event.as_str(),
            listed[0].raw["api_version"].as_str()
        ),
        ("new_response", Some("v1"))
    );
    let spec = WebhookSpec {
        url: "https://x/hooks/willo/t/new_response".into(),
        event: "new_response".into(),
        interviews: vec![I.into()],
        follow_all_interviews: false,
    };
    assert_eq!(c.create_webhook(&spec).await.unwrap().key, "w1");
    let moved = WebhookSpec {
        url: "https://y/hooks".into(),
        ..spec
    };
    assert_eq!(
        c.update_webhook("w1", &moved).await.unwrap().url,
        "https://y/hooks"
    );
    c.delete_webhook("w1").await.unwrap();
}

#[tokio::test]
async fn a_completed_participant_is_normalised_with_its_answers() {
    let server = MockServer::start().await;
    let body = json!({"key": P, "interview": I, "name": "A", "status": "completed", "summary": "Good.", "score": 72,
        "responses": [{"question": "q1", "question_text": "Why?", "type": "video", "media_url": "https://m/v.webm", "transcript": "Because."}]});
    on(
        &server,
        "GET",
        &format!("/participants/{P}/"),
        ResponseTemplate::new(200).set_body_json(body),
    )
    .await;
    let p = client(&server).participant(P).await.unwrap();
    assert!(p.status.is_completed());
    assert_eq!(p.answers[0].kind, AnswerKind::Video);
    assert_eq!(p.answers[0].transcript.as_deref(), Some("Because."));
    assert_eq!((p.summary.as_deref(), p.score), (Some("Good."), Some(72.0)));
}

// ---- lists -------------------------------------------------------------------------------------

#[tokio::test]
async fn a_list_follows_next_over_several_pages() {
    let server = MockServer::start().await;
    let base = format!("{}/api/integrations/v2/participants/", server.uri());
    for n in 1..=3 {
        let next = (n < 3).then(|| format!("{base}?page={}", n + 1));
        let results = json!([{"key": format!("{n:032x}")}, {"key": format!("{:032x}", n + 100)}]);
        let mut mock = Mock::given(method("GET")).and(path("/api/integrations/v2/participants/"));
        mock = if n == 1 {
            mock
        } else {
            mock.and(query_param("page", n.to_string()))
        };
        mock.respond_with(ResponseTemplate::new(200).set_body_json(page(results, next)))
            .with_priority(if n == 1 { 5 } else { 1 })
            .mount(&server)
            .await;
    }
    let all = client(&server).participants(None, None).await.unwrap();
    assert_eq!(all.len(), 6, "three pages of two");
}

#[tokio::test]
async fn a_bare_array_is_a_whole_list() {
    let server = MockServer::start().await;
    on(
        &server,
        "GET",
        "/interviews/",
        ResponseTemplate::new(200).set_body_json(json!([interview(I), interview(P)])),
    )
    .await;
    assert_eq!(client(&server).interviews().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed() {
    let server = MockServer::start().await;
    on(
        &server,
        "GET",
        "/interviews/",
        ResponseTemplate::new(200).set_body_json(page(
            json!([interview(I)]),
            Some("https://evil.example/steal".into()),
        )),
    )
    .await;
    let error = client(&server).interviews().await.unwrap_err();
    assert!(
        matches!(&error, WilloError::Decode { path, .. } if path == "next"),
        "{error}"
    );
}

// ---- errors --------------------------------------------------------------------------------------

#[tokio::test]
async fn every_error_status_becomes_its_typed_error() {
    let server = MockServer::start().await;
    type Check = fn(&WilloError) -> bool;
    let cases: Vec<(u16, Value, Check)> = vec![
        (401, json!({"detail": "Invalid token."}), |e| {
            *e == WilloError::Auth
        }),
        (
            403,
            json!({"detail": "You do not have permission."}),
            |e| matches!(e, WilloError::Permission(m) if m.contains("permission")),
        ),
        (404, json!({"detail": "Not found."}), |e| {
            *e == WilloError::NotFound
        }),
        (400, json!({"name": ["This field is required."]}), |e| {
            e.field("name").is_some()
        }),
        (500, json!({"detail": "oops"}), |e| {
            *e == WilloError::Server { status: 500 }
        }),
        (503, json!({}), |e| *e == WilloError::Server { status: 503 }),
        (418, json!({}), |e| {
            *e == WilloError::Unexpected { status: 418 }
        }),
    ];
    for (status, body, check) in cases {
        server.reset().await;
        on(
            &server,
            "GET",
            &format!("/interviews/{I}/"),
            ResponseTemplate::new(status).set_body_json(body),
        )
        .await;
        let error = client(&server).interview(I).await.unwrap_err();
        assert!(check(&error), "{status} gave {error:?}");
        assert!(
            !error.to_string().contains(KEY),
            "the key never appears in an error"
        );
    }
}

#[tokio::test]
async fn a_400_names_every_refused_field() {
    let server = MockServer::start().await;
    on(
        &server,
        "POST",
        "/participants/",
        ResponseTemplate::new(400).set_body_json(
            json!({"name": ["This field is required."], "phone": ["Enter a valid phone number."]}),
        ),
    )
    .await;
    let error = client(&server)
        .invite(&NewParticipant {
            interview: I.into(),
            name: String::new(),
            first_name: String::new(),
            last_name: String::new(),
            email: "a@b.co".into(),
            phone: Some("123".into()),
        })
        .await
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("name: This field is required.")
            && message.contains("phone: Enter a valid phone number."),
        "{message}"
    );
}

#[tokio::test]
async fn a_429_carries_retry_after_in_seconds_or_as_a_date() {
    let server = MockServer::start().await;
    on(
        &server,
        "GET",
        "/languages/",
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "3")
            .set_body_json(json!({"detail": "Request was throttled."})),
    )
    .await;
    let error = client(&server).languages().await.unwrap_err();
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3)));

    server.reset().await;
    let date = (chrono::Utc::now() + chrono::Duration::seconds(30))
        .to_rfc2822()
        .replace("+0000", "GMT");
    on(
        &server,
        "GET",
        "/languages/",
        ResponseTemplate::new(429).insert_header("Retry-After", date.as_str()),
    )
    .await;
    let wait = client(&server)
        .languages()
        .await
        .unwrap_err()
        .retry_after()
        .unwrap();
    assert!(
        (25..=30).contains(&wait.as_secs()),
        "an HTTP date 30 s ahead: {wait:?}"
    );
}

#[tokio::test]
async fn a_slow_server_is_a_timeout() {
    let server = MockServer::start().await;
    on(
        &server,
        "GET",
        "/languages/",
        ResponseTemplate::new(200)
            .set_delay(Duration::from_millis(500))
            .set_body_json(json!([])),
    )
    .await;
    let c = client_with(
        &server,
        AuthScheme::Bare,
        RetryPolicy::NONE,
        Duration::from_millis(100),
    );
    let error = c.languages().await.unwrap_err();
    assert_eq!(error, WilloError::Timeout);
    assert!(error.is_retryable() && error.outcome_uncertain());
}

#[tokio::test]
async fn malformed_json_is_a_decode_error_with_its_path() {
    let server = MockServer::start().await;
    on(
        &server,
        "GET",
        "/interviews/",
        ResponseTemplate::new(200)
            .set_body_raw("{\"results\": [{\"key\": \"trunc", "application/json"),
    )
    .await;
    assert!(matches!(
        client(&server).interviews().await.unwrap_err(),
        WilloError::Decode { .. }
    ));

    server.reset().await;
    on(
        &server,
        "GET",
        "/interviews/",
        ResponseTemplate::new(200)
            .set_body_json(page(json!([{"key": I}, {"title": "no key"}]), None)),
    )
    .await;
    let error = client(&server).interviews().await.unwrap_err();
    assert!(
        matches!(&error, WilloError::Decode { path, .. } if path.starts_with("results[1]")),
        "{error}"
    );
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error() {
    // A port that was free a moment ago and has no listener now.
    let uri = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let config = WilloConfig {
        base_url: format!("{uri}/api/integrations/v2"),
        api_key: Sensitive::from(KEY),
        auth_scheme: AuthScheme::Bare,
        retry: RetryPolicy::NONE,
        throttle: ThrottleSigns::default(),
    };
    let c = WilloClient::new(http, config, Pacer::unlimited()).unwrap();
    assert!(matches!(
        c.languages().await.unwrap_err(),
        WilloError::Transport(_)
    ));
}

#[tokio::test]
async fn a_bad_key_or_url_is_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    let c = client(&server);
    assert!(matches!(
        c.participant("../../users").await,
        Err(WilloError::BadUrl(_))
    ));
    let http = reqwest::Client::new();
    for bad in ["not a url", "ftp://willo.example/api"] {
        let config = WilloConfig {
            base_url: bad.into(),
            api_key: Sensitive::from(KEY),
            auth_scheme: AuthScheme::Bare,
            retry: RetryPolicy::NONE,
            throttle: ThrottleSigns::default(),
        };
        assert!(
            matches!(
                WilloClient::new(http.clone(), config, Pacer::unlimited()),
                Err(WilloError::BadUrl(_))
            ),
            "{bad}"
        );
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

// ---- retries, uncertainty, schemes, pacing -------------------------------------------------

#[tokio::test]
async fn safe_calls_are_retried_through_5xx_and_429() {
    let server = MockServer::start().await;
    once(&server, "GET", "/languages/", ResponseTemplate::new(503), 1).await;
    once(
        &server,
        "GET",
        "/languages/",
        ResponseTemplate::new(429).insert_header("Retry-After", "0"),
        2,
    )
    .await;
    on(
        &server,
        "GET",
        "/languages/",
        ResponseTemplate::new(200).set_body_json(json!([{"code": "en", "name": "English"}])),
    )
    .await;
    let retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    };
    let c = client_with(&server, AuthScheme::Bare, retry, Duration::from_secs(5));
    assert_eq!(c.languages().await.unwrap().len(), 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn an_invite_with_an_uncertain_outcome_is_not_resent() {
    let server = MockServer::start().await;
    on(
        &server,
        "POST",
        "/participants/",
        ResponseTemplate::new(502),
    )
    .await;
    let retry = RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    };
    let c = client_with(&server, AuthScheme::Bare, retry, Duration::from_secs(5));
    let error = c
        .invite(&NewParticipant {
            interview: I.into(),
            name: "A".into(),
            first_name: "A".into(),
            last_name: String::new(),
            email: "a@b.co".into(),
            phone: None,
        })
        .await
        .unwrap_err();
    assert!(error.outcome_uncertain());
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "a 502 may have created the participant: one POST only"
    );
}

#[tokio::test]
async fn an_invite_refused_with_429_is_sent_again_after_retry_after() {
    let server = MockServer::start().await;
    once(
        &server,
        "POST",
        "/participants/",
        ResponseTemplate::new(429).insert_header("Retry-After", "0"),
        1,
    )
    .await;
    on(
        &server,
        "POST",
        "/participants/",
        ResponseTemplate::new(201).set_body_json(json!({"key": P})),
    )
    .await;
    let retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    };
    let c = client_with(&server, AuthScheme::Bare, retry, Duration::from_secs(5));
    let p = c
        .invite(&NewParticipant {
            interview: I.into(),
            name: "A".into(),
            first_name: "A".into(),
            last_name: String::new(),
            email: "a@b.co".into(),
            phone: None,
        })
        .await
        .unwrap();
    assert_eq!(p.key, P);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "a 429 means Willo did not act, so it is safe to send again"
    );
}

#[tokio::test]
async fn the_auth_scheme_is_detected_and_remembered() {
    let server = MockServer::start().await;
    taking_bearer_only(&server).await;
    let c = client(&server);
    assert_eq!(c.detect_auth_scheme().await.unwrap(), AuthScheme::Bearer);
    assert_eq!(c.auth_scheme(), AuthScheme::Bearer);
    assert_eq!(
        routes_and_schemes(&server).await,
        ["/interviews/ key", "/interviews/ Bearer key"],
        "bare first, then Bearer, on the interviews only"
    );
}

#[tokio::test]
async fn a_key_refused_by_every_scheme_is_an_auth_error() {
    let server = MockServer::start().await;
    on(&server, "GET", "/interviews/", ResponseTemplate::new(401)).await;
    assert_eq!(
        client(&server).detect_auth_scheme().await.unwrap_err(),
        WilloError::Auth
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        3,
        "bare, Bearer and Token were tried"
    );
}

/// A Willo that takes the key only with `Bearer`: every route answers `[]`, a refused scheme 401.
async fn taking_bearer_only(server: &MockServer) {
    Mock::given(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(401))
        .with_priority(10)
        .mount(server)
        .await;
}

/// Each request's route and authorization header, in order.
async fn routes_and_schemes(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let scheme = r.headers["authorization"]
                .to_str()
                .unwrap()
                .replace(KEY, "key");
            format!(
                "{} {}",
                r.url.path().trim_start_matches("/api/integrations/v2"),
                scheme
            )
        })
        .collect()
}

#[tokio::test]
async fn a_kept_scheme_willo_no_longer_takes_is_found_again_and_the_request_sent_with_it() {
    let server = MockServer::start().await;
    taking_bearer_only(&server).await;
    // Kept from when the connections were tested; Willo has since stopped taking it.
    let c = client(&server);
    assert!(c.languages().await.unwrap().is_empty());
    assert_eq!(c.auth_scheme(), AuthScheme::Bearer);
    assert!(c.languages().await.unwrap().is_empty());
    assert_eq!(
        routes_and_schemes(&server).await,
        [
            "/languages/ key",
            "/interviews/ key",
            "/interviews/ Bearer key",
            "/languages/ Bearer key",
            "/languages/ Bearer key",
        ],
        "refused once, found again once, then sent with the scheme Willo takes"
    );
}

#[tokio::test]
async fn an_invitation_refused_for_its_scheme_is_sent_again_with_the_one_willo_takes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/integrations/v2/participants/"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"key": P})))
        .with_priority(1)
        .mount(&server)
        .await;
    taking_bearer_only(&server).await;
    let invited = client(&server)
        .invite(&NewParticipant {
            interview: I.into(),
            name: "Zoë Müller".into(),
            first_name: "Zoë".into(),
            last_name: "Müller".into(),
            email: "zoe@example.de".into(),
            phone: None,
        })
        .await
        .unwrap();
    assert_eq!(invited.key, P);
    assert_eq!(
        routes_and_schemes(&server).await,
        [
            "/participants/ key",
            "/interviews/ key",
            "/interviews/ Bearer key",
            "/participants/ Bearer key",
        ],
        "a 401 is a refusal, not an uncertain outcome: sent once more, with the scheme found"
    );
}

#[tokio::test]
async fn requests_refused_together_look_for_the_scheme_once() {
    let server = MockServer::start().await;
    taking_bearer_only(&server).await;
    let c = client(&server);
    let (a, b, d) = tokio::join!(c.languages(), c.categories(), c.interviews());
    assert!(a.is_ok() && b.is_ok() && d.is_ok());
    let detections = routes_and_schemes(&server)
        .await
        .into_iter()
        .filter(|r| r == "/interviews/ Bearer key")
        .count();
    // The interviews' own request with Bearer is one; the detection's is the other.
    assert_eq!(detections, 2, "one detection for the three refusals");
}

#[tokio::test]
async fn a_revoked_key_costs_one_look_for_the_scheme_then_one_request_a_call() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let c = client(&server);
    assert_eq!(c.languages().await.unwrap_err(), WilloError::Auth);
    assert_eq!(c.languages().await.unwrap_err(), WilloError::Auth);
    assert_eq!(
        routes_and_schemes(&server).await,
        [
            "/languages/ key",
            "/interviews/ key",
            "/interviews/ Bearer key",
            "/interviews/ Token key",
            "/languages/ key",
        ]
    );
}

#[tokio::test]
async fn clients_sharing_a_pacer_wait_out_one_429_together() {
    let server = MockServer::start().await;
    once(
        &server,
        "GET",
        "/languages/",
        ResponseTemplate::new(429).insert_header("Retry-After", "1"),
        1,
    )
    .await;
    on(
        &server,
        "GET",
        "/languages/",
        ResponseTemplate::new(200).set_body_json(json!([])),
    )
    .await;
    let pacer = Pacer::unlimited();
    let make = || {
        let config = WilloConfig {
            base_url: format!("{}/api/integrations/v2", server.uri()),
            api_key: Sensitive::from(KEY),
            auth_scheme: AuthScheme::Bare,
            retry: RetryPolicy::NONE,
            throttle: ThrottleSigns::default(),
        };
        WilloClient::new(
            reqwest::Client::new(),
            config,
            std::sync::Arc::clone(&pacer),
        )
        .unwrap()
    };
    let (a, b) = (make(), make());
    assert!(a.languages().await.is_err(), "the first call is throttled");
    let started = Instant::now();
    b.languages().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the other client waited out Retry-After: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_invite_met_by_a_throttling_403_waits_and_goes_again_instead_of_failing() {
    let server = MockServer::start().await;
    once(
        &server,
        "POST",
        "/participants/",
        ResponseTemplate::new(403).set_body_json(
            json!({"detail": "Request was throttled. Expected available in 1 second."}),
        ),
        1,
    )
    .await;
    on(
        &server,
        "POST",
        "/participants/",
        ResponseTemplate::new(201).set_body_json(json!({"key": "p1", "status": "invited"})),
    )
    .await;
    let c = client_with(
        &server,
        AuthScheme::Bare,
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
        },
        Duration::from_secs(5),
    );
    let started = Instant::now();
    let invited = c
        .invite(&NewParticipant {
            interview: "i1".into(),
            name: "Ada Lovelace".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            email: "ada@example.com".into(),
            phone: None,
        })
        .await
        .unwrap();
    assert_eq!(invited.key, "p1");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the throttle paused the pacer: {:?}",
        started.elapsed()
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_participants_page_says_how_many_there_are_and_where_the_next_page_is() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/integrations/v2/participants/"))
        .and(query_param("interview", "i1"))
        .and(query_param("page_size", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "count": 150,
            "next": format!("{}/api/integrations/v2/participants/?interview=i1&page=2&page_size=100", server.uri()),
            "previous": null,
            "results": [{"key": "p1", "status": "completed"}, {"key": "p2", "status": "opened"}]
        })))
        .mount(&server)
        .await;
    let page = client(&server)
        .participants_page(Some("i1"), 100, None)
        .await
        .unwrap();
    assert_eq!(page.count, Some(150));
    assert_eq!(page.participants.len(), 2);
    assert!(page.participants[0].status.is_completed());
    assert!(page.next.unwrap().contains("page=2"));
}
