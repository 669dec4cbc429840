//! When to try a safe request again: exponential backoff with full jitter, honouring Retry-After.

use std::time::Duration;

use crate::WilloError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries (tests of single failures; calls that must not repeat).
    pub const NONE: Self = Self {
        max_attempts: 1,
        base_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
    };

    /// How long to wait before attempt `attempt + 1` after `error`, or `None` to give up.
    /// `jitter` is a number in `0.0..1.0` from the caller, so this stays pure and testable.
    pub fn delay(&self, attempt: u32, error: &WilloError, jitter: f64) -> Option<Duration> {
        if attempt >= self.max_attempts || !error.is_retryable() {
            return None;
        }
        if let Some(wait) = error.retry_after() {
            // The server said when; a little jitter keeps concurrent clients from returning at once.
            return Some(wait + self.base_delay.mul_f64(jitter.clamp(0.0, 1.0) * 0.2));
        }
        let exponential = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_delay);
        Some(exponential.mul_f64(jitter.clamp(0.0, 1.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        let error = WilloError::Server { status: 503 };
        assert_eq!(
            policy.delay(1, &error, 1.0),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            policy.delay(3, &error, 1.0),
            Some(Duration::from_millis(400))
        );
        assert_eq!(
            policy.delay(8, &error, 1.0),
            Some(Duration::from_secs(1)),
            "capped"
        );
        assert_eq!(
            policy.delay(3, &error, 0.5),
            Some(Duration::from_millis(200)),
            "full jitter scales the wait"
        );
    }

    #[test]
    fn retry_after_wins_over_backoff() {
        let policy = RetryPolicy::default();
        let error = WilloError::RateLimited {
            retry_after: Some(Duration::from_secs(4)),
        };
        let wait = policy.delay(1, &error, 0.0).unwrap();
        assert_eq!(wait, Duration::from_secs(4));
    }

    #[test]
    fn permanent_errors_and_the_last_attempt_give_up() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(1, &WilloError::Auth, 0.5), None);
        assert_eq!(policy.delay(5, &WilloError::Timeout, 0.5), None);
        assert_eq!(RetryPolicy::NONE.delay(1, &WilloError::Timeout, 0.5), None);
    }
}
