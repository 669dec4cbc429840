//! The desktop window. The app state lives in `desk-app`; this only wires it to Tauri.

use std::path::Path;

use anyhow::Context;
use desk_app::App;
use desk_sandbox::SandboxConfig;
use tauri::Manager;

use crate::commands;

pub fn run(data_dir: &Path) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("could not start the async runtime")?;
    tauri::async_runtime::set(runtime.handle().clone());
    let app = runtime
        .block_on(App::open_sandbox(data_dir, SandboxConfig::demo()))
        .map_err(|e| anyhow::anyhow!(e.message))
        .context("could not open Willo Desk")?;
    tauri::Builder::default()
        .manage(app)
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
