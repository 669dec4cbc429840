//! The inbox and the review: what a recruiter reads before approving or skipping.

use desk_engine::ReviewInput;
use desk_store::ResponseRecord;

use crate::app::count;
use crate::ipc::{Answer, InboxRow, ReviewDetail, ReviewState, TranscriptSegment};
use crate::{App, AppError, ErrorCode};

/// The inbox shows this many at most (the oldest wait beyond it, and the count says so).
const INBOX_LIMIT: i64 = 1_000;

/// Timed transcript lines, read tolerantly: `start`/`end` in seconds (or `start_ms`), `text`.
fn segments(raw: Option<&serde_json::Value>) -> Vec<TranscriptSegment> {
    let Some(items) = raw.and_then(serde_json::Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let seconds = |name: &str, ms: &str| {
                item.get(name)
                    .and_then(serde_json::Value::as_f64)
                    .or_else(|| {
                        item.get(ms)
                            .and_then(serde_json::Value::as_f64)
                            .map(|v| v / 1000.0)
                    })
            };
            Some(TranscriptSegment {
                start: seconds("start", "start_ms")?,
                end: seconds("end", "end_ms"),
                text: item.get("text")?.as_str()?.to_owned(),
            })
        })
        .collect()
}

fn answer(r: ResponseRecord) -> Answer {
    Answer {
        segments: segments(r.segments.as_ref()),
        question_key: r.question_key,
        position: count(r.position),
        question: r.question_text,
        kind: r.kind,
        media_url: r.media_url,
        text: r.text_answer,
        transcript: r.transcript,
        score: r.score,
    }
}

impl App {
    /// Completed interviews waiting for review, newest first.
    pub async fn inbox(&self) -> Result<Vec<InboxRow>, AppError> {
        Ok(self
            .store
            .inbox(INBOX_LIMIT)
            .await?
            .into_iter()
            .map(|e| InboxRow {
                invitation_id: count(e.invitation_id),
                name: format!("{} {}", e.first_name, e.last_name).trim().to_owned(),
                interview_title: e.interview_title,
                job_title: e.job_title,
                score: e.score,
                #[allow(clippy::cast_precision_loss)] // milliseconds since 1970 fit a double exactly
                completed_at: e.completed_at as f64,
            })
            .collect())
    }

    /// Everything the review screen shows for one invitation.
    pub async fn review_detail(&self, invitation_id: u32) -> Result<ReviewDetail, AppError> {
        let id = i64::from(invitation_id);
        let invitation = self.store.invitation(id).await?;
        let subject = self.store.invitation_subject(id).await?;
        let target = self.store.invite_target(invitation.application_id).await?;
        let participant = self.store.participant_of(id).await?.ok_or_else(|| {
            AppError::new(
                ErrorCode::NotFound,
                "the interview's answers have not been fetched yet: it is not completed",
            )
        })?;
        let raw = self.store.participant_raw(&participant.key).await?;
        let answers = self
            .store
            .responses(&participant.key)
            .await?
            .into_iter()
            .map(answer)
            .collect();
        let review = self.store.review(id).await?.map(|r| ReviewState {
            decision: r.decision,
            rating: r.rating.map(count),
            question_ratings: r
                .question_ratings
                .into_iter()
                .map(|(k, v)| (k, count(v)))
                .collect(),
            comment: r.comment,
            redactions: r.redactions,
        });
        let draft = self.draft(id).await?;
        Ok(ReviewDetail {
            invitation_id,
            application_id: count(invitation.application_id),
            name: format!("{} {}", target.first_name, target.last_name)
                .trim()
                .to_owned(),
            email: target.email,
            job_title: subject.job_title,
            interview_title: subject.interview_title,
            status: invitation.status,
            summary: participant.summary,
            score: participant.score,
            share_url: raw
                .get("share_url")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
            answers,
            review,
            draft,
        })
    }

    /// The draft kept for an invitation; one that cannot be read any more is dropped, since a
    /// draft is a convenience and must never keep the review from opening.
    async fn draft(&self, invitation_id: i64) -> Result<Option<ReviewInput>, AppError> {
        let Some(body) = self.store.review_draft(invitation_id).await? else {
            return Ok(None);
        };
        match serde_json::from_str(&body) {
            Ok(draft) => Ok(Some(draft)),
            Err(error) => {
                tracing::warn!(invitation_id, %error, "an unreadable review draft was dropped");
                self.store.discard_review_draft(invitation_id).await?;
                Ok(None)
            }
        }
    }

    /// Keeps unfinished review work, so that leaving the review loses nothing.
    pub async fn save_draft(
        &self,
        invitation_id: u32,
        draft: &ReviewInput,
    ) -> Result<(), AppError> {
        draft.checked_comment()?;
        let body = serde_json::to_string(draft)
            .map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))?;
        if self
            .store
            .save_review_draft(invitation_id.into(), &body)
            .await?
        {
            Ok(())
        } else {
            Err(AppError::new(
                ErrorCode::NotFound,
                "This interview is no longer here.",
            ))
        }
    }

    /// Drops unfinished review work (approving or skipping drops it too).
    pub async fn discard_draft(&self, invitation_id: u32) -> Result<(), AppError> {
        Ok(self
            .store
            .discard_review_draft(invitation_id.into())
            .await?)
    }

    /// Approves with the recruiter's review; the write-back is queued.
    pub async fn approve(&self, invitation_id: u32, input: ReviewInput) -> Result<(), AppError> {
        self.engine.approve(invitation_id.into(), input).await?;
        Ok(())
    }

    /// Skips: nothing goes to the ATS.
    pub async fn skip(&self, invitation_id: u32) -> Result<(), AppError> {
        Ok(self.engine.skip(invitation_id.into()).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timed_lines_are_read_in_seconds_or_milliseconds_and_bad_ones_skipped() {
        let raw = serde_json::json!([
            {"start": 0.0, "end": 2.5, "text": "Hello"},
            {"start_ms": 2500, "text": "there"},
            {"text": "no time"},
            "not an object"
        ]);
        let lines = segments(Some(&raw));
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].start, 2.5);
        assert_eq!(lines[1].end, None);
        assert!(segments(None).is_empty());
    }
}
