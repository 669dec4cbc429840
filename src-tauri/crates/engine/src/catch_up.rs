//! The catch-up: learning what changed in Willo without webhooks, within Willo's request budget.
//!
//! A sweep checks every open invitation once, a slice of requests per run, so the loop goes back
//! to the outbox between slices. Within a sweep what most likely changed goes first: invitations
//! the candidate opened or started (and, while the sweep goes on, again every five of the pacer's
//! minutes, in at most half of each slice), then the newest. A listing goes on across slices from
//! the page where the last one stopped. Where a page of Willo's participants list costs fewer requests than one read per
//! participant, the sweep lists, and reads on their own only the participants that completed (for
//! their answers). Whether Willo filters the list by interview is not known, so either way works:
//! a page holding other interviews' participants is read as the whole organisation's list. With
//! budget left: a candidate's second participant, and interviews completed in the last days
//! (Willo's score or summary may come later, and a changed result is a follow-up note).

use std::collections::{HashMap, HashSet};
use std::sync::{MutexGuard, PoisonError};

use desk_domain::InvitationStatus;
use desk_store::ToCheck;
use desk_willo::{Participant, ParticipantStatus, WilloError};
use serde::{Deserialize, Serialize};

use crate::reconcile::{progress, reached};
use crate::{Engine, EngineError};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatchUpReport {
    pub checked: usize,
    pub completed: usize,
    /// Requests made to Willo.
    pub requests: usize,
    /// Of which pages of the participants list.
    pub pages: usize,
    pub errors: usize,
    /// Willo throttled us; the rest waits for the next run.
    pub throttled: bool,
    /// A sweep of every open invitation finished in this run.
    pub swept: bool,
}

/// The last finished sweep, kept in the store's settings for the app to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepRecord {
    pub finished_at: i64,
    pub took_ms: i64,
    pub requests: usize,
    /// Open invitations it checked.
    pub open: usize,
}

pub(crate) const SWEEP_SETTING: &str = "willo.last_sweep";
/// Participants asked for per page of the list (Willo's page size limit is unknown; a smaller page
/// only costs more requests).
const PAGE_SIZE: u32 = 100;
/// Opened or started interviews are re-checked every this many of the pacer's minutes between
/// sweeps.
const HOT_EVERY_MINUTES: u32 = 5;
/// A completed interview is re-read at most this often while it is recent.
const RECHECK_EVERY_MS: i64 = 60 * 60 * 1000;

/// What the list has shown it can do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Lists {
    #[default]
    Untried,
    /// Filtered by interview.
    ByInterview,
    /// The filter is ignored: any listing is the organisation's.
    WholeOrganisation,
    /// Its items carry no status: one read per participant it is.
    Useless,
}

#[derive(Debug)]
struct Sweep {
    started_at: i64,
    done: HashSet<i64>,
    requests: usize,
    /// Where each listing (an interview's, or `None`: the organisation's) goes on in the next
    /// slice: `Some(link)`, or `None` once read to its end (or given up) in this sweep.
    cursors: HashMap<Option<String>, Option<String>>,
}

#[derive(Debug, Default)]
pub(crate) struct Sweeps {
    current: Option<Sweep>,
    lists: Lists,
    /// Pages each listing took last time (`None`: the organisation's).
    pages: HashMap<Option<String>, usize>,
}

/// What one listing came to in a slice.
struct Listed {
    /// It turned out to be the organisation's whole list.
    whole: bool,
    /// The page to go on from in the next slice, if the budget ran out before the end.
    resume: Option<String>,
}

/// Why an invitation is read on its own in this run, most urgent first.
fn urgency(i: &ToCheck) -> (bool, std::cmp::Reverse<i64>) {
    (
        !matches!(
            i.status,
            InvitationStatus::Opened | InvitationStatus::Started
        ),
        std::cmp::Reverse(i.created_at),
    )
}

impl Engine {
    fn sweeps(&self) -> MutexGuard<'_, Sweeps> {
        self.sweeps.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a sweep is under way (the loop goes on with it at every turn).
    pub fn sweeping(&self) -> bool {
        self.sweeps().current.is_some()
    }

