//! The simulated Willo over real HTTP: auth, visibility, pagination, validation, throttling, the
//! candidate lifecycle, webhook deliveries and their retries.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use desk_sandbox::{
    Lifecycle, Sandbox, SandboxConfig, WilloLimits, ADMIN_API_KEY, DEMO_ORGANISATION,
    STANDARD_API_KEY,
};
use reqwest::Client;
use serde_json::{json, Value};

async fn start() -> Sandbox {
    Sandbox::start(SandboxConfig::for_tests()).await.unwrap()
}

fn url(sb: &Sandbox, path: &str) -> String {
    format!("{}{path}", sb.info.willo_base_url)
}

async fn get(sb: &Sandbox, path: &str) -> Value {
    let response = Client::new()
        .get(url(sb, path))
        .header("Authorization", ADMIN_API_KEY)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "GET {path}: {}",
        response.status()
    );
    response.json().await.unwrap()
}

async fn interview_key(sb: &Sandbox) -> String {
    get(sb, "/interviews/").await["results"][0]["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn invite(sb: &Sandbox, body: Value) -> reqwest::Response {
    Client::new()
        .post(url(sb, "/participants/"))
        .header("Authorization", ADMIN_API_KEY)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn invite_ok(sb: &Sandbox, interview: &str, n: usize) -> Value {
    let response = invite(sb, json!({"interview": interview, "name": format!("Cand {n}"), "email": format!("c{n}@example.com"), "phone": "+14155552671"})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn advance(sb: &Sandbox, key: &str, to: Option<&str>) -> Value {
    let body = to.map_or(json!({}), |t| json!({ "to": t }));
    let response = Client::new()
        .post(format!(
            "{}/willo/participants/{key}/advance",
            sb.info.admin_url
        ))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    response.json().await.unwrap()
}

#[tokio::test]
async fn bare_and_bearer_keys_are_accepted_and_anything_else_is_401() {
    let sb = start().await;
    let client = Client::new();
    let list = url(&sb, "/interviews/");
    for header in [ADMIN_API_KEY.to_owned(), format!("Bearer {ADMIN_API_KEY}")] {
        let status = client
            .get(&list)
            .header("Authorization", header)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::OK);
    }
    for header in [format!("Token {ADMIN_API_KEY}"), "0000".to_owned()] {
        let response = client
            .get(&list)
            .header("Authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.json::<Value>().await.unwrap()["detail"],
            "Invalid token."
        );
    }
    let missing = client.get(&list).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["detail"],
        "Authentication credentials were not provided."
    );
}

#[tokio::test]
async fn a_standard_users_key_sees_only_their_own_interview() {
    let sb = start().await;
    assert_eq!(get(&sb, "/interviews/").await["count"], 3);
    let own: Value = Client::new()
        .get(url(&sb, "/interviews/"))
        .header("Authorization", STANDARD_API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(own["count"], 1);
    let others = get(&sb, "/interviews/").await["results"][0]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let status = Client::new()
        .get(url(&sb, &format!("/interviews/{others}/")))
        .header("Authorization", STANDARD_API_KEY)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another user's interview does not exist for this key"
    );
}

#[tokio::test]
async fn interview_detail_carries_its_questions() {
    let sb = start().await;
    let key = interview_key(&sb).await;
    let interview = get(&sb, &format!("/interviews/{key}/")).await;
    let questions = interview["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 4);
    assert!(questions
        .iter()
        .all(|q| q["prompt"].is_string() && q["type"].is_string()));
    assert_eq!(key.len(), 32, "keys are 32 hex characters");
}

#[tokio::test]
async fn lists_are_paginated_drf_style() {
    let sb = start().await;
    let key = interview_key(&sb).await;
    for n in 0..25 {
        invite_ok(&sb, &key, n).await;
    }
    let first = get(&sb, "/participants/?page_size=10").await;
    assert_eq!(first["count"], 25);
    assert_eq!(first["results"].as_array().unwrap().len(), 10);
    assert!(first["previous"].is_null());
    let mut next = first["next"].as_str().map(str::to_owned);
    let mut pages = 1;
    let mut seen = 10;
    while let Some(link) = next {
        let page: Value = Client::new()
            .get(&link)
            .header("Authorization", ADMIN_API_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen += page["results"].as_array().unwrap().len();
        pages += 1;
        assert!(page["previous"].is_string());
        next = page["next"].as_str().map(str::to_owned);
    }
    assert_eq!((pages, seen), (3, 25));
    let past = Client::new()
        .get(url(&sb, "/participants/?page=9"))
        .header("Authorization", ADMIN_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        past.json::<Value>().await.unwrap()["detail"],
        "Invalid page."
    );
}

#[tokio::test]
async fn invites_are_validated_field_by_field() {
    let sb = start().await;
    let key = interview_key(&sb).await;
    let cases = [
        (
            json!({"interview": key, "email": "a@example.com"}),
            "name",
            "This field is required.",
        ),
        (
            json!({"interview": key, "name": "  ", "email": "a@example.com"}),
            "name",
            "This field may not be blank.",
        ),
        (
            json!({"interview": "f".repeat(32), "name": "A", "email": "a@example.com"}),
            "interview",
            "object does not exist",
        ),
        (
            json!({"name": "A", "email": "a@example.com"}),
            "interview",
            "This field is required.",
        ),
        (
            json!({"interview": key, "name": "A", "email": "not-an-email"}),
            "email",
            "valid email",
        ),
        (
            json!({"interview": key, "name": "A", "email": "a@example.com", "phone": "07700 900123"}),
            "phone",
            "E.164",
        ),
    ];
    for (body, field, message) in cases {
        let response = invite(&sb, body.clone()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let errors: Value = response.json().await.unwrap();
        let text = errors[field][0].as_str().unwrap_or_default();
        assert!(
            text.contains(message),
            "{field} should say {message:?}, got {errors}"
        );
    }
    assert_eq!(
        get(&sb, "/participants/").await["count"],
        0,
        "nothing refused was created"
    );
}

#[tokio::test]
async fn above_the_rate_limit_requests_get_429_with_retry_after() {
    let mut config = SandboxConfig::for_tests();
    config.willo_limits = WilloLimits {
        per_second: 3,
        ..WilloLimits::NONE
    };
    let sb = Sandbox::start(config).await.unwrap();
    let client = Client::new();
    // Sent together, so that all of them fall in one window however busy the machine is.
    let requests = (0..6).map(|_| {
        client
            .get(url(&sb, "/languages/"))
            .header("Authorization", ADMIN_API_KEY)
            .send()
    });
    let responses: Vec<reqwest::Response> = futures::future::join_all(requests)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let ok = responses
        .iter()
        .filter(|r| r.status() == StatusCode::OK)
        .count();
    let throttled: Vec<&reqwest::Response> = responses
        .iter()
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert!(
        ok >= 3 && !throttled.is_empty(),
        "3 allowed per second, the rest throttled: {ok} ok, {} throttled",
        throttled.len()
    );
    for response in &throttled {
        let wait: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(wait, 1, "the 1-second window reopens within a second");
    }
    let body: Value = responses
        .into_iter()
        .find(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body["detail"].as_str().unwrap().contains("throttled"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after = client
        .get(url(&sb, "/languages/"))
        .header("Authorization", ADMIN_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.status(),
        StatusCode::OK,
        "after Retry-After the client is served again"
    );
}

async fn languages_as(sb: &Sandbox, key: &str) -> StatusCode {
    Client::new()
        .get(url(sb, "/languages/"))
        .header("Authorization", key)
        .send()
        .await
        .unwrap()
        .status()
}

async fn admin_post(sb: &Sandbox, path: &str, body: Value) -> Value {
    Client::new()
        .post(format!("{}{path}", sb.info.admin_url))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_budget_is_the_organisations_shared_by_its_keys_and_counted_by_the_simulator() {
    let mut config = SandboxConfig::for_tests();
    config.willo_limits = WilloLimits {
        per_minute: 4,
        ..WilloLimits::NONE
    };
    let sb = Sandbox::start(config).await.unwrap();
    let other_org = admin_post(&sb, "/willo/users", json!({"organisation": "Other Ltd"})).await
        ["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let same_org = admin_post(
        &sb,
        "/willo/users",
        json!({"organisation": DEMO_ORGANISATION}),
    )
    .await["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    for key in [
        ADMIN_API_KEY,
        STANDARD_API_KEY,
        same_org.as_str(),
        ADMIN_API_KEY,
    ] {
        assert_eq!(languages_as(&sb, key).await, StatusCode::OK);
    }
    for key in [ADMIN_API_KEY, STANDARD_API_KEY, same_org.as_str()] {
        assert_eq!(
            languages_as(&sb, key).await,
            StatusCode::TOO_MANY_REQUESTS,
            "every key of the organisation shares its 4 a minute"
        );
    }
    assert_eq!(
        languages_as(&sb, &other_org).await,
        StatusCode::OK,
        "another organisation has its own budget"
    );
    let unknown = languages_as(&sb, "0000").await;
    assert_eq!(unknown, StatusCode::UNAUTHORIZED);
    let counted: Value = Client::new()
        .get(format!("{}/willo/requests", sb.info.admin_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        counted,
        json!({"received": 9, "throttled": 3}),
        "every request that arrived is counted, refused ones too"
    );
}

#[tokio::test]
async fn over_the_budget_willo_may_answer_403_saying_it_throttled() {
    let mut config = SandboxConfig::for_tests();
    config.willo_limits = WilloLimits {
        per_second: 1,
        status: 403,
        ..WilloLimits::NONE
    };
    let sb = Sandbox::start(config).await.unwrap();
    assert_eq!(languages_as(&sb, ADMIN_API_KEY).await, StatusCode::OK);
    let refused = Client::new()
        .get(url(&sb, "/languages/"))
        .header("Authorization", ADMIN_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.headers().get("retry-after").is_none());
    let body: Value = refused.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("throttled"));
    let put = Client::new()
        .put(format!("{}/willo/rate-limit", sb.info.admin_url))
        .json(&json!({"per_second": 1, "status": 500}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::BAD_REQUEST, "only 403 or 429");
}

#[tokio::test]
async fn the_participants_list_can_be_set_to_ignore_filters_and_leave_out_statuses() {
    let sb = start().await;
    let interviews = get(&sb, "/interviews/").await;
    let (first, second) = (
        interviews["results"][0]["key"].as_str().unwrap().to_owned(),
        interviews["results"][1]["key"].as_str().unwrap().to_owned(),
    );
    invite_ok(&sb, &first, 1).await;
    invite_ok(&sb, &second, 2).await;
    let listed = get(&sb, &format!("/participants/?interview={first}")).await;
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["results"][0]["status"], "invited");
    let put = Client::new()
        .put(format!("{}/willo/list-shape", sb.info.admin_url))
        .json(&json!({"filters": false, "statuses": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::NO_CONTENT);
    let listed = get(&sb, &format!("/participants/?interview={first}")).await;
    assert_eq!(listed["count"], 2, "the filter is ignored");
    assert!(
        listed["results"][0].get("status").is_none(),
        "no status on the list"
    );
    let key = listed["results"][0]["key"].as_str().unwrap();
    assert_eq!(
        get(&sb, &format!("/participants/{key}/")).await["status"],
        "invited",
        "a participant read on its own still says"
    );
}

#[tokio::test]
async fn the_windows_slide_rather_than_reopen_on_the_second() {
    let mut config = SandboxConfig::for_tests();
    // Time compressed 100 times: the "minute" is 600 ms.
    config.willo_limits = WilloLimits {
        per_minute: 3,
        compress: 100.0,
        ..WilloLimits::NONE
    };
    let sb = Sandbox::start(config).await.unwrap();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(languages_as(&sb, ADMIN_API_KEY).await);
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    tokio::time::sleep(Duration::from_millis(650)).await;
    assert_eq!(languages_as(&sb, ADMIN_API_KEY).await, StatusCode::OK);
}

#[tokio::test]
async fn a_completed_participant_carries_answers_transcripts_summary_and_score() {
    let sb = start().await;
    let key = interview_key(&sb).await;
    let participant = invite_ok(&sb, &key, 1).await;
    let pkey = participant["key"].as_str().unwrap();
    assert_eq!(participant["status"], "invited");
    assert!(participant["responses"].as_array().unwrap().is_empty());

    assert_eq!(advance(&sb, pkey, None).await["status"], "opened");
    assert_eq!(advance(&sb, pkey, None).await["status"], "started");
    assert_eq!(advance(&sb, pkey, None).await["status"], "completed");

    let done = get(&sb, &format!("/participants/{pkey}/")).await;
    let responses = done["responses"].as_array().unwrap();
    assert_eq!(responses.len(), 4, "one answer per question");
    let kinds: Vec<&str> = responses
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["video", "video", "text", "multiple_choice"]);
    assert!(responses[0]["transcript"].as_str().unwrap().len() > 20);
    assert_eq!(
        responses[0]["transcript_segments"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "timed segments for seeking"
    );
    assert!(responses[2]["text"].is_string());
    assert!(responses[3]["choice"].is_string());
    assert!(done["summary"].as_str().unwrap().len() > 20);
    assert!(done["score"].as_f64().unwrap() > 0.0);
    assert!(done["completed_at"].is_string());

    // The media URL is served by the sandbox and is real, seekable WebM.
    let media = responses[0]["media_url"].as_str().unwrap();
    let whole = Client::new().get(media).send().await.unwrap();
    assert_eq!(whole.headers()["content-type"], "video/webm");
    let bytes = whole.bytes().await.unwrap();
    assert_eq!(
        &bytes[..4],
        [0x1a, 0x45, 0xdf, 0xa3],
        "EBML magic of a WebM file"
    );
    let part = Client::new()
        .get(media)
        .header("Range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(
        part.status(),
        StatusCode::PARTIAL_CONTENT,
        "range requests work, so players can seek"
    );
    assert_eq!(part.bytes().await.unwrap().len(), 100);
}

#[tokio::test]
async fn timed_candidates_complete_on_their_own() {
    let mut config = SandboxConfig::for_tests();
    config.lifecycle = Lifecycle::Timed {
        open_after: Duration::from_millis(20),
        start_after: Duration::from_millis(20),
        complete_after: Duration::from_millis(20),
    };
    let sb = Sandbox::start(config).await.unwrap();
    let key = interview_key(&sb).await;
    let pkey = invite_ok(&sb, &key, 1).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut status = Value::Null;
    for _ in 0..100 {
        status = get(&sb, &format!("/participants/{pkey}/")).await["status"].clone();
        if status == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, "completed");
}

#[tokio::test]
async fn participants_can_be_filtered_restaged_and_deleted() {
    let sb = start().await;
    let key = interview_key(&sb).await;
    let pkey = invite_ok(&sb, &key, 7).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    invite_ok(&sb, &key, 8).await;
    assert_eq!(
        get(&sb, "/participants/?email=C7@EXAMPLE.COM").await["count"],
        1,
        "email filter ignores case"
    );
    assert_eq!(
        get(&sb, &format!("/participants/?interview={key}")).await["count"],
        2
    );

    let client = Client::new();
    let patched: Value = client
        .patch(url(&sb, &format!("/participants/{pkey}/")))
        .header("Authorization", ADMIN_API_KEY)
        .json(&json!({"stage": "Accepted"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patched["stage"], "Accepted");
    let deleted = client
        .delete(url(&sb, &format!("/participants/{pkey}/")))
        .header("Authorization", ADMIN_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = client
        .get(url(&sb, &format!("/participants/{pkey}/")))
        .header("Authorization", ADMIN_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_interview_can_be_created_from_a_template() {
    let sb = start().await;
    let categories = get(&sb, "/categories/").await;
    let category = categories["results"][0]["key"].as_str().unwrap();
    assert_eq!(
        get(&sb, &format!("/categories/{category}/")).await["key"],
        category
    );
    let templates = get(&sb, &format!("/interview-templates/?category={category}")).await;
    assert_eq!(templates["count"], 2);
    let template = templates["results"][0]["key"].as_str().unwrap();
    assert!(get(&sb, &format!("/interview-templates/{template}/")).await["questions"].is_array());
    let created = Client::new()
        .post(url(
            &sb,
            &format!("/interview-templates/{template}/interviews/"),
        ))
        .header("Authorization", ADMIN_API_KEY)
        .json(&json!({"title": "Support specialist — Leeds"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let interview: Value = created.json().await.unwrap();
    assert_eq!(interview["title"], "Support specialist — Leeds");
    assert_eq!(get(&sb, "/interviews/").await["count"], 4);
    assert_eq!(get(&sb, "/languages/").await["count"], 6);
}

#[tokio::test]
async fn webhooks_are_created_listed_updated_and_deleted() {
    let sb = start().await;
    let key = interview_key(&sb).await;
    let client = Client::new();
    let bad = client
        .post(url(&sb, "/webhooks/"))
        .header("Authorization", ADMIN_API_KEY)
        .json(&json!({"event": "interview.completed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let errors: Value = bad.json().await.unwrap();
    assert!(
        errors["url"][0].is_string()
            && errors["event"][0]
                .as_str()
                .unwrap()
                .contains("not a valid choice")
    );

    let created: Value = client
        .post(url(&sb, "/webhooks/"))
        .header("Authorization", ADMIN_API_KEY)
        .json(&json!({"url": "http://127.0.0.1:9/hooks/a", "event": "new_response", "interviews": [key]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for field in [
        "url",
        "event",
        "interviews",
        "follow_all_interviews",
        "departments",
        "users",
        "payload_configuration",
        "api_version",
        "status",
    ] {
        assert!(
            created.get(field).is_some(),
            "the observed webhook field {field} is present"
        );
    }
    let hook = created["key"].as_str().unwrap();
    assert_eq!(get(&sb, "/webhooks/").await["count"], 1);
    let patched: Value = client
        .patch(url(&sb, &format!("/webhooks/{hook}/")))
        .header("Authorization", ADMIN_API_KEY)
        .json(&json!({"url": "http://127.0.0.1:9/hooks/b"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (patched["url"].as_str(), patched["event"].as_str()),
        (Some("http://127.0.0.1:9/hooks/b"), Some("new_response"))
    );
    let deleted = client
        .delete(url(&sb, &format!("/webhooks/{hook}/")))
        .header("Authorization", ADMIN_API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(get(&sb, "/webhooks/").await["count"], 0);
}

/// A webhook receiver that fails its first `failures` deliveries, then records bodies.
async fn receiver(failures: usize) -> (String, Arc<Mutex<Vec<Value>>>) {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::new(Mutex::new(0usize));
    let recorded = Arc::clone(&bodies);
    let app = axum::Router::new().route(
        "/hooks/{event}",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let recorded = Arc::clone(&recorded);
            let seen = Arc::clone(&seen);
            async move {
                let mut n = seen.lock().unwrap();
                *n += 1;
                if *n <= failures {
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                recorded.lock().unwrap().push(body);
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), bodies)
}

async fn register(sb: &Sandbox, url_: &str, event: &str, interview: &str) {
    let response = Client::new()
        .post(url(sb, "/webhooks/"))
        .header("Authorization", ADMIN_API_KEY)
        .json(&json!({"url": url_, "event": event, "interviews": [interview], "follow_all_interviews": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn wait_for(bodies: &Arc<Mutex<Vec<Value>>>, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        if bodies.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    bodies.lock().unwrap().clone()
}

#[tokio::test]
async fn a_completion_is_delivered_to_the_new_response_webhook_without_an_event_name() {
    let sb = start().await;
    let key = interview_key(&sb).await;
    let (base, bodies) = receiver(0).await;
    register(
        &sb,
        &format!("{base}/hooks/new_response"),
        "new_response",
        &key,
    )
    .await;
    let participant = invite_ok(&sb, &key, 3).await;
    let pkey = participant["key"].as_str().unwrap();
    advance(&sb, pkey, Some("completed")).await;
    let delivered = wait_for(&bodies, 1).await;
    assert_eq!(delivered.len(), 1);
    let body = &delivered[0];
    assert_eq!(body["participant"]["key"], pkey);
    assert_eq!(body["interview"]["key"], key.as_str());
    assert_eq!(body["participant"]["email"], "c3@example.com");
    assert_eq!(body["participant"]["name"], "Cand 3");
    for field in [
        "event",
        "type",
        "event_type",
        "eventType",
        "trigger",
        "action",
    ] {
        assert!(
            body.get(field).is_none(),
            "no event name at {field}, as observed of Willo"
        );
    }
}

#[tokio::test]
async fn a_failing_receiver_gets_the_delivery_again_until_it_accepts() {
    let sb = start().await;
    let key = interview_key(&sb).await;
    let (base, bodies) = receiver(2).await;
    register(
        &sb,
        &format!("{base}/hooks/new_response"),
        "new_response",
        &key,
    )
    .await;
    let pkey = invite_ok(&sb, &key, 4).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    advance(&sb, &pkey, Some("completed")).await;
    assert_eq!(
        wait_for(&bodies, 1).await.len(),
        1,
        "delivered on the third attempt"
    );
    let deliveries: Value = Client::new()
        .get(format!("{}/willo/deliveries", sb.info.admin_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(deliveries[0]["attempts"], 3);
    assert_eq!(deliveries[0]["delivered"], true);
}

#[tokio::test]
async fn a_stage_change_is_delivered_to_the_stage_change_webhook() {
    let sb = start().await;
    let key = interview_key(&sb).await;
    let (base, bodies) = receiver(0).await;
    register(
        &sb,
        &format!("{base}/hooks/stage_change"),
        "stage_change",
        &key,
    )
    .await;
    let pkey = invite_ok(&sb, &key, 5).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    Client::new()
        .patch(url(&sb, &format!("/participants/{pkey}/")))
        .header("Authorization", ADMIN_API_KEY)
        .json(&json!({"stage": "Rejected"}))
        .send()
        .await
        .unwrap();
    let delivered = wait_for(&bodies, 1).await;
    assert_eq!(delivered[0]["participant"]["stage"], "Rejected");
    assert_eq!(delivered[0]["participant"]["key"], pkey.as_str());
}
