//! The outbox worker: sends what is due, with leases, retries and backoff.

use std::time::Duration;

use desk_store::OutboxItem;
use desk_willo::{NewParticipant, WilloError};
use serde::Deserialize;

use crate::{Engine, EngineError, EngineEvent};

const BATCH: i64 = 25;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxReport {
    pub done: usize,
    pub retrying: usize,
    pub failed: usize,
}

#[derive(Deserialize)]
struct InvitePayload {
    invitation_id: i64,
    interview: String,
    name: String,
    first_name: String,
    last_name: String,
    email: String,
    phone: Option<String>,
}

pub(crate) enum Step {
    Done,
    Retry(String),
    Fail(String),
}

impl Engine {
    /// The wait before attempt `attempts + 1`: doubling from `first_backoff`, capped, with jitter.
    fn backoff(&self, attempts: i64) -> Duration {
        let exponent = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
        let full = self
            .config
            .first_backoff
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(self.config.max_backoff);
        full.mul_f64(0.5 + rand::random::<f64>() / 2.0)
    }

    /// Sends an item that failed for good back to the queue (the recruiter's "retry").
    pub async fn retry_failed(&self, outbox_id: i64) -> Result<(), EngineError> {
        let now = self.now();
        self.store.requeue_failed_outbox(outbox_id, now).await?;
        let invitation_id = self
            .store
            .outbox_item(outbox_id)
            .await?
            .payload
            .get("invitation_id")
            .and_then(serde_json::Value::as_i64);
        self.store
            .log_activity(
                "retried",
                "Retry requested by the recruiter",
                invitation_id,
                None,
                now,
            )
            .await?;
        self.wake.notify_one();
        Ok(())
    }

    /// Claims and works through the due outbox items once.
    pub async fn run_outbox_once(&self) -> Result<OutboxReport, EngineError> {
        let lease_ms = i64::try_from(self.config.lease.as_millis()).unwrap_or(i64::MAX);
        let items = self
            .store
            .claim_outbox(&self.config.worker_id, self.now(), lease_ms, BATCH)
            .await?;
        let mut report = OutboxReport::default();
        for item in items {
            let step = match item.kind.as_str() {
                "invite" => self.send_invite(&item).await?,
                "writeback" => self.write_back(&item).await?,
                other => Step::Fail(format!("unknown outbox item kind `{other}`")),
            };
            let now = self.now();
            let owner = &self.config.worker_id;
            match step {
                Step::Done => report.done += 1,
                Step::Retry(error) if item.attempts < self.config.max_attempts => {
                    let next = now
                        + i64::try_from(self.backoff(item.attempts - 1).as_millis())
                            .unwrap_or(i64::MAX / 2);
                    self.store
                        .retry_outbox_later(item.id, owner, &error, next, now)
                        .await?;
                    report.retrying += 1;
                }
                Step::Retry(error) | Step::Fail(error) => {
                    self.store.fail_outbox(item.id, owner, &error, now).await?;
                    let invitation_id = item
                        .payload
                        .get("invitation_id")
                        .and_then(serde_json::Value::as_i64);
                    if let (Some(invitation_id), "writeback") = (invitation_id, item.kind.as_str())
                    {
                        // The interview stays completed; the write-back waits for a retry.
                        self.store
                            .log_activity(
                                "writeback_failed",
                                &format!("Writing to the ATS failed: {error}. Check the ATS connection and the candidate in the ATS, then retry."),
                                Some(invitation_id),
                                None,
                                now,
                            )
                            .await?;
                        self.events.emit(EngineEvent::WritebackFailed {
                            invitation_id,
                            outbox_id: item.id,
                            error,
                        });
                    } else if let Some(invitation_id) = invitation_id {
                        self.store
                            .fail_invitation(invitation_id, &error, now)
                            .await?;
                        self.store
                            .log_activity("invite_failed", &error, Some(invitation_id), None, now)
                            .await?;
                        self.events.emit(EngineEvent::InvitationFailed {
                            invitation_id,
                            error,
                        });
                    }
                    report.failed += 1;
                }
            }
        }
        Ok(report)
    }

    /// Sends one invite. A retry first looks for the participant by email within the interview,
    /// so an invite whose earlier outcome was lost is never posted twice.
    async fn send_invite(&self, item: &OutboxItem) -> Result<Step, EngineError> {
        let p: InvitePayload = match serde_json::from_value(item.payload.clone()) {
            Ok(p) => p,
            Err(e) => return Ok(Step::Fail(format!("the queued invitation is damaged: {e}"))),
        };
        // An earlier attempt (counted when it was claimed) may have reached Willo, even one whose
        // worker was killed mid-request: look before sending again.
        if item.attempts > 1 {
            match self.willo.find_participant(&p.interview, &p.email).await {
                Ok(Some(found)) => {
                    return self
                        .linked(
                            item,
                            p.invitation_id,
                            &found.key,
                            "found after an uncertain attempt",
                        )
                        .await
                }
                Ok(None) => {}
                // An unreadable answer to a read is as passing as a dropped one.
                Err(e) if e.is_retryable() || e.outcome_uncertain() => {
                    return Ok(Step::Retry(e.to_string()))
                }
                Err(e) => return Ok(Step::Fail(e.to_string())),
            }
        }
        let new = NewParticipant {
            interview: p.interview,
            name: p.name,
            first_name: p.first_name,
            last_name: p.last_name,
            email: p.email,
            phone: p.phone,
        };
        match self.willo.invite(&new).await {
            Ok(participant) => {
                self.linked(item, p.invitation_id, &participant.key, "sent")
                    .await
            }
            Err(e @ WilloError::Validation { .. }) => Ok(Step::Fail(e.to_string())),
            // Willo may have acted (an unreadable success, a dropped answer): the retry looks first.
            Err(e) if e.is_retryable() || e.outcome_uncertain() => Ok(Step::Retry(e.to_string())),
            Err(e) => Ok(Step::Fail(e.to_string())),
        }
    }

    async fn linked(
        &self,
        item: &OutboxItem,
        invitation_id: i64,
        participant_key: &str,
        how: &str,
    ) -> Result<Step, EngineError> {
        let now = self.now();
        self.store
            .mark_invited(invitation_id, participant_key, how, now)
            .await?;
        if self
            .store
            .complete_outbox(item.id, &self.config.worker_id, Some(participant_key), now)
            .await?
        {
            self.store
                .log_activity(
                    "invite_sent",
                    &format!("Invitation {how}"),
                    Some(invitation_id),
                    None,
                    now,
                )
                .await?;
            self.events
                .emit(EngineEvent::InvitationSent { invitation_id });
        }
        Ok(Step::Done)
    }
}
