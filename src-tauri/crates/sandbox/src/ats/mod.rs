//! The simulated ATS: one dataset served as Greenhouse Harvest v3 (`/greenhouse/...`), as Lever
//! (`/lever/v1/...`), as Ashby (`/ashby/<category.method>`) and as Workable (`/workable/spi/v3/...`).
//!
//! [`Dialect`] is the one place dataset ids become each dialect's ids. Every change of an
//! application's stage, however it is made (a dialect's API, the admin API, the applicant timer, a
//! test's `with_data`), is announced to the Ashby webhook and Workable subscriptions that are set.

mod ashby;
pub mod dataset;
mod greenhouse;
mod lever;
mod webhooks;
mod workable;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap};
use axum::Router;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};

use crate::faults::lock;
use crate::throttle::Throttle;
use dataset::{Application, Dataset, STAGES};

pub use ashby::ASHBY_API_KEY;
pub use greenhouse::{GREENHOUSE_CLIENT_ID, GREENHOUSE_CLIENT_SECRET};
pub use lever::LEVER_API_KEY;
pub use webhooks::{AshbyWebhook, Subscription, WebhookDelivery};
pub use workable::WORKABLE_TOKEN;

/// Settings of the simulated ATS.
#[derive(Debug, Clone)]
pub struct AtsSettings {
    /// Greenhouse requests allowed per 10-second window per token (0: unlimited).
    pub greenhouse_limit_per_10s: u32,
    /// Lever requests allowed per second per key (0: unlimited).
    pub lever_limit_per_second: u32,
    /// Ashby requests allowed per minute per key (0: unlimited). Ashby publishes no figure.
    pub ashby_limit_per_minute: u32,
    /// Workable requests allowed per 10-second window per token (0: unlimited); Workable
    /// publishes 10 for account tokens.
    pub workable_limit_per_10s: u32,
    /// How long a Greenhouse access token lives.
    pub token_ttl: Duration,
    /// How long an Ashby `syncToken` stays good for an incremental sync.
    pub ashby_sync_token_ttl: Duration,
    /// Extra applicants for load and crash tests: `Load<n> Candidate`, email `load<n>@example.com`,
    /// applying to the first job, in its first stage.
    pub extra_applicants: usize,
}

impl Default for AtsSettings {
    fn default() -> Self {
        Self {
            greenhouse_limit_per_10s: 200,
            lever_limit_per_second: 10,
            ashby_limit_per_minute: 1000,
            workable_limit_per_10s: 10,
            token_ttl: Duration::from_secs(3600),
            ashby_sync_token_ttl: Duration::from_secs(7 * 24 * 3600),
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
    ashby_throttle: Throttle,
    workable_throttle: Throttle,
    /// Ashby sync tokens: token → (the dataset's change number when it was issued, expiry).
    sync_tokens: Mutex<HashMap<String, (u64, Instant)>>,
    hooks: webhooks::Hooks,
    /// `http://127.0.0.1:<port>`, known once the server is bound (for URLs inside payloads).
    pub origin: OnceLock<String>,
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
            ashby_throttle: Throttle::new(settings.ashby_limit_per_minute, Duration::from_secs(60)),
            workable_throttle: Throttle::new(
                settings.workable_limit_per_10s,
                Duration::from_secs(10),
            ),
            sync_tokens: Mutex::new(HashMap::new()),
            hooks: webhooks::Hooks::new(),
            origin: OnceLock::new(),
            settings,
        })
    }

    /// Runs `f` on the dataset. Applications it moved to another stage are then announced to
    /// the webhooks that are set (delivered in the background).
    pub fn with_data<T>(&self, f: impl FnOnce(&mut Dataset) -> T) -> T {
        let (out, planned) = {
            let mut data = lock(&self.data);
            let out = f(&mut data);
            let moved = data.take_moves();
            let planned = if moved.is_empty() {
                Vec::new()
            } else {
                self.hooks.plan(&mut data, &moved, self.origin())
            };
            (out, planned)
        };
        self.hooks.send(planned);
        out
    }

    /// The server's origin, or loopback before it is known.
    fn origin(&self) -> &str {
        self.origin.get().map_or("http://127.0.0.1", String::as_str)
    }

    /// Makes every issued Greenhouse token expire now (tests of refresh-and-retry).
    pub fn expire_tokens(&self) {
        for (expiry, _) in lock(&self.tokens).values_mut() {
            *expiry = Instant::now();
        }
    }

    /// Makes every issued Ashby `syncToken` expire now (tests of the fall back to a full sync).
    pub fn expire_sync_tokens(&self) {
        for (_, expiry) in lock(&self.sync_tokens).values_mut() {
            *expiry = Instant::now();
        }
    }

    /// Sets (or with `None` removes) the Ashby webhook that stage changes are sent to. Ashby's
    /// webhooks are set in its admin screens, so this is the sandbox's stand-in.
    pub fn set_ashby_webhook(&self, hook: Option<AshbyWebhook>) {
        self.hooks.set_ashby(hook);
    }

    /// The Ashby webhook set, if any.
    pub fn ashby_webhook(&self) -> Option<AshbyWebhook> {
        self.hooks.ashby()
    }

    /// Every webhook delivery (Ashby's and Workable's) so far, oldest first.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.hooks.deliveries()
    }

    /// Workable requests refused by its rate limit so far.
    pub fn workable_refused(&self) -> u64 {
        self.workable_throttle.refused()
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
        .merge(lever::router(Arc::clone(&sim)))
        .merge(ashby::router(Arc::clone(&sim)))
        .merge(workable::router(sim))
}

