//! Workable SPI v3 dialect: Bearer account token, the account's pipeline stages by slug,
//! candidates (one per application: a Workable candidate belongs to one job) with a server-side
//! stage filter, `paging.next` absolute URLs, comments with `member_id` and an optional base64
//! attachment, moves by stage slug, subscriptions for `candidate_moved` webhooks, and the
//! published 10 requests per 10 seconds for account tokens with `X-Rate-Limit-*` headers.
//!
//! Errors are `{"error": "..."}`: 401 without the token, 404 for unknown records, 422 for bad
//! bodies, 409 for a target subscribed twice, 429 over the limit (no `Retry-After`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::dataset::{Application, Dataset, Job, Write, STAGES};
use super::webhooks::SubscribeError;
use super::{iso, origin, parse_short_id, short_id, tag, AtsSim, Dialect};
use crate::throttle::{retry_after_secs, Verdict};

pub const WORKABLE_TOKEN: &str = "sandbox-workable-token-6b0d2e58";

const PREFIX: &str = "/workable/spi/v3";
const ATS: Dialect = Dialect::Workable;
const SUBDOMAIN: &str = "acme-sandbox";
const ACCOUNT_NAME: &str = "Acme (sandbox)";
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 100;

type Sim = State<Arc<AtsSim>>;

pub fn router(sim: Arc<AtsSim>) -> Router {
    let api = Router::new()
        .route("/members", get(list_members))
        .route("/stages", get(list_stages))
        .route("/jobs", get(list_jobs))
        .route("/jobs/{shortcode}", get(get_job))
        .route("/jobs/{shortcode}/stages", get(job_stages))
        .route("/candidates", get(list_candidates))
        .route("/candidates/{id}", get(get_candidate))
        .route("/candidates/{id}/comments", post(create_comment))
        .route("/candidates/{id}/activities", get(list_activities))
        .route("/candidates/{id}/move", post(move_candidate))
        .route(
            "/candidates/{id}/update_custom_attribute_value",
            patch(set_custom_attribute),
        )
        .route(
            "/subscriptions",
            get(list_subscriptions).post(create_subscription),
        )
        .route("/subscriptions/{id}", delete(delete_subscription))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "Not found") })
        .layer(middleware::from_fn_with_state(Arc::clone(&sim), bearer))
        .with_state(sim);
    Router::new().nest(PREFIX, api)
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// A refused request, small enough to pass around in `Result` (a `Response` is not).
#[derive(Debug)]
struct Refusal(StatusCode, &'static str);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error(self.0, self.1)
    }
}

fn unprocessable(message: &'static str) -> Refusal {
    Refusal(StatusCode::UNPROCESSABLE_ENTITY, message)
}

fn no_candidate() -> Refusal {
    Refusal(StatusCode::NOT_FOUND, "Not found")
}

async fn bearer(State(sim): Sim, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if token != Some(WORKABLE_TOKEN) {
        return error(StatusCode::UNAUTHORIZED, "Not authorized");
    }
    let throttle = &sim.workable_throttle;
    let limit = throttle.limit();
    let now = Utc::now().timestamp();
    let (mut response, remaining, reset) = match throttle.check(WORKABLE_TOKEN) {
        Verdict::Throttled { retry_after } => (
            error(StatusCode::TOO_MANY_REQUESTS, "Too many requests"),
            0,
            retry_after,
        ),
        Verdict::Allowed { remaining } => {
            let reset = throttle.frees_in(WORKABLE_TOKEN);
            (next.run(request).await, remaining, reset)
        }
    };
    if limit > 0 {
        // `X-Rate-Limit-Reset`: when the window next frees a request, in Unix seconds.
        let reset = now.saturating_add_unsigned(retry_after_secs(reset));
        let headers = response.headers_mut();
        headers.insert("X-Rate-Limit-Limit", HeaderValue::from(limit));
        headers.insert("X-Rate-Limit-Remaining", HeaderValue::from(remaining));
        headers.insert("X-Rate-Limit-Reset", HeaderValue::from(reset));
    }
    response
}

// ---- paging ---------------------------------------------------------------------------------------

type Params = BTreeMap<String, String>;

