//! The desktop window. The app state lives in `desk-app`; this only wires it to Tauri.

use std::path::Path;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use anyhow::Context;
use desk_app::secrets::Keychain;
use desk_app::App;
use desk_engine::Schedule;
use desk_sandbox::SandboxConfig;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;

use crate::commands;

pub fn run(data_dir: &Path) -> anyhow::Result<()> {
    // GTK panics without a display; say what is wrong instead.
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        anyhow::bail!("there is no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set); on a server, use `willo-desk serve --config <file>`");
    }
    let runtime = tokio::runtime::Runtime::new().context("could not start the async runtime")?;
    tauri::async_runtime::set(runtime.handle().clone());
    let data_dir = data_dir.to_owned();
    // Why the app could not open, for `main` to log and print once the event loop has ended.
    let failure = Arc::new(std::sync::Mutex::new(None::<String>));
    let failed = Arc::clone(&failure);
    let code = tauri::Builder::default()
        // First: a second launch hands over to the running window (which comes to the front)
        // and exits. The database and the engine are opened in `setup`, after the plugins, so
        // a second launch never opens them.
        .plugin(tauri_plugin_single_instance::init(|handle, _args, _cwd| {
            if let Some(window) = handle.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .setup(move |app| {
            match tauri::async_runtime::block_on(open(&data_dir)) {
                Ok(state) => {
                    app.manage(state);
                    // The window (tauri.conf.json creates none) once the app can answer it.
                    let config =
                        app.config().app.windows.first().cloned().ok_or_else(|| {
                            anyhow::anyhow!("tauri.conf.json describes no window")
                        })?;
                    tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?.build()?;
                    tauri::async_runtime::spawn(forward_notices(app.handle().clone()));
                }
                Err(error) => {
                    *failed.lock().unwrap_or_else(PoisonError::into_inner) = Some(error.message);
                    app.handle().exit(1);
                }
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::overview,
            commands::sync_ats,
            commands::dashboard,
            commands::candidates,
            commands::timeline,
            commands::interviews,
            commands::templates,
            commands::pre_send,
            commands::send,
            commands::cancel_send,
            commands::inbox,
            commands::review_detail,
            commands::approve,
            commands::skip,
            commands::save_draft,
            commands::discard_draft,
            commands::suggested_interview,
            commands::automations,
            commands::set_automation,
            commands::dry_run,
            commands::pause_automation,
            commands::activity,
            commands::failed_work,
            commands::retry,
            commands::export_activity,
            commands::request_erasure,
            commands::erasure,
            commands::erasures,
            commands::export_candidate,
            commands::retention,
            commands::set_retention,
            commands::reveal_export,
            commands::settings,
            commands::save_settings,
            commands::doctor,
            commands::connections,
            commands::test_willo,
            commands::test_ats,
            commands::save_connections,
            commands::use_sandbox,
            commands::choose_sandbox_ats,
            commands::open_link,
            commands::register_webhooks,
            commands::clear_local_data
        ])
        .build(tauri::generate_context!())
        .context("could not start Willo Desk")?
        .run_return(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                if let Some(app) = handle.try_state::<App>() {
                    tauri::async_runtime::block_on(app.shutdown());
                }
            }
        });
    if let Some(message) = failure
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    {
        anyhow::bail!("could not open Willo Desk: {message}");
    }
    if code != 0 {
        anyhow::bail!("the window ended with code {code}");
    }
    Ok(())
}

async fn open(data_dir: &Path) -> Result<App, desk_app::AppError> {
    App::open(
        data_dir,
        Arc::new(Keychain),
        SandboxConfig::demo(),
        Schedule::default(),
    )
    .await
}

/// The event the window refreshes on (the engine's events, which carry ids only).
const ENGINE_EVENT: &str = "engine-event";
/// The event that tells the window a notice was shown and what a click on it opens.
const NOTICE: &str = "notice";
/// Completions within this long of each other make one notification.
const GROUP_WINDOW: Duration = Duration::from_secs(3);

/// Forwards the engine's events to the window, and shows the notices they warrant as desktop
/// notifications. The window gets each notice too: it shows it in-app with its "Open" action,
/// since desktop notification clicks do not reach the app on every platform.
async fn forward_notices(handle: AppHandle) {
    let app = handle.state::<App>();
    let Some((mut events, mut notices)) = app.start_listening(GROUP_WINDOW).await else {
        return;
    };
    let window = handle.clone();
    tauri::async_runtime::spawn(async move {
        while let Some(event) = events.recv().await {
            if let Err(error) = window.emit(ENGINE_EVENT, &event) {
                tracing::warn!(%error, "an engine event could not reach the window");
            }
        }
    });
    while let Some(notice) = notices.recv().await {
        // Linux notification servers read the body as markup; candidate names are plain text.
        let body = if cfg!(target_os = "linux") {
            desk_engine::note::escape_html(&notice.body)
        } else {
            notice.body.clone()
        };
        if let Err(error) = handle
            .notification()
            .builder()
            .title(&notice.title)
            .body(body)
            .show()
        {
            tracing::warn!(%error, "a desktop notification could not be shown");
        }
        if let Err(error) = handle.emit(NOTICE, &notice) {
            tracing::warn!(%error, "a notice could not reach the window");
        }
    }
}
