//! Ashby dialect: RPC-style `POST /ashby/<category.method>` with a JSON body, Basic auth with the
//! API key as user name (401 without it, 403 for a wrong key), `{success, results}` answers and
//! `{success, results, moreDataAvailable, nextCursor, syncToken}` lists with incremental sync,
//! errors as HTTP 200 with `success: false` (as Ashby documents), stages that belong to each job's
//! interview plan, notes and files on the candidate, and 429 with `Retry-After` when over the
//! sandbox's per-minute limit (Ashby publishes no figure).
//!
//! Method names and bodies follow `ats-apis.md` §4 where it records them; where Ashby's shapes
//! are unconfirmed (`candidate.uploadFile`, `customField.setValue`'s answer) the sandbox's choice
//! is listed in the README.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::dataset::{Application, AtsUser, Candidate, Dataset, Job, STAGES};
use super::{ashby_candidate_id, basic_credentials, iso, uuid, AtsSim, Dialect};
use crate::faults::lock;
use crate::throttle::{retry_after_secs, Verdict};

pub const ASHBY_API_KEY: &str = "sandbox-ashby-key-3c7e91f4";

const PREFIX: &str = "/ashby";
const ATS: Dialect = Dialect::Ashby;
const MAX_LIMIT: u64 = 100;

/// Id kinds only this dialect uses (see `super::kind`).
const PLAN: u32 = 0x6170_6c6e;
const STAGE_GROUP: u32 = 0x6167_7270;
const DEPARTMENT: u32 = 0x6164_7074;
const LOCATION: u32 = 0x616c_6f63;
const NOTE: u32 = 0x616e_6f74;
const FILE: u32 = 0x6166_696c;

type Sim = State<Arc<AtsSim>>;

pub fn router(sim: Arc<AtsSim>) -> Router {
    let api = Router::new()
        .route("/user.list", post(user_list))
        .route("/department.list", post(department_list))
        .route("/location.list", post(location_list))
        .route("/job.list", post(job_list))
        .route("/job.info", post(job_info))
        .route("/jobInterviewPlan.info", post(job_interview_plan))
        .route("/interviewStage.list", post(interview_stage_list))
        .route("/application.list", post(application_list))
        .route("/application.info", post(application_info))
        .route("/application.changeStage", post(change_stage))
        // The deprecated alias Ashby still documents.
        .route("/application.change_stage", post(change_stage))
        .route("/candidate.info", post(candidate_info))
        .route("/candidate.createNote", post(create_note))
        .route("/candidate.listNotes", post(list_notes))
        .route("/candidate.uploadFile", post(upload_file))
        .route("/customField.setValue", post(set_custom_field))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                Json(json!({ "success": false, "errors": ["not_found"] })),
            )
        })
        .layer(middleware::from_fn_with_state(Arc::clone(&sim), basic_auth))
        .with_state(sim);
    Router::new().nest(PREFIX, api)
}

/// A refused call: Ashby answers HTTP 200 with `success: false`, the code in `errorInfo.code`
/// and `errors`.
#[derive(Debug)]
struct Refusal(&'static str, &'static str);

fn invalid(message: &'static str) -> Refusal {
    Refusal("invalid_input", message)
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        Json(json!({
            "success": false,
            "errorInfo": { "code": self.0, "message": self.1 },
            "errors": [self.0],
        }))
        .into_response()
    }
}

type Answer = Result<Json<Value>, Refusal>;

fn ok(results: Value) -> Answer {
    Ok(Json(json!({ "success": true, "results": results })))
}

