//! The candidate list (one row per application, with its latest invitation's status), the
//! candidate's timeline, and the job facts automations' rules read.

use async_trait::async_trait;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use desk_domain::ListStatus;
use serde::Serialize;

use crate::{SqliteStore, StoreError};

/// The candidate list as one viewer scrolls it: its ids under the filter being scrolled, read
/// once. View state, so it is kept by whoever shows the list (the app), not by the store; the
/// store only reads pages through it (see [`Candidates::candidate_rows`]).
#[derive(Debug, Default)]
pub struct ScrolledList(Mutex<Option<ListIds>>);

/// The ids of the candidate list under one filter, in list order.
#[derive(Debug)]
struct ListIds {
    connection_id: i64,
    filter: CandidateFilter,
    ids: Arc<Vec<i64>>,
}

impl ScrolledList {
    fn lock(&self) -> MutexGuard<'_, Option<ListIds>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts the list afresh (its first page is read).
    pub fn forget(&self) {
        *self.lock() = None;
    }

    /// The ids kept for this list, when they were read under the same connection and filter.
    pub fn kept(&self, connection_id: i64, filter: &CandidateFilter) -> Option<Arc<Vec<i64>>> {
        self.lock()
            .as_ref()
            .filter(|l| l.connection_id == connection_id && &l.filter == filter)
            .map(|l| Arc::clone(&l.ids))
    }

    /// Keeps the list's ids, in list order, until the filter changes or the list starts afresh.
    pub fn keep(
        &self,
        connection_id: i64,
        filter: &CandidateFilter,
        ids: Vec<i64>,
    ) -> Arc<Vec<i64>> {
        let ids = Arc::new(ids);
        *self.lock() = Some(ListIds {
            connection_id,
            filter: filter.clone(),
            ids: Arc::clone(&ids),
        });
        ids
    }
}

/// What the list is narrowed to. Empty fields narrow nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CandidateFilter {
    /// Every word must start a word of the name or email (case and accents ignored).
    pub search: Option<String>,
    pub job_id: Option<i64>,
    pub stage_id: Option<i64>,
    pub status: Option<ListStatus>,
    pub sort: CandidateSort,
    /// Reverses `sort` (newest first ignores it).
    pub descending: bool,
}

/// The order of the candidate list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CandidateSort {
    /// Newest application first: the list's own order, read straight from its index.
    #[default]
    Newest,
    Name,
    Job,
    /// By the stage's place in the job's pipeline.
    Stage,
    /// Along the invitation's course: not sent, refused, queued, invited … in the ATS, failed.
    Status,
    /// When the application last changed stage or its invitation last changed.
    Activity,
}

impl CandidateSort {
    /// What to order by, for an `applications a`; ties fall back to newest first. Sorting
    /// other than by newest sorts every match (no index serves it): fine for the tens of
    /// thousands a team has, and only asked for when a recruiter clicks a column.
    fn order_by(self, newest: &str, descending: bool) -> String {
        let key = match self {
            Self::Newest => return format!("{newest} DESC"),
            Self::Name => "(SELECT c.first_name || ' ' || c.last_name FROM candidates c WHERE c.id = a.candidate_id) COLLATE NOCASE",
            Self::Job => "(SELECT j.title FROM jobs j WHERE j.id = a.job_id) COLLATE NOCASE",
            Self::Stage => "(SELECT s.position FROM stages s WHERE s.id = a.stage_id)",
            Self::Status => "CASE a.invitation_status WHEN 'not_sent' THEN 0 WHEN 'refused' THEN 1 WHEN 'queued' THEN 2 WHEN 'invited' THEN 3 WHEN 'opened' THEN 4 WHEN 'started' THEN 5 WHEN 'completed' THEN 6 WHEN 'reviewed' THEN 7 WHEN 'synced' THEN 8 ELSE 9 END",
            Self::Activity => LAST_ACTIVITY,
        };
        let direction = if descending { "DESC" } else { "ASC" };
        format!("{key} {direction}, {newest} DESC")
    }
}

