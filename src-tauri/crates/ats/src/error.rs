use std::time::Duration;

/// What went wrong talking to an ATS, and whether trying again can help. Messages name the
/// problem, never a credential or candidate data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AtsError {
    #[error("the ATS refused the credentials (401): check the client id, secret or API key")]
    Unauthorized,
    #[error("the ATS credentials lack a permission (403): {0}")]
    Forbidden(String),
    #[error("the ATS has no such record (404)")]
    NotFound,
    #[error("the ATS refused the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    #[error("the ATS is rate limiting requests")]
    RateLimited { retry_after: Option<Duration> },
    #[error("the ATS had a server error ({status})")]
    Server { status: u16 },
    #[error("could not reach the ATS: {0}")]
    Transport(String),
    #[error("the ATS answered with unexpected JSON at {path}: {message}")]
    Decode { path: String, message: String },
    #[error("this ATS cannot {0}")]
    Unsupported(&'static str),
    #[error("the webhook's signature does not match: it did not come from the ATS, or the secret is wrong")]
    BadSignature,
    #[error("the ATS URL is not valid: {0}")]
    BadUrl(String),
}

impl AtsError {
    /// True when the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Server { .. } | Self::Transport(_)
        )
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

impl From<reqwest::Error> for AtsError {
    fn from(error: reqwest::Error) -> Self {
        // reqwest's message can include the URL; the URL carries no secret here (tokens go in headers).
        Self::Transport(error.without_url().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_errors_are_retryable() {
        assert!(AtsError::Server { status: 503 }.is_retryable());
        assert!(AtsError::RateLimited { retry_after: None }.is_retryable());
        assert!(!AtsError::Unauthorized.is_retryable());
        assert!(!AtsError::Rejected {
            status: 422,
            message: String::new()
        }
        .is_retryable());
    }
}
