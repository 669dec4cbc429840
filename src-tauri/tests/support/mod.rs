//! What the tests of the real binary share: a `serve` configuration against the simulators,
//! starting and stopping `serve`, reading what the simulated ATS recorded, and a private session
//! bus with a real Secret Service (GNOME Keyring).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // shared by several test files

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use desk_sandbox::ats::Dialect;
use desk_sandbox::Sandbox;
use serde_json::Value;

/// Greenhouse's `Signature` header: `sha256 <hex HMAC-SHA256 of the body>`.
pub fn greenhouse_signature(body: &str, secret: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    format!("sha256 {}", hex::encode(mac.finalize().into_bytes()))
}

/// The receiver's token in every test configuration.
pub const TOKEN: &str = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `serve` configuration: the simulators' Willo and Greenhouse, the receiver on `port`
/// (registered with the simulated Willo), job 4001's Screening sending the first interview
/// without review, and `extra` appended (more settings, a `move_to_stage`).
pub fn config(sb: &Sandbox, data: &Path, port: u16, extra: &str) -> String {
    let ats = format!(
        "kind = \"greenhouse\"\nbase_url = \"{gh}\"\ntoken_url = \"{tok}\"\nclient_id = \"{client}\"\nacting_user = \"503\"\nper_second = 100\n",
        gh = sb.info.greenhouse_base_url,
        tok = sb.info.greenhouse_token_url,
        client = sb.info.greenhouse_client_id,
    );
    config_on(sb, data, port, Dialect::Greenhouse, &ats, extra)
}

/// As [`config`], on the simulator's `dialect` with `ats` as the `[ats]` section's body: job
/// 4001 and its Screening named by that dialect's ids.
pub fn config_on(
    sb: &Sandbox,
    data: &Path,
    port: u16,
    dialect: Dialect,
    ats: &str,
    extra: &str,
) -> String {
    let interview = sb.willo.with_data(|d| d.interviews[0].key.clone());
    format!(
        "data_dir = \"{data}\"\n\
         [willo]\nbase_url = \"{willo}\"\nper_second = 50\nper_minute = 3000\n\
         [ats]\n{ats}\
         [receiver]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n\
         [engine]\nreconcile_every_minutes = 1\nats_poll_every_seconds = 10\n\
         [[automations]]\njob = \"{job}\"\ninterview = \"{interview}\"\ntrigger_stages = [\"{stage}\"]\nreview_required = false\n{extra}",
        data = data.display(),
        willo = sb.info.willo_base_url,
        job = dialect.job_id(4001),
        stage = dialect.stage_id(4001, 1),
    )
}

/// Writes `text` as `serve.toml` in `dir`.
pub fn config_file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("serve.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The binary, with logs kept out of the developer's own data folder.
pub fn binary(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_willo-desk"));
    command.env("WILLO_DESK_DATA_DIR", data);
    command
}

/// The secrets of a test configuration, as environment variables.
pub fn secrets(sb: &Sandbox) -> HashMap<&'static str, String> {
    HashMap::from([
        ("WILLO_DESK_WILLO_API_KEY", sb.info.willo_api_key.clone()),
        (
            "WILLO_DESK_GREENHOUSE_CLIENT_SECRET",
            sb.info.greenhouse_client_secret.clone(),
        ),
        ("WILLO_DESK_WEBHOOK_TOKEN", TOKEN.to_owned()),
        ("WILLO_DESK_ASHBY_API_KEY", sb.info.ashby_api_key.clone()),
        ("WILLO_DESK_WORKABLE_TOKEN", sb.info.workable_token.clone()),
    ])
}

/// `serve --config <config>` with the secrets in its environment. Its log is in the data
/// folder's `logs/`; stderr is not kept (a pipe nobody reads would stall a long run).
pub fn serve(config: &Path, sb: &Sandbox) -> Child {
    serve_with(config, sb, Stdio::null())
}

