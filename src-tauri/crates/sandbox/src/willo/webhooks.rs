//! Webhook deliveries from the simulated Willo: one POST per matching webhook, retried with
//! backoff while the receiver fails.
//!
//! The body carries the participant and interview keys and the candidate's name and email but no
//! event name, as observed of the real Willo (the receiver knows the event from the URL it
//! registered). The exact shape below is the sandbox's own: real payloads are unpublished.

use std::sync::Arc;

use chrono::Utc;
use serde_json::json;

use super::model::Delivery;
use super::state::WilloSim;

impl WilloSim {
    /// Sends `event` about a participant to every webhook that follows its interview.
    pub fn announce(self: &Arc<Self>, participant_key: &str, event: &str) {
        let plans = self.with_data(|data| {
            let participant = data
                .participants
                .iter()
                .find(|p| p.key == participant_key)?
                .clone();
            let interview = data
                .interviews
                .iter()
                .find(|i| i.key == participant.interview)?
                .clone();
            let body = json!({
                "participant": {
                    "key": participant.key,
                    "name": participant.name,
                    "email": participant.email,
                    "stage": participant.stage,
                },
                "interview": { "key": interview.key, "title": interview.title },
                "created": Utc::now(),
            });
            let mut plans = Vec::new();
            for hook in data.webhooks.iter().filter(|w| {
                w.event == event
                    && (w.follow_all_interviews || w.interviews.contains(&interview.key))
            }) {
                let id = data.deliveries.len() as u64 + 1;
                data.deliveries.push(Delivery {
                    id,
                    webhook: hook.key.clone(),
                    event: event.to_owned(),
                    url: hook.url.clone(),
                    participant: participant.key.clone(),
                    attempts: 0,
                    last_status: None,
                    delivered: false,
                    gave_up: false,
                });
                plans.push((id, hook.url.clone(), body.clone()));
            }
            Some(plans)
        });
        for (id, url, body) in plans.unwrap_or_default() {
            tokio::spawn(deliver(Arc::clone(self), id, url, body));
        }
    }
}

async fn deliver(sim: Arc<WilloSim>, id: u64, url: String, body: serde_json::Value) {
    let mut backoff = sim.delivery.first_backoff;
    for attempt in 1..=sim.delivery.max_attempts {
        let status = match sim.http.post(&url).json(&body).send().await {
            Ok(response) => Some(response.status()),
            Err(error) => {
                tracing::debug!(%error, attempt, "sandbox webhook delivery failed");
                None
            }
        };
        let ok = status.is_some_and(|s| s.is_success());
        sim.with_data(|data| {
            if let Some(d) = data.deliveries.iter_mut().find(|d| d.id == id) {
                d.attempts = attempt;
                d.last_status = status.map(|s| s.as_u16());
                d.delivered = ok;
                d.gave_up = !ok && attempt == sim.delivery.max_attempts;
            }
        });
        if ok {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = backoff.saturating_mul(2);
    }
}
