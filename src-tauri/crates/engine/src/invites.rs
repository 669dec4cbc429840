//! Queueing an invitation: checks first, then the local record and its outbox item together.

use desk_domain::InvitationStatus;
use desk_store::InviteTarget;
use desk_willo::WilloError;
use serde_json::json;

use crate::checks::{self, CandidateFacts, Existing, Refusal};
use crate::{Engine, EngineError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    pub invitation_id: i64,
    pub outbox_id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteOutcome {
    Queued(Queued),
    /// Nothing was sent; each refusal says what to fix.
    Refused(Vec<Refusal>),
}

/// A Willo interview this key can see, as stored locally.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedInterview {
    pub id: i64,
    pub key: String,
    pub title: String,
}

/// The facts the checks read about an application's candidate.
pub(crate) fn facts(target: &InviteTarget) -> CandidateFacts<'_> {
    CandidateFacts {
        first_name: &target.first_name,
        last_name: &target.last_name,
        email: target.email.as_deref(),
        phone: target.phone.as_deref(),
    }
}

impl Engine {
    /// The invitations to an interview that stand in the way of inviting this application.
    pub(crate) async fn existing_invitations(
        &self,
        interview_id: i64,
        application_id: i64,
        email: &str,
    ) -> Result<Vec<Existing>, EngineError> {
        let mut existing: Vec<Existing> = self
            .store
            .blocking_invitations(interview_id, application_id, email)
            .await?
            .into_iter()
            .map(|i| Existing {
                same_application: i.application_id == application_id,
                status: Some(i.status),
            })
            .collect();
        // Deleted at their request: refused for every interview, not only the erased one's.
        if self.store.erasure_of(application_id, false).await?
            && !existing
                .iter()
                .any(|e| e.same_application && e.status == Some(InvitationStatus::Erased))
        {
            existing.push(Existing {
                same_application: true,
                status: Some(InvitationStatus::Erased),
            });
        }
        Ok(existing)
    }

    /// Checks an application against a Willo interview and, if it passes, queues the invite.
    /// Nothing reaches Willo here: the outbox worker sends it. A refusal is recorded so the
    /// recruiter sees it; a Willo outage while checking the interview is an error (retry later).
    pub async fn queue_invite(
        &self,
        application_id: i64,
        interview_key: &str,
    ) -> Result<InviteOutcome, EngineError> {
        match self.resolve_interview(interview_key).await? {
            Some(interview) => self.queue_resolved(application_id, &interview).await,
            // No interview row to hang a refusal on: report it without recording.
            None => Ok(InviteOutcome::Refused(vec![Refusal::InterviewNotVisible])),
        }
    }

    /// Asks Willo for the interview once (whether it exists, and whether this key can see it) and
    /// keeps it locally. `None`: not visible to this key. Callers sending to many candidates
    /// resolve once and queue each with [`Engine::queue_resolved`].
    pub(crate) async fn resolve_interview(
        &self,
        key: &str,
    ) -> Result<Option<ResolvedInterview>, EngineError> {
        // Refused here, naming the field, for every caller (a send, a pre-send report, an
        // automation), rather than as the URL the client would refuse to build.
        if !desk_willo::is_key(key) {
            return Err(EngineError::Invalid(
                "interview: not a Willo interview key (up to 64 letters, digits, - and _)".into(),
            ));
        }
        let interview = match self.willo.interview(key).await {
            Ok(interview) => interview,
            Err(WilloError::NotFound | WilloError::Permission(_)) => return Ok(None),
            Err(other) => return Err(other.into()),
        };
        let questions = interview
            .raw
            .get("questions")
            .cloned()
            .unwrap_or_else(|| json!([]));
        let id = self
            .store
            .upsert_interview(
                self.willo_connection,
                &interview.key,
                &interview.title,
                interview.department.as_deref(),
                interview.language.as_deref(),
                &questions,
                &interview.raw,
                self.now(),
            )
            .await?;
        Ok(Some(ResolvedInterview {
            id,
            key: interview.key,
            title: interview.title,
        }))
    }

    /// Checks one application against an interview already resolved, and queues the invite.
    pub(crate) async fn queue_resolved(
        &self,
        application_id: i64,
        interview: &ResolvedInterview,
    ) -> Result<InviteOutcome, EngineError> {
        let target = self.store.invite_target(application_id).await?;
        let now = self.now();
        let interview_id = interview.id;

        let email = target.email.as_deref().unwrap_or_default().trim();
        let existing = self
            .existing_invitations(interview_id, application_id, email)
            .await?;
        let checked = match checks::check(
            facts(&target),
            self.config.default_region.as_deref(),
            &existing,
        ) {
            Ok(checked) => checked,
            Err(refusals) => {
                // An invitation that exists already is not overwritten by a refusal.
                // Nor is anything recorded about a candidate whose data was deleted.
                let already = refusals
                    .iter()
                    .any(|r| matches!(r, Refusal::AlreadyInvited { .. } | Refusal::DataDeleted));
                if !already {
                    let reason = refusals
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" ");
                    let id = self
                        .store
                        .refuse_invitation(application_id, interview_id, &reason, now)
                        .await?;
                    self.store
                        .log_activity(
                            "invite_refused",
                            &reason,
                            Some(id),
                            Some(application_id),
                            now,
                        )
                        .await?;
                }
                return Ok(InviteOutcome::Refused(refusals));
            }
        };
        let payload = json!({
            "interview": interview.key,
            "name": checked.name,
            "first_name": checked.first_name,
            "last_name": checked.last_name,
            "email": checked.email.as_str(),
            "phone": checked.phone.as_ref().map(|p| p.as_str()),
        });
        let (invitation_id, outbox_id) = self
            .store
            .queue_invitation(
                application_id,
                interview_id,
                checked.email.as_str(),
                checked.phone.as_ref().map(|p| p.as_str()),
                &payload,
                now,
            )
            .await?;
        self.store
            .log_activity(
                "invite_queued",
                &format!("Queued an invitation to “{}”", interview.title),
                Some(invitation_id),
                Some(application_id),
                now,
            )
            .await?;
        self.wake.notify_one();
        Ok(InviteOutcome::Queued(Queued {
            invitation_id,
            outbox_id,
        }))
    }
}
