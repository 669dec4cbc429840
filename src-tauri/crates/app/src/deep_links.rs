//! `willo-desk://` links, which open the app at one place: `willo-desk://review/<participant>`
//! (the review of the interview Willo knows by that participant key),
//! `willo-desk://candidate/<application>` (the timeline of the application the connected ATS
//! knows by that id), and `willo-desk://inbox`, `…/activity` and `…/settings`. A notification's
//! click opens its link too ([`App::link_to`]), so it takes the same way into the app. Both ids are the services' own, so a link means the same person after the
//! local data is cleared and read again, and names nobody in a database of other accounts. A link
//! that names nothing held here is refused, naming why, so a stale or mistyped link never opens
//! an empty screen.

use crate::notify::NoticeTarget;
use crate::{App, AppError, ErrorCode};

/// The scheme the desktop registers (without `://`).
pub const SCHEME: &str = "willo-desk";

/// The place a link names, before it is checked against what is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A Willo participant key.
    Review(String),
    /// An application id in the connected ATS.
    Candidate(String),
    /// A screen that needs no id: the inbox, the activity log, Settings.
    Screen(NoticeTarget),
}

/// Reads a link, or says what is wrong with it.
pub fn parse(link: &str) -> Result<Place, AppError> {
    let refuse = |why: &str| {
        AppError::new(
            ErrorCode::Validation,
            format!("Willo Desk link: {why} (links are willo-desk://review/<Willo participant>, willo-desk://candidate/<ATS application>, willo-desk://inbox, willo-desk://activity or willo-desk://settings)"),
        )
    };
    if link.len() > 256 {
        return Err(refuse("longer than 256 characters"));
    }
    let url = url::Url::parse(link.trim()).map_err(|_| refuse("not a link"))?;
    if url.scheme() != SCHEME {
        return Err(refuse(&format!("{}: is not {SCHEME}:", url.scheme())));
    }
    // `willo-desk://review/abc123`: the place is the host, the id the path. Ids are the
    // services' own: letters, digits, `-` and `_`.
    let place = url.host_str().unwrap_or_default();
    let id = url.path().trim_matches('/');
    let screen = match place {
        "inbox" => Some(NoticeTarget::Inbox),
        "activity" => Some(NoticeTarget::Activity),
        "settings" => Some(NoticeTarget::Settings),
        _ => None,
    };
    if let Some(screen) = screen {
        return if id.is_empty() {
            Ok(Place::Screen(screen))
        } else {
            Err(refuse("that screen takes no id"))
        };
    }
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(refuse("the id after the place is missing or not an id"));
    }
    match place {
        "review" => Ok(Place::Review(id.to_owned())),
        "candidate" => Ok(Place::Candidate(id.to_owned())),
        _ => Err(refuse("it names no place in Willo Desk")),
    }
}

impl App {
    /// The link that opens `target`, by the services' own ids; `None` when what it names is no
    /// longer held.
    pub async fn link_to(&self, target: &NoticeTarget) -> Result<Option<String>, AppError> {
        Ok(match target {
            NoticeTarget::Review { invitation_id } => self
                .store
                .participant_of(*invitation_id)
                .await?
                .map(|p| format!("{SCHEME}://review/{}", p.key)),
            NoticeTarget::Candidate { application_id, .. } => self
                .store
                .application_remote_id(*application_id)
                .await?
                .map(|remote| format!("{SCHEME}://candidate/{remote}")),
            NoticeTarget::Inbox => Some(format!("{SCHEME}://inbox")),
            NoticeTarget::Activity => Some(format!("{SCHEME}://activity")),
            NoticeTarget::Settings => Some(format!("{SCHEME}://settings")),
        })
    }

    /// Where a `willo-desk://` link opens, once what it names is found here.
    pub async fn link_target(&self, link: &str) -> Result<NoticeTarget, AppError> {
        let missing = |what: &str| {
            AppError::new(
                ErrorCode::NotFound,
                format!("Willo Desk link: no {what} by that id here (it may belong to other accounts, or its data was deleted)"),
            )
        };
        match parse(link)? {
            Place::Screen(screen) => Ok(screen),
            Place::Review(key) => match self.store.invitation_by_participant(&key).await? {
                Some(invitation) => Ok(NoticeTarget::Review {
                    invitation_id: invitation.id,
                }),
                None => Err(missing("interview")),
            },
            Place::Candidate(remote) => {
                let Some(id) = self
                    .store
                    .application_id(self.ats_connection, &remote)
                    .await?
                else {
                    return Err(missing("candidate"));
                };
                let who = self.store.invite_target(id).await?;
                Ok(NoticeTarget::Candidate {
                    application_id: id,
                    name: format!("{} {}", who.first_name, who.last_name)
                        .trim()
                        .to_owned(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_name_a_review_or_a_candidate_by_the_services_ids() {
        assert_eq!(
            parse("willo-desk://review/p_3f9A-12").unwrap(),
            Place::Review("p_3f9A-12".into())
        );
        assert_eq!(
            parse(" willo-desk://candidate/7003/ ").unwrap(),
            Place::Candidate("7003".into())
        );
        assert_eq!(
            parse("willo-desk://inbox").unwrap(),
            Place::Screen(NoticeTarget::Inbox)
        );
        assert_eq!(
            parse("willo-desk://activity/").unwrap(),
            Place::Screen(NoticeTarget::Activity)
        );
        for (link, why) in [
            ("https://review/12", "https: is not willo-desk:"),
            ("willo-desk://review/a.b", "not an id"),
            ("willo-desk://review/a%20b", "not an id"),
            ("willo-desk://review/", "missing"),
            ("willo-desk://settings/1", "that screen takes no id"),
            ("willo-desk://reviews/1", "no place in Willo Desk"),
            ("review/12", "not a link"),
        ] {
            let error = parse(link).unwrap_err();
            assert_eq!(error.code, ErrorCode::Validation, "{link}");
            assert!(error.message.contains(why), "{link}: {}", error.message);
        }
        assert!(parse(&format!("willo-desk://review/{}", "a".repeat(300))).is_err());
    }
}