/// When an application last changed: its stage, or its latest invitation.
const LAST_ACTIVITY: &str = "MAX(a.stage_entered_at, COALESCE((SELECT i.updated_at FROM invitations i WHERE i.id = a.invitation_id), 0))";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CandidateRow {
    pub application_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub job_id: i64,
    pub job_title: String,
    pub stage_name: Option<String>,
    pub invitation_id: Option<i64>,
    pub status: ListStatus,
    pub refused_reason: Option<String>,
    /// When the application last changed stage or its invitation last changed (Unix ms).
    pub last_activity_at: i64,
}

/// One step of a candidate's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    pub at: i64,
    /// stage | queued | refused | invited | opened | started | completed | reviewed | synced |
    /// failed | written:<target> | error
    pub step: String,
    /// For `written:*`, the participant revision written (1 for the first note).
    pub detail: Option<String>,
    pub invitation_id: Option<i64>,
    /// The interview of the invitation the step is about.
    pub interview_title: Option<String>,
}

/// What an automation's rules match on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobFacts {
    pub id: i64,
    pub title: String,
    pub department: Option<String>,
    pub location: Option<String>,
    /// From the job's `language` field or custom field, where the ATS has one.
    pub language: Option<String>,
}

/// The full-text query for what the recruiter typed: every word, as a prefix, must match a word
/// of the name or email (so "zoë mü" finds Zoë Müller, and "priya.5" finds priya.5@…). `None`
/// when nothing searchable was typed.
fn match_query(search: Option<&str>) -> Option<String> {
    let words: Vec<String> = search?
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| format!("\"{}\"*", w.replace('"', "")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The full-text query for the filter's search (`Some(None)`: no search), or `None` when what was
/// typed holds nothing searchable, so nothing can match.
fn search_of(filter: &CandidateFilter) -> Option<Option<String>> {
    let typed = filter.search.as_deref().filter(|s| !s.trim().is_empty());
    match (typed, match_query(typed)) {
        (Some(_), None) => None,
        (_, query) => Some(query),
    }
}

/// The applications under `filter`, as SQL built from the filters that are set (so each
/// combination gets its own plan and index), selecting `what`, and the column that orders them
/// newest first (see `CandidateSort::order_by`).
fn filtered<'a>(
    what: &str,
    connection_id: i64,
    filter: &'a CandidateFilter,
    search: Option<String>,
) -> (sqlx::QueryBuilder<'a, sqlx::Sqlite>, &'static str) {
    // A search starts from the full-text index, whose rowids are application ids: ordered by
    // them, the matches come newest first out of the index itself (CROSS JOIN keeps SQLite from
    // putting the applications first). Otherwise the applications are walked in list order.
    let (mut sql, order) = match search {
        Some(search) => {
            let mut sql = sqlx::QueryBuilder::new(format!(
                "SELECT {what} FROM application_search f CROSS JOIN applications a ON a.id = f.rowid WHERE application_search MATCH "
            ));
            sql.push_bind(search);
            (sql, "f.rowid")
        }
        None => (
            sqlx::QueryBuilder::new(format!("SELECT {what} FROM applications a WHERE 1")),
            "a.id",
        ),
    };
    sql.push(" AND a.connection_id = ").push_bind(connection_id);
    if let Some(job) = filter.job_id {
        sql.push(" AND a.job_id = ").push_bind(job);
    }
    if let Some(stage) = filter.stage_id {
        sql.push(" AND a.stage_id = ").push_bind(stage);
    }
    if let Some(status) = &filter.status {
        sql.push(" AND a.invitation_status = ")
            .push_bind(status.as_str());
    }
    (sql, order)
}

#[async_trait]
pub trait Candidates: Send + Sync {
    /// A page of the candidate list, in the filter's order, as `list`'s viewer scrolls it.
    async fn candidate_rows(
        &self,
        list: &ScrolledList,
        connection_id: i64,
        filter: &CandidateFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<CandidateRow>, StoreError>;

    /// How many rows the list has under `filter`.
    async fn candidate_total(
        &self,
        connection_id: i64,
        filter: &CandidateFilter,
    ) -> Result<i64, StoreError>;

    /// Everything that happened to an application, oldest first: the stage it is in, each
    /// invitation's steps, what was written to the ATS, and outbox items that keep failing.
    async fn timeline(&self, application_id: i64) -> Result<Vec<TimelineEntry>, StoreError>;

    async fn job_facts(&self, job_id: i64) -> Result<JobFacts, StoreError>;

    /// Applications of a job that are in one of `stage_ids` now, with the stage's name.
    async fn applications_in_stages(
        &self,
        job_id: i64,
        stage_ids: &[i64],
    ) -> Result<Vec<(i64, Option<String>)>, StoreError>;
}

#[async_trait]
impl Candidates for SqliteStore {
    async fn candidate_rows(
        &self,
        list: &ScrolledList,
        connection_id: i64,
        filter: &CandidateFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<CandidateRow>, StoreError> {
        let Some(search) = search_of(filter) else {
            return Ok(Vec::new());
        };
        // The page's ids first, then the details of just those rows. The first page is an index
        // walk. Later pages are cut from the list's ids, read once per filter: an index walk to
        // a deep offset costs more than the whole list of ids does once, and the rows do not
        // shift under a recruiter who is scrolling. A first page starts the list afresh.
        let ids: Vec<i64> = if offset == 0 {
            list.forget();
            let (mut page, newest) = filtered("a.id", connection_id, filter, search);
            page.push(format!(
                " ORDER BY {} LIMIT ",
                filter.sort.order_by(newest, filter.descending)
            ))
            .push_bind(limit);
            page.build_query_scalar().fetch_all(&self.reader).await?
        } else {
            let all = self.list_ids(list, connection_id, filter, search).await?;
            let from = usize::try_from(offset).unwrap_or(usize::MAX).min(all.len());
            let to = from
                .saturating_add(usize::try_from(limit).unwrap_or(0))
                .min(all.len());
            all[from..to].to_vec()
        };
        let ids = serde_json::to_string(&ids)?;
        Ok(sqlx::query_as!(
            CandidateRow,
            r#"SELECT a.id AS "application_id!", c.first_name, c.last_name, c.email, c.phone,
                      j.id AS "job_id!", j.title AS job_title, s.name AS "stage_name?",
                      a.invitation_id AS "invitation_id?", a.invitation_status AS "status: ListStatus", i.refused_reason AS "refused_reason?",
                      MAX(a.stage_entered_at, COALESCE(i.updated_at, 0)) AS "last_activity_at!: i64"
               FROM json_each(?) page
               JOIN applications a ON a.id = page.value
               JOIN candidates c ON c.id = a.candidate_id
               JOIN jobs j ON j.id = a.job_id
               LEFT JOIN stages s ON s.id = a.stage_id
               LEFT JOIN invitations i ON i.id = a.invitation_id
               ORDER BY page.key"#,
            ids
        )
        .fetch_all(&self.reader)
        .await?)
    }

    async fn candidate_total(
        &self,
        connection_id: i64,
        filter: &CandidateFilter,
    ) -> Result<i64, StoreError> {
        let Some(search) = search_of(filter) else {
            return Ok(0);
        };
        let search_only =
            filter.job_id.is_none() && filter.stage_id.is_none() && filter.status.is_none();
        if let (Some(search), true) = (&search, search_only) {
            // The usual case, one ATS in the database: the index alone counts the matches,
            // without visiting each matching application (3 ms rather than 30 for a first
            // letter that matches every email's "com").
            // (The lowest and highest connection are two index look-ups; a `<>` would scan.)
            let only_this = sqlx::query_scalar!(
                r#"SELECT COALESCE((SELECT MIN(connection_id) FROM applications) = ?1
                      AND (SELECT MAX(connection_id) FROM applications) = ?1, 1) AS "only!: bool""#,
                connection_id
            )
            .fetch_one(&self.reader)
            .await?;
            if only_this {
                return Ok(sqlx::query_scalar!(
                    r#"SELECT COUNT(*) AS "n!: i64" FROM application_search WHERE application_search MATCH ?"#,
                    search
                )
                .fetch_one(&self.reader)
                .await?);
            }
        }
        Ok(filtered("COUNT(*)", connection_id, filter, search)
            .0
            .build_query_scalar()
            .fetch_one(&self.reader)
            .await?)
    }

    async fn timeline(&self, application_id: i64) -> Result<Vec<TimelineEntry>, StoreError> {
        let mut entries = sqlx::query_as!(
            TimelineEntry,
            r#"SELECT a.stage_entered_at AS "at!: i64", 'stage' AS "step!: String", s.name AS "detail?: String",
                      NULL AS "invitation_id?: i64", NULL AS "interview_title?: String"
               FROM applications a LEFT JOIN stages s ON s.id = a.stage_id WHERE a.id = ?1
               UNION ALL
               SELECT e.at, e.status, e.detail, e.invitation_id, iv.title
               FROM invitation_events e JOIN invitations i ON i.id = e.invitation_id
               JOIN interviews iv ON iv.id = i.interview_id WHERE i.application_id = ?1
               UNION ALL
               SELECT w.written_at, 'written:' || w.target, CAST(w.revision AS TEXT), w.invitation_id, iv.title
               FROM writebacks w JOIN invitations i ON i.id = w.invitation_id
               JOIN interviews iv ON iv.id = i.interview_id WHERE i.application_id = ?1
               UNION ALL
               SELECT o.updated_at, 'error', o.last_error, i.id, iv.title
               FROM outbox o JOIN invitations i ON o.key LIKE 'writeback:' || i.id || ':%'
               JOIN interviews iv ON iv.id = i.interview_id
               WHERE i.application_id = ?1 AND o.status = 'failed'"#,
            application_id
        )
        .fetch_all(&self.reader)
        .await?;
        if entries.first().is_none_or(|e| e.step != "stage") {
            return Err(StoreError::NotFound {
                what: "application",
                id: application_id,
            });
        }
        entries.sort_by_key(|e| e.at);
        Ok(entries)
    }

    async fn job_facts(&self, job_id: i64) -> Result<JobFacts, StoreError> {
        sqlx::query_as!(
            JobFacts,
            r#"SELECT id AS "id!", title, department, location,
                      CAST(COALESCE(json_extract(raw, '$.language'), json_extract(raw, '$.keyed_custom_fields.language.value'),
                               json_extract(raw, '$.custom_fields.language')) AS TEXT) AS "language?: String"
               FROM jobs WHERE id = ?"#,
            job_id
        )
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound { what: "job", id: job_id })
    }

    async fn applications_in_stages(
        &self,
        job_id: i64,
        stage_ids: &[i64],
    ) -> Result<Vec<(i64, Option<String>)>, StoreError> {
        let stages = serde_json::to_string(stage_ids)?;
        let rows = sqlx::query!(
            r#"SELECT a.id AS "id!: i64", s.name AS "stage?: String" FROM applications a LEFT JOIN stages s ON s.id = a.stage_id
               WHERE a.job_id = ? AND a.stage_id IN (SELECT value FROM json_each(?)) ORDER BY a.stage_entered_at, a.id"#,
            job_id,
            stages
        )
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.into_iter().map(|r| (r.id, r.stage)).collect())
    }
}

