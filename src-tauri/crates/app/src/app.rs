//! The running application: its store, its connections, and (in sandbox mode) the simulators.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError};
use std::time::Instant;

use desk_domain::Sensitive;
use desk_engine::{Background, Engine, EngineEvent, Schedule};
use desk_sandbox::{Sandbox, SandboxConfig};
use desk_store::{ScrolledList, Store};
use serde_json::json;
use tokio::sync::{mpsc, Mutex};

use crate::assembly::{self, Accounts, Assembled, Host};
use crate::config::ServeConfig;
use crate::engine_lock::{self, Claim};
use crate::follower::{Follower, Role};
use crate::ipc::{AppInfo, JobOverview, Mode, Overview, StageOverview, SyncReport};
use crate::live::{AtsChoice, Connections, Saved, WILLO_KEY};
use crate::secrets::SecretStore;
use crate::{notify, paths, sandbox_ats, AppError, ErrorCode, Notice};

/// The sandbox's Willo is stored under a fixed address, since the simulator's port changes from
/// run to run and the local data must not (its ATS likewise, see `sandbox_ats`).
const SANDBOX_WILLO: &str = "sandbox://willo";
/// The sandbox's demo phone numbers are British when they lack a country code.
const SANDBOX_REGION: &str = "GB";

/// What the desktop app calls itself in the engine's lock.
pub(crate) const DESKTOP: &str = "the Willo Desk app";

