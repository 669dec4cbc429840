//! `willo-desk doctor`: the checks behind "why is nothing sending / syncing?", each finding with
//! what to do. It reads only; it never sends an invitation or writes to the ATS. Findings name
//! counts and ATS ids, never candidates' names, emails or phone numbers, so the output can be
//! pasted into a support request.

use std::collections::HashMap;
use std::sync::Arc;

use desk_ats::AtsConnector;
use desk_domain::{AtsKind, PhoneE164};
use desk_willo::{AuthScheme, RetryPolicy, Usage, WilloError};
use serde::Serialize;

use crate::assembly::connector;
use crate::config::{secret, AtsSection, ServeConfig};
use crate::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Ok,
    Warning,
    Problem,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub severity: Severity,
    pub message: String,
    /// What to do; empty when all is well.
    pub fix: String,
}

/// The findings as the command prints them: one line each, and the fix under it.
pub fn report(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let mark = match f.severity {
            Severity::Ok => "ok     ",
            Severity::Warning => "WARNING",
            Severity::Problem => "PROBLEM",
        };
        out.push_str(&format!("{mark}  {}\n", f.message));
        if !f.fix.is_empty() {
            out.push_str(&format!("         → {}\n", f.fix));
        }
    }
    out
}

/// "1 interview", "3 interviews".
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn ok(check: &'static str, message: impl Into<String>) -> Finding {
    Finding {
        check,
        severity: Severity::Ok,
        message: message.into(),
        fix: String::new(),
    }
}

