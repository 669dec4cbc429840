//! The Tauri commands: each one line into `desk-app`.

use desk_app::ipc::{AppInfo, Overview, SyncReport};
use desk_app::{App, AppError};
use tauri::State;

type Result<T> = std::result::Result<T, AppError>;

#[tauri::command]
pub fn app_info(app: State<'_, App>) -> AppInfo {
    app.info()
}

#[tauri::command]
pub async fn overview(app: State<'_, App>) -> Result<Overview> {
    app.overview().await
}

#[tauri::command]
pub async fn sync_ats(app: State<'_, App>) -> Result<SyncReport> {
    app.sync_ats().await
}
