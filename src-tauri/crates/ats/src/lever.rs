//! Lever: the API key as Basic auth, account-wide stages, opportunities filtered by stage on the
//! server, `{data, next, hasNext}` pagination (`next` goes back as `offset`), writes attributed with
//! `perform_as`, a client-side pace under Lever's 10 requests per second, and webhooks signed with
//! an HMAC over `token + triggeredAt` carried in the body.

use async_trait::async_trait;
use desk_domain::{AtsKind, Sensitive};
use http::HeaderMap;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::connector::{
    AtsConnector, Capabilities, FileSource, NewAttachment, NewNote, Removal, StageChange, User,
};
use crate::http::{decode, hmac_hex, id, same_secret, segment, Answer, Http, Pace};
use crate::{Application, ApplicationRef, AtsError, Candidate, Job, Stage};

/// Under Lever's reported steady limit of about 10 requests per second.
pub const DEFAULT_PER_SECOND: u32 = 8;
const PAGE_SIZE: &str = "100";
/// A runaway `next` loop stops here.
const MAX_PAGES: usize = 10_000;

#[derive(Debug, Clone)]
pub struct LeverConfig {
    /// e.g. `https://api.lever.co/v1`
    pub base_url: String,
    pub api_key: Sensitive<String>,
    /// The Lever user writes are attributed to (`perform_as`).
    pub acting_user: Option<String>,
    pub per_second: u32,
}

pub struct Lever {
    http: Http,
    config: LeverConfig,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    data: Vec<Value>,
    next: Option<String>,
    #[serde(default, rename = "hasNext")]
    has_next: bool,
}

#[derive(Deserialize)]
struct Created {
    data: Value,
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Every place a Lever note may keep its body: `text`, `value`, and each `fields[].value`.
fn note_texts(note: &Value) -> impl Iterator<Item = &str> {
    let top = ["text", "value"]
        .into_iter()
        .filter_map(|k| note.get(k).and_then(Value::as_str));
    let fields = note
        .get("fields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| f.get("value").and_then(Value::as_str));
    top.chain(fields)
}

impl Lever {
    pub fn new(http: reqwest::Client, config: LeverConfig) -> Self {
        Self {
            http: Http::new(http, Pace::per_second(config.per_second)),
            config,
        }
    }

    fn url(&self, path: &str) -> Result<url::Url, AtsError> {
        let mut url = url::Url::parse(&format!(
            "{}{path}",
            self.config.base_url.trim_end_matches('/')
        ))
        .map_err(|e| AtsError::BadUrl(e.to_string()))?;
        if let Some(user) = &self.config.acting_user {
            if path.contains("/opportunities/") {
                url.query_pairs_mut().append_pair("perform_as", user);
            }
        }
        Ok(url)
    }

    async fn call(
        &self,
        method: Method,
        url: url::Url,
        body: Option<&Value>,
    ) -> Result<Answer, AtsError> {
        let idempotent = method != Method::POST;
        self.http
            .send(
                || {
                    let request = self
                        .http
                        .client
                        .request(method.clone(), url.clone())
                        .basic_auth(self.config.api_key.expose(), Some(""));
                    match body {
                        Some(b) => request.json(b),
                        None => request,
                    }
                },
                idempotent,
            )
            .await
    }

    /// Every item of a list, following `next` as the `offset`.
    async fn get_all(&self, path: &str, query: &[(&str, &str)]) -> Result<Vec<Value>, AtsError> {
        let mut items = Vec::new();
        let mut offset: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut url = self.url(path)?;
            url.query_pairs_mut()
                .extend_pairs(query)
                .append_pair("limit", PAGE_SIZE);
            if let Some(o) = &offset {
                url.query_pairs_mut().append_pair("offset", o);
            }
            let page: Page = decode(&self.call(Method::GET, url, None).await?.body)?;
            items.extend(page.data);
            match page.next.filter(|_| page.has_next) {
                Some(next) => offset = Some(next),
                None => break,
            }
        }
        Ok(items)
    }

    /// Deletes one `item` of an opportunity's `collection` (`notes`, `files`). A 404 means it is
    /// gone already, once the collection's list (documented, unlike the delete) confirms it; a 403
    /// or 405 means Lever will not let this key delete it, so a person must.
    async fn remove(
        &self,
        application: ApplicationRef<'_>,
        collection: &str,
        item: &str,
        what: &str,
    ) -> Result<Removal, AtsError> {
        let url = self.url(&format!(
            "/opportunities/{}/{collection}/{}",
            segment(application.id),
            segment(item)
        ))?;
        match self.call(Method::DELETE, url, None).await {
            Ok(_) => Ok(Removal::Deleted),
            Err(AtsError::NotFound) => {
                let listed = self
                    .get_all(
                        &format!("/opportunities/{}/{collection}", segment(application.id)),
                        &[],
                    )
                    .await?
                    .iter()
                    .any(|i| text(i, "id").as_deref() == Some(item));
                Ok(if listed {
                    Removal::ByHand {
                        why: format!(
                            "Lever answered that the {what} does not exist, yet still lists it"
                        ),
                    }
                } else {
                    Removal::AlreadyGone
                })
            }
            Err(AtsError::Forbidden(message)) => Ok(Removal::ByHand {
                why: format!("Lever did not let this API key delete the {what}: {message}"),
            }),
            Err(AtsError::Rejected { status: 405, .. }) => Ok(Removal::ByHand {
                why: format!("Lever's API does not allow deleting this {what}"),
            }),
            Err(error) => Err(error),
        }
    }

    fn application(opportunity: Value, posting: &str) -> Option<Application> {
        let archived = opportunity.get("archived").is_some_and(|a| !a.is_null());
        Some(Application {
            id: text(&opportunity, "id")?,
            candidate_id: text(&opportunity, "contact").or_else(|| text(&opportunity, "id"))?,
            job_id: posting.to_owned(),
            stage_id: opportunity
                .get("stage")
                .map(|s| s.get("id").map_or_else(|| id(s), id)),
            status: if archived {
                "archived".into()
            } else {
                "active".into()
            },
            raw: opportunity,
        })
    }
}

#[async_trait]
impl AtsConnector for Lever {
    fn kind(&self) -> AtsKind {
        AtsKind::Lever
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            server_side_stage_filter: true,
            attachment_by_url: true,
            html_notes: false,
            custom_fields: false,
            // Lever's API can create webhooks, but each gets its own signing token: they are set
            // up in Lever's settings, with that token given to the receiver.
            webhooks_by_api: false,
        }
    }

