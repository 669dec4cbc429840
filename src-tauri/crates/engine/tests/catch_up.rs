//! The catch-up within Willo's budget: requests counted by the simulated Willo, lists where they
//! cost less, whether or not Willo filters them, one by one where they do not, and throttles that
//! never fail an invitation.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::time::Duration;

use desk_engine::EngineConfig;
use desk_sandbox::willo::model::ParticipantStatus;
use desk_sandbox::{ListShape, SandboxConfig, WilloLimits};
use support::{per_second, quick_config, world_configured, world_paced, World};

async fn world_of(n: usize, engine: EngineConfig) -> World {
    world_configured(
        SandboxConfig::for_tests(),
        per_second(200),
        engine,
        |snap| support::applicants(snap, n),
    )
    .await
}

/// Invites the first `n` applicants to `interview` and returns their participants' keys.
async fn invite(w: &World, n: usize, interview: &str) -> Vec<String> {
    let ids = w.applicant_ids(n).await;
    let mut keys = Vec::new();
    for id in ids {
        w.engine.queue_invite(id, interview).await.unwrap();
    }
    w.drain_outbox(Duration::from_secs(30)).await;
    for invitation in w.store.invitations_to_check().await.unwrap() {
        keys.push(invitation.participant_key);
    }
    keys
}

fn received(w: &World) -> u64 {
    w.sandbox.willo.requests().received
}

fn complete(w: &World, keys: &[String]) {
    for key in keys {
        w.sandbox
            .willo
            .advance(key, Some(ParticipantStatus::Completed));
    }
}

/// The candidate of the oldest open invitation starts the interview, and the engine knows it.
async fn start_the_oldest(w: &World) -> desk_store::ToCheck {
    let oldest = w
        .store
        .invitations_to_check()
        .await
        .unwrap()
        .into_iter()
        .min_by_key(|i| (i.created_at, i.id))
        .unwrap();
    w.sandbox
        .willo
        .advance(&oldest.participant_key, Some(ParticipantStatus::Started));
    w.engine
        .reconcile_participant(&oldest.participant_key)
        .await
        .unwrap();
    oldest
}

async fn unchecked(w: &World) -> usize {
    w.store
        .invitations_to_check()
        .await
        .unwrap()
        .iter()
        .filter(|i| i.checked_at.is_none())
        .count()
}

#[tokio::test]
async fn a_page_of_the_participants_list_checks_many_invitations_for_one_request() {
    let w = world_of(30, quick_config()).await;
    let keys = invite(&w, 30, &w.interview).await;
    complete(&w, &keys[..3]);
    let before = received(&w);
    let report = w.engine.catch_up(100).await.unwrap();
    assert_eq!(report.completed, 3);
    assert_eq!(
        received(&w) - before,
        4,
        "one page for thirty, then one read for each completion (its answers)"
    );
    assert_eq!(unchecked(&w).await, 0, "all 27 still open were checked");
    assert!(report.swept);
    let status = w.engine.sweep_status().await.unwrap();
    let last = status.last.unwrap();
    assert_eq!((last.open, last.requests), (30, 4));
    assert_eq!(status.open, 27);
    assert_eq!(
        status.next_requests, 4,
        "the last sweep's cost, scaled to 27 open"
    );
}

#[tokio::test]
async fn a_list_longer_than_a_slice_goes_on_where_the_last_slice_stopped() {
    let w = world_of(250, quick_config()).await;
    let keys = invite(&w, 250, &w.interview).await;
    complete(&w, &keys[..3]);
    let before = received(&w);
    let mut slices = 0;
    loop {
        slices += 1;
        assert!(slices <= 4, "the sweep did not finish");
        if w.engine.catch_up(2).await.unwrap().swept {
            break;
        }
    }
    assert_eq!(
        received(&w) - before,
        6,
        "three pages of 100, each read once, and the three completions"
    );
    assert_eq!(unchecked(&w).await, 0);
}

