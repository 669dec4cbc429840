//! ATS connectors: Greenhouse, Lever, Ashby and Workable. ATS-specific names stay inside each
//! module; what they return speaks of jobs, stages, candidates and applications, behind one trait.

pub mod ashby;
mod connector;
mod error;
pub mod greenhouse;
mod http;
pub mod lever;
mod link;
mod marker;
pub mod workable;

pub use connector::{
    AtsConnector, Capabilities, FileSource, NewAttachment, NewNote, Removal, StageChange, User,
};
pub use desk_domain::ats::{Application, ApplicationRef, Candidate, Job, Stage};
pub use error::AtsError;
pub use marker::holds_marker;
