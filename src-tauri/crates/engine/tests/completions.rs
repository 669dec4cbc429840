//! Completions coming in: by webhook, repeated, out of order, in unfamiliar shapes, with a wrong
//! token, and missed altogether (found by the catch-up reconcile).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::sync::Arc;
use std::time::Duration;

use desk_domain::InvitationStatus;
use desk_engine::{EngineEvent, InviteOutcome, RegisteredWebhook};
use serde_json::json;
use support::{world, World};

const TOKEN: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

async fn inbox_len(w: &World) -> usize {
    w.store.unprocessed_inbox(1_000).await.unwrap().len()
}

async fn post(url: &str, body: impl Into<reqwest::Body>) -> reqwest::StatusCode {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_completion_arrives_by_webhook_and_its_answers_are_stored() {
    let mut w = world().await;
    let base = support::receiver_for(&w, TOKEN).await;
    let registered = w
        .engine
        .register_webhooks(&base, TOKEN, Some(&[w.interview.clone()]))
        .await
        .unwrap();
    assert!(
        registered
            .iter()
            .all(|r| matches!(r, RegisteredWebhook::Created(_))),
        "{registered:?}"
    );

    let (invitation, key) = w.invited(w.app(9002).await).await;
    w.drain_events();
    w.complete_in_sandbox(&key).await;

    // The simulated Willo delivers to our receiver; the delivery lands in the inbox.
    for _ in 0..200 {
        if inbox_len(&w).await > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(w.engine.process_inbox_once().await.unwrap(), 1);
    assert_eq!(
        w.store.invitation(invitation).await.unwrap().status,
        InvitationStatus::Completed
    );
    let answers = w.store.responses(&key).await.unwrap();
    assert_eq!(answers.len(), 4, "one answer per question");
    assert_eq!(answers[0].kind, "video");
    assert!(answers[0].media_url.as_deref().unwrap().ends_with(".webm"));
    assert!(answers[0].transcript.is_some() && answers[0].segments.is_some());
    assert_eq!(
        w.drain_events(),
        [EngineEvent::InterviewCompleted {
            invitation_id: invitation,
            participant_key: key.clone()
        }]
    );
    let activity = w.store.recent_activity(10).await.unwrap();
    assert_eq!(activity[0].kind, "interview_completed");
}

/// Registers our webhooks at `url` with `token`, and asserts what became of each.
async fn register(
    w: &World,
    url: &str,
    token: &str,
    became: fn(&RegisteredWebhook) -> bool,
    why: &str,
) {
    let results = w.engine.register_webhooks(url, token, None).await.unwrap();
    assert!(results.iter().all(became), "{why}: {results:?}");
}

/// Webhooks of ours' form that someone else made: one per event at `base` with `token`.
async fn made_elsewhere(w: &World, base: &str, token: &str) {
    for event in ["new_response", "stage_change"] {
        let spec = desk_willo::WebhookSpec {
            url: format!("{base}/hooks/willo/{token}/{event}"),
            event: event.to_owned(),
            interviews: Vec::new(),
            follow_all_interviews: true,
        };
        w.engine.willo().create_webhook(&spec).await.unwrap();
    }
}

fn created(r: &RegisteredWebhook) -> bool {
    matches!(r, RegisteredWebhook::Created(_))
}

fn repaired(r: &RegisteredWebhook) -> bool {
    matches!(r, RegisteredWebhook::Repaired(_))
}

#[tokio::test]
async fn webhooks_are_repaired_not_duplicated_when_the_url_or_token_changes() {
    let w = world().await;
    register(&w, "https://old-tunnel.example", TOKEN, created, "new").await;
    register(
        &w,
        "https://old-tunnel.example/",
        TOKEN,
        |r| matches!(r, RegisteredWebhook::Unchanged(_)),
        "the same URL and token",
    )
    .await;
    let other_token = "f".repeat(64);
    register(
        &w,
        "https://new-tunnel.example",
        &other_token,
        repaired,
        "moved",
    )
    .await;
    let hooks = w.sandbox.willo.with_data(|d| d.webhooks.clone());
    assert_eq!(hooks.len(), 2, "one per event, still");
    assert!(hooks.iter().all(|h| h
        .url
        .starts_with("https://new-tunnel.example/hooks/willo/ffff")));
    assert!(w
        .engine
        .register_webhooks("ftp://nope", TOKEN, None)
        .await
        .is_err());
}

/// A teammate's desktop or a team's `serve` on the same Willo organisation has webhooks of the
/// same form: registering and moving ours never takes theirs.
#[tokio::test]
async fn another_installations_webhooks_are_left_alone() {
    let w = world().await;
    made_elsewhere(&w, "https://teammate.example", &"a".repeat(64)).await;
    register(
        &w,
        "https://desk.example",
        TOKEN,
        created,
        "ours are new, not the teammate's taken over",
    )
    .await;
    let other_token = "f".repeat(64);
    register(
        &w,
        "https://elsewhere.example",
        &other_token,
        repaired,
        "ours move with us",
    )
    .await;
    let theirs = w.sandbox.willo.with_data(|d| {
        d.webhooks
            .iter()
            .filter(|h| h.url.starts_with("https://teammate.example/"))
            .count()
    });
    assert_eq!(theirs, 2, "the teammate's still point at the teammate");
    assert_eq!(w.sandbox.willo.with_data(|d| d.webhooks.len()), 4);
}

/// A database that kept no keys (registered before they were kept) still knows its webhooks by
/// the token in them, after its tunnel moved.
#[tokio::test]
async fn webhooks_with_our_token_at_an_old_address_are_repaired() {
    let w = world().await;
    made_elsewhere(&w, "https://old-tunnel.example", TOKEN).await;
    register(
        &w,
        "https://new-tunnel.example",
        TOKEN,
        repaired,
        "ours by their token",
    )
    .await;
    assert_eq!(w.sandbox.willo.with_data(|d| d.webhooks.len()), 2);
}

#[tokio::test]
async fn repeated_out_of_order_and_unfamiliar_deliveries_are_harmless() {
    let mut w = world().await;
    let base = support::receiver_for(&w, TOKEN).await;
    let url = format!("{base}/hooks/willo/{TOKEN}/new_response");
    let (invitation, key) = w.invited(w.app(9014).await).await;
    w.complete_in_sandbox(&key).await;
    w.drain_events();

    let body = json!({"participant": {"key": key, "name": "Priya Sharma"}, "interview": {"key": w.interview}}).to_string();
    assert_eq!(post(&url, body.clone()).await, 200);
    assert_eq!(post(&url, body).await, 200, "a repeat is acknowledged...");
    assert_eq!(inbox_len(&w).await, 1, "...but stored once");

    // An unfamiliar shape naming the same participant, and a stale "opened" delivery arriving late.
    assert_eq!(
        post(
            &url,
            json!({"data": {"respondent": {"uuid": key}}, "interviewKey": w.interview}).to_string()
        )
        .await,
        200
    );
    let stage_url = format!("{base}/hooks/willo/{TOKEN}/stage_change");
    assert_eq!(
        post(
            &stage_url,
            json!({"participant_key": key, "status": "opened", "stage": "Review"}).to_string()
        )
        .await,
        200
    );
    assert_eq!(w.engine.process_inbox_once().await.unwrap(), 3);
    assert_eq!(
        w.store.invitation(invitation).await.unwrap().status,
        InvitationStatus::Completed,
        "a late delivery never moves it back"
    );
    let completions = w
        .drain_events()
        .into_iter()
        .filter(|e| matches!(e, EngineEvent::InterviewCompleted { .. }))
        .count();
    assert_eq!(completions, 1, "one completion, however many deliveries");

    // A delivery naming nobody is processed, with the reason kept.
    assert_eq!(post(&url, r#"{"hello": "world"}"#).await, 200);
    assert_eq!(w.engine.process_inbox_once().await.unwrap(), 1);
}

#[tokio::test]
async fn refused_deliveries_store_nothing() {
    let w = world().await;
    let base = support::receiver_for(&w, TOKEN).await;
    let body = json!({"participant": {"key": "0123456789abcdef0123456789abcdef"}}).to_string();
    assert_eq!(
        post(
            &format!("{base}/hooks/willo/{}/new_response", "0".repeat(64)),
            body.clone()
        )
        .await,
        401,
        "wrong token"
    );
    assert_eq!(
        post(
            &format!("{base}/hooks/willo/{}/new_response", &TOKEN[..63]),
            body.clone()
        )
        .await,
        401,
        "a token one character short"
    );
    assert_eq!(
        post(&format!("{base}/hooks/willo/new_response"), body.clone()).await,
        404,
        "no token at all"
    );
    assert_eq!(
        post(
            &format!("{base}/hooks/willo/{TOKEN}/made_up_event"),
            body.clone()
        )
        .await,
        404,
        "unknown event"
    );
    let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    assert_eq!(
        post(&format!("{base}/hooks/willo/{TOKEN}/new_response"), huge).await,
        413,
        "over 1 MiB"
    );
    assert_eq!(
        post(
            &format!("{base}/hooks/willo/{TOKEN}/new_response"),
            vec![0xff, 0xfe, 0x00]
        )
        .await,
        400,
        "not UTF-8"
    );
    assert_eq!(
        inbox_len(&w).await,
        0,
        "nothing was stored from a refused delivery"
    );
}

#[tokio::test]
async fn a_completion_missed_by_the_webhook_is_found_by_the_catch_up() {
    let mut w = world().await;
    let (a, key_a) = w.invited(w.app(9002).await).await;
    let (b, key_b) = w.invited(w.app(9014).await).await;
    let (c, _) = w.invited(w.app(9023).await).await;
    w.complete_in_sandbox(&key_a).await;
    w.complete_in_sandbox(&key_b).await;
    w.drain_events();

    let report = w.engine.catch_up(100).await.unwrap();
    assert_eq!(
        (report.checked, report.completed, report.requests),
        (3, 2, 3),
        "one request per open invitation"
    );
    assert_eq!(
        w.store.invitation(a).await.unwrap().status,
        InvitationStatus::Completed
    );
    assert_eq!(
        w.store.invitation(b).await.unwrap().status,
        InvitationStatus::Completed
    );
    assert_eq!(
        w.store.invitation(c).await.unwrap().status,
        InvitationStatus::Invited
    );
    assert_eq!(w.drain_events().len(), 2);

    let again = w.engine.catch_up(100).await.unwrap();
    assert_eq!(
        (again.checked, again.completed),
        (1, 0),
        "only the still-open invitation is looked at"
    );
}

#[tokio::test]
async fn the_catch_up_stops_at_a_429_and_picks_up_later() {
    let w = world().await;
    for remote in [9002, 9014, 9023] {
        w.invited(w.app(remote).await).await;
    }
    w.sandbox.faults.add(
        desk_sandbox::FaultRule::new(desk_sandbox::FaultKind::RateLimit {
            retry_after_secs: 1,
        })
        .on_path("/api/integrations/v2/participants/")
        .times(10),
    );
    let report = w.engine.catch_up(100).await.unwrap();
    assert!(report.throttled);
    assert_eq!(report.checked, 0);
    w.sandbox.faults.clear();
    let later = w.engine.catch_up(100).await.unwrap();
    assert_eq!((later.checked, later.throttled), (3, false));
}

#[tokio::test]
async fn the_background_loop_sends_and_catches_up_on_its_own_and_stops_cleanly() {
    let mut w = world().await;
    let schedule = desk_engine::Schedule {
        tick: Duration::from_millis(50),
        reconcile_every: Duration::from_millis(200),
        reconcile_every_with_webhooks: Duration::from_secs(3600),
        webhooks_fresh_for: Duration::from_secs(3600),
        budget: 50,
        ats_poll_every: Duration::from_secs(3600),
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(Arc::clone(&w.engine).run(schedule, stopped));

    let InviteOutcome::Queued(q) = w
        .engine
        .queue_invite(w.app(9002).await, &w.interview)
        .await
        .unwrap()
    else {
        panic!()
    };
    let mut key = None;
    for _ in 0..250 {
        key = w
            .store
            .invitation(q.invitation_id)
            .await
            .unwrap()
            .participant_key;
        if key.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let key = key.expect("the loop sent the queued invite without being asked");
    w.complete_in_sandbox(&key).await;
    let mut status = InvitationStatus::Queued;
    for _ in 0..250 {
        status = w.store.invitation(q.invitation_id).await.unwrap().status;
        if status == InvitationStatus::Completed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        status,
        InvitationStatus::Completed,
        "the scheduled catch-up found the completion with no webhook"
    );
    // The event follows the status's commit: wait for it rather than race it.
    let mut told = false;
    for _ in 0..250 {
        told |= w
            .drain_events()
            .iter()
            .any(|e| matches!(e, EngineEvent::InterviewCompleted { .. }));
        if told {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(told, "the completion was announced");

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("the loop stops when told")
        .unwrap();
}
