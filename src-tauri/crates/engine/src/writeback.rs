//! Writing a completed interview's results back to the ATS: one outbox item per target, each
//! idempotent. A note carries a marker (participant key and revision) and is looked for before it
//! is tried again after an uncertain outcome; a field write is harmless to repeat; a move that the
//! ATS refuses after an uncertain attempt has already happened. The ledger says what was written,
//! with the ATS's ids.
//!
//! The candidate moves on only once everything else is written: the move is queued when the last
//! other item is done, so a note the ATS refuses holds the move back. An invitation is "synced"
//! only when every item is done; a failed one waits, with its error, for a retry.

use desk_ats::{AtsError, FileSource, NewAttachment, NewNote};
use desk_domain::{InvitationStatus, NotePolicy};
use desk_store::Automation;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::note::{self, NoteContent};
use crate::worker::{Claim, Step};
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
    /// The review's version when a recruiter reviewed again with something new (see
    /// [`note::revision_tag`]); 0 or 1 otherwise.
    #[serde(default)]
    review_version: i64,
    #[serde(flatten)]
    target: Target,
}

/// What the automation says about moving a candidate whose results are written.
enum PlannedMove {
    /// No move is configured.
    None,
    /// A move is configured, but the score does not allow it (why).
    Held(String),
    /// Move to this stage (the ATS's id).
    To(String),
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

impl Payload {
    /// The outbox key: a move happens once, whatever the revision; everything else once per
    /// revision and review.
    fn key(&self) -> String {
        match &self.target {
            Target::Move { .. } => format!("writeback:{}:move", self.invitation_id),
            other => format!(
                "writeback:{}:{}:{}",
                self.invitation_id,
                other.ledger_name(),
                note::revision_tag(self.revision, self.review_version)
            ),
        }
    }

    /// The name this write goes by in the ledger (a second review's note is a note of its own).
    fn ledger_target(&self) -> String {
        match &self.target {
            Target::Move { .. } => "move".into(),
            other if self.review_version > 1 => {
                format!("{}.r{}", other.ledger_name(), self.review_version)
            }
            other => other.ledger_name(),
        }
    }
}

impl Engine {
    /// Queues the write-back of an invitation's current results: a note (a follow-up note when an
    /// earlier revision or review was written), the transcripts file where they are long, and the
    /// score in a custom field where the ATS has them and one is configured. The move to the
    /// automation's next stage is queued once these are written. Queueing the same results again
    /// queues nothing new. Returns the outbox ids.
    pub async fn queue_writeback(&self, invitation_id: i64) -> Result<Vec<i64>, EngineError> {
        let Some(ats) = &self.ats else {
            return Err(EngineError::Invalid("no ATS is connected".into()));
        };
        let invitation = self.store.invitation(invitation_id).await?;
        let participant = self
            .store
            .participant_of(invitation_id)
            .await?
            .filter(|p| p.status == InvitationStatus::Completed)
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
        let review = self.store.review(invitation_id).await?;
        if review.as_ref().is_some_and(|r| r.decision != "approved") {
            return Err(EngineError::Invalid(
                "the reviewer chose not to send these results".into(),
            ));
        }
        let automation = self.automation_of(invitation.application_id).await?;
        let policy = automation
            .as_ref()
            .map_or(NotePolicy::Everything, |a| a.note_policy);
        let review_version = review.as_ref().map_or(0, |r| r.version);
        let tag = note::revision_tag(participant.revision, review_version);
        let marker = note::marker(&participant.key, &tag);
        let short_key: String = participant.key.chars().take(8).collect();
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
            policy,
        };
        let transcripts_file = note::has_long_transcript(&content)
            .then(|| format!("willo-transcripts-{short_key}-r{tag}.txt"));
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
        if let PlannedMove::Held(why) = self
            .planned_move(invitation.application_id, participant.score)
            .await?
        {
            // A later score is a new revision, queued again: the move waits for it.
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
        let items: Vec<(String, serde_json::Value)> = targets
            .into_iter()
            .map(|target| {
                let payload = Payload {
                    invitation_id,
                    application_id: invitation.application_id,
                    revision: participant.revision,
                    review_version,
                    target,
                };
                (
                    payload.key(),
                    serde_json::to_value(&payload).unwrap_or_else(|_| json!({})),
                )
            })
            .collect();
        // A synced invitation with new results is not "written back" until they are.
        let reopen_to = if review.is_some() {
            InvitationStatus::Reviewed
        } else {
            InvitationStatus::Completed
        };
        let ids = self
            .store
            .enqueue_writeback(invitation_id, &items, reopen_to, self.now())
            .await?;
        self.wake.notify_one();
        Ok(ids)
    }

