//! The engine of Willo Desk: deciding and doing, kept apart.
//!
//! - [`checks`] decides, without IO, whether an invitation may go out;
//! - [`Engine::queue_invite`] records an invitation and its outbox item in one transaction;
//! - [`Engine::run_outbox_once`] sends what is due, never re-posting an uncertain invite blind;
//! - [`receiver`] takes Willo's webhook deliveries into the inbox and acknowledges them at once;
//! - [`Engine::process_inbox_once`] treats each delivery as a hint and reconciles the participant;
//! - [`Engine::catch_up`] sweeps the open invitations within Willo's request budget, so nothing
//!   is missed while the webhook was unreachable or the laptop closed.

pub mod ats_sync;
mod automations;
mod bulk;
mod catch_up;
pub mod checks;
mod clock;
mod engine;
mod erasure;
mod error;
mod events;
mod health;
mod inbox;
mod invites;
pub mod note;
pub mod receiver;
mod reconcile;
mod registration;
mod retention;
mod review;
mod schedule;
mod triggers;
mod usage;
mod worker;
mod writeback;

pub use automations::{
    AutomationRequest, DryRun, DryRunOutcome, DryRunRow, InterviewChoice, InterviewRule, RuleField,
};
pub use bulk::{BulkProgress, PreSend};
pub use catch_up::{CatchUpReport, SweepGap, SweepRecord, SweepStatus};
pub use clock::{Clock, SystemClock};
pub use engine::{Engine, EngineConfig};
pub use erasure::{ErasureOutcome, ErasurePlace, ErasureReport, ErasureStep};
pub use error::EngineError;
pub use events::{ChannelSink, EngineEvent, EventSink};
pub use health::Service;
pub use invites::{InviteOutcome, Queued};
pub use reconcile::Reconciled;
pub use registration::{RegisteredWebhook, WEBHOOK_EVENTS};
pub use retention::{Retention, MOST_RETENTION_DAYS};
pub use review::ReviewInput;
pub use schedule::{Background, Schedule};
pub use triggers::TriggerReport;
pub use worker::OutboxReport;
