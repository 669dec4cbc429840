//! A client for Willo's Integration API v2, built on what is confirmed or observed of it (see the
//! confidence labels in our API notes) and tolerant of everything that is not:
//!
//! - the `Authorization` scheme is a setting (bare key as observed, `Bearer` as the seed guide
//!   shows, or `Token`), and [`WilloClient::detect_auth_scheme`] finds the one the server accepts;
//! - lists follow `next` until it is null, and a bare JSON array is accepted too;
//! - errors are typed, name the DRF fields that were refused, and say whether a retry can help;
//! - one pacer is shared by every call to an organisation and holds its per-second, per-minute and
//!   per-day budget; a throttle (429, or a 403 that says so) pauses every call;
//! - participants are read tolerantly (aliases, defaults) and keep their raw JSON.

mod auth;
mod client;
mod error;
pub mod hint;
mod model;
mod pacing;
mod participant;
mod retry;

pub use auth::AuthScheme;
pub use client::{is_key, ParticipantPage, WilloClient, WilloConfig};
pub use error::{ThrottleSigns, WilloError};
pub use model::{
    Category, Interview, Language, NewParticipant, Question, Template, Webhook, WebhookSpec,
};
pub use pacing::{unix_minute, Budget, Pacer, Usage};
pub use participant::{Answer, AnswerKind, Participant, ParticipantStatus, TranscriptSegment};
pub use retry::RetryPolicy;

/// Willo's production API.
pub const PRODUCTION_URL: &str = "https://api.willotalent.com/api/integrations/v2";
/// Willo's staging API.
pub const STAGING_URL: &str = "https://api.stage.willotalent.com/api/integrations/v2";
