//! Willo requests per minute, kept in the store for a day: a restart carries the day's use over
//! into the pacer, and the app and `doctor` show it against the budget.

use std::collections::BTreeMap;

use desk_willo::Usage;

use crate::{Engine, EngineError};

pub(crate) const USAGE_SETTING: &str = "willo.requests_per_minute";
const DAY_MINUTES: i64 = 24 * 60;

fn unix_minute() -> i64 {
    chrono::Utc::now().timestamp().div_euclid(60)
}

impl Engine {
    /// Writes the requests made since the last call to the store, dropping what is a day old.
    pub async fn record_willo_usage(&self) -> Result<(), EngineError> {
        let fresh = self.willo.pacer().take_unrecorded();
        if fresh.is_empty() {
            return Ok(());
        }
        let mut kept: BTreeMap<i64, u32> =
            self.store.setting(USAGE_SETTING).await?.unwrap_or_default();
        for (minute, n) in fresh {
            *kept.entry(minute).or_default() += n;
        }
        let now = unix_minute();
        kept.retain(|minute, _| now - minute < DAY_MINUTES);
        self.store
            .set_setting(USAGE_SETTING, &kept, self.now())
            .await?;
        Ok(())
    }

    /// Counts the requests earlier processes made in the last day against this one's budget.
    pub(crate) async fn carry_over_willo_usage(&self) -> Result<(), EngineError> {
        let kept: BTreeMap<i64, u32> = self.store.setting(USAGE_SETTING).await?.unwrap_or_default();
        let pairs: Vec<(i64, u32)> = kept.into_iter().collect();
        self.willo.pacer().carry_over(&pairs);
        Ok(())
    }

    /// The last day's use of the Willo budget, as the store has it (so every process on the
    /// database agrees), with this process's latest requests recorded first.
    pub async fn willo_usage(&self) -> Result<Usage, EngineError> {
        self.record_willo_usage().await?;
        let kept: BTreeMap<i64, u32> = self.store.setting(USAGE_SETTING).await?.unwrap_or_default();
        let now = unix_minute();
        let last_day = kept
            .iter()
            .filter(|(minute, _)| now - **minute < DAY_MINUTES)
            .map(|(_, n)| *n)
            .sum();
        let pacer = self.willo.pacer().usage();
        Ok(Usage { last_day, ..pacer })
    }
}