pub struct App {
    pub(crate) store: Store,
    data_dir: PathBuf,
    pub(crate) ats_connection: i64,
    pub(crate) engine: Arc<Engine>,
    events: Mutex<Option<mpsc::UnboundedReceiver<EngineEvent>>>,
    background: Arc<Mutex<Option<Background>>>,
    /// Whether this process runs the engine on its database, or another does.
    role: Arc<std::sync::Mutex<Role>>,
    /// Follows the process that runs the engine, when another one does.
    follower: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Set when the app shuts down: a follower must not take the engine over after that.
    closed: Arc<std::sync::atomic::AtomicBool>,
    mode: Mode,
    ats_label: String,
    /// The simulators, in sandbox mode.
    sandbox: Option<Sandbox>,
    /// The simulated ATS the sandbox reads, in sandbox mode.
    sandbox_ats: Option<AtsChoice>,
    /// The real accounts, in live mode.
    pub(crate) connections: Option<Connections>,
    /// The keychain: the real accounts' secrets are read from it, and kept in it when the
    /// recruiter connects accounts.
    pub(crate) secrets: Option<Arc<dyn SecretStore>>,
    /// The setup the engine was assembled from, as a `serve` configuration.
    pub(crate) config: ServeConfig,
    /// The webhook receiver's address and token (the doctor checks both).
    receiver: (SocketAddr, Sensitive<String>),
    /// The candidate list as the window scrolls it.
    pub(crate) candidate_list: ScrolledList,
    /// Cancels the bulk send in progress, if one is.
    pub(crate) bulk_cancel: std::sync::Mutex<Option<tokio::sync::watch::Sender<bool>>>,
    /// Why the app is not in the mode it was set up for, if so.
    startup_problem: std::sync::Mutex<Option<String>>,
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(crate) fn count(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

impl App {
    /// Opens the desktop: on the real accounts when the recruiter connected them, else the
    /// sandbox. Accounts that cannot be opened (the keychain locked, the network down, a
    /// revoked key) fall back to the sandbox and say why, rather than leaving the recruiter
    /// without a window.
    pub async fn open(
        data_dir: &Path,
        secrets: Arc<dyn SecretStore>,
        sandbox: SandboxConfig,
        schedule: Schedule,
    ) -> Result<Self, AppError> {
        let Some(saved) = crate::live::saved(data_dir)? else {
            return Ok(Self::open_sandbox(data_dir, sandbox, schedule)
                .await?
                .with_secrets(secrets));
        };
        match Self::open_live(data_dir, saved, Arc::clone(&secrets), schedule).await {
            Ok(app) => Ok(app),
            Err(error) => {
                tracing::error!(%error, "the connected accounts could not be opened; starting the sandbox");
                let app = Self::open_sandbox(data_dir, sandbox, schedule)
                    .await?
                    .with_secrets(secrets);
                app.set_startup_problem(format!(
                    "Your accounts could not be opened ({}), so this is the sandbox. Check the connections in Settings.",
                    error.message
                ));
                Ok(app)
            }
        }
    }

    /// The keychain that connecting accounts keeps their secrets in.
    pub fn with_secrets(mut self, secrets: Arc<dyn SecretStore>) -> Self {
        self.secrets = Some(secrets);
        self
    }

    /// Starts sandbox mode: the simulators on loopback, the sandbox database in `data_dir`, the
    /// webhook receiver on loopback (registered with the simulated Willo), and the engine's
    /// background loop on `schedule`.
    pub async fn open_sandbox(
        data_dir: &Path,
        sandbox: SandboxConfig,
        schedule: Schedule,
    ) -> Result<Self, AppError> {
        let chosen = sandbox_ats::chosen(data_dir)?;
        let sandbox = Sandbox::start(sandbox).await?;
        let info = &sandbox.info;
        let config = ServeConfig::from_value(json!({
            "willo": {
                "base_url": info.willo_base_url,
                "auth_scheme": "bare",
                "api_key_env": WILLO_KEY,
            },
            "ats": sandbox_ats::desktop_section(chosen, info),
            "engine": { "default_region": SANDBOX_REGION },
        }))?;
        let accounts = Accounts {
            willo: ("Willo (sandbox)".into(), SANDBOX_WILLO.into()),
            ats: sandbox_ats::account(chosen),
        };
        let database = paths::sandbox_database(data_dir);
        let assembled = assembly::assemble(
            Host::Desktop(Mode::Sandbox),
            engine_lock::claim(&database, DESKTOP)?,
            &config,
            accounts,
            &database,
            &|name: &str| sandbox_ats::lookup(chosen, info, name),
            schedule,
        )
        .await?;
        Self::start(
            data_dir,
            database,
            config,
            assembled,
            Mode::Sandbox,
            Some((sandbox, chosen)),
            None,
        )
    }

    /// Starts live mode on the recruiter's real accounts. Secrets come from `secrets` (the
    /// keychain). Willo cannot reach a receiver on this machine, so completions arrive by the
    /// catch-up reconcile (the receiver still runs, for a tunnel or a local Willo).
    pub async fn open_live(
        data_dir: &Path,
        saved: Saved,
        secrets: Arc<dyn SecretStore>,
        schedule: Schedule,
    ) -> Result<Self, AppError> {
        let config = saved.to_config()?;
        let found = crate::secrets::resolve(&config.secret_names(), &|_| None, secrets.as_ref())?;
        let database = paths::live_database(data_dir);
        let assembled = assembly::assemble(
            Host::Desktop(Mode::Live),
            engine_lock::claim(&database, DESKTOP)?,
            &config,
            Accounts::of(&config),
            &database,
            &|name: &str| found.get(name).cloned(),
            schedule,
        )
        .await?;
        Ok(Self::start(
            data_dir,
            database,
            config,
            assembled,
            Mode::Live,
            None,
            Some(saved.connections),
        )?
        .with_secrets(secrets))
    }

    /// Runs the assembled engine here when this process holds its lock, else follows the
    /// process that does (see `follower`): the app works either way.
    fn start(
        data_dir: &Path,
        database: PathBuf,
        config: ServeConfig,
        assembled: Assembled,
        mode: Mode,
        sandbox: Option<(Sandbox, AtsChoice)>,
        connections: Option<Connections>,
    ) -> Result<Self, AppError> {
        let Assembled {
            store,
            engine,
            ats_connection,
            ats_label,
            events: (events_tx, events),
            schedule,
            receiver,
            webhooks,
            claim,
        } = assembled;
        let receiver = receiver.ok_or_else(|| {
            AppError::new(
                ErrorCode::Internal,
                "the desktop's webhook receiver did not start",
            )
        })?;
        let role = match claim {
            Claim::Held(lock) => Role::Runs { _lock: lock },
            Claim::Taken(holder) => {
                tracing::info!(holder = ?holder, "another process runs the engine; this app records what the recruiter does for it");
                Role::Elsewhere(holder)
            }
        };
        let runs_here = matches!(role, Role::Runs { .. });
        let background = runs_here.then(|| engine.spawn(schedule));
        let app = Self {
            store,
            data_dir: data_dir.to_owned(),
            ats_connection,
            engine,
            events: Mutex::new(Some(events)),
            background: Arc::new(Mutex::new(background)),
            role: Arc::new(std::sync::Mutex::new(role)),
            follower: std::sync::Mutex::new(None),
            closed: Arc::default(),
            mode,
            ats_label,
            sandbox_ats: sandbox.as_ref().map(|(_, ats)| *ats),
            sandbox: sandbox.map(|(simulators, _)| simulators),
            connections,
            secrets: None,
            config,
            receiver,
            candidate_list: ScrolledList::default(),
            bulk_cancel: std::sync::Mutex::new(None),
            startup_problem: std::sync::Mutex::new(None),
        };
        if !runs_here {
            let follower = Follower {
                engine: Arc::clone(&app.engine),
                store: app.store.clone(),
                database,
                schedule,
                role: Arc::clone(&app.role),
                background: Arc::clone(&app.background),
                closed: Arc::clone(&app.closed),
                events: events_tx,
                webhooks,
            };
            *app.follower.lock().unwrap_or_else(PoisonError::into_inner) =
                Some(tokio::spawn(follower.run()));
        }
        tracing::info!(data_dir = %data_dir.display(), ?mode, runs_here, pid = std::process::id(), "ready");
        Ok(app)
    }

    /// A secret the app's configuration names: the simulators' own in the sandbox, else the
    /// keychain's.
    pub(crate) fn secret(&self, name: &str) -> Result<Option<String>, AppError> {
        match &self.sandbox {
            Some(sandbox) => Ok(sandbox_ats::lookup(
                self.sandbox_ats.unwrap_or(AtsChoice::Greenhouse),
                &sandbox.info,
                name,
            )),
            None => Ok(self.keychain()?.get(name)?),
        }
    }

    /// Who runs the engine, when it is another process than this one.
    pub fn engine_elsewhere(&self) -> Option<String> {
        match &*self.role.lock().unwrap_or_else(PoisonError::into_inner) {
            Role::Runs { .. } => None,
            Role::Elsewhere(holder) => Some(holder_name(holder.as_ref())),
        }
    }

    /// Refuses, naming the holder, what only the process running the engine may do: it would
    /// change that process's webhooks or its database under it.
    fn refused_elsewhere(&self, what: &str) -> Result<(), AppError> {
        self.engine_elsewhere()
            .map_or(Ok(()), |holder| Err(runs_elsewhere(&holder, what)))
    }

    /// Deletes this mode's database (everything is read again from Willo and the ATS) and stops
    /// the app, which should then restart. The engine's lock is held until the files are gone, so
    /// no other process opens them half-deleted. Refused where another process runs the engine:
    /// the database is in use there.
    pub async fn clear_local_data(&self) -> Result<PathBuf, AppError> {
        let held = {
            let mut role = self.role.lock().unwrap_or_else(PoisonError::into_inner);
            if let Role::Elsewhere(holder) = &*role {
                let holder = holder_name(holder.as_ref());
                return Err(runs_elsewhere(&holder, "clearing its local data"));
            }
            std::mem::replace(&mut *role, Role::Elsewhere(None))
        };
        let database = self.database_path();
        self.shutdown().await;
        let removed = paths::remove_database(&database).map_err(|e| {
            AppError::new(
                ErrorCode::Storage,
                format!("{} could not be deleted: {e}", database.display()),
            )
        });
        drop(held);
        removed?;
        tracing::info!(database = %database.display(), "local data cleared");
        Ok(database)
    }

    /// The engine: invitations, reconcile, webhooks.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Starts listening to the engine: every event goes to the first receiver (the UI refreshes
    /// on them) and the notices they warrant, grouped and filtered by the recruiter's settings,
    /// to the second. `None` after the first call.
    pub async fn start_listening(
        &self,
        group_window: std::time::Duration,
    ) -> Option<(
        mpsc::UnboundedReceiver<EngineEvent>,
        mpsc::UnboundedReceiver<Notice>,
    )> {
        let mut events = self.events.lock().await.take()?;
        let (ui_tx, ui_rx) = mpsc::unbounded_channel();
        let (notify_tx, notify_rx) = mpsc::unbounded_channel();
        let (notice_tx, notice_rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                let _ = ui_tx.send(event.clone());
                let _ = notify_tx.send(event);
            }
        });
        tokio::spawn(notify::forward(
            self.store.clone(),
            notify_rx,
            group_window,
            notice_tx,
        ));
        Some((ui_rx, notice_rx))
    }

