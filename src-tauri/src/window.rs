//! The main window comes and goes; the engine stays. Closing the window (while "keep running in
//! the tray" is on) destroys its webview, which frees the web processes, and the tray, a second
//! launch or a `willo-desk://` link builds it again. A link sets where the window opens
//! ([`Opening`]): the page takes it when it starts, or at once when it is already open.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use desk_app::{App, AppError, NoticeTarget};
use tauri::{AppHandle, Emitter, Manager};

use crate::handover::{self, Next};

pub const MAIN: &str = "main";
/// Tells an open page that [`Opening`] has a place for it.
const OPENING: &str = "opening";

/// Where the window is to open next, or why a link could not say, taken by the page
/// (`take_opening`).
#[derive(Default)]
pub struct Opening(Mutex<Option<Result<NoticeTarget, AppError>>>);

impl Opening {
    pub fn take(&self) -> Option<Result<NoticeTarget, AppError>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    fn set(&self, place: Result<NoticeTarget, AppError>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(place);
    }
}

/// What second launches and links asked for before the app had opened its database (`None`:
/// the window, `Some`: a link), carried out once it has; `None` once it is ready.
pub struct Arrivals(Mutex<Option<Vec<Option<String>>>>);

impl Default for Arrivals {
    fn default() -> Self {
        Self(Mutex::new(Some(Vec::new())))
    }
}

/// A second launch (with its link, if any) or a link from the system: carried out now, or kept
/// until the app is ready.
pub fn arrive(handle: &AppHandle, link: Option<String>) {
    let arrivals = handle.state::<Arrivals>();
    if let Some(waiting) = arrivals
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_mut()
    {
        waiting.push(link);
        return;
    }
    carry_out(handle, link);
}

/// The app is ready: what arrived meanwhile is carried out, and from now on at once.
pub fn ready(handle: &AppHandle) {
    let waiting = handle
        .state::<Arrivals>()
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    for link in waiting.into_iter().flatten() {
        carry_out(handle, link);
    }
}

fn carry_out(handle: &AppHandle, link: Option<String>) {
    match link {
        Some(link) => {
            let handle = handle.clone();
            tauri::async_runtime::spawn(async move { open_link(&handle, &link).await });
        }
        None => show(handle),
    }
}

/// Whether closing the window keeps the app running (the recruiter's setting), and whether
/// Quit was chosen, which ends it whatever the setting says. Read where nothing can wait.
#[derive(Default)]
pub struct Lifetime {
    pub keep_in_tray: AtomicBool,
    pub quitting: AtomicBool,
}

impl Lifetime {
    /// Whether the app should go on when its last window has closed.
    pub fn stays(&self) -> bool {
        self.keep_in_tray.load(Ordering::SeqCst) && !self.quitting.load(Ordering::SeqCst)
    }
}

/// Shows the main window, building it when it was closed, and brings it to the front.
pub fn show(handle: &AppHandle) {
    if hands_over(handle, Next::Window) {
        return;
    }
    let handle = handle.clone();
    // Windows are built on the event loop's thread; this may be called from any.
    let on_main = handle.clone();
    let result = on_main.run_on_main_thread(move || {
        if let Some(window) = handle.get_webview_window(MAIN) {
            let _ = window.unminimize();
            let _ = window.show();
            let _ = window.set_focus();
            return;
        }
        if let Err(error) = build(&handle) {
            tracing::error!(%error, "the window could not be opened");
        }
    });
    if let Err(error) = result {
        tracing::error!(%error, "the window could not be opened");
    }
}

/// Whether the window is opened by another process (see [`crate::handover`]): this one has
/// none, so it is the tray's; it starts the window's process with `next` and ends. A window's
/// process whose hand-over still waits for a send opens the window again itself.
fn hands_over(handle: &AppHandle, next: Next) -> bool {
    if handle.get_webview_window(MAIN).is_some()
        || !handover::applies(handle)
        || handover::call_off()
    {
        return false;
    }
    let handle = handle.clone();
    tauri::async_runtime::spawn(async move { handover::hand_over(&handle, next).await });
    true
}

/// Builds the main window as `tauri.conf.json` describes it (it creates none at start, so the
/// app can answer the page before it loads).
pub fn build(handle: &AppHandle) -> anyhow::Result<()> {
    let config = handle
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("tauri.conf.json describes no main window"))?;
    tauri::WebviewWindowBuilder::from_config(handle, &config)?.build()?;
    Ok(())
}

/// Opens the window at what a `willo-desk://` link names, or with why it cannot be opened.
pub async fn open_link(handle: &AppHandle, link: &str) {
    if hands_over(handle, Next::Link(link.to_owned())) {
        return;
    }
    let place = handle.state::<App>().link_target(link).await;
    if let Err(error) = &place {
        // The message may quote the link; the log gets its kind only.
        tracing::warn!(code = ?error.code, "a willo-desk link could not be opened");
    }
    handle.state::<Opening>().set(place);
    show(handle);
    let _ = handle.emit(OPENING, ());
}
