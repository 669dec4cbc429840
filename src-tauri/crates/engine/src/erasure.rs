//! Deleting a candidate's interview data everywhere, at their request: the Willo participants,
//! what this app wrote to the ATS (where the ATS's API allows it; otherwise listed for a person to
//! remove, with a link), and the local copy. The request is an outbox item, so whichever process
//! runs the engine carries it out (a desktop following a `serve` queues it there), no write-back
//! is in flight while it runs, and a stop or a network failure only delays it.
//!
//! Remote steps come first and the local purge last: until the remote deletions are done or have
//! failed for good, the local record is what says what to delete. The report and the audit entry
//! name no person: ids, places and outcomes.

use desk_ats::{AtsError, Removal};
use desk_domain::LocalRemoval;
use desk_store::{Erasure, ErasureTargets};
use desk_willo::WilloError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::worker::{Claim, Step};
use crate::{Engine, EngineError, EngineEvent};

/// Where a step of a deletion happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErasurePlace {
    Willo,
    Ats,
}

/// What came of one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum ErasureOutcome {
    Deleted,
    /// It was not there any more (deleted earlier, by hand or by an earlier attempt).
    AlreadyGone,
    /// The API cannot delete it: a person must, in that system.
    ByHand {
        why: String,
        url: Option<String>,
    },
    /// Tried, and it failed for good (the error, as the service gave it).
    Failed {
        error: String,
    },
}

/// One step of a deletion: `what` names the record by its id, never the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ErasureStep {
    pub place: ErasurePlace,
    pub what: String,
    #[serde(flatten)]
    pub outcome: ErasureOutcome,
}

/// The report of one deletion, kept as its audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ErasureReport {
    #[ts(type = "number")]
    pub erasure_id: i64,
    pub requested_by: String,
    #[ts(type = "number")]
    pub requested_at: i64,
    /// None while it is under way.
    #[ts(type = "number | null")]
    pub finished_at: Option<i64>,
    /// The ATS's ids of the application and candidate.
    pub ats_application: String,
    pub ats_candidate: String,
    pub steps: Vec<ErasureStep>,
    pub local: LocalRemoval,
    /// Everything was deleted: nothing is left for a person to do, nothing failed.
    pub complete: bool,
}

impl ErasureReport {
    /// The report of an erasure as stored (a waiting one has no steps yet).
    pub fn of(erasure: &Erasure) -> Self {
        let stored = erasure
            .report
            .clone()
            .and_then(|r| serde_json::from_value::<Stored>(r).ok())
            .unwrap_or_default();
        Self {
            erasure_id: erasure.id,
            requested_by: erasure.requested_by.clone(),
            requested_at: erasure.requested_at,
            finished_at: erasure.finished_at,
            ats_application: erasure.ats_application.clone(),
            ats_candidate: erasure.ats_candidate.clone(),
            complete: erasure.done
                && stored.local.journal_emptied
                && stored.steps.iter().all(|s| {
                    matches!(
                        s.outcome,
                        ErasureOutcome::Deleted | ErasureOutcome::AlreadyGone
                    )
                }),
            steps: stored.steps,
            local: stored.local,
        }
    }
}

/// What the store keeps of a finished erasure (the rest is in its row).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    steps: Vec<ErasureStep>,
    local: LocalRemoval,
}

/// Why an invite or write-back waits.
const ERASING: &str = "waiting: this candidate's interview data is being deleted";

/// Why an invitation's data is gone, as its last event says.
const ERASED_ON_REQUEST: &str = "interview data deleted at the candidate's request";

/// A write-back ledger target without its review suffix (`note.r2` is a note).
fn base_target(target: &str) -> &str {
    match target.rsplit_once(".r") {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => target,
    }
}

impl Engine {
    /// Asks for an application's interview data to be deleted everywhere; `requested_by` is who
    /// asked (kept in the audit). The engine's holder carries it out: follow it with
    /// [`Engine::erasure_report`]. Returns the erasure's id.
    pub async fn request_erasure(
        &self,
        application_id: i64,
        requested_by: &str,
    ) -> Result<i64, EngineError> {
        let requested_by = requested_by.trim();
        if requested_by.is_empty() {
            return Err(EngineError::Invalid(
                "requested by: say who asked for the deletion".into(),
            ));
        }
        let (id, created) = self
            .store
            .request_erasure(application_id, requested_by, self.now())
            .await?;
        if created {
            self.store
                .log_activity(
                    "erasure_requested",
                    "Deletion of this candidate's interview data requested",
                    None,
                    Some(application_id),
                    self.now(),
                )
                .await?;
        }
        self.wake.notify_one();
        Ok(id)
    }

    /// Where a deletion stands, and once done, what it deleted where.
    pub async fn erasure_report(&self, erasure_id: i64) -> Result<ErasureReport, EngineError> {
        Ok(ErasureReport::of(&self.store.erasure(erasure_id).await?))
    }

    /// The deletions made for an application, newest first.
    pub async fn erasures_of(
        &self,
        application_id: i64,
    ) -> Result<Vec<ErasureReport>, EngineError> {
        Ok(self
            .store
            .erasures_of(application_id)
            .await?
            .iter()
            .map(ErasureReport::of)
            .collect())
    }

