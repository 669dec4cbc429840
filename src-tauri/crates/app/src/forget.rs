//! `willo-desk forget` and `willo-desk export-candidate`: a candidate's data rights from a
//! shell, on `serve`'s configuration and data folder. A person is found by the email they give.
//!
//! A deletion is queued in the database like every side effect. When no other process runs the
//! engine there, this command runs it until the deletion is done; when one does (`serve`), that
//! process carries it out and this command waits for it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use desk_engine::{ErasureOutcome, ErasurePlace, ErasureReport, Schedule};
use desk_store::Store;

use crate::assembly::{self, Accounts, Host};
use crate::config::ServeConfig;
use crate::engine_lock;
use crate::{AppError, ErrorCode};

const FORGET: &str = "willo-desk forget";
/// How often a waiting command looks at the deletion again.
const LOOK_EVERY: Duration = Duration::from_millis(250);

fn checked_email(email: &str) -> Result<String, AppError> {
    desk_domain::Email::parse(email)
        .map(|e| e.as_str().to_owned())
        .map_err(|_| AppError::new(ErrorCode::Validation, "email: not an email address"))
}

/// The data folder's database, which these commands read and never create.
fn existing_database(data_dir: &Path) -> Result<PathBuf, AppError> {
    let database = crate::paths::live_database(data_dir);
    if database.exists() {
        Ok(database)
    } else {
        Err(AppError::new(
            ErrorCode::NotFound,
            format!("no Willo Desk database at {}", database.display()),
        ))
    }
}

async fn applications_of(
    store: &Store,
    email: &str,
    database: &Path,
) -> Result<Vec<i64>, AppError> {
    let found = store.applications_by_email(email).await?;
    if found.is_empty() {
        return Err(AppError::new(
            ErrorCode::NotFound,
            format!(
                "email: no candidate with this email in the ATS records of {}",
                database.display()
            ),
        ));
    }
    Ok(found)
}

/// Deletes the interview data of every application of the candidate with `email`, everywhere,
/// and returns one report per application. `by` is who asked (kept in the audit). Waits at
/// most `patience` for the deletions to finish; they stay queued after that.
pub async fn forget(
    config: &ServeConfig,
    data_dir: &Path,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
    email: &str,
    by: &str,
    patience: Duration,
) -> Result<Vec<ErasureReport>, AppError> {
    let email = checked_email(email)?;
    let database = existing_database(data_dir)?;
    let claim = engine_lock::claim(&database, FORGET)?;
    let assembled = assembly::assemble(
        Host::Command,
        claim,
        config,
        Accounts::of(config),
        &database,
        env,
        Schedule::default(),
    )
    .await?;
    let (engine, store) = (&assembled.engine, &assembled.store);
    // Held once another process lets the lock go; until then, that process does the work.
    let mut _held = None;
    if engine.is_acting() {
        engine.take_over_leases().await?;
    }
    let mut ids = Vec::new();
    for application in applications_of(store, &email, &database).await? {
        ids.push(engine.request_erasure(application, by).await?);
    }
    let until = Instant::now() + patience;
    loop {
        // The holder may have ended (a `forget` whose own deletions are done, or one killed):
        // this command takes the engine over rather than wait for nobody.
        if !engine.is_acting() {
            if let engine_lock::Claim::Held(lock) = engine_lock::claim(&database, FORGET)? {
                engine.set_acting(true);
                engine.take_over_leases().await?;
                _held = Some(lock);
            }
        }
        // Runs the queue itself where it holds the engine; otherwise the holder does.
        engine.run_outbox_once().await?;
        let mut reports = Vec::with_capacity(ids.len());
        for &id in &ids {
            reports.push(engine.erasure_report(id).await?);
        }
        if reports.iter().all(|r| r.finished_at.is_some()) {
            store.close().await;
            return Ok(reports);
        }
        if Instant::now() >= until {
            store.close().await;
            return Err(AppError::new(
                ErrorCode::Unavailable,
                format!(
                    "the deletion is not finished after {} s (Willo or the ATS may be throttling or down); it stays queued, and whichever process runs the engine next (serve, the desktop, or forget again) finishes it",
                    patience.as_secs()
                ),
            ));
        }
        tokio::time::sleep(LOOK_EVERY).await;
    }
}

/// Writes an access-request export of every application of the candidate with `email` into
/// `out`, and returns their paths.
pub async fn export_candidate(
    data_dir: &Path,
    email: &str,
    out: &Path,
) -> Result<Vec<PathBuf>, AppError> {
    let email = checked_email(email)?;
    let database = existing_database(data_dir)?;
    let store = Store::open(&database).await?;
    let mut paths = Vec::new();
    for application in applications_of(&store, &email, &database).await? {
        paths.push(crate::access_export::write(&store, application, out).await?);
    }
    store.close().await;
    Ok(paths)
}

/// A deletion's report as lines for a terminal: ids and outcomes, no personal data.
pub fn describe(report: &ErasureReport) -> String {
    let mut lines = vec![format!(
        "Deletion {} of ATS application {} (asked by {}): {}",
        report.erasure_id,
        report.ats_application,
        report.requested_by,
        match (report.finished_at, report.complete) {
            (None, _) => "under way",
            (Some(_), true) => "everything deleted",
            (Some(_), false) => "done, with what is left below",
        }
    )];
    for step in &report.steps {
        let place = match step.place {
            ErasurePlace::Willo => "Willo",
            ErasurePlace::Ats => "ATS",
        };
        let outcome = match &step.outcome {
            ErasureOutcome::Deleted => "deleted".to_owned(),
            ErasureOutcome::AlreadyGone => "already gone".to_owned(),
            ErasureOutcome::ByHand { why, url } => format!(
                "must be removed by hand: {why}{}",
                url.as_deref()
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default()
            ),
            ErasureOutcome::Failed { error } => format!("NOT deleted: {error}"),
        };
        lines.push(format!("  {place:<5} {}: {outcome}", step.what));
    }
    let l = &report.local;
    lines.push(format!(
        "  here  {} invitations, {} answers, {} reviews, {} queued items, {} webhook deliveries, {} activity entries, {} export files removed",
        l.invitations, l.answers, l.reviews, l.queued_items, l.webhook_deliveries, l.activity, l.export_files
    ));
    lines.join("\n")
}
