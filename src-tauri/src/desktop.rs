//! The desktop window. The app state lives in `desk-app`; this only wires it to Tauri.

use std::path::Path;

use anyhow::Context;
use desk_app::App;
use desk_engine::Schedule;
use desk_sandbox::SandboxConfig;
use tauri::{AppHandle, Manager};
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
    let app = runtime
        .block_on(App::open_sandbox(
            data_dir,
            SandboxConfig::demo(),
            Schedule::default(),
        ))
        .map_err(|e| anyhow::anyhow!(e.message))
        .context("could not open Willo Desk")?;
    tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .manage(app)
        .setup(|app| {
            tauri::async_runtime::spawn(forward_notices(app.handle().clone()));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::overview,
            commands::sync_ats
        ])
        .build(tauri::generate_context!())
        .context("could not create the window")?
        .run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                let app = handle.state::<App>();
                tauri::async_runtime::block_on(app.shutdown());
            }
        });
    Ok(())
}

/// Turns the engine's events into desktop notifications.
async fn forward_notices(handle: AppHandle) {
    let app = handle.state::<App>();
    let Some(mut events) = app.take_events().await else {
        return;
    };
    while let Some(event) = events.recv().await {
        match app.notice_for(&event).await {
            Ok(Some(notice)) => {
                if let Err(error) = handle
                    .notification()
                    .builder()
                    .title(&notice.title)
                    .body(&notice.body)
                    .show()
                {
                    tracing::warn!(%error, "a desktop notification could not be shown");
                }
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "could not describe an engine event"),
        }
    }
}
