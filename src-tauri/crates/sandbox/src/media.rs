//! Sample answer media the simulated Willo links to: small real WebM files (VP8 video with Opus
//! audio, and Opus audio alone) that browsers and WebKitGTK can play. They are compiled into the
//! binary and served from a temporary folder, so range requests (seeking) work as with any file.

use std::path::Path;

use axum::Router;
use tower_http::services::ServeDir;

const FILES: [(&str, &[u8]); 2] = [
    (
        "answer-video.webm",
        include_bytes!("../media/answer-video.webm"),
    ),
    (
        "answer-audio.webm",
        include_bytes!("../media/answer-audio.webm"),
    ),
];

pub fn write_files(dir: &Path) -> std::io::Result<()> {
    for (name, bytes) in FILES {
        std::fs::write(dir.join(name), bytes)?;
    }
    Ok(())
}

pub fn router(dir: &Path) -> Router {
    Router::new().nest_service("/media", ServeDir::new(dir))
}
