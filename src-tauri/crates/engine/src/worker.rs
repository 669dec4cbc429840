//! The outbox worker: sends what is due, with leases, retries and backoff.
//!
//! Items are claimed one at a time, just before they are acted on, and the lease is renewed
//! right before each request that changes something; a stop finishes the item in flight and
//! takes no other.

use std::sync::atomic::Ordering;
use std::time::Duration;

use desk_store::OutboxItem;
use desk_willo::{NewParticipant, WilloError};
use serde::Deserialize;

use crate::{Engine, EngineError, EngineEvent};

/// Items one run works through at most before the loop looks at its other duties.
const BATCH: usize = 25;

/// Shown while an invitation waits out Willo's throttle.
const THROTTLED: &str = "Willo is throttling requests; waiting to send";
/// Why a withdrawn invite was not sent.
pub(crate) const WITHDRAWN: &str = "Cancelled by the recruiter before it was sent.";

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
    /// The service throttled the request, so it was not acted on: tried again after the wait
    /// (Willo's or the pacer's), and not counted as an attempt, so a throttle never fails an item.
    Throttled(String, Option<Duration>),
    Fail(String),
    /// A cancelled invite that never reached Willo: taken back.
    Withdrawn,
    /// The item is no longer this claim's (its lease was taken over): nothing was done.
    Lost,
}

/// One claim of one outbox item: the item and the lease it is held under.
pub(crate) struct Claim {
    pub item: OutboxItem,
    pub owner: String,
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

    fn lease_ms(&self) -> i64 {
        i64::try_from(self.config.lease.as_millis()).unwrap_or(i64::MAX / 4)
    }

    /// Renews the claim's lease just before a side effect. False: the item is not this claim's
    /// any more, and nothing may be done with it.
    pub(crate) async fn hold(&self, claim: &Claim) -> Result<bool, EngineError> {
        Ok(self
            .store
            .renew_outbox_lease(claim.item.id, &claim.owner, self.now(), self.lease_ms())
            .await?)
    }

