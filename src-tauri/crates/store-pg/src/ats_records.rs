//! ATS records (jobs, stages, candidates, applications) as last synced, and the per-job stage
//! counts the app shows.

use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};

use desk_store::{
    AtsRecords, AtsSnapshot, Erasures, JobSummary, SnapshotCounts, StageCount, StoreError,
};

use crate::PgStore;

/// Each remote id once, as its last occurrence (what writing them in turn, as SQLite does,
/// leaves), in remote id order: one statement cannot upsert a row twice, and syncs running at
/// once lock rows in the same order, so they wait for each other instead of deadlocking.
fn latest<'a, T>(items: &'a [T], remote_id: impl Fn(&'a T) -> &'a str) -> Vec<&'a T> {
    let by_id: BTreeMap<&str, &T> = items.iter().map(|item| (remote_id(item), item)).collect();
    by_id.into_values().collect()
}

/// One column of `rows`, to bind as an array.
fn column<'a, T, U>(rows: &[&'a T], value: impl Fn(&'a T) -> U) -> Vec<U> {
    rows.iter().map(|&row| value(row)).collect()
}

/// A snapshot's application whose job and candidate are known, with their local ids.
struct Linked<'a> {
    remote_id: &'a str,
    candidate_id: i64,
    job_id: i64,
    stage_id: Option<i64>,
    status: &'a str,
    raw: &'a serde_json::Value,
}

#[async_trait]
impl AtsRecords for PgStore {
    async fn save_ats_snapshot(
        &self,
        connection_id: i64,
        snapshot: &AtsSnapshot,
        now: i64,
    ) -> Result<SnapshotCounts, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut counts = SnapshotCounts {
            jobs: snapshot.jobs.len(),
            stages: snapshot.stages.len(),
            candidates: snapshot.candidates.len(),
            ..SnapshotCounts::default()
        };

        // Each kind of record in one statement, from arrays (one per column).
        let rows = latest(&snapshot.jobs, |j| &j.id);
        let remote_ids = column(&rows, |j| j.id.as_str());
        let titles = column(&rows, |j| j.title.as_str());
        let departments = column(&rows, |j| j.department.as_deref());
        let locations = column(&rows, |j| j.location.as_deref());
        let statuses = column(&rows, |j| j.status.as_str());
        let raws = column(&rows, |j| j.raw.to_string());
        let jobs: HashMap<String, i64> = sqlx::query!(
            r#"INSERT INTO jobs (connection_id, remote_id, title, department, location, status, raw, synced_at)
               SELECT $1, t.remote_id, t.title, t.department, t.location, t.status, t.raw, $8
               FROM unnest($2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[])
                 AS t (remote_id, title, department, location, status, raw)
               ON CONFLICT (connection_id, remote_id) DO UPDATE SET title = excluded.title,
                 department = excluded.department, location = excluded.location, status = excluded.status,
                 raw = excluded.raw, synced_at = excluded.synced_at
               RETURNING remote_id, id"#,
            connection_id,
            &remote_ids as _,
            &titles as _,
            &departments as _,
            &locations as _,
            &statuses as _,
            &raws,
            now
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| (r.remote_id, r.id))
        .collect();

        let rows = latest(&snapshot.stages, |s| &s.id);
        let job_ids = column(&rows, |s| {
            s.job_id.as_deref().and_then(|r| jobs.get(r).copied())
        });
        let remote_ids = column(&rows, |s| s.id.as_str());
        let names = column(&rows, |s| s.name.as_str());
        let positions = column(&rows, |s| s.position);
        let stages: HashMap<String, i64> = sqlx::query!(
            r#"INSERT INTO stages (connection_id, job_id, remote_id, name, position)
               SELECT $1, t.job_id, t.remote_id, t.name, t.position
               FROM unnest($2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[]) AS t (job_id, remote_id, name, position)
               ON CONFLICT (connection_id, remote_id) DO UPDATE SET job_id = excluded.job_id,
                 name = excluded.name, position = excluded.position
               RETURNING remote_id, id"#,
            connection_id,
            &job_ids as _,
            &remote_ids as _,
            &names as _,
            &positions
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| (r.remote_id, r.id))
        .collect();

        let rows = latest(&snapshot.candidates, |c| &c.id);
        let remote_ids = column(&rows, |c| c.id.as_str());
        let first_names = column(&rows, |c| c.first_name.as_str());
        let last_names = column(&rows, |c| c.last_name.as_str());
        // The app shows one email and one phone: the ATS's first.
        let emails = column(&rows, |c| c.emails.first().map(String::as_str));
        let phones = column(&rows, |c| c.phones.first().map(String::as_str));
        let raws = column(&rows, |c| c.raw.to_string());
        let candidates: HashMap<String, i64> = sqlx::query!(
            r#"INSERT INTO candidates (connection_id, remote_id, first_name, last_name, email, phone, raw, synced_at)
               SELECT $1, t.remote_id, t.first_name, t.last_name, t.email, t.phone, t.raw, $8
               FROM unnest($2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[])
                 AS t (remote_id, first_name, last_name, email, phone, raw)
               ON CONFLICT (connection_id, remote_id) DO UPDATE SET first_name = excluded.first_name,
                 last_name = excluded.last_name, email = excluded.email, phone = excluded.phone,
                 raw = excluded.raw, synced_at = excluded.synced_at
               RETURNING remote_id, id"#,
            connection_id,
            &remote_ids as _,
            &first_names as _,
            &last_names as _,
            &emails as _,
            &phones as _,
            &raws,
            now
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| (r.remote_id, r.id))
        .collect();

