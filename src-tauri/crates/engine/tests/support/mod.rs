//! A world for flow tests: the simulators, a real database with the demo ATS data, an engine
//! talking to the simulated Willo, and its events. The database is a new SQLite file, or, when
//! the test script started PostgreSQL (`DESK_TEST_POSTGRES`, its server's URL), a new database
//! there: the same flows run on both stores.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // shared by several test files

use std::sync::Arc;
use std::time::Duration;

use std::sync::atomic::{AtomicI64, Ordering};

use desk_ats::ashby::{Ashby, AshbyConfig};
use desk_ats::greenhouse::{Greenhouse, GreenhouseConfig};
use desk_ats::lever::{Lever, LeverConfig};
use desk_ats::workable::{Workable, WorkableConfig};
use desk_ats::AtsConnector;
use desk_domain::ats::{Application, Candidate, Job, Stage};
use desk_domain::AtsKind;
use desk_domain::Sensitive;
use desk_engine::receiver::{self, ReceiverState};
use desk_engine::{ChannelSink, Clock, Engine, EngineConfig, EngineEvent};
use desk_sandbox::ats::dataset::{Dataset, STAGES};
use desk_sandbox::ats::Dialect;
use desk_sandbox::{Sandbox, SandboxConfig, ADMIN_API_KEY};
use desk_store::{AtsSnapshot, Store};
use desk_willo::{AuthScheme, Budget, Pacer, RetryPolicy, ThrottleSigns, WilloClient, WilloConfig};
use serde_json::json;
use tokio::sync::mpsc::UnboundedReceiver;

pub struct World {
    pub sandbox: Sandbox,
    pub engine: Arc<Engine>,
    pub store: Store,
    pub events: UnboundedReceiver<EngineEvent>,
    pub ats: i64,
    pub interview: String,
    pub pacer: Arc<Pacer>,
    pub clock: Arc<TestClock>,
    /// The folder that holds the SQLite database (and nothing else).
    pub dir: tempfile::TempDir,
    pub database: Database,
}

/// Where a world's store keeps its data.
pub enum Database {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Database {
    /// A new store: in `dir`, or on the test script's PostgreSQL server.
    pub async fn create(dir: &std::path::Path) -> (Store, Self) {
        match std::env::var("DESK_TEST_POSTGRES") {
            Ok(server) => {
                let url = desk_store_pg::fresh_database(&server).await.unwrap();
                (
                    desk_store_pg::open(&url).await.unwrap(),
                    Self::Postgres(url),
                )
            }
            Err(_) => {
                let path = dir.join("desk.db");
                (Store::open(&path).await.unwrap(), Self::Sqlite(path))
            }
        }
    }

