//! The automations screen: every job with its stages and automation, setting one up (after a
//! dry run), and pausing.

use desk_engine::{AutomationRequest, DryRun, InterviewChoice};
use desk_store::Automation;

use crate::app::count;
use crate::ipc::{AutomationState, AutomationView, StageOption};
use crate::{App, AppError};

impl App {
    fn state(&self, a: Automation, title: Option<String>) -> Result<AutomationState, AppError> {
        let mut choice: InterviewChoice =
            serde_json::from_value(a.interview_choice).map_err(|e| {
                AppError::new(
                    crate::ErrorCode::Storage,
                    format!("a stored automation could not be read: {e}"),
                )
            })?;
        if let InterviewChoice::Interview { interview_key } = &mut choice {
            if interview_key.is_empty() {
                interview_key.clone_from(&a.interview_key);
            }
        }
        Ok(AutomationState {
            interview_key: a.interview_key,
            interview_title: title,
            choice,
            trigger_stage_ids: a.trigger_stage_ids.into_iter().map(count).collect(),
            review_required: a.review_required,
            move_to_stage_id: a.move_to_stage_id.map(count),
            move_min_score: a.move_min_score,
            note_policy: a.note_policy,
            paused: a.paused,
            #[allow(clippy::cast_precision_loss)] // milliseconds since 1970 fit a double exactly
            enabled_at: a.enabled_at as f64,
        })
    }

    /// Every job, with its stages and its automation if it has one.
    pub async fn automations(&self) -> Result<Vec<AutomationView>, AppError> {
        let automations = self.store.automations().await?;
        let suggested = self.store.suggested_interviews(self.ats_connection).await?;
        let mut views = Vec::new();
        for job in self.store.job_summaries(self.ats_connection).await? {
            let automation = match automations.iter().find(|a| a.job_id == job.id) {
                Some(a) => {
                    let title = self.store.interview_title(&a.interview_key).await?;
                    Some(self.state(a.clone(), title)?)
                }
                None => None,
            };
            views.push(AutomationView {
                job_id: count(job.id),
                job_title: job.title,
                department: job.department,
                location: job.location,
                stages: job
                    .stages
                    .into_iter()
                    .map(|s| StageOption {
                        id: count(s.stage_id),
                        name: s.name,
                    })
                    .collect(),
                automation,
                suggested_interview_key: suggested
                    .iter()
                    .find(|(job_id, _)| *job_id == job.id)
                    .map(|(_, key)| key.clone()),
            });
        }
        Ok(views)
    }

    /// The interview to preselect when sending to these applications: the one their jobs
    /// suggest (see `suggested_interviews`) when they all suggest the same, else none, so a
    /// recruiter never sends one job's interview to another job's candidates by default.
    pub async fn suggested_interview(
        &self,
        application_ids: &[u32],
    ) -> Result<Option<String>, AppError> {
        let ids: Vec<i64> = application_ids.iter().map(|&id| id.into()).collect();
        let jobs = self.store.jobs_of(&ids).await?;
        let suggested = self.store.suggested_interviews(self.ats_connection).await?;
        let mut keys = jobs.iter().map(|job| {
            suggested
                .iter()
                .find(|(j, _)| j == job)
                .map(|(_, key)| key.as_str())
        });
        let first = keys.next().flatten();
        Ok(first
            .filter(|key| keys.all(|k| k == Some(*key)))
            .map(str::to_owned))
    }

    /// Sets and switches on a job's automation.
    pub async fn set_automation(
        &self,
        request: &AutomationRequest,
    ) -> Result<AutomationState, AppError> {
        let saved = self.engine.set_automation(request).await?;
        let title = self.store.interview_title(&saved.interview_key).await?;
        self.state(saved, title)
    }

    /// What the automation would do for the candidates in its trigger stages now.
    pub async fn dry_run(&self, request: &AutomationRequest) -> Result<DryRun, AppError> {
        Ok(self.engine.dry_run(request).await?)
    }

    /// Pauses or resumes a job's automation. Resuming counts arrivals from now on.
    pub async fn pause_automation(&self, job_id: u32, paused: bool) -> Result<(), AppError> {
        let job = i64::from(job_id);
        if self.store.automation_for_job(job).await?.is_none() {
            return Err(AppError::new(
                crate::ErrorCode::NotFound,
                "This job has no automation to pause.",
            ));
        }
        let title = self.store.job_facts(job).await?.title;
        let now = crate::app::now_ms();
        self.store.set_automation_paused(job, paused, now).await?;
        self.store
            .log_activity(
                "automation_paused",
                &format!(
                    "Automation for “{title}” {}",
                    if paused { "paused" } else { "resumed" }
                ),
                None,
                None,
                now,
            )
            .await?;
        Ok(())
    }
}