    /// Frees the claims that other runs left: called by a process that has just taken the
    /// engine's lock, so any other claim belongs to a process that died holding it.
    pub async fn take_over_leases(&self) -> Result<(), EngineError> {
        let released = self
            .store
            .release_leases_of_others(&self.config.worker_id)
            .await?;
        if released > 0 {
            tracing::info!(released, "took over work an earlier run left unfinished");
        }
        Ok(())
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

    /// Works through the due outbox items, one claim at a time, up to a batch. Does nothing in
    /// a process that does not hold the engine's lock: the holder sends what is queued here.
    pub async fn run_outbox_once(&self) -> Result<OutboxReport, EngineError> {
        self.run_outbox(BATCH).await
    }

    /// As [`Engine::run_outbox_once`], for at most `items` items (a bulk send takes one at a
    /// time, to report progress and heed a cancel after each).
    pub(crate) async fn run_outbox(&self, items: usize) -> Result<OutboxReport, EngineError> {
        let mut report = OutboxReport::default();
        if !self.is_acting() {
            return Ok(report);
        }
        let _turn = self.outbox_turn.lock().await;
        for _ in 0..items {
            if self.is_stopping() {
                break;
            }
            let owner = format!(
                "{}#{}",
                self.config.worker_id,
                self.claims.fetch_add(1, Ordering::Relaxed)
            );
            let Some(item) = self
                .store
                .claim_outbox(&owner, self.now(), self.lease_ms(), 1)
                .await?
                .pop()
            else {
                break;
            };
            let claim = Claim { item, owner };
            let step = match claim.item.kind.as_str() {
                "invite" => self.send_invite(&claim).await?,
                "writeback" => self.write_back(&claim).await?,
                "erase" => self.erase(&claim).await?,
                other => Step::Fail(format!("unknown outbox item kind `{other}`")),
            };
            self.settle(&claim, step, &mut report).await?;
        }
        Ok(report)
    }

    /// Records what came of one claimed item, and acts on it only where the record was made.
    async fn settle(
        &self,
        claim: &Claim,
        step: Step,
        report: &mut OutboxReport,
    ) -> Result<(), EngineError> {
        let (item, owner) = (&claim.item, claim.owner.as_str());
        let now = self.now();
        let invitation_id = item
            .payload
            .get("invitation_id")
            .and_then(serde_json::Value::as_i64);
        match step {
            Step::Done => report.done += 1,
            Step::Lost => {
                tracing::warn!(
                    outbox_id = item.id,
                    "an outbox item was taken over mid-claim; its new holder finishes it"
                );
            }
            Step::Withdrawn => {
                if self
                    .store
                    .fail_outbox(item.id, owner, WITHDRAWN, now)
                    .await?
                {
                    if let Some(invitation_id) = invitation_id {
                        self.store
                            .withdraw_invitation(invitation_id, WITHDRAWN, now)
                            .await?;
                    }
                }
            }
            Step::Retry(error) if item.attempts < self.config.max_attempts => {
                let next = now
                    + i64::try_from(self.backoff(item.attempts - 1).as_millis())
                        .unwrap_or(i64::MAX / 2);
                if self
                    .store
                    .retry_outbox_later(item.id, owner, &error, next, true, now)
                    .await?
                {
                    report.retrying += 1;
                }
            }
            Step::Throttled(error, wait) => {
                let wait = wait.unwrap_or(self.config.first_backoff);
                let next = now + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2);
                if self
                    .store
                    .retry_outbox_later(item.id, owner, &error, next, false, now)
                    .await?
                {
                    report.retrying += 1;
                }
            }
            Step::Retry(error) | Step::Fail(error) => {
                if !self.store.fail_outbox(item.id, owner, &error, now).await? {
                    return Ok(());
                }
                report.failed += 1;
                match (invitation_id, item.kind.as_str()) {
                    (Some(invitation_id), "writeback") => {
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
                    }
                    (Some(invitation_id), _) => {
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
                    (None, _) => {}
                }
            }
        }
        Ok(())
    }

    /// Sends one invite. An item attempted before (counted when it was claimed, so even one whose
    /// worker was killed mid-request) or cancelled after an attempt is first looked for by email
    /// within the interview, so an invite whose outcome was lost is never posted twice.
    async fn send_invite(&self, claim: &Claim) -> Result<Step, EngineError> {
        let item = &claim.item;
        let p: InvitePayload = match serde_json::from_value(item.payload.clone()) {
            Ok(p) => p,
            Err(e) => return Ok(Step::Fail(format!("the queued invitation is damaged: {e}"))),
        };
        let application_id = self.store.invitation(p.invitation_id).await?.application_id;
        if let Some(wait) = self.erasure_waiting(application_id).await? {
            return Ok(wait);
        }
        if item.attempts > 1 || item.withdraw_requested {
            match self.willo.find_participant(&p.interview, &p.email).await {
                Ok(Some(found)) => {
                    return self
                        .linked(
                            claim,
                            p.invitation_id,
                            &found.key,
                            "found after an uncertain attempt",
                        )
                        .await
                }
                Ok(None) if item.withdraw_requested => return Ok(Step::Withdrawn),
                Ok(None) => {}
                Err(WilloError::RateLimited { retry_after }) => {
                    return Ok(Step::Throttled(THROTTLED.into(), retry_after))
                }
                // An unreadable answer to a read is as passing as a dropped one.
                Err(e) if e.is_retryable() || e.outcome_uncertain() => {
                    return Ok(Step::Retry(e.to_string()))
                }
                Err(e) => return Ok(Step::Fail(e.to_string())),
            }
        } else if item.withdraw_requested {
            return Ok(Step::Withdrawn);
        }
        if !self.hold(claim).await? {
            return Ok(Step::Lost);
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
                self.linked(claim, p.invitation_id, &participant.key, "sent")
                    .await
            }
            Err(e @ WilloError::Validation { .. }) => Ok(Step::Fail(e.to_string())),
            Err(WilloError::RateLimited { retry_after }) => {
                Ok(Step::Throttled(THROTTLED.into(), retry_after))
            }
            // Willo may have acted (an unreadable success, a dropped answer): the retry looks first.
            Err(e) if e.is_retryable() || e.outcome_uncertain() => Ok(Step::Retry(e.to_string())),
            Err(e) => Ok(Step::Fail(e.to_string())),
        }
    }

    /// Records the participant an invite made (or one found after an uncertain attempt).
    async fn linked(
        &self,
        claim: &Claim,
        invitation_id: i64,
        participant_key: &str,
        how: &str,
    ) -> Result<Step, EngineError> {
        let now = self.now();
        let item = &claim.item;
        self.store
            .mark_invited(invitation_id, participant_key, how, now)
            .await?;
        if !self
            .store
            .complete_outbox(item.id, &claim.owner, Some(participant_key), now)
            .await?
        {
            return Ok(Step::Lost);
        }
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
        if item.attempts > 1 {
            // Found late: the candidate may have answered meanwhile. Learn it now, not at the
            // next catch-up (which would find it too, so a failure here loses nothing).
            if let Err(error) = self.reconcile_participant(participant_key).await {
                tracing::warn!(%error, invitation_id, "a participant found late could not be reconciled yet");
            }
        }
        Ok(Step::Done)
    }
}
