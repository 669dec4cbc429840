//! Workable (SPI v3): a Bearer token with scopes, the account's pipeline stages named by slug,
//! candidates listed by job and stage on the server with `paging.next` URLs, writes made in the
//! name of a member (`member_id`), files only inside a comment (base64), custom attributes by
//! key, webhook subscriptions created through the API, and deliveries signed with
//! `X-Workable-Signature` (HMAC-SHA256 of the body keyed with the account token).
//!
//! A Workable candidate belongs to one job, so it is both the candidate and the application here.
//! Account tokens may make 10 requests in 10 seconds: the pace keeps under that, and every answer's
//! `X-Rate-Limit-*` headers hold requests back when the window is used up.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use desk_domain::{AtsKind, Sensitive};
use http::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::connector::{
    AtsConnector, Capabilities, FileSource, NewAttachment, NewNote, Removal, StageChange, User,
};
use crate::http::{body_signed, decode, id, json_body, segment, Answer, Http, Pace};
use crate::{Application, ApplicationRef, AtsError, Candidate, Job, Stage};

/// Workable's published limit for account tokens is 10 requests per 10 seconds; one less leaves
/// room for requests that reach it closer together than they were sent.
pub const DEFAULT_PER_10_SECONDS: u32 = 9;
const PAGE_SIZE: &str = "100";
/// A runaway `paging.next` loop stops here.
const MAX_PAGES: usize = 10_000;
/// The event a stage change is delivered as.
const MOVED: &str = "candidate_moved";
/// How often a job's candidates are read in full; in between, only those updated since the last
/// read (`updated_after`), so a poll costs a request or two per job under the 10-in-10-seconds
/// limit. A full read drops candidates Workable no longer lists (deleted ones are not reported).
const FULL_READ_EVERY: Duration = Duration::from_secs(60 * 60);
/// Stages read this recently are not read again for a candidate in a stage they do not name.
const RECENT: Duration = Duration::from_secs(5 * 60);
/// How far before the last read `updated_after` reaches back, for clocks that differ and updates
/// that land while a read pages.
const OVERLAP: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

#[derive(Debug, Clone)]
pub struct WorkableConfig {
    /// e.g. `https://acme.workable.com/spi/v3`
    pub base_url: String,
    pub token: Sensitive<String>,
    /// The member comments and moves are made as (`member_id`): Workable requires one.
    pub member_id: Option<String>,
    pub per_10_seconds: u32,
}

pub struct Workable {
    http: Http,
    config: WorkableConfig,
    /// The stages (slug, name) of the account's pipeline and of each job's own: candidates name
    /// their stage, moves and filters use its slug.
    stages: Mutex<Option<StageCache>>,
    /// Each job's candidates as last read, by job.
    mirror: Mutex<HashMap<String, JobMirror>>,
}

/// The stages as last read, for the jobs they were read for. Read again hourly, for a job not
/// read yet, or when a candidate is in a stage they do not name (a stage added since).
struct StageCache {
    read_at: std::time::Instant,
    jobs: Vec<String>,
    stages: Vec<(String, String)>,
}

/// A job's candidates by id, as of `read_at`.
struct JobMirror {
    read_at: chrono::DateTime<chrono::Utc>,
    full_at: std::time::Instant,
    candidates: HashMap<String, Value>,
}