#[tokio::test]
async fn without_lists_each_open_invitation_costs_one_request() {
    let w = world_of(
        30,
        EngineConfig {
            list_participants: false,
            ..quick_config()
        },
    )
    .await;
    let keys = invite(&w, 30, &w.interview).await;
    complete(&w, &keys[..3]);
    let before = received(&w);
    let report = w.engine.catch_up(100).await.unwrap();
    assert_eq!(report.completed, 3);
    assert_eq!(received(&w) - before, 30);
}

#[tokio::test]
async fn a_list_that_ignores_its_filter_is_read_once_as_the_whole_organisations() {
    let w = world_of(20, quick_config()).await;
    let other = w.engine.willo().interviews().await.unwrap()[1].key.clone();
    let ids = w.applicant_ids(20).await;
    for (n, id) in ids.iter().enumerate() {
        let interview = if n < 10 { &w.interview } else { &other };
        w.engine.queue_invite(*id, interview).await.unwrap();
    }
    w.drain_outbox(Duration::from_secs(30)).await;
    let open = w.store.invitations_to_check().await.unwrap();
    let of_other: Vec<String> = open
        .iter()
        .filter(|i| i.interview_key == other)
        .map(|i| i.participant_key.clone())
        .take(2)
        .collect();
    complete(&w, &of_other);
    w.sandbox.willo.set_list_shape(ListShape {
        filters: false,
        statuses: true,
    });
    let before = received(&w);
    let report = w.engine.catch_up(100).await.unwrap();
    assert_eq!(report.completed, 2);
    assert_eq!(
        received(&w) - before,
        3,
        "one page of everything (not one per interview), then the two completions"
    );
    assert_eq!(unchecked(&w).await, 0);
}

#[tokio::test]
async fn a_list_without_statuses_is_tried_once_then_each_participant_is_read() {
    let w = world_of(10, quick_config()).await;
    let keys = invite(&w, 10, &w.interview).await;
    complete(&w, &keys[..2]);
    w.sandbox.willo.set_list_shape(ListShape {
        filters: true,
        statuses: false,
    });
    let before = received(&w);
    let report = w.engine.catch_up(100).await.unwrap();
    assert_eq!(report.completed, 2);
    assert_eq!(
        received(&w) - before,
        11,
        "one page, found of no use, then ten reads"
    );
    assert_eq!(unchecked(&w).await, 0);
    let again = received(&w);
    w.engine.catch_up(100).await.unwrap();
    assert_eq!(
        received(&w) - again,
        8,
        "the list is not tried again: eight reads"
    );
}

#[tokio::test]
async fn a_small_budget_reaches_every_invitation_in_turn() {
    let w = world_of(
        3,
        EngineConfig {
            list_participants: false,
            ..quick_config()
        },
    )
    .await;
    invite(&w, 3, &w.interview).await;
    for run in 0..3 {
        let before = received(&w);
        let report = w.engine.catch_up(1).await.unwrap();
        assert_eq!(received(&w) - before, 1, "run {run}");
        assert_eq!(report.swept, run == 2, "run {run}");
    }
    assert_eq!(
        unchecked(&w).await,
        0,
        "three runs of one visited all three"
    );
}

#[tokio::test]
async fn a_started_interview_is_checked_before_the_rest_of_the_sweep() {
    let w = world_of(
        5,
        EngineConfig {
            list_participants: false,
            ..quick_config()
        },
    )
    .await;
    invite(&w, 5, &w.interview).await;
    // The oldest invitation is started: it goes before the four newer ones.
    let oldest = start_the_oldest(&w).await;
    w.engine.catch_up(1).await.unwrap();
    let checked: Vec<i64> = w
        .store
        .invitations_to_check()
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.checked_at.is_some())
        .map(|i| i.id)
        .collect();
    assert_eq!(checked, vec![oldest.id], "the started one first");
}

