//! Ashby: an RPC API (`POST /category.method` with a JSON body, even for reads), the API key as
//! Basic auth, `{success, results, moreDataAvailable, nextCursor, syncToken}` answers (errors can
//! come as HTTP 200 with `success: false`), interview stages per job's interview plan, no
//! server-side stage filter, notes on the candidate, and webhooks signed with
//! `Ashby-Signature: sha256=<hex>` over the raw body.
//!
//! Applications are read incrementally: the first read is a full sync, kept in memory with the
//! `syncToken` of its last page; later reads ask only for what changed since. When Ashby says the
//! token is too old (or an incremental read too large) the connector syncs in full again.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use desk_domain::{AtsKind, Sensitive};
use http::HeaderMap;
use reqwest::Method;
use serde_json::{json, Map, Value};
use tokio::sync::Mutex;

use crate::connector::{
    AtsConnector, Capabilities, FileSource, NewAttachment, NewNote, Removal, StageChange, User,
};
use crate::http::{body_signed, id, json_body, segment, Http, Pace};
use crate::{Application, ApplicationRef, AtsError, Candidate, Job, Stage};

/// Ashby publishes no general rate limit (only its reports': 15 a minute). 1,000 requests a
/// minute per key is the figure this connector was specified with; it keeps under that.
pub const DEFAULT_PER_MINUTE: u32 = 900;
const PAGE_SIZE: u32 = 100;
/// A runaway `nextCursor` loop stops here.
const MAX_PAGES: usize = 10_000;
/// Ashby's codes for a sync that must start again from a full read.
const RESYNC_CODES: [&str; 5] = [
    "sync_token_expired",
    "sync_token_invalid",
    "incremental_sync_too_large",
    "next_cursor_expired",
    "invalid_next_cursor",
];
/// How often the applications are read in full even while incremental reads work: an incremental
/// read does not report applications deleted or merged away, and these would stay in the mirror.
const FULL_READ_EVERY: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone)]
pub struct AshbyConfig {
    /// e.g. `https://api.ashbyhq.com`
    pub base_url: String,
    pub api_key: Sensitive<String>,
    pub per_minute: u32,
}

/// Every application Ashby has shown this connector, as of `token`.
struct Mirror {
    token: String,
    applications: HashMap<String, Value>,
    /// When the applications were last read in full.
    full_at: std::time::Instant,
}

pub struct Ashby {
    http: Http,
    config: AshbyConfig,
    mirror: Mutex<Option<Mirror>>,
}

/// What one RPC call answered: its results, or Ashby's refusal (`success: false`).
enum Reply {
    Done(Map<String, Value>),
    Refused { code: String, message: String },
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Ashby's contact fields: `{value, type, isPrimary}` objects.
fn contact(value: &Value, primary: &str, all: &str) -> Vec<String> {
    let primary = value.get(primary).and_then(|p| text(p, "value"));
    let others = value
        .get(all)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| text(v, "value"));
    let mut found: Vec<String> = primary.into_iter().chain(others).collect();
    let mut seen = std::collections::HashSet::new();
    found.retain(|v| seen.insert(v.to_lowercase()));
    found
}

/// A field's value as JSON: a whole number or a decimal as a number, anything else as text.
fn typed(value: &str) -> Value {
    if let Ok(whole) = value.parse::<i64>() {
        return json!(whole);
    }
    match value.parse::<f64>() {
        Ok(n) if n.is_finite() => json!(n),
        _ => json!(value),
    }
}

fn refused(code: &str, message: &str) -> AtsError {
    AtsError::Rejected {
        status: 200,
        message: if message.is_empty() {
            code.to_owned()
        } else {
            format!("{code}: {message}")
        },
    }
}

impl Ashby {
    pub fn new(http: reqwest::Client, config: AshbyConfig) -> Self {
        Self {
            http: Http::new(
                http,
                Pace {
                    requests: config.per_minute,
                    per: Duration::from_secs(60),
                },
            ),
            config,
            mirror: Mutex::new(None),
        }
    }

