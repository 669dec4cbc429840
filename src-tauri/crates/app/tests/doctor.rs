//! The doctor against the simulators: a healthy setup, and each problem it is there to find.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::collections::HashMap;

use desk_app::config::ServeConfig;
use desk_app::doctor::{self, Finding, Severity};
use desk_app::serve::Server;
use desk_sandbox::{Sandbox, SandboxConfig};

const TOKEN: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn config(
    sb: &Sandbox,
    dir: &tempfile::TempDir,
    interview: &str,
    acting_user: &str,
    stage: &str,
    port: u16,
) -> ServeConfig {
    let text = format!(
        "[willo]\nbase_url = \"{willo}\"\nper_second = 20\nper_minute = 1200\n\
         [ats]\nkind = \"greenhouse\"\nbase_url = \"{gh}\"\ntoken_url = \"{tok}\"\nclient_id = \"{client}\"\nacting_user = \"{acting_user}\"\nper_second = 50\n\
         [receiver]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n\
         [engine]\ndefault_region = \"GB\"\n\
         [[automations]]\njob = \"4001\"\ninterview = \"{interview}\"\ntrigger_stages = [\"{stage}\"]\n",
        willo = sb.info.willo_base_url,
        gh = sb.info.greenhouse_base_url,
        tok = sb.info.greenhouse_token_url,
        client = sb.info.greenhouse_client_id,
    );
    let path = dir.path().join("serve.toml");
    std::fs::write(&path, text).unwrap();
    ServeConfig::load(&path).unwrap()
}

fn config_with_user(
    sb: &Sandbox,
    dir: &tempfile::TempDir,
    interview: &str,
    user: &str,
) -> ServeConfig {
    config(sb, dir, interview, user, "400101", free_port())
}

fn env(sb: &Sandbox, willo_key: &str) -> HashMap<String, String> {
    HashMap::from([
        ("WILLO_DESK_WILLO_API_KEY".to_owned(), willo_key.to_owned()),
        (
            "WILLO_DESK_GREENHOUSE_CLIENT_SECRET".to_owned(),
            sb.info.greenhouse_client_secret.clone(),
        ),
        ("WILLO_DESK_WEBHOOK_TOKEN".to_owned(), TOKEN.to_owned()),
    ])
}

fn find<'a>(findings: &'a [Finding], check: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.check == check).collect()
}

#[tokio::test]
async fn a_healthy_setup_has_no_warnings_or_problems() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let interview = sb.willo.with_data(|d| d.interviews[0].key.clone());
    let config = config(&sb, &dir, &interview, "503", "400101", free_port());
    let secrets = env(&sb, &sb.info.willo_api_key);
    // serve registers the webhooks and runs the receiver the doctor checks from outside.
    let server = Server::start(&config, dir.path(), &|k| secrets.get(k).cloned())
        .await
        .unwrap();
    let findings = doctor::check(&config, &|k| secrets.get(k).cloned())
        .await
        .unwrap();
    let not_ok: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity != Severity::Ok)
        .collect();
    assert!(not_ok.is_empty(), "{not_ok:#?}");
    for check in [
        "willo_key",
        "willo_interviews",
        "automation_interview",
        "ats_credentials",
        "ats_acting_user",
        "phones",
        "receiver_reachable",
        "webhooks",
    ] {
        assert!(!find(&findings, check).is_empty(), "the {check} check ran");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn each_problem_is_found_and_says_what_to_do() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let admins_interview = sb.willo.with_data(|d| d.interviews[0].key.clone());
    // Application Review holds phones that cannot become E.164; nothing listens on the port.
    let config = config(&sb, &dir, &admins_interview, "503", "400100", free_port());

    let standard = env(&sb, &sb.info.willo_standard_api_key);
    let findings = doctor::check(&config, &|k| standard.get(k).cloned())
        .await
        .unwrap();
    let severity = |check: &str| {
        find(&findings, check)
            .iter()
            .map(|f| f.severity)
            .max_by_key(|s| *s as u8)
            .unwrap()
    };
    assert_eq!(severity("willo_key"), Severity::Ok);
    assert_eq!(
        severity("automation_interview"),
        Severity::Problem,
        "a standard user's key cannot see the admin's interview"
    );
    assert_eq!(severity("phones"), Severity::Warning);
    assert_eq!(severity("receiver_reachable"), Severity::Problem);
    assert_eq!(
        severity("webhooks"),
        Severity::Warning,
        "nothing registered yet"
    );
    let phones = find(&findings, "phones")[0];
    assert!(
        phones.message.contains("7012"),
        "names the ATS candidate id: {}",
        phones.message
    );
    assert!(
        !phones.message.contains("12345") && !phones.message.contains("Amelia"),
        "but no phone number or name"
    );
    assert!(
        findings
            .iter()
            .filter(|f| f.severity != Severity::Ok)
            .all(|f| !f.fix.is_empty()),
        "every finding says what to do"
    );

    let unknown_user = config_with_user(&sb, &dir, &admins_interview, "999");
    let admin = env(&sb, &sb.info.willo_api_key);
    let findings = doctor::check(&unknown_user, &|k| admin.get(k).cloned())
        .await
        .unwrap();
    let ats = find(&findings, "ats_credentials")[0];
    assert_eq!(
        ats.severity,
        Severity::Problem,
        "Greenhouse gives no token for an unknown acting user"
    );
    assert!(
        ats.message.contains("sub user") && ats.fix.contains("acting_user"),
        "{ats:?}"
    );

    let wrong = env(&sb, &"0".repeat(32));
    let findings = doctor::check(&config, &|k| wrong.get(k).cloned())
        .await
        .unwrap();
    assert_eq!(find(&findings, "willo_key")[0].severity, Severity::Problem);
    let missing: HashMap<String, String> = HashMap::new();
    let findings = doctor::check(&config, &|k| missing.get(k).cloned())
        .await
        .unwrap();
    assert!(find(&findings, "willo_key")[0]
        .fix
        .contains("WILLO_DESK_WILLO_API_KEY"));
    assert!(find(&findings, "ats_credentials")[0]
        .message
        .contains("WILLO_DESK_GREENHOUSE_CLIENT_SECRET"));
}

#[tokio::test]
async fn the_budget_and_the_days_use_recorded_by_serve_are_reported() {
    let config: ServeConfig = toml::from_str("[willo]\n[ats]\nkind = \"lever\"\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        doctor::recorded_use(dir.path()).await,
        None,
        "no database yet"
    );
    let store = desk_store::Store::open(&desk_app::paths::live_database(dir.path()))
        .await
        .unwrap();
    let minute = chrono::Utc::now().timestamp().div_euclid(60);
    store
        .add_willo_requests(
            &[
                (minute - 2 * 24 * 60, 9_000),
                (minute - 30, 31_000),
                (minute, 1_500),
            ],
            minute,
        )
        .await
        .unwrap();
    store.close().await;
    let used = doctor::recorded_use(dir.path()).await;
    assert_eq!(used, Some(32_500), "the day's requests, not older ones");
    let finding = doctor::budget(&config, used);
    assert_eq!(finding.severity, Severity::Warning);
    assert!(
        finding.message.contains("8/s, 80/min and 40000/day"),
        "{}",
        finding.message
    );
    assert!(
        finding
            .message
            .contains("32500 requests in the last 24 hours"),
        "{}",
        finding.message
    );
    let calm = doctor::budget(&config, Some(1_000));
    assert_eq!(calm.severity, Severity::Ok);
}
