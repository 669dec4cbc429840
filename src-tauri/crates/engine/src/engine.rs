//! The engine's shared parts.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    /// Names this worker's outbox leases (each claim adds a number of its own).
    pub worker_id: String,
    /// How long a claimed outbox item belongs to its claim. An item is claimed (and its lease
    /// renewed) just before each side effect, so this only needs to cover one request with its
    /// retries; a process that dies has its leases released by the next one to take the lock.
    pub lease: Duration,
    /// Attempts before an outbox item is marked failed for a person to look at.
    pub max_attempts: i64,
    /// The first retry's delay; later ones double, up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// The ATS custom field that receives Willo's score, where the ATS has custom fields.
    pub score_field: Option<String>,
    /// How long after completion an interview is still re-read by the catch-up (hourly, within
    /// its budget): a score or summary that Willo adds later becomes a follow-up note even
    /// without webhooks. Zero: never.
    pub recheck_completed_for: Duration,
    /// Whether the catch-up may read Willo's participant list (a page of many for one request)
    /// where that costs less than reading participants one by one.
    pub list_participants: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            default_region: None,
            // The start time and a random part too: a process id comes back (a container's
            // serve is always pid 1), a dead run's claims must not look like this one's, and
            // replicas sharing a team database may start in the same millisecond.
            worker_id: format!(
                "worker-{}-{}-{:08x}",
                std::process::id(),
                chrono::Utc::now().timestamp_millis(),
                rand::random::<u32>()
            ),
            lease: Duration::from_secs(5 * 60),
            max_attempts: 8,
            first_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(300),
            score_field: None,
            recheck_completed_for: Duration::from_secs(3 * 24 * 60 * 60),
            list_participants: true,
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
    /// One outbox driver at a time in this process (the background loop, a bulk send).
    pub(crate) outbox_turn: tokio::sync::Mutex<()>,
    /// Numbers each claim, so that no two claims share a lease owner.
    pub(crate) claims: AtomicU64,
    /// Whether this process carries out side effects on Willo and the ATS: true where it holds
    /// the engine's lock on the database; false in a process that only records what a recruiter
    /// does, for the lock's holder to carry out.
    pub(crate) acting: AtomicBool,
    /// Set when the engine is asked to stop: the outbox finishes the item in flight, no more.
    pub(crate) stopping: Arc<AtomicBool>,
    /// The catch-up's sweep under way and what Willo's participant list has shown it can do.
    pub(crate) sweeps: std::sync::Mutex<crate::catch_up::Sweeps>,
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
            outbox_turn: tokio::sync::Mutex::new(()),
            claims: AtomicU64::new(0),
            acting: AtomicBool::new(true),
            stopping: Arc::new(AtomicBool::new(false)),
            sweeps: std::sync::Mutex::default(),
        }
    }

    /// Whether this process carries out side effects (see [`Engine::set_acting`]).
    pub fn is_acting(&self) -> bool {
        self.acting.load(Ordering::SeqCst)
    }

    /// Switches side effects on (this process holds the engine's lock) or off (another process
    /// does: what is recorded here is carried out there). On by default.
    pub fn set_acting(&self, acting: bool) {
        self.acting.store(acting, Ordering::SeqCst);
    }

    /// Whether the engine was asked to stop.
    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
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
