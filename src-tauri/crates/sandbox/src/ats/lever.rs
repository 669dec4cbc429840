//! Lever dialect: Basic auth with the API key, global stages, opportunities with a server-side
//! stage filter, `{data, next, hasNext}` pagination, notes and stage changes with `perform_as`,
//! notes and files that can be deleted again, and a 10 requests/second limit answered with 429
//! without `Retry-After` (as reported of Lever).

use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

use super::dataset::{Application, Dataset, STAGES};
use super::{basic_credentials, parse_uuid, uuid, AtsSim, Dialect};
use crate::throttle::Verdict;

pub const LEVER_API_KEY: &str = "sandbox-lever-key-8d41e7b2";

const PREFIX: &str = "/lever/v1";
const DEFAULT_LIMIT: usize = 100;

type Sim = State<Arc<AtsSim>>;

pub fn router(sim: Arc<AtsSim>) -> Router {
    let api = Router::new()
        .route("/postings", get(list_postings))
        .route("/stages", get(list_stages))
        .route("/users", get(list_users))
        .route("/opportunities", get(list_opportunities))
        .route("/opportunities/{id}", get(get_opportunity))
        .route(
            "/opportunities/{id}/notes",
            get(list_notes).post(create_note),
        )
        .route("/opportunities/{id}/stage", put(change_stage))
        .route("/opportunities/{id}/addLinks", post(add_links))
        .route(
            "/opportunities/{id}/files",
            get(list_files).post(upload_file),
        )
        .route("/opportunities/{id}/notes/{note}", delete(delete_note))
        .route("/opportunities/{id}/files/{file}", delete(delete_file))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "ResourceNotFound",
                "No such resource.",
            )
        })
        .layer(middleware::from_fn_with_state(Arc::clone(&sim), basic_auth))
        .with_state(sim);
    Router::new().nest(PREFIX, api)
}

fn no_opportunity() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        "No such opportunity.",
    )
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "code": code, "message": message }))).into_response()
}

/// A refused request, small enough to pass around in `Result` (a `Response` is not).
#[derive(Debug)]
struct Refusal(&'static str, &'static str);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error(StatusCode::BAD_REQUEST, self.0, self.1)
    }
}

async fn basic_auth(State(sim): Sim, request: Request, next: Next) -> Response {
    let key = basic_credentials(request.headers()).map(|(user, _)| user);
    if key.as_deref() != Some(LEVER_API_KEY) {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized", "Invalid API key.");
    }
    if let Verdict::Throttled { .. } = sim.lever_throttle.check(LEVER_API_KEY) {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Rate limit exceeded.",
        );
    }
    next.run(request).await
}

/// Global stage ids in Lever's UUID form, one per entry of `STAGES`.
fn stage_uuid(stage: usize) -> String {
    Dialect::Lever.stage_id(0, stage)
}

fn user_uuid(user: u64) -> String {
    Dialect::Lever.user_id(user)
}

const NOTE: u32 = 0x6e6f_7465;
const FILE: u32 = 0x6669_6c65;

#[derive(Debug, Deserialize)]
struct PageParams {
    limit: Option<usize>,
    offset: Option<String>,
}

/// Offset tokens are opaque to clients; here they are a base64 index.
fn page(items: Vec<Value>, params: &PageParams) -> Result<Json<Value>, Refusal> {
    let limit = params
        .limit
        .filter(|l| (1..=100).contains(l))
        .unwrap_or(DEFAULT_LIMIT);
    let start = match params.offset.as_deref() {
        None | Some("") => 0,
        Some(token) => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.parse::<usize>().ok())
            .ok_or(Refusal("InvalidOffset", "The offset token is not valid."))?,
    };
    let total = items.len();
    let data: Vec<Value> = items.into_iter().skip(start).take(limit).collect();
    let has_next = start + limit < total;
    let mut body = json!({ "data": data, "hasNext": has_next });
    if has_next {
        body["next"] =
            json!(base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode((start + limit).to_string()));
    }
    Ok(Json(body))
}

async fn list_postings(State(sim): Sim, Query(params): Query<PageParams>) -> Response {
    let items = sim.with_data(|d| {
        d.jobs
            .iter()
            .map(|j| {
                json!({
                    "id": Dialect::Lever.job_id(j.id), "text": j.title, "state": "published",
                    "categories": { "team": j.department, "location": j.location },
                    "createdAt": j.created_at.timestamp_millis(),
                })
            })
            .collect()
    });
    page(items, &params).into_response()
}

async fn list_stages(Query(params): Query<PageParams>) -> Response {
    let items = STAGES
        .iter()
        .enumerate()
        .map(|(i, name)| json!({ "id": stage_uuid(i), "text": name }))
        .collect();
    page(items, &params).into_response()
}

