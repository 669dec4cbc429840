//! The store on PostgreSQL, for a team server: the same interface as the SQLite store (the
//! `desk_store` traits), on a database several `serve` replicas share.
//!
//! Where SQLite has one writer at a time, PostgreSQL runs transactions side by side, so every
//! read-then-write here either locks what it read (`FOR UPDATE`), states its condition in the
//! write itself, or leans on a unique constraint: two replicas can never both act on one row.
//! The schema has the same meaning as the SQLite migrations (see `migrations/`).

mod access;
mod activity;
mod ats_records;
mod automations;
mod candidates;
mod connections;
mod erasures;
mod inbox;
mod invitations;
mod outbox;
mod participants;
mod reviews;
mod settings;
mod stats;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use desk_store::{Lifecycle, Store, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::ConnectOptions;

/// The embedded migrations. Replicas starting at once are safe: sqlx holds an advisory lock
/// while it migrates.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

const CONNECTIONS: u32 = 10;

#[derive(Debug)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://…`) and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options: PgConnectOptions = url.parse()?;
        let options = options.log_statements(tracing::log::LevelFilter::Trace);
        let pool = PgPoolOptions::new()
            .max_connections(CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }
}

/// The team's store at `url`, migrated.
pub async fn open(url: &str) -> Result<Store, StoreError> {
    Ok(Store::from_backend(Arc::new(PgStore::connect(url).await?)))
}

#[async_trait]
impl Lifecycle for PgStore {
    async fn close(&self) {
        self.pool.close().await;
    }
}

/// A new, empty database on the server `server_url` points at, and its URL: each test and
/// benchmark run gets one of its own.
pub async fn fresh_database(server_url: &str) -> Result<String, StoreError> {
    use sqlx::Connection;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let name = format!(
        "desk_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_micros()
    );
    let mut server = sqlx::PgConnection::connect(server_url).await?;
    // A name made of digits and letters above, so it needs no quoting.
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut server)
        .await?;
    server.close().await?;
    let mut url = url::Url::parse(server_url)
        .map_err(|e| StoreError::Sqlx(sqlx::Error::Configuration(e.into())))?;
    url.set_path(&name);
    Ok(url.to_string())
}
