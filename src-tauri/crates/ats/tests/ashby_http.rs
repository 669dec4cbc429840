//! The Ashby connector against wiremock with fixtures in Ashby's documented shapes: RPC calls,
//! errors that come as HTTP 200, incremental sync and its fall back, notes on the candidate, and
//! signed webhooks.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::time::Duration;

use desk_ats::ashby::{Ashby, AshbyConfig};
use desk_ats::{
    Application, ApplicationRef, AtsConnector, AtsError, FileSource, Job, NewAttachment, NewNote,
    Removal,
};
use desk_domain::Sensitive;
use http::{HeaderMap, HeaderValue};
use serde_json::{json, Value};
use wiremock::matchers::{body_partial_json, body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "ashby-key";

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/ashby/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn connector(server: &MockServer) -> Ashby {
    Ashby::new(
        reqwest::Client::builder()
            .timeout(Duration::from_millis(800))
            .build()
            .unwrap(),
        AshbyConfig {
            base_url: server.uri(),
            api_key: Sensitive::from(KEY),
            per_minute: 60_000,
        },
    )
}

fn ok(results: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "success": true, "results": results }))
}

fn refused(code: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "success": false,
        "errors": [code],
        "errorInfo": { "code": code, "message": "refused by the test", "requestId": "r-1" },
    }))
}

async fn rpc(server: &MockServer, name: &str, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(format!("/{name}")))
        .respond_with(response)
        .mount(server)
        .await;
}

fn job() -> Job {
    Job {
        id: "job-1".into(),
        title: "Customer Success Associate".into(),
        department: None,
        location: None,
        status: "open".into(),
        raw: json!({}),
    }
}

fn application() -> ApplicationRef<'static> {
    ApplicationRef {
        id: "app-1",
        candidate_id: "cand-1",
        stage_id: Some("stage-screen"),
    }
}

