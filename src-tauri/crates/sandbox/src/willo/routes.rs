//! The HTTP surface of the simulated Willo: `/api/integrations/v2/...`, trailing slashes, key
//! auth (bare or `Bearer`), DRF pagination and errors, and the organisation's request budget.

use std::sync::Arc;

use axum::extract::{OriginalUri, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

use super::demo;
use super::errors::{ApiError, FieldErrors, BLANK, REQUIRED};
use super::model::{Interview, Participant, ParticipantStatus, User, Webhook, EVENTS};
use super::page::{paginate, PageQuery, Paginated};
use super::state::{WilloSim, API_PREFIX};
use crate::throttle::{retry_after_secs, Verdict};

type Sim = State<Arc<WilloSim>>;
type ApiResult<T> = Result<T, ApiError>;

/// Counts every request to the Willo API, before faults, authentication or the budget answer it.
pub async fn count(State(sim): Sim, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with(API_PREFIX) {
        sim.received_one();
    }
    next.run(request).await
}

pub fn router(sim: Arc<WilloSim>) -> Router {
    let api = Router::new()
        .route("/interviews/", get(list_interviews))
        .route("/interviews/{key}/", get(get_interview))
        .route("/categories/", get(list_categories))
        .route("/categories/{key}/", get(get_category))
        .route("/interview-templates/", get(list_templates))
        .route("/interview-templates/{key}/", get(get_template))
        .route(
            "/interview-templates/{key}/interviews/",
            post(create_from_template),
        )
        .route("/participants/", get(list_participants).post(invite))
        .route(
            "/participants/{key}/",
            get(get_participant)
                .patch(update_participant)
                .put(update_participant)
                .delete(delete_participant),
        )
        .route("/webhooks/", get(list_webhooks).post(create_webhook))
        .route(
            "/webhooks/{key}/",
            get(get_webhook)
                .patch(patch_webhook)
                .put(put_webhook)
                .delete(delete_webhook),
        )
        .route("/languages/", get(list_languages))
        .fallback(|| async { ApiError::not_found() })
        .layer(middleware::from_fn_with_state(
            Arc::clone(&sim),
            authenticate,
        ))
        .with_state(sim);
    Router::new().nest(API_PREFIX, api)
}

/// `Authorization: <key>` (as observed) or `Bearer <key>` (as the seed guide shows); then the
/// organisation's request budget.
async fn authenticate(State(sim): Sim, mut request: Request, next: Next) -> Response {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let Some(header) = header.filter(|h| !h.is_empty()) else {
        return ApiError::Detail(
            StatusCode::UNAUTHORIZED,
            "Authentication credentials were not provided.".into(),
        )
        .into_response();
    };
    let key = header.strip_prefix("Bearer ").unwrap_or(header).trim();
    let Some(user) = sim.with_data(|d| d.user_by_api_key(key).cloned()) else {
        return ApiError::Detail(StatusCode::UNAUTHORIZED, "Invalid token.".into()).into_response();
    };
    if let Verdict::Throttled { retry_after } = sim.throttle.check(&user.organisation) {
        return ApiError::Throttled {
            retry_after_secs: retry_after_secs(retry_after),
            forbidden: sim.forbid_when_throttled(),
        }
        .into_response();
    }
    request.extensions_mut().insert(user);
    next.run(request).await
}

fn request_url(sim: &WilloSim, uri: &OriginalUri) -> Url {
    Url::parse(&format!("{}{}", sim.origin(), uri.0)).unwrap_or_else(|_| {
        #[allow(clippy::expect_used)] // a constant that always parses
        Url::parse("http://127.0.0.1/").expect("static URL")
    })
}

fn page_of<T>(
    sim: &WilloSim,
    uri: &OriginalUri,
    items: Vec<T>,
    q: &PageQuery,
) -> ApiResult<Json<Paginated<T>>> {
    paginate(items, q, &request_url(sim, uri)).map(Json)
}

// ---- interviews, templates, categories, languages -------------------------------------------

async fn list_interviews(
    State(sim): Sim,
    Extension(user): Extension<User>,
    uri: OriginalUri,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Paginated<Interview>>> {
    let items = sim.with_data(|d| {
        d.interviews
            .iter()
            .filter(|i| d.can_see(&user, i))
            .cloned()
            .collect()
    });
    page_of(&sim, &uri, items, &q)
}

async fn get_interview(
    State(sim): Sim,
    Extension(user): Extension<User>,
    Path(key): Path<String>,
) -> ApiResult<Json<Interview>> {
    sim.with_data(|d| d.visible_interview(&user, &key).cloned())
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

async fn list_categories(
    State(sim): Sim,
    uri: OriginalUri,
    Query(q): Query<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    let items = sim.with_data(|d| d.categories.clone());
    page_of(&sim, &uri, items, &q)
}

async fn get_category(State(sim): Sim, Path(key): Path<String>) -> ApiResult<impl IntoResponse> {
    sim.with_data(|d| d.categories.iter().find(|c| c.key == key).cloned())
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

#[derive(Debug, Deserialize)]
struct TemplateQuery {
    category: Option<String>,
}

async fn list_templates(
    State(sim): Sim,
    uri: OriginalUri,
    Query(q): Query<PageQuery>,
    Query(filter): Query<TemplateQuery>,
) -> ApiResult<impl IntoResponse> {
    let items = sim.with_data(|d| {
        d.templates
            .iter()
            .filter(|t| filter.category.as_ref().is_none_or(|c| &t.category == c))
            .cloned()
            .collect()
    });
    page_of(&sim, &uri, items, &q)
}

async fn get_template(State(sim): Sim, Path(key): Path<String>) -> ApiResult<impl IntoResponse> {
    sim.with_data(|d| d.templates.iter().find(|t| t.key == key).cloned())
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

async fn create_from_template(
    State(sim): Sim,
    Extension(user): Extension<User>,
    Path(key): Path<String>,
    body: Option<Json<Map<String, Value>>>,
) -> ApiResult<(StatusCode, Json<Interview>)> {
    let body = body.map(|Json(b)| b).unwrap_or_default();
    let interview = sim.with_data(|d| {
        let template = d.templates.iter().find(|t| t.key == key)?.clone();
        let text = |field: &str| {
            body.get(field)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let interview_key = demo::new_key();
        let interview = Interview {
            title: text("title").unwrap_or(&template.name).to_owned(),
            description: template.description.clone(),
            department: text("department").unwrap_or("General").to_owned(),
            language: text("language").unwrap_or(&template.language).to_owned(),
            questions: template
                .questions
                .iter()
                .map(|q| super::model::Question {
                    key: demo::new_key(),
                    ..q.clone()
                })
                .collect(),
            created: Utc::now(),
            owner: user.key.clone(),
            key: interview_key,
        };
        d.interviews.push(interview.clone());
        Some(interview)
    });
    interview
        .map(|i| (StatusCode::CREATED, Json(i)))
        .ok_or_else(ApiError::not_found)
}

async fn list_languages(
    State(sim): Sim,
    uri: OriginalUri,
    Query(q): Query<PageQuery>,
) -> ApiResult<impl IntoResponse> {
    let items = sim.with_data(|d| d.languages.clone());
    page_of(&sim, &uri, items, &q)
}

// ---- participants -------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct ParticipantQuery {
    interview: Option<String>,
    email: Option<String>,
    status: Option<ParticipantStatus>,
}

async fn list_participants(
    State(sim): Sim,
    Extension(user): Extension<User>,
    uri: OriginalUri,
    Query(q): Query<PageQuery>,
    Query(filter): Query<ParticipantQuery>,
) -> ApiResult<Json<Paginated<Value>>> {
    let shape = sim.list_shape();
    let filter = if shape.filters {
        filter
    } else {
        ParticipantQuery {
            interview: None,
            email: None,
            status: None,
        }
    };
    let items = sim.with_data(|d| {
        d.participants
            .iter()
            .filter(|p| d.visible_interview(&user, &p.interview).is_some())
            .filter(|p| filter.interview.as_ref().is_none_or(|i| &p.interview == i))
            .filter(|p| {
                filter
                    .email
                    .as_ref()
                    .is_none_or(|e| p.email.eq_ignore_ascii_case(e))
            })
            .filter(|p| filter.status.is_none_or(|s| p.status == s))
            .map(|p| listed(p, shape.statuses))
            .collect()
    });
    page_of(&sim, &uri, items, &q)
}

/// A participant as the list shows it: in full, or without how far they got.
fn listed(participant: &Participant, statuses: bool) -> Value {
    let mut value = serde_json::to_value(participant).unwrap_or_default();
    if let (false, Value::Object(map)) = (statuses, &mut value) {
        for field in ["status", "opened_at", "started_at", "completed_at"] {
            map.remove(field);
        }
    }
    value
}

fn text_field(body: &Map<String, Value>, field: &str) -> Option<String> {
    match body.get(field) {
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

async fn invite(
    State(sim): Sim,
    Extension(user): Extension<User>,
    Json(body): Json<Map<String, Value>>,
) -> ApiResult<(StatusCode, Json<Participant>)> {
    let mut errors = FieldErrors::default();
    let interview = match text_field(&body, "interview") {
        None => {
            errors.add("interview", REQUIRED);
            None
        }
        Some(key) => {
            let found = sim.with_data(|d| d.visible_interview(&user, &key).map(|i| i.key.clone()));
            if found.is_none() {
                errors.add(
                    "interview",
                    format!("Invalid pk \"{key}\" - object does not exist."),
                );
            }
            found
        }
    };
    let name = text_field(&body, "name");
    match name.as_deref() {
        None => errors.add("name", REQUIRED),
        Some("") => errors.add("name", BLANK),
        Some(_) => {}
    }
    let email = text_field(&body, "email");
    match email.as_deref() {
        None => errors.add("email", REQUIRED),
        Some(e) if desk_domain::Email::parse(e).is_err() => {
            errors.add("email", "Enter a valid email address.")
        }
        Some(_) => {}
    }
    let phone = text_field(&body, "phone").filter(|p| !p.is_empty());
    if phone
        .as_deref()
        .is_some_and(|p| !desk_domain::PhoneE164::is_e164(p))
    {
        errors.add(
            "phone",
            "Enter a valid phone number in E.164 format, e.g. +14155552671.",
        );
    }
    errors.into_result()?;
    let (Some(interview), Some(name), Some(email)) = (interview, name, email) else {
        return Err(ApiError::Detail(
            StatusCode::BAD_REQUEST,
            "Invalid input.".into(),
        ));
    };
    let mut parts = name.splitn(2, ' ');
    let first = text_field(&body, "first_name")
        .unwrap_or_else(|| parts.next().unwrap_or_default().to_owned());
    let last = text_field(&body, "last_name")
        .unwrap_or_else(|| parts.next().unwrap_or_default().to_owned());
    let key = demo::new_key();
    let participant = Participant {
        invite_url: format!("{}/invite/{}/", sim.origin(), &key[..6]),
        share_url: format!("{}/show/{}/", sim.origin(), &key[..8]),
        key: key.clone(),
        interview,
        name,
        first_name: first,
        last_name: last,
        email,
        phone,
        stage: text_field(&body, "stage"),
        status: ParticipantStatus::Invited,
        created: Utc::now(),
        opened_at: None,
        started_at: None,
        completed_at: None,
        responses: Vec::new(),
        summary: None,
        score: None,
    };
    sim.with_data(|d| d.participants.push(participant.clone()));
    sim.schedule(key);
    Ok((StatusCode::CREATED, Json(participant)))
}

fn visible_participant(sim: &WilloSim, user: &User, key: &str) -> ApiResult<Participant> {
    sim.with_data(|d| {
        d.participants
            .iter()
            .find(|p| p.key == key && d.visible_interview(user, &p.interview).is_some())
            .cloned()
    })
    .ok_or_else(ApiError::not_found)
}

async fn get_participant(
    State(sim): Sim,
    Extension(user): Extension<User>,
    Path(key): Path<String>,
) -> ApiResult<Json<Participant>> {
    visible_participant(&sim, &user, &key).map(Json)
}

/// Changes the participant's stage (Willo's Kanban column), and name or contact details.
async fn update_participant(
    State(sim): Sim,
    Extension(user): Extension<User>,
    Path(key): Path<String>,
    Json(body): Json<Map<String, Value>>,
) -> ApiResult<Json<Participant>> {
    visible_participant(&sim, &user, &key)?;
    let mut errors = FieldErrors::default();
    if let Some(email) = text_field(&body, "email") {
        if desk_domain::Email::parse(&email).is_err() {
            errors.add("email", "Enter a valid email address.");
        }
    }
    if let Some(phone) = text_field(&body, "phone").filter(|p| !p.is_empty()) {
        if !desk_domain::PhoneE164::is_e164(&phone) {
            errors.add(
                "phone",
                "Enter a valid phone number in E.164 format, e.g. +14155552671.",
            );
        }
    }
    if text_field(&body, "name").is_some_and(|n| n.is_empty()) {
        errors.add("name", BLANK);
    }
    errors.into_result()?;
    let (updated, stage_changed) = sim.with_data(|d| {
        let Some(p) = d.participants.iter_mut().find(|p| p.key == key) else {
            return (None, false);
        };
        let mut changed = false;
        if body.contains_key("stage") {
            let stage = text_field(&body, "stage").filter(|s| !s.is_empty());
            changed = stage != p.stage;
            p.stage = stage;
        }
        if let Some(name) = text_field(&body, "name") {
            p.name = name;
        }
        if let Some(email) = text_field(&body, "email") {
            p.email = email;
        }
        if body.contains_key("phone") {
            p.phone = text_field(&body, "phone").filter(|s| !s.is_empty());
        }
        (Some(p.clone()), changed)
    });
    let updated = updated.ok_or_else(ApiError::not_found)?;
    if stage_changed {
        sim.announce(&key, "stage_change");
    }
    Ok(Json(updated))
}

async fn delete_participant(
    State(sim): Sim,
    Extension(user): Extension<User>,
    Path(key): Path<String>,
) -> ApiResult<StatusCode> {
    visible_participant(&sim, &user, &key)?;
    sim.with_data(|d| d.participants.retain(|p| p.key != key));
    Ok(StatusCode::NO_CONTENT)
}

// ---- webhooks -----------------------------------------------------------------------------------

async fn list_webhooks(
    State(sim): Sim,
    Extension(user): Extension<User>,
    uri: OriginalUri,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Paginated<Webhook>>> {
    let items = sim.with_data(|d| {
        d.webhooks
            .iter()
            .filter(|w| w.owner == user.key)
            .cloned()
            .collect()
    });
    page_of(&sim, &uri, items, &q)
}

async fn get_webhook(
    State(sim): Sim,
    Extension(user): Extension<User>,
    Path(key): Path<String>,
) -> ApiResult<Json<Webhook>> {
    sim.with_data(|d| {
        d.webhooks
            .iter()
            .find(|w| w.key == key && w.owner == user.key)
            .cloned()
    })
    .map(Json)
    .ok_or_else(ApiError::not_found)
}

/// Applies a webhook body onto `hook`. `partial` (PATCH) leaves absent fields alone; a full
/// write (POST, PUT) requires `url` and `event`.
fn apply_webhook(
    sim: &WilloSim,
    user: &User,
    hook: &mut Webhook,
    body: &Map<String, Value>,
    partial: bool,
) -> ApiResult<()> {
    let mut errors = FieldErrors::default();
    match text_field(body, "url") {
        Some(url) => match Url::parse(&url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => hook.url = url,
            _ => errors.add("url", "Enter a valid URL."),
        },
        None if !partial => errors.add("url", REQUIRED),
        None => {}
    }
    match text_field(body, "event") {
        Some(event) if EVENTS.contains(&event.as_str()) => hook.event = event,
        Some(event) => errors.add("event", format!("\"{event}\" is not a valid choice.")),
        None if !partial => errors.add("event", REQUIRED),
        None => {}
    }
    if let Some(value) = body.get("interviews") {
        match value.as_array() {
            Some(keys) => {
                let keys: Vec<String> = keys
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect();
                for key in &keys {
                    if sim.with_data(|d| d.visible_interview(user, key).is_none()) {
                        errors.add(
                            "interviews",
                            format!("Invalid pk \"{key}\" - object does not exist."),
                        );
                    }
                }
                hook.interviews = keys;
            }
            None => errors.add("interviews", "Expected a list of items."),
        }
    }
    if let Some(value) = body.get("follow_all_interviews") {
        match value.as_bool() {
            Some(b) => hook.follow_all_interviews = b,
            None => errors.add("follow_all_interviews", "Must be a valid boolean."),
        }
    }
    let strings = |v: &Value| {
        v.as_array().map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
    };
    if let Some(list) = body.get("departments").and_then(strings) {
        hook.departments = list;
    }
    if let Some(list) = body.get("users").and_then(strings) {
        hook.users = list;
    }
    if let Some(config) = body.get("payload_configuration") {
        hook.payload_configuration = config.clone();
    }
    if let Some(status) = text_field(body, "status") {
        hook.status = status;
    }
    errors.into_result()
}

async fn create_webhook(
    State(sim): Sim,
    Extension(user): Extension<User>,
    Json(body): Json<Map<String, Value>>,
) -> ApiResult<(StatusCode, Json<Webhook>)> {
    let mut hook = Webhook {
        key: demo::new_key(),
        url: String::new(),
        event: String::new(),
        interviews: Vec::new(),
        follow_all_interviews: false,
        departments: Vec::new(),
        users: Vec::new(),
        payload_configuration: Value::Object(Map::new()),
        api_version: "v2".into(),
        status: "active".into(),
        owner: user.key.clone(),
    };
    apply_webhook(&sim, &user, &mut hook, &body, false)?;
    sim.with_data(|d| d.webhooks.push(hook.clone()));
    Ok((StatusCode::CREATED, Json(hook)))
}

async fn update_webhook(
    sim: &WilloSim,
    user: &User,
    key: &str,
    body: &Map<String, Value>,
    partial: bool,
) -> ApiResult<Json<Webhook>> {
    let mut hook = sim
        .with_data(|d| {
            d.webhooks
                .iter()
                .find(|w| w.key == key && w.owner == user.key)
                .cloned()
        })
        .ok_or_else(ApiError::not_found)?;
    apply_webhook(sim, user, &mut hook, body, partial)?;
    sim.with_data(|d| {
        if let Some(slot) = d.webhooks.iter_mut().find(|w| w.key == key) {
            *slot = hook.clone();
        }
    });
    Ok(Json(hook))
}

async fn patch_webhook(
    State(sim): Sim,
    Extension(user): Extension<User>,
    Path(key): Path<String>,
    Json(body): Json<Map<String, Value>>,
) -> ApiResult<Json<Webhook>> {
    update_webhook(&sim, &user, &key, &body, true).await
}

async fn put_webhook(
    State(sim): Sim,
    Extension(user): Extension<User>,
    Path(key): Path<String>,
    Json(body): Json<Map<String, Value>>,
) -> ApiResult<Json<Webhook>> {
    update_webhook(&sim, &user, &key, &body, false).await
}

async fn delete_webhook(
    State(sim): Sim,
    Extension(user): Extension<User>,
    Path(key): Path<String>,
) -> ApiResult<StatusCode> {
    let removed = sim.with_data(|d| {
        let before = d.webhooks.len();
        d.webhooks
            .retain(|w| !(w.key == key && w.owner == user.key));
        before != d.webhooks.len()
    });
    if removed {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}
