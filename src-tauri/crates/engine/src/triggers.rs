//! Stage triggers: read the ATS, then invite everyone who entered a trigger stage since the
//! job's automation was switched on. The store's stage diff decides who "entered"; the invitation
//! link decides who was invited already, so a poll that sees the same candidate again invites
//! nobody twice.

use std::collections::HashMap;

use desk_store::SnapshotCounts;

use crate::checks::Refusal;

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
        let _one_at_a_time = self.polling.lock().await;
        let snapshot = ats_sync::read_ats(ats.as_ref()).await?;
        let synced = self
            .store
            .save_ats_snapshot(self.ats_connection, &snapshot, self.now())
            .await?;
        let mut report = TriggerReport {
            synced,
            ..TriggerReport::default()
        };
        self.refresh_rule_automations().await?;
        // Each automation's interview is looked up once per poll, however many arrived.
        let mut interviews = HashMap::new();
        for triggered in self.store.triggered_applications().await? {
            let interview = match interviews.get(&triggered.interview_key) {
                Some(known) => known,
                None => {
                    let resolved = self.resolve_interview(&triggered.interview_key).await?;
                    interviews
                        .entry(triggered.interview_key.clone())
                        .or_insert(resolved)
                }
            };
            let outcome = match interview {
                Some(interview) => {
                    self.queue_resolved(triggered.application_id, interview)
                        .await?
                }
                None => InviteOutcome::Refused(vec![Refusal::InterviewNotVisible]),
            };
            match outcome {
                InviteOutcome::Queued(_) => report.queued += 1,
                InviteOutcome::Refused(_) => report.refused += 1,
            }
        }
        Ok(report)
    }
}
