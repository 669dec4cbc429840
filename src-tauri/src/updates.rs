//! Signed updates. The app asks the update server (the release's `latest.json`) daily and when
//! the recruiter asks (Settings → About); it installs only a package whose minisign signature
//! verifies against the public key built into the app (`plugins.updater.pubkey`, set when a
//! release is built). A build without a key says that updates are not set up in it.
//!
//! `WILLO_DESK_UPDATE_URL` points the app at another update server (a company's mirror); a
//! package from there must still carry the release key's signature. Debug builds also take the
//! key from `WILLO_DESK_UPDATE_PUBKEY`, so tests can sign updates with a key of their own.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use desk_app::about::UpdateOffer;
use desk_app::{AppError, ErrorCode};
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_updater::{Update, Updater, UpdaterExt};

/// The event a download's progress arrives on: `[received, total]` bytes (`total` may be null).
pub const PROGRESS: &str = "update-progress";
const DAILY: Duration = Duration::from_secs(24 * 60 * 60);
/// How long a check waits for the update server: one that never answers must not leave the
/// check (and Settings → About) waiting for ever. Downloads have no such limit; their progress shows.
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// The update found by the last check, and its package once downloaded and verified: kept
/// together, so a package is only ever installed as the update it was verified for.
#[derive(Default)]
pub struct Pending(Mutex<Option<(Update, Option<Vec<u8>>)>>);

impl Pending {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Update, Option<Vec<u8>>)>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn unavailable(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::Unavailable, message)
}

/// The release key this build verifies updates with; empty when the build has none.
fn release_key(handle: &AppHandle) -> String {
    let built_in = handle
        .config()
        .plugins
        .0
        .get("updater")
        .and_then(|u| u.get("pubkey"))
        .and_then(|k| k.as_str())
        .unwrap_or_default()
        .to_owned();
    match std::env::var("WILLO_DESK_UPDATE_PUBKEY") {
        Ok(key) if cfg!(debug_assertions) => key,
        _ => built_in,
    }
}

fn updater(handle: &AppHandle) -> Result<Updater, AppError> {
    let key = release_key(handle);
    if key.trim().is_empty() {
        return Err(unavailable(
            "Updates are not set up in this build (it has no release key): install new versions from the package.",
        ));
    }
    let closing = handle.clone();
    let mut builder = handle
        .updater_builder()
        .pubkey(key)
        .timeout(CHECK_TIMEOUT)
        // Windows' installer replaces the running app and ends it: the engine stops first, so
        // its lock is released and the item in flight finishes.
        .on_before_exit(move || crate::desktop::stop_engine(&closing));
    if let Ok(url) = std::env::var("WILLO_DESK_UPDATE_URL") {
        let url = url::Url::parse(&url).map_err(|_| {
            AppError::new(
                ErrorCode::Validation,
                "WILLO_DESK_UPDATE_URL is not an address",
            )
        })?;
        builder = builder
            .endpoints(vec![url])
            .map_err(|e| AppError::new(ErrorCode::Validation, format!("update server: {e}")))?;
    }
    builder.build().map_err(|e| match e {
        tauri_plugin_updater::Error::EmptyEndpoints => unavailable(
            "Updates are not set up in this build: install new versions from the package.",
        ),
        other => unavailable(format!("The update check could not start: {other}")),
    })
}

/// Asks the update server for a newer version than this one.
pub async fn check(handle: &AppHandle) -> Result<Option<UpdateOffer>, AppError> {
    let pending = handle.state::<Pending>();
    let found = updater(handle)?
        .check()
        .await
        .map_err(|e| unavailable(format!("The update server could not be asked: {e}")))?;
    let offer = found.as_ref().map(|u| UpdateOffer {
        version: u.version.clone(),
        current: u.current_version.clone(),
        notes: u.body.clone(),
        date: u.date.and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        }),
    });
    let mut held = pending.lock();
    // A check (the daily one, say) that finds the very release already offered keeps its download.
    let same = matches!((&*held, &found), (Some((old, _)), Some(new))
        if old.version == new.version && old.signature == new.signature && old.download_url == new.download_url);
    if !same {
        *held = found.map(|update| (update, None));
    }
    Ok(offer)
}

/// Downloads the offered update and verifies its signature; nothing is installed yet.
pub async fn download(handle: &AppHandle) -> Result<String, AppError> {
    let pending = handle.state::<Pending>();
    let update = pending
        .lock()
        .as_ref()
        .map(|(update, _)| update.clone())
        .ok_or_else(|| AppError::new(ErrorCode::Validation, "Check for updates first."))?;
    let mut received = 0_usize;
    let progress = handle.clone();
    let bytes = update
        .download(
            |chunk, total| {
                received += chunk;
                let _ = progress.emit(PROGRESS, (received, total));
            },
            || {},
        )
        .await
        .map_err(|e| match e {
            tauri_plugin_updater::Error::Minisign(_)
            | tauri_plugin_updater::Error::SignatureUtf8(_)
            | tauri_plugin_updater::Error::Base64(_)
            | tauri_plugin_updater::Error::SignedVersionMismatch { .. }
            | tauri_plugin_updater::Error::MissingSignedVersion => AppError::new(
                ErrorCode::Validation,
                format!(
                    "Version {} was refused: its signature does not match Willo Desk's release key, so it may not come from us. Nothing was installed.",
                    update.version
                ),
            ),
            other => unavailable(format!("The update could not be downloaded: {other}")),
        })?;
    match &mut *pending.lock() {
        Some((offered, package)) if offered.version == update.version => *package = Some(bytes),
        _ => {
            return Err(AppError::new(
                ErrorCode::Validation,
                "Another version was offered meanwhile: download again.",
            ))
        }
    }
    Ok(update.version)
}

/// Installs `version`, downloaded and verified before; it runs from the next start. The
/// installer may ask for a password, so it runs off the window's thread.
pub async fn install(handle: &AppHandle, version: &str) -> Result<(), AppError> {
    let state = handle.state::<Pending>();
    let held = {
        let mut pending = state.lock();
        match pending.take() {
            Some((update, Some(package))) if update.version == version => Some((update, package)),
            other => {
                *pending = other;
                None
            }
        }
    };
    let Some((update, package)) = held else {
        return Err(AppError::new(
            ErrorCode::Validation,
            format!("Download version {version} first."),
        ));
    };
    tauri::async_runtime::spawn_blocking(move || update.install(package))
        .await
        .map_err(|e| unavailable(format!("The update could not be installed: {e}")))?
        .map_err(|e| unavailable(format!("The update could not be installed: {e}")))
}

/// Checks once a day; a new version is announced once a run.
pub async fn check_daily(handle: AppHandle) {
    let mut announced = None;
    loop {
        match check(&handle).await {
            Ok(Some(offer)) if announced.as_ref() != Some(&offer.version) => {
                crate::desktop::show_notification(
                    &handle,
                    &format!("Willo Desk {} is available", offer.version),
                    "See what is new and install it from Settings → About.",
                );
                announced = Some(offer.version);
            }
            Ok(_) => {}
            // A build without updates, or a server that did not answer: try again tomorrow.
            Err(error) => tracing::info!(code = ?error.code, "no update check: {}", error.message),
        }
        tokio::time::sleep(DAILY).await;
    }
}
