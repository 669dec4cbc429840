//! Removing a candidate's interview data: what there is to remove (here, in Willo, in the ATS),
//! the local purge itself, and the audit of each deletion.
//!
//! The purge leaves the invitation as an `erased` row with no contact details, so that nothing
//! invites the candidate again, and keeps only what names no one: ids, statuses and the times of
//! each step (the dashboard's counts read those). The database deletes with SQLite's
//! `secure_delete` on, and the journal is truncated afterwards, so removed text is not left in
//! free pages or the WAL.

use async_trait::async_trait;
use desk_domain::LocalRemoval;
use serde_json::json;

use crate::{SqliteStore, StoreError};

/// One invitation whose data is to be removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasableInvitation {
    pub id: i64,
    pub interview_key: String,
    pub participant_key: Option<String>,
    pub email: Option<String>,
    /// Its invite was sent at least once, even if the answer was lost: Willo may hold a
    /// participant we never learnt the key of.
    pub invite_attempted: bool,
}

/// Something this app wrote to the ATS for one of the invitations (the write-back ledger).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenToAts {
    pub invitation_id: i64,
    /// `note`, `attachment`, `field:<name>`, `move`, with `.r<n>` for a later review's note.
    pub target: String,
    pub remote_id: Option<String>,
}

/// Everything held about one application's interviews, here and elsewhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErasureTargets {
    /// The candidate's name as the activity log and its exports show it.
    pub candidate_name: String,
    pub invitations: Vec<ErasableInvitation>,
    /// Other Willo participants of theirs stored here: an invitation's second participant that it
    /// no longer follows, and those stored with the candidate's email that no invitation follows
    /// (a second invitation sent from Willo directly, say).
    pub other_participants: Vec<String>,
    pub written: Vec<WrittenToAts>,
}

impl ErasureTargets {
    /// Every Willo participant key involved.
    pub fn participant_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .invitations
            .iter()
            .filter_map(|i| i.participant_key.clone())
            .chain(self.other_participants.iter().cloned())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

/// One deletion request and, once done, what came of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Erasure {
    pub id: i64,
    pub application_id: Option<i64>,
    pub ats_application: String,
    pub ats_candidate: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub done: bool,
    pub report: Option<serde_json::Value>,
    pub finished_at: Option<i64>,
}

/// A row of `erasures`, as both stores read it.
pub struct ErasureRow {
    pub id: i64,
    pub application_id: Option<i64>,
    pub ats_application: String,
    pub ats_candidate: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub status: String,
    pub report: Option<String>,
    pub finished_at: Option<i64>,
}

impl From<ErasureRow> for Erasure {
    fn from(r: ErasureRow) -> Self {
        Self {
            id: r.id,
            application_id: r.application_id,
            ats_application: r.ats_application,
            ats_candidate: r.ats_candidate,
            requested_by: r.requested_by,
            requested_at: r.requested_at,
            done: r.status == "done",
            report: r.report.and_then(|t| serde_json::from_str(&t).ok()),
            finished_at: r.finished_at,
        }
    }
}

/// The outbox key of an erasure: the engine's holder carries it out, like every other side effect.
/// The outbox key of an erasure's work.
pub fn erasure_key(erasure_id: i64) -> String {
    format!("erase:{erasure_id}")
}

#[async_trait]
pub trait Erasures: Send + Sync {
    /// Records a request to delete an application's interview data everywhere and queues it.
    /// A request already waiting for that application is returned instead of a second one.
    /// Returns the erasure's id and whether it is new.
    async fn request_erasure(
        &self,
        application_id: i64,
        requested_by: &str,
        now: i64,
    ) -> Result<(i64, bool), StoreError>;

    async fn erasure(&self, id: i64) -> Result<Erasure, StoreError>;

    /// The deletions made for an application, newest first.
    async fn erasures_of(&self, application_id: i64) -> Result<Vec<Erasure>, StoreError>;

    /// Marks an erasure done, with its report (ids and outcomes only).
    async fn finish_erasure(
        &self,
        id: i64,
        report: &serde_json::Value,
        now: i64,
    ) -> Result<(), StoreError>;

    /// What is held about an application's interviews, here and (by id) in Willo and the ATS.
    async fn erasure_targets(&self, application_id: i64) -> Result<ErasureTargets, StoreError>;

