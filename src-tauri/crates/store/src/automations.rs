//! Stage-triggered automations and the write-back ledger.

use async_trait::async_trait;
use desk_domain::ats::ApplicationRef;
use desk_domain::{InvitationStatus, NotePolicy};
use serde::Serialize;

use crate::{SqliteStore, StoreError};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Automation {
    pub id: i64,
    pub job_id: i64,
    /// The interview that invitations go to (what `interview_choice` resolved to).
    pub interview_key: String,
    /// How the interview is chosen, as the engine's JSON (direct, from a template, by rules).
    pub interview_choice: serde_json::Value,
    pub trigger_stage_ids: Vec<i64>,
    pub review_required: bool,
    pub move_to_stage_id: Option<i64>,
    /// The move waits until Willo's score reaches this.
    pub move_min_score: Option<f64>,
    /// What the note written to the ATS carries.
    pub note_policy: NotePolicy,
    pub paused: bool,
    pub enabled_at: i64,
}

/// What a recruiter (or a config file) sets for a job's automation.
#[derive(Debug, Clone, PartialEq)]
pub struct AutomationSpec {
    pub job_id: i64,
    pub interview_key: String,
    pub interview_choice: serde_json::Value,
    pub trigger_stage_ids: Vec<i64>,
    pub review_required: bool,
    pub move_to_stage_id: Option<i64>,
    pub move_min_score: Option<f64>,
    pub note_policy: NotePolicy,
}

impl AutomationSpec {
    /// An automation that sends `interview_key` itself, with no rules and no score threshold.
    pub fn direct(
        job_id: i64,
        interview_key: &str,
        trigger_stage_ids: &[i64],
        review_required: bool,
        move_to_stage_id: Option<i64>,
    ) -> Self {
        Self {
            job_id,
            interview_key: interview_key.to_owned(),
            interview_choice: serde_json::json!({ "kind": "interview", "interviewKey": interview_key }),
            trigger_stage_ids: trigger_stage_ids.to_vec(),
            review_required,
            move_to_stage_id,
            move_min_score: None,
            note_policy: NotePolicy::Everything,
        }
    }
}

/// A row of `automations`, as both stores read it.
pub struct AutomationRow {
    pub id: i64,
    pub job_id: i64,
    pub interview_key: String,
    pub interview_choice: String,
    pub trigger_stage_ids: String,
    pub review_required: bool,
    pub move_to_stage_id: Option<i64>,
    pub move_min_score: Option<f64>,
    pub note_content: String,
    pub paused: bool,
    pub enabled_at: i64,
}

impl TryFrom<AutomationRow> for Automation {
    type Error = StoreError;
    fn try_from(r: AutomationRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.id,
            job_id: r.job_id,
            interview_key: r.interview_key,
            interview_choice: serde_json::from_str(&r.interview_choice)?,
            trigger_stage_ids: serde_json::from_str(&r.trigger_stage_ids)?,
            review_required: r.review_required,
            move_to_stage_id: r.move_to_stage_id,
            move_min_score: r.move_min_score,
            note_policy: NotePolicy::parse(&r.note_content).unwrap_or_default(),
            paused: r.paused,
            enabled_at: r.enabled_at,
        })
    }
}

/// An application that has just entered a trigger stage and has no invitation to the job's interview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triggered {
    pub application_id: i64,
    pub interview_key: String,
}

/// An application as the ATS knows it: what a connector needs to write to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtsApplication {
    pub remote_id: String,
    pub candidate_remote_id: String,
    pub job_remote_id: String,
    pub stage_remote_id: Option<String>,
}

impl AtsApplication {
    /// What a connector addresses this application by.
    pub fn reference(&self) -> ApplicationRef<'_> {
        ApplicationRef {
            id: &self.remote_id,
            candidate_id: &self.candidate_remote_id,
            stage_id: self.stage_remote_id.as_deref(),
        }
    }
}

#[async_trait]
pub trait Automations: Send + Sync {
    /// Sets the job's automation. Switching it on, or changing its interview or trigger stages,
    /// starts counting arrivals from `now`; setting it again unchanged (a server restarting with
    /// the same configuration) keeps counting from when it was first switched on, so nobody who
    /// arrived meanwhile is missed.
    async fn set_automation(&self, spec: &AutomationSpec, now: i64) -> Result<i64, StoreError>;

