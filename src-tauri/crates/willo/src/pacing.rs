//! One pacer shared by every call to a Willo organisation, holding Willo's published budget: at
//! most so many requests in any second, any minute and any day (sliding windows), of which Willo
//! Desk takes a share so the organisation's other uses (Zapier, other tools) keep room.
//!
//! A slot is taken when a request is about to go, so concurrent callers never overrun a window
//! between them. A throttle from Willo (someone else used the budget, or the limits are lower than
//! configured) pauses everyone until `Retry-After` (or 1 s, 2 s, 4 s ... when none is given), and
//! lowers the window that throttled to 95% of what Willo had accepted in it; after two quiet
//! minutes a lowered window steps back up a tenth of its limit at a time.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// Requests allowed per second, minute and day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    pub per_second: u32,
    pub per_minute: u32,
    pub per_day: u32,
}

impl Budget {
    /// What Willo's support documentation gives per organisation (shared by the V1 and V2 APIs
    /// and Zapier).
    pub const PUBLISHED: Self = Self {
        per_second: 10,
        per_minute: 100,
        per_day: 50_000,
    };

    /// `share` (0–1] of each limit, rounded down, at least 1 request.
    pub fn share(self, share: f64) -> Self {
        let part = |limit: u32| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // clamped to u32
            let n = (f64::from(limit) * share.clamp(0.0, 1.0)).floor() as u32;
            n.max(1)
        };
        Self {
            per_second: part(self.per_second),
            per_minute: part(self.per_minute),
            per_day: part(self.per_day),
        }
    }
}

/// How much of the day's budget has been used, for the app and `doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Requests in the last 24 hours (this process's and those carried over from earlier ones).
    pub last_day: u32,
    /// Requests in the last minute.
    pub last_minute: u32,
    /// The limits Willo Desk keeps to (its share of the organisation's budget).
    pub budget: Budget,
}

impl Usage {
    /// True when the day's use has reached 80% of Willo Desk's share.
    pub fn nearing_day_limit(&self) -> bool {
        u64::from(self.last_day) * 5 >= u64::from(self.budget.per_day) * 4
    }
}

/// The windows are these long; benchmarks compress time by a factor, on both sides alike.
const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(24 * 60 * 60);
/// After a throttle, a half-used window keeps to this share of what Willo accepted in it.
const ACCEPTED_SHARE: f64 = 0.95;
/// How long without a throttle before a lowered window steps back up.
const RECOVER_AFTER: Duration = Duration::from_secs(120);
/// The longest wait after a throttle that gave no `Retry-After`.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
struct Window {
    length: Duration,
    /// Extra spacing kept beyond the window: a request reaches Willo a little after its slot is
    /// taken, and not always equally late.
    margin: Duration,
    limit: u32,
    /// The limit in force (lower than `limit` after a throttle).
    current: u32,
}

impl Window {
    /// A window of `length` (before compression by `factor`). The margin is a fiftieth of it,
    /// between 100 ms (what a request's trip may vary by) and a second.
    fn new(length: Duration, limit: u32, factor: f64) -> Self {
        let margin = (length / 50).clamp(Duration::from_millis(100), SECOND);
        Self {
            length: length.div_f64(factor),
            margin: margin.div_f64(factor),
            limit,
            current: limit,
        }
    }

    fn span(&self) -> Duration {
        self.length + self.margin
    }
}

struct State {
    windows: [Window; 3],
    /// When each slot was taken, oldest first, as far back as the longest window.
    sent: VecDeque<Instant>,
    /// Earlier processes' requests (from the store): when each batch leaves the day window.
    carried: VecDeque<(Instant, u32)>,
    paused_until: Option<Instant>,
    throttles_in_row: u32,
    /// When a window was last lowered or raised.
    changed_at: Instant,
    /// Requests per Unix minute not yet written to the store.
    unrecorded: BTreeMap<i64, u32>,
    /// Requests per Unix minute handed to the store (so the store's counts, carried over, do not
    /// count this process's requests twice).
    recorded: BTreeMap<i64, u32>,
}

