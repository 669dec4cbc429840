//! Ashby and Workable in the app: the sandbox runs the loop on each simulated ATS the recruiter
//! chooses; Settings → Connections tests their credentials (and Workable's acting member) before
//! anything is kept; the app opens on them; the doctor checks credentials, acting user and pace.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use desk_app::config::ServeConfig;
use desk_app::doctor::{self, Severity};
use desk_app::live::{self, AtsChoice, Connections, WilloEnvironment, ATS_SECRET, WILLO_KEY};
use desk_app::secrets::{MemorySecrets, SecretStore};
use desk_app::{sandbox_ats, App, ErrorCode};
use desk_engine::ReviewInput;
use desk_sandbox::ats::Dialect;
use desk_sandbox::{Sandbox, SandboxConfig};
use support::{application, complete_latest, fast};

/// The notes the simulated ATS holds for Zoë (candidate 7002), in `dialect`.
fn notes_on_zoe(sb: &Sandbox, dialect: Dialect) -> usize {
    sb.ats.with_data(|d| {
        d.writes_to(Some(dialect.name()), Some("note"))
            .iter()
            .filter(|w| w.candidate_id == 7002)
            .count()
    })
}

#[tokio::test]
async fn the_sandbox_runs_the_loop_on_whichever_ats_is_chosen() {
    for (choice, dialect) in [
        (AtsChoice::Lever, Dialect::Lever),
        (AtsChoice::Ashby, Dialect::Ashby),
        (AtsChoice::Workable, Dialect::Workable),
    ] {
        let dir = tempfile::tempdir().unwrap();
        sandbox_ats::choose(dir.path(), choice).unwrap();
        let app = App::open_sandbox(dir.path(), SandboxConfig::for_tests(), fast())
            .await
            .unwrap();
        let info = app.info();
        assert_eq!(info.sandbox_ats, Some(choice));
        assert_eq!(
            info.ats_label,
            format!("{} (sandbox)", choice.kind().label())
        );
        let report = app.sync_ats().await.unwrap();
        assert_eq!((report.jobs, report.applications), (3, 41), "{choice:?}");

        let interview = app.interviews().await.unwrap()[0].key.clone();
        let zoe = application(&app, "Zoë").await;
        app.send(&[zoe], &interview, &|_| {}).await.unwrap();
        let invitation = complete_latest(&app, zoe).await;
        app.approve(invitation, ReviewInput::default())
            .await
            .unwrap();
        let sb = app.sandbox().unwrap();
        for _ in 0..200 {
            if notes_on_zoe(sb, dialect) > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(notes_on_zoe(sb, dialect), 1, "{choice:?}: one note");
        app.shutdown().await;
    }
}

fn ashby(sb: &Sandbox) -> Connections {
    Connections {
        willo_environment: WilloEnvironment::Custom,
        willo_url: Some(sb.info.willo_base_url.clone()),
        ats: AtsChoice::Ashby,
        ats_client_id: None,
        // Left from another ATS's form: Ashby takes none, so it is not checked.
        ats_acting_user: Some("left-over".into()),
        ats_url: Some(sb.info.ashby_base_url.clone()),
        ats_token_url: None,
        ats_subdomain: None,
    }
}

fn workable(sb: &Sandbox, member: Option<&str>) -> Connections {
    Connections {
        ats: AtsChoice::Workable,
        ats_acting_user: member.map(Into::into),
        ats_url: Some(sb.info.workable_base_url.clone()),
        ..ashby(sb)
    }
}

#[tokio::test]
async fn ashby_and_workable_credentials_and_the_acting_member_are_tested_before_they_are_kept() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let wrong = live::test_ats(&ashby(&sb), "wrong-key").await.unwrap_err();
    assert_eq!(wrong.code, ErrorCode::AuthFailed, "{wrong:?}");
    assert_eq!(wrong.field.as_deref(), Some("atsSecret"));
    let ok = live::test_ats(&ashby(&sb), &sb.info.ashby_api_key)
        .await
        .unwrap();
    assert_eq!((ok.jobs, ok.acting_user), (3, None));

    let member = Dialect::Workable.user_id(503);
    let wrong = live::test_ats(&workable(&sb, Some(&member)), "wrong-token")
        .await
        .unwrap_err();
    assert_eq!(wrong.field.as_deref(), Some("atsSecret"));
    let nobody = live::test_ats(&workable(&sb, None), &sb.info.workable_token)
        .await
        .unwrap_err();
    assert_eq!(nobody.field.as_deref(), Some("atsActingUser"));
    assert!(
        nobody.message.starts_with("Acting member id"),
        "{}",
        nobody.message
    );
    let stranger = live::test_ats(&workable(&sb, Some("0000beef")), &sb.info.workable_token)
        .await
        .unwrap_err();
    assert_eq!(stranger.field.as_deref(), Some("atsActingUser"));
    let no_address = Connections {
        ats_url: None,
        ..workable(&sb, Some(&member))
    };
    let error = live::test_ats(&no_address, &sb.info.workable_token)
        .await
        .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("atsSubdomain"), "{error:?}");
    assert_eq!(
        sb.ats.with_data(|d| d.writes.len()),
        0,
        "testing writes nothing to the ATS"
    );
    let ok = live::test_ats(&workable(&sb, Some(&member)), &sb.info.workable_token)
        .await
        .unwrap();
    assert_eq!(ok.jobs, 3);
    assert_eq!(ok.acting_user.as_deref(), Some("Willo Desk"));
}

