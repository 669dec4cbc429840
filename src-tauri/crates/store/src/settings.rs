//! The app's settings: one JSON value per key, read with a default when never set.

use async_trait::async_trait;
use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{SqliteStore, StoreError};

/// Requests made to Willo per Unix minute, kept for a day (the organisation's daily budget).
pub const WILLO_REQUESTS: &str = "willo.requests_per_minute";
pub const DAY_MINUTES: i64 = 24 * 60;

#[async_trait]
pub trait Settings: Send + Sync {
    /// Adds requests made to Willo (per Unix minute), forgetting those a day older than
    /// `now_minute`. Each count is added by the database itself, in one transaction, so processes
    /// and tasks adding at once lose nothing.
    async fn add_willo_requests(
        &self,
        per_minute: &[(i64, u32)],
        now_minute: i64,
    ) -> Result<(), StoreError>;

    /// The JSON text stored under `key`, or `None` when it was never set.
    async fn setting_text(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Stores `value` (JSON text) under `key`, replacing what was there.
    async fn set_setting_text(&self, key: &str, value: &str, now: i64) -> Result<(), StoreError>;

    async fn delete_setting(&self, key: &str) -> Result<(), StoreError>;
}

#[async_trait]
impl Settings for SqliteStore {
    async fn add_willo_requests(
        &self,
        per_minute: &[(i64, u32)],
        now_minute: i64,
    ) -> Result<(), StoreError> {
        if per_minute.is_empty() {
            return Ok(());
        }
        let now = now_minute * 60_000;
        let mut tx = self.writer.begin().await?;
        sqlx::query!(
            r#"INSERT INTO settings (key, value, updated_at) VALUES (?, '{}', ?)
               ON CONFLICT (key) DO NOTHING"#,
            WILLO_REQUESTS,
            now
        )
        .execute(&mut *tx)
        .await?;
        for (minute, n) in per_minute {
            let path = format!("$.\"{minute}\"");
            sqlx::query!(
                r#"UPDATE settings
                   SET value = json_set(value, ?1, COALESCE(json_extract(value, ?1), 0) + ?2),
                       updated_at = ?3
                   WHERE key = ?4"#,
                path,
                n,
                now,
                WILLO_REQUESTS
            )
            .execute(&mut *tx)
            .await?;
        }
        let oldest = now_minute - DAY_MINUTES;
        sqlx::query!(
            r#"UPDATE settings
               SET value = (SELECT json_group_object(key, value) FROM json_each(settings.value)
                            WHERE CAST(key AS INTEGER) > ?)
               WHERE key = ?"#,
            oldest,
            WILLO_REQUESTS
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn setting_text(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar!("SELECT value FROM settings WHERE key = ?", key)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    async fn set_setting_text(&self, key: &str, value: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query!(
            r#"INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
               ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"#,
            key,
            value,
            now
        )
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn delete_setting(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query!("DELETE FROM settings WHERE key = ?", key)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

impl crate::Store {
    /// Requests made to Willo per Unix minute in the day up to `now_minute`.
    pub async fn willo_requests(&self, now_minute: i64) -> Result<Vec<(i64, u32)>, StoreError> {
        let kept: BTreeMap<i64, u32> = self.setting(WILLO_REQUESTS).await?.unwrap_or_default();
        Ok(kept
            .into_iter()
            .filter(|(minute, _)| now_minute - minute < DAY_MINUTES)
            .collect())
    }

    /// The setting stored under `key`, or `None` when it was never set.
    pub async fn setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        self.setting_text(key)
            .await?
            .map(|v| serde_json::from_str(&v).map_err(StoreError::from))
            .transpose()
    }

    pub async fn set_setting<T: Serialize + Sync>(
        &self,
        key: &str,
        value: &T,
        now: i64,
    ) -> Result<(), StoreError> {
        self.set_setting_text(key, &serde_json::to_string(value)?, now)
            .await
    }
}
