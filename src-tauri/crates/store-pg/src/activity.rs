//! The activity log: every automated or manual action, with its reason.

use async_trait::async_trait;
use desk_store::{ActivityEntry, ActivityLog, ActivityRow, FailedItem, StoreError};

use crate::PgStore;

#[async_trait]
impl ActivityLog for PgStore {
    async fn log_activity(
        &self,
        kind: &str,
        message: &str,
        invitation_id: Option<i64>,
        application_id: Option<i64>,
        now: i64,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"INSERT INTO activity (at, kind, message, invitation_id, application_id) VALUES ($1, $2, $3, $4, $5)
               RETURNING id"#,
            now,
            kind,
            message,
            invitation_id,
            application_id
        )
        .fetch_one(&self.pool)
        .await?)
    }

    async fn recent_activity(&self, limit: i64) -> Result<Vec<ActivityEntry>, StoreError> {
        Ok(sqlx::query_as!(
            ActivityEntry,
            "SELECT id, at, kind, message, invitation_id, application_id FROM activity ORDER BY at DESC, id DESC LIMIT $1",
            limit
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn activity_after(&self, id: i64, limit: i64) -> Result<Vec<ActivityEntry>, StoreError> {
        Ok(sqlx::query_as!(
            ActivityEntry,
            "SELECT id, at, kind, message, invitation_id, application_id FROM activity WHERE id > $1 ORDER BY id LIMIT $2",
            id,
            limit
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn activity_rows(
        &self,
        kind_prefix: Option<&str>,
        search: Option<&str>,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ActivityRow>, StoreError> {
        let kind = kind_prefix.map(|k| format!("{k}%"));
        let search = search
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| format!("%{s}%"));
        // SQLite's LIKE ignores ASCII case and has no escape character: ILIKE … ESCAPE ''.
        Ok(sqlx::query_as!(
            ActivityRow,
            r#"SELECT act.id, act.at, act.kind, act.message, act.invitation_id, act.application_id,
                      (c.first_name || ' ' || c.last_name) AS "candidate?", j.title AS "job?"
               FROM activity act
               LEFT JOIN invitations i ON i.id = act.invitation_id
               LEFT JOIN applications a ON a.id = COALESCE(act.application_id, i.application_id)
               LEFT JOIN candidates c ON c.id = a.candidate_id
               LEFT JOIN jobs j ON j.id = a.job_id
               WHERE ($1::TEXT IS NULL OR act.kind ILIKE $1 ESCAPE '')
                 AND ($2::TEXT IS NULL OR act.message ILIKE $2 ESCAPE ''
                      OR (c.first_name || ' ' || c.last_name) ILIKE $2 ESCAPE '')
                 AND ($3::BIGINT IS NULL OR act.id < $3)
               ORDER BY act.id DESC
               LIMIT $4"#,
            kind,
            search,
            before_id,
            limit
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn failed_items(&self) -> Result<Vec<FailedItem>, StoreError> {
        Ok(sqlx::query_as!(
            FailedItem,
            r#"SELECT o.id AS outbox_id, o.kind, o.attempts, o.last_error AS error, o.updated_at AS failed_at,
                      p.invitation_id AS "invitation_id?", (c.first_name || ' ' || c.last_name) AS "candidate?"
               FROM outbox o
               CROSS JOIN LATERAL (SELECT (o.payload::jsonb ->> 'invitation_id')::BIGINT AS invitation_id) p
               LEFT JOIN invitations i ON i.id = p.invitation_id
               LEFT JOIN applications a ON a.id = i.application_id
               LEFT JOIN candidates c ON c.id = a.candidate_id
               WHERE o.status = 'failed'
               ORDER BY o.updated_at DESC, o.id DESC"#
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
