//! The simulated ATS: one dataset served as Greenhouse Harvest v3 (`/greenhouse/...`) and as
//! Lever (`/lever/v1/...`).

pub mod dataset;
mod greenhouse;
mod lever;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;

use crate::faults::lock;
use crate::throttle::Throttle;
use dataset::Dataset;

pub use greenhouse::{GREENHOUSE_CLIENT_ID, GREENHOUSE_CLIENT_SECRET};
pub use lever::LEVER_API_KEY;

/// Settings of the simulated ATS.
#[derive(Debug, Clone)]
pub struct AtsSettings {
    /// Greenhouse requests allowed per 10-second window per token (0: unlimited).
    pub greenhouse_limit_per_10s: u32,
    /// Lever requests allowed per second per key (0: unlimited).
    pub lever_limit_per_second: u32,
    /// How long a Greenhouse access token lives.
    pub token_ttl: Duration,
    /// Extra applicants for load and crash tests: `Load<n> Candidate`, email `load<n>@example.com`,
    /// applying to the first job, in its first stage.
    pub extra_applicants: usize,
}

impl Default for AtsSettings {
    fn default() -> Self {
        Self {
            greenhouse_limit_per_10s: 200,
            lever_limit_per_second: 10,
            token_ttl: Duration::from_secs(3600),
            extra_applicants: 0,
        }
    }
}

pub struct AtsSim {
    pub data: Mutex<Dataset>,
    pub settings: AtsSettings,
    /// Greenhouse access tokens: token → (expiry, the `sub` user writes are attributed to).
    tokens: Mutex<HashMap<String, (Instant, Option<String>)>>,
    greenhouse_throttle: Throttle,
    lever_throttle: Throttle,
}

impl AtsSim {
    pub fn new(settings: AtsSettings) -> Arc<Self> {
        Arc::new(Self {
            data: Mutex::new(Dataset::demo_with(settings.extra_applicants)),
            tokens: Mutex::new(HashMap::new()),
            greenhouse_throttle: Throttle::new(
                settings.greenhouse_limit_per_10s,
                Duration::from_secs(10),
            ),
            lever_throttle: Throttle::new(settings.lever_limit_per_second, Duration::from_secs(1)),
            settings,
        })
    }

    pub fn with_data<T>(&self, f: impl FnOnce(&mut Dataset) -> T) -> T {
        f(&mut lock(&self.data))
    }

    /// Makes every issued Greenhouse token expire now (tests of refresh-and-retry).
    pub fn expire_tokens(&self) {
        for (expiry, _) in lock(&self.tokens).values_mut() {
            *expiry = Instant::now();
        }
    }

    /// Moves the oldest application still in its job's first stage on to "Screening", the way a
    /// recruiter working through new applicants would. Returns the application moved.
    pub fn advance_one_applicant(&self) -> Option<u64> {
        self.with_data(|d| {
            let id = d
                .applications
                .iter()
                .filter(|a| a.stage == 0 && a.status == "active")
                .min_by_key(|a| a.applied_at)?
                .id;
            d.move_application(id, 1).ok()?;
            Some(id)
        })
    }
}

pub fn router(sim: Arc<AtsSim>) -> Router {
    Router::new()
        .merge(greenhouse::router(Arc::clone(&sim)))
        .merge(lever::router(sim))
}