async fn basic_auth(State(sim): Sim, request: Request, next: Next) -> Response {
    let Some((key, _)) = basic_credentials(request.headers()) else {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({
                "success": false,
                "errors": ["Missing or malformed Authorization header: use HTTP Basic with the API key as the user name."],
            })),
        )
            .into_response();
    };
    if key != ASHBY_API_KEY {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({
                "success": false,
                "errorInfo": { "code": "invalid_api_key", "message": "The API key is not valid or has been deactivated." },
                "errors": ["invalid_api_key"],
            })),
        )
            .into_response();
    }
    if let Verdict::Throttled { retry_after } = sim.ashby_throttle.check(&key) {
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({ "success": false, "errors": ["rate_limit_exceeded"] })),
        )
            .into_response();
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(retry_after_secs(retry_after)),
        );
        return response;
    }
    next.run(request).await
}

/// The call's JSON body; an empty body is `{}`.
fn params<T: DeserializeOwned>(body: &Bytes) -> Result<T, Refusal> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|_| {
        invalid("The request body is not a JSON object with this endpoint's parameters.")
    })
}

// ---- lists ----------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
struct PageParams {
    cursor: Option<String>,
    limit: Option<u64>,
}

fn limit(asked: Option<u64>) -> usize {
    usize::try_from(asked.filter(|l| *l > 0).unwrap_or(MAX_LIMIT).min(MAX_LIMIT)).unwrap_or(100)
}

/// One page of a list that does not change while it is read: the cursor is a base64 index.
fn page(items: Vec<Value>, params: &PageParams) -> Answer {
    let size = limit(params.limit);
    let start = match params.cursor.as_deref() {
        None | Some("") => 0,
        Some(cursor) => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.parse::<usize>().ok())
            .ok_or(Refusal(
                "next_cursor_expired",
                "The cursor is not valid or has expired.",
            ))?,
    };
    let total = items.len();
    let results: Vec<Value> = items.into_iter().skip(start).take(size).collect();
    let more = start + size < total;
    let mut body = json!({ "success": true, "results": results, "moreDataAvailable": more });
    if more {
        body["nextCursor"] = json!(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode((start + size).to_string())
        );
    }
    Ok(Json(body))
}

// ---- objects --------------------------------------------------------------------------------------

/// An id for a department or location name (the dataset keeps names only).
fn named_id(kind: u32, name: &str) -> String {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    uuid(kind, hash & 0xffff_ffff_ffff)
}

fn plan_id(job: u64) -> String {
    uuid(PLAN, job)
}

/// Ashby's stage types for the dataset's stages.
fn stage_type(stage: usize) -> &'static str {
    match STAGES.get(stage).copied() {
        Some("Application Review") => "PreInterviewScreen",
        Some("Offer") => "Offer",
        Some("Hired") => "Hired",
        _ => "Active",
    }
}

fn application_status(status: &str) -> &'static str {
    match status {
        "hired" => "Hired",
        "rejected" | "archived" => "Archived",
        "lead" | "prospect" => "Lead",
        _ => "Active",
    }
}

fn stage_json(job: &Job, stage: usize) -> Value {
    json!({
        "id": ATS.stage_id(job.id, stage),
        "title": STAGES.get(stage),
        "type": stage_type(stage),
        "orderInInterviewPlan": job.stages.iter().position(|s| *s == stage),
        "interviewStageGroupId": uuid(STAGE_GROUP, job.id * 100 + stage as u64),
        "interviewPlanId": plan_id(job.id),
    })
}

fn job_json(job: &Job) -> Value {
    json!({
        "id": ATS.job_id(job.id),
        "title": job.title,
        "status": if job.status == "open" { "Open" } else { "Closed" },
        "departmentId": named_id(DEPARTMENT, &job.department),
        "locationId": named_id(LOCATION, &job.location),
        "employmentType": "FullTime",
        "interviewPlanIds": [plan_id(job.id)],
        "createdAt": iso(job.created_at),
    })
}

fn user_json(user: &AtsUser) -> Value {
    json!({
        "id": ATS.user_id(user.id),
        "firstName": user.first_name,
        "lastName": user.last_name,
        "email": user.email,
        "globalRole": "Admin",
        "isEnabled": true,
    })
}