    /// An invite or write-back for an application whose deletion waits (for Willo or the ATS,
    /// say) is not carried out meanwhile: the deletion removes it when it runs.
    pub(crate) async fn erasure_waiting(
        &self,
        application_id: i64,
    ) -> Result<Option<Step>, EngineError> {
        Ok(self
            .store
            .erasure_of(application_id, true)
            .await?
            .then(|| Step::Throttled(ERASING.into(), Some(self.config.max_backoff))))
    }

    /// Carries out one queued deletion (the outbox worker's `erase` item).
    pub(crate) async fn erase(&self, claim: &Claim) -> Result<Step, EngineError> {
        let Some(erasure_id) = claim
            .item
            .payload
            .get("erasure_id")
            .and_then(|v| v.as_i64())
        else {
            return Ok(Step::Fail("the queued deletion is damaged".into()));
        };
        let erasure = self.store.erasure(erasure_id).await?;
        let Some(application_id) = erasure.application_id.filter(|_| !erasure.done) else {
            // Done already (by a run that stopped before closing the item), or its application
            // is no longer in the database.
            self.store
                .complete_outbox(claim.item.id, &claim.owner, None, self.now())
                .await?;
            return Ok(Step::Done);
        };
        let last_try = claim.item.attempts >= self.config.max_attempts;
        let targets = self.store.erasure_targets(application_id).await?;
        let mut steps = Vec::new();
        // The participants held here, and one a lost invite may have made in Willo.
        let mut keys = targets.participant_keys();
        // A step that stops it (a throttle, a passing failure, a lost lease) ends this attempt.
        if let Some(stop) = self
            .erase_in_willo(claim, &targets, &mut keys, last_try, &mut steps)
            .await?
        {
            return Ok(stop);
        }
        if let Some(stop) = self
            .erase_in_ats(claim, application_id, &targets, last_try, &mut steps)
            .await?
        {
            return Ok(stop);
        }
        if !self.hold(claim).await? {
            return Ok(Step::Lost);
        }
        let invitation_ids: Vec<i64> = targets.invitations.iter().map(|i| i.id).collect();
        let mut local = self
            .store
            .purge_interview_data(
                &invitation_ids,
                &keys,
                Some(application_id),
                ERASED_ON_REQUEST,
                self.now(),
            )
            .await?;
        local.export_files = self
            .remove_exports_of(application_id, &targets.candidate_name)
            .await?;
        let report = Stored { steps, local };
        let now = self.now();
        self.store
            .finish_erasure(
                erasure_id,
                &serde_json::to_value(&report).unwrap_or_default(),
                now,
            )
            .await?;
        if !self
            .store
            .complete_outbox(claim.item.id, &claim.owner, None, now)
            .await?
        {
            return Ok(Step::Lost);
        }
        self.store
            .log_activity(
                "erased",
                "Deleted this candidate's interview data at their request",
                None,
                Some(application_id),
                now,
            )
            .await?;
        tracing::info!(
            erasure_id,
            invitations = local.invitations,
            answers = local.answers,
            "a candidate's interview data was deleted"
        );
        self.events.emit(EngineEvent::Erased {
            erasure_id,
            application_id,
        });
        Ok(Step::Done)
    }

    /// Deletes the candidate's Willo participants, and looks for one an invite whose answer was
    /// lost may have made. `Some` when the item must wait and try again.
    async fn erase_in_willo(
        &self,
        claim: &Claim,
        targets: &ErasureTargets,
        keys: &mut Vec<String>,
        last_try: bool,
        steps: &mut Vec<ErasureStep>,
    ) -> Result<Option<Step>, EngineError> {
        for invitation in &targets.invitations {
            let (None, true, Some(email)) = (
                &invitation.participant_key,
                invitation.invite_attempted,
                invitation.email.as_deref(),
            ) else {
                continue;
            };
            match self
                .willo
                .find_participant(&invitation.interview_key, email)
                .await
            {
                Ok(Some(found)) => keys.push(found.key),
                Ok(None) => {}
                Err(error) => {
                    if let Some(stop) =
                        willo_step(error, last_try, steps, "a lost invite's participant")
                    {
                        return Ok(Some(stop));
                    }
                }
            }
        }
        for key in keys.iter() {
            if !self.hold(claim).await? {
                return Ok(Some(Step::Lost));
            }
            let what = format!("participant {key}");
            match self.willo.delete_participant(key).await {
                // The client answers a 404 as done: the participant is not in Willo either way.
                Ok(()) => steps.push(ErasureStep {
                    place: ErasurePlace::Willo,
                    what,
                    outcome: ErasureOutcome::Deleted,
                }),
                Err(error) => {
                    if let Some(stop) = willo_step(error, last_try, steps, &what) {
                        return Ok(Some(stop));
                    }
                }
            }
        }
        Ok(None)
    }

