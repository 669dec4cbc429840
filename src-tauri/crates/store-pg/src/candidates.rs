//! The candidate list (one row per application, with its latest invitation's status), the
//! candidate's timeline, and the job facts automations' rules read.

use async_trait::async_trait;
use desk_domain::ListStatus;
use desk_store::{
    CandidateFilter, CandidateRow, CandidateSort, Candidates, JobFacts, ScrolledList, StoreError,
    TimelineEntry,
};
use sqlx::{Postgres, QueryBuilder};

use crate::PgStore;

/// What to order by, for an `applications a`; ties fall back to newest first (SQLite's
/// `CandidateSort::order_by`, in PostgreSQL's words).
fn order_by(sort: CandidateSort, descending: bool) -> String {
    // `lower(x COLLATE "C")` folds ASCII case only and sorts by code point: SQLite's NOCASE.
    let key = match sort {
        CandidateSort::Newest => return "a.id DESC".to_owned(),
        CandidateSort::Name => r#"lower((SELECT c.first_name || ' ' || c.last_name FROM candidates c WHERE c.id = a.candidate_id) COLLATE "C")"#,
        CandidateSort::Job => r#"lower((SELECT j.title FROM jobs j WHERE j.id = a.job_id) COLLATE "C")"#,
        CandidateSort::Stage => "(SELECT s.position FROM stages s WHERE s.id = a.stage_id)",
        CandidateSort::Status => "CASE a.invitation_status WHEN 'not_sent' THEN 0 WHEN 'refused' THEN 1 WHEN 'queued' THEN 2 WHEN 'invited' THEN 3 WHEN 'opened' THEN 4 WHEN 'started' THEN 5 WHEN 'completed' THEN 6 WHEN 'reviewed' THEN 7 WHEN 'synced' THEN 8 ELSE 9 END",
        CandidateSort::Activity => "GREATEST(a.stage_entered_at, COALESCE((SELECT i.updated_at FROM invitations i WHERE i.id = a.invitation_id), 0))",
    };
    // SQLite puts NULLs (no stage) first going up and last going down; PostgreSQL the reverse.
    let direction = if descending {
        "DESC NULLS LAST"
    } else {
        "ASC NULLS FIRST"
    };
    format!("{key} {direction}, a.id DESC")
}

/// The applications under `filter`, as SQL built from the filters that are set (so each
/// combination gets its own plan and index), selecting `what`. `search` is a query for
/// `to_tsquery` (see `PgStore::search_of`).
fn filtered<'a>(
    what: &str,
    connection_id: i64,
    filter: &'a CandidateFilter,
    search: Option<String>,
) -> QueryBuilder<'a, Postgres> {
    // A search starts from the full-text index and finds the matches' applications.
    let mut sql = match search {
        Some(search) => {
            let mut sql = QueryBuilder::new(format!(
                "SELECT {what} FROM application_search f JOIN applications a ON a.id = f.application_id \
                 WHERE f.document @@ to_tsquery('simple', "
            ));
            sql.push_bind(search).push(")");
            sql
        }
        None => QueryBuilder::new(format!("SELECT {what} FROM applications a WHERE true")),
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
    sql
}

