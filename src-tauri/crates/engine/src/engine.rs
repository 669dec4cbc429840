//! The engine's shared parts.

use std::sync::Arc;
use std::time::Duration;

use desk_ats::AtsConnector;
use desk_store::Store;
use desk_willo::WilloClient;
use tokio::sync::Notify;

use crate::{Clock, EventSink};

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Region for phone numbers written without a country code (ISO 3166 alpha-2, e.g. "GB").
    pub default_region: Option<String>,
    /// Names this worker's outbox leases.
    pub worker_id: String,
    /// How long a claimed outbox item belongs to this worker before another may take it.
    pub lease: Duration,
    /// Attempts before an outbox item is marked failed for a person to look at.
    pub max_attempts: i64,
    /// The first retry's delay; later ones double, up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// The ATS custom field that receives Willo's score, where the ATS has custom fields.
    pub score_field: Option<String>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            default_region: None,
            worker_id: format!("worker-{}", std::process::id()),
            lease: Duration::from_secs(60),
            max_attempts: 8,
            first_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(300),
            score_field: None,
        }
    }
}

pub struct Engine {
    pub(crate) store: Store,
    pub(crate) willo: Arc<WilloClient>,
    /// The store's id of the Willo connection (interviews belong to it).
    pub(crate) willo_connection: i64,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) events: Arc<dyn EventSink>,
    pub(crate) config: EngineConfig,
    /// Woken when there is new work (an invite queued, a webhook received).
    pub(crate) wake: Arc<Notify>,
    /// The ATS, for stage triggers and write-back, and the store's id of its connection.
    pub(crate) ats: Option<Arc<dyn AtsConnector>>,
    pub(crate) ats_connection: i64,
    /// Woken by an ATS webhook: poll the ATS's stages now.
    pub(crate) poll_now: Arc<Notify>,
    /// One ATS poll at a time, whoever asks (the loop, a click): a second waits for the first.
    pub(crate) polling: tokio::sync::Mutex<()>,
    pub(crate) health: crate::health::Health,
}

impl Engine {
    pub fn new(
        store: Store,
        willo: Arc<WilloClient>,
        willo_connection: i64,
        clock: Arc<dyn Clock>,
        events: Arc<dyn EventSink>,
        config: EngineConfig,
    ) -> Self {
        Self {
            store,
            willo,
            willo_connection,
            clock,
            events,
            config,
            wake: Arc::new(Notify::new()),
            ats: None,
            ats_connection: 0,
            poll_now: Arc::new(Notify::new()),
            polling: tokio::sync::Mutex::new(()),
            health: crate::health::Health::default(),
        }
    }

    /// Connects the ATS (the store's `connection` id for it): enables stage triggers and write-back.
    #[must_use]
    pub fn with_ats(mut self, ats: Arc<dyn AtsConnector>, connection: i64) -> Self {
        self.ats = Some(ats);
        self.ats_connection = connection;
        self
    }

    /// Notify it to have the background loop poll the ATS's stages at once (an ATS webhook does).
    pub fn poll_handle(&self) -> Arc<Notify> {
        Arc::clone(&self.poll_now)
    }

    /// The connected ATS, if any.
    pub fn ats(&self) -> Option<Arc<dyn AtsConnector>> {
        self.ats.clone()
    }

    /// Notified whenever new work arrives; the background loop waits on it.
    pub fn wake_handle(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// The Willo client (for reads the app shows: interviews, templates).
    pub fn willo(&self) -> &WilloClient {
        &self.willo
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