    /// Calls `method`. Reads are safe to repeat; writes are retried only when Ashby said it did
    /// not act (429).
    async fn rpc(&self, method: &str, body: &Value, idempotent: bool) -> Result<Reply, AtsError> {
        let url = format!("{}/{method}", self.config.base_url.trim_end_matches('/'));
        let answer = self
            .http
            .send(
                || {
                    self.http
                        .client
                        .request(Method::POST, &url)
                        .basic_auth(self.config.api_key.expose(), Some(""))
                        .header(http::header::ACCEPT, "application/json; version=1")
                        .json(body)
                },
                idempotent,
            )
            .await?;
        let reply: Value = serde_json::from_str(&answer.body).map_err(|e| AtsError::Decode {
            path: String::new(),
            message: e.to_string(),
        })?;
        let Value::Object(reply) = reply else {
            return Err(AtsError::Decode {
                path: String::new(),
                message: "the answer is not an object".into(),
            });
        };
        if reply.get("success").and_then(Value::as_bool) == Some(true) {
            return Ok(Reply::Done(reply));
        }
        let info = reply.get("errorInfo");
        let code = info
            .and_then(|i| text(i, "code"))
            .or_else(|| {
                reply
                    .get("errors")
                    .and_then(Value::as_array)
                    .and_then(|e| e.first())
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "unknown_error".into());
        let message = info.and_then(|i| text(i, "message")).unwrap_or_default();
        Ok(Reply::Refused { code, message })
    }

    /// A call whose refusal is an error: its `results`.
    async fn results(
        &self,
        method: &str,
        body: Value,
        idempotent: bool,
    ) -> Result<Value, AtsError> {
        match self.rpc(method, &body, idempotent).await? {
            Reply::Done(mut reply) => Ok(reply.remove("results").unwrap_or(Value::Null)),
            Reply::Refused { code, message } => Err(refused(&code, &message)),
        }
    }

    /// Every page of a list, and the `syncToken` of the last page. `Err(Ok(code))` when Ashby
    /// refused it (so a caller can tell an expired sync token from a failure).
    async fn list(
        &self,
        method: &str,
        body: Value,
    ) -> Result<Result<(Vec<Value>, Option<String>), String>, AtsError> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut request = body.clone();
            request["limit"] = json!(PAGE_SIZE);
            if let Some(c) = &cursor {
                request["cursor"] = json!(c);
            }
            let mut page = match self.rpc(method, &request, true).await? {
                Reply::Done(page) => page,
                Reply::Refused { code, message } if RESYNC_CODES.contains(&code.as_str()) => {
                    tracing::debug!(%code, %message, "Ashby asks for a full sync");
                    return Ok(Err(code));
                }
                Reply::Refused { code, message } => return Err(refused(&code, &message)),
            };
            if let Some(Value::Array(results)) = page.remove("results") {
                items.extend(results);
            }
            let more = page.get("moreDataAvailable").and_then(Value::as_bool) == Some(true);
            match page.get("nextCursor").and_then(Value::as_str) {
                Some(next) if more => cursor = Some(next.to_owned()),
                _ => {
                    return Ok(Ok((
                        items,
                        page.get("syncToken")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                    )))
                }
            }
        }
        Err(AtsError::Decode {
            path: "nextCursor".into(),
            message: format!("more than {MAX_PAGES} pages; stopped"),
        })
    }

    /// A list that has no incremental form.
    async fn list_all(&self, method: &str, body: Value) -> Result<Vec<Value>, AtsError> {
        self.list(method, body)
            .await?
            .map(|(items, _)| items)
            .map_err(|code| refused(&code, "outside an incremental sync"))
    }

    /// Every application, read incrementally after the first time. A sync Ashby will not
    /// continue (its token expired or refused for any reason that waiting does not cure), or one
    /// last read in full an hour ago, is read in full.
    async fn all_applications(&self) -> Result<Vec<Value>, AtsError> {
        let mut mirror = self.mirror.lock().await;
        if let Some(known) = mirror
            .as_mut()
            .filter(|m| m.full_at.elapsed() < FULL_READ_EVERY)
        {
            match self
                .list("application.list", json!({ "syncToken": known.token }))
                .await
            {
                Ok(Ok((changed, token))) => {
                    for application in changed {
                        if let Some(id) = text(&application, "id") {
                            known.applications.insert(id, application);
                        }
                    }
                    if let Some(token) = token {
                        known.token = token;
                    }
                    return Ok(known.applications.values().cloned().collect());
                }
                Ok(Err(code)) => {
                    tracing::info!(%code, "Ashby asks for a full read of the applications");
                }
                Err(error) if error.is_retryable() => return Err(error),
                Err(error) => {
                    tracing::warn!(%error, "Ashby refused the incremental read; reading every application again");
                }
            }
        }
        let (all, token) = self
            .list("application.list", json!({}))
            .await?
            .map_err(|code| refused(&code, "in a full sync"))?;
        let applications: HashMap<String, Value> = all
            .into_iter()
            .filter_map(|a| Some((text(&a, "id")?, a)))
            .collect();
        let listed = applications.values().cloned().collect();
        *mirror = token.map(|token| Mirror {
            token,
            applications,
            full_at: std::time::Instant::now(),
        });
        Ok(listed)
    }

    fn application(raw: Value) -> Option<Application> {
        let status = text(&raw, "status").unwrap_or_default().to_lowercase();
        Some(Application {
            id: text(&raw, "id")?,
            candidate_id: raw.get("candidate").and_then(|c| text(c, "id"))?,
            job_id: raw
                .get("job")
                .and_then(|j| text(j, "id"))
                .or_else(|| text(&raw, "jobId"))?,
            stage_id: raw
                .get("currentInterviewStage")
                .and_then(|s| s.get("id"))
                .map(id),
            status,
            raw,
        })
    }

    fn candidate(id: String, raw: &Value) -> Candidate {
        let name = text(raw, "name").unwrap_or_default();
        let (first, last) = name
            .split_once(' ')
            .map_or((name.as_str(), ""), |(f, l)| (f, l));
        Candidate {
            id,
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            emails: contact(raw, "primaryEmailAddress", "emailAddresses"),
            phones: contact(raw, "primaryPhoneNumber", "phoneNumbers"),
            raw: raw.clone(),
        }
    }

    /// The candidate's notes, each with its id and body.
    async fn notes(&self, candidate: &str) -> Result<Vec<Value>, AtsError> {
        self.list_all("candidate.listNotes", json!({ "candidateId": candidate }))
            .await
    }

    /// Id → name of a list of named records (departments, locations). Only shown beside a job,
    /// so a key not allowed to read them leaves the names out rather than failing the read.
    async fn names(&self, method: &str) -> HashMap<String, String> {
        match self.list_all(method, json!({})).await {
            Ok(items) => items
                .iter()
                .filter_map(|i| Some((text(i, "id")?, text(i, "name")?)))
                .collect(),
            Err(error) => {
                tracing::debug!(%error, method, "names not read; jobs are shown without them");
                HashMap::new()
            }
        }
    }

    fn by_hand(what: &str) -> Removal {
        Removal::ByHand {
            why: format!("Ashby's API has no way to delete a {what}; delete it in Ashby"),
        }
    }
}