    /// The text column a query selects, read over a connection of the test's own (what is
    /// stored, not what the store says).
    pub async fn texts(&self, sql: &str) -> Vec<String> {
        use sqlx::Connection;
        match self {
            Self::Sqlite(path) => {
                let url = format!("sqlite://{}?mode=ro", path.display());
                let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
            }
            Self::Postgres(url) => {
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
            }
        }
    }
}

/// The wall clock, moved on by hand where a test needs days to pass.
#[derive(Debug, Default)]
pub struct TestClock {
    ahead_ms: AtomicI64,
}

impl TestClock {
    pub fn advance(&self, by: Duration) {
        self.ahead_ms
            .fetch_add(i64::try_from(by.as_millis()).unwrap(), Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis() + self.ahead_ms.load(Ordering::SeqCst)
    }
}

/// The ATS dataset as the store keeps it (what a sync would have written).
pub fn snapshot(data: &Dataset) -> AtsSnapshot {
    AtsSnapshot {
        jobs: data
            .jobs
            .iter()
            .map(|j| Job {
                id: j.id.to_string(),
                title: j.title.clone(),
                department: None,
                location: None,
                status: "open".into(),
                raw: json!({}),
            })
            .collect(),
        stages: data
            .jobs
            .iter()
            .flat_map(|j| j.stages.iter().map(move |s| (j.id, *s)))
            .map(|(job, s)| Stage {
                job_id: Some(job.to_string()),
                id: format!("{job}-{s}"),
                name: STAGES[s].into(),
                position: i64::try_from(s).unwrap(),
            })
            .collect(),
        candidates: data
            .candidates
            .iter()
            .map(|c| Candidate {
                id: c.id.to_string(),
                first_name: c.first_name.clone(),
                last_name: c.last_name.clone(),
                emails: c.emails.clone(),
                phones: c.phones.clone(),
                raw: json!({}),
            })
            .collect(),
        applications: data
            .applications
            .iter()
            .map(|a| Application {
                id: a.id.to_string(),
                candidate_id: a.candidate_id.to_string(),
                job_id: a.job_id.to_string(),
                stage_id: Some(format!("{}-{}", a.job_id, a.stage)),
                status: "active".into(),
                raw: json!({}),
            })
            .collect(),
    }
}

pub fn willo_client(sandbox: &Sandbox, key: &str, pacer: Arc<Pacer>) -> WilloClient {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let config = WilloConfig {
        base_url: sandbox.info.willo_base_url.clone(),
        api_key: Sensitive::from(key),
        auth_scheme: AuthScheme::Bare,
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
        },
        throttle: ThrottleSigns::default(),
    };
    WilloClient::new(http, config, pacer).unwrap()
}

/// A budget of `n` requests a second, with the minute and day no tighter.
pub fn per_second(n: u32) -> Budget {
    Budget {
        per_second: n,
        per_minute: n * 60,
        per_day: n * 86_400,
    }
}

/// A webhook receiver for the world's engine on loopback, taking deliveries with `token`.
pub async fn receiver_for(w: &World, token: &str) -> String {
    let state = ReceiverState {
        store: w.store.clone(),
        token: Arc::new(Sensitive::from(token)),
        clock: Arc::clone(&w.clock) as Arc<dyn Clock>,
        wake: w.engine.wake_handle(),
        ats: None,
    };
    let (addr, _task) = receiver::serve(std::net::SocketAddr::from(([127, 0, 0, 1], 0)), state)
        .await
        .unwrap();
    format!("http://{addr}")
}

pub fn quick_config() -> EngineConfig {
    EngineConfig {
        default_region: Some("GB".into()),
        worker_id: "test-worker".into(),
        lease: Duration::from_secs(30),
        max_attempts: 10,
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        score_field: Some("willo_score".into()),
        ..EngineConfig::default()
    }
}

/// Builds a world, letting the test adjust the ATS data before it is stored.
pub async fn world_with(
    config: SandboxConfig,
    budget: Budget,
    edit: impl FnOnce(&mut AtsSnapshot),
) -> World {
    world_configured(config, budget, quick_config(), edit).await
}

/// As [`world_with`], with the engine's own configuration.
pub async fn world_configured(
    config: SandboxConfig,
    budget: Budget,
    engine_config: EngineConfig,
    edit: impl FnOnce(&mut AtsSnapshot),
) -> World {
    world_paced(config, Pacer::new(budget), engine_config, edit).await
}

/// As [`world_configured`], with a pacer of the caller's (benchmarks compress its time).
pub async fn world_paced(
    config: SandboxConfig,
    pacer: Arc<Pacer>,
    engine_config: EngineConfig,
    edit: impl FnOnce(&mut AtsSnapshot),
) -> World {
    world_on(AtsKind::Greenhouse, config, pacer, engine_config, edit).await
}

/// A world whose ATS is the simulator's `kind` dialect.
pub async fn world_on(
    kind: AtsKind,
    config: SandboxConfig,
    pacer: Arc<Pacer>,
    engine_config: EngineConfig,
    edit: impl FnOnce(&mut AtsSnapshot),
) -> World {
    let sandbox = Sandbox::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, database) = Database::create(dir.path()).await;
    let ats = store
        .upsert_connection(
            kind.as_str(),
            "Sandbox",
            &format!("sandbox://{}", kind.as_str()),
            0,
        )
        .await
        .unwrap();
    let mut snap = sandbox.ats.with_data(|d| snapshot(d));
    edit(&mut snap);
    store.save_ats_snapshot(ats, &snap, 0).await.unwrap();
    let willo_connection = store
        .upsert_connection("willo", "Willo", "sandbox://willo", 0)
        .await
        .unwrap();
    let client = willo_client(&sandbox, ADMIN_API_KEY, Arc::clone(&pacer));
    let interview = client.interviews().await.unwrap()[0].key.clone();
    let (tx, events) = tokio::sync::mpsc::unbounded_channel();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let connector: Arc<dyn AtsConnector> = match kind {
        AtsKind::Greenhouse => Arc::new(Greenhouse::new(
            http,
            GreenhouseConfig {
                base_url: sandbox.info.greenhouse_base_url.clone(),
                token_url: sandbox.info.greenhouse_token_url.clone(),
                client_id: sandbox.info.greenhouse_client_id.clone(),
                client_secret: Sensitive::new(sandbox.info.greenhouse_client_secret.clone()),
                acting_user: Some("503".into()),
                per_second: 200,
            },
        )),
        AtsKind::Lever => Arc::new(Lever::new(
            http,
            LeverConfig {
                base_url: sandbox.info.lever_base_url.clone(),
                api_key: Sensitive::new(sandbox.info.lever_api_key.clone()),
                acting_user: None,
                per_second: 200,
            },
        )),
        AtsKind::Ashby => Arc::new(Ashby::new(
            http,
            AshbyConfig {
                base_url: sandbox.info.ashby_base_url.clone(),
                api_key: Sensitive::new(sandbox.info.ashby_api_key.clone()),
                per_minute: 12_000,
            },
        )),
        AtsKind::Workable => Arc::new(Workable::new(
            http,
            WorkableConfig {
                base_url: sandbox.info.workable_base_url.clone(),
                token: Sensitive::new(sandbox.info.workable_token.clone()),
                member_id: Some(Dialect::Workable.user_id(503)),
                per_10_seconds: 2_000,
            },
        )),
    };
    let clock = Arc::new(TestClock::default());
    let engine = Engine::new(
        store.clone(),
        Arc::new(client),
        willo_connection,
        Arc::clone(&clock) as Arc<dyn Clock>,
        Arc::new(ChannelSink(tx)),
        engine_config,
    )
    .with_ats(connector, ats);
    let engine = Arc::new(engine);
    World {
        sandbox,
        engine,
        store,
        events,
        ats,
        interview,
        pacer,
        clock,
        dir,
        database,
    }
}

