//! `willo-desk serve`: the engine without a window, for a machine that keeps automations running
//! while laptops are closed. Triggers, sends, the webhook receiver, the catch-up reconcile and the
//! outbox all run; review-required interviews wait for a desktop to review them.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use desk_ats::greenhouse::{Greenhouse, GreenhouseConfig};
use desk_ats::lever::{Lever, LeverConfig};
use desk_ats::AtsConnector;
use desk_engine::receiver::AtsHooks;
use desk_engine::{Background, ChannelSink, Engine, EngineConfig, Schedule, SystemClock};
use desk_store::{AutomationSpec, Store};
use desk_willo::{AuthScheme, RetryPolicy};

use crate::config::{secret, AtsSection, ConfigError, ServeConfig};
use crate::engine_lock::{self, Claim, EngineLock};
use crate::{AppError, ErrorCode};

/// A webhook token shorter than this is too easy to guess.
const MIN_TOKEN_LEN: usize = 32;

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
    _lock: EngineLock,
}

/// What `serve` calls itself in the engine's lock.
const SERVE: &str = "willo-desk serve";
/// The longest wait between two tries of a start-up step.
const MAX_START_BACKOFF: Duration = Duration::from_secs(15);

/// Runs a start-up step again while it fails for a reason that passes (Willo or the ATS down,
/// throttling, the network), waiting 1 s, 2 s, 4 s ... up to 15 s between tries and logging
/// each failure. Any other failure (a refused key, a wrong setting) is returned at once.
async fn patiently<T, F, Fut>(what: &str, mut step: F) -> Result<T, AppError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    let mut wait = Duration::from_secs(1);
    loop {
        match step().await {
            Ok(value) => return Ok(value),
            Err(error) if matches!(error.code, ErrorCode::Unavailable | ErrorCode::RateLimited) => {
                tracing::warn!(%error, retry_in_s = wait.as_secs(), "{what} failed; trying again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_START_BACKOFF);
            }
            Err(error) => return Err(error),
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(crate) fn connector(
    section: &AtsSection,
    http: reqwest::Client,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Arc<dyn AtsConnector>, &'static str, String), ConfigError> {
    Ok(match section {
        AtsSection::Greenhouse {
            base_url,
            token_url,
            client_id,
            client_secret_env,
            acting_user,
            per_second,
        } => (
            Arc::new(Greenhouse::new(
                http,
                GreenhouseConfig {
                    base_url: base_url.clone(),
                    token_url: token_url.clone(),
                    client_id: client_id.clone(),
                    client_secret: secret(env, client_secret_env)?,
                    acting_user: acting_user.clone(),
                    per_second: *per_second,
                },
            )),
            "greenhouse",
            base_url.clone(),
        ),
        AtsSection::Lever {
            base_url,
            api_key_env,
            acting_user,
            per_second,
        } => (
            Arc::new(Lever::new(
                http,
                LeverConfig {
                    base_url: base_url.clone(),
                    api_key: secret(env, api_key_env)?,
                    acting_user: acting_user.clone(),
                    per_second: *per_second,
                },
            )),
            "lever",
            base_url.clone(),
        ),
    })
}

/// The store's form of the configuration's `automations[i]`, checked against what the ATS has.
async fn automation(
    store: &Store,
    ats_connection: i64,
    i: usize,
    a: &crate::config::AutomationSection,
) -> Result<AutomationSpec, AppError> {
    let field = |name: &str| format!("automations[{i}].{name}");
    let job = store
        .job_id(ats_connection, &a.job)
        .await?
        .ok_or_else(|| ConfigError::Invalid {
            field: field("job"),
            message: format!("the ATS has no open job `{}`", a.job),
        })?;
    let mut stages = Vec::new();
    for stage in &a.trigger_stages {
        stages.push(
            store
                .stage_id(ats_connection, stage)
                .await?
                .ok_or_else(|| ConfigError::Invalid {
                    field: field("trigger_stages"),
                    message: format!("the ATS has no stage `{stage}`"),
                })?,
        );
    }
    let move_to = match &a.move_to_stage {
        Some(stage) => Some(
            store
                .stage_id(ats_connection, stage)
                .await?
                .ok_or_else(|| ConfigError::Invalid {
                    field: field("move_to_stage"),
                    message: format!("the ATS has no stage `{stage}`"),
                })?,
        ),
        None => None,
    };
    Ok(AutomationSpec {
        move_min_score: a.move_min_score,
        ..AutomationSpec::direct(job, &a.interview, &stages, a.review_required, move_to)
    })
}

impl Server {
    /// Starts everything the configuration asks for. Secrets come from `env` (the process
    /// environment, else the keychain). Refuses to start, naming the holder, when another
    /// process runs the engine on the same database. Fails, with the reason, before anything runs
    /// if a secret is missing, a credential is refused, or an automation names a job or stage the
    /// ATS lacks; waits out a Willo or ATS that is down or throttling. Dropping the future before
    /// it finishes (a SIGTERM during start-up) leaves nothing running.
    pub async fn start(
        config: &ServeConfig,
        data_dir: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, AppError> {
        let database = crate::paths::live_database(data_dir);
        let lock = match engine_lock::claim(&database, SERVE)? {
            Claim::Held(lock) => lock,
            Claim::Taken(holder) => return Err(engine_lock::taken(&database, holder.as_ref())),
        };
        let http = crate::http::client()?;
        let willo_key = secret(env, &config.willo.api_key_env)?;
        let (ats, ats_kind, ats_url) = connector(&config.ats, http.clone(), env)?;
        let token = match &config.receiver {
            Some(r) => {
                let token = secret(env, &r.token_env)?;
                if token.expose().len() < MIN_TOKEN_LEN {
                    return Err(ConfigError::Invalid {
                        field: "receiver.token_env".into(),
                        message: format!(
                            "the token in {} must be at least {MIN_TOKEN_LEN} characters",
                            r.token_env
                        ),
                    }
                    .into());
                }
                let ats_secret = r
                    .ats_secret_env
                    .as_deref()
                    .map(|name| secret(env, name))
                    .transpose()?;
                Some((token, ats_secret))
            }
            None => None,
        };

        let store = Store::open(&database).await?;
        let now = now_ms();
        let willo_url = config.willo_url();
        let willo_connection = store
            .upsert_connection("willo", "Willo", &willo_url, now)
            .await?;
        let ats_connection = store
            .upsert_connection(ats_kind, ats_kind, &ats_url, now)
            .await?;
        let willo = config.willo.client(
            http,
            willo_url,
            willo_key,
            config.willo.auth_scheme.unwrap_or(AuthScheme::Bare),
            RetryPolicy::default(),
        )?;
        if config.willo.auth_scheme.is_none() {
            let scheme = patiently("asking Willo which authorization it takes", || async {
                Ok(willo.detect_auth_scheme().await?)
            })
            .await?;
            tracing::info!(?scheme, "Willo accepted the API key");
        }
        let engine_config = EngineConfig {
            default_region: config.engine.default_region.clone(),
            score_field: config.engine.score_field.clone(),
            recheck_completed_for: Duration::from_secs(
                config.engine.recheck_completed_days * 24 * 60 * 60,
            ),
            ..EngineConfig::default()
        };
        // Headless, nobody reads the events: the activity log has them.
        let (events, _dropped) = tokio::sync::mpsc::unbounded_channel();
        let engine = Arc::new(
            Engine::new(
                store.clone(),
                Arc::new(willo),
                willo_connection,
                Arc::new(SystemClock),
                Arc::new(ChannelSink(events)),
                engine_config,
            )
            .with_ats(Arc::clone(&ats), ats_connection),
        );

        // Learn the ATS's jobs and stages, then switch the automations on.
        patiently("the first read of the ATS", || async {
            Ok(engine.poll_triggers().await.map(|_| ())?)
        })
        .await?;
        for (i, a) in config.automations.iter().enumerate() {
            store
                .set_automation(&automation(&store, ats_connection, i, a).await?, now_ms())
                .await?;
        }

        let mut receiver_addr = None;
        if let (Some(section), Some((token, ats_secret))) = (&config.receiver, token) {
            let token_text = token.expose().clone();
            let hooks = ats_secret.map(|secret| AtsHooks {
                connector: Arc::clone(&ats),
                secret: Arc::new(secret),
                poll_now: engine.poll_handle(),
            });
            let addr = engine.serve_receiver(section.listen, token, hooks).await?;
            receiver_addr = Some(addr);
            if let Some(public) = section.public_url.clone() {
                // Registration waits for Willo in the background: the receiver serves meanwhile.
                let engine = Arc::clone(&engine);
                tokio::spawn(async move {
                    let registered = patiently("registering Willo's webhooks", || async {
                        Ok(engine.register_webhooks(&public, &token_text, None).await?)
                    })
                    .await;
                    match registered {
                        Ok(hooks) => {
                            tracing::info!(webhooks = hooks.len(), "Willo webhooks registered")
                        }
                        Err(error) => {
                            tracing::error!(%error, "Willo's webhooks could not be registered")
                        }
                    }
                });
            }
        }

        let schedule = Schedule {
            reconcile_every: Duration::from_secs(config.engine.reconcile_every_minutes * 60),
            ats_poll_every: Duration::from_secs(config.engine.ats_poll_every_seconds),
            ..Schedule::default()
        };
        let background = engine.spawn(schedule);
        tracing::info!(receiver = ?receiver_addr, automations = config.automations.len(), "serving");
        Ok(Self {
            engine,
            store,
            background,
            receiver: receiver_addr,
            _lock: lock,
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
