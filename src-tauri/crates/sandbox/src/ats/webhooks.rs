//! Stage-change webhooks of the simulated ATS, shared by the dialects that send them: Ashby's
//! `candidateStageChange` (to the one webhook the admin API sets, signed
//! `Ashby-Signature: sha256=<hex>` with its secret) and Workable's `candidate_moved` (to every
//! matching subscription, signed `X-Workable-Signature: <hex>` with the account token).
//!
//! Deliveries are planned where the dataset is unlocked after a change (`AtsSim::with_data`),
//! so a move by any route or by the applicant timer is announced, and then sent in the
//! background, retried with doubling backoff while the receiver fails.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::Sha256;

use super::dataset::{Application, Dataset};
use super::{ashby, iso, short_id, tag, workable, Dialect, WORKABLE_TOKEN};
use crate::faults::lock;

/// Attempts per delivery, and the wait before the second (doubling after).
const MAX_ATTEMPTS: u32 = 5;
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const TIMEOUT: Duration = Duration::from_secs(2);

/// The Ashby webhook stage changes are sent to (set in Ashby's admin screens, so in the sandbox
/// through `PUT /_admin/ats/ashby/webhook`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AshbyWebhook {
    pub url: String,
    /// Signs each body (HMAC-SHA256).
    pub secret: String,
}

/// A Workable subscription (`POST /subscriptions`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subscription {
    pub id: String,
    pub target: String,
    pub event: String,
    /// `job_shortcode`, `stage_slug` (absent or `""`: all), `account_id`.
    pub args: Value,
}

/// One webhook delivery, as tests inspect it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub id: u64,
    /// `ashby` or `workable`.
    pub ats: String,
    /// `candidateStageChange` or `candidate_moved`.
    pub event: String,
    pub url: String,
    /// The dataset application that moved.
    pub application_id: u64,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub delivered: bool,
    pub gave_up: bool,
}

/// A delivery to send: the exact body bytes and the signature header that goes with them.
pub(super) struct Planned {
    id: u64,
    url: String,
    body: Vec<u8>,
    signature: (&'static str, String),
}

pub(super) struct Hooks {
    ashby: Mutex<Option<AshbyWebhook>>,
    subscriptions: Mutex<Vec<Subscription>>,
    last_subscription: Mutex<u64>,
    deliveries: Arc<Mutex<Vec<WebhookDelivery>>>,
    http: reqwest::Client,
}

/// Why a subscription was refused.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum SubscribeError {
    TargetTaken,
}

impl Hooks {
    pub(super) fn new() -> Self {
        Self {
            ashby: Mutex::new(None),
            subscriptions: Mutex::new(Vec::new()),
            last_subscription: Mutex::new(0),
            deliveries: Arc::new(Mutex::new(Vec::new())),
            http: reqwest::Client::builder()
                .timeout(TIMEOUT)
                .build()
                .unwrap_or_default(),
        }
    }

    pub(super) fn set_ashby(&self, hook: Option<AshbyWebhook>) {
        *lock(&self.ashby) = hook;
    }

    pub(super) fn ashby(&self) -> Option<AshbyWebhook> {
        lock(&self.ashby).clone()
    }

    pub(super) fn subscriptions(&self) -> Vec<Subscription> {
        lock(&self.subscriptions).clone()
    }

    /// Adds a Workable subscription; a target may be subscribed once (as Workable answers 409).
    pub(super) fn subscribe(
        &self,
        target: String,
        event: String,
        args: Value,
    ) -> Result<String, SubscribeError> {
        let mut subscriptions = lock(&self.subscriptions);
        if subscriptions.iter().any(|s| s.target == target) {
            return Err(SubscribeError::TargetTaken);
        }
        let mut last = lock(&self.last_subscription);
        *last += 1;
        let id = short_id(tag::SUBSCRIPTION, *last);
        subscriptions.push(Subscription {
            id: id.clone(),
            target,
            event,
            args,
        });
        Ok(id)
    }

    /// Removes a subscription; false when there is none by that id.
    pub(super) fn unsubscribe(&self, id: &str) -> bool {
        let mut subscriptions = lock(&self.subscriptions);
        let before = subscriptions.len();
        subscriptions.retain(|s| s.id != id);
        subscriptions.len() < before
    }

    pub(super) fn deliveries(&self) -> Vec<WebhookDelivery> {
        lock(&self.deliveries).clone()
    }

