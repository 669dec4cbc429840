//! Opening the database file: refuse what is not ours or is damaged, then migrate.

use std::io::Read;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};

use crate::{SqliteStore, Store, StoreError, MIGRATOR};

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
const READERS: u32 = 4;

/// When a write counts as done. SQLite's WAL mode with `synchronous=NORMAL` (what Willo Desk uses)
/// survives a crash of the app but may lose the last writes on a power cut or an OS crash; `FULL`
/// waits for the disk at every commit. Everything the engine acknowledges early (a webhook) is
/// found again by the catch-up, so NORMAL loses nothing the loop cannot recover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    Normal,
    Full,
}

impl Store {
    /// Opens (creating if needed) the database at `path`. A file that is not SQLite, or an SQLite
    /// database that Willo Desk did not create, is refused and left as it is.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, Durability::Normal).await
    }

    /// As [`Store::open`], choosing when a write counts as done (benchmarks measure both).
    pub async fn open_with(path: &Path, durability: Durability) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        refuse_non_sqlite(path)?;
        if path.exists() {
            refuse_foreign_or_damaged(path).await?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match durability {
                Durability::Normal => SqliteSynchronous::Normal,
                Durability::Full => SqliteSynchronous::Full,
            })
            .foreign_keys(true)
            // Deleted content is overwritten, not left in free pages: a candidate's data that is
            // removed must be gone from the file.
            .pragma("secure_delete", "ON")
            .busy_timeout(Duration::from_secs(5))
            .log_statements(tracing::log::LevelFilter::Trace);
        // Migrations run on a connection of their own with foreign keys off, as SQLite's way
        // of rebuilding a table needs (a migration's transaction cannot switch them off), and
        // each checks what it moves itself.
        let mut migrating = options.clone().foreign_keys(false).connect().await?;
        MIGRATOR.run(&mut migrating).await?;
        migrating.close().await?;
        // A local file does not drop connections, so no ping before each use: at 100,000
        // candidates that round trip is a measurable part of a list page.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS)
            .test_before_acquire(false)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self::from_backend(std::sync::Arc::new(SqliteStore {
            writer,
            reader,
        })))
    }
}

fn refuse_non_sqlite(path: &Path) -> Result<(), StoreError> {
    let Ok(mut file) = std::fs::File::open(path) else {
        return Ok(()); // Not there yet: it will be created.
    };
    let mut header = [0u8; 16];
    match file.read_exact(&mut header) {
        Ok(()) if &header == SQLITE_MAGIC => Ok(()),
        // An empty file is what a crash during creation leaves; SQLite initialises it.
        Err(e)
            if e.kind() == std::io::ErrorKind::UnexpectedEof
                && file.metadata().is_ok_and(|m| m.len() == 0) =>
        {
            Ok(())
        }
        _ => Err(StoreError::NotADatabase {
            path: path.to_owned(),
        }),
    }
}

/// Looks at an existing file through a read-only connection, which changes nothing in it (a
/// writable connection would already switch its journal mode): another program's database is
/// refused, and so is a damaged one (SQLite's `quick_check`), before anything writes to it.
async fn refuse_foreign_or_damaged(path: &Path) -> Result<(), StoreError> {
    let damaged = |detail: String| StoreError::Damaged {
        path: path.to_owned(),
        detail,
    };
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .map_err(|e| damaged(e.to_string()))?;
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&mut conn)
            .await
            .map_err(|e| damaged(e.to_string()))?;
    if !tables.is_empty() && !tables.iter().any(|t| t == "_sqlx_migrations") {
        conn.close().await?;
        return Err(StoreError::Foreign {
            path: path.to_owned(),
        });
    }
    // The first problem is enough to name; the rest would only repeat it.
    let check: Result<Vec<String>, _> = sqlx::query_scalar("PRAGMA quick_check(1)")
        .fetch_all(&mut conn)
        .await;
    conn.close().await?;
    match check {
        Ok(lines) if lines.iter().all(|l| l == "ok") => Ok(()),
        Ok(lines) => Err(damaged(lines.join("; "))),
        Err(e) => Err(damaged(e.to_string())),
    }
}
