//! The durable queue of side effects on Willo and the ATS.
//!
//! A worker claims a due row with a lease just before it acts on it; only the lease holder may
//! finish a row. A worker that dies leaves its lease to expire (or to be released by the next
//! process that takes the engine's lock), and the row is claimed again: nothing is lost. An attempt is counted when it is claimed, so a
//! worker that takes a row knows an earlier attempt may have acted even if that worker was killed
//! mid-request. Enqueueing the same `key` twice is a no-op.

use async_trait::async_trait;
use serde::Serialize;

use crate::{SqliteStore, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    Pending,
    Done,
    Failed,
}

impl OutboxStatus {
    /// As either store keeps it in `outbox.status`.
    pub fn parse(value: &str) -> Self {
        match value {
            "done" => Self::Done,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxItem {
    pub id: i64,
    pub kind: String,
    pub key: String,
    pub payload: serde_json::Value,
    pub status: OutboxStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub result: Option<String>,
    /// The recruiter cancelled it after an attempt: look for what that attempt did, then either
    /// link what it made or withdraw it.
    pub withdraw_requested: bool,
}

struct Row {
    id: i64,
    kind: String,
    key: String,
    payload: String,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    last_error: Option<String>,
    result: Option<String>,
    withdraw_requested: i64,
}

impl TryFrom<Row> for OutboxItem {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.id,
            kind: r.kind,
            key: r.key,
            payload: serde_json::from_str(&r.payload)?,
            status: OutboxStatus::parse(&r.status),
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_error: r.last_error,
            result: r.result,
            withdraw_requested: r.withdraw_requested != 0,
        })
    }
}

#[async_trait]
pub trait Outbox: Send + Sync {
    /// Queues a side effect. Returns its id and whether this call created it.
    async fn enqueue(
        &self,
        kind: &str,
        key: &str,
        payload: &serde_json::Value,
        now: i64,
    ) -> Result<(i64, bool), StoreError>;

    /// Queues the items of one write-back (`(key, payload)` each) together, in one transaction,
    /// so no driver sees some without the others (the move waits until none is outstanding).
    /// When any of them is new and the invitation was synced, it goes back to `reopen_to` in the
    /// same transaction, to be synced again once they are written. Returns their ids, in order.
    async fn enqueue_writeback(
        &self,
        invitation_id: i64,
        items: &[(String, serde_json::Value)],
        reopen_to: desk_domain::InvitationStatus,
        now: i64,
    ) -> Result<Vec<i64>, StoreError>;

