//! Stage triggers: read the ATS, then invite everyone who entered a trigger stage since the
//! job's automation was switched on. The store's stage diff decides who "entered"; the invitation
//! link decides who was invited already, so a poll that sees the same candidate again invites
//! nobody twice.

use desk_store::SnapshotCounts;

use crate::{ats_sync, Engine, EngineError, InviteOutcome};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TriggerReport {
    pub synced: SnapshotCounts,
    pub queued: usize,
    pub refused: usize,
}

impl Engine {
    pub async fn poll_triggers(&self) -> Result<TriggerReport, EngineError> {
        let Some(ats) = &self.ats else {
            return Err(EngineError::Invalid("no ATS is connected".into()));
        };
        let snapshot = ats_sync::read_ats(ats.as_ref()).await?;
        let synced = self
            .store
            .save_ats_snapshot(self.ats_connection, &snapshot, self.now())
            .await?;
        let mut report = TriggerReport {
            synced,
            ..TriggerReport::default()
        };
        for triggered in self.store.triggered_applications().await? {
            match self
                .queue_invite(triggered.application_id, &triggered.interview_key)
                .await?
            {
                InviteOutcome::Queued(_) => report.queued += 1,
                InviteOutcome::Refused(_) => report.refused += 1,
            }
        }
        Ok(report)
    }
}
