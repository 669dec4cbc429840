//! The command line: the desktop, `sandbox`, `serve`, `doctor`, `secret`, `forget` and `export-candidate`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use desk_app::live::AtsChoice;
use desk_app::sandbox_ats;
use desk_sandbox::{Sandbox, SandboxConfig};

#[derive(Debug, Parser)]
#[command(
    name = "willo-desk",
    version,
    about = "Asynchronous video screening between your ATS and Willo"
)]
pub struct Cli {
    /// Where data and logs live (default: the platform's app-data folder, or WILLO_DESK_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Start the desktop in the tray, without opening its window (how it starts at login).
    #[arg(long)]
    pub hidden: bool,
    /// A willo-desk:// link to open the desktop at (a review or a candidate).
    #[arg(value_name = "LINK", hide = true, value_parser = desktop_link)]
    pub link: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The flag the desktop starts with at login.
pub const HIDDEN_FLAG: &str = "--hidden";

/// A word that is neither a command nor a link is a mistyped command, not a link to open.
fn desktop_link(arg: &str) -> Result<String, String> {
    if arg.starts_with(crate::desktop::DEEP_LINK_PREFIX) {
        Ok(arg.to_owned())
    } else {
        Err(format!(
            "“{arg}” is neither a command (see --help) nor a {} link",
            crate::desktop::DEEP_LINK_PREFIX
        ))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the desktop app (the default). With no accounts configured it runs in sandbox mode.
    Desktop,
    /// Run only the simulated Willo and ATS servers, print their URLs and demo credentials as one
    /// line of JSON, and serve until stopped.
    Sandbox(SandboxArgs),
    /// Run the engine without a window (triggers, sends, the webhook receiver, the reconcile and
    /// write-back) until SIGTERM or Ctrl-C. Secrets come from environment variables or the keychain.
    Serve(ServeArgs),
    /// Check the configuration's connections and settings, and say what to fix. Reads only.
    /// Exits 1 when it finds a problem.
    Doctor(ServeArgs),
    /// Store or remove a secret the configuration names, in the OS keychain.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Delete a candidate's interview data everywhere, at their request: the Willo participant,
    /// what was written to the ATS (or what must be removed there by hand), and every local copy.
    /// Prints what was deleted where. A running `serve` on the same data carries it out.
    Forget(ForgetArgs),
    /// Write everything held about a candidate (an access request) as a ZIP of JSON and text.
    ExportCandidate(ExportArgs),
}

impl Command {
    /// The configuration file the command reads, for those that take one.
    pub fn config_file(&self) -> Option<&std::path::Path> {
        match self {
            Self::Serve(args) | Self::Doctor(args) => Some(&args.config),
            Self::Forget(args) => Some(&args.config),
            Self::ExportCandidate(args) => Some(&args.config),
            Self::Desktop | Self::Sandbox(_) | Self::Secret(_) => None,
        }
    }
}

#[derive(Debug, Args)]
pub struct ForgetArgs {
    /// `serve`'s configuration file (its accounts and data folder).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The candidate's email, as the ATS has it.
    #[arg(long)]
    pub email: String,
    /// Who asks, for the audit entry (default: this computer's user).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// How long to wait for Willo and the ATS before leaving the deletion queued.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub wait: u64,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// `serve`'s configuration file (its data folder).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The candidate's email, as the ATS has it.
    #[arg(long)]
    pub email: String,
    /// The folder to write the ZIP into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
}

/// Deletes a candidate's interview data and prints the report of each application's deletion.
pub fn run_forget(
    args: &ForgetArgs,
    config: &desk_app::config::ServeConfig,
    data_dir: &std::path::Path,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("could not start the async runtime")?;
    runtime.block_on(async {
        let secrets = config_secrets(config).map_err(|e| anyhow::anyhow!(e.message))?;
        let lookup = |name: &str| secrets.get(name).cloned();
        let by = args
            .by
            .clone()
            .unwrap_or_else(desk_app::data_rights::local_user);
        let reports = desk_app::forget::forget(
            config,
            data_dir,
            &lookup,
            &args.email,
            &by,
            std::time::Duration::from_secs(args.wait),
        )
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
        #[allow(clippy::print_stdout)] // the report is the command's output
        for report in &reports {
            println!("{}", desk_app::forget::describe(report));
        }
        Ok(())
    })
}

/// Writes a candidate's access-request export and prints where.
pub fn run_export(args: &ExportArgs, data_dir: &std::path::Path) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("could not start the async runtime")?;
    runtime.block_on(async {
        let paths = desk_app::forget::export_candidate(data_dir, &args.email, &args.out)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        #[allow(clippy::print_stdout)] // where the files are is the command's output
        for path in &paths {
            println!("{}", path.display());
        }
        Ok(())
    })
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Store a secret: its value is read from standard input (one line), never from arguments.
    Set { name: String },
    /// Remove a stored secret.
    Delete { name: String },
}

/// Stores or removes a keychain secret. The value comes from stdin so it stays out of shell history.
pub fn run_secret(command: &SecretCommand) -> anyhow::Result<()> {
    use desk_app::secrets::{Keychain, SecretStore};
    match command {
        SecretCommand::Set { name } => {
            let mut value = String::new();
            std::io::stdin()
                .read_line(&mut value)
                .context("could not read the secret from standard input")?;
            let value = value.trim();
            anyhow::ensure!(
                !value.is_empty(),
                "no secret was given on standard input for {name}"
            );
            Keychain
                .set(name, value)
                .map_err(|e| anyhow::anyhow!(e.message))?;
            tracing::info!(%name, "secret stored in the keychain");
        }
        SecretCommand::Delete { name } => {
            Keychain
                .delete(name)
                .map_err(|e| anyhow::anyhow!(e.message))?;
            tracing::info!(%name, "secret removed from the keychain");
        }
    }
    Ok(())
}

/// The secrets a configuration names: each from the environment, else from the keychain.
fn config_secrets(
    config: &desk_app::config::ServeConfig,
) -> Result<std::collections::HashMap<String, String>, desk_app::AppError> {
    desk_app::secrets::resolve(
        &config.secret_names(),
        &|name| std::env::var(name).ok(),
        &desk_app::secrets::Keychain,
    )
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The configuration file (TOML; see the README).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
}

/// Runs the doctor's checks and prints each finding with what to do. `Ok(false)`: a problem was found.
pub fn run_doctor(
    config: &desk_app::config::ServeConfig,
    data_dir: &std::path::Path,
) -> anyhow::Result<bool> {
    use desk_app::doctor::Severity;
    let secrets = match config_secrets(config) {
        Ok(secrets) => secrets,
        Err(error) => {
            // Nothing else can be checked without the secrets; say what stops it.
            #[allow(clippy::print_stdout)]
            {
                println!("PROBLEM  {}", error.message);
            }
            return Ok(false);
        }
    };
    let runtime = tokio::runtime::Runtime::new().context("could not start the async runtime")?;
    let mut findings = runtime
        .block_on(desk_app::doctor::check(config, &|name| {
            secrets.get(name).cloned()
        }))
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let used = runtime.block_on(desk_app::doctor::recorded_use(data_dir));
    findings.push(desk_app::doctor::budget(config, used));
    // The report is the command's output, for people to read; the log is elsewhere.
    #[allow(clippy::print_stdout)]
    {
        print!("{}", desk_app::doctor::report(&findings));
    }
    Ok(!findings.iter().any(|f| f.severity == Severity::Problem))
}

/// A request to stop: SIGTERM (on Unix) or Ctrl-C. SIGTERM is listened for from the moment this
/// is made, so one that comes early is kept until it is waited for, instead of killing the process.
struct StopRequest {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopRequest {
    fn listen() -> anyhow::Result<Self> {
        Ok(Self {
            #[cfg(unix)]
            terminate: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .context("could not listen for SIGTERM")?,
        })
    }

