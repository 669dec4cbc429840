//! The Workable connector against wiremock with fixtures in Workable's documented shapes: the
//! Bearer token, `paging.next`, stages by slug, comments as the acting member (with a file inside
//! one), custom attributes, webhook subscriptions and signed deliveries.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::time::Duration;

use desk_ats::workable::{Workable, WorkableConfig};
use desk_ats::{ApplicationRef, AtsConnector, AtsError, FileSource, Job, NewAttachment, NewNote};
use desk_domain::Sensitive;
use http::HeaderMap;
use serde_json::{json, Value};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "workable-token";
const MEMBER: &str = "13e0eb0e";

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/workable/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn connector_as(server: &MockServer, member: Option<&str>) -> Workable {
    Workable::new(
        reqwest::Client::builder()
            .timeout(Duration::from_millis(800))
            .build()
            .unwrap(),
        WorkableConfig {
            base_url: format!("{}/spi/v3", server.uri()),
            token: Sensitive::from(TOKEN),
            member_id: member.map(str::to_owned),
            per_10_seconds: 10_000,
        },
    )
}

fn connector(server: &MockServer) -> Workable {
    connector_as(server, Some(MEMBER))
}

fn job() -> Job {
    Job {
        id: "GROOV005".into(),
        title: "Customer Success Associate".into(),
        department: None,
        location: None,
        status: "published".into(),
        raw: json!({}),
    }
}

fn candidate() -> ApplicationRef<'static> {
    ApplicationRef {
        id: "ce4da98",
        candidate_id: "ce4da98",
        stage_id: Some("phone-screen"),
    }
}

/// The account's stages, and job GROOV005's own (one more: "Culture fit").
async fn stages(server: &MockServer) {
    get(server, "/stages", fixture("stages")).await;
    get(
        server,
        "/jobs/GROOV005/stages",
        json!({ "stages": [
            { "id": 1, "slug": "applied", "name": "Applied", "kind": "applied", "position": 0 },
            { "id": 2, "slug": "culture-fit", "name": "Culture fit", "kind": "interview", "position": 1 },
        ] }),
    )
    .await;
}

async fn get(server: &MockServer, route: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path(format!("/spi/v3{route}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// The two pages of a job's candidates in Phone screen: the first links to the second.
async fn candidate_pages(server: &MockServer) {
    let mut first = fixture("candidates_page1");
    first["paging"]["next"] = json!(format!(
        "{}/spi/v3/candidates?shortcode=GROOV005&stage=phone-screen&limit=100&since_id=ce4da98",
        server.uri()
    ));
    Mock::given(method("GET"))
        .and(path("/spi/v3/candidates"))
        .and(query_param("since_id", "ce4da98"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("candidates_page2")))
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/spi/v3/candidates"))
        .and(query_param("shortcode", "GROOV005"))
        .and(query_param("stage", "phone-screen"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(first))
        .with_priority(5)
        .mount(server)
        .await;
}

#[tokio::test]
async fn candidates_are_listed_by_job_and_stage_on_the_server_following_paging_next() {
    let server = MockServer::start().await;
    candidate_pages(&server).await;
    stages(&server).await;
    let workable = connector(&server);
    let found = workable
        .applications(&[job()], Some(&["phone-screen".to_owned()]))
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["ce4da98", "ce4daa0"],
        "both pages, without the disqualified candidate"
    );
    assert_eq!(
        found[0].stage_id.as_deref(),
        Some("phone-screen"),
        "the stage Workable names is the slug its moves and filters take"
    );
    assert_eq!(found[0].job_id, "GROOV005");
    assert_eq!(
        found[0].candidate_id, found[0].id,
        "a Workable candidate is one application"
    );
    let people = workable.candidates(&found).await.unwrap();
    assert_eq!(
        (people[0].first_name.as_str(), people[0].last_name.as_str()),
        ("Zoë", "Müller")
    );
    assert_eq!(people[0].emails, ["zoe.mueller@example.de"]);
    assert_eq!(people[0].phones, ["+49 1512 3456789"]);
    assert!(people[1].phones.is_empty());
}

#[tokio::test]
async fn a_next_page_on_another_host_is_not_followed_with_the_token() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    get(
        &server,
        "/jobs",
        json!({ "jobs": [{ "id": "61884e2", "shortcode": "GROOV005", "title": "CSA", "state": "published" }],
                "paging": { "next": format!("{}/spi/v3/jobs?since_id=61884e2", elsewhere.uri()) } }),
    )
    .await;
    assert!(matches!(
        connector(&server).jobs().await,
        Err(AtsError::Decode { path, .. }) if path == "paging.next"
    ));
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn jobs_are_named_by_shortcode_and_stages_by_slug() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/spi/v3/jobs"))
        .and(query_param("state", "published"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "jobs": [{
            "id": "61884e2", "title": "Customer Success Associate", "full_title": "Customer Success Associate - CS",
            "shortcode": "GROOV005", "state": "published", "department": "Customer Success",
            "location": { "location_str": "London, UK", "country": "United Kingdom", "city": "London" }
        }] })))
        .mount(&server)
        .await;
    stages(&server).await;
    get(
        &server,
        "/members",
        json!({ "members": [{ "id": MEMBER, "name": "Riley Chen", "email": "riley@acme.example", "roles": ["admin"] }] }),
    )
    .await;
    let workable = connector(&server);
    let jobs = workable.jobs().await.unwrap();
    assert_eq!(jobs[0].id, "GROOV005");
    assert_eq!(jobs[0].department.as_deref(), Some("Customer Success"));
    assert_eq!(jobs[0].location.as_deref(), Some("London, UK"));
    let stages = workable.stages(&jobs).await.unwrap();
    assert_eq!(
        stages
            .iter()
            .map(|s| (s.id.as_str(), s.name.as_str(), s.job_id.is_none()))
            .collect::<Vec<_>>(),
        [
            ("applied", "Applied", true),
            ("phone-screen", "Phone screen", true),
            ("interview", "Interview", true),
            ("offer", "Offer", true),
            ("hired", "Hired", true),
            ("culture-fit", "Culture fit", true),
        ],
        "the account's pipeline, then what the job's own adds"
    );
    assert_eq!(workable.users().await.unwrap()[0].id, MEMBER);
}

