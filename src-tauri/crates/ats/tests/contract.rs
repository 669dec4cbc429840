//! One contract, every connector: the same checks run against Greenhouse, Lever, Ashby and
//! Workable over the simulated ATS, which serves one dataset in each dialect.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::time::Duration;

use desk_ats::ashby::{Ashby, AshbyConfig};
use desk_ats::greenhouse::{Greenhouse, GreenhouseConfig};
use desk_ats::lever::{Lever, LeverConfig};
use desk_ats::workable::{Workable, WorkableConfig};
use desk_ats::{AtsConnector, AtsError, FileSource, NewAttachment, NewNote, Removal};
use desk_domain::Sensitive;
use desk_sandbox::ats::Dialect;
use desk_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn greenhouse(sb: &Sandbox) -> Box<dyn AtsConnector> {
    Box::new(Greenhouse::new(
        http(),
        GreenhouseConfig {
            base_url: sb.info.greenhouse_base_url.clone(),
            token_url: sb.info.greenhouse_token_url.clone(),
            client_id: sb.info.greenhouse_client_id.clone(),
            client_secret: Sensitive::new(sb.info.greenhouse_client_secret.clone()),
            acting_user: Some("503".into()),
            per_second: 100,
        },
    ))
}

async fn lever(sb: &Sandbox) -> Box<dyn AtsConnector> {
    // Lever's user ids are UUIDs: find the integration user's.
    let probe = Lever::new(
        http(),
        LeverConfig {
            base_url: sb.info.lever_base_url.clone(),
            api_key: Sensitive::new(sb.info.lever_api_key.clone()),
            acting_user: None,
            per_second: 100,
        },
    );
    let acting = probe
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email.as_deref() == Some("integrations@acme.example"))
        .unwrap()
        .id;
    Box::new(Lever::new(
        http(),
        LeverConfig {
            base_url: sb.info.lever_base_url.clone(),
            api_key: Sensitive::new(sb.info.lever_api_key.clone()),
            acting_user: Some(acting),
            per_second: 100,
        },
    ))
}

fn ashby(sb: &Sandbox) -> Box<dyn AtsConnector> {
    Box::new(Ashby::new(
        http(),
        AshbyConfig {
            base_url: sb.info.ashby_base_url.clone(),
            api_key: Sensitive::new(sb.info.ashby_api_key.clone()),
            per_minute: 6_000,
        },
    ))
}

fn workable(sb: &Sandbox) -> Box<dyn AtsConnector> {
    Box::new(Workable::new(
        http(),
        WorkableConfig {
            base_url: sb.info.workable_base_url.clone(),
            token: Sensitive::new(sb.info.workable_token.clone()),
            member_id: Some(Dialect::Workable.user_id(503)),
            per_10_seconds: 1_000,
        },
    ))
}

