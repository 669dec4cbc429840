//! `willo-desk forget` when things go wrong, with the real binary and a slow Willo and ATS (each
//! deletion request waits): killed with SIGKILL at random moments, two at once on one data
//! folder, and one run while `serve` starts. Whatever happens, the candidate's deletion ends
//! exactly once: their Willo participant is gone, the deletion is recorded as done, their
//! invitation is `erased`, no queued `erase` item is left, and no file of the data folder holds
//! their answers; the other candidates are untouched.
//!
//! Each candidate's marker is put in their first name as Willo has it before they complete, so
//! it reaches their transcripts, raw JSON and the note written to the ATS.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use desk_sandbox::willo::model::ParticipantStatus;
use desk_sandbox::{AtsSettings, FaultKind, FaultRule, Sandbox, SandboxConfig};
use desk_store::Store;
use support::{
    binary, config, config_file, free_port, greenhouse_signature, secrets, wait_ready, writes,
    TOKEN,
};

/// Greenhouse signs its webhooks with this: a signed stage change makes `serve` read the ATS at
/// once, so the set-up does not wait for the regular poll.
const ATS_SECRET: &str = "the-greenhouse-webhook-secret";
const ATS_SECRET_ENV: &str = "WILLO_DESK_ATS_WEBHOOK_SECRET";
/// The ATS custom field that receives Willo's score: a deletion empties it (a PATCH to the ATS).
const SCORE_FIELD: &str = "willo_score";
/// How long each deletion request (Willo's DELETE, the ATS's PATCH) waits in the simulators.
const SLOW: u64 = 500;
const DELETE_PATH: &str = "/api/integrations/v2/participants/";
const PATCH_PATH: &str = "/greenhouse/v3/applications/";

fn email(n: usize) -> String {
    format!("load{n}@example.com")
}

fn marker(n: usize) -> String {
    format!("forget-marker-{n:03}-5e6f")
}

fn application(n: usize) -> u64 {
    10_001 + n as u64
}

struct World {
    sb: Sandbox,
    _dir: tempfile::TempDir,
    root: PathBuf,
    data: PathBuf,
    config: PathBuf,
    port: u16,
    /// Each candidate's Willo participant.
    keys: Vec<String>,
}

impl World {
    fn env(&self) -> HashMap<&'static str, String> {
        let mut env = secrets(&self.sb);
        env.insert(ATS_SECRET_ENV, ATS_SECRET.to_owned());
        env
    }

    /// `serve`, its stderr piped when it is expected to end soon.
    fn serve(&self, piped: bool) -> Child {
        binary(&self.root)
            .args(["serve", "--config", self.config.to_str().unwrap()])
            .envs(self.env())
            .stdout(Stdio::null())
            .stderr(if piped { Stdio::piped() } else { Stdio::null() })
            .spawn()
            .unwrap()
    }

    /// `forget` for candidate `n`, waiting `wait` seconds at most, its output piped.
    fn forget(&self, n: usize, wait: u64) -> Child {
        binary(&self.root)
            .args(["forget", "--config", self.config.to_str().unwrap()])
            .args([
                "--email",
                &email(n),
                "--by",
                "Dana",
                "--wait",
                &wait.to_string(),
            ])
            .envs(self.env())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    async fn store(&self) -> Store {
        Store::open(&self.data.join("willo-desk.db")).await.unwrap()
    }

    fn in_willo(&self, n: usize) -> bool {
        let key = &self.keys[n];
        self.sb
            .willo
            .with_data(|d| d.participants.iter().any(|p| &p.key == key))
    }

    /// The score field emptied in the ATS for candidate `n` (each deletion's PATCH).
    fn fields_emptied(&self, n: usize) -> usize {
        writes(&self.sb, "field")
            .iter()
            .filter(|w| {
                w["application_id"].as_u64() == Some(application(n))
                    && w["body"]["value"].as_str() == Some("")
            })
            .count()
    }
}

