//! Greenhouse Harvest v3: OAuth client credentials (the token is cached, refreshed a minute before
//! it expires and once more on a 401), cursor pagination through the `Link` header, no server-side
//! stage filter, writes attributed to the token's `sub` user, webhooks signed with
//! `Signature: sha256 <hex>` over the raw body.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine as _;
use desk_domain::{AtsKind, Sensitive};
use http::HeaderMap;
use reqwest::header::LINK;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::connector::{
    AtsConnector, Capabilities, FileSource, NewAttachment, NewNote, Removal, StageChange, User,
};
use crate::http::{body_signed, decode, id, json_body, segment, Http, Pace};
use crate::link::next_link;
use crate::{Application, ApplicationRef, AtsError, Candidate, Job, Stage};

/// Refresh this long before the token's stated expiry, so no request goes out with a dying token.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);
const PER_PAGE: &str = "500";

/// How to reach one Greenhouse account.
#[derive(Debug, Clone)]
pub struct GreenhouseConfig {
    /// e.g. `https://harvest.greenhouse.io/v3`
    pub base_url: String,
    /// e.g. `https://auth.greenhouse.io/token`
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Sensitive<String>,
    /// The Greenhouse user writes are attributed to (the token's `sub`).
    pub acting_user: Option<String>,
    /// Requests per second at most (Greenhouse counts per 10-second window).
    pub per_second: u32,
}

pub struct Greenhouse {
    http: Http,
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
    first_name: Option<String>,
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

#[derive(Deserialize)]
struct RawUser {
    id: Value,
    first_name: Option<String>,
    last_name: Option<String>,
    primary_email_address: Option<String>,
}

#[derive(Deserialize)]
struct RawAttachment {
    id: Value,
    filename: Option<String>,
}

#[derive(Deserialize)]
struct RawNote {
    id: Value,
    body: Option<String>,
}

impl Greenhouse {
    pub fn new(http: reqwest::Client, config: GreenhouseConfig) -> Self {
        Self {
            http: Http::new(http, Pace::per_second(config.per_second)),
            config,
            token: Mutex::new(None),
        }
    }

    async fn fetch_token(&self) -> Result<(String, Instant), AtsError> {
        let mut form = vec![("grant_type", "client_credentials".to_owned())];
        if let Some(sub) = &self.config.acting_user {
            form.push(("sub", sub.clone()));
        }
        let answer = self
            .http
            .send(
                || {
                    self.http
                        .client
                        .post(&self.config.token_url)
                        .basic_auth(
                            &self.config.client_id,
                            Some(self.config.client_secret.expose()),
                        )
                        .form(&form)
                },
                true,
            )
            .await?;
        let token: TokenResponse = decode(&answer.body)?;
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

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url.trim_end_matches('/'))
    }

    /// One request with the bearer token; a 401 refreshes the token and tries once more.
    async fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<crate::http::Answer, AtsError> {
        let idempotent = method != Method::POST;
        for attempt in 0..2 {
            let token = self.token(attempt > 0).await?;
            let make = || {
                let request = self
                    .http
                    .client
                    .request(method.clone(), url)
                    .bearer_auth(&token);
                match body {
                    Some(b) => request.json(b),
                    None => request,
                }
            };
            match self.http.send(make, idempotent).await {
                Err(AtsError::Unauthorized) if attempt == 0 => {
                    tracing::debug!("greenhouse token refused; refreshing once");
                }
                other => return other,
            }
        }
        Err(AtsError::Unauthorized)
    }

