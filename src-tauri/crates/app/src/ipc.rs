//! What crosses to the UI: the request and response types of the app's commands (here, or
//! in the crates below where the engine works with them too), and the one place they are
//! exported to TypeScript, `ui/src/ipc/bindings/`, by `cargo test` (ts-rs). The committed
//! bindings are checked for drift in CI.

use desk_domain::{InvitationStatus, ListStatus};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Simulated Willo and ATS on this machine, with demo data.
    Sandbox,
    /// The recruiter's real Willo and ATS accounts.
    Live,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub mode: Mode,
    pub data_dir: String,
    /// Where the simulators listen, in sandbox mode.
    pub sandbox_origin: Option<String>,
    /// Which ATS the app reads, e.g. "Greenhouse (sandbox)".
    pub ats_label: String,
    /// In sandbox mode, which simulated ATS it reads (chosen in Settings).
    pub sandbox_ats: Option<crate::live::AtsChoice>,
    /// Why the app is not running on the accounts it was set up with, if so.
    pub startup_problem: Option<String>,
    /// When another process (`serve`) runs the engine on this data folder: which, and that
    /// what the recruiter does here is carried out there.
    pub engine_elsewhere: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StageOverview {
    pub name: String,
    pub applications: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct JobOverview {
    pub id: u32,
    pub title: String,
    pub department: Option<String>,
    pub location: Option<String>,
    pub applications: u32,
    pub stages: Vec<StageOverview>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    pub jobs: Vec<JobOverview>,
    pub candidates: u32,
    pub applications: u32,
    /// Unix milliseconds of the last successful ATS sync; `None` before the first one.
    pub last_sync_at: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    pub jobs: u32,
    pub candidates: u32,
    pub applications: u32,
    /// Applications that arrived in a stage since the previous sync.
    pub stage_changes: u32,
    pub took_ms: u32,
}

/// What the candidate list asks for: a page under a filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct CandidateQuery {
    pub search: Option<String>,
    pub job_id: Option<u32>,
    pub stage_id: Option<u32>,
    pub status: Option<ListStatus>,
    pub offset: u32,
    /// At most 500 rows a page.
    pub limit: u32,
    /// `None`: newest applications first.
    pub sort: Option<CandidateSort>,
    pub descending: bool,
}

