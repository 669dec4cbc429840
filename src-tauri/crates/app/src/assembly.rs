//! How an engine is put together from a configuration: one way for the desktop (its sandbox and
//! real accounts alike, both expressed as a `serve` configuration) and for `willo-desk serve`.
//! Where the two hosts must act differently, [`Host`] decides, and says why.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use desk_ats::ashby::{Ashby, AshbyConfig};
use desk_ats::greenhouse::{Greenhouse, GreenhouseConfig};
use desk_ats::lever::{Lever, LeverConfig};
use desk_ats::workable::{Workable, WorkableConfig};
use desk_ats::AtsConnector;
use desk_domain::Sensitive;
use desk_engine::receiver::{self, AtsHooks};
use desk_engine::{ChannelSink, Engine, EngineConfig, EngineEvent, Schedule, SystemClock};
use desk_store::{AutomationSpec, Store};
use desk_willo::RetryPolicy;
use tokio::sync::mpsc;

use crate::app::now_ms;
use crate::config::{secret, AtsSection, AutomationSection, ConfigError, ServeConfig};
use crate::engine_lock::Claim;
use crate::ipc::Mode;
use crate::{settings, AppError, ErrorCode};

/// Which process the engine is assembled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Host {
    /// The desktop app, in this mode.
    Desktop(Mode),
    /// `willo-desk serve`.
    Serve,
    /// A one-off command on `serve`'s configuration (`willo-desk forget`): it does its work and
    /// exits, so it neither receives nor registers webhooks (that is the running host's part).
    Command,
}

/// A webhook token shorter than this is too easy to guess.
const MIN_TOKEN_LEN: usize = 32;
/// The longest wait between two tries of a start-up step.
const MAX_START_BACKOFF: Duration = Duration::from_secs(15);
/// The setting that remembers a `serve` file's automations as they were last applied, by job.
const FROM_FILE: &str = "automations_from_file";

impl Host {
    /// Whether a start waits out a Willo or ATS that is down or throttling. `serve` runs
    /// unattended, so waiting is what its supervisor would do anyway, and its receiver serves
    /// meanwhile. The desktop fails at once so that its window opens (in the sandbox, saying
    /// why) instead of hanging with none.
    fn waits(self) -> bool {
        self == Self::Serve
    }

    /// Whether the database's Settings (saved from the desktop's Settings screen) shape the
    /// engine. `serve` is configured by its file alone: a desktop open on the same folder must
    /// not change a server's intervals, phone region or receiver from its screen.
    fn reads_settings(self) -> bool {
        matches!(self, Self::Desktop(_))
    }

    /// Whether the ATS is read before the engine starts. `serve` learns the ATS's jobs and
    /// stages first, so a refused ATS credential stops it at start and the file's automations
    /// can name jobs and stages. The desktop's window opens at once; its loop reads the ATS.
    fn reads_ats_first(self) -> bool {
        self == Self::Serve
    }

    /// Whether the host receives webhooks (and so registers them with Willo).
    fn listens(self) -> bool {
        self != Self::Command
    }
}

/// How the two accounts are named in the store: the label shown, and the address that tells
/// the connection apart.
pub(crate) struct Accounts {
    pub willo: (String, String),
    pub ats: (String, String),
}

impl Accounts {
    /// The accounts as the configuration names them.
    pub fn of(config: &ServeConfig) -> Self {
        Self {
            willo: ("Willo".into(), config.willo_url()),
            ats: (config.ats.kind().label().into(), config.ats.base_url()),
        }
    }
}

/// An engine put together, not yet running its loop.
pub(crate) struct Assembled {
    pub store: Store,
    pub engine: Arc<Engine>,
    pub ats_connection: i64,
    pub ats_label: String,
    pub events: (
        mpsc::UnboundedSender<EngineEvent>,
        mpsc::UnboundedReceiver<EngineEvent>,
    ),
    /// The schedule with the intervals saved in Settings.
    pub schedule: Schedule,
    /// Where the webhook receiver listens, and its token, when one runs.
    pub receiver: Option<(SocketAddr, Sensitive<String>)>,
    /// Where Willo's webhooks point while this process runs the engine (URL and token).
    pub webhooks: Option<(String, Sensitive<String>)>,
    /// The engine's lock, or who holds it (then this engine only records what the recruiter
    /// does, for the holder to carry out).
    pub claim: Claim,
}