    /// Follows `rel="next"` until the last page.
    async fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<(T, Value)>, AtsError> {
        let mut url =
            url::Url::parse(&self.url(path)).map_err(|e| AtsError::BadUrl(e.to_string()))?;
        url.query_pairs_mut()
            .extend_pairs(query)
            .append_pair("per_page", PER_PAGE);
        let origin = url.origin();
        let mut next = Some(url.to_string());
        let mut items = Vec::new();
        while let Some(page_url) = next.take() {
            let answer = self.call(Method::GET, &page_url, None).await?;
            let raw: Vec<Value> = decode(&answer.body)?;
            for (i, value) in raw.into_iter().enumerate() {
                let typed =
                    serde_path_to_error::deserialize(&value).map_err(|e| AtsError::Decode {
                        path: format!("[{i}].{}", e.path()),
                        message: e.inner().to_string(),
                    })?;
                items.push((typed, value));
            }
            next = answer
                .headers
                .get(LINK)
                .and_then(|h| h.to_str().ok())
                .and_then(next_link);
            // The token goes with every request: never follow a link to another host.
            if let Some(link) = &next {
                if url::Url::parse(link).map(|u| u.origin()) != Ok(origin.clone()) {
                    return Err(AtsError::Decode {
                        path: "Link".into(),
                        message: "the next page is on another host; not followed".into(),
                    });
                }
            }
        }
        Ok(items)
    }

    fn joined(ids: impl Iterator<Item = String>) -> String {
        ids.collect::<Vec<_>>().join(",")
    }
}

