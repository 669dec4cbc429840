//! The Tauri commands: each one line into `desk-app`. Long work reports progress as events.

use desk_app::about::{About, UpdateOffer};
use desk_app::background::DesktopPrefs;
use desk_app::ipc::{
    ActivityItem, ActivityQuery, AppInfo, AutomationState, AutomationView, CandidatePage,
    CandidateQuery, DashboardStats, ExportedFile, FailedWork, Finding, InboxRow, InterviewOption,
    Overview, PreSendRow, ReviewDetail, Settings, SyncReport, TemplateOption, TimelineStep,
};
use desk_app::live::{AtsCheck, Connections, WilloCheck};
use desk_app::{App, AppError, NoticeTarget};
use desk_engine::{AutomationRequest, BulkProgress, DryRun, ErasureReport, Retention, ReviewInput};
use tauri::{AppHandle, Emitter, State};

use crate::handover::{self, Next};

type Result<T> = std::result::Result<T, AppError>;

/// The event a bulk send's progress arrives on.
pub const SEND_PROGRESS: &str = "send-progress";

#[tauri::command]
pub fn app_info(app: State<'_, App>) -> AppInfo {
    app.info()
}

#[tauri::command]
pub async fn overview(app: State<'_, App>) -> Result<Overview> {
    app.overview().await
}

#[tauri::command]
pub async fn dashboard(app: State<'_, App>) -> Result<DashboardStats> {
    app.dashboard().await
}

#[tauri::command]
pub async fn sync_ats(app: State<'_, App>) -> Result<SyncReport> {
    app.sync_ats().await
}

#[tauri::command]
pub async fn candidates(app: State<'_, App>, query: CandidateQuery) -> Result<CandidatePage> {
    app.candidates(&query).await
}

#[tauri::command]
pub async fn timeline(app: State<'_, App>, application_id: u32) -> Result<Vec<TimelineStep>> {
    app.timeline(application_id).await
}

#[tauri::command]
pub async fn interviews(app: State<'_, App>) -> Result<Vec<InterviewOption>> {
    app.interviews().await
}

#[tauri::command]
pub async fn templates(app: State<'_, App>) -> Result<Vec<TemplateOption>> {
    app.templates().await
}

#[tauri::command]
pub async fn pre_send(
    app: State<'_, App>,
    application_ids: Vec<u32>,
    interview_key: String,
) -> Result<Vec<PreSendRow>> {
    app.pre_send(&application_ids, &interview_key).await
}

#[tauri::command]
pub async fn send(
    app: State<'_, App>,
    handle: AppHandle,
    application_ids: Vec<u32>,
    interview_key: String,
) -> Result<BulkProgress> {
    let progress = move |p: BulkProgress| {
        if let Err(error) = handle.emit(SEND_PROGRESS, p) {
            tracing::warn!(%error, "send progress could not reach the window");
        }
    };
    app.send(&application_ids, &interview_key, &progress).await
}

#[tauri::command]
pub fn cancel_send(app: State<'_, App>) -> bool {
    app.cancel_send()
}

#[tauri::command]
pub async fn inbox(app: State<'_, App>) -> Result<Vec<InboxRow>> {
    app.inbox().await
}

#[tauri::command]
pub async fn review_detail(app: State<'_, App>, invitation_id: u32) -> Result<ReviewDetail> {
    app.review_detail(invitation_id).await
}

#[tauri::command]
pub async fn approve(
    app: State<'_, App>,
    handle: AppHandle,
    invitation_id: u32,
    review: ReviewInput,
) -> Result<()> {
    app.approve(invitation_id, review).await?;
    crate::tray::refresh(&handle).await;
    Ok(())
}

#[tauri::command]
pub async fn skip(app: State<'_, App>, handle: AppHandle, invitation_id: u32) -> Result<()> {
    app.skip(invitation_id).await?;
    crate::tray::refresh(&handle).await;
    Ok(())
}

#[tauri::command]
pub async fn save_draft(
    app: State<'_, App>,
    invitation_id: u32,
    review: ReviewInput,
) -> Result<()> {
    app.save_draft(invitation_id, &review).await
}

#[tauri::command]
pub async fn discard_draft(app: State<'_, App>, invitation_id: u32) -> Result<()> {
    app.discard_draft(invitation_id).await
}

#[tauri::command]
pub async fn suggested_interview(
    app: State<'_, App>,
    application_ids: Vec<u32>,
) -> Result<Option<String>> {
    app.suggested_interview(&application_ids).await
}

#[tauri::command]
pub async fn automations(app: State<'_, App>) -> Result<Vec<AutomationView>> {
    app.automations().await
}