    /// The webhook receiver's address and token.
    pub(crate) fn receiver(&self) -> (SocketAddr, &Sensitive<String>) {
        (self.receiver.0, &self.receiver.1)
    }

    /// The data folder.
    pub fn data_path(&self) -> &Path {
        &self.data_dir
    }

    /// Records why the app started in another mode than it was set up for (shown in the window).
    pub fn set_startup_problem(&self, problem: String) {
        if let Ok(mut slot) = self.startup_problem.lock() {
            *slot = Some(problem);
        }
    }

    /// A link the system browser may open (see [`crate::links`]).
    pub fn link(&self, link: &str) -> Result<url::Url, AppError> {
        crate::links::checked(link, self.mode)
    }

    /// Registers (or repairs) Willo's webhooks at the receiver: its loopback address in the
    /// sandbox, the public URL from Settings in live mode. Returns how many webhooks Willo has for us.
    pub async fn register_webhooks(&self) -> Result<u32, AppError> {
        self.refused_elsewhere("registering Willo's webhooks")?;
        let (addr, token) = self.receiver();
        let public = self.settings().await?.receiver_public_url;
        let url = self.registration_url(addr, public).ok_or_else(|| {
            AppError::new(
                crate::ErrorCode::Validation,
                "public URL: set where Willo can reach the receiver first",
            )
        })?;
        let registered = self
            .engine
            .register_webhooks(&url, token.expose(), None)
            .await?;
        Ok(count(registered.len()))
    }

