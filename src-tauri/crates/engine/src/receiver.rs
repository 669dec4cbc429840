//! The webhook receiver: `POST /hooks/willo/<token>/<event>`.
//!
//! Willo does not sign deliveries, so each webhook is registered with a long random token in its
//! URL, compared here in constant time. A delivery is stored in the inbox (deduplicated) and
//! acknowledged at once; processing happens after, off the request path.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use desk_domain::Sensitive;
use desk_store::{InboxInsert, Store};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::Notify;

use crate::{Clock, EngineError, WEBHOOK_EVENTS};

/// Deliveries larger than this are refused (413) before they are read in full.
pub const MAX_BODY: usize = 1024 * 1024;

#[derive(Clone)]
pub struct ReceiverState {
    pub store: Store,
    pub token: Arc<Sensitive<String>>,
    pub clock: Arc<dyn Clock>,
    /// Woken after each stored delivery.
    pub wake: Arc<Notify>,
}

pub fn router(state: ReceiverState) -> Router {
    Router::new()
        .route("/hooks/willo/{token}/{event}", post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// A random token of 32 bytes as 64 hex characters.
pub fn new_token() -> Sensitive<String> {
    Sensitive::new(hex::encode(rand::random::<[u8; 32]>()))
}

async fn receive(
    State(state): State<ReceiverState>,
    Path((token, event)): Path<(String, String)>,
    body: Bytes,
) -> (StatusCode, Json<serde_json::Value>) {
    let expected = state.token.expose().as_bytes();
    if !bool::from(token.as_bytes().ct_eq(expected)) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "unknown token" })),
        );
    }
    if !WEBHOOK_EVENTS.contains(&event.as_str()) {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "unknown event" })),
        );
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "the body is not UTF-8" })),
        );
    };
    // The same body for the same event is the same delivery, however often it arrives.
    let dedupe = format!("willo:{event}:{}", hex::encode(Sha256::digest(&body)));
    match state
        .store
        .insert_inbox("willo", &event, &dedupe, text, state.clock.now_ms())
        .await
    {
        Ok(InboxInsert::New(_)) => {
            state.wake.notify_one();
            (StatusCode::OK, Json(json!({ "status": "accepted" })))
        }
        Ok(InboxInsert::Duplicate) => (StatusCode::OK, Json(json!({ "status": "duplicate" }))),
        Err(error) => {
            tracing::error!(%error, "a webhook delivery could not be stored");
            // A 5xx makes Willo deliver again later (if it retries); nothing was acknowledged.
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "error": "could not store the delivery" })),
            )
        }
    }
}

/// Serves the receiver on `addr` (port 0 picks one). Returns the address it listens on.
pub async fn serve(
    addr: SocketAddr,
    state: ReceiverState,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), EngineError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| EngineError::Listen { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| EngineError::Listen { addr, source })?;
    let app = router(state);
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "the webhook receiver stopped");
        }
    });
    Ok((bound, task))
}

#[cfg(test)]
mod tests {
    use super::new_token;

    #[test]
    fn tokens_are_long_random_and_distinct() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.expose().len(), 64);
        assert_ne!(a.expose(), b.expose());
    }
}
