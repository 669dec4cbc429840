//! ATS connectors. ATS-specific names stay inside each module; what they return speaks of jobs,
//! stages, candidates and applications.

mod error;
pub mod greenhouse;
mod link;
mod records;

pub use error::AtsError;
pub use records::{Application, Candidate, Job, Stage};