async fn writes(sb: &Sandbox, ats: &str) -> Vec<Value> {
    reqwest::get(format!("{}/ats/writes?ats={ats}", sb.info.admin_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Each connector on a simulator of its own.
async fn connectors() -> Vec<(Sandbox, Box<dyn AtsConnector>, &'static str)> {
    let mut all = Vec::new();
    for dialect in Dialect::ALL {
        let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
        let ats = match dialect {
            Dialect::Greenhouse => greenhouse(&sb),
            Dialect::Lever => lever(&sb).await,
            Dialect::Ashby => ashby(&sb),
            Dialect::Workable => workable(&sb),
        };
        all.push((sb, ats, dialect.name()));
    }
    all
}

#[tokio::test]
async fn all_read_the_same_account() {
    for (_sb, ats, name) in connectors().await {
        assert!(
            !ats.users().await.unwrap().is_empty(),
            "{name}: users (the credentials check)"
        );
        let jobs = ats.jobs().await.unwrap();
        assert_eq!(jobs.len(), 3, "{name}");
        let first = jobs
            .iter()
            .find(|j| j.title == "Customer Success Associate")
            .unwrap();
        assert_eq!(
            (first.department.as_deref(), first.location.as_deref()),
            (Some("Customer Success"), Some("London, UK")),
            "{name}: the job's department and location by name"
        );
        let stages = ats.stages(&jobs).await.unwrap();
        assert!(stages.iter().any(|s| s.name == "Screening"), "{name}");
        let applications = ats.applications(&jobs, None).await.unwrap();
        assert_eq!(applications.len(), 41, "{name}");
        assert!(
            applications
                .iter()
                .all(|a| stages.iter().any(|s| Some(&s.id) == a.stage_id.as_ref())),
            "{name}: every application in a known stage"
        );
        let candidates = ats.candidates(&applications).await.unwrap();
        // In Workable a candidate belongs to one job: the person who applied twice is two.
        let people = if name == "workable" { 41 } else { 40 };
        assert_eq!(candidates.len(), people, "{name}: one person applied twice");
        let zoe = candidates
            .iter()
            .find(|c| c.first_name == "Zoë")
            .expect("non-ASCII names survive");
        assert_eq!(zoe.emails, ["zoe.mueller@example.de"], "{name}");
        assert!(
            candidates.iter().any(|c| c.phones.is_empty()),
            "{name}: some have no phone"
        );
    }
}

#[tokio::test]
async fn all_list_a_stage_whether_the_server_filters_or_not() {
    for (_sb, ats, name) in connectors().await {
        let jobs = ats.jobs().await.unwrap();
        let screening: Vec<String> = ats
            .stages(&jobs)
            .await
            .unwrap()
            .into_iter()
            .filter(|s| s.name == "Screening")
            .map(|s| s.id)
            .collect();
        let in_screening = ats.applications(&jobs, Some(&screening)).await.unwrap();
        assert_eq!(
            in_screening.len(),
            8,
            "{name} (server-side filter: {})",
            ats.capabilities().server_side_stage_filter
        );
    }
}

#[tokio::test]
async fn all_move_an_application_and_read_it_back() {
    for (_sb, ats, name) in connectors().await {
        let jobs = ats.jobs().await.unwrap();
        let stages = ats.stages(&jobs).await.unwrap();
        let applications = ats.applications(&jobs, None).await.unwrap();
        let app = applications
            .iter()
            .find(|a| {
                a.stage_id
                    == stages
                        .iter()
                        .find(|s| {
                            s.name == "Application Review"
                                && s.job_id.as_deref().is_none_or(|j| j == a.job_id)
                        })
                        .map(|s| s.id.clone())
            })
            .unwrap();
        let target = stages
            .iter()
            .find(|s| s.name == "Screening" && s.job_id.as_deref().is_none_or(|j| j == app.job_id))
            .unwrap();
        ats.move_application(app.reference(), &target.id)
            .await
            .unwrap();
        let after = ats
            .applications(&jobs, Some(std::slice::from_ref(&target.id)))
            .await
            .unwrap();
        assert!(
            after.iter().any(|a| a.id == app.id),
            "{name}: the application is in Screening now"
        );
    }
}

#[tokio::test]
async fn all_write_a_note_and_find_it_again_by_its_marker() {
    for (sb, ats, name) in connectors().await {
        let jobs = ats.jobs().await.unwrap();
        let app = ats.applications(&jobs, None).await.unwrap().remove(0);
        let marker = "willo-desk:0123456789abcdef0123456789abcdef:1";
        assert_eq!(
            ats.find_note(app.reference(), marker).await.unwrap(),
            None,
            "{name}: nothing before"
        );
        let note = NewNote {
            text: format!("Willo interview completed.\n\n{marker}"),
            html: None,
        };
        let id = ats.add_note(app.reference(), &note).await.unwrap();
        assert_eq!(
            ats.find_note(app.reference(), marker).await.unwrap(),
            Some(id),
            "{name}: found by its marker"
        );
        assert_eq!(
            ats.find_note(app.reference(), "willo-desk:other:1")
                .await
                .unwrap(),
            None,
            "{name}"
        );
        let recorded = writes(&sb, name).await;
        assert_eq!(
            recorded.iter().filter(|w| w["kind"] == "note").count(),
            1,
            "{name}: exactly one note"
        );
        // Ashby attributes a note to the API key's own user: there is no acting user to name.
        if name != "ashby" {
            assert!(
                recorded[0]["actor"].is_string(),
                "{name}: attributed to the acting user"
            );
        }
    }
}

#[tokio::test]
async fn all_upload_a_file_and_attach_by_url_where_the_ats_can() {
    for (sb, ats, name) in connectors().await {
        let jobs = ats.jobs().await.unwrap();
        let app = ats.applications(&jobs, None).await.unwrap().remove(0);
        let by_url = ats
            .add_attachment(
                app.reference(),
                &NewAttachment {
                    filename: "answers.html".into(),
                    source: FileSource::Url("https://example.com/answers".into()),
                },
            )
            .await;
        if ats.capabilities().attachment_by_url {
            by_url.unwrap();
        } else {
            assert!(
                matches!(by_url, Err(AtsError::Unsupported(_))),
                "{name}: {by_url:?}"
            );
        }
        let before = writes(&sb, name).await.len();
        let bytes = NewAttachment {
            filename: "transcript.txt".into(),
            source: FileSource::Bytes {
                data: b"Q1: Because.".to_vec(),
                content_type: "text/plain".into(),
            },
        };
        assert_eq!(
            ats.find_attachment(app.reference(), "transcript.txt")
                .await
                .unwrap(),
            None,
            "{name}: not there before"
        );
        let id = ats.add_attachment(app.reference(), &bytes).await.unwrap();
        assert_eq!(
            writes(&sb, name).await.len(),
            before + 1,
            "{name}: recorded"
        );
        assert_eq!(
            ats.find_attachment(app.reference(), "transcript.txt")
                .await
                .unwrap(),
            Some(id),
            "{name}: found by its name"
        );
    }
}

#[tokio::test]
async fn all_remove_what_they_wrote_or_say_it_is_left_to_a_person() {
    for (sb, ats, name) in connectors().await {
        let jobs = ats.jobs().await.unwrap();
        let app = ats.applications(&jobs, None).await.unwrap().remove(0);
        let marker = "willo-desk:0123456789abcdef0123456789abcdef:1";
        let note = NewNote {
            text: format!("Q1: Because.\n\n{marker}"),
            html: None,
        };
        let note = ats.add_note(app.reference(), &note).await.unwrap();
        let file = NewAttachment {
            filename: "transcript.txt".into(),
            source: FileSource::Bytes {
                data: b"Q1: Because.".to_vec(),
                content_type: "text/plain".into(),
            },
        };
        let file = ats.add_attachment(app.reference(), &file).await.unwrap();
        let removed_note = ats.remove_note(app.reference(), &note).await.unwrap();
        let removed_file = ats.remove_attachment(app.reference(), &file).await.unwrap();
        let left_note = ats.find_note(app.reference(), marker).await.unwrap();
        let left_file = ats
            .find_attachment(app.reference(), "transcript.txt")
            .await
            .unwrap();
        if name == "lever" {
            assert_eq!(
                (removed_note, removed_file),
                (Removal::Deleted, Removal::Deleted)
            );
            assert_eq!((left_note, left_file), (None, None), "lever: both gone");
            assert!(writes(&sb, name).await.is_empty(), "lever: nothing left");
            assert_eq!(
                ats.remove_note(app.reference(), &note).await.unwrap(),
                Removal::AlreadyGone,
                "lever: a second attempt finds it gone"
            );
        } else {
            assert!(matches!(removed_note, Removal::ByHand { .. }), "{name}");
            assert!(matches!(removed_file, Removal::ByHand { .. }), "{name}");
            assert_eq!((left_note, left_file), (Some(note), Some(file)), "{name}");
        }
        let url = ats.record_url(app.reference()).unwrap();
        assert!(
            url.starts_with("https://") || url.starts_with(&sb.info.origin),
            "{name}: {url}"
        );
    }
}

#[tokio::test]
async fn custom_fields_follow_the_capability() {
    for (sb, ats, name) in connectors().await {
        let jobs = ats.jobs().await.unwrap();
        let app = ats.applications(&jobs, None).await.unwrap().remove(0);
        let result = ats.set_field(app.reference(), "willo_score", "80").await;
        if ats.capabilities().custom_fields {
            result.unwrap();
            assert_eq!(writes(&sb, name).await[0]["kind"], "field", "{name}");
            let body = &writes(&sb, name).await[0]["body"];
            let value = body
                .get("fieldValue")
                .or_else(|| body.get("value"))
                .unwrap();
            // Ashby's Number fields take a number; Workable's attributes take text.
            let expected = if name == "ashby" {
                serde_json::json!(80)
            } else {
                serde_json::json!("80")
            };
            assert_eq!(value, &expected, "{name}: {body}");
        } else {
            assert!(
                matches!(result, Err(AtsError::Unsupported(_))),
                "{name}: {result:?}"
            );
        }
    }
}

#[tokio::test]
async fn wrong_credentials_are_refused_by_each() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let gh = Greenhouse::new(
        http(),
        GreenhouseConfig {
            base_url: sb.info.greenhouse_base_url.clone(),
            token_url: sb.info.greenhouse_token_url.clone(),
            client_id: sb.info.greenhouse_client_id.clone(),
            client_secret: Sensitive::from("wrong"),
            acting_user: None,
            per_second: 100,
        },
    );
    assert!(matches!(gh.jobs().await, Err(AtsError::Unauthorized)));
    let lv = Lever::new(
        http(),
        LeverConfig {
            base_url: sb.info.lever_base_url.clone(),
            api_key: Sensitive::from("wrong"),
            acting_user: None,
            per_second: 100,
        },
    );
    assert!(matches!(lv.jobs().await, Err(AtsError::Unauthorized)));
    let ab = Ashby::new(
        http(),
        AshbyConfig {
            base_url: sb.info.ashby_base_url.clone(),
            api_key: Sensitive::from("wrong"),
            per_minute: 600,
        },
    );
    // Ashby answers a wrong (rather than missing) key with 403.
    assert!(matches!(
        ab.jobs().await,
        Err(AtsError::Forbidden(_) | AtsError::Unauthorized)
    ));
    let wk = Workable::new(
        http(),
        WorkableConfig {
            base_url: sb.info.workable_base_url.clone(),
            token: Sensitive::from("wrong"),
            member_id: None,
            per_10_seconds: 100,
        },
    );
    assert!(matches!(wk.jobs().await, Err(AtsError::Unauthorized)));
}

#[tokio::test]
async fn an_expired_greenhouse_token_is_refreshed_and_the_request_retried() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let gh = greenhouse(&sb);
    gh.jobs().await.unwrap();
    sb.ats.expire_tokens();
    assert_eq!(
        gh.jobs().await.unwrap().len(),
        3,
        "the 401 led to a new token and a successful retry"
    );
}

#[tokio::test]
async fn transient_faults_are_retried_for_reads() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let gh = greenhouse(&sb);
    sb.faults.add(
        desk_sandbox::FaultRule::new(desk_sandbox::FaultKind::Status { status: 503 })
            .on_path("/greenhouse/v3/jobs")
            .times(2),
    );
    sb.faults.add(
        desk_sandbox::FaultRule::new(desk_sandbox::FaultKind::Drop)
            .on_path("/lever/v1/postings")
            .times(1),
    );
    assert_eq!(gh.jobs().await.unwrap().len(), 3, "two 503s, then success");
    let lv = lever(&sb).await;
    assert_eq!(
        lv.jobs().await.unwrap().len(),
        3,
        "a dropped connection, then success"
    );
}

