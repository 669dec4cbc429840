//! Invitations: the link between an ATS application and a Willo participant, with its history.
//! This link is the source of truth for "already invited".

use async_trait::async_trait;
use desk_domain::InvitationStatus;
use desk_store::{
    Invitation, InvitationSubject, Invitations, InviteTarget, OpenInvitation, StoreError, ToCheck,
};

use crate::PgStore;

#[async_trait]
impl Invitations for PgStore {
    #[allow(clippy::too_many_arguments)]
    async fn upsert_interview(
        &self,
        connection_id: i64,
        key: &str,
        title: &str,
        department: Option<&str>,
        language: Option<&str>,
        questions: &serde_json::Value,
        raw: &serde_json::Value,
        now: i64,
    ) -> Result<i64, StoreError> {
        let questions = questions.to_string();
        let raw = raw.to_string();
        Ok(sqlx::query_scalar!(
            r#"INSERT INTO interviews (connection_id, key, title, department, language, questions, raw, synced_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
               ON CONFLICT (connection_id, key) DO UPDATE SET title = excluded.title, department = excluded.department,
                 language = excluded.language, questions = excluded.questions, raw = excluded.raw, synced_at = excluded.synced_at
               RETURNING id"#,
            connection_id,
            key,
            title,
            department,
            language,
            questions,
            raw,
            now
        )
        .fetch_one(&self.pool)
        .await?)
    }

