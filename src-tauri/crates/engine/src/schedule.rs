//! When the background loop does what: the outbox and inbox whenever there is work, the catch-up
//! reconcile on start, after the machine wakes, and on a slow schedule that is slower still while
//! webhooks are known to arrive (Willo asks integrators not to poll hard).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::catch_up::SweepGap;
use crate::health::Service;
use crate::Engine;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// How often the loop looks for due work even when nothing woke it.
    pub tick: Duration,
    /// The longest gap between sweeps of the catch-up when no webhook has arrived recently
    /// (the gap is shorter where a sweep costs little of Willo's budget).
    pub reconcile_every: Duration,
    /// Catch-up interval while webhooks arrive.
    pub reconcile_every_with_webhooks: Duration,
    /// A webhook within this long counts as "webhooks arrive".
    pub webhooks_fresh_for: Duration,
    /// Requests one slice of the catch-up may make: the loop sees to the outbox and the inbox
    /// between slices.
    pub budget: usize,
    /// How often the ATS's stages are polled for triggers (an ATS webhook polls at once).
    pub ats_poll_every: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            tick: Duration::from_secs(15),
            reconcile_every: Duration::from_secs(10 * 60),
            reconcile_every_with_webhooks: Duration::from_secs(60 * 60),
            webhooks_fresh_for: Duration::from_secs(6 * 60 * 60),
            budget: 20,
            ats_poll_every: Duration::from_secs(120),
        }
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Schedule {
    /// Whether a new sweep of the catch-up is due at `now` (all Unix milliseconds), the last
    /// having ended at `last_catch_up`. Without webhooks the gap is the planned one, at least a
    /// tick and at most `reconcile_every`; with them, `reconcile_every_with_webhooks`; and never
    /// less than what keeps sweeps to half the daily budget.
    pub fn catch_up_due(
        &self,
        last_catch_up: Option<i64>,
        last_webhook: Option<i64>,
        gap: SweepGap,
        now: i64,
    ) -> bool {
        let Some(last) = last_catch_up else {
            return true;
        };
        let webhooks_arrive =
            last_webhook.is_some_and(|at| now - at <= ms(self.webhooks_fresh_for));
        let every = if webhooks_arrive {
            ms(self.reconcile_every_with_webhooks)
        } else {
            gap.planned_ms
                .clamp(ms(self.tick), ms(self.reconcile_every).max(ms(self.tick)))
        };
        now - last >= every.max(gap.least_ms)
    }

    /// Whether the machine slept between two ticks: the wall clock moved on much further than the
    /// monotonic clock, which stands still during suspend.
    pub fn slept(&self, wall_elapsed_ms: i64, monotonic_elapsed: Duration) -> bool {
        wall_elapsed_ms - ms(monotonic_elapsed) > ms(self.tick).max(30_000)
    }
}

/// How long a stop waits for the request in flight (HTTP timeouts are 30 s).
const STOP_GRACE: Duration = Duration::from_secs(35);

/// The engine's loop running in the background, and how to stop it.
pub struct Background {
    stop: watch::Sender<bool>,
    stopping: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Background {
    /// Stops the loop: the outbox finishes the one item in flight and takes no other; every
    /// other step ends where it is (all state is in the store).
    pub async fn stop(self) {
        self.stopping.store(true, Ordering::SeqCst);
        let _ = self.stop.send(true);
        if tokio::time::timeout(STOP_GRACE, self.task).await.is_err() {
            tracing::warn!("the engine did not stop within {} s", STOP_GRACE.as_secs());
        }
    }
}

impl Engine {
    /// Stops this process acting on the outbox: no driver (the loop or a bulk send) takes
    /// another item, and this waits (35 s at most) for the one in flight. False if it was still
    /// in flight then.
    pub async fn quiesce(&self) -> bool {
        self.stopping.store(true, Ordering::SeqCst);
        self.set_acting(false);
        tokio::time::timeout(STOP_GRACE, self.outbox_turn.lock())
            .await
            .is_ok()
    }

    /// Starts [`Engine::run`] on its own task.
    pub fn spawn(self: &Arc<Self>, schedule: Schedule) -> Background {
        let (stop, stopped) = watch::channel(false);
        self.stopping.store(false, Ordering::SeqCst);
        let task = tokio::spawn(Arc::clone(self).run(schedule, stopped));
        Background {
            stop,
            stopping: Arc::clone(&self.stopping),
            task,
        }
    }