async fn list_users(State(sim): Sim, Query(params): Query<PageParams>) -> Response {
    let items = sim.with_data(|d| {
        d.users
            .iter()
            .map(|u| json!({"id": user_uuid(u.id), "name": format!("{} {}", u.first_name, u.last_name), "email": u.email, "accessRole": "admin"}))
            .collect()
    });
    page(items, &params).into_response()
}

fn opportunity_json(d: &Dataset, app: &Application) -> Value {
    let candidate = d.candidate(app.candidate_id);
    json!({
        "id": Dialect::Lever.application_id(app.id),
        "name": candidate.map(|c| format!("{} {}", c.first_name, c.last_name)),
        "emails": candidate.map(|c| c.emails.clone()).unwrap_or_default(),
        "phones": candidate.map(|c| c.phones.iter().map(|p| json!({"type": "mobile", "value": p})).collect::<Vec<_>>()).unwrap_or_default(),
        "stage": stage_uuid(app.stage),
        "applications": [Dialect::Lever.job_id(app.job_id)],
        "contact": Dialect::Lever.candidate_id(app),
        "archived": Value::Null,
        "createdAt": app.applied_at.timestamp_millis(),
        "lastAdvancedAt": app.last_activity_at.timestamp_millis(),
    })
}

#[derive(Debug, Deserialize)]
struct OpportunityFilter {
    posting_id: Option<String>,
    stage_id: Option<String>,
    email: Option<String>,
}

async fn list_opportunities(
    State(sim): Sim,
    Query(params): Query<PageParams>,
    Query(filter): Query<OpportunityFilter>,
) -> Response {
    let posting = filter.posting_id.as_deref();
    let items = sim.with_data(|d| {
        d.applications
            .iter()
            .filter(|a| posting.is_none_or(|p| p == Dialect::Lever.job_id(a.job_id)))
            .filter(|a| {
                filter
                    .stage_id
                    .as_deref()
                    .is_none_or(|s| s == stage_uuid(a.stage))
            })
            .filter(|a| {
                filter.email.as_deref().is_none_or(|e| {
                    d.candidate(a.candidate_id)
                        .is_some_and(|c| c.emails.iter().any(|x| x.eq_ignore_ascii_case(e)))
                })
            })
            .map(|a| opportunity_json(d, a))
            .collect()
    });
    page(items, &params).into_response()
}

fn find_opportunity(d: &Dataset, id: &str) -> Option<Application> {
    Dialect::Lever
        .application_from(id)
        .and_then(|n| d.application(n).cloned())
}

async fn get_opportunity(State(sim): Sim, Path(id): Path<String>) -> Response {
    sim.with_data(|d| find_opportunity(d, &id).map(|a| opportunity_json(d, &a)))
        .map_or_else(no_opportunity, |o| Json(json!({"data": o})).into_response())
}

#[derive(Debug, Deserialize)]
struct PerformAs {
    perform_as: Option<String>,
}

fn actor(sim: &AtsSim, perform_as: Option<String>) -> Result<Option<String>, Refusal> {
    match perform_as {
        None => Ok(None),
        Some(user) if sim.with_data(|d| d.users.iter().any(|u| user_uuid(u.id) == user)) => {
            Ok(Some(user))
        }
        Some(_) => Err(Refusal(
            "InvalidPerformAs",
            "perform_as does not name a user.",
        )),
    }
}

#[derive(Debug, Deserialize)]
struct NoteBody {
    value: Option<String>,
    secret: Option<bool>,
    score: Option<f64>,
}

async fn create_note(
    State(sim): Sim,
    Path(id): Path<String>,
    Query(who): Query<PerformAs>,
    Json(note): Json<NoteBody>,
) -> Response {
    let actor = match actor(&sim, who.perform_as) {
        Ok(a) => a,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(value) = note.value.filter(|v| !v.trim().is_empty()) else {
        return error(StatusCode::BAD_REQUEST, "InvalidBody", "value is required.");
    };
    sim.with_data(|d| {
        let Some(app) = find_opportunity(d, &id) else {
            return no_opportunity();
        };
        let write = d.record(
            "lever",
            "note",
            app.id,
            actor,
            json!({"value": value, "secret": note.secret.unwrap_or(false), "score": note.score}),
        );
        (
            StatusCode::CREATED,
            Json(json!({"data": {"noteId": uuid(NOTE, write.id)}})),
        )
            .into_response()
    })
}

async fn list_notes(State(sim): Sim, Path(id): Path<String>) -> Response {
    sim.with_data(|d| {
        let Some(app) = find_opportunity(d, &id) else {
            return no_opportunity();
        };
        let notes: Vec<Value> = d
            .writes
            .iter()
            .filter(|w| w.ats == "lever" && w.kind == "note" && w.application_id == app.id)
            .map(|w| json!({"id": uuid(NOTE, w.id), "text": w.body["value"], "secret": w.body["secret"], "createdAt": w.at.timestamp_millis()}))
            .collect();
        Json(json!({"data": notes, "hasNext": false})).into_response()
    })
}

#[derive(Debug, Deserialize)]
struct StageBody {
    stage: Option<String>,
}

async fn change_stage(
    State(sim): Sim,
    Path(id): Path<String>,
    Query(who): Query<PerformAs>,
    Json(body): Json<StageBody>,
) -> Response {
    let actor = match actor(&sim, who.perform_as) {
        Ok(a) => a,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(target) = body
        .stage
        .as_deref()
        .and_then(|s| (0..STAGES.len()).find(|i| stage_uuid(*i) == s))
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidBody",
            "stage must be a stage id.",
        );
    };
    sim.with_data(|d| {
        let Some(app) = find_opportunity(d, &id) else {
            return no_opportunity();
        };
        if d.move_application(app.id, target).is_err() {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidStage",
                "The posting's pipeline has no such stage.",
            );
        }
        d.record(
            "lever",
            "move",
            app.id,
            actor,
            json!({"from": stage_uuid(app.stage), "to": stage_uuid(target)}),
        );
        let moved = d.application(app.id).cloned().unwrap_or(app);
        Json(json!({"data": opportunity_json(d, &moved)})).into_response()
    })
}