async fn until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `candidates` invited by a real `serve`, each completing with their marker in their name and
/// written back (a note and the score field); then `serve` is stopped.
async fn world(candidates: usize) -> World {
    let mut sandbox = SandboxConfig::for_tests();
    sandbox.ats = AtsSettings {
        extra_applicants: candidates,
        ..sandbox.ats
    };
    let sb = Sandbox::start(sandbox).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let data = root.join("data");
    let port = free_port();
    let text = config(&sb, &data, port, "").replace(
        "[engine]\n",
        &format!(
            "ats_secret_env = \"{ATS_SECRET_ENV}\"\n[engine]\nscore_field = \"{SCORE_FIELD}\"\n"
        ),
    );
    let config = config_file(&root, &text);
    let mut world = World {
        sb,
        _dir: dir,
        root,
        data,
        config,
        port,
        keys: Vec::new(),
    };
    let mut server = world.serve(false);
    wait_ready(port, Duration::from_secs(30)).await;
    world.sb.ats.with_data(|d| {
        for n in 0..candidates {
            d.move_application(application(n), 1).unwrap();
        }
    });
    let body = serde_json::json!({
        "action": "candidate_stage_change",
        "payload": {"application": {"id": application(0), "current_stage": {"id": 400_101, "name": "Screening"}}},
    })
    .to_string();
    let delivered = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/hooks/ats/{TOKEN}"))
        .header("Signature", greenhouse_signature(&body, ATS_SECRET))
        .body(body)
        .send()
        .await
        .unwrap()
        .status();
    assert!(delivered.is_success(), "the ATS webhook: {delivered}");
    let mut keys = vec![None; candidates];
    until("the invitations", Duration::from_secs(30), || {
        world.sb.willo.with_data(|d| {
            for p in &mut d.participants {
                if let Some(n) = (0..candidates).find(|n| p.email == email(*n)) {
                    if keys[n].is_none() {
                        p.first_name = format!("Lou {}", marker(n));
                        keys[n] = Some(p.key.clone());
                    }
                }
            }
        });
        keys.iter().all(Option::is_some)
    })
    .await;
    world.keys = keys.into_iter().map(Option::unwrap).collect();
    for key in &world.keys {
        world
            .sb
            .willo
            .advance(key, Some(ParticipantStatus::Completed))
            .unwrap();
    }
    until("the write-backs", Duration::from_secs(60), || {
        let notes = writes(&world.sb, "note");
        let fields = writes(&world.sb, "field");
        (0..candidates).all(|n| {
            notes.iter().any(|w| w.to_string().contains(&marker(n)))
                && fields
                    .iter()
                    .any(|w| w["application_id"].as_u64() == Some(application(n)))
        })
    })
    .await;
    assert!(support::terminate(&mut server, Duration::from_secs(30)).success());
    world
}

/// Willo's participant deletions and the ATS's field updates each wait `millis`.
fn slow_deletions(sb: &Sandbox, millis: u64) {
    for (path, method) in [(DELETE_PATH, "DELETE"), (PATCH_PATH, "PATCH")] {
        sb.faults.add(
            FaultRule::new(FaultKind::Delay { millis })
                .on_path(path)
                .on_method(method),
        );
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Waits (`within` at most) for a process whose output is piped, and returns it.
fn finished(child: Child, within: Duration) -> Output {
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(within) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &id.to_string()])
                .status();
            panic!("process {id} did not end within {within:?}");
        }
    }
}

/// A successful `forget`'s report: one finished deletion, naming no one.
fn assert_reported(output: &Output, n: usize, who: &str) {
    let said = text(output);
    assert!(output.status.success(), "{who} failed: {said}");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        report.contains(&format!("of ATS application {}", application(n)))
            && report.contains("(asked by Dana): done"),
        "{who} reports a finished deletion: {said}"
    );
    assert!(
        !report.contains(&email(n)) && !report.contains(&marker(n)),
        "{who}'s report names no one: {said}"
    );
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

/// The data folder's files that hold `needle`.
fn files_holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|f| {
            std::fs::read(f)
                .unwrap_or_default()
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
        })
        .collect()
}

