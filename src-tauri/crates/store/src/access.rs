//! What is held about one application, for a candidate's access request: each part as JSON
//! that SQLite builds from the rows, so the export shows what the database holds.

use async_trait::async_trait;
use serde_json::Value;

use crate::{SqliteStore, StoreError};

fn parse(rows: Vec<String>) -> Result<Vec<Value>, StoreError> {
    rows.iter()
        .map(|r| serde_json::from_str(r).map_err(StoreError::from))
        .collect()
}

#[async_trait]
pub trait AccessRequests: Send + Sync {
    /// The candidate and the application as the ATS gave them (its raw records included).
    async fn access_profile(&self, application_id: i64) -> Result<Value, StoreError>;

    /// The application's invitations, each with its steps.
    async fn access_invitations(&self, application_id: i64) -> Result<Vec<Value>, StoreError>;

    /// What was written to the ATS about an invitation: the ledger (ids, times) with what each
    /// write carried (the note's text, the file's content, the field's value).
    async fn access_writes(&self, invitation_id: i64) -> Result<Vec<Value>, StoreError>;

    /// The activity log's entries about the application or its invitations.
    async fn access_activity(&self, application_id: i64) -> Result<Vec<Value>, StoreError>;
}

#[async_trait]
impl AccessRequests for SqliteStore {
    async fn access_profile(&self, application_id: i64) -> Result<Value, StoreError> {
        let row = sqlx::query_scalar!(
            r#"SELECT json_object(
                 'first_name', c.first_name, 'last_name', c.last_name, 'email', c.email, 'phone', c.phone,
                 'ats_candidate_id', c.remote_id, 'ats_application_id', a.remote_id,
                 'job', j.title, 'stage', s.name, 'application_status', a.status,
                 'candidate_record', json(c.raw), 'application_record', json(a.raw)) AS "profile!: String"
               FROM applications a JOIN candidates c ON c.id = a.candidate_id JOIN jobs j ON j.id = a.job_id
               LEFT JOIN stages s ON s.id = a.stage_id WHERE a.id = ?"#,
            application_id
        )
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound { what: "application", id: application_id })?;
        Ok(serde_json::from_str(&row)?)
    }

    async fn access_invitations(&self, application_id: i64) -> Result<Vec<Value>, StoreError> {
        let rows = sqlx::query_scalar!(
            r#"SELECT json_object(
                 'id', i.id, 'interview', iv.title, 'interview_key', iv.key, 'status', i.status,
                 'email', i.email, 'phone', i.phone, 'not_sent_because', i.refused_reason,
                 'willo_participant', i.participant_key, 'created_at', i.created_at, 'updated_at', i.updated_at,
                 'steps', json((SELECT json_group_array(json_object('step', e.status, 'detail', e.detail, 'at', e.at))
                           FROM (SELECT * FROM invitation_events WHERE invitation_id = i.id ORDER BY at, id) e))
               ) AS "invitation!: String"
               FROM invitations i JOIN interviews iv ON iv.id = i.interview_id
               WHERE i.application_id = ? ORDER BY i.id"#,
            application_id
        )
        .fetch_all(&self.reader)
        .await?;
        parse(rows)
    }

    async fn access_writes(&self, invitation_id: i64) -> Result<Vec<Value>, StoreError> {
        let rows = sqlx::query_scalar!(
            r#"SELECT json_object(
                 'target', w.target, 'revision', w.revision, 'ats_id', w.remote_id, 'written_at', w.written_at,
                 'content', json((SELECT o.payload FROM outbox o
                             WHERE o.kind = 'writeback' AND o.status = 'done' AND o.result IS w.remote_id
                               AND json_extract(o.payload, '$.invitation_id') = w.invitation_id
                               AND json_extract(o.payload, '$.revision') = w.revision
                             ORDER BY o.id LIMIT 1))
               ) AS "write!: String"
               FROM writebacks w WHERE w.invitation_id = ? ORDER BY w.id"#,
            invitation_id
        )
        .fetch_all(&self.reader)
        .await?;
        parse(rows)
    }

    async fn access_activity(&self, application_id: i64) -> Result<Vec<Value>, StoreError> {
        let rows = sqlx::query_scalar!(
            r#"SELECT json_object('at', at, 'kind', kind, 'message', message) AS "entry!: String"
               FROM activity
               WHERE application_id = ?1 OR invitation_id IN (SELECT id FROM invitations WHERE application_id = ?1)
               ORDER BY at, id"#,
            application_id
        )
        .fetch_all(&self.reader)
        .await?;
        parse(rows)
    }
}