fn read_query(raw: Option<&str>) -> Params {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// One page of `items` (in id order, each with its dataset id), from `since_id` (inclusive, as
/// Workable's), and the absolute URL of the next page: this request's URL with `since_id` set to
/// the first item left out.
fn page(
    items: Vec<(u64, Value)>,
    params: &Params,
    parse: impl Fn(&str) -> Option<u64>,
    remote: impl Fn(u64) -> String,
    path: &str,
    headers: &HeaderMap,
) -> Result<(Vec<Value>, Option<String>), Refusal> {
    let limit = match params.get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<usize>()
            .map_err(|_| unprocessable("limit must be a number."))?
            .clamp(1, MAX_LIMIT),
    };
    let since = match params.get("since_id") {
        None => None,
        Some(s) => Some(parse(s).ok_or(unprocessable("since_id is not a valid id."))?),
    };
    let mut rest: Vec<(u64, Value)> = items
        .into_iter()
        .filter(|(id, _)| since.is_none_or(|s| *id >= s))
        .collect();
    rest.sort_by_key(|(id, _)| *id);
    let next = rest.get(limit).map(|(id, _)| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in params.iter().filter(|(k, _)| *k != "since_id") {
            query.append_pair(key, value);
        }
        query.append_pair("since_id", &remote(*id));
        format!("{}{PREFIX}{path}?{}", origin(headers), query.finish())
    });
    let page = rest.into_iter().take(limit).map(|(_, v)| v).collect();
    Ok((page, next))
}

fn listed(key: &str, items: Vec<Value>, next: Option<String>) -> Json<Value> {
    let mut body = json!({ key: items });
    if let Some(next) = next {
        body["paging"] = json!({ "next": next });
    }
    Json(body)
}

// ---- objects --------------------------------------------------------------------------------------

/// The Workable kind of each of the dataset's stages.
fn stage_kind(stage: usize) -> &'static str {
    match STAGES.get(stage).copied() {
        Some("Application Review") => "applied",
        Some("Screening") => "shortlisted",
        Some("Phone Interview") => "phone-screen",
        Some("Technical Interview") => "assessment",
        Some("Offer") => "offer",
        Some("Hired") => "hired",
        _ => "interview",
    }
}

fn stage_json(stage: usize) -> Value {
    json!({
        "slug": ATS.stage_id(0, stage),
        "name": STAGES.get(stage),
        "kind": stage_kind(stage),
        "position": stage,
    })
}

fn job_state(job: &Job) -> &'static str {
    match job.status.as_str() {
        "open" => "published",
        "closed" => "closed",
        _ => "draft",
    }
}

/// Workable's location object for the dataset's location names.
fn location_json(location: &str) -> Value {
    let (city, region, country, code) = match location {
        "London, UK" => ("London", "England", "United Kingdom", "GB"),
        "New York, US" => ("New York", "New York", "United States", "US"),
        _ => ("", "", "", ""),
    };
    json!({
        "location_str": location,
        "country": country,
        "country_code": code,
        "region": region,
        "city": city,
        "telecommuting": location.starts_with("Remote"),
    })
}

fn job_json(job: &Job, origin: &str) -> Value {
    let shortcode = ATS.job_id(job.id);
    let url = format!("{origin}/workable/j/{shortcode}");
    json!({
        "id": Dialect::workable_job_key(job.id),
        "title": job.title,
        "full_title": job.title,
        "shortcode": shortcode,
        "state": job_state(job),
        "department": job.department,
        "url": url,
        "application_url": format!("{url}/apply"),
        "location": location_json(&job.location),
        "created_at": iso(job.created_at),
    })
}

fn disqualified(app: &Application) -> bool {
    matches!(app.status.as_str(), "rejected" | "archived")
}

/// The candidate object (one application), as the list, the detail and `candidate_moved`
/// webhooks give it.
pub(super) fn candidate_json(d: &Dataset, app: &Application, origin: &str) -> Value {
    let candidate = d.candidate(app.candidate_id);
    let id = ATS.application_id(app.id);
    json!({
        "id": id,
        "name": candidate.map(|c| format!("{} {}", c.first_name, c.last_name)),
        "firstname": candidate.map(|c| &c.first_name),
        "lastname": candidate.map(|c| &c.last_name),
        "headline": Value::Null,
        "account": { "subdomain": SUBDOMAIN, "name": ACCOUNT_NAME },
        "job": { "shortcode": ATS.job_id(app.job_id), "title": d.job(app.job_id).map(|j| &j.title) },
        "stage": STAGES.get(app.stage),
        "disqualified": disqualified(app),
        "disqualification_reason": Value::Null,
        "hired_at": (app.status == "hired").then(|| iso(app.last_activity_at)),
        "sourced": false,
        "profile_url": format!("{origin}/workable/backend/candidates/{id}"),
        "address": Value::Null,
        "phone": candidate.and_then(|c| c.phones.first()),
        "email": candidate.and_then(|c| c.emails.first()),
        "domain": Value::Null,
        "created_at": iso(app.applied_at),
        "updated_at": iso(d.updated_at(app)),
    })
}

