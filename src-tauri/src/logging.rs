//! Logs go to stderr and to a daily file in `<data dir>/logs`. `RUST_LOG` sets the level.

use std::path::Path;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tao=warn,wry=warn"))
}

/// Keep the returned guard alive for as long as logs should reach the file.
pub fn init(data_dir: &Path) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter());
    let dir = desk_app::paths::log_dir(data_dir);
    let Ok(()) = std::fs::create_dir_all(&dir) else {
        tracing_subscriber::registry().with(stderr).init();
        return None;
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
    Some(guard)
}