    async fn invite_target(&self, application_id: i64) -> Result<InviteTarget, StoreError> {
        sqlx::query_as!(
            InviteTarget,
            r#"SELECT a.id AS application_id, c.first_name, c.last_name, c.email, c.phone
               FROM applications a JOIN candidates c ON c.id = a.candidate_id WHERE a.id = $1"#,
            application_id
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            what: "application",
            id: application_id,
        })
    }

    async fn application_id(
        &self,
        connection_id: i64,
        remote_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar!(
            "SELECT id FROM applications WHERE connection_id = $1 AND remote_id = $2",
            connection_id,
            remote_id
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn application_remote_id(
        &self,
        application_id: i64,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar!(
            "SELECT remote_id FROM applications WHERE id = $1",
            application_id
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn applications_by_email(&self, email: &str) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT a.id AS "id!" FROM applications a JOIN candidates c ON c.id = a.candidate_id
               WHERE lower(c.email) = lower($1)
               UNION SELECT application_id FROM invitations WHERE lower(email) = lower($1)
               ORDER BY 1"#,
            email
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn blocking_invitations(
        &self,
        interview_id: i64,
        application_id: i64,
        email: &str,
    ) -> Result<Vec<Invitation>, StoreError> {
        Ok(sqlx::query_as!(
            Invitation,
            r#"SELECT i.id, i.application_id, i.interview_id, iv.key AS interview_key, i.participant_key, i.status AS "status: InvitationStatus",
                      i.email, i.refused_reason, i.created_at, i.updated_at
               FROM invitations i JOIN interviews iv ON iv.id = i.interview_id
               WHERE i.interview_id = $1 AND i.status <> 'refused'
                 AND (i.application_id = $2 OR lower(i.email) = lower($3))"#,
            interview_id,
            application_id,
            email
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn queue_invitation(
        &self,
        application_id: i64,
        interview_id: i64,
        email: &str,
        phone: Option<&str>,
        payload: &serde_json::Value,
        now: i64,
    ) -> Result<(i64, i64), StoreError> {
        let mut tx = self.pool.begin().await?;
        // The caller's check of `blocking_invitations` ran outside this transaction, and another
        // replica may queue the same person (another application, same email) meanwhile: queueing
        // to one interview is serialised on its row and the email checked again under that lock.
        // The same application is guarded by the unique (application, interview) below.
        sqlx::query!(
            "SELECT id FROM interviews WHERE id = $1 FOR NO KEY UPDATE",
            interview_id
        )
        .fetch_optional(&mut *tx)
        .await?;
        let taken = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM invitations
                              WHERE interview_id = $1 AND application_id <> $2 AND status <> 'refused'
                                AND lower(email) = lower($3)) AS "taken!""#,
            interview_id,
            application_id,
            email
        )
        .fetch_one(&mut *tx)
        .await?;
        if taken {
            return Err(StoreError::NotFound {
                what: "invitable application (someone with the same email is already invited)",
                id: application_id,
            });
        }
        let invitation_id = sqlx::query_scalar!(
            r#"INSERT INTO invitations (application_id, interview_id, status, email, phone, created_at, updated_at)
               VALUES ($1, $2, 'queued', $3, $4, $5, $5)
               ON CONFLICT (application_id, interview_id) DO UPDATE SET status = 'queued', email = excluded.email,
                 phone = excluded.phone, refused_reason = NULL, updated_at = excluded.updated_at
               WHERE invitations.status = 'refused'
               RETURNING id"#,
            application_id,
            interview_id,
            email,
            phone,
            now
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound { what: "invitable application (it is already invited)", id: application_id })?;
        sqlx::query!(
            "INSERT INTO invitation_events (invitation_id, status, detail, at) VALUES ($1, 'queued', NULL, $2)",
            invitation_id,
            now
        )
        .execute(&mut *tx)
        .await?;
        let key = format!("invite:{invitation_id}");
        let mut payload = payload.clone();
        payload["invitation_id"] = invitation_id.into();
        let payload = payload.to_string();
        let outbox_id = sqlx::query_scalar!(
            r#"INSERT INTO outbox (kind, key, payload, next_attempt_at, created_at, updated_at) VALUES ('invite', $1, $2, $3, $3, $3)
               ON CONFLICT (key) DO UPDATE SET status = 'pending', payload = excluded.payload, next_attempt_at = excluded.next_attempt_at,
                 withdraw_requested = false, last_error = NULL, updated_at = excluded.updated_at
               RETURNING id"#,
            key,
            payload,
            now
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((invitation_id, outbox_id))
    }

    async fn refuse_invitation(
        &self,
        application_id: i64,
        interview_id: i64,
        reason: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = sqlx::query_scalar!(
            r#"INSERT INTO invitations (application_id, interview_id, status, refused_reason, created_at, updated_at)
               VALUES ($1, $2, 'refused', $3, $4, $4)
               ON CONFLICT (application_id, interview_id) DO UPDATE SET refused_reason = excluded.refused_reason,
                 updated_at = excluded.updated_at
               WHERE invitations.status = 'refused'
               RETURNING id"#,
            application_id,
            interview_id,
            reason,
            now
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound { what: "refusable invitation (it is already invited)", id: application_id })?;
        sqlx::query!(
            "INSERT INTO invitation_events (invitation_id, status, detail, at) VALUES ($1, 'refused', $2, $3)",
            id,
            reason,
            now
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn invitation(&self, id: i64) -> Result<Invitation, StoreError> {
        sqlx::query_as!(
            Invitation,
            r#"SELECT i.id, i.application_id, i.interview_id, iv.key AS interview_key, i.participant_key, i.status AS "status: InvitationStatus",
                      i.email, i.refused_reason, i.created_at, i.updated_at
               FROM invitations i JOIN interviews iv ON iv.id = i.interview_id WHERE i.id = $1"#,
            id
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound { what: "invitation", id })
    }

    async fn settled_invitations(
        &self,
        ids: &[i64],
    ) -> Result<Vec<(i64, InvitationStatus)>, StoreError> {
        Ok(sqlx::query!(
            r#"SELECT id, status AS "status: InvitationStatus" FROM invitations
               WHERE id = ANY($1) AND status <> 'queued'"#,
            ids
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| (r.id, r.status))
        .collect())
    }

    async fn invitation_by_participant(
        &self,
        participant_key: &str,
    ) -> Result<Option<Invitation>, StoreError> {
        Ok(sqlx::query_as!(
            Invitation,
            r#"SELECT i.id, i.application_id, i.interview_id, iv.key AS interview_key, i.participant_key, i.status AS "status: InvitationStatus",
                      i.email, i.refused_reason, i.created_at, i.updated_at
               FROM invitations i JOIN interviews iv ON iv.id = i.interview_id WHERE i.participant_key = $1"#,
            participant_key
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn invitation_by_email(
        &self,
        interview_key: &str,
        email: &str,
    ) -> Result<Option<Invitation>, StoreError> {
        Ok(sqlx::query_as!(
            Invitation,
            r#"SELECT i.id, i.application_id, i.interview_id, iv.key AS interview_key, i.participant_key, i.status AS "status: InvitationStatus",
                      i.email, i.refused_reason, i.created_at, i.updated_at
               FROM invitations i JOIN interviews iv ON iv.id = i.interview_id
               WHERE iv.key = $1 AND lower(i.email) = lower($2)
               ORDER BY i.id DESC LIMIT 1"#,
            interview_key,
            email
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn mark_invited(
        &self,
        invitation_id: i64,
        participant_key: &str,
        detail: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query!(
            r#"UPDATE invitations SET participant_key = $1, refused_reason = NULL, updated_at = $2,
                 status = CASE WHEN status IN ('queued', 'refused', 'failed') THEN 'invited' ELSE status END
               WHERE id = $3 AND participant_key IS NULL"#,
            participant_key,
            now,
            invitation_id
        )
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            sqlx::query!(
                "INSERT INTO invitation_events (invitation_id, status, detail, at) VALUES ($1, 'invited', $2, $3)",
                invitation_id,
                detail,
                now
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn follow_participant(
        &self,
        invitation_id: i64,
        participant_key: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query!(
            "UPDATE invitations SET participant_key = $1, updated_at = $2 WHERE id = $3",
            participant_key,
            now,
            invitation_id
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE participants SET invitation_id = $1 WHERE key = $2",
            invitation_id,
            participant_key
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn advance_invitation(
        &self,
        invitation_id: i64,
        status: InvitationStatus,
        detail: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The status is read locked: a replica advancing the same invitation at once waits, then
        // decides on the status this one wrote (never moving it back, nor recording a step twice).
        let current = sqlx::query_scalar!(
            r#"SELECT status AS "status: InvitationStatus" FROM invitations WHERE id = $1 FOR UPDATE"#,
            invitation_id
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound {
            what: "invitation",
            id: invitation_id,
        })?;
        if !current.advances_to(status) {
            return Ok(false);
        }
        sqlx::query!(
            "UPDATE invitations SET status = $1, updated_at = $2 WHERE id = $3",
            status.as_str(),
            now,
            invitation_id
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "INSERT INTO invitation_events (invitation_id, status, detail, at) VALUES ($1, $2, $3, $4)",
            invitation_id,
            status.as_str(),
            detail,
            now
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn withdraw_invitation(
        &self,
        invitation_id: i64,
        reason: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query!(
            "UPDATE invitations SET status = 'refused', refused_reason = $1, updated_at = $2 WHERE id = $3 AND status = 'queued'",
            reason,
            now,
            invitation_id
        )
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            sqlx::query!(
                "INSERT INTO invitation_events (invitation_id, status, detail, at) VALUES ($1, 'refused', $2, $3)",
                invitation_id,
                reason,
                now
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn fail_invitation(
        &self,
        invitation_id: i64,
        error: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query!(
            "UPDATE invitations SET status = 'failed', refused_reason = $1, updated_at = $2 WHERE id = $3",
            error,
            now,
            invitation_id
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "INSERT INTO invitation_events (invitation_id, status, detail, at) VALUES ($1, 'failed', $2, $3)",
            invitation_id,
            error,
            now
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn open_invitations(&self, limit: i64) -> Result<Vec<OpenInvitation>, StoreError> {
        Ok(sqlx::query_as!(
            OpenInvitation,
            r#"SELECT id, participant_key AS "participant_key!", status AS "status: InvitationStatus" FROM invitations
               WHERE status IN ('invited', 'opened', 'started') AND participant_key IS NOT NULL
               ORDER BY checked_at NULLS FIRST, created_at, id LIMIT $1"#,
            limit
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn invitations_to_check(&self) -> Result<Vec<ToCheck>, StoreError> {
        Ok(sqlx::query_as!(
            ToCheck,
            r#"SELECT i.id, i.participant_key AS "participant_key!", i.status AS "status: InvitationStatus",
                      iv.key AS interview_key, i.created_at, i.checked_at
               FROM invitations i JOIN interviews iv ON iv.id = i.interview_id
               WHERE i.status IN ('invited', 'opened', 'started') AND i.participant_key IS NOT NULL"#
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn stray_participants(&self, limit: i64) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT p.key FROM participants p JOIN invitations i ON i.id = p.invitation_id
               WHERE p.key <> i.participant_key AND p.status <> 'completed'
                 AND i.status IN ('invited', 'opened', 'started')
               ORDER BY p.fetched_at LIMIT $1"#,
            limit
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn recently_completed(
        &self,
        completed_since: i64,
        checked_before: i64,
        limit: i64,
    ) -> Result<Vec<OpenInvitation>, StoreError> {
        Ok(sqlx::query_as!(
            OpenInvitation,
            r#"SELECT i.id, i.participant_key AS "participant_key!", i.status AS "status: InvitationStatus" FROM invitations i
               WHERE i.status IN ('completed', 'reviewed', 'synced') AND i.participant_key IS NOT NULL
                 AND (i.checked_at IS NULL OR i.checked_at < $1)
                 AND EXISTS (SELECT 1 FROM invitation_events e
                             WHERE e.invitation_id = i.id AND e.status = 'completed' AND e.at >= $2)
               ORDER BY i.checked_at NULLS FIRST, i.id LIMIT $3"#,
            checked_before,
            completed_since,
            limit
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn mark_many_checked(&self, invitation_ids: &[i64], now: i64) -> Result<(), StoreError> {
        if invitation_ids.is_empty() {
            return Ok(());
        }
        sqlx::query!(
            "UPDATE invitations SET checked_at = $1 WHERE id = ANY($2)",
            now,
            invitation_ids
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn mark_checked(&self, invitation_id: i64, now: i64) -> Result<(), StoreError> {
        sqlx::query!(
            "UPDATE invitations SET checked_at = $1 WHERE id = $2",
            now,
            invitation_id
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn invitation_subject(
        &self,
        invitation_id: i64,
    ) -> Result<InvitationSubject, StoreError> {
        sqlx::query_as!(
            InvitationSubject,
            r#"SELECT c.first_name, c.last_name, iv.title AS interview_title, j.title AS job_title
               FROM invitations i
               JOIN applications a ON a.id = i.application_id
               JOIN candidates c ON c.id = a.candidate_id
               JOIN jobs j ON j.id = a.job_id
               JOIN interviews iv ON iv.id = i.interview_id
               WHERE i.id = $1"#,
            invitation_id
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound {
            what: "invitation",
            id: invitation_id,
        })
    }

    async fn invitation_history(
        &self,
        invitation_id: i64,
    ) -> Result<Vec<(String, Option<String>, i64)>, StoreError> {
        let rows = sqlx::query!(
            "SELECT status, detail, at FROM invitation_events WHERE invitation_id = $1 ORDER BY at, id",
            invitation_id
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.status, r.detail, r.at))
            .collect())
    }
}
