//! Fault injection, switched on and off at run time through the admin API, on both simulators.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use desk_sandbox::{FaultKind, FaultRule, Sandbox, SandboxConfig, ADMIN_API_KEY, LEVER_API_KEY};
use reqwest::Client;
use serde_json::{json, Value};

async fn start() -> Sandbox {
    Sandbox::start(SandboxConfig::for_tests()).await.unwrap()
}

async fn set_faults(sb: &Sandbox, rules: Value) {
    let response = Client::new()
        .put(format!("{}/faults", sb.info.admin_url))
        .json(&rules)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

async fn languages(sb: &Sandbox) -> Result<reqwest::Response, reqwest::Error> {
    Client::new()
        .get(format!("{}/languages/", sb.info.willo_base_url))
        .header("Authorization", ADMIN_API_KEY)
        .send()
        .await
}

#[tokio::test]
async fn an_injected_429_carries_retry_after() {
    let sb = start().await;
    set_faults(
        &sb,
        json!([{"kind": "rate_limit", "retry_after_secs": 7, "path_prefix": "/api/", "times": 1}]),
    )
    .await;
    assert_eq!(sb.faults.struck(), 0);
    let throttled = languages(&sb).await.unwrap();
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.headers()["retry-after"], "7");
    assert_eq!(
        languages(&sb).await.unwrap().status(),
        StatusCode::OK,
        "the rule fired once"
    );
    assert_eq!(sb.faults.struck(), 1, "and it counted the one it struck");
}

#[tokio::test]
async fn injected_server_errors_use_the_status_asked_for() {
    let sb = start().await;
    for status in [500u16, 502, 503] {
        set_faults(&sb, json!([{"kind": "status", "status": status}])).await;
        assert_eq!(languages(&sb).await.unwrap().status().as_u16(), status);
    }
}

#[tokio::test]
async fn an_injected_delay_slows_the_answer() {
    let sb = start().await;
    set_faults(&sb, json!([{"kind": "delay", "millis": 300}])).await;
    let started = Instant::now();
    assert_eq!(
        languages(&sb).await.unwrap().status(),
        StatusCode::OK,
        "a delayed request still succeeds"
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn an_injected_drop_cuts_the_connection() {
    let sb = start().await;
    set_faults(&sb, json!([{"kind": "drop"}])).await;
    let outcome = match languages(&sb).await {
        Err(e) => Err(e),
        Ok(response) => response.bytes().await.map(|_| ()),
    };
    assert!(
        outcome.is_err(),
        "the client sees a transport error, not a response"
    );
}

#[tokio::test]
async fn an_injected_malformed_body_is_not_json() {
    let sb = start().await;
    set_faults(&sb, json!([{"kind": "malformed"}])).await;
    let response = languages(&sb).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.json::<Value>().await.is_err());
}

#[tokio::test]
async fn a_fault_after_the_handler_means_the_server_acted_but_the_client_never_heard() {
    let sb = start().await;
    let interview: Value = Client::new()
        .get(format!("{}/interviews/", sb.info.willo_base_url))
        .header("Authorization", ADMIN_API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = interview["results"][0]["key"].as_str().unwrap();
    sb.faults.add(
        FaultRule::new(FaultKind::Drop)
            .on_path("/api/integrations/v2/participants/")
            .on_method("POST")
            .after_handler()
            .times(1),
    );
    let outcome = Client::new()
        .post(format!("{}/participants/", sb.info.willo_base_url))
        .header("Authorization", ADMIN_API_KEY)
        .json(&json!({"interview": key, "name": "Uncertain Outcome", "email": "u@example.com"}))
        .send()
        .await;
    let heard = match outcome {
        Ok(response) => response.bytes().await.is_ok(),
        Err(_) => false,
    };
    assert!(!heard, "the client never got an answer");
    assert_eq!(
        sb.willo.with_data(|d| d.participants.len()),
        1,
        "yet the participant was created"
    );
}

#[tokio::test]
async fn faults_can_target_one_simulator_and_be_listed_and_cleared() {
    let sb = start().await;
    set_faults(
        &sb,
        json!([{"kind": "status", "status": 503, "path_prefix": "/lever/"}]),
    )
    .await;
    let listed: Vec<Value> = Client::new()
        .get(format!("{}/faults", sb.info.admin_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let lever = Client::new()
        .get(format!("{}/stages", sb.info.lever_base_url))
        .basic_auth(LEVER_API_KEY, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(lever.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        languages(&sb).await.unwrap().status(),
        StatusCode::OK,
        "Willo is untouched"
    );

    let cleared = Client::new()
        .delete(format!("{}/faults", sb.info.admin_url))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), StatusCode::NO_CONTENT);
    let lever = Client::new()
        .get(format!("{}/stages", sb.info.lever_base_url))
        .basic_auth(LEVER_API_KEY, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(lever.status(), StatusCode::OK);
}

#[tokio::test]
async fn faults_given_at_start_are_in_force_from_the_first_request() {
    let mut config = SandboxConfig::for_tests();
    config.faults = vec![FaultRule::new(FaultKind::Status { status: 502 }).times(1)];
    let sb = Sandbox::start(config).await.unwrap();
    assert_eq!(
        languages(&sb).await.unwrap().status(),
        StatusCode::BAD_GATEWAY
    );
    assert_eq!(languages(&sb).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn a_probabilistic_fault_hits_some_requests_and_not_others() {
    let sb = start().await;
    sb.faults
        .add(FaultRule::new(FaultKind::Status { status: 500 }).with_probability(0.5));
    let mut failed = 0;
    for _ in 0..60 {
        if languages(&sb).await.unwrap().status() == StatusCode::INTERNAL_SERVER_ERROR {
            failed += 1;
        }
    }
    assert!(
        (10..=50).contains(&failed),
        "about half of 60 failed: {failed}"
    );
}

#[tokio::test]
async fn admin_routes_and_media_are_never_faulted() {
    let sb = start().await;
    set_faults(&sb, json!([{"kind": "status", "status": 500}])).await;
    let info = Client::new()
        .get(format!("{}/info", sb.info.admin_url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        info.status(),
        StatusCode::OK,
        "tests must always be able to steer the sandbox"
    );
    let media = Client::new()
        .get(format!("{}/media/answer-audio.webm", sb.info.origin))
        .send()
        .await
        .unwrap();
    assert_eq!(media.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_time_spent_answering_counts_requests_but_not_an_injected_delay() {
    let sb = start().await;
    assert_eq!(sb.busy.total(), Duration::ZERO);
    languages(&sb).await.unwrap();
    let one = sb.busy.total();
    assert!(one > Duration::ZERO, "an answered request counts");
    set_faults(
        &sb,
        json!([{"kind": "delay", "millis": 300, "path_prefix": "/api/", "times": 1}]),
    )
    .await;
    let started = Instant::now();
    languages(&sb).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "the delay ran"
    );
    let delayed = sb.busy.total() - one;
    assert!(
        delayed < Duration::from_millis(150),
        "the injected delay is not the simulator's own time: {delayed:?}"
    );
}
