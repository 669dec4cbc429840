//! One process shows the window; another stays in the tray. On Linux a process that has shown a
//! web view keeps WebKit's pages and its network process for as long as it lives, about 250 MB.
//! So in live mode, closing the window into the tray hands the engine to a fresh `--hidden`
//! process that never opens a web view (and never initialises OpenGL, see `main`), and opening
//! the window from there hands it back to a fresh window process. Each hand-over waits for a send
//! from the candidate list to finish and stops the engine (the item in flight finishes;
//! everything else is in the database), then starts the next process and ends this one.
//!
//! The sandbox's simulated services live in the app's process and would start again empty, so
//! sandbox mode keeps its engine, and its memory, in one process. So do Windows and macOS, where
//! closing the web view frees its memory.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use desk_app::App;
use tauri::{AppHandle, Manager};

use crate::cli::HIDDEN_FLAG;
use crate::desktop::DEEP_LINK_PREFIX;

/// Marks `GDK_GL` as set by `main` for a tray process, not by the user.
pub const OUR_GDK_GL: &str = "WILLO_DESK_TRAY_GDK_GL";

/// What the next process starts as.
pub enum Next {
    /// A plain launch with its window: what a restart starts.
    Window,
    /// The window, opened at a `willo-desk://` link.
    Link(String),
    /// The tray only, with no web view.
    Tray,
}

/// Whether closing the window hands over to a tray process, and opening it to a window process.
pub fn applies(handle: &AppHandle) -> bool {
    cfg!(target_os = "linux")
        && handle
            .try_state::<App>()
            .is_some_and(|app| app.sandbox().is_none())
}

/// What the hand-over under way starts: the latest wish, so a click on Open while a closed
/// window's process waits for its send starts the window's process instead of the tray's.
static WANTED: Mutex<Option<Next>> = Mutex::new(None);
/// Set by the first hand-over: later ones only change [`WANTED`], so one next process starts.
static HANDING_OVER: AtomicBool = AtomicBool::new(false);

/// Stops the engine, then starts `next` and ends this process. While a hand-over is already
/// under way, `next` replaces what it will start.
pub async fn hand_over(handle: &AppHandle, next: Next) {
    *WANTED.lock().unwrap_or_else(PoisonError::into_inner) = Some(next);
    if HANDING_OVER.swap(true, Ordering::SeqCst) {
        return;
    }
    if let Some(app) = handle.try_state::<App>() {
        // A send from the candidate list runs in this process, not from the database's queue:
        // it finishes before the engine stops, as it would with the window closed.
        while app.sending() {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        app.shutdown().await;
    }
    let next = WANTED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
        .unwrap_or(Next::Window);
    start_next(handle, next)
}

/// [`hand_over`] once the engine has stopped. The claim to be the single instance is given up
/// first, so the next process is not taken for a second launch and sent back here. It gets this
/// launch's options (the data folder, say), but not `--hidden` or a link this one was given.
pub fn start_next(handle: &AppHandle, next: Next) -> ! {
    tauri_plugin_single_instance::destroy(handle);
    let mut args: Vec<std::ffi::OsString> = std::env::args_os()
        .skip(1)
        .filter(|arg| {
            let arg = arg.to_string_lossy();
            arg != HIDDEN_FLAG && !arg.starts_with(DEEP_LINK_PREFIX)
        })
        .collect();
    let next_is_tray = matches!(next, Next::Tray);
    tracing::info!(
        pid = std::process::id(),
        tray = next_is_tray,
        "handing the engine to the next process"
    );
    match next {
        Next::Window => {}
        Next::Link(link) => args.push(link.into()),
        Next::Tray => args.push(HIDDEN_FLAG.into()),
    }
    let started = tauri::process::current_binary(&handle.env()).and_then(|binary| {
        let mut command = std::process::Command::new(binary);
        if !next_is_tray && std::env::var_os(OUR_GDK_GL).is_some() {
            // Set by `main` for this tray process; a window draws with GTK's OpenGL as usual.
            command.env_remove("GDK_GL").env_remove(OUR_GDK_GL);
        }
        command.args(args).spawn()
    });
    match started {
        Ok(_) => {
            handle.cleanup_before_exit();
            crate::logging::flush();
            std::process::exit(0);
        }
        Err(error) => {
            tracing::error!(%error, "could not start the next Willo Desk process");
            handle.restart();
        }
    }
}