    /// Removes the interview data of these invitations and participants from this database, in
    /// one transaction: answers, transcripts, summaries, raw JSON, reviews and drafts, queued
    /// and finished side effects (their payloads carry names and answers), the webhook deliveries
    /// that mention the participants, and the activity about them (`application_id`'s too, when
    /// given). Each invitation becomes `erased` without contact details; `why` (which must name
    /// no one) is its last event; the participants are remembered as erased. Then the journal
    /// is emptied, so the old pages go with it.
    async fn purge_interview_data(
        &self,
        invitation_ids: &[i64],
        participant_keys: &[String],
        application_id: Option<i64>,
        why: &str,
        now: i64,
    ) -> Result<LocalRemoval, StoreError>;

    /// Copies the WAL into the database and empties it, so pages that held removed data are not
    /// kept there. A reader in another process (a desktop following `serve`) can keep it from
    /// emptying for a moment, so it is tried for a few seconds. Returns whether it was emptied.
    async fn truncate_journal(&self) -> Result<bool, StoreError>;

    /// Whether a Willo participant's data was removed here (a later read must not store it).
    async fn is_erased_participant(&self, key: &str) -> Result<bool, StoreError>;

    /// Whether the application's interview data was deleted at the candidate's request, or a
    /// deletion is waiting (`pending_only`: only the latter).
    async fn erasure_of(&self, application_id: i64, pending_only: bool)
        -> Result<bool, StoreError>;

    /// Records a file this app exported (`kind`: `candidate` for one application's access
    /// request, `activity` for the log).
    async fn record_export(
        &self,
        path: &str,
        kind: &str,
        application_id: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError>;

    /// The exports that may hold an application's candidate: theirs, and every activity export.
    /// Returns each one's id, path and whether it is theirs outright.
    async fn exports_about(
        &self,
        application_id: i64,
    ) -> Result<Vec<(i64, String, bool)>, StoreError>;

    /// Forgets an export whose file was removed (or is gone).
    async fn forget_export(&self, id: i64) -> Result<(), StoreError>;

    /// Invitations whose interview data the retention period has run out on: written back to
    /// the ATS (its last write) or closed in the ATS before `cutoff`, and not removed yet.
    /// Returns each with its participant keys.
    async fn retention_due(&self, cutoff: i64) -> Result<Vec<(i64, Vec<String>)>, StoreError>;
}

#[async_trait]
impl Erasures for SqliteStore {
    async fn request_erasure(
        &self,
        application_id: i64,
        requested_by: &str,
        now: i64,
    ) -> Result<(i64, bool), StoreError> {
        // The transaction writes first, so it holds the write lock from its first statement: a
        // read first would be refused (SQLITE_BUSY) when another process wrote in between.
        let mut tx = self.writer.begin().await?;
        let created = sqlx::query_scalar!(
            r#"INSERT INTO erasures (application_id, ats_application, ats_candidate, requested_by, requested_at)
               SELECT a.id, a.remote_id, c.remote_id, ?2, ?3 FROM applications a JOIN candidates c ON c.id = a.candidate_id
               WHERE a.id = ?1
                 AND NOT EXISTS (SELECT 1 FROM erasures WHERE application_id = ?1 AND status = 'pending')
               RETURNING id AS "id!: i64""#,
            application_id,
            requested_by,
            now
        )
        .fetch_all(&mut *tx)
        .await?;
        let Some(&id) = created.first() else {
            let waiting = sqlx::query_scalar!(
                r#"SELECT id AS "id!: i64" FROM erasures WHERE application_id = ? AND status = 'pending' ORDER BY id LIMIT 1"#,
                application_id
            )
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound { what: "application", id: application_id })?;
            tx.commit().await?;
            return Ok((waiting, false));
        };
        crate::outbox::insert_item(
            &mut tx,
            "erase",
            &erasure_key(id),
            &json!({ "erasure_id": id }),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok((id, true))
    }

    async fn erasure(&self, id: i64) -> Result<Erasure, StoreError> {
        sqlx::query_as!(
            ErasureRow,
            r#"SELECT id AS "id!", application_id, ats_application, ats_candidate, requested_by, requested_at, status,
                      report, finished_at
               FROM erasures WHERE id = ?"#,
            id
        )
        .fetch_optional(&self.reader)
        .await?
        .map(Erasure::from)
        .ok_or(StoreError::NotFound { what: "erasure", id })
    }

    async fn erasures_of(&self, application_id: i64) -> Result<Vec<Erasure>, StoreError> {
        Ok(sqlx::query_as!(
            ErasureRow,
            r#"SELECT id AS "id!", application_id, ats_application, ats_candidate, requested_by, requested_at, status,
                      report, finished_at
               FROM erasures WHERE application_id = ? ORDER BY id DESC"#,
            application_id
        )
        .fetch_all(&self.reader)
        .await?
        .into_iter()
        .map(Erasure::from)
        .collect())
    }

