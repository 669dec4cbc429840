//! Greenhouse Harvest v3 dialect: OAuth client credentials, Bearer tokens, cursor pagination in
//! the `Link` header, rate-limit headers.
//!
//! Paths and write bodies follow what `ats-apis.md` records of v3 (`/v3/applications/{id}/move`,
//! `/v3/notes`, `/v3/attachments`); where v3's exact shapes are unverified (the notes and
//! attachments bodies, `job_stages`), the sandbox's choice is documented in the README.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

use super::dataset::{Application, Dataset, STAGES};
use super::{basic_credentials, greenhouse_stage as stage_id, origin, AtsSim};
use crate::faults::lock;
use crate::throttle::{retry_after_secs, Verdict};

pub const GREENHOUSE_CLIENT_ID: &str = "sandbox-greenhouse-client";
pub const GREENHOUSE_CLIENT_SECRET: &str = "sandbox-greenhouse-secret-5f2c9a";

const PREFIX: &str = "/greenhouse";
const DEFAULT_PER_PAGE: usize = 100;
const MAX_PER_PAGE: usize = 500;

type Sim = State<Arc<AtsSim>>;

/// The user a token acts as (the `sub` of the token request).
#[derive(Debug, Clone)]
struct Actor(Option<String>);

pub fn router(sim: Arc<AtsSim>) -> Router {
    let api = Router::new()
        .route("/jobs", get(list_jobs))
        .route("/jobs/{id}", get(get_job))
        .route("/job_stages", get(list_job_stages))
        .route("/applications", get(list_applications))
        .route(
            "/applications/{id}",
            get(get_application).patch(update_application),
        )
        .route("/applications/{id}/move", post(move_application))
        .route("/candidates", get(list_candidates))
        .route("/candidates/{id}", get(get_candidate))
        .route("/users", get(list_users))
        .route("/notes", get(list_notes).post(create_note))
        .route(
            "/attachments",
            get(list_attachments).post(create_attachment),
        )
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "No such resource.") })
        .layer(middleware::from_fn_with_state(Arc::clone(&sim), bearer))
        .with_state(Arc::clone(&sim));
    Router::new()
        .route(&format!("{PREFIX}/auth/token"), post(token))
        .with_state(sim)
        .nest(&format!("{PREFIX}/v3"), api)
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": code, "message": message }))).into_response()
}

/// A refused request, small enough to pass around in `Result` (a `Response` is not).
#[derive(Debug)]
struct Refusal(StatusCode, &'static str);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error(self.0, "invalid_request", self.1)
    }
}

// ---- auth -----------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    sub: Option<String>,
}

async fn token(State(sim): Sim, headers: HeaderMap, Form(form): Form<TokenRequest>) -> Response {
    let Some((id, secret)) = basic_credentials(&headers) else {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client credentials are required (HTTP Basic).",
        );
    };
    if id != GREENHOUSE_CLIENT_ID || secret != GREENHOUSE_CLIENT_SECRET {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Unknown client or wrong secret.",
        );
    }
    if form.grant_type.as_deref() != Some("client_credentials") {
        return error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Only client_credentials is supported.",
        );
    }
    if let Some(sub) = &form.sub {
        let known = sim.with_data(|d| d.users.iter().any(|u| u.id.to_string() == *sub));
        if !known {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The sub user does not exist.",
            );
        }
    }
    let token = format!("gh-{}", crate::keys::hex_key(rand::random()));
    let ttl = sim.settings.token_ttl;
    lock(&sim.tokens).insert(token.clone(), (Instant::now() + ttl, form.sub));
    Json(json!({ "access_token": token, "token_type": "Bearer", "expires_in": ttl.as_secs() }))
        .into_response()
}

async fn bearer(State(sim): Sim, mut request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let Some(token) = token else {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "A Bearer access token is required.",
        );
    };
    let entry = lock(&sim.tokens).get(&token).cloned();
    let actor = match entry {
        Some((expiry, sub)) if expiry > Instant::now() => sub,
        Some(_) => {
            return error(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "The access token has expired.",
            )
        }
        None => {
            return error(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "Unknown access token.",
            )
        }
    };
    let limit = sim.greenhouse_throttle.limit();
    let remaining = match sim.greenhouse_throttle.check(&token) {
        Verdict::Allowed { remaining } => remaining,
        Verdict::Throttled { retry_after } => {
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests.",
            );
            let headers = response.headers_mut();
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs(retry_after)),
            );
            headers.insert("X-RateLimit-Limit", HeaderValue::from(limit));
            headers.insert("X-RateLimit-Remaining", HeaderValue::from(0));
            return response;
        }
    };
    request.extensions_mut().insert(Actor(actor));
    let mut response = next.run(request).await;
    if limit > 0 {
        response
            .headers_mut()
            .insert("X-RateLimit-Limit", HeaderValue::from(limit));
        response
            .headers_mut()
            .insert("X-RateLimit-Remaining", HeaderValue::from(remaining));
    }
    response
}

