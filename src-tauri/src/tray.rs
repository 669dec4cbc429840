//! The tray icon, which keeps Willo Desk within reach while its window is closed: how many
//! interviews wait for review, Open, Pause automations (all of them) and Quit.

use std::sync::atomic::Ordering;

use desk_app::App;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};

use crate::window::{self, Lifetime};

const OPEN: &str = "open";
const PAUSE: &str = "pause";
const QUIT: &str = "quit";

/// The menu items that change with the data.
pub struct Tray {
    to_review: MenuItem<Wry>,
    pause: CheckMenuItem<Wry>,
    icon: tauri::tray::TrayIcon<Wry>,
}

pub fn build(handle: &AppHandle) -> tauri::Result<Tray> {
    let to_review = MenuItem::with_id(handle, "to-review", "Inbox: …", false, None::<&str>)?;
    let pause = CheckMenuItem::with_id(
        handle,
        PAUSE,
        "Pause automations",
        false,
        false,
        None::<&str>,
    )?;
    let menu = Menu::with_items(
        handle,
        &[
            &to_review,
            &PredefinedMenuItem::separator(handle)?,
            &MenuItem::with_id(handle, OPEN, "Open Willo Desk", true, None::<&str>)?,
            &pause,
            &PredefinedMenuItem::separator(handle)?,
            &MenuItem::with_id(handle, QUIT, "Quit Willo Desk", true, None::<&str>)?,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id("main")
        .menu(&menu)
        .tooltip("Willo Desk")
        .on_menu_event(|handle, event| match event.id().as_ref() {
            OPEN => window::show(handle),
            PAUSE => {
                // The item has checked itself (this runs on the event loop's thread).
                let Some(tray) = handle.try_state::<Tray>() else {
                    return;
                };
                let paused = tray.pause.is_checked().unwrap_or_default();
                let handle = handle.clone();
                tauri::async_runtime::spawn(async move { pause_all(&handle, paused).await });
            }
            QUIT => quit(handle),
            _ => {}
        });
    if let Some(icon) = handle.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    let icon = builder.build(handle)?;
    Ok(Tray {
        to_review,
        pause,
        icon,
    })
}

/// Quit: the engine stops cleanly (the item in flight finishes) and the app ends, whatever
/// "keep running in the tray" says.
pub fn quit(handle: &AppHandle) {
    handle
        .state::<Lifetime>()
        .quitting
        .store(true, Ordering::SeqCst);
    handle.exit(0);
}

/// Makes every automation follow the menu's switch.
async fn pause_all(handle: &AppHandle, paused: bool) {
    let app = handle.state::<App>();
    if let Err(error) = app.pause_all_automations(paused).await {
        tracing::warn!(code = ?error.code, "the automations could not be paused");
    }
    refresh(handle).await;
}

/// Shows the inbox count and whether every automation is paused as they are now: after the
/// engine's events, and after the window's reviews and automation changes, which are not
/// engine events. The menu is changed on the event loop's thread, without waiting for it (it
/// may be busy stopping the app).
pub async fn refresh(handle: &AppHandle) {
    if handle.try_state::<Tray>().is_none() {
        return;
    }
    let summary = match handle.state::<App>().tray_summary().await {
        Ok(summary) => summary,
        Err(error) => {
            tracing::warn!(code = ?error.code, "the tray could not read the inbox");
            return;
        }
    };
    let waiting = match summary.to_review {
        0 => "Inbox: nothing to review".to_owned(),
        1 => "Inbox: 1 interview to review".to_owned(),
        n => format!("Inbox: {n} interviews to review"),
    };
    let on_main = handle.clone();
    let _ = handle.run_on_main_thread(move || {
        let tray = on_main.state::<Tray>();
        let _ = tray.to_review.set_text(&waiting);
        let _ = tray
            .icon
            .set_tooltip(Some(format!("Willo Desk · {waiting}")));
        let _ = tray.pause.set_enabled(summary.automations_paused.is_some());
        let _ = tray
            .pause
            .set_checked(summary.automations_paused == Some(true));
    });
}
