//! The candidate list, a candidate's timeline, and sending by hand: the interviews to choose
//! from, the pre-send report, and the bulk send with its progress and cancel.

use desk_engine::{BulkProgress, PreSend};
use desk_store::{CandidateFilter, CandidateSort, TimelineEntry};

use crate::app::count;
use crate::ipc::{
    CandidatePage, CandidateQuery, CandidateRow, CandidateSort as ListSort, InterviewOption,
    PreSendRow, TemplateOption, TimelineStep,
};
use crate::{App, AppError, ErrorCode};

/// The largest page the list asks for at once.
const MAX_PAGE: u32 = 500;
/// The most candidates one bulk send takes.
const MAX_SELECTION: usize = 5_000;

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::Validation, message)
}

/// What a timeline step says, and for a failure what to do about it.
fn describe(entry: &TimelineEntry) -> TimelineStep {
    let mut detail = entry.detail.clone();
    let interview = entry.interview_title.as_deref().unwrap_or("an interview");
    // The first note is the note; later ones are follow-ups (new scores or a new review).
    let update = detail
        .as_deref()
        .and_then(|d| d.parse::<u32>().ok())
        .filter(|&revision| revision > 1);
    if entry.step.starts_with("written:") {
        detail = update.map(|revision| format!("update {}", revision - 1));
    }
    let (label, fix, failed) = match entry.step.as_str() {
        "stage" => (
            format!("In stage {}", detail.as_deref().unwrap_or("(none)")),
            None,
            false,
        ),
        "queued" => (format!("Invitation to {interview} queued"), None, false),
        "refused" => (
            "Not sent".into(),
            Some("Fix what the reason says in the ATS, then send again.".into()),
            true,
        ),
        "invited" => (format!("Invited to {interview}"), None, false),
        "opened" => ("Opened the interview".into(), None, false),
        "started" => ("Started answering".into(), None, false),
        "completed" => ("Completed the interview".into(), None, false),
        "reviewed" => ("Reviewed".into(), None, false),
        "synced" => ("Results written to the ATS".into(), None, false),
        "failed" => (
            "Could not be sent".into(),
            Some("Fix the cause, then retry it from Activity.".into()),
            true,
        ),
        "erased" => ("Interview data deleted".into(), None, false),
        "written:note" if update.is_some() => {
            ("Follow-up note added in the ATS".into(), None, false)
        }
        "written:note" => ("Note added in the ATS".into(), None, false),
        "written:attachment" => ("Transcripts attached in the ATS".into(), None, false),
        "written:move" => ("Moved to the next stage".into(), None, false),
        "error" => (
            "Writing to the ATS keeps failing".into(),
            Some(
                "Check the ATS connection and the candidate in the ATS, then retry from Activity."
                    .into(),
            ),
            true,
        ),
        other => match other.strip_prefix("written:field:") {
            Some(field) => (format!("Score written to the field {field}"), None, false),
            None => (other.to_owned(), None, false),
        },
    };
    #[allow(clippy::cast_precision_loss)] // milliseconds since 1970 fit a double exactly
    let at = entry.at as f64;
    TimelineStep {
        at,
        step: entry.step.clone(),
        label,
        detail,
        fix,
        failed,
    }
}

fn filter(query: &CandidateQuery) -> CandidateFilter {
    CandidateFilter {
        search: query.search.clone(),
        job_id: query.job_id.map(i64::from),
        stage_id: query.stage_id.map(i64::from),
        status: query.status,
        sort: match query.sort {
            None => CandidateSort::Newest,
            Some(ListSort::Name) => CandidateSort::Name,
            Some(ListSort::Job) => CandidateSort::Job,
            Some(ListSort::Stage) => CandidateSort::Stage,
            Some(ListSort::Status) => CandidateSort::Status,
            Some(ListSort::Activity) => CandidateSort::Activity,
        },
        descending: query.descending,
    }
}

impl App {
    /// A page of the candidate list (one row per application), newest first; the first page of a
    /// filter (offset 0) comes with the total.
    pub async fn candidates(&self, query: &CandidateQuery) -> Result<CandidatePage, AppError> {
        if query
            .search
            .as_ref()
            .is_some_and(|s| s.chars().count() > 200)
        {
            return Err(invalid("search: at most 200 characters"));
        }
        let limit = query.limit.clamp(1, MAX_PAGE);
        let filter = filter(query);
        let rows = self
            .store
            .candidate_rows(
                &self.candidate_list,
                self.ats_connection,
                &filter,
                query.offset.into(),
                limit.into(),
            )
            .await?;
        // The total changes with the filter, not with scrolling: counted with the first page only.
        let total = if query.offset == 0 {
            Some(count(
                self.store
                    .candidate_total(self.ats_connection, &filter)
                    .await?,
            ))
        } else {
            None
        };
        Ok(CandidatePage {
            total,
            offset: query.offset,
            rows: rows
                .into_iter()
                .map(|r| CandidateRow {
                    application_id: count(r.application_id),
                    name: format!("{} {}", r.first_name, r.last_name)
                        .trim()
                        .to_owned(),
                    email: r.email,
                    phone: r.phone,
                    job_id: count(r.job_id),
                    job_title: r.job_title,
                    stage: r.stage_name,
                    invitation_id: r.invitation_id.map(count),
                    status: r.status,
                    reason: r.refused_reason,
                    #[allow(clippy::cast_precision_loss)] // milliseconds since 1970 fit a double exactly
                    last_activity_at: r.last_activity_at as f64,
                })
                .collect(),
        })
    }