    async fn finish_erasure(
        &self,
        id: i64,
        report: &serde_json::Value,
        now: i64,
    ) -> Result<(), StoreError> {
        let report = report.to_string();
        sqlx::query!(
            "UPDATE erasures SET status = 'done', report = ?, finished_at = ? WHERE id = ?",
            report,
            now,
            id
        )
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn erasure_targets(&self, application_id: i64) -> Result<ErasureTargets, StoreError> {
        let candidate_name = sqlx::query_scalar!(
            r#"SELECT (c.first_name || ' ' || c.last_name) AS "name!: String"
               FROM applications a JOIN candidates c ON c.id = a.candidate_id WHERE a.id = ?"#,
            application_id
        )
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound {
            what: "application",
            id: application_id,
        })?;
        let invitations = sqlx::query!(
            r#"SELECT i.id AS "id!: i64", iv.key AS interview_key, i.participant_key, i.email,
                      EXISTS (SELECT 1 FROM outbox o WHERE o.key = 'invite:' || i.id AND o.attempts > 0) AS "attempted!: bool"
               FROM invitations i JOIN interviews iv ON iv.id = i.interview_id
               WHERE i.application_id = ? ORDER BY i.id"#,
            application_id
        )
        .fetch_all(&self.reader)
        .await?
        .into_iter()
        .map(|r| ErasableInvitation {
            id: r.id,
            interview_key: r.interview_key,
            participant_key: r.participant_key,
            email: r.email,
            invite_attempted: r.attempted,
        })
        .collect();
        let other_participants = sqlx::query_scalar!(
            r#"SELECT p.key AS "key!" FROM participants p
               WHERE p.invitation_id IN (SELECT id FROM invitations WHERE application_id = ?1)
                  OR (p.invitation_id IS NULL AND json_extract(p.raw, '$.email') COLLATE NOCASE IN (
                        SELECT c.email FROM applications a JOIN candidates c ON c.id = a.candidate_id WHERE a.id = ?1
                        UNION SELECT email FROM invitations WHERE application_id = ?1))
               ORDER BY p.key"#,
            application_id
        )
        .fetch_all(&self.reader)
        .await?;
        let written = sqlx::query_as!(
            WrittenToAts,
            r#"SELECT w.invitation_id, w.target, w.remote_id FROM writebacks w
               JOIN invitations i ON i.id = w.invitation_id
               WHERE i.application_id = ? ORDER BY w.id"#,
            application_id
        )
        .fetch_all(&self.reader)
        .await?;
        Ok(ErasureTargets {
            candidate_name,
            invitations,
            other_participants,
            written,
        })
    }