#[tauri::command]
pub async fn set_automation(
    app: State<'_, App>,
    handle: AppHandle,
    request: AutomationRequest,
) -> Result<AutomationState> {
    let state = app.set_automation(&request).await?;
    crate::tray::refresh(&handle).await;
    Ok(state)
}

#[tauri::command]
pub async fn dry_run(app: State<'_, App>, request: AutomationRequest) -> Result<DryRun> {
    app.dry_run(&request).await
}

#[tauri::command]
pub async fn pause_automation(
    app: State<'_, App>,
    handle: AppHandle,
    job_id: u32,
    paused: bool,
) -> Result<()> {
    app.pause_automation(job_id, paused).await?;
    crate::tray::refresh(&handle).await;
    Ok(())
}

#[tauri::command]
pub async fn activity(app: State<'_, App>, query: ActivityQuery) -> Result<Vec<ActivityItem>> {
    app.activity(&query).await
}

#[tauri::command]
pub async fn failed_work(app: State<'_, App>) -> Result<Vec<FailedWork>> {
    app.failed_work().await
}

#[tauri::command]
pub async fn retry(app: State<'_, App>, outbox_id: u32) -> Result<()> {
    app.retry(outbox_id).await
}

#[tauri::command]
pub async fn export_activity(app: State<'_, App>, query: ActivityQuery) -> Result<ExportedFile> {
    app.export_activity(&query).await
}

#[tauri::command]
pub async fn request_erasure(app: State<'_, App>, application_id: u32) -> Result<ErasureReport> {
    app.request_erasure(application_id).await
}

#[tauri::command]
pub async fn erasure(app: State<'_, App>, erasure_id: u32) -> Result<ErasureReport> {
    app.erasure(erasure_id).await
}

#[tauri::command]
pub async fn erasures(app: State<'_, App>, application_id: u32) -> Result<Vec<ErasureReport>> {
    app.erasures(application_id).await
}

#[tauri::command]
pub async fn export_candidate(app: State<'_, App>, application_id: u32) -> Result<ExportedFile> {
    app.export_candidate(application_id).await
}

#[tauri::command]
pub async fn retention(app: State<'_, App>) -> Result<Retention> {
    app.retention().await
}

#[tauri::command]
pub async fn set_retention(app: State<'_, App>, days: Option<u32>) -> Result<Retention> {
    app.set_retention(days).await
}

/// Shows an export in the file manager (only the app's own exports).
#[tauri::command]
pub fn reveal_export(app: State<'_, App>, handle: AppHandle, path: String) -> Result<()> {
    use tauri_plugin_opener::OpenerExt;
    let path = app.exported(&path)?;
    handle.opener().reveal_item_in_dir(path).map_err(|e| {
        AppError::new(
            desk_app::ErrorCode::Unavailable,
            format!("The file manager could not be opened: {e}"),
        )
    })
}

#[tauri::command]
pub async fn settings(app: State<'_, App>) -> Result<Settings> {
    app.settings().await
}

#[tauri::command]
pub async fn save_settings(app: State<'_, App>, settings: Settings) -> Result<Settings> {
    app.save_settings(&settings).await
}

#[tauri::command]
pub async fn doctor(app: State<'_, App>) -> Result<Vec<Finding>> {
    app.doctor().await
}

#[tauri::command]
pub fn connections(app: State<'_, App>) -> Option<Connections> {
    app.connections()
}

#[tauri::command]
pub async fn test_willo(
    app: State<'_, App>,
    connections: Connections,
    api_key: String,
) -> Result<WilloCheck> {
    app.test_willo(&connections, &api_key).await
}

#[tauri::command]
pub async fn test_ats(
    app: State<'_, App>,
    connections: Connections,
    secret: String,
) -> Result<AtsCheck> {
    app.test_ats(&connections, &secret).await
}

/// Tests and keeps the connections, then restarts on them.
#[tauri::command]
pub async fn save_connections(
    app: State<'_, App>,
    handle: AppHandle,
    connections: Connections,
    willo_key: String,
    ats_secret: String,
) -> Result<()> {
    app.save_connections(&connections, &willo_key, &ats_secret)
        .await?;
    restart(&handle).await
}

/// Forgets the real accounts (their data stays) and restarts in the sandbox.
#[tauri::command]
pub async fn use_sandbox(app: State<'_, App>, handle: AppHandle) -> Result<()> {
    app.use_sandbox()?;
    restart(&handle).await
}

/// Chooses the simulated ATS of the sandbox, and restarts on it.
#[tauri::command]
pub async fn choose_sandbox_ats(
    app: State<'_, App>,
    handle: AppHandle,
    ats: desk_app::live::AtsChoice,
) -> Result<()> {
    app.choose_sandbox_ats(ats)?;
    restart(&handle).await
}