// ---- ids ------------------------------------------------------------------------------------------

/// The ATS dialects the simulator speaks, and how each names the dataset's jobs, stages,
/// applications, candidates and users: the dialect modules take these ids from here, and tests
/// elsewhere can too. (Ids of a dialect's own records, such as notes, stay in its module.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    Greenhouse,
    Lever,
    Ashby,
    Workable,
}

impl Dialect {
    pub const ALL: [Dialect; 4] = [
        Dialect::Greenhouse,
        Dialect::Lever,
        Dialect::Ashby,
        Dialect::Workable,
    ];

    /// The dialect an ATS is served in.
    pub fn of(kind: desk_domain::AtsKind) -> Self {
        match kind {
            desk_domain::AtsKind::Greenhouse => Dialect::Greenhouse,
            desk_domain::AtsKind::Lever => Dialect::Lever,
            desk_domain::AtsKind::Ashby => Dialect::Ashby,
            desk_domain::AtsKind::Workable => Dialect::Workable,
        }
    }

    /// The dialect's name, as writes are recorded with (`Write::ats`).
    pub fn name(&self) -> &'static str {
        match self {
            Dialect::Greenhouse => "greenhouse",
            Dialect::Lever => "lever",
            Dialect::Ashby => "ashby",
            Dialect::Workable => "workable",
        }
    }

    /// How the dialect addresses a job: Greenhouse's number, Lever's posting id, Ashby's job id,
    /// Workable's `shortcode` (what its paths and candidate filter take; a Workable job's `id`
    /// field is another short hex string, see [`Dialect::workable_job_key`]).
    pub fn job_id(&self, job: u64) -> String {
        match self {
            Dialect::Greenhouse => job.to_string(),
            Dialect::Lever => uuid(kind::POSTING, job),
            Dialect::Ashby => uuid(kind::ASHBY_JOB, job),
            Dialect::Workable => {
                let letter = |n: u64| char::from(b'A' + u8::try_from(n % 26).unwrap_or(0));
                format!(
                    "J{job}{}{}{}",
                    letter(job),
                    letter(job / 26),
                    letter(job / 676)
                )
            }
        }
    }

    /// A Workable job's `id` field (not its shortcode).
    pub fn workable_job_key(job: u64) -> String {
        short_id(tag::JOB, job)
    }

    /// A job's stage, `stage` an index into `STAGES`. Greenhouse's and Ashby's stages belong to
    /// the job; Lever's and Workable's (a slug) are the account's, so `job` does not change them.
    pub fn stage_id(&self, job: u64, stage: usize) -> String {
        match self {
            Dialect::Greenhouse => greenhouse_stage(job, stage).to_string(),
            Dialect::Lever => format!(
                "{:08x}-0000-4000-8000-00000000000{}",
                0x57a6_e000 + stage,
                stage
            ),
            Dialect::Ashby => uuid(kind::ASHBY_STAGE, job * 100 + stage as u64),
            Dialect::Workable => STAGES
                .get(stage)
                .map(|s| s.to_lowercase().replace(' ', "-"))
                .unwrap_or_default(),
        }
    }

    /// Which of `job`'s stages (an index into `STAGES`) this dialect's stage `id` names.
    pub fn stage_of(&self, job: &dataset::Job, id: &str) -> Option<usize> {
        job.stages
            .iter()
            .copied()
            .find(|s| self.stage_id(job.id, *s) == id)
    }

    /// An application: Lever's opportunity, Workable's candidate (a Workable candidate belongs
    /// to one job, so each application is one).
    pub fn application_id(&self, application: u64) -> String {
        match self {
            Dialect::Greenhouse => application.to_string(),
            Dialect::Lever => uuid(kind::OPPORTUNITY, application),
            Dialect::Ashby => uuid(kind::ASHBY_APPLICATION, application),
            Dialect::Workable => short_id(tag::CANDIDATE, application),
        }
    }

    /// The dataset application an id of [`Dialect::application_id`] names, if it is one.
    pub fn application_from(&self, remote: &str) -> Option<u64> {
        match self {
            Dialect::Greenhouse => remote.parse().ok(),
            Dialect::Lever => parse_uuid(remote, kind::OPPORTUNITY),
            Dialect::Ashby => parse_uuid(remote, kind::ASHBY_APPLICATION),
            Dialect::Workable => parse_short_id(remote, tag::CANDIDATE),
        }
    }

    /// The person behind an application: Greenhouse's candidate, Lever's contact, Ashby's
    /// candidate; in Workable the application's own candidate id.
    pub fn candidate_id(&self, application: &Application) -> String {
        match self {
            Dialect::Greenhouse => application.candidate_id.to_string(),
            Dialect::Lever => uuid(kind::CONTACT, application.candidate_id),
            Dialect::Ashby => ashby_candidate_id(application.candidate_id),
            Dialect::Workable => short_id(tag::CANDIDATE, application.id),
        }
    }

    /// A user of the ATS (Workable's member).
    pub fn user_id(&self, user: u64) -> String {
        match self {
            Dialect::Greenhouse => user.to_string(),
            Dialect::Lever => uuid(kind::USER, user),
            Dialect::Ashby => uuid(kind::ASHBY_USER, user),
            Dialect::Workable => short_id(tag::MEMBER, user),
        }
    }
}