    /// The deliveries announcing that these applications moved, recorded as pending.
    pub(super) fn plan(&self, d: &mut Dataset, moved: &[u64], origin: &str) -> Vec<Planned> {
        let ashby = self.ashby();
        let subscriptions: Vec<Subscription> = self
            .subscriptions()
            .into_iter()
            .filter(|s| s.event == "candidate_moved")
            .collect();
        if ashby.is_none() && subscriptions.is_empty() {
            return Vec::new();
        }
        d.note_changes();
        let mut planned = Vec::new();
        let mut deliveries = lock(&self.deliveries);
        for app in moved.iter().filter_map(|id| d.application(*id)) {
            if let Some(hook) = &ashby {
                let id = pending(&mut deliveries, Dialect::Ashby, &hook.url, app);
                let body = json!({
                    "action": "candidateStageChange",
                    "data": { "application": ashby::application_json(d, app) },
                });
                let body = serde_json::to_vec(&body).unwrap_or_default();
                let signature = format!("sha256={}", sign(&hook.secret, &body));
                planned.push(Planned {
                    id,
                    url: hook.url.clone(),
                    body,
                    signature: ("Ashby-Signature", signature),
                });
            }
            let candidate = workable::candidate_json(d, app, origin);
            for subscription in subscriptions.iter().filter(|s| follows(s, app)) {
                let id = pending(
                    &mut deliveries,
                    Dialect::Workable,
                    &subscription.target,
                    app,
                );
                let body = json!({
                    "id": short_id(tag::EVENT, id),
                    "event_type": "candidate_moved",
                    "fired_at": iso(Utc::now()),
                    "resource_type": "candidate",
                    "data": candidate,
                });
                let body = serde_json::to_vec(&body).unwrap_or_default();
                let signature = sign(WORKABLE_TOKEN, &body);
                planned.push(Planned {
                    id,
                    url: subscription.target.clone(),
                    body,
                    signature: ("X-Workable-Signature", signature),
                });
            }
        }
        planned
    }

    /// Sends planned deliveries in the background (nothing is sent outside a Tokio runtime: those
    /// deliveries are marked given up).
    pub(super) fn send(&self, planned: Vec<Planned>) {
        if planned.is_empty() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("sandbox ATS webhooks need a Tokio runtime; not sent");
            for p in planned {
                update(&self.deliveries, p.id, |d| d.gave_up = true);
            }
            return;
        };
        for p in planned {
            runtime.spawn(deliver(self.http.clone(), Arc::clone(&self.deliveries), p));
        }
    }
}

/// Records a delivery about to be sent; returns its id.
fn pending(
    deliveries: &mut Vec<WebhookDelivery>,
    ats: Dialect,
    url: &str,
    app: &Application,
) -> u64 {
    let id = deliveries.len() as u64 + 1;
    let event = match ats {
        Dialect::Workable => "candidate_moved",
        _ => "candidateStageChange",
    };
    deliveries.push(WebhookDelivery {
        id,
        ats: ats.name().into(),
        event: event.into(),
        url: url.into(),
        application_id: app.id,
        attempts: 0,
        last_status: None,
        delivered: false,
        gave_up: false,
    });
    id
}

/// Whether a Workable subscription's filter takes this application (in its new stage).
fn follows(subscription: &Subscription, app: &Application) -> bool {
    let wants = |key: &str, value: String| {
        subscription.args[key]
            .as_str()
            .is_none_or(|w| w.is_empty() || w == value)
    };
    wants("job_shortcode", Dialect::Workable.job_id(app.job_id))
        && wants(
            "stage_slug",
            Dialect::Workable.stage_id(app.job_id, app.stage),
        )
}

/// Lowercase hex HMAC-SHA256 of `body` keyed with `key`.
pub(super) fn sign(key: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn update(
    deliveries: &Mutex<Vec<WebhookDelivery>>,
    id: u64,
    change: impl FnOnce(&mut WebhookDelivery),
) {
    if let Some(d) = lock(deliveries).iter_mut().find(|d| d.id == id) {
        change(d);
    }
}

async fn deliver(
    http: reqwest::Client,
    deliveries: Arc<Mutex<Vec<WebhookDelivery>>>,
    planned: Planned,
) {
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=MAX_ATTEMPTS {
        let sent = http
            .post(&planned.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(planned.signature.0, &planned.signature.1)
            .body(planned.body.clone())
            .send()
            .await;
        let status = match sent {
            Ok(response) => Some(response.status()),
            Err(error) => {
                tracing::debug!(%error, attempt, "sandbox ATS webhook delivery failed");
                None
            }
        };
        let ok = status.is_some_and(|s| s.is_success());
        update(&deliveries, planned.id, |d| {
            d.attempts = attempt;
            d.last_status = status.map(|s| s.as_u16());
            d.delivered = ok;
            d.gave_up = !ok && attempt == MAX_ATTEMPTS;
        });
        if ok {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = backoff.saturating_mul(2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_lowercase_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_subscription_follows_its_job_and_stage_or_all() {
        let data = Dataset::demo();
        let app = data.application(9001).unwrap(); // job 4001, Screening
        let with = |args: Value| Subscription {
            id: "b000001".into(),
            target: "http://x".into(),
            event: "candidate_moved".into(),
            args,
        };
        let shortcode = Dialect::Workable.job_id(4001);
        assert!(follows(&with(json!({})), app));
        assert!(follows(
            &with(json!({"job_shortcode": "", "stage_slug": ""})),
            app
        ));
        assert!(follows(
            &with(json!({"job_shortcode": shortcode, "stage_slug": "screening"})),
            app
        ));
        assert!(!follows(&with(json!({"stage_slug": "offer"})), app));
        assert!(!follows(
            &with(json!({"job_shortcode": Dialect::Workable.job_id(4002)})),
            app
        ));
    }
}
