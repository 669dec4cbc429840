//! What both connectors share about HTTP: turning statuses into typed errors, retrying requests
//! that are safe to repeat, and pacing requests under the ATS's rate limit.

use std::num::NonZeroU32;
use std::time::Duration;

use desk_domain::retry_after;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::AtsError;

/// Attempts in all for a request that is safe to repeat.
const ATTEMPTS: u32 = 4;
const BASE_DELAY: Duration = Duration::from_millis(250);

pub(crate) struct Http {
    pub client: reqwest::Client,
    limiter: DefaultDirectRateLimiter,
    /// Set when the ATS said its window is used up (`X-RateLimit-Remaining: 0`).
    paused_until: std::sync::Mutex<Option<tokio::time::Instant>>,
}

/// How long to hold back when the window is used up and the ATS does not say when it resets.
/// (Greenhouse's v3 window is unverified; v1's was 10 s with 50 requests.)
const EXHAUSTED_PAUSE: Duration = Duration::from_secs(1);

pub(crate) struct Answer {
    pub body: String,
    pub headers: HeaderMap,
}

/// How many requests in how long: the pace a connector keeps under its ATS's published limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    pub requests: u32,
    pub per: Duration,
}

impl Pace {
    pub fn per_second(requests: u32) -> Self {
        Self {
            requests,
            per: Duration::from_secs(1),
        }
    }

    /// Evenly spaced, no bursts: the ATS counts windows, and a burst at a window's edge is how
    /// a pace that looks right on average gets throttled.
    fn quota(self) -> Quota {
        let spacing = self.per / self.requests.max(1);
        Quota::with_period(spacing.max(Duration::from_micros(1)))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::MIN)
    }
}

impl Http {
    /// Requests at most at `pace`, evenly spaced.
    pub fn new(client: reqwest::Client, pace: Pace) -> Self {
        let quota = pace.quota();
        Self {
            client,
            limiter: RateLimiter::direct(quota),
            paused_until: std::sync::Mutex::new(None),
        }
    }