    /// One slice of the catch-up, within `budget` requests (see the module's notes). Stops at the
    /// first throttle (the pacer then holds every call back until Willo's Retry-After).
    pub async fn catch_up(&self, budget: usize) -> Result<CatchUpReport, EngineError> {
        let now = self.now();
        let hot_every =
            i64::try_from((self.willo.pacer().minute() * HOT_EVERY_MINUTES).as_millis())
                .unwrap_or(i64::MAX);
        let open = self.store.invitations_to_check().await?;
        let done = {
            let mut sweeps = self.sweeps();
            sweeps
                .current
                .get_or_insert_with(|| Sweep {
                    started_at: now,
                    done: HashSet::new(),
                    requests: 0,
                    cursors: HashMap::new(),
                })
                .done
                .clone()
        };
        let mut report = CatchUpReport::default();
        let mut checked: HashSet<i64> = HashSet::new();
        let due: Vec<&ToCheck> = open.iter().filter(|i| !done.contains(&i.id)).collect();
        self.list_what_is_due(&due, budget, &mut report, &mut checked)
            .await?;

        // One read each: opened or started ones not checked for a while, then the rest of the
        // sweep, most urgent first; then strays and recent completions.
        let mut reads: Vec<(Option<i64>, String)> = Vec::new();
        let mut hot: Vec<&ToCheck> = open
            .iter()
            .filter(|i| {
                matches!(
                    i.status,
                    InvitationStatus::Opened | InvitationStatus::Started
                )
            })
            .filter(|i| done.contains(&i.id) && !checked.contains(&i.id))
            .filter(|i| i.checked_at.is_none_or(|at| now - at >= hot_every))
            .collect();
        hot.sort_by_key(|i| i.checked_at);
        // At most half a slice: however many are started and left, the sweep goes on.
        hot.truncate(budget / 2);
        let mut rest: Vec<&ToCheck> = due
            .iter()
            .copied()
            .filter(|i| !checked.contains(&i.id))
            .collect();
        rest.sort_by_key(|i| urgency(i));
        reads.extend(
            hot.iter()
                .chain(rest.iter())
                .map(|i| (Some(i.id), i.participant_key.clone())),
        );
        let room = |reads: &Vec<(Option<i64>, String)>, report: &CatchUpReport| {
            budget.saturating_sub(report.requests + reads.len())
        };
        let limit = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        if room(&reads, &report) > 0 {
            let strays = self
                .store
                .stray_participants(limit(room(&reads, &report)))
                .await?;
            reads.extend(strays.into_iter().map(|key| (None, key)));
        }
        let window = i64::try_from(self.config.recheck_completed_for.as_millis()).unwrap_or(0);
        if room(&reads, &report) > 0 && window > 0 {
            let recent = self
                .store
                .recently_completed(
                    now - window,
                    now - RECHECK_EVERY_MS,
                    limit(room(&reads, &report)),
                )
                .await?;
            reads.extend(recent.into_iter().map(|i| (Some(i.id), i.participant_key)));
        }
        for (invitation_id, key) in reads {
            if self.is_stopping() || report.throttled || report.requests >= budget {
                break;
            }
            report.requests += 1;
            match self.reconcile_participant(&key).await {
                Ok(done) => {
                    report.checked += 1;
                    report.completed += usize::from(done.newly_completed);
                }
                Err(EngineError::Willo(WilloError::RateLimited { .. })) => {
                    report.throttled = true;
                    break;
                }
                Err(EngineError::Willo(error)) => {
                    // One participant's trouble (deleted in Willo, a bad body) must not stop the rest.
                    tracing::warn!(%error, invitation = ?invitation_id, "could not reconcile a participant");
                    if let Some(id) = invitation_id {
                        self.store.mark_checked(id, self.now()).await?;
                    }
                    report.errors += 1;
                }
                Err(other) => return Err(other),
            }
            if let Some(id) = invitation_id {
                checked.insert(id);
            }
        }
        report.swept = self.end_slice(&open, &checked, &report).await?;
        if !self.is_stopping() {
            self.settle_writebacks().await?;
        }
        Ok(report)
    }