#[tokio::test]
async fn comments_and_moves_are_made_as_the_member_and_refused_here_without_one() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/spi/v3/candidates/ce4da98/comments"))
        .and(body_partial_json(json!({
            "member_id": MEMBER,
            "comment": { "body": "Results\n\nwillo-desk:abc:1" },
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({ "id": "cmt-5" })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/spi/v3/candidates/ce4da98/move"))
        .and(body_partial_json(
            json!({ "member_id": MEMBER, "target_stage": "interview" }),
        ))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let note = NewNote {
        text: "Results\n\nwillo-desk:abc:1".into(),
        html: Some("<p>Results</p>".into()),
    };
    let workable = connector(&server);
    assert_eq!(
        workable.add_note(candidate(), &note).await.unwrap(),
        "cmt-5"
    );
    workable
        .move_application(candidate(), "interview")
        .await
        .unwrap();

    let nobody = connector_as(&server, None);
    assert!(matches!(
        nobody.add_note(candidate(), &note).await,
        Err(AtsError::Unsupported(why)) if why.contains("member")
    ));
    assert!(matches!(
        nobody.move_application(candidate(), "interview").await,
        Err(AtsError::Unsupported(_))
    ));
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "nothing is sent without a member"
    );
}

#[tokio::test]
async fn a_note_is_found_by_its_marker_among_the_candidates_activities() {
    let server = MockServer::start().await;
    get(
        &server,
        "/candidates/ce4da98/activities",
        fixture("activities"),
    )
    .await;
    let workable = connector(&server);
    assert_eq!(
        workable
            .find_note(candidate(), "willo-desk:0123abcd:1")
            .await
            .unwrap()
            .as_deref(),
        Some("act-2")
    );
    assert_eq!(
        workable
            .find_note(candidate(), "willo-desk:0123abcd:2")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_comment_answered_without_an_id_is_found_in_the_activities() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/spi/v3/candidates/ce4da98/comments"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    get(
        &server,
        "/candidates/ce4da98/activities",
        fixture("activities"),
    )
    .await;
    let note = NewNote {
        text: "Willo interview: Customer Success screen\n\nwillo-desk:0123abcd:1".into(),
        html: None,
    };
    assert_eq!(
        connector(&server)
            .add_note(candidate(), &note)
            .await
            .unwrap(),
        "act-2"
    );
}

#[tokio::test]
async fn a_file_travels_base64_inside_a_comment_and_the_score_as_a_custom_attribute() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/spi/v3/candidates/ce4da98/comments"))
        .and(body_partial_json(json!({
            "member_id": MEMBER,
            "comment": {
                "body": "Attached: willo-transcripts-abc-r1.txt",
                // "transcript text" in base64.
                "attachment": { "name": "willo-transcripts-abc-r1.txt", "data": "dHJhbnNjcmlwdCB0ZXh0" },
            },
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({ "id": "cmt-6" })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(
            "/spi/v3/candidates/ce4da98/update_custom_attribute_value",
        ))
        .and(body_partial_json(
            json!({ "custom_attribute_key": "willo_score", "value": "82" }),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    get(
        &server,
        "/candidates/ce4da98/activities",
        json!({ "activities": [
            // The note names the file too; it is not the file.
            { "id": "cmt-5", "action": "comment", "member": { "id": MEMBER },
              "body": "Answers... (the whole transcript is in the attachment willo-transcripts-abc-r1.txt)\n\nwillo-desk:abc:1" },
            { "id": "cmt-6", "action": "comment", "body": "Attached: willo-transcripts-abc-r1.txt",
              "member": { "id": MEMBER } },
        ] }),
    )
    .await;
    let workable = connector(&server);
    let file = NewAttachment {
        filename: "willo-transcripts-abc-r1.txt".into(),
        source: FileSource::Bytes {
            data: b"transcript text".to_vec(),
            content_type: "text/plain".into(),
        },
    };
    assert_eq!(
        workable.add_attachment(candidate(), &file).await.unwrap(),
        "cmt-6"
    );
    assert_eq!(
        workable
            .find_attachment(candidate(), "willo-transcripts-abc-r1.txt")
            .await
            .unwrap()
            .as_deref(),
        Some("cmt-6")
    );
    assert_eq!(
        workable
            .find_attachment(candidate(), "willo-transcripts-abc-r1.txt.bak")
            .await
            .unwrap(),
        None
    );
    workable
        .set_field(candidate(), "willo_score", "82")
        .await
        .unwrap();
}

#[tokio::test]
async fn the_subscription_replaces_the_receivers_older_ones_and_a_duplicate_is_no_error() {
    let server = MockServer::start().await;
    let ours = "https://hooks.example/hooks/ats/";
    get(
        &server,
        "/subscriptions",
        json!({ "subscriptions": [
            { "id": 104_693, "event": "candidate_moved", "target": format!("{ours}old-token") },
            { "id": 104_694, "event": "candidate_moved", "target": "https://zapier.example/hook" },
        ] }),
    )
    .await;
    Mock::given(method("DELETE"))
        .and(path("/spi/v3/subscriptions/104693"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/spi/v3/subscriptions"))
        .and(body_partial_json(json!({
            "target": format!("{ours}new-token"),
            "event": "candidate_moved",
            "args": { "job_shortcode": "", "stage_slug": "" },
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({ "id": 104_695 })))
        .expect(1)
        .mount(&server)
        .await;
    let workable = connector(&server);
    assert!(workable.capabilities().webhooks_by_api);
    workable
        .subscribe_stage_changes(&format!("{ours}new-token"), ours)
        .await
        .unwrap();
    assert!(
        server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .all(|r| r.url.path() != "/spi/v3/subscriptions/104694"),
        "another tool's subscription is left alone"
    );

    let fresh = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/spi/v3/subscriptions"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({ "error": "Not found" })))
        .mount(&fresh)
        .await;
    Mock::given(method("POST"))
        .and(path("/spi/v3/subscriptions"))
        .respond_with(
            ResponseTemplate::new(409).set_body_json(json!({ "error": "Target already exists" })),
        )
        .mount(&fresh)
        .await;
    connector(&fresh)
        .subscribe_stage_changes(&format!("{ours}new-token"), ours)
        .await
        .unwrap();
}

fn signed(body: &[u8], key: &str) -> HeaderMap {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(body);
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-workable-signature",
        hex::encode(mac.finalize().into_bytes()).parse().unwrap(),
    );
    headers
}

#[tokio::test]
async fn a_delivery_signed_with_the_account_token_is_read_and_others_refused() {
    let server = MockServer::start().await;
    let workable = connector(&server);
    let secret = workable.webhook_secret().unwrap();
    assert_eq!(
        secret.expose(),
        TOKEN,
        "Workable signs with the account token"
    );
    let body = serde_json::to_vec(&fixture("candidate_moved_webhook")).unwrap();
    let change = workable
        .verify_webhook(&signed(&body, TOKEN), &body, secret.expose())
        .unwrap()
        .unwrap();
    assert_eq!(change.application_id, "ce4da98");
    assert!(matches!(
        workable.verify_webhook(&signed(&body, "guess"), &body, TOKEN),
        Err(AtsError::BadSignature)
    ));
    assert!(matches!(
        workable.verify_webhook(&HeaderMap::new(), &body, TOKEN),
        Err(AtsError::BadSignature)
    ));
    let created = br#"{"event_type":"candidate_created","data":{"id":"x"}}"#;
    assert_eq!(
        workable
            .verify_webhook(&signed(created, TOKEN), created, TOKEN)
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_used_up_window_holds_the_next_request_until_workables_reset() {
    let server = MockServer::start().await;
    let reset = chrono::Utc::now().timestamp() + 2;
    Mock::given(method("GET"))
        .and(path("/spi/v3/members"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-rate-limit-limit", "10")
                .insert_header("x-rate-limit-remaining", "0")
                .insert_header("x-rate-limit-reset", reset.to_string().as_str())
                .set_body_json(json!({ "members": [] })),
        )
        .mount(&server)
        .await;
    let workable = connector(&server);
    workable.users().await.unwrap();
    let started = std::time::Instant::now();
    workable.users().await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the second request waited for the window Workable named"
    );
}

/// Workable answers a 429 without `Retry-After`; its `X-Rate-Limit-Reset` says when the window
/// frees a request, and the retry waits for it (retrying sooner would meet the same window).
#[tokio::test]
async fn a_429_is_waited_out_until_the_window_workable_names() {
    let server = MockServer::start().await;
    let reset = chrono::Utc::now().timestamp() + 2;
    Mock::given(method("GET"))
        .and(path("/spi/v3/stages"))
        .respond_with(move |_: &wiremock::Request| {
            if chrono::Utc::now().timestamp() < reset {
                ResponseTemplate::new(429)
                    .insert_header("x-rate-limit-limit", "10")
                    .insert_header("x-rate-limit-remaining", "0")
                    .insert_header("x-rate-limit-reset", reset.to_string().as_str())
                    .set_body_json(json!({ "error": "Too many requests" }))
            } else {
                ResponseTemplate::new(200).set_body_json(fixture("stages"))
            }
        })
        .mount(&server)
        .await;
    get(&server, "/jobs/GROOV005/stages", json!({ "stages": [] })).await;
    let stages = connector(&server).stages(&[job()]).await.unwrap();
    assert_eq!(stages.len(), 5);
    let tries = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/spi/v3/stages")
        .count();
    assert_eq!(
        tries, 2,
        "one refused, one after the reset: no retries spent inside the window"
    );
}

#[tokio::test]
async fn a_later_read_asks_only_for_candidates_updated_since_the_last() {
    let server = MockServer::start().await;
    stages(&server).await;
    Mock::given(method("GET"))
        .and(path("/spi/v3/candidates"))
        .and(wiremock::matchers::query_param_is_missing("updated_after"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("candidates_page2")))
        .expect(1)
        .mount(&server)
        .await;
    // Moved on, into a stage only the job's own pipeline has.
    let mut moved = fixture("candidates_page2")["candidates"][1].clone();
    moved["stage"] = json!("Culture fit");
    Mock::given(method("GET"))
        .and(path("/spi/v3/candidates"))
        .and(query_param("shortcode", "GROOV005"))
        .and(wiremock::matchers::query_param_contains(
            "updated_after",
            "T",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "candidates": [moved] })))
        .expect(1)
        .mount(&server)
        .await;
    let workable = connector(&server);
    let first = workable.applications(&[job()], None).await.unwrap();
    assert_eq!(
        first
            .iter()
            .map(|a| (a.id.as_str(), a.stage_id.as_deref()))
            .collect::<Vec<_>>(),
        [("ce4daa0", Some("phone-screen"))],
        "the disqualified candidate is left out"
    );
    let second = workable.applications(&[job()], None).await.unwrap();
    assert_eq!(
        second
            .iter()
            .map(|a| (a.id.as_str(), a.stage_id.as_deref()))
            .collect::<Vec<_>>(),
        [("ce4daa0", Some("culture-fit"))],
        "the update merged into what was read before"
    );
}
