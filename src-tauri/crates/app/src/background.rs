//! What the desktop does while its window is closed: whether closing it keeps Willo Desk
//! running in the tray (on until switched off), the one-time word that it does, and what the
//! tray shows and switches (the inbox count, pausing every automation at once).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{App, AppError};

const KEEP_IN_TRAY: &str = "keep_in_tray";
const TRAY_HINT_GIVEN: &str = "tray_hint_given";

/// The desktop's own preferences (Settings → Desktop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DesktopPrefs {
    /// Closing the window keeps the engine running in the tray; otherwise it quits.
    pub keep_in_tray: bool,
    /// Willo Desk starts (in the tray) when the recruiter logs in. Kept by the operating system.
    pub start_at_login: bool,
}

/// What the tray menu shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraySummary {
    /// Completed interviews waiting for review.
    pub to_review: usize,
    /// `Some(true)` when every automation is paused, `None` when there is none.
    pub automations_paused: Option<bool>,
}

impl App {
    pub async fn keep_in_tray(&self) -> Result<bool, AppError> {
        Ok(self.store.setting(KEEP_IN_TRAY).await?.unwrap_or(true))
    }

    pub async fn set_keep_in_tray(&self, keep: bool) -> Result<(), AppError> {
        self.store
            .set_setting(KEEP_IN_TRAY, &keep, crate::app::now_ms())
            .await?;
        Ok(())
    }

    /// Whether the recruiter is yet to be told that closing the window keeps the app running;
    /// asking counts as telling, so they hear it once.
    pub async fn tray_hint_due(&self) -> Result<bool, AppError> {
        if self.store.setting::<bool>(TRAY_HINT_GIVEN).await?.is_some() {
            return Ok(false);
        }
        self.store
            .set_setting(TRAY_HINT_GIVEN, &true, crate::app::now_ms())
            .await?;
        Ok(true)
    }

    pub async fn tray_summary(&self) -> Result<TraySummary, AppError> {
        let automations = self.store.automations().await?;
        Ok(TraySummary {
            to_review: usize::try_from(self.store.to_review_count().await?).unwrap_or(usize::MAX),
            automations_paused: (!automations.is_empty())
                .then(|| automations.iter().all(|a| a.paused)),
        })
    }

    /// Pauses (or resumes) every job's automation; returns how many changed.
    pub async fn pause_all_automations(&self, paused: bool) -> Result<usize, AppError> {
        let mut changed = 0;
        for automation in self.store.automations().await? {
            if automation.paused != paused {
                let job = u32::try_from(automation.job_id).map_err(|_| {
                    AppError::new(crate::ErrorCode::Internal, "a job id is out of range")
                })?;
                self.pause_automation(job, paused).await?;
                changed += 1;
            }
        }
        Ok(changed)
    }
}
