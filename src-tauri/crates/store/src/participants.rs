//! Willo participants as last fetched, and their answers.

use async_trait::async_trait;
use desk_domain::InvitationStatus;

use crate::{SqliteStore, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct ResponseRecord {
    /// Willo's question key, or `pos-<n>` when Willo gave none.
    pub question_key: String,
    pub position: i64,
    pub question_text: String,
    pub kind: String,
    pub media_url: Option<String>,
    pub text_answer: Option<String>,
    pub transcript: Option<String>,
    /// `[{start, end, text}]` where Willo gives timings.
    pub segments: Option<serde_json::Value>,
    pub score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParticipantRecord {
    pub key: String,
    pub interview_key: String,
    pub invitation_id: Option<i64>,
    pub status: InvitationStatus,
    pub summary: Option<String>,
    pub score: Option<f64>,
    pub raw: serde_json::Value,
    pub responses: Vec<ResponseRecord>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavedParticipant {
    pub revision: i64,
    /// False when nothing a recruiter cares about changed since the last fetch.
    pub changed: bool,
}

impl ParticipantRecord {
    /// What a recruiter cares about in a participant, as canonical JSON: status, summary, score
    /// and each answer (its media without the URL's query, which carries a signature that
    /// changes on every fetch). The revision follows this, not the raw JSON, in both stores.
    pub fn content(&self) -> String {
        let media = |url: &str| url.split(['?', '#']).next().unwrap_or_default().to_owned();
        serde_json::json!({
            "status": self.status,
            "summary": self.summary,
            "score": self.score,
            "responses": self.responses.iter().map(|r| serde_json::json!({
                "question": r.question_key,
                "position": r.position,
                "kind": r.kind,
                "media": r.media_url.as_deref().map(media),
                "text": r.text_answer,
                "transcript": r.transcript,
                "segments": r.segments,
                "score": r.score,
            })).collect::<Vec<_>>(),
        })
        .to_string()
    }
}

#[async_trait]
pub trait Participants: Send + Sync {
    /// Stores a fetched participant and replaces its answers, in one transaction. The revision
    /// goes up only when what a recruiter cares about changed (see [`ParticipantRecord::content`]); the raw JSON and
    /// the media links are kept current either way.
    async fn save_participant(
        &self,
        p: &ParticipantRecord,
        now: i64,
    ) -> Result<SavedParticipant, StoreError>;

    /// The stored answers of a participant, in question order.
    async fn responses(&self, participant_key: &str) -> Result<Vec<ResponseRecord>, StoreError>;

    /// The raw JSON of a participant as Willo last sent it.
    async fn participant_raw(&self, key: &str) -> Result<serde_json::Value, StoreError>;
}

#[async_trait]
impl Participants for SqliteStore {
    async fn save_participant(
        &self,
        p: &ParticipantRecord,
        now: i64,
    ) -> Result<SavedParticipant, StoreError> {
        let raw = p.raw.to_string();
        let content = p.content();
        let mut tx = self.writer.begin().await?;
        let previous = sqlx::query!(
            r#"SELECT raw, content, revision AS "revision!: i64" FROM participants WHERE key = ?"#,
            p.key
        )
        .fetch_optional(&mut *tx)
        .await?;
        let changed = match &previous {
            None => true,
            Some(prev) => match &prev.content {
                Some(before) => *before != content,
                // Stored before contents were kept: the raw JSON is all there is to compare.
                None => prev.raw != raw,
            },
        };
        let revision = match &previous {
            Some(prev) if !changed => prev.revision,
            Some(prev) => prev.revision + 1,
            None => 1,
        };
        sqlx::query!(
            r#"INSERT INTO participants (key, interview_key, invitation_id, status, summary, score, revision, raw, content, fetched_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (key) DO UPDATE SET interview_key = excluded.interview_key,
                 invitation_id = COALESCE(excluded.invitation_id, participants.invitation_id), status = excluded.status,
                 summary = excluded.summary, score = excluded.score, revision = excluded.revision, raw = excluded.raw,
                 content = excluded.content, fetched_at = excluded.fetched_at"#,
            p.key,
            p.interview_key,
            p.invitation_id,
            p.status,
            p.summary,
            p.score,
            revision,
            raw,
            content,
            now
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!("DELETE FROM responses WHERE participant_key = ?", p.key)
            .execute(&mut *tx)
            .await?;
        for r in &p.responses {
            let segments = r.segments.as_ref().map(ToString::to_string);
            sqlx::query!(
                r#"INSERT INTO responses (participant_key, question_key, position, question_text, kind, media_url, text_answer,
                     transcript, segments, score)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (participant_key, question_key) DO NOTHING"#,
                p.key,
                r.question_key,
                r.position,
                r.question_text,
                r.kind,
                r.media_url,
                r.text_answer,
                r.transcript,
                segments,
                r.score
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(SavedParticipant { revision, changed })
    }

    async fn responses(&self, participant_key: &str) -> Result<Vec<ResponseRecord>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT question_key, position, question_text, kind, media_url, text_answer, transcript, segments, score
               FROM responses WHERE participant_key = ? ORDER BY position, id"#,
            participant_key
        )
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(ResponseRecord {
                    question_key: r.question_key,
                    position: r.position,
                    question_text: r.question_text,
                    kind: r.kind,
                    media_url: r.media_url,
                    text_answer: r.text_answer,
                    transcript: r.transcript,
                    segments: r
                        .segments
                        .as_deref()
                        .map(serde_json::from_str)
                        .transpose()?,
                    score: r.score,
                })
            })
            .collect()
    }

    async fn participant_raw(&self, key: &str) -> Result<serde_json::Value, StoreError> {
        let raw = sqlx::query_scalar!("SELECT raw FROM participants WHERE key = ?", key)
            .fetch_optional(&self.reader)
            .await?
            .ok_or(StoreError::NotFound {
                what: "participant",
                id: 0,
            })?;
        Ok(serde_json::from_str(&raw)?)
    }
}
