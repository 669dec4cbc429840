//! Retention: when a recruiter sets a period, local interview data (answers, transcripts,
//! summaries, reviews, raw JSON) is removed that many days after its results were written to the
//! ATS, or after the application was closed there. Only the local copy: Willo and the ATS keep
//! theirs under their own rules. The purge runs in the engine once a day, and says what it did in
//! the activity log without naming anyone.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Engine, EngineError, EngineEvent};

/// The setting that holds the period in days (absent: off).
const DAYS: &str = "retention_days";
/// When the purge last ran, and how many invitations it cleared.
const LAST_RUN: &str = "retention_last_run";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// The longest period accepted: ten years.
pub const MOST_RETENTION_DAYS: u32 = 3650;

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct LastRun {
    at: i64,
    removed: usize,
}

/// The retention setting and when its purge runs, for Settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Retention {
    /// None: off, data is kept until deleted by hand.
    pub days: Option<u32>,
    #[ts(type = "number | null")]
    pub last_run: Option<i64>,
    /// How many interviews' data the last run removed.
    #[ts(type = "number | null")]
    pub last_removed: Option<usize>,
    /// When the purge runs next (None while off).
    #[ts(type = "number | null")]
    pub next_run: Option<i64>,
}

impl Engine {
    /// The retention period and its schedule.
    pub async fn retention(&self) -> Result<Retention, EngineError> {
        let days: Option<u32> = self.store.setting(DAYS).await?;
        let last: Option<LastRun> = self.store.setting(LAST_RUN).await?;
        Ok(Retention {
            days,
            last_run: last.map(|l| l.at),
            last_removed: last.map(|l| l.removed),
            next_run: days.map(|_| last.map_or(self.now(), |l| l.at + DAY_MS)),
        })
    }

    /// Sets the period (None: off). A changed period is applied at the engine's next turn.
    pub async fn set_retention(&self, days: Option<u32>) -> Result<Retention, EngineError> {
        if let Some(days) = days.filter(|d| !(1..=MOST_RETENTION_DAYS).contains(d)) {
            return Err(EngineError::Invalid(format!(
                "retention: {days} days is outside 1 to {MOST_RETENTION_DAYS}"
            )));
        }
        let now = self.now();
        if self.store.setting::<u32>(DAYS).await? == days {
            return self.retention().await;
        }
        match days {
            Some(days) => self.store.set_setting(DAYS, &days, now).await?,
            None => self.store.delete_setting(DAYS).await?,
        }
        self.store.delete_setting(LAST_RUN).await?;
        self.wake.notify_one();
        self.retention().await
    }

    /// Removes the local interview data whose period has run out, at most once a day. Returns
    /// how many invitations were cleared, or None when it was not due.
    pub async fn purge_if_due(&self) -> Result<Option<usize>, EngineError> {
        if !self.is_acting() {
            return Ok(None);
        }
        let Some(days) = self.store.setting::<u32>(DAYS).await? else {
            return Ok(None);
        };
        let now = self.now();
        let last: Option<LastRun> = self.store.setting(LAST_RUN).await?;
        if last.is_some_and(|l| now - l.at < DAY_MS) {
            return Ok(None);
        }
        let cutoff = now - i64::from(days) * DAY_MS;
        let due = self.store.retention_due(cutoff).await?;
        let why = format!("interview data removed after the {days}-day retention period");
        for chunk in due.chunks(200) {
            let ids: Vec<i64> = chunk.iter().map(|(id, _)| *id).collect();
            let keys: Vec<String> = chunk.iter().flat_map(|(_, keys)| keys.clone()).collect();
            self.store
                .purge_interview_data(&ids, &keys, None, &why, now)
                .await?;
        }
        let removed = due.len();
        self.store
            .set_setting(LAST_RUN, &LastRun { at: now, removed }, now)
            .await?;
        if removed > 0 {
            self.store
                .log_activity(
                    "retention_purge",
                    &format!(
                        "Removed the interview data of {removed} candidate{} after the {days}-day retention period",
                        if removed == 1 { "" } else { "s" }
                    ),
                    None,
                    None,
                    now,
                )
                .await?;
            tracing::info!(removed, days, "retention removed interview data");
            self.events.emit(EngineEvent::Changed);
        }
        Ok(Some(removed))
    }
}
