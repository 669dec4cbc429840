//! The app's settings: one JSON value per key, read with a default when never set.

use async_trait::async_trait;
use desk_store::{Settings, StoreError, DAY_MINUTES, WILLO_REQUESTS};

use crate::PgStore;

#[async_trait]
impl Settings for PgStore {
    async fn add_willo_requests(
        &self,
        per_minute: &[(i64, u32)],
        now_minute: i64,
    ) -> Result<(), StoreError> {
        if per_minute.is_empty() {
            return Ok(());
        }
        let now = now_minute * 60_000;
        let (minutes, counts): (Vec<i64>, Vec<i64>) = per_minute
            .iter()
            .map(|(minute, n)| (*minute, i64::from(*n)))
            .unzip();
        let oldest = now_minute - DAY_MINUTES;
        let mut tx = self.pool.begin().await?;
        sqlx::query!(
            r#"INSERT INTO settings (key, value, updated_at) VALUES ($1, '{}', $2)
               ON CONFLICT (key) DO NOTHING"#,
            WILLO_REQUESTS,
            now
        )
        .execute(&mut *tx)
        .await?;
        // Adding and forgetting in one UPDATE: a concurrent caller waits for the row lock and
        // then recomputes from the value just committed, so no count is lost. A key that is not
        // a minute counts as minute 0 (SQLite's CAST) and is forgotten.
        sqlx::query!(
            r#"UPDATE settings
               SET value = (SELECT COALESCE(jsonb_object_agg(minute, n), '{}')::TEXT
                            FROM (SELECT minute, sum(n) AS n
                                  FROM (SELECT key AS minute, value::NUMERIC AS n FROM jsonb_each_text(settings.value::jsonb)
                                        UNION ALL
                                        SELECT m::TEXT, c FROM unnest($2::BIGINT[], $3::BIGINT[]) AS added (m, c)) AS counts
                                  GROUP BY minute) AS totals
                            WHERE CASE WHEN minute ~ '^-?[0-9]+$' THEN minute::NUMERIC ELSE 0 END > $4::BIGINT),
                   updated_at = $5
               WHERE key = $1"#,
            WILLO_REQUESTS,
            &minutes,
            &counts,
            oldest,
            now
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn setting_text(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar!("SELECT value FROM settings WHERE key = $1", key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn set_setting_text(&self, key: &str, value: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query!(
            r#"INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
               ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"#,
            key,
            value,
            now
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_setting(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query!("DELETE FROM settings WHERE key = $1", key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
