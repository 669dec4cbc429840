//! Fault injection shared by every simulated server.
//!
//! A rule matches requests by path prefix (and optionally method) and makes them fail in one of
//! the ways real APIs fail: throttling, 5xx, slowness, a dropped connection, a malformed body.
//! Rules can fire a limited number of times or with a probability, and are set at start or at run
//! time through `/_admin/faults`, so a test can switch faults on and off mid-flight.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// What a matching request suffers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// 429 with `Retry-After: <seconds>`.
    RateLimit { retry_after_secs: u64 },
    /// Any status, typically 500, 502 or 503.
    Status { status: u16 },
    /// The request waits this long before it is handled.
    Delay { millis: u64 },
    /// The connection is cut before a response is complete.
    Drop,
    /// A 200 whose JSON body is cut off mid-way.
    Malformed,
}

/// Whether the fault strikes before the handler runs (nothing happens on the server) or after
/// it (the server acted, but the client never learns it). Delays are always before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultPhase {
    #[default]
    Before,
    After,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Requests whose path starts with this; `None` matches every simulated route.
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// Only this HTTP method (upper case); `None` matches all.
    #[serde(default)]
    pub method: Option<String>,
    #[serde(flatten)]
    pub kind: FaultKind,
    #[serde(default)]
    pub phase: FaultPhase,
    /// Fire this many times, then the rule is removed. `None`: until removed.
    #[serde(default)]
    pub times: Option<u32>,
    /// Chance (0..=1) that a matching request is hit. `None`: every one.
    #[serde(default)]
    pub probability: Option<f64>,
}

impl FaultRule {
    pub fn new(kind: FaultKind) -> Self {
        Self {
            path_prefix: None,
            method: None,
            kind,
            phase: FaultPhase::Before,
            times: None,
            probability: None,
        }
    }

    pub fn on_path(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }

    pub fn on_method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into().to_ascii_uppercase());
        self
    }

    pub fn after_handler(mut self) -> Self {
        self.phase = FaultPhase::After;
        self
    }

    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    pub fn with_probability(mut self, p: f64) -> Self {
        self.probability = Some(p);
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.path_prefix
            .as_deref()
            .is_none_or(|p| path.starts_with(p))
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }
}

/// The live set of fault rules. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Arc<Mutex<Vec<FaultRule>>>,
    /// Times a rule struck a request so far (so a test can tell a slow request is under way).
    struck: Arc<AtomicU64>,
}

impl Faults {
    pub fn new(rules: Vec<FaultRule>) -> Self {
        Self {
            rules: Arc::new(Mutex::new(rules)),
            struck: Arc::default(),
        }
    }

    /// How many times a rule has struck a request (delayed or failed it) so far.
    pub fn struck(&self) -> u64 {
        self.struck.load(Ordering::SeqCst)
    }

    pub fn set(&self, rules: Vec<FaultRule>) {
        *lock(&self.rules) = rules;
    }

    pub fn add(&self, rule: FaultRule) {
        lock(&self.rules).push(rule);
    }

    pub fn clear(&self) {
        lock(&self.rules).clear();
    }

    pub fn list(&self) -> Vec<FaultRule> {
        lock(&self.rules).clone()
    }