    /// The automation of an application's job, if it has one.
    async fn automation_of(&self, application_id: i64) -> Result<Option<Automation>, EngineError> {
        let job = self.store.ats_application(application_id).await?;
        let Some(job_id) = self
            .store
            .job_id(self.ats_connection, &job.job_remote_id)
            .await?
        else {
            return Ok(None);
        };
        Ok(self.store.automation_for_job(job_id).await?)
    }

    /// Where the automation of an application's job moves the candidate once results are written.
    async fn planned_move(
        &self,
        application_id: i64,
        score: Option<f64>,
    ) -> Result<PlannedMove, EngineError> {
        let Some(automation) = self.automation_of(application_id).await? else {
            return Ok(PlannedMove::None);
        };
        let Some(stage) = automation.move_to_stage_id else {
            return Ok(PlannedMove::None);
        };
        Ok(match (automation.move_min_score, score) {
            (Some(min), score) if score.is_none_or(|s| s < min) => {
                PlannedMove::Held(score.map_or_else(
                    || format!("no score from Willo yet (the move needs {min})"),
                    |s| format!("score {s} is below {min}"),
                ))
            }
            _ => PlannedMove::To(self.store.stage_remote_id(stage).await?),
        })
    }

    /// After one write-back item is done: when it was the last one outstanding, queue the move
    /// the automation asks for (once), or, with nothing left to do, mark the invitation synced.
    async fn after_writeback(&self, payload: &Payload) -> Result<(), EngineError> {
        let invitation_id = payload.invitation_id;
        if self
            .store
            .outbox_unfinished_with_prefix(&format!("writeback:{invitation_id}:"))
            .await?
            > 0
        {
            return Ok(());
        }
        let score = self
            .store
            .participant_of(invitation_id)
            .await?
            .and_then(|p| p.score);
        if let PlannedMove::To(stage) = self.planned_move(payload.application_id, score).await? {
            let to_move = Payload {
                target: Target::Move { stage },
                ..payload.clone()
            };
            let (_, created) = self
                .store
                .enqueue(
                    "writeback",
                    &to_move.key(),
                    &serde_json::to_value(&to_move).unwrap_or_else(|_| json!({})),
                    self.now(),
                )
                .await?;
            if created {
                self.wake.notify_one();
                return Ok(());
            }
        }
        let now = self.now();
        self.store
            .advance_invitation(
                invitation_id,
                InvitationStatus::Synced,
                Some("written back to the ATS"),
                now,
            )
            .await?;
        self.store
            .log_activity(
                "written_back",
                "Wrote the interview results to the ATS",
                Some(invitation_id),
                Some(payload.application_id),
                now,
            )
            .await?;
        self.events
            .emit(crate::EngineEvent::WrittenBack { invitation_id });
        Ok(())
    }

    /// Finishes the write-backs whose items are all done but whose last step (queueing the move,
    /// or marking the invitation synced) never ran: the process stopped, or the store failed,
    /// right after the last item was done. Runs at each catch-up (the first is at start).
    pub async fn settle_writebacks(&self) -> Result<usize, EngineError> {
        if self.is_stopping() || !self.is_acting() {
            return Ok(0);
        }
        // One outbox driver at a time: a bulk send finishing the same write-back's last item
        // must not settle it alongside.
        let _turn = self.outbox_turn.lock().await;
        let left = self.store.writebacks_left_unsettled().await?;
        for text in &left {
            let settled = match serde_json::from_str::<Payload>(text) {
                Ok(payload) => self.after_writeback(&payload).await,
                Err(error) => Err(EngineError::Invalid(error.to_string())),
            };
            if let Err(error) = settled {
                // One write-back's trouble must not hold up the others.
                tracing::warn!(%error, "a finished write-back could not be settled");
            }
        }
        Ok(left.len())
    }