    /// Sends the request `make` builds. When `idempotent`, rate limits, 5xx and transport errors
    /// are retried with backoff (Retry-After wins); otherwise only a 429 is (the ATS did not act).
    pub async fn send(
        &self,
        make: impl Fn() -> RequestBuilder,
        idempotent: bool,
    ) -> Result<Answer, AtsError> {
        let mut attempt = 1;
        loop {
            let pause = *self
                .paused_until
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(until) = pause {
                tokio::time::sleep_until(until).await;
            }
            self.limiter.until_ready().await;
            let outcome = match make().send().await {
                Ok(response) => check(response).await,
                Err(error) => Err(error.into()),
            };
            let error = match outcome {
                Ok(answer) => {
                    self.note_window(&answer.headers);
                    return Ok(answer);
                }
                Err(error) => error,
            };
            let may_retry = attempt < ATTEMPTS
                && (matches!(error, AtsError::RateLimited { .. })
                    || (idempotent && error.is_retryable()));
            if !may_retry {
                return Err(error);
            }
            let backoff = BASE_DELAY
                .saturating_mul(2u32.pow(attempt - 1))
                .mul_f64(0.5 + rand::random::<f64>() / 2.0);
            let wait = error.retry_after().unwrap_or(backoff);
            tracing::debug!(%error, attempt, ?wait, "retrying an ATS request");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

impl Http {
    /// Reads the rate-limit headers an ATS sends with every answer (`X-RateLimit-*` from
    /// Greenhouse, `X-Rate-Limit-*` from others): when none are left, later requests wait until the
    /// stated reset (in seconds, or as a Unix time), or a second when no reset is given.
    fn note_window(&self, headers: &HeaderMap) {
        if limit_header(
            headers,
            &["x-ratelimit-remaining", "x-rate-limit-remaining"],
        ) != Some(0)
        {
            return;
        }
        let wait = window_reset(headers).unwrap_or(EXHAUSTED_PAUSE);
        tracing::debug!(
            ?wait,
            "the ATS's rate-limit window is used up; holding back"
        );
        *self
            .paused_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(tokio::time::Instant::now() + wait);
    }
}

/// A rate-limit header's number, under whichever of `names` the ATS uses.
fn limit_header(headers: &HeaderMap, names: &[&str]) -> Option<u64> {
    names
        .iter()
        .find_map(|n| headers.get(*n)?.to_str().ok()?.trim().parse::<u64>().ok())
}

/// How long until the ATS's rate-limit window frees a request, from its reset header (in
/// seconds, or as a Unix time), at most a minute.
fn window_reset(headers: &HeaderMap) -> Option<Duration> {
    let reset = limit_header(headers, &["x-ratelimit-reset", "x-rate-limit-reset"])?;
    let now = chrono::Utc::now().timestamp().max(0).unsigned_abs();
    let wait = if reset > 86_400 {
        reset.saturating_sub(now)
    } else {
        reset
    };
    Some(Duration::from_secs(wait.max(1)).min(Duration::from_secs(60)))
}

/// Turns a non-success status into a typed error, and a success into its body.
pub(crate) async fn check(response: reqwest::Response) -> Result<Answer, AtsError> {
    let status = response.status();
    let headers = response.headers().clone();
    if status.is_success() {
        return Ok(Answer {
            body: response.text().await?,
            headers,
        });
    }
    // Workable answers a 429 without `Retry-After`, but says when its window resets.
    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| retry_after::parse(v, chrono::Utc::now()))
        .or_else(|| window_reset(&headers));
    let body = response.text().await.unwrap_or_default();
    // Where each ATS says why: `message` or `error` (Greenhouse, Lever, Workable), or Ashby's
    // `errorInfo.message`.
    let message = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .or_else(|| v.get("error"))
                .or_else(|| v.get("errorInfo").and_then(|i| i.get("message")))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    Err(match status {
        StatusCode::UNAUTHORIZED => AtsError::Unauthorized,
        StatusCode::FORBIDDEN => AtsError::Forbidden(message),
        StatusCode::NOT_FOUND => AtsError::NotFound,
        StatusCode::TOO_MANY_REQUESTS => AtsError::RateLimited { retry_after },
        s if s.is_server_error() => AtsError::Server { status: s.as_u16() },
        s => AtsError::Rejected {
            status: s.as_u16(),
            message,
        },
    })
}

/// Parses JSON, naming the path of whatever does not fit.
pub(crate) fn decode<T: DeserializeOwned>(body: &str) -> Result<T, AtsError> {
    let mut de = serde_json::Deserializer::from_str(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| AtsError::Decode {
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

/// Ids come as integers (Greenhouse) or strings (Lever); everything downstream uses strings.
pub(crate) fn id(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An id as one URL path segment (or query value): `/`, `?`, `#`, `&` and the like in it are
/// percent-encoded, so an id cannot point a request at another path.
pub(crate) fn segment(id: &str) -> String {
    // Form encoding writes a space as `+` (and a `+` as `%2B`); a path wants `%20`.
    url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// HMAC-SHA256 of `message` with `key`, as lowercase hex. (`None` cannot happen: HMAC takes keys
/// of any length; it is passed on rather than unwrapped.)
pub(crate) fn hmac_hex(key: &[u8], message: &[u8]) -> Option<String> {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).ok()?;
    mac.update(message);
    Some(hex::encode(mac.finalize().into_bytes()))
}

/// Checks that header `name` holds `prefix` and the hex HMAC-SHA256 of the raw `body` keyed with
/// `secret`, as Greenhouse (`Signature: sha256 <hex>`), Ashby (`Ashby-Signature: sha256=<hex>`)
/// and Workable (`X-Workable-Signature: <hex>`) sign their webhooks.
pub(crate) fn body_signed(
    headers: &http::HeaderMap,
    name: &str,
    prefix: &str,
    body: &[u8],
    secret: &str,
) -> Result<(), AtsError> {
    let given = headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix(prefix))
        .map(|v| v.trim().to_ascii_lowercase());
    match (given, hmac_hex(secret.as_bytes(), body)) {
        (Some(given), Some(expected)) if !secret.is_empty() && same_secret(&given, &expected) => {
            Ok(())
        }
        _ => Err(AtsError::BadSignature),
    }
}

/// A webhook's body as JSON, once its signature was checked.
pub(crate) fn json_body(body: &[u8]) -> Result<Value, AtsError> {
    serde_json::from_slice(body).map_err(|e| AtsError::Decode {
        path: String::new(),
        message: e.to_string(),
    })
}

/// Compares two secrets in time independent of where they differ.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pace_spaces_requests_evenly() {
        let ten_in_ten = Pace {
            requests: 10,
            per: Duration::from_secs(10),
        }
        .quota();
        assert_eq!(ten_in_ten.replenish_interval(), Duration::from_secs(1));
        assert_eq!(ten_in_ten.burst_size().get(), 1);
        assert_eq!(
            Pace::per_second(0).quota().replenish_interval(),
            Duration::from_secs(1),
            "a zero pace is one a second, not unlimited"
        );
    }

    #[test]
    fn hmac_matches_a_known_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            hmac_hex(b"Jefe", b"what do ya want for nothing?").unwrap(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn an_id_stays_one_path_segment() {
        assert_eq!(segment("note-1"), "note-1");
        assert_eq!(segment("a/b?c#d&e"), "a%2Fb%3Fc%23d%26e");
        assert_eq!(segment("a b+c"), "a%20b%2Bc");
    }

    #[test]
    fn secrets_compare_by_value() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