    /// Deletes (or lists for a person) what this app wrote to the ATS, and empties the score
    /// field. `Some` when the item must wait and try again.
    async fn erase_in_ats(
        &self,
        claim: &Claim,
        application_id: i64,
        targets: &ErasureTargets,
        last_try: bool,
        steps: &mut Vec<ErasureStep>,
    ) -> Result<Option<Step>, EngineError> {
        if targets.written.is_empty() {
            return Ok(None);
        }
        let Some(ats) = &self.ats else {
            // Written through an ATS connection that is gone: a person must remove it there.
            for written in targets.written.iter().filter(|w| w.target != "move") {
                steps.push(ErasureStep {
                    place: ErasurePlace::Ats,
                    what: format!(
                        "{} {}",
                        base_target(&written.target),
                        written.remote_id.as_deref().unwrap_or_default()
                    )
                    .trim()
                    .to_owned(),
                    outcome: ErasureOutcome::ByHand {
                        why: "no ATS is connected to delete it: remove it in the ATS".into(),
                        url: None,
                    },
                });
            }
            return Ok(None);
        };
        let name = ats.kind().label();
        let row = self.store.ats_application(application_id).await?;
        let application = row.reference();
        let url = ats.record_url(application);
        // A field written for each revision is emptied once.
        let mut emptied = std::collections::HashSet::new();
        for written in &targets.written {
            let kind = base_target(&written.target);
            let Some(remote_id) = written.remote_id.as_deref() else {
                // A field or a move: no record of its own to delete.
                if let Some(field) = kind.strip_prefix("field:").filter(|f| emptied.insert(*f)) {
                    if !self.hold(claim).await? {
                        return Ok(Some(Step::Lost));
                    }
                    let what = format!("{name} field “{field}”");
                    let outcome = ats
                        .set_field(application, field, "")
                        .await
                        .map(|()| Removal::Deleted);
                    if let Some(stop) = ats_step(outcome, what, url.as_ref(), last_try, steps) {
                        return Ok(Some(stop));
                    }
                }
                continue;
            };
            if !self.hold(claim).await? {
                return Ok(Some(Step::Lost));
            }
            let (what, outcome) = match kind {
                "note" => (
                    format!("{name} note {remote_id}"),
                    ats.remove_note(application, remote_id).await,
                ),
                "attachment" => (
                    format!("{name} attachment {remote_id}"),
                    ats.remove_attachment(application, remote_id).await,
                ),
                _ => continue,
            };
            if let Some(stop) = ats_step(outcome, what, url.as_ref(), last_try, steps) {
                return Ok(Some(stop));
            }
        }
        Ok(None)
    }

    /// Removes this app's exports that hold the candidate: their access-request exports, and
    /// activity exports with rows about them. Returns how many.
    async fn remove_exports_of(&self, application_id: i64, name: &str) -> Result<i64, EngineError> {
        let mut removed = 0;
        for (id, path, theirs) in self.store.exports_about(application_id).await? {
            let path = std::path::Path::new(&path);
            let holds_them = theirs
                || std::fs::read_to_string(path).is_ok_and(|text| names_candidate(&text, name));
            if !path.exists() {
                self.store.forget_export(id).await?;
            } else if holds_them && std::fs::remove_file(path).is_ok() {
                self.store.forget_export(id).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// Whether an activity export has a row about the candidate: the app writes them with the
/// columns time, kind, candidate, job, message.
fn names_candidate(csv: &str, name: &str) -> bool {
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    rows.records()
        .flatten()
        .any(|row| row.get(2).is_some_and(|cell| cell == name))
}

fn willo_step(
    error: WilloError,
    last_try: bool,
    steps: &mut Vec<ErasureStep>,
    what: &str,
) -> Option<Step> {
    match error {
        WilloError::RateLimited { retry_after } => Some(Step::Throttled(
            "Willo is throttling requests; waiting".into(),
            retry_after,
        )),
        e if (e.is_retryable() || e.outcome_uncertain()) && !last_try => {
            Some(Step::Retry(e.to_string()))
        }
        e => {
            steps.push(ErasureStep {
                place: ErasurePlace::Willo,
                what: what.to_owned(),
                outcome: ErasureOutcome::Failed {
                    error: e.to_string(),
                },
            });
            None
        }
    }
}

fn ats_step(
    outcome: Result<Removal, AtsError>,
    what: String,
    url: Option<&String>,
    last_try: bool,
    steps: &mut Vec<ErasureStep>,
) -> Option<Step> {
    let outcome = match outcome {
        Ok(Removal::Deleted) => ErasureOutcome::Deleted,
        Ok(Removal::AlreadyGone) => ErasureOutcome::AlreadyGone,
        Ok(Removal::ByHand { why }) => ErasureOutcome::ByHand {
            why,
            url: url.cloned(),
        },
        Err(AtsError::RateLimited { retry_after }) => {
            return Some(Step::Throttled(
                "the ATS is throttling requests; waiting".into(),
                retry_after,
            ))
        }
        Err(e) if (e.is_retryable() || matches!(e, AtsError::Decode { .. })) && !last_try => {
            return Some(Step::Retry(e.to_string()))
        }
        Err(e) => ErasureOutcome::Failed {
            error: e.to_string(),
        },
    };
    steps.push(ErasureStep {
        place: ErasurePlace::Ats,
        what,
        outcome,
    });
    None
}
