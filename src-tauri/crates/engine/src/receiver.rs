//! The webhook receiver: `POST /hooks/willo/<token>/<event>`.
//!
//! Willo does not sign deliveries, so each webhook is registered with a long random token in its
//! URL, compared here in constant time. A delivery is stored in the inbox (deduplicated) and
//! acknowledged at once; processing happens after, off the request path.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use desk_ats::{AtsConnector, AtsError};
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
    /// The ATS's own webhooks, where the user set them up: verified with the ATS's scheme.
    pub ats: Option<AtsHooks>,
}

/// What the receiver needs to take an ATS's webhooks.
#[derive(Clone)]
pub struct AtsHooks {
    pub connector: Arc<dyn AtsConnector>,
    /// The signing secret the ATS shows when the webhook is set up.
    pub secret: Arc<Sensitive<String>>,
    /// Woken to poll the ATS's stages now rather than at the next scheduled poll.
    pub poll_now: Arc<Notify>,
}

pub fn router(state: ReceiverState) -> Router {
    Router::new()
        .route("/hooks/willo/{token}/{event}", post(receive))
        .route("/hooks/ats/{token}", post(receive_ats))
        // For checking from outside (a tunnel, a proxy) that deliveries can get here. Says nothing else.
        .route(
            "/hooks/health",
            axum::routing::get(|| async { Json(json!({ "ok": true })) }),
        )
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

/// An ATS webhook (a stage change, where the user set one up). Verified with the ATS's own
/// scheme, recorded in the inbox for the activity trail, and answered by polling the ATS's stages
/// at once: the delivery says *that* something moved; the poll reads what.
async fn receive_ats(
    State(state): State<ReceiverState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Json<serde_json::Value>) {
    if !bool::from(token.as_bytes().ct_eq(state.token.expose().as_bytes())) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "unknown token" })),
        );
    }
    let Some(ats) = &state.ats else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "no ATS webhooks are set up" })),
        );
    };
    let change = match ats
        .connector
        .verify_webhook(&headers, &body, ats.secret.expose())
    {
        Ok(change) => change,
        Err(AtsError::BadSignature) => {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "error": "bad signature" })),
            )
        }
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": "unreadable delivery" })),
            )
        }
    };
    let Some(change) = change else {
        return (StatusCode::OK, Json(json!({ "status": "ignored" })));
    };
    // Only what the poll needs: the ATS's body names the candidate (name, email, phone), and
    // the inbox is not the mirror of the ATS's records that a deletion or a sync keeps right.
    let text =
        json!({ "application_id": change.application_id, "to_stage_id": change.to_stage_id })
            .to_string();
    let dedupe = format!("ats:{}", hex::encode(Sha256::digest(&body)));
    let kind = ats.connector.kind().as_str();
    match state
        .store
        .insert_inbox(kind, "stage_change", &dedupe, &text, state.clock.now_ms())
        .await
    {
        Ok(InboxInsert::New(id)) => {
            // Nothing to reconcile with Willo: mark it processed and let the poll do the work.
            let _ = state
                .store
                .mark_inbox_processed(id, None, state.clock.now_ms())
                .await;
            tracing::info!(application = %change.application_id, "the ATS reported a stage change");
            ats.poll_now.notify_one();
            (StatusCode::OK, Json(json!({ "status": "accepted" })))
        }
        Ok(InboxInsert::Duplicate) => (StatusCode::OK, Json(json!({ "status": "duplicate" }))),
        Err(error) => {
            tracing::error!(%error, "an ATS webhook could not be stored");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "error": "could not store the delivery" })),
            )
        }
    }
}

impl crate::Engine {
    /// Serves the webhook receiver for this engine on `addr` (port 0 picks one): deliveries go to
    /// its store and wake its loop. Returns the address it listens on.
    pub async fn serve_receiver(
        &self,
        addr: SocketAddr,
        token: Sensitive<String>,
        ats: Option<AtsHooks>,
    ) -> Result<SocketAddr, EngineError> {
        let state = ReceiverState {
            store: self.store.clone(),
            token: Arc::new(token),
            clock: Arc::clone(&self.clock),
            wake: self.wake_handle(),
            ats,
        };
        Ok(serve(addr, state).await?.0)
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
