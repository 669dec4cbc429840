//! Reviews (what a recruiter decided about a completed interview) and the inbox of completed
//! interviews waiting for one.

use async_trait::async_trait;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::{SqliteStore, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub invitation_id: i64,
    /// `approved` (results go to the ATS) or `skipped` (they do not).
    pub decision: String,
    pub rating: Option<i64>,
    /// Question key → rating 1–5.
    pub question_ratings: BTreeMap<String, i64>,
    pub comment: Option<String>,
    /// Question keys whose transcripts are withheld from the ATS.
    pub redactions: Vec<String>,
    pub reviewed_at: i64,
    /// 1 for the first review; one more for each later review that said something new.
    pub version: i64,
}

/// A completed interview waiting for review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboxEntry {
    pub invitation_id: i64,
    pub participant_key: String,
    pub first_name: String,
    pub last_name: String,
    pub interview_title: String,
    pub job_title: String,
    pub score: Option<f64>,
    /// When the completion was stored.
    pub completed_at: i64,
}

#[async_trait]
pub trait Reviews: Send + Sync {
    /// Records a review, replacing an earlier one for the same invitation and any draft. Returns
    /// its version: it goes up when the new review differs from the stored one (a re-approval
    /// that changes nothing is the same review).
    async fn save_review(&self, review: &Review) -> Result<i64, StoreError>;

    async fn review(&self, invitation_id: i64) -> Result<Option<Review>, StoreError>;

    /// Keeps unfinished review work for an invitation (`body` is the app's JSON), replacing the
    /// last draft. Returns false, keeping nothing, when the invitation does not exist.
    async fn save_review_draft(&self, invitation_id: i64, body: &str) -> Result<bool, StoreError>;

    /// The unfinished review work for an invitation.
    async fn review_draft(&self, invitation_id: i64) -> Result<Option<String>, StoreError>;

    async fn discard_review_draft(&self, invitation_id: i64) -> Result<(), StoreError>;

    /// Completed interviews nobody has reviewed yet, newest first.
    async fn inbox(&self, limit: i64) -> Result<Vec<InboxEntry>, StoreError>;

    /// How many completed interviews wait for review: the whole [`Reviews::inbox`], uncapped. Its
    /// other joins always find their row (foreign keys, enforced), so only the participant's counts.
    async fn to_review_count(&self) -> Result<i64, StoreError>;
}

#[async_trait]
impl Reviews for SqliteStore {
    async fn save_review(&self, review: &Review) -> Result<i64, StoreError> {
        let ratings = serde_json::to_string(&review.question_ratings)?;
        let redactions = serde_json::to_string(&review.redactions)?;
        // The decision replaces the draft it was made from, in one transaction.
        let mut tx = self.writer.begin().await?;
        delete_draft(&mut *tx, review.invitation_id).await?;
        let version = sqlx::query_scalar!(
            r#"INSERT INTO reviews (invitation_id, decision, rating, question_ratings, comment, redactions, reviewed_at)
               SELECT ?, ?, ?, ?, ?, ?, ?
               WHERE EXISTS (SELECT 1 FROM invitations i WHERE i.id = ? AND i.status <> 'erased'
                             AND NOT EXISTS (SELECT 1 FROM erasures e WHERE e.application_id = i.application_id AND e.status = 'pending'))
               ON CONFLICT (invitation_id) DO UPDATE SET
                 version = reviews.version + (reviews.decision IS NOT excluded.decision OR reviews.rating IS NOT excluded.rating
                   OR reviews.question_ratings IS NOT excluded.question_ratings OR reviews.comment IS NOT excluded.comment
                   OR reviews.redactions IS NOT excluded.redactions),
                 decision = excluded.decision, rating = excluded.rating,
                 question_ratings = excluded.question_ratings, comment = excluded.comment, redactions = excluded.redactions,
                 reviewed_at = excluded.reviewed_at
               RETURNING version AS "version!: i64""#,
            review.invitation_id,
            review.decision,
            review.rating,
            ratings,
            review.comment,
            redactions,
            review.reviewed_at,
            review.invitation_id
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .next()
        // Its data was deleted, or is being: nothing about the candidate is kept any more.
        .ok_or(StoreError::NotFound { what: "reviewable invitation", id: review.invitation_id })?;
        tx.commit().await?;
        Ok(version)
    }

    async fn review(&self, invitation_id: i64) -> Result<Option<Review>, StoreError> {
        let row = sqlx::query!(
            r#"SELECT invitation_id, decision, rating, question_ratings, comment, redactions, reviewed_at, version
               FROM reviews WHERE invitation_id = ?"#,
            invitation_id
        )
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| {
            Ok(Review {
                invitation_id: r.invitation_id,
                decision: r.decision,
                rating: r.rating,
                question_ratings: serde_json::from_str(&r.question_ratings)?,
                comment: r.comment,
                redactions: serde_json::from_str(&r.redactions)?,
                reviewed_at: r.reviewed_at,
                version: r.version,
            })
        })
        .transpose()
    }

    async fn save_review_draft(&self, invitation_id: i64, body: &str) -> Result<bool, StoreError> {
        let done = sqlx::query!(
            r#"INSERT INTO review_drafts (invitation_id, body)
               SELECT i.id, ? FROM invitations i WHERE i.id = ? AND i.status <> 'erased'
                 AND NOT EXISTS (SELECT 1 FROM erasures e WHERE e.application_id = i.application_id AND e.status = 'pending')
               ON CONFLICT (invitation_id) DO UPDATE SET body = excluded.body"#,
            body,
            invitation_id
        )
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn review_draft(&self, invitation_id: i64) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar!(
            "SELECT body FROM review_drafts WHERE invitation_id = ?",
            invitation_id
        )
        .fetch_optional(&self.reader)
        .await?)
    }

    async fn discard_review_draft(&self, invitation_id: i64) -> Result<(), StoreError> {
        delete_draft(&self.writer, invitation_id).await
    }

    async fn inbox(&self, limit: i64) -> Result<Vec<InboxEntry>, StoreError> {
        Ok(sqlx::query_as!(
            InboxEntry,
            r#"SELECT i.id AS "invitation_id!", p.key AS "participant_key!", c.first_name, c.last_name,
                      iv.title AS interview_title, j.title AS job_title, p.score,
                      (SELECT MAX(e.at) FROM invitation_events e WHERE e.invitation_id = i.id AND e.status = 'completed') AS "completed_at!: i64"
               FROM invitations i
               JOIN participants p ON p.key = i.participant_key
               JOIN applications a ON a.id = i.application_id
               JOIN candidates c ON c.id = a.candidate_id
               JOIN jobs j ON j.id = a.job_id
               JOIN interviews iv ON iv.id = i.interview_id
               WHERE i.status = 'completed' AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.invitation_id = i.id)
               ORDER BY 8 DESC, i.id DESC
               LIMIT ?"#,
            limit
        )
        .fetch_all(&self.reader)
        .await?)
    }

    async fn to_review_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64"
               FROM invitations i JOIN participants p ON p.key = i.participant_key
               WHERE i.status = 'completed' AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.invitation_id = i.id)"#
        )
        .fetch_one(&self.reader)
        .await?)
    }
}

/// Deletes an invitation's draft, alone or inside a transaction.
async fn delete_draft<'e>(
    executor: impl sqlx::SqliteExecutor<'e>,
    invitation_id: i64,
) -> Result<(), StoreError> {
    sqlx::query!(
        "DELETE FROM review_drafts WHERE invitation_id = ?",
        invitation_id
    )
    .execute(executor)
    .await?;
    Ok(())
}
