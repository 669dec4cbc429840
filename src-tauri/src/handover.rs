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
use tauri_plugin_window_state::{AppHandleExt, StateFlags};

use crate::cli::HIDDEN_FLAG;
use crate::desktop::DEEP_LINK_PREFIX;

/// Marks `GDK_GL` as set by `main` for a tray process, not by the user.
pub const OUR_GDK_GL: &str = "WILLO_DESK_TRAY_GDK_GL";

/// What the next process starts as.
#[derive(Debug, PartialEq, Eq)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Stage {
    #[default]
    None,
    /// Waiting for a send from the candidate list to finish.
    WaitingForSend,
    /// The engine is stopping: the next process starts.
    Stopping,
}

/// This process's hand-over: how far it has gone, what it starts (the latest wish, so an Open
/// or a link while it waits changes what the next process opens), and whether it began as the
/// window closed into the tray. Only that one may be called off: a restart must happen.
#[derive(Debug, Default)]
struct HandOver {
    stage: Stage,
    next: Option<Next>,
    into_tray: bool,
    /// Counts the hand-overs begun, so that one called off ends its task even when the window
    /// closed again and a new one began before that task looked.
    round: u64,
}

/// What a hand-over does next.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Wait,
    Stop,
    CalledOff,
}

impl HandOver {
    /// Asks for a hand-over to `next`: the round it begins, or none when one is under way (it
    /// starts `next` now).
    fn begin(&mut self, next: Next) -> Option<u64> {
        let begins = self.stage == Stage::None;
        self.into_tray = if begins {
            next == Next::Tray
        } else {
            self.into_tray
        };
        self.next = Some(next);
        begins.then(|| {
            self.stage = Stage::WaitingForSend;
            self.round += 1;
            self.round
        })
    }

    /// Where the hand-over of `round` goes, with a send from the list `sending` or not.
    fn step(&mut self, round: u64, sending: bool) -> Step {
        if round != self.round {
            return Step::CalledOff;
        }
        match self.stage {
            Stage::None => Step::CalledOff,
            Stage::WaitingForSend if sending => Step::Wait,
            Stage::WaitingForSend | Stage::Stopping => {
                self.stage = Stage::Stopping;
                Step::Stop
            }
        }
    }

    /// Calls off a move into the tray that still waits for a send; false otherwise.
    fn call_off(&mut self) -> bool {
        if self.stage != Stage::WaitingForSend || !self.into_tray {
            return false;
        }
        self.stage = Stage::None;
        self.next = None;
        true
    }
}

static HAND_OVER: Mutex<HandOver> = Mutex::new(HandOver {
    stage: Stage::None,
    next: None,
    into_tray: false,
    round: 0,
});

fn hand_over_state() -> MutexGuard<'static, HandOver> {
    HAND_OVER.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Stops the engine, then starts `next` and ends this process. While a hand-over is already
/// under way, `next` replaces what it will start.
pub async fn hand_over(handle: &AppHandle, next: Next) {
    let Some(round) = hand_over_state().begin(next) else {
        return;
    };
    let app = handle.try_state::<App>();
    // A send from the candidate list runs in this process, not from the database's queue: it
    // finishes before the engine stops, as it would with the window closed.
    loop {
        let sending = app.as_ref().is_some_and(|app| app.sending());
        let step = hand_over_state().step(round, sending);
        match step {
            Step::Wait => tokio::time::sleep(std::time::Duration::from_millis(250)).await,
            Step::Stop => break,
            Step::CalledOff => return, // The window opened here again.
        }
    }
    if let Some(app) = app {
        app.shutdown().await;
    }
    let next = hand_over_state().next.take().unwrap_or(Next::Window);
    start_next(handle, next)
}

/// Calls off the window's move into the tray while it waits for a send from the candidate list
/// (only a window's page starts one), so that the window opens again in this process, whose web
/// engine is loaded already; false when there is no such wait (a restart is not called off).
pub fn call_off() -> bool {
    hand_over_state().call_off()
}

/// Writes the window's size and place for the next process to open at: the window-state plugin
/// writes them at `Exit`, which a hand-over never reaches. On the event loop's thread, as the
/// plugin does: it holds its state's lock while it asks an open window (a restart's) for its
/// size, which a worker thread would ask the event loop for while a window event there waits
/// for that lock.
fn keep_window_state(handle: &AppHandle) {
    let (done, saved) = std::sync::mpsc::channel();
    let on_main = handle.clone();
    let result = handle
        .run_on_main_thread(move || {
            let _ = done.send(on_main.save_window_state(StateFlags::all()));
        })
        .map_err(|e| e.to_string())
        .and_then(|()| saved.recv().map_err(|e| e.to_string()))
        .and_then(|saved| saved.map_err(|e| e.to_string()));
    if let Err(error) = result {
        tracing::warn!(%error, "the window's size and place could not be kept");
    }
}

/// [`hand_over`] once the engine has stopped. The claim to be the single instance is given up
/// first, so the next process is not taken for a second launch and sent back here. It gets this
/// launch's options (the data folder, say), but not `--hidden` or a link this one was given.
pub fn start_next(handle: &AppHandle, next: Next) -> ! {
    keep_window_state(handle);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_move_into_the_tray_waiting_for_a_send_can_be_called_off_and_begun_again() {
        let mut h = HandOver::default();
        let first = h.begin(Next::Tray).unwrap();
        assert_eq!(h.step(first, true), Step::Wait);
        assert!(h.call_off());
        // Closed again before the first task looked: that task ends, the new one goes on.
        let second = h.begin(Next::Tray).unwrap();
        assert_eq!(h.step(first, true), Step::CalledOff);
        assert_eq!(h.step(second, false), Step::Stop);
        assert!(!h.call_off(), "stopping: too late");
        assert_eq!(h.begin(Next::Window), None);
        assert_eq!(
            h.next.take(),
            Some(Next::Window),
            "the latest wish is started"
        );
    }

    #[test]
    fn a_restart_is_not_called_off_even_when_the_window_closed_during_it() {
        let mut h = HandOver::default();
        let round = h.begin(Next::Window).unwrap();
        assert_eq!(h.step(round, true), Step::Wait);
        assert_eq!(h.begin(Next::Tray), None, "closed while the restart waits");
        assert!(!h.call_off());
        assert_eq!(h.step(round, false), Step::Stop);
        assert_eq!(h.next.take(), Some(Next::Tray));
    }

    #[test]
    fn with_no_send_to_wait_for_there_is_nothing_to_call_off() {
        let mut h = HandOver::default();
        let round = h.begin(Next::Tray).unwrap();
        assert_eq!(h.step(round, false), Step::Stop);
        assert!(!h.call_off());
    }
}