#[async_trait]
impl Candidates for PgStore {
    async fn candidate_rows(
        &self,
        list: &ScrolledList,
        connection_id: i64,
        filter: &CandidateFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<CandidateRow>, StoreError> {
        let Some(search) = self.search_of(filter).await? else {
            return Ok(Vec::new());
        };
        // The page's ids first, then the details of just those rows.
        // Later pages are cut from the list's ids, read once per filter, as in the SQLite store:
        // rows do not shift under a recruiter who is scrolling.
        let ids: Vec<i64> = if offset == 0 {
            list.forget();
            let mut page = filtered("a.id", connection_id, filter, search);
            page.push(format!(
                " ORDER BY {} LIMIT ",
                order_by(filter.sort, filter.descending)
            ))
            .push_bind(limit);
            page.build_query_scalar().fetch_all(&self.pool).await?
        } else {
            let all = match list.kept(connection_id, filter) {
                Some(kept) => kept,
                None => list.keep(
                    connection_id,
                    filter,
                    self.list_ids(connection_id, filter, search).await?,
                ),
            };
            let from = usize::try_from(offset).unwrap_or(usize::MAX).min(all.len());
            let to = from
                .saturating_add(usize::try_from(limit).unwrap_or(0))
                .min(all.len());
            all[from..to].to_vec()
        };
        Ok(sqlx::query_as!(
            CandidateRow,
            r#"SELECT a.id AS "application_id!", c.first_name, c.last_name, c.email, c.phone,
                      j.id AS "job_id!", j.title AS job_title, s.name AS "stage_name?",
                      a.invitation_id, a.invitation_status AS "status: ListStatus", i.refused_reason AS "refused_reason?",
                      GREATEST(a.stage_entered_at, COALESCE(i.updated_at, 0)) AS "last_activity_at!"
               FROM unnest($1::BIGINT[]) WITH ORDINALITY AS page (id, n)
               JOIN applications a ON a.id = page.id
               JOIN candidates c ON c.id = a.candidate_id
               JOIN jobs j ON j.id = a.job_id
               LEFT JOIN stages s ON s.id = a.stage_id
               LEFT JOIN invitations i ON i.id = a.invitation_id
               ORDER BY page.n"#,
            &ids
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn candidate_total(
        &self,
        connection_id: i64,
        filter: &CandidateFilter,
    ) -> Result<i64, StoreError> {
        let Some(search) = self.search_of(filter).await? else {
            return Ok(0);
        };
        let search_only =
            filter.job_id.is_none() && filter.stage_id.is_none() && filter.status.is_none();
        if let (Some(search), true) = (&search, search_only) {
            // The usual case, one ATS in the database: the index alone counts the matches,
            // without visiting each matching application.
            // (The lowest and highest connection are two index look-ups; a `<>` would scan.)
            let only_this = sqlx::query_scalar!(
                r#"SELECT COALESCE((SELECT MIN(connection_id) FROM applications) = $1
                      AND (SELECT MAX(connection_id) FROM applications) = $1, true) AS "only!""#,
                connection_id
            )
            .fetch_one(&self.pool)
            .await?;
            if only_this {
                return Ok(sqlx::query_scalar!(
                    r#"SELECT COUNT(*) AS "n!" FROM application_search WHERE document @@ to_tsquery('simple', $1)"#,
                    search
                )
                .fetch_one(&self.pool)
                .await?);
            }
        }
        Ok(filtered("COUNT(*)", connection_id, filter, search)
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await?)
    }

    async fn timeline(&self, application_id: i64) -> Result<Vec<TimelineEntry>, StoreError> {
        // Sorted here rather than in Rust: the parts in SQLite's order, then each part by id,
        // break ties in time (PostgreSQL promises no order for a UNION ALL).
        let entries = sqlx::query_as!(
            TimelineEntry,
            r#"SELECT at AS "at!", step AS "step!", detail AS "detail?", invitation_id AS "invitation_id?",
                      interview_title AS "interview_title?"
               FROM (SELECT 0 AS part, a.id, a.stage_entered_at AS at, 'stage' AS step, s.name AS detail,
                            NULL::BIGINT AS invitation_id, NULL AS interview_title
                     FROM applications a LEFT JOIN stages s ON s.id = a.stage_id WHERE a.id = $1
                     UNION ALL
                     SELECT 1, e.id, e.at, e.status, e.detail, e.invitation_id, iv.title
                     FROM invitation_events e JOIN invitations i ON i.id = e.invitation_id
                     JOIN interviews iv ON iv.id = i.interview_id WHERE i.application_id = $1
                     UNION ALL
                     SELECT 2, w.id, w.written_at, 'written:' || w.target, w.revision::TEXT, w.invitation_id, iv.title
                     FROM writebacks w JOIN invitations i ON i.id = w.invitation_id
                     JOIN interviews iv ON iv.id = i.interview_id WHERE i.application_id = $1
                     UNION ALL
                     SELECT 3, o.id, o.updated_at, 'error', o.last_error, i.id, iv.title
                     FROM outbox o JOIN invitations i ON o.key LIKE 'writeback:' || i.id || ':%'
                     JOIN interviews iv ON iv.id = i.interview_id
                     WHERE i.application_id = $1 AND o.status = 'failed') AS steps
               ORDER BY at, part, id"#,
            application_id
        )
        .fetch_all(&self.pool)
        .await?;
        if !entries.iter().any(|e| e.step == "stage") {
            return Err(StoreError::NotFound {
                what: "application",
                id: application_id,
            });
        }
        Ok(entries)
    }

    async fn job_facts(&self, job_id: i64) -> Result<JobFacts, StoreError> {
        sqlx::query_as!(
            JobFacts,
            r#"SELECT id, title, department, location,
                      COALESCE(doc ->> 'language', doc #>> '{keyed_custom_fields,language,value}',
                               doc #>> '{custom_fields,language}') AS language
               FROM jobs CROSS JOIN LATERAL (SELECT raw::jsonb AS doc) AS r
               WHERE id = $1"#,
            job_id
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            what: "job",
            id: job_id,
        })
    }

    async fn applications_in_stages(
        &self,
        job_id: i64,
        stage_ids: &[i64],
    ) -> Result<Vec<(i64, Option<String>)>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT a.id, s.name AS "stage?" FROM applications a LEFT JOIN stages s ON s.id = a.stage_id
               WHERE a.job_id = $1 AND a.stage_id = ANY($2) ORDER BY a.stage_entered_at, a.id"#,
            job_id,
            stage_ids
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| (r.id, r.stage)).collect())
    }
}

impl PgStore {
    /// The full-text query for the filter's search (`Some(None)`: no search), or `None` when what
    /// was typed holds nothing searchable, so nothing can match. Every typed word (the first 8)
    /// is normalised by `desk_search_words`, as the index's words are (which may split it
    /// further), and each of its parts, as a prefix, must match a word of the name or email.
    /// The parts are letters and digits only, so quoting them cannot change the query's syntax.
    async fn search_of(
        &self,
        filter: &CandidateFilter,
    ) -> Result<Option<Option<String>>, StoreError> {
        let Some(typed) = filter.search.as_deref().filter(|s| !s.trim().is_empty()) else {
            return Ok(Some(None));
        };
        let words: Vec<&str> = typed
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(8)
            .collect();
        let query = sqlx::query_scalar!(
            r#"SELECT string_agg('''' || part || ''':*', ' & ' ORDER BY w.n, p.m)
               FROM unnest($1::TEXT[]) WITH ORDINALITY AS w (word, n),
                    regexp_split_to_table(desk_search_words(w.word), ' ') WITH ORDINALITY AS p (part, m)
               WHERE part <> ''"#,
            &words as _
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(query.map(Some))
    }

    /// Every id of the list under `filter`, in list order (as one array, not 100,000 rows).
    async fn list_ids(
        &self,
        connection_id: i64,
        filter: &CandidateFilter,
        search: Option<String>,
    ) -> Result<Vec<i64>, StoreError> {
        let ids = format!(
            "COALESCE(array_agg(a.id ORDER BY {}), '{{}}')",
            order_by(filter.sort, filter.descending)
        );
        Ok(filtered(&ids, connection_id, filter, search)
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await?)
    }
}