fn email_json(email: &str) -> Value {
    json!({ "value": email, "type": "Personal", "isPrimary": true })
}

fn phone_json(phone: &str) -> Value {
    json!({ "value": phone, "type": "Mobile", "isPrimary": true })
}

/// The application object, as lists, `application.info`, `application.changeStage` and the
/// `candidateStageChange` webhook give it.
pub(super) fn application_json(d: &Dataset, app: &Application) -> Value {
    let candidate = d.candidate(app.candidate_id);
    let job = d.job(app.job_id);
    let stage = job.map(|j| stage_json(j, app.stage)).map(|mut s| {
        if let Some(s) = s.as_object_mut() {
            s.remove("interviewStageGroupId");
        }
        s
    });
    // The latest value of each custom field set on the application.
    let mut fields: Vec<Value> = Vec::new();
    for w in d
        .writes
        .iter()
        .filter(|w| w.ats == ATS.name() && w.kind == "field" && w.application_id == app.id)
        .filter(|w| w.body["objectType"] == "Application")
    {
        fields.retain(|f| f["id"] != w.body["fieldId"]);
        fields.push(json!({
            "id": w.body["fieldId"], "title": w.body["fieldId"], "isPrivate": false, "value": w.body["fieldValue"],
        }));
    }
    json!({
        "id": ATS.application_id(app.id),
        "createdAt": iso(app.applied_at),
        "updatedAt": iso(d.updated_at(app)),
        "status": application_status(&app.status),
        "candidate": {
            "id": ATS.candidate_id(app),
            "name": candidate.map(full_name),
            "primaryEmailAddress": candidate.and_then(|c| c.emails.first()).map(|e| email_json(e)),
            "primaryPhoneNumber": candidate.and_then(|c| c.phones.first()).map(|p| phone_json(p)),
        },
        "currentInterviewStage": stage,
        "job": job.map(|j| json!({
            "id": ATS.job_id(j.id),
            "title": j.title,
            "locationId": named_id(LOCATION, &j.location),
            "departmentId": named_id(DEPARTMENT, &j.department),
        })),
        "customFields": fields,
    })
}

fn full_name(c: &Candidate) -> String {
    format!("{} {}", c.first_name, c.last_name)
}

fn candidate_json(d: &Dataset, c: &Candidate) -> Value {
    let applications: Vec<&Application> = d
        .applications
        .iter()
        .filter(|a| a.candidate_id == c.id)
        .collect();
    let files: Vec<Value> = d
        .writes
        .iter()
        .filter(|w| w.ats == ATS.name() && w.kind == "file" && w.candidate_id == c.id)
        .map(|w| {
            json!({
                "id": uuid(FILE, w.id),
                "name": w.body["filename"],
                "handle": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("sandbox-file-{}", w.id)),
            })
        })
        .collect();
    // Only the first of each is primary.
    let listed = |values: &[String], kind: &str| {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| json!({ "value": v, "type": kind, "isPrimary": i == 0 }))
            .collect::<Vec<_>>()
    };
    json!({
        "id": ashby_candidate_id(c.id),
        "name": full_name(c),
        "primaryEmailAddress": c.emails.first().map(|e| email_json(e)),
        "emailAddresses": listed(&c.emails, "Personal"),
        "primaryPhoneNumber": c.phones.first().map(|p| phone_json(p)),
        "phoneNumbers": listed(&c.phones, "Mobile"),
        "fileHandles": files,
        "applicationIds": applications.iter().map(|a| ATS.application_id(a.id)).collect::<Vec<_>>(),
        "createdAt": iso(c.created_at),
    })
}

fn find_candidate<'d>(d: &'d Dataset, id: &str) -> Option<&'d Candidate> {
    d.candidates.iter().find(|c| ashby_candidate_id(c.id) == id)
}

