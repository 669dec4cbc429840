//! The checks an invitation passes before anything is sent. Pure: facts in, a decision out.

use std::fmt;

use desk_domain::{ContactError, Email, InvitationStatus, PhoneE164};

/// What is known about the candidate behind an application.
#[derive(Debug, Clone, Copy)]
pub struct CandidateFacts<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
}

/// An existing invitation to the same interview that stands in the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    /// True when it is for the same application; false when another application shares the email.
    pub same_application: bool,
    /// Where it stands; `None` for one earlier in the same selection, not queued yet.
    pub status: Option<InvitationStatus>,
}

/// Why an invitation may not go out. Each says what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NoName,
    NoEmail,
    InvalidEmail(ContactError),
    InvalidPhone(ContactError),
    InterviewNotVisible,
    AlreadyInvited {
        status: String,
    },
    EmailAlreadyInvited {
        status: String,
    },
    /// Their interview data was deleted (at their request, or after the retention period).
    DataDeleted,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoName => f.write_str("The candidate has no name: add one in the ATS."),
            Self::NoEmail => f.write_str("The candidate has no email address: add one in the ATS."),
            Self::InvalidEmail(e) => write!(f, "The email address cannot be used ({e}): correct it in the ATS."),
            Self::InvalidPhone(ContactError::InvalidInternationalPhone(why)) => write!(
                f,
                "The phone number cannot be used ({why}): correct it in the ATS."
            ),
            Self::InvalidPhone(e) => write!(
                f,
                "The phone number cannot be used ({e}): correct it in the ATS with its country code (e.g. +44 20 7946 0958), or set the default phone region in Settings."
            ),
            Self::InterviewNotVisible => f.write_str(
                "This Willo API key cannot see the interview: check the interview chosen for the job, or use a key of the interview's owner or an admin.",
            ),
            Self::AlreadyInvited { status } => write!(f, "Already invited to this interview (status: {status}); it will not be sent twice."),
            Self::DataDeleted => f.write_str("This candidate's interview data was deleted: Willo Desk does not invite them again."),
            Self::EmailAlreadyInvited { status } => write!(
                f,
                "Someone with the same email address (another application) is already invited to this interview (status: {status})."
            ),
        }
    }
}

/// What passes the checks: exactly what will be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedInvite {
    pub name: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Email,
    pub phone: Option<PhoneE164>,
    /// The country the phone was read in when it had no country code (the default region).
    pub phone_assumed_region: Option<String>,
}

/// Runs every check and returns every refusal, so the recruiter fixes everything at once.
/// A missing phone is fine (the invite goes by email); a phone that cannot become E.164 is not.
pub fn check(
    candidate: CandidateFacts<'_>,
    default_region: Option<&str>,
    existing: &[Existing],
) -> Result<CheckedInvite, Vec<Refusal>> {
    let mut refusals = Vec::new();
    let first_name = candidate.first_name.trim();
    let last_name = candidate.last_name.trim();
    let name = [first_name, last_name]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() {
        refusals.push(Refusal::NoName);
    }
    let email = match candidate.email.map(str::trim).filter(|e| !e.is_empty()) {
        None => {
            refusals.push(Refusal::NoEmail);
            None
        }
        Some(raw) => Email::parse(raw)
            .map_err(|e| refusals.push(Refusal::InvalidEmail(e)))
            .ok(),
    };
    let (phone, phone_assumed_region) =
        match candidate.phone.map(str::trim).filter(|p| !p.is_empty()) {
            None => (None, None),
            Some(raw) => match PhoneE164::parse_noting_region(raw, default_region) {
                Ok((phone, assumed)) => (Some(phone), assumed),
                Err(e) => {
                    refusals.push(Refusal::InvalidPhone(e));
                    (None, None)
                }
            },
        };
    for e in existing {
        refusals.push(
            if e.same_application && e.status == Some(InvitationStatus::Erased) {
                Refusal::DataDeleted
            } else if e.same_application {
                Refusal::AlreadyInvited {
                    status: e
                        .status
                        .map_or_else(|| "in this selection".to_owned(), |s| s.to_string()),
                }
            } else {
                Refusal::EmailAlreadyInvited {
                    status: e
                        .status
                        .map_or_else(|| "in this selection".to_owned(), |s| s.to_string()),
                }
            },
        );
    }
    match email {
        Some(email) if refusals.is_empty() => Ok(CheckedInvite {
            name,
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            email,
            phone,
            phone_assumed_region,
        }),
        _ => Err(refusals),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(email: Option<&'a str>, phone: Option<&'a str>) -> CandidateFacts<'a> {
        CandidateFacts {
            first_name: "Zoë",
            last_name: "Müller",
            email,
            phone,
        }
    }

    #[test]
    fn a_clean_candidate_passes_with_an_e164_phone() {
        let ok = check(
            facts(Some("zoe@example.de"), Some("01512 3456789")),
            Some("DE"),
            &[],
        )
        .unwrap();
        assert_eq!(ok.name, "Zoë Müller");
        assert_eq!(ok.phone.unwrap().as_str(), "+4915123456789");
    }

    #[test]
    fn no_phone_is_fine() {
        assert!(check(facts(Some("zoe@example.de"), None), None, &[])
            .unwrap()
            .phone
            .is_none());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let refusals = check(
            CandidateFacts {
                first_name: " ",
                last_name: "",
                email: Some("not-an-email"),
                phone: Some("12345"),
            },
            Some("GB"),
            &[],
        )
        .unwrap_err();
        assert_eq!(refusals.len(), 3, "{refusals:?}");
        assert!(matches!(refusals[0], Refusal::NoName));
        assert!(matches!(refusals[1], Refusal::InvalidEmail(_)));
        assert!(matches!(refusals[2], Refusal::InvalidPhone(_)));
    }

    #[test]
    fn an_earlier_invitation_blocks_a_second() {
        let same = check(
            facts(Some("a@b.co"), None),
            None,
            &[Existing {
                same_application: true,
                status: Some(InvitationStatus::Invited),
            }],
        )
        .unwrap_err();
        assert_eq!(
            same,
            [Refusal::AlreadyInvited {
                status: "invited".into()
            }]
        );
        let other = check(
            facts(Some("a@b.co"), None),
            None,
            &[Existing {
                same_application: false,
                status: Some(InvitationStatus::Completed),
            }],
        )
        .unwrap_err();
        assert!(other[0].to_string().contains("same email"));
    }

    #[test]
    fn refusals_say_what_to_fix_without_repeating_the_data() {
        let refusals = check(
            facts(Some("zoe@example.de"), Some("call me maybe")),
            Some("DE"),
            &[],
        )
        .unwrap_err();
        let message = refusals[0].to_string();
        assert!(
            message.contains("country code") && !message.contains("call me maybe"),
            "{message}"
        );
        assert!(check(facts(None, None), None, &[]).unwrap_err()[0]
            .to_string()
            .contains("no email"));
    }
}
