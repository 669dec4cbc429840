//! `willo-desk://` links, which open the app at one place: `willo-desk://review/<invitation>`
//! (an interview's review) and `willo-desk://candidate/<application>` (a candidate's timeline).
//! The desktop registers the scheme; a link names ids only, and one that names nothing held
//! here is refused, naming why, so a stale or mistyped link never opens an empty screen.

use crate::notify::NoticeTarget;
use crate::{App, AppError, ErrorCode};

/// The scheme the desktop registers (without `://`).
pub const SCHEME: &str = "willo-desk";

/// The place a link names, before it is checked against what is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Review(i64),
    Candidate(i64),
}

/// Reads a link, or says what is wrong with it.
pub fn parse(link: &str) -> Result<Place, AppError> {
    let refuse = |why: &str| {
        AppError::new(
            ErrorCode::Validation,
            format!("Willo Desk link: {why} (links are willo-desk://review/<interview> or willo-desk://candidate/<application>)"),
        )
    };
    if link.len() > 256 {
        return Err(refuse("longer than 256 characters"));
    }
    let url = url::Url::parse(link.trim()).map_err(|_| refuse("not a link"))?;
    if url.scheme() != SCHEME {
        return Err(refuse(&format!("{}: is not {SCHEME}:", url.scheme())));
    }
    // `willo-desk://review/12`: the place is the host, the id the path.
    let place = url.host_str().unwrap_or_default();
    let id = url.path().trim_matches('/');
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| refuse("the id after the place is not a number"))?;
    match place {
        "review" => Ok(Place::Review(id)),
        "candidate" => Ok(Place::Candidate(id)),
        _ => Err(refuse("it names neither a review nor a candidate")),
    }
}

impl App {
    /// Where a `willo-desk://` link opens, once what it names is found here.
    pub async fn link_target(&self, link: &str) -> Result<NoticeTarget, AppError> {
        let missing = |what: &str| {
            AppError::new(
                ErrorCode::NotFound,
                format!("Willo Desk link: no {what} of that number here (it may belong to the other mode, or its data was deleted)"),
            )
        };
        match parse(link)? {
            Place::Review(id) => match self.store.invitation(id).await {
                Ok(_) => Ok(NoticeTarget::Review { invitation_id: id }),
                Err(desk_store::StoreError::NotFound { .. }) => Err(missing("interview")),
                Err(e) => Err(e.into()),
            },
            Place::Candidate(id) => match self.store.invite_target(id).await {
                Ok(who) => Ok(NoticeTarget::Candidate {
                    application_id: id,
                    name: format!("{} {}", who.first_name, who.last_name)
                        .trim()
                        .to_owned(),
                }),
                Err(desk_store::StoreError::NotFound { .. }) => Err(missing("candidate")),
                Err(e) => Err(e.into()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_name_a_review_or_a_candidate_by_number() {
        assert_eq!(parse("willo-desk://review/12").unwrap(), Place::Review(12));
        assert_eq!(
            parse(" willo-desk://candidate/7/ ").unwrap(),
            Place::Candidate(7)
        );
        for (link, why) in [
            ("https://review/12", "https: is not willo-desk:"),
            ("willo-desk://review/abc", "not a number"),
            ("willo-desk://review/-3", "not a number"),
            ("willo-desk://review/", "not a number"),
            (
                "willo-desk://settings/1",
                "neither a review nor a candidate",
            ),
            ("review/12", "not a link"),
        ] {
            let error = parse(link).unwrap_err();
            assert_eq!(error.code, ErrorCode::Validation, "{link}");
            assert!(error.message.contains(why), "{link}: {}", error.message);
        }
    }
}
