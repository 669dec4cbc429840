//! The Ashby and Workable dialects of the simulated ATS over real HTTP: auth, pagination,
//! Ashby's incremental sync and its 200-with-`success:false` errors, Workable's stage filter,
//! comments and rate limit, signed stage-change webhooks from both, and fault injection.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use desk_sandbox::{AtsSettings, Dialect, Sandbox, SandboxConfig, ASHBY_API_KEY, WORKABLE_TOKEN};
use hmac::{Hmac, Mac};
use reqwest::Client;
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::sync::mpsc;

async fn start() -> Sandbox {
    Sandbox::start(SandboxConfig::for_tests()).await.unwrap()
}

async fn admin(sb: &Sandbox, method: reqwest::Method, path: &str, body: Value) -> StatusCode {
    Client::new()
        .request(method, format!("{}{path}", sb.info.admin_url))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
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

fn hmac_hex(key: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// A webhook receiver: every POST's headers and exact body come out of the channel. The first
/// `fail_first` requests are answered 503.
async fn receiver(fail_first: u32) -> (String, mpsc::UnboundedReceiver<(HeaderMap, Bytes)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let seen = Arc::new(AtomicU32::new(0));
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let (tx, seen) = (tx.clone(), Arc::clone(&seen));
            async move {
                if seen.fetch_add(1, Ordering::SeqCst) < fail_first {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                tx.send((headers, body)).unwrap();
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rx)
}

async fn next_delivery(rx: &mut mpsc::UnboundedReceiver<(HeaderMap, Bytes)>) -> (HeaderMap, Bytes) {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a delivery arrives")
        .unwrap()
}

/// The `n`th webhook delivery once the sender has heard the receiver's answer.
async fn delivered(sb: &Sandbox, n: usize) -> desk_sandbox::WebhookDelivery {
    for _ in 0..100 {
        if let Some(d) = sb
            .ats
            .webhook_deliveries()
            .get(n)
            .filter(|d| d.delivered || d.gave_up)
        {
            return d.clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "delivery {n} did not settle: {:?}",
        sb.ats.webhook_deliveries()
    );
}

// ---- Ashby ----------------------------------------------------------------------------------------

fn ashby_call(sb: &Sandbox, method: &str) -> reqwest::RequestBuilder {
    Client::new()
        .post(format!("{}/{method}", sb.info.ashby_base_url))
        .basic_auth(ASHBY_API_KEY, Some(""))
}

/// Calls a method; HTTP 200 is expected whatever the outcome (Ashby's errors are 200 too).
async fn ashby(sb: &Sandbox, method: &str, body: Value) -> Value {
    let response = ashby_call(sb, method).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{method} {body}");
    response.json().await.unwrap()
}

/// Every page of a list; returns the items and the last page's `syncToken`.
async fn ashby_all(sb: &Sandbox, method: &str, body: Value) -> (Vec<Value>, Option<String>) {
    let mut items = Vec::new();
    let mut request = body;
    loop {
        let page = ashby(sb, method, request.clone()).await;
        assert_eq!(page["success"], true, "{method}: {page}");
        items.extend(page["results"].as_array().unwrap().iter().cloned());
        if page["moreDataAvailable"] == false {
            assert!(
                page.get("nextCursor").is_none(),
                "no cursor on the last page"
            );
            return (items, page["syncToken"].as_str().map(str::to_owned));
        }
        assert!(
            page.get("syncToken").is_none(),
            "the token comes on the last page only"
        );
        request["cursor"] = page["nextCursor"].clone();
    }
}

#[tokio::test]
async fn ashby_wants_its_api_key_as_basic_auth() {
    let sb = start().await;
    let url = format!("{}/job.list", sb.info.ashby_base_url);
    let none = Client::new().post(&url).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let body: Value = none.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert!(body["errors"][0].is_string());

    let wrong = Client::new()
        .post(&url)
        .basic_auth("not-the-key", Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["errorInfo"]["code"], "invalid_api_key");
    assert_eq!(body["errors"], json!(["invalid_api_key"]));

    let empty_body = ashby_call(&sb, "job.list").send().await.unwrap();
    assert_eq!(empty_body.status(), StatusCode::OK, "an empty body is {{}}");
    let jobs: Value = empty_body.json().await.unwrap();
    assert_eq!(jobs["success"], true);
    assert_eq!(jobs["results"].as_array().unwrap().len(), 3);
    assert_eq!(jobs["results"][0]["status"], "Open");
    assert_eq!(jobs["results"][0]["id"], Dialect::Ashby.job_id(4001));

    let unknown = ashby_call(&sb, "candidate.teleport")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["errors"],
        json!(["not_found"])
    );
}

#[tokio::test]
async fn ashby_pages_applications_to_the_end_and_then_gives_a_sync_token() {
    let sb = start().await;
    let mut pages = 0;
    let mut seen = Vec::new();
    let mut request = json!({"limit": 15});
    let token = loop {
        let page = ashby(&sb, "application.list", request.clone()).await;
        pages += 1;
        for app in page["results"].as_array().unwrap() {
            seen.push(app["id"].as_str().unwrap().to_owned());
        }
        if page["moreDataAvailable"] == false {
            break page["syncToken"].as_str().unwrap().to_owned();
        }
        assert!(page.get("syncToken").is_none());
        request = json!({"limit": 15, "cursor": page["nextCursor"]});
    };
    assert_eq!(
        (seen.len(), pages),
        (41, 3),
        "41 applications in pages of 15"
    );
    seen.dedup();
    assert_eq!(seen.len(), 41, "none given twice");
    assert!(!token.is_empty());

    let (users, _) = ashby_all(&sb, "user.list", json!({"limit": 2})).await;
    assert_eq!(users.len(), 3);
    assert_eq!(users[0]["globalRole"], "Admin");

    let first = ashby(&sb, "application.list", json!({"limit": 1})).await;
    let app = &first["results"][0];
    assert_eq!(app["id"], Dialect::Ashby.application_id(9001));
    assert_eq!(app["status"], "Active");
    assert_eq!(app["candidate"]["name"], "María García");
    assert_eq!(
        app["candidate"]["primaryEmailAddress"]["value"],
        "maria.garcia@example.com"
    );
    assert_eq!(app["currentInterviewStage"]["title"], "Screening");
    assert_eq!(
        app["currentInterviewStage"]["id"],
        Dialect::Ashby.stage_id(4001, 1)
    );
    assert_eq!(app["job"]["title"], "Customer Success Associate");
    assert!(app["customFields"].is_array());

    let by_job = ashby_all(
        &sb,
        "application.list",
        json!({"jobId": Dialect::Ashby.job_id(4003), "status": "Active"}),
    )
    .await
    .0;
    assert_eq!(
        by_job.len(),
        14,
        "13 applied to job 4003, and María a second time"
    );
}

#[tokio::test]
async fn ashby_incremental_sync_gives_only_what_changed_until_the_token_expires() {
    let sb = start().await;
    let (all, token) = ashby_all(&sb, "application.list", json!({})).await;
    assert_eq!(all.len(), 41);
    let token = token.unwrap();

    let (nothing, same) = ashby_all(&sb, "application.list", json!({"syncToken": token})).await;
    assert!(nothing.is_empty(), "nothing changed: {nothing:?}");
    let token = same.unwrap();

    let moved = ashby(
        &sb,
        "application.changeStage",
        json!({"applicationId": Dialect::Ashby.application_id(9002), "interviewStageId": Dialect::Ashby.stage_id(4001, 1)}),
    )
    .await;
    assert_eq!(moved["success"], true, "{moved}");
    assert_eq!(
        moved["results"]["currentInterviewStage"]["title"],
        "Screening"
    );

    let (changed, next) = ashby_all(
        &sb,
        "application.list",
        json!({"syncToken": token, "limit": 1}),
    )
    .await;
    let ids: Vec<&str> = changed.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [Dialect::Ashby.application_id(9002)],
        "only the moved one"
    );
    assert_eq!(changed[0]["currentInterviewStage"]["title"], "Screening");
    let token = next.unwrap();

    // A rename in the ATS changes both of María's applications.
    let renamed = Client::new()
        .put(format!("{}/ats/candidates/7001/name", sb.info.admin_url))
        .json(&json!({"first_name": "María José", "last_name": "García"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), StatusCode::NO_CONTENT);
    let (changed, next) = ashby_all(&sb, "application.list", json!({"syncToken": token})).await;
    let ids: Vec<&str> = changed.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            Dialect::Ashby.application_id(9001),
            Dialect::Ashby.application_id(9041)
        ]
    );
    assert!(changed
        .iter()
        .all(|a| a["candidate"]["name"] == "María José García"));

    assert_eq!(
        admin(
            &sb,
            reqwest::Method::POST,
            "/ats/ashby/expire-sync-tokens",
            json!({})
        )
        .await,
        StatusCode::NO_CONTENT
    );
    let expired = ashby(&sb, "application.list", json!({"syncToken": next.unwrap()})).await;
    assert_eq!(expired["success"], false);
    assert_eq!(expired["errorInfo"]["code"], "sync_token_expired");
    assert_eq!(expired["errors"], json!(["sync_token_expired"]));
    let (full, _) = ashby_all(&sb, "application.list", json!({})).await;
    assert_eq!(full.len(), 41, "a full sync still works");
}

#[tokio::test]
async fn ashby_refuses_bad_input_with_200_and_success_false_and_records_nothing() {
    let sb = start().await;
    let cases = [
        (
            "application.changeStage",
            // Job 4001's application, job 4002's stage.
            json!({"applicationId": Dialect::Ashby.application_id(9001), "interviewStageId": Dialect::Ashby.stage_id(4002, 1)}),
            "invalid_input",
        ),
        (
            "application.changeStage",
            json!({"applicationId": "nope", "interviewStageId": Dialect::Ashby.stage_id(4001, 1)}),
            "invalid_input",
        ),
        (
            "jobInterviewPlan.info",
            json!({"jobId": "nope"}),
            "invalid_input",
        ),
        (
            "candidate.createNote",
            json!({"candidateId": "nope", "note": "x"}),
            "invalid_input",
        ),
        (
            "customField.setValue",
            json!({"objectId": Dialect::Ashby.application_id(9001), "objectType": "Application", "fieldId": "f"}),
            "invalid_input",
        ),
        (
            "application.list",
            json!({"cursor": "%%%"}),
            "next_cursor_expired",
        ),
        (
            "application.list",
            json!({"syncToken": "never-issued"}),
            "sync_token_expired",
        ),
    ];
    for (method, body, code) in cases {
        let answer = ashby(&sb, method, body.clone()).await;
        assert_eq!(answer["success"], false, "{method} {body}");
        assert_eq!(answer["errorInfo"]["code"], code, "{method} {body}");
        assert_eq!(answer["errors"], json!([code]));
    }
    let garbled = ashby_call(&sb, "job.list")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbled.status(), StatusCode::OK);
    assert_eq!(
        garbled.json::<Value>().await.unwrap()["errorInfo"]["code"],
        "invalid_input"
    );
    assert!(writes(&sb, "?ats=ashby").await.is_empty());
}

