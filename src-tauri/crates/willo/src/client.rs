//! The HTTP client for one Willo account.

use std::sync::{Arc, PoisonError, RwLock};

use desk_domain::{retry_after, Sensitive};
use reqwest::header::{AUTHORIZATION, RETRY_AFTER};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use tokio::sync::OnceCell;
use url::Url;

use crate::model::KeepsRaw;
use crate::{
    AuthScheme, Category, Interview, Language, NewParticipant, Pacer, Participant, RetryPolicy,
    Template, ThrottleSigns, Webhook, WebhookSpec, WilloError,
};

/// Lists longer than this many pages are cut off (a loop of `next` links must not run forever).
const MAX_PAGES: usize = 1_000;

/// One page of participants.
#[derive(Debug, Clone)]
pub struct ParticipantPage {
    pub participants: Vec<Participant>,
    /// How many the whole list holds, when Willo says.
    pub count: Option<usize>,
    /// The next page's address, if there is one.
    pub next: Option<String>,
}

/// How to reach one Willo account.
#[derive(Debug, Clone)]
pub struct WilloConfig {
    /// Production, staging, the sandbox, or a custom URL, ending in `/api/integrations/v2`.
    pub base_url: String,
    pub api_key: Sensitive<String>,
    pub auth_scheme: AuthScheme,
    pub retry: RetryPolicy,
    pub throttle: ThrottleSigns,
}

pub struct WilloClient {
    http: reqwest::Client,
    base: Url,
    key: Sensitive<String>,
    scheme: RwLock<AuthScheme>,
    /// The scheme found when Willo first refused the kept one (`None`: it refused them all).
    /// The first refused request looks while the others wait; once only, so a revoked key
    /// does not cost every request three more.
    rechecked_scheme: OnceCell<Option<AuthScheme>>,
    pacer: Arc<Pacer>,
    retry: RetryPolicy,
    throttle: ThrottleSigns,
}

impl WilloClient {
    /// `http` carries the timeouts; `pacer` is shared by every client of the same account.
    pub fn new(
        http: reqwest::Client,
        config: WilloConfig,
        pacer: Arc<Pacer>,
    ) -> Result<Self, WilloError> {
        let mut base =
            Url::parse(config.base_url.trim()).map_err(|e| WilloError::BadUrl(e.to_string()))?;
        if !matches!(base.scheme(), "https" | "http") {
            return Err(WilloError::BadUrl(format!(
                "{} is not an http(s) URL",
                base.scheme()
            )));
        }
        // Paths are joined onto the base, so it must end in a slash.
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Ok(Self {
            http,
            base,
            key: config.api_key,
            scheme: RwLock::new(config.auth_scheme),
            rechecked_scheme: OnceCell::new(),
            pacer,
            retry: config.retry,
            throttle: config.throttle,
        })
    }

    /// The pacer of this organisation (its budget and the day's use).
    pub fn pacer(&self) -> &Arc<Pacer> {
        &self.pacer
    }

