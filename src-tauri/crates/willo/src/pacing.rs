//! One pacer shared by every call to a Willo account, so that a bulk send meets at most one 429
//! and then paces itself. Willo publishes no limits, so the pacer starts at a conservative rate
//! (a setting) and, when throttled, waits out `Retry-After` and slows to just under the rate the
//! server had been accepting. After a quiet spell it creeps back up, a tenth of the starting rate
//! at a time, so one bad minute does not leave the app crawling until it restarts.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// How far back "the rate the server was accepting" is measured.
const WINDOW: Duration = Duration::from_secs(1);
/// After a 429, the share of the rate the server had been accepting that the pacer keeps to.
const ACCEPTED_SHARE: f64 = 0.95;
/// Never slower than one request every four seconds.
const MIN_RATE: f64 = 0.25;

/// The starting rate for a real account: Willo publishes no limits and says it throttles clients
/// that poll or call concurrently, so start slow. The pacer never goes faster than this.
pub const DEFAULT_RATE: f64 = 2.0;
/// How long without a 429 before the rate goes up a step.
const RECOVER_AFTER: Duration = Duration::from_secs(30);

pub struct Pacer {
    limiter: RwLock<Arc<DefaultDirectRateLimiter>>,
    rate: Mutex<f64>,
    /// The starting rate: recovery stops here.
    ceiling: f64,
    recover_after: Duration,
    /// When the rate last changed (a throttle or a recovery step).
    changed_at: Mutex<Instant>,
    paused_until: Mutex<Option<Instant>>,
    sent: Mutex<VecDeque<Instant>>,
}

fn limiter(rate: f64) -> Arc<DefaultDirectRateLimiter> {
    let period = Duration::from_secs_f64(1.0 / rate.max(MIN_RATE));
    let quota = Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::MIN);
    Arc::new(RateLimiter::direct(quota))
}

impl Pacer {
    /// `per_second` requests per second at most, evenly spaced (no bursts).
    pub fn new(per_second: f64) -> Arc<Self> {
        Self::recovering_after(per_second, RECOVER_AFTER)
    }

    /// As [`Pacer::new`], stepping back up after `quiet` without a 429.
    pub fn recovering_after(per_second: f64, quiet: Duration) -> Arc<Self> {
        let rate = per_second.max(MIN_RATE);
        Arc::new(Self {
            limiter: RwLock::new(limiter(rate)),
            rate: Mutex::new(rate),
            ceiling: rate,
            recover_after: quiet,
            changed_at: Mutex::new(Instant::now()),
            paused_until: Mutex::new(None),
            sent: Mutex::new(VecDeque::new()),
        })
    }