    /// Everything that happened to an application, oldest first.
    pub async fn timeline(&self, application_id: u32) -> Result<Vec<TimelineStep>, AppError> {
        Ok(self
            .store
            .timeline(application_id.into())
            .await?
            .iter()
            .map(describe)
            .collect())
    }

    /// The Willo interviews this key can see.
    pub async fn interviews(&self) -> Result<Vec<InterviewOption>, AppError> {
        Ok(self
            .engine
            .willo()
            .interviews()
            .await?
            .into_iter()
            .map(|i| InterviewOption {
                key: i.key,
                title: i.title,
                department: i.department,
                language: i.language,
            })
            .collect())
    }

    /// Willo's interview templates, to make an automation's interview from.
    pub async fn templates(&self) -> Result<Vec<TemplateOption>, AppError> {
        Ok(self
            .engine
            .willo()
            .templates(None)
            .await?
            .into_iter()
            .map(|t| TemplateOption {
                key: t.key,
                name: t.name,
                category: t.category,
                questions: count(t.questions.len()),
            })
            .collect())
    }

    fn selection(application_ids: &[u32], interview_key: &str) -> Result<Vec<i64>, AppError> {
        if application_ids.is_empty() {
            return Err(invalid("selection: choose at least one candidate"));
        }
        if application_ids.len() > MAX_SELECTION {
            return Err(invalid(format!(
                "selection: at most {MAX_SELECTION} candidates at once"
            )));
        }
        if interview_key.trim().is_empty() {
            return Err(invalid("interview: choose the interview to send"));
        }
        Ok(application_ids.iter().map(|&id| i64::from(id)).collect())
    }

    /// What sending would do for each selected candidate, before anything is sent.
    pub async fn pre_send(
        &self,
        application_ids: &[u32],
        interview_key: &str,
    ) -> Result<Vec<PreSendRow>, AppError> {
        let ids = Self::selection(application_ids, interview_key)?;
        let report = self.engine.pre_send_report(&ids, interview_key).await?;
        Ok(report
            .into_iter()
            .map(|entry| match entry {
                PreSend::WillSend {
                    application_id,
                    name,
                    email,
                    phone,
                    phone_assumed_region,
                } => PreSendRow {
                    application_id: count(application_id),
                    name,
                    will_send: true,
                    email: Some(email),
                    phone,
                    phone_assumed_region,
                    refusals: Vec::new(),
                },
                PreSend::Refused {
                    application_id,
                    name,
                    email,
                    phone,
                    refusals,
                } => PreSendRow {
                    application_id: count(application_id),
                    name,
                    will_send: false,
                    email,
                    phone,
                    phone_assumed_region: None,
                    refusals: refusals.iter().map(ToString::to_string).collect(),
                },
            })
            .collect())
    }

    /// Sends to the selection, calling `progress` as it goes. One bulk send at a time; [`App::cancel_send`]
    /// stops it, keeping what was sent.
    pub async fn send(
        &self,
        application_ids: &[u32],
        interview_key: &str,
        progress: &(dyn Fn(BulkProgress) + Send + Sync),
    ) -> Result<BulkProgress, AppError> {
        let ids = Self::selection(application_ids, interview_key)?;
        let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(false);
        {
            let mut slot = self
                .bulk_cancel
                .lock()
                .map_err(|_| AppError::new(ErrorCode::Internal, "the send lock is poisoned"))?;
            if slot.is_some() {
                return Err(invalid(
                    "a send is already in progress: wait for it or cancel it",
                ));
            }
            *slot = Some(cancel_tx);
        }
        let result = self
            .engine
            .send_many(&ids, interview_key, progress, cancel_rx)
            .await;
        if let Ok(mut slot) = self.bulk_cancel.lock() {
            *slot = None;
        }
        Ok(result?)
    }

    /// Whether a bulk send is in progress.
    pub fn sending(&self) -> bool {
        self.bulk_cancel
            .lock()
            .map(|slot| slot.is_some())
            .unwrap_or(false)
    }

    /// Cancels the send in progress. Returns false when there is none.
    pub fn cancel_send(&self) -> bool {
        self.bulk_cancel
            .lock()
            .ok()
            .and_then(|slot| slot.as_ref().map(|tx| tx.send(true).is_ok()))
            .unwrap_or(false)
    }
}
