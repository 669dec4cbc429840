//! Django REST Framework style errors: `{"detail": "..."}` or a 400 field map.

use std::collections::BTreeMap;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Debug)]
pub enum ApiError {
    Detail(StatusCode, String),
    Fields(BTreeMap<String, Vec<String>>),
    /// Over the organisation's budget: 429 with `Retry-After`, or 403 with only the body saying
    /// why (Willo says it answers either).
    Throttled {
        retry_after_secs: u64,
        forbidden: bool,
    },
}

impl ApiError {
    pub fn not_found() -> Self {
        Self::Detail(StatusCode::NOT_FOUND, "Not found.".into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Detail(status, detail) => {
                (status, Json(json!({ "detail": detail }))).into_response()
            }
            Self::Fields(fields) => (StatusCode::BAD_REQUEST, Json(fields)).into_response(),
            Self::Throttled {
                retry_after_secs,
                forbidden,
            } => {
                let body = json!({
                    "detail": format!("Request was throttled. Expected available in {retry_after_secs} seconds.")
                });
                if forbidden {
                    return (StatusCode::FORBIDDEN, Json(body)).into_response();
                }
                let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                response
            }
        }
    }
}

/// Collects field errors the way a DRF serializer does: all of them, then one 400.
#[derive(Debug, Default)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    pub fn into_result(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Fields(self.0))
        }
    }
}

pub const REQUIRED: &str = "This field is required.";
pub const BLANK: &str = "This field may not be blank.";
