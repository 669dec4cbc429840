//! `willo-desk`: the desktop app, and the command line around it.

// No console window behind the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod cli;
mod commands;
mod desktop;
mod logging;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let data_dir = desk_app::paths::data_dir(cli.data_dir.clone());
    let _log_guard = logging::init(&data_dir);
    let result = match cli.command {
        None | Some(cli::Command::Desktop) => desktop::run(&data_dir),
        Some(cli::Command::Sandbox(args)) => cli::run_sandbox(&args),
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
