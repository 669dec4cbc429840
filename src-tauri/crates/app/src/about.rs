//! Settings → About: which build this is and where it keeps things, and the diagnostics a
//! recruiter pastes into a support request (the doctor's report with versions; the doctor names
//! no candidate and no secret, and nothing else here does either).

use serde::Serialize;
use ts_rs::TS;

use crate::{paths, App};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct About {
    pub version: String,
    /// The commit the app was built from ("unknown" outside a git checkout).
    pub commit: String,
    pub data_dir: String,
    pub log_dir: String,
    /// The operating system and architecture, e.g. "linux x86_64".
    pub platform: String,
}

/// A newer version the update server offers (Settings → About → Check for updates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UpdateOffer {
    pub version: String,
    /// This build's version.
    pub current: String,
    /// What is new, as the release says it.
    pub notes: Option<String>,
    /// When it was published (RFC 3339), if the release says.
    pub date: Option<String>,
}

impl App {
    /// `commit` is the shell's, which is built last.
    pub fn about(&self, commit: &str) -> About {
        About {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            commit: commit.to_owned(),
            data_dir: self.data_path().display().to_string(),
            log_dir: paths::log_dir(self.data_path()).display().to_string(),
            platform: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        }
    }

    /// The text "Copy diagnostics" puts on the clipboard.
    pub async fn diagnostics(&self, commit: &str) -> String {
        let about = self.about(commit);
        let info = self.info();
        let mut out = format!(
            "Willo Desk {} (commit {}) on {}\nMode: {:?}, reading {}\nData folder: {}\nLog folder: {}\n",
            about.version,
            about.commit,
            about.platform,
            info.mode,
            info.ats_label,
            about.data_dir,
            about.log_dir
        );
        if let Some(elsewhere) = info.engine_elsewhere {
            out.push_str(&format!("Engine: {elsewhere}\n"));
        }
        if let Some(problem) = info.startup_problem {
            out.push_str(&format!("At start: {problem}\n"));
        }
        out.push_str("\nDoctor:\n");
        match self.doctor_findings().await {
            Ok(findings) => out.push_str(&crate::doctor::report(&findings)),
            Err(error) => out.push_str(&format!("the checks could not run: {}\n", error.message)),
        }
        out
    }
}