#[tokio::test]
async fn a_started_interview_is_looked_at_again_within_a_long_sweep() {
    // The pacer's time compressed 6,000 times: its minute is 10 ms, so "every five minutes" is
    // every 50 ms.
    let pacer = desk_willo::Pacer::compressed(per_second(200), 6_000.0);
    let w = world_paced(
        SandboxConfig::for_tests(),
        pacer,
        EngineConfig {
            list_participants: false,
            ..quick_config()
        },
        |snap| support::applicants(snap, 6),
    )
    .await;
    invite(&w, 6, &w.interview).await;
    let started = start_the_oldest(&w).await;
    let checked_at = |w: &World, id: i64| {
        let store = w.store.clone();
        async move {
            store
                .invitations_to_check()
                .await
                .unwrap()
                .into_iter()
                .find(|i| i.id == id)
                .unwrap()
                .checked_at
        }
    };
    w.engine.catch_up(2).await.unwrap();
    let first = checked_at(&w, started.id).await.unwrap();
    tokio::time::sleep(Duration::from_millis(80)).await;
    w.engine.catch_up(2).await.unwrap();
    let second = checked_at(&w, started.id).await.unwrap();
    assert!(second > first, "read again in the sweep's second slice");
    assert_eq!(
        unchecked(&w).await,
        3,
        "the sweep went on with one newer one only"
    );
}

#[tokio::test]
async fn throttles_never_fail_an_invitation_whether_willo_answers_403_or_429() {
    for status in [403, 429] {
        let mut config = SandboxConfig::for_tests();
        config.willo_limits = WilloLimits {
            per_second: 3,
            status,
            ..WilloLimits::NONE
        };
        // The pacer believes in more than Willo allows, and an item may fail after two attempts:
        // throttles are not attempts.
        let w = world_configured(
            config,
            per_second(20),
            EngineConfig {
                max_attempts: 2,
                ..quick_config()
            },
            |snap| support::applicants(snap, 12),
        )
        .await;
        for id in w.applicant_ids(12).await {
            w.engine.queue_invite(id, &w.interview).await.unwrap();
        }
        w.drain_outbox(Duration::from_secs(90)).await;
        let counted = w.sandbox.willo.requests();
        assert!(
            counted.throttled > 0,
            "{status}: Willo did throttle: {counted:?}"
        );
        assert_eq!(w.participants_in_sandbox().len(), 12, "{status}");
        let failed = w.store.failed_items().await.unwrap();
        assert!(failed.is_empty(), "{status}: {failed:?}");
    }
}

#[tokio::test]
async fn the_days_use_is_kept_in_the_store_and_carried_over_a_restart() {
    let w = world_of(5, quick_config()).await;
    invite(&w, 5, &w.interview).await;
    w.engine.catch_up(100).await.unwrap();
    let used = w.engine.willo_usage().await.unwrap();
    let counted = w.sandbox.willo.requests().received;
    assert_eq!(
        u64::from(used.last_day),
        counted,
        "every request the simulator received is in the day's use"
    );
    // A new process on the same database: its pacer starts with the day's use counted.
    let pacer = desk_willo::Pacer::new(desk_willo::Budget {
        per_second: 100,
        per_minute: 1_000,
        per_day: used.last_day + 1,
    });
    let client = support::willo_client(&w.sandbox, desk_sandbox::ADMIN_API_KEY, pacer.clone());
    let restarted = desk_engine::Engine::new(
        w.store.clone(),
        std::sync::Arc::new(client),
        1,
        std::sync::Arc::new(desk_engine::SystemClock),
        std::sync::Arc::new(desk_engine::ChannelSink(
            tokio::sync::mpsc::unbounded_channel().0,
        )),
        quick_config(),
    );
    restarted.carry_over_willo_usage().await.unwrap();
    assert_eq!(pacer.usage().last_day, used.last_day);
    restarted.willo().languages().await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), restarted.willo().languages())
            .await
            .is_err(),
        "the day's last request was made; the next waits for the window"
    );
}