impl State {
    /// Slots taken within `span` before `now`.
    fn count_within(&self, span: Duration, now: Instant) -> usize {
        let cut = self
            .sent
            .partition_point(|t| now.duration_since(*t) >= span);
        self.sent.len() - cut
    }

    fn carried_count(&self, now: Instant) -> u32 {
        self.carried
            .iter()
            .filter(|(leaves, _)| *leaves > now)
            .map(|(_, n)| n)
            .sum()
    }

    /// When the next slot may be taken (`now` or later).
    fn next_slot(&self, now: Instant) -> Instant {
        let mut at = self.paused_until.filter(|p| *p > now).unwrap_or(now);
        for (i, window) in self.windows.iter().enumerate() {
            let span = window.span();
            let carried = if i == 2 { self.carried_count(now) } else { 0 };
            let used = self.count_within(span, now) + carried as usize;
            let limit = window.current as usize;
            if used < limit {
                continue;
            }
            // Carried requests are older than ours, so they leave the window first; the slot
            // that must leave before another may be taken is the `used - limit`-th to leave.
            let mut leaving = used - limit;
            let mut free_at = None;
            if i == 2 {
                for (leaves, n) in self.carried.iter().filter(|(l, _)| *l > now) {
                    if leaving < *n as usize {
                        free_at = Some(*leaves);
                        break;
                    }
                    leaving -= *n as usize;
                }
            }
            let free_at = free_at.unwrap_or_else(|| {
                let ours = self.count_within(span, now);
                self.sent[self.sent.len() - ours + leaving] + span
            });
            at = at.max(free_at);
        }
        at
    }

    fn forget_old(&mut self, now: Instant) {
        let longest = self.windows[2].span();
        while self
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= longest)
        {
            self.sent.pop_front();
        }
        while self
            .carried
            .front()
            .is_some_and(|(leaves, _)| *leaves <= now)
        {
            self.carried.pop_front();
        }
    }
}

pub struct Pacer {
    state: Mutex<State>,
    budget: Budget,
    recover_after: Duration,
}

/// The current Unix minute, as the store keeps the day's requests.
pub fn unix_minute() -> i64 {
    chrono::Utc::now().timestamp().div_euclid(60)
}

impl Pacer {
    /// Keeps to `budget` in every second, minute and day.
    pub fn new(budget: Budget) -> Arc<Self> {
        Self::compressed(budget, 1.0)
    }

    /// As [`Pacer::new`] with every window `factor` times shorter: for benchmarks that run a
    /// day of traffic in minutes against a simulator compressed by the same factor.
    pub fn compressed(budget: Budget, factor: f64) -> Arc<Self> {
        let factor = factor.max(1.0);
        let now = Instant::now();
        let window = |length: Duration, limit: u32| Window::new(length, limit.max(1), factor);
        Arc::new(Self {
            state: Mutex::new(State {
                windows: [
                    window(SECOND, budget.per_second),
                    window(MINUTE, budget.per_minute),
                    window(DAY, budget.per_day),
                ],
                sent: VecDeque::new(),
                carried: VecDeque::new(),
                paused_until: None,
                throttles_in_row: 0,
                changed_at: now,
                unrecorded: BTreeMap::new(),
                recorded: BTreeMap::new(),
            }),
            budget,
            recover_after: RECOVER_AFTER.div_f64(factor),
        })
    }

