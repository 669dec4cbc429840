//! The one error shape that crosses to the UI: `{code, message, field}`. The UI branches on
//! `code` only; `message` is for people, in plain words, and never holds a secret or candidate
//! data; `detail` holds the technical version for support (status codes, what the service said)
//! and is shown only on request; `field` names the form input at fault, so the UI can
//! highlight and focus it.

use serde::Serialize;
use ts_rs::TS;

/// A closed set: add a code only when the UI does something different for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The input is wrong; the message says what to fix.
    Validation,
    /// Credentials were refused: reconnect.
    AuthFailed,
    /// The service is throttling: wait and retry.
    RateLimited,
    /// The service could not be reached or failed: retry later.
    Unavailable,
    NotFound,
    /// The local database could not be used.
    Storage,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}{}", .detail.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    /// The technical version, for support.
    pub detail: Option<String>,
    /// The form input the message is about (its id in the UI's form, e.g. `willoUrl`).
    pub field: Option<String>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            detail: None,
            field: None,
        }
    }

    /// A plain message with the technical one kept as the detail.
    fn explained(code: ErrorCode, message: &str, detail: String) -> Self {
        Self {
            detail: Some(detail),
            ..Self::new(code, message)
        }
    }

    /// Wrong input in one field of a form.
    pub fn in_field(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..Self::new(ErrorCode::Validation, message)
        }
    }

    /// The keychain could not be used.
    pub fn secrets(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Storage, message)
    }
}

impl From<desk_store::StoreError> for AppError {
    fn from(error: desk_store::StoreError) -> Self {
        use desk_store::StoreError as E;
        let code = match error {
            E::NotFound { .. } => ErrorCode::NotFound,
            _ => ErrorCode::Storage,
        };
        tracing::warn!(%error, "store error");
        Self::new(code, error.to_string())
    }
}

impl From<desk_ats::AtsError> for AppError {
    fn from(error: desk_ats::AtsError) -> Self {
        use desk_ats::AtsError as E;
        let (code, message) = match &error {
            E::Unauthorized => (
                ErrorCode::AuthFailed,
                "Your ATS did not accept the credentials: check the client id, secret or API key.",
            ),
            E::Forbidden(_) => (
                ErrorCode::AuthFailed,
                "Your ATS credentials may not do this: ask your ATS admin to allow it.",
            ),
            E::RateLimited { .. } => (
                ErrorCode::RateLimited,
                "Your ATS asks us to slow down: this is retried shortly.",
            ),
            E::NotFound => (ErrorCode::NotFound, "Your ATS has no such record."),
            E::Rejected { .. } => (ErrorCode::Validation, "Your ATS refused the request."),
            E::Server { .. } => (
                ErrorCode::Unavailable,
                "Your ATS had a problem on its side: try again in a few minutes.",
            ),
            E::Transport(_) => (
                ErrorCode::Unavailable,
                "Your ATS could not be reached: check the internet connection.",
            ),
            E::Decode { .. } => (
                ErrorCode::Unavailable,
                "Your ATS answered in a form this app does not understand.",
            ),
            E::Unsupported(_) => (ErrorCode::Validation, "Your ATS cannot do this."),
            E::BadSignature => (
                ErrorCode::AuthFailed,
                "A notification did not come from your ATS.",
            ),
            E::BadUrl(_) => (ErrorCode::Validation, "The ATS address is not valid."),
            _ => (ErrorCode::Unavailable, "Your ATS could not be used."),
        };
        Self::explained(code, message, error.to_string())
    }
}

impl From<desk_willo::WilloError> for AppError {
    fn from(error: desk_willo::WilloError) -> Self {
        use desk_willo::WilloError as E;
        let (code, message) = match &error {
            E::Auth => (ErrorCode::AuthFailed, "Willo did not accept the API key: check that it was copied whole from Willo's Integrations page."),
            E::Permission(_) => (ErrorCode::AuthFailed, "This Willo API key may not do that: use the key of the interview's owner or an admin."),
            E::NotFound => (ErrorCode::NotFound, "Willo has no such record, or this key cannot see it."),
            // Says which fields Willo refused, which is what the recruiter must fix.
            E::Validation { .. } => return Self::new(ErrorCode::Validation, error.to_string()),
            E::BadUrl(_) => (ErrorCode::Validation, "The Willo address is not valid."),
            E::RateLimited { .. } => (ErrorCode::RateLimited, "Willo asks us to slow down: this is retried shortly."),
            E::Server { .. } | E::Unexpected { .. } => (ErrorCode::Unavailable, "Willo had a problem on its side: try again in a few minutes."),
            E::Timeout => (ErrorCode::Unavailable, "Willo did not answer in time: try again in a few minutes."),
            E::Transport(_) => (ErrorCode::Unavailable, "Willo could not be reached: check the internet connection."),
            E::Decode { .. } => (ErrorCode::Unavailable, "Willo answered in a form this app does not understand."),
            _ => (ErrorCode::Unavailable, "Willo could not be used."),
        };
        Self::explained(code, message, error.to_string())
    }
}

impl From<desk_engine::EngineError> for AppError {
    fn from(error: desk_engine::EngineError) -> Self {
        use desk_engine::EngineError as E;
        match error {
            E::Store(e) => e.into(),
            E::Willo(e) => e.into(),
            E::Ats(e) => e.into(),
            E::Invalid(message) => Self::new(ErrorCode::Validation, message),
            other => Self::new(ErrorCode::Internal, other.to_string()),
        }
    }
}

impl From<desk_sandbox::SandboxError> for AppError {
    fn from(error: desk_sandbox::SandboxError) -> Self {
        Self::new(
            ErrorCode::Internal,
            format!("the sandbox could not start: {error}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_shape_is_code_message_and_field() {
        let json =
            serde_json::to_value(AppError::new(ErrorCode::RateLimited, "wait a minute")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "rate_limited", "message": "wait a minute", "detail": null, "field": null})
        );
        let json = serde_json::to_value(AppError::in_field("willoUrl", "enter it")).unwrap();
        assert_eq!(json["field"], "willoUrl");
        assert_eq!(json["code"], "validation");
    }

    #[test]
    fn ats_errors_map_to_codes_the_ui_acts_on() {
        assert_eq!(
            AppError::from(desk_ats::AtsError::Unauthorized).code,
            ErrorCode::AuthFailed
        );
        assert_eq!(
            AppError::from(desk_ats::AtsError::Server { status: 502 }).code,
            ErrorCode::Unavailable
        );
        assert_eq!(
            AppError::from(desk_ats::AtsError::RateLimited { retry_after: None }).code,
            ErrorCode::RateLimited
        );
    }
}
