//! Registering our receiver with Willo: one webhook per event, kept pointing at the current
//! public URL and token (a tunnel's URL changes; a token may be rotated). Which webhooks are ours
//! is kept in the database by key: the organisation's other Willo Desk installations (a
//! teammate's desktop, a team's `serve`) have webhooks of the same form, and are left alone.

use desk_willo::{Webhook, WebhookSpec};

use crate::{Engine, EngineError};

/// The events Willo Desk listens to (as observed: `new_response`, `stage_change`).
pub const WEBHOOK_EVENTS: [&str; 2] = ["new_response", "stage_change"];

/// The part of our webhook URLs that tells them apart from other tools' webhooks.
const PATH_MARK: &str = "/hooks/willo/";
/// The setting that keeps the keys of the webhooks this database registered.
const REGISTERED: &str = "willo_webhooks";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisteredWebhook {
    Created(String),
    Repaired(String),
    Unchanged(String),
}

impl Engine {
    /// Makes sure Willo has one webhook per event pointing at `public_url` with `token`, for the
    /// given interviews (or all). Webhooks of ours (registered from this database, or already
    /// at this public URL) with an old URL or token are repaired rather than duplicated; other
    /// tools' and other installations' webhooks are left alone.
    pub async fn register_webhooks(
        &self,
        public_url: &str,
        token: &str,
        interviews: Option<&[String]>,
    ) -> Result<Vec<RegisteredWebhook>, EngineError> {
        let base = public_url.trim().trim_end_matches('/');
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(EngineError::Invalid(
                "the public URL must start with https:// (or http:// for a local test)".into(),
            ));
        }
        let existing = self.willo.webhooks().await?;
        // Ours: registered from this database, at our public URL, or carrying our token (a
        // `serve` whose tunnel moved since it last registered from a database that kept no keys).
        let mut known: Vec<String> = self.store.setting(REGISTERED).await?.unwrap_or_default();
        known.retain(|key| existing.iter().any(|w| &w.key == key));
        let here = format!("{base}{PATH_MARK}");
        let with_token = format!("{PATH_MARK}{token}/");
        let mut results = Vec::new();
        for event in WEBHOOK_EVENTS {
            let spec = WebhookSpec {
                url: format!("{base}{PATH_MARK}{token}/{event}"),
                event: event.to_owned(),
                interviews: interviews.map(<[String]>::to_vec).unwrap_or_default(),
                follow_all_interviews: interviews.is_none(),
            };
            let ours: Option<&Webhook> = existing.iter().find(|w| {
                w.event == event
                    && (known.contains(&w.key)
                        || w.url.starts_with(&here)
                        || w.url.contains(&with_token))
            });
            let result = match ours {
                Some(w)
                    if w.url == spec.url
                        && w.follow_all_interviews == spec.follow_all_interviews
                        && same_set(&w.interviews, &spec.interviews) =>
                {
                    RegisteredWebhook::Unchanged(w.key.clone())
                }
                Some(w) => {
                    RegisteredWebhook::Repaired(self.willo.update_webhook(&w.key, &spec).await?.key)
                }
                None => RegisteredWebhook::Created(self.willo.create_webhook(&spec).await?.key),
            };
            // Kept at once: a later event's failure must not leave this one unknown.
            if !known.iter().any(|k| k == result.key()) {
                known.push(result.key().to_owned());
                self.store
                    .set_setting(REGISTERED, &known, self.now())
                    .await?;
            }
            results.push(result);
        }
        Ok(results)
    }
}

impl RegisteredWebhook {
    /// Willo's key of the webhook.
    pub fn key(&self) -> &str {
        match self {
            Self::Created(key) | Self::Repaired(key) | Self::Unchanged(key) => key,
        }
    }
}

fn same_set(a: &[String], b: &[String]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    a == b
}