#[async_trait]
impl AtsConnector for Ashby {
    fn kind(&self) -> AtsKind {
        AtsKind::Ashby
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            server_side_stage_filter: false,
            attachment_by_url: false,
            // Ashby renders a small subset of HTML (no paragraphs or line breaks), so notes go
            // as plain text.
            html_notes: false,
            custom_fields: true,
            // `webhook.create` exists, but needs a key allowed to manage API keys: set up in
            // Ashby's admin screens instead.
            webhooks_by_api: false,
        }
    }

    async fn users(&self) -> Result<Vec<User>, AtsError> {
        Ok(self
            .list_all("user.list", json!({}))
            .await?
            .into_iter()
            .filter_map(|u| {
                let name = [text(&u, "firstName"), text(&u, "lastName")]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                Some(User {
                    id: text(&u, "id")?,
                    name,
                    email: text(&u, "email"),
                })
            })
            .collect())
    }

    /// Open jobs, with their department's and location's names (a job carries only their ids).
    async fn jobs(&self) -> Result<Vec<Job>, AtsError> {
        let departments = self.names("department.list").await;
        let locations = self.names("location.list").await;
        Ok(self
            .list_all("job.list", json!({}))
            .await?
            .into_iter()
            .filter(|j| text(j, "status").is_none_or(|s| s.eq_ignore_ascii_case("open")))
            .filter_map(|j| {
                let named = |names: &HashMap<String, String>, key: &str| {
                    text(&j, key).and_then(|id| names.get(&id).cloned())
                };
                Some(Job {
                    id: text(&j, "id")?,
                    title: text(&j, "title").unwrap_or_default(),
                    department: named(&departments, "departmentId"),
                    location: named(&locations, "locationId"),
                    status: text(&j, "status")
                        .unwrap_or_else(|| "Open".into())
                        .to_lowercase(),
                    raw: j,
                })
            })
            .collect())
    }

    /// Each job's stages are those of its interview plan: `jobInterviewPlan.info` names the plan
    /// and lists its stages; `interviewStage.list` is asked when it does not list them. A plan
    /// several jobs share has one set of stages: they are listed once, as no one job's.
    async fn stages(&self, jobs: &[Job]) -> Result<Vec<Stage>, AtsError> {
        let mut plans: Vec<(String, Vec<String>, Vec<Value>)> = Vec::new();
        for job in jobs {
            let plan = self
                .results("jobInterviewPlan.info", json!({ "jobId": job.id }), true)
                .await?;
            let Some(plan_id) = text(&plan, "interviewPlanId") else {
                continue;
            };
            if let Some((_, users, _)) = plans.iter_mut().find(|(id, _, _)| *id == plan_id) {
                users.push(job.id.clone());
                continue;
            }
            let listed = match plan.get("stages").and_then(Value::as_array) {
                Some(listed) => listed.clone(),
                None => {
                    self.list_all("interviewStage.list", json!({ "interviewPlanId": plan_id }))
                        .await?
                }
            };
            plans.push((plan_id, vec![job.id.clone()], listed));
        }
        Ok(plans
            .into_iter()
            .flat_map(|(_, users, listed)| {
                let job = (users.len() == 1).then(|| users[0].clone());
                listed.into_iter().enumerate().filter_map(move |(i, s)| {
                    Some(Stage {
                        id: text(&s, "id")?,
                        job_id: job.clone(),
                        name: text(&s, "title").unwrap_or_default(),
                        position: s
                            .get("orderInInterviewPlan")
                            .and_then(Value::as_i64)
                            .or_else(|| i64::try_from(i).ok())?,
                    })
                })
            })
            .collect())
    }

    /// Ashby cannot filter by stage: every application is read (incrementally) and filtered here.
    async fn applications(
        &self,
        jobs: &[Job],
        stages: Option<&[String]>,
    ) -> Result<Vec<Application>, AtsError> {
        let mut applications: Vec<Application> = self
            .all_applications()
            .await?
            .into_iter()
            .filter_map(Self::application)
            .filter(|a| a.status == "active")
            .filter(|a| jobs.iter().any(|j| j.id == a.job_id))
            .filter(|a| {
                stages.is_none_or(|list| {
                    a.stage_id
                        .as_ref()
                        .is_some_and(|s| list.iter().any(|x| x == s))
                })
            })
            .collect();
        applications.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(applications)
    }

    /// An application carries its candidate's name, email and phone; a candidate without them
    /// there is read with `candidate.info`.
    async fn candidates(&self, applications: &[Application]) -> Result<Vec<Candidate>, AtsError> {
        let mut seen = std::collections::HashSet::new();
        let mut candidates = Vec::new();
        for application in applications {
            if !seen.insert(application.candidate_id.clone()) {
                continue;
            }
            let embedded = application.raw.get("candidate").filter(|c| {
                c.get("primaryEmailAddress").is_some() || c.get("emailAddresses").is_some()
            });
            let raw = match embedded {
                Some(c) => c.clone(),
                None => {
                    self.results(
                        "candidate.info",
                        json!({ "id": application.candidate_id }),
                        true,
                    )
                    .await?
                }
            };
            candidates.push(Self::candidate(application.candidate_id.clone(), &raw));
        }
        Ok(candidates)
    }

    async fn move_application(
        &self,
        application: ApplicationRef<'_>,
        to_stage: &str,
    ) -> Result<(), AtsError> {
        // Not repeated here on a lost answer: the write-back's own retry decides what a refusal
        // after an uncertain attempt means.
        self.results(
            "application.changeStage",
            json!({ "applicationId": application.id, "interviewStageId": to_stage }),
            false,
        )
        .await?;
        Ok(())
    }

    /// Notes are on the candidate in Ashby.
    async fn add_note(
        &self,
        application: ApplicationRef<'_>,
        note: &NewNote,
    ) -> Result<String, AtsError> {
        let created = self
            .results(
                "candidate.createNote",
                json!({
                    "candidateId": application.candidate_id,
                    "note": { "type": "text/plain", "value": note.text },
                    "sendNotifications": false,
                }),
                false,
            )
            .await?;
        created.get("id").map(id).ok_or(AtsError::Decode {
            path: "results.id".into(),
            message: "the new note has no id".into(),
        })
    }

    async fn find_note(
        &self,
        application: ApplicationRef<'_>,
        marker: &str,
    ) -> Result<Option<String>, AtsError> {
        Ok(self
            .notes(application.candidate_id)
            .await?
            .into_iter()
            .find(|n| {
                ["content", "note", "value"]
                    .iter()
                    .filter_map(|k| n.get(*k).and_then(Value::as_str))
                    .any(|t| crate::holds_marker(t, marker))
            })
            .and_then(|n| text(&n, "id")))
    }

    async fn add_attachment(
        &self,
        application: ApplicationRef<'_>,
        file: &NewAttachment,
    ) -> Result<String, AtsError> {
        let FileSource::Bytes { data, content_type } = &file.source else {
            return Err(AtsError::Unsupported("attach a file by URL"));
        };
        let url = format!(
            "{}/candidate.uploadFile",
            self.config.base_url.trim_end_matches('/')
        );
        let answer = self
            .http
            .send(
                || {
                    let part = reqwest::multipart::Part::bytes(data.clone())
                        .file_name(file.filename.clone());
                    let part = part.mime_str(content_type).unwrap_or_else(|_| {
                        reqwest::multipart::Part::bytes(data.clone())
                            .file_name(file.filename.clone())
                    });
                    self.http
                        .client
                        .post(&url)
                        .basic_auth(self.config.api_key.expose(), Some(""))
                        .multipart(
                            reqwest::multipart::Form::new()
                                .text("candidateId", application.candidate_id.to_owned())
                                .part("file", part),
                        )
                },
                false,
            )
            .await?;
        let reply: Value = serde_json::from_str(&answer.body).map_err(|e| AtsError::Decode {
            path: String::new(),
            message: e.to_string(),
        })?;
        if reply.get("success").and_then(Value::as_bool) != Some(true) {
            let info = reply.get("errorInfo");
            return Err(refused(
                &info
                    .and_then(|i| text(i, "code"))
                    .unwrap_or_else(|| "unknown_error".into()),
                &info.and_then(|i| text(i, "message")).unwrap_or_default(),
            ));
        }
        // The answer is the candidate with the file among its handles; its name identifies it.
        Ok(reply["results"]
            .get("fileHandles")
            .and_then(Value::as_array)
            .and_then(|handles| {
                handles
                    .iter()
                    .rev()
                    .find(|h| text(h, "name").as_deref() == Some(&file.filename))
            })
            .and_then(|h| text(h, "id").or_else(|| text(h, "handle")))
            .unwrap_or_else(|| file.filename.clone()))
    }

    async fn find_attachment(
        &self,
        application: ApplicationRef<'_>,
        filename: &str,
    ) -> Result<Option<String>, AtsError> {
        let candidate = self
            .results(
                "candidate.info",
                json!({ "id": application.candidate_id }),
                true,
            )
            .await?;
        Ok(candidate
            .get("fileHandles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|h| text(h, "name").as_deref() == Some(filename))
            .map(|h| {
                text(h, "id")
                    .or_else(|| text(h, "handle"))
                    .unwrap_or_else(|| filename.to_owned())
            }))
    }

    /// `field` is the custom field's id in Ashby. A number (Willo's score) goes as a JSON number,
    /// as Ashby's Number fields take it; anything else as text.
    async fn set_field(
        &self,
        application: ApplicationRef<'_>,
        field: &str,
        value: &str,
    ) -> Result<(), AtsError> {
        self.results(
            "customField.setValue",
            json!({
                "objectId": application.id,
                "objectType": "Application",
                "fieldId": field,
                "fieldValue": typed(value),
            }),
            true,
        )
        .await?;
        Ok(())
    }

    async fn remove_note(
        &self,
        _application: ApplicationRef<'_>,
        _note_id: &str,
    ) -> Result<Removal, AtsError> {
        Ok(Self::by_hand("note"))
    }

    async fn remove_attachment(
        &self,
        _application: ApplicationRef<'_>,
        _attachment_id: &str,
    ) -> Result<Removal, AtsError> {
        Ok(Self::by_hand("file"))
    }

    fn record_url(&self, application: ApplicationRef<'_>) -> Option<String> {
        Some(format!(
            "https://app.ashbyhq.com/candidates/{}",
            segment(application.candidate_id)
        ))
    }

    fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        secret: &str,
    ) -> Result<Option<StageChange>, AtsError> {
        body_signed(headers, "ashby-signature", "sha256=", body, secret)?;
        let payload = json_body(body)?;
        if text(&payload, "action").as_deref() != Some("candidateStageChange") {
            return Ok(None);
        }
        let application = payload
            .get("data")
            .map(|d| d.get("application").unwrap_or(d));
        Ok(application.and_then(|a| {
            Some(StageChange {
                application_id: text(a, "id")?,
                to_stage_id: a.get("currentInterviewStage").and_then(|s| text(s, "id")),
            })
        }))
    }
}