/// The webhook receiver as the host sets it up.
struct ReceiverPlan {
    listen: SocketAddr,
    token: Sensitive<String>,
    public_url: Option<String>,
    /// The secret the ATS signs its webhooks with, when its webhooks are taken.
    ats_secret: Option<Sensitive<String>>,
}

/// The receiver of a `serve` configuration, if it has one: its token is checked before
/// anything starts.
fn configured_receiver(
    config: &ServeConfig,
    secrets: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<ReceiverPlan>, AppError> {
    let Some(section) = &config.receiver else {
        return Ok(None);
    };
    let token = secret(secrets, &section.token_env)?;
    if token.expose().len() < MIN_TOKEN_LEN {
        return Err(ConfigError::Invalid {
            field: "receiver.token_env".into(),
            message: format!(
                "the token in {} must be at least {MIN_TOKEN_LEN} characters",
                section.token_env
            ),
        }
        .into());
    }
    Ok(Some(ReceiverPlan {
        listen: section.listen,
        token,
        public_url: section.public_url.clone(),
        ats_secret: section
            .ats_secret_env
            .as_deref()
            .map(|name| secret(secrets, name))
            .transpose()?,
    }))
}

/// The desktop's receiver: where Settings say (else any free port), with a new token at each
/// start. The desktop keeps no secret of its own outside the keychain, and the sandbox must not
/// need one, so the token lives as long as the process; registering repairs Willo's webhooks
/// to it (three requests), and a token seen in an earlier run is worthless.
fn desktop_receiver(settings: &crate::ipc::Settings) -> ReceiverPlan {
    ReceiverPlan {
        listen: settings
            .receiver_listen
            .as_deref()
            .and_then(|l| l.parse().ok())
            .unwrap_or_else(any_port),
        token: receiver::new_token(),
        public_url: settings.receiver_public_url.clone(),
        ats_secret: None,
    }
}

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Puts the engine together on `database`, whose engine's lock the caller claimed (`claim`):
/// reads every secret, opens the store, checks Willo's key, reads the ATS and applies the
/// file's automations where the host does, starts the webhook receiver and registers it with
/// Willo. Fails with the reason before anything runs if a secret is missing or a credential or
/// setting is refused.
pub(crate) async fn assemble(
    host: Host,
    claim: Claim,
    config: &ServeConfig,
    accounts: Accounts,
    database: &Path,
    secrets: &(dyn Fn(&str) -> Option<String> + Sync),
    schedule: Schedule,
) -> Result<Assembled, AppError> {
    let runs_here = matches!(claim, Claim::Held(_));
    if let (true, Some(folder)) = (runs_here, database.parent()) {
        // What writes cut off by a kill left there (the real files are whole).
        for dir in [folder.to_owned(), folder.join("exports")] {
            let removed = crate::paths::remove_stale_parts(&dir);
            if removed > 0 {
                tracing::info!(removed, "part files of interrupted writes removed");
            }
        }
    }
    let http = crate::http::client()?;
    let willo_key = secret(secrets, &config.willo.api_key_env)?;
    let ats = connector(&config.ats, http.clone(), secrets)?;
    let configured = configured_receiver(config, secrets)?;

    // A team's PostgreSQL server when the configuration names one, else the data folder's file.
    let store = match config.store.connect_url(secrets)? {
        Some(url) => desk_store_pg::open(url.expose()).await?,
        None => Store::open(database).await?,
    };
    let (willo_label, willo_address) = &accounts.willo;
    let (ats_label, ats_address) = accounts.ats;
    // The ATS's first: a new database numbers it 1.
    let ats_connection = store
        .upsert_connection(ats.kind().as_str(), &ats_label, &ats_address, now_ms())
        .await?;
    let willo_connection = store
        .upsert_connection("willo", willo_label, willo_address, now_ms())
        .await?;
    let willo = config.willo.client(
        http,
        config.willo_url(),
        willo_key,
        config.willo.auth_scheme.unwrap_or_default(),
        RetryPolicy::default(),
    )?;
    if config.willo.auth_scheme.is_none() {
        let scheme = patiently(
            host,
            "asking Willo which authorization it takes",
            || async { Ok(willo.detect_auth_scheme().await?) },
        )
        .await?;
        tracing::info!(?scheme, "Willo accepted the API key");
    }

    // Where the host reads them, what is saved in Settings wins over the configuration's defaults.
    let settings = if host.reads_settings() {
        Some(settings::stored(&store).await?)
    } else {
        None
    };
    let schedule = settings
        .as_ref()
        .map_or(schedule, |s| settings::apply(s, schedule));
    let engine_config = EngineConfig {
        default_region: settings
            .as_ref()
            .and_then(|s| s.default_region.clone())
            .or_else(|| config.engine.default_region.clone()),
        score_field: config.engine.score_field.clone(),
        recheck_completed_for: Duration::from_secs(
            config.engine.recheck_completed_days * 24 * 60 * 60,
        ),
        ..EngineConfig::default()
    };
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let engine = Arc::new(
        Engine::new(
            store.clone(),
            Arc::new(willo),
            willo_connection,
            Arc::new(SystemClock),
            Arc::new(ChannelSink(events_tx.clone())),
            engine_config,
        )
        .with_ats(Arc::clone(&ats), ats_connection),
    );
    if !runs_here {
        engine.set_acting(false);
    }

    if runs_here && host == Host::Serve {
        // Configured by its file alone, as everything else: a file without it turns it off.
        engine.set_retention(config.engine.retention_days).await?;
    }
    if runs_here && host.reads_ats_first() {
        patiently(host, "the first read of the ATS", || async {
            Ok(engine.poll_triggers().await.map(|_| ())?)
        })
        .await?;
        apply_file_automations(&store, ats_connection, &config.automations).await?;
    }

    let plan = match &settings {
        _ if !host.listens() => None,
        Some(settings) => Some(desktop_receiver(settings)),
        None => configured,
    };
    let (receiver, webhooks) = match plan {
        Some(plan) => {
            let addr = listen(host, &engine, &plan, &ats).await?;
            if settings.is_some() {
                // Shown in Settings, and checked by the doctor.
                settings::remember_receiver(&store, &format!("http://{addr}")).await?;
            }
            let webhooks =
                registration_url(host, addr, plan.public_url).map(|url| (url, plan.token.clone()));
            (Some((addr, plan.token)), webhooks)
        }
        None => (None, None),
    };
    if let (true, Some((url, token))) = (runs_here, &webhooks) {
        register(host, &engine, &ats, url, token).await?;
    }
    Ok(Assembled {
        store,
        engine,
        ats_connection,
        ats_label,
        events: (events_tx, events_rx),
        schedule,
        receiver,
        webhooks,
        claim,
    })
}

/// Where Willo is told to deliver webhooks: the receiver's own address in the sandbox (the
/// simulated Willo runs on this machine), else the public URL, if one is set.
pub(crate) fn registration_url(
    host: Host,
    receiver: SocketAddr,
    public: Option<String>,
) -> Option<String> {
    match host {
        Host::Desktop(Mode::Sandbox) => Some(format!("http://{receiver}")),
        _ => public,
    }
}

/// Starts the receiver. The desktop takes any free port when the one in Settings is taken (a
/// second app, another program); `serve` is refused, since a proxy or tunnel points at its
/// configured address.
async fn listen(
    host: Host,
    engine: &Arc<Engine>,
    plan: &ReceiverPlan,
    ats: &Arc<dyn AtsConnector>,
) -> Result<SocketAddr, AppError> {
    // Workable signs with the connection's own token, whatever else is set; the others with a
    // secret set up apart.
    let secret = ats.webhook_secret().or_else(|| plan.ats_secret.clone());
    let hooks = secret.map(|secret| AtsHooks {
        connector: Arc::clone(ats),
        secret: Arc::new(secret),
        poll_now: engine.poll_handle(),
    });
    let desktop = matches!(host, Host::Desktop(_));
    match engine
        .serve_receiver(plan.listen, plan.token.clone(), hooks)
        .await
    {
        Ok(addr) => Ok(addr),
        Err(error) if desktop && plan.listen != any_port() => {
            tracing::warn!(%error, "the configured receiver address is taken; using a free port");
            Ok(engine
                .serve_receiver(any_port(), plan.token.clone(), None)
                .await?)
        }
        Err(error) => Err(error.into()),
    }
}

/// Points Willo's webhooks at the receiver, and the ATS's stage changes where the connector
/// subscribes to them itself. `serve` does it in the background, waiting for Willo and the ATS,
/// so its receiver serves meanwhile. The sandbox registers with its Willo before its window
/// opens, so its first completions arrive by webhook (failing to reach the simulated Willo is a
/// fault there). Real accounts register in the background, once: a real Willo or ATS that
/// cannot be reached is left to the catch-up and the poll.
async fn register(
    host: Host,
    engine: &Arc<Engine>,
    ats: &Arc<dyn AtsConnector>,
    url: &str,
    token: &Sensitive<String>,
) -> Result<(), AppError> {
    match host {
        Host::Serve => {
            let (engine, ats, url, token) = (
                Arc::clone(engine),
                Arc::clone(ats),
                url.to_owned(),
                token.clone(),
            );
            tokio::spawn(async move {
                let registered = patiently(host, "registering Willo's webhooks", || async {
                    Ok(engine.register_webhooks(&url, token.expose(), None).await?)
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
                let subscribed = patiently(host, "subscribing to the ATS's stage changes", || {
                    subscribe_ats(&ats, &url, &token)
                })
                .await;
                if let Err(error) = subscribed {
                    tracing::error!(%error, "the ATS's stage changes could not be subscribed to");
                }
            });
        }
        Host::Command => {}
        Host::Desktop(mode) => {
            if mode == Mode::Sandbox {
                engine.register_webhooks(url, token.expose(), None).await?;
            }
            // In the background: the window opens at once, even with Willo or the ATS slow or
            // away (completions are then found by the catch-up, stage changes by polling).
            let (engine, ats, url, token) = (
                Arc::clone(engine),
                Arc::clone(ats),
                url.to_owned(),
                token.clone(),
            );
            tokio::spawn(async move {
                if mode == Mode::Live {
                    if let Err(error) = engine.register_webhooks(&url, token.expose(), None).await {
                        tracing::warn!(%error, "the webhooks could not be registered with Willo");
                    }
                }
                if let Err(error) = subscribe_ats(&ats, &url, &token).await {
                    tracing::warn!(%error, "the ATS's stage changes could not be subscribed to; they are found by polling");
                }
            });
        }
    }
    Ok(())
}

/// Subscribes the receiver's ATS path to the ATS's stage changes, where the connector can,
/// replacing what this receiver subscribed with earlier tokens.
async fn subscribe_ats(
    ats: &Arc<dyn AtsConnector>,
    url: &str,
    token: &Sensitive<String>,
) -> Result<(), AppError> {
    if !ats.capabilities().webhooks_by_api {
        return Ok(());
    }
    let ours = format!("{}/hooks/ats/", url.trim_end_matches('/'));
    ats.subscribe_stage_changes(&format!("{ours}{}", token.expose()), &ours)
        .await?;
    tracing::info!("subscribed to the ATS's stage changes");
    Ok(())
}

/// Runs a start-up step; where the host waits ([`Host::waits`]), runs it again while it fails
/// for a reason that passes (Willo or the ATS down, throttling, the network), waiting 1 s, 2 s,
/// 4 s ... up to 15 s between tries and logging each failure. Any other failure (a refused key,
/// a wrong setting) is returned at once.
async fn patiently<T, F, Fut>(host: Host, what: &str, mut step: F) -> Result<T, AppError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    let mut wait = Duration::from_secs(1);
    loop {
        match step().await {
            Ok(value) => return Ok(value),
            Err(error)
                if host.waits()
                    && matches!(error.code, ErrorCode::Unavailable | ErrorCode::RateLimited) =>
            {
                tracing::warn!(%error, retry_in_s = wait.as_secs(), "{what} failed; trying again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_START_BACKOFF);
            }
            Err(error) => return Err(error),
        }
    }
}

/// The ATS connector a configuration's `[ats]` section describes.
pub(crate) fn connector(
    section: &AtsSection,
    http: reqwest::Client,
    secrets: &dyn Fn(&str) -> Option<String>,
) -> Result<Arc<dyn AtsConnector>, ConfigError> {
    Ok(match section {
        AtsSection::Greenhouse {
            base_url,
            token_url,
            client_id,
            client_secret_env,
            acting_user,
            per_second,
        } => Arc::new(Greenhouse::new(
            http,
            GreenhouseConfig {
                base_url: base_url.clone(),
                token_url: token_url.clone(),
                client_id: client_id.clone(),
                client_secret: secret(secrets, client_secret_env)?,
                acting_user: acting_user.clone(),
                per_second: *per_second,
            },
        )),
        AtsSection::Lever {
            base_url,
            api_key_env,
            acting_user,
            per_second,
        } => Arc::new(Lever::new(
            http,
            LeverConfig {
                base_url: base_url.clone(),
                api_key: secret(secrets, api_key_env)?,
                acting_user: acting_user.clone(),
                per_second: *per_second,
            },
        )),
        AtsSection::Ashby {
            base_url,
            api_key_env,
            per_minute,
        } => Arc::new(Ashby::new(
            http,
            AshbyConfig {
                base_url: base_url.clone(),
                api_key: secret(secrets, api_key_env)?,
                per_minute: *per_minute,
            },
        )),
        AtsSection::Workable {
            token_env,
            acting_user,
            per_10_seconds,
            ..
        } => Arc::new(Workable::new(
            http,
            WorkableConfig {
                base_url: section.base_url(),
                token: secret(secrets, token_env)?,
                member_id: acting_user.clone(),
                per_10_seconds: *per_10_seconds,
            },
        )),
    })
}

/// Applies a `serve` file's automations, with one rule for what was set in the app: an entry
/// of the file is applied at a start when it is new or changed since it was last applied;
/// otherwise the job's automation stays as the app left it (changed, paused or removed there).
/// An entry that leaves the file and comes back is new again. Every entry is checked against
/// the ATS first, so a wrong one applies none.
async fn apply_file_automations(
    store: &Store,
    ats_connection: i64,
    automations: &[AutomationSection],
) -> Result<(), AppError> {
    let mut specs = Vec::with_capacity(automations.len());
    for (i, section) in automations.iter().enumerate() {
        specs.push(automation(store, ats_connection, i, section).await?);
    }
    let applied: BTreeMap<String, serde_json::Value> =
        store.setting(FROM_FILE).await?.unwrap_or_default();
    let mut now_in_file = BTreeMap::new();
    for (section, spec) in automations.iter().zip(specs) {
        let entry = serde_json::to_value(section).unwrap_or_default();
        if applied.get(&section.job) != Some(&entry) {
            store.set_automation(&spec, now_ms()).await?;
            tracing::info!(job = %section.job, "an automation from the configuration file was applied");
        }
        now_in_file.insert(section.job.clone(), entry);
    }
    store.set_setting(FROM_FILE, &now_in_file, now_ms()).await?;
    Ok(())
}

/// The store's form of the configuration's `automations[i]`, checked against what the ATS has.
async fn automation(
    store: &Store,
    ats_connection: i64,
    i: usize,
    a: &AutomationSection,
) -> Result<AutomationSpec, AppError> {
    let field = |name: &str| format!("automations[{i}].{name}");
    let job = store
        .job_id(ats_connection, &a.job)
        .await?
        .ok_or_else(|| ConfigError::Invalid {
            field: field("job"),
            message: format!("the ATS has no open job `{}`", a.job),
        })?;
    let stage = |name: &'static str, stage: &str| {
        let stage = stage.to_owned();
        let field = field(name);
        async move {
            store
                .stage_id(ats_connection, &stage)
                .await?
                .ok_or_else(|| {
                    AppError::from(ConfigError::Invalid {
                        field,
                        message: format!("the ATS has no stage `{stage}`"),
                    })
                })
        }
    };
    let mut stages = Vec::new();
    for name in &a.trigger_stages {
        stages.push(stage("trigger_stages", name).await?);
    }
    let move_to = match &a.move_to_stage {
        Some(name) => Some(stage("move_to_stage", name).await?),
        None => None,
    };
    Ok(AutomationSpec {
        move_min_score: a.move_min_score,
        note_policy: a.note,
        ..AutomationSpec::direct(job, &a.interview, &stages, a.review_required, move_to)
    })
}
