//! Real accounts on the desktop: the first-run checks, keeping the connections (secrets in the
//! keychain, here an in-memory one), and the app running on them. The simulators stand in for
//! Willo and Greenhouse, reached as a custom environment.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::sync::Arc;
use std::time::Duration;

use desk_app::ipc::{CandidateQuery, Mode, Severity};
use desk_app::live::{self, AtsChoice, Connections, WilloEnvironment, ATS_SECRET, WILLO_KEY};
use desk_app::secrets::{MemorySecrets, SecretStore};
use desk_app::{App, ErrorCode};
use desk_engine::Schedule;
use desk_sandbox::{Sandbox, SandboxConfig};

fn connections(sb: &Sandbox, acting_user: Option<&str>) -> Connections {
    Connections {
        willo_environment: WilloEnvironment::Custom,
        willo_url: Some(sb.info.willo_base_url.clone()),
        ats: AtsChoice::Greenhouse,
        ats_client_id: Some(sb.info.greenhouse_client_id.clone()),
        ats_acting_user: acting_user.map(Into::into),
        ats_url: Some(sb.info.greenhouse_base_url.clone()),
        ats_token_url: Some(sb.info.greenhouse_token_url.clone()),
        ats_subdomain: None,
    }
}

#[tokio::test]
async fn each_connection_is_tested_before_anything_is_kept() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let c = connections(&sb, Some("503"));

    let refused = live::test_willo(&c, "not-a-key").await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::AuthFailed);
    assert!(
        !refused.message.contains("not-a-key"),
        "{}",
        refused.message
    );
    let empty = live::test_willo(&c, "  ").await.unwrap_err();
    assert!(
        empty.message.starts_with("Willo API key"),
        "{}",
        empty.message
    );
    let willo = live::test_willo(&c, &sb.info.willo_api_key).await.unwrap();
    assert_eq!(willo.scheme, "bare");
    assert!(!willo.interviews.is_empty());
    let standard = live::test_willo(&c, &sb.info.willo_standard_api_key)
        .await
        .unwrap();
    assert!(
        standard.interviews.len() < willo.interviews.len(),
        "a standard user's key sees fewer"
    );

    let wrong = live::test_ats(&c, "wrong-secret").await.unwrap_err();
    assert_eq!(wrong.code, ErrorCode::AuthFailed);
    assert_eq!(
        wrong.field.as_deref(),
        Some("atsSecret"),
        "the input at fault is named"
    );
    let nobody = live::test_ats(
        &connections(&sb, Some("999999")),
        &sb.info.greenhouse_client_secret,
    )
    .await
    .unwrap_err();
    assert!(
        nobody.message.starts_with("Acting user id"),
        "{}",
        nobody.message
    );
    assert_eq!(nobody.field.as_deref(), Some("atsActingUser"));
    let ats = live::test_ats(&c, &sb.info.greenhouse_client_secret)
        .await
        .unwrap();
    assert_eq!(ats.jobs, 3);
    assert!(ats.acting_user.is_some());

    let no_client = Connections {
        ats_client_id: None,
        ..c.clone()
    };
    let error = live::test_ats(&no_client, "x").await.unwrap_err();
    assert!(
        error.message.starts_with("Greenhouse client id"),
        "{}",
        error.message
    );
    assert_eq!(error.field.as_deref(), Some("atsClientId"));
    // Willo is tested on its own: an ATS half not filled in yet does not stand in its way.
    let willo_alone = Connections {
        ats_client_id: None,
        ats_acting_user: None,
        ..c.clone()
    };
    assert!(live::test_willo(&willo_alone, &sb.info.willo_api_key)
        .await
        .is_ok());
    let refused = live::test_willo(&willo_alone, "0123456789abcdef0123456789abcdef")
        .await
        .unwrap_err();
    assert_eq!(refused.field.as_deref(), Some("willoKey"));
    assert!(
        !refused.message.contains("401")
            && refused.detail.as_deref().is_some_and(|d| d.contains("401")),
        "plain words on screen, the status for support: {refused:?}"
    );

    // A failed test keeps nothing.
    let dir = tempfile::tempdir().unwrap();
    let secrets = MemorySecrets::default();
    assert!(live::save(
        dir.path(),
        &c,
        "not-a-key",
        &sb.info.greenhouse_client_secret,
        &secrets
    )
    .await
    .is_err());
    assert_eq!(secrets.get(WILLO_KEY).unwrap(), None);
    assert!(live::saved(dir.path()).unwrap().is_none());
}

