//! Stage-triggered automations and the write-back ledger.

use async_trait::async_trait;
use desk_domain::InvitationStatus;
use desk_store::{
    AtsApplication, Automation, AutomationRow, AutomationSpec, Automations, StoreError,
    StoredParticipant, Triggered,
};
use sqlx::PgPool;

use crate::PgStore;

/// The automation of one job, or every automation (by job): one statement, so both read
/// automations the same way.
async fn select_automations(
    pool: &PgPool,
    job_id: Option<i64>,
) -> Result<Vec<Automation>, StoreError> {
    sqlx::query_as!(
        AutomationRow,
        r#"SELECT id, job_id, interview_key, interview_choice, trigger_stage_ids, review_required,
                  move_to_stage_id, move_min_score, note_content, paused, enabled_at
           FROM automations
           WHERE ($1::BIGINT IS NULL OR job_id = $1) ORDER BY job_id"#,
        job_id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(Automation::try_from)
    .collect()
}

#[async_trait]
impl Automations for PgStore {
    async fn set_automation(&self, spec: &AutomationSpec, now: i64) -> Result<i64, StoreError> {
        let stages = serde_json::to_string(&spec.trigger_stage_ids)?;
        let choice = serde_json::to_string(&spec.interview_choice)?;
        let note_content = spec.note_policy.as_str();
        Ok(sqlx::query_scalar!(
            r#"INSERT INTO automations (job_id, interview_key, interview_choice, trigger_stage_ids, review_required, move_to_stage_id,
                                       move_min_score, note_content, enabled_at, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9)
               ON CONFLICT (job_id) DO UPDATE SET interview_key = excluded.interview_key, interview_choice = excluded.interview_choice,
                 trigger_stage_ids = excluded.trigger_stage_ids, review_required = excluded.review_required,
                 move_to_stage_id = excluded.move_to_stage_id, move_min_score = excluded.move_min_score,
                 note_content = excluded.note_content, paused = false,
                 enabled_at = CASE WHEN NOT automations.paused AND automations.interview_key = excluded.interview_key
                                    AND automations.trigger_stage_ids = excluded.trigger_stage_ids
                               THEN automations.enabled_at ELSE excluded.enabled_at END,
                 updated_at = excluded.updated_at
               RETURNING id"#,
            spec.job_id,
            spec.interview_key,
            choice,
            stages,
            spec.review_required,
            spec.move_to_stage_id,
            spec.move_min_score,
            note_content,
            now
        )
        .fetch_one(&self.pool)
        .await?)
    }

    async fn set_automation_paused(
        &self,
        job_id: i64,
        paused: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        // Resuming counts arrivals from now: nobody who arrived while it was paused is invited
        // by surprise.
        sqlx::query!(
            r#"UPDATE automations SET enabled_at = CASE WHEN paused AND NOT $1 THEN $2 ELSE enabled_at END,
                                      paused = $1, updated_at = $2 WHERE job_id = $3"#,
            paused,
            now,
            job_id
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn automation_for_job(&self, job_id: i64) -> Result<Option<Automation>, StoreError> {
        Ok(select_automations(&self.pool, Some(job_id)).await?.pop())
    }

    async fn interview_title(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar!(
            "SELECT title FROM interviews WHERE key = $1 ORDER BY id LIMIT 1",
            key
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn suggested_interviews(
        &self,
        connection_id: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(sqlx::query!(
            r#"SELECT job_id AS "job_id!", interview_key AS "interview_key!" FROM (
                 SELECT j.id AS job_id, COALESCE(
                   (SELECT NULLIF(au.interview_key, '') FROM automations au WHERE au.job_id = j.id),
                   (SELECT iv.key FROM applications a
                      JOIN invitations i ON i.application_id = a.id AND i.status <> 'refused'
                      JOIN interviews iv ON iv.id = i.interview_id
                    WHERE a.job_id = j.id ORDER BY i.id DESC LIMIT 1)) AS interview_key
                 FROM jobs j WHERE j.connection_id = $1) AS suggested
               WHERE interview_key IS NOT NULL"#,
            connection_id
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| (r.job_id, r.interview_key))
        .collect())
    }

    async fn jobs_of(&self, application_ids: &[i64]) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar!(
            "SELECT DISTINCT job_id FROM applications WHERE id = ANY($1)",
            application_ids
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn automations(&self) -> Result<Vec<Automation>, StoreError> {
        select_automations(&self.pool, None).await
    }

    async fn triggered_applications(&self) -> Result<Vec<Triggered>, StoreError> {
        Ok(sqlx::query_as!(
            Triggered,
            r#"SELECT a.id AS application_id, au.interview_key
               FROM applications a
               JOIN automations au ON au.job_id = a.job_id
               WHERE NOT au.paused
                 AND au.trigger_stage_ids::jsonb @> to_jsonb(a.stage_id)
                 AND a.stage_entered_at >= au.enabled_at
                 AND NOT EXISTS (SELECT 1 FROM invitations i JOIN interviews iv ON iv.id = i.interview_id
                                 WHERE i.application_id = a.id AND iv.key = au.interview_key)
                 -- Deleted at the candidate's request: never invited again for this application.
                 AND NOT EXISTS (SELECT 1 FROM erasures e WHERE e.application_id = a.id)
               ORDER BY a.stage_entered_at, a.id"#
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn ats_application(&self, application_id: i64) -> Result<AtsApplication, StoreError> {
        sqlx::query_as!(
            AtsApplication,
            r#"SELECT a.remote_id, c.remote_id AS candidate_remote_id, j.remote_id AS job_remote_id, s.remote_id AS "stage_remote_id?"
               FROM applications a JOIN candidates c ON c.id = a.candidate_id JOIN jobs j ON j.id = a.job_id
               LEFT JOIN stages s ON s.id = a.stage_id
               WHERE a.id = $1"#,
            application_id
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound { what: "application", id: application_id })
    }

    async fn stage_remote_id(&self, stage_id: i64) -> Result<String, StoreError> {
        sqlx::query_scalar!("SELECT remote_id FROM stages WHERE id = $1", stage_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound {
                what: "stage",
                id: stage_id,
            })
    }

    async fn stage_id(
        &self,
        connection_id: i64,
        remote_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar!(
            "SELECT id FROM stages WHERE connection_id = $1 AND remote_id = $2",
            connection_id,
            remote_id
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn job_id(&self, connection_id: i64, remote_id: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar!(
            "SELECT id FROM jobs WHERE connection_id = $1 AND remote_id = $2",
            connection_id,
            remote_id
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn writebacks_due(&self, only: Option<i64>) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT i.id
               FROM invitations i
               JOIN participants p ON p.key = i.participant_key
               JOIN applications a ON a.id = i.application_id
               LEFT JOIN reviews r ON r.invitation_id = i.id
               WHERE i.status IN ('completed', 'reviewed', 'synced')
                 AND ($1::BIGINT IS NULL OR i.id = $1)
                 AND p.status = 'completed'
                 AND (r.decision = 'approved'
                      OR (r.invitation_id IS NULL
                          AND EXISTS (SELECT 1 FROM automations au WHERE au.job_id = a.job_id AND NOT au.review_required)))
                 AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.key = 'writeback:' || i.id || ':note:' || p.revision
                                   || CASE WHEN r.version > 1 THEN '.r' || r.version ELSE '' END)
               ORDER BY i.id"#,
            only
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn record_writeback(
        &self,
        invitation_id: i64,
        target: &str,
        revision: i64,
        remote_id: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        // The unique (invitation, target, revision) lets one of two replicas record it.
        let done = sqlx::query!(
            r#"INSERT INTO writebacks (invitation_id, target, revision, remote_id, written_at) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (invitation_id, target, revision) DO NOTHING"#,
            invitation_id,
            target,
            revision,
            remote_id,
            now
        )
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn writebacks(
        &self,
        invitation_id: i64,
    ) -> Result<Vec<(String, i64, Option<String>)>, StoreError> {
        let rows = sqlx::query!(
            "SELECT target, revision, remote_id FROM writebacks WHERE invitation_id = $1 ORDER BY id",
            invitation_id
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.target, r.revision, r.remote_id))
            .collect())
    }

    async fn participant_of(
        &self,
        invitation_id: i64,
    ) -> Result<Option<StoredParticipant>, StoreError> {
        Ok(sqlx::query_as!(
            StoredParticipant,
            r#"SELECT p.key, p.revision, p.status AS "status: InvitationStatus", p.summary, p.score, p.fetched_at
               FROM participants p JOIN invitations i ON i.participant_key = p.key WHERE i.id = $1"#,
            invitation_id
        )
        .fetch_optional(&self.pool)
        .await?)
    }
}
