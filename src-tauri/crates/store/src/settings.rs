//! The app's settings: one JSON value per key, read with a default when never set.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Store, StoreError};

impl Store {
    /// The setting stored under `key`, or `None` when it was never set.
    pub async fn setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let value = sqlx::query_scalar!("SELECT value FROM settings WHERE key = ?", key)
            .fetch_optional(&self.reader)
            .await?;
        value
            .map(|v| serde_json::from_str(&v).map_err(StoreError::from))
            .transpose()
    }

    pub async fn set_setting<T: Serialize + Sync>(
        &self,
        key: &str,
        value: &T,
        now: i64,
    ) -> Result<(), StoreError> {
        let value = serde_json::to_string(value)?;
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
}
