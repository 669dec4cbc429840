//! The desktop window. The app state lives in `desk-app`; this only wires it to Tauri.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use anyhow::Context;
use desk_app::secrets::Keychain;
use desk_app::App;
use desk_engine::Schedule;
use desk_sandbox::SandboxConfig;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;

use crate::{commands, handover, tray, updates, window};

pub fn run(data_dir: &Path, hidden: bool, link: Option<String>) -> anyhow::Result<()> {
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
        // First: a second launch hands over to the running app and exits. The database and the
        // engine are opened in `setup`, after the plugins, so a second launch never opens them.
        // A second launch with a `willo-desk://` link (how Linux and Windows deliver a link
        // while the app runs) opens the window there.
        .plugin(tauri_plugin_single_instance::init(|handle, args, _cwd| {
            let link = args.into_iter().find(|a| a.starts_with(DEEP_LINK_PREFIX));
            window::arrive(handle, link);
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(updates::Pending::default())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![crate::cli::HIDDEN_FLAG]),
        ))
        .manage(window::Opening::default())
        .manage(window::Arrivals::default())
        .manage(window::Lifetime::default())
        .setup(move |app| {
            match tauri::async_runtime::block_on(open(&data_dir)) {
                Ok(state) => {
                    let keep = tauri::async_runtime::block_on(state.keep_in_tray()).unwrap_or(true);
                    app.state::<window::Lifetime>()
                        .keep_in_tray
                        .store(keep, Ordering::SeqCst);
                    app.manage(state);
                    app.manage(tray::build(app.handle())?);
                    open_clicked_notifications(app.handle())?;
                    follow_links(app.handle(), link);
                    if hidden {
                        // Started for the tray (at login, or by a window closed into it), where
                        // no window can say that the accounts could not be opened.
                        if let Some(problem) = app.state::<App>().info().startup_problem {
                            show_notification(
                                app.handle(),
                                "Willo Desk could not open your accounts",
                                &problem,
                            );
                        }
                        let handle = app.handle().clone();
                        tauri::async_runtime::spawn(
                            async move { tell_once_it_stays(&handle).await },
                        );
                    } else {
                        window::build(app.handle())?;
                    }
                    window::ready(app.handle());
                    tauri::async_runtime::spawn(forward_notices(app.handle().clone()));
                    tauri::async_runtime::spawn(updates::check_daily(app.handle().clone()));
                }
                Err(error) => {
                    *failed.lock().unwrap_or_else(PoisonError::into_inner) = Some(error.message);
                    app.handle().exit(1);
                }
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            // Where the window's process hands over to a tray process, that one says it.
            if window.label() == window::MAIN
                && matches!(event, tauri::WindowEvent::CloseRequested { .. })
                && window.state::<window::Lifetime>().stays()
                && !handover::applies(window.app_handle())
            {
                let handle = window.app_handle().clone();
                tauri::async_runtime::spawn(async move { tell_once_it_stays(&handle).await });
            }
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
            commands::clear_local_data,
            commands::take_opening,
            commands::desktop_prefs,
            commands::set_desktop_prefs,
            commands::about,
            commands::diagnostics,
            commands::check_update,
            commands::download_update,
            commands::install_update,
            commands::restart_app,
            commands::quit_app
        ])
        .build(tauri::generate_context!())
        .context("could not start Willo Desk")?
        .run_return(|handle, event| match event {
            // The window closed and the app stays in the tray: the engine goes on.
            tauri::RunEvent::ExitRequested {
                code: None, api, ..
            } if handle.state::<window::Lifetime>().stays() => {
                api.prevent_exit();
                if handover::applies(handle) {
                    let handle = handle.clone();
                    tauri::async_runtime::spawn(async move {
                        handover::hand_over(&handle, handover::Next::Tray).await;
                    });
                }
            }
            tauri::RunEvent::Exit => stop_engine(handle),
            _ => {}
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

/// Stops the engine cleanly (the item in flight finishes, its lock is released) before the
/// process ends; nothing to do when it never opened.
pub fn stop_engine(handle: &AppHandle) {
    if let Some(app) = handle.try_state::<App>() {
        tauri::async_runtime::block_on(app.shutdown());
    }
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
/// What a `willo-desk://` link starts with.
pub const DEEP_LINK_PREFIX: &str = "willo-desk://";

/// Opens the window where `willo-desk://` links say: the one this launch was given, and those
/// the system hands over as events (macOS); later launches hand theirs to the single instance.
fn follow_links(handle: &AppHandle, first: Option<String>) {
    use tauri_plugin_deep_link::DeepLinkExt;
    let opener = handle.clone();
    handle.deep_link().on_open_url(move |event| {
        for link in event.urls() {
            window::arrive(&opener, Some(link.to_string()));
        }
    });
    if first.is_some() {
        window::arrive(handle, first);
    }
}

/// The first time Willo Desk runs in the tray (its window closed, or started at login), a
/// notification says that it goes on.
async fn tell_once_it_stays(handle: &AppHandle) {
    match handle.state::<App>().tray_hint_due().await {
        Ok(true) => show_notification(
            handle,
            "Willo Desk is still running",
            "It keeps watching for completed interviews and running your automations. Open it again from its tray icon or by starting it; quit from the tray icon or with Ctrl+Q in its window.",
        ),
        Ok(false) => {}
        Err(error) => tracing::warn!(code = ?error.code, "the tray hint could not be recorded"),
    }
}

/// Shows a desktop notification; a click on it opens the window.
pub fn show_notification(handle: &AppHandle, title: &str, body: &str) {
    notify(handle, title, body, None);
}

/// The notification's `extra` entry that holds the `willo-desk://` link a click opens.
const CLICK_OPENS: &str = "link";

/// Shows a desktop notification; a click on it opens the window at `link`, where the platform
/// reports clicks (see [`open_clicked_notifications`]).
fn notify(handle: &AppHandle, title: &str, body: &str, link: Option<String>) {
    // Linux notification servers read the body as markup; candidate names are plain text.
    let body = if cfg!(target_os = "linux") {
        desk_engine::note::escape_html(body)
    } else {
        body.to_owned()
    };
    let mut builder = handle.notification().builder().title(title).body(body);
    if let Some(link) = link {
        builder = builder.extra(CLICK_OPENS, link);
    }
    if let Err(error) = builder.show() {
        tracing::warn!(%error, "a desktop notification could not be shown");
    }
}

/// A click on a notification opens its link the way a `willo-desk://` link from the system
/// does (and so, in the tray's process, hands over to a window's). Registered before any
/// notification is shown: only those shown afterwards offer the click.
fn open_clicked_notifications(handle: &AppHandle) -> tauri_plugin_notification::Result<()> {
    let opener = handle.clone();
    handle.notification().on_action(move |performed| {
        if performed.action_id() != "tap" {
            return;
        }
        let link = performed
            .notification()
            .and_then(|n| n.extra().get(CLICK_OPENS))
            .and_then(|link| link.as_str())
            .map(str::to_owned);
        window::arrive(&opener, link);
    })
}
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
    // The tray re-reads at most once a second, however many events a burst brings.
    let changed = Arc::new(tokio::sync::Notify::new());
    let tray_handle = handle.clone();
    let tray_changed = Arc::clone(&changed);
    tauri::async_runtime::spawn(async move {
        loop {
            tray::refresh(&tray_handle).await;
            tokio::time::sleep(Duration::from_secs(1)).await;
            tray_changed.notified().await;
        }
    });
    let window = handle.clone();
    tauri::async_runtime::spawn(async move {
        while let Some(event) = events.recv().await {
            if let Err(error) = window.emit(ENGINE_EVENT, &event) {
                tracing::warn!(%error, "an engine event could not reach the window");
            }
            changed.notify_one();
        }
    });
    while let Some(notice) = notices.recv().await {
        let link = match app.link_to(&notice.target).await {
            Ok(link) => link,
            Err(error) => {
                tracing::warn!(code = ?error.code, "a notice's link could not be read");
                None
            }
        };
        notify(&handle, &notice.title, &notice.body, link);
        if let Err(error) = handle.emit(NOTICE, &notice) {
            tracing::warn!(%error, "a notice could not reach the window");
        }
    }
}