/// Both pages of `application.list`: the second asked for with the first's cursor.
async fn application_pages(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/application.list"))
        .and(body_partial_json(json!({ "cursor": "cursor-2" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("applications_page2")))
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/application.list"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("applications_page1")))
        .with_priority(5)
        .mount(server)
        .await;
}

#[tokio::test]
async fn reads_are_posts_with_basic_auth_and_follow_the_cursor_and_stages_are_filtered_here() {
    let server = MockServer::start().await;
    application_pages(&server).await;
    Mock::given(method("POST"))
        .and(path("/candidate.info"))
        .and(body_partial_json(json!({ "id": "cand-3" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("candidate_info")))
        .mount(&server)
        .await;
    let ashby = connector(&server);

    let all = ashby.applications(&[job()], None).await.unwrap();
    assert_eq!(
        all.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["app-1", "app-3"],
        "both pages, without the archived application"
    );
    let screening = ashby
        .applications(&[job()], Some(&["stage-screen".to_owned()]))
        .await
        .unwrap();
    assert_eq!(screening.len(), 1);
    assert_eq!(screening[0].candidate_id, "cand-1");
    assert_eq!(screening[0].stage_id.as_deref(), Some("stage-screen"));

    let people = ashby.candidates(&all).await.unwrap();
    assert_eq!(people[0].first_name, "Zoë");
    assert_eq!(people[0].last_name, "Müller");
    assert_eq!(people[0].emails, ["zoe.mueller@example.de"]);
    assert_eq!(people[0].phones, ["+49 1512 3456789"]);
    assert_eq!(
        people[1].emails,
        ["aiko.tanaka@example.jp", "aiko@work.example.jp"],
        "a candidate the list shows without contact details is read with candidate.info"
    );

    let requests = server.received_requests().await.unwrap();
    // "ashby-key:" in base64.
    let basic = HeaderValue::from_static("Basic YXNoYnkta2V5Og==");
    assert!(requests
        .iter()
        .all(|r| r.method.as_str() == "POST" && r.headers.get("authorization") == Some(&basic)));
    let first: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(first["limit"], 100, "the largest page Ashby gives");
}

#[tokio::test]
async fn a_later_read_asks_only_for_changes_and_an_expired_token_means_a_full_read() {
    let server = MockServer::start().await;
    application_pages(&server).await;
    let ashby = connector(&server);
    assert_eq!(ashby.applications(&[job()], None).await.unwrap().len(), 2);

    // Zoë moves on; Aiko is archived. Only they come back for the first page's sync token.
    let moved = json!({
        "success": true,
        "results": [
            { "id": "app-1", "status": "Active", "candidate": { "id": "cand-1", "name": "Zoë Müller" },
              "currentInterviewStage": { "id": "stage-offer", "title": "Offer" }, "job": { "id": "job-1" } },
            { "id": "app-3", "status": "Archived", "candidate": { "id": "cand-3", "name": "Aiko Tanaka" },
              "currentInterviewStage": { "id": "stage-review" }, "job": { "id": "job-1" } }
        ],
        "moreDataAvailable": false,
        "syncToken": "sync-2"
    });
    Mock::given(method("POST"))
        .and(path("/application.list"))
        .and(body_partial_json(json!({ "syncToken": "sync-1" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(moved))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    let now = ashby.applications(&[job()], None).await.unwrap();
    assert_eq!(now.len(), 1, "the archived application left the list");
    assert_eq!(now[0].stage_id.as_deref(), Some("stage-offer"));

    // The token Ashby gave last is used next; when it has expired, everything is read again.
    Mock::given(method("POST"))
        .and(path("/application.list"))
        .and(body_partial_json(json!({ "syncToken": "sync-2" })))
        .respond_with(refused("sync_token_expired"))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    let again = ashby.applications(&[job()], None).await.unwrap();
    assert_eq!(
        again.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["app-1", "app-3"],
        "the full read's view, not the stale mirror's"
    );
}

/// A sync token refused in any way a wait does not cure (here as a 400, where Ashby's status for
/// these codes is not documented) is not sent again and again: everything is read in full.
#[tokio::test]
async fn a_sync_token_refused_otherwise_means_a_full_read_too() {
    let server = MockServer::start().await;
    application_pages(&server).await;
    let ashby = connector(&server);
    ashby.applications(&[job()], None).await.unwrap();
    Mock::given(method("POST"))
        .and(path("/application.list"))
        .and(body_partial_json(json!({ "syncToken": "sync-1" })))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "success": false, "errors": ["sync_token_invalid"],
            "errorInfo": { "code": "sync_token_invalid", "message": "Invalid sync token" }
        })))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(ashby.applications(&[job()], None).await.unwrap().len(), 2);
    let full_reads = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| !String::from_utf8_lossy(&r.body).contains("syncToken"))
        .filter(|r| !String::from_utf8_lossy(&r.body).contains("cursor"))
        .count();
    assert_eq!(
        full_reads, 2,
        "the first read, and the one after the refusal"
    );
}

#[tokio::test]
async fn a_refusal_in_a_200_is_an_error_that_names_ashbys_code() {
    let server = MockServer::start().await;
    rpc(
        &server,
        "application.changeStage",
        refused("interview_stage_not_found"),
    )
    .await;
    rpc(
        &server,
        "user.list",
        ResponseTemplate::new(403).set_body_json(json!({
            "success": false, "errors": ["missing_endpoint_permission"],
            "errorInfo": { "code": "missing_endpoint_permission", "message": "The key lacks Organization read" }
        })),
    )
    .await;
    let ashby = connector(&server);
    match ashby.move_application(application(), "nowhere").await {
        Err(AtsError::Rejected { message, .. }) => {
            assert!(message.contains("interview_stage_not_found"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        ashby.users().await,
        Err(AtsError::Forbidden(m)) if m.contains("Organization read")
    ));
}

#[tokio::test]
async fn stages_come_from_each_jobs_interview_plan() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/jobInterviewPlan.info"))
        .and(body_partial_json(json!({ "jobId": "job-1" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("job_interview_plan")))
        .mount(&server)
        .await;
    // A plan answered without its stages is listed with interviewStage.list.
    Mock::given(method("POST"))
        .and(path("/jobInterviewPlan.info"))
        .and(body_partial_json(json!({ "jobId": "job-2" })))
        .respond_with(ok(json!({ "jobId": "job-2", "interviewPlanId": "plan-2" })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/interviewStage.list"))
        .and(body_partial_json(json!({ "interviewPlanId": "plan-2" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true, "moreDataAvailable": false,
            "results": [{ "id": "p2-first", "title": "New", "orderInInterviewPlan": 0, "interviewPlanId": "plan-2" }]
        })))
        .mount(&server)
        .await;
    let second = Job {
        id: "job-2".into(),
        ..job()
    };
    let stages = connector(&server)
        .stages(&[job(), second.clone()])
        .await
        .unwrap();
    assert_eq!(
        stages
            .iter()
            .map(|s| (s.id.as_str(), s.job_id.as_deref(), s.position))
            .collect::<Vec<_>>(),
        [
            ("stage-review", Some("job-1"), 0),
            ("stage-screen", Some("job-1"), 1),
            ("stage-offer", Some("job-1"), 2),
            ("p2-first", Some("job-2"), 0),
        ]
    );

    // A third job on job 1's plan: that plan's stages belong to no one job.
    Mock::given(method("POST"))
        .and(path("/jobInterviewPlan.info"))
        .and(body_partial_json(json!({ "jobId": "job-3" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("job_interview_plan")))
        .mount(&server)
        .await;
    let third = Job {
        id: "job-3".into(),
        ..job()
    };
    let shared = connector(&server)
        .stages(&[job(), second, third])
        .await
        .unwrap();
    assert_eq!(
        shared
            .iter()
            .map(|s| (s.id.as_str(), s.job_id.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("stage-review", None),
            ("stage-screen", None),
            ("stage-offer", None),
            ("p2-first", Some("job-2")),
        ],
        "each stage once"
    );
}

#[tokio::test]
async fn notes_go_to_the_candidate_as_plain_text_and_are_found_by_their_marker() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/candidate.createNote"))
        .and(body_partial_json(json!({
            "candidateId": "cand-1",
            "note": { "type": "text/plain" },
            "sendNotifications": false,
        })))
        .respond_with(ok(json!({ "id": "note-7", "createdAt": "2026-12-01T10:00:00Z", "isPrivate": false,
                                  "content": "x", "author": { "id": "u", "firstName": "A", "lastName": "B" } })))
        .expect(1)
        .mount(&server)
        .await;
    rpc(
        &server,
        "candidate.listNotes",
        ResponseTemplate::new(200).set_body_json(json!({
            "success": true, "moreDataAvailable": false,
            "results": [
                { "id": "note-6", "content": "willo-desk:abc:10" },
                { "id": "note-7", "content": "Results\n\nwillo-desk:abc:1" }
            ]
        })),
    )
    .await;
    let ashby = connector(&server);
    let note = NewNote {
        text: "Results\n\nwillo-desk:abc:1".into(),
        html: Some("<p>Results</p>".into()),
    };
    assert_eq!(
        ashby.add_note(application(), &note).await.unwrap(),
        "note-7"
    );
    assert_eq!(
        ashby
            .find_note(application(), "willo-desk:abc:1")
            .await
            .unwrap()
            .as_deref(),
        Some("note-7"),
        "revision 10's note is not revision 1's"
    );
    assert_eq!(
        ashby
            .find_note(application(), "willo-desk:abc:2")
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_lost_note_is_not_written_twice_by_the_retry_of_a_write() {
    let server = MockServer::start().await;
    rpc(&server, "candidate.createNote", ResponseTemplate::new(502)).await;
    let ashby = connector(&server);
    let note = NewNote {
        text: "x".into(),
        html: None,
    };
    assert!(matches!(
        ashby.add_note(application(), &note).await,
        Err(AtsError::Server { status: 502 })
    ));
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "a note is not repeated on a 5xx: Ashby may have written it (the marker decides)"
    );
}

#[tokio::test]
async fn files_are_uploaded_to_the_candidate_and_found_by_name_and_fields_set_on_the_application() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/candidate.uploadFile"))
        .and(body_string_contains("name=\"candidateId\""))
        .and(body_string_contains("transcript text"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("candidate_info")))
        .expect(1)
        .mount(&server)
        .await;
    rpc(
        &server,
        "candidate.info",
        ResponseTemplate::new(200).set_body_json(fixture("candidate_info")),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/customField.setValue"))
        .and(body_partial_json(json!({
            // A number, as Ashby's Number fields take it.
            "objectId": "app-1", "objectType": "Application", "fieldId": "field-score", "fieldValue": 82,
        })))
        .respond_with(ok(json!({ "id": "field-score", "title": "Willo score", "value": "82" })))
        .expect(1)
        .mount(&server)
        .await;
    let ashby = connector(&server);
    let file = NewAttachment {
        filename: "willo-transcripts-abc-r1.txt".into(),
        source: FileSource::Bytes {
            data: b"transcript text".to_vec(),
            content_type: "text/plain".into(),
        },
    };
    assert_eq!(
        ashby.add_attachment(application(), &file).await.unwrap(),
        "file-9"
    );
    assert_eq!(
        ashby
            .find_attachment(application(), "willo-transcripts-abc-r1.txt")
            .await
            .unwrap()
            .as_deref(),
        Some("file-9")
    );
    assert_eq!(
        ashby
            .find_attachment(application(), "other.txt")
            .await
            .unwrap(),
        None
    );
    ashby
        .set_field(application(), "field-score", "82")
        .await
        .unwrap();
    assert!(
        matches!(
            ashby
                .add_attachment(
                    application(),
                    &NewAttachment {
                        filename: "x".into(),
                        source: FileSource::Url("https://x".into())
                    }
                )
                .await,
            Err(AtsError::Unsupported(_))
        ),
        "Ashby takes files, not links"
    );
}

#[tokio::test]
async fn notes_and_files_are_removed_by_hand_since_ashby_cannot_delete_them() {
    let server = MockServer::start().await;
    let ashby = connector(&server);
    assert!(matches!(
        ashby.remove_note(application(), "note-7").await.unwrap(),
        Removal::ByHand { why } if why.contains("Ashby")
    ));
    assert!(matches!(
        ashby
            .remove_attachment(application(), "file-9")
            .await
            .unwrap(),
        Removal::ByHand { .. }
    ));
    assert!(server.received_requests().await.unwrap().is_empty());
    assert_eq!(
        ashby.record_url(application()).as_deref(),
        Some("https://app.ashbyhq.com/candidates/cand-1")
    );
}

#[tokio::test]
async fn a_throttled_read_is_retried_after_the_time_ashby_gives() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/user.list"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/user.list"))
        .and(header("accept", "application/json; version=1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true, "moreDataAvailable": false,
            "results": [{ "id": "u-1", "firstName": "Riley", "lastName": "Chen", "email": "riley@acme.example",
                          "globalRole": "Organization Admin", "isEnabled": true, "updatedAt": "2026-01-01T00:00:00Z" }]
        })))
        .with_priority(5)
        .mount(&server)
        .await;
    let users = connector(&server).users().await.unwrap();
    assert_eq!(users[0].name, "Riley Chen");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

fn signed(body: &[u8], secret: &str) -> HeaderMap {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let mut headers = HeaderMap::new();
    headers.insert(
        "ashby-signature",
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
            .parse()
            .unwrap(),
    );
    headers
}

#[tokio::test]
async fn a_signed_stage_change_is_read_and_a_forged_one_refused() {
    let server = MockServer::start().await;
    let ashby = connector(&server);
    let secret = "webhook-secret";
    let body = serde_json::to_vec(&fixture("stage_change_webhook")).unwrap();
    let change = ashby
        .verify_webhook(&signed(&body, secret), &body, secret)
        .unwrap()
        .unwrap();
    assert_eq!(change.application_id, "app-1");
    assert_eq!(change.to_stage_id.as_deref(), Some("stage-screen"));

    assert!(matches!(
        ashby.verify_webhook(&signed(&body, "another"), &body, secret),
        Err(AtsError::BadSignature)
    ));
    let mut tampered = body.clone();
    tampered[10] ^= 1;
    assert!(matches!(
        ashby.verify_webhook(&signed(&body, secret), &tampered, secret),
        Err(AtsError::BadSignature)
    ));
    assert!(matches!(
        ashby.verify_webhook(&HeaderMap::new(), &body, secret),
        Err(AtsError::BadSignature)
    ));
    let ping = br#"{"action":"ping","data":{"webhookActionType":"ping"}}"#;
    assert_eq!(
        ashby
            .verify_webhook(&signed(ping, secret), ping, secret)
            .unwrap(),
        None,
        "a ping is verified, and is not a stage change"
    );
}

#[tokio::test]
async fn the_applications_raw_json_is_kept() {
    let server = MockServer::start().await;
    application_pages(&server).await;
    let all: Vec<Application> = connector(&server)
        .applications(&[job()], None)
        .await
        .unwrap();
    assert_eq!(all[0].raw["currentInterviewStage"]["title"], "Screening");
}