/// `n` more applicants to job 4001 in its first stage: candidates `c<n>` (email
/// `c<n>@example.com`) with applications `a<n>`, as a sync would store them.
pub fn applicants(snap: &mut AtsSnapshot, n: usize) {
    for i in 0..n {
        snap.candidates.push(Candidate {
            id: format!("c{i}"),
            first_name: format!("C{i}"),
            last_name: "Applicant".into(),
            emails: vec![format!("c{i}@example.com")],
            phones: vec![],
            raw: json!({}),
        });
        snap.applications.push(Application {
            id: format!("a{i}"),
            candidate_id: format!("c{i}"),
            job_id: "4001".into(),
            stage_id: Some("4001-1".into()),
            status: "active".into(),
            raw: json!({}),
        });
    }
}

pub async fn world() -> World {
    world_with(SandboxConfig::for_tests(), per_second(200), |_| {}).await
}

impl World {
    pub async fn app(&self, remote_id: u64) -> i64 {
        self.store
            .application_id(self.ats, &remote_id.to_string())
            .await
            .unwrap()
            .unwrap()
    }

    /// Invites an application to the world's interview and sends it: the invitation and the
    /// key of the participant Willo made.
    pub async fn invited(&self, application_id: i64) -> (i64, String) {
        let desk_engine::InviteOutcome::Queued(q) = self
            .engine
            .queue_invite(application_id, &self.interview)
            .await
            .unwrap()
        else {
            panic!("refused")
        };
        self.drain_outbox(Duration::from_secs(10)).await;
        let key = self
            .store
            .invitation(q.invitation_id)
            .await
            .unwrap()
            .participant_key
            .unwrap();
        (q.invitation_id, key)
    }

    /// Runs the outbox until nothing is pending (or the deadline passes).
    pub async fn drain_outbox(&self, deadline: Duration) {
        let until = tokio::time::Instant::now() + deadline;
        while self.store.outbox_pending().await.unwrap() > 0 {
            assert!(
                tokio::time::Instant::now() < until,
                "the outbox did not drain in {deadline:?}"
            );
            self.engine.run_outbox_once().await.unwrap();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The store's ids of the first `n` applications [`applicants`] added, in order.
    pub async fn applicant_ids(&self, n: usize) -> Vec<i64> {
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            ids.push(
                self.store
                    .application_id(self.ats, &format!("a{i}"))
                    .await
                    .unwrap()
                    .unwrap(),
            );
        }
        ids
    }

    /// Moves an application of the demo data to the stage named `stage`, through the simulated
    /// ATS's admin API (as a recruiter would in the ATS).
    pub async fn move_in_ats(&self, application: u64, stage: &str) {
        let response = reqwest::Client::new()
            .post(format!(
                "{}/ats/applications/{application}/move",
                self.sandbox.info.admin_url
            ))
            .json(&json!({ "stage": stage }))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }

    pub fn participants_in_sandbox(&self) -> Vec<(String, String)> {
        self.sandbox.willo.with_data(|d| {
            d.participants
                .iter()
                .map(|p| (p.key.clone(), p.email.clone()))
                .collect()
        })
    }

    pub async fn complete_in_sandbox(&self, participant_key: &str) {
        let response = reqwest::Client::new()
            .post(format!(
                "{}/willo/participants/{participant_key}/advance",
                self.sandbox.info.admin_url
            ))
            .json(&json!({"to": "completed"}))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }

    pub fn drain_events(&mut self) -> Vec<EngineEvent> {
        let mut events = Vec::new();
        while let Ok(e) = self.events.try_recv() {
            events.push(e);
        }
        events
    }
}
