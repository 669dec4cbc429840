//! What can go wrong talking to Willo, and whether trying again can help.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

/// Messages name the problem and the refused fields, never the API key or candidate data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum WilloError {
    #[error("Willo refused the API key (401): check the key and its authorization scheme")]
    Auth,
    #[error("this API key may not do that (403): {0}")]
    Permission(String),
    #[error("Willo has no such record, or this key cannot see it (404)")]
    NotFound,
    #[error("Willo refused the request: {}", describe_fields(.fields, .detail.as_deref()))]
    Validation {
        fields: BTreeMap<String, Vec<String>>,
        detail: Option<String>,
    },
    #[error("Willo is throttling requests{}", .retry_after.map(|d| format!(" (retry after {} s)", d.as_secs_f32())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    #[error("Willo had a server error ({status})")]
    Server { status: u16 },
    #[error("Willo answered {status} unexpectedly")]
    Unexpected { status: u16 },
    #[error("Willo did not answer in time")]
    Timeout,
    #[error("could not reach Willo: {0}")]
    Transport(String),
    #[error("Willo answered with unexpected JSON at `{path}`: {message}")]
    Decode { path: String, message: String },
    #[error("the Willo URL is not valid: {0}")]
    BadUrl(String),
}

fn describe_fields(fields: &BTreeMap<String, Vec<String>>, detail: Option<&str>) -> String {
    let mut parts: Vec<String> = fields
        .iter()
        .map(|(field, messages)| format!("{field}: {}", messages.join(" ")))
        .collect();
    if let Some(detail) = detail {
        parts.push(detail.to_owned());
    }
    if parts.is_empty() {
        "400 with no reason given".to_owned()
    } else {
        parts.join("; ")
    }
}

/// How a throttling 403 is told from a refused permission. Willo says it answers 403 or 429 when
/// an organisation is over its budget; what a throttling 403 says is not documented. So a 403 is a
/// throttle when it carries `Retry-After` or a rate-limit header saying none are left, or when its
/// body contains one of these phrases (a setting, compared without case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleSigns {
    pub phrases: Vec<String>,
}

impl Default for ThrottleSigns {
    fn default() -> Self {
        Self {
            phrases: [
                "throttl",
                "rate limit",
                "rate-limit",
                "too many requests",
                "request limit",
                "rate exceeded",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }
}

impl ThrottleSigns {
    fn say_throttled(&self, body: &str, retry_after: Option<Duration>, exhausted: bool) -> bool {
        let body = body.to_lowercase();
        retry_after.is_some()
            || exhausted
            || self
                .phrases
                .iter()
                .any(|p| !p.trim().is_empty() && body.contains(&p.trim().to_lowercase()))
    }
}

impl WilloError {
    /// True when the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Server { .. } | Self::Timeout | Self::Transport(_)
        )
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }

    /// For a request that creates something: true when Willo may have acted even though we got
    /// no answer (a timeout, a dropped connection, a 5xx, an unreadable success). Such a request
    /// must not be re-sent before checking whether it took effect.
    pub fn outcome_uncertain(&self) -> bool {
        matches!(
            self,
            Self::Server { .. } | Self::Timeout | Self::Transport(_) | Self::Decode { .. }
        )
    }

    /// The messages Willo gave for one field, if it refused that field.
    pub fn field(&self, name: &str) -> Option<&[String]> {
        match self {
            Self::Validation { fields, .. } => fields.get(name).map(Vec::as_slice),
            _ => None,
        }
    }

    /// `exhausted`: the answer carried a rate-limit header saying no requests are left.
    pub(crate) fn from_status(
        status: StatusCode,
        body: &str,
        retry_after: Option<Duration>,
        exhausted: bool,
        throttle: &ThrottleSigns,
    ) -> Self {
        let json: Option<Value> = serde_json::from_str(body).ok();
        let detail = json
            .as_ref()
            .and_then(|v| v.get("detail"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        match status.as_u16() {
            401 => Self::Auth,
            403 if throttle.say_throttled(body, retry_after, exhausted) => {
                Self::RateLimited { retry_after }
            }
            403 => Self::Permission(detail.unwrap_or_else(|| "permission denied".into())),
            404 => Self::NotFound,
            400 | 422 => {
                let mut fields = BTreeMap::new();
                if let Some(Value::Object(map)) = &json {
                    for (field, value) in map.iter().filter(|(k, _)| k.as_str() != "detail") {
                        fields.insert(field.clone(), messages(value));
                    }
                }
                Self::Validation { fields, detail }
            }
            429 => Self::RateLimited { retry_after },
            500..=599 => Self::Server {
                status: status.as_u16(),
            },
            other => Self::Unexpected { status: other },
        }
    }
}

/// DRF gives a list of strings per field; nested serializers give objects. Flatten both.
fn messages(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(messages).collect(),
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| messages(v).into_iter().map(move |m| format!("{k}: {m}")))
            .collect(),
        other => vec![other.to_string()],
    }
}

