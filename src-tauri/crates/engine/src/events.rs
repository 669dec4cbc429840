//! What the engine tells the outside (the desktop shell turns these into UI events and desktop
//! notifications). Events carry ids, never candidate data: the receiver looks up what it shows.

use desk_domain::InvitationStatus;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EngineEvent {
    InvitationSent {
        invitation_id: i64,
    },
    InvitationFailed {
        invitation_id: i64,
        error: String,
    },
    /// The candidate opened or started the interview.
    InvitationProgressed {
        invitation_id: i64,
        status: InvitationStatus,
    },
    InterviewCompleted {
        invitation_id: i64,
        participant_key: String,
    },
    /// Every result of the interview is written to the ATS (the invitation is synced).
    WrittenBack {
        invitation_id: i64,
    },
    /// Writing an interview's results to the ATS failed for good; it waits for a retry.
    WritebackFailed {
        invitation_id: i64,
        outbox_id: i64,
        error: String,
    },
    /// Willo or the ATS (`service`: "willo" or "ats") stopped answering or refused our credentials.
    ConnectionLost {
        service: String,
        error: String,
    },
    ConnectionRestored {
        service: String,
    },
    /// A candidate's interview data was deleted at their request (see the erasure's report).
    Erased {
        erasure_id: i64,
        application_id: i64,
    },
    /// Something changed in the database that this process did not do (another process runs
    /// the engine): the window re-reads.
    Changed,
}

pub trait EventSink: Send + Sync {
    fn emit(&self, event: EngineEvent);
}

/// Sends events down a channel (tests read them; the shell forwards them).
#[derive(Debug, Clone)]
pub struct ChannelSink(pub tokio::sync::mpsc::UnboundedSender<EngineEvent>);

impl EventSink for ChannelSink {
    fn emit(&self, event: EngineEvent) {
        // A closed receiver means nobody listens any more; the event is not needed.
        let _ = self.0.send(event);
    }
}
