//! Webhook deliveries, written before they are acknowledged and processed afterwards.

use async_trait::async_trait;
use desk_store::{Inbox, InboxInsert, InboxItem, StoreError};

use crate::PgStore;

#[async_trait]
impl Inbox for PgStore {
    async fn insert_inbox(
        &self,
        source: &str,
        event: &str,
        dedupe_key: &str,
        body: &str,
        now: i64,
    ) -> Result<InboxInsert, StoreError> {
        // The unique dedupe key decides between replicas receiving the same delivery at once.
        let id = sqlx::query_scalar!(
            r#"INSERT INTO inbox (source, event, dedupe_key, body, received_at) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"#,
            source,
            event,
            dedupe_key,
            body,
            now
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(id.map_or(InboxInsert::Duplicate, InboxInsert::New))
    }

    async fn unprocessed_inbox(&self, limit: i64) -> Result<Vec<InboxItem>, StoreError> {
        Ok(sqlx::query_as!(
            InboxItem,
            "SELECT id, source, event, body, received_at FROM inbox WHERE processed_at IS NULL ORDER BY received_at, id LIMIT $1",
            limit
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn mark_inbox_processed(
        &self,
        id: i64,
        error: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query!(
            "UPDATE inbox SET processed_at = $1, error = $2 WHERE id = $3",
            now,
            error,
            id
        )
        .execute(&self.pool)
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
        Ok(sqlx::query_scalar!("SELECT MAX(received_at) FROM inbox")
            .fetch_one(&self.pool)
            .await?)
    }

    async fn inbox_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!" FROM inbox"#)
            .fetch_one(&self.pool)
            .await?)
    }
}