/// A column the candidate list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CandidateSort {
    Name,
    Job,
    /// By the stage's place in the job's pipeline.
    Stage,
    /// Along the invitation's course, from not sent to in the ATS.
    Status,
    /// When the application last changed stage or its invitation last changed.
    Activity,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CandidateRow {
    pub application_id: u32,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub job_id: u32,
    pub job_title: String,
    pub stage: Option<String>,
    pub invitation_id: Option<u32>,
    /// Where its latest invitation stands, or not sent.
    pub status: ListStatus,
    /// Why it was refused or failed.
    pub reason: Option<String>,
    /// When the application last changed stage or its invitation last changed (Unix ms).
    pub last_activity_at: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CandidatePage {
    /// With the first page (offset 0) only: scrolling does not change it.
    pub total: Option<u32>,
    pub offset: u32,
    pub rows: Vec<CandidateRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TimelineStep {
    /// Unix milliseconds.
    pub at: f64,
    pub step: String,
    /// What happened, in words.
    pub label: String,
    pub detail: Option<String>,
    /// For failures: what to do.
    pub fix: Option<String>,
    pub failed: bool,
}

/// A Willo interview the key can see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InterviewOption {
    pub key: String,
    pub title: String,
    pub department: Option<String>,
    pub language: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TemplateOption {
    pub key: String,
    pub name: String,
    pub category: Option<String>,
    pub questions: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PreSendRow {
    pub application_id: u32,
    pub name: String,
    /// True: it will be sent as shown. False: `refusals` say why not and what to fix.
    pub will_send: bool,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// ISO 3166 alpha-2: the country the phone was read in, when it had no country code.
    pub phone_assumed_region: Option<String>,
    pub refusals: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct InboxRow {
    pub invitation_id: u32,
    pub name: String,
    pub interview_title: String,
    pub job_title: String,
    pub score: Option<f64>,
    pub completed_at: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TranscriptSegment {
    pub start: f64,
    pub end: Option<f64>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    pub question_key: String,
    pub position: u32,
    pub question: String,
    /// video | audio | text | file
    pub kind: String,
    pub media_url: Option<String>,
    pub text: Option<String>,
    pub transcript: Option<String>,
    /// Timed lines, where Willo gives timings (a click seeks the media there).
    pub segments: Vec<TranscriptSegment>,
    pub score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReviewState {
    pub decision: String,
    pub rating: Option<u32>,
    pub question_ratings: std::collections::BTreeMap<String, u32>,
    pub comment: Option<String>,
    pub redactions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReviewDetail {
    pub invitation_id: u32,
    pub application_id: u32,
    pub name: String,
    pub email: Option<String>,
    pub job_title: String,
    pub interview_title: String,
    pub status: InvitationStatus,
    pub summary: Option<String>,
    pub score: Option<f64>,
    pub share_url: Option<String>,
    pub answers: Vec<Answer>,
    pub review: Option<ReviewState>,
    /// Review work started and not decided yet (kept across screens and restarts).
    pub draft: Option<desk_engine::ReviewInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StageOption {
    pub id: u32,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AutomationView {
    pub job_id: u32,
    pub job_title: String,
    pub department: Option<String>,
    pub location: Option<String>,
    pub stages: Vec<StageOption>,
    /// `None`: the job has no automation.
    pub automation: Option<AutomationState>,
    /// The interview to offer first for this job: its automation's, else the last one sent to
    /// its candidates; `None`: the recruiter must choose.
    pub suggested_interview_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AutomationState {
    pub interview_key: String,
    pub interview_title: Option<String>,
    pub choice: desk_engine::InterviewChoice,
    pub trigger_stage_ids: Vec<u32>,
    pub review_required: bool,
    pub move_to_stage_id: Option<u32>,
    pub move_min_score: Option<f64>,
    pub note_policy: desk_domain::NotePolicy,
    pub paused: bool,
    pub enabled_at: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct ActivityQuery {
    /// Kinds starting with this (e.g. `invite`, `writeback`, `review`).
    pub kind: Option<String>,
    pub search: Option<String>,
    /// The next page: entries older than this id.
    pub before_id: Option<u32>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActivityItem {
    pub id: u32,
    pub at: f64,
    pub kind: String,
    pub message: String,
    pub invitation_id: Option<u32>,
    pub candidate: Option<String>,
    pub job: Option<String>,
}

/// A file the app wrote for the recruiter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportedFile {
    pub path: String,
    /// The folder it is in (the Downloads folder where there is one).
    pub folder: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FailedWork {
    pub outbox_id: u32,
    /// invite | writeback
    pub kind: String,
    pub attempts: u32,
    pub error: String,
    pub fix: String,
    pub failed_at: f64,
    pub invitation_id: Option<u32>,
    pub candidate: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Ok,
    Warning,
    Problem,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub check: String,
    pub severity: Severity,
    pub message: String,
    pub fix: String,
}

/// The settings a recruiter changes in the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub notifications: crate::notify::NotificationSettings,
    /// ISO 3166 alpha-2, for phone numbers without a country code.
    pub default_region: Option<String>,
    pub ats_poll_seconds: u32,
    pub reconcile_minutes: u32,
    /// Where the webhook receiver listens now (read-only: set by the app at start).
    pub receiver_url: Option<String>,
    /// The address to listen on from the next start, e.g. `127.0.0.1:8787` (empty: any free
    /// loopback port).
    pub receiver_listen: Option<String>,
    /// Where Willo can reach the receiver (a tunnel or reverse proxy), https; webhooks are
    /// registered there at start and by "Register with Willo".
    pub receiver_public_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FunnelJob {
    pub job_title: String,
    pub triggered: u32,
    pub invited: u32,
    pub opened: u32,
    pub completed: u32,
    pub reviewed: u32,
    pub synced: u32,
}

/// One day of the chart over time (UTC), zero when nothing happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DayPoint {
    pub day: String,
    pub invited: u32,
    pub completed: u32,
    pub synced: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    pub label: String,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CompletionRate {
    pub interview_title: String,
    pub invited: u32,
    pub completed: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DashboardStats {
    pub funnel: Vec<FunnelJob>,
    /// The last 14 days, oldest first.
    pub days: Vec<DayPoint>,
    pub time_to_complete: Vec<Bucket>,
    pub completion: Vec<CompletionRate>,
    pub unreviewed_age: Vec<Bucket>,
    pub willo: WilloBudget,
}

/// Willo's request budget and the checks for completions, as the dashboard shows them.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WilloBudget {
    /// Requests to Willo in the last 24 hours, and Willo Desk's daily limit (its share of the
    /// organisation's budget).
    pub last_day: u32,
    pub day_limit: u32,
    /// The day's use has reached 80% of the limit.
    pub nearing_limit: bool,
    /// Requests in the last minute, and the per-minute limit.
    pub last_minute: u32,
    pub minute_limit: u32,
    /// When every open interview was last checked for completions (Unix ms), and how long
    /// that took.
    pub last_check_at: Option<f64>,
    pub last_check_took_ms: Option<f64>,
    /// Interviews sent and not yet completed.
    pub open: u32,
    /// How many of them the check under way has looked at, if one is under way.
    pub checking: Option<u32>,
    /// How long the next full check is expected to take at the budget in force.
    pub next_check_takes_ms: f64,
}

/// The types every command, event and error carries to the UI, with what they contain, are
/// exported from here alone. Files of types no longer listed are removed, so the committed
/// bindings are exactly the API.
#[cfg(test)]
mod bindings {
    use std::path::Path;

    use ts_rs::{Config, TS};

    use super::*;
    use crate::live::{AtsCheck, Connections, WilloCheck};
    use crate::{AppError, Notice};
    use desk_engine::{
        AutomationRequest, BulkProgress, DryRun, ErasureReport, Retention, ReviewInput,
    };

    fn export<T: TS + 'static>(to: &Path) {
        let config = Config::new().with_out_dir(to);
        T::export_all(&config).unwrap_or_else(|e| panic!("{}: {e}", T::name(&config)));
    }

    #[test]
    fn export_bindings() {
        let fresh = tempfile::tempdir().unwrap();
        let to = fresh.path();
        // Answers and events.
        export::<AppInfo>(to);
        export::<Overview>(to);
        export::<DashboardStats>(to);
        export::<SyncReport>(to);
        export::<CandidatePage>(to);
        export::<TimelineStep>(to);
        export::<InterviewOption>(to);
        export::<TemplateOption>(to);
        export::<PreSendRow>(to);
        export::<BulkProgress>(to);
        export::<InboxRow>(to);
        export::<ReviewDetail>(to);
        export::<AutomationView>(to);
        export::<AutomationState>(to);
        export::<DryRun>(to);
        export::<ActivityItem>(to);
        export::<FailedWork>(to);
        export::<ExportedFile>(to);
        export::<ErasureReport>(to);
        export::<Retention>(to);
        export::<Finding>(to);
        export::<WilloCheck>(to);
        export::<AtsCheck>(to);
        export::<Notice>(to);
        export::<crate::about::About>(to);
        export::<crate::about::UpdateOffer>(to);
        export::<AppError>(to);
        // Requests.
        export::<CandidateQuery>(to);
        export::<ReviewInput>(to);
        export::<AutomationRequest>(to);
        export::<ActivityQuery>(to);
        export::<Settings>(to);
        export::<Connections>(to);
        export::<crate::background::DesktopPrefs>(to);

        let bindings = Config::from_env().out_dir().to_owned();
        std::fs::create_dir_all(&bindings).unwrap();
        for old in std::fs::read_dir(&bindings).unwrap() {
            let old = old.unwrap().path();
            if !to.join(old.file_name().unwrap()).exists() {
                std::fs::remove_file(&old).unwrap();
            }
        }
        for new in std::fs::read_dir(to).unwrap() {
            let new = new.unwrap().path();
            std::fs::copy(&new, bindings.join(new.file_name().unwrap())).unwrap();
        }
    }
}