#[tokio::test]
async fn the_app_opens_on_a_saved_workable_connection_and_reads_it() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecrets::default());
    let member = Dialect::Workable.user_id(503);
    live::save(
        dir.path(),
        &workable(&sb, Some(&member)),
        &sb.info.willo_api_key,
        &sb.info.workable_token,
        secrets.as_ref(),
    )
    .await
    .unwrap();
    assert_eq!(
        secrets.get(ATS_SECRET).unwrap().as_deref(),
        Some(sb.info.workable_token.as_str())
    );
    assert!(secrets.get(WILLO_KEY).unwrap().is_some());
    let app = App::open(dir.path(), secrets, SandboxConfig::for_tests(), fast())
        .await
        .unwrap();
    let info = app.info();
    assert_eq!(info.startup_problem, None);
    assert_eq!(info.ats_label, "Workable");
    assert_eq!(app.sync_ats().await.unwrap().jobs, 3);
    app.shutdown().await;
}

#[tokio::test]
async fn the_doctor_checks_workables_token_member_and_pace() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = |member: &str, pace: u32| {
        let path = dir.path().join("serve.toml");
        std::fs::write(
            &path,
            format!(
                "[willo]\nbase_url = \"{willo}\"\n\
                 [ats]\nkind = \"workable\"\nbase_url = \"{base}\"\nacting_user = \"{member}\"\nper_10_seconds = {pace}\n",
                willo = sb.info.willo_base_url,
                base = sb.info.workable_base_url,
            ),
        )
        .unwrap();
        ServeConfig::load(&path).unwrap()
    };
    let secrets = HashMap::from([
        (
            "WILLO_DESK_WILLO_API_KEY".to_owned(),
            sb.info.willo_api_key.clone(),
        ),
        (
            "WILLO_DESK_WORKABLE_TOKEN".to_owned(),
            sb.info.workable_token.clone(),
        ),
    ]);
    let severity = |findings: &[doctor::Finding], check: &str| {
        findings
            .iter()
            .find(|f| f.check == check)
            .map(|f| f.severity)
            .unwrap_or_else(|| panic!("no {check} finding: {findings:?}"))
    };

    let member = Dialect::Workable.user_id(503);
    let healthy = doctor::check(&config(&member, 9), &|k| secrets.get(k).cloned())
        .await
        .unwrap();
    assert_eq!(severity(&healthy, "ats_credentials"), Severity::Ok);
    assert_eq!(severity(&healthy, "ats_acting_user"), Severity::Ok);
    assert_eq!(severity(&healthy, "ats_rate"), Severity::Ok);

    let wrong = doctor::check(&config("0000beef", 20), &|k| secrets.get(k).cloned())
        .await
        .unwrap();
    assert_eq!(severity(&wrong, "ats_acting_user"), Severity::Problem);
    let rate = wrong.iter().find(|f| f.check == "ats_rate").unwrap();
    assert_eq!(rate.severity, Severity::Warning);
    assert!(
        rate.message.contains("10 in 10 seconds"),
        "{}",
        rate.message
    );

    let refused = doctor::check(&config(&member, 9), &|k| {
        (k == "WILLO_DESK_WORKABLE_TOKEN")
            .then(|| "wrong".to_owned())
            .or_else(|| secrets.get(k).cloned())
    })
    .await
    .unwrap();
    assert_eq!(severity(&refused, "ats_credentials"), Severity::Problem);
}