impl SqliteStore {
    /// Every id of the list under `filter`, in list order: kept from the last call with the same
    /// filter, else read (as one JSON array, not 100,000 rows).
    async fn list_ids(
        &self,
        list: &ScrolledList,
        connection_id: i64,
        filter: &CandidateFilter,
        search: Option<String>,
    ) -> Result<Arc<Vec<i64>>, StoreError> {
        if let Some(kept) = list.kept(connection_id, filter) {
            return Ok(kept);
        }
        let ids: Vec<i64> = if filter.sort == CandidateSort::Newest {
            let json: String = filtered("json_group_array(a.id)", connection_id, filter, search)
                .0
                .build_query_scalar()
                .fetch_one(&self.reader)
                .await?;
            let mut ids: Vec<i64> = serde_json::from_str(&json)?;
            // Newest (highest id) first, for searches too: sorting here is cheaper than having
            // SQLite sort before it aggregates.
            ids.sort_unstable_by(|a, b| b.cmp(a));
            ids
        } else {
            let (mut sql, newest) = filtered("a.id", connection_id, filter, search);
            sql.push(format!(
                " ORDER BY {}",
                filter.sort.order_by(newest, filter.descending)
            ));
            sql.build_query_scalar().fetch_all(&self.reader).await?
        };
        Ok(list.keep(connection_id, filter, ids))
    }
}
