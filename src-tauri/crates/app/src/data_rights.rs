//! Candidates' data rights from the desktop: deleting a candidate's interview data everywhere,
//! exporting what is held about them, and the retention period.

use desk_engine::{ErasureReport, Retention};

use crate::ipc::ExportedFile;
use crate::{App, AppError};

/// Who asks, for the deletion's audit entry: the computer's user.
pub fn local_user() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "the desktop's user".to_owned())
}

impl App {
    /// Asks for the application's interview data to be deleted everywhere; the engine's holder
    /// carries it out. Follow it with [`App::erasure`].
    pub async fn request_erasure(&self, application_id: u32) -> Result<ErasureReport, AppError> {
        let id = self
            .engine
            .request_erasure(application_id.into(), &local_user())
            .await?;
        Ok(self.engine.erasure_report(id).await?)
    }

    /// Where a deletion stands, and what it did.
    pub async fn erasure(&self, erasure_id: u32) -> Result<ErasureReport, AppError> {
        Ok(self.engine.erasure_report(erasure_id.into()).await?)
    }

    /// The deletions made for an application, newest first.
    pub async fn erasures(&self, application_id: u32) -> Result<Vec<ErasureReport>, AppError> {
        Ok(self.engine.erasures_of(application_id.into()).await?)
    }

    /// Writes everything held about the application into the exports folder, as a ZIP.
    pub async fn export_candidate(&self, application_id: u32) -> Result<ExportedFile, AppError> {
        let dir = crate::paths::exports_dir(self.data_path());
        let path = crate::access_export::write(&self.store, application_id.into(), &dir).await?;
        Ok(ExportedFile {
            path: path.display().to_string(),
            folder: dir.display().to_string(),
        })
    }

    pub async fn retention(&self) -> Result<Retention, AppError> {
        Ok(self.engine.retention().await?)
    }

    /// Sets the retention period in days (None: off).
    pub async fn set_retention(&self, days: Option<u32>) -> Result<Retention, AppError> {
        Ok(self.engine.set_retention(days).await?)
    }
}
