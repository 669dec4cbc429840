use std::process::Command;

fn main() {
    commit();
    tauri_build::build();
}

/// The commit the app is built from, for Settings → About and its diagnostics: the
/// `WILLO_DESK_COMMIT` variable when a release build sets it, else git's, else "unknown".
fn commit() {
    println!("cargo:rerun-if-env-changed=WILLO_DESK_COMMIT");
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_owned())
    };
    // Built again when HEAD moves (a commit, a checkout).
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
        println!("cargo:rerun-if-changed={dir}/logs/HEAD");
    }
    let commit = std::env::var("WILLO_DESK_COMMIT")
        .ok()
        .or_else(|| git(&["rev-parse", "--short=10", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=WILLO_DESK_COMMIT={commit}");
}