/// Greenhouse's per-job stage number.
fn greenhouse_stage(job: u64, stage: usize) -> u64 {
    job * 100 + stage as u64
}

/// An Ashby candidate (a person, who may have several applications).
fn ashby_candidate_id(candidate: u64) -> String {
    uuid(kind::ASHBY_CANDIDATE, candidate)
}

/// The kinds of UUID-like ids (four ASCII letters each), so that ids of different kinds never
/// collide and a wrong kind is refused.
mod kind {
    pub const POSTING: u32 = 0x706f_7374;
    pub const OPPORTUNITY: u32 = 0x6f70_7031;
    pub const CONTACT: u32 = 0x636f_6e74;
    pub const USER: u32 = 0x7573_6572;
    pub const ASHBY_JOB: u32 = 0x616a_6f62;
    pub const ASHBY_STAGE: u32 = 0x6173_7467;
    pub const ASHBY_APPLICATION: u32 = 0x6161_7070;
    pub const ASHBY_CANDIDATE: u32 = 0x6163_6e64;
    pub const ASHBY_USER: u32 = 0x6175_7372;
}

/// The leading hex digit of Workable's short ids, one per kind.
mod tag {
    pub const JOB: u8 = 0xa;
    pub const SUBSCRIPTION: u8 = 0xb;
    pub const CANDIDATE: u8 = 0xc;
    pub const COMMENT: u8 = 0xd;
    pub const MEMBER: u8 = 0xe;
    pub const EVENT: u8 = 0xf;
}

