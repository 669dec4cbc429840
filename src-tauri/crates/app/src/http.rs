//! The one HTTP client every connection shares (its pool, and the timeouts every call gets).

use std::time::Duration;

use crate::{AppError, ErrorCode};

/// Connect within 10 s; any single request (a page of a list included) within 30 s.
pub fn client() -> Result<reqwest::Client, AppError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| {
            AppError::new(
                ErrorCode::Internal,
                format!("the HTTP client could not start: {e}"),
            )
        })
}