#[tokio::test]
async fn ashby_stages_come_from_each_jobs_interview_plan() {
    let sb = start().await;
    let mut ids = std::collections::HashSet::new();
    for job in [4001, 4002] {
        let plan = ashby(
            &sb,
            "jobInterviewPlan.info",
            json!({"jobId": Dialect::Ashby.job_id(job)}),
        )
        .await;
        let plan_id = plan["results"]["interviewPlanId"].clone();
        assert_eq!(plan["results"]["jobId"], Dialect::Ashby.job_id(job));
        let (stages, _) = ashby_all(
            &sb,
            "interviewStage.list",
            json!({"interviewPlanId": plan_id}),
        )
        .await;
        assert_eq!(stages.len(), 6);
        for (order, stage) in stages.iter().enumerate() {
            assert_eq!(stage["orderInInterviewPlan"], order);
            assert_eq!(stage["interviewPlanId"], plan_id);
            ids.insert(stage["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(stages[0]["type"], "PreInterviewScreen");
        assert_eq!(stages[5]["type"], "Hired");
    }
    assert_eq!(ids.len(), 12, "a stage id belongs to one job");
}

/// A multipart body by hand (this crate's reqwest has no multipart feature).
fn multipart(candidate: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "sandbox-boundary-7f3a";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"candidateId\"\r\n\r\n{candidate}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"transcript.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn ashby_notes_files_and_fields_are_recorded_on_the_candidate() {
    let sb = start().await;
    let app = sb.ats.with_data(|d| d.application(9001).cloned().unwrap());
    let candidate = Dialect::Ashby.candidate_id(&app);
    let plain = ashby(
        &sb,
        "candidate.createNote",
        json!({"candidateId": candidate, "note": "Willo: completed"}),
    )
    .await;
    assert_eq!(plain["success"], true, "{plain}");
    assert_eq!(plain["results"]["content"], "Willo: completed");
    assert!(plain["results"]["author"]["id"].is_string());
    let html = ashby(
        &sb,
        "candidate.createNote",
        json!({"candidateId": candidate, "note": {"type": "text/html", "value": "<b>Score</b> 4/5"}, "sendNotifications": false}),
    )
    .await;
    assert_eq!(html["success"], true, "{html}");

    let (notes, _) = ashby_all(
        &sb,
        "candidate.listNotes",
        json!({"candidateId": candidate, "limit": 1}),
    )
    .await;
    let contents: Vec<&str> = notes
        .iter()
        .map(|n| n["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["Willo: completed", "<b>Score</b> 4/5"]);

    let (content_type, body) = multipart(&candidate, b"Q1: Because.");
    let uploaded: Value = ashby_call(&sb, "candidate.uploadFile")
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(uploaded["success"], true, "{uploaded}");
    assert_eq!(
        uploaded["results"]["fileHandles"][0]["name"],
        "transcript.txt"
    );
    let info = ashby(&sb, "candidate.info", json!({"id": candidate})).await;
    assert_eq!(info["results"]["fileHandles"].as_array().unwrap().len(), 1);
    assert_eq!(
        info["results"]["applicationIds"].as_array().unwrap().len(),
        2
    );
    assert_eq!(info["results"]["emailAddresses"][0]["isPrimary"], true);

    let field = ashby(
        &sb,
        "customField.setValue",
        json!({"objectId": Dialect::Ashby.application_id(9001), "objectType": "Application", "fieldId": "willo-score", "fieldValue": 4}),
    )
    .await;
    assert_eq!(field["success"], true, "{field}");
    let app = ashby(
        &sb,
        "application.info",
        json!({"applicationId": Dialect::Ashby.application_id(9001)}),
    )
    .await;
    assert_eq!(app["results"]["customFields"][0]["value"], 4);

    let recorded = writes(&sb, "?ats=ashby").await;
    let kinds: Vec<&str> = recorded
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["note", "note", "file", "field"]);
    assert!(recorded.iter().all(|w| w["candidate_id"] == 7001));
    assert_eq!(
        recorded[1]["body"],
        json!({"content": "<b>Score</b> 4/5", "type": "text/html", "sendNotifications": false})
    );
    assert_eq!(recorded[2]["body"]["size"], 12);
    assert_eq!(recorded[3]["body"]["fieldValue"], 4);
}

#[tokio::test]
async fn ashby_throttles_with_retry_after() {
    let mut config = SandboxConfig::for_tests();
    config.ats = AtsSettings {
        ashby_limit_per_minute: 2,
        ..config.ats
    };
    let sb = Sandbox::start(config).await.unwrap();
    let mut last = None;
    for _ in 0..3 {
        last = Some(ashby_call(&sb, "user.list").send().await.unwrap());
    }
    let last = last.unwrap();
    assert_eq!(last.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = last.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
}

#[tokio::test]
async fn ashby_sends_a_signed_stage_change_webhook_for_every_move() {
    let sb = start().await;
    let (url, mut rx) = receiver(0).await;
    let secret = "whsec-sandbox-test";
    assert_eq!(
        admin(
            &sb,
            reqwest::Method::PUT,
            "/ats/ashby/webhook",
            json!({"url": url, "secret": secret})
        )
        .await,
        StatusCode::NO_CONTENT
    );

    let moved = Client::new()
        .post(format!("{}/ats/applications/9002/move", sb.info.admin_url))
        .json(&json!({"stage": "Screening"}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::OK);
    let (headers, body) = next_delivery(&mut rx).await;
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(
        headers["ashby-signature"].to_str().unwrap(),
        format!("sha256={}", hmac_hex(secret, &body)),
        "signed over the exact body with the secret"
    );
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["action"], "candidateStageChange");
    assert_eq!(
        event["data"]["application"]["id"],
        Dialect::Ashby.application_id(9002)
    );
    assert_eq!(
        event["data"]["application"]["currentInterviewStage"]["title"],
        "Screening"
    );

    let advanced = sb.ats.advance_one_applicant().unwrap();
    let (_, body) = next_delivery(&mut rx).await;
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        event["data"]["application"]["id"],
        Dialect::Ashby.application_id(advanced)
    );

    delivered(&sb, 1).await;
    let deliveries: Vec<Value> = Client::new()
        .get(format!("{}/ats/webhook-deliveries", sb.info.admin_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[0]["ats"], "ashby");
    assert_eq!(deliveries[0]["delivered"], true);
    assert_eq!(deliveries[0]["attempts"], 1);
    assert_eq!(deliveries[0]["url"], url.as_str());
    assert_eq!(deliveries[0]["application_id"], 9002);

    assert_eq!(
        admin(
            &sb,
            reqwest::Method::DELETE,
            "/ats/ashby/webhook",
            json!({})
        )
        .await,
        StatusCode::NO_CONTENT
    );
    sb.ats.with_data(|d| d.move_application(9005, 2).unwrap());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        sb.ats.webhook_deliveries().len(),
        2,
        "no webhook, no delivery"
    );
}

// ---- Workable -------------------------------------------------------------------------------------

fn workable_get(sb: &Sandbox, path: &str) -> reqwest::RequestBuilder {
    Client::new()
        .get(format!("{}{path}", sb.info.workable_base_url))
        .bearer_auth(WORKABLE_TOKEN)
}

fn workable_post(sb: &Sandbox, path: &str, body: Value) -> reqwest::RequestBuilder {
    Client::new()
        .post(format!("{}{path}", sb.info.workable_base_url))
        .bearer_auth(WORKABLE_TOKEN)
        .json(&body)
}

async fn workable_json(sb: &Sandbox, path: &str) -> Value {
    let response = workable_get(sb, path).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.json().await.unwrap()
}

/// Follows `paging.next` to the end.
async fn workable_all(sb: &Sandbox, path: &str, key: &str) -> (Vec<Value>, usize) {
    let mut url = format!("{}{path}", sb.info.workable_base_url);
    let (mut items, mut pages) = (Vec::new(), 0);
    loop {
        let page: Value = Client::new()
            .get(&url)
            .bearer_auth(WORKABLE_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        pages += 1;
        items.extend(page[key].as_array().unwrap().iter().cloned());
        match page["paging"]["next"].as_str() {
            Some(next) => url = next.to_owned(),
            None => return (items, pages),
        }
    }
}

fn member(user: u64) -> String {
    Dialect::Workable.user_id(user)
}

#[tokio::test]
async fn workable_wants_its_token_as_bearer() {
    let sb = start().await;
    let url = format!("{}/jobs", sb.info.workable_base_url);
    for request in [
        Client::new().get(&url),
        Client::new().get(&url).bearer_auth("nope"),
        Client::new().get(&url).basic_auth(WORKABLE_TOKEN, Some("")),
    ] {
        let refused = request.send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            refused.json::<Value>().await.unwrap(),
            json!({"error": "Not authorized"})
        );
    }
    let jobs = workable_json(&sb, "/jobs?state=published").await;
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 3);
    assert_eq!(jobs["jobs"][0]["shortcode"], Dialect::Workable.job_id(4001));
    assert_eq!(jobs["jobs"][0]["location"]["country_code"], "GB");
    let members = workable_json(&sb, "/members").await;
    assert_eq!(members["members"][0]["id"], member(501));
    let unknown = workable_get(&sb, "/candidates/c999999")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(unknown.json::<Value>().await.unwrap()["error"].is_string());
}

#[tokio::test]
async fn workable_pages_follow_next_urls_to_the_end() {
    let sb = start().await;
    let (candidates, pages) = workable_all(&sb, "/candidates?limit=15", "candidates").await;
    assert_eq!((candidates.len(), pages), (41, 3));
    let mut ids: Vec<&str> = candidates
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 41, "none given twice");
    assert_eq!(candidates[0]["id"], Dialect::Workable.application_id(9001));
    assert_eq!(candidates[0]["stage"], "Screening");
    assert_eq!(
        candidates[0]["job"]["shortcode"],
        Dialect::Workable.job_id(4001)
    );
    assert_eq!(candidates[0]["disqualified"], false);

    let (jobs, pages) = workable_all(&sb, "/jobs?limit=2&state=published", "jobs").await;
    assert_eq!((jobs.len(), pages), (3, 2));
    let (default, pages) = workable_all(&sb, "/candidates", "candidates").await;
    assert_eq!((default.len(), pages), (41, 1), "50 to a page by default");
}

#[tokio::test]
async fn workable_filters_candidates_by_stage_slug_on_the_server() {
    let sb = start().await;
    let stages = workable_json(&sb, "/stages").await;
    let slugs: Vec<&str> = stages["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs[1], "screening");
    let shortcode = Dialect::Workable.job_id(4002);
    let job_stages = workable_json(&sb, &format!("/jobs/{shortcode}/stages")).await;
    assert_eq!(job_stages["stages"].as_array().unwrap().len(), 6);
    assert!(job_stages["stages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["slug"] != "phone-interview"));

    let (screening, _) =
        workable_all(&sb, "/candidates?stage=screening&limit=3", "candidates").await;
    assert_eq!(screening.len(), 8);
    assert!(screening.iter().all(|c| c["stage"] == "Screening"));
    let shortcode = Dialect::Workable.job_id(4001);
    let (both, _) = workable_all(
        &sb,
        &format!("/candidates?stage=screening&shortcode={shortcode}"),
        "candidates",
    )
    .await;
    assert_eq!(both.len(), 3, "stage and job filters combine");
    let (by_email, _) = workable_all(
        &sb,
        "/candidates?email=MARIA.GARCIA@example.com",
        "candidates",
    )
    .await;
    assert_eq!(by_email.len(), 2, "one candidate per application");
}

#[tokio::test]
async fn workable_comments_with_and_without_an_attachment_are_recorded_and_listed() {
    let sb = start().await;
    let id = Dialect::Workable.application_id(9001);
    let plain = workable_post(
        &sb,
        &format!("/candidates/{id}/comments"),
        json!({"member_id": member(503), "comment": {"body": "Willo: completed", "policy": ["simple"]}}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(plain.status(), StatusCode::CREATED);
    assert!(plain.json::<Value>().await.unwrap()["id"].is_string());
    let attached = workable_post(
        &sb,
        &format!("/candidates/{id}/comments"),
        json!({"member_id": member(503), "comment": {"body": "Transcript attached", "attachment": {"name": "transcript.txt", "data": "UTE6IEJlY2F1c2Uu"}}}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(attached.status(), StatusCode::CREATED);

    for (body, why) in [
        (json!({"comment": {"body": "x"}}), "member_id is required"),
        (
            json!({"member_id": "e999999", "comment": {"body": "x"}}),
            "member_id must be a member",
        ),
        (
            json!({"member_id": member(503), "comment": {"body": " "}}),
            "body is required",
        ),
        (
            json!({"member_id": member(503), "comment": {"body": "x", "attachment": {"name": "a.txt", "data": "%%%"}}}),
            "data must be base64",
        ),
        (json!({"member_id": member(503)}), "comment is required"),
    ] {
        let refused = workable_post(&sb, &format!("/candidates/{id}/comments"), body)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{why}");
        let error = refused.json::<Value>().await.unwrap()["error"]
            .as_str()
            .unwrap()
            .to_owned();
        if why.starts_with("member_id") {
            assert!(
                error.contains("member_id"),
                "the error names member_id: {error}"
            );
        }
    }

    let recorded = writes(&sb, "?ats=workable&kind=note").await;
    assert_eq!(recorded.len(), 2, "refused comments are not recorded");
    assert_eq!(recorded[0]["actor"], member(503).as_str());
    assert_eq!(recorded[0]["body"]["policy"], json!(["simple"]));
    assert_eq!(recorded[0]["body"]["attachment"], Value::Null);
    assert_eq!(
        recorded[1]["body"]["attachment"],
        json!({"name": "transcript.txt", "size": 12})
    );

    let activities = workable_json(&sb, &format!("/candidates/{id}/activities")).await;
    let activities = activities["activities"].as_array().unwrap();
    assert_eq!(activities.len(), 2);
    assert_eq!(activities[0]["action"], "comment");
    assert_eq!(activities[0]["body"], "Willo: completed");
    assert_eq!(activities[0]["member"]["name"], "Willo Desk");
    assert!(activities[0].get("attachment").is_none());
    assert_eq!(activities[1]["attachment"]["name"], "transcript.txt");
}

#[tokio::test]
async fn workable_moves_by_slug_as_a_member() {
    let sb = start().await;
    let id = Dialect::Workable.application_id(9001);
    let path = format!("/candidates/{id}/move");
    for (body, why) in [
        (
            json!({"target_stage": "phone-interview"}),
            "member_id is required",
        ),
        (
            json!({"member_id": member(501), "target_stage": "technical-interview"}),
            "job 4001 has no technical interview",
        ),
        (
            json!({"member_id": member(501), "target_stage": "nowhere"}),
            "no such stage",
        ),
    ] {
        let refused = workable_post(&sb, &path, body).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{why}");
    }
    let moved = workable_post(
        &sb,
        &path,
        json!({"member_id": member(501), "target_stage": "phone-interview"}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(moved.status(), StatusCode::OK);
    assert_eq!(moved.json::<Value>().await.unwrap(), json!({}));
    let candidate = workable_json(&sb, &format!("/candidates/{id}")).await;
    assert_eq!(candidate["candidate"]["stage"], "Phone Interview");
    let recorded = writes(&sb, "?ats=workable&kind=move").await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        recorded[0]["body"],
        json!({"from": "screening", "to": "phone-interview"})
    );
    let activities = workable_json(&sb, &format!("/candidates/{id}/activities")).await;
    assert_eq!(activities["activities"][0]["action"], "moved");
    assert_eq!(activities["activities"][0]["stage_name"], "Phone Interview");
}

#[tokio::test]
async fn workable_refuses_the_eleventh_request_in_ten_seconds_and_says_so_in_headers() {
    let mut config = SandboxConfig::for_tests();
    config.ats = AtsSettings {
        workable_limit_per_10s: AtsSettings::default().workable_limit_per_10s,
        ..config.ats
    };
    let sb = Sandbox::start(config).await.unwrap();
    let sent = (0..11).map(|_| workable_get(&sb, "/stages").send());
    let responses = futures::future::join_all(sent).await;
    let mut refused = 0;
    for response in responses {
        let response = response.unwrap();
        for header in [
            "x-rate-limit-limit",
            "x-rate-limit-remaining",
            "x-rate-limit-reset",
        ] {
            assert!(
                response.headers().contains_key(header),
                "{header} on every answer"
            );
        }
        assert_eq!(response.headers()["x-rate-limit-limit"], "10");
        let reset: i64 = response.headers()["x-rate-limit-reset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let now = chrono::Utc::now().timestamp();
        assert!(
            (now..=now + 11).contains(&reset),
            "reset is a Unix time within the window: {reset}"
        );
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
            assert_eq!(response.headers()["x-rate-limit-remaining"], "0");
            assert!(response.headers().get("retry-after").is_none());
            assert_eq!(
                response.json::<Value>().await.unwrap(),
                json!({"error": "Too many requests"})
            );
        } else {
            assert_eq!(response.status(), StatusCode::OK);
        }
    }
    assert_eq!(refused, 1, "ten are allowed in ten seconds");
    assert_eq!(sb.ats.workable_refused(), 1, "and the refusal is counted");
}

#[tokio::test]
async fn workable_subscriptions_get_signed_candidate_moved_events_and_replays() {
    let sb = start().await;
    // The receiver fails its first request: Workable replays it.
    let (url, mut rx) = receiver(1).await;
    let created = workable_post(
        &sb,
        "/subscriptions",
        json!({"target": url, "event": "candidate_moved", "args": {"job_shortcode": Dialect::Workable.job_id(4001), "stage_slug": ""}}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let subscription = created.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let twice = workable_post(
        &sb,
        "/subscriptions",
        json!({"target": url, "event": "candidate_moved"}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(twice.status(), StatusCode::CONFLICT);
    assert!(twice.json::<Value>().await.unwrap()["error"].is_string());
    let (other_url, mut other) = receiver(0).await;
    let offer_only = workable_post(
        &sb,
        "/subscriptions",
        json!({"target": other_url, "event": "candidate_moved", "args": {"stage_slug": "offer"}}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(offer_only.status(), StatusCode::CREATED);
    let listed = workable_json(&sb, "/subscriptions").await;
    assert_eq!(listed["subscriptions"].as_array().unwrap().len(), 2);

    let id = Dialect::Workable.application_id(9001);
    let moved = workable_post(
        &sb,
        &format!("/candidates/{id}/move"),
        json!({"member_id": member(501), "target_stage": "phone-interview"}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(moved.status(), StatusCode::OK);
    let (headers, body) = next_delivery(&mut rx).await;
    assert_eq!(
        headers["x-workable-signature"].to_str().unwrap(),
        hmac_hex(WORKABLE_TOKEN, &body),
        "signed over the exact body with the account token"
    );
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["event_type"], "candidate_moved");
    assert_eq!(event["resource_type"], "candidate");
    assert_eq!(event["data"]["id"], id.as_str());
    assert_eq!(event["data"]["stage"], "Phone Interview", "the new stage");
    let delivery = delivered(&sb, 0).await;
    assert_eq!(
        (delivery.ats.as_str(), delivery.attempts, delivery.delivered),
        ("workable", 2, true)
    );

    // Job 4002's move is not followed by the first subscription, nor (not Offer) by the second.
    sb.ats.with_data(|d| d.move_application(9014, 3).unwrap());
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(rx.try_recv().is_err() && other.try_recv().is_err());
    assert_eq!(sb.ats.webhook_deliveries().len(), 1);

    let delete = |sub: String| {
        Client::new()
            .delete(format!("{}/subscriptions/{sub}", sb.info.workable_base_url))
            .bearer_auth(WORKABLE_TOKEN)
            .send()
    };
    assert_eq!(
        delete(subscription.clone()).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        delete(subscription).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

// ---- both -----------------------------------------------------------------------------------------

#[tokio::test]
async fn faults_apply_to_the_ashby_and_workable_paths() {
    let sb = start().await;
    let set = Client::new()
        .put(format!("{}/faults", sb.info.admin_url))
        .json(&json!([
            {"kind": "status", "status": 503, "path_prefix": "/ashby/", "times": 1},
            {"kind": "status", "status": 502, "path_prefix": "/workable/", "times": 1},
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::NO_CONTENT);
    let ashby_first = ashby_call(&sb, "job.list").send().await.unwrap();
    assert_eq!(ashby_first.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        ashby_call(&sb, "job.list").send().await.unwrap().status(),
        StatusCode::OK
    );
    let workable_first = workable_get(&sb, "/jobs").send().await.unwrap();
    assert_eq!(workable_first.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        workable_get(&sb, "/jobs").send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_sandbox_info_names_both_new_dialects() {
    let sb = start().await;
    let info: Value = Client::new()
        .get(format!("{}/info", sb.info.admin_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["ashbyBaseUrl"], format!("{}/ashby", sb.info.origin));
    assert_eq!(info["ashbyApiKey"], ASHBY_API_KEY);
    assert_eq!(
        info["workableBaseUrl"],
        format!("{}/workable/spi/v3", sb.info.origin)
    );
    assert_eq!(info["workableToken"], WORKABLE_TOKEN);
    assert_eq!(Dialect::Workable.name(), "workable");
}
