//! A bulk send of 200 invitations under a throttling Willo that also drops connections after
//! acting: every candidate ends up invited exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

mod support;

use std::collections::HashSet;
use std::time::Duration;

use desk_domain::ats::{Application, Candidate};
use desk_domain::InvitationStatus;
use desk_engine::InviteOutcome;
use desk_sandbox::{FaultKind, FaultRule, SandboxConfig};
use serde_json::json;
use support::world_with;

#[tokio::test]
async fn two_hundred_invites_under_throttling_and_lost_answers_each_go_out_exactly_once() {
    let mut config = SandboxConfig::for_tests();
    config.willo_limits = desk_sandbox::WilloLimits {
        per_second: 40,
        ..desk_sandbox::WilloLimits::NONE
    };
    // 5% of invites succeed on the server but the answer never arrives.
    config.faults = vec![FaultRule::new(FaultKind::Drop)
        .on_path("/api/integrations/v2/participants/")
        .on_method("POST")
        .after_handler()
        .with_probability(0.05)];
    let w = world_with(config, support::per_second(120), |snap| {
        for n in 0..200 {
            snap.candidates.push(Candidate {
                id: format!("bulk-c{n}"),
                first_name: format!("Bulk{n}"),
                last_name: "Candidate".into(),
                emails: vec![format!("bulk{n}@example.com")],
                phones: (n % 3 == 0)
                    .then(|| format!("+49 1512 3456{:03}", n % 1000))
                    .into_iter()
                    .collect(),
                raw: json!({}),
            });
            snap.applications.push(Application {
                id: format!("bulk-a{n}"),
                candidate_id: format!("bulk-c{n}"),
                job_id: "4001".into(),
                stage_id: Some("4001-1".into()),
                status: "active".into(),
                raw: json!({}),
            });
        }
    })
    .await;

    for n in 0..200 {
        let app = w
            .store
            .application_id(w.ats, &format!("bulk-a{n}"))
            .await
            .unwrap()
            .unwrap();
        let outcome = w.engine.queue_invite(app, &w.interview).await.unwrap();
        assert!(
            matches!(outcome, InviteOutcome::Queued(_)),
            "candidate {n}: {outcome:?}"
        );
    }
    w.drain_outbox(Duration::from_secs(90)).await;

    let sent = w.participants_in_sandbox();
    let emails: HashSet<&str> = sent.iter().map(|(_, e)| e.as_str()).collect();
    assert_eq!(sent.len(), 200, "no duplicates, none missing");
    assert_eq!(emails.len(), 200);
    let keys: HashSet<String> = sent.iter().map(|(k, _)| k.clone()).collect();
    for n in 0..200 {
        let app = w
            .store
            .application_id(w.ats, &format!("bulk-a{n}"))
            .await
            .unwrap()
            .unwrap();
        let invitation = w
            .store
            .blocking_invitations(1, app, &format!("bulk{n}@example.com"))
            .await
            .unwrap();
        assert_eq!(invitation.len(), 1);
        assert_eq!(invitation[0].status, InvitationStatus::Invited);
        assert!(
            keys.contains(invitation[0].participant_key.as_ref().unwrap()),
            "each link points at a real participant"
        );
    }
    assert!(
        w.pacer.current().per_second <= 40,
        "the pacer slowed to what the server accepts: {:?}",
        w.pacer.current()
    );
}