    /// Picks the faults that strike this request, spending one use of each counted rule that
    /// fires. Delays add up; of the rules that fail a request, only the first fires (a request
    /// fails one way), so stacked one-off rules hit successive requests in order.
    fn strike(&self, method: &str, path: &str) -> Vec<(FaultKind, FaultPhase)> {
        let mut rules = lock(&self.rules);
        let mut hits = Vec::new();
        let mut failed = false;
        rules.retain_mut(|rule| {
            let is_delay = matches!(rule.kind, FaultKind::Delay { .. });
            if !rule.matches(method, path) || (failed && !is_delay) {
                return true;
            }
            if let Some(p) = rule.probability {
                if rand::random::<f64>() >= p {
                    return true;
                }
            }
            failed |= !is_delay;
            hits.push((rule.kind.clone(), rule.phase));
            self.struck.fetch_add(1, Ordering::SeqCst);
            match rule.times.as_mut() {
                Some(left) => {
                    *left = left.saturating_sub(1);
                    *left > 0
                }
                None => true,
            }
        });
        hits
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding a simulator lock leaves plain data behind; keep serving it.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Axum middleware applying the fault rules to every simulated (non-admin) route.
pub(crate) async fn inject(State(faults): State<Faults>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/_admin") || path.starts_with("/media") {
        return next.run(request).await;
    }
    let hits = faults.strike(request.method().as_str(), &path);
    let mut after = None;
    for (kind, phase) in hits {
        if let FaultKind::Delay { millis } = kind {
            tokio::time::sleep(Duration::from_millis(millis)).await;
        } else if phase == FaultPhase::After {
            after.get_or_insert(kind);
        } else {
            return fault_response(&kind);
        }
    }
    let response = next.run(request).await;
    match after {
        Some(kind) => fault_response(&kind),
        None => response,
    }
}

fn fault_response(kind: &FaultKind) -> Response {
    match kind {
        FaultKind::RateLimit { retry_after_secs } => {
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(
                    serde_json::json!({"detail": "Request was throttled (injected fault)."}),
                ),
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            response
        }
        FaultKind::Status { status } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (
                status,
                axum::Json(serde_json::json!({"detail": "Injected server error."})),
            )
                .into_response()
        }
        FaultKind::Malformed => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{\"count\": 3, \"results\": [{\"key\": \"trunc"))
            .unwrap_or_default(),
        // A body stream that fails makes hyper abort the connection mid-response.
        FaultKind::Drop => Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from_stream(futures::stream::once(async {
                Err::<axum::body::Bytes, _>(std::io::Error::other("injected connection drop"))
            })))
            .unwrap_or_default(),
        FaultKind::Delay { .. } => StatusCode::OK.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counted_rule_is_spent_and_then_removed() {
        let faults = Faults::new(vec![
            FaultRule::new(FaultKind::Status { status: 503 }).times(2)
        ]);
        assert_eq!(faults.strike("GET", "/x").len(), 1);
        assert_eq!(faults.strike("GET", "/x").len(), 1);
        assert!(
            faults.strike("GET", "/x").is_empty(),
            "the rule fired twice and must be gone"
        );
        assert!(faults.list().is_empty());
    }

    #[test]
    fn rules_match_by_path_prefix_and_method() {
        let faults = Faults::new(vec![FaultRule::new(FaultKind::Drop)
            .on_path("/api/")
            .on_method("post")]);
        assert!(faults.strike("GET", "/api/x").is_empty(), "wrong method");
        assert!(faults.strike("POST", "/lever/x").is_empty(), "wrong path");
        assert_eq!(faults.strike("POST", "/api/x").len(), 1);
    }

    #[test]
    fn stacked_one_off_rules_fail_successive_requests_in_order() {
        let faults = Faults::new(vec![
            FaultRule::new(FaultKind::Status { status: 429 }).times(1),
            FaultRule::new(FaultKind::Delay { millis: 1 }),
            FaultRule::new(FaultKind::Status { status: 503 }).times(1),
        ]);
        let kinds = |hits: Vec<(FaultKind, FaultPhase)>| {
            hits.into_iter().map(|(k, _)| k).collect::<Vec<_>>()
        };
        assert_eq!(
            kinds(faults.strike("POST", "/x")),
            [
                FaultKind::Status { status: 429 },
                FaultKind::Delay { millis: 1 }
            ]
        );
        assert_eq!(
            kinds(faults.strike("POST", "/x")),
            [
                FaultKind::Delay { millis: 1 },
                FaultKind::Status { status: 503 }
            ]
        );
        assert_eq!(
            kinds(faults.strike("POST", "/x")),
            [FaultKind::Delay { millis: 1 }]
        );
    }

    #[test]
    fn a_zero_probability_rule_never_fires() {
        let faults = Faults::new(vec![FaultRule::new(FaultKind::Drop).with_probability(0.0)]);
        assert!((0..100).all(|_| faults.strike("GET", "/").is_empty()));
    }

    #[test]
    fn rules_read_from_json_as_an_admin_would_send_them() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"kind":"rate_limit","retry_after_secs":2,"path_prefix":"/api","times":1}"#,
        )
        .unwrap();
        assert_eq!(
            rule.kind,
            FaultKind::RateLimit {
                retry_after_secs: 2
            }
        );
        assert_eq!(rule.phase, FaultPhase::Before);
    }
}