// ---- cursor pagination ----------------------------------------------------------------------------

/// Reads the query: either filters (first request) or a lone `cursor` (every later one). The cursor
/// carries the original filters and the offset; mixing it with other parameters is an error, as in v3.
fn read_query(raw: Option<&str>) -> Result<(BTreeMap<String, String>, usize), Refusal> {
    let pairs: BTreeMap<String, String> =
        url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let Some(cursor) = pairs.get("cursor") else {
        return Ok((pairs, 0));
    };
    if pairs.len() > 1 {
        return Err(Refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            "A cursor cannot be combined with other parameters.",
        ));
    }
    let bad = || Refusal(StatusCode::UNPROCESSABLE_ENTITY, "The cursor is not valid.");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    let (filters, offset): (BTreeMap<String, String>, usize) =
        serde_json::from_slice(&bytes).map_err(|_| bad())?;
    Ok((filters, offset))
}

fn per_page(filters: &BTreeMap<String, String>) -> usize {
    filters
        .get("per_page")
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .map_or(DEFAULT_PER_PAGE, |n: usize| n.min(MAX_PER_PAGE))
}

fn paged(
    items: Vec<Value>,
    filters: &BTreeMap<String, String>,
    offset: usize,
    path: &str,
    origin: &str,
) -> Response {
    let size = per_page(filters);
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(offset).take(size).collect();
    let mut response = Json(page).into_response();
    if offset + size < total {
        let state = serde_json::to_vec(&(filters, offset + size)).unwrap_or_default();
        let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(state);
        let link = format!("<{origin}{PREFIX}/v3{path}?cursor={cursor}>; rel=\"next\"");
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

fn ids(filters: &BTreeMap<String, String>, key: &str) -> Option<Vec<u64>> {
    filters
        .get(key)
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
}

// ---- resources ------------------------------------------------------------------------------------

fn job_json(job: &super::dataset::Job) -> Value {
    json!({
        "id": job.id,
        "name": job.title,
        "status": job.status,
        "departments": [{ "name": job.department }],
        "offices": [{ "name": job.location }],
        "created_at": job.created_at,
    })
}

fn application_json(d: &Dataset, app: &Application) -> Value {
    json!({
        "id": app.id,
        "candidate_id": app.candidate_id,
        "job_id": app.job_id,
        "prospect": false,
        "status": app.status,
        "current_stage_id": stage_id(app.job_id, app.stage),
        "current_stage": { "id": stage_id(app.job_id, app.stage), "name": STAGES.get(app.stage) },
        "jobs": d.job(app.job_id).map(|j| vec![json!({"id": j.id, "name": j.title})]).unwrap_or_default(),
        "applied_at": app.applied_at,
        "last_activity_at": app.last_activity_at,
    })
}

fn candidate_json(c: &super::dataset::Candidate) -> Value {
    json!({
        "id": c.id,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "email_addresses": c.emails.iter().map(|e| json!({"value": e, "type": "personal"})).collect::<Vec<_>>(),
        "phone_numbers": c.phones.iter().map(|p| json!({"value": p, "type": "mobile"})).collect::<Vec<_>>(),
        "created_at": c.created_at,
    })
}

async fn list_jobs(
    State(sim): Sim,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, Refusal> {
    let (filters, offset) = read_query(q.as_deref())?;
    let items = sim.with_data(|d| {
        d.jobs
            .iter()
            .filter(|j| filters.get("status").is_none_or(|s| &j.status == s))
            .map(job_json)
            .collect()
    });
    Ok(paged(items, &filters, offset, "/jobs", &origin(&headers)))
}

async fn get_job(State(sim): Sim, Path(id): Path<u64>) -> Response {
    sim.with_data(|d| d.job(id).map(job_json)).map_or_else(
        || error(StatusCode::NOT_FOUND, "not_found", "No such job."),
        |j| Json(j).into_response(),
    )
}

async fn list_job_stages(
    State(sim): Sim,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, Refusal> {
    let (filters, offset) = read_query(q.as_deref())?;
    let wanted = ids(&filters, "job_ids");
    let items = sim.with_data(|d| {
        d.jobs
            .iter()
            .filter(|j| wanted.as_ref().is_none_or(|w| w.contains(&j.id)))
            .flat_map(|j| {
                j.stages.iter().enumerate().map(|(priority, s)| {
                    json!({ "id": stage_id(j.id, *s), "job_id": j.id, "name": STAGES.get(*s), "priority": priority })
                })
            })
            .collect()
    });
    Ok(paged(
        items,
        &filters,
        offset,
        "/job_stages",
        &origin(&headers),
    ))
}

/// No stage filter: as far as is known, v3 has none, so connectors filter on `current_stage_id`.
async fn list_applications(
    State(sim): Sim,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, Refusal> {
    let (filters, offset) = read_query(q.as_deref())?;
    let jobs = ids(&filters, "job_ids");
    let candidates = ids(&filters, "candidate_ids");
    let items = sim.with_data(|d| {
        d.applications
            .iter()
            .filter(|a| jobs.as_ref().is_none_or(|j| j.contains(&a.job_id)))
            .filter(|a| {
                candidates
                    .as_ref()
                    .is_none_or(|c| c.contains(&a.candidate_id))
            })
            .filter(|a| filters.get("status").is_none_or(|s| &a.status == s))
            .map(|a| application_json(d, a))
            .collect()
    });
    Ok(paged(
        items,
        &filters,
        offset,
        "/applications",
        &origin(&headers),
    ))
}

async fn get_application(State(sim): Sim, Path(id): Path<u64>) -> Response {
    sim.with_data(|d| d.application(id).map(|a| application_json(d, a)))
        .map_or_else(
            || error(StatusCode::NOT_FOUND, "not_found", "No such application."),
            |a| Json(a).into_response(),
        )
}

async fn list_candidates(
    State(sim): Sim,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, Refusal> {
    let (filters, offset) = read_query(q.as_deref())?;
    let wanted = ids(&filters, "ids");
    let items = sim.with_data(|d| {
        d.candidates
            .iter()
            .filter(|c| wanted.as_ref().is_none_or(|w| w.contains(&c.id)))
            .map(candidate_json)
            .collect()
    });
    Ok(paged(
        items,
        &filters,
        offset,
        "/candidates",
        &origin(&headers),
    ))
}

async fn get_candidate(State(sim): Sim, Path(id): Path<u64>) -> Response {
    sim.with_data(|d| d.candidate(id).map(candidate_json))
        .map_or_else(
            || error(StatusCode::NOT_FOUND, "not_found", "No such candidate."),
            |c| Json(c).into_response(),
        )
}

async fn list_users(
    State(sim): Sim,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, Refusal> {
    let (filters, offset) = read_query(q.as_deref())?;
    let items = sim.with_data(|d| {
        d.users
            .iter()
            .map(|u| json!({"id": u.id, "first_name": u.first_name, "last_name": u.last_name, "primary_email_address": u.email}))
            .collect()
    });
    Ok(paged(items, &filters, offset, "/users", &origin(&headers)))
}

#[derive(Debug, Deserialize)]
struct MoveBody {
    from_stage_id: Option<u64>,
    to_stage_id: Option<u64>,
}

async fn move_application(
    State(sim): Sim,
    Extension(Actor(actor)): Extension<Actor>,
    Path(id): Path<u64>,
    Json(body): Json<MoveBody>,
) -> Response {
    sim.with_data(|d| {
        let Some(app) = d.application(id).cloned() else {
            return error(StatusCode::NOT_FOUND, "not_found", "No such application.");
        };
        if body.from_stage_id.is_some_and(|from| from != stage_id(app.job_id, app.stage)) {
            return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_stage", "The application is not in from_stage_id.");
        }
        let job = d.job(app.job_id).cloned();
        let target = match body.to_stage_id {
            Some(to) => job.as_ref().and_then(|j| j.stages.iter().copied().find(|s| stage_id(j.id, *s) == to)),
            // No target means advance to the next stage.
            None => job.as_ref().and_then(|j| j.stages.iter().skip_while(|s| **s != app.stage).nth(1).copied()),
        };
        let Some(target) = target else {
            return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_stage", "to_stage_id is not a stage of this job.");
        };
        if d.move_application(id, target).is_err() {
            return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_stage", "The application cannot be moved there.");
        }
        let body = json!({"from_stage_id": stage_id(app.job_id, app.stage), "to_stage_id": stage_id(app.job_id, target)});
        d.record("greenhouse", "move", id, actor, body);
        Json(json!({"application_id": id, "moved": true})).into_response()
    })
}

#[derive(Debug, Deserialize)]
struct NoteBody {
    candidate_id: Option<u64>,
    application_id: Option<u64>,
    body: Option<String>,
    visibility: Option<String>,
}

async fn create_note(
    State(sim): Sim,
    Extension(Actor(actor)): Extension<Actor>,
    Json(note): Json<NoteBody>,
) -> Response {
    let Some(text) = note.body.filter(|b| !b.trim().is_empty()) else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "body is required.",
        );
    };
    let visibility = note.visibility.unwrap_or_else(|| "admin_only".into());
    if !matches!(visibility.as_str(), "admin_only" | "private" | "public") {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "visibility must be admin_only, private or public.",
        );
    }
    sim.with_data(|d| {
        let app = match (note.application_id, note.candidate_id) {
            (Some(a), _) => d.application(a).cloned(),
            (None, Some(c)) => d.applications.iter().find(|a| a.candidate_id == c).cloned(),
            (None, None) => None,
        };
        let Some(app) = app else {
            return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", "candidate_id or application_id must name a record.");
        };
        let write = d.record("greenhouse", "note", app.id, actor, json!({"body": text, "visibility": visibility}));
        (
            StatusCode::CREATED,
            Json(json!({"id": write.id, "candidate_id": app.candidate_id, "application_id": app.id, "body": text, "visibility": visibility, "created_at": write.at})),
        )
            .into_response()
    })
}

async fn list_notes(
    State(sim): Sim,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, Refusal> {
    let (filters, offset) = read_query(q.as_deref())?;
    let candidates = ids(&filters, "candidate_ids");
    let items = sim.with_data(|d| {
        d.writes
            .iter()
            .filter(|w| w.ats == "greenhouse" && w.kind == "note")
            .filter(|w| candidates.as_ref().is_none_or(|c| c.contains(&w.candidate_id)))
            .map(|w| json!({"id": w.id, "candidate_id": w.candidate_id, "application_id": w.application_id, "body": w.body["body"], "visibility": w.body["visibility"], "created_at": w.at}))
            .collect()
    });
    Ok(paged(items, &filters, offset, "/notes", &origin(&headers)))
}

#[derive(Debug, Deserialize)]
struct AttachmentBody {
    application_id: Option<u64>,
    filename: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    url: Option<String>,
    content: Option<String>,
    content_type: Option<String>,
    visibility: Option<String>,
}

async fn create_attachment(
    State(sim): Sim,
    Extension(Actor(actor)): Extension<Actor>,
    Json(att): Json<AttachmentBody>,
) -> Response {
    let Some(filename) = att.filename.filter(|f| !f.trim().is_empty()) else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "filename is required.",
        );
    };
    if att.url.is_none() == att.content.is_none() {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "Exactly one of url and content is required.",
        );
    }
    if att
        .content
        .as_deref()
        .is_some_and(|c| base64::engine::general_purpose::STANDARD.decode(c).is_err())
    {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "content must be base64.",
        );
    }
    sim.with_data(|d| {
        let Some(app) = att.application_id.and_then(|id| d.application(id).cloned()) else {
            return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", "application_id must name an application.");
        };
        let body = json!({
            "filename": filename, "type": att.kind.unwrap_or_else(|| "other".into()), "url": att.url,
            "content_length": att.content.as_ref().map(String::len), "content_type": att.content_type,
            "visibility": att.visibility.unwrap_or_else(|| "admin_only".into()),
        });
        let write = d.record("greenhouse", "attachment", app.id, actor, body.clone());
        (StatusCode::CREATED, Json(json!({"id": write.id, "application_id": app.id, "candidate_id": app.candidate_id, "filename": body["filename"], "created_at": write.at}))).into_response()
    })
}

#[derive(Debug, Deserialize)]
struct CustomField {
    name_key: Option<String>,
    value: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct ApplicationPatch {
    custom_fields: Option<Vec<CustomField>>,
}

/// Sets custom fields on an application (Greenhouse keys them by `name_key`).
async fn update_application(
    State(sim): Sim,
    Extension(Actor(actor)): Extension<Actor>,
    Path(id): Path<u64>,
    Json(patch): Json<ApplicationPatch>,
) -> Response {
    let Some(fields) = patch.custom_fields.filter(|f| !f.is_empty()) else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "custom_fields must be a non-empty list.",
        );
    };
    if fields
        .iter()
        .any(|f| f.name_key.as_deref().is_none_or(str::is_empty))
    {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "every custom field needs a name_key.",
        );
    }
    sim.with_data(|d| {
        let Some(app) = d.application(id).cloned() else {
            return error(StatusCode::NOT_FOUND, "not_found", "No such application.");
        };
        for field in fields {
            d.record(
                "greenhouse",
                "field",
                id,
                actor.clone(),
                json!({"name_key": field.name_key, "value": field.value}),
            );
        }
        Json(application_json(d, &app)).into_response()
    })
}

async fn list_attachments(
    State(sim): Sim,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, Refusal> {
    let (filters, offset) = read_query(q.as_deref())?;
    let applications = ids(&filters, "application_ids");
    let items = sim.with_data(|d| {
        d.writes
            .iter()
            .filter(|w| w.ats == "greenhouse" && w.kind == "attachment")
            .filter(|w| applications.as_ref().is_none_or(|a| a.contains(&w.application_id)))
            .map(|w| json!({"id": w.id, "application_id": w.application_id, "filename": w.body["filename"], "type": w.body["type"]}))
            .collect()
    });
    Ok(paged(
        items,
        &filters,
        offset,
        "/attachments",
        &origin(&headers),
    ))
}