    /// Where Willo delivers this app's webhooks (see [`assembly::registration_url`]).
    pub(crate) fn registration_url(
        &self,
        receiver: SocketAddr,
        public: Option<String>,
    ) -> Option<String> {
        assembly::registration_url(Host::Desktop(self.mode), receiver, public)
    }

    /// The database of the mode the app runs in.
    pub fn database_path(&self) -> PathBuf {
        match self.mode {
            Mode::Sandbox => paths::sandbox_database(&self.data_dir),
            Mode::Live => paths::live_database(&self.data_dir),
        }
    }

    /// The real accounts the app runs on, in live mode (no secrets).
    pub fn connections(&self) -> Option<Connections> {
        self.connections.clone()
    }

    pub fn info(&self) -> AppInfo {
        AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            mode: self.mode,
            data_dir: self.data_dir.display().to_string(),
            sandbox_origin: self.sandbox.as_ref().map(|s| s.info.origin.clone()),
            sandbox_ats: self.sandbox_ats,
            ats_label: self.ats_label.clone(),
            startup_problem: self.startup_problem.lock().ok().and_then(|p| p.clone()),
            engine_elsewhere: self.engine_elsewhere().map(|who| {
                format!("{who} runs the engine on this data folder: what you do here is carried out there")
            }),
        }
    }

    /// Reads the ATS and stores what it found, in one transaction.
    pub async fn sync_ats(&self) -> Result<SyncReport, AppError> {
        let started = Instant::now();
        // The same path as the scheduled poll: read, store, and invite whoever a trigger catches.
        let counts = self.engine.poll_triggers().await?.synced;
        let now = now_ms();
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
            last_sync_at: self.store.last_synced_at(self.ats_connection).await?.map(|t| t as f64),
        })
    }

    /// The running simulators, in sandbox mode.
    pub fn sandbox(&self) -> Option<&Sandbox> {
        self.sandbox.as_ref()
    }

    /// Stops the engine (it finishes the step it is in; all state is in the store) and closes
    /// the database.
    pub async fn shutdown(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(follower) = self
            .follower
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            follower.abort();
        }
        if let Some(background) = self.background.lock().await.take() {
            background.stop().await;
        }
        // A bulk send drives the outbox from its own task: let its item in flight finish too.
        if !self.engine.quiesce().await {
            tracing::warn!("an outbox item was still in flight when the app stopped");
        }
        self.store.close().await;
        // The next process may run the engine now.
        *self.role.lock().unwrap_or_else(PoisonError::into_inner) = Role::Elsewhere(None);
    }
}

/// How the process that runs the engine is named to the recruiter.
fn holder_name(holder: Option<&engine_lock::Holder>) -> String {
    holder.map_or_else(
        || "another Willo Desk process".to_owned(),
        ToString::to_string,
    )
}

/// What only the process running the engine may do, refused here.
fn runs_elsewhere(holder: &str, what: &str) -> AppError {
    AppError::new(
        ErrorCode::Validation,
        format!("{holder} runs the engine on this data folder, so {what} is done there"),
    )
}
