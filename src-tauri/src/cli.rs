//! The command line: `willo-desk [desktop]` and `willo-desk sandbox`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
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
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the desktop app (the default). With no accounts configured it runs in sandbox mode.
    Desktop,
    /// Run only the simulated Willo and ATS servers, print their URLs and demo credentials as one
    /// line of JSON, and serve until stopped.
    Sandbox(SandboxArgs),
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
        // The one line of JSON other tools read; everything else goes to the log (stderr).
        #[allow(clippy::print_stdout)]
        {
            println!("{}", serde_json::to_string(&sandbox.info)?);
        }
        tokio::signal::ctrl_c()
            .await
            .context("could not wait for Ctrl-C")?;
        tracing::info!("sandbox stopped");
        Ok(())
    })
}
