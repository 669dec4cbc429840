//! The Greenhouse v3 reader against the simulated Greenhouse.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::time::Duration;

use desk_ats::greenhouse::{Greenhouse, GreenhouseConfig};
use desk_ats::AtsError;
use desk_sandbox::{AtsSettings, FaultKind, FaultRule, Sandbox, SandboxConfig};

fn client(sandbox: &Sandbox, secret: &str) -> Greenhouse {
    Greenhouse::new(
        reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap(),
        GreenhouseConfig {
            base_url: sandbox.info.greenhouse_base_url.clone(),
            token_url: sandbox.info.greenhouse_token_url.clone(),
            client_id: sandbox.info.greenhouse_client_id.clone(),
            client_secret: secret.to_owned(),
            acting_user: Some("503".into()),
        },
    )
}

async fn sandbox(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.unwrap()
}

#[tokio::test]
async fn it_reads_the_whole_demo_account() {
    let sb = sandbox(SandboxConfig::for_tests()).await;
    let gh = client(&sb, &sb.info.greenhouse_client_secret);
    let jobs = gh.list_jobs().await.unwrap();
    assert_eq!(jobs.len(), 3);
    let stages = gh.list_stages(&jobs).await.unwrap();
    assert_eq!(stages.len(), 17, "6 + 6 + 5 stages across the three jobs");
    let apps = gh.list_applications(&jobs).await.unwrap();
    assert_eq!(apps.len(), 41);
    assert!(
        apps.iter()
            .all(|a| stages.iter().any(|s| Some(&s.id) == a.stage_id.as_ref())),
        "every application sits in a known stage"
    );
    let mut ids: Vec<String> = apps.iter().map(|a| a.candidate_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let candidates = gh.list_candidates(&ids).await.unwrap();
    assert_eq!(candidates.len(), 40, "one candidate has two applications");
    assert!(
        candidates.iter().any(|c| c.first_name == "Zoë"),
        "non-ASCII names survive the trip"
    );
}

#[tokio::test]
async fn pages_are_followed_through_the_link_header() {
    let sb = sandbox(SandboxConfig::for_tests()).await;
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

#[tokio::test]
async fn a_wrong_secret_is_unauthorized() {
    let sb = sandbox(SandboxConfig::for_tests()).await;
    let gh = client(&sb, "not-the-secret");
    assert!(matches!(gh.list_jobs().await, Err(AtsError::Unauthorized)));
}

#[tokio::test]
async fn an_expired_token_is_refreshed_and_the_request_retried() {
    let mut config = SandboxConfig::for_tests();
    config.ats = AtsSettings {
        token_ttl: Duration::from_secs(3600),
        ..config.ats
    };
    let sb = sandbox(config).await;
    let gh = client(&sb, &sb.info.greenhouse_client_secret);
    gh.list_jobs().await.unwrap();
    sb.ats.expire_tokens();
    assert_eq!(
        gh.list_jobs().await.unwrap().len(),
        3,
        "the 401 led to a new token and a successful retry"
    );
}

#[tokio::test]
async fn throttling_is_reported_with_its_retry_after() {
    let mut config = SandboxConfig::for_tests();
    config.ats = AtsSettings {
        greenhouse_limit_per_10s: 2,
        ..config.ats
    };
    let sb = sandbox(config).await;
    let gh = client(&sb, &sb.info.greenhouse_client_secret);
    let jobs = gh.list_jobs().await.unwrap();
    gh.list_stages(&jobs).await.unwrap();
    match gh.list_applications(&jobs).await {
        Err(e @ AtsError::RateLimited { .. }) => {
            let wait = e.retry_after().expect("the simulator sends Retry-After");
            assert!(
                wait > Duration::ZERO && wait <= Duration::from_secs(10),
                "within the 10 s window: {wait:?}"
            );
            assert!(e.is_retryable());
        }
        other => panic!("the third request in the window must be throttled, got {other:?}"),
    }
}

#[tokio::test]
async fn server_errors_and_malformed_bodies_are_typed() {
    let sb = sandbox(SandboxConfig::for_tests()).await;
    let gh = client(&sb, &sb.info.greenhouse_client_secret);
    sb.faults.add(
        FaultRule::new(FaultKind::Status { status: 503 })
            .on_path("/greenhouse/v3/jobs")
            .times(1),
    );
    assert!(matches!(
        gh.list_jobs().await,
        Err(AtsError::Server { status: 503 })
    ));
    sb.faults.add(
        FaultRule::new(FaultKind::Malformed)
            .on_path("/greenhouse/v3/jobs")
            .times(1),
    );
    assert!(matches!(gh.list_jobs().await, Err(AtsError::Decode { .. })));
    sb.faults.add(
        FaultRule::new(FaultKind::Drop)
            .on_path("/greenhouse/v3/jobs")
            .times(1),
    );
    assert!(matches!(gh.list_jobs().await, Err(AtsError::Transport(_))));
    assert_eq!(
        gh.list_jobs().await.unwrap().len(),
        3,
        "faults were spent; the next call succeeds"
    );
}