    /// Resolves with the signal's name when a stop is asked for.
    async fn asked(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.terminate.recv() => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "Ctrl-C",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

/// Runs `serve` until SIGTERM or Ctrl-C, then stops cleanly: the item in flight finishes and
/// everything else waits in the database for the next start. A stop asked for while it is still
/// starting (waiting for Willo or the ATS, say) ends it at once, with nothing sent.
pub fn run_serve(
    config: &desk_app::config::ServeConfig,
    data_dir: &std::path::Path,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("could not start the async runtime")?;
    runtime.block_on(async {
        // Listening first: a stop may come at any moment from here on.
        let mut stop = StopRequest::listen()?;
        let secrets = config_secrets(config).map_err(|e| anyhow::anyhow!(e.message))?;
        let lookup = |name: &str| secrets.get(name).cloned();
        let start = desk_app::serve::Server::start(config, data_dir, &lookup);
        let server = tokio::select! {
            started = start => started.map_err(|e| anyhow::anyhow!(e.message))?,
            signal = stop.asked() => {
                tracing::info!("{signal}: stopping before the start finished");
                return Ok(());
            }
        };
        let signal = stop.asked().await;
        tracing::info!("{signal}: stopping");
        server.shutdown().await;
        Ok(())
    })
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Address to listen on. Loopback by default: the sandbox is for this machine.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub host: IpAddr,
    /// Simulated candidates wait for the admin API instead of completing on their own.
    #[arg(long)]
    pub manual: bool,
    /// The ATS whose connection is printed (greenhouse, lever, ashby or workable): every
    /// ATS's dialect is served either way.
    #[arg(long, default_value = "greenhouse", value_parser = ats_choice)]
    pub ats: AtsChoice,
}

fn ats_choice(value: &str) -> Result<AtsChoice, String> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| "one of greenhouse, lever, ashby, workable".to_owned())
}

pub fn run_sandbox(args: &SandboxArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("could not start the async runtime")?;
    runtime.block_on(async {
        let mut config = if args.manual {
            SandboxConfig::for_tests()
        } else {
            SandboxConfig::demo()
        };
        config.addr = SocketAddr::new(args.host, args.port);
        let sandbox = Sandbox::start(config).await?;
        // The one line of JSON other tools read; everything else goes to the log (stderr). `ats`
        // is the chosen ATS as a `serve` file's `[ats]` section, and its credential with the
        // variable `serve` reads it from.
        let mut line = serde_json::to_value(&sandbox.info)?;
        line["ats"] = serde_json::json!({
            "section": sandbox_ats::section(args.ats, &sandbox.info),
            "secretEnv": desk_app::config::secret_field(args.ats.kind()).1,
            "secret": sandbox_ats::secret(args.ats, &sandbox.info),
        });
        #[allow(clippy::print_stdout)]
        {
            println!("{line}");
        }
        tokio::signal::ctrl_c()
            .await
            .context("could not wait for Ctrl-C")?;
        tracing::info!("sandbox stopped");
        Ok(())
    })
}