    /// Counts what this slice checked towards the sweep, and records the sweep when every open
    /// invitation has been checked (true then).
    async fn end_slice(
        &self,
        open: &[ToCheck],
        checked: &HashSet<i64>,
        report: &CatchUpReport,
    ) -> Result<bool, EngineError> {
        let now = self.now();
        let finished = {
            let mut sweeps = self.sweeps();
            let Some(sweep) = sweeps.current.as_mut() else {
                return Ok(false);
            };
            sweep.done.extend(checked);
            sweep.requests += report.requests;
            let all = open.iter().all(|i| sweep.done.contains(&i.id));
            if all && !report.throttled {
                let record = SweepRecord {
                    finished_at: now,
                    took_ms: now - sweep.started_at,
                    requests: sweep.requests,
                    open: sweep.done.len(),
                };
                sweeps.current = None;
                Some(record)
            } else {
                None
            }
        };
        let Some(record) = finished else {
            return Ok(false);
        };
        tracing::info!(
            open = record.open,
            requests = record.requests,
            took_ms = record.took_ms,
            "checked every open interview"
        );
        self.store.set_setting(SWEEP_SETTING, &record, now).await?;
        Ok(true)
    }

    /// Lists participants where a page costs less than reading those due one by one, and settles
    /// what the list shows: unchanged ones count as checked, progress is recorded, and completed
    /// ones are read on their own (for their answers) while the budget lasts.
    async fn list_what_is_due(
        &self,
        due: &[&ToCheck],
        budget: usize,
        report: &mut CatchUpReport,
        checked: &mut HashSet<i64>,
    ) -> Result<(), EngineError> {
        let mode = self.sweeps().lists;
        if !self.config.list_participants || mode == Lists::Useless || due.len() < 2 {
            return Ok(());
        }
        let by_key: HashMap<&str, &ToCheck> = due
            .iter()
            .map(|i| (i.participant_key.as_str(), *i))
            .collect();
        // The listings to make: the organisation's, or each interview's, most due first.
        let mut listings: Vec<(Option<String>, usize)> = if mode == Lists::WholeOrganisation {
            vec![(None, due.len())]
        } else {
            let mut per: HashMap<&str, usize> = HashMap::new();
            for i in due {
                *per.entry(i.interview_key.as_str()).or_default() += 1;
            }
            let mut per: Vec<(Option<String>, usize)> = per
                .into_iter()
                .map(|(k, n)| (Some(k.to_owned()), n))
                .collect();
            per.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
            per
        };
        let cursors = self
            .sweeps()
            .current
            .as_ref()
            .map(|s| s.cursors.clone())
            .unwrap_or_default();
        listings.retain(|(listing, n)| match cursors.get(listing) {
            // Read to its end in this sweep, or going on from where the last slice stopped.
            Some(resume) => resume.is_some(),
            // Unknown until listed once: a first page is worth trying where two reads would be.
            None => self.sweeps().pages.get(listing).copied().unwrap_or(1) < *n,
        });
        for (listing, due_here) in listings {
            if self.is_stopping() || report.throttled || report.requests >= budget {
                break;
            }
            let resume = cursors.get(&listing).cloned().flatten();
            let listed = self
                .list_pages(
                    listing.as_deref(),
                    resume,
                    due_here,
                    budget,
                    &by_key,
                    report,
                    checked,
                )
                .await?;
            let key = if listed.whole { None } else { listing };
            if let Some(sweep) = self.sweeps().current.as_mut() {
                sweep.cursors.insert(key, listed.resume);
            }
            if listed.whole {
                // The organisation's list: no other listing is needed.
                break;
            }
        }
        Ok(())
    }

