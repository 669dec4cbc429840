//! Greenhouse Harvest v3: OAuth client credentials (token cached, refreshed a minute before it
//! expires, and once more on a 401), cursor pagination through the `Link` header.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, LINK, RETRY_AFTER};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::link::next_link;
use crate::{Application, AtsError, Candidate, Job, Stage};
use desk_domain::retry_after;

/// Refresh this long before the token's stated expiry, so no request goes out with a dying token.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);
const PER_PAGE: &str = "500";

/// How to reach one Greenhouse account.
#[derive(Clone)]
pub struct GreenhouseConfig {
    /// e.g. `https://harvest.greenhouse.io/v3`
    pub base_url: String,
    /// e.g. `https://auth.greenhouse.io/token`
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// The Greenhouse user writes are attributed to (the token's `sub`).
    pub acting_user: Option<String>,
}

impl std::fmt::Debug for GreenhouseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GreenhouseConfig")
            .field("base_url", &self.base_url)
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

pub struct Greenhouse {
    http: reqwest::Client,
    config: GreenhouseConfig,
    token: Mutex<Option<(String, Instant)>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct RawJob {
    id: Value,
    name: String,
    status: Option<String>,
    #[serde(default)]
    departments: Vec<Named>,
    #[serde(default)]
    offices: Vec<Named>,
}

#[derive(Deserialize)]
struct Named {
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawStage {
    id: Value,
    job_id: Value,
    name: String,
    priority: Option<i64>,
}

#[derive(Deserialize)]
struct RawApplication {
    id: Value,
    candidate_id: Value,
    job_id: Option<Value>,
    current_stage_id: Option<Value>,
    current_stage: Option<IdOnly>,
    status: Option<String>,
    #[serde(default)]
    jobs: Vec<IdOnly>,
}

#[derive(Deserialize)]
struct IdOnly {
    id: Value,
}

#[derive(Deserialize)]
struct RawCandidate {
    id: Value,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    email_addresses: Vec<ValueOf>,
    #[serde(default)]
    phone_numbers: Vec<ValueOf>,
}

#[derive(Deserialize)]
struct ValueOf {
    value: Option<String>,
}

/// Greenhouse ids are integers; everything downstream uses strings.
fn id(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Greenhouse {
    pub fn new(http: reqwest::Client, config: GreenhouseConfig) -> Self {
        Self {
            http,
            config,
            token: Mutex::new(None),
        }
    }

    async fn fetch_token(&self) -> Result<(String, Instant), AtsError> {
        let mut form = vec![("grant_type", "client_credentials".to_owned())];
        if let Some(sub) = &self.config.acting_user {
            form.push(("sub", sub.clone()));
        }
        let response = self
            .http
            .post(&self.config.token_url)
            .basic_auth(&self.config.client_id, Some(&self.config.client_secret))
            .form(&form)
            .send()
            .await?;
        let body = check(response).await?;
        let token: TokenResponse = decode(&body)?;
        let lifetime = Duration::from_secs(token.expires_in.unwrap_or(3600));
        Ok((
            token.access_token,
            Instant::now() + lifetime.saturating_sub(REFRESH_MARGIN),
        ))
    }

    async fn token(&self, force_refresh: bool) -> Result<String, AtsError> {
        let mut cached = self.token.lock().await;
        match cached.as_ref() {
            Some((token, good_until)) if !force_refresh && *good_until > Instant::now() => {
                Ok(token.clone())
            }
            _ => {
                let fresh = self.fetch_token().await?;
                let token = fresh.0.clone();
                *cached = Some(fresh);
                Ok(token)
            }
        }
    }

    /// One GET with the bearer token; a 401 refreshes the token and tries once more.
    async fn get(&self, url: &str) -> Result<(String, HeaderMap), AtsError> {
        for attempt in 0..2 {
            let token = self.token(attempt > 0).await?;
            let response = self.http.get(url).bearer_auth(&token).send().await?;
            if response.status() == StatusCode::UNAUTHORIZED && attempt == 0 {
                tracing::debug!("greenhouse token refused; refreshing once");
                continue;
            }
            let headers = response.headers().clone();
            return Ok((check(response).await?, headers));
        }
        Err(AtsError::Unauthorized)
    }

    /// Follows `rel="next"` until the last page.
    async fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<(T, Value)>, AtsError> {
        let mut url = url::Url::parse(&format!(
            "{}{path}",
            self.config.base_url.trim_end_matches('/')
        ))
        .map_err(|e| AtsError::Transport(format!("the Greenhouse URL is not valid: {e}")))?;
        url.query_pairs_mut()
            .extend_pairs(query)
            .append_pair("per_page", PER_PAGE);
        let mut next = Some(url.to_string());
        let mut items = Vec::new();
        while let Some(page_url) = next.take() {
            let (body, headers) = self.get(&page_url).await?;
            let raw: Vec<Value> = decode(&body)?;
            for (i, value) in raw.into_iter().enumerate() {
                let typed =
                    serde_path_to_error::deserialize(&value).map_err(|e| AtsError::Decode {
                        path: format!("[{i}].{}", e.path()),
                        message: e.inner().to_string(),
                    })?;
                items.push((typed, value));
            }
            next = headers
                .get(LINK)
                .and_then(|h| h.to_str().ok())
                .and_then(next_link);
        }
        Ok(items)
    }

    pub async fn list_jobs(&self) -> Result<Vec<Job>, AtsError> {
        let jobs: Vec<(RawJob, Value)> = self.get_all("/jobs", &[("status", "open")]).await?;
        Ok(jobs
            .into_iter()
            .map(|(j, raw)| Job {
                id: id(&j.id),
                title: j.name,
                department: j.departments.into_iter().find_map(|d| d.name),
                location: j.offices.into_iter().find_map(|o| o.name),
                status: j.status.unwrap_or_else(|| "open".into()),
                raw,
            })
            .collect())
    }

    pub async fn list_stages(&self, jobs: &[Job]) -> Result<Vec<Stage>, AtsError> {
        let ids = jobs
            .iter()
            .map(|j| j.id.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let stages: Vec<(RawStage, Value)> =
            self.get_all("/job_stages", &[("job_ids", &ids)]).await?;
        Ok(stages
            .into_iter()
            .enumerate()
            .map(|(i, (s, _))| Stage {
                id: id(&s.id),
                job_id: Some(id(&s.job_id)),
                name: s.name,
                position: s.priority.unwrap_or(i64::try_from(i).unwrap_or(0)),
            })
            .collect())
    }

    /// Active applications of the given jobs. Greenhouse cannot filter by stage on the server;
    /// callers filter on `stage_id`.
    pub async fn list_applications(&self, jobs: &[Job]) -> Result<Vec<Application>, AtsError> {
        let ids = jobs
            .iter()
            .map(|j| j.id.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let apps: Vec<(RawApplication, Value)> = self
            .get_all("/applications", &[("job_ids", &ids), ("status", "active")])
            .await?;
        Ok(apps
            .into_iter()
            .filter_map(|(a, raw)| {
                let job_id = a
                    .job_id
                    .as_ref()
                    .or_else(|| a.jobs.first().map(|j| &j.id))
                    .map(id)?;
                Some(Application {
                    id: id(&a.id),
                    candidate_id: id(&a.candidate_id),
                    job_id,
                    stage_id: a
                        .current_stage_id
                        .as_ref()
                        .or(a.current_stage.as_ref().map(|s| &s.id))
                        .map(id),
                    status: a.status.unwrap_or_else(|| "active".into()),
                    raw,
                })
            })
            .collect())
    }

    pub async fn list_candidates(&self, ids: &[String]) -> Result<Vec<Candidate>, AtsError> {
        let mut candidates = Vec::new();
        // Keep query strings short: ask for candidates in batches.
        for batch in ids.chunks(100) {
            let joined = batch.join(",");
            let page: Vec<(RawCandidate, Value)> =
                self.get_all("/candidates", &[("ids", &joined)]).await?;
            candidates.extend(page.into_iter().map(|(c, raw)| {
                Candidate {
                    id: id(&c.id),
                    first_name: c.first_name.unwrap_or_default(),
                    last_name: c.last_name.unwrap_or_default(),
                    emails: c
                        .email_addresses
                        .into_iter()
                        .filter_map(|e| e.value)
                        .collect(),
                    phones: c
                        .phone_numbers
                        .into_iter()
                        .filter_map(|p| p.value)
                        .collect(),
                    raw,
                }
            }));
        }
        Ok(candidates)
    }
}

/// Turns a non-success status into a typed error, and a success into its body.
async fn check(response: reqwest::Response) -> Result<String, AtsError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response.text().await?);
    }
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| retry_after::parse(v, chrono::Utc::now()));
    let body = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .or_else(|| v.get("error"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    Err(match status {
        StatusCode::UNAUTHORIZED => AtsError::Unauthorized,
        StatusCode::FORBIDDEN => AtsError::Forbidden(message),
        StatusCode::NOT_FOUND => AtsError::NotFound,
        StatusCode::TOO_MANY_REQUESTS => AtsError::RateLimited { retry_after },
        s if s.is_server_error() => AtsError::Server { status: s.as_u16() },
        s => AtsError::Rejected {
            status: s.as_u16(),
            message,
        },
    })
}

fn decode<T: DeserializeOwned>(body: &str) -> Result<T, AtsError> {
    let mut de = serde_json::Deserializer::from_str(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| AtsError::Decode {
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}
