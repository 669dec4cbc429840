//! Where Willo Desk keeps its data and logs.

use std::path::PathBuf;

/// Overrides the data folder (the `--data-dir` flag wins over it).
pub const DATA_DIR_ENV: &str = "WILLO_DESK_DATA_DIR";

/// The data folder: the flag, else `WILLO_DESK_DATA_DIR`, else the platform's app-data folder
/// (`~/.local/share/willo-desk` on Linux, `~/Library/Application Support/com.willodesk.willo-desk`
/// on macOS, `%APPDATA%\willodesk\willo-desk\data` on Windows).
pub fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| {
        std::env::var_os(DATA_DIR_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
    .or_else(|| {
        directories::ProjectDirs::from("com", "willodesk", "willo-desk")
            .map(|d| d.data_dir().to_owned())
    })
    .unwrap_or_else(|| PathBuf::from(".willo-desk"))
}

/// The sandbox's database: kept apart from real accounts' data.
pub fn sandbox_database(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("sandbox.db")
}

/// The database of real accounts.
pub fn live_database(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("willo-desk.db")
}

pub fn log_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("logs")
}

/// Where CSV exports are written.
pub fn exports_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("exports")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins() {
        assert_eq!(
            data_dir(Some(PathBuf::from("/tmp/x"))),
            PathBuf::from("/tmp/x")
        );
    }

    #[test]
    fn files_live_inside_the_data_folder() {
        let dir = PathBuf::from("/data");
        assert_eq!(sandbox_database(&dir), PathBuf::from("/data/sandbox.db"));
        assert_eq!(log_dir(&dir), PathBuf::from("/data/logs"));
    }
}
