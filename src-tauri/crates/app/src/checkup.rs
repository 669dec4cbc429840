//! The doctor's checks, run from the app on the app's own connections and automations: the
//! same findings `willo-desk doctor` prints.

use std::collections::HashMap;

use serde_json::json;

use crate::config::ServeConfig;
use crate::ipc::{Finding, Severity};
use crate::{doctor, App, AppError, ErrorCode};

use crate::live::{ATS_SECRET, WILLO_KEY};

/// The name the receiver's token goes by for the doctor.
const TOKEN: &str = "webhook-token";

impl App {
    /// The setup the app runs, written as a `serve` configuration, so one set of checks serves
    /// both; and the secrets it names.
    async fn as_config(&self) -> Result<(ServeConfig, HashMap<&'static str, String>), AppError> {
        let (addr, token) = self.receiver();
        let mut secrets = HashMap::from([(TOKEN, token.expose().clone())]);
        let mut value = match (self.sandbox(), &self.connections) {
            (Some(sandbox), _) => {
                let info = &sandbox.info;
                secrets.insert(WILLO_KEY, info.willo_api_key.clone());
                secrets.insert(ATS_SECRET, info.greenhouse_client_secret.clone());
                json!({
                    "willo": { "base_url": info.willo_base_url, "api_key_env": WILLO_KEY },
                    "ats": {
                        "kind": "greenhouse",
                        "base_url": info.greenhouse_base_url,
                        "token_url": info.greenhouse_token_url,
                        "client_id": info.greenhouse_client_id,
                        "client_secret_env": ATS_SECRET,
                    },
                    // The simulated Willo reaches the loopback receiver.
                    "receiver": { "listen": addr.to_string(), "public_url": format!("http://{addr}"), "token_env": TOKEN },
                })
            }
            (None, Some(connections)) => {
                let keychain = self.secrets.as_ref().ok_or_else(|| {
                    AppError::new(ErrorCode::Internal, "live mode without a keychain")
                })?;
                for name in [WILLO_KEY, ATS_SECRET] {
                    if let Some(value) = keychain.get(name)? {
                        secrets.insert(name, value);
                    }
                }
                json!({
                    "willo": { "base_url": connections.willo_base()?, "api_key_env": WILLO_KEY },
                    "ats": connections.ats_section()?,
                    "receiver": { "listen": addr.to_string(), "token_env": TOKEN },
                })
            }
            (None, None) => {
                return Err(AppError::new(
                    ErrorCode::Internal,
                    "the app has no connections",
                ))
            }
        };
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
        let settings = self.settings().await?;
        value["engine"] = json!({ "default_region": settings.default_region.or_else(|| self.sandbox().map(|_| "GB".to_owned())) });
        value["automations"] = json!(automations);
        Ok((ServeConfig::from_value(value)?, secrets))
    }

    /// Runs the doctor's checks on the app's setup.
    pub async fn doctor(&self) -> Result<Vec<Finding>, AppError> {
        let (config, secrets) = self.as_config().await?;
        let lookup = |name: &str| secrets.get(name).cloned();
        let mut findings = doctor::check(&config, &lookup).await?;
        let used = self.engine.willo_usage().await?.last_day;
        findings.push(doctor::budget(&config, Some(used)));
        Ok(findings
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
