//! One process shows the window; another stays in the tray. On Linux a process that has shown a
//! web view keeps WebKit's pages and its network process for as long as it lives, about 250 MB.
//! So in live mode, closing the window into the tray hands the engine to a fresh `--hidden`
//! process that never opens a web view (and never initialises OpenGL, see `main`), and opening
//! the window from there hands it back to a fresh window process. Each hand-over waits for a send
//! from the candidate list to finish and stops the engine (the item in flight finishes;
//! everything else is in the database), then starts the next process and ends this one. While it
//! waits for the send, opening the window calls it off: the window opens again in this process,
//! whose web engine is loaded already, at once instead of when the send is done.
//!
//! The sandbox's simulated services live in the app's process and would start again empty, so
//! sandbox mode keeps its engine, and its memory, in one process. So do Windows and macOS, where
//! closing the web view frees its memory.

use std::sync::{Mutex, MutexGuard, PoisonError};

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

/// How far this process's hand-over has gone.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    None,
    /// Waiting for a send to finish: it can still be called off.
    WaitingForSend,
    /// The engine is stopping: the next process starts.
    Stopping,
}

/// The hand-over under way: how far it has gone, and what it starts (the latest wish, so a
/// second Open or link while it stops the engine changes what the next process opens).
struct HandOver {
    stage: Stage,
    next: Option<Next>,
}

static HAND_OVER: Mutex<HandOver> = Mutex::new(HandOver {
    stage: Stage::None,
    next: None,
});

fn hand_over_state() -> MutexGuard<'static, HandOver> {
    HAND_OVER.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Stops the engine, then starts `next` and ends this process. While a hand-over is already
/// under way, `next` replaces what it will start.
pub async fn hand_over(handle: &AppHandle, next: Next) {
    {
        let mut state = hand_over_state();
        state.next = Some(next);
        if state.stage != Stage::None {
            return;
        }
        state.stage = Stage::WaitingForSend;
    }
    let app = handle.try_state::<App>();
    // A send from the candidate list runs in this process, not from the database's queue: it
    // finishes before the engine stops, as it would with the window closed.
    while app.as_ref().is_some_and(|app| app.sending()) {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        if hand_over_state().stage == Stage::None {
            return; // Called off: the window opened here again.
        }
    }
    {
        let mut state = hand_over_state();
        if state.stage == Stage::None {
            return;
        }
        state.stage = Stage::Stopping;
    }
    if let Some(app) = app {
        app.shutdown().await;
    }
    let next = hand_over_state().next.take().unwrap_or(Next::Window);
    start_next(handle, next)
}

/// Calls off a hand-over that still waits for a send, so that the window opens again in this
/// process; false when there is none or the engine is already stopping.
pub fn call_off() -> bool {
    let mut state = hand_over_state();
    if state.stage != Stage::WaitingForSend {
        return false;
    }
    state.stage = Stage::None;
    state.next = None;
    true
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
