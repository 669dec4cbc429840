//! Removing a candidate's interview data, and the audit of each deletion.

use async_trait::async_trait;
use desk_domain::LocalRemoval;
use desk_store::{
    erasure_key, ErasableInvitation, Erasure, ErasureRow, ErasureTargets, Erasures, StoreError,
    WrittenToAts,
};
use serde_json::json;

use crate::PgStore;

#[async_trait]
impl Erasures for PgStore {
    async fn request_erasure(
        &self,
        application_id: i64,
        requested_by: &str,
        now: i64,
    ) -> Result<(i64, bool), StoreError> {
        let mut tx = self.pool.begin().await?;
        // Two replicas asked at once must not both find no request waiting and add one each:
        // the application's row is locked first, so the second sees the first's request.
        sqlx::query_scalar!(
            "SELECT id FROM applications WHERE id = $1 FOR NO KEY UPDATE",
            application_id
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound {
            what: "application",
            id: application_id,
        })?;
        let created = sqlx::query_scalar!(
            r#"INSERT INTO erasures (application_id, ats_application, ats_candidate, requested_by, requested_at)
               SELECT a.id, a.remote_id, c.remote_id, $2, $3 FROM applications a JOIN candidates c ON c.id = a.candidate_id
               WHERE a.id = $1
                 AND NOT EXISTS (SELECT 1 FROM erasures WHERE application_id = $1 AND status = 'pending')
               RETURNING id"#,
            application_id,
            requested_by,
            now
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = created else {
            let waiting = sqlx::query_scalar!(
                "SELECT id FROM erasures WHERE application_id = $1 AND status = 'pending' ORDER BY id LIMIT 1",
                application_id
            )
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound { what: "application", id: application_id })?;
            tx.commit().await?;
            return Ok((waiting, false));
        };
        crate::outbox::insert_item(
            &mut tx,
            "erase",
            &erasure_key(id),
            &json!({ "erasure_id": id }),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok((id, true))
    }

    async fn erasure(&self, id: i64) -> Result<Erasure, StoreError> {
        sqlx::query_as!(
            ErasureRow,
            r#"SELECT id, application_id, ats_application, ats_candidate, requested_by, requested_at, status,
                      report, finished_at
               FROM erasures WHERE id = $1"#,
            id
        )
        .fetch_optional(&self.pool)
        .await?
        .map(Erasure::from)
        .ok_or(StoreError::NotFound { what: "erasure", id })
    }

    async fn erasures_of(&self, application_id: i64) -> Result<Vec<Erasure>, StoreError> {
        Ok(sqlx::query_as!(
            ErasureRow,
            r#"SELECT id, application_id, ats_application, ats_candidate, requested_by, requested_at, status,
                      report, finished_at
               FROM erasures WHERE application_id = $1 ORDER BY id DESC"#,
            application_id
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(Erasure::from)
        .collect())
    }

    async fn finish_erasure(
        &self,
        id: i64,
        report: &serde_json::Value,
        now: i64,
    ) -> Result<(), StoreError> {
        let report = report.to_string();
        sqlx::query!(
            "UPDATE erasures SET status = 'done', report = $1, finished_at = $2 WHERE id = $3",
            report,
            now,
            id
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn erasure_targets(&self, application_id: i64) -> Result<ErasureTargets, StoreError> {
        let candidate_name = sqlx::query_scalar!(
            r#"SELECT (c.first_name || ' ' || c.last_name) AS "name!"
               FROM applications a JOIN candidates c ON c.id = a.candidate_id WHERE a.id = $1"#,
            application_id
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            what: "application",
            id: application_id,
        })?;
        let invitations = sqlx::query!(
            r#"SELECT i.id, iv.key AS interview_key, i.participant_key, i.email,
                      EXISTS (SELECT 1 FROM outbox o WHERE o.key = 'invite:' || i.id AND o.attempts > 0) AS "attempted!"
               FROM invitations i JOIN interviews iv ON iv.id = i.interview_id
               WHERE i.application_id = $1 ORDER BY i.id"#,
            application_id
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| ErasableInvitation {
            id: r.id,
            interview_key: r.interview_key,
            participant_key: r.participant_key,
            email: r.email,
            invite_attempted: r.attempted,
        })
        .collect();
        let other_participants = sqlx::query_scalar!(
            r#"SELECT p.key FROM participants p
               WHERE p.invitation_id IN (SELECT id FROM invitations WHERE application_id = $1)
                  OR (p.invitation_id IS NULL AND lower(p.raw::jsonb ->> 'email') IN (
                        SELECT lower(c.email) FROM applications a JOIN candidates c ON c.id = a.candidate_id WHERE a.id = $1
                        UNION SELECT lower(email) FROM invitations WHERE application_id = $1))
               ORDER BY p.key"#,
            application_id
        )
        .fetch_all(&self.pool)
        .await?;
        let written = sqlx::query_as!(
            WrittenToAts,
            r#"SELECT w.invitation_id, w.target, w.remote_id FROM writebacks w
               JOIN invitations i ON i.id = w.invitation_id
               WHERE i.application_id = $1 ORDER BY w.id"#,
            application_id
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(ErasureTargets {
            candidate_name,
            invitations,
            other_participants,
            written,
        })
    }

    async fn purge_interview_data(
        &self,
        invitation_ids: &[i64],
        participant_keys: &[String],
        application_id: Option<i64>,
        why: &str,
        now: i64,
    ) -> Result<LocalRemoval, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The invitations are locked first: a review or draft saved alongside (which locks its
        // invitation FOR SHARE) either lands before and is deleted here, or waits and finds the
        // invitation erased. Locked in id order, so two purges cannot deadlock.
        sqlx::query_scalar!(
            "SELECT id FROM invitations WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
            invitation_ids
        )
        .fetch_all(&mut *tx)
        .await?;
        let answers = sqlx::query!(
            r#"DELETE FROM responses WHERE participant_key = ANY($1)
                 OR participant_key IN (SELECT key FROM participants WHERE invitation_id = ANY($2))"#,
            participant_keys,
            invitation_ids
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let participants = sqlx::query!(
            "DELETE FROM participants WHERE key = ANY($1) OR invitation_id = ANY($2)",
            participant_keys,
            invitation_ids
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let reviews = sqlx::query!(
            "DELETE FROM reviews WHERE invitation_id = ANY($1)",
            invitation_ids
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query!(
            "DELETE FROM review_drafts WHERE invitation_id = ANY($1)",
            invitation_ids
        )
        .execute(&mut *tx)
        .await?;
        let queued_items = sqlx::query!(
            r#"DELETE FROM outbox WHERE kind IN ('invite', 'writeback')
                 AND (payload::jsonb ->> 'invitation_id')::BIGINT = ANY($1)"#,
            invitation_ids
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let webhook_deliveries = sqlx::query!(
            // Willo's deliveries only: the ATS's are kept as ids, which name no participant.
            r#"DELETE FROM inbox WHERE source = 'willo'
                 AND EXISTS (SELECT 1 FROM unnest($1::TEXT[]) k WHERE strpos(inbox.body, k) > 0)"#,
            participant_keys
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let activity = sqlx::query!(
            r#"DELETE FROM activity WHERE invitation_id = ANY($1)
                 OR ($2::BIGINT IS NOT NULL AND application_id = $2)"#,
            invitation_ids,
            application_id
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query!(
            "INSERT INTO erased_participants (key, erased_at) SELECT k, $1 FROM unnest($2::TEXT[]) k ON CONFLICT DO NOTHING",
            now,
            participant_keys
        )
        .execute(&mut *tx)
        .await?;
        // The steps' times stay (the dashboard counts them); their free text goes.
        sqlx::query!(
            "UPDATE invitation_events SET detail = NULL WHERE invitation_id = ANY($1)",
            invitation_ids
        )
        .execute(&mut *tx)
        .await?;
        let erased = sqlx::query!(
            r#"UPDATE invitations SET status = 'erased', email = NULL, phone = NULL, refused_reason = NULL, updated_at = $1
               WHERE id = ANY($2)"#,
            now,
            invitation_ids
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query!(
            r#"INSERT INTO invitation_events (invitation_id, status, detail, at)
               SELECT id, 'erased', $1, $2 FROM unnest($3::BIGINT[]) id"#,
            why,
            now,
            invitation_ids
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let journal_emptied = self.truncate_journal().await?;
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        Ok(LocalRemoval {
            journal_emptied,
            invitations: count(erased),
            participants: count(participants),
            answers: count(answers),
            reviews: count(reviews),
            queued_items: count(queued_items),
            webhook_deliveries: count(webhook_deliveries),
            activity: count(activity),
            // Files are not the database's: the engine removes and counts those.
            export_files: 0,
        })
    }

    async fn truncate_journal(&self) -> Result<bool, StoreError> {
        // PostgreSQL has nothing like emptying SQLite's WAL: old row versions stay in its WAL
        // and data files until the server recycles them. A VACUUM of the tables the purge
        // touched frees the dead rows' space for reuse, but nothing here can say they are gone,
        // so the answer is false and the erasure's report says so.
        sqlx::query!(
            "VACUUM responses, participants, reviews, review_drafts, outbox, inbox, activity, invitation_events, invitations"
        )
        .execute(&self.pool)
        .await?;
        Ok(false)
    }

    async fn is_erased_participant(&self, key: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM erased_participants WHERE key = $1) AS "erased!""#,
            key
        )
        .fetch_one(&self.pool)
        .await?)
    }

    async fn erasure_of(
        &self,
        application_id: i64,
        pending_only: bool,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM erasures WHERE application_id = $1 AND (NOT $2 OR status = 'pending')) AS "found!""#,
            application_id,
            pending_only
        )
        .fetch_one(&self.pool)
        .await?)
    }

    async fn record_export(
        &self,
        path: &str,
        kind: &str,
        application_id: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query!(
            r#"INSERT INTO exports (path, kind, application_id, created_at) VALUES ($1, $2, $3, $4)
               ON CONFLICT (path) DO UPDATE SET kind = excluded.kind, application_id = excluded.application_id,
                 created_at = excluded.created_at"#,
            path,
            kind,
            application_id,
            now
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn exports_about(
        &self,
        application_id: i64,
    ) -> Result<Vec<(i64, String, bool)>, StoreError> {
        Ok(sqlx::query!(
            r#"SELECT id, path, application_id IS NOT DISTINCT FROM $1 AS "theirs!" FROM exports
               WHERE kind = 'activity' OR application_id = $1 ORDER BY id"#,
            application_id
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| (r.id, r.path, r.theirs))
        .collect())
    }

    async fn forget_export(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query!("DELETE FROM exports WHERE id = $1", id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn retention_due(&self, cutoff: i64) -> Result<Vec<(i64, Vec<String>)>, StoreError> {
        Ok(sqlx::query!(
            r#"SELECT i.id,
                      ARRAY(SELECT p.key FROM participants p WHERE p.invitation_id = i.id ORDER BY p.key) AS "keys!"
               FROM invitations i JOIN applications a ON a.id = i.application_id
               WHERE i.status <> 'erased'
                 AND NOT EXISTS (SELECT 1 FROM erasures e WHERE e.application_id = i.application_id AND e.status = 'pending')
                 AND (EXISTS (SELECT 1 FROM participants p WHERE p.invitation_id = i.id)
                      OR EXISTS (SELECT 1 FROM reviews r WHERE r.invitation_id = i.id))
                 AND ((i.status = 'synced' AND (SELECT MAX(w.written_at) FROM writebacks w WHERE w.invitation_id = i.id) < $1)
                      OR a.closed_at < $1)
               ORDER BY i.id"#,
            cutoff
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| (r.id, r.keys))
        .collect())
    }
}
