//! Writing a completed interview's results back to the ATS: one outbox item per target, each
//! idempotent. A note carries a marker (participant key and revision) and is looked for before it
//! is tried again after an uncertain outcome; a field write is harmless to repeat; a move that the
//! ATS refuses after an uncertain attempt has already happened. The ledger says what was written,
//! with the ATS's ids.

use desk_ats::{Application, AtsError, FileSource, NewAttachment, NewNote};
use desk_store::OutboxItem;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::note::{self, NoteContent};
use crate::worker::Step;
use crate::{Engine, EngineError};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "target", rename_all = "snake_case")]
enum Target {
    Note {
        marker: String,
        text: String,
        html: String,
    },
    Attachment {
        filename: String,
        content: String,
    },
    Field {
        name: String,
        value: String,
    },
    Move {
        stage: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Payload {
    invitation_id: i64,
    application_id: i64,
    revision: i64,
    #[serde(flatten)]
    target: Target,
}

impl Target {
    fn ledger_name(&self) -> String {
        match self {
            Self::Note { .. } => "note".into(),
            Self::Attachment { .. } => "attachment".into(),
            Self::Field { name, .. } => format!("field:{name}"),
            Self::Move { .. } => "move".into(),
        }
    }
}

impl Engine {
    /// Queues the write-back of an invitation's current results: a note (a follow-up note when an
    /// earlier revision was written), the score in a custom field where the ATS has them and one
    /// is configured, and the move to the automation's next stage if it has one. Queueing the
    /// same revision again queues nothing new. Returns the outbox ids.
    pub async fn queue_writeback(&self, invitation_id: i64) -> Result<Vec<i64>, EngineError> {
        let Some(ats) = &self.ats else {
            return Err(EngineError::Invalid("no ATS is connected".into()));
        };
        let invitation = self.store.invitation(invitation_id).await?;
        let participant = self
            .store
            .participant_of(invitation_id)
            .await?
            .filter(|p| p.status == "completed")
            .ok_or_else(|| EngineError::Invalid("the interview is not completed yet".into()))?;
        let responses = self.store.responses(&participant.key).await?;
        let subject = self.store.invitation_subject(invitation_id).await?;
        let raw = self.store.participant_raw(&participant.key).await?;
        let text = |name: &str| {
            raw.get(name)
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        let (completed_at, share_url) = (text("completed_at"), text("share_url"));
        let marker = note::marker(&participant.key, participant.revision);
        let short_key: String = participant.key.chars().take(8).collect();
        let review = self.store.review(invitation_id).await?;
        if review.as_ref().is_some_and(|r| r.decision != "approved") {
            return Err(EngineError::Invalid(
                "the reviewer chose not to send these results".into(),
            ));
        }
        let content = NoteContent {
            interview_title: &subject.interview_title,
            completed_at: completed_at.as_deref(),
            score: participant.score,
            summary: participant.summary.as_deref(),
            share_url: share_url.as_deref(),
            responses: &responses,
            revision: participant.revision,
            marker: &marker,
            transcripts_file: None,
            review: review.as_ref(),
        };
        let transcripts_file = note::has_long_transcript(&content).then(|| {
            format!(
                "willo-transcripts-{short_key}-r{}.txt",
                participant.revision
            )
        });
        let content = NoteContent {
            transcripts_file: transcripts_file.as_deref(),
            ..content
        };
        let mut targets = vec![Target::Note {
            text: note::plain(&content),
            html: note::html(&content),
            marker: marker.clone(),
        }];
        if let Some(filename) = &transcripts_file {
            targets.push(Target::Attachment {
                filename: filename.clone(),
                content: note::transcripts(&content),
            });
        }
        if let (Some(field), Some(score), true) = (
            &self.config.score_field,
            participant.score,
            ats.capabilities().custom_fields,
        ) {
            targets.push(Target::Field {
                name: field.clone(),
                value: score.to_string(),
            });
        }
        let job = self
            .store
            .ats_application(invitation.application_id)
            .await?;
        if let Some(job_id) = self
            .store
            .job_id(self.ats_connection, &job.job_remote_id)
            .await?
        {
            if let Some(automation) = self.store.automation_for_job(job_id).await? {
                if let Some(stage) = automation.move_to_stage_id {
                    match (automation.move_min_score, participant.score) {
                        (Some(min), score) if score.is_none_or(|s| s < min) => {
                            // A later score is a new revision, queued again: the move waits for it.
                            let why = score.map_or_else(
                                || format!("no score from Willo yet (the move needs {min})"),
                                |s| format!("score {s} is below {min}"),
                            );
                            self.store
                                .log_activity(
                                    "move_held",
                                    &format!("Not moved to the next stage: {why}"),
                                    Some(invitation_id),
                                    Some(invitation.application_id),
                                    self.now(),
                                )
                                .await?;
                        }
                        _ => targets.push(Target::Move {
                            stage: self.store.stage_remote_id(stage).await?,
                        }),
                    }
                }
            }
        }
        let now = self.now();
        let mut ids = Vec::new();
        for target in targets {
            // A move happens once, whatever the revision; everything else once per revision.
            let key = match &target {
                Target::Move { .. } => format!("writeback:{invitation_id}:move"),
                other => format!(
                    "writeback:{invitation_id}:{}:{}",
                    other.ledger_name(),
                    participant.revision
                ),
            };
            let payload = Payload {
                invitation_id,
                application_id: invitation.application_id,
                revision: participant.revision,
                target,
            };
            let (id, _) = self
                .store
                .enqueue(
                    "writeback",
                    &key,
                    &serde_json::to_value(&payload).unwrap_or_else(|_| json!({})),
                    now,
                )
                .await?;
            ids.push(id);
        }
        self.wake.notify_one();
        Ok(ids)
    }

    /// Queues every write-back that is due (see `Store::writebacks_due`): runs after each
    /// changed reconcile and on every turn of the loop, so a crash between marking an interview
    /// completed (or approved) and queueing its write-back is healed on the next start.
    pub async fn queue_due_writebacks(&self) -> Result<usize, EngineError> {
        if self.ats.is_none() {
            return Ok(0);
        }
        let due = self.store.writebacks_due().await?;
        for &invitation_id in &due {
            match self.queue_writeback(invitation_id).await {
                Ok(_) => self
                    .store
                    .log_activity(
                        "writeback_queued",
                        "Results queued for the ATS",
                        Some(invitation_id),
                        None,
                        self.now(),
                    )
                    .await
                    .map(|_| ())?,
                Err(EngineError::Invalid(reason)) => {
                    tracing::warn!(invitation_id, %reason, "a due write-back could not be queued")
                }
                Err(other) => return Err(other),
            }
        }
        Ok(due.len())
    }

    pub(crate) async fn write_back(&self, item: &OutboxItem) -> Result<Step, EngineError> {
        let payload: Payload = match serde_json::from_value(item.payload.clone()) {
            Ok(p) => p,
            Err(e) => return Ok(Step::Fail(format!("the queued write-back is damaged: {e}"))),
        };
        let Some(ats) = &self.ats else {
            return Ok(Step::Retry("no ATS is connected".into()));
        };
        let row = self.store.ats_application(payload.application_id).await?;
        let application = Application {
            id: row.remote_id,
            candidate_id: row.candidate_remote_id,
            job_id: row.job_remote_id,
            stage_id: row.stage_remote_id,
            status: "active".into(),
            raw: json!({}),
        };
        // Attempts are counted when claimed: more than one means an earlier one may have acted.
        let uncertain_before = item.attempts > 1;
        let outcome: Result<Option<String>, AtsError> = match &payload.target {
            Target::Note { marker, text, html } => {
                let existing = if uncertain_before {
                    ats.find_note(&application, marker).await
                } else {
                    Ok(None)
                };
                match existing {
                    Ok(Some(id)) => Ok(Some(id)),
                    Ok(None) => {
                        let html = ats.capabilities().html_notes.then(|| html.clone());
                        ats.add_note(
                            &application,
                            &NewNote {
                                text: text.clone(),
                                html,
                            },
                        )
                        .await
                        .map(Some)
                    }
                    Err(e) => Err(e),
                }
            }
            Target::Attachment { filename, content } => {
                let existing = if uncertain_before {
                    ats.find_attachment(&application, filename).await
                } else {
                    Ok(None)
                };
                match existing {
                    Ok(Some(id)) => Ok(Some(id)),
                    Ok(None) => {
                        let file = NewAttachment {
                            filename: filename.clone(),
                            source: FileSource::Bytes {
                                data: content.clone().into_bytes(),
                                content_type: "text/plain; charset=utf-8".into(),
                            },
                        };
                        ats.add_attachment(&application, &file).await.map(Some)
                    }
                    Err(e) => Err(e),
                }
            }
            Target::Field { name, value } => ats
                .set_field(&application, name, value)
                .await
                .map(|()| None),
            Target::Move { stage } => match ats.move_application(&application, stage).await {
                // Refused after an attempt whose answer was lost: the first attempt moved it.
                Err(AtsError::Rejected { .. }) if uncertain_before => Ok(None),
                other => other.map(|()| None),
            },
        };
        let remote_id = match outcome {
            Ok(id) => id,
            // An unreadable answer may follow a write that happened: the retry looks first.
            Err(e) if e.is_retryable() || matches!(e, AtsError::Decode { .. }) => {
                return Ok(Step::Retry(e.to_string()))
            }
            Err(e) => return Ok(Step::Fail(e.to_string())),
        };
        let now = self.now();
        self.store
            .record_writeback(
                payload.invitation_id,
                &payload.target.ledger_name(),
                payload.revision,
                remote_id.as_deref(),
                now,
            )
            .await?;
        if self
            .store
            .complete_outbox(item.id, &self.config.worker_id, remote_id.as_deref(), now)
            .await?
            && self
                .store
                .outbox_pending_with_prefix(&format!("writeback:{}:", payload.invitation_id))
                .await?
                == 0
        {
            self.store
                .advance_invitation(
                    payload.invitation_id,
                    "synced",
                    Some("written back to the ATS"),
                    now,
                )
                .await?;
            self.store
                .log_activity(
                    "written_back",
                    "Wrote the interview results to the ATS",
                    Some(payload.invitation_id),
                    Some(payload.application_id),
                    now,
                )
                .await?;
            self.events.emit(crate::EngineEvent::WrittenBack {
                invitation_id: payload.invitation_id,
            });
        }
        Ok(Step::Done)
    }
}
