//! Figures for the dashboard, computed from the invitations' histories.

use async_trait::async_trait;
use desk_domain::InvitationStatus;
use desk_store::{DayCount, FunnelRow, InterviewRate, Stats, StoreError};

use crate::PgStore;

// Titles sort by code point (COLLATE "C"), as SQLite's BINARY does, whatever the server's locale.
#[async_trait]
impl Stats for PgStore {
    async fn funnel(&self, connection_id: i64) -> Result<Vec<FunnelRow>, StoreError> {
        Ok(sqlx::query_as!(
            FunnelRow,
            r#"SELECT j.id AS job_id, j.title AS job_title,
                      COUNT(DISTINCT i.id) AS "triggered!",
                      COUNT(DISTINCT CASE WHEN e.status IN ('invited', 'opened', 'started', 'completed', 'reviewed', 'synced') THEN i.id END) AS "invited!",
                      COUNT(DISTINCT CASE WHEN e.status IN ('opened', 'started', 'completed', 'reviewed', 'synced') THEN i.id END) AS "opened!",
                      COUNT(DISTINCT CASE WHEN e.status IN ('completed', 'reviewed', 'synced') THEN i.id END) AS "completed!",
                      COUNT(DISTINCT CASE WHEN e.status IN ('reviewed', 'synced') THEN i.id END) AS "reviewed!",
                      COUNT(DISTINCT CASE WHEN e.status = 'synced' THEN i.id END) AS "synced!"
               FROM jobs j
               LEFT JOIN applications a ON a.job_id = j.id
               LEFT JOIN invitations i ON i.application_id = a.id
               LEFT JOIN invitation_events e ON e.invitation_id = i.id
               WHERE j.connection_id = $1
               GROUP BY j.id
               ORDER BY j.title COLLATE "C", j.id"#,
            connection_id
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn steps_per_day(&self, since: i64) -> Result<Vec<DayCount>, StoreError> {
        Ok(sqlx::query_as!(
            DayCount,
            r#"SELECT to_char(to_timestamp(at / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "day!",
                      status AS "status: InvitationStatus", COUNT(*) AS "count!"
               FROM invitation_events
               WHERE at >= $1 AND status IN ('invited', 'completed', 'synced')
               GROUP BY 1, 2 ORDER BY 1, 2"#,
            since
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn times_to_complete(&self) -> Result<Vec<i64>, StoreError> {
        // In invitation order, as SQLite's grouping returns them (PostgreSQL may hash instead).
        Ok(sqlx::query_scalar!(
            r#"SELECT MIN(c.at) - MIN(v.at) AS "ms!"
               FROM invitation_events v JOIN invitation_events c ON c.invitation_id = v.invitation_id
               WHERE v.status = 'invited' AND c.status = 'completed'
               GROUP BY v.invitation_id
               ORDER BY v.invitation_id"#
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn completion_rates(&self) -> Result<Vec<InterviewRate>, StoreError> {
        Ok(sqlx::query_as!(
            InterviewRate,
            r#"SELECT iv.title AS interview_title,
                      COUNT(DISTINCT CASE WHEN e.status = 'invited' THEN i.id END) AS "invited!",
                      COUNT(DISTINCT CASE WHEN e.status = 'completed' THEN i.id END) AS "completed!"
               FROM interviews iv
               JOIN invitations i ON i.interview_id = iv.id
               JOIN invitation_events e ON e.invitation_id = i.id
               GROUP BY iv.id ORDER BY iv.title COLLATE "C", iv.id"#
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
