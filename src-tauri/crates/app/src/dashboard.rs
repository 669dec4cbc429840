//! The dashboard's figures: the funnel per job and over time, how long candidates take, how
//! many complete each interview, and how long completed interviews have waited for review.

use std::collections::BTreeMap;

use desk_domain::InvitationStatus;
use desk_store::DayCount;

use crate::app::{count, now_ms};
use crate::ipc::{Bucket, CompletionRate, DashboardStats, DayPoint, FunnelJob, WilloBudget};
use crate::{App, AppError};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
const DAYS_SHOWN: i64 = 14;

/// Counts `values` (milliseconds) into the buckets whose upper bounds are `bounds`, plus one
/// open-ended bucket.
fn buckets(values: &[i64], bounds: &[(i64, &str)], last: &str) -> Vec<Bucket> {
    let mut counts = vec![0u32; bounds.len() + 1];
    for &v in values {
        let at = bounds
            .iter()
            .position(|(b, _)| v < *b)
            .unwrap_or(bounds.len());
        counts[at] += 1;
    }
    bounds
        .iter()
        .map(|(_, label)| (*label).to_owned())
        .chain(std::iter::once(last.to_owned()))
        .zip(counts)
        .map(|(label, count)| Bucket { label, count })
        .collect()
}

/// The last `DAYS_SHOWN` days ending with `today` (`YYYY-MM-DD`), zero-filled.
fn days(rows: &[DayCount], now: i64) -> Vec<DayPoint> {
    let mut by_day: BTreeMap<String, DayPoint> = BTreeMap::new();
    for back in (0..DAYS_SHOWN).rev() {
        let day = chrono::DateTime::from_timestamp_millis(now - back * DAY)
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        by_day.insert(
            day.clone(),
            DayPoint {
                day,
                invited: 0,
                completed: 0,
                synced: 0,
            },
        );
    }
    for row in rows {
        if let Some(point) = by_day.get_mut(&row.day) {
            let n = count(row.count);
            match row.status {
                InvitationStatus::Invited => point.invited += n,
                InvitationStatus::Completed => point.completed += n,
                InvitationStatus::Synced => point.synced += n,
                _ => {}
            }
        }
    }
    by_day.into_values().collect()
}

impl App {
    /// The day's use of Willo's budget and the state of the checks for completions.
    async fn willo_budget(&self) -> Result<WilloBudget, AppError> {
        let usage = self.engine.willo_usage().await?;
        let sweep = self.engine.sweep_status().await?;
        #[allow(clippy::cast_precision_loss)] // milliseconds, far below 2^53
        let ms = |v: i64| v as f64;
        Ok(WilloBudget {
            last_day: usage.last_day,
            day_limit: usage.budget.per_day,
            nearing_limit: usage.nearing_day_limit(),
            last_minute: usage.last_minute,
            minute_limit: usage.budget.per_minute,
            last_check_at: sweep.last.map(|l| ms(l.finished_at)),
            last_check_took_ms: sweep.last.map(|l| ms(l.took_ms)),
            open: count(sweep.open),
            checking: sweep.checked.map(count),
            next_check_takes_ms: ms(sweep.next_takes_ms),
        })
    }

    pub async fn dashboard(&self) -> Result<DashboardStats, AppError> {
        let now = now_ms();
        let funnel = self
            .store
            .funnel(self.ats_connection)
            .await?
            .into_iter()
            .map(|f| FunnelJob {
                job_title: f.job_title,
                triggered: count(f.triggered),
                invited: count(f.invited),
                opened: count(f.opened),
                completed: count(f.completed),
                reviewed: count(f.reviewed),
                synced: count(f.synced),
            })
            .collect();
        let per_day = self.store.steps_per_day(now - DAYS_SHOWN * DAY).await?;
        let took = self.store.times_to_complete().await?;
        let waiting: Vec<i64> = self
            .store
            .inbox(10_000)
            .await?
            .iter()
            .map(|e| now - e.completed_at)
            .collect();
        Ok(DashboardStats {
            funnel,
            days: days(&per_day, now),
            time_to_complete: buckets(
                &took,
                &[
                    (HOUR, "< 1 h"),
                    (6 * HOUR, "1–6 h"),
                    (DAY, "6–24 h"),
                    (3 * DAY, "1–3 days"),
                    (7 * DAY, "3–7 days"),
                ],
                "> 7 days",
            ),
            completion: self
                .store
                .completion_rates()
                .await?
                .into_iter()
                .map(|r| CompletionRate {
                    interview_title: r.interview_title,
                    invited: count(r.invited),
                    completed: count(r.completed),
                })
                .collect(),
            willo: self.willo_budget().await?,
            unreviewed_age: buckets(
                &waiting,
                &[
                    (DAY, "< 1 day"),
                    (3 * DAY, "1–3 days"),
                    (7 * DAY, "3–7 days"),
                ],
                "> 7 days",
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_land_in_their_bucket_and_the_last_is_open_ended() {
        let b = buckets(
            &[0, HOUR - 1, HOUR, 30 * DAY],
            &[(HOUR, "< 1 h"), (DAY, "1–24 h")],
            "> 1 day",
        );
        let counts: Vec<_> = b.iter().map(|b| (b.label.as_str(), b.count)).collect();
        assert_eq!(counts, [("< 1 h", 2), ("1–24 h", 1), ("> 1 day", 1)]);
    }

    #[test]
    fn every_day_is_shown_and_old_or_unknown_rows_are_ignored() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
            .unwrap()
            .timestamp_millis();
        let rows = vec![
            DayCount {
                day: "2026-11-30".into(),
                status: InvitationStatus::Completed,
                count: 3,
            },
            DayCount {
                day: "2026-11-17".into(),
                status: InvitationStatus::Invited,
                count: 5,
            },
            DayCount {
                day: "2026-10-01".into(),
                status: InvitationStatus::Invited,
                count: 9,
            },
            DayCount {
                day: "2026-11-29".into(),
                status: InvitationStatus::Opened,
                count: 9,
            },
        ];
        let points = days(&rows, now);
        assert_eq!(points.len(), 14);
        assert_eq!(points[0].day, "2026-11-17");
        assert_eq!(points[0].invited, 5);
        assert_eq!(points[13].completed, 3);
        assert_eq!(
            points
                .iter()
                .map(|p| p.invited + p.completed + p.synced)
                .sum::<u32>(),
            8
        );
    }
}