impl From<reqwest::Error> for WilloError {
    fn from(error: reqwest::Error) -> Self {
        if error.is_timeout() {
            Self::Timeout
        } else {
            // Without the URL: no query string (which could hold an email) reaches a message.
            Self::Transport(error.without_url().to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drf_field_map_becomes_named_field_errors() {
        let error = WilloError::from_status(
            StatusCode::BAD_REQUEST,
            r#"{"name": ["This field is required."], "phone": ["Enter a valid phone number."]}"#,
            None,
            false,
            &ThrottleSigns::default(),
        );
        assert_eq!(
            error.field("name"),
            Some(&["This field is required.".to_owned()][..])
        );
        assert_eq!(error.to_string(), "Willo refused the request: name: This field is required.; phone: Enter a valid phone number.");
        assert!(!error.is_retryable());
    }

    #[test]
    fn nested_field_errors_are_flattened() {
        let error = WilloError::from_status(
            StatusCode::BAD_REQUEST,
            r#"{"candidate": {"email": ["Enter a valid email address."]}}"#,
            None,
            false,
            &ThrottleSigns::default(),
        );
        assert_eq!(
            error.field("candidate"),
            Some(&["email: Enter a valid email address.".to_owned()][..])
        );
    }

    #[test]
    fn statuses_map_to_kinds() {
        let signs = ThrottleSigns::default();
        assert_eq!(
            WilloError::from_status(StatusCode::UNAUTHORIZED, "{}", None, false, &signs),
            WilloError::Auth
        );
        assert_eq!(
            WilloError::from_status(
                StatusCode::FORBIDDEN,
                r#"{"detail": "Not yours."}"#,
                None,
                false,
                &signs
            ),
            WilloError::Permission("Not yours.".into())
        );
        assert_eq!(
            WilloError::from_status(StatusCode::NOT_FOUND, "", None, false, &signs),
            WilloError::NotFound
        );
        assert_eq!(
            WilloError::from_status(StatusCode::BAD_GATEWAY, "<html>", None, false, &signs),
            WilloError::Server { status: 502 }
        );
        let throttled = WilloError::from_status(
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            Some(Duration::from_secs(3)),
            false,
            &signs,
        );
        assert_eq!(throttled.retry_after(), Some(Duration::from_secs(3)));
        assert!(
            throttled.is_retryable() && !throttled.outcome_uncertain(),
            "a 429 was not processed"
        );
    }

    #[test]
    fn a_403_that_says_it_throttles_is_a_throttle_and_any_other_is_a_refusal() {
        let signs = ThrottleSigns::default();
        let forbidden = |body: &str, wait: Option<Duration>, signs: &ThrottleSigns| {
            WilloError::from_status(StatusCode::FORBIDDEN, body, wait, false, signs)
        };
        for body in [
            r#"{"detail": "Request was throttled. Expected available in 12 seconds."}"#,
            r#"{"message": "API rate limit exceeded for this organisation"}"#,
            r#"{"detail": "Rate exceeded, slow down."}"#,
            "Too Many Requests",
        ] {
            assert!(
                matches!(
                    forbidden(body, None, &signs),
                    WilloError::RateLimited { .. }
                ),
                "{body}"
            );
        }
        assert_eq!(
            forbidden("{}", Some(Duration::from_secs(9)), &signs).retry_after(),
            Some(Duration::from_secs(9)),
            "a Retry-After says throttle whatever the body"
        );
        for refusal in [
            r#"{"detail": "You do not have permission to perform this action."}"#,
            r#"{"detail": "Your plan's participant limit is reached."}"#,
        ] {
            let refusal = forbidden(refusal, None, &signs);
            assert!(matches!(refusal, WilloError::Permission(_)) && !refusal.is_retryable());
        }
        assert!(
            matches!(
                WilloError::from_status(StatusCode::FORBIDDEN, "{}", None, true, &signs),
                WilloError::RateLimited { .. }
            ),
            "a rate-limit header saying none are left"
        );
        let custom = ThrottleSigns {
            phrases: vec!["Budget spent".into()],
        };
        assert!(matches!(
            forbidden(
                r#"{"detail": "budget spent, come back later"}"#,
                None,
                &custom
            ),
            WilloError::RateLimited { .. }
        ));
    }

    #[test]
    fn lost_answers_make_a_create_uncertain() {
        assert!(WilloError::Timeout.outcome_uncertain());
        assert!(WilloError::Server { status: 500 }.outcome_uncertain());
        assert!(!WilloError::Validation {
            fields: BTreeMap::new(),
            detail: None
        }
        .outcome_uncertain());
    }
}