#[async_trait]
impl AtsConnector for Greenhouse {
    fn kind(&self) -> AtsKind {
        AtsKind::Greenhouse
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            server_side_stage_filter: false,
            attachment_by_url: true,
            html_notes: false,
            custom_fields: true,
            webhooks_by_api: false,
        }
    }

    async fn users(&self) -> Result<Vec<User>, AtsError> {
        let users: Vec<(RawUser, Value)> = self.get_all("/users", &[]).await?;
        Ok(users
            .into_iter()
            .map(|(u, _)| User {
                id: id(&u.id),
                name: [u.first_name, u.last_name]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
                email: u.primary_email_address,
            })
            .collect())
    }

    async fn jobs(&self) -> Result<Vec<Job>, AtsError> {
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

    async fn stages(&self, jobs: &[Job]) -> Result<Vec<Stage>, AtsError> {
        let ids = Self::joined(jobs.iter().map(|j| j.id.clone()));
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

    /// Greenhouse cannot filter by stage on the server: all active applications of the jobs are
    /// read and filtered here.
    async fn applications(
        &self,
        jobs: &[Job],
        stages: Option<&[String]>,
    ) -> Result<Vec<Application>, AtsError> {
        let ids = Self::joined(jobs.iter().map(|j| j.id.clone()));
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
            .filter(|a| {
                stages.is_none_or(|wanted| a.stage_id.as_ref().is_some_and(|s| wanted.contains(s)))
            })
            .collect())
    }

    async fn candidates(&self, applications: &[Application]) -> Result<Vec<Candidate>, AtsError> {
        let mut ids: Vec<String> = applications
            .iter()
            .map(|a| a.candidate_id.clone())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut candidates = Vec::new();
        // Keep query strings short: ask in batches.
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

    async fn move_application(
        &self,
        application: ApplicationRef<'_>,
        to_stage: &str,
    ) -> Result<(), AtsError> {
        let body = json!({ "from_stage_id": application.stage_id.and_then(|s| s.parse::<i64>().ok()), "to_stage_id": to_stage.parse::<i64>().ok() });
        self.call(
            Method::POST,
            &self.url(&format!("/applications/{}/move", application.id)),
            Some(&body),
        )
        .await?;
        Ok(())
    }

    async fn add_note(
        &self,
        application: ApplicationRef<'_>,
        note: &NewNote,
    ) -> Result<String, AtsError> {
        let body = json!({
            "application_id": application.id.parse::<i64>().ok(),
            "candidate_id": application.candidate_id.parse::<i64>().ok(),
            "body": note.text,
            "visibility": "admin_only",
        });
        let answer = self
            .call(Method::POST, &self.url("/notes"), Some(&body))
            .await?;
        let created: RawNote = decode(&answer.body)?;
        Ok(id(&created.id))
    }

    async fn find_note(
        &self,
        application: ApplicationRef<'_>,
        marker: &str,
    ) -> Result<Option<String>, AtsError> {
        let notes: Vec<(RawNote, Value)> = self
            .get_all("/notes", &[("candidate_ids", application.candidate_id)])
            .await?;
        Ok(notes
            .into_iter()
            .find(|(n, _)| {
                n.body
                    .as_deref()
                    .is_some_and(|b| crate::holds_marker(b, marker))
            })
            .map(|(n, _)| id(&n.id)))
    }

    async fn add_attachment(
        &self,
        application: ApplicationRef<'_>,
        file: &NewAttachment,
    ) -> Result<String, AtsError> {
        let mut body = json!({
            "application_id": application.id.parse::<i64>().ok(),
            "filename": file.filename,
            "type": "other",
            "visibility": "admin_only",
        });
        match &file.source {
            FileSource::Url(url) => body["url"] = json!(url),
            FileSource::Bytes { data, content_type } => {
                body["content"] = json!(base64::engine::general_purpose::STANDARD.encode(data));
                body["content_type"] = json!(content_type);
            }
        }
        let answer = self
            .call(Method::POST, &self.url("/attachments"), Some(&body))
            .await?;
        let created: RawNote = decode(&answer.body)?;
        Ok(id(&created.id))
    }

    async fn find_attachment(
        &self,
        application: ApplicationRef<'_>,
        filename: &str,
    ) -> Result<Option<String>, AtsError> {
        let attachments: Vec<(RawAttachment, Value)> = self
            .get_all("/attachments", &[("application_ids", application.id)])
            .await?;
        Ok(attachments
            .into_iter()
            .find(|(a, _)| a.filename.as_deref() == Some(filename))
            .map(|(a, _)| id(&a.id)))
    }

    async fn set_field(
        &self,
        application: ApplicationRef<'_>,
        field: &str,
        value: &str,
    ) -> Result<(), AtsError> {
        let body = json!({ "custom_fields": [{ "name_key": field, "value": value }] });
        self.call(
            Method::PATCH,
            &self.url(&format!("/applications/{}", application.id)),
            Some(&body),
        )
        .await?;
        Ok(())
    }

    /// Harvest documents no way to delete an activity-feed note, so nothing is sent.
    async fn remove_note(
        &self,
        _application: ApplicationRef<'_>,
        _note_id: &str,
    ) -> Result<Removal, AtsError> {
        Ok(Removal::ByHand {
            why:
                "Greenhouse's API cannot delete notes: delete it from the candidate's activity feed"
                    .into(),
        })
    }

    /// Harvest documents no way to delete an attachment, so nothing is sent.
    async fn remove_attachment(
        &self,
        _application: ApplicationRef<'_>,
        _attachment_id: &str,
    ) -> Result<Removal, AtsError> {
        Ok(Removal::ByHand {
            why:
                "Greenhouse's API cannot delete attachments: delete it from the candidate's profile"
                    .into(),
        })
    }

    fn record_url(&self, application: ApplicationRef<'_>) -> Option<String> {
        Some(format!(
            "https://app.greenhouse.io/people/{}?application_id={}",
            segment(application.candidate_id),
            segment(application.id)
        ))
    }

    fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        secret: &str,
    ) -> Result<Option<StageChange>, AtsError> {
        body_signed(headers, "Signature", "sha256 ", body, secret)?;
        let payload = json_body(body)?;
        if payload.get("action").and_then(Value::as_str) != Some("candidate_stage_change") {
            return Ok(None);
        }
        let application = &payload["payload"]["application"];
        Ok(application.get("id").map(|app_id| StageChange {
            application_id: id(app_id),
            to_stage_id: application
                .get("current_stage")
                .and_then(|s| s.get("id"))
                .map(id),
        }))
    }
}