    pub fn auth_scheme(&self) -> AuthScheme {
        *self.scheme.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Finds the authorization scheme the server accepts (bare, then Bearer, then Token),
    /// remembers it, and returns it. Refused by all: `WilloError::Auth`. It asks for the
    /// interviews (one page of one), which any key Willo Desk can use must be able to read.
    pub async fn detect_auth_scheme(&self) -> Result<AuthScheme, WilloError> {
        let mut url = self.url("interviews/")?;
        url.query_pairs_mut().append_pair("page_size", "1");
        for scheme in AuthScheme::DETECTION_ORDER {
            match self
                .request_once(&Method::GET, url.clone(), None, scheme)
                .await
            {
                Ok(_) => {
                    *self.scheme.write().unwrap_or_else(PoisonError::into_inner) = scheme;
                    return Ok(scheme);
                }
                Err(WilloError::Auth) => continue,
                Err(other) => return Err(other),
            }
        }
        Err(WilloError::Auth)
    }

    /// One request with the scheme in use. The scheme was kept from when the connections were
    /// tested; if Willo refuses it (401), the scheme is looked for again and the request sent
    /// again with one it takes (a refused request was not acted on).
    async fn send(
        &self,
        method: &Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Value, WilloError> {
        let kept = self.auth_scheme();
        match self.request_once(method, url.clone(), body, kept).await {
            Err(WilloError::Auth) => match self.recheck_scheme().await {
                Some(found) if found != kept => self.request_once(method, url, body, found).await,
                _ => Err(WilloError::Auth),
            },
            other => other,
        }
    }

    /// The scheme Willo takes, looked for once per client (and again only if the look was cut
    /// short by something other than a refusal).
    async fn recheck_scheme(&self) -> Option<AuthScheme> {
        let kept = self.auth_scheme();
        let found = self
            .rechecked_scheme
            .get_or_try_init(|| async {
                match self.detect_auth_scheme().await {
                    Ok(found) => {
                        if found != kept {
                            tracing::warn!(
                                ?kept,
                                ?found,
                                "Willo took another authorization scheme"
                            );
                        }
                        Ok(Some(found))
                    }
                    Err(WilloError::Auth) => Ok(None),
                    Err(other) => Err(other),
                }
            })
            .await;
        found.ok().copied().flatten()
    }

    fn url(&self, path: &str) -> Result<Url, WilloError> {
        self.base
            .join(path)
            .map_err(|e| WilloError::BadUrl(e.to_string()))
    }

    async fn request_once(
        &self,
        method: &Method,
        url: Url,
        body: Option<&Value>,
        scheme: AuthScheme,
    ) -> Result<Value, WilloError> {
        self.pacer.ready().await;
        let mut request = self
            .http
            .request(method.clone(), url)
            .header(AUTHORIZATION, scheme.header_value(self.key.expose()));
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        let wait = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after::parse(v, chrono::Utc::now()));
        let exhausted = ["x-ratelimit-remaining", "ratelimit-remaining"]
            .iter()
            .any(|name| {
                response
                    .headers()
                    .get(*name)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.trim() == "0")
            });
        let text = response.text().await?;
        if status.is_success() {
            self.pacer.record_sent();
        } else {
            let error = WilloError::from_status(status, &text, wait, exhausted, &self.throttle);
            if let WilloError::RateLimited { retry_after } = error {
                self.pacer.throttled(retry_after);
            } else {
                self.pacer.record_sent();
            }
            return Err(error);
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        let mut de = serde_json::Deserializer::from_str(&text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| WilloError::Decode {
            path: e.path().to_string(),
            message: e.inner().to_string(),
        })
    }

    /// A request that is safe to repeat: retried with backoff while the error allows.
    async fn request(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Value, WilloError> {
        let mut attempt = 1;
        loop {
            match self.send(&method, url.clone(), body).await {
                Ok(value) => return Ok(value),
                Err(error) => match self.retry.delay(attempt, &error, rand::random()) {
                    Some(wait) => {
                        tracing::debug!(%error, attempt, ?wait, "retrying a Willo request");
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                    }
                    None => return Err(error),
                },
            }
        }
    }

    async fn get<T: DeserializeOwned + KeepsRaw>(&self, path: &str) -> Result<T, WilloError> {
        let raw = self.request(Method::GET, self.url(path)?, None).await?;
        typed(raw)
    }

    /// Every item of a list: follows `next` until it is null; a bare JSON array is a whole list.
    async fn list_raw(&self, path: &str, query: &[(&str, &str)]) -> Result<Vec<Value>, WilloError> {
        let mut url = self.url(path)?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut items = Vec::new();
        let mut next = Some(url);
        for _ in 0..MAX_PAGES {
            let Some(page_url) = next.take() else { break };
            match self.request(Method::GET, page_url, None).await? {
                Value::Array(page) => {
                    items.extend(page);
                    break;
                }
                Value::Object(mut page) => {
                    match page.remove("results") {
                        Some(Value::Array(results)) => items.extend(results),
                        Some(_) => {
                            return Err(WilloError::Decode {
                                path: "results".into(),
                                message: "expected a list".into(),
                            })
                        }
                        None => {
                            return Err(WilloError::Decode {
                                path: "results".into(),
                                message: "a list page has no results".into(),
                            })
                        }
                    }
                    next = match page.get("next") {
                        Some(Value::String(link)) => Some(self.same_origin(link)?),
                        _ => None,
                    };
                }
                other => {
                    return Err(WilloError::Decode {
                        path: ".".into(),
                        message: format!("expected a list, got {}", kind_of(&other)),
                    })
                }
            }
        }
        Ok(items)
    }

    /// A `next` link is followed only on the configured host: the API key goes with every request.
    fn same_origin(&self, link: &str) -> Result<Url, WilloError> {
        let url = self
            .base
            .join(link)
            .map_err(|e| WilloError::BadUrl(e.to_string()))?;
        if url.origin() != self.base.origin() {
            return Err(WilloError::Decode {
                path: "next".into(),
                message: "the next page is on another host; not followed".into(),
            });
        }
        Ok(url)
    }

    async fn list<T: DeserializeOwned + KeepsRaw>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<T>, WilloError> {
        self.list_raw(path, query)
            .await?
            .into_iter()
            .enumerate()
            .map(|(i, raw)| typed_at(raw, i))
            .collect()
    }

    // ---- interviews, templates, categories, languages -------------------------------------

    pub async fn interviews(&self) -> Result<Vec<Interview>, WilloError> {
        self.list("interviews/", &[]).await
    }

    pub async fn interview(&self, key: &str) -> Result<Interview, WilloError> {
        self.get(&format!("interviews/{}/", segment(key)?)).await
    }

    pub async fn templates(&self, category: Option<&str>) -> Result<Vec<Template>, WilloError> {
        match category {
            Some(c) => self.list("interview-templates/", &[("category", c)]).await,
            None => self.list("interview-templates/", &[]).await,
        }
    }

    pub async fn template(&self, key: &str) -> Result<Template, WilloError> {
        self.get(&format!("interview-templates/{}/", segment(key)?))
            .await
    }

    /// Creates an interview from a template. Not retried: a lost answer must be checked first.
    pub async fn create_interview_from_template(
        &self,
        template: &str,
        title: Option<&str>,
    ) -> Result<Interview, WilloError> {
        let body = title.map_or_else(|| json!({}), |t| json!({ "title": t }));
        let url = self.url(&format!(
            "interview-templates/{}/interviews/",
            segment(template)?
        ))?;
        typed(self.send(&Method::POST, url, Some(&body)).await?)
    }

    pub async fn categories(&self) -> Result<Vec<Category>, WilloError> {
        self.list("categories/", &[]).await
    }

    pub async fn category(&self, key: &str) -> Result<Category, WilloError> {
        self.get(&format!("categories/{}/", segment(key)?)).await
    }

    pub async fn languages(&self) -> Result<Vec<Language>, WilloError> {
        self.list("languages/", &[]).await
    }

    // ---- participants -------------------------------------------------------------------------

    /// Participants, optionally of one interview and/or with one email. (Whether Willo filters on
    /// these parameters is unverified; callers must check what comes back, as `find_participant` does.)
    pub async fn participants(
        &self,
        interview: Option<&str>,
        email: Option<&str>,
    ) -> Result<Vec<Participant>, WilloError> {
        let mut query = Vec::new();
        if let Some(i) = interview {
            query.push(("interview", i));
        }
        if let Some(e) = email {
            query.push(("email", e));
        }
        self.list_raw("participants/", &query)
            .await?
            .into_iter()
            .map(Participant::from_json)
            .collect()
    }

    /// One page of the participants list (of `interview`, if Willo filters on it), asking for
    /// `page_size` per page: the participants on it, how many the whole list holds (`None` if
    /// Willo does not say), and the next page's address. A page costs one request whatever it
    /// holds, so the catch-up lists where that is cheaper than one read per participant.
    pub async fn participants_page(
        &self,
        interview: Option<&str>,
        page_size: u32,
        next: Option<&str>,
    ) -> Result<ParticipantPage, WilloError> {
        let url = match next {
            Some(link) => self.same_origin(link)?,
            None => {
                let mut url = self.url("participants/")?;
                let size = page_size.to_string();
                let mut query = url.query_pairs_mut();
                if let Some(i) = interview {
                    query.append_pair("interview", i);
                }
                query.append_pair("page_size", &size);
                drop(query);
                url
            }
        };
        let (items, count, next) = match self.request(Method::GET, url, None).await? {
            Value::Array(items) => (items, None, None),
            Value::Object(mut page) => {
                let Some(Value::Array(items)) = page.remove("results") else {
                    return Err(WilloError::Decode {
                        path: "results".into(),
                        message: "a list page has no results".into(),
                    });
                };
                let count = page
                    .get("count")
                    .and_then(Value::as_u64)
                    .and_then(|n| usize::try_from(n).ok());
                let next = match page.remove("next") {
                    Some(Value::String(link)) => Some(link),
                    _ => None,
                };
                (items, count, next)
            }
            other => {
                return Err(WilloError::Decode {
                    path: ".".into(),
                    message: format!("expected a list, got {}", kind_of(&other)),
                })
            }
        };
        let participants = items
            .into_iter()
            .map(Participant::from_json)
            .collect::<Result<_, _>>()?;
        Ok(ParticipantPage {
            participants,
            count,
            next,
        })
    }

    /// The participant of `interview` with `email`, if there is one. Matches on our side too, so
    /// it is right even if the server ignores the filters.
    pub async fn find_participant(
        &self,
        interview: &str,
        email: &str,
    ) -> Result<Option<Participant>, WilloError> {
        let found = self.participants(Some(interview), Some(email)).await?;
        Ok(found.into_iter().find(|p| {
            p.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
                && p.interview_key.as_deref().is_none_or(|i| i == interview)
        }))
    }

    pub async fn participant(&self, key: &str) -> Result<Participant, WilloError> {
        let raw = self
            .request(
                Method::GET,
                self.url(&format!("participants/{}/", segment(key)?))?,
                None,
            )
            .await?;
        Participant::from_json(raw)
    }

    /// Invites a participant. Sent once: a 429 may be retried (the server did not act), anything
    /// uncertain is returned to the caller, who must look for the participant before sending again.
    pub async fn invite(&self, participant: &NewParticipant) -> Result<Participant, WilloError> {
        let body = serde_json::to_value(participant).map_err(|e| WilloError::Decode {
            path: ".".into(),
            message: e.to_string(),
        })?;
        let url = self.url("participants/")?;
        let mut attempt = 1;
        loop {
            match self.send(&Method::POST, url.clone(), Some(&body)).await {
                Ok(raw) => return Participant::from_json(raw),
                Err(error @ WilloError::RateLimited { .. }) => {
                    match self.retry.delay(attempt, &error, rand::random()) {
                        Some(wait) => {
                            tokio::time::sleep(wait).await;
                            attempt += 1;
                        }
                        None => return Err(error),
                    }
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Moves a participant to a stage (Willo's Kanban column).
    pub async fn set_participant_stage(
        &self,
        key: &str,
        stage: &str,
    ) -> Result<Participant, WilloError> {
        let url = self.url(&format!("participants/{}/", segment(key)?))?;
        Participant::from_json(
            self.request(Method::PATCH, url, Some(&json!({ "stage": stage })))
                .await?,
        )
    }

    pub async fn delete_participant(&self, key: &str) -> Result<(), WilloError> {
        let url = self.url(&format!("participants/{}/", segment(key)?))?;
        match self.request(Method::DELETE, url, None).await {
            Ok(_) | Err(WilloError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    // ---- webhooks -------------------------------------------------------------------------------

    pub async fn webhooks(&self) -> Result<Vec<Webhook>, WilloError> {
        self.list("webhooks/", &[]).await
    }

    /// Creates a webhook. Not retried: a lost answer must be checked against `webhooks()` first.
    pub async fn create_webhook(&self, spec: &WebhookSpec) -> Result<Webhook, WilloError> {
        let body = serde_json::to_value(spec).map_err(|e| WilloError::Decode {
            path: ".".into(),
            message: e.to_string(),
        })?;
        typed(
            self.send(&Method::POST, self.url("webhooks/")?, Some(&body))
                .await?,
        )
    }

    /// Changes a webhook (PATCH: the fields given replace the old ones).
    pub async fn update_webhook(
        &self,
        key: &str,
        spec: &WebhookSpec,
    ) -> Result<Webhook, WilloError> {
        let body = serde_json::to_value(spec).map_err(|e| WilloError::Decode {
            path: ".".into(),
            message: e.to_string(),
        })?;
        typed(
            self.request(
                Method::PATCH,
                self.url(&format!("webhooks/{}/", segment(key)?))?,
                Some(&body),
            )
            .await?,
        )
    }

    pub async fn delete_webhook(&self, key: &str) -> Result<(), WilloError> {
        match self
            .request(
                Method::DELETE,
                self.url(&format!("webhooks/{}/", segment(key)?))?,
                None,
            )
            .await
        {
            Ok(_) | Err(WilloError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Whether `key` can be a Willo key (an interview's, a participant's, ...): 1 to 64 letters,
/// digits, `-` and `_`.
pub fn is_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A key as one path segment: anything that could change the path is refused.
fn segment(key: &str) -> Result<&str, WilloError> {
    if is_key(key) {
        Ok(key)
    } else {
        Err(WilloError::BadUrl(
            "a Willo key may only hold letters, digits, - and _".into(),
        ))
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn typed<T: DeserializeOwned + KeepsRaw>(raw: Value) -> Result<T, WilloError> {
    let mut item: T = serde_path_to_error::deserialize(&raw).map_err(|e| WilloError::Decode {
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })?;
    item.keep_raw(raw);
    Ok(item)
}

fn typed_at<T: DeserializeOwned + KeepsRaw>(raw: Value, index: usize) -> Result<T, WilloError> {
    typed(raw).map_err(|e| match e {
        WilloError::Decode { path, message } => WilloError::Decode {
            path: format!("results[{index}].{path}"),
            message,
        },
        other => other,
    })
}
