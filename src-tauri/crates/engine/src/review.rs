//! The review gate: a completed interview waits until a recruiter approves it (ratings, a
//! comment, transcripts withheld) and what is approved is what is written back. Or the recruiter
//! skips it, and nothing goes to the ATS.

use std::collections::BTreeMap;

use desk_domain::InvitationStatus;
use desk_store::Review;

use crate::{Engine, EngineError};

/// The longest comment that is accepted (a note, not an essay).
const MAX_COMMENT: usize = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
pub struct ReviewInput {
    /// Overall, 1 to 5.
    #[ts(type = "number | null")]
    pub rating: Option<i64>,
    /// Question key → 1 to 5.
    #[ts(type = "Record<string, number>")]
    pub question_ratings: BTreeMap<String, i64>,
    pub comment: Option<String>,
    /// Question keys whose transcripts must not reach the ATS.
    pub redactions: Vec<String>,
}

impl ReviewInput {
    /// The comment as it would be kept: trimmed, `None` when empty; refused when it is longer
    /// than a note should hold. Approving and keeping a draft apply the same rule.
    pub fn checked_comment(&self) -> Result<Option<String>, EngineError> {
        let comment = self
            .comment
            .as_ref()
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        if comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > MAX_COMMENT)
        {
            return Err(invalid(format!(
                "comment: at most {MAX_COMMENT} characters"
            )));
        }
        Ok(comment)
    }
}

fn invalid(message: impl Into<String>) -> EngineError {
    EngineError::Invalid(message.into())
}

impl Engine {
    async fn reviewable(&self, invitation_id: i64) -> Result<Vec<String>, EngineError> {
        let invitation = self.store.invitation(invitation_id).await?;
        if self
            .store
            .erasure_of(invitation.application_id, false)
            .await?
        {
            return Err(invalid(
                "this candidate's interview data was deleted at their request, or is being deleted",
            ));
        }
        // A synced one too: a new rating or comment is written as a follow-up note.
        if !matches!(
            invitation.status,
            InvitationStatus::Completed | InvitationStatus::Reviewed | InvitationStatus::Synced
        ) {
            return Err(invalid(format!(
                "only a completed interview can be reviewed; this one is {}",
                invitation.status
            )));
        }
        let participant = self
            .store
            .participant_of(invitation_id)
            .await?
            .ok_or_else(|| invalid("the interview's answers have not been fetched yet"))?;
        Ok(self
            .store
            .responses(&participant.key)
            .await?
            .into_iter()
            .map(|r| r.question_key)
            .collect())
    }

    /// Approves a completed interview with the recruiter's review and queues its write-back.
    /// Refused, with the field named, for a rating outside 1–5, a question the interview does not
    /// have, or a comment over 10,000 characters; nothing is stored then.
    pub async fn approve(
        &self,
        invitation_id: i64,
        input: ReviewInput,
    ) -> Result<Vec<i64>, EngineError> {
        let questions = self.reviewable(invitation_id).await?;
        let in_range = |r: i64| (1..=5).contains(&r);
        if input.rating.is_some_and(|r| !in_range(r)) {
            return Err(invalid("rating: must be from 1 to 5"));
        }
        for (key, rating) in &input.question_ratings {
            if !questions.contains(key) {
                return Err(invalid(format!(
                    "question_ratings: the interview has no question `{key}`"
                )));
            }
            if !in_range(*rating) {
                return Err(invalid(format!(
                    "question_ratings.{key}: must be from 1 to 5"
                )));
            }
        }
        if let Some(unknown) = input.redactions.iter().find(|k| !questions.contains(k)) {
            return Err(invalid(format!(
                "redactions: the interview has no question `{unknown}`"
            )));
        }
        let comment = input.checked_comment()?;
        let now = self.now();
        let review = Review {
            invitation_id,
            decision: "approved".into(),
            rating: input.rating,
            question_ratings: input.question_ratings,
            comment,
            redactions: input.redactions,
            reviewed_at: now,
            version: 0,
        };
        self.store.save_review(&review).await?;
        self.store
            .advance_invitation(
                invitation_id,
                InvitationStatus::Reviewed,
                Some("approved"),
                now,
            )
            .await?;
        self.store
            .log_activity(
                "review_approved",
                "Approved the interview; results queued for the ATS",
                Some(invitation_id),
                None,
                now,
            )
            .await?;
        self.queue_writeback(invitation_id).await
    }

    /// Skips a completed interview: reviewed, and nothing is written to the ATS.
    pub async fn skip(&self, invitation_id: i64) -> Result<(), EngineError> {
        self.reviewable(invitation_id).await?;
        let now = self.now();
        let review = Review {
            invitation_id,
            decision: "skipped".into(),
            rating: None,
            question_ratings: BTreeMap::new(),
            comment: None,
            redactions: Vec::new(),
            reviewed_at: now,
            version: 0,
        };
        self.store.save_review(&review).await?;
        self.store
            .advance_invitation(
                invitation_id,
                InvitationStatus::Reviewed,
                Some("skipped"),
                now,
            )
            .await?;
        self.store
            .log_activity(
                "review_skipped",
                "Skipped the interview; nothing written to the ATS",
                Some(invitation_id),
                None,
                now,
            )
            .await?;
        Ok(())
    }
}
