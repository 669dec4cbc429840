//! Configured connections to Willo and ATSs (never their secrets).

use async_trait::async_trait;
use desk_store::{Connection, Connections, StoreError};

use crate::PgStore;

#[async_trait]
impl Connections for PgStore {
    async fn upsert_connection(
        &self,
        kind: &str,
        label: &str,
        base_url: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"INSERT INTO connections (kind, label, base_url, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
               ON CONFLICT (kind, base_url) DO UPDATE SET label = excluded.label, updated_at = excluded.updated_at
               RETURNING id"#,
            kind,
            label,
            base_url,
            now
        )
        .fetch_one(&self.pool)
        .await?)
    }

    async fn connections(&self) -> Result<Vec<Connection>, StoreError> {
        Ok(sqlx::query_as!(
            Connection,
            "SELECT id, kind, label, base_url FROM connections ORDER BY id"
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
