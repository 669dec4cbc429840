//! Sending by hand, to one candidate or a selection: a report of what will be sent and what is
//! refused (before anything is sent), then the send itself with progress, cancellable at any
//! point without losing what was already sent.

use std::collections::HashSet;
use std::time::Duration;

use desk_domain::InvitationStatus;
use serde::Serialize;
use tokio::sync::{mpsc, watch};

use desk_store::Withdrawal;

use crate::checks::{self, Existing, Refusal};
use crate::worker::WITHDRAWN;
use crate::{Engine, EngineError, InviteOutcome, OutboxReport};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreSend {
    /// Exactly what will be sent.
    WillSend {
        application_id: i64,
        name: String,
        email: String,
        phone: Option<String>,
        /// The country the phone was read in, when it had no country code.
        phone_assumed_region: Option<String>,
    },
    /// Not sent; who it is (as the ATS has them) and why not.
    Refused {
        application_id: i64,
        name: String,
        email: Option<String>,
        phone: Option<String>,
        refusals: Vec<Refusal>,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct BulkProgress {
    pub total: usize,
    pub sent: usize,
    pub refused: usize,
    pub failed: usize,
    pub cancelled: usize,
    pub remaining: usize,
}

fn refused(target: desk_store::InviteTarget, refusals: Vec<Refusal>) -> PreSend {
    PreSend::Refused {
        application_id: target.application_id,
        name: format!("{} {}", target.first_name, target.last_name)
            .trim()
            .to_owned(),
        email: target.email,
        phone: target.phone,
        refusals,
    }
}

impl Engine {
    /// What sending `interview_key` to each application would do, without sending or recording
    /// anything: the same checks as the send, including two selected applications that share an email.
    pub async fn pre_send_report(
        &self,
        application_ids: &[i64],
        interview_key: &str,
    ) -> Result<Vec<PreSend>, EngineError> {
        match self.resolve_interview(interview_key).await? {
            Some(interview) => self.pre_send_for(application_ids, Some(interview.id)).await,
            None => {
                let mut report = Vec::with_capacity(application_ids.len());
                for &application_id in application_ids {
                    let target = self.store.invite_target(application_id).await?;
                    report.push(refused(target, vec![Refusal::InterviewNotVisible]));
                }
                Ok(report)
            }
        }
    }

    /// The pre-send report against a known interview (`None`: one not made yet, which nobody can
    /// have been invited to).
    pub(crate) async fn pre_send_for(
        &self,
        application_ids: &[i64],
        interview_id: Option<i64>,
    ) -> Result<Vec<PreSend>, EngineError> {
        let mut seen = HashSet::new();
        let mut report = Vec::new();
        for &application_id in application_ids {
            let target = self.store.invite_target(application_id).await?;
            let email = target
                .email
                .as_deref()
                .unwrap_or_default()
                .trim()
                .to_lowercase();
            let mut existing = match interview_id {
                Some(id) => {
                    self.existing_invitations(id, application_id, &email)
                        .await?
                }
                None => Vec::new(),
            };
            if !email.is_empty() && !seen.insert(email.clone()) {
                existing.push(Existing {
                    same_application: false,
                    status: None,
                });
            }
            report.push(
                match checks::check(
                    crate::invites::facts(&target),
                    self.config.default_region.as_deref(),
                    &existing,
                ) {
                    Ok(ok) => PreSend::WillSend {
                        application_id,
                        name: ok.name,
                        email: ok.email.as_str().to_owned(),
                        phone: ok.phone.map(|p| p.as_str().to_owned()),
                        phone_assumed_region: ok.phone_assumed_region,
                    },
                    Err(refusals) => refused(target, refusals),
                },
            );
        }
        Ok(report)
    }

    /// Sends `interview_key` to each application, reporting progress as it goes. When `cancel`
    /// turns true, nothing more is queued and queued invitations no worker has picked up are
    /// withdrawn (they can be sent again later); those already on their way finish.
    ///
    /// Checking and queueing overlap with sending: the first invitations go out while the rest
    /// are still being checked, so a large selection is not held up by its own bookkeeping.
    pub async fn send_many(
        &self,
        application_ids: &[i64],
        interview_key: &str,
        progress: &(dyn Fn(BulkProgress) + Send + Sync),
        cancel: watch::Receiver<bool>,
    ) -> Result<BulkProgress, EngineError> {
        // One look at the interview for the whole selection, not one per candidate.
        let interview = self.resolve_interview(interview_key).await?;
        let (tx, rx) = mpsc::unbounded_channel();
        let queueing = async {
            for (n, &application_id) in application_ids.iter().enumerate() {
                if *cancel.borrow() {
                    let _ = tx.send(Queueing::NotQueued(application_ids.len() - n));
                    break;
                }
                let outcome = match &interview {
                    Some(interview) => self.queue_resolved(application_id, interview).await?,
                    None => InviteOutcome::Refused(vec![Refusal::InterviewNotVisible]),
                };
                let _ = tx.send(match outcome {
                    InviteOutcome::Queued(q) => Queueing::Queued(q.invitation_id),
                    InviteOutcome::Refused(_) => Queueing::Refused,
                });
            }
            drop(tx);
            Ok::<_, EngineError>(())
        };
        let sending = self.send_as_queued(application_ids.len(), rx, progress, cancel.clone());
        let ((), state) = tokio::try_join!(queueing, sending)?;
        Ok(state)
    }

    /// The sending half of [`Engine::send_many`]: drives the outbox over what the queueing half
    /// has queued so far, until it is done and every queued invitation has an outcome.
    async fn send_as_queued(
        &self,
        total: usize,
        mut queued: mpsc::UnboundedReceiver<Queueing>,
        progress: &(dyn Fn(BulkProgress) + Send + Sync),
        cancel: watch::Receiver<bool>,
    ) -> Result<BulkProgress, EngineError> {
        let mut state = BulkProgress {
            total,
            remaining: total,
            ..BulkProgress::default()
        };
        let mut waiting: Vec<i64> = Vec::new();
        let mut still_queueing = true;
        // Invitations whose withdrawal was asked for already.
        let mut asked = HashSet::new();
        loop {
            while still_queueing {
                // Nothing to drive yet: wait for the queueing half rather than spin.
                let next = if waiting.is_empty() {
                    queued.recv().await
                } else {
                    match queued.try_recv() {
                        Ok(next) => Some(next),
                        Err(mpsc::error::TryRecvError::Empty) => break,
                        Err(mpsc::error::TryRecvError::Disconnected) => None,
                    }
                };
                match next {
                    Some(Queueing::Queued(id)) => waiting.push(id),
                    Some(Queueing::Refused) => state.refused += 1,
                    Some(Queueing::NotQueued(n)) => state.cancelled += n,
                    None => still_queueing = false,
                }
            }
            state.remaining = total - state.sent - state.refused - state.failed - state.cancelled;
            progress(state);
            if waiting.is_empty() && !still_queueing {
                return Ok(state);
            }
            if *cancel.borrow() {
                let now = self.now();
                let mut still = Vec::new();
                for id in waiting.drain(..) {
                    if !asked.insert(id) {
                        still.push(id);
                        continue;
                    }
                    // One that was attempted settles later: the worker looks for what that
                    // attempt did, then links it (sent) or withdraws it (cancelled).
                    match self
                        .store
                        .withdraw_outbox(&format!("invite:{id}"), WITHDRAWN, now)
                        .await?
                    {
                        Withdrawal::Withdrawn => {
                            self.store.withdraw_invitation(id, WITHDRAWN, now).await?;
                            state.cancelled += 1;
                        }
                        Withdrawal::AfterLooking | Withdrawal::TooLate => still.push(id),
                    }
                }
                waiting = still;
            }
            // Drive the outbox here too, one driver at a time; where another process holds the
            // engine's lock, this does nothing and the holder sends what was queued here.
            let worked = self.run_outbox(1).await?;
            let settled = self.store.settled_invitations(&waiting).await?;
            for (_, status) in &settled {
                match status {
                    InvitationStatus::Failed => state.failed += 1,
                    InvitationStatus::Refused => state.cancelled += 1,
                    _ => state.sent += 1,
                }
            }
            let settled: HashSet<i64> = settled.into_iter().map(|(id, _)| id).collect();
            waiting.retain(|id| !settled.contains(id));
            if worked == OutboxReport::default() && !waiting.is_empty() {
                // Nothing was due here: the rest is backing off, or another driver has it.
                tokio::time::sleep(if self.is_acting() {
                    Duration::from_millis(50)
                } else {
                    Duration::from_millis(500)
                })
                .await;
            }
        }
    }
}

/// What the queueing half of a bulk send tells the sending half.
enum Queueing {
    Queued(i64),
    Refused,
    /// Cancelled before these were queued.
    NotQueued(usize),
}
