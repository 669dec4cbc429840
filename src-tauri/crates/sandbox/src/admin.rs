//! `/_admin/...`: what tests and developers use to steer the simulators at run time. None of this
//! exists on the real services.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::ats::dataset::STAGES;
use crate::ats::{AshbyWebhook, AtsSim};
use crate::faults::{FaultRule, Faults};
use crate::willo::model::{ParticipantStatus, Role};
use crate::willo::{ListShape, WilloLimits, WilloSim};
use crate::SandboxInfo;

#[derive(Clone)]
pub struct Admin {
    pub willo: Arc<WilloSim>,
    pub ats: Arc<AtsSim>,
    pub faults: Faults,
    pub info: Arc<std::sync::OnceLock<SandboxInfo>>,
}

pub fn router(admin: Admin) -> Router {
    Router::new()
        .route("/_admin/info", get(info))
        .route(
            "/_admin/faults",
            get(list_faults)
                .put(set_faults)
                .post(add_fault)
                .delete(clear_faults),
        )
        .route(
            "/_admin/willo/participants/{key}/advance",
            post(advance_participant),
        )
        .route("/_admin/willo/participants", get(participants))
        .route("/_admin/willo/deliveries", get(deliveries))
        .route("/_admin/willo/rate-limit", put(set_willo_limits))
        .route("/_admin/willo/requests", get(willo_requests))
        .route("/_admin/willo/list-shape", put(set_list_shape))
        .route("/_admin/willo/users", post(add_willo_user))
        .route("/_admin/ats/writes", get(writes))
        .route("/_admin/ats/applications/{id}/move", post(move_application))
        .route("/_admin/ats/candidates/{id}/name", put(rename_candidate))
        .route("/_admin/ats/advance-one", post(advance_one))
        .route("/_admin/ats/expire-tokens", post(expire_tokens))
        .route(
            "/_admin/ats/ashby/webhook",
            get(ashby_webhook)
                .put(set_ashby_webhook)
                .delete(clear_ashby_webhook),
        )
        .route(
            "/_admin/ats/ashby/expire-sync-tokens",
            post(expire_sync_tokens),
        )
        .route("/_admin/ats/webhook-deliveries", get(webhook_deliveries))
        .with_state(admin)
}

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "detail": message }))).into_response()
}

async fn info(State(a): State<Admin>) -> Response {
    a.info.get().map_or_else(
        || StatusCode::SERVICE_UNAVAILABLE.into_response(),
        |i| Json(i).into_response(),
    )
}

async fn list_faults(State(a): State<Admin>) -> Json<Vec<FaultRule>> {
    Json(a.faults.list())
}

async fn set_faults(State(a): State<Admin>, Json(rules): Json<Vec<FaultRule>>) -> StatusCode {
    a.faults.set(rules);
    StatusCode::NO_CONTENT
}

async fn add_fault(State(a): State<Admin>, Json(rule): Json<FaultRule>) -> StatusCode {
    a.faults.add(rule);
    StatusCode::NO_CONTENT
}