    async fn users(&self) -> Result<Vec<User>, AtsError> {
        Ok(self
            .get_all("/users", &[])
            .await?
            .into_iter()
            .filter_map(|u| {
                Some(User {
                    id: text(&u, "id")?,
                    name: text(&u, "name").unwrap_or_default(),
                    email: text(&u, "email"),
                })
            })
            .collect())
    }

    async fn jobs(&self) -> Result<Vec<Job>, AtsError> {
        Ok(self
            .get_all("/postings", &[])
            .await?
            .into_iter()
            .filter_map(|p| {
                Some(Job {
                    id: text(&p, "id")?,
                    title: text(&p, "text").unwrap_or_default(),
                    department: p.get("categories").and_then(|c| text(c, "team")),
                    location: p.get("categories").and_then(|c| text(c, "location")),
                    status: text(&p, "state").unwrap_or_else(|| "published".into()),
                    raw: p,
                })
            })
            .collect())
    }

    /// Lever's stages belong to the account, not to a job.
    async fn stages(&self, _jobs: &[Job]) -> Result<Vec<Stage>, AtsError> {
        Ok(self
            .get_all("/stages", &[])
            .await?
            .into_iter()
            .enumerate()
            .filter_map(|(i, s)| {
                Some(Stage {
                    id: text(&s, "id")?,
                    job_id: None,
                    name: text(&s, "text").unwrap_or_default(),
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
        let mut applications = Vec::new();
        for job in jobs {
            let filters: Vec<Option<&String>> = match stages {
                Some(list) => list.iter().map(Some).collect(),
                None => vec![None],
            };
            for stage in filters {
                let mut query = vec![("posting_id", job.id.as_str())];
                if let Some(stage) = stage {
                    query.push(("stage_id", stage.as_str()));
                }
                let page = self.get_all("/opportunities", &query).await?;
                applications.extend(
                    page.into_iter()
                        .filter_map(|o| Self::application(o, &job.id))
                        .filter(|a| a.status == "active"),
                );
            }
        }
        Ok(applications)
    }

    /// An opportunity carries its contact's details, so no request is needed.
    async fn candidates(&self, applications: &[Application]) -> Result<Vec<Candidate>, AtsError> {
        let mut seen = std::collections::HashSet::new();
        Ok(applications
            .iter()
            .filter(|a| seen.insert(a.candidate_id.clone()))
            .map(|a| {
                let name = text(&a.raw, "name").unwrap_or_default();
                let (first, last) = name
                    .split_once(' ')
                    .map_or((name.as_str(), ""), |(f, l)| (f, l));
                Candidate {
                    id: a.candidate_id.clone(),
                    first_name: first.to_owned(),
                    last_name: last.to_owned(),
                    emails: a
                        .raw
                        .get("emails")
                        .and_then(Value::as_array)
                        .map(|e| {
                            e.iter()
                                .filter_map(|v| v.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                    phones: a
                        .raw
                        .get("phones")
                        .and_then(Value::as_array)
                        .map(|p| p.iter().filter_map(|v| text(v, "value")).collect())
                        .unwrap_or_default(),
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
        self.call(
            Method::PUT,
            self.url(&format!("/opportunities/{}/stage", application.id))?,
            Some(&json!({ "stage": to_stage })),
        )
        .await?;
        Ok(())
    }

    async fn add_note(
        &self,
        application: ApplicationRef<'_>,
        note: &NewNote,
    ) -> Result<String, AtsError> {
        let body = json!({ "value": note.text, "secret": true });
        let answer = self
            .call(
                Method::POST,
                self.url(&format!("/opportunities/{}/notes", application.id))?,
                Some(&body),
            )
            .await?;
        let created: Created = decode(&answer.body)?;
        created.data.get("noteId").map(id).ok_or(AtsError::Decode {
            path: "data.noteId".into(),
            message: "the new note has no id".into(),
        })
    }

    async fn find_note(
        &self,
        application: ApplicationRef<'_>,
        marker: &str,
    ) -> Result<Option<String>, AtsError> {
        let notes = self
            .get_all(&format!("/opportunities/{}/notes", application.id), &[])
            .await?;
        Ok(notes
            .into_iter()
            .find(|n| note_texts(n).any(|t| crate::holds_marker(t, marker)))
            .and_then(|n| text(&n, "id")))
    }

    /// A URL becomes a link on the opportunity; bytes are uploaded as a file.
    async fn add_attachment(
        &self,
        application: ApplicationRef<'_>,
        file: &NewAttachment,
    ) -> Result<String, AtsError> {
        match &file.source {
            FileSource::Url(link) => {
                self.call(
                    Method::POST,
                    self.url(&format!("/opportunities/{}/addLinks", application.id))?,
                    Some(&json!({ "links": [link] })),
                )
                .await?;
                Ok(link.clone())
            }
            FileSource::Bytes { data, content_type } => {
                let url = self.url(&format!("/opportunities/{}/files", application.id))?;
                let answer = self
                    .http
                    .send(
                        || {
                            let part = reqwest::multipart::Part::bytes(data.clone())
                                .file_name(file.filename.clone())
                                .mime_str(content_type)
                                .unwrap_or_else(|_| {
                                    reqwest::multipart::Part::bytes(data.clone())
                                        .file_name(file.filename.clone())
                                });
                            self.http
                                .client
                                .post(url.clone())
                                .basic_auth(self.config.api_key.expose(), Some(""))
                                .multipart(reqwest::multipart::Form::new().part("file", part))
                        },
                        false,
                    )
                    .await?;
                let created: Created = decode(&answer.body)?;
                created.data.get("id").map(id).ok_or(AtsError::Decode {
                    path: "data.id".into(),
                    message: "the new file has no id".into(),
                })
            }
        }
    }

    /// Uploaded files are listed by name.
    async fn find_attachment(
        &self,
        application: ApplicationRef<'_>,
        filename: &str,
    ) -> Result<Option<String>, AtsError> {
        let files = self
            .get_all(&format!("/opportunities/{}/files", application.id), &[])
            .await?;
        Ok(files
            .into_iter()
            .find(|f| text(f, "name").as_deref() == Some(filename))
            .and_then(|f| text(&f, "id")))
    }

    async fn set_field(
        &self,
        _application: ApplicationRef<'_>,
        _field: &str,
        _value: &str,
    ) -> Result<(), AtsError> {
        Err(AtsError::Unsupported("set custom fields"))
    }

    /// `DELETE /opportunities/{id}/notes/{note}` (unconfirmed in Lever's published reference; known
    /// from third-party tools).
    async fn remove_note(
        &self,
        application: ApplicationRef<'_>,
        note_id: &str,
    ) -> Result<Removal, AtsError> {
        self.remove(application, "notes", note_id, "note").await
    }

    /// `DELETE /opportunities/{id}/files/{file}`. For a URL `add_attachment` added a link and
    /// returned the link itself: no file to delete, so it is left to a person.
    async fn remove_attachment(
        &self,
        application: ApplicationRef<'_>,
        attachment_id: &str,
    ) -> Result<Removal, AtsError> {
        if url::Url::parse(attachment_id).is_ok() {
            return Ok(Removal::ByHand {
                why: "it is a link on the candidate in Lever, which this app does not remove"
                    .into(),
            });
        }
        self.remove(application, "files", attachment_id, "file")
            .await
    }

    fn record_url(&self, application: ApplicationRef<'_>) -> Option<String> {
        Some(format!(
            "https://hire.lever.co/candidates/{}",
            segment(application.id)
        ))
    }

    fn verify_webhook(
        &self,
        _headers: &HeaderMap,
        body: &[u8],
        secret: &str,
    ) -> Result<Option<StageChange>, AtsError> {
        let payload: Value = serde_json::from_slice(body).map_err(|_| AtsError::BadSignature)?;
        let token = text(&payload, "token").unwrap_or_default();
        let triggered_at = payload
            .get("triggeredAt")
            .map(|t| t.as_str().map_or_else(|| t.to_string(), str::to_owned))
            .unwrap_or_default();
        let signature = text(&payload, "signature").unwrap_or_default();
        match hmac_hex(
            secret.as_bytes(),
            format!("{token}{triggered_at}").as_bytes(),
        ) {
            Some(expected) if !signature.is_empty() && same_secret(&signature, &expected) => {}
            _ => return Err(AtsError::BadSignature),
        }
        if text(&payload, "event").as_deref() != Some("candidateStageChange") {
            return Ok(None);
        }
        let data = &payload["data"];
        Ok(
            text(data, "opportunityId").map(|application_id| StageChange {
                application_id,
                to_stage_id: text(data, "toStageId"),
            }),
        )
    }
}