/// Where candidate `n`'s deletion stands in the database, as one line: `Ok` once every deletion
/// of theirs is done and no queued `erase` item is left unfinished, `Err` until then.
async fn finished_deletion(store: &Store, n: usize) -> Result<String, String> {
    let applications = store.applications_by_email(&email(n)).await.unwrap();
    assert_eq!(applications.len(), 1, "one application per candidate");
    let erasures = store.erasures_of(applications[0]).await.unwrap();
    let unfinished_items = store.outbox_unfinished_with_prefix("erase:").await.unwrap();
    let line = format!(
        "deletions {:?}, erase items not done: {unfinished_items}",
        erasures
            .iter()
            .map(|e| (e.id, e.done, e.finished_at.is_some()))
            .collect::<Vec<_>>()
    );
    if !erasures.is_empty()
        && erasures.iter().all(|e| e.done && e.finished_at.is_some())
        && unfinished_items == 0
    {
        Ok(line)
    } else {
        Err(line)
    }
}

/// Candidate `n`'s data is gone everywhere, with nothing left queued; every process is stopped.
async fn assert_forgotten(world: &World, n: usize) {
    assert!(!world.in_willo(n), "the Willo participant is deleted");
    assert!(
        world.fields_emptied(n) >= 1,
        "the score field is emptied in the ATS"
    );
    let store = world.store().await;
    if let Err(state) = finished_deletion(&store, n).await {
        panic!("the deletion is finished and nothing is left queued: {state}");
    }
    let application_id = store.applications_by_email(&email(n)).await.unwrap()[0];
    let mut invitations = Vec::new();
    for id in 1..=20 {
        if let Ok(invitation) = store.invitation(id).await {
            if invitation.application_id == application_id {
                invitations.push(invitation);
            }
        }
    }
    assert_eq!(invitations.len(), 1, "the invitation stays, as a row");
    assert_eq!(invitations[0].status.to_string(), "erased");
    assert_eq!(invitations[0].email, None, "without contact details");
    let key = &world.keys[n];
    assert!(store.responses(key).await.unwrap().is_empty(), "no answers");
    assert!(
        store.participant_raw(key).await.is_err(),
        "no stored participant"
    );
    store.close().await;
    let holding = files_holding(&world.data, &marker(n));
    assert!(holding.is_empty(), "the answers are still in {holding:?}");
}

/// Candidate `n` was not touched: still in Willo, their field never emptied, their answers here.
fn assert_untouched(world: &World, n: usize) {
    assert!(world.in_willo(n), "candidate {n} is still in Willo");
    assert_eq!(world.fields_emptied(n), 0, "candidate {n}'s field is kept");
    assert!(
        !files_holding(&world.data, &marker(n)).is_empty(),
        "candidate {n}'s answers are still here (and the scan finds a marker)"
    );
}

/// Runs `forget` for candidate `n` `times` times, each SIGKILLed after a random time within
/// about one whole run (start, Willo's DELETE, the ATS's PATCH, the local purge). Returns each
/// run's time and whether it had ended by itself by then.
fn kill_repeatedly(world: &World, n: usize, times: usize) -> Vec<(u64, bool)> {
    let mut schedule = Vec::new();
    for _ in 0..times {
        let mut child = world.forget(n, 60);
        let lifetime = rand::random::<u64>() % 1_500;
        std::thread::sleep(Duration::from_millis(lifetime));
        let ended_alone = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        child.wait().unwrap();
        schedule.push((lifetime, ended_alone));
    }
    eprintln!("killed after (ms, had ended by itself): {schedule:?}");
    schedule
}

/// SIGKILLed at random moments of the deletion, over and over; `serve` then finishes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_moments_then_serve_finishes_the_deletion_once() {
    let world = world(2).await;
    slow_deletions(&world.sb, SLOW);
    let schedule = kill_repeatedly(&world, 0, 6);

    let mut server = world.serve(false);
    wait_ready(world.port, Duration::from_secs(30)).await;
    let store = world.store().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match finished_deletion(&store, 0).await {
            Ok(_) => break,
            Err(state) => assert!(
                Instant::now() < deadline,
                "serve did not finish the deletion: {state} (kills: {schedule:?})"
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    store.close().await;
    assert!(support::terminate(&mut server, Duration::from_secs(30)).success());
    assert_forgotten(&world, 0).await;
    assert_untouched(&world, 1);
}

/// SIGKILLed at random moments of the deletion, over and over; with nothing else running, the
/// next `forget` finishes it (or, if it was finished, makes a second deletion that finds nothing
/// left) and reports it. A run killed after claiming the queued deletion leaves its lease (five
/// minutes) behind: the next `forget` that takes the engine's lock must release it, as `serve`
/// does when it starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_moments_then_the_next_forget_finishes_the_deletion_once() {
    let world = world(2).await;
    slow_deletions(&world.sb, SLOW);
    let schedule = kill_repeatedly(&world, 0, 6);

    let again = finished(world.forget(0, 20), Duration::from_secs(40));
    assert_reported(
        &again,
        0,
        &format!("the forget after the kills {schedule:?}"),
    );
    assert_forgotten(&world, 0).await;
    assert_untouched(&world, 1);
}

