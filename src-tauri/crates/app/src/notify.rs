//! Turning engine events into desktop notifications: which events are worth one, what it says,
//! what a click opens, the recruiter's per-kind switches, and grouping completions that arrive
//! together into one notification.

use std::time::Duration;

use desk_engine::EngineEvent;
use desk_store::Store;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use ts_rs::TS;

use crate::AppError;

/// The settings key of [`NotificationSettings`].
pub const SETTINGS_KEY: &str = "notifications";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Completed,
    InviteFailed,
    WritebackFailed,
    ConnectionLost,
}

/// Which kinds of notification the recruiter wants. All on until switched off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct NotificationSettings {
    pub completed: bool,
    pub invite_failed: bool,
    pub writeback_failed: bool,
    pub connection_lost: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            completed: true,
            invite_failed: true,
            writeback_failed: true,
            connection_lost: true,
        }
    }
}

impl NotificationSettings {
    pub fn allows(self, kind: NoticeKind) -> bool {
        match kind {
            NoticeKind::Completed => self.completed,
            NoticeKind::InviteFailed => self.invite_failed,
            NoticeKind::WritebackFailed => self.writeback_failed,
            NoticeKind::ConnectionLost => self.connection_lost,
        }
    }
}

/// Where a click on a notification takes the recruiter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "screen", rename_all = "snake_case")]
pub enum NoticeTarget {
    /// The review of this invitation.
    Review {
        #[serde(rename = "invitationId")]
        #[ts(type = "number")]
        invitation_id: i64,
    },
    /// The timeline of this application, in the candidate list (a `willo-desk://candidate/`
    /// link); the name titles it.
    Candidate {
        #[serde(rename = "applicationId")]
        #[ts(type = "number")]
        application_id: i64,
        name: String,
    },
    /// The inbox (several completions at once).
    Inbox,
    /// The activity log's failed items.
    Activity,
    /// The connections in Settings.
    Settings,
}

/// A desktop notification: what happened, and what a click opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub kind: NoticeKind,
    pub title: String,
    pub body: String,
    pub target: NoticeTarget,
}

fn service_label(service: &str) -> &'static str {
    if service == "willo" {
        "Willo"
    } else {
        "the ATS"
    }
}

async fn subject_line(store: &Store, invitation_id: i64) -> Result<(String, String), AppError> {
    let subject = store.invitation_subject(invitation_id).await?;
    let name = format!("{} {}", subject.first_name, subject.last_name)
        .trim()
        .to_owned();
    let what = format!("“{}” ({})", subject.interview_title, subject.job_title);
    Ok((name, what))
}

/// The notice for one event, or `None` for events that do not warrant interrupting anyone.
pub async fn notice_for(store: &Store, event: &EngineEvent) -> Result<Option<Notice>, AppError> {
    let notice = match event {
        EngineEvent::InterviewCompleted { invitation_id, .. } => {
            let (name, what) = subject_line(store, *invitation_id).await?;
            Notice {
                kind: NoticeKind::Completed,
                title: "Interview completed".into(),
                body: format!("{name} completed {what}."),
                target: NoticeTarget::Review {
                    invitation_id: *invitation_id,
                },
            }
        }
        EngineEvent::InvitationFailed { invitation_id, .. } => {
            let (name, what) = subject_line(store, *invitation_id).await?;
            Notice {
                kind: NoticeKind::InviteFailed,
                title: "An invitation could not be sent".into(),
                body: format!("{name} could not be invited to {what}. The activity log says why."),
                target: NoticeTarget::Activity,
            }
        }
        EngineEvent::WritebackFailed { invitation_id, .. } => {
            let (name, what) = subject_line(store, *invitation_id).await?;
            Notice {
                kind: NoticeKind::WritebackFailed,
                title: "Results could not be written to the ATS".into(),
                body: format!("{name}'s results for {what} keep failing. Retry from the activity log."),
                target: NoticeTarget::Activity,
            }
        }
        EngineEvent::ConnectionLost { service, .. } => Notice {
            kind: NoticeKind::ConnectionLost,
            title: format!("Lost the connection to {}", service_label(service)),
            body: "Nothing is lost: work waits and resumes when it is back. Check the connection in Settings.".into(),
            target: NoticeTarget::Settings,
        },
        EngineEvent::InvitationSent { .. }
        | EngineEvent::InvitationProgressed { .. }
        | EngineEvent::WrittenBack { .. }
        | EngineEvent::ConnectionRestored { .. }
        | EngineEvent::Erased { .. }
        | EngineEvent::Changed => return Ok(None),
    };
    Ok(Some(notice))
}

/// One notification for completions that arrive together: the names of the first few.
fn grouped(completions: &[Notice], names: &[String]) -> Notice {
    if let [one] = completions {
        return one.clone();
    }
    let shown: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
    let more = names.len().saturating_sub(shown.len());
    let body = if more > 0 {
        format!(
            "{} and {more} more are waiting for review.",
            shown.join(", ")
        )
    } else {
        format!("{} are waiting for review.", shown.join(", "))
    };
    Notice {
        kind: NoticeKind::Completed,
        title: format!("{} interviews completed", completions.len()),
        body,
        target: NoticeTarget::Inbox,
    }
}

/// Reads engine events and sends the notices the recruiter wants to `out`. Completions that
/// arrive within `window` of the first are grouped into one. Runs until `events` closes.
pub async fn forward(
    store: Store,
    mut events: mpsc::UnboundedReceiver<EngineEvent>,
    window: Duration,
    out: mpsc::UnboundedSender<Notice>,
) {
    let mut held: Option<EngineEvent> = None;
    loop {
        let event = match held.take() {
            Some(event) => event,
            None => match events.recv().await {
                Some(event) => event,
                None => return,
            },
        };
        let settings: NotificationSettings = store
            .setting(SETTINGS_KEY)
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        let notice = match notice_for(&store, &event).await {
            Ok(Some(notice)) if settings.allows(notice.kind) => notice,
            Ok(_) => continue,
            Err(error) => {
                tracing::warn!(%error, "could not describe an engine event");
                continue;
            }
        };
        if notice.kind != NoticeKind::Completed {
            let _ = out.send(notice);
            continue;
        }
        let mut completions = vec![notice];
        let mut names = Vec::new();
        if let EngineEvent::InterviewCompleted { invitation_id, .. } = event {
            names.extend(
                subject_line(&store, invitation_id)
                    .await
                    .ok()
                    .map(|(n, _)| n),
            );
        }
        let deadline = tokio::time::Instant::now() + window;
        while let Ok(Some(next)) = tokio::time::timeout_at(deadline, events.recv()).await {
            if let EngineEvent::InterviewCompleted { invitation_id, .. } = next {
                if let Ok(Some(more)) = notice_for(&store, &next).await {
                    completions.push(more);
                    names.extend(
                        subject_line(&store, invitation_id)
                            .await
                            .ok()
                            .map(|(n, _)| n),
                    );
                }
            } else {
                // Anything else goes out after the group, in order.
                held = Some(next);
                break;
            }
        }
        let _ = out.send(grouped(&completions, &names));
    }
}