/// Starts the app again, as a plain launch with its window: not `--hidden` as at login, and not
/// at a link the first was opened with (which may name nothing in the mode it restarts in). It
/// goes as a hand-over does (a send in progress finishes first), and only once.
async fn restart(handle: &AppHandle) -> Result<()> {
    handover::hand_over(handle, Next::Window).await;
    Ok(())
}

/// Opens a link in the system browser: https only (and this machine's simulators in the sandbox).
#[tauri::command]
pub fn open_link(app: State<'_, App>, handle: AppHandle, url: String) -> Result<()> {
    use tauri_plugin_opener::OpenerExt;
    let url = app.link(&url)?;
    handle
        .opener()
        .open_url(url.as_str(), None::<&str>)
        .map_err(|e| {
            AppError::new(
                desk_app::ErrorCode::Unavailable,
                format!("the browser could not be opened: {e}"),
            )
        })
}

#[tauri::command]
pub async fn register_webhooks(app: State<'_, App>) -> Result<u32> {
    app.register_webhooks().await
}

/// Deletes this mode's local database (everything is read again from Willo and the ATS) and
/// restarts. Connections, secrets and logs stay.
#[tauri::command]
pub async fn clear_local_data(app: State<'_, App>, handle: AppHandle) -> Result<()> {
    match app.clear_local_data().await {
        Ok(_) => {}
        // Refused (another process runs the engine): nothing stopped, the app goes on.
        Err(error) if error.code == desk_app::ErrorCode::Validation => return Err(error),
        // The app stopped but the files stayed: start again on them.
        Err(error) => tracing::error!(%error, "the local data could not be cleared"),
    }
    handover::start_next(&handle, Next::Window)
}

/// Where a `willo-desk://` link asked the window to open, once (`None`: nowhere in particular).
#[tauri::command]
pub fn take_opening(opening: State<'_, crate::window::Opening>) -> Result<Option<NoticeTarget>> {
    opening.take().transpose()
}

#[tauri::command]
pub async fn desktop_prefs(app: State<'_, App>, handle: AppHandle) -> Result<DesktopPrefs> {
    use tauri_plugin_autostart::ManagerExt;
    Ok(DesktopPrefs {
        keep_in_tray: app.keep_in_tray().await?,
        start_at_login: handle.autolaunch().is_enabled().unwrap_or(false),
    })
}

/// Saves the desktop's preferences: closing into the tray at once, starting at login with the
/// operating system (refused with its reason when it cannot).
#[tauri::command]
pub async fn set_desktop_prefs(
    app: State<'_, App>,
    handle: AppHandle,
    lifetime: State<'_, crate::window::Lifetime>,
    prefs: DesktopPrefs,
) -> Result<DesktopPrefs> {
    use tauri_plugin_autostart::ManagerExt;
    app.set_keep_in_tray(prefs.keep_in_tray).await?;
    lifetime
        .keep_in_tray
        .store(prefs.keep_in_tray, std::sync::atomic::Ordering::SeqCst);
    let autostart = handle.autolaunch();
    if autostart.is_enabled().unwrap_or(false) != prefs.start_at_login {
        let changed = if prefs.start_at_login {
            autostart.enable()
        } else {
            autostart.disable()
        };
        changed.map_err(|e| {
            AppError::in_field(
                "startAtLogin",
                format!("Start at login: the system refused it ({e})"),
            )
        })?;
    }
    desktop_prefs(app, handle).await
}

#[tauri::command]
pub fn about(app: State<'_, App>) -> About {
    app.about(env!("WILLO_DESK_COMMIT"))
}

/// The doctor's report with versions and folders, for a support request.
#[tauri::command]
pub async fn diagnostics(app: State<'_, App>) -> Result<String> {
    Ok(app.diagnostics(env!("WILLO_DESK_COMMIT")).await)
}

/// A newer version on the update server, or `None` when this one is the latest.
#[tauri::command]
pub async fn check_update(handle: AppHandle) -> Result<Option<UpdateOffer>> {
    crate::updates::check(&handle).await
}

/// Downloads the offered update and verifies its signature (progress on `update-progress`);
/// answers with its version.
#[tauri::command]
pub async fn download_update(handle: AppHandle) -> Result<String> {
    crate::updates::download(&handle).await
}

#[tauri::command]
pub async fn install_update(handle: AppHandle, version: String) -> Result<()> {
    crate::updates::install(&handle, &version).await
}

/// Starts Willo Desk again (after an update): the engine stops cleanly first.
#[tauri::command]
pub async fn restart_app(handle: AppHandle) -> Result<()> {
    restart(&handle).await
}

/// Quits Willo Desk (Ctrl+Q), whatever "keep running in the tray" says: where the desktop shows
/// no tray, this is the way out.
#[tauri::command]
pub fn quit_app(handle: AppHandle) {
    crate::tray::quit(&handle);
}
