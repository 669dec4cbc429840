use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error(
        "{path} is not a Willo Desk database (it is not an SQLite file); it was left untouched"
    )]
    NotADatabase { path: PathBuf },
    #[error("{path} is an SQLite database of another program; it was left untouched")]
    Foreign { path: PathBuf },
    #[error("{path} is damaged ({detail}); it was left untouched. Restore it from a backup, or move it aside to start with an empty database")]
    Damaged { path: PathBuf, detail: String },
    #[error("could not create the data folder {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the database schema could not be brought up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("stored JSON could not be read: {0}")]
    Json(#[from] serde_json::Error),
    #[error("no {what} with id {id}")]
    NotFound { what: &'static str, id: i64 },
}
