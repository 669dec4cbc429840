//! What deleting a candidate's data removed here (the store counts it; reports show it).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What a purge of interview data removed from this database and the exports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LocalRemoval {
    /// The database's journal was emptied afterwards, so no old page of the data is left in it.
    pub journal_emptied: bool,
    #[ts(type = "number")]
    pub invitations: i64,
    #[ts(type = "number")]
    pub participants: i64,
    #[ts(type = "number")]
    pub answers: i64,
    #[ts(type = "number")]
    pub reviews: i64,
    #[ts(type = "number")]
    pub queued_items: i64,
    #[ts(type = "number")]
    pub webhook_deliveries: i64,
    #[ts(type = "number")]
    pub activity: i64,
    #[ts(type = "number")]
    pub export_files: i64,
}
