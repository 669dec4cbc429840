//! Setting up a job's automation: which interview it sends (chosen directly, created from a Willo
//! template, or picked by rules on the job's fields), and the dry run that shows what it would do
//! for the candidates in its trigger stages now, before it is switched on.

use desk_domain::NotePolicy;
use desk_store::{Automation, AutomationSpec, JobFacts};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::bulk::PreSend;
use crate::{Engine, EngineError};

/// How an automation picks its Willo interview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InterviewChoice {
    /// This interview. (Empty in rows stored before choices existed: the automation's own key.)
    Interview {
        #[serde(rename = "interviewKey", default)]
        interview_key: String,
    },
    /// A new interview made from this Willo template for the job (made once, then reused).
    Template {
        #[serde(rename = "templateKey")]
        template_key: String,
    },
    /// The first rule that matches the job; `fallback` when none does. Re-read on every ATS sync,
    /// so a job whose department changes gets the interview its new department calls for.
    Rules {
        rules: Vec<InterviewRule>,
        fallback: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InterviewRule {
    pub field: RuleField,
    /// Compared case-insensitively with the job's field, whole.
    pub equals: String,
    pub interview_key: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RuleField {
    /// The job's title.
    Job,
    Department,
    Location,
    Language,
}

/// What a recruiter sets for a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AutomationRequest {
    #[ts(type = "number")]
    pub job_id: i64,
    pub choice: InterviewChoice,
    #[ts(type = "number[]")]
    pub trigger_stage_ids: Vec<i64>,
    pub review_required: bool,
    #[ts(type = "number | null")]
    pub move_to_stage_id: Option<i64>,
    /// Move only when Willo's score reaches this (0–100).
    pub move_min_score: Option<f64>,
    /// What the note written to the ATS carries (everything when not said).
    #[serde(default)]
    pub note_policy: NotePolicy,
}

/// What an automation would do for one candidate in its trigger stages now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DryRunOutcome {
    WouldInvite {
        email: String,
        phone: Option<String>,
        /// The country the phone was read in, when it had no country code.
        #[serde(rename = "phoneAssumedRegion")]
        phone_assumed_region: Option<String>,
    },
    Refused {
        reasons: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DryRunRow {
    #[ts(type = "number")]
    pub application_id: i64,
    pub name: String,
    pub stage: Option<String>,
    pub result: DryRunOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DryRun {
    /// The interview the choice picks, by title; `None` when it would be created from a template.
    pub interview_title: Option<String>,
    /// Why this interview (which rule matched, or that a template will be used).
    pub reason: String,
    pub rows: Vec<DryRunRow>,
    /// Candidates waiting in a trigger stage when the automation is switched on are not invited by
    /// it (send to them by hand if they should be); everyone who arrives afterwards is.
    pub note: String,
}

/// Which interview `choice` picks for `job`, and why; `Ok(None)` for a template not yet used.
fn pick(choice: &InterviewChoice, job: &JobFacts) -> Result<(Option<String>, String), String> {
    match choice {
        InterviewChoice::Interview { interview_key } => {
            Ok((Some(interview_key.clone()), "chosen for this job".into()))
        }
        InterviewChoice::Template { template_key } => Ok((
            None,
            format!("made from the Willo template {template_key} for this job"),
        )),
        InterviewChoice::Rules { rules, fallback } => {
            for rule in rules {
                let value = match rule.field {
                    RuleField::Job => Some(job.title.as_str()),
                    RuleField::Department => job.department.as_deref(),
                    RuleField::Location => job.location.as_deref(),
                    RuleField::Language => job.language.as_deref(),
                };
                if value.is_some_and(|v| v.trim().eq_ignore_ascii_case(rule.equals.trim())) {
                    let field = serde_json::to_value(rule.field)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    return Ok((
                        Some(rule.interview_key.clone()),
                        format!("the rule “{field} is {}” matched", rule.equals.trim()),
                    ));
                }
            }
            match fallback {
                Some(key) => Ok((Some(key.clone()), "no rule matched: the fallback".into())),
                None => Err(format!(
                    "no rule matches the job “{}” and there is no fallback interview: add a rule or a fallback",
                    job.title
                )),
            }
        }
    }
}

fn title_for(template_name: &str, job: &JobFacts) -> String {
    format!("{template_name} — {}", job.title)
}

impl Engine {
    /// Checks what a request names exists and belongs to the job, before anything is created.
    async fn validate(&self, request: &AutomationRequest) -> Result<JobFacts, EngineError> {
        let job = self.store.job_facts(request.job_id).await?;
        if request.trigger_stage_ids.is_empty() {
            return Err(EngineError::Invalid(
                "trigger stages: choose at least one stage that sends the interview".into(),
            ));
        }
        let stages: Vec<i64> = self
            .store
            .job_summaries(self.ats_connection)
            .await?
            .into_iter()
            .filter(|j| j.id == request.job_id)
            .flat_map(|j| j.stages.into_iter().map(|s| s.stage_id))
            .collect();
        let named = request
            .trigger_stage_ids
            .iter()
            .map(|s| ("trigger stages", s))
            .chain(request.move_to_stage_id.iter().map(|s| ("move to", s)));
        for (field, stage) in named {
            if !stages.contains(stage) {
                return Err(EngineError::Invalid(format!(
                    "{field}: stage {stage} is not a stage of the job “{}”",
                    job.title
                )));
            }
        }
        if let InterviewChoice::Template { template_key } = &request.choice {
            if !desk_willo::is_key(template_key) {
                return Err(EngineError::Invalid(
                    "template: not a Willo template key (up to 64 letters, digits, - and _)".into(),
                ));
            }
        }
        if let Some(score) = request.move_min_score {
            if !(0.0..=100.0).contains(&score) {
                return Err(EngineError::Invalid(format!(
                    "minimum score: {score} is not a score from 0 to 100"
                )));
            }
            if request.move_to_stage_id.is_none() {
                return Err(EngineError::Invalid(
                    "minimum score: choose the stage to move to as well".into(),
                ));
            }
        }
        Ok(job)
    }

    /// The interview made from `template_key` for `job` earlier, looked up by its title so that a
    /// lost answer to the create call, or setting the automation again, makes no second one.
    async fn interview_from_template(
        &self,
        template_key: &str,
        job: &JobFacts,
    ) -> Result<String, EngineError> {
        let template = self.willo.template(template_key).await?;
        let title = title_for(&template.name, job);
        if let Some(existing) = self
            .willo
            .interviews()
            .await?
            .into_iter()
            .find(|i| i.title == title)
        {
            return Ok(existing.key);
        }
        let created = self
            .willo
            .create_interview_from_template(template_key, Some(&title))
            .await?;
        self.store
            .log_activity(
                "interview_created",
                &format!("Created the Willo interview “{title}” from a template"),
                None,
                None,
                self.now(),
            )
            .await?;
        Ok(created.key)
    }

    /// Sets (and switches on) a job's automation. The interview is resolved now: a template makes
    /// its interview, rules pick one, and whichever it is must be visible to the Willo key.
    pub async fn set_automation(
        &self,
        request: &AutomationRequest,
    ) -> Result<Automation, EngineError> {
        let job = self.validate(request).await?;
        let (picked, reason) = pick(&request.choice, &job).map_err(EngineError::Invalid)?;
        let key = match (picked, &request.choice) {
            (Some(key), _) => key,
            (None, InterviewChoice::Template { template_key }) => {
                self.interview_from_template(template_key, &job).await?
            }
            (None, _) => {
                return Err(EngineError::Invalid(
                    "the automation's interview could not be chosen".into(),
                ))
            }
        };
        let interview = self.resolve_interview(&key).await?.ok_or_else(|| {
            EngineError::Invalid(format!(
                "interview: the Willo interview {key} does not exist or this API key cannot see it"
            ))
        })?;
        let spec = AutomationSpec {
            job_id: request.job_id,
            interview_key: interview.key,
            interview_choice: serde_json::to_value(&request.choice)
                .map_err(|e| EngineError::Invalid(e.to_string()))?,
            trigger_stage_ids: request.trigger_stage_ids.clone(),
            review_required: request.review_required,
            move_to_stage_id: request.move_to_stage_id,
            move_min_score: request.move_min_score,
            note_policy: request.note_policy,
        };
        let now = self.now();
        self.store.set_automation(&spec, now).await?;
        self.store
            .log_activity(
                "automation_set",
                &format!(
                    "Automation for “{}” sends “{}” ({reason})",
                    job.title, interview.title
                ),
                None,
                None,
                now,
            )
            .await?;
        self.store
            .automation_for_job(request.job_id)
            .await?
            .ok_or_else(|| EngineError::Invalid("the automation was not saved".into()))
    }

    /// What the automation in `request` would do for the candidates in its trigger stages now.
    /// Nothing is created, recorded or sent.
    pub async fn dry_run(&self, request: &AutomationRequest) -> Result<DryRun, EngineError> {
        let job = self.validate(request).await?;
        let (picked, reason) = pick(&request.choice, &job).map_err(EngineError::Invalid)?;
        let interview = match &picked {
            Some(key) => self.resolve_interview(key).await?,
            None => None,
        };
        if picked.is_some() && interview.is_none() {
            return Err(EngineError::Invalid(format!(
                "interview: the Willo interview {} does not exist or this API key cannot see it",
                picked.unwrap_or_default()
            )));
        }
        let waiting = self
            .store
            .applications_in_stages(request.job_id, &request.trigger_stage_ids)
            .await?;
        let ids: Vec<i64> = waiting.iter().map(|(id, _)| *id).collect();
        let report = self
            .pre_send_for(&ids, interview.as_ref().map(|i| i.id))
            .await?;
        let rows: Vec<DryRunRow> = report
            .into_iter()
            .zip(waiting)
            .map(|(entry, (_, stage))| match entry {
                PreSend::WillSend {
                    application_id,
                    name,
                    email,
                    phone,
                    phone_assumed_region,
                } => DryRunRow {
                    application_id,
                    name,
                    stage,
                    result: DryRunOutcome::WouldInvite {
                        email,
                        phone,
                        phone_assumed_region,
                    },
                },
                PreSend::Refused {
                    application_id,
                    name,
                    refusals,
                    ..
                } => DryRunRow {
                    application_id,
                    name,
                    stage,
                    result: DryRunOutcome::Refused {
                        reasons: refusals.iter().map(ToString::to_string).collect(),
                    },
                },
            })
            .collect();
        let now_in = match rows.len() {
            1 => "1 candidate is".to_owned(),
            n => format!("{n} candidates are"),
        };
        let note = format!(
            "{now_in} in the trigger stages now. Switching the automation on does not invite them (send to them from Candidates if they should get it); it invites everyone who enters a trigger stage from then on."
        );
        Ok(DryRun {
            interview_title: interview.map(|i| i.title),
            reason,
            rows,
            note,
        })
    }

    /// Re-reads rule-based automations after an ATS sync: a job whose fields changed gets the
    /// interview its rules now pick. Returns how many changed.
    pub(crate) async fn refresh_rule_automations(&self) -> Result<usize, EngineError> {
        let mut changed = 0;
        for automation in self.store.automations().await? {
            let Ok(choice) =
                serde_json::from_value::<InterviewChoice>(automation.interview_choice.clone())
            else {
                continue;
            };
            if !matches!(choice, InterviewChoice::Rules { .. }) || automation.paused {
                continue;
            }
            let job = self.store.job_facts(automation.job_id).await?;
            let Ok((Some(key), reason)) = pick(&choice, &job) else {
                continue;
            };
            if key == automation.interview_key {
                continue;
            }
            let spec = AutomationSpec {
                job_id: automation.job_id,
                interview_key: key.clone(),
                interview_choice: automation.interview_choice,
                trigger_stage_ids: automation.trigger_stage_ids,
                review_required: automation.review_required,
                move_to_stage_id: automation.move_to_stage_id,
                move_min_score: automation.move_min_score,
                note_policy: automation.note_policy,
            };
            let now = self.now();
            self.store.set_automation(&spec, now).await?;
            self.store
                .log_activity(
                    "automation_set",
                    &format!(
                        "The job “{}” changed in the ATS: its automation now sends interview {key} ({reason})",
                        job.title
                    ),
                    None,
                    None,
                    now,
                )
                .await?;
            changed += 1;
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(department: Option<&str>, language: Option<&str>) -> JobFacts {
        JobFacts {
            id: 1,
            title: "Support Engineer".into(),
            department: department.map(Into::into),
            location: Some("Berlin".into()),
            language: language.map(Into::into),
        }
    }

    fn rule(field: RuleField, equals: &str, key: &str) -> InterviewRule {
        InterviewRule {
            field,
            equals: equals.into(),
            interview_key: key.into(),
        }
    }

    #[test]
    fn the_first_matching_rule_wins_case_insensitively() {
        let choice = InterviewChoice::Rules {
            rules: vec![
                rule(RuleField::Language, "de", "german"),
                rule(RuleField::Department, "engineering", "eng"),
                rule(RuleField::Location, "Berlin", "berlin"),
            ],
            fallback: Some("general".into()),
        };
        let (key, reason) = pick(&choice, &job(Some("Engineering"), None)).unwrap();
        assert_eq!(key.as_deref(), Some("eng"));
        assert!(reason.contains("department is engineering"), "{reason}");
        let (key, _) = pick(&choice, &job(Some("Engineering"), Some("DE"))).unwrap();
        assert_eq!(key.as_deref(), Some("german"));
        let (key, reason) = pick(&choice, &job(Some("Sales"), None)).unwrap();
        assert_eq!(key.as_deref(), Some("berlin"), "{reason}");
    }

    #[test]
    fn no_match_without_a_fallback_says_what_to_add() {
        let choice = InterviewChoice::Rules {
            rules: vec![rule(RuleField::Job, "Designer", "design")],
            fallback: None,
        };
        let error = pick(&choice, &job(None, None)).unwrap_err();
        assert!(
            error.contains("Support Engineer") && error.contains("fallback"),
            "{error}"
        );
        let fallback = InterviewChoice::Rules {
            rules: vec![],
            fallback: Some("general".into()),
        };
        assert_eq!(
            pick(&fallback, &job(None, None)).unwrap().0.as_deref(),
            Some("general")
        );
    }

    #[test]
    fn a_template_is_made_per_job_under_a_title_found_again_later() {
        let j = job(None, None);
        assert_eq!(
            title_for("Customer support screen", &j),
            "Customer support screen — Support Engineer"
        );
        let (key, _) = pick(
            &InterviewChoice::Template {
                template_key: "t1".into(),
            },
            &j,
        )
        .unwrap();
        assert_eq!(key, None);
    }
}
