//! Willo requests per minute, kept in the store for a day: a restart carries the day's use over
//! into the pacer, and the app and `doctor` show it against the budget.

use desk_willo::{unix_minute, Usage};

use crate::{Engine, EngineError};

impl Engine {
    /// Writes the requests made since the last call to the store.
    pub async fn record_willo_usage(&self) -> Result<(), EngineError> {
        let fresh = self.willo.pacer().take_unrecorded();
        self.store.add_willo_requests(&fresh, unix_minute()).await?;
        Ok(())
    }

    /// Counts the requests earlier processes made in the last day against this one's budget.
    pub async fn carry_over_willo_usage(&self) -> Result<(), EngineError> {
        let earlier = self.store.willo_requests(unix_minute()).await?;
        self.willo.pacer().carry_over(&earlier);
        Ok(())
    }

    /// The last day's use of the Willo budget, as the store has it (so every process on the
    /// database agrees), with this process's latest requests recorded first.
    pub async fn willo_usage(&self) -> Result<Usage, EngineError> {
        self.record_willo_usage().await?;
        let last_day = self
            .store
            .willo_requests(unix_minute())
            .await?
            .iter()
            .map(|(_, n)| n)
            .sum();
        let pacer = self.willo.pacer().usage();
        Ok(Usage { last_day, ..pacer })
    }
}