async fn clear_faults(State(a): State<Admin>) -> StatusCode {
    a.faults.clear();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct AdvanceBody {
    to: Option<ParticipantStatus>,
}

async fn advance_participant(
    State(a): State<Admin>,
    Path(key): Path<String>,
    body: Option<Json<AdvanceBody>>,
) -> Response {
    let target = body.and_then(|Json(b)| b.to);
    match a.willo.advance(&key, target) {
        Some(status) => Json(json!({ "key": key, "status": status })).into_response(),
        None => bad_request("no such participant, or it is already at that status"),
    }
}

/// Who has been invited: each participant's key, email and status.
async fn participants(State(a): State<Admin>) -> Response {
    Json(a.willo.with_data(|d| {
        d.participants
            .iter()
            .map(|p| json!({ "key": p.key, "email": p.email, "status": p.status }))
            .collect::<Vec<_>>()
    }))
    .into_response()
}

async fn deliveries(State(a): State<Admin>) -> Response {
    Json(a.willo.with_data(|d| d.deliveries.clone())).into_response()
}

/// `{"per_second": 10, "per_minute": 100, "per_day": 50000, "status": 403}`; a limit left out
/// or 0 is none.
async fn set_willo_limits(State(a): State<Admin>, Json(limits): Json<WilloLimits>) -> Response {
    if !matches!(limits.status, 403 | 429) {
        return bad_request("status must be 403 or 429");
    }
    a.willo.set_limits(limits);
    StatusCode::NO_CONTENT.into_response()
}

/// Every request the simulated Willo received, and how many it throttled.
async fn willo_requests(State(a): State<Admin>) -> Response {
    Json(a.willo.requests()).into_response()
}

/// `{"filters": false, "statuses": false}`: the participants list ignores its filters, and its
/// items do not say how far each participant got.
async fn set_list_shape(State(a): State<Admin>, Json(shape): Json<ListShape>) -> StatusCode {
    a.willo.set_list_shape(shape);
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct NewUser {
    organisation: String,
    #[serde(default)]
    standard: bool,
}

/// Adds a user (and API key) to an organisation, new or existing: `{"organisation": "..."}`.
async fn add_willo_user(State(a): State<Admin>, Json(user): Json<NewUser>) -> Response {
    let role = if user.standard {
        Role::Standard
    } else {
        Role::Admin
    };
    let api_key = a.willo.with_data(|d| d.add_user(&user.organisation, role));
    (StatusCode::CREATED, Json(json!({ "api_key": api_key }))).into_response()
}

#[derive(Debug, Deserialize)]
struct WriteFilter {
    ats: Option<String>,
    kind: Option<String>,
}

async fn writes(State(a): State<Admin>, Query(f): Query<WriteFilter>) -> Response {
    let writes = a
        .ats
        .with_data(|d| d.writes_to(f.ats.as_deref(), f.kind.as_deref()));
    Json(writes).into_response()
}

#[derive(Debug, Deserialize)]
struct MoveBody {
    stage: String,
}

async fn move_application(
    State(a): State<Admin>,
    Path(id): Path<u64>,
    Json(body): Json<MoveBody>,
) -> Response {
    let Some(stage) = STAGES
        .iter()
        .position(|s| s.eq_ignore_ascii_case(&body.stage))
    else {
        return bad_request("no stage by that name");
    };
    match a.ats.with_data(|d| d.move_application(id, stage)) {
        Ok(()) => Json(json!({ "application_id": id, "stage": STAGES.get(stage) })).into_response(),
        Err(reason) => bad_request(reason),
    }
}

#[derive(Debug, Deserialize)]
struct NameBody {
    first_name: String,
    last_name: String,
}

/// Renames a candidate, as a recruiter editing them in the ATS would (any text is kept as given:
/// tests use it to give a candidate a hostile name).
async fn rename_candidate(
    State(a): State<Admin>,
    Path(id): Path<u64>,
    Json(body): Json<NameBody>,
) -> Response {
    let renamed = a.ats.with_data(|d| {
        d.candidates.iter_mut().find(|c| c.id == id).map(|c| {
            c.first_name = body.first_name;
            c.last_name = body.last_name;
        })
    });
    match renamed {
        Some(()) => StatusCode::NO_CONTENT.into_response(),
        None => bad_request("no such candidate"),
    }
}

async fn advance_one(State(a): State<Admin>) -> Response {
    Json(json!({ "application_id": a.ats.advance_one_applicant() })).into_response()
}

async fn expire_tokens(State(a): State<Admin>) -> StatusCode {
    a.ats.expire_tokens();
    StatusCode::NO_CONTENT
}

async fn expire_sync_tokens(State(a): State<Admin>) -> StatusCode {
    a.ats.expire_sync_tokens();
    StatusCode::NO_CONTENT
}

/// The Ashby webhook stage changes are sent to, or `null`.
async fn ashby_webhook(State(a): State<Admin>) -> Response {
    Json(a.ats.ashby_webhook()).into_response()
}

/// `{"url": "...", "secret": "..."}`: what Ashby's admin screens set up.
async fn set_ashby_webhook(State(a): State<Admin>, Json(hook): Json<AshbyWebhook>) -> Response {
    if !url::Url::parse(&hook.url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
        return bad_request("url must be an http(s) URL");
    }
    if hook.secret.is_empty() {
        return bad_request("secret must not be empty");
    }
    a.ats.set_ashby_webhook(Some(hook));
    StatusCode::NO_CONTENT.into_response()
}

async fn clear_ashby_webhook(State(a): State<Admin>) -> StatusCode {
    a.ats.set_ashby_webhook(None);
    StatusCode::NO_CONTENT
}

/// Every Ashby and Workable webhook delivery so far, oldest first.
async fn webhook_deliveries(State(a): State<Admin>) -> Response {
    Json(a.ats.webhook_deliveries()).into_response()
}