#[derive(Debug, Deserialize)]
struct LinksBody {
    links: Option<Vec<String>>,
}

async fn add_links(
    State(sim): Sim,
    Path(id): Path<String>,
    Query(who): Query<PerformAs>,
    Json(body): Json<LinksBody>,
) -> Response {
    let actor = match actor(&sim, who.perform_as) {
        Ok(a) => a,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(links) = body.links.filter(|l| !l.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidBody",
            "links must be a non-empty list.",
        );
    };
    sim.with_data(|d| {
        let Some(app) = find_opportunity(d, &id) else {
            return no_opportunity();
        };
        d.record("lever", "links", app.id, actor, json!({"links": links}));
        Json(json!({"data": opportunity_json(d, &app)})).into_response()
    })
}

async fn list_files(State(sim): Sim, Path(id): Path<String>) -> Response {
    sim.with_data(|d| {
        let Some(app) = find_opportunity(d, &id) else {
            return no_opportunity();
        };
        let files: Vec<Value> = d
            .writes
            .iter()
            .filter(|w| w.ats == "lever" && w.kind == "file" && w.application_id == app.id)
            .map(|w| json!({"id": uuid(FILE, w.id), "name": w.body["filename"]}))
            .collect();
        Json(json!({"data": files, "hasNext": false})).into_response()
    })
}

/// A multipart upload with one `file` part.
async fn upload_file(
    State(sim): Sim,
    Path(id): Path<String>,
    Query(who): Query<PerformAs>,
    mut form: axum::extract::Multipart,
) -> Response {
    let actor = match actor(&sim, who.perform_as) {
        Ok(a) => a,
        Err(refusal) => return refusal.into_response(),
    };
    let mut file = None;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().map(str::to_owned);
            let content_type = field.content_type().map(str::to_owned);
            let Ok(bytes) = field.bytes().await else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "InvalidBody",
                    "the file could not be read.",
                );
            };
            file = Some((name, content_type, bytes.len()));
        }
    }
    let Some((name, content_type, size)) = file else {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidBody",
            "a `file` part is required.",
        );
    };
    sim.with_data(|d| {
        let Some(app) = find_opportunity(d, &id) else {
            return no_opportunity();
        };
        let write = d.record(
            "lever",
            "file",
            app.id,
            actor,
            json!({"filename": name, "content_type": content_type, "size": size}),
        );
        (
            StatusCode::CREATED,
            Json(json!({"data": {"id": uuid(FILE, write.id), "name": name}})),
        )
            .into_response()
    })
}

async fn delete_note(
    State(sim): Sim,
    Path((id, note)): Path<(String, String)>,
    Query(who): Query<PerformAs>,
) -> Response {
    remove(&sim, &id, who, "note", NOTE, &note)
}

async fn delete_file(
    State(sim): Sim,
    Path((id, file)): Path<(String, String)>,
    Query(who): Query<PerformAs>,
) -> Response {
    remove(&sim, &id, who, "file", FILE, &file)
}

/// Deletes a note or file of the opportunity: 204, or 404 when it has none by that id (never
/// written, or deleted already).
fn remove(
    sim: &AtsSim,
    opportunity: &str,
    who: PerformAs,
    kind: &str,
    uuid_kind: u32,
    item: &str,
) -> Response {
    if let Err(refusal) = actor(sim, who.perform_as) {
        return refusal.into_response();
    }
    sim.with_data(|d| {
        let Some(app) = find_opportunity(d, opportunity) else {
            return no_opportunity();
        };
        let removed =
            parse_uuid(item, uuid_kind).is_some_and(|n| d.remove_write("lever", kind, app.id, n));
        if removed {
            StatusCode::NO_CONTENT.into_response()
        } else {
            error(
                StatusCode::NOT_FOUND,
                "ResourceNotFound",
                &format!("No such {kind}."),
            )
        }
    })
}