fn warning(check: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Finding {
    Finding {
        check,
        severity: Severity::Warning,
        message: message.into(),
        fix: fix.into(),
    }
}

fn problem(check: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Finding {
    Finding {
        check,
        severity: Severity::Problem,
        message: message.into(),
        fix: fix.into(),
    }
}

/// Willo's request budget: what Willo Desk keeps to, and how much of the day's it has used
/// (`None`: no use recorded here, e.g. no database yet).
pub fn budget(config: &ServeConfig, used_last_day: Option<u32>) -> Finding {
    let w = &config.willo;
    let keeps = w.budget();
    let said = format!(
        "Willo Desk keeps to {}/s, {}/min and {}/day: {}% of the organisation's {}/s, {}/min and {}/day, which everything using its Willo API shares.",
        keeps.per_second,
        keeps.per_minute,
        keeps.per_day,
        (w.share * 100.0).round(),
        w.per_second,
        w.per_minute,
        w.per_day
    );
    let Some(used) = used_last_day else {
        return ok(
            "willo_budget",
            format!("{said} No use is recorded here yet."),
        );
    };
    let usage = Usage {
        last_day: used,
        last_minute: 0,
        budget: keeps,
    };
    if usage.nearing_day_limit() {
        warning(
            "willo_budget",
            format!("{said} It made {used} requests in the last 24 hours: close to its daily limit, so it will slow down."),
            "Wait for the older requests to leave the 24-hour window; raise willo.share if nothing else uses the organisation's API, or ask Willo for a higher limit.",
        )
    } else {
        ok(
            "willo_budget",
            format!("{said} It made {used} requests in the last 24 hours."),
        )
    }
}

/// Requests to Willo in the last day as the database in `data_dir` records them, if there is one.
pub async fn recorded_use(data_dir: &std::path::Path) -> Option<u32> {
    let database = crate::paths::live_database(data_dir);
    if !database.exists() {
        return None;
    }
    let store = desk_store::Store::open(&database).await.ok()?;
    let used = store
        .willo_requests(desk_willo::unix_minute())
        .await
        .ok()
        .map(|r| r.iter().map(|(_, n)| n).sum());
    store.close().await;
    used
}

/// Runs every check the configuration allows; a check that cannot run says why.
pub async fn check(
    config: &ServeConfig,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Vec<Finding>, AppError> {
    let http = crate::http::client()?;
    let mut findings = Vec::new();

    // Willo: the key, its scheme, what it can see.
    let willo = match secret(env, &config.willo.api_key_env) {
        Err(e) => {
            findings.push(problem(
                "willo_key",
                e.to_string(),
                format!(
                    "Set {} to the API key from Willo's Integrations page.",
                    config.willo.api_key_env
                ),
            ));
            None
        }
        Ok(key) => {
            let client = config.willo.client(
                http.clone(),
                config.willo_url(),
                key,
                config.willo.auth_scheme.unwrap_or(AuthScheme::Bare),
                RetryPolicy::NONE,
            )?;
            match client.detect_auth_scheme().await {
                Ok(_) => {
                    findings.push(ok("willo_key", "Willo accepts the API key."));
                    Some(client)
                }
                Err(WilloError::Auth) => {
                    findings.push(problem("willo_key", "Willo did not accept the API key.", "Copy the key again from Willo's Integrations page; keys are per user and can be cycled."));
                    None
                }
                Err(e) => {
                    findings.push(problem(
                        "willo_key",
                        format!("Willo could not be asked: {e}"),
                        "Check the internet connection and the Willo address.",
                    ));
                    None
                }
            }
        }
    };
    let mut visible: Option<Vec<String>> = None;
    if let Some(client) = &willo {
        match client.interviews().await {
            Ok(interviews) => {
                findings.push(ok("willo_interviews", format!("The key can see {}. A standard user's key sees only that user's own interviews.", plural(interviews.len(), "interview", "interviews"))));
                visible = Some(interviews.into_iter().map(|i| i.key).collect());
            }
            Err(e) => findings.push(problem(
                "willo_interviews",
                format!("The interviews could not be listed: {e}"),
                "Check the key's permissions in Willo.",
            )),
        }
    }
    if let Some(visible) = &visible {
        for (i, a) in config.automations.iter().enumerate() {
            if visible.contains(&a.interview) {
                findings.push(ok(
                    "automation_interview",
                    format!(
                        "Automation {}: the interview exists and the key can see it.",
                        i + 1
                    ),
                ));
            } else {
                findings.push(problem(
                    "automation_interview",
                    format!("Automation {}: the key cannot see interview {}.", i + 1, a.interview),
                    "Check the interview key in Willo, or use the key of the interview's owner or an admin.",
                ));
            }
        }
    }

    // The ATS: credentials, the acting user, candidates waiting in trigger stages.
    let ats: Option<Arc<dyn AtsConnector>> = match connector(&config.ats, http.clone(), env) {
        Err(e) => {
            findings.push(problem(
                "ats_credentials",
                e.to_string(),
                "Set the variable to the ATS credential (see the README).",
            ));
            None
        }
        Ok(ats) => Some(ats),
    };
    if let Some(ats) = &ats {
        match ats.users().await {
            Ok(users) => {
                findings.push(ok("ats_credentials", format!("The {} credentials work.", ats.kind().label())));
                findings.push(match config.ats.acting_user() {
                    None if config.ats.kind() == AtsKind::Ashby => ok("ats_acting_user", "Ashby attributes notes and moves to the API key's own user."),
                    None => warning("ats_acting_user", "No acting user is set: writes are attributed to the integration's default user.", "Set the acting user id to the user notes should be attributed to."),
                    Some(id) if users.iter().any(|u| u.id == id) => ok("ats_acting_user", format!("Writes are attributed to user {id}.")),
                    Some(id) => problem("ats_acting_user", format!("User {id} is not a user of the ATS."), "Set the acting user id to one of the ATS's user ids."),
                });
                findings.push(pace(&config.ats));
                findings.extend(trigger_stage_checks(config, ats.as_ref()).await);
            }
            Err(e) => findings.push(problem("ats_credentials", format!("The ATS refused or could not be reached: {e}"), "Check the ATS credentials, base_url and acting_user (Greenhouse refuses a token for an unknown user).")),
        }
    }

    // The webhook receiver, from outside, and Willo's registrations.
    if let Some(receiver) = &config.receiver {
        match &receiver.public_url {
            None => findings.push(warning(
                "webhooks",
                "No public address is set: completed interviews are found by the regular check with Willo only (every few minutes).",
                "For instant notifications, put the notification address behind a tunnel or proxy and set its public address.",
            )),
            Some(public) => {
                let health = format!("{}/hooks/health", public.trim_end_matches('/'));
                match http.get(&health).send().await {
                    Ok(r) if r.status().is_success() => findings.push(ok("receiver_reachable", format!("The notification address answers at {public}."))),
                    Ok(_) => findings.push(problem("receiver_reachable", format!("{health} answers with an error."), "Point the tunnel or proxy at the address this app listens on.")),
                    Err(_) => findings.push(problem("receiver_reachable", format!("{health} could not be reached."), "Start willo-desk serve, and check the tunnel or proxy in front of it.")),
                }
                if let Some(client) = &willo {
                    match client.webhooks().await {
                        Ok(hooks) => {
                            let ours = |event: &str| hooks.iter().any(|h| h.event == event && h.url.starts_with(&format!("{}/hooks/willo/", public.trim_end_matches('/'))));
                            let missing: Vec<&str> = desk_engine::WEBHOOK_EVENTS.iter().copied().filter(|e| !ours(e)).collect();
                            findings.push(if missing.is_empty() {
                                ok("webhooks", "Willo has a webhook for each event, pointing at the public URL.")
                            } else {
                                warning("webhooks", format!("Willo has no webhook at the public URL for: {}.", missing.join(", ")), "Start willo-desk serve once: it registers (or repairs) them.")
                            });
                        }
                        Err(e) => findings.push(problem("webhooks", format!("Willo's webhooks could not be listed: {e}"), "Check the key's permissions.")),
                    }
                }
            }
        }
    }
    Ok(findings)
}

/// The pace the ATS is read and written at, against the ATS's published (or reported) limit.
fn pace(ats: &AtsSection) -> Finding {
    let (pace, limit, over) = match ats {
        AtsSection::Greenhouse { per_second, .. } => {
            return ok(
                "ats_rate",
                format!("At most {per_second} requests a second go to Greenhouse, and its rate-limit headers hold them back when its window is used up."),
            )
        }
        AtsSection::Lever { per_second, .. } => (
            format!("{per_second} requests a second"),
            "Lever is reported to allow about 10 a second",
            *per_second > 10,
        ),
        AtsSection::Ashby { per_minute, .. } => (
            format!("{per_minute} requests a minute"),
            "Ashby publishes no general limit; Willo Desk keeps under 1,000 a minute",
            *per_minute > 1_000,
        ),
        AtsSection::Workable { per_10_seconds, .. } => (
            format!("{per_10_seconds} requests in 10 seconds"),
            "Workable allows an account token 10 in 10 seconds (an OAuth or partner token 50)",
            *per_10_seconds > 10,
        ),
    };
    if over {
        warning(
            "ats_rate",
            format!("At most {pace} go to {}: {limit}.", ats.kind().label()),
            "Lower the pace in the configuration unless the ATS allows this credential more.",
        )
    } else {
        ok(
            "ats_rate",
            format!("At most {pace} go to {}: {limit}.", ats.kind().label()),
        )
    }
}

/// Phones that cannot become E.164 and emails used twice, among candidates in trigger stages.
async fn trigger_stage_checks(config: &ServeConfig, ats: &dyn AtsConnector) -> Vec<Finding> {
    if config.automations.is_empty() {
        return Vec::new();
    }
    let jobs = match ats.jobs().await {
        Ok(jobs) => jobs,
        Err(e) => {
            return vec![problem(
                "trigger_stages",
                format!("The jobs could not be read: {e}"),
                "Check the ATS credentials' permissions.",
            )]
        }
    };
    let mut findings = Vec::new();
    for (i, a) in config.automations.iter().enumerate() {
        let Some(job) = jobs.iter().find(|j| j.id == a.job) else {
            findings.push(problem(
                "trigger_stages",
                format!("Automation {}: the ATS has no open job {}.", i + 1, a.job),
                "Use the job's id as the ATS shows it.",
            ));
            continue;
        };
        let applications = match ats
            .applications(std::slice::from_ref(job), Some(&a.trigger_stages))
            .await
        {
            Ok(apps) => apps,
            Err(e) => {
                findings.push(problem(
                    "trigger_stages",
                    format!(
                        "Automation {}: the applications could not be read: {e}",
                        i + 1
                    ),
                    "Check the ATS credentials' permissions.",
                ));
                continue;
            }
        };
        let candidates = ats.candidates(&applications).await.unwrap_or_default();
        let bad_phones: Vec<&str> = candidates
            .iter()
            .filter(|c| {
                c.phones.first().is_some_and(|p| {
                    PhoneE164::parse(p, config.engine.default_region.as_deref()).is_err()
                })
            })
            .map(|c| c.id.as_str())
            .collect();
        findings.push(if bad_phones.is_empty() {
            ok("phones", format!("Automation {}: every phone number in the trigger stages is in international format or can be put in it.", i + 1))
        } else {
            warning(
                "phones",
                format!("Automation {}: {} in the trigger stages cannot be put in international format (ATS candidate ids: {}).", i + 1, plural(bad_phones.len(), "phone number", "phone numbers"), bad_phones.join(", ")),
                "Correct the numbers in the ATS with their country code, or set the default phone region; these invitations will be refused until then.",
            )
        });
        let mut by_email: HashMap<String, usize> = HashMap::new();
        for c in &candidates {
            if let Some(email) = c.emails.first() {
                *by_email.entry(email.to_lowercase()).or_default() += 1;
            }
        }
        let twice = by_email.values().filter(|n| **n > 1).count();
        if twice > 0 {
            findings.push(warning(
                "duplicates",
                format!("Automation {}: {} belong to more than one candidate record in the trigger stages.", i + 1, plural(twice, "email address", "email addresses")),
                "Merge the duplicate candidates in the ATS; Willo Desk invites each email once per interview.",
            ));
        }
    }
    findings
}
