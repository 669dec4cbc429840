//! Candidate contact details: what Willo needs to reach a candidate.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why an email address or phone number was refused. The message says what to fix and never
/// repeats the value itself, so it is safe to log and to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error("the email address is empty")]
    EmptyEmail,
    #[error("the email address is not valid: {0}")]
    InvalidEmail(&'static str),
    #[error("the phone number is empty")]
    EmptyPhone,
    #[error("the phone number cannot be read as an international number: {0}")]
    InvalidPhone(&'static str),
    /// The number carries its country code and is still not a number (so adding one would not help).
    #[error("the phone number does not exist: {0}")]
    InvalidInternationalPhone(&'static str),
    #[error("the default phone region `{0}` is not a two-letter country code")]
    UnknownRegion(String),
}

/// A syntactically valid email address, trimmed and with its domain lower-cased.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// The longest address SMTP allows (RFC 5321 path limit less the brackets).
    const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, ContactError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(ContactError::EmptyEmail);
        }
        if value.len() > Self::MAX_LEN {
            return Err(ContactError::InvalidEmail(
                "it is longer than 254 characters",
            ));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ContactError::InvalidEmail(
                "it contains spaces or control characters",
            ));
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err(ContactError::InvalidEmail("it has no @"));
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return Err(ContactError::InvalidEmail(
                "the part before @ is empty, too long or has a second @",
            ));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(ContactError::InvalidEmail(
                "the domain after @ is not a domain name",
            ));
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = ContactError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

/// Candidate data: `Debug` does not print the address.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(<redacted>)")
    }
}

/// A phone number in E.164 form (`+` and up to 15 digits), the only form with which Willo's
/// SMS invitations arrive.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneE164(String);

impl PhoneE164 {
    /// True for an ISO 3166 alpha-2 code the phone parser knows (a valid default region).
    pub fn known_region(code: &str) -> bool {
        code.parse::<phonenumber::country::Id>().is_ok()
    }

    /// Parses a number as a person would type it. Numbers without a leading `+` are read in
    /// `default_region` (ISO 3166 alpha-2, e.g. "GB"); with `None`, only international numbers pass.
    pub fn parse(raw: &str, default_region: Option<&str>) -> Result<Self, ContactError> {
        Self::parse_noting_region(raw, default_region).map(|(phone, _)| phone)
    }

    /// As `parse`, and says which country was assumed: `Some(region)` when the number had no
    /// country code of its own and was read in the default region, so the recruiter can see
    /// that a guess was made.
    pub fn parse_noting_region(
        raw: &str,
        default_region: Option<&str>,
    ) -> Result<(Self, Option<String>), ContactError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(ContactError::EmptyPhone);
        }
        let region = match default_region {
            Some(code) => Some(
                code.trim()
                    .to_ascii_uppercase()
                    .parse::<phonenumber::country::Id>()
                    .map_err(|_| ContactError::UnknownRegion(code.to_owned()))?,
            ),
            None => None,
        };
        if region.is_none() && !value.starts_with('+') {
            return Err(ContactError::InvalidPhone(
                "it has no country code (+...) and no default region is set",
            ));
        }
        let number = phonenumber::parse(region, value)
            .map_err(|_| ContactError::InvalidPhone("it is not a phone number"))?;
        let assumed = number.country().source() == phonenumber::country::Source::Default;
        if !phonenumber::is_valid(&number) {
            const NO_SUCH: &str = "no such number exists in its country's plan";
            return Err(if assumed {
                ContactError::InvalidPhone(NO_SUCH)
            } else {
                ContactError::InvalidInternationalPhone(NO_SUCH)
            });
        }
        let region = region
            .filter(|_| assumed)
            .map(|id| AsRef::<str>::as_ref(&id).to_owned());
        Ok((
            Self(number.format().mode(phonenumber::Mode::E164).to_string()),
            region,
        ))
    }

    /// True for a string already in strict E.164 form: `+`, a non-zero digit, 7 to 15 digits in all.
    pub fn is_e164(value: &str) -> bool {
        let Some(digits) = value.strip_prefix('+') else {
            return false;
        };
        (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PhoneE164 {
    type Error = ContactError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value, None)
    }
}

impl From<PhoneE164> for String {
    fn from(value: PhoneE164) -> Self {
        value.0
    }
}

