//! What is held about one application, for a candidate's access request: each part as JSON
//! that PostgreSQL builds from the rows (stored JSON embedded as `json`, verbatim).

use async_trait::async_trait;
use desk_store::{AccessRequests, StoreError};
use serde_json::Value;

use crate::PgStore;

#[async_trait]
impl AccessRequests for PgStore {
    async fn access_profile(&self, application_id: i64) -> Result<Value, StoreError> {
        sqlx::query_scalar!(
            r#"SELECT json_build_object(
                 'first_name', c.first_name, 'last_name', c.last_name, 'email', c.email, 'phone', c.phone,
                 'ats_candidate_id', c.remote_id, 'ats_application_id', a.remote_id,
                 'job', j.title, 'stage', s.name, 'application_status', a.status,
                 'candidate_record', c.raw::json, 'application_record', a.raw::json) AS "profile!"
               FROM applications a JOIN candidates c ON c.id = a.candidate_id JOIN jobs j ON j.id = a.job_id
               LEFT JOIN stages s ON s.id = a.stage_id WHERE a.id = $1"#,
            application_id
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound { what: "application", id: application_id })
    }

    async fn access_invitations(&self, application_id: i64) -> Result<Vec<Value>, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT json_build_object(
                 'id', i.id, 'interview', iv.title, 'interview_key', iv.key, 'status', i.status,
                 'email', i.email, 'phone', i.phone, 'not_sent_because', i.refused_reason,
                 'willo_participant', i.participant_key, 'created_at', i.created_at, 'updated_at', i.updated_at,
                 'steps', (SELECT COALESCE(json_agg(json_build_object('step', e.status, 'detail', e.detail, 'at', e.at)
                                                    ORDER BY e.at, e.id), '[]'::json)
                           FROM invitation_events e WHERE e.invitation_id = i.id)
               ) AS "invitation!"
               FROM invitations i JOIN interviews iv ON iv.id = i.interview_id
               WHERE i.application_id = $1 ORDER BY i.id"#,
            application_id
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn access_writes(&self, invitation_id: i64) -> Result<Vec<Value>, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT json_build_object(
                 'target', w.target, 'revision', w.revision, 'ats_id', w.remote_id, 'written_at', w.written_at,
                 'content', (SELECT o.payload::json FROM outbox o
                             WHERE o.kind = 'writeback' AND o.status = 'done' AND o.result IS NOT DISTINCT FROM w.remote_id
                               AND (o.payload::jsonb ->> 'invitation_id')::BIGINT = w.invitation_id
                               AND (o.payload::jsonb ->> 'revision')::BIGINT = w.revision
                             ORDER BY o.id LIMIT 1)
               ) AS "write!"
               FROM writebacks w WHERE w.invitation_id = $1 ORDER BY w.id"#,
            invitation_id
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn access_activity(&self, application_id: i64) -> Result<Vec<Value>, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT json_build_object('at', at, 'kind', kind, 'message', message) AS "entry!"
               FROM activity
               WHERE application_id = $1 OR invitation_id IN (SELECT id FROM invitations WHERE application_id = $1)
               ORDER BY at, id"#,
            application_id
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