    /// Leases up to `limit` due rows to `owner` until `now + lease_ms`, oldest first.
    async fn claim_outbox(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError>;

    /// Extends the lease on a row just before acting on it. False when the row is no longer this
    /// owner's to act on (another claim took it, it was finished, or the lease ran out while this
    /// owner was away and another process may be acting on it): then nothing may be done.
    async fn renew_outbox_lease(
        &self,
        id: i64,
        owner: &str,
        now: i64,
        lease_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Marks a leased row done with what the remote side returned. False if the lease was lost
    /// (another worker owns the row now).
    async fn complete_outbox(
        &self,
        id: i64,
        owner: &str,
        result: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError>;

    /// Puts a leased row back to be tried again at `next_attempt_at`.
    async fn retry_outbox_later(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        next_attempt_at: i64,
        attempt_counts: bool,
        now: i64,
    ) -> Result<bool, StoreError>;

    /// Gives up on a leased row: it stays, marked failed with its error, for a person to retry.
    async fn fail_outbox(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        now: i64,
    ) -> Result<bool, StoreError>;

    /// Sends a failed row back to the queue (the "retry" button). A failed or withdrawn invite's
    /// invitation goes back to `queued` with it, in the same transaction. The row keeps its count
    /// of attempts, so an invite that may have reached Willo is looked for before it is sent.
    async fn requeue_failed_outbox(&self, id: i64, now: i64) -> Result<(), StoreError>;

    async fn outbox_item(&self, id: i64) -> Result<OutboxItem, StoreError>;

    /// How many items wait to be sent (due or backing off).
    async fn outbox_pending(&self) -> Result<i64, StoreError>;

    /// How many items whose key starts with `prefix` are not done (waiting, or failed for good):
    /// e.g. what stands between an invitation and "written back".
    async fn outbox_unfinished_with_prefix(&self, prefix: &str) -> Result<i64, StoreError>;

    /// The payload of the latest note of each write-back whose items are all done while its
    /// invitation is not synced: the step after the last item (queueing the move, or marking it
    /// synced) never ran, because the process stopped or the store failed just then. Each
    /// invitation's items are found by a range of the outbox's unique key, not by a scan.
    async fn writebacks_left_unsettled(&self) -> Result<Vec<String>, StoreError>;

    /// Whether an item with this key was ever queued (whatever became of it).
    async fn outbox_has(&self, key: &str) -> Result<bool, StoreError>;

    /// Releases the leases other workers hold. Only the process holding the engine's lock on the
    /// database calls this, when it starts: any lease it finds belongs to a process that died
    /// (the lock was released with it), so its unfinished items go on at once instead of after
    /// the lease expires. Their attempt was counted, so whoever takes them checks before acting.
    /// A store several engines share (PostgreSQL) releases none: another's lease may be live.
    async fn release_leases_of_others(&self, owner: &str) -> Result<u64, StoreError>;

    /// Withdraws a queued item (a cancelled send). An item never attempted is withdrawn at once.
    /// One that was attempted may have reached the other side, so it is only marked: the worker
    /// looks for what that attempt did, then links it or withdraws it. A finished one stays.
    async fn withdraw_outbox(
        &self,
        key: &str,
        reason: &str,
        now: i64,
    ) -> Result<Withdrawal, StoreError>;
}

#[async_trait]
impl Outbox for SqliteStore {
    async fn enqueue(
        &self,
        kind: &str,
        key: &str,
        payload: &serde_json::Value,
        now: i64,
    ) -> Result<(i64, bool), StoreError> {
        let mut conn = self.writer.acquire().await?;
        insert_item(&mut conn, kind, key, payload, now).await
    }

    async fn enqueue_writeback(
        &self,
        invitation_id: i64,
        items: &[(String, serde_json::Value)],
        reopen_to: desk_domain::InvitationStatus,
        now: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.writer.begin().await?;
        let mut ids = Vec::with_capacity(items.len());
        let mut queued_new = false;
        for (key, payload) in items {
            let (id, created) = insert_item(&mut tx, "writeback", key, payload, now).await?;
            queued_new |= created;
            ids.push(id);
        }
        if queued_new {
            crate::invitations::reopen_synced(
                &mut tx,
                invitation_id,
                reopen_to,
                "new results queued for the ATS",
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn claim_outbox(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let until = now + lease_ms;
        let rows = sqlx::query_as!(
            Row,
            r#"UPDATE outbox SET lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
               WHERE id IN (SELECT id FROM outbox
                            WHERE status = 'pending' AND next_attempt_at <= ?
                              AND (lease_until IS NULL OR lease_until <= ?)
                            ORDER BY next_attempt_at, id LIMIT ?)
               RETURNING id AS "id!: i64", kind, key, payload, status, attempts, next_attempt_at, last_error, result, withdraw_requested"#,
            owner,
            until,
            now,
            now,
            now,
            limit
        )
        .fetch_all(&self.writer)
        .await?;
        let mut items: Vec<OutboxItem> = rows
            .into_iter()
            .map(OutboxItem::try_from)
            .collect::<Result<_, _>>()?;
        items.sort_by_key(|i| (i.next_attempt_at, i.id));
        Ok(items)
    }

    async fn renew_outbox_lease(
        &self,
        id: i64,
        owner: &str,
        now: i64,
        lease_ms: i64,
    ) -> Result<bool, StoreError> {
        let until = now + lease_ms;
        let done = sqlx::query!(
            "UPDATE outbox SET lease_until = ?, updated_at = ? WHERE id = ? AND lease_owner = ? AND status = 'pending' AND lease_until > ?",
            until,
            now,
            id,
            owner,
            now
        )
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn complete_outbox(
        &self,
        id: i64,
        owner: &str,
        result: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.end_lease(id, owner, &LeaseEnd::done(result), now)
            .await
    }

    async fn retry_outbox_later(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        next_attempt_at: i64,
        attempt_counts: bool,
        now: i64,
    ) -> Result<bool, StoreError> {
        let end = LeaseEnd::retry(error, next_attempt_at, attempt_counts);
        self.end_lease(id, owner, &end, now).await
    }

    async fn fail_outbox(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.end_lease(id, owner, &LeaseEnd::failed(error), now)
            .await
    }

    async fn requeue_failed_outbox(&self, id: i64, now: i64) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query!(
            r#"UPDATE outbox SET status = 'pending', next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'failed'
               RETURNING kind, json_extract(payload, '$.invitation_id') AS "invitation_id?: i64""#,
            now,
            now,
            id
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound {
            what: "failed outbox item",
            id,
        })?;
        if let (Some(invitation_id), "invite") = (row.invitation_id, row.kind.as_str()) {
            let back = sqlx::query!(
                "UPDATE invitations SET status = 'queued', refused_reason = NULL, updated_at = ? WHERE id = ? AND status IN ('failed', 'refused') AND participant_key IS NULL",
                now,
                invitation_id
            )
            .execute(&mut *tx)
            .await?;
            if back.rows_affected() == 1 {
                sqlx::query!(
                    "INSERT INTO invitation_events (invitation_id, status, detail, at) VALUES (?, 'queued', 'retried by the recruiter', ?)",
                    invitation_id,
                    now
                )
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn outbox_item(&self, id: i64) -> Result<OutboxItem, StoreError> {
        let row = sqlx::query_as!(
            Row,
            r#"SELECT id AS "id!: i64", kind, key, payload, status, attempts, next_attempt_at, last_error, result, withdraw_requested
               FROM outbox WHERE id = ?"#,
            id
        )
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound { what: "outbox item", id })?;
        row.try_into()
    }

    async fn outbox_pending(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM outbox WHERE status = 'pending'"#
        )
        .fetch_one(&self.reader)
        .await?)
    }

    async fn outbox_unfinished_with_prefix(&self, prefix: &str) -> Result<i64, StoreError> {
        // The keys from `prefix` up to (not including) the prefix with its last character
        // raised by one: a range of the unique key's index, where LIKE would scan the table.
        let mut end = prefix.to_owned();
        let last = end
            .pop()
            .map_or('\0', |c| char::from_u32(c as u32 + 1).unwrap_or(char::MAX));
        end.push(last);
        Ok(sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM outbox WHERE key >= ? AND key < ? AND status <> 'done'"#,
            prefix,
            end
        )
        .fetch_one(&self.reader)
        .await?)
    }

    async fn writebacks_left_unsettled(&self) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT (SELECT o.payload FROM outbox o
                       WHERE o.key >= 'writeback:' || i.id || ':note:'
                         AND o.key < 'writeback:' || i.id || ':note;'
                       ORDER BY o.id DESC LIMIT 1) AS "payload!: String"
               FROM invitations i
               WHERE i.status IN ('completed', 'reviewed')
                 AND EXISTS (SELECT 1 FROM outbox d
                             WHERE d.key >= 'writeback:' || i.id || ':note:'
                               AND d.key < 'writeback:' || i.id || ':note;' AND d.status = 'done')
                 AND NOT EXISTS (SELECT 1 FROM outbox u
                                 WHERE u.key >= 'writeback:' || i.id || ':'
                                   AND u.key < 'writeback:' || i.id || ';' AND u.status <> 'done')
               ORDER BY i.id"#
        )
        .fetch_all(&self.reader)
        .await?)
    }

    async fn outbox_has(&self, key: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM outbox WHERE key = ?"#,
            key
        )
        .fetch_one(&self.reader)
        .await?
            > 0)
    }

