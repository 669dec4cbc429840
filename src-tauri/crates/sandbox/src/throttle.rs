//! A fixed-window request limiter, the way the simulated servers throttle.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::faults::lock;

/// Allows `limit` requests per `window` per caller. `limit == 0` means unlimited.
#[derive(Debug)]
pub struct Throttle {
    limit: Mutex<u32>,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
    /// How many requests were refused (benchmarks count the 429s a client met).
    refused: AtomicU64,
}

/// The outcome of one request against the limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed; this many are left in the window (`u32::MAX` when unlimited).
    Allowed { remaining: u32 },
    /// Refused; the window reopens after this long.
    Throttled { retry_after: Duration },
}

impl Throttle {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit: Mutex::new(limit),
            window,
            windows: Mutex::new(HashMap::new()),
            refused: AtomicU64::new(0),
        }
    }

    /// Requests refused so far.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    pub fn set_limit(&self, limit: u32) {
        *lock(&self.limit) = limit;
        lock(&self.windows).clear();
    }

    pub fn limit(&self) -> u32 {
        *lock(&self.limit)
    }

    pub fn check(&self, caller: &str) -> Verdict {
        let limit = self.limit();
        if limit == 0 {
            return Verdict::Allowed {
                remaining: u32::MAX,
            };
        }
        let now = Instant::now();
        let mut windows = lock(&self.windows);
        let (start, count) = windows.entry(caller.to_owned()).or_insert((now, 0));
        if now.duration_since(*start) >= self.window {
            *start = now;
            *count = 0;
        }
        if *count >= limit {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Verdict::Throttled {
                retry_after: self.window.saturating_sub(now.duration_since(*start)),
            };
        }
        *count += 1;
        Verdict::Allowed {
            remaining: limit - *count,
        }
    }
}

/// `Retry-After` in whole seconds, never 0 (a client that waits 0 s would just be throttled again).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0).max(u64::from(wait.is_zero()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_over_the_limit_are_throttled_until_the_window_ends() {
        let throttle = Throttle::new(2, Duration::from_millis(50));
        assert_eq!(throttle.check("a"), Verdict::Allowed { remaining: 1 });
        assert_eq!(throttle.check("a"), Verdict::Allowed { remaining: 0 });
        assert!(matches!(throttle.check("a"), Verdict::Throttled { .. }));
        assert_eq!(
            throttle.check("b"),
            Verdict::Allowed { remaining: 1 },
            "callers are counted apart"
        );
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(
            throttle.check("a"),
            Verdict::Allowed { remaining: 1 },
            "a new window opened"
        );
        assert_eq!(throttle.refused(), 1, "the one refusal is counted");
    }

    #[test]
    fn a_zero_limit_is_unlimited() {
        let throttle = Throttle::new(0, Duration::from_secs(1));
        assert!((0..1000).all(|_| matches!(throttle.check("a"), Verdict::Allowed { .. })));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(200)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1200)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
