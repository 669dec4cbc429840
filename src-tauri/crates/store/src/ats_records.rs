//! ATS records (jobs, stages, candidates, applications) as last synced, and the per-job stage
//! counts the app shows.
//!
//! A sync writes a whole snapshot in one transaction, so a crash never leaves half a sync. When an
//! application's stage differs from the stored one, `stage_entered_at` is reset: that is how stage
//! triggers see who has just arrived.

use async_trait::async_trait;
use std::collections::HashMap;

use desk_domain::ats::{Application, Candidate, Job, Stage};
use serde::Serialize;

use crate::{Erasures, SqliteStore, StoreError};

/// One read of the ATS, as its connector gave it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AtsSnapshot {
    pub jobs: Vec<Job>,
    pub stages: Vec<Stage>,
    pub candidates: Vec<Candidate>,
    pub applications: Vec<Application>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SnapshotCounts {
    pub jobs: usize,
    pub stages: usize,
    pub candidates: usize,
    pub applications: usize,
    /// Applications seen in a different stage than last time (new ones count too).
    pub stage_changes: usize,
    /// Applications skipped because their job or candidate was not in the snapshot.
    pub orphans: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageCount {
    pub stage_id: i64,
    pub name: String,
    pub position: i64,
    pub applications: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobSummary {
    pub id: i64,
    pub remote_id: String,
    pub title: String,
    pub department: Option<String>,
    pub location: Option<String>,
    pub applications: i64,
    pub stages: Vec<StageCount>,
}

#[async_trait]
pub trait AtsRecords: Send + Sync {
    async fn save_ats_snapshot(
        &self,
        connection_id: i64,
        snapshot: &AtsSnapshot,
        now: i64,
    ) -> Result<SnapshotCounts, StoreError>;

    /// Every job of a connection with the number of applications in each of its stages, in
    /// pipeline order. Account-wide stages (no job) are listed under every job.
    async fn job_summaries(&self, connection_id: i64) -> Result<Vec<JobSummary>, StoreError>;

    /// How many distinct candidates a connection has.
    async fn candidate_count(&self, connection_id: i64) -> Result<i64, StoreError>;

    /// When the connection's ATS data was last synced (by anyone: a click, the poll, a restart).
    async fn last_synced_at(&self, connection_id: i64) -> Result<Option<i64>, StoreError>;
}

#[async_trait]
impl AtsRecords for SqliteStore {
    async fn save_ats_snapshot(
        &self,
        connection_id: i64,
        snapshot: &AtsSnapshot,
        now: i64,
    ) -> Result<SnapshotCounts, StoreError> {
        let mut tx = self.writer.begin().await?;
        let mut counts = SnapshotCounts::default();

        let mut jobs = HashMap::new();
        for job in &snapshot.jobs {
            let raw = job.raw.to_string();
            let id = sqlx::query_scalar!(
                r#"INSERT INTO jobs (connection_id, remote_id, title, department, location, status, raw, synced_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (connection_id, remote_id) DO UPDATE SET title = excluded.title,
                     department = excluded.department, location = excluded.location, status = excluded.status,
                     raw = excluded.raw, synced_at = excluded.synced_at
                   RETURNING id AS "id!: i64""#,
                connection_id,
                job.id,
                job.title,
                job.department,
                job.location,
                job.status,
                raw,
                now
            )
            .fetch_all(&mut *tx)
            .await
            .and_then(crate::first_row)?;
            jobs.insert(job.id.as_str(), id);
            counts.jobs += 1;
        }

        let mut stages = HashMap::new();
        for stage in &snapshot.stages {
            let job_id = stage.job_id.as_deref().and_then(|r| jobs.get(r).copied());
            let id = sqlx::query_scalar!(
                r#"INSERT INTO stages (connection_id, job_id, remote_id, name, position) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (connection_id, remote_id) DO UPDATE SET job_id = excluded.job_id,
                     name = excluded.name, position = excluded.position
                   RETURNING id AS "id!: i64""#,
                connection_id,
                job_id,
                stage.id,
                stage.name,
                stage.position
            )
            .fetch_all(&mut *tx)
            .await
            .and_then(crate::first_row)?;
            stages.insert(stage.id.as_str(), id);
            counts.stages += 1;
        }

        let mut candidates = HashMap::new();
        for candidate in &snapshot.candidates {
            let raw = candidate.raw.to_string();
            // The app shows one email and one phone: the ATS's first.
            let email = candidate.emails.first().map(String::as_str);
            let phone = candidate.phones.first().map(String::as_str);
            let id = sqlx::query_scalar!(
                r#"INSERT INTO candidates (connection_id, remote_id, first_name, last_name, email, phone, raw, synced_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (connection_id, remote_id) DO UPDATE SET first_name = excluded.first_name,
                     last_name = excluded.last_name, email = excluded.email, phone = excluded.phone,
                     raw = excluded.raw, synced_at = excluded.synced_at
                   RETURNING id AS "id!: i64""#,
                connection_id,
                candidate.id,
                candidate.first_name,
                candidate.last_name,
                email,
                phone,
                raw,
                now
            )
            .fetch_all(&mut *tx)
            .await
            .and_then(crate::first_row)?;
            candidates.insert(candidate.id.as_str(), id);
            counts.candidates += 1;
        }

        for app in &snapshot.applications {
            let (Some(&job_id), Some(&candidate_id)) = (
                jobs.get(app.job_id.as_str()),
                candidates.get(app.candidate_id.as_str()),
            ) else {
                counts.orphans += 1;
                continue;
            };
            let stage_id = app.stage_id.as_deref().and_then(|s| stages.get(s).copied());
            let previous = sqlx::query_scalar!(
                "SELECT stage_id FROM applications WHERE connection_id = ? AND remote_id = ?",
                connection_id,
                app.id
            )
            .fetch_optional(&mut *tx)
            .await?;
            if previous != Some(stage_id) {
                counts.stage_changes += 1;
            }
            let raw = app.raw.to_string();
            sqlx::query!(
                r#"INSERT INTO applications (connection_id, remote_id, candidate_id, job_id, stage_id, status,
                     stage_entered_at, raw, synced_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (connection_id, remote_id) DO UPDATE SET candidate_id = excluded.candidate_id,
                     job_id = excluded.job_id, stage_id = excluded.stage_id, status = excluded.status,
                     stage_entered_at = CASE WHEN applications.stage_id IS excluded.stage_id
                       THEN applications.stage_entered_at ELSE excluded.stage_entered_at END,
                     raw = excluded.raw, synced_at = excluded.synced_at, closed_at = NULL"#,
                connection_id,
                app.id,
                candidate_id,
                job_id,
                stage_id,
                app.status,
                now,
                raw,
                now
            )
            .execute(&mut *tx)
            .await?;
            counts.applications += 1;
        }
        // A read lists the active applications of open jobs: one it no longer lists was closed
        // in the ATS (rejected, hired, archived, its job closed). Retention counts from then. A
        // read with none at all is more likely a key that lost its access than a closed account.
        if !snapshot.applications.is_empty() {
            sqlx::query!(
            "UPDATE applications SET closed_at = ?1 WHERE connection_id = ?2 AND closed_at IS NULL AND synced_at < ?1",
            now,
            connection_id
        )
        .execute(&mut *tx)
        .await?;
        }
        tx.commit().await?;
        // A name or email changed: deleted index entries keep their words until segments merge.
        let stale = sqlx::query_scalar!(r#"DELETE FROM search_stale RETURNING id AS "id!: i64""#)
            .fetch_all(&self.writer)
            .await?;
        if !stale.is_empty() {
            sqlx::query!("INSERT INTO application_search (application_search) VALUES ('optimize')")
                .execute(&self.writer)
                .await?;
            // And the journal, which still holds the pages from before.
            self.truncate_journal().await?;
        }
        Ok(counts)
    }

    async fn job_summaries(&self, connection_id: i64) -> Result<Vec<JobSummary>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT j.id AS "job_id!: i64", j.remote_id, j.title, j.department, j.location,
                      s.id AS "stage_id: i64", s.name AS "stage_name?: String", s.position AS "position?: i64",
                      (SELECT COUNT(*) FROM applications a WHERE a.job_id = j.id AND a.stage_id = s.id) AS "in_stage!: i64",
                      (SELECT COUNT(*) FROM applications a WHERE a.job_id = j.id) AS "total!: i64"
               FROM jobs j
               LEFT JOIN stages s ON s.connection_id = j.connection_id AND (s.job_id = j.id OR s.job_id IS NULL)
               WHERE j.connection_id = ?
               ORDER BY j.title, j.id, s.position, s.id"#,
            connection_id
        )
        .fetch_all(&self.reader)
        .await?;
        let mut summaries: Vec<JobSummary> = Vec::new();
        for row in rows {
            if summaries.last().is_none_or(|s| s.id != row.job_id) {
                summaries.push(JobSummary {
                    id: row.job_id,
                    remote_id: row.remote_id,
                    title: row.title,
                    department: row.department,
                    location: row.location,
                    applications: row.total,
                    stages: Vec::new(),
                });
            }
            if let (Some(summary), Some(stage_id), Some(name), Some(position)) = (
                summaries.last_mut(),
                row.stage_id,
                row.stage_name,
                row.position,
            ) {
                summary.stages.push(StageCount {
                    stage_id,
                    name,
                    position,
                    applications: row.in_stage,
                });
            }
        }
        Ok(summaries)
    }

    async fn candidate_count(&self, connection_id: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM candidates WHERE connection_id = ?"#,
            connection_id
        )
        .fetch_one(&self.reader)
        .await?)
    }

    async fn last_synced_at(&self, connection_id: i64) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT MAX(synced_at) AS "at: i64" FROM jobs WHERE connection_id = ?"#,
            connection_id
        )
        .fetch_one(&self.reader)
        .await?)
    }
}
