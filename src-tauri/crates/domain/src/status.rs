//! Where an invitation stands, and which ATS a connection talks to.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The life of one invitation (ATS application ↔ Willo interview), as the recruiter sees it.
/// Stored as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    /// Checks refused it (invalid phone, no email, already invited, ...).
    Refused,
    /// Written to the outbox, not yet accepted by Willo.
    Queued,
    Invited,
    Opened,
    Started,
    Completed,
    Reviewed,
    /// The results are written back to the ATS.
    Synced,
    /// A side effect keeps failing; the outbox holds the error.
    Failed,
    /// Its interview data was deleted (at the candidate's request, or after the retention
    /// period): it stays so that nothing invites the candidate again.
    Erased,
}

impl InvitationStatus {
    pub const ALL: [Self; 10] = [
        Self::Refused,
        Self::Queued,
        Self::Invited,
        Self::Opened,
        Self::Started,
        Self::Completed,
        Self::Reviewed,
        Self::Synced,
        Self::Failed,
        Self::Erased,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refused => "refused",
            Self::Queued => "queued",
            Self::Invited => "invited",
            Self::Opened => "opened",
            Self::Started => "started",
            Self::Completed => "completed",
            Self::Reviewed => "reviewed",
            Self::Synced => "synced",
            Self::Failed => "failed",
            Self::Erased => "erased",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Still waiting on the candidate: the catch-up reconcile looks at these.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Invited | Self::Opened | Self::Started)
    }

    /// Whether `next` is further along the journey (queued, invited, opened, started,
    /// completed, reviewed, synced) than this: a status never moves backwards. Refused, failed
    /// and erased are not steps of the journey.
    pub fn advances_to(self, next: Self) -> bool {
        const JOURNEY: [InvitationStatus; 7] = [
            InvitationStatus::Queued,
            InvitationStatus::Invited,
            InvitationStatus::Opened,
            InvitationStatus::Started,
            InvitationStatus::Completed,
            InvitationStatus::Reviewed,
            InvitationStatus::Synced,
        ];
        let step = |s: Self| JOURNEY.iter().position(|j| *j == s);
        matches!((step(self), step(next)), (Some(from), Some(to)) if to > from)
    }
}

impl std::fmt::Display for InvitationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An application's place in the candidate list: never sent an interview, or where its latest
/// invitation stands. Stored as `not_sent` or the invitation status's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ListStatus {
    NotSent,
    #[serde(untagged)]
    Invitation(InvitationStatus),
}

impl ListStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotSent => "not_sent",
            Self::Invitation(status) => status.as_str(),
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "not_sent" => Some(Self::NotSent),
            other => InvitationStatus::parse(other).map(Self::Invitation),
        }
    }
}

/// Read by name, with an error that names the field and what it may be (not the value given,
/// which no recruiter typed).
impl<'de> Deserialize<'de> for ListStatus {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::parse(&name).ok_or_else(|| {
            let names: Vec<&str> = std::iter::once(Self::NotSent)
                .chain(InvitationStatus::ALL.map(Self::Invitation))
                .map(Self::as_str)
                .collect();
            serde::de::Error::custom(format!("status: not one of {}", names.join(", ")))
        })
    }
}

/// The applicant tracking systems Willo Desk connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AtsKind {
    Greenhouse,
    Lever,
    Ashby,
    Workable,
}

impl AtsKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Greenhouse => "greenhouse",
            Self::Lever => "lever",
            Self::Ashby => "ashby",
            Self::Workable => "workable",
        }
    }

    /// The ATS's name as people write it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Greenhouse => "Greenhouse",
            Self::Lever => "Lever",
            Self::Ashby => "Ashby",
            Self::Workable => "Workable",
        }
    }

    pub const ALL: [Self; 4] = [Self::Greenhouse, Self::Lever, Self::Ashby, Self::Workable];

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_only_move_forward() {
        assert!(InvitationStatus::Invited.advances_to(InvitationStatus::Completed));
        assert!(!InvitationStatus::Completed.advances_to(InvitationStatus::Invited));
        assert!(!InvitationStatus::Completed.advances_to(InvitationStatus::Completed));
        assert!(
            !InvitationStatus::Refused.advances_to(InvitationStatus::Queued)
                && !InvitationStatus::Queued.advances_to(InvitationStatus::Failed),
            "refused and failed are not steps of the journey"
        );
    }

    #[test]
    fn every_status_round_trips_through_its_name() {
        for status in InvitationStatus::ALL {
            assert_eq!(InvitationStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(
                json,
                format!("\"{}\"", status.as_str()),
                "serde and as_str must agree"
            );
        }
    }

    #[test]
    fn list_statuses_round_trip_and_read_as_the_invitations_own() {
        let not_sent = ListStatus::NotSent;
        assert_eq!(serde_json::to_string(&not_sent).unwrap(), "\"not_sent\"");
        for status in InvitationStatus::ALL {
            let listed = ListStatus::Invitation(status);
            let json = serde_json::to_string(&listed).unwrap();
            assert_eq!(json, format!("\"{status}\""), "no wrapper around it");
            assert_eq!(serde_json::from_str::<ListStatus>(&json).unwrap(), listed);
            assert_eq!(ListStatus::parse(listed.as_str()), Some(listed));
        }
        assert_eq!(
            serde_json::from_str::<ListStatus>("\"not_sent\"").unwrap(),
            not_sent
        );
        let refused = serde_json::from_str::<ListStatus>("\"lost\"")
            .unwrap_err()
            .to_string();
        assert!(
            refused.starts_with("status: not one of not_sent, refused, queued")
                && !refused.contains("lost"),
            "names the field and the choices, not the value: {refused}"
        );
        assert_eq!(ListStatus::parse("lost"), None);
    }

    #[test]
    fn only_waiting_statuses_are_open() {
        let open: Vec<_> = InvitationStatus::ALL
            .into_iter()
            .filter(|s| s.is_open())
            .collect();
        assert_eq!(
            open,
            [
                InvitationStatus::Invited,
                InvitationStatus::Opened,
                InvitationStatus::Started
            ]
        );
    }

    #[test]
    fn ats_kinds_round_trip() {
        for kind in AtsKind::ALL {
            assert_eq!(AtsKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str()),
                "serde and as_str must agree"
            );
        }
        assert_eq!(AtsKind::parse("workday"), None);
    }
}
