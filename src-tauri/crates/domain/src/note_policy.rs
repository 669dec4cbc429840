//! What a note written to the ATS carries.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Per automation: the whole results, or only what an ATS that keeps notes forever should hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NotePolicy {
    /// Score, summary, every answer with its transcript (and the transcripts file where long).
    #[default]
    Everything,
    /// Score, summary and links to the answers in Willo: no transcript or answer text.
    SummaryAndLinks,
}

impl NotePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Everything => "everything",
            Self::SummaryAndLinks => "summary_and_links",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Everything, Self::SummaryAndLinks]
            .into_iter()
            .find(|p| p.as_str() == value)
    }
}
