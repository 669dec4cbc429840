//! Reviews and the inbox of completed interviews waiting for one.

use async_trait::async_trait;
use desk_store::{InboxEntry, Review, Reviews, StoreError};

use crate::PgStore;

#[async_trait]
impl Reviews for PgStore {
    async fn save_review(&self, review: &Review) -> Result<i64, StoreError> {
        let ratings = serde_json::to_string(&review.question_ratings)?;
        let redactions = serde_json::to_string(&review.redactions)?;
        // The decision replaces the draft it was made from, in one transaction.
        let mut tx = self.pool.begin().await?;
        delete_draft(&mut *tx, review.invitation_id).await?;
        // The invitation is locked FOR SHARE while it is checked, so a purge running alongside
        // (which locks it to update) either finishes first and is seen, or waits and deletes this.
        let version = sqlx::query_scalar!(
            r#"INSERT INTO reviews (invitation_id, decision, rating, question_ratings, comment, redactions, reviewed_at)
               SELECT i.id, $2::TEXT, $3::BIGINT, $4::TEXT, $5::TEXT, $6::TEXT, $7::BIGINT FROM invitations i
               WHERE i.id = $1 AND i.status <> 'erased'
                 AND NOT EXISTS (SELECT 1 FROM erasures e WHERE e.application_id = i.application_id AND e.status = 'pending')
               FOR SHARE OF i
               ON CONFLICT (invitation_id) DO UPDATE SET
                 version = reviews.version + CASE WHEN reviews.decision IS DISTINCT FROM excluded.decision
                   OR reviews.rating IS DISTINCT FROM excluded.rating
                   OR reviews.question_ratings IS DISTINCT FROM excluded.question_ratings
                   OR reviews.comment IS DISTINCT FROM excluded.comment
                   OR reviews.redactions IS DISTINCT FROM excluded.redactions THEN 1 ELSE 0 END,
                 decision = excluded.decision, rating = excluded.rating,
                 question_ratings = excluded.question_ratings, comment = excluded.comment, redactions = excluded.redactions,
                 reviewed_at = excluded.reviewed_at
               RETURNING version"#,
            review.invitation_id,
            review.decision,
            review.rating,
            ratings,
            review.comment,
            redactions,
            review.reviewed_at
        )
        .fetch_optional(&mut *tx)
        .await?
        // Its data was deleted, or is being: nothing about the candidate is kept any more.
        .ok_or(StoreError::NotFound { what: "reviewable invitation", id: review.invitation_id })?;
        tx.commit().await?;
        Ok(version)
    }

    async fn review(&self, invitation_id: i64) -> Result<Option<Review>, StoreError> {
        let row = sqlx::query!(
            r#"SELECT invitation_id, decision, rating, question_ratings, comment, redactions, reviewed_at, version
               FROM reviews WHERE invitation_id = $1"#,
            invitation_id
        )
        .fetch_optional(&self.pool)
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
        // Locked FOR SHARE while checked, as in `save_review`.
        let done = sqlx::query!(
            r#"INSERT INTO review_drafts (invitation_id, body)
               SELECT i.id, $1::TEXT FROM invitations i WHERE i.id = $2 AND i.status <> 'erased'
                 AND NOT EXISTS (SELECT 1 FROM erasures e WHERE e.application_id = i.application_id AND e.status = 'pending')
               FOR SHARE OF i
               ON CONFLICT (invitation_id) DO UPDATE SET body = excluded.body"#,
            body,
            invitation_id
        )
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn review_draft(&self, invitation_id: i64) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar!(
            "SELECT body FROM review_drafts WHERE invitation_id = $1",
            invitation_id
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn discard_review_draft(&self, invitation_id: i64) -> Result<(), StoreError> {
        delete_draft(&self.pool, invitation_id).await
    }

    async fn inbox(&self, limit: i64) -> Result<Vec<InboxEntry>, StoreError> {
        Ok(sqlx::query_as!(
            InboxEntry,
            r#"SELECT i.id AS invitation_id, p.key AS participant_key, c.first_name, c.last_name,
                      iv.title AS interview_title, j.title AS job_title, p.score,
                      (SELECT MAX(e.at) FROM invitation_events e WHERE e.invitation_id = i.id AND e.status = 'completed') AS "completed_at!"
               FROM invitations i
               JOIN participants p ON p.key = i.participant_key
               JOIN applications a ON a.id = i.application_id
               JOIN candidates c ON c.id = a.candidate_id
               JOIN jobs j ON j.id = a.job_id
               JOIN interviews iv ON iv.id = i.interview_id
               WHERE i.status = 'completed' AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.invitation_id = i.id)
               ORDER BY 8 DESC, i.id DESC
               LIMIT $1"#,
            limit
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn to_review_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!"
               FROM invitations i JOIN participants p ON p.key = i.participant_key
               WHERE i.status = 'completed' AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.invitation_id = i.id)"#
        )
        .fetch_one(&self.pool)
        .await?)
    }
}

/// Deletes an invitation's draft, alone or inside a transaction.
async fn delete_draft<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    invitation_id: i64,
) -> Result<(), StoreError> {
    sqlx::query!(
        "DELETE FROM review_drafts WHERE invitation_id = $1",
        invitation_id
    )
    .execute(executor)
    .await?;
    Ok(())
}