    /// Reads the pages of one listing, from its first page or from `resume`, while the budget
    /// lasts.
    #[allow(clippy::too_many_arguments)] // the slice's state, passed down once
    async fn list_pages(
        &self,
        interview: Option<&str>,
        resume: Option<String>,
        due_here: usize,
        budget: usize,
        by_key: &HashMap<&str, &ToCheck>,
        report: &mut CatchUpReport,
        checked: &mut HashSet<i64>,
    ) -> Result<Listed, EngineError> {
        let mut first = resume.is_none();
        let mut next: Option<String> = resume;
        let mut whole = interview.is_none() || self.sweeps().lists == Lists::WholeOrganisation;
        let mut completed: Vec<&ToCheck> = Vec::new();
        // Where the next slice goes on: the page not read yet, if the budget ran out first.
        let mut resume_at: Option<String> = None;
        loop {
            if self.is_stopping() || report.requests >= budget {
                resume_at = next.clone();
                break;
            }
            report.requests += 1;
            report.pages += 1;
            let page = match self
                .willo
                .participants_page(interview, PAGE_SIZE, next.as_deref())
                .await
            {
                Ok(page) => page,
                Err(WilloError::RateLimited { .. }) => {
                    report.throttled = true;
                    resume_at = next.clone();
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, "could not list participants; reading them one by one");
                    report.errors += 1;
                    if matches!(
                        error,
                        WilloError::NotFound
                            | WilloError::Permission(_)
                            | WilloError::Unexpected { .. }
                    ) {
                        self.sweeps().lists = Lists::Useless;
                    }
                    break;
                }
            };
            if first {
                first = false;
                if !page.participants.is_empty()
                    && page
                        .participants
                        .iter()
                        .all(|p| matches!(p.status, ParticipantStatus::Other(_)))
                {
                    tracing::info!(
                        "Willo's participant list gives no status; reading participants one by one"
                    );
                    self.sweeps().lists = Lists::Useless;
                    return Ok(Listed {
                        whole: false,
                        resume: None,
                    });
                }
                if let Some(i) = interview {
                    if page
                        .participants
                        .iter()
                        .any(|p| p.interview_key.as_deref().is_some_and(|k| k != i))
                    {
                        whole = true;
                    }
                }
                let key = if whole {
                    None
                } else {
                    interview.map(str::to_owned)
                };
                let pages = page
                    .count
                    .map(|c| c.div_ceil(page.participants.len().max(1)))
                    .unwrap_or(1);
                {
                    let mut sweeps = self.sweeps();
                    sweeps.lists = if whole {
                        Lists::WholeOrganisation
                    } else {
                        Lists::ByInterview
                    };
                    sweeps.pages.insert(key, pages);
                }
                let worth = if whole { by_key.len() } else { due_here };
                if pages >= worth && page.next.is_some() {
                    // Reading those due one by one costs less than the rest of this list.
                    self.settle_listed(&page.participants, by_key, checked, &mut completed, report)
                        .await?;
                    break;
                }
            }
            self.settle_listed(&page.participants, by_key, checked, &mut completed, report)
                .await?;
            match page.next {
                Some(link) => next = Some(link),
                None => break,
            }
        }
        // Completed ones are read on their own (their answers may not be on the list); those the
        // budget leaves out stay due, for a read in a later slice.
        for invitation in completed {
            if self.is_stopping() || report.throttled || report.requests >= budget {
                checked.remove(&invitation.id);
                continue;
            }
            report.requests += 1;
            match self
                .reconcile_participant(&invitation.participant_key)
                .await
            {
                Ok(done) => {
                    report.checked += 1;
                    report.completed += usize::from(done.newly_completed);
                }
                Err(EngineError::Willo(WilloError::RateLimited { .. })) => {
                    report.throttled = true;
                    checked.remove(&invitation.id);
                }
                Err(EngineError::Willo(error)) => {
                    tracing::warn!(%error, invitation = invitation.id, "could not reconcile a participant");
                    report.errors += 1;
                }
                Err(other) => return Err(other),
            }
        }
        Ok(Listed {
            whole,
            resume: resume_at,
        })
    }

    /// Records what one page says of the invitations due: progress short of completion at once,
    /// completions for a read of their own.
    async fn settle_listed<'a>(
        &self,
        listed: &[Participant],
        by_key: &HashMap<&str, &'a ToCheck>,
        checked: &mut HashSet<i64>,
        completed: &mut Vec<&'a ToCheck>,
        report: &mut CatchUpReport,
    ) -> Result<(), EngineError> {
        let mut unchanged = Vec::new();
        for participant in listed {
            let Some(invitation) = by_key.get(participant.key.as_str()).copied() else {
                continue;
            };
            if !checked.insert(invitation.id) {
                continue;
            }
            let status = reached(&participant.status).unwrap_or(InvitationStatus::Invited);
            if status == InvitationStatus::Completed {
                completed.push(invitation);
                continue;
            }
            if progress(status) > progress(invitation.status) {
                self.reconcile_read(participant).await?;
            } else {
                unchanged.push(invitation.id);
            }
            report.checked += 1;
        }
        self.store.mark_many_checked(&unchanged, self.now()).await?;
        Ok(())
    }

    /// The last sweep, what the current one has done, and what the next will cost.
    pub async fn sweep_status(&self) -> Result<SweepStatus, EngineError> {
        let last: Option<SweepRecord> = self.store.setting(SWEEP_SETTING).await?;
        let open = self.store.invitations_to_check().await?.len();
        let checked = self.sweeps().current.as_ref().map(|s| s.done.len());
        let requests = self.sweep_cost(open, last.as_ref());
        Ok(SweepStatus {
            last,
            open,
            checked,
            next_requests: requests,
            next_takes_ms: self.time_for(requests),
        })
    }

    /// Requests a sweep of `open` invitations is expected to take: the last sweep's cost scaled
    /// to today's number, or one each while it is not known.
    fn sweep_cost(&self, open: usize, last: Option<&SweepRecord>) -> usize {
        match last {
            Some(l) if l.open > 0 => (l.requests * open).div_ceil(l.open).max(1),
            _ => open,
        }
    }

    /// How long `requests` take at the pacer's per-minute limit in force.
    pub(crate) fn time_for(&self, requests: usize) -> i64 {
        let pacer = self.willo.pacer();
        let per_minute = u64::from(pacer.current().per_minute.max(1));
        let minute_ms = u64::try_from(pacer.minute().as_millis()).unwrap_or(60_000);
        i64::try_from(requests as u64 * minute_ms / per_minute).unwrap_or(i64::MAX)
    }

    /// How long after a sweep the next one may start (see [`SweepGap`]).
    pub(crate) async fn sweep_gap(&self) -> SweepGap {
        let last: Option<SweepRecord> = self.store.setting(SWEEP_SETTING).await.unwrap_or(None);
        let open = self
            .store
            .invitations_to_check()
            .await
            .map_or(0, |o| o.len());
        let pacer = self.willo.pacer();
        SweepGap::for_cost(
            self.sweep_cost(open, last.as_ref()),
            pacer.minute(),
            pacer.current(),
        )
    }
}