/// The body of the comment a file travels in.
fn attached(filename: &str) -> String {
    format!("Attached: {filename}")
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

impl Workable {
    pub fn new(http: reqwest::Client, config: WorkableConfig) -> Self {
        Self {
            http: Http::new(
                http,
                Pace {
                    requests: config.per_10_seconds,
                    per: Duration::from_secs(10),
                },
            ),
            config,
            stages: Mutex::new(None),
            mirror: Mutex::new(HashMap::new()),
        }
    }

    fn url(&self, path: &str) -> Result<url::Url, AtsError> {
        url::Url::parse(&format!(
            "{}{path}",
            self.config.base_url.trim_end_matches('/')
        ))
        .map_err(|e| AtsError::BadUrl(e.to_string()))
    }

    async fn call(
        &self,
        method: Method,
        url: url::Url,
        body: Option<&Value>,
        idempotent: bool,
    ) -> Result<Answer, AtsError> {
        self.http
            .send(
                || {
                    let request = self
                        .http
                        .client
                        .request(method.clone(), url.clone())
                        .bearer_auth(self.config.token.expose());
                    match body {
                        Some(b) => request.json(b),
                        None => request,
                    }
                },
                idempotent,
            )
            .await
    }

    /// Every item under `key` of a list, following `paging.next` (on the same host only: the
    /// token goes with every request).
    async fn get_all(
        &self,
        path: &str,
        query: &[(&str, &str)],
        key: &str,
    ) -> Result<Vec<Value>, AtsError> {
        let mut url = self.url(path)?;
        url.query_pairs_mut().extend_pairs(query);
        let origin = url.origin();
        let mut next = Some(url);
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let Some(page_url) = next.take() else {
                return Ok(items);
            };
            let page: Value = decode(&self.call(Method::GET, page_url, None, true).await?.body)?;
            if let Some(Value::Array(found)) = page.get(key) {
                items.extend(found.iter().cloned());
            }
            if let Some(link) = page.get("paging").and_then(|p| text(p, "next")) {
                let link = url::Url::parse(&link).map_err(|e| AtsError::BadUrl(e.to_string()))?;
                if link.origin() != origin {
                    return Err(AtsError::Decode {
                        path: "paging.next".into(),
                        message: "the next page is on another host; not followed".into(),
                    });
                }
                next = Some(link);
            }
        }
        Err(AtsError::Decode {
            path: "paging.next".into(),
            message: format!("more than {MAX_PAGES} pages; stopped"),
        })
    }

    /// The stages as (slug, name): the account's pipeline in order, then the stages of `jobs`'
    /// own pipelines that it lacks. Read again when `fresh` is asked or the cache cannot say.
    async fn known_stages(
        &self,
        jobs: &[Job],
        fresh: bool,
    ) -> Result<Vec<(String, String)>, AtsError> {
        let mut cache = self.stages.lock().await;
        // Asked for fresh stages, those read in the last few minutes still do: a stage no
        // pipeline names must not make every poll read them all again.
        let good_for = if fresh { RECENT } else { FULL_READ_EVERY };
        if let Some(known) = cache.as_ref().filter(|c| {
            c.read_at.elapsed() < good_for && jobs.iter().all(|j| c.jobs.contains(&j.id))
        }) {
            return Ok(known.stages.clone());
        }
        let pairs = |mut listed: Vec<Value>| {
            listed.sort_by_key(|s| s.get("position").and_then(Value::as_i64).unwrap_or(0));
            listed
                .iter()
                .filter_map(|s| Some((text(s, "slug")?, text(s, "name").unwrap_or_default())))
                .collect::<Vec<_>>()
        };
        let mut stages = pairs(self.get_all("/stages", &[], "stages").await?);
        for job in jobs {
            let own = self
                .get_all(&format!("/jobs/{}/stages", segment(&job.id)), &[], "stages")
                .await?;
            for (slug, name) in pairs(own) {
                if !stages.iter().any(|(known, _)| *known == slug) {
                    stages.push((slug, name));
                }
            }
        }
        *cache = Some(StageCache {
            read_at: std::time::Instant::now(),
            jobs: jobs.iter().map(|j| j.id.clone()).collect(),
            stages: stages.clone(),
        });
        Ok(stages)
    }

    /// The slug of the stage a candidate is in: Workable's candidates name it (`stage`), which is
    /// matched against the stages by name, or taken as the slug it may already be.
    fn slug_of(stages: &[(String, String)], stage: &str) -> Option<String> {
        stages
            .iter()
            .find(|(slug, name)| slug == stage || name.eq_ignore_ascii_case(stage))
            .map(|(slug, _)| slug.clone())
    }

    /// The member writes are made as; Workable refuses a comment or a move without one.
    fn member(&self) -> Result<&str, AtsError> {
        self.config
            .member_id
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .ok_or(AtsError::Unsupported(
                "write without an acting member: choose the member in Settings (`acting_user`)",
            ))
    }

    fn application(raw: Value, job: &str, stages: &[(String, String)]) -> Option<Application> {
        let id = text(&raw, "id")?;
        let disqualified = raw.get("disqualified").and_then(Value::as_bool) == Some(true);
        let hired = raw.get("hired_at").is_some_and(|h| !h.is_null());
        Some(Application {
            candidate_id: id.clone(),
            id,
            job_id: raw
                .get("job")
                .and_then(|j| text(j, "shortcode"))
                .unwrap_or_else(|| job.to_owned()),
            stage_id: text(&raw, "stage").map(|s| Self::slug_of(stages, &s).unwrap_or(s)),
            status: if disqualified {
                "disqualified".into()
            } else if hired {
                "hired".into()
            } else {
                "active".into()
            },
            raw,
        })
    }

    /// Every candidate of a job: read in full the first time and hourly, otherwise only those
    /// updated since the last read, merged into what was read before.
    async fn job_candidates(&self, job: &str) -> Result<Vec<Value>, AtsError> {
        let mut mirror = self.mirror.lock().await;
        let started = chrono::Utc::now();
        let query = [("shortcode", job), ("limit", PAGE_SIZE)];
        match mirror
            .get_mut(job)
            .filter(|m| m.full_at.elapsed() < FULL_READ_EVERY)
        {
            Some(known) => {
                let since =
                    (known.read_at - OVERLAP).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                let mut changed = query.to_vec();
                changed.push(("updated_after", since.as_str()));
                for candidate in self.get_all("/candidates", &changed, "candidates").await? {
                    if let Some(found) = candidate.get("id").map(id) {
                        known.candidates.insert(found, candidate);
                    }
                }
                known.read_at = started;
                Ok(known.candidates.values().cloned().collect())
            }
            None => {
                let all = self.get_all("/candidates", &query, "candidates").await?;
                let candidates: HashMap<String, Value> = all
                    .into_iter()
                    .filter_map(|c| Some((c.get("id").map(id)?, c)))
                    .collect();
                let listed = candidates.values().cloned().collect();
                mirror.insert(
                    job.to_owned(),
                    JobMirror {
                        read_at: started,
                        full_at: std::time::Instant::now(),
                        candidates,
                    },
                );
                Ok(listed)
            }
        }
    }

    /// The candidate's comments, newest last: activities of kind `comment` with their body.
    async fn comments(&self, candidate: &str) -> Result<Vec<Value>, AtsError> {
        Ok(self
            .get_all(
                &format!("/candidates/{}/activities", segment(candidate)),
                &[("limit", PAGE_SIZE)],
                "activities",
            )
            .await?
            .into_iter()
            .filter(|a| text(a, "action").is_none_or(|k| k == "comment"))
            .collect())
    }

    /// Posts a comment; its id, or (when Workable's answer names none) the id it has in the
    /// candidate's activities.
    async fn comment(&self, candidate: &str, comment: Value) -> Result<String, AtsError> {
        let body = json!({ "member_id": self.member()?, "comment": comment });
        let answer = self
            .call(
                Method::POST,
                self.url(&format!("/candidates/{}/comments", segment(candidate)))?,
                Some(&body),
                false,
            )
            .await?;
        let created: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
        if let Some(found) = created
            .get("id")
            .or_else(|| created.get("comment").and_then(|c| c.get("id")))
        {
            return Ok(id(found));
        }
        let written = body["comment"]["body"].as_str().unwrap_or_default();
        self.comments(candidate)
            .await?
            .into_iter()
            .rev()
            .find(|c| text(c, "body").as_deref() == Some(written))
            .and_then(|c| c.get("id").map(id))
            .ok_or(AtsError::Decode {
                path: "id".into(),
                message: "the new comment has no id".into(),
            })
    }

    fn by_hand(what: &str) -> Removal {
        Removal::ByHand {
            why: format!("Workable's API has no way to delete a {what}; delete it in Workable"),
        }
    }
}