    async fn set_automation_paused(
        &self,
        job_id: i64,
        paused: bool,
        now: i64,
    ) -> Result<(), StoreError>;

    async fn automation_for_job(&self, job_id: i64) -> Result<Option<Automation>, StoreError>;

    /// The title of a Willo interview seen before, by key.
    async fn interview_title(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// The interview to offer first for each job of the connection that has one: its
    /// automation's, else the last one sent to an application of the job (refusals were never
    /// sent). Jobs with neither are left out: the recruiter must choose.
    async fn suggested_interviews(
        &self,
        connection_id: i64,
    ) -> Result<Vec<(i64, String)>, StoreError>;

    /// The jobs the given applications are for (unknown ids are skipped).
    async fn jobs_of(&self, application_ids: &[i64]) -> Result<Vec<i64>, StoreError>;

    /// Every automation, by job.
    async fn automations(&self) -> Result<Vec<Automation>, StoreError>;

    /// Applications that entered a trigger stage of an active automation since it was switched on,
    /// and were never invited (or refused) for its interview: exactly who a trigger poll invites.
    async fn triggered_applications(&self) -> Result<Vec<Triggered>, StoreError>;

    async fn ats_application(&self, application_id: i64) -> Result<AtsApplication, StoreError>;

    /// The ATS's id of a stage, by local id.
    async fn stage_remote_id(&self, stage_id: i64) -> Result<String, StoreError>;

    /// The local id of a stage, by the ATS's id.
    async fn stage_id(
        &self,
        connection_id: i64,
        remote_id: &str,
    ) -> Result<Option<i64>, StoreError>;

    /// The local id of a job, by the ATS's id.
    async fn job_id(&self, connection_id: i64, remote_id: &str) -> Result<Option<i64>, StoreError>;

    /// Invitations whose current results are due for the ATS and have no note queued for them:
    /// completed under an automation that skips review, or approved by a reviewer, and not yet
    /// queued at the participant's current revision and the review's version. This covers the
    /// first write-back, one a crash cut off between marking the interview completed (or
    /// approved) and queueing it, a follow-up after Willo's results changed, and a re-review.
    /// `only`: just that invitation, if due.
    async fn writebacks_due(&self, only: Option<i64>) -> Result<Vec<i64>, StoreError>;

    /// Records what was written to the ATS. Returns false when it was recorded before.
    async fn record_writeback(
        &self,
        invitation_id: i64,
        target: &str,
        revision: i64,
        remote_id: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError>;

    /// What was written for an invitation: (target, revision, remote id), oldest first.
    async fn writebacks(
        &self,
        invitation_id: i64,
    ) -> Result<Vec<(String, i64, Option<String>)>, StoreError>;

    /// The participant an invitation follows, as stored.
    async fn participant_of(
        &self,
        invitation_id: i64,
    ) -> Result<Option<StoredParticipant>, StoreError>;
}

#[async_trait]
impl Automations for SqliteStore {
    async fn set_automation(&self, spec: &AutomationSpec, now: i64) -> Result<i64, StoreError> {
        let stages = serde_json::to_string(&spec.trigger_stage_ids)?;
        let choice = serde_json::to_string(&spec.interview_choice)?;
        let note_content = spec.note_policy.as_str();
        Ok(sqlx::query_scalar!(
            r#"INSERT INTO automations (job_id, interview_key, interview_choice, trigger_stage_ids, review_required, move_to_stage_id,
                                       move_min_score, note_content, enabled_at, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (job_id) DO UPDATE SET interview_key = excluded.interview_key, interview_choice = excluded.interview_choice,
                 trigger_stage_ids = excluded.trigger_stage_ids, review_required = excluded.review_required,
                 move_to_stage_id = excluded.move_to_stage_id, move_min_score = excluded.move_min_score,
                 note_content = excluded.note_content, paused = 0,
                 enabled_at = CASE WHEN automations.paused = 0 AND automations.interview_key = excluded.interview_key
                                    AND automations.trigger_stage_ids = excluded.trigger_stage_ids
                               THEN automations.enabled_at ELSE excluded.enabled_at END,
                 updated_at = excluded.updated_at
               RETURNING id AS "id!: i64""#,
            spec.job_id,
            spec.interview_key,
            choice,
            stages,
            spec.review_required,
            spec.move_to_stage_id,
            spec.move_min_score,
            note_content,
            now,
            now,
            now
        )
        .fetch_all(&self.writer)
        .await
        .and_then(crate::first_row)?)
    }

    async fn set_automation_paused(
        &self,
        job_id: i64,
        paused: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        // Resuming counts arrivals from now: nobody who arrived while it was paused is invited
        // by surprise.
        sqlx::query!(
            r#"UPDATE automations SET enabled_at = CASE WHEN paused = 1 AND ?1 = 0 THEN ?2 ELSE enabled_at END,
                                      paused = ?1, updated_at = ?2 WHERE job_id = ?3"#,
            paused,
            now,
            job_id
        )
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn automation_for_job(&self, job_id: i64) -> Result<Option<Automation>, StoreError> {
        Ok(self.select_automations(Some(job_id)).await?.pop())
    }

    async fn interview_title(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar!(
            "SELECT title FROM interviews WHERE key = ? ORDER BY id LIMIT 1",
            key
        )
        .fetch_optional(&self.reader)
        .await?)
    }

    async fn suggested_interviews(
        &self,
        connection_id: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(sqlx::query!(
            r#"SELECT job_id AS "job_id!: i64", interview_key AS "interview_key!: String" FROM (
                 SELECT j.id AS job_id, COALESCE(
                   (SELECT NULLIF(au.interview_key, '') FROM automations au WHERE au.job_id = j.id),
                   (SELECT iv.key FROM applications a
                      JOIN invitations i ON i.application_id = a.id AND i.status <> 'refused'
                      JOIN interviews iv ON iv.id = i.interview_id
                    WHERE a.job_id = j.id ORDER BY i.id DESC LIMIT 1)) AS interview_key
                 FROM jobs j WHERE j.connection_id = ?)
               WHERE interview_key IS NOT NULL"#,
            connection_id
        )
        .fetch_all(&self.reader)
        .await?
        .into_iter()
        .map(|r| (r.job_id, r.interview_key))
        .collect())
    }

    async fn jobs_of(&self, application_ids: &[i64]) -> Result<Vec<i64>, StoreError> {
        let ids = serde_json::to_string(application_ids)?;
        Ok(sqlx::query_scalar!(
            r#"SELECT DISTINCT a.job_id FROM json_each(?) p JOIN applications a ON a.id = p.value"#,
            ids
        )
        .fetch_all(&self.reader)
        .await?)
    }

    async fn automations(&self) -> Result<Vec<Automation>, StoreError> {
        self.select_automations(None).await
    }

    async fn triggered_applications(&self) -> Result<Vec<Triggered>, StoreError> {
        Ok(sqlx::query_as!(
            Triggered,
            r#"SELECT a.id AS "application_id!", au.interview_key
               FROM applications a
               JOIN automations au ON au.job_id = a.job_id
               WHERE au.paused = 0
                 AND a.stage_id IN (SELECT value FROM json_each(au.trigger_stage_ids))
                 AND a.stage_entered_at >= au.enabled_at
                 AND NOT EXISTS (SELECT 1 FROM invitations i JOIN interviews iv ON iv.id = i.interview_id
                                 WHERE i.application_id = a.id AND iv.key = au.interview_key)
                 -- Deleted at the candidate's request: never invited again for this application.
                 AND NOT EXISTS (SELECT 1 FROM erasures e WHERE e.application_id = a.id)
               ORDER BY a.stage_entered_at, a.id"#
        )
        .fetch_all(&self.reader)
        .await?)
    }

    async fn ats_application(&self, application_id: i64) -> Result<AtsApplication, StoreError> {
        sqlx::query_as!(
            AtsApplication,
            r#"SELECT a.remote_id, c.remote_id AS candidate_remote_id, j.remote_id AS job_remote_id, s.remote_id AS "stage_remote_id?"
               FROM applications a JOIN candidates c ON c.id = a.candidate_id JOIN jobs j ON j.id = a.job_id
               LEFT JOIN stages s ON s.id = a.stage_id
               WHERE a.id = ?"#,
            application_id
        )
        .fetch_optional(&self.reader)
        .await?
        .ok_or(StoreError::NotFound { what: "application", id: application_id })
    }

    async fn stage_remote_id(&self, stage_id: i64) -> Result<String, StoreError> {
        sqlx::query_scalar!("SELECT remote_id FROM stages WHERE id = ?", stage_id)
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound {
                what: "stage",
                id: stage_id,
            })
    }

