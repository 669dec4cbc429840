//! One engine per database, enforced by the operating system: the process that runs the engine
//! (sends, write-backs, reconcile, triggers) holds an exclusive advisory lock on `<db>.lock` for
//! its whole life. The OS releases it when the process ends, however it ends (a SIGKILL too), so
//! it never stays stuck. Who holds it is written beside it, in `<db>.holder`, for the message a
//! second process shows (a lock file itself cannot be read while locked on every platform).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{AppError, ErrorCode};

/// The process that runs the engine on a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    /// What it is: "willo-desk serve" or "the Willo Desk app".
    pub program: String,
    /// When it took the lock (Unix milliseconds).
    pub since: i64,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let since = chrono::DateTime::from_timestamp_millis(self.since)
            .map_or_else(String::new, |t| {
                t.format(" since %Y-%m-%d %H:%M UTC").to_string()
            });
        write!(f, "{} (pid {}){since}", self.program, self.pid)
    }
}

/// The lock, held for as long as this value lives.
#[derive(Debug)]
pub struct EngineLock {
    _file: File,
    holder_file: PathBuf,
}

impl Drop for EngineLock {
    fn drop(&mut self) {
        // Only tidiness: a stale holder file is never read while nobody holds the lock.
        let _ = std::fs::remove_file(&self.holder_file);
    }
}

/// What trying to take the lock found.
#[derive(Debug)]
pub enum Claim {
    /// This process runs the engine now.
    Held(EngineLock),
    /// Another process does (who, when it said so).
    Taken(Option<Holder>),
}

fn sidecar(database: &Path, suffix: &str) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn storage(what: &Path, error: &std::io::Error) -> AppError {
    AppError::new(
        ErrorCode::Storage,
        format!(
            "the engine's lock {} could not be used: {error}",
            what.display()
        ),
    )
}

/// Tries to take the engine's lock on `database` for this process (`program` says what it is).
pub fn claim(database: &Path, program: &str) -> Result<Claim, AppError> {
    let path = sidecar(database, ".lock");
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| storage(dir, &e))?;
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| storage(&path, &e))?;
    let holder_file = sidecar(database, ".holder");
    match file.try_lock() {
        Ok(()) => {
            let holder = Holder {
                pid: std::process::id(),
                program: program.to_owned(),
                since: chrono::Utc::now().timestamp_millis(),
            };
            let text = serde_json::to_vec(&holder).unwrap_or_default();
            crate::paths::write_whole(&holder_file, &text)
                .map_err(|e| storage(&holder_file, &e))?;
            Ok(Claim::Held(EngineLock {
                _file: file,
                holder_file,
            }))
        }
        Err(TryLockError::WouldBlock) => Ok(Claim::Taken(holder(database))),
        Err(TryLockError::Error(e)) => Err(storage(&path, &e)),
    }
}

/// Who holds the lock on `database`, as it said when it took it.
pub fn holder(database: &Path) -> Option<Holder> {
    let text = std::fs::read(sidecar(database, ".holder")).ok()?;
    serde_json::from_slice(&text).ok()
}

/// The error `serve` stops with when another process runs the engine.
pub fn taken(database: &Path, holder: Option<&Holder>) -> AppError {
    let who = holder.map_or_else(|| "another process".to_owned(), ToString::to_string);
    AppError::new(
        ErrorCode::Validation,
        format!(
            "{who} already runs the engine on {}. Stop it first, or give this one another data_dir",
            database.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_is_held_once_and_free_again_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("willo-desk.db");
        let Claim::Held(lock) = claim(&db, "first").unwrap() else {
            panic!("a free lock was not taken")
        };
        // A second open file description is refused, as a second process would be.
        match claim(&db, "second").unwrap() {
            Claim::Taken(Some(holder)) => {
                assert_eq!(holder.pid, std::process::id());
                assert_eq!(holder.program, "first");
                let message = taken(&db, Some(&holder)).message;
                assert!(
                    message.contains("first (pid") && message.contains("willo-desk.db"),
                    "{message}"
                );
            }
            other => panic!("the lock was taken twice: {other:?}"),
        }
        drop(lock);
        assert!(matches!(claim(&db, "third").unwrap(), Claim::Held(_)));
    }
}
