//! Configured connections to Willo and ATSs (never their secrets).

use async_trait::async_trait;
use serde::Serialize;

use crate::{SqliteStore, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Connection {
    pub id: i64,
    pub kind: String,
    pub label: String,
    pub base_url: String,
}

#[async_trait]
pub trait Connections: Send + Sync {
    /// Records a connection, or finds the one with the same kind and URL.
    async fn upsert_connection(
        &self,
        kind: &str,
        label: &str,
        base_url: &str,
        now: i64,
    ) -> Result<i64, StoreError>;

    async fn connections(&self) -> Result<Vec<Connection>, StoreError>;
}

#[async_trait]
impl Connections for SqliteStore {
    async fn upsert_connection(
        &self,
        kind: &str,
        label: &str,
        base_url: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let id = sqlx::query_scalar!(
            r#"INSERT INTO connections (kind, label, base_url, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (kind, base_url) DO UPDATE SET label = excluded.label, updated_at = excluded.updated_at
               RETURNING id AS "id!: i64""#,
            kind,
            label,
            base_url,
            now,
            now
        )
        .fetch_all(&self.writer)
        .await
        .and_then(crate::first_row)?;
        Ok(id)
    }

    async fn connections(&self) -> Result<Vec<Connection>, StoreError> {
        Ok(sqlx::query_as!(
            Connection,
            r#"SELECT id AS "id!", kind, label, base_url FROM connections ORDER BY id"#
        )
        .fetch_all(&self.reader)
        .await?)
    }
}
