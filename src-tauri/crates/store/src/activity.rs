//! The activity log: every automated or manual action, with its reason.

use async_trait::async_trait;
use serde::Serialize;

use crate::{SqliteStore, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityEntry {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub message: String,
    pub invitation_id: Option<i64>,
    pub application_id: Option<i64>,
}

#[async_trait]
pub trait ActivityLog: Send + Sync {
    async fn log_activity(
        &self,
        kind: &str,
        message: &str,
        invitation_id: Option<i64>,
        application_id: Option<i64>,
        now: i64,
    ) -> Result<i64, StoreError>;

    /// The newest entries first.
    async fn recent_activity(&self, limit: i64) -> Result<Vec<ActivityEntry>, StoreError>;

    /// The entries after `id`, oldest first (what another process did since it was last read).
    async fn activity_after(&self, id: i64, limit: i64) -> Result<Vec<ActivityEntry>, StoreError>;

    /// Entries newest first, before `before_id` when given (the next page), optionally only of
    /// kinds starting with `kind_prefix` and mentioning `search` in the message or the name.
    async fn activity_rows(
        &self,
        kind_prefix: Option<&str>,
        search: Option<&str>,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ActivityRow>, StoreError>;

    /// Outbox items that failed for good, newest first.
    async fn failed_items(&self) -> Result<Vec<FailedItem>, StoreError>;
}

#[async_trait]
impl ActivityLog for SqliteStore {
    async fn log_activity(
        &self,
        kind: &str,
        message: &str,
        invitation_id: Option<i64>,
        application_id: Option<i64>,
        now: i64,
    ) -> Result<i64, StoreError> {
        let id = sqlx::query_scalar!(
            r#"INSERT INTO activity (at, kind, message, invitation_id, application_id) VALUES (?, ?, ?, ?, ?)
               RETURNING id AS "id!: i64""#,
            now,
            kind,
            message,
            invitation_id,
            application_id
        )
        .fetch_all(&self.writer)
        .await
        .and_then(crate::first_row)?;
        Ok(id)
    }

    async fn recent_activity(&self, limit: i64) -> Result<Vec<ActivityEntry>, StoreError> {
        Ok(sqlx::query_as!(
            ActivityEntry,
            r#"SELECT id AS "id!", at, kind, message, invitation_id, application_id FROM activity ORDER BY at DESC, id DESC LIMIT ?"#,
            limit
        )
        .fetch_all(&self.reader)
        .await?)
    }

    async fn activity_after(&self, id: i64, limit: i64) -> Result<Vec<ActivityEntry>, StoreError> {
        Ok(sqlx::query_as!(
            ActivityEntry,
            r#"SELECT id AS "id!", at, kind, message, invitation_id, application_id FROM activity WHERE id > ? ORDER BY id LIMIT ?"#,
            id,
            limit
        )
        .fetch_all(&self.reader)
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
        Ok(sqlx::query_as!(
            ActivityRow,
            r#"SELECT act.id AS "id!", act.at, act.kind, act.message, act.invitation_id, act.application_id AS "application_id?",
                      (c.first_name || ' ' || c.last_name) AS "candidate?: String", j.title AS "job?: String"
               FROM activity act
               LEFT JOIN invitations i ON i.id = act.invitation_id
               LEFT JOIN applications a ON a.id = COALESCE(act.application_id, i.application_id)
               LEFT JOIN candidates c ON c.id = a.candidate_id
               LEFT JOIN jobs j ON j.id = a.job_id
               WHERE (?1 IS NULL OR act.kind LIKE ?1)
                 AND (?2 IS NULL OR act.message LIKE ?2 OR (c.first_name || ' ' || c.last_name) LIKE ?2)
                 AND (?3 IS NULL OR act.id < ?3)
               ORDER BY act.id DESC
               LIMIT ?4"#,
            kind,
            search,
            before_id,
            limit
        )
        .fetch_all(&self.reader)
        .await?)
    }

    async fn failed_items(&self) -> Result<Vec<FailedItem>, StoreError> {
        Ok(sqlx::query_as!(
            FailedItem,
            r#"SELECT o.id AS "outbox_id!", o.kind, o.attempts, o.last_error AS error, o.updated_at AS failed_at,
                      CAST(json_extract(o.payload, '$.invitation_id') AS INTEGER) AS "invitation_id?: i64",
                      (c.first_name || ' ' || c.last_name) AS "candidate?: String"
               FROM outbox o
               LEFT JOIN invitations i ON i.id = json_extract(o.payload, '$.invitation_id')
               LEFT JOIN applications a ON a.id = i.application_id
               LEFT JOIN candidates c ON c.id = a.candidate_id
               WHERE o.status = 'failed'
               ORDER BY o.updated_at DESC, o.id DESC"#
        )
        .fetch_all(&self.reader)
        .await?)
    }
}

/// An activity entry with who it is about, for the activity screen and its CSV export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityRow {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub message: String,
    pub invitation_id: Option<i64>,
    pub application_id: Option<i64>,
    pub candidate: Option<String>,
    pub job: Option<String>,
}

/// An outbox item that failed for good and waits for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedItem {
    pub outbox_id: i64,
    /// invite | writeback
    pub kind: String,
    pub attempts: i64,
    pub error: Option<String>,
    pub failed_at: i64,
    pub invitation_id: Option<i64>,
    pub candidate: Option<String>,
}
