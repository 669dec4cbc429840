//! Reconciling: fetch the participant from Willo, store what it says, move the invitation on.
//! Whatever triggered it (a webhook, the catch-up, a click), the outcome depends only on what
//! Willo says now, so repeated and out-of-order triggers are harmless.

use desk_store::{ParticipantRecord, ResponseRecord};
use desk_willo::{AnswerKind, Participant, ParticipantStatus, WilloError};
use serde_json::json;

use crate::{Engine, EngineError, EngineEvent};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciled {
    pub invitation_id: Option<i64>,
    pub status: String,
    /// This reconcile is the one that saw the interview completed.
    pub newly_completed: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatchUpReport {
    pub checked: usize,
    pub completed: usize,
    /// Requests made to Willo.
    pub requests: usize,
    pub errors: usize,
    /// Willo throttled us; the rest waits for the next run.
    pub throttled: bool,
}

fn status_name(status: &ParticipantStatus) -> Option<&'static str> {
    match status {
        ParticipantStatus::Opened => Some("opened"),
        ParticipantStatus::Started => Some("started"),
        ParticipantStatus::Completed => Some("completed"),
        ParticipantStatus::Invited | ParticipantStatus::Other(_) => None,
    }
}

fn kind_name(kind: AnswerKind) -> &'static str {
    match kind {
        AnswerKind::Video => "video",
        AnswerKind::Audio => "audio",
        AnswerKind::Text => "text",
        AnswerKind::Choice => "choice",
        AnswerKind::File => "file",
        AnswerKind::Unknown => "unknown",
    }
}

fn record(p: &Participant, invitation_id: Option<i64>, interview_key: &str) -> ParticipantRecord {
    ParticipantRecord {
        key: p.key.clone(),
        interview_key: p
            .interview_key
            .clone()
            .unwrap_or_else(|| interview_key.to_owned()),
        invitation_id,
        status: status_name(&p.status).unwrap_or("invited").to_owned(),
        summary: p.summary.clone(),
        score: p.score,
        raw: p.raw.clone(),
        responses: p
            .answers
            .iter()
            .map(|a| ResponseRecord {
                question_key: a
                    .question_key
                    .clone()
                    .unwrap_or_else(|| format!("pos-{}", a.position)),
                position: i64::try_from(a.position).unwrap_or(i64::MAX),
                question_text: a.question_text.clone(),
                kind: kind_name(a.kind).to_owned(),
                media_url: a.media_url.clone(),
                text_answer: a.text.clone().or_else(|| a.choice.clone()),
                transcript: a.transcript.clone(),
                segments: (!a.segments.is_empty()).then(|| json!(a.segments)),
                score: a.score,
            })
            .collect(),
    }
}

impl Engine {
    /// Fetches one participant and brings the local record up to date.
    pub async fn reconcile_participant(&self, key: &str) -> Result<Reconciled, EngineError> {
        let participant = self.willo.participant(key).await?;
        let invitation = self.store.invitation_by_participant(key).await?;
        let now = self.now();
        let interview_key = invitation
            .as_ref()
            .map(|i| i.interview_key.clone())
            .unwrap_or_default();
        self.store
            .save_participant(
                &record(
                    &participant,
                    invitation.as_ref().map(|i| i.id),
                    &interview_key,
                ),
                now,
            )
            .await?;
        let Some(invitation) = invitation else {
            // Not one of ours (invited from Willo directly, or by another tool): stored, not linked.
            tracing::info!("reconciled a participant that Willo Desk did not invite");
            return Ok(Reconciled {
                invitation_id: None,
                status: status_name(&participant.status).unwrap_or("invited").into(),
                newly_completed: false,
            });
        };
        let mut newly_completed = false;
        let mut current = invitation.status.clone();
        if let Some(status) = status_name(&participant.status) {
            if self
                .store
                .advance_invitation(invitation.id, status, None, now)
                .await?
            {
                current = status.to_owned();
                if status == "completed" {
                    newly_completed = true;
                    self.store
                        .log_activity(
                            "interview_completed",
                            "The candidate completed the interview",
                            Some(invitation.id),
                            Some(invitation.application_id),
                            now,
                        )
                        .await?;
                    self.events.emit(EngineEvent::InterviewCompleted {
                        invitation_id: invitation.id,
                        participant_key: key.to_owned(),
                    });
                } else {
                    self.events.emit(EngineEvent::InvitationProgressed {
                        invitation_id: invitation.id,
                        status: status.to_owned(),
                    });
                }
            }
        }
        self.store.mark_checked(invitation.id, now).await?;
        Ok(Reconciled {
            invitation_id: Some(invitation.id),
            status: current,
            newly_completed,
        })
    }

    /// Reconciles up to `budget` open invitations, least recently checked first; one request each.
    /// Stops at the first 429 (the pacer then holds every call back until Willo's Retry-After).
    pub async fn catch_up(&self, budget: usize) -> Result<CatchUpReport, EngineError> {
        let open = self
            .store
            .open_invitations(i64::try_from(budget).unwrap_or(i64::MAX))
            .await?;
        let mut report = CatchUpReport::default();
        for invitation in open {
            report.requests += 1;
            match self
                .reconcile_participant(&invitation.participant_key)
                .await
            {
                Ok(done) => {
                    report.checked += 1;
                    report.completed += usize::from(done.newly_completed);
                }
                Err(EngineError::Willo(WilloError::RateLimited { .. })) => {
                    report.throttled = true;
                    break;
                }
                Err(EngineError::Willo(error)) => {
                    // One participant's trouble (deleted in Willo, a bad body) must not stop the rest.
                    tracing::warn!(%error, invitation = invitation.id, "could not reconcile an invitation");
                    self.store.mark_checked(invitation.id, self.now()).await?;
                    report.errors += 1;
                }
                Err(other) => return Err(other),
            }
        }
        // Completions found here that go straight to the ATS (review-free automations, or results
        // that changed since they were written): queued once for the whole run.
        self.queue_due_writebacks().await?;
        Ok(report)
    }
}