    async fn purge_interview_data(
        &self,
        invitation_ids: &[i64],
        participant_keys: &[String],
        application_id: Option<i64>,
        why: &str,
        now: i64,
    ) -> Result<LocalRemoval, StoreError> {
        let invitations = serde_json::to_string(invitation_ids)?;
        let keys = serde_json::to_string(participant_keys)?;
        let mut tx = self.writer.begin().await?;
        let answers = sqlx::query!(
            r#"DELETE FROM responses WHERE participant_key IN (SELECT value FROM json_each(?1))
                 OR participant_key IN (SELECT key FROM participants WHERE invitation_id IN (SELECT value FROM json_each(?2)))"#,
            keys,
            invitations
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let participants = sqlx::query!(
            r#"DELETE FROM participants WHERE key IN (SELECT value FROM json_each(?1))
                 OR invitation_id IN (SELECT value FROM json_each(?2))"#,
            keys,
            invitations
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let reviews = sqlx::query!(
            "DELETE FROM reviews WHERE invitation_id IN (SELECT value FROM json_each(?))",
            invitations
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query!(
            "DELETE FROM review_drafts WHERE invitation_id IN (SELECT value FROM json_each(?))",
            invitations
        )
        .execute(&mut *tx)
        .await?;
        let queued_items = sqlx::query!(
            r#"DELETE FROM outbox WHERE kind IN ('invite', 'writeback')
                 AND json_extract(payload, '$.invitation_id') IN (SELECT value FROM json_each(?))"#,
            invitations
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let webhook_deliveries = sqlx::query!(
            // Willo's deliveries only: the ATS's are kept as ids, which name no participant.
            r#"DELETE FROM inbox WHERE source = 'willo' AND EXISTS (SELECT 1 FROM json_each(?) k WHERE instr(inbox.body, k.value) > 0)"#,
            keys
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let activity = sqlx::query!(
            r#"DELETE FROM activity WHERE invitation_id IN (SELECT value FROM json_each(?1))
                 OR (?2 IS NOT NULL AND application_id = ?2)"#,
            invitations,
            application_id
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query!(
            "INSERT OR IGNORE INTO erased_participants (key, erased_at) SELECT value, ? FROM json_each(?)",
            now,
            keys
        )
        .execute(&mut *tx)
        .await?;
        // The steps' times stay (the dashboard counts them); their free text goes.
        sqlx::query!(
            "UPDATE invitation_events SET detail = NULL WHERE invitation_id IN (SELECT value FROM json_each(?))",
            invitations
        )
        .execute(&mut *tx)
        .await?;
        let erased = sqlx::query!(
            r#"UPDATE invitations SET status = 'erased', email = NULL, phone = NULL, refused_reason = NULL, updated_at = ?1
               WHERE id IN (SELECT value FROM json_each(?2))"#,
            now,
            invitations
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query!(
            r#"INSERT INTO invitation_events (invitation_id, status, detail, at)
               SELECT value, 'erased', ?1, ?2 FROM json_each(?3)"#,
            why,
            now,
            invitations
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let journal_emptied = self.truncate_journal().await?;
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        Ok(LocalRemoval {
            journal_emptied,
            invitations: count(erased),
            participants: count(participants),
            answers: count(answers),
            reviews: count(reviews),
            queued_items: count(queued_items),
            webhook_deliveries: count(webhook_deliveries),
            activity: count(activity),
            // Files are not the database's: the engine removes and counts those.
            export_files: 0,
        })
    }

    async fn truncate_journal(&self) -> Result<bool, StoreError> {
        for attempt in 0..20 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
            let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.writer)
                .await?;
            if busy == 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn is_erased_participant(&self, key: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM erased_participants WHERE key = ?) AS "erased!: bool""#,
            key
        )
        .fetch_one(&self.reader)
        .await?)
    }

    async fn erasure_of(
        &self,
        application_id: i64,
        pending_only: bool,
    ) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM erasures WHERE application_id = ?1 AND (?2 = 0 OR status = 'pending')) AS "found!: bool""#,
            application_id,
            pending_only
        )
        .fetch_one(&self.reader)
        .await?)
    }

    async fn record_export(
        &self,
        path: &str,
        kind: &str,
        application_id: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query!(
            r#"INSERT INTO exports (path, kind, application_id, created_at) VALUES (?, ?, ?, ?)
               ON CONFLICT (path) DO UPDATE SET kind = excluded.kind, application_id = excluded.application_id,
                 created_at = excluded.created_at"#,
            path,
            kind,
            application_id,
            now
        )
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn exports_about(
        &self,
        application_id: i64,
    ) -> Result<Vec<(i64, String, bool)>, StoreError> {
        Ok(sqlx::query!(
            r#"SELECT id AS "id!: i64", path, application_id IS ?1 AS "theirs!: bool" FROM exports
               WHERE kind = 'activity' OR application_id = ?1 ORDER BY id"#,
            application_id
        )
        .fetch_all(&self.reader)
        .await?
        .into_iter()
        .map(|r| (r.id, r.path, r.theirs))
        .collect())
    }

    async fn forget_export(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query!("DELETE FROM exports WHERE id = ?", id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn retention_due(&self, cutoff: i64) -> Result<Vec<(i64, Vec<String>)>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT i.id AS "id!: i64",
                      (SELECT json_group_array(p.key) FROM participants p WHERE p.invitation_id = i.id) AS "keys!: String"
               FROM invitations i JOIN applications a ON a.id = i.application_id
               WHERE i.status <> 'erased'
                 AND NOT EXISTS (SELECT 1 FROM erasures e WHERE e.application_id = i.application_id AND e.status = 'pending')
                 AND (EXISTS (SELECT 1 FROM participants p WHERE p.invitation_id = i.id)
                      OR EXISTS (SELECT 1 FROM reviews r WHERE r.invitation_id = i.id))
                 AND ((i.status = 'synced' AND (SELECT MAX(w.written_at) FROM writebacks w WHERE w.invitation_id = i.id) < ?1)
                      OR a.closed_at < ?1)
               ORDER BY i.id"#,
            cutoff
        )
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|r| Ok((r.id, serde_json::from_str(&r.keys)?)))
            .collect()
    }
}