/// The application a write on the candidate is recorded against: their first active one, or
/// their first.
fn candidate_application(d: &Dataset, candidate: u64) -> Option<u64> {
    let mut theirs = d
        .applications
        .iter()
        .filter(|a| a.candidate_id == candidate);
    let first = theirs.clone().next().map(|a| a.id);
    theirs
        .find(|a| a.status == "active")
        .map(|a| a.id)
        .or(first)
}

/// The user API-key writes are attributed to: the integration user, as Ashby attributes them
/// to the key's owner (a sandbox choice).
fn api_user(d: &Dataset) -> Value {
    d.users
        .iter()
        .find(|u| u.email.starts_with("integrations@"))
        .or(d.users.first())
        .map_or(Value::Null, |u| {
            json!({ "id": ATS.user_id(u.id), "firstName": u.first_name, "lastName": u.last_name, "email": u.email })
        })
}

// ---- endpoints ------------------------------------------------------------------------------------

async fn user_list(State(sim): Sim, body: Bytes) -> Answer {
    let params: PageParams = params(&body)?;
    page(
        sim.with_data(|d| d.users.iter().map(user_json).collect()),
        &params,
    )
}

fn named_list(sim: &AtsSim, kind: u32, name: fn(&Job) -> &str, body: &Bytes) -> Answer {
    let params: PageParams = params(body)?;
    let mut names: Vec<String> =
        sim.with_data(|d| d.jobs.iter().map(|j| name(j).to_owned()).collect());
    names.sort();
    names.dedup();
    let items = names
        .iter()
        .map(|n| json!({ "id": named_id(kind, n), "name": n, "isArchived": false }))
        .collect();
    page(items, &params)
}

async fn department_list(State(sim): Sim, body: Bytes) -> Answer {
    named_list(&sim, DEPARTMENT, |j| &j.department, &body)
}

async fn location_list(State(sim): Sim, body: Bytes) -> Answer {
    named_list(&sim, LOCATION, |j| &j.location, &body)
}