    /// No limits that matter: for tests that are not about pacing.
    pub fn unlimited() -> Arc<Self> {
        Self::new(Budget {
            per_second: u32::MAX / 4,
            per_minute: u32::MAX / 4,
            per_day: u32::MAX / 4,
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How long the pacer's minute is (shorter when compressed for a benchmark).
    pub fn minute(&self) -> Duration {
        self.state().windows[1].length
    }

    /// The limits this pacer keeps to when not throttled.
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// The limits in force now (lower than the budget for a while after a throttle).
    pub fn current(&self) -> Budget {
        let s = self.state();
        Budget {
            per_second: s.windows[0].current,
            per_minute: s.windows[1].current,
            per_day: s.windows[2].current,
        }
    }

    /// Counts the requests the store holds for the last day (per Unix minute), less this
    /// process's own, in the day's window: each minute's requests as if made at its end, so none
    /// leaves the window before Willo's does. Replaces what an earlier call carried.
    pub fn carry_over(&self, per_minute: &[(i64, u32)]) {
        let now = Instant::now();
        let now_ms = chrono::Utc::now().timestamp_millis();
        let mut s = self.state();
        let day = s.windows[2].span();
        let factor = DAY.as_secs_f64() / s.windows[2].length.as_secs_f64();
        let mut carried = Vec::new();
        for (minute, count) in per_minute {
            let own = s.recorded.get(minute).copied().unwrap_or(0);
            let others = count.saturating_sub(own);
            let ended_ms = (minute + 1) * 60_000;
            let age = Duration::from_millis(u64::try_from(now_ms - ended_ms).unwrap_or(0))
                .div_f64(factor);
            if let Some(left) = day.checked_sub(age).filter(|d| !d.is_zero() && others > 0) {
                carried.push((now + left, others));
            }
        }
        carried.sort_by_key(|(leaves, _)| *leaves);
        s.carried = carried.into();
    }

    /// Waits until a request may go without overrunning any window, and takes its slot.
    pub async fn ready(&self) {
        loop {
            let wait_until = {
                let mut s = self.state();
                let now = Instant::now();
                s.forget_old(now);
                let at = s.next_slot(now);
                if at <= now {
                    s.sent.push_back(now);
                    *s.unrecorded.entry(unix_minute()).or_default() += 1;
                    return;
                }
                at
            };
            tokio::time::sleep_until(wait_until).await;
        }
    }

    /// A request was answered without a throttle. After a quiet spell, lowered windows step up.
    pub fn record_sent(&self) {
        let now = Instant::now();
        let mut s = self.state();
        s.throttles_in_row = 0;
        if now.duration_since(s.changed_at) < self.recover_after {
            return;
        }
        let mut raised = false;
        for window in &mut s.windows {
            if window.current < window.limit {
                window.current = (window.current + (window.limit / 10).max(1)).min(window.limit);
                raised = true;
            }
        }
        if raised {
            tracing::debug!("no throttling for a while; speeding up");
            s.changed_at = now;
        }
    }

    /// Willo throttled a request: everyone waits `retry_after` (or 1 s, 2 s, 4 s ... up to a
    /// minute when Willo gave none), and the window that throttled keeps to 95% of what Willo
    /// accepted in it (the throttled request itself was not accepted).
    pub fn throttled(&self, retry_after: Option<Duration>) {
        let now = Instant::now();
        let mut s = self.state();
        let backoff = || {
            let doubled = SECOND.saturating_mul(2u32.saturating_pow(s.throttles_in_row.min(16)));
            doubled.min(MAX_BACKOFF)
        };
        let until = now + retry_after.unwrap_or_else(backoff);
        s.throttles_in_row += 1;
        if s.paused_until.is_none_or(|p| p < until) {
            s.paused_until = Some(until);
        }
        // Willo's Retry-After is when its window has room again, so it is no longer than that
        // window: the throttling window is taken to be the shortest of ours at least that long
        // (the second, when Willo gives no Retry-After).
        let target = retry_after.map_or(0, |wait| {
            s.windows
                .iter()
                .position(|w| w.length >= wait)
                .unwrap_or(s.windows.len() - 1)
        });
        let span = s.windows[target].span();
        let accepted = s.count_within(span, now).saturating_sub(1);
        s.changed_at = now;
        if accepted == 0 {
            // Nothing of ours was accepted in that window: others of the organisation filled it.
            // The pause is the whole answer; keeping to "none" would hold us to one a window.
            return;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // a count of requests
        let lowered = ((accepted as f64 * ACCEPTED_SHARE).floor() as u32).max(1);
        let window = &mut s.windows[target];
        if lowered < window.current {
            tracing::info!(
                from = window.current,
                to = lowered,
                window_ms = u64::try_from(window.length.as_millis()).unwrap_or(u64::MAX),
                "Willo throttled us; slowing down"
            );
            window.current = lowered;
        }
    }

    /// How much of the budget is used.
    pub fn usage(&self) -> Usage {
        let now = Instant::now();
        let mut s = self.state();
        s.forget_old(now);
        let last_day = s.count_within(s.windows[2].length, now) as u32 + s.carried_count(now);
        let last_minute = s.count_within(s.windows[1].length, now) as u32;
        Usage {
            last_day,
            last_minute,
            budget: self.budget,
        }
    }

    /// Requests per Unix minute made since the last call, for the store (so a restart carries
    /// the day's use over).
    pub fn take_unrecorded(&self) -> Vec<(i64, u32)> {
        let mut s = self.state();
        let fresh: Vec<(i64, u32)> = std::mem::take(&mut s.unrecorded).into_iter().collect();
        let oldest = unix_minute() - 24 * 60;
        s.recorded.retain(|minute, _| *minute > oldest);
        for (minute, n) in &fresh {
            *s.recorded.entry(*minute).or_default() += n;
        }
        fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Budget = Budget {
        per_second: 5,
        per_minute: 20,
        per_day: 100,
    };

    /// Checks a log of send times against a window independently of the pacer: no interval of
    /// `length` holds more than `limit` of them.
    fn within(times: &[Instant], length: Duration, limit: usize) -> Result<(), String> {
        for (i, start) in times.iter().enumerate() {
            let inside = times[i..]
                .iter()
                .take_while(|t| t.duration_since(*start) < length)
                .count();
            if inside > limit {
                return Err(format!(
                    "{inside} requests within {length:?} from request {i} (limit {limit})"
                ));
            }
        }
        Ok(())
    }

    #[test]
    fn a_share_rounds_down_and_keeps_one() {
        assert_eq!(
            Budget::PUBLISHED.share(0.8),
            Budget {
                per_second: 8,
                per_minute: 80,
                per_day: 40_000
            }
        );
        assert_eq!(Budget::PUBLISHED.share(0.0).per_second, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_never_overrun_a_window_over_a_long_run() {
        let pacer = Pacer::new(SMALL);
        let log = Arc::new(Mutex::new(Vec::new()));
        let started = Instant::now();
        let mut tasks = Vec::new();
        // Three kinds of traffic at once, as in the engine: a bulk send, the catch-up, a review.
        for (callers, every) in [(4, 0u64), (2, 700), (1, 3_000)] {
            for _ in 0..callers {
                let pacer = Arc::clone(&pacer);
                let log = Arc::clone(&log);
                tasks.push(tokio::spawn(async move {
                    let end = started + Duration::from_secs(3 * 3600);
                    while tokio::time::timeout_at(end, pacer.ready()).await.is_ok() {
                        log.lock().unwrap().push(Instant::now());
                        pacer.record_sent();
                        tokio::time::sleep(Duration::from_millis(every)).await;
                    }
                }));
            }
        }
        for task in tasks {
            task.await.unwrap();
        }
        let mut times = log.lock().unwrap().clone();
        times.sort();
        within(&times, SECOND, 5).unwrap();
        within(&times, MINUTE, 20).unwrap();
        within(&times, DAY, 100).unwrap();
        assert_eq!(times.len(), 100, "the whole day's budget was used, no more");
    }

    #[tokio::test(start_paused = true)]
    async fn a_steady_caller_gets_the_minute_budget() {
        let pacer = Pacer::new(Budget {
            per_second: 10,
            per_minute: 100,
            per_day: 50_000,
        });
        let started = Instant::now();
        let mut times = Vec::new();
        while Instant::now().duration_since(started) < Duration::from_secs(600) {
            pacer.ready().await;
            times.push(Instant::now());
        }
        // 100 a minute, less the margin kept for late arrivals.
        assert!(
            (970..=1_010).contains(&times.len()),
            "{} in ten minutes",
            times.len()
        );
        within(&times, MINUTE, 100).unwrap();
        within(&times, SECOND, 10).unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_pauses_everyone_and_lowers_the_window_its_wait_points_to() {
        let pacer = Pacer::new(Budget::PUBLISHED);
        for _ in 0..8 {
            pacer.ready().await;
            pacer.record_sent();
        }
        pacer.ready().await;
        pacer.throttled(Some(Duration::from_secs(1)));
        assert_eq!(
            pacer.current(),
            Budget {
                per_second: 7,
                ..Budget::PUBLISHED
            },
            "a 1 s wait: the second held 8 accepted, and keeps to 95% of them"
        );
        let before = Instant::now();
        pacer.ready().await;
        assert!(Instant::now().duration_since(before) >= Duration::from_secs(1));

        tokio::time::advance(Duration::from_secs(5)).await;
        pacer.ready().await;
        pacer.throttled(Some(Duration::from_secs(30)));
        assert_eq!(
            pacer.current().per_minute,
            9,
            "a 30 s wait: the minute, which had accepted 10"
        );
        let before = Instant::now();
        pacer.ready().await;
        assert!(Instant::now().duration_since(before) >= Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_before_any_request_of_ours_was_accepted_only_pauses() {
        let pacer = Pacer::new(Budget::PUBLISHED);
        pacer.ready().await;
        pacer.throttled(Some(Duration::from_secs(2)));
        assert_eq!(
            pacer.current(),
            Budget::PUBLISHED,
            "others filled Willo's window: our own pace says nothing about it"
        );
        let before = Instant::now();
        pacer.ready().await;
        let waited = Instant::now().duration_since(before);
        assert!(
            waited >= Duration::from_secs(2) && waited < Duration::from_secs(3),
            "the Retry-After, not a minute: {waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn without_retry_after_the_pause_doubles_and_a_success_resets_it() {
        let pacer = Pacer::new(Budget::PUBLISHED);
        let mut waits = Vec::new();
        for _ in 0..3 {
            pacer.throttled(None);
            let before = Instant::now();
            pacer.ready().await;
            waits.push(Instant::now().duration_since(before).as_secs());
        }
        assert_eq!(waits, vec![1, 2, 4]);
        pacer.record_sent();
        pacer.throttled(None);
        let before = Instant::now();
        pacer.ready().await;
        assert_eq!(Instant::now().duration_since(before).as_secs(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn lowered_windows_step_back_up_after_quiet_minutes_and_no_further() {
        let pacer = Pacer::new(Budget {
            per_second: 10,
            per_minute: 100,
            per_day: 50_000,
        });
        for _ in 0..10 {
            pacer.ready().await;
        }
        pacer.throttled(Some(Duration::ZERO));
        assert_eq!(pacer.current().per_second, 8);
        pacer.record_sent();
        assert_eq!(pacer.current().per_second, 8, "not yet");
        for _ in 0..5 {
            tokio::time::advance(RECOVER_AFTER).await;
            pacer.record_sent();
        }
        assert_eq!(pacer.current(), pacer.budget(), "back, and never above it");
    }

    #[tokio::test(start_paused = true)]
    async fn earlier_use_counts_against_the_day_and_is_handed_to_the_store() {
        let pacer = Pacer::new(SMALL);
        let minute = unix_minute();
        pacer.carry_over(&[(minute - 60, 90), (minute - 24 * 60 - 5, 1_000)]);
        assert_eq!(pacer.usage().last_day, 90, "a day-old batch is gone");
        for _ in 0..10 {
            pacer.ready().await;
        }
        assert_eq!(pacer.usage().last_day, 100);
        assert!(pacer.usage().nearing_day_limit());
        let recorded = pacer.take_unrecorded();
        assert_eq!(
            recorded.iter().map(|(_, n)| n).sum::<u32>(),
            10,
            "only this process's requests go to the store"
        );
        assert!(pacer.take_unrecorded().is_empty(), "and only once");
        // The store now holds both; carried over again, this process's are not counted twice.
        let mut store: Vec<(i64, u32)> = vec![(minute - 60, 90)];
        store.extend(recorded);
        pacer.carry_over(&store);
        assert_eq!(pacer.usage().last_day, 100);
        let before = Instant::now();
        pacer.ready().await;
        let waited = Instant::now().duration_since(before);
        assert!(
            waited >= Duration::from_secs(22 * 3600),
            "the day was full until the carried batch left it: {waited:?}"
        );
    }
}