/// The pause between sweeps without webhooks, so that sweeps use at most half of Willo's budget:
/// `planned_ms` is as long as a sweep takes at the full per-minute limit (the schedule keeps it
/// between a tick and `reconcile_every`); `least_ms` keeps sweeps to half the daily limit, and no
/// setting shortens it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepGap {
    pub planned_ms: i64,
    pub least_ms: i64,
}

impl SweepGap {
    pub fn for_cost(
        requests: usize,
        minute: std::time::Duration,
        budget: desk_willo::Budget,
    ) -> Self {
        let minute_ms = minute.as_millis();
        let requests = requests as u128;
        let planned = requests * minute_ms / u128::from(budget.per_minute.max(1));
        let least = 2 * requests * minute_ms * 24 * 60 / u128::from(budget.per_day.max(1));
        let ms = |v: u128| i64::try_from(v).unwrap_or(i64::MAX);
        Self {
            planned_ms: ms(planned),
            least_ms: ms(least),
        }
    }
}

/// What the app shows of the catch-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepStatus {
    pub last: Option<SweepRecord>,
    /// Open invitations now.
    pub open: usize,
    /// Checked so far in the sweep under way, if one is.
    pub checked: Option<usize>,
    /// Requests the next sweep is expected to take, and how long at the budget in force.
    pub next_requests: usize,
    pub next_takes_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn sweeps_keep_to_half_the_minute_and_half_the_day() {
        let budget = desk_willo::Budget {
            per_second: 8,
            per_minute: 80,
            per_day: 40_000,
        };
        let gap = SweepGap::for_cost(20, Duration::from_secs(60), budget);
        assert_eq!(gap.planned_ms, 15_000, "20 requests at 80 a minute");
        assert_eq!(
            gap.least_ms, 86_400,
            "half the day's 40,000 is 20,000: 20 requests are a thousandth of a day"
        );
        let big = SweepGap::for_cost(2_000, Duration::from_secs(60), budget);
        assert_eq!(
            big.least_ms, 8_640_000,
            "2,000 requests: at most ten sweeps a day"
        );
    }
}
