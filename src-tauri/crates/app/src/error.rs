//! The one error shape that crosses to the UI: `{code, message}`. The UI branches on `code`
//! only; `message` is for people and never holds a secret or candidate data.

use serde::Serialize;
use ts_rs::TS;

/// A closed set: add a code only when the UI does something different for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
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
#[error("{message}")]
#[ts(export)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
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
        let code = match &error {
            E::Unauthorized | E::Forbidden(_) => ErrorCode::AuthFailed,
            E::RateLimited { .. } => ErrorCode::RateLimited,
            E::NotFound => ErrorCode::NotFound,
            E::Rejected { .. } => ErrorCode::Validation,
            _ => ErrorCode::Unavailable,
        };
        Self::new(code, error.to_string())
    }
}

impl From<desk_willo::WilloError> for AppError {
    fn from(error: desk_willo::WilloError) -> Self {
        use desk_willo::WilloError as E;
        let code = match &error {
            E::Auth | E::Permission(_) => ErrorCode::AuthFailed,
            E::RateLimited { .. } => ErrorCode::RateLimited,
            E::NotFound => ErrorCode::NotFound,
            E::Validation { .. } | E::BadUrl(_) => ErrorCode::Validation,
            _ => ErrorCode::Unavailable,
        };
        Self::new(code, error.to_string())
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
    fn the_wire_shape_is_code_and_message() {
        let json =
            serde_json::to_value(AppError::new(ErrorCode::RateLimited, "wait a minute")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "rate_limited", "message": "wait a minute"})
        );
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