    async fn stage_id(
        &self,
        connection_id: i64,
        remote_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT id AS "id!: i64" FROM stages WHERE connection_id = ? AND remote_id = ?"#,
            connection_id,
            remote_id
        )
        .fetch_optional(&self.reader)
        .await?)
    }

    async fn job_id(&self, connection_id: i64, remote_id: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT id AS "id!: i64" FROM jobs WHERE connection_id = ? AND remote_id = ?"#,
            connection_id,
            remote_id
        )
        .fetch_optional(&self.reader)
        .await?)
    }

    async fn writebacks_due(&self, only: Option<i64>) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT i.id AS "id!: i64"
               FROM invitations i
               JOIN participants p ON p.key = i.participant_key
               JOIN applications a ON a.id = i.application_id
               LEFT JOIN reviews r ON r.invitation_id = i.id
               WHERE i.status IN ('completed', 'reviewed', 'synced')
                 AND (?1 IS NULL OR i.id = ?1)
                 AND p.status = 'completed'
                 AND (r.decision = 'approved'
                      OR (r.invitation_id IS NULL
                          AND EXISTS (SELECT 1 FROM automations au WHERE au.job_id = a.job_id AND au.review_required = 0)))
                 AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.key = 'writeback:' || i.id || ':note:' || p.revision
                                   || CASE WHEN r.version > 1 THEN '.r' || r.version ELSE '' END)
               ORDER BY i.id"#,
            only
        )
        .fetch_all(&self.reader)
        .await?)
    }

    async fn record_writeback(
        &self,
        invitation_id: i64,
        target: &str,
        revision: i64,
        remote_id: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query!(
            r#"INSERT INTO writebacks (invitation_id, target, revision, remote_id, written_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (invitation_id, target, revision) DO NOTHING"#,
            invitation_id,
            target,
            revision,
            remote_id,
            now
        )
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn writebacks(
        &self,
        invitation_id: i64,
    ) -> Result<Vec<(String, i64, Option<String>)>, StoreError> {
        let rows = sqlx::query!("SELECT target, revision, remote_id FROM writebacks WHERE invitation_id = ? ORDER BY id", invitation_id)
            .fetch_all(&self.reader)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.target, r.revision, r.remote_id))
            .collect())
    }

    async fn participant_of(
        &self,
        invitation_id: i64,
    ) -> Result<Option<StoredParticipant>, StoreError> {
        Ok(sqlx::query_as!(
            StoredParticipant,
            r#"SELECT p.key AS "key!", p.revision AS "revision!: i64", p.status AS "status: InvitationStatus", p.summary, p.score, p.fetched_at
               FROM participants p JOIN invitations i ON i.participant_key = p.key WHERE i.id = ?"#,
            invitation_id
        )
        .fetch_optional(&self.reader)
        .await?)
    }
}

impl SqliteStore {
    /// The automation of one job, or every automation (by job): one statement, so both read
    /// automations the same way.
    async fn select_automations(&self, job_id: Option<i64>) -> Result<Vec<Automation>, StoreError> {
        sqlx::query_as!(
            AutomationRow,
            r#"SELECT id AS "id!", job_id, interview_key, interview_choice, trigger_stage_ids,
                      review_required AS "review_required: bool", move_to_stage_id, move_min_score, note_content, paused AS "paused: bool", enabled_at
               FROM automations
               WHERE (?1 IS NULL OR job_id = ?1) ORDER BY job_id"#,
            job_id
        )
        .fetch_all(&self.reader)
        .await?
        .into_iter()
        .map(Automation::try_from)
        .collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredParticipant {
    pub key: String,
    pub revision: i64,
    pub status: InvitationStatus,
    pub summary: Option<String>,
    pub score: Option<f64>,
    pub fetched_at: i64,
}