fn member_json(d: &Dataset, member: Option<&str>) -> Value {
    d.users
        .iter()
        .find(|u| Some(ATS.user_id(u.id).as_str()) == member)
        .map_or(Value::Null, |u| {
            json!({ "id": ATS.user_id(u.id), "name": format!("{} {}", u.first_name, u.last_name) })
        })
}

fn find_application(d: &Dataset, id: &str) -> Option<Application> {
    ATS.application_from(id)
        .and_then(|n| d.application(n).cloned())
}

/// The member a write is made as: required, and must be a member of the account.
fn member(d: &Dataset, member_id: Option<&str>) -> Result<String, Refusal> {
    let member_id = member_id.ok_or(unprocessable("member_id is required."))?;
    d.users
        .iter()
        .map(|u| ATS.user_id(u.id))
        .find(|m| m == member_id)
        .ok_or(unprocessable("member_id is not a member of this account."))
}

fn parse_body<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Refusal> {
    serde_json::from_slice(body)
        .map_err(|_| unprocessable("The body is not valid JSON of the expected shape."))
}

// ---- endpoints ------------------------------------------------------------------------------------

async fn list_members(State(sim): Sim) -> Json<Value> {
    let members: Vec<Value> = sim.with_data(|d| {
        d.users
            .iter()
            .map(|u| json!({ "id": ATS.user_id(u.id), "name": format!("{} {}", u.first_name, u.last_name), "email": u.email, "role": "admin" }))
            .collect()
    });
    Json(json!({ "members": members }))
}

async fn list_stages() -> Json<Value> {
    Json(json!({ "stages": (0..STAGES.len()).map(stage_json).collect::<Vec<_>>() }))
}

fn find_job(d: &Dataset, shortcode: &str) -> Option<Job> {
    d.jobs
        .iter()
        .find(|j| ATS.job_id(j.id) == shortcode)
        .cloned()
}

async fn get_job(State(sim): Sim, headers: HeaderMap, Path(shortcode): Path<String>) -> Response {
    sim.with_data(|d| find_job(d, &shortcode)).map_or_else(
        || error(StatusCode::NOT_FOUND, "Not found"),
        |j| Json(job_json(&j, &origin(&headers))).into_response(),
    )
}

async fn job_stages(State(sim): Sim, Path(shortcode): Path<String>) -> Response {
    sim.with_data(|d| find_job(d, &shortcode)).map_or_else(
        || error(StatusCode::NOT_FOUND, "Not found"),
        |j| {
            Json(json!({ "stages": j.stages.iter().map(|s| stage_json(*s)).collect::<Vec<_>>() }))
                .into_response()
        },
    )
}

