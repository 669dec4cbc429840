//! Turning engine events into what a desktop notification says.

use desk_engine::EngineEvent;
use desk_store::Store;

use crate::AppError;

/// A desktop notification: what happened, and which invitation a click should open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
    pub invitation_id: i64,
}

/// The notice for an event, or `None` for events that do not warrant interrupting anyone.
pub async fn notice_for(store: &Store, event: &EngineEvent) -> Result<Option<Notice>, AppError> {
    let (invitation_id, title, what) = match event {
        EngineEvent::InterviewCompleted { invitation_id, .. } => {
            (*invitation_id, "Interview completed", "completed")
        }
        EngineEvent::InvitationFailed { invitation_id, .. } => (
            *invitation_id,
            "An invitation could not be sent",
            "could not be invited to",
        ),
        EngineEvent::InvitationSent { .. } | EngineEvent::InvitationProgressed { .. } => {
            return Ok(None)
        }
    };
    let subject = store.invitation_subject(invitation_id).await?;
    let name = format!("{} {}", subject.first_name, subject.last_name)
        .trim()
        .to_owned();
    let body = format!(
        "{name} {what} “{}” ({}).",
        subject.interview_title, subject.job_title
    );
    Ok(Some(Notice {
        title: title.to_owned(),
        body,
        invitation_id,
    }))
}
