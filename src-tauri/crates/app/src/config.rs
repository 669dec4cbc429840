//! The configuration file of `willo-desk serve` (TOML). Secrets are never in it: each is named,
//! and read from the environment variable of that name or else the keychain entry of that name. Every problem is reported with the field it is in.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use desk_domain::{AtsKind, Sensitive, WilloKey};
use desk_willo::{
    AuthScheme, Budget, Pacer, RetryPolicy, ThrottleSigns, WilloClient, WilloConfig, WilloError,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration file {path} is not valid: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("`{field}` in the configuration: {message}")]
    Invalid { field: String, message: String },
    #[error(
        "the secret {0} is neither set in the environment nor stored in the keychain (store it with `willo-desk secret set {0}`)"
    )]
    MissingSecret(String),
}

/// A week: a slower catch-up would leave completions unseen for too long to be useful.
const MAX_RECONCILE_MINUTES: u64 = 7 * 24 * 60;
/// A day.
const MAX_POLL_SECONDS: u64 = 24 * 60 * 60;

fn invalid(field: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: field.to_owned(),
        message: message.into(),
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Where the database and logs go (default: the platform's app-data folder).
    pub data_dir: Option<PathBuf>,
    pub willo: WilloSection,
    pub ats: AtsSection,
    pub receiver: Option<ReceiverSection>,
    #[serde(default)]
    pub engine: EngineSection,
    #[serde(default)]
    pub automations: Vec<AutomationSection>,
    #[serde(default)]
    pub store: StoreSection,
}

/// Where the data is kept: the data folder's SQLite file, unless a team's PostgreSQL server is
/// named.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    /// `postgres://user@host:port/database` (PostgreSQL 15 or newer), without a password.
    pub url: Option<String>,
    /// The secret holding the database user's password, when the server asks for one.
    pub password_env: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WilloSection {
    /// `production`, `staging`, or a URL ending in `/api/integrations/v2`.
    #[serde(default = "production")]
    pub base_url: String,
    /// `bare`, `bearer` or `token`; detected when left out.
    pub auth_scheme: Option<AuthScheme>,
    #[serde(default = "willo_key_env")]
    pub api_key_env: String,
    /// The organisation's request budget (Willo's support documentation: 10 a second, 100 a
    /// minute, 50,000 a day, shared by everything that uses the organisation's API).
    #[serde(default = "per_second")]
    pub per_second: u32,
    #[serde(default = "per_minute")]
    pub per_minute: u32,
    #[serde(default = "per_day")]
    pub per_day: u32,
    /// The part of that budget Willo Desk uses, leaving the rest to the organisation's other
    /// uses (Zapier, other tools, other desktops).
    #[serde(default = "share")]
    pub share: f64,
    /// A 403 whose body contains one of these (compared without case) is a throttle, not a
    /// refused permission: what Willo's throttling 403 says is not documented.
    #[serde(default = "throttle_phrases")]
    pub throttle_phrases: Vec<String>,
}

impl WilloSection {
    /// The limits Willo Desk keeps to: its share of the organisation's budget.
    pub fn budget(&self) -> Budget {
        Budget {
            per_second: self.per_second,
            per_minute: self.per_minute,
            per_day: self.per_day,
        }
        .share(self.share)
    }

    /// A client of this account at `base_url`, with a pacer of its own holding the budget.
    pub fn client(
        &self,
        http: reqwest::Client,
        base_url: String,
        api_key: Sensitive<String>,
        auth_scheme: AuthScheme,
        retry: RetryPolicy,
    ) -> Result<WilloClient, WilloError> {
        WilloClient::new(
            http,
            WilloConfig {
                base_url,
                api_key,
                auth_scheme,
                retry,
                throttle: ThrottleSigns {
                    phrases: self.throttle_phrases.clone(),
                },
            },
            Pacer::new(self.budget()),
        )
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AtsSection {
    Greenhouse {
        #[serde(default = "greenhouse_url")]
        base_url: String,
        #[serde(default = "greenhouse_token_url")]
        token_url: String,
        client_id: String,
        #[serde(default = "greenhouse_secret_env")]
        client_secret_env: String,
        /// The Greenhouse user id writes are attributed to.
        acting_user: Option<String>,
        #[serde(default = "greenhouse_rate")]
        per_second: u32,
    },
    Lever {
        #[serde(default = "lever_url")]
        base_url: String,
        #[serde(default = "lever_key_env")]
        api_key_env: String,
        /// The Lever user id writes are attributed to (`perform_as`).
        acting_user: Option<String>,
        #[serde(default = "lever_rate")]
        per_second: u32,
    },
    Ashby {
        #[serde(default = "ashby_url")]
        base_url: String,
        #[serde(default = "ashby_key_env")]
        api_key_env: String,
        /// Requests a minute at most.
        #[serde(default = "ashby_rate")]
        per_minute: u32,
    },
    Workable {
        /// The account's subdomain: `acme` for acme.workable.com.
        subdomain: Option<String>,
        /// Another address than the subdomain's `https://<subdomain>.workable.com/spi/v3`.
        base_url: Option<String>,
        #[serde(default = "workable_token_env")]
        token_env: String,
        /// The member id comments and moves are made as (`member_id`): Workable requires one.
        acting_user: Option<String>,
        /// Requests per 10 seconds at most: Workable allows account tokens 10, OAuth and
        /// partner tokens 50.
        #[serde(default = "workable_rate")]
        per_10_seconds: u32,
    },
}

impl AtsSection {
    pub fn kind(&self) -> AtsKind {
        match self {
            Self::Greenhouse { .. } => AtsKind::Greenhouse,
            Self::Lever { .. } => AtsKind::Lever,
            Self::Ashby { .. } => AtsKind::Ashby,
            Self::Workable { .. } => AtsKind::Workable,
        }
    }

    /// The address of the ATS's API (Workable's from its subdomain, once validated).
    pub fn base_url(&self) -> String {
        match self {
            Self::Greenhouse { base_url, .. }
            | Self::Lever { base_url, .. }
            | Self::Ashby { base_url, .. } => base_url.clone(),
            Self::Workable {
                base_url: Some(url),
                ..
            } => url.clone(),
            Self::Workable { subdomain, .. } => format!(
                "https://{}.workable.com/spi/v3",
                subdomain.as_deref().unwrap_or_default().trim()
            ),
        }
    }

    /// The ATS user writes are attributed to, where the ATS takes one (Ashby attributes them to
    /// the API key's own user).
    pub fn acting_user(&self) -> Option<&str> {
        match self {
            Self::Greenhouse { acting_user, .. }
            | Self::Lever { acting_user, .. }
            | Self::Workable { acting_user, .. } => acting_user.as_deref().map(str::trim),
            Self::Ashby { .. } => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiverSection {
    #[serde(default = "listen")]
    pub listen: SocketAddr,
    /// The public address of the receiver (a tunnel or reverse proxy); webhooks are registered
    /// with Willo when it is set.
    pub public_url: Option<String>,
    #[serde(default = "webhook_token_env")]
    pub token_env: String,
    /// The secret the ATS signs its webhooks with (the environment variable or keychain entry
    /// holding it). Set: the ATS's webhooks are taken at `/hooks/ats/<token>` and verified with
    /// its scheme. Not set: that path answers 404 and stage changes are found by polling.
    pub ats_secret_env: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSection {
    /// Region for phone numbers without a country code (e.g. "GB").
    pub default_region: Option<String>,
    #[serde(default = "reconcile_minutes")]
    pub reconcile_every_minutes: u64,
    #[serde(default = "poll_seconds")]
    pub ats_poll_every_seconds: u64,
    /// The ATS custom field that receives Willo's score.
    pub score_field: Option<String>,
    /// For how many days after completion an interview is re-read (hourly, within the
    /// catch-up's budget), so a score or summary Willo adds later becomes a follow-up note
    /// without webhooks. 0: never.
    #[serde(default = "recheck_days")]
    pub recheck_completed_days: u64,
    /// Days after which local interview data is removed, counted from its write-back to the
    /// ATS or from the application's closing there. Not set: kept until deleted.
    pub retention_days: Option<u32>,
}

impl Default for EngineSection {
    fn default() -> Self {
        Self {
            default_region: None,
            reconcile_every_minutes: reconcile_minutes(),
            ats_poll_every_seconds: poll_seconds(),
            score_field: None,
            recheck_completed_days: recheck_days(),
            retention_days: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AutomationSection {
    /// The ATS's id of the job.
    pub job: String,
    /// The Willo interview's key.
    pub interview: String,
    /// The ATS's ids of the stages that send the interview.
    pub trigger_stages: Vec<String>,
    /// Headless, a review-required interview waits for a desktop to review it.
    #[serde(default = "yes")]
    pub review_required: bool,
    /// The ATS's id of the stage to move the candidate to once results are written back.
    pub move_to_stage: Option<String>,
    /// Move only when Willo's score is at least this (0–100).
    pub move_min_score: Option<f64>,
    /// What the note in the ATS carries: `everything` (answers and transcripts) or
    /// `summary_and_links` (score, summary, links to the answers; no transcript text).
    #[serde(default)]
    pub note: desk_domain::NotePolicy,
}

fn production() -> String {
    "production".into()
}
fn willo_key_env() -> String {
    "WILLO_DESK_WILLO_API_KEY".into()
}
fn per_second() -> u32 {
    Budget::PUBLISHED.per_second
}
fn per_minute() -> u32 {
    Budget::PUBLISHED.per_minute
}
fn per_day() -> u32 {
    Budget::PUBLISHED.per_day
}
/// Willo Desk's part of the organisation's budget unless set.
pub const DEFAULT_SHARE: f64 = 0.8;
fn share() -> f64 {
    DEFAULT_SHARE
}
fn throttle_phrases() -> Vec<String> {
    ThrottleSigns::default().phrases
}
fn greenhouse_url() -> String {
    "https://harvest.greenhouse.io/v3".into()
}
fn greenhouse_token_url() -> String {
    "https://auth.greenhouse.io/token".into()
}
/// Where each ATS's secret is read from unless the file names another: (the `[ats]` field that
/// names it, the environment variable or keychain entry).
pub fn secret_field(kind: AtsKind) -> (&'static str, &'static str) {
    match kind {
        AtsKind::Greenhouse => ("client_secret_env", "WILLO_DESK_GREENHOUSE_CLIENT_SECRET"),
        AtsKind::Lever => ("api_key_env", "WILLO_DESK_LEVER_API_KEY"),
        AtsKind::Ashby => ("api_key_env", "WILLO_DESK_ASHBY_API_KEY"),
        AtsKind::Workable => ("token_env", "WILLO_DESK_WORKABLE_TOKEN"),
    }
}
fn greenhouse_secret_env() -> String {
    secret_field(AtsKind::Greenhouse).1.into()
}
fn greenhouse_rate() -> u32 {
    5
}
fn lever_url() -> String {
    "https://api.lever.co/v1".into()
}
fn lever_key_env() -> String {
    secret_field(AtsKind::Lever).1.into()
}
fn lever_rate() -> u32 {
    desk_ats::lever::DEFAULT_PER_SECOND
}
fn ashby_url() -> String {
    "https://api.ashbyhq.com".into()
}
fn ashby_key_env() -> String {
    secret_field(AtsKind::Ashby).1.into()
}
fn ashby_rate() -> u32 {
    desk_ats::ashby::DEFAULT_PER_MINUTE
}
fn workable_token_env() -> String {
    secret_field(AtsKind::Workable).1.into()
}
fn workable_rate() -> u32 {
    desk_ats::workable::DEFAULT_PER_10_SECONDS
}
/// Workable's limit for OAuth and partner tokens (account tokens get 10).
const MOST_WORKABLE_PER_10_SECONDS: u32 = 50;
fn listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8787))
}
fn webhook_token_env() -> String {
    "WILLO_DESK_WEBHOOK_TOKEN".into()
}
fn reconcile_minutes() -> u64 {
    10
}
fn poll_seconds() -> u64 {
    120
}
fn yes() -> bool {
    true
}
fn recheck_days() -> u64 {
    3
}
/// A month: older interviews do not change in ways worth a follow-up note.
const MAX_RECHECK_DAYS: u64 = 30;

fn check_url(field: &str, value: &str) -> Result<(), ConfigError> {
    if value.len() > 2048 {
        return Err(invalid(field, "is longer than 2,048 characters"));
    }
    let url = url::Url::parse(value).map_err(|e| {
        let shown: String = value.chars().take(80).collect();
        invalid(field, format!("`{shown}` is not a URL ({e})"))
    })?;
    match url.scheme() {
        "https" => Ok(()),
        "http"
            if url
                .host_str()
                .is_some_and(|h| h == "127.0.0.1" || h == "localhost" || h == "[::1]") =>
        {
            Ok(())
        }
        _ => Err(invalid(
            field,
            "must be an https:// URL (http:// only for this machine)",
        )),
    }
}

impl StoreSection {
    fn validate(&self) -> Result<(), ConfigError> {
        let Some(value) = &self.url else {
            return match self.password_env {
                Some(_) => Err(invalid(
                    "store.password_env",
                    "is only used with store.url (the data folder's database has no password)",
                )),
                None => Ok(()),
            };
        };
        let url = url::Url::parse(value).map_err(|e| {
            invalid(
                "store.url",
                format!("is not a URL ({e}); write postgres://user@host:port/database"),
            )
        })?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(invalid(
                "store.url",
                "must be a postgres:// URL (leave [store] out to keep the data in the data folder)",
            ));
        }
        if url.password().is_some() {
            // The URL is shown in errors and read from a file: a password there would leak.
            return Err(invalid(
                "store.url",
                "holds a password: remove it and name the secret that holds it in store.password_env",
            ));
        }
        if url.path().trim_start_matches('/').is_empty() {
            return Err(invalid(
                "store.url",
                "names no database (postgres://user@host/database)",
            ));
        }
        Ok(())
    }

    /// The URL to connect with, the password (when one is named) put in.
    pub(crate) fn connect_url(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<desk_domain::Sensitive<String>>, ConfigError> {
        let Some(value) = &self.url else {
            return Ok(None);
        };
        let mut url = url::Url::parse(value).map_err(|e| invalid("store.url", e.to_string()))?;
        if let Some(name) = &self.password_env {
            let password = secret(env, name)?;
            url.set_password(Some(password.expose()))
                .map_err(|()| invalid("store.url", "cannot hold a password"))?;
        }
        Ok(Some(desk_domain::Sensitive::new(url.to_string())))
    }
}

impl ServeConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let config: Self = toml::from_str(&text).map_err(|e| ConfigError::Syntax {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// A configuration built in code (the desktop's connections), checked like a file.
    pub(crate) fn from_value(value: serde_json::Value) -> Result<Self, ConfigError> {
        let config: Self = serde_json::from_value(value).map_err(|e| ConfigError::Syntax {
            path: "(the app's connections)".into(),
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// The Willo API's URL, with the `production`/`staging` names resolved.
    pub fn willo_url(&self) -> String {
        match self.willo.base_url.as_str() {
            "production" => desk_willo::PRODUCTION_URL.to_owned(),
            "staging" => desk_willo::STAGING_URL.to_owned(),
            other => other.to_owned(),
        }
    }

    /// The intervals the file sets.
    pub fn schedule(&self) -> desk_engine::Schedule {
        desk_engine::Schedule {
            reconcile_every: std::time::Duration::from_secs(
                self.engine.reconcile_every_minutes * 60,
            ),
            ats_poll_every: std::time::Duration::from_secs(self.engine.ats_poll_every_seconds),
            ..desk_engine::Schedule::default()
        }
    }

    /// The names of the secrets this configuration needs (environment variables or keychain
    /// entries), to read them all before anything starts.
    pub fn secret_names(&self) -> Vec<&str> {
        self.secret_fields()
            .into_iter()
            .map(|(_, name)| name)
            .collect()
    }

    /// Where each secret is looked up: (field, environment variable or keychain entry name).
    fn secret_fields(&self) -> Vec<(&'static str, &str)> {
        let mut names = vec![("willo.api_key_env", self.willo.api_key_env.as_str())];
        names.push(match &self.ats {
            AtsSection::Greenhouse {
                client_secret_env, ..
            } => ("ats.client_secret_env", client_secret_env.as_str()),
            AtsSection::Lever { api_key_env, .. } | AtsSection::Ashby { api_key_env, .. } => {
                ("ats.api_key_env", api_key_env.as_str())
            }
            AtsSection::Workable { token_env, .. } => ("ats.token_env", token_env.as_str()),
        });
        if let Some(name) = &self.store.password_env {
            names.push(("store.password_env", name.as_str()));
        }
        if let Some(receiver) = &self.receiver {
            names.push(("receiver.token_env", receiver.token_env.as_str()));
            if let Some(name) = &receiver.ats_secret_env {
                names.push(("receiver.ats_secret_env", name.as_str()));
            }
        }
        names
    }

    fn validate(&self) -> Result<(), ConfigError> {
        // An empty path would silently mean the current folder.
        if self
            .data_dir
            .as_ref()
            .is_some_and(|d| d.as_os_str().to_string_lossy().trim().is_empty())
        {
            return Err(invalid(
                "data_dir",
                "is empty: leave it out for the default folder, or give a path",
            ));
        }
        check_url("willo.base_url", &self.willo_url())?;
        self.store.validate()?;
        for (field, name) in self.secret_fields() {
            let ok = (1..=128).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
            if !ok {
                return Err(invalid(
                    field,
                    "must name an environment variable or keychain entry: 1 to 128 letters, digits, _, - and .",
                ));
            }
        }
        for (field, value, most) in [
            ("willo.per_second", self.willo.per_second, 1_000),
            ("willo.per_minute", self.willo.per_minute, 60_000),
            ("willo.per_day", self.willo.per_day, 100_000_000),
        ] {
            if !(1..=most).contains(&value) {
                return Err(invalid(field, format!("must be from 1 to {most}")));
            }
        }
        if !(self.willo.share > 0.0 && self.willo.share <= 1.0) {
            return Err(invalid(
                "willo.share",
                "must be more than 0 and at most 1 (0.8 leaves a fifth of the budget to other uses)",
            ));
        }
        match &self.ats {
            AtsSection::Greenhouse {
                base_url,
                token_url,
                client_id,
                per_second,
                ..
            } => {
                check_url("ats.base_url", base_url)?;
                check_url("ats.token_url", token_url)?;
                if client_id.trim().is_empty() {
                    return Err(invalid("ats.client_id", "is empty"));
                }
                if *per_second == 0 {
                    return Err(invalid("ats.per_second", "must be at least 1"));
                }
            }
            AtsSection::Lever {
                base_url,
                per_second,
                ..
            } => {
                check_url("ats.base_url", base_url)?;
                if *per_second == 0 {
                    return Err(invalid("ats.per_second", "must be at least 1"));
                }
            }
            AtsSection::Ashby {
                base_url,
                per_minute,
                ..
            } => {
                check_url("ats.base_url", base_url)?;
                if !(1..=60_000).contains(per_minute) {
                    return Err(invalid("ats.per_minute", "must be from 1 to 60,000"));
                }
            }
            AtsSection::Workable {
                subdomain,
                base_url,
                acting_user,
                per_10_seconds,
                ..
            } => {
                match (subdomain.as_deref().map(str::trim), base_url) {
                    (Some(_), Some(_)) => {
                        return Err(invalid(
                            "ats.base_url",
                            "and `subdomain` are both set: give the subdomain, or another address instead of it",
                        ))
                    }
                    (None, Some(url)) => check_url("ats.base_url", url)?,
                    (Some(sub), None)
                        if (1..=63).contains(&sub.len())
                            && sub.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                            && !sub.starts_with('-') =>
                    {
                        check_url("ats.subdomain", &self.ats.base_url())?;
                    }
                    (Some(_), None) => {
                        return Err(invalid(
                            "ats.subdomain",
                            "must be the account's subdomain alone: `acme` for acme.workable.com",
                        ))
                    }
                    (None, None) => return Err(invalid(
                        "ats.subdomain",
                        "is missing: give the account's subdomain (`acme` for acme.workable.com)",
                    )),
                }
                if acting_user.as_deref().is_none_or(|m| m.trim().is_empty()) {
                    return Err(invalid(
                        "ats.acting_user",
                        "is missing: Workable makes comments and moves as a member, so give the member's id",
                    ));
                }
                if !(1..=MOST_WORKABLE_PER_10_SECONDS).contains(per_10_seconds) {
                    return Err(invalid(
                        "ats.per_10_seconds",
                        format!("must be from 1 to {MOST_WORKABLE_PER_10_SECONDS} (Workable allows account tokens 10)"),
                    ));
                }
            }
        }
        if let Some(url) = self.receiver.as_ref().and_then(|r| r.public_url.as_deref()) {
            check_url("receiver.public_url", url)?;
        }
        if let Some(region) = &self.engine.default_region {
            if desk_domain::PhoneE164::parse("+14155552671", Some(region)).is_err() {
                return Err(invalid(
                    "engine.default_region",
                    format!("`{region}` is not a two-letter country code"),
                ));
            }
        }
        // Bounded above too: the schedule multiplies them into milliseconds.
        if !(1..=MAX_RECONCILE_MINUTES).contains(&self.engine.reconcile_every_minutes) {
            return Err(invalid(
                "engine.reconcile_every_minutes",
                format!("must be from 1 to {MAX_RECONCILE_MINUTES} (a week)"),
            ));
        }
        if self.engine.recheck_completed_days > MAX_RECHECK_DAYS {
            return Err(invalid(
                "engine.recheck_completed_days",
                format!("must be from 0 to {MAX_RECHECK_DAYS}"),
            ));
        }
        if let Some(days) = self
            .engine
            .retention_days
            .filter(|d| !(1..=desk_engine::MOST_RETENTION_DAYS).contains(d))
        {
            return Err(invalid(
                "engine.retention_days",
                format!(
                    "{days} is not from 1 to {} (ten years)",
                    desk_engine::MOST_RETENTION_DAYS
                ),
            ));
        }
        if !(10..=MAX_POLL_SECONDS).contains(&self.engine.ats_poll_every_seconds) {
            return Err(invalid(
                "engine.ats_poll_every_seconds",
                format!("must be from 10 to {MAX_POLL_SECONDS} (a day)"),
            ));
        }
        let mut jobs = std::collections::HashSet::new();
        for (i, a) in self.automations.iter().enumerate() {
            let at = |field: &str| format!("automations[{i}].{field}");
            if a.job.trim().is_empty() {
                return Err(invalid(&at("job"), "is empty"));
            }
            if WilloKey::parse(&a.interview).is_err() {
                return Err(invalid(
                    &at("interview"),
                    "must be a Willo interview key (32 hexadecimal characters)",
                ));
            }
            if a.trigger_stages.is_empty() {
                return Err(invalid(&at("trigger_stages"), "names no stage"));
            }
            if let Some(score) = a.move_min_score {
                if !(0.0..=100.0).contains(&score) {
                    return Err(invalid(
                        &at("move_min_score"),
                        format!("{score} is not a score from 0 to 100"),
                    ));
                }
                if a.move_to_stage.is_none() {
                    return Err(invalid(
                        &at("move_min_score"),
                        "needs `move_to_stage`: a threshold without a stage moves nobody",
                    ));
                }
            }
            if !jobs.insert(&a.job) {
                return Err(invalid(
                    &at("job"),
                    format!("job `{}` has two automations", a.job),
                ));
            }
        }
        Ok(())
    }
}

/// Reads a secret the configuration names (see [`crate::secrets::resolve`]).
pub fn secret(
    env: &dyn Fn(&str) -> Option<String>,
    variable: &str,
) -> Result<desk_domain::Sensitive<String>, ConfigError> {
    env(variable)
        .filter(|v| !v.trim().is_empty())
        .map(|v| desk_domain::Sensitive::new(v.trim().to_owned()))
        .ok_or_else(|| ConfigError::MissingSecret(variable.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ServeConfig, ConfigError> {
        let config: ServeConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: "test.toml".into(),
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    const MINIMAL: &str = "[willo]\n[ats]\nkind = \"lever\"\n";

    #[test]
    fn a_minimal_file_gets_safe_defaults() {
        let config = parse(MINIMAL).unwrap();
        assert_eq!(config.willo_url(), desk_willo::PRODUCTION_URL);
        assert_eq!(config.willo.api_key_env, "WILLO_DESK_WILLO_API_KEY");
        assert_eq!(
            config.willo.budget(),
            Budget {
                per_second: 8,
                per_minute: 80,
                per_day: 40_000
            },
            "80% of Willo's published budget"
        );
        assert!(config.receiver.is_none() && config.automations.is_empty());
    }

    #[test]
    fn an_unknown_field_is_named() {
        let error = parse("[willo]\napi_key = \"oops\"\n[ats]\nkind = \"lever\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("api_key"), "{error}");
    }

    #[test]
    fn wrong_types_and_values_are_named() {
        for (text, field) in [
            ("[willo]\nper_minute = \"fast\"\n[ats]\nkind = \"lever\"\n", "per_minute"),
            ("[willo]\nper_minute = 0\n[ats]\nkind = \"lever\"\n", "willo.per_minute"),
            ("[willo]\nshare = 1.5\n[ats]\nkind = \"lever\"\n", "willo.share"),
            ("[willo]\nbase_url = \"http://willo.example.com\"\n[ats]\nkind = \"lever\"\n", "willo.base_url"),
            ("[willo]\n[ats]\nkind = \"workday\"\n", "workday"),
            ("[willo]\n[ats]\nkind = \"greenhouse\"\nclient_id = \" \"\n", "ats.client_id"),
            ("[willo]\n[ats]\nkind = \"lever\"\n[engine]\ndefault_region = \"Narnia\"\n", "engine.default_region"),
            ("[willo]\n[ats]\nkind = \"lever\"\n[[automations]]\njob = \"1\"\ninterview = \"abc\"\ntrigger_stages = [\"s\"]\n", "automations[0].interview"),
            ("[willo]\n[ats]\nkind = \"lever\"\n[[automations]]\njob = \"1\"\ninterview = \"0123456789abcdef0123456789abcdef\"\ntrigger_stages = []\n", "automations[0].trigger_stages"),
            ("[willo]\n[ats]\nkind = \"lever\"\n[receiver]\npublic_url = \"ftp://x\"\n", "receiver.public_url"),
            ("[willo]\napi_key_env = \"\"\n[ats]\nkind = \"lever\"\n", "willo.api_key_env"),
            ("[willo]\n[ats]\nkind = \"lever\"\napi_key_env = \"$(rm -rf ~)\"\n", "ats.api_key_env"),
            ("[willo]\n[ats]\nkind = \"greenhouse\"\nclient_id = \"x\"\nclient_secret_env = 7\n", "invalid type: integer `7`, expected a string"),
            ("[willo]\n[ats]\nkind = \"lever\"\n[engine]\nreconcile_every_minutes = 9223372036854775807\n", "engine.reconcile_every_minutes"),
            ("[willo]\n[ats]\nkind = \"lever\"\n[engine]\nreconcile_every_minutes = 0\n", "engine.reconcile_every_minutes"),
            ("[willo]\n[ats]\nkind = \"lever\"\n[engine]\nats_poll_every_seconds = 18446744073709551615\n", "engine.ats_poll_every_seconds"),
            ("data_dir = \"\"\n[willo]\n[ats]\nkind = \"lever\"\n", "data_dir"),
            ("[willo]\n[ats]\nkind = \"lever\"\n[engine]\nrecheck_completed_days = 365\n", "engine.recheck_completed_days"),
            ("[willo]\n[ats]\nkind = \"lever\"\n[engine]\nrecheck_completed_days = 31\n", "engine.recheck_completed_days"),
            ("[willo]\n[ats]\nkind = \"lever\"\n[engine]\nats_poll_every_seconds = 9\n", "engine.ats_poll_every_seconds"),
            ("[willo]\n[ats]\nkind = \"lever\"\n[engine]\nats_poll_every_seconds = 86401\n", "engine.ats_poll_every_seconds"),
            ("[willo]\n[ats]\nkind = \"lever\"\n[engine]\nreconcile_every_minutes = 10081\n", "engine.reconcile_every_minutes"),
            ("[willo]\n[ats]\nkind = \"lever\"\n[receiver]\nats_secret_env = \"a b\"\n", "receiver.ats_secret_env"),
            ("data_dir = \"  \"\n[willo]\n[ats]\nkind = \"lever\"\n", "data_dir"),
            ("[willo]\n[ats]\nkind = \"workable\"\nacting_user = \"m1\"\n", "ats.subdomain"),
            ("[willo]\n[ats]\nkind = \"workable\"\nsubdomain = \"acme.workable.com\"\nacting_user = \"m1\"\n", "ats.subdomain"),
            ("[willo]\n[ats]\nkind = \"workable\"\nsubdomain = \"acme\"\n", "ats.acting_user"),
            ("[willo]\n[ats]\nkind = \"workable\"\nsubdomain = \"acme\"\nacting_user = \"m1\"\nper_10_seconds = 51\n", "ats.per_10_seconds"),
            ("[willo]\n[ats]\nkind = \"workable\"\nbase_url = \"http://workable.example.com\"\nacting_user = \"m1\"\n", "ats.base_url"),
            ("[willo]\n[ats]\nkind = \"ashby\"\nper_minute = 0\n", "ats.per_minute"),
            ("[willo]\n[ats]\nkind = \"workable\"\nsubdomain = \"acme\"\nbase_url = \"https://other.example.com/spi/v3\"\nacting_user = \"m1\"\n", "ats.base_url"),
            ("[willo]\n[ats]\nkind = \"ashby\"\napi_key_env = \"a key\"\n", "ats.api_key_env"),
            ("[willo]\n[ats]\nkind = \"lever\"\n[[automations]]\njob = \" \"\ninterview = \"0123456789abcdef0123456789abcdef\"\ntrigger_stages = [\"s\"]\n", "automations[0].job"),
        ] {
            let error = parse(text).unwrap_err().to_string();
            assert!(error.contains(field), "expected {field:?} in: {error}");
        }
    }

    #[test]
    fn a_team_database_is_a_postgres_url_without_a_password() {
        for (store, field, why) in [
            (
                "url = \"postgres://desk:hunter2@db.example/willo\"",
                "store.url",
                "holds a password",
            ),
            (
                "url = \"mysql://db.example/willo\"",
                "store.url",
                "postgres://",
            ),
            (
                "url = \"postgres://desk@db.example\"",
                "store.url",
                "names no database",
            ),
            ("url = \"not a url\"", "store.url", "not a URL"),
            (
                "password_env = \"DB_PASSWORD\"",
                "store.password_env",
                "only used with store.url",
            ),
            (
                "url = \"postgres://desk@db.example/willo\"\npassword_env = \"a b\"",
                "store.password_env",
                "must name",
            ),
        ] {
            let error = parse(&format!("{MINIMAL}[store]\n{store}\n"))
                .unwrap_err()
                .to_string();
            assert!(
                error.contains(field) && error.contains(why),
                "expected {field}, {why:?} in: {error}"
            );
            assert!(
                !error.contains("hunter2"),
                "the password is not repeated: {error}"
            );
        }
        let config = parse(&format!(
            "{MINIMAL}[store]\nurl = \"postgres://desk@db.example:5433/willo\"\npassword_env = \"DB_PASSWORD\"\n"
        ))
        .unwrap();
        assert!(config.secret_names().contains(&"DB_PASSWORD"));
        let url = config
            .store
            .connect_url(&|name| (name == "DB_PASSWORD").then(|| "s3cr/et".to_owned()))
            .unwrap()
            .unwrap();
        assert_eq!(
            url.expose(),
            "postgres://desk:s3cr%2Fet@db.example:5433/willo"
        );
        assert!(parse(MINIMAL)
            .unwrap()
            .store
            .connect_url(&|_| None)
            .unwrap()
            .is_none());
    }

    #[test]
    fn ashby_and_workable_get_the_vendors_addresses_and_a_pace_under_their_limits() {
        let ashby = parse("[willo]\n[ats]\nkind = \"ashby\"\n").unwrap();
        assert_eq!(ashby.ats.kind(), AtsKind::Ashby);
        assert_eq!(ashby.ats.base_url(), "https://api.ashbyhq.com");
        assert_eq!(
            ashby.secret_names(),
            ["WILLO_DESK_WILLO_API_KEY", "WILLO_DESK_ASHBY_API_KEY"]
        );
        let workable = parse(
            "[willo]\n[ats]\nkind = \"workable\"\nsubdomain = \"acme\"\nacting_user = \"13e0eb0e\"\n",
        )
        .unwrap();
        assert_eq!(workable.ats.base_url(), "https://acme.workable.com/spi/v3");
        assert_eq!(workable.ats.acting_user(), Some("13e0eb0e"));
        assert_eq!(
            workable.secret_names(),
            ["WILLO_DESK_WILLO_API_KEY", "WILLO_DESK_WORKABLE_TOKEN"]
        );
        let AtsSection::Workable { per_10_seconds, .. } = workable.ats else {
            unreachable!()
        };
        assert!(
            per_10_seconds < 10,
            "under the 10 in 10 seconds Workable gives account tokens"
        );
    }

    #[test]
    fn the_edges_of_each_range_are_accepted() {
        for engine in [
            "reconcile_every_minutes = 1\nats_poll_every_seconds = 10\nrecheck_completed_days = 0\n",
            "reconcile_every_minutes = 10080\nats_poll_every_seconds = 86400\nrecheck_completed_days = 30\n",
        ] {
            let text = format!("[willo]\n[ats]\nkind = \"lever\"\n[engine]\n{engine}");
            assert!(parse(&text).is_ok(), "{engine}: {:?}", parse(&text).err());
        }
    }

    #[test]
    fn a_huge_url_is_refused_without_being_repeated() {
        let text = format!(
            "[willo]\nbase_url = \"{}\"\n[ats]\nkind = \"lever\"\n",
            "x".repeat(100_000)
        );
        let error = parse(&text).unwrap_err().to_string();
        assert!(
            error.contains("willo.base_url") && error.len() < 200,
            "{error}"
        );
        let text = "[willo]\nbase_url = \"not a url at all, and a long one too: 0123456789012345678901234567890123456789012345678901234567890123456789\"\n[ats]\nkind = \"lever\"\n";
        let error = parse(text).unwrap_err().to_string();
        assert!(
            error.contains("willo.base_url") && error.len() < 250,
            "{error}"
        );
    }

    #[test]
    fn a_missing_secret_names_its_variable_not_its_value() {
        let env = |name: &str| (name == "SET").then(|| "s3cret".to_owned());
        assert_eq!(secret(&env, "SET").unwrap().expose(), "s3cret");
        let error = secret(&env, "WILLO_DESK_WILLO_API_KEY")
            .unwrap_err()
            .to_string();
        assert!(error.contains("WILLO_DESK_WILLO_API_KEY"), "{error}");
    }
}
