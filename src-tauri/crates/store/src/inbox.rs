//! Webhook deliveries, written before they are acknowledged and processed afterwards.

use async_trait::async_trait;
use serde::Serialize;

use crate::{SqliteStore, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxInsert {
    New(i64),
    /// A delivery with the same dedupe key was stored before; nothing was written.
    Duplicate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboxItem {
    pub id: i64,
    pub source: String,
    pub event: String,
    pub body: String,
    pub received_at: i64,
}

#[async_trait]
pub trait Inbox: Send + Sync {
    async fn insert_inbox(
        &self,
        source: &str,
        event: &str,
        dedupe_key: &str,
        body: &str,
        now: i64,
    ) -> Result<InboxInsert, StoreError>;

    /// The oldest deliveries not processed yet.
    async fn unprocessed_inbox(&self, limit: i64) -> Result<Vec<InboxItem>, StoreError>;

    /// Marks a delivery processed; `error` keeps why processing failed (it is not retried).
    async fn mark_inbox_processed(
        &self,
        id: i64,
        error: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError>;

    /// When the newest delivery arrived, if any: tells whether webhooks are reaching us.
    async fn last_inbox_at(&self) -> Result<Option<i64>, StoreError>;

    /// How many deliveries are stored.
    async fn inbox_count(&self) -> Result<i64, StoreError>;
}

#[async_trait]
impl Inbox for SqliteStore {
    async fn insert_inbox(
        &self,
        source: &str,
        event: &str,
        dedupe_key: &str,
        body: &str,
        now: i64,
    ) -> Result<InboxInsert, StoreError> {
        let id = sqlx::query_scalar!(
            r#"INSERT INTO inbox (source, event, dedupe_key, body, received_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (dedupe_key) DO NOTHING RETURNING id AS "id!: i64""#,
            source,
            event,
            dedupe_key,
            body,
            now
        )
        .fetch_all(&self.writer)
        .await?
        .into_iter()
        .next();
        Ok(id.map_or(InboxInsert::Duplicate, InboxInsert::New))
    }

    async fn unprocessed_inbox(&self, limit: i64) -> Result<Vec<InboxItem>, StoreError> {
        Ok(sqlx::query_as!(
            InboxItem,
            r#"SELECT id AS "id!", source, event, body, received_at FROM inbox WHERE processed_at IS NULL ORDER BY received_at, id LIMIT ?"#,
            limit
        )
        .fetch_all(&self.reader)
        .await?)
    }

    async fn mark_inbox_processed(
        &self,
        id: i64,
        error: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query!(
            "UPDATE inbox SET processed_at = ?, error = ? WHERE id = ?",
            now,
            error,
            id
        )
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "inbox item",
                id,
            });
        }
        Ok(())
    }

    async fn last_inbox_at(&self) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar!(r#"SELECT MAX(received_at) AS "at: i64" FROM inbox"#)
                .fetch_one(&self.reader)
                .await?,
        )
    }

    async fn inbox_count(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!: i64" FROM inbox"#)
                .fetch_one(&self.reader)
                .await?,
        )
    }
}