/// As [`serve`], with stderr piped for [`stderr_of`]: for a process that ends soon.
pub fn serve_piped(config: &Path, sb: &Sandbox) -> Child {
    serve_with(config, sb, Stdio::piped())
}

fn serve_with(config: &Path, sb: &Sandbox, stderr: Stdio) -> Child {
    let dir = config.parent().unwrap();
    binary(dir)
        .args(["serve", "--config", config.to_str().unwrap()])
        .envs(secrets(sb))
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

/// Whether the receiver on `port` answers.
pub async fn receiving(port: u16) -> bool {
    reqwest::get(format!("http://127.0.0.1:{port}/hooks/health"))
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// Waits (`within` at most) until `serve` on `port` has started: its receiver answers.
pub async fn wait_ready(port: u16, within: Duration) {
    let deadline = Instant::now() + within;
    while !receiving(port).await {
        assert!(
            Instant::now() < deadline,
            "serve did not come up within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sends SIGTERM and waits (`within` at most) for the process to end.
pub fn terminate(child: &mut Child, within: Duration) -> ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    wait_exit(child, within)
}

/// Waits (`within` at most) for the process to end.
pub fn wait_exit(child: &mut Child, within: Duration) -> ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the process did not end within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What a finished process wrote to its piped stderr.
pub fn stderr_of(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        std::io::Read::read_to_string(&mut pipe, &mut text).unwrap();
    }
    text
}

/// The writes of one kind the simulated Greenhouse recorded.
pub fn writes(sb: &Sandbox, kind: &str) -> Vec<Value> {
    let recorded = sb
        .ats
        .with_data(|d| d.writes_to(Some("greenhouse"), Some(kind)));
    serde_json::to_value(recorded)
        .unwrap()
        .as_array()
        .cloned()
        .unwrap()
}

/// How many participants the simulated Willo has for each email.
pub fn participants_per_email(sb: &Sandbox) -> HashMap<String, usize> {
    let mut per_email = HashMap::new();
    sb.willo.with_data(|d| {
        for p in &d.participants {
            *per_email.entry(p.email.clone()).or_default() += 1;
        }
    });
    per_email
}

/// A private session bus, with a real Secret Service on a throwaway keyring unless made
/// without one (`tests/keyring/session.sh`). Stopped when dropped.
pub struct Keyring {
    pub bus: String,
    dir: PathBuf,
    pids: Vec<String>,
}

impl Keyring {
    pub fn start() -> Self {
        Self::run(false)
    }

    /// A session bus on which no Secret Service runs.
    pub fn without_service() -> Self {
        Self::run(true)
    }

    fn run(no_keyring: bool) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/keyring/session.sh");
        let mut command = Command::new("bash");
        command.arg(script);
        if no_keyring {
            command.env("NO_KEYRING", "1");
        }
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "the keyring session did not start: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let vars: HashMap<String, String> = String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Self {
            bus: vars["DBUS_SESSION_BUS_ADDRESS"].clone(),
            dir: PathBuf::from(&vars["KEYRING_DIR"]),
            pids: ["KEYRING_DAEMON_PID", "KEYRING_BUS_PID"]
                .iter()
                .map(|k| vars[*k].clone())
                .filter(|p| !p.is_empty())
                .collect(),
        }
    }

    /// Locks every collection, as a screen lock or a timeout would.
    pub fn lock(&self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/keyring/lock.sh");
        let status = Command::new("bash")
            .arg(script)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .status()
            .unwrap();
        assert!(status.success(), "the keyring could not be locked");
    }

    /// The secret stored under `name` for Willo Desk, read by another client (secret-tool).
    pub fn lookup(&self, name: &str) -> Option<String> {
        let output = Command::new("secret-tool")
            .args(["lookup", "service", "willo-desk", "username", name])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .output()
            .unwrap();
        output
            .status
            .success()
            .then(|| String::from_utf8(output.stdout).unwrap())
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        for pid in &self.pids {
            let _ = Command::new("kill").arg(pid).status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
