//! The doctor's checks, run from the app on the app's own connections and automations: the
//! same findings `willo-desk doctor` prints.

use std::collections::HashMap;

use serde_json::json;

use crate::config::ServeConfig;
use crate::ipc::{Finding, Severity};
use crate::{doctor, App, AppError, ErrorCode};

/// The names the app's secrets go by for the doctor (never shown: findings name what to set).
const WILLO_KEY: &str = "WILLO_DESK_WILLO_API_KEY";
const ATS_SECRET: &str = "WILLO_DESK_GREENHOUSE_CLIENT_SECRET";
const TOKEN: &str = "WILLO_DESK_WEBHOOK_TOKEN";

impl App {
    /// The setup the app runs, written as a `serve` configuration, so one set of checks serves both.
    async fn as_config(&self) -> Result<ServeConfig, AppError> {
        let info = &self.sandbox().info;
        let jobs = self.store.job_summaries(self.ats_connection).await?;
        let mut automations = Vec::new();
        for a in self.store.automations().await? {
            let Some(job) = jobs.iter().find(|j| j.id == a.job_id) else {
                continue;
            };
            let mut stages = Vec::new();
            for id in &a.trigger_stage_ids {
                stages.push(self.store.stage_remote_id(*id).await?);
            }
            automations.push(json!({
                "job": job.remote_id,
                "interview": a.interview_key,
                "trigger_stages": stages,
                "review_required": a.review_required,
            }));
        }
        let (addr, _) = self.receiver();
        let settings = self.settings().await?;
        let value = json!({
            "willo": { "base_url": info.willo_base_url, "rate_per_second": 10.0 },
            "ats": {
                "kind": "greenhouse",
                "base_url": info.greenhouse_base_url,
                "token_url": info.greenhouse_token_url,
                "client_id": info.greenhouse_client_id,
            },
            "receiver": { "listen": addr.to_string(), "public_url": format!("http://{addr}") },
            "engine": { "default_region": settings.default_region.or_else(|| Some("GB".into())) },
            "automations": automations,
        });
        serde_json::from_value(value).map_err(|e| {
            AppError::new(
                ErrorCode::Internal,
                format!("the app's setup could not be checked: {e}"),
            )
        })
    }

    /// Runs the doctor's checks on the app's setup.
    pub async fn doctor(&self) -> Result<Vec<Finding>, AppError> {
        let config = self.as_config().await?;
        let info = &self.sandbox().info;
        let (_, token) = self.receiver();
        let secrets: HashMap<&str, String> = HashMap::from([
            (WILLO_KEY, info.willo_api_key.clone()),
            (ATS_SECRET, info.greenhouse_client_secret.clone()),
            (TOKEN, token.expose().clone()),
        ]);
        let lookup = |name: &str| secrets.get(name).cloned();
        Ok(doctor::check(&config, &lookup)
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
}