    /// Queues every write-back that is due (see `Store::writebacks_due`). The loop sweeps on
    /// every turn: that heals a crash between marking an interview completed (or approved) and
    /// queueing its write-back, and finds those a recruiter's change made due (an automation
    /// switched to skip review). Results that change are queued by their reconcile at once.
    pub async fn queue_due_writebacks(&self) -> Result<usize, EngineError> {
        self.queue_writebacks_due(None).await
    }

    /// Queues the write-back of an invitation whose results just changed, if they are due.
    pub(crate) async fn queue_writeback_if_due(
        &self,
        invitation_id: i64,
    ) -> Result<(), EngineError> {
        self.queue_writebacks_due(Some(invitation_id))
            .await
            .map(|_| ())
    }

    /// Queues the due write-backs (`only` that invitation's) and logs each; returns how many.
    async fn queue_writebacks_due(&self, only: Option<i64>) -> Result<usize, EngineError> {
        if self.ats.is_none() {
            return Ok(0);
        }
        let due = self.store.writebacks_due(only).await?;
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

    pub(crate) async fn write_back(&self, claim: &Claim) -> Result<Step, EngineError> {
        let item = &claim.item;
        let payload: Payload = match serde_json::from_value(item.payload.clone()) {
            Ok(p) => p,
            Err(e) => return Ok(Step::Fail(format!("the queued write-back is damaged: {e}"))),
        };
        let Some(ats) = &self.ats else {
            return Ok(Step::Retry("no ATS is connected".into()));
        };
        if let Some(wait) = self.erasure_waiting(payload.application_id).await? {
            return Ok(wait);
        }
        let row = self.store.ats_application(payload.application_id).await?;
        let application = row.reference();
        // Attempts are counted when claimed: more than one means an earlier one may have acted.
        let uncertain_before = item.attempts > 1;
        let outcome: Result<Option<String>, AtsError> = match &payload.target {
            Target::Note { marker, text, html } => {
                let existing = if uncertain_before {
                    ats.find_note(application, marker).await
                } else {
                    Ok(None)
                };
                match existing {
                    Ok(Some(id)) => Ok(Some(id)),
                    Ok(None) => {
                        if !self.hold(claim).await? {
                            return Ok(Step::Lost);
                        }
                        let html = ats.capabilities().html_notes.then(|| html.clone());
                        ats.add_note(
                            application,
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
                    ats.find_attachment(application, filename).await
                } else {
                    Ok(None)
                };
                match existing {
                    Ok(Some(id)) => Ok(Some(id)),
                    Ok(None) => {
                        if !self.hold(claim).await? {
                            return Ok(Step::Lost);
                        }
                        let file = NewAttachment {
                            filename: filename.clone(),
                            source: FileSource::Bytes {
                                data: content.clone().into_bytes(),
                                content_type: "text/plain; charset=utf-8".into(),
                            },
                        };
                        ats.add_attachment(application, &file).await.map(Some)
                    }
                    Err(e) => Err(e),
                }
            }
            Target::Field { name, value } => {
                if !self.hold(claim).await? {
                    return Ok(Step::Lost);
                }
                ats.set_field(application, name, value).await.map(|()| None)
            }
            Target::Move { stage } => {
                if !self.hold(claim).await? {
                    return Ok(Step::Lost);
                }
                match ats.move_application(application, stage).await {
                    // Refused after an attempt whose answer was lost: the first attempt moved it.
                    Err(AtsError::Rejected { .. }) if uncertain_before => Ok(None),
                    other => other.map(|()| None),
                }
            }
        };
        let remote_id = match outcome {
            Ok(id) => id,
            Err(AtsError::RateLimited { retry_after }) => {
                return Ok(Step::Throttled(
                    "the ATS is throttling requests; waiting".into(),
                    retry_after,
                ))
            }
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
                &payload.ledger_target(),
                payload.revision,
                remote_id.as_deref(),
                now,
            )
            .await?;
        if !self
            .store
            .complete_outbox(item.id, &claim.owner, remote_id.as_deref(), now)
            .await?
        {
            return Ok(Step::Lost);
        }
        self.after_writeback(&payload).await?;
        Ok(Step::Done)
    }
}
