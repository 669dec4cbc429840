//! Figures for the dashboard, computed from the invitations' histories.

use async_trait::async_trait;
use desk_domain::InvitationStatus;
use serde::Serialize;

use crate::{SqliteStore, StoreError};

/// How many invitations of a job reached each step (an invitation counts once per step).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunnelRow {
    pub job_id: i64,
    pub job_title: String,
    pub triggered: i64,
    pub invited: i64,
    pub opened: i64,
    pub completed: i64,
    pub reviewed: i64,
    pub synced: i64,
}

/// Steps reached per day (UTC), for the chart over time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayCount {
    /// `YYYY-MM-DD`
    pub day: String,
    pub status: InvitationStatus,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterviewRate {
    pub interview_title: String,
    pub invited: i64,
    pub completed: i64,
}

#[async_trait]
pub trait Stats: Send + Sync {
    async fn funnel(&self, connection_id: i64) -> Result<Vec<FunnelRow>, StoreError>;

    /// Steps reached per day since `since` (Unix ms).
    async fn steps_per_day(&self, since: i64) -> Result<Vec<DayCount>, StoreError>;

    /// For each completed invitation: milliseconds from invited to completed.
    async fn times_to_complete(&self) -> Result<Vec<i64>, StoreError>;

    async fn completion_rates(&self) -> Result<Vec<InterviewRate>, StoreError>;
}

#[async_trait]
impl Stats for SqliteStore {
    async fn funnel(&self, connection_id: i64) -> Result<Vec<FunnelRow>, StoreError> {
        Ok(sqlx::query_as!(
            FunnelRow,
            r#"SELECT j.id AS "job_id!", j.title AS job_title,
                      COUNT(DISTINCT i.id) AS "triggered!: i64",
                      COUNT(DISTINCT CASE WHEN e.status IN ('invited', 'opened', 'started', 'completed', 'reviewed', 'synced') THEN i.id END) AS "invited!: i64",
                      COUNT(DISTINCT CASE WHEN e.status IN ('opened', 'started', 'completed', 'reviewed', 'synced') THEN i.id END) AS "opened!: i64",
                      COUNT(DISTINCT CASE WHEN e.status IN ('completed', 'reviewed', 'synced') THEN i.id END) AS "completed!: i64",
                      COUNT(DISTINCT CASE WHEN e.status IN ('reviewed', 'synced') THEN i.id END) AS "reviewed!: i64",
                      COUNT(DISTINCT CASE WHEN e.status = 'synced' THEN i.id END) AS "synced!: i64"
               FROM jobs j
               LEFT JOIN applications a ON a.job_id = j.id
               LEFT JOIN invitations i ON i.application_id = a.id
               LEFT JOIN invitation_events e ON e.invitation_id = i.id
               WHERE j.connection_id = ?
               GROUP BY j.id
               ORDER BY j.title, j.id"#,
            connection_id
        )
        .fetch_all(&self.reader)
        .await?)
    }

    async fn steps_per_day(&self, since: i64) -> Result<Vec<DayCount>, StoreError> {
        Ok(sqlx::query_as!(
            DayCount,
            r#"SELECT date(at / 1000, 'unixepoch') AS "day!: String", status AS "status: InvitationStatus", COUNT(*) AS "count!: i64"
               FROM invitation_events
               WHERE at >= ? AND status IN ('invited', 'completed', 'synced')
               GROUP BY 1, 2 ORDER BY 1, 2"#,
            since
        )
        .fetch_all(&self.reader)
        .await?)
    }

    async fn times_to_complete(&self) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT MIN(c.at) - MIN(v.at) AS "ms!: i64"
               FROM invitation_events v JOIN invitation_events c ON c.invitation_id = v.invitation_id
               WHERE v.status = 'invited' AND c.status = 'completed'
               GROUP BY v.invitation_id"#
        )
        .fetch_all(&self.reader)
        .await?)
    }

    async fn completion_rates(&self) -> Result<Vec<InterviewRate>, StoreError> {
        Ok(sqlx::query_as!(
            InterviewRate,
            r#"SELECT iv.title AS interview_title,
                      COUNT(DISTINCT CASE WHEN e.status = 'invited' THEN i.id END) AS "invited!: i64",
                      COUNT(DISTINCT CASE WHEN e.status = 'completed' THEN i.id END) AS "completed!: i64"
               FROM interviews iv
               JOIN invitations i ON i.interview_id = iv.id
               JOIN invitation_events e ON e.invitation_id = i.id
               GROUP BY iv.id ORDER BY iv.title"#
        )
        .fetch_all(&self.reader)
        .await?)
    }
}
