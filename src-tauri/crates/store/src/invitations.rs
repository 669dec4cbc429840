//! Invitations: the link between an ATS application and a Willo participant, with its history.
//! This link is the source of truth for "already invited".

use async_trait::async_trait;
use desk_domain::InvitationStatus;
use serde::Serialize;

use crate::{SqliteStore, StoreError};

/// What an invitation needs to know about the candidate behind an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteTarget {
    pub application_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invitation {
    pub id: i64,
    pub application_id: i64,
    pub interview_id: i64,
    pub interview_key: String,
    pub participant_key: Option<String>,
    pub status: InvitationStatus,
    pub email: Option<String>,
    pub refused_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationSubject {
    pub first_name: String,
    pub last_name: String,
    pub interview_title: String,
    pub job_title: String,
}

/// An invitation still waiting on the candidate, as the reconcile sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInvitation {
    pub id: i64,
    pub participant_key: String,
    pub status: InvitationStatus,
}

/// An open invitation with what the catch-up plans by: its interview, when it went out and when
/// it was last checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToCheck {
    pub id: i64,
    pub participant_key: String,
    pub status: InvitationStatus,
    pub interview_key: String,
    pub created_at: i64,
    pub checked_at: Option<i64>,
}

#[async_trait]
pub trait Invitations: Send + Sync {
    /// Records a Willo interview (from a list or detail call) and returns its local id.
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
    ) -> Result<i64, StoreError>;

    async fn invite_target(&self, application_id: i64) -> Result<InviteTarget, StoreError>;

    /// Applications of a connection by their ATS ids (so callers can work in ATS terms).
    async fn application_id(
        &self,
        connection_id: i64,
        remote_id: &str,
    ) -> Result<Option<i64>, StoreError>;

    /// The ATS's id of an application, if it is held.
    async fn application_remote_id(
        &self,
        application_id: i64,
    ) -> Result<Option<String>, StoreError>;

    /// Every application held about the person with this email, in any connected ATS: the
    /// ATS's email, or the one an invitation went to (the ATS may have anonymised them already).
    /// How a request about a person, who gives their email, finds what is held.
    async fn applications_by_email(&self, email: &str) -> Result<Vec<i64>, StoreError>;

    /// Invitations to one interview that block a new one: the same application, or any
    /// application with the same email (one person applying twice), unless refused.
    async fn blocking_invitations(
        &self,
        interview_id: i64,
        application_id: i64,
        email: &str,
    ) -> Result<Vec<Invitation>, StoreError>;

    /// Queues an invitation and its outbox item in one transaction: both or neither. A refused
    /// invitation for the same pair is reused (the recruiter fixed the data and tries again); its
    /// outbox item keeps the count of earlier attempts, so one that may have reached Willo is
    /// looked for before anything is sent again.
    async fn queue_invitation(
        &self,
        application_id: i64,
        interview_id: i64,
        email: &str,
        phone: Option<&str>,
        payload: &serde_json::Value,
        now: i64,
    ) -> Result<(i64, i64), StoreError>;

    /// Records that checks refused an invitation, and why (shown to the recruiter).
    async fn refuse_invitation(
        &self,
        application_id: i64,
        interview_id: i64,
        reason: &str,
        now: i64,
    ) -> Result<i64, StoreError>;

    async fn invitation(&self, id: i64) -> Result<Invitation, StoreError>;

    /// The status of each of `ids` that is no longer `queued` (one query for a whole bulk send).
    async fn settled_invitations(
        &self,
        ids: &[i64],
    ) -> Result<Vec<(i64, InvitationStatus)>, StoreError>;

    async fn invitation_by_participant(
        &self,
        participant_key: &str,
    ) -> Result<Option<Invitation>, StoreError>;

    /// The newest invitation to an interview for an email: how a participant that no invitation
    /// links yet (found after an invite whose answer was lost, or invited twice in the past) is
    /// matched to its application.
    async fn invitation_by_email(
        &self,
        interview_key: &str,
        email: &str,
    ) -> Result<Option<Invitation>, StoreError>;

    /// Links the participant Willo created to an invitation that has none yet (the link is what
    /// dedupe and reconcile rely on). Also for one found after the fact: Willo acted on an invite
    /// whose answer was lost, or on one withdrawn after it went out. Either way the candidate was
    /// invited, so the invitation says so. False when the invitation has a participant already.
    async fn mark_invited(
        &self,
        invitation_id: i64,
        participant_key: &str,
        detail: &str,
        now: i64,
    ) -> Result<bool, StoreError>;

    /// Makes an invitation follow another of its candidate's participants (one invited twice in
    /// the past, who answered the second invitation): its answers are the ones reviewed and
    /// written back.
    async fn follow_participant(
        &self,
        invitation_id: i64,
        participant_key: &str,
        now: i64,
    ) -> Result<(), StoreError>;

    /// Moves an invitation forward (never back) and records the step. Returns whether it moved.
    async fn advance_invitation(
        &self,
        invitation_id: i64,
        status: InvitationStatus,
        detail: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError>;

    /// Takes back a queued invitation that was never sent: it becomes refused with the reason,
    /// so it can be sent again later.
    async fn withdraw_invitation(
        &self,
        invitation_id: i64,
        reason: &str,
        now: i64,
    ) -> Result<(), StoreError>;

    /// Marks an invitation failed, with the error a person needs to act on.
    async fn fail_invitation(
        &self,
        invitation_id: i64,
        error: &str,
        now: i64,
    ) -> Result<(), StoreError>;

    /// Open invitations (invited, opened, started), least recently checked first.
    async fn open_invitations(&self, limit: i64) -> Result<Vec<OpenInvitation>, StoreError>;

    /// Every open invitation (sent, not yet completed), for the catch-up to plan its sweep.
    async fn invitations_to_check(&self) -> Result<Vec<ToCheck>, StoreError>;

    /// Participants linked to an open invitation that follows another of the candidate's
    /// participants (invited twice), not completed, least recently fetched first: the candidate
    /// may answer this one, so the catch-up looks at it too.
    async fn stray_participants(&self, limit: i64) -> Result<Vec<String>, StoreError>;

    /// Invitations whose interview was completed at or after `completed_since` and not checked
    /// since `checked_before`, least recently checked first.
    async fn recently_completed(
        &self,
        completed_since: i64,
        checked_before: i64,
        limit: i64,
    ) -> Result<Vec<OpenInvitation>, StoreError>;

    /// Marks many invitations checked at once (a page of the participants list).
    async fn mark_many_checked(&self, invitation_ids: &[i64], now: i64) -> Result<(), StoreError>;

    async fn mark_checked(&self, invitation_id: i64, now: i64) -> Result<(), StoreError>;

    /// Who and what an invitation is about, for notifications and the timeline.
    async fn invitation_subject(&self, invitation_id: i64)
        -> Result<InvitationSubject, StoreError>;

    /// The statuses of an invitation's history, oldest first.
    async fn invitation_history(
        &self,
        invitation_id: i64,
    ) -> Result<Vec<(String, Option<String>, i64)>, StoreError>;
}

