//! What an ATS holds, in the ATS-neutral shape the rest of the app uses: connectors read these
//! and the store keeps them as they are, so neither copies the other's types field by field.
//! Ids are the ATS's own, as strings (Greenhouse integers, Lever UUIDs); `raw` keeps the whole
//! record.

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub title: String,
    pub department: Option<String>,
    pub location: Option<String>,
    pub status: String,
    pub raw: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub id: String,
    /// `None` where stages are account-wide.
    pub job_id: Option<String>,
    pub name: String,
    pub position: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub raw: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    pub id: String,
    pub candidate_id: String,
    pub job_id: String,
    pub stage_id: Option<String>,
    pub status: String,
    pub raw: serde_json::Value,
}

impl Application {
    /// What a write to this application addresses it by.
    pub fn reference(&self) -> ApplicationRef<'_> {
        ApplicationRef {
            id: &self.id,
            candidate_id: &self.candidate_id,
            stage_id: self.stage_id.as_deref(),
        }
    }
}

/// The application a write goes to, as the ATS knows it: all a connector needs to write a note,
/// a file or a field, or to move it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplicationRef<'a> {
    pub id: &'a str,
    /// Some ATSs keep notes on the candidate (Greenhouse).
    pub candidate_id: &'a str,
    /// Its stage now: some ATSs ask where a move starts from (Greenhouse).
    pub stage_id: Option<&'a str>,
}
