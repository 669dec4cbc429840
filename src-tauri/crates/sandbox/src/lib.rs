//! Simulated Willo and ATS servers for Willo Desk's sandbox mode, its tests and its benchmarks.
//!
//! One loopback HTTP server carries:
//! - `/api/integrations/v2/...`: the Willo Integration API v2 as `willo-api.md` describes it;
//! - `/greenhouse/...`: Greenhouse Harvest v3 (OAuth token endpoint at `/greenhouse/auth/token`);
//! - `/lever/v1/...`: Lever;
//! - `/ashby/<category.method>`: Ashby (RPC-style, every call a `POST` with a JSON body);
//! - `/workable/spi/v3/...`: Workable SPI v3;
//! - `/media/...`: answer videos and audio;
//! - `/_admin/...`: fault injection and test controls (sandbox only).
//!
//! What the sandbox does that the real services may not is listed in the README.

mod admin;
pub mod ats;
mod busy;
pub mod faults;
mod keys;
mod media;
mod throttle;
pub mod willo;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use ats::{
    AshbyWebhook, AtsSettings, AtsSim, Dialect, WebhookDelivery, ASHBY_API_KEY,
    GREENHOUSE_CLIENT_ID, GREENHOUSE_CLIENT_SECRET, LEVER_API_KEY, WORKABLE_TOKEN,
};
pub use busy::BusyTime;
pub use faults::{FaultKind, FaultPhase, FaultRule, Faults};
pub use willo::{
    DeliveryPolicy, Lifecycle, ListShape, RequestCount, WilloLimits, WilloSim, ADMIN_API_KEY,
    DEMO_ORGANISATION, STANDARD_API_KEY,
};

/// How to run the sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Willo's request budget per organisation.
    pub willo_limits: WilloLimits,
    pub lifecycle: Lifecycle,
    pub delivery: DeliveryPolicy,
    pub ats: AtsSettings,
    /// Move one applicant into "Screening" this often (exercises stage triggers), if set.
    pub ats_advance_every: Option<Duration>,
    pub faults: Vec<FaultRule>,
}

impl SandboxConfig {
    /// The out-of-the-box demo: Willo's published budget (and Workable's and Ashby's limits),
    /// candidates open, start and complete within a minute or so, and a new applicant reaches
    /// Screening every 45 seconds.
    pub fn demo() -> Self {
        Self {
            lifecycle: Lifecycle::Timed {
                open_after: Duration::from_secs(5),
                start_after: Duration::from_secs(10),
                complete_after: Duration::from_secs(20),
            },
            ats_advance_every: Some(Duration::from_secs(45)),
            willo_limits: WilloLimits::PUBLISHED,
            // Workable's and Ashby's limits, so the demo on them paces as it would for real.
            ats: AtsSettings {
                workable_limit_per_10s: AtsSettings::default().workable_limit_per_10s,
                ashby_limit_per_minute: AtsSettings::default().ashby_limit_per_minute,
                ..Self::for_tests().ats
            },
            ..Self::for_tests()
        }
    }

    /// For tests: nothing moves unless the test says so, no throttling, quick webhook retries.
    pub fn for_tests() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            willo_limits: WilloLimits::NONE,
            lifecycle: Lifecycle::Manual,
            delivery: DeliveryPolicy {
                max_attempts: 5,
                first_backoff: Duration::from_millis(50),
                timeout: Duration::from_secs(2),
            },
            ats: AtsSettings {
                greenhouse_limit_per_10s: 0,
                lever_limit_per_second: 0,
                ashby_limit_per_minute: 0,
                workable_limit_per_10s: 0,
                ..AtsSettings::default()
            },
            ats_advance_every: None,
            faults: Vec::new(),
        }
    }
}