#[async_trait]
impl Invitations for SqliteStore {
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
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (connection_id, key) DO UPDATE SET title = excluded.title, department = excluded.department,
                 language = excluded.language, questions = excluded.questions, raw = excluded.raw, synced_at = excluded.synced_at
               RETURNING id AS "id!: i64""#,
            connection_id,
            key,
            title,
            department,
            language,
            questions,
            raw,
            now
        )
        .fetch_all(&self.writer)
        .await
        .and_then(crate::first_row)?)
    }

    async fn invite_target(&self, application_id: i64) -> Result<InviteTarget, StoreError> {
        sqlx::query_as!(
            InviteTarget,
            r#"SELECT a.id AS "application_id!", c.first_name, c.last_name, c.email, c.phone
               FROM applications a JOIN candidates c ON c.id = a.candidate_id WHERE a.id = ?"#,
            application_id
        )
        .fetch_optional(&self.reader)
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
            r#"SELECT id AS "id!: i64" FROM applications WHERE connection_id = ? AND remote_id = ?"#,
            connection_id,
            remote_id
        )
        .fetch_optional(&self.reader)
        .await?)
    }

    async fn application_remote_id(
        &self,
        application_id: i64,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar!(
            "SELECT remote_id FROM applications WHERE id = ?",
            application_id
        )
        .fetch_optional(&self.reader)
        .await?)
    }

    async fn applications_by_email(&self, email: &str) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT a.id AS "id!: i64" FROM applications a JOIN candidates c ON c.id = a.candidate_id
               WHERE c.email = ?1 COLLATE NOCASE
               UNION SELECT application_id FROM invitations WHERE email = ?1 COLLATE NOCASE
               ORDER BY 1"#,
            email
        )
        .fetch_all(&self.reader)
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
            r#"SELECT i.id AS "id!", i.application_id, i.interview_id, iv.key AS interview_key, i.participant_key, i.status AS "status: InvitationStatus",
                      i.email, i.refused_reason, i.created_at, i.updated_at
               FROM invitations i JOIN interviews iv ON iv.id = i.interview_id
               WHERE i.interview_id = ? AND i.status != 'refused'
                 AND (i.application_id = ? OR i.email = ? COLLATE NOCASE)"#,
            interview_id,
            application_id,
            email
        )
        .fetch_all(&self.reader)
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
        let mut tx = self.writer.begin().await?;
        let invitation_id = sqlx::query_scalar!(
            r#"INSERT INTO invitations (application_id, interview_id, status, email, phone, created_at, updated_at)
               VALUES (?, ?, 'queued', ?, ?, ?, ?)
               ON CONFLICT (application_id, interview_id) DO UPDATE SET status = 'queued', email = excluded.email,
                 phone = excluded.phone, refused_reason = NULL, updated_at = excluded.updated_at
               WHERE invitations.status = 'refused'
               RETURNING id AS "id!: i64""#,
            application_id,
            interview_id,
            email,
            phone,
            now,
            now
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound { what: "invitable application (it is already invited)", id: application_id })?;
        sqlx::query!("INSERT INTO invitation_events (invitation_id, status, detail, at) VALUES (?, 'queued', NULL, ?)", invitation_id, now)
            .execute(&mut *tx)
            .await?;
        let key = format!("invite:{invitation_id}");
        let mut payload = payload.clone();
        payload["invitation_id"] = invitation_id.into();
        let payload = payload.to_string();
        let outbox_id = sqlx::query_scalar!(
            r#"INSERT INTO outbox (kind, key, payload, next_attempt_at, created_at, updated_at) VALUES ('invite', ?, ?, ?, ?, ?)
               ON CONFLICT (key) DO UPDATE SET status = 'pending', payload = excluded.payload, next_attempt_at = excluded.next_attempt_at,
                 withdraw_requested = 0, last_error = NULL, updated_at = excluded.updated_at
               RETURNING id AS "id!: i64""#,
            key,
            payload,
            now,
            now,
            now
        )
        .fetch_all(&mut *tx)
        .await
        .and_then(crate::first_row)?;
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
        let mut tx = self.writer.begin().await?;
        let id = sqlx::query_scalar!(
            r#"INSERT INTO invitations (application_id, interview_id, status, refused_reason, created_at, updated_at)
               VALUES (?, ?, 'refused', ?, ?, ?)
               ON CONFLICT (application_id, interview_id) DO UPDATE SET refused_reason = excluded.refused_reason,
                 updated_at = excluded.updated_at
               WHERE invitations.status = 'refused'
               RETURNING id AS "id!: i64""#,
            application_id,
            interview_id,
            reason,
            now,
            now
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound { what: "refusable invitation (it is already invited)", id: application_id })?;
        sqlx::query!("INSERT INTO invitation_events (invitation_id, status, detail, at) VALUES (?, 'refused', ?, ?)", id, reason, now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn invitation(&self, id: i64) -> Result<Invitation, StoreError> {
        sqlx::query_as!(
            Invitation,
            r#"SELECT i.id AS "id!", i.application_id, i.interview_id, iv.key AS interview_key, i.participant_key, i.status AS "status: InvitationStatus",
                      i.email, i.refused_reason, i.created_at, i.updated_at
               FROM invitations i JOIN interviews iv ON iv.id = i.interview_id WHERE i.id = ?"#,
            id
        )
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound { what: "invitation", id })
    }

    async fn settled_invitations(
        &self,
        ids: &[i64],
    ) -> Result<Vec<(i64, InvitationStatus)>, StoreError> {
        let ids = serde_json::to_string(ids)?;
        Ok(sqlx::query!(
            r#"SELECT id AS "id!", status AS "status: InvitationStatus" FROM invitations
               WHERE id IN (SELECT value FROM json_each(?)) AND status <> 'queued'"#,
            ids
        )
        .fetch_all(&self.reader)
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
            r#"SELECT i.id AS "id!", i.application_id, i.interview_id, iv.key AS interview_key, i.participant_key, i.status AS "status: InvitationStatus",
                      i.email, i.refused_reason, i.created_at, i.updated_at
               FROM invitations i JOIN interviews iv ON iv.id = i.interview_id WHERE i.participant_key = ?"#,
            participant_key
        )
        .fetch_optional(&self.reader)
        .await?)
    }

    async fn invitation_by_email(
        &self,
        interview_key: &str,
        email: &str,
    ) -> Result<Option<Invitation>, StoreError> {
        Ok(sqlx::query_as!(
            Invitation,
            r#"SELECT i.id AS "id!", i.application_id, i.interview_id, iv.key AS interview_key, i.participant_key, i.status AS "status: InvitationStatus",
                      i.email, i.refused_reason, i.created_at, i.updated_at
               FROM invitations i JOIN interviews iv ON iv.id = i.interview_id
               WHERE iv.key = ? AND i.email = ? COLLATE NOCASE
               ORDER BY i.id DESC LIMIT 1"#,
            interview_key,
            email
        )
        .fetch_optional(&self.reader)
        .await?)
    }

    async fn mark_invited(
        &self,
        invitation_id: i64,
        participant_key: &str,
        detail: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query!(
            r#"UPDATE invitations SET participant_key = ?, refused_reason = NULL, updated_at = ?,
                 status = CASE WHEN status IN ('queued', 'refused', 'failed') THEN 'invited' ELSE status END
               WHERE id = ? AND participant_key IS NULL"#,
            participant_key,
            now,
            invitation_id
        )
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            sqlx::query!("INSERT INTO invitation_events (invitation_id, status, detail, at) VALUES (?, 'invited', ?, ?)", invitation_id, detail, now)
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
        let mut tx = self.writer.begin().await?;
        sqlx::query!(
            "UPDATE invitations SET participant_key = ?, updated_at = ? WHERE id = ?",
            participant_key,
            now,
            invitation_id
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE participants SET invitation_id = ? WHERE key = ?",
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
        let current = self.invitation(invitation_id).await?.status;
        if !current.advances_to(status) {
            return Ok(false);
        }
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query!(
            "UPDATE invitations SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
            status,
            now,
            invitation_id,
            current
        )
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            sqlx::query!("INSERT INTO invitation_events (invitation_id, status, detail, at) VALUES (?, ?, ?, ?)", invitation_id, status, detail, now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn withdraw_invitation(
        &self,
        invitation_id: i64,
        reason: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query!(
            "UPDATE invitations SET status = 'refused', refused_reason = ?, updated_at = ? WHERE id = ? AND status = 'queued'",
            reason,
            now,
            invitation_id
        )
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            sqlx::query!("INSERT INTO invitation_events (invitation_id, status, detail, at) VALUES (?, 'refused', ?, ?)", invitation_id, reason, now)
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
        let mut tx = self.writer.begin().await?;
        sqlx::query!("UPDATE invitations SET status = 'failed', refused_reason = ?, updated_at = ? WHERE id = ?", error, now, invitation_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query!("INSERT INTO invitation_events (invitation_id, status, detail, at) VALUES (?, 'failed', ?, ?)", invitation_id, error, now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn open_invitations(&self, limit: i64) -> Result<Vec<OpenInvitation>, StoreError> {
        Ok(sqlx::query_as!(
            OpenInvitation,
            r#"SELECT id AS "id!", participant_key AS "participant_key!", status AS "status: InvitationStatus" FROM invitations
               WHERE status IN ('invited', 'opened', 'started') AND participant_key IS NOT NULL
               ORDER BY checked_at IS NOT NULL, checked_at, created_at, id LIMIT ?"#,
            limit
        )
        .fetch_all(&self.reader)
        .await?)
    }

    async fn invitations_to_check(&self) -> Result<Vec<ToCheck>, StoreError> {
        Ok(sqlx::query_as!(
            ToCheck,
            r#"SELECT i.id AS "id!", i.participant_key AS "participant_key!", i.status AS "status: InvitationStatus",
                      iv.key AS interview_key, i.created_at, i.checked_at
               FROM invitations i JOIN interviews iv ON iv.id = i.interview_id
               WHERE i.status IN ('invited', 'opened', 'started') AND i.participant_key IS NOT NULL"#
        )
        .fetch_all(&self.reader)
        .await?)
    }

    async fn stray_participants(&self, limit: i64) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT p.key AS "key!" FROM participants p JOIN invitations i ON i.id = p.invitation_id
               WHERE p.key <> i.participant_key AND p.status <> 'completed'
                 AND i.status IN ('invited', 'opened', 'started')
               ORDER BY p.fetched_at LIMIT ?"#,
            limit
        )
        .fetch_all(&self.reader)
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
            r#"SELECT i.id AS "id!", i.participant_key AS "participant_key!", i.status AS "status: InvitationStatus" FROM invitations i
               WHERE i.status IN ('completed', 'reviewed', 'synced') AND i.participant_key IS NOT NULL
                 AND (i.checked_at IS NULL OR i.checked_at < ?)
                 AND EXISTS (SELECT 1 FROM invitation_events e
                             WHERE e.invitation_id = i.id AND e.status = 'completed' AND e.at >= ?)
               ORDER BY i.checked_at IS NOT NULL, i.checked_at, i.id LIMIT ?"#,
            checked_before,
            completed_since,
            limit
        )
        .fetch_all(&self.reader)
        .await?)
    }

    async fn mark_many_checked(&self, invitation_ids: &[i64], now: i64) -> Result<(), StoreError> {
        if invitation_ids.is_empty() {
            return Ok(());
        }
        let ids = serde_json::to_string(invitation_ids)?;
        sqlx::query!(
            "UPDATE invitations SET checked_at = ? WHERE id IN (SELECT value FROM json_each(?))",
            now,
            ids
        )
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn mark_checked(&self, invitation_id: i64, now: i64) -> Result<(), StoreError> {
        sqlx::query!(
            "UPDATE invitations SET checked_at = ? WHERE id = ?",
            now,
            invitation_id
        )
        .execute(&self.writer)
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
               WHERE i.id = ?"#,
            invitation_id
        )
        .fetch_optional(&self.reader)
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
            "SELECT status, detail, at FROM invitation_events WHERE invitation_id = ? ORDER BY at, id",
            invitation_id
        )
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.status, r.detail, r.at))
            .collect())
    }
}

/// Takes a synced invitation back to `status` (completed or reviewed) because new results are on
/// their way to the ATS: it is synced again once they are written. Part of the caller's
/// transaction.
pub(crate) async fn reopen_synced(
    conn: &mut sqlx::SqliteConnection,
    invitation_id: i64,
    status: InvitationStatus,
    detail: &str,
    now: i64,
) -> Result<(), StoreError> {
    let done = sqlx::query!(
        "UPDATE invitations SET status = ?, updated_at = ? WHERE id = ? AND status = 'synced'",
        status,
        now,
        invitation_id
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        sqlx::query!(
            "INSERT INTO invitation_events (invitation_id, status, detail, at) VALUES (?, ?, ?, ?)",
            invitation_id,
            status,
            detail,
            now
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
