//! Reconciling: fetch the participant from Willo, store what it says, move the invitation on.
//! Whatever triggered it (a webhook, the catch-up, a click), the outcome depends only on what
//! Willo says now, so repeated and out-of-order triggers are harmless.

use desk_domain::InvitationStatus;
use desk_store::{ParticipantRecord, ResponseRecord};
use desk_willo::{AnswerKind, Participant, ParticipantStatus};
use serde_json::json;

use crate::{Engine, EngineError, EngineEvent};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciled {
    pub invitation_id: Option<i64>,
    pub status: InvitationStatus,
    /// This reconcile is the one that saw the interview completed.
    pub newly_completed: bool,
}

/// The invitation status a participant's status moves the invitation to, if any.
pub(crate) fn reached(status: &ParticipantStatus) -> Option<InvitationStatus> {
    match status {
        ParticipantStatus::Opened => Some(InvitationStatus::Opened),
        ParticipantStatus::Started => Some(InvitationStatus::Started),
        ParticipantStatus::Completed => Some(InvitationStatus::Completed),
        ParticipantStatus::Invited | ParticipantStatus::Other(_) => None,
    }
}

/// Where a participant stands, in the invitation's terms (stored with the participant).
fn standing(status: &ParticipantStatus) -> InvitationStatus {
    reached(status).unwrap_or(InvitationStatus::Invited)
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
        status: standing(&p.status),
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

/// How far a participant got, to tell which of a candidate's two invitations to follow.
pub(crate) fn progress(status: InvitationStatus) -> u8 {
    match status {
        InvitationStatus::Opened => 1,
        InvitationStatus::Started => 2,
        InvitationStatus::Completed => 3,
        _ => 0,
    }
}

impl Engine {
    /// Fetches one participant and brings the local record up to date.
    pub async fn reconcile_participant(&self, key: &str) -> Result<Reconciled, EngineError> {
        let participant = self.willo.participant(key).await?;
        self.reconcile_read(&participant).await
    }

    /// Brings the local record up to date with a participant as Willo gave it (read on its own,
    /// or on a page of the participants list).
    pub(crate) async fn reconcile_read(
        &self,
        participant: &Participant,
    ) -> Result<Reconciled, EngineError> {
        let key = participant.key.as_str();
        // Its data was deleted here: whatever Willo still has of it is not stored again.
        if self.store.is_erased_participant(key).await? {
            return Ok(Reconciled {
                invitation_id: None,
                status: InvitationStatus::Erased,
                newly_completed: false,
            });
        }
        let (invitation, belongs_to) = match self.store.invitation_by_participant(key).await? {
            // Its data was deleted: a later delivery or read must not bring it back.
            Some(invitation) if invitation.status == InvitationStatus::Erased => {
                return Ok(Reconciled {
                    invitation_id: Some(invitation.id),
                    status: InvitationStatus::Erased,
                    newly_completed: false,
                });
            }
            Some(invitation) => {
                let id = invitation.id;
                (Some(invitation), Some(id))
            }
            None => self.adopt(participant).await?,
        };
        let now = self.now();
        let interview_key = invitation
            .as_ref()
            .map(|i| i.interview_key.clone())
            .unwrap_or_default();
        let saved = self
            .store
            .save_participant(&record(participant, belongs_to, &interview_key), now)
            .await?;
        let Some(invitation) = invitation else {
            // Not one we follow (invited from Willo directly, by another tool, or a candidate's
            // other invitation that got less far): stored, not acted on.
            tracing::info!("reconciled a participant that no invitation follows");
            return Ok(Reconciled {
                invitation_id: None,
                status: standing(&participant.status),
                newly_completed: false,
            });
        };
        let mut newly_completed = false;
        let mut current = invitation.status;
        if let Some(status) = reached(&participant.status) {
            if self
                .store
                .advance_invitation(invitation.id, status, None, now)
                .await?
            {
                current = status;
                if status == InvitationStatus::Completed {
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
                        status,
                    });
                }
            }
        }
        self.store.mark_checked(invitation.id, now).await?;
        // Every reconcile (a webhook's, the catch-up's, a late-found invite's) sees new results
        // first: they go to the ATS now, where they need no review, not at the loop's next sweep.
        let completed = reached(&participant.status) == Some(InvitationStatus::Completed);
        if completed && (saved.changed || newly_completed) {
            self.queue_writeback_if_due(invitation.id).await?;
        }
        Ok(Reconciled {
            invitation_id: Some(invitation.id),
            status: current,
            newly_completed,
        })
    }

    /// Matches a participant that no invitation links to one of ours by interview and email:
    /// one an invite made whose answer was lost (or that was cancelled after it went out) is
    /// linked to its invitation; a candidate's second participant (invited twice in the past) is
    /// followed instead of the first when it got further, so the answers they gave are the ones
    /// reviewed and written back. Returns the invitation to act on, and the one it belongs to.
    async fn adopt(
        &self,
        participant: &Participant,
    ) -> Result<(Option<desk_store::Invitation>, Option<i64>), EngineError> {
        let (Some(email), Some(interview)) = (
            participant.email.as_deref(),
            participant.interview_key.as_deref(),
        ) else {
            return Ok((None, None));
        };
        let Some(invitation) = self.store.invitation_by_email(interview, email).await? else {
            return Ok((None, None));
        };
        let now = self.now();
        let status = standing(&participant.status);
        let follow = match &invitation.participant_key {
            None => {
                if self
                    .store
                    .mark_invited(invitation.id, &participant.key, "found in Willo later", now)
                    .await?
                {
                    self.store
                        .log_activity(
                            "invite_linked",
                            "Found the candidate's Willo invitation, made by an attempt whose answer was lost, and linked it",
                            Some(invitation.id),
                            Some(invitation.application_id),
                            now,
                        )
                        .await?;
                }
                true
            }
            Some(_) => {
                let followed = self
                    .store
                    .participant_of(invitation.id)
                    .await?
                    .map_or(InvitationStatus::Invited, |p| p.status);
                let further = progress(status) > progress(followed);
                if further {
                    self.store
                        .follow_participant(invitation.id, &participant.key, now)
                        .await?;
                    self.store
                        .log_activity(
                            "participant_followed",
                            "This candidate has two Willo invitations to the interview; the one they answered is followed now",
                            Some(invitation.id),
                            Some(invitation.application_id),
                            now,
                        )
                        .await?;
                }
                further
            }
        };
        let id = invitation.id;
        Ok(if follow {
            (Some(self.store.invitation(id).await?), Some(id))
        } else {
            (None, Some(id))
        })
    }
}