#[async_trait]
impl AtsConnector for Workable {
    fn kind(&self) -> AtsKind {
        AtsKind::Workable
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            server_side_stage_filter: true,
            attachment_by_url: false,
            html_notes: false,
            custom_fields: true,
            webhooks_by_api: true,
        }
    }

    async fn users(&self) -> Result<Vec<User>, AtsError> {
        Ok(self
            .get_all("/members", &[("limit", PAGE_SIZE)], "members")
            .await?
            .into_iter()
            .filter_map(|m| {
                Some(User {
                    id: m.get("id").map(id)?,
                    name: text(&m, "name").unwrap_or_default(),
                    email: text(&m, "email"),
                })
            })
            .collect())
    }

    /// Published jobs, by shortcode: every other endpoint names a job by it.
    async fn jobs(&self) -> Result<Vec<Job>, AtsError> {
        Ok(self
            .get_all(
                "/jobs",
                &[("state", "published"), ("limit", PAGE_SIZE)],
                "jobs",
            )
            .await?
            .into_iter()
            .filter_map(|j| {
                Some(Job {
                    id: text(&j, "shortcode")?,
                    title: text(&j, "title").unwrap_or_default(),
                    department: text(&j, "department"),
                    location: j.get("location").and_then(|l| text(l, "location_str")),
                    status: text(&j, "state").unwrap_or_else(|| "published".into()),
                    raw: j,
                })
            })
            .collect())
    }

    /// The account's pipeline and the jobs' own stages, named by slug (slugs are the account's,
    /// so no stage belongs to one job).
    async fn stages(&self, jobs: &[Job]) -> Result<Vec<Stage>, AtsError> {
        Ok(self
            .known_stages(jobs, false)
            .await?
            .into_iter()
            .enumerate()
            .filter_map(|(i, (slug, name))| {
                Some(Stage {
                    id: slug,
                    job_id: None,
                    name,
                    position: i64::try_from(i).ok()?,
                })
            })
            .collect())
    }

    async fn applications(
        &self,
        jobs: &[Job],
        stages: Option<&[String]>,
    ) -> Result<Vec<Application>, AtsError> {
        let mut known = self.known_stages(jobs, false).await?;
        let mut applications = Vec::new();
        for job in jobs {
            let listed = match stages {
                // Workable filters by stage itself: a listing of those stages, now.
                Some(list) => {
                    let mut listed = Vec::new();
                    for stage in list {
                        let query = [
                            ("shortcode", job.id.as_str()),
                            ("stage", stage.as_str()),
                            ("limit", PAGE_SIZE),
                        ];
                        listed.extend(self.get_all("/candidates", &query, "candidates").await?);
                    }
                    listed
                }
                None => self.job_candidates(&job.id).await?,
            };
            // A stage none of the known ones names was added since they were read.
            let unknown = |known: &[(String, String)]| {
                listed
                    .iter()
                    .any(|c| text(c, "stage").is_some_and(|s| Self::slug_of(known, &s).is_none()))
            };
            if unknown(&known) {
                known = self.known_stages(jobs, true).await?;
            }
            applications.extend(
                listed
                    .into_iter()
                    .filter_map(|c| Self::application(c, &job.id, &known))
                    .filter(|a| a.status == "active"),
            );
        }
        applications.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(applications)
    }

    /// The list's candidates carry name, email and phone: no request is needed.
    async fn candidates(&self, applications: &[Application]) -> Result<Vec<Candidate>, AtsError> {
        Ok(applications
            .iter()
            .map(|a| {
                let name = text(&a.raw, "name").unwrap_or_default();
                let (first, last) = match (text(&a.raw, "firstname"), text(&a.raw, "lastname")) {
                    (Some(first), Some(last)) => (first, last),
                    _ => name
                        .split_once(' ')
                        .map_or((name.clone(), String::new()), |(f, l)| {
                            (f.to_owned(), l.to_owned())
                        }),
                };
                Candidate {
                    id: a.candidate_id.clone(),
                    first_name: first,
                    last_name: last,
                    emails: text(&a.raw, "email").into_iter().collect(),
                    phones: text(&a.raw, "phone").into_iter().collect(),
                    raw: a.raw.clone(),
                }
            })
            .collect())
    }

    async fn move_application(
        &self,
        application: ApplicationRef<'_>,
        to_stage: &str,
    ) -> Result<(), AtsError> {
        // Not repeated here on a lost answer: the write-back's own retry decides what a refusal
        // after an uncertain attempt means.
        self.call(
            Method::POST,
            self.url(&format!("/candidates/{}/move", segment(application.id)))?,
            Some(&json!({ "member_id": self.member()?, "target_stage": to_stage })),
            false,
        )
        .await?;
        Ok(())
    }

    async fn add_note(
        &self,
        application: ApplicationRef<'_>,
        note: &NewNote,
    ) -> Result<String, AtsError> {
        self.comment(application.id, json!({ "body": note.text }))
            .await
    }

    async fn find_note(
        &self,
        application: ApplicationRef<'_>,
        marker: &str,
    ) -> Result<Option<String>, AtsError> {
        Ok(self
            .comments(application.id)
            .await?
            .into_iter()
            .find(|c| text(c, "body").is_some_and(|b| crate::holds_marker(&b, marker)))
            .and_then(|c| c.get("id").map(id)))
    }

    /// A file travels inside a comment that names it, base64-encoded (Workable takes no URL).
    async fn add_attachment(
        &self,
        application: ApplicationRef<'_>,
        file: &NewAttachment,
    ) -> Result<String, AtsError> {
        let FileSource::Bytes { data, .. } = &file.source else {
            return Err(AtsError::Unsupported("attach a file by URL"));
        };
        self.comment(
            application.id,
            json!({
                "body": attached(&file.filename),
                "attachment": {
                    "name": file.filename,
                    "data": base64::engine::general_purpose::STANDARD.encode(data),
                },
            }),
        )
        .await
    }

    /// The comment that carries the file: one whose attachment has its name, or whose body is
    /// exactly the line `add_attachment` writes (the note itself names the file too, and must not
    /// be taken for it).
    async fn find_attachment(
        &self,
        application: ApplicationRef<'_>,
        filename: &str,
    ) -> Result<Option<String>, AtsError> {
        let line = attached(filename);
        Ok(self
            .comments(application.id)
            .await?
            .into_iter()
            .find(|c| {
                c.get("attachment").and_then(|a| text(a, "name")).as_deref() == Some(filename)
                    || text(c, "body").is_some_and(|b| b.trim() == line)
            })
            .and_then(|c| c.get("id").map(id)))
    }

    /// `field` is the custom attribute's key.
    async fn set_field(
        &self,
        application: ApplicationRef<'_>,
        field: &str,
        value: &str,
    ) -> Result<(), AtsError> {
        self.call(
            Method::PATCH,
            self.url(&format!(
                "/candidates/{}/update_custom_attribute_value",
                segment(application.id)
            ))?,
            Some(&json!({ "custom_attribute_key": field, "value": value })),
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
        Ok(Self::by_hand("comment"))
    }

    async fn remove_attachment(
        &self,
        _application: ApplicationRef<'_>,
        _attachment_id: &str,
    ) -> Result<Removal, AtsError> {
        Ok(Self::by_hand("comment holding the file"))
    }

    /// Workable's candidate pages are at the account's own address, outside the API's path.
    fn record_url(&self, application: ApplicationRef<'_>) -> Option<String> {
        let mut url = url::Url::parse(&self.config.base_url).ok()?;
        url.set_path(&format!("/backend/candidates/{}", segment(application.id)));
        Some(url.to_string())
    }

    async fn subscribe_stage_changes(&self, target: &str, replacing: &str) -> Result<(), AtsError> {
        // Workable answers 404 when the account has no subscription at all.
        let existing = match self.get_all("/subscriptions", &[], "subscriptions").await {
            Ok(existing) => existing,
            Err(AtsError::NotFound) => Vec::new(),
            Err(error) => return Err(error),
        };
        let mut subscribed = false;
        for subscription in existing {
            let Some(to) = text(&subscription, "target") else {
                continue;
            };
            let Some(found) = subscription.get("id").map(id) else {
                continue;
            };
            if to == target && text(&subscription, "event").is_none_or(|e| e == MOVED) {
                subscribed = true;
            } else if to.starts_with(replacing) {
                let url = self.url(&format!("/subscriptions/{}", segment(&found)))?;
                match self.call(Method::DELETE, url, None, true).await {
                    Ok(_) | Err(AtsError::NotFound) => {}
                    Err(error) => return Err(error),
                }
            }
        }
        if subscribed {
            return Ok(());
        }
        let body = json!({
            "target": target,
            "event": MOVED,
            "args": { "job_shortcode": "", "stage_slug": "" },
        });
        match self
            .call(
                Method::POST,
                self.url("/subscriptions")?,
                Some(&body),
                false,
            )
            .await
        {
            Ok(_) => Ok(()),
            // Workable refuses a second subscription to one target: it is subscribed already.
            Err(AtsError::Rejected { status: 409, .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    fn webhook_secret(&self) -> Option<Sensitive<String>> {
        Some(self.config.token.clone())
    }

    fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        secret: &str,
    ) -> Result<Option<StageChange>, AtsError> {
        body_signed(headers, "x-workable-signature", "", body, secret)?;
        let payload = json_body(body)?;
        if text(&payload, "event_type").as_deref() != Some(MOVED) {
            return Ok(None);
        }
        let candidate = payload.get("data").unwrap_or(&payload);
        Ok(candidate.get("id").map(|found| StageChange {
            application_id: id(found),
            to_stage_id: text(candidate, "stage"),
        }))
    }
}
