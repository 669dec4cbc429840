//! The activity log: reading it, the work that failed for good with a retry, and the CSV export.

use std::path::PathBuf;

use desk_store::ActivityRow;

use crate::app::count;
use crate::ipc::{ActivityItem, ActivityQuery, ExportedFile, FailedWork};
use crate::{App, AppError, ErrorCode};

const MAX_PAGE: u32 = 500;

/// Refuses a query the screen could not have sent.
fn checked(query: &ActivityQuery) -> Result<(), AppError> {
    if query
        .search
        .as_ref()
        .is_some_and(|s| s.chars().count() > 200)
    {
        return Err(AppError::new(
            ErrorCode::Validation,
            "search: at most 200 characters",
        ));
    }
    Ok(())
}

fn item(r: ActivityRow) -> ActivityItem {
    ActivityItem {
        id: count(r.id),
        #[allow(clippy::cast_precision_loss)] // milliseconds since 1970 fit a double exactly
        at: r.at as f64,
        kind: r.kind,
        message: r.message,
        invitation_id: r.invitation_id.map(count),
        candidate: r.candidate,
        job: r.job,
    }
}

/// What to do about a failed item, by kind.
fn fix_for(kind: &str) -> &'static str {
    if kind == "invite" {
        "Correct what the error names (in the ATS or the interview), then retry."
    } else {
        "Check the ATS connection and that the candidate still exists in the ATS, then retry."
    }
}

/// The log as CSV: time (UTC, RFC 3339), kind, candidate, job, message.
pub fn to_csv(rows: &[ActivityRow]) -> Result<String, AppError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| {
        AppError::new(
            ErrorCode::Internal,
            format!("the CSV could not be written: {e}"),
        )
    };
    out.write_record(["time", "kind", "candidate", "job", "message"])
        .map_err(fail)?;
    for r in rows {
        let time = chrono::DateTime::from_timestamp_millis(r.at)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        out.write_record([
            time.as_str(),
            r.kind.as_str(),
            r.candidate.as_deref().unwrap_or(""),
            r.job.as_deref().unwrap_or(""),
            r.message.as_str(),
        ])
        .map_err(fail)?;
    }
    let bytes = out.into_inner().map_err(|e| {
        AppError::new(
            ErrorCode::Internal,
            format!("the CSV could not be written: {e}"),
        )
    })?;
    String::from_utf8(bytes).map_err(|e| AppError::new(ErrorCode::Internal, e.to_string()))
}

impl App {
    pub async fn activity(&self, query: &ActivityQuery) -> Result<Vec<ActivityItem>, AppError> {
        checked(query)?;
        let rows = self
            .store
            .activity_rows(
                query.kind.as_deref().filter(|k| !k.is_empty()),
                query.search.as_deref(),
                query.before_id.map(i64::from),
                query.limit.clamp(1, MAX_PAGE).into(),
            )
            .await?;
        Ok(rows.into_iter().map(item).collect())
    }

    /// Work that failed for good, newest first, each with what to do.
    pub async fn failed_work(&self) -> Result<Vec<FailedWork>, AppError> {
        Ok(self
            .store
            .failed_items()
            .await?
            .into_iter()
            .map(|f| FailedWork {
                outbox_id: count(f.outbox_id),
                fix: fix_for(&f.kind).to_owned(),
                kind: f.kind,
                attempts: count(f.attempts),
                error: f.error.unwrap_or_default(),
                #[allow(clippy::cast_precision_loss)] // milliseconds since 1970 fit a double exactly
                failed_at: f.failed_at as f64,
                invitation_id: f.invitation_id.map(count),
                candidate: f.candidate,
            })
            .collect())
    }

    pub async fn retry(&self, outbox_id: u32) -> Result<(), AppError> {
        Ok(self.engine.retry_failed(outbox_id.into()).await?)
    }

    /// Writes the whole log (filtered like the screen) as CSV into the exports folder and
    /// returns the file's path.
    pub async fn export_activity(&self, query: &ActivityQuery) -> Result<ExportedFile, AppError> {
        checked(query)?;
        let mut rows = Vec::new();
        let mut before = None;
        loop {
            let page = self
                .store
                .activity_rows(
                    query.kind.as_deref().filter(|k| !k.is_empty()),
                    query.search.as_deref(),
                    before,
                    5_000,
                )
                .await?;
            let Some(last) = page.last() else { break };
            before = Some(last.id);
            rows.extend(page);
        }
        let dir: PathBuf = crate::paths::exports_dir(self.data_path());
        std::fs::create_dir_all(&dir).map_err(|e| {
            AppError::new(
                ErrorCode::Storage,
                format!("could not create {}: {e}", dir.display()),
            )
        })?;
        let name = format!(
            "willo-desk-activity-{}.csv",
            chrono::Utc::now().format("%Y%m%d-%H%M%S")
        );
        let path = dir.join(name);
        crate::paths::write_whole(&path, to_csv(&rows)?.as_bytes()).map_err(|e| {
            AppError::new(
                ErrorCode::Storage,
                format!("could not write {}: {e}", path.display()),
            )
        })?;
        // Recorded: a candidate's deletion removes the activity exports that name them.
        self.store
            .record_export(
                &path.display().to_string(),
                "activity",
                None,
                crate::app::now_ms(),
            )
            .await?;
        Ok(ExportedFile {
            path: path.display().to_string(),
            folder: dir.display().to_string(),
        })
    }

    /// The exported file at `path`, if it is one of this app's exports (the UI may ask to show
    /// only those, not any path).
    pub fn exported(&self, path: &str) -> Result<PathBuf, AppError> {
        let path = PathBuf::from(path);
        let ours = path.parent() == Some(crate::paths::exports_dir(self.data_path()).as_path())
            && path.extension().is_some_and(|e| e == "csv" || e == "zip")
            && path.is_file();
        if ours {
            Ok(path)
        } else {
            Err(AppError::new(
                ErrorCode::NotFound,
                "That file is not one of this app's exports, or it was moved.",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_quotes_and_newlines_survive_the_round_trip() {
        let rows = vec![ActivityRow {
            id: 1,
            at: 0,
            kind: "invite_refused".into(),
            message: "Bad phone, \"+44\"\nfix it".into(),
            invitation_id: None,
            application_id: None,
            candidate: Some("Zoë, Müller".into()),
            job: None,
        }];
        let text = to_csv(&rows).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        assert_eq!(&record[0], "1970-01-01T00:00:00+00:00");
        assert_eq!(&record[2], "Zoë, Müller");
        assert_eq!(&record[4], "Bad phone, \"+44\"\nfix it");
    }
}
