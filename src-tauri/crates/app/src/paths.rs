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

/// Deletes a database with its WAL and shared-memory files (the app must have closed it).
pub fn remove_database(path: &std::path::Path) -> std::io::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        match std::fs::remove_file(PathBuf::from(file)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Writes a whole file or nothing: into a sibling `.part` file, then renamed over `path`, so a
/// reader (or the app after a crash or a full disk) never finds half of it. What a failed write
/// left is removed. Each write has a part of its own (process and sequence in its name), so two
/// writers of one file, in one process or two, never rename each other's half-written part.
pub fn write_whole(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let write = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut part = path.as_os_str().to_owned();
    part.push(format!(".{}-{write}.part", std::process::id()));
    let part = PathBuf::from(part);
    let written = std::fs::File::create(&part).and_then(|mut file| {
        std::io::Write::write_all(&mut file, bytes)?;
        file.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&part, path)) {
        Ok(()) => Ok(()),
        Err(error) => {
            let _ = std::fs::remove_file(&part);
            Err(error)
        }
    }
}

/// How old a part file must be to be litter: a write takes a moment, so an hour-old part was
/// cut off (its process killed mid-write) and will never be renamed.
const STALE_PART: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// Removes from `dir` the part files of writes cut off by a kill: only those [`write_whole`]
/// names (`<file>.<pid>-<seq>.part`), and only when an hour old, since another process may be
/// writing one now. Returns how many were removed.
pub fn remove_stale_parts(dir: &std::path::Path) -> usize {
    let ours = |name: &str| {
        name.strip_suffix(".part")
            .and_then(|rest| rest.rsplit_once('.'))
            .and_then(|(_, tag)| tag.split_once('-'))
            .is_some_and(|(pid, seq)| {
                [pid, seq]
                    .iter()
                    .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(ours))
        .filter(|e| {
            e.metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|at| at.elapsed().ok())
                .is_some_and(|age| age >= STALE_PART)
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

/// Where exports go: the user's Downloads folder, where people look for what they saved, else
/// the data folder's `exports`.
pub fn exports_dir(data_dir: &std::path::Path) -> PathBuf {
    let downloads = directories::UserDirs::new().and_then(|d| d.download_dir().map(PathBuf::from));
    exports_dir_in(data_dir, downloads)
}

fn exports_dir_in(data_dir: &std::path::Path, downloads: Option<PathBuf>) -> PathBuf {
    downloads
        .filter(|d| d.is_dir())
        .unwrap_or_else(|| data_dir.join("exports"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_neither_a_half_file_nor_its_part() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.csv");
        write_whole(&path, b"a,b\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"a,b\n");
        // A folder where the file should go: the rename fails after the part was written.
        let taken = dir.path().join("taken.csv");
        std::fs::create_dir(&taken).unwrap();
        assert!(write_whole(&taken, b"x").is_err());
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(left.len(), 2, "only export.csv and the folder: {left:?}");
    }

    #[test]
    fn concurrent_writers_of_one_file_each_leave_it_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("connections.json");
        let size = 256 * 1024;
        std::thread::scope(|scope| {
            for writer in 0..4u8 {
                let path = &path;
                scope.spawn(move || {
                    for _ in 0..50 {
                        write_whole(path, &vec![b'a' + writer; size]).unwrap();
                    }
                });
            }
            scope.spawn(|| {
                for _ in 0..500 {
                    if let Ok(read) = std::fs::read(&path) {
                        assert_eq!(read.len(), size, "a whole file, never a part of one");
                        assert!(
                            read.iter().all(|b| *b == read[0]),
                            "one writer's file, not a mix"
                        );
                    }
                }
            });
        });
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(left, 1, "no part file left behind");
    }

    /// A real full disk: a 64 KiB tmpfs, which needs root to mount (CI runs as root).
    #[test]
    fn a_full_disk_keeps_the_old_file_whole() {
        if !running_as_root() {
            eprintln!("skipped: mounting a small file system needs root");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(mounted.success(), "root could not mount a tmpfs");
        let path = dir.path().join("connections.json");
        let old = vec![b'o'; 16 * 1024];
        write_whole(&path, &old).unwrap();
        let error = write_whole(&path, &vec![b'n'; 100 * 1024]).unwrap_err();
        let after = std::fs::read(&path);
        let parts = std::fs::read_dir(dir.path()).unwrap().count();
        std::process::Command::new("umount")
            .arg(dir.path())
            .status()
            .unwrap();
        assert_eq!(error.raw_os_error(), Some(28), "ENOSPC: {error}");
        assert_eq!(after.unwrap(), old, "the old file is untouched");
        assert_eq!(parts, 1, "no part file left behind");
    }

    fn running_as_root() -> bool {
        std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
    }

    #[test]
    fn only_our_part_files_an_hour_old_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
        let file = |name: &str, old: bool| {
            let path = dir.path().join(name);
            let f = std::fs::File::create(&path).unwrap();
            if old {
                f.set_modified(hours_ago).unwrap();
            }
            path
        };
        let cut_off = file("connections.json.4242-7.part", true);
        let in_progress = file("connections.json.4243-0.part", false);
        let someone_elses = file("movie.mkv.part", true);
        let not_a_part = file("connections.json", true);
        assert_eq!(remove_stale_parts(dir.path()), 1);
        assert!(!cut_off.exists(), "a write cut off long ago");
        assert!(
            in_progress.exists() && someone_elses.exists() && not_a_part.exists(),
            "a write that may be under way, another program's part, and the real file stay"
        );
        assert_eq!(remove_stale_parts(&dir.path().join("absent")), 0);
    }

    #[test]
    fn exports_go_to_downloads_when_the_folder_exists() {
        let data = tempfile::tempdir().unwrap();
        let downloads = tempfile::tempdir().unwrap();
        assert_eq!(
            exports_dir_in(data.path(), Some(downloads.path().to_owned())),
            downloads.path()
        );
        let gone = downloads.path().join("not-there");
        assert_eq!(
            exports_dir_in(data.path(), Some(gone)),
            data.path().join("exports")
        );
        assert_eq!(
            exports_dir_in(data.path(), None),
            data.path().join("exports")
        );
    }

    #[test]
    fn a_database_goes_with_its_wal_and_shm_and_other_files_stay() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("sandbox.db");
        for name in [
            "sandbox.db",
            "sandbox.db-wal",
            "sandbox.db-shm",
            "connections.json",
        ] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        remove_database(&db).unwrap();
        remove_database(&db).unwrap();
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["connections.json"]);
    }

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