/// A UUID-shaped id of one kind.
fn uuid(kind: u32, id: u64) -> String {
    format!("{kind:08x}-0000-4000-8000-{id:012x}")
}

fn parse_uuid(value: &str, kind: u32) -> Option<u64> {
    let (head, tail) = value.split_once("-0000-4000-8000-")?;
    (u32::from_str_radix(head, 16).ok()? == kind).then_some(())?;
    u64::from_str_radix(tail, 16).ok()
}

/// A short lowercase hex id of one kind (`c002329`), as Workable's ids look.
fn short_id(tag: u8, id: u64) -> String {
    format!("{tag:x}{id:06x}")
}

fn parse_short_id(value: &str, tag: u8) -> Option<u64> {
    let rest = value.strip_prefix(char::from_digit(u32::from(tag), 16)?)?;
    (rest.len() >= 6 && rest.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .then_some(())?;
    u64::from_str_radix(rest, 16).ok()
}

// ---- shared by the dialects -----------------------------------------------------------------------

/// The user name and password of HTTP Basic credentials.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

/// The origin the client reached the server by, for absolute URLs in answers.
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// ISO 8601 with milliseconds, as Ashby and Workable write times.
fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn uuids_round_trip_and_keep_kinds_apart() {
        let id = uuid(kind::OPPORTUNITY, 9001);
        assert_eq!(parse_uuid(&id, kind::OPPORTUNITY), Some(9001));
        assert_eq!(parse_uuid(&id, kind::POSTING), None);
    }

    #[test]
    fn short_ids_round_trip_and_keep_kinds_apart() {
        let id = short_id(tag::CANDIDATE, 9001);
        assert_eq!(id, "c002329");
        assert_eq!(parse_short_id(&id, tag::CANDIDATE), Some(9001));
        assert_eq!(parse_short_id(&id, tag::MEMBER), None);
        assert_eq!(parse_short_id("cxyz", tag::CANDIDATE), None);
    }

    #[test]
    fn every_dialect_reads_back_its_application_ids() {
        for dialect in Dialect::ALL {
            for app in [9001, 10_001] {
                let remote = dialect.application_id(app);
                assert_eq!(dialect.application_from(&remote), Some(app), "{dialect:?}");
            }
        }
        assert_eq!(
            Dialect::Ashby.application_from(&Dialect::Lever.application_id(9001)),
            None
        );
    }

    #[test]
    fn stage_ids_are_distinct_per_job_where_stages_belong_to_jobs() {
        for dialect in Dialect::ALL {
            let account: HashSet<_> = (0..STAGES.len())
                .map(|s| dialect.stage_id(4001, s))
                .collect();
            assert_eq!(account.len(), STAGES.len(), "{dialect:?}");
        }
        for dialect in [Dialect::Greenhouse, Dialect::Ashby] {
            assert_ne!(dialect.stage_id(4001, 1), dialect.stage_id(4002, 1));
        }
        assert_eq!(Dialect::Workable.stage_id(4001, 2), "phone-interview");
        assert_eq!(Dialect::Greenhouse.stage_id(4001, 2), "400102");
    }

    #[test]
    fn workable_shortcodes_are_distinct_uppercase_codes() {
        let codes: HashSet<_> = (4001..4100).map(|j| Dialect::Workable.job_id(j)).collect();
        assert_eq!(codes.len(), 99);
        let code = Dialect::Workable.job_id(4001);
        assert!(code.starts_with("J4001"), "{code}");
        assert!(code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    }
}
