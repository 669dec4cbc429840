//! Pure domain types shared by every crate of Willo Desk.
//!
//! Values here are parsed once at the edge (`Email::parse`, `PhoneE164::parse`, `WilloKey::parse`)
//! so the rest of the code never handles an unchecked string. Nothing in this crate does IO.

pub mod ats;
mod contact;
mod key;
mod note_policy;
mod removal;
pub mod retry_after;
mod sensitive;
mod status;
#[cfg(feature = "sqlx")]
mod status_columns;

pub use contact::{ContactError, Email, PhoneE164};
pub use key::{KeyError, WilloKey};
pub use note_policy::NotePolicy;
pub use removal::LocalRemoval;
pub use sensitive::Sensitive;
pub use status::{AtsKind, InvitationStatus, ListStatus};
