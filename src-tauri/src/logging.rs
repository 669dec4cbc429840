//! Logs go to stderr and to a daily file in `<data dir>/logs`. `RUST_LOG` sets the level.

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use tracing_appender::non_blocking::WorkerGuard;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tao=warn,wry=warn"))
}

/// The file's writer: lines are written on its own thread, and dropping this guard writes the
/// rest. Kept here so that a process ending with `exit` (a hand-over) can write them first.
static FILE_WRITER: Mutex<Option<WorkerGuard>> = Mutex::new(None);

/// Writes out the lines logged so far; later ones reach stderr only.
pub fn flush() {
    drop(
        FILE_WRITER
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take(),
    );
}

/// Flushes the log file when dropped: held by `main` for as long as it runs.
pub struct Flush;

impl Drop for Flush {
    fn drop(&mut self) {
        flush();
    }
}

pub fn init(data_dir: &Path) -> Flush {
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter());
    let dir = desk_app::paths::log_dir(data_dir);
    let Ok(()) = std::fs::create_dir_all(&dir) else {
        tracing_subscriber::registry().with(stderr).init();
        return Flush;
    };
    let (writer, guard) =
        tracing_appender::non_blocking(tracing_appender::rolling::daily(&dir, "willo-desk.log"));
    let file = fmt::layer()
        .with_ansi(false)
        .with_writer(writer)
        .with_filter(filter());
    tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .init();
    *FILE_WRITER.lock().unwrap_or_else(PoisonError::into_inner) = Some(guard);
    Flush
}
