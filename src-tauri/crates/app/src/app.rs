//! The running application: its store, its connections, and (in sandbox mode) the simulators.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use desk_ats::greenhouse::{Greenhouse, GreenhouseConfig};
use desk_sandbox::{Sandbox, SandboxConfig};
use desk_store::Store;
use tokio::sync::Mutex;

use crate::ipc::{AppInfo, JobOverview, Mode, Overview, StageOverview, SyncReport};
use crate::{paths, sync, AppError};

/// The sandbox connection is stored under a fixed address, since the simulator's port changes
/// from run to run and the local data must not.
const SANDBOX_GREENHOUSE: &str = "sandbox://greenhouse";

pub struct App {
    store: Store,
    data_dir: PathBuf,
    greenhouse: Greenhouse,
    ats_connection: i64,
    last_sync_at: Mutex<Option<i64>>,
    /// Serialises syncs: a second request while one runs waits for it instead of doubling the load.
    syncing: Mutex<()>,
    sandbox: Sandbox,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn count(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

impl App {
    /// Starts sandbox mode: the simulators on loopback, the sandbox database in `data_dir`.
    pub async fn open_sandbox(data_dir: &Path, sandbox: SandboxConfig) -> Result<Self, AppError> {
        let sandbox = Sandbox::start(sandbox).await?;
        let store = Store::open(&paths::sandbox_database(data_dir)).await?;
        let ats_connection = store
            .upsert_connection(
                "greenhouse",
                "Greenhouse (sandbox)",
                SANDBOX_GREENHOUSE,
                now_ms(),
            )
            .await?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| {
                AppError::new(
                    crate::ErrorCode::Internal,
                    format!("the HTTP client could not start: {e}"),
                )
            })?;
        let greenhouse = Greenhouse::new(
            http,
            GreenhouseConfig {
                base_url: sandbox.info.greenhouse_base_url.clone(),
                token_url: sandbox.info.greenhouse_token_url.clone(),
                client_id: sandbox.info.greenhouse_client_id.clone(),
                client_secret: sandbox.info.greenhouse_client_secret.clone(),
                acting_user: None,
            },
        );
        tracing::info!(data_dir = %data_dir.display(), "sandbox mode ready");
        Ok(Self {
            store,
            data_dir: data_dir.to_owned(),
            greenhouse,
            ats_connection,
            last_sync_at: Mutex::new(None),
            syncing: Mutex::new(()),
            sandbox,
        })
    }

    pub fn info(&self) -> AppInfo {
        AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            mode: Mode::Sandbox,
            data_dir: self.data_dir.display().to_string(),
            sandbox_origin: Some(self.sandbox.info.origin.clone()),
            ats_label: "Greenhouse (sandbox)".to_owned(),
        }
    }

    /// Reads the ATS and stores what it found, in one transaction.
    pub async fn sync_ats(&self) -> Result<SyncReport, AppError> {
        let _one_at_a_time = self.syncing.lock().await;
        let started = Instant::now();
        let snapshot = sync::read_greenhouse(&self.greenhouse).await?;
        let now = now_ms();
        let counts = self
            .store
            .save_ats_snapshot(self.ats_connection, &snapshot, now)
            .await?;
        *self.last_sync_at.lock().await = Some(now);
        let message = format!(
            "Synced {} jobs and {} applications from the ATS ({} arrived in a stage)",
            counts.jobs, counts.applications, counts.stage_changes
        );
        self.store
            .log_activity("ats_sync", &message, None, None, now)
            .await?;
        tracing::info!(
            jobs = counts.jobs,
            applications = counts.applications,
            "ATS synced"
        );
        Ok(SyncReport {
            jobs: count(counts.jobs),
            candidates: count(counts.candidates),
            applications: count(counts.applications),
            stage_changes: count(counts.stage_changes),
            took_ms: count(started.elapsed().as_millis()),
        })
    }

    /// What the local store knows, instantly and offline.
    pub async fn overview(&self) -> Result<Overview, AppError> {
        let jobs = self.store.job_summaries(self.ats_connection).await?;
        let candidates = self.store.candidate_count(self.ats_connection).await?;
        let applications = jobs.iter().map(|j| j.applications).sum::<i64>();
        Ok(Overview {
            jobs: jobs
                .into_iter()
                .map(|j| JobOverview {
                    id: count(j.id),
                    title: j.title,
                    department: j.department,
                    location: j.location,
                    applications: count(j.applications),
                    stages: j
                        .stages
                        .into_iter()
                        .map(|s| StageOverview { name: s.name, applications: count(s.applications) })
                        .collect(),
                })
                .collect(),
            candidates: count(candidates),
            applications: count(applications),
            #[allow(clippy::cast_precision_loss)] // milliseconds since 1970 fit a double exactly
            last_sync_at: self.last_sync_at.lock().await.map(|t| t as f64),
        })
    }

    /// The running simulators (sandbox mode).
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    pub async fn shutdown(&self) {
        self.store.close().await;
    }
}