        let mut linked = Vec::with_capacity(snapshot.applications.len());
        for app in &snapshot.applications {
            let (Some(&job_id), Some(&candidate_id)) = (
                jobs.get(app.job_id.as_str()),
                candidates.get(app.candidate_id.as_str()),
            ) else {
                counts.orphans += 1;
                continue;
            };
            linked.push(Linked {
                remote_id: &app.id,
                candidate_id,
                job_id,
                stage_id: app.stage_id.as_deref().and_then(|s| stages.get(s).copied()),
                status: &app.status,
                raw: &app.raw,
            });
        }
        counts.applications = linked.len();
        let rows = latest(&linked, |a| a.remote_id);
        let remote_ids = column(&rows, |a| a.remote_id);
        // Concurrency: the stored applications are locked as their stages are read, so a sync
        // running at once waits and then compares with this one's stages (as SQLite's one writer
        // would), rather than both counting the same change.
        let mut stage_of: HashMap<String, Option<i64>> = sqlx::query!(
            r#"SELECT remote_id, stage_id FROM applications WHERE connection_id = $1 AND remote_id = ANY($2)
               ORDER BY remote_id FOR UPDATE"#,
            connection_id,
            &remote_ids as _
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| (r.remote_id, r.stage_id))
        .collect();
        // In the snapshot's order, as SQLite writes them: a repeated application is compared
        // with its previous occurrence.
        for app in &linked {
            if stage_of.insert(app.remote_id.to_owned(), app.stage_id) != Some(app.stage_id) {
                counts.stage_changes += 1;
            }
        }
        let candidate_ids = column(&rows, |a| a.candidate_id);
        let job_ids = column(&rows, |a| a.job_id);
        let stage_ids = column(&rows, |a| a.stage_id);
        let statuses = column(&rows, |a| a.status);
        let raws = column(&rows, |a| a.raw.to_string());
        sqlx::query!(
            r#"INSERT INTO applications (connection_id, remote_id, candidate_id, job_id, stage_id, status,
                 stage_entered_at, raw, synced_at)
               SELECT $1, t.remote_id, t.candidate_id, t.job_id, t.stage_id, t.status, $8, t.raw, $8
               FROM unnest($2::TEXT[], $3::BIGINT[], $4::BIGINT[], $5::BIGINT[], $6::TEXT[], $7::TEXT[])
                 AS t (remote_id, candidate_id, job_id, stage_id, status, raw)
               ON CONFLICT (connection_id, remote_id) DO UPDATE SET candidate_id = excluded.candidate_id,
                 job_id = excluded.job_id, stage_id = excluded.stage_id, status = excluded.status,
                 stage_entered_at = CASE WHEN applications.stage_id IS NOT DISTINCT FROM excluded.stage_id
                   THEN applications.stage_entered_at ELSE excluded.stage_entered_at END,
                 raw = excluded.raw, synced_at = excluded.synced_at, closed_at = NULL"#,
            connection_id,
            &remote_ids as _,
            &candidate_ids,
            &job_ids,
            &stage_ids as _,
            &statuses as _,
            &raws,
            now
        )
        .execute(&mut *tx)
        .await?;
        // A read lists the active applications of open jobs: one it no longer lists was closed
        // in the ATS (rejected, hired, archived, its job closed). Retention counts from here. A
        // read with none at all is more likely a key that lost its access than a closed account.
        if !snapshot.applications.is_empty() {
            sqlx::query!(
                "UPDATE applications SET closed_at = $1 WHERE connection_id = $2 AND closed_at IS NULL AND synced_at < $1",
                now,
                connection_id
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        // A name or email changed. The triggers already rewrote its search document (nothing
        // like SQLite's index merge is needed); the journal still holds the old one.
        let stale = sqlx::query_scalar!("DELETE FROM search_stale RETURNING id")
            .fetch_optional(&self.pool)
            .await?;
        if stale.is_some() {
            self.truncate_journal().await?;
        }
        Ok(counts)
    }

    async fn job_summaries(&self, connection_id: i64) -> Result<Vec<JobSummary>, StoreError> {
        // Titles sort by code point (COLLATE "C"), as SQLite's BINARY does, whatever the locale.
        let rows = sqlx::query!(
            r#"SELECT j.id AS job_id, j.remote_id, j.title, j.department, j.location,
                      s.id AS "stage_id?", s.name AS "stage_name?", s.position AS "position?",
                      (SELECT COUNT(*) FROM applications a WHERE a.job_id = j.id AND a.stage_id = s.id) AS "in_stage!",
                      (SELECT COUNT(*) FROM applications a WHERE a.job_id = j.id) AS "total!"
               FROM jobs j
               LEFT JOIN stages s ON s.connection_id = j.connection_id AND (s.job_id = j.id OR s.job_id IS NULL)
               WHERE j.connection_id = $1
               ORDER BY j.title COLLATE "C", j.id, s.position, s.id"#,
            connection_id
        )
        .fetch_all(&self.pool)
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
            r#"SELECT COUNT(*) AS "n!" FROM candidates WHERE connection_id = $1"#,
            connection_id
        )
        .fetch_one(&self.pool)
        .await?)
    }

    async fn last_synced_at(&self, connection_id: i64) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar!(
            "SELECT MAX(synced_at) FROM jobs WHERE connection_id = $1",
            connection_id
        )
        .fetch_one(&self.pool)
        .await?)
    }
}
