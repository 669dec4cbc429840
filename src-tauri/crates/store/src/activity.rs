//! The activity log: every automated or manual action, with its reason.

use serde::Serialize;

use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityEntry {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub message: String,
    pub invitation_id: Option<i64>,
    pub application_id: Option<i64>,
}

impl Store {
    pub async fn log_activity(
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
        .fetch_one(&self.writer)
        .await?;
        Ok(id)
    }

    /// The newest entries first.
    pub async fn recent_activity(&self, limit: i64) -> Result<Vec<ActivityEntry>, StoreError> {
        Ok(sqlx::query_as!(
            ActivityEntry,
            r#"SELECT id AS "id!", at, kind, message, invitation_id, application_id FROM activity ORDER BY at DESC, id DESC LIMIT ?"#,
            limit
        )
        .fetch_all(&self.reader)
        .await?)
    }
}
