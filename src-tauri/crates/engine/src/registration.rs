//! Registering our receiver with Willo: one webhook per event, kept pointing at the current
//! public URL and token (a tunnel's URL changes; a token may be rotated).

use desk_willo::{Webhook, WebhookSpec};

use crate::{Engine, EngineError};

/// The events Willo Desk listens to (as observed: `new_response`, `stage_change`).
pub const WEBHOOK_EVENTS: [&str; 2] = ["new_response", "stage_change"];

/// The part of our webhook URLs that tells them apart from other tools' webhooks.
const PATH_MARK: &str = "/hooks/willo/";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisteredWebhook {
    Created(String),
    Repaired(String),
    Unchanged(String),
}

impl Engine {
    /// Makes sure Willo has one webhook per event pointing at `public_url` with `token`, for the
    /// given interviews (or all). Existing webhooks of ours with an old URL or token are repaired
    /// rather than duplicated; other tools' webhooks are left alone.
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
        let mut results = Vec::new();
        for event in WEBHOOK_EVENTS {
            let spec = WebhookSpec {
                url: format!("{base}{PATH_MARK}{token}/{event}"),
                event: event.to_owned(),
                interviews: interviews.map(<[String]>::to_vec).unwrap_or_default(),
                follow_all_interviews: interviews.is_none(),
            };
            let ours: Option<&Webhook> = existing
                .iter()
                .find(|w| w.event == event && w.url.contains(PATH_MARK));
            results.push(match ours {
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
            });
        }
        Ok(results)
    }
}

fn same_set(a: &[String], b: &[String]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    a == b
}