    /// The current rate in requests per second.
    pub fn rate(&self) -> f64 {
        *self.rate.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until a request may go out.
    pub async fn ready(&self) {
        loop {
            let pause = *self
                .paused_until
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match pause {
                Some(until) if until > Instant::now() => {
                    tokio::time::sleep_until(until.into()).await
                }
                _ => break,
            }
        }
        let limiter = Arc::clone(&self.limiter.read().unwrap_or_else(PoisonError::into_inner));
        limiter.until_ready().await;
    }

    /// A request was answered (not throttled). After a quiet spell below the starting rate, the
    /// rate goes up a step.
    pub fn record_sent(&self) {
        let now = Instant::now();
        {
            let mut changed = self
                .changed_at
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let mut rate = self.rate.lock().unwrap_or_else(PoisonError::into_inner);
            if *rate < self.ceiling && now.duration_since(*changed) >= self.recover_after {
                let raised = (*rate + self.ceiling / 10.0).min(self.ceiling);
                tracing::debug!(
                    from = *rate,
                    to = raised,
                    "no throttling for a while; speeding up"
                );
                *rate = raised;
                *changed = now;
                *self.limiter.write().unwrap_or_else(PoisonError::into_inner) = limiter(raised);
            }
        }
        let mut sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        sent.push_back(now);
        while sent
            .front()
            .is_some_and(|t| now.duration_since(*t) > WINDOW)
        {
            sent.pop_front();
        }
    }

    /// A request was throttled: everyone waits `retry_after` (1 s if not given), then goes on at
    /// 95% of what the server accepted over the last second (or half the old rate). Requests are
    /// evenly spaced, never bursty, so a 5% margin keeps every window of the server's under its
    /// limit without giving away more of the rate it allows.
    pub fn throttled(&self, retry_after: Option<Duration>) {
        let now = Instant::now();
        let until = now + retry_after.unwrap_or(Duration::from_secs(1));
        {
            let mut pause = self
                .paused_until
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if pause.is_none_or(|p| p < until) {
                *pause = Some(until);
            }
        }
        let accepted = {
            let sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
            sent.iter()
                .filter(|t| now.duration_since(**t) <= WINDOW)
                .count()
        };
        let mut rate = self.rate.lock().unwrap_or_else(PoisonError::into_inner);
        #[allow(clippy::cast_precision_loss)] // a count of requests in one second
        let lowered = if accepted > 0 {
            accepted as f64 * ACCEPTED_SHARE
        } else {
            *rate / 2.0
        };
        let new_rate = lowered.min(*rate).max(MIN_RATE);
        if new_rate < *rate {
            tracing::info!(
                from = *rate,
                to = new_rate,
                "Willo throttled us; slowing down"
            );
            *rate = new_rate;
            *self.limiter.write().unwrap_or_else(PoisonError::into_inner) = limiter(new_rate);
        }
        *self
            .changed_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_are_spaced_at_the_rate() {
        let pacer = Pacer::new(20.0);
        let started = Instant::now();
        for _ in 0..5 {
            pacer.ready().await;
        }
        // The first goes at once; four more at 50 ms intervals.
        assert!(
            started.elapsed() >= Duration::from_millis(190),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn a_throttle_pauses_everyone_and_lowers_the_rate_to_what_was_accepted() {
        let pacer = Pacer::new(100.0);
        for _ in 0..10 {
            pacer.ready().await;
            pacer.record_sent();
        }
        pacer.throttled(Some(Duration::from_millis(150)));
        assert!(
            (pacer.rate() - 9.5).abs() < 1e-9,
            "95% of the 10 accepted in the last second: {}",
            pacer.rate()
        );
        let started = Instant::now();
        pacer.ready().await;
        assert!(
            started.elapsed() >= Duration::from_millis(140),
            "waited out Retry-After"
        );
    }

    #[test]
    fn after_a_quiet_spell_the_rate_steps_back_up_to_where_it_started_and_no_further() {
        let pacer = Pacer::recovering_after(10.0, Duration::from_millis(30));
        pacer.throttled(Some(Duration::ZERO));
        assert!(
            (pacer.rate() - 5.0).abs() < 1e-9,
            "halved: {}",
            pacer.rate()
        );
        pacer.record_sent();
        assert!(
            (pacer.rate() - 5.0).abs() < 1e-9,
            "not yet: the throttle was just now"
        );
        for _ in 0..8 {
            std::thread::sleep(Duration::from_millis(35));
            pacer.record_sent();
        }
        assert!(
            (pacer.rate() - 10.0).abs() < 1e-9,
            "back at the start: {}",
            pacer.rate()
        );
        std::thread::sleep(Duration::from_millis(35));
        pacer.record_sent();
        assert!((pacer.rate() - 10.0).abs() < 1e-9, "and never above it");
    }

    #[test]
    fn a_throttle_with_no_history_halves_the_rate_and_never_raises_it() {
        let pacer = Pacer::new(4.0);
        pacer.throttled(None);
        assert!((pacer.rate() - 2.0).abs() < 1e-9);
        pacer.record_sent();
        for _ in 0..50 {
            pacer.record_sent();
        }
        pacer.throttled(None);
        assert!(pacer.rate() <= 2.0, "a throttle never speeds us up");
    }
}
