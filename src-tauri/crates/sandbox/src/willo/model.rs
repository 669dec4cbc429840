//! The resources the simulated Willo serves, in the JSON shape it serves them.
//!
//! Field names follow `willo-api.md` where it has them (`key`, `title`, `questions`, `interview`,
//! `name`, `email`, `phone`, `stage`, `responses`, webhook fields as observed). Where Willo's real
//! names are unknown (question text, answer fields, status, summary, score, timestamps) the names
//! below are this sandbox's own choice, not Willo's documented behaviour.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone)]
pub struct User {
    pub key: String,
    pub api_key: String,
    pub name: String,
    /// Willo roles are Owner, Admin and Standard; a standard user's key sees only their own interviews.
    pub role: Role,
    /// The organisation the user belongs to: the request budget is the organisation's, shared by
    /// all its keys.
    pub organisation: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Standard,
}

#[derive(Debug, Clone, Serialize)]
pub struct Question {
    pub key: String,
    pub order: u32,
    /// video | audio | text | multiple_choice
    #[serde(rename = "type")]
    pub kind: String,
    pub prompt: String,
    /// Seconds allowed for a video or audio answer.
    pub max_duration: Option<u32>,
    pub thinking_time: Option<u32>,
    pub max_retakes: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Interview {
    pub key: String,
    pub title: String,
    pub description: String,
    pub department: String,
    pub language: String,
    pub questions: Vec<Question>,
    pub created: DateTime<Utc>,
    #[serde(skip)]
    pub owner: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Category {
    pub key: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Template {
    pub key: String,
    pub name: String,
    pub category: String,
    pub description: String,
    pub language: String,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Language {
    pub code: String,
    pub name: String,
}

/// Where the simulated candidate is. Willo's API statuses are unknown; the UI tracks these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantStatus {
    Invited,
    Opened,
    Started,
    Completed,
}

impl ParticipantStatus {
    pub fn next(self) -> Option<Self> {
        match self {
            Self::Invited => Some(Self::Opened),
            Self::Opened => Some(Self::Started),
            Self::Started => Some(Self::Completed),
            Self::Completed => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TranscriptSegment {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Response {
    pub key: String,
    /// The question's key.
    pub question: String,
    pub question_text: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub media_url: Option<String>,
    pub text: Option<String>,
    pub choice: Option<String>,
    pub transcript: Option<String>,
    pub transcript_segments: Vec<TranscriptSegment>,
    pub duration: Option<f64>,
    pub score: Option<u8>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Participant {
    pub key: String,
    pub interview: String,
    pub name: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub stage: Option<String>,
    pub status: ParticipantStatus,
    pub invite_url: String,
    pub share_url: String,
    pub created: DateTime<Utc>,
    pub opened_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub responses: Vec<Response>,
    pub summary: Option<String>,
    pub score: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Webhook {
    pub key: String,
    pub url: String,
    pub event: String,
    pub interviews: Vec<String>,
    pub follow_all_interviews: bool,
    pub departments: Vec<String>,
    pub users: Vec<String>,
    pub payload_configuration: serde_json::Value,
    pub api_version: String,
    pub status: String,
    #[serde(skip)]
    pub owner: String,
}

/// One attempt series to deliver an event to a webhook URL, kept for tests to read back.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub id: u64,
    pub webhook: String,
    pub event: String,
    pub url: String,
    pub participant: String,
    pub attempts: u32,
    pub last_status: Option<u16>,
    pub delivered: bool,
    pub gave_up: bool,
}

pub const EVENTS: [&str; 4] = ["new_response", "stage_change", "new_comment", "new_score"];