    /// Runs until `shutdown` turns true: outbox and inbox on every wake or tick, the catch-up as
    /// the schedule says. Errors are logged and the loop goes on; nothing here can lose data,
    /// because all state is in the store.
    pub async fn run(self: Arc<Self>, schedule: Schedule, mut shutdown: watch::Receiver<bool>) {
        let wake = self.wake_handle();
        let poll_now = self.poll_handle();
        let mut last_catch_up: Option<i64> = None;
        // A read of the ATS just made (serve's start, the desktop's first sync) counts: the loop
        // does not read it again at once.
        let mut last_poll: Option<i64> = match self.ats {
            Some(_) => self
                .store
                .last_synced_at(self.ats_connection)
                .await
                .unwrap_or(None),
            None => None,
        };
        let mut poll_asked = false;
        if let Err(error) = self.carry_over_willo_usage().await {
            tracing::warn!(%error, "could not read the day's earlier use of the Willo budget");
        }
        // Whatever an earlier process left leased, it left by dying: take it over now.
        if let Err(error) = self.take_over_leases().await {
            tracing::warn!(%error, "could not release earlier leases");
        }
        let mut last_wall = self.now();
        let mut last_mono = tokio::time::Instant::now();
        while !*shutdown.borrow() {
            let now = self.now();
            let slept = schedule.slept(now - last_wall, last_mono.elapsed());
            last_wall = now;
            last_mono = tokio::time::Instant::now();

            let poll_due = last_poll.is_none_or(|at| now - at >= ms(schedule.ats_poll_every));
            if self.ats.is_some() && (poll_asked || poll_due) {
                let polled = self.poll_triggers().await;
                self.note_health(Service::Ats, &polled);
                match polled {
                    Ok(report) if report.queued > 0 => {
                        tracing::info!(queued = report.queued, "stage triggers queued invitations")
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "the ATS poll failed"),
                }
                last_poll = Some(self.now());
                poll_asked = false;
            }
            if let Err(error) = self.queue_due_writebacks().await {
                tracing::warn!(%error, "the write-back sweep failed");
            }
            if let Err(error) = self.run_outbox_once().await {
                tracing::warn!(%error, "the outbox run failed");
            }
            if *shutdown.borrow() {
                break;
            }
            if let Err(error) = self.process_inbox_once().await {
                tracing::warn!(%error, "the inbox run failed");
            }
            if *shutdown.borrow() {
                break;
            }
            let last_webhook = self.store.last_inbox_at().await.unwrap_or(None);
            let sweeping = self.sweeping();
            let mut more = false;
            if slept
                || sweeping
                || schedule.catch_up_due(last_catch_up, last_webhook, self.sweep_gap().await, now)
            {
                if slept {
                    tracing::info!("the machine woke up; catching up with Willo");
                }
                let caught_up = self.catch_up(schedule.budget).await;
                self.note_health(Service::Willo, &caught_up);
                match caught_up {
                    Ok(report) => {
                        tracing::debug!(
                            checked = report.checked,
                            completed = report.completed,
                            requests = report.requests,
                            pages = report.pages,
                            throttled = report.throttled,
                            "catch-up slice done"
                        );
                        // A sweep under way goes on at once (the pacer spaces the requests),
                        // as long as each slice gets somewhere.
                        more = !report.throttled && report.requests > 0 && self.sweeping();
                    }
                    Err(error) => tracing::warn!(%error, "the catch-up failed"),
                }
                last_catch_up = Some(self.now());
            }
            if let Err(error) = self.purge_if_due().await {
                tracing::warn!(%error, "the retention purge failed");
            }
            if let Err(error) = self.record_willo_usage().await {
                tracing::warn!(%error, "could not record the use of the Willo budget");
            }
            if more {
                continue;
            }
            tokio::select! {
                () = wake.notified() => {}
                () = poll_now.notified() => poll_asked = true,
                () = tokio::time::sleep(schedule.tick) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!("the engine stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn gap(planned_ms: i64) -> SweepGap {
        SweepGap {
            planned_ms,
            least_ms: 0,
        }
    }

    #[test]
    fn the_first_catch_up_is_due_at_once() {
        assert!(Schedule::default().catch_up_due(None, None, gap(0), 0));
    }

    #[test]
    fn without_webhooks_sweeps_follow_the_planned_gap_within_a_tick_and_ten_minutes() {
        let s = Schedule::default();
        let planned = 2 * MIN;
        assert!(!s.catch_up_due(Some(0), None, gap(planned), MIN));
        assert!(s.catch_up_due(Some(0), None, gap(planned), 2 * MIN));
        assert!(
            s.catch_up_due(Some(0), None, gap(0), 15_000),
            "a cheap sweep: again after a tick"
        );
        assert!(!s.catch_up_due(Some(0), None, gap(0), 14_000));
        assert!(
            s.catch_up_due(Some(0), None, gap(60 * MIN), 10 * MIN),
            "never more than ten minutes apart"
        );
    }

    #[test]
    fn no_setting_takes_sweeps_over_half_the_daily_budget() {
        let s = Schedule::default();
        let day_bound = SweepGap {
            planned_ms: MIN,
            least_ms: 3 * 60 * MIN,
        };
        assert!(!s.catch_up_due(Some(0), None, day_bound, 10 * MIN));
        assert!(s.catch_up_due(Some(0), None, day_bound, 3 * 60 * MIN));
    }

    #[test]
    fn while_webhooks_arrive_it_runs_hourly() {
        let s = Schedule::default();
        assert!(
            !s.catch_up_due(Some(0), Some(5 * MIN), gap(0), 30 * MIN),
            "a webhook 25 minutes ago: wait for the hour"
        );
        assert!(s.catch_up_due(Some(0), Some(5 * MIN), gap(0), 60 * MIN));
        assert!(
            s.catch_up_due(Some(0), Some(-7 * 60 * MIN), gap(0), 10 * MIN),
            "webhooks stopped 7 hours ago: back to the planned gap"
        );
    }

    #[test]
    fn a_sleep_is_told_from_a_slow_tick() {
        let s = Schedule::default();
        assert!(
            !s.slept(16_000, Duration::from_secs(15)),
            "an ordinary tick"
        );
        assert!(
            !s.slept(40_000, Duration::from_secs(38)),
            "a busy machine, not asleep"
        );
        assert!(
            s.slept(2 * 60 * MIN, Duration::from_secs(15)),
            "two hours of wall time in fifteen seconds: the lid was closed"
        );
    }
}