/// Waits until `done` holds, 10 s at most (the caller asserts what it needed).
async fn within_10_s(done: impl Fn() -> bool) {
    for _ in 0..100 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The simulators' accounts saved in `dir` as a recruiter saves them in Settings.
async fn saved(sb: &Sandbox, dir: &std::path::Path) -> (Connections, Arc<dyn SecretStore>) {
    let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecrets::default());
    let c = connections(sb, Some("503"));
    live::save(
        dir,
        &c,
        &sb.info.willo_api_key,
        &sb.info.greenhouse_client_secret,
        secrets.as_ref(),
    )
    .await
    .unwrap();
    (c, secrets)
}

#[tokio::test]
async fn saved_connections_run_the_app_on_real_accounts_and_can_be_forgotten() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (c, secrets) = saved(&sb, dir.path()).await;
    assert_eq!(
        secrets.get(ATS_SECRET).unwrap().as_deref(),
        Some(sb.info.greenhouse_client_secret.as_str())
    );
    let saved = live::saved(dir.path()).unwrap().unwrap();
    assert_eq!(saved.connections, c);
    let on_disk = std::fs::read_to_string(live::connections_file(dir.path())).unwrap();
    assert!(
        !on_disk.contains(&sb.info.willo_api_key)
            && !on_disk.contains(&sb.info.greenhouse_client_secret),
        "no secret on disk"
    );

    let schedule = Schedule {
        tick: Duration::from_millis(50),
        ..Schedule::default()
    };
    let app = App::open_live(dir.path(), saved, Arc::clone(&secrets), schedule)
        .await
        .unwrap();
    assert_eq!(app.info().mode, Mode::Live);
    assert_eq!(app.info().sandbox_origin, None);
    assert!(app.sandbox().is_none());
    app.sync_ats().await.unwrap();
    let page = app
        .candidates(&CandidateQuery {
            limit: 10,
            ..CandidateQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total, Some(41));
    let findings = app.doctor().await.unwrap();
    let problems: Vec<_> = findings
        .iter()
        .filter(|f| f.severity == Severity::Problem)
        .collect();
    assert!(problems.is_empty(), "{problems:?}");

    // Live mode registers webhooks at the public URL, and only once there is one.
    let error = app.register_webhooks().await.unwrap_err();
    assert!(error.message.starts_with("public URL"), "{}", error.message);
    let mut settings = app.settings().await.unwrap();
    settings.receiver_public_url = Some("https://desk-tunnel.example.com".into());
    app.save_settings(&settings).await.unwrap();
    assert!(app.register_webhooks().await.unwrap() > 0);
    let hooks = sb.willo.with_data(|d| d.webhooks.clone());
    assert!(
        !hooks.is_empty()
            && hooks
                .iter()
                .all(|h| h.url.starts_with("https://desk-tunnel.example.com")),
        "{hooks:?}"
    );
    // The doctor checks the same public URL.
    let webhooks = app.doctor().await.unwrap();
    let webhooks = webhooks.iter().find(|f| f.check == "webhooks").unwrap();
    assert_eq!(webhooks.severity, Severity::Ok, "{webhooks:?}");
    app.shutdown().await;

    live::forget(dir.path(), secrets.as_ref()).unwrap();
    assert!(live::saved(dir.path()).unwrap().is_none());
    assert_eq!(secrets.get(WILLO_KEY).unwrap(), None);
    assert!(dir.path().join("willo-desk.db").exists(), "the data stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_app_on_the_folder_records_for_the_first_and_takes_over_when_it_stops() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_, secrets) = saved(&sb, dir.path()).await;
    let kept = live::saved(dir.path()).unwrap().unwrap();
    let schedule = Schedule {
        tick: Duration::from_millis(50),
        ..Schedule::default()
    };
    let first = App::open_live(dir.path(), kept.clone(), Arc::clone(&secrets), schedule)
        .await
        .unwrap();
    first.sync_ats().await.unwrap();
    let second = App::open_live(dir.path(), kept, Arc::clone(&secrets), schedule)
        .await
        .unwrap();
    assert_eq!(
        first.info().engine_elsewhere,
        None,
        "the first runs the engine"
    );
    let elsewhere = second
        .info()
        .engine_elsewhere
        .expect("the second says who runs it");
    assert!(
        elsewhere.contains("the Willo Desk app (pid") && elsewhere.contains("carried out there"),
        "{elsewhere}"
    );
    // What would change the first's webhooks or its database under it is refused, naming it.
    for refused in [
        second.register_webhooks().await.unwrap_err(),
        second.clear_local_data().await.unwrap_err(),
    ] {
        assert!(
            refused.message.contains("the Willo Desk app (pid")
                && refused.message.contains("runs the engine"),
            "{refused:?}"
        );
    }
    assert!(dir.path().join("willo-desk.db").exists());

    // A send from the second is carried out by the first.
    let interview = sb.willo.with_data(|d| d.interviews[0].key.clone());
    let zoe = second
        .candidates(&CandidateQuery {
            search: Some("Zoë".into()),
            limit: 10,
            ..CandidateQuery::default()
        })
        .await
        .unwrap()
        .rows[0]
        .application_id;
    let sent = tokio::time::timeout(
        Duration::from_secs(20),
        second.send(&[zoe], &interview, &|_| {}),
    )
    .await
    .expect("the first process sent it")
    .unwrap();
    assert_eq!(sent.sent, 1);
    assert_eq!(sb.willo.with_data(|d| d.participants.len()), 1);

    // What the first learns reaches the second's window and notifications.
    let (mut events, mut notices) = second
        .start_listening(Duration::from_millis(100))
        .await
        .unwrap();
    let key = sb.willo.with_data(|d| d.participants[0].key.clone());
    sb.willo.advance(
        &key,
        Some(desk_sandbox::willo::model::ParticipantStatus::Completed),
    );
    first.engine().catch_up(10).await.unwrap();
    let notice = tokio::time::timeout(Duration::from_secs(10), notices.recv())
        .await
        .expect("a notice within seconds")
        .unwrap();
    assert_eq!(notice.kind, desk_app::NoticeKind::Completed);
    assert!(events.try_recv().is_ok(), "the window was told to refresh");

    // The first stops: the second takes the engine over within a few seconds.
    first.shutdown().await;
    drop(first);
    within_10_s(|| second.info().engine_elsewhere.is_none()).await;
    assert_eq!(
        second.info().engine_elsewhere,
        None,
        "the second runs it now"
    );
    assert!(second.engine().is_acting());

    // Clearing the local data where the engine runs deletes it, then frees the lock.
    let cleared = second.clear_local_data().await.unwrap();
    assert!(!cleared.exists());
    assert!(matches!(
        desk_app::engine_lock::claim(&cleared, "a test").unwrap(),
        desk_app::engine_lock::Claim::Held(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desktop_that_takes_the_engine_over_points_willos_webhooks_at_itself() {
    let dir = tempfile::tempdir().unwrap();
    let schedule = Schedule {
        tick: Duration::from_millis(50),
        ..Schedule::default()
    };
    let first = App::open_sandbox(dir.path(), SandboxConfig::for_tests(), schedule)
        .await
        .unwrap();
    let second = App::open_sandbox(dir.path(), SandboxConfig::for_tests(), schedule)
        .await
        .unwrap();
    assert!(second.info().engine_elsewhere.is_some());
    // Each app has simulators of its own: the second's Willo shows what the second registered.
    let hooks = || {
        second
            .sandbox()
            .unwrap()
            .willo
            .with_data(|d| d.webhooks.len())
    };
    assert_eq!(
        hooks(),
        0,
        "the follower leaves Willo's webhooks to the holder"
    );

    first.shutdown().await;
    drop(first);
    within_10_s(|| hooks() > 0).await;
    assert_eq!(
        second.info().engine_elsewhere,
        None,
        "the second runs it now"
    );
    assert!(hooks() > 0, "and Willo delivers to it");
    second.shutdown().await;
}

#[tokio::test]
async fn the_sandbox_runs_its_engine_while_another_process_runs_the_live_one() {
    let dir = tempfile::tempdir().unwrap();
    let live = desk_app::paths::live_database(dir.path());
    let desk_app::engine_lock::Claim::Held(_serve) =
        desk_app::engine_lock::claim(&live, "willo-desk serve").unwrap()
    else {
        panic!("the live database's lock was free")
    };
    let sandbox = App::open_sandbox(dir.path(), SandboxConfig::for_tests(), Schedule::default())
        .await
        .unwrap();
    assert_eq!(sandbox.info().engine_elsewhere, None);
    assert!(sandbox.engine().is_acting());
    sandbox.shutdown().await;
}

/// With Willo and the ATS refusing connections, or taking them and never answering, the
/// desktop opens the connected accounts at once, not the sandbox: how Willo took the key when
/// it was tested is kept, and webhooks register in the background, so a start waits on neither.
/// Files saved before the scheme was kept still open.
#[tokio::test]
async fn the_desktop_opens_the_accounts_with_willo_and_the_ats_unreachable() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_, secrets) = saved(&sb, dir.path()).await;
    let file = live::connections_file(dir.path());
    let kept = std::fs::read_to_string(&file).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&kept).unwrap();
    assert_eq!(json["willoAuthScheme"], "bare", "{kept}");
    let open = || {
        App::open(
            dir.path(),
            Arc::clone(&secrets),
            SandboxConfig::for_tests(),
            Schedule::default(),
        )
    };

    json.as_object_mut().unwrap().remove("willoAuthScheme");
    std::fs::write(&file, json.to_string()).unwrap();
    let app = open().await.unwrap();
    assert_eq!(
        app.info().mode,
        Mode::Live,
        "{:?}",
        app.info().startup_problem
    );
    // With a public URL (a tunnel), a start registers webhooks with Willo.
    let mut settings = app.settings().await.unwrap();
    settings.receiver_public_url = Some("https://desk-tunnel.example.com".into());
    app.save_settings(&settings).await.unwrap();
    app.shutdown().await;

    std::fs::write(&file, &kept).unwrap();
    let mut addresses: Vec<std::net::SocketAddr> = [
        &sb.info.willo_base_url,
        &sb.info.greenhouse_base_url,
        &sb.info.greenhouse_token_url,
    ]
    .iter()
    .map(|url| {
        reqwest::Url::parse(url)
            .unwrap()
            .socket_addrs(|| None)
            .unwrap()[0]
    })
    .collect();
    addresses.dedup();
    drop(sb);
    let gone = || {
        addresses
            .iter()
            .all(|a| std::net::TcpStream::connect(a).is_err())
    };
    within_10_s(gone).await;
    assert!(gone(), "Willo and the ATS are gone");
    // Each start must finish well before the clients' 30 s request timeout.
    let start = || tokio::time::timeout(Duration::from_secs(10), open());
    let app = start().await.expect("a start waits on nothing").unwrap();
    let info = app.info();
    assert_eq!(info.mode, Mode::Live, "{:?}", info.startup_problem);
    assert_eq!(info.startup_problem, None);
    app.shutdown().await;

    // Now on the same ports, servers that take connections and never answer: a slow network.
    let _held: Vec<_> = addresses
        .iter()
        .map(|a| {
            let listener = std::net::TcpListener::bind(a).unwrap();
            std::thread::spawn(move || listener.incoming().collect::<Vec<_>>())
        })
        .collect();
    let app = start().await.expect("a start waits on nothing").unwrap();
    let info = app.info();
    assert_eq!(info.mode, Mode::Live, "{:?}", info.startup_problem);
    assert_eq!(info.startup_problem, None);
    app.shutdown().await;
}

/// The desktop's start: the sandbox until accounts are connected through the app, then those
/// accounts; accounts that cannot be opened fall back to the sandbox, saying why.
#[tokio::test]
async fn the_desktop_opens_the_connected_accounts_and_else_the_sandbox_saying_why() {
    let sb = Sandbox::start(SandboxConfig::for_tests()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keychain = Arc::new(MemorySecrets::default());
    let open = || {
        App::open(
            dir.path(),
            keychain.clone(),
            SandboxConfig::for_tests(),
            Schedule::default(),
        )
    };

    let app = open().await.unwrap();
    assert_eq!(app.info().mode, Mode::Sandbox, "nothing connected yet");
    app.save_connections(
        &connections(&sb, None),
        &sb.info.willo_api_key,
        &sb.info.greenhouse_client_secret,
    )
    .await
    .unwrap();
    app.shutdown().await;

    let app = open().await.unwrap();
    assert_eq!(app.info().mode, Mode::Live, "the connected accounts");
    app.shutdown().await;

    keychain.delete(WILLO_KEY).unwrap();
    let app = open().await.unwrap();
    let info = app.info();
    assert_eq!(
        info.mode,
        Mode::Sandbox,
        "the key is gone from the keychain"
    );
    assert!(
        info.startup_problem
            .is_some_and(|p| p.contains("could not be opened") && p.contains(WILLO_KEY)),
        "the window says why"
    );
    app.use_sandbox().unwrap();
    assert!(
        keychain.get(ATS_SECRET).unwrap().is_none() && live::saved(dir.path()).unwrap().is_none(),
        "going back to the sandbox forgets the accounts and their secrets"
    );
    app.shutdown().await;
}