async fn job_list(State(sim): Sim, body: Bytes) -> Answer {
    let params: PageParams = params(&body)?;
    page(
        sim.with_data(|d| d.jobs.iter().map(job_json).collect()),
        &params,
    )
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobRef {
    id: Option<String>,
    job_id: Option<String>,
}

fn find_job(d: &Dataset, id: Option<&str>) -> Option<Job> {
    let id = id?;
    d.jobs.iter().find(|j| ATS.job_id(j.id) == id).cloned()
}

async fn job_info(State(sim): Sim, body: Bytes) -> Answer {
    let params: JobRef = params(&body)?;
    let job = sim.with_data(|d| find_job(d, params.id.as_deref()));
    ok(job_json(&job.ok_or(invalid("id must name a job."))?))
}

async fn job_interview_plan(State(sim): Sim, body: Bytes) -> Answer {
    let params: JobRef = params(&body)?;
    let job = sim
        .with_data(|d| find_job(d, params.job_id.as_deref()))
        .ok_or(invalid("jobId must name a job."))?;
    ok(json!({ "jobId": ATS.job_id(job.id), "interviewPlanId": plan_id(job.id) }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StageListParams {
    interview_plan_id: Option<String>,
    #[serde(flatten)]
    page: PageParams,
}

async fn interview_stage_list(State(sim): Sim, body: Bytes) -> Answer {
    let params: StageListParams = params(&body)?;
    let job = sim
        .with_data(|d| {
            d.jobs
                .iter()
                .find(|j| Some(plan_id(j.id)) == params.interview_plan_id)
                .cloned()
        })
        .ok_or(invalid("interviewPlanId must name an interview plan."))?;
    let stages = job.stages.iter().map(|s| stage_json(&job, *s)).collect();
    page(stages, &params.page)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApplicationListParams {
    limit: Option<u64>,
    cursor: Option<String>,
    sync_token: Option<String>,
    job_id: Option<String>,
    status: Option<String>,
    /// Unix milliseconds.
    created_after: Option<i64>,
}

/// Where a listing of applications stands, carried from page to page in `nextCursor`: pages
/// are read by id, after the last one given, so an application that changes while the list is
/// read is neither skipped nor given twice on later pages.
#[derive(Debug, Serialize, Deserialize)]
struct ListState {
    /// The last application id given.
    after: u64,
    /// Incremental: only applications changed after this change number.
    since: Option<u64>,
    /// The change number when the listing began: the last page's `syncToken` names it, so a
    /// change made while the pages were read is given again next time.
    began: u64,
    job: Option<String>,
    status: Option<String>,
    created_after: Option<i64>,
}

async fn application_list(State(sim): Sim, body: Bytes) -> Answer {
    let params: ApplicationListParams = params(&body)?;
    let size = limit(params.limit);
    let resumed = match params.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(cursor) => Some(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(cursor)
                .ok()
                .and_then(|b| serde_json::from_slice::<ListState>(&b).ok())
                .ok_or(Refusal(
                    "next_cursor_expired",
                    "The cursor is not valid or has expired.",
                ))?,
        ),
        None => None,
    };
    let since = match (&resumed, params.sync_token.as_deref()) {
        (None, Some(token)) => match lock(&sim.sync_tokens).get(token) {
            Some((change, expiry)) if *expiry > Instant::now() => Some(*change),
            _ => {
                return Err(Refusal(
                    "sync_token_expired",
                    "The sync token has expired: run a full sync.",
                ))
            }
        },
        _ => None,
    };
    let (state, results, more) = sim.with_data(|d| {
        let now = d.note_changes();
        let state = resumed.unwrap_or(ListState {
            after: 0,
            since,
            began: now,
            job: params.job_id,
            status: params.status,
            created_after: params.created_after,
        });
        let mut matching: Vec<&Application> = d
            .applications
            .iter()
            .filter(|a| a.id > state.after)
            .filter(|a| state.since.is_none_or(|s| d.changed_after(a.id, s)))
            .filter(|a| {
                state
                    .job
                    .as_ref()
                    .is_none_or(|j| *j == ATS.job_id(a.job_id))
            })
            .filter(|a| {
                state
                    .status
                    .as_deref()
                    .is_none_or(|s| s == application_status(&a.status))
            })
            .filter(|a| {
                state
                    .created_after
                    .is_none_or(|t| a.applied_at.timestamp_millis() > t)
            })
            .collect();
        matching.sort_by_key(|a| a.id);
        let more = matching.len() > size;
        let results: Vec<(u64, Value)> = matching
            .into_iter()
            .take(size)
            .map(|a| (a.id, application_json(d, a)))
            .collect();
        (state, results, more)
    });
    let mut body = json!({
        "success": true,
        "results": results.iter().map(|(_, v)| v).collect::<Vec<_>>(),
        "moreDataAvailable": more,
    });
    if more {
        let next = ListState {
            after: results.last().map_or(state.after, |(id, _)| *id),
            ..state
        };
        let next = serde_json::to_vec(&next).unwrap_or_default();
        body["nextCursor"] = json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(next));
    } else {
        let token = format!("sync-{}", crate::keys::hex_key(rand::random()));
        let expiry = Instant::now() + sim.settings.ashby_sync_token_ttl;
        lock(&sim.sync_tokens).insert(token.clone(), (state.began, expiry));
        body["syncToken"] = json!(token);
    }
    Ok(Json(body))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApplicationRef {
    application_id: Option<String>,
    interview_stage_id: Option<String>,
}

fn find_application(d: &Dataset, id: Option<&str>) -> Option<Application> {
    ATS.application_from(id?)
        .and_then(|n| d.application(n).cloned())
}

async fn application_info(State(sim): Sim, body: Bytes) -> Answer {
    let params: ApplicationRef = params(&body)?;
    sim.with_data(|d| {
        d.note_changes();
        let app = find_application(d, params.application_id.as_deref())
            .ok_or(invalid("applicationId must name an application."))?;
        ok(application_json(d, &app))
    })
}

async fn change_stage(State(sim): Sim, body: Bytes) -> Answer {
    let params: ApplicationRef = params(&body)?;
    let stage = params
        .interview_stage_id
        .ok_or(invalid("interviewStageId is required."))?;
    sim.with_data(|d| {
        let app = find_application(d, params.application_id.as_deref())
            .ok_or(invalid("applicationId must name an application."))?;
        let target = d
            .job(app.job_id)
            .and_then(|j| ATS.stage_of(j, &stage))
            .ok_or(invalid(
                "interviewStageId is not a stage of the application's interview plan.",
            ))?;
        d.move_application(app.id, target)
            .map_err(|_| invalid("The application cannot be moved to that stage."))?;
        d.record(
            ATS.name(),
            "move",
            app.id,
            None,
            json!({"from": ATS.stage_id(app.job_id, app.stage), "to": stage}),
        );
        d.note_changes();
        let moved = d.application(app.id).cloned().unwrap_or(app);
        ok(application_json(d, &moved))
    })
}

#[derive(Debug, Deserialize)]
struct CandidateRef {
    id: Option<String>,
}

async fn candidate_info(State(sim): Sim, body: Bytes) -> Answer {
    let params: CandidateRef = params(&body)?;
    sim.with_data(|d| {
        let candidate = params
            .id
            .as_deref()
            .and_then(|id| find_candidate(d, id))
            .ok_or(invalid("id must name a candidate."))?;
        ok(candidate_json(d, candidate))
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct NoteParams {
    candidate_id: Option<String>,
    note: Option<Value>,
    send_notifications: Option<bool>,
}

/// A note is plain text, or `{type: "text/plain" | "text/html", value}`.
fn note_content(note: Option<Value>) -> Result<(String, &'static str), Refusal> {
    let (value, kind) = match note {
        Some(Value::String(text)) => (text, "text/plain"),
        Some(Value::Object(mut note)) => {
            let kind = match note.get("type").and_then(Value::as_str) {
                Some("text/plain") | None => "text/plain",
                Some("text/html") => "text/html",
                Some(_) => return Err(invalid("note.type must be text/plain or text/html.")),
            };
            match note.remove("value") {
                Some(Value::String(text)) => (text, kind),
                _ => return Err(invalid("note.value must be text.")),
            }
        }
        _ => return Err(invalid("note is required: text, or {type, value}.")),
    };
    if value.trim().is_empty() {
        return Err(invalid("note must not be empty."));
    }
    Ok((value, kind))
}

fn note_json(d: &Dataset, w: &super::dataset::Write) -> Value {
    json!({
        "id": uuid(NOTE, w.id),
        "createdAt": iso(w.at),
        "content": w.body["content"],
        "author": api_user(d),
    })
}

async fn create_note(State(sim): Sim, body: Bytes) -> Answer {
    let params: NoteParams = params(&body)?;
    let (content, kind) = note_content(params.note)?;
    sim.with_data(|d| {
        let candidate = params
            .candidate_id
            .as_deref()
            .and_then(|id| find_candidate(d, id))
            .map(|c| c.id)
            .ok_or(invalid("candidateId must name a candidate."))?;
        let app = candidate_application(d, candidate)
            .ok_or(invalid("The candidate has no application."))?;
        let write = d.record(
            ATS.name(),
            "note",
            app,
            None,
            json!({"content": content, "type": kind, "sendNotifications": params.send_notifications.unwrap_or(false)}),
        );
        ok(note_json(d, &write))
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListNotesParams {
    candidate_id: Option<String>,
    #[serde(flatten)]
    page: PageParams,
}

async fn list_notes(State(sim): Sim, body: Bytes) -> Answer {
    let params: ListNotesParams = params(&body)?;
    let notes = sim.with_data(|d| {
        let candidate = params
            .candidate_id
            .as_deref()
            .and_then(|id| find_candidate(d, id))
            .ok_or(invalid("candidateId must name a candidate."))?
            .id;
        Ok(d.writes
            .iter()
            .filter(|w| w.ats == ATS.name() && w.kind == "note" && w.candidate_id == candidate)
            .map(|w| note_json(d, w))
            .collect())
    })?;
    page(notes, &params.page)
}

/// A multipart upload: a `candidateId` text part and a `file` part.
async fn upload_file(State(sim): Sim, form: Result<Multipart, MultipartRejection>) -> Answer {
    let mut form = form.map_err(|_| invalid("The body must be multipart/form-data."))?;
    let (mut candidate, mut file) = (None, None);
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("candidateId") => candidate = field.text().await.ok(),
            Some("file") => {
                let name = field.file_name().map(str::to_owned);
                let content_type = field.content_type().map(str::to_owned);
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| invalid("The file could not be read."))?;
                file = Some((name, content_type, bytes.len()));
            }
            _ => {}
        }
    }
    let (name, content_type, size) = file.ok_or(invalid("A `file` part is required."))?;
    sim.with_data(|d| {
        let candidate = candidate
            .as_deref()
            .and_then(|id| find_candidate(d, id))
            .map(|c| c.id)
            .ok_or(invalid("candidateId must name a candidate."))?;
        let app = candidate_application(d, candidate)
            .ok_or(invalid("The candidate has no application."))?;
        d.record(
            ATS.name(),
            "file",
            app,
            None,
            json!({"filename": name, "content_type": content_type, "size": size}),
        );
        let candidate = d
            .candidate(candidate)
            .ok_or(invalid("candidateId must name a candidate."))?;
        ok(candidate_json(d, candidate))
    })
}

async fn set_custom_field(State(sim): Sim, body: Bytes) -> Answer {
    let params: Map<String, Value> = params(&body)?;
    let text = |key: &str| {
        params
            .get(key)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let (Some(object), Some(kind), Some(field)) =
        (text("objectId"), text("objectType"), text("fieldId"))
    else {
        return Err(invalid("objectId, objectType and fieldId are required."));
    };
    let Some(value) = params.get("fieldValue") else {
        return Err(invalid("fieldValue is required."));
    };
    sim.with_data(|d| {
        let app = match kind {
            "Application" => find_application(d, Some(object)).map(|a| a.id),
            "Candidate" => find_candidate(d, object).and_then(|c| candidate_application(d, c.id)),
            _ => return Err(invalid("objectType must be Application or Candidate.")),
        }
        .ok_or(invalid("objectId must name a record of objectType."))?;
        let body =
            json!({"objectId": object, "objectType": kind, "fieldId": field, "fieldValue": value});
        d.record(ATS.name(), "field", app, None, body.clone());
        ok(body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_types_follow_the_pipeline() {
        let types: Vec<&str> = (0..STAGES.len()).map(stage_type).collect();
        assert_eq!(
            types,
            [
                "PreInterviewScreen",
                "Active",
                "Active",
                "Active",
                "Active",
                "Offer",
                "Hired"
            ]
        );
    }

    #[test]
    fn a_note_is_text_or_typed() {
        assert_eq!(
            note_content(Some(json!("hi"))).unwrap(),
            ("hi".into(), "text/plain")
        );
        assert_eq!(
            note_content(Some(json!({"type": "text/html", "value": "<b>hi</b>"}))).unwrap(),
            ("<b>hi</b>".into(), "text/html")
        );
        assert!(note_content(Some(json!({"type": "text/markdown", "value": "x"}))).is_err());
        assert!(note_content(Some(json!("  "))).is_err());
        assert!(note_content(None).is_err());
    }
}
