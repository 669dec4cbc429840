//! `willo-desk`: the desktop app, and the command line around it.

// No console window behind the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod cli;
mod commands;
mod desktop;
mod handover;
mod logging;
mod tray;
mod updates;
mod window;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    if cli.hidden
        && cli.command.is_none()
        && cfg!(target_os = "linux")
        && std::env::var_os("GDK_GL").is_none()
    {
        // The tray process never draws a web page: GTK need not load OpenGL (and with Mesa,
        // LLVM), which would hold about 45 MB. Set before any thread starts or GTK reads it,
        // and marked as ours, so a window's process started from here goes without it.
        std::env::set_var("GDK_GL", "disable");
        std::env::set_var(handover::OUR_GDK_GL, "1");
    }
    if cli.command.is_none()
        && cfg!(target_os = "linux")
        && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none()
    {
        // WebKitGTK composites pages with OpenGL by default, which holds about 130 MB more in
        // its web process (measured under Mesa's software GL). Lists, forms and answer videos
        // draw as well without it. `WEBKIT_DISABLE_COMPOSITING_MODE=0` brings it back; set
        // before any thread starts, and inherited by the web process and a hand-over's next.
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    // Commands on `serve`'s configuration read it first: it may say where data and logs go.
    let serve_config = match cli.command.as_ref().and_then(cli::Command::config_file) {
        Some(file) => match desk_app::config::ServeConfig::load(file) {
            Ok(config) => Some(config),
            Err(error) => {
                eprintln!("willo-desk: {error}");
                return std::process::ExitCode::from(2);
            }
        },
        None => None,
    };
    let data_dir = desk_app::paths::data_dir(
        cli.data_dir
            .clone()
            .or_else(|| serve_config.as_ref().and_then(|c| c.data_dir.clone())),
    );
    let _log_guard = logging::init(&data_dir);
    let result = match (cli.command, serve_config) {
        (Some(cli::Command::Serve(_)), Some(config)) => cli::run_serve(&config, &data_dir),
        (Some(cli::Command::Doctor(_)), Some(config)) => {
            match cli::run_doctor(&config, &data_dir) {
                Ok(true) => Ok(()),
                Ok(false) => return std::process::ExitCode::from(1),
                Err(e) => Err(e),
            }
        }
        (Some(cli::Command::Sandbox(args)), _) => cli::run_sandbox(&args),
        (Some(cli::Command::Secret(command)), _) => cli::run_secret(&command),
        (Some(cli::Command::Forget(args)), Some(config)) => {
            cli::run_forget(&args, &config, &data_dir)
        }
        (Some(cli::Command::ExportCandidate(args)), Some(_)) => cli::run_export(&args, &data_dir),
        _ => desktop::run(&data_dir, cli.hidden, cli.link),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("willo-desk: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