/// SIGKILLed while Willo's DELETE is in flight (its lease on the queued deletion held), then run
/// again with nothing else running: the second run takes the engine's lock, so it carries the
/// deletion out at once instead of waiting for the dead run's lease to expire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forget_killed_mid_deletion_is_finished_by_the_next_forget() {
    let world = world(2).await;
    slow_deletions(&world.sb, SLOW);
    let mut first = world.forget(0, 60);
    until("Willo's DELETE", Duration::from_secs(20), || {
        world.sb.faults.struck() >= 1
    })
    .await;
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(world.in_willo(0), "killed before Willo deleted anything");

    let again = finished(world.forget(0, 20), Duration::from_secs(40));
    assert_reported(&again, 0, "the second forget");
    assert_forgotten(&world, 0).await;
    assert_untouched(&world, 1);
}

/// Two `forget`s of one candidate at once, nothing else running: one runs the engine, the other
/// waits for it; both report a finished deletion, and the second deletion (if there is one)
/// finds nothing left to remove.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_forgets_of_one_candidate_at_once_both_report_it() {
    let world = world(2).await;
    slow_deletions(&world.sb, SLOW);
    let a = world.forget(0, 30);
    let b = world.forget(0, 30);
    let a = finished(a, Duration::from_secs(45));
    let b = finished(b, Duration::from_secs(45));
    assert_reported(&a, 0, "the first forget");
    assert_reported(&b, 0, "the second forget");
    assert_forgotten(&world, 0).await;
    assert_untouched(&world, 1);
}

/// A `forget` that starts while another runs the engine, but asks only once that one is done
/// (its start is slow): nobody runs the engine any more, so it must carry out its own deletion
/// (here of another candidate) instead of waiting for a holder that has gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forget_that_asks_after_the_engines_holder_finished_is_not_left_waiting() {
    let world = world(2).await;
    slow_deletions(&world.sb, SLOW);
    let first = world.forget(0, 30);
    until("the first forget's DELETE", Duration::from_secs(20), || {
        world.sb.faults.struck() >= 1
    })
    .await;
    // The second one's first request to Willo (the key's check) is slow: it has found the
    // engine taken, and asks for its deletion after the first one has finished and exited.
    world.sb.faults.add(
        FaultRule::new(FaultKind::Delay { millis: 3_000 })
            .on_path("/api/integrations/v2/interviews/")
            .on_method("GET")
            .times(1),
    );
    let second = world.forget(1, 15);
    let first = finished(first, Duration::from_secs(45));
    assert_reported(&first, 0, "the first forget");
    let second = finished(second, Duration::from_secs(45));
    assert_reported(&second, 1, "the second forget");
    assert_forgotten(&world, 0).await;
    assert_forgotten(&world, 1).await;
}

/// `forget` run the moment `serve` is launched: whichever takes the engine's lock first, the
/// deletion is carried out once and reported, and a `serve` that found it taken says by whom.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forget_right_after_serve_is_launched() {
    let world = world(2).await;
    slow_deletions(&world.sb, SLOW);
    let mut server = world.serve(true);
    let forget = finished(world.forget(0, 40), Duration::from_secs(60));
    assert_reported(&forget, 0, "forget");
    match server.try_wait().unwrap() {
        None => assert!(support::terminate(&mut server, Duration::from_secs(30)).success()),
        Some(status) => {
            let said = support::stderr_of(&mut server);
            // It names the holder when the holder has written who it is (a moment after
            // taking the lock), else "another process".
            assert!(
                !status.success() && said.contains("already runs the engine"),
                "serve stopped only because forget held the engine: {said}"
            );
            eprintln!("serve was refused: forget took the engine's lock first");
        }
    }
    assert_forgotten(&world, 0).await;
    assert_untouched(&world, 1);
}