    async fn release_leases_of_others(&self, owner: &str) -> Result<u64, StoreError> {
        // Claims are owned as `<owner>#<n>`: this process's own are kept.
        let own = format!("{owner}#");
        let done = sqlx::query!(
            "UPDATE outbox SET lease_owner = NULL, lease_until = NULL
             WHERE status = 'pending' AND lease_owner IS NOT NULL AND lease_owner != ?
               AND substr(lease_owner, 1, length(?)) != ?",
            owner,
            own,
            own
        )
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    async fn withdraw_outbox(
        &self,
        key: &str,
        reason: &str,
        now: i64,
    ) -> Result<Withdrawal, StoreError> {
        let mut tx = self.writer.begin().await?;
        let untried = sqlx::query!(
            r#"UPDATE outbox SET status = 'failed', last_error = ?, updated_at = ?
               WHERE key = ? AND status = 'pending' AND attempts = 0"#,
            reason,
            now,
            key
        )
        .execute(&mut *tx)
        .await?;
        let outcome = if untried.rows_affected() == 1 {
            Withdrawal::Withdrawn
        } else {
            let marked = sqlx::query!(
                r#"UPDATE outbox SET withdraw_requested = 1, next_attempt_at = MIN(next_attempt_at, ?), updated_at = ?
                   WHERE key = ? AND status = 'pending'"#,
                now,
                now,
                key
            )
            .execute(&mut *tx)
            .await?;
            if marked.rows_affected() == 1 {
                Withdrawal::AfterLooking
            } else {
                Withdrawal::TooLate
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }
}

impl SqliteStore {
    /// Writes how a claim ended and releases its lease, only while `owner` still holds it. False
    /// when the lease was lost (another worker owns the row now): then nothing is written.
    async fn end_lease(
        &self,
        id: i64,
        owner: &str,
        end: &LeaseEnd<'_>,
        now: i64,
    ) -> Result<bool, StoreError> {
        // Only `done` sets a result, and the row is pending here, so a retry or a failure writing
        // `result` (as `None`) leaves it as it was.
        let done = sqlx::query!(
            r#"UPDATE outbox SET status = ?, result = ?, last_error = ?,
                 next_attempt_at = COALESCE(?, next_attempt_at), attempts = MAX(attempts - ?, 0),
                 lease_owner = NULL, lease_until = NULL, updated_at = ?
               WHERE id = ? AND lease_owner = ? AND status = 'pending'"#,
            end.status,
            end.result,
            end.error,
            end.next_attempt_at,
            end.given_back,
            now,
            id,
            owner
        )
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// What ending a claim writes to its row (each store's `end_lease`).
pub struct LeaseEnd<'a> {
    /// `pending` again, `done` or `failed`.
    pub status: &'static str,
    /// What the remote side returned (done rows only).
    pub result: Option<&'a str>,
    /// Why it is retried or failed; a done row clears it.
    pub error: Option<&'a str>,
    /// When it is tried again; `None` keeps it.
    pub next_attempt_at: Option<i64>,
    /// Attempts handed back (a throttled attempt that reached nothing).
    pub given_back: i64,
}

impl<'a> LeaseEnd<'a> {
    /// Done, with what the remote side returned.
    pub fn done(result: Option<&'a str>) -> Self {
        Self {
            status: "done",
            result,
            error: None,
            next_attempt_at: None,
            given_back: 0,
        }
    }

    /// Pending again at `next_attempt_at`. A throttled attempt reached nothing (the service
    /// refused it unread): it is given back.
    pub fn retry(error: &'a str, next_attempt_at: i64, attempt_counts: bool) -> Self {
        Self {
            status: "pending",
            result: None,
            error: Some(error),
            next_attempt_at: Some(next_attempt_at),
            given_back: i64::from(!attempt_counts),
        }
    }

    /// Failed for good, for a person to retry.
    pub fn failed(error: &'a str) -> Self {
        Self {
            status: "failed",
            result: None,
            error: Some(error),
            next_attempt_at: None,
            given_back: 0,
        }
    }
}

/// What cancelling a queued item did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withdrawal {
    /// It was never attempted: withdrawn.
    Withdrawn,
    /// It was attempted before: the worker looks for what that attempt did first.
    AfterLooking,
    /// It is finished already (sent, or failed for good).
    TooLate,
}

/// Inserts a row unless its key is queued already. Returns its id and whether it is new.
pub(crate) async fn insert_item(
    conn: &mut sqlx::SqliteConnection,
    kind: &str,
    key: &str,
    payload: &serde_json::Value,
    now: i64,
) -> Result<(i64, bool), StoreError> {
    let payload = payload.to_string();
    let created = sqlx::query_scalar!(
        r#"INSERT INTO outbox (kind, key, payload, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (key) DO NOTHING RETURNING id AS "id!: i64""#,
        kind,
        key,
        payload,
        now,
        now,
        now
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .next();
    if let Some(id) = created {
        return Ok((id, true));
    }
    let id = sqlx::query_scalar!(r#"SELECT id AS "id!: i64" FROM outbox WHERE key = ?"#, key)
        .fetch_one(&mut *conn)
        .await?;
    Ok((id, false))
}
