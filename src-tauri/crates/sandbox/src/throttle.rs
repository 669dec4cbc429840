//! Sliding-window request limits, the way the simulated servers throttle: at most `limit` requests
//! in any stretch of `length`, for every window at once, per caller (an organisation, a token).
//! Refused requests do not count against the windows (as in Django REST framework).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::faults::lock;

/// One window: `limit` requests per `length`; a limit of 0 is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub length: Duration,
    pub limit: u32,
}

#[derive(Debug)]
pub struct Throttle {
    windows: Mutex<Vec<Window>>,
    /// When each caller's allowed requests came, oldest first, as far back as the longest window.
    log: Mutex<HashMap<String, VecDeque<Instant>>>,
    /// How many requests were refused (benchmarks count the throttles a client met).
    refused: AtomicU64,
}

/// The outcome of one request against the limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed; this many are left in the tightest window (`u32::MAX` when unlimited).
    Allowed { remaining: u32 },
    /// Refused; a request would be allowed again after this long.
    Throttled { retry_after: Duration },
}

impl Throttle {
    /// One window of `limit` requests per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self::windows(vec![Window {
            length: window,
            limit,
        }])
    }

    pub fn windows(windows: Vec<Window>) -> Self {
        Self {
            windows: Mutex::new(windows),
            log: Mutex::new(HashMap::new()),
            refused: AtomicU64::new(0),
        }
    }

    /// Requests refused so far.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Replaces the windows and forgets what came before.
    pub fn set_windows(&self, windows: Vec<Window>) {
        *lock(&self.windows) = windows;
        lock(&self.log).clear();
    }

    /// The tightest limit (0: unlimited), for `X-RateLimit-Limit`-style headers.
    pub fn limit(&self) -> u32 {
        lock(&self.windows)
            .iter()
            .filter(|w| w.limit > 0)
            .map(|w| w.limit)
            .min()
            .unwrap_or(0)
    }

    pub fn check(&self, caller: &str) -> Verdict {
        let windows: Vec<Window> = lock(&self.windows)
            .iter()
            .copied()
            .filter(|w| w.limit > 0)
            .collect();
        if windows.is_empty() {
            return Verdict::Allowed {
                remaining: u32::MAX,
            };
        }
        let longest = windows.iter().map(|w| w.length).max().unwrap_or_default();
        let now = Instant::now();
        let mut logs = lock(&self.log);
        let log = logs.entry(caller.to_owned()).or_default();
        while log
            .front()
            .is_some_and(|t| now.duration_since(*t) >= longest)
        {
            log.pop_front();
        }
        let mut wait = Duration::ZERO;
        let mut remaining = u32::MAX;
        for window in &windows {
            let cut = log.partition_point(|t| now.duration_since(*t) >= window.length);
            let inside = log.len() - cut;
            let limit = window.limit as usize;
            if inside >= limit {
                // The request that must leave the window before another fits.
                let leaving = log[cut + inside - limit];
                wait = wait.max((leaving + window.length).saturating_duration_since(now));
            } else {
                remaining = remaining.min(u32::try_from(limit - inside - 1).unwrap_or(u32::MAX));
            }
        }
        if !wait.is_zero() {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Verdict::Throttled { retry_after: wait };
        }
        log.push_back(now);
        Verdict::Allowed { remaining }
    }

    /// How long until the oldest request counted against `caller` leaves its window, the soonest
    /// over all windows (zero when none is counted): when a request is next freed, for
    /// `X-Rate-Limit-Reset`-style headers.
    pub fn frees_in(&self, caller: &str) -> Duration {
        let windows: Vec<Window> = lock(&self.windows)
            .iter()
            .copied()
            .filter(|w| w.limit > 0)
            .collect();
        let now = Instant::now();
        let logs = lock(&self.log);
        let Some(log) = logs.get(caller) else {
            return Duration::ZERO;
        };
        windows
            .iter()
            .filter_map(|w| {
                log.iter()
                    .find(|t| now.duration_since(**t) < w.length)
                    .map(|t| (*t + w.length).saturating_duration_since(now))
            })
            .min()
            .unwrap_or_default()
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
    fn requests_over_the_limit_are_throttled_until_the_oldest_leaves_the_window() {
        let throttle = Throttle::new(2, Duration::from_millis(100));
        assert_eq!(throttle.check("a"), Verdict::Allowed { remaining: 1 });
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(throttle.check("a"), Verdict::Allowed { remaining: 0 });
        assert!(matches!(throttle.check("a"), Verdict::Throttled { .. }));
        assert_eq!(
            throttle.check("b"),
            Verdict::Allowed { remaining: 1 },
            "callers are counted apart"
        );
        std::thread::sleep(Duration::from_millis(50));
        // A fixed window would have reopened at 100 ms with room for two; the sliding one has
        // room for the one that left.
        assert!(matches!(throttle.check("a"), Verdict::Allowed { .. }));
        assert!(matches!(throttle.check("a"), Verdict::Throttled { .. }));
        assert_eq!(throttle.refused(), 2, "each refusal is counted");
    }

    #[test]
    fn every_window_holds_at_once() {
        let throttle = Throttle::windows(vec![
            Window {
                length: Duration::from_millis(50),
                limit: 3,
            },
            Window {
                length: Duration::from_millis(400),
                limit: 5,
            },
        ]);
        let mut allowed = 0;
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(300) {
            if matches!(throttle.check("org"), Verdict::Allowed { .. }) {
                allowed += 1;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            allowed, 5,
            "the longer window caps what the short one would allow"
        );
        match throttle.check("org") {
            Verdict::Throttled { retry_after } => assert!(
                retry_after > Duration::from_millis(50),
                "the wait is the longer window's: {retry_after:?}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn frees_in_is_when_the_oldest_counted_request_leaves() {
        let throttle = Throttle::new(2, Duration::from_millis(500));
        assert_eq!(throttle.frees_in("a"), Duration::ZERO, "nothing counted");
        throttle.check("a");
        std::thread::sleep(Duration::from_millis(100));
        throttle.check("a");
        let wait = throttle.frees_in("a");
        assert!(
            wait <= Duration::from_millis(400) && wait > Duration::from_millis(300),
            "the first request leaves first: {wait:?}"
        );
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
