//! The store: everything Willo Desk knows, so the app opens instantly, works offline for review,
//! and never loses a completed interview or a half-done write-back. Its interface is one trait
//! per area ([`Backend`]); this crate implements it on a local SQLite file, `desk-store-pg` on
//! a team's PostgreSQL server.
//!
//! SQLite: one writer connection (SQLite allows one writer at a time; queueing writes in the pool is
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
pub use automations::{
    AtsApplication, Automation, AutomationRow, AutomationSpec, StoredParticipant, Triggered,
};
pub use candidates::{
    CandidateFilter, CandidateRow, CandidateSort, JobFacts, ScrolledList, TimelineEntry,
};
pub use connections::Connection;
pub use erasures::{
    erasure_key, ErasableInvitation, Erasure, ErasureRow, ErasureTargets, WrittenToAts,
};
pub use error::StoreError;
pub use inbox::{InboxInsert, InboxItem};
pub use invitations::{Invitation, InvitationSubject, InviteTarget, OpenInvitation, ToCheck};
pub use open::Durability;
pub use outbox::{LeaseEnd, OutboxItem, OutboxStatus, Withdrawal};
pub use participants::{ParticipantRecord, ResponseRecord, SavedParticipant};
pub use reviews::{InboxEntry, Review};
pub use stats::{DayCount, FunnelRow, InterviewRate};

pub use access::AccessRequests;
pub use activity::ActivityLog;
pub use ats_records::AtsRecords;
pub use automations::Automations;
pub use candidates::Candidates;
pub use connections::Connections;
pub use erasures::Erasures;
pub use inbox::Inbox;
pub use invitations::Invitations;
pub use outbox::Outbox;
pub use participants::Participants;
pub use reviews::Reviews;
pub use settings::{Settings, DAY_MINUTES, WILLO_REQUESTS};
pub use stats::Stats;

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::SqlitePool;

/// Everything a store does, one trait per area; SQLite here, PostgreSQL in `desk-store-pg`.
pub trait Backend:
    AccessRequests
    + ActivityLog
    + AtsRecords
    + Automations
    + Candidates
    + Connections
    + Erasures
    + Inbox
    + Invitations
    + Outbox
    + Participants
    + Reviews
    + Settings
    + Stats
    + Lifecycle
    + std::fmt::Debug
{
}

impl<T> Backend for T where
    T: AccessRequests
        + ActivityLog
        + AtsRecords
        + Automations
        + Candidates
        + Connections
        + Erasures
        + Inbox
        + Invitations
        + Outbox
        + Participants
        + Reviews
        + Settings
        + Stats
        + Lifecycle
        + std::fmt::Debug
{
}

#[async_trait]
pub trait Lifecycle: Send + Sync {
    /// Waits for running statements and closes every connection.
    async fn close(&self);
}

/// The database behind Willo Desk: one person's SQLite file, or a team's PostgreSQL server.
/// Cloning shares the connections. Its operations are the [`Backend`] traits' methods.
#[derive(Debug, Clone)]
pub struct Store(Arc<dyn Backend>);

impl Store {
    pub fn from_backend(backend: Arc<dyn Backend>) -> Self {
        Self(backend)
    }

    /// Wraps an already migrated SQLite pool for both reading and writing (tests with
    /// `#[sqlx::test]`).
    pub fn from_pool(pool: SqlitePool) -> Self {
        Self(Arc::new(SqliteStore {
            writer: pool.clone(),
            reader: pool,
        }))
    }
}

impl std::ops::Deref for Store {
    type Target = dyn Backend;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

/// The SQLite store: one writer connection and a small read-only pool (see the crate's doc).
#[derive(Debug)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

#[async_trait]
impl Lifecycle for SqliteStore {
    async fn close(&self) {
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