/// Where the running simulators are and the demo credentials they accept. Printed by
/// `willo-desk sandbox`, so these are sandbox-only values, never real secrets.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SandboxInfo {
    pub origin: String,
    pub willo_base_url: String,
    pub willo_api_key: String,
    pub willo_standard_api_key: String,
    pub greenhouse_base_url: String,
    pub greenhouse_token_url: String,
    pub greenhouse_client_id: String,
    pub greenhouse_client_secret: String,
    pub lever_base_url: String,
    pub lever_api_key: String,
    /// Ashby's API root: methods are `POST {ashby_base_url}/<category.method>`.
    pub ashby_base_url: String,
    pub ashby_api_key: String,
    pub workable_base_url: String,
    pub workable_token: String,
    pub admin_url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("could not prepare the sample media: {0}")]
    Media(std::io::Error),
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    pub info: SandboxInfo,
    pub willo: Arc<WilloSim>,
    pub ats: Arc<AtsSim>,
    pub faults: Faults,
    /// How long the simulators have spent answering requests, summed.
    pub busy: BusyTime,
    tasks: Vec<JoinHandle<()>>,
    _media: tempfile::TempDir,
}

impl Sandbox {
    pub async fn start(config: SandboxConfig) -> Result<Self, SandboxError> {
        let listener =
            TcpListener::bind(config.addr)
                .await
                .map_err(|source| SandboxError::Bind {
                    addr: config.addr,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
            addr: config.addr,
            source,
        })?;
        let origin = format!("http://{addr}");

        let media = tempfile::tempdir().map_err(SandboxError::Media)?;
        media::write_files(media.path()).map_err(SandboxError::Media)?;

        let willo = WilloSim::new(
            config.willo_limits,
            config.lifecycle.clone(),
            config.delivery.clone(),
        );
        let _ = willo.origin.set(origin.clone());
        let ats = AtsSim::new(config.ats.clone());
        let _ = ats.origin.set(origin.clone());
        let faults = Faults::new(config.faults.clone());
        let info = SandboxInfo {
            willo_base_url: willo.api_base(),
            willo_api_key: ADMIN_API_KEY.into(),
            willo_standard_api_key: STANDARD_API_KEY.into(),
            greenhouse_base_url: format!("{origin}/greenhouse/v3"),
            greenhouse_token_url: format!("{origin}/greenhouse/auth/token"),
            greenhouse_client_id: GREENHOUSE_CLIENT_ID.into(),
            greenhouse_client_secret: GREENHOUSE_CLIENT_SECRET.into(),
            lever_base_url: format!("{origin}/lever/v1"),
            lever_api_key: LEVER_API_KEY.into(),
            ashby_base_url: format!("{origin}/ashby"),
            ashby_api_key: ASHBY_API_KEY.into(),
            workable_base_url: format!("{origin}/workable/spi/v3"),
            workable_token: WORKABLE_TOKEN.into(),
            admin_url: format!("{origin}/_admin"),
            origin,
        };
        let busy = BusyTime::default();
        let info_cell = Arc::new(OnceLock::new());
        let _ = info_cell.set(info.clone());

        let app = axum::Router::new()
            .merge(willo::router(Arc::clone(&willo)))
            .merge(ats::router(Arc::clone(&ats)))
            .merge(media::router(media.path()))
            .merge(admin::router(admin::Admin {
                willo: Arc::clone(&willo),
                ats: Arc::clone(&ats),
                faults: faults.clone(),
                info: info_cell,
            }))
            .layer(axum::middleware::from_fn_with_state(
                busy.clone(),
                busy::measure,
            ))
            .layer(axum::middleware::from_fn_with_state(
                faults.clone(),
                faults::inject,
            ))
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&willo),
                willo::count,
            ));

        let mut tasks = vec![tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "the sandbox server stopped");
            }
        })];
        if let Some(every) = config.ats_advance_every {
            let ats = Arc::clone(&ats);
            tasks.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    ats.advance_one_applicant();
                }
            }));
        }
        tracing::info!(origin = %info.origin, "sandbox simulators listening");
        Ok(Self {
            info,
            willo,
            ats,
            faults,
            busy,
            tasks,
            _media: media,
        })
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