impl fmt::Debug for PhoneE164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PhoneE164(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_trimmed_and_its_domain_lowercased() {
        let email = Email::parse("  Jane.Doe@Example.COM ").unwrap();
        assert_eq!(
            email.as_str(),
            "Jane.Doe@example.com",
            "the local part is case-sensitive, the domain is not"
        );
    }

    #[test]
    fn non_ascii_emails_are_accepted() {
        assert!(
            Email::parse("zoë@exämple.de").is_ok(),
            "internationalised addresses are real"
        );
    }

    #[test]
    fn broken_emails_are_refused_with_the_reason() {
        for (raw, expected) in [
            ("", ContactError::EmptyEmail),
            (
                "jane.example.com",
                ContactError::InvalidEmail("it has no @"),
            ),
            (
                "jane@localhost",
                ContactError::InvalidEmail("the domain after @ is not a domain name"),
            ),
            (
                "jane doe@example.com",
                ContactError::InvalidEmail("it contains spaces or control characters"),
            ),
            (
                "@example.com",
                ContactError::InvalidEmail(
                    "the part before @ is empty, too long or has a second @",
                ),
            ),
            (
                "jane@exa..mple.com",
                ContactError::InvalidEmail("the domain after @ is not a domain name"),
            ),
        ] {
            assert_eq!(Email::parse(raw), Err(expected), "{raw:?} must be refused");
        }
    }

    #[test]
    fn a_local_number_becomes_e164_with_a_default_region() {
        let phone = PhoneE164::parse("020 7946 0958", Some("gb")).unwrap();
        assert_eq!(phone.as_str(), "+442079460958");
    }

    #[test]
    fn the_region_is_noted_only_when_it_was_assumed() {
        let (phone, assumed) = PhoneE164::parse_noting_region("020 7946 0958", Some("gb")).unwrap();
        assert_eq!(
            (phone.as_str(), assumed.as_deref()),
            ("+442079460958", Some("GB"))
        );
        let (_, assumed) = PhoneE164::parse_noting_region("+44 20 7946 0958", Some("US")).unwrap();
        assert_eq!(
            assumed, None,
            "a number with its country code assumes nothing"
        );
    }

    #[test]
    fn an_impossible_number_with_a_country_code_is_not_told_to_add_one() {
        assert!(matches!(
            PhoneE164::parse("+44 20 1", Some("GB")),
            Err(ContactError::InvalidInternationalPhone(_))
        ));
        assert!(matches!(
            PhoneE164::parse("020 1", Some("GB")),
            Err(ContactError::InvalidPhone(_))
        ));
    }

    #[test]
    fn an_international_number_needs_no_region() {
        let phone = PhoneE164::parse("+1 (415) 555-2671", None).unwrap();
        assert_eq!(phone.as_str(), "+14155552671");
    }

    #[test]
    fn a_local_number_without_a_region_is_refused() {
        assert!(matches!(
            PhoneE164::parse("07700 900123", None),
            Err(ContactError::InvalidPhone(_))
        ));
    }

    #[test]
    fn nonsense_and_impossible_numbers_are_refused() {
        assert!(matches!(
            PhoneE164::parse("call me", Some("US")),
            Err(ContactError::InvalidPhone(_))
        ));
        assert!(matches!(
            PhoneE164::parse("+44 12", None),
            Err(ContactError::InvalidInternationalPhone(_))
        ));
        assert_eq!(PhoneE164::parse("  ", None), Err(ContactError::EmptyPhone));
    }

    #[test]
    fn an_unknown_region_is_named_in_the_error() {
        assert_eq!(
            PhoneE164::parse("555 0100", Some("XX")),
            Err(ContactError::UnknownRegion("XX".into()))
        );
    }

    #[test]
    fn strict_e164_form_is_recognised() {
        assert!(PhoneE164::is_e164("+14155552671"));
        assert!(
            !PhoneE164::is_e164("14155552671"),
            "the + is part of the form"
        );
        assert!(
            !PhoneE164::is_e164("+0123456789"),
            "country codes never start with 0"
        );
        assert!(!PhoneE164::is_e164("+1 415 555 2671"), "no spaces");
        assert!(
            !PhoneE164::is_e164("+1234567890123456"),
            "at most 15 digits"
        );
    }

    #[test]
    fn debug_output_never_shows_contact_details() {
        let email = Email::parse("jane@example.com").unwrap();
        let phone = PhoneE164::parse("+14155552671", None).unwrap();
        let shown = format!("{email:?} {phone:?}");
        assert!(
            !shown.contains("jane") && !shown.contains("4155552671"),
            "got {shown}"
        );
    }

    #[test]
    fn serde_refuses_an_invalid_email() {
        assert!(serde_json::from_str::<Email>("\"not-an-email\"").is_err());
    }
}