/// Workable gives an account token 10 requests in 10 seconds. The connector's default pace keeps
/// under it with the simulator counting what it refuses at Workable's published figure; the same
/// requests sent as fast as they go are refused, so the count could have caught a wrong pace.
#[tokio::test]
async fn workables_default_pace_holds_its_published_limit() {
    async fn simulator() -> Sandbox {
        let mut config = SandboxConfig::for_tests();
        config.ats.workable_limit_per_10s = 10;
        Sandbox::start(config).await.unwrap()
    }
    let sb = simulator().await;
    let ats = Workable::new(
        http(),
        WorkableConfig {
            base_url: sb.info.workable_base_url.clone(),
            token: Sensitive::new(sb.info.workable_token.clone()),
            member_id: None,
            per_10_seconds: desk_ats::workable::DEFAULT_PER_10_SECONDS,
        },
    );
    for _ in 0..12 {
        ats.users().await.unwrap();
    }
    assert_eq!(
        sb.ats.workable_refused(),
        0,
        "12 requests at the default pace: none refused"
    );

    let sb = simulator().await;
    let client = http();
    for _ in 0..12 {
        client
            .get(format!("{}/members", sb.info.workable_base_url))
            .bearer_auth(&sb.info.workable_token)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        sb.ats.workable_refused(),
        2,
        "unpaced, the 11th and 12th request in 10 seconds are refused"
    );
}
