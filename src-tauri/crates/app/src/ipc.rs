//! Request and response types of the Tauri commands, exported to `ui/src/ipc/bindings/` by
//! `cargo test` (ts-rs). The committed bindings are checked for drift in CI.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Mode {
    /// Simulated Willo and ATS on this machine, with demo data.
    Sandbox,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppInfo {
    pub version: String,
    pub mode: Mode,
    pub data_dir: String,
    /// Where the simulators listen, in sandbox mode.
    pub sandbox_origin: Option<String>,
    /// Which ATS the app reads, e.g. "Greenhouse (sandbox)".
    pub ats_label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct StageOverview {
    pub name: String,
    pub applications: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
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
#[ts(export)]
pub struct Overview {
    pub jobs: Vec<JobOverview>,
    pub candidates: u32,
    pub applications: u32,
    /// Unix milliseconds of the last successful ATS sync; `None` before the first one.
    pub last_sync_at: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SyncReport {
    pub jobs: u32,
    pub candidates: u32,
    pub applications: u32,
    /// Applications that arrived in a stage since the previous sync.
    pub stage_changes: u32,
    pub took_ms: u32,
}
