//! `willo-desk serve`: the engine without a window, for a machine that keeps automations running
//! while laptops are closed. Triggers, sends, the webhook receiver, the catch-up reconcile and the
//! outbox all run; review-required interviews wait for a desktop to review them.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use desk_engine::{Background, Engine};
use desk_store::Store;

use crate::assembly::{self, Accounts, Host};
use crate::config::{ConfigError, ServeConfig};
use crate::engine_lock::{self, Claim};

/// What `serve` calls itself in the engine's lock.
const SERVE: &str = "willo-desk serve";
use crate::{AppError, ErrorCode};

impl From<ConfigError> for AppError {
    fn from(error: ConfigError) -> Self {
        Self::new(ErrorCode::Validation, error.to_string())
    }
}

pub struct Server {
    engine: Arc<Engine>,
    store: Store,
    background: Background,
    /// Where the webhook receiver listens, when configured.
    pub receiver: Option<SocketAddr>,
    /// The engine's lock on the database, held until the server stops.
    _lock: Claim,
}

impl Server {
    /// Starts everything the configuration asks for (see [`crate::assembly`]). Secrets come
    /// from `env` (the process environment, else the keychain). Refuses to start, naming the
    /// holder, when another process runs the engine on the same database. Fails, with the
    /// reason, before anything runs if a secret is missing, a credential is refused, or an
    /// automation names a job or stage the ATS lacks; waits out a Willo or ATS that is down or
    /// throttling. Dropping the future before it finishes (a SIGTERM during start-up) leaves
    /// nothing running.
    pub async fn start(
        config: &ServeConfig,
        data_dir: &Path,
        env: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<Self, AppError> {
        let database = crate::paths::live_database(data_dir);
        // `serve` has nothing to do without the engine (a desktop follows the holder instead).
        let lock = match engine_lock::claim(&database, SERVE)? {
            Claim::Held(lock) => lock,
            Claim::Taken(holder) => return Err(engine_lock::taken(&database, holder.as_ref())),
        };
        let assembled = assembly::assemble(
            Host::Serve,
            Claim::Held(lock),
            config,
            Accounts::of(config),
            &database,
            env,
            config.schedule(),
        )
        .await?;
        let background = assembled.engine.spawn(assembled.schedule);
        let receiver = assembled.receiver.map(|(addr, _)| addr);
        tracing::info!(?receiver, automations = config.automations.len(), "serving");
        Ok(Self {
            engine: assembled.engine,
            store: assembled.store,
            background,
            receiver,
            _lock: assembled.claim,
        })
    }

    /// The engine (for checks and for tests that want to run a step now).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Stops the loop after the step it is in (all state is in the store) and closes the database.
    pub async fn shutdown(self) {
        self.background.stop().await;
        self.store.close().await;
        tracing::info!("stopped");
    }
}
