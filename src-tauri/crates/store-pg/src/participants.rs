//! Willo participants as last fetched, and their answers.

use async_trait::async_trait;
use desk_store::{ParticipantRecord, Participants, ResponseRecord, SavedParticipant, StoreError};

use crate::PgStore;

#[async_trait]
impl Participants for PgStore {
    async fn save_participant(
        &self,
        p: &ParticipantRecord,
        now: i64,
    ) -> Result<SavedParticipant, StoreError> {
        let raw = p.raw.to_string();
        let content = p.content();
        let mut tx = self.pool.begin().await?;
        // Concurrency: the stored row is locked while the revision is decided, so two processes
        // saving one participant cannot both bump it (or both miss a change). A row another
        // process inserts after a read that found none is not overwritten (the update is allowed
        // only when a row was read): it is read again, locked, and compared with.
        let saved = loop {
            let previous = sqlx::query!(
                "SELECT raw, content, revision FROM participants WHERE key = $1 FOR UPDATE",
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
            let written = sqlx::query_scalar!(
                r#"INSERT INTO participants (key, interview_key, invitation_id, status, summary, score, revision, raw, content, fetched_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                   ON CONFLICT (key) DO UPDATE SET interview_key = excluded.interview_key,
                     invitation_id = COALESCE(excluded.invitation_id, participants.invitation_id), status = excluded.status,
                     summary = excluded.summary, score = excluded.score, revision = excluded.revision, raw = excluded.raw,
                     content = excluded.content, fetched_at = excluded.fetched_at
                   WHERE $11::BOOLEAN
                   RETURNING revision"#,
                p.key,
                p.interview_key,
                p.invitation_id,
                p.status.as_str(),
                p.summary,
                p.score,
                revision,
                raw,
                content,
                now,
                previous.is_some()
            )
            .fetch_optional(&mut *tx)
            .await?;
            if written.is_some() {
                break SavedParticipant { revision, changed };
            }
        };
        sqlx::query!("DELETE FROM responses WHERE participant_key = $1", p.key)
            .execute(&mut *tx)
            .await?;
        let mut keys = Vec::with_capacity(p.responses.len());
        let mut positions = Vec::with_capacity(p.responses.len());
        let mut texts = Vec::with_capacity(p.responses.len());
        let mut kinds = Vec::with_capacity(p.responses.len());
        let mut media = Vec::with_capacity(p.responses.len());
        let mut answers = Vec::with_capacity(p.responses.len());
        let mut transcripts = Vec::with_capacity(p.responses.len());
        let mut segments = Vec::with_capacity(p.responses.len());
        let mut scores = Vec::with_capacity(p.responses.len());
        for r in &p.responses {
            keys.push(r.question_key.as_str());
            positions.push(r.position);
            texts.push(r.question_text.as_str());
            kinds.push(r.kind.as_str());
            media.push(r.media_url.as_deref());
            answers.push(r.text_answer.as_deref());
            transcripts.push(r.transcript.as_deref());
            segments.push(r.segments.as_ref().map(ToString::to_string));
            scores.push(r.score);
        }
        // One statement for all answers, in their order (ids follow it); a repeated question
        // keeps its first answer, as SQLite's one insert per answer does.
        sqlx::query!(
            r#"INSERT INTO responses (participant_key, question_key, position, question_text, kind, media_url, text_answer,
                 transcript, segments, score)
               SELECT $1, r.question_key, r.position, r.question_text, r.kind, r.media_url, r.text_answer, r.transcript,
                      r.segments, r.score
               FROM unnest($2::TEXT[], $3::BIGINT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[],
                           $8::TEXT[], $9::TEXT[], $10::FLOAT8[]) WITH ORDINALITY
                 AS r (question_key, position, question_text, kind, media_url, text_answer, transcript, segments, score, n)
               ORDER BY r.n
               ON CONFLICT (participant_key, question_key) DO NOTHING"#,
            p.key,
            &keys as _,
            &positions,
            &texts as _,
            &kinds as _,
            &media as _,
            &answers as _,
            &transcripts as _,
            &segments as _,
            &scores as _
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn responses(&self, participant_key: &str) -> Result<Vec<ResponseRecord>, StoreError> {
        let rows = sqlx::query!(
            r#"SELECT question_key, position, question_text, kind, media_url, text_answer, transcript, segments, score
               FROM responses WHERE participant_key = $1 ORDER BY position, id"#,
            participant_key
        )
        .fetch_all(&self.pool)
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
        let raw = sqlx::query_scalar!("SELECT raw FROM participants WHERE key = $1", key)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound {
                what: "participant",
                id: 0,
            })?;
        Ok(serde_json::from_str(&raw)?)
    }
}
