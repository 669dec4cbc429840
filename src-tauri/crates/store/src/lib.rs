//! The local SQLite store: everything Willo Desk knows, so the app opens instantly, works
//! offline for review, and never loses a completed interview or a half-done write-back.
//!
//! One writer connection (SQLite allows one writer at a time; queueing writes in the pool is
//! cheaper than lock retries) and a small read-only pool, in WAL mode. Migrations are embedded and
//! append-only. Times are Unix milliseconds passed in by the caller, so tests control the clock.

mod access;
mod activity;
mod ats_records;
mod automations;
mod candidates;
mod connections;
mod erasures;
mod error;
mod inbox;
mod invitations;
mod open;
mod outbox;
mod participants;
mod reviews;
mod settings;
mod stats;

pub use activity::{ActivityEntry, ActivityRow, FailedItem};
pub use ats_records::{AtsSnapshot, JobSummary, SnapshotCounts, StageCount};
pub use automations::{AtsApplication, Automation, AutomationSpec, StoredParticipant, Triggered};
pub use candidates::{
    CandidateFilter, CandidateRow, CandidateSort, JobFacts, ScrolledList, TimelineEntry,
};
pub use connections::Connection;
pub use erasures::{ErasableInvitation, Erasure, ErasureTargets, WrittenToAts};
pub use error::StoreError;
pub use inbox::{InboxInsert, InboxItem};
pub use invitations::{Invitation, InviteTarget, OpenInvitation, ToCheck};
pub use open::Durability;
pub use outbox::{OutboxItem, OutboxStatus, Withdrawal};
pub use participants::{ParticipantRecord, ResponseRecord, SavedParticipant};
pub use reviews::{InboxEntry, Review};
pub use stats::{DayCount, FunnelRow, InterviewRate};

use sqlx::SqlitePool;

/// The database behind Willo Desk. Cloning shares the pools.
#[derive(Debug, Clone)]
pub struct Store {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl Store {
    /// Wraps an already migrated pool for both reading and writing (tests with `#[sqlx::test]`).
    pub fn from_pool(pool: SqlitePool) -> Self {
        Self {
            writer: pool.clone(),
            reader: pool,
        }
    }

    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// The embedded migrations, for `#[sqlx::test(migrator = ...)]` in other crates.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The row an `INSERT … RETURNING` gave. Such statements are read with `fetch_all`, never
/// `fetch_one` or `fetch_optional`: SQLite commits an autocommit statement when it is stepped
/// to its end, so a read that stops at the first row drops the commit's error (a full disk
/// answered as success) and can leave the write transaction open.
fn first_row<T>(rows: Vec<T>) -> Result<T, sqlx::Error> {
    rows.into_iter().next().ok_or(sqlx::Error::RowNotFound)
}
