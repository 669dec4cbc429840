//! The durable queue of side effects on Willo and the ATS.

use async_trait::async_trait;
use desk_domain::InvitationStatus;
use desk_store::{LeaseEnd, Outbox, OutboxItem, OutboxStatus, StoreError, Withdrawal};

use crate::PgStore;

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
    withdraw_requested: bool,
}

fn item(r: Row) -> Result<OutboxItem, StoreError> {
    Ok(OutboxItem {
        id: r.id,
        kind: r.kind,
        key: r.key,
        payload: serde_json::from_str(&r.payload)?,
        status: OutboxStatus::parse(&r.status),
        attempts: r.attempts,
        next_attempt_at: r.next_attempt_at,
        last_error: r.last_error,
        result: r.result,
        withdraw_requested: r.withdraw_requested,
    })
}

#[async_trait]
impl Outbox for PgStore {
    async fn enqueue(
        &self,
        kind: &str,
        key: &str,
        payload: &serde_json::Value,
        now: i64,
    ) -> Result<(i64, bool), StoreError> {
        let mut conn = self.pool.acquire().await?;
        insert_item(&mut conn, kind, key, payload, now).await
    }

    async fn enqueue_writeback(
        &self,
        invitation_id: i64,
        items: &[(String, serde_json::Value)],
        reopen_to: InvitationStatus,
        now: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut ids = Vec::with_capacity(items.len());
        let mut queued_new = false;
        for (key, payload) in items {
            let (id, created) = insert_item(&mut tx, "writeback", key, payload, now).await?;
            queued_new |= created;
            ids.push(id);
        }
        if queued_new {
            reopen_synced(
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
        // Replicas claim side by side: each locks the due rows it takes and skips those another
        // is taking, so no row is leased twice (the lock re-checks the lease on a row just taken).
        let rows = sqlx::query_as!(
            Row,
            r#"UPDATE outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1, updated_at = $3
               WHERE id = ANY(ARRAY(SELECT id FROM outbox
                                    WHERE status = 'pending' AND next_attempt_at <= $3
                                      AND (lease_until IS NULL OR lease_until <= $3)
                                    ORDER BY next_attempt_at, id LIMIT $4
                                    FOR UPDATE SKIP LOCKED))
               RETURNING id, kind, key, payload, status, attempts, next_attempt_at, last_error, result, withdraw_requested"#,
            owner,
            until,
            now,
            limit
        )
        .fetch_all(&self.pool)
        .await?;
        let mut items: Vec<OutboxItem> = rows.into_iter().map(item).collect::<Result<_, _>>()?;
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
            "UPDATE outbox SET lease_until = $1, updated_at = $2
             WHERE id = $3 AND lease_owner = $4 AND status = 'pending' AND lease_until > $2",
            until,
            now,
            id,
            owner
        )
        .execute(&self.pool)
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
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query!(
            r#"UPDATE outbox SET status = 'pending', next_attempt_at = $1, updated_at = $1 WHERE id = $2 AND status = 'failed'
               RETURNING kind, (payload::jsonb ->> 'invitation_id')::BIGINT AS invitation_id"#,
            now,
            id
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound {
            what: "failed outbox item",
            id,
        })?;
        if let (Some(invitation_id), "invite") = (row.invitation_id, row.kind.as_str()) {
            let back = sqlx::query!(
                "UPDATE invitations SET status = 'queued', refused_reason = NULL, updated_at = $1
                 WHERE id = $2 AND status IN ('failed', 'refused') AND participant_key IS NULL",
                now,
                invitation_id
            )
            .execute(&mut *tx)
            .await?;
            if back.rows_affected() == 1 {
                sqlx::query!(
                    "INSERT INTO invitation_events (invitation_id, status, detail, at) VALUES ($1, 'queued', 'retried by the recruiter', $2)",
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
            r#"SELECT id, kind, key, payload, status, attempts, next_attempt_at, last_error, result, withdraw_requested
               FROM outbox WHERE id = $1"#,
            id
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound { what: "outbox item", id })?;
        item(row)
    }

    async fn outbox_pending(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!" FROM outbox WHERE status = 'pending'"#)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn outbox_unfinished_with_prefix(&self, prefix: &str) -> Result<i64, StoreError> {
        // The keys from `prefix` up to (not including) the prefix with its last character
        // raised by one. Compared in code point order (COLLATE "C", SQLite's BINARY) whatever
        // the database's collation: another may put ';' before ':' and mix invitations' keys.
        // An empty prefix ends at U+0001, not SQLite's NUL, which PostgreSQL text cannot hold.
        let mut end = prefix.to_owned();
        let last = end.pop().map_or('\u{1}', |c| {
            char::from_u32(u32::from(c) + 1).unwrap_or(char::MAX)
        });
        end.push(last);
        Ok(sqlx::query_scalar!(
            r#"SELECT COUNT(*) AS "n!" FROM outbox
               WHERE key COLLATE "C" >= $1 AND key COLLATE "C" < $2 AND status <> 'done'"#,
            prefix,
            end
        )
        .fetch_one(&self.pool)
        .await?)
    }

    async fn writebacks_left_unsettled(&self) -> Result<Vec<String>, StoreError> {
        // Key ranges in code point order (COLLATE "C"), as in `outbox_unfinished_with_prefix`.
        Ok(sqlx::query_scalar!(
            r#"SELECT (SELECT o.payload FROM outbox o
                       WHERE o.key COLLATE "C" >= 'writeback:' || i.id || ':note:'
                         AND o.key COLLATE "C" < 'writeback:' || i.id || ':note;'
                       ORDER BY o.id DESC LIMIT 1) AS "payload!"
               FROM invitations i
               WHERE i.status IN ('completed', 'reviewed')
                 AND EXISTS (SELECT 1 FROM outbox d
                             WHERE d.key COLLATE "C" >= 'writeback:' || i.id || ':note:'
                               AND d.key COLLATE "C" < 'writeback:' || i.id || ':note;' AND d.status = 'done')
                 AND NOT EXISTS (SELECT 1 FROM outbox u
                                 WHERE u.key COLLATE "C" >= 'writeback:' || i.id || ':'
                                   AND u.key COLLATE "C" < 'writeback:' || i.id || ';' AND u.status <> 'done')
               ORDER BY i.id"#
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn outbox_has(&self, key: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM outbox WHERE key = $1) AS "found!""#,
            key
        )
        .fetch_one(&self.pool)
        .await?)
    }

    async fn release_leases_of_others(&self, _owner: &str) -> Result<u64, StoreError> {
        // Several replicas run engines on this database at once: another's lease may be live,
        // and releasing it would let two workers act on one row. Leases of a replica that died
        // expire, and its rows are claimed again then.
        Ok(0)
    }

    async fn withdraw_outbox(
        &self,
        key: &str,
        reason: &str,
        now: i64,
    ) -> Result<Withdrawal, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The row is locked first, so no claim or lease end lands between the two updates below
        // (SQLite's single writer gave that).
        sqlx::query_scalar!("SELECT id FROM outbox WHERE key = $1 FOR UPDATE", key)
            .fetch_optional(&mut *tx)
            .await?;
        let untried = sqlx::query!(
            r#"UPDATE outbox SET status = 'failed', last_error = $1, updated_at = $2
               WHERE key = $3 AND status = 'pending' AND attempts = 0"#,
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
                r#"UPDATE outbox SET withdraw_requested = true, next_attempt_at = LEAST(next_attempt_at, $1), updated_at = $1
                   WHERE key = $2 AND status = 'pending'"#,
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

impl PgStore {
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
            r#"UPDATE outbox SET status = $1, result = $2, last_error = $3,
                 next_attempt_at = COALESCE($4::BIGINT, next_attempt_at), attempts = GREATEST(attempts - $5, 0),
                 lease_owner = NULL, lease_until = NULL, updated_at = $6
               WHERE id = $7 AND lease_owner = $8 AND status = 'pending'"#,
            end.status,
            end.result,
            end.error,
            end.next_attempt_at,
            end.given_back,
            now,
            id,
            owner
        )
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// Inserts a row unless its key is queued already. Returns its id and whether it is new.
pub(crate) async fn insert_item(
    conn: &mut sqlx::PgConnection,
    kind: &str,
    key: &str,
    payload: &serde_json::Value,
    now: i64,
) -> Result<(i64, bool), StoreError> {
    let payload = payload.to_string();
    // A replica inserting the same key at once makes this wait for it, then do nothing; the
    // SELECT (a new snapshot under READ COMMITTED) then sees its row.
    let created = sqlx::query_scalar!(
        r#"INSERT INTO outbox (kind, key, payload, next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $4, $4)
           ON CONFLICT (key) DO NOTHING RETURNING id"#,
        kind,
        key,
        payload,
        now
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = created {
        return Ok((id, true));
    }
    let id = sqlx::query_scalar!("SELECT id FROM outbox WHERE key = $1", key)
        .fetch_one(&mut *conn)
        .await?;
    Ok((id, false))
}

/// Sends a synced invitation back to `status`, with its event (desk-store's
/// `invitations::reopen_synced`). The condition is in the UPDATE, so a status change committed
/// alongside is seen before it is decided.
async fn reopen_synced(
    conn: &mut sqlx::PgConnection,
    invitation_id: i64,
    status: InvitationStatus,
    detail: &str,
    now: i64,
) -> Result<(), StoreError> {
    let done = sqlx::query!(
        "UPDATE invitations SET status = $1, updated_at = $2 WHERE id = $3 AND status = 'synced'",
        status.as_str(),
        now,
        invitation_id
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        sqlx::query!(
            "INSERT INTO invitation_events (invitation_id, status, detail, at) VALUES ($1, $2, $3, $4)",
            invitation_id,
            status.as_str(),
            detail,
            now
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
