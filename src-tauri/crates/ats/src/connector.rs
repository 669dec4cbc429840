//! The one interface every ATS connector satisfies, shaped on the application (job, current
//! stage, candidate) as the unified ATS APIs are. What an ATS cannot do, its capabilities say.

use async_trait::async_trait;
use desk_domain::{AtsKind, Sensitive};
use http::HeaderMap;

use crate::{Application, ApplicationRef, AtsError, Candidate, Job, Stage};

/// What differs between ATSs; the UI and the engine read these instead of naming ATSs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// The ATS lists the applications in a stage itself (otherwise the connector filters).
    pub server_side_stage_filter: bool,
    /// Attachments can be given as a URL for the ATS to fetch (otherwise they are uploaded).
    pub attachment_by_url: bool,
    /// Notes render HTML (otherwise plain text is written).
    pub html_notes: bool,
    pub custom_fields: bool,
    /// The connector subscribes to stage changes itself ([`AtsConnector::subscribe_stage_changes`]);
    /// otherwise webhooks are set up in the ATS's settings.
    pub webhooks_by_api: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
}

/// A note for the candidate's record. `html` is used where the ATS renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNote {
    pub text: String,
    pub html: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSource {
    /// A URL the ATS fetches itself.
    Url(String),
    Bytes {
        data: Vec<u8>,
        content_type: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub filename: String,
    pub source: FileSource,
}

/// What a verified ATS webhook says: an application changed stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageChange {
    pub application_id: String,
    pub to_stage_id: Option<String>,
}

/// What became of one earlier write when the candidate's data is removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// The ATS deleted it now.
    Deleted,
    /// The ATS no longer has it (deleted earlier, by hand or by an earlier attempt).
    AlreadyGone,
    /// The ATS's API cannot delete it: a person must, in the ATS (why, in words for a recruiter).
    ByHand { why: String },
}

#[async_trait]
pub trait AtsConnector: Send + Sync {
    fn kind(&self) -> AtsKind;
    fn capabilities(&self) -> Capabilities;

    /// The ATS's users, to choose whom writes are attributed to. Also the cheap credentials check.
    async fn users(&self) -> Result<Vec<User>, AtsError>;
    async fn jobs(&self) -> Result<Vec<Job>, AtsError>;
    async fn stages(&self, jobs: &[Job]) -> Result<Vec<Stage>, AtsError>;
    /// Active applications of `jobs`, only those in `stages` if given.
    async fn applications(
        &self,
        jobs: &[Job],
        stages: Option<&[String]>,
    ) -> Result<Vec<Application>, AtsError>;
    /// The candidates behind `applications` (name, emails, phones).
    async fn candidates(&self, applications: &[Application]) -> Result<Vec<Candidate>, AtsError>;

    async fn move_application(
        &self,
        application: ApplicationRef<'_>,
        to_stage: &str,
    ) -> Result<(), AtsError>;
    /// Adds a note; returns the ATS's id of it.
    async fn add_note(
        &self,
        application: ApplicationRef<'_>,
        note: &NewNote,
    ) -> Result<String, AtsError>;
    /// The id of a note on the application's record that contains `marker`, if one exists:
    /// how a write whose outcome was lost is checked before it is tried again.
    async fn find_note(
        &self,
        application: ApplicationRef<'_>,
        marker: &str,
    ) -> Result<Option<String>, AtsError>;
    async fn add_attachment(
        &self,
        application: ApplicationRef<'_>,
        file: &NewAttachment,
    ) -> Result<String, AtsError>;
    /// The id of an attachment (or uploaded file) on the application with this file name, if one
    /// exists: the check before an attachment whose outcome was lost is tried again.
    async fn find_attachment(
        &self,
        application: ApplicationRef<'_>,
        filename: &str,
    ) -> Result<Option<String>, AtsError>;
    async fn set_field(
        &self,
        application: ApplicationRef<'_>,
        field: &str,
        value: &str,
    ) -> Result<(), AtsError>;

    /// Deletes a note this app wrote (its id as `add_note` returned it).
    async fn remove_note(
        &self,
        application: ApplicationRef<'_>,
        note_id: &str,
    ) -> Result<Removal, AtsError>;
    /// Deletes an attachment or file this app uploaded (its id as `add_attachment` returned it).
    async fn remove_attachment(
        &self,
        application: ApplicationRef<'_>,
        attachment_id: &str,
    ) -> Result<Removal, AtsError>;
    /// Where a person finds this candidate in the ATS's own web app, for what must be done by hand.
    fn record_url(&self, application: ApplicationRef<'_>) -> Option<String>;

    /// Subscribes `target` to the ATS's stage-change webhooks, where the connector can
    /// (`webhooks_by_api`), and removes subscriptions of other targets that start with
    /// `replacing` (the same receiver's earlier tokens). Subscribing again to a target already
    /// subscribed is not an error.
    async fn subscribe_stage_changes(
        &self,
        _target: &str,
        _replacing: &str,
    ) -> Result<(), AtsError> {
        Err(AtsError::Unsupported(
            "subscribe to webhooks through its API: set them up in the ATS's settings",
        ))
    }

    /// The secret the ATS signs its webhooks with, when the connection itself is that secret
    /// (Workable signs with the account token); `None` when it is set up apart.
    fn webhook_secret(&self) -> Option<Sensitive<String>> {
        None
    }

    /// Verifies a webhook delivery with the ATS's own scheme and reads it. `Ok(None)`: verified,
    /// but not a stage change.
    fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        secret: &str,
    ) -> Result<Option<StageChange>, AtsError>;
}
