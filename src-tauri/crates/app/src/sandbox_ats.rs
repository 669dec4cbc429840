//! Which simulated ATS the desktop's sandbox connects to. The simulators serve one demo account
//! in each ATS's dialect, so a recruiter can try Willo Desk with the ATS they use, without an
//! account. The choice is kept in `sandbox.json` in the data folder; Greenhouse until another is
//! chosen. Each ATS is its own connection in the sandbox database.

use std::path::{Path, PathBuf};

use desk_sandbox::ats::Dialect;
use desk_sandbox::SandboxInfo;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::config::secret_field;
use crate::live::{AtsChoice, ATS_SECRET, WILLO_KEY};
use crate::{AppError, ErrorCode};

/// The demo user writes are attributed to where an ATS needs one (Workable's `member_id`).
const DEMO_ACTING_USER: u64 = 503;

#[derive(Debug, Serialize, Deserialize)]
struct Saved {
    ats: AtsChoice,
}

fn file(data_dir: &Path) -> PathBuf {
    data_dir.join("sandbox.json")
}

/// The ATS the sandbox connects to.
pub fn chosen(data_dir: &Path) -> Result<AtsChoice, AppError> {
    let path = file(data_dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str::<Saved>(&text)
            .map(|s| s.ats)
            .map_err(|e| {
                AppError::new(
                    ErrorCode::Storage,
                    format!("{} could not be read: {e}", path.display()),
                )
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AtsChoice::Greenhouse),
        Err(e) => Err(AppError::new(
            ErrorCode::Storage,
            format!("{} could not be read: {e}", path.display()),
        )),
    }
}

/// Keeps the choice for the next start of the sandbox.
pub fn choose(data_dir: &Path, ats: AtsChoice) -> Result<(), AppError> {
    std::fs::create_dir_all(data_dir)
        .and_then(|()| {
            crate::paths::write_whole(
                &file(data_dir),
                &serde_json::to_vec_pretty(&Saved { ats }).unwrap_or_default(),
            )
        })
        .map_err(|e| {
            AppError::new(
                ErrorCode::Storage,
                format!("the sandbox's ATS could not be saved: {e}"),
            )
        })
}

/// The `[ats]` section that connects to the simulator in `ats`'s dialect, its secret read from
/// where the kind's default says. Each is paced as the real ATS would need (Workable's 10
/// requests in 10 seconds shows in the sandbox too).
pub fn section(ats: AtsChoice, info: &SandboxInfo) -> serde_json::Value {
    match ats {
        AtsChoice::Greenhouse => json!({
            "kind": "greenhouse",
            "base_url": info.greenhouse_base_url,
            "token_url": info.greenhouse_token_url,
            "client_id": info.greenhouse_client_id,
            "per_second": 20,
        }),
        AtsChoice::Lever => json!({ "kind": "lever", "base_url": info.lever_base_url }),
        AtsChoice::Ashby => json!({ "kind": "ashby", "base_url": info.ashby_base_url }),
        AtsChoice::Workable => json!({
            "kind": "workable",
            "base_url": info.workable_base_url,
            "acting_user": Dialect::Workable.user_id(DEMO_ACTING_USER),
        }),
    }
}

/// As [`section`], with the secret read from the desktop's entry for it.
pub(crate) fn desktop_section(ats: AtsChoice, info: &SandboxInfo) -> serde_json::Value {
    let mut section = section(ats, info);
    section[secret_field(ats.kind()).0] = json!(ATS_SECRET);
    section
}

/// The simulators' secrets, under the names the desktop's configuration gives its secrets.
pub(crate) fn lookup(ats: AtsChoice, info: &SandboxInfo, name: &str) -> Option<String> {
    match name {
        WILLO_KEY => Some(info.willo_api_key.clone()),
        ATS_SECRET => Some(secret(ats, info)),
        _ => None,
    }
}

/// The simulator's credential for `ats`.
pub fn secret(ats: AtsChoice, info: &SandboxInfo) -> String {
    match ats {
        AtsChoice::Greenhouse => info.greenhouse_client_secret.clone(),
        AtsChoice::Lever => info.lever_api_key.clone(),
        AtsChoice::Ashby => info.ashby_api_key.clone(),
        AtsChoice::Workable => info.workable_token.clone(),
    }
}

/// How the connection is named in the sandbox database: a label, and a fixed address (the
/// simulators' port changes from run to run; the local data must not).
pub(crate) fn account(ats: AtsChoice) -> (String, String) {
    let kind = ats.kind();
    (
        format!("{} (sandbox)", kind.label()),
        format!("sandbox://{}", kind.as_str()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choice_is_kept_and_greenhouse_is_the_default() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(chosen(dir.path()).unwrap(), AtsChoice::Greenhouse);
        choose(dir.path(), AtsChoice::Workable).unwrap();
        assert_eq!(chosen(dir.path()).unwrap(), AtsChoice::Workable);
        assert_eq!(
            account(AtsChoice::Workable),
            ("Workable (sandbox)".into(), "sandbox://workable".into())
        );
        std::fs::write(file(dir.path()), "{\"ats\": \"workday\"}").unwrap();
        let error = chosen(dir.path()).unwrap_err();
        assert_eq!(error.code, ErrorCode::Storage);
        assert!(error.message.contains("sandbox.json"), "{}", error.message);
    }
}
