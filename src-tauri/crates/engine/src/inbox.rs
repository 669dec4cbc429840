//! Processing stored webhook deliveries: each one is a hint to reconcile a participant.

use desk_willo::hint;

use crate::{Engine, EngineError};

const BATCH: i64 = 50;

impl Engine {
    /// Works through the unprocessed deliveries once. A delivery that names no participant, or
    /// whose participant cannot be fetched now, is marked processed with the reason: the catch-up
    /// reconcile covers every open invitation anyway, so nothing is lost by not retrying here.
    pub async fn process_inbox_once(&self) -> Result<usize, EngineError> {
        let items = self.store.unprocessed_inbox(BATCH).await?;
        let count = items.len();
        for item in items {
            if self.is_stopping() {
                break;
            }
            let found = hint::parse(item.body.as_bytes());
            let error = match &found.participant {
                None => Some("the delivery names no participant".to_owned()),
                Some(key) => match self.reconcile_participant(key).await {
                    Ok(_) => None,
                    Err(EngineError::Willo(e)) => Some(e.to_string()),
                    Err(other) => return Err(other),
                },
            };
            if let Some(error) = &error {
                tracing::warn!(event = %item.event, %error, "a webhook delivery could not be used");
            }
            self.store
                .mark_inbox_processed(item.id, error.as_deref(), self.now())
                .await?;
        }
        Ok(count)
    }
}
