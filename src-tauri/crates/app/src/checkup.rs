//! The doctor's checks, run from the app on the app's own connections and automations: the
//! same findings `willo-desk doctor` prints.

use std::collections::HashMap;

use crate::config::{AutomationSection, ReceiverSection, ServeConfig};
use crate::ipc::{Finding, Severity};
use crate::{doctor, App, AppError};

/// The name the receiver's token goes by for the doctor.
const TOKEN: &str = "webhook-token";

impl App {
    /// The setup the app runs, as the `serve` configuration it was assembled from, with its
    /// receiver and the automations set in the app, so one set of checks serves both; and the
    /// secrets it names.
    async fn as_config(&self) -> Result<(ServeConfig, HashMap<String, String>), AppError> {
        let (addr, token) = self.receiver();
        let settings = self.settings().await?;
        let mut config = self.config.clone();
        config.receiver = Some(ReceiverSection {
            listen: addr,
            public_url: self.registration_url(addr, settings.receiver_public_url),
            token_env: TOKEN.into(),
            ats_secret_env: None,
        });
        let mut secrets = HashMap::new();
        for name in config.secret_names() {
            if let Some(value) = self.secret(name)? {
                secrets.insert(name.to_owned(), value);
            }
        }
        // The receiver's own token, whatever the keychain may hold under that name.
        secrets.insert(TOKEN.to_owned(), token.expose().clone());
        let jobs = self.store.job_summaries(self.ats_connection).await?;
        config.automations.clear();
        for a in self.store.automations().await? {
            let Some(job) = jobs.iter().find(|j| j.id == a.job_id) else {
                continue;
            };
            let mut trigger_stages = Vec::new();
            for id in &a.trigger_stage_ids {
                trigger_stages.push(self.store.stage_remote_id(*id).await?);
            }
            config.automations.push(AutomationSection {
                job: job.remote_id.clone(),
                interview: a.interview_key,
                trigger_stages,
                review_required: a.review_required,
                move_to_stage: None,
                move_min_score: None,
                note: a.note_policy,
            });
        }
        if let Some(region) = settings.default_region {
            config.engine.default_region = Some(region);
        }
        Ok((config, secrets))
    }

    /// Runs the doctor's checks on the app's setup.
    pub async fn doctor(&self) -> Result<Vec<Finding>, AppError> {
        Ok(self
            .doctor_findings()
            .await?
            .into_iter()
            .map(|f| Finding {
                check: f.check.to_owned(),
                severity: match f.severity {
                    doctor::Severity::Ok => Severity::Ok,
                    doctor::Severity::Warning => Severity::Warning,
                    doctor::Severity::Problem => Severity::Problem,
                },
                message: f.message,
                fix: f.fix,
            })
            .collect())
    }

    pub(crate) async fn doctor_findings(&self) -> Result<Vec<doctor::Finding>, AppError> {
        let (config, secrets) = self.as_config().await?;
        let lookup = |name: &str| secrets.get(name).cloned();
        let mut findings = doctor::check(&config, &lookup).await?;
        let used = self.engine.willo_usage().await?.last_day;
        findings.push(doctor::budget(&config, Some(used)));
        Ok(findings)
    }
}