async fn list_jobs(
    State(sim): Sim,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, Refusal> {
    let params = read_query(q.as_deref());
    let origin = origin(&headers);
    let items = sim.with_data(|d| {
        d.jobs
            .iter()
            .filter(|j| params.get("state").is_none_or(|s| s == job_state(j)))
            .map(|j| (j.id, job_json(j, &origin)))
            .collect()
    });
    let (jobs, next) = page(
        items,
        &params,
        |s| parse_short_id(s, tag::JOB),
        Dialect::workable_job_key,
        "/jobs",
        &headers,
    )?;
    Ok(listed("jobs", jobs, next))
}

/// Candidates in active applications; filters by job `shortcode`, `stage` slug (on the server),
/// `email` and `updated_after`/`created_after` (ISO 8601).
async fn list_candidates(
    State(sim): Sim,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, Refusal> {
    let params = read_query(q.as_deref());
    let time = |key: &str| -> Result<Option<DateTime<Utc>>, Refusal> {
        params
            .get(key)
            .map(|t| {
                DateTime::parse_from_rfc3339(t)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| unprocessable("Times must be ISO 8601."))
            })
            .transpose()
    };
    let (updated_after, created_after) = (time("updated_after")?, time("created_after")?);
    let origin = origin(&headers);
    let items = sim.with_data(|d| {
        d.note_changes();
        d.applications
            .iter()
            .filter(|a| !disqualified(a))
            .filter(|a| {
                params
                    .get("shortcode")
                    .is_none_or(|s| *s == ATS.job_id(a.job_id))
            })
            .filter(|a| {
                params
                    .get("stage")
                    .is_none_or(|s| *s == ATS.stage_id(a.job_id, a.stage))
            })
            .filter(|a| {
                params.get("email").is_none_or(|e| {
                    d.candidate(a.candidate_id)
                        .is_some_and(|c| c.emails.iter().any(|x| x.eq_ignore_ascii_case(e)))
                })
            })
            .filter(|a| updated_after.is_none_or(|t| d.updated_at(a) > t))
            .filter(|a| created_after.is_none_or(|t| a.applied_at > t))
            .map(|a| (a.id, candidate_json(d, a, &origin)))
            .collect()
    });
    let (candidates, next) = page(
        items,
        &params,
        |s| ATS.application_from(s),
        |id| ATS.application_id(id),
        "/candidates",
        &headers,
    )?;
    Ok(listed("candidates", candidates, next))
}

async fn get_candidate(
    State(sim): Sim,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, Refusal> {
    let origin = origin(&headers);
    sim.with_data(|d| {
        d.note_changes();
        let app = find_application(d, &id).ok_or_else(no_candidate)?;
        let mut candidate = candidate_json(d, &app, &origin);
        for (key, value) in [
            ("summary", Value::Null),
            ("cover_letter", Value::Null),
            ("resume_url", Value::Null),
            ("image_url", Value::Null),
            ("tags", json!([])),
            ("social_profiles", json!([])),
            ("education_entries", json!([])),
            ("experience_entries", json!([])),
            ("answers", json!([])),
        ] {
            candidate[key] = value;
        }
        Ok(Json(json!({ "candidate": candidate })))
    })
}

#[derive(Debug, Deserialize)]
struct CommentBody {
    member_id: Option<String>,
    comment: Option<Comment>,
}

#[derive(Debug, Deserialize)]
struct Comment {
    body: Option<String>,
    policy: Option<Vec<String>>,
    attachment: Option<Attachment>,
}

#[derive(Debug, Deserialize)]
struct Attachment {
    name: Option<String>,
    data: Option<String>,
}

async fn create_comment(
    State(sim): Sim,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let request: CommentBody = parse_body(&body)?;
    let comment = request
        .comment
        .ok_or(unprocessable("comment is required."))?;
    let text = comment
        .body
        .filter(|b| !b.trim().is_empty())
        .ok_or(unprocessable("comment.body is required."))?;
    let attachment = match comment.attachment {
        None => Value::Null,
        Some(a) => {
            let name = a
                .name
                .filter(|n| !n.trim().is_empty())
                .ok_or(unprocessable("comment.attachment.name is required."))?;
            let data = a
                .data
                .ok_or(unprocessable("comment.attachment.data is required."))?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map_err(|_| unprocessable("comment.attachment.data must be base64."))?;
            json!({ "name": name, "size": bytes.len() })
        }
    };
    sim.with_data(|d| {
        let app = find_application(d, &id).ok_or_else(no_candidate)?;
        let member = member(d, request.member_id.as_deref())?;
        let write = d.record(
            ATS.name(),
            "note",
            app.id,
            Some(member),
            json!({ "body": text, "policy": comment.policy, "attachment": attachment }),
        );
        Ok((
            StatusCode::CREATED,
            Json(json!({ "id": short_id(tag::COMMENT, write.id) })),
        )
            .into_response())
    })
}

fn activity_json(d: &Dataset, w: &Write) -> Value {
    let mut activity = json!({
        "id": short_id(tag::COMMENT, w.id),
        "created_at": iso(w.at),
        "member": member_json(d, w.actor.as_deref()),
    });
    if w.kind == "note" {
        activity["action"] = json!("comment");
        activity["body"] = w.body["body"].clone();
        activity["stage_name"] = Value::Null;
        // The sandbox's choice: the attachment is shown on its comment, by name.
        if w.body["attachment"].is_object() {
            activity["attachment"] = json!({ "name": w.body["attachment"]["name"] });
        }
    } else {
        let to = (0..STAGES.len()).find(|s| w.body["to"] == ATS.stage_id(0, *s));
        activity["action"] = json!("moved");
        activity["body"] = Value::Null;
        activity["stage_name"] = json!(to.and_then(|s| STAGES.get(s)));
    }
    activity
}

async fn list_activities(
    State(sim): Sim,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, Refusal> {
    let params = read_query(q.as_deref());
    let items = sim.with_data(|d| {
        let app = find_application(d, &id).ok_or_else(no_candidate)?;
        Ok(d.writes
            .iter()
            .filter(|w| w.ats == ATS.name() && w.application_id == app.id)
            .filter(|w| matches!(w.kind.as_str(), "note" | "move"))
            .map(|w| (w.id, activity_json(d, w)))
            .collect::<Vec<_>>())
    })?;
    let (activities, next) = page(
        items,
        &params,
        |s| parse_short_id(s, tag::COMMENT),
        |id| short_id(tag::COMMENT, id),
        &format!("/candidates/{id}/activities"),
        &headers,
    )?;
    Ok(listed("activities", activities, next))
}

#[derive(Debug, Deserialize)]
struct MoveBody {
    member_id: Option<String>,
    target_stage: Option<String>,
}

async fn move_candidate(
    State(sim): Sim,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, Refusal> {
    let request: MoveBody = parse_body(&body)?;
    sim.with_data(|d| {
        let app = find_application(d, &id).ok_or_else(no_candidate)?;
        let member = member(d, request.member_id.as_deref())?;
        let slug = request
            .target_stage
            .ok_or(unprocessable("target_stage is required."))?;
        let target = d
            .job(app.job_id)
            .and_then(|j| ATS.stage_of(j, &slug))
            .ok_or(unprocessable(
                "target_stage is not a stage of the candidate's job.",
            ))?;
        d.move_application(app.id, target)
            .map_err(|_| unprocessable("The candidate cannot be moved to that stage."))?;
        d.record(
            ATS.name(),
            "move",
            app.id,
            Some(member),
            json!({ "from": ATS.stage_id(app.job_id, app.stage), "to": slug }),
        );
        Ok(Json(json!({})))
    })
}

#[derive(Debug, Deserialize)]
struct CustomAttributeBody {
    custom_attribute_key: Option<String>,
    value: Option<Value>,
}

/// Sets a custom attribute (recorded as a `field` write). Workable documents the body by the
/// attribute's type; this takes the short-text form, `{custom_attribute_key, value}`.
async fn set_custom_attribute(
    State(sim): Sim,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, Refusal> {
    let request: CustomAttributeBody = parse_body(&body)?;
    let key = request
        .custom_attribute_key
        .filter(|k| !k.trim().is_empty())
        .ok_or(unprocessable("custom_attribute_key is required."))?;
    let value = request
        .value
        .filter(|v| v.as_str().is_some_and(|v| v.chars().count() <= 128))
        .ok_or(unprocessable(
            "value must be text of at most 128 characters.",
        ))?;
    sim.with_data(|d| {
        let app = find_application(d, &id).ok_or_else(no_candidate)?;
        d.record(
            ATS.name(),
            "field",
            app.id,
            None,
            json!({ "custom_attribute_key": key, "value": value }),
        );
        Ok(Json(json!({})))
    })
}

async fn list_subscriptions(State(sim): Sim) -> Json<Value> {
    Json(json!({ "subscriptions": sim.hooks.subscriptions() }))
}

#[derive(Debug, Deserialize)]
struct SubscriptionBody {
    target: Option<String>,
    event: Option<String>,
    args: Option<Value>,
}

async fn create_subscription(State(sim): Sim, body: Bytes) -> Result<Response, Refusal> {
    let request: SubscriptionBody = parse_body(&body)?;
    let target = request
        .target
        .filter(|t| url::Url::parse(t).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
        .ok_or(unprocessable("target must be an http(s) URL."))?;
    let event = request
        .event
        .filter(|e| matches!(e.as_str(), "candidate_created" | "candidate_moved"))
        .ok_or(unprocessable(
            "event must be candidate_created or candidate_moved.",
        ))?;
    let args = match request.args {
        None | Some(Value::Null) => json!({}),
        Some(args @ Value::Object(_)) => args,
        Some(_) => return Err(unprocessable("args must be an object.")),
    };
    match sim.hooks.subscribe(target, event, args) {
        Ok(id) => Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response()),
        Err(SubscribeError::TargetTaken) => Err(Refusal(
            StatusCode::CONFLICT,
            "A subscription for this target already exists.",
        )),
    }
}

async fn delete_subscription(State(sim): Sim, Path(id): Path<String>) -> Response {
    if sim.hooks.unsubscribe(&id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error(StatusCode::NOT_FOUND, "Not found")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_has_a_slug_and_a_kind() {
        let stages: Vec<Value> = (0..STAGES.len()).map(stage_json).collect();
        assert_eq!(stages[0]["slug"], "application-review");
        assert_eq!(stages[0]["kind"], "applied");
        assert_eq!(stages[6]["kind"], "hired");
        assert_eq!(stages[3]["name"], "Technical Interview");
    }
}
