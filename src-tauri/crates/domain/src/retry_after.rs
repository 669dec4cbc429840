//! The `Retry-After` header in the forms APIs send it.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Reads `Retry-After` as seconds (`"7"`), an HTTP date (`"Mon, 30 Nov 2026 10:00:30 GMT"`), or a
/// Unix timestamp (Greenhouse's v1 form; any number past a day is taken as one). `now` comes from
/// the caller so this stays pure. A time in the past means "now": zero.
pub fn parse(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(n) = value.parse::<u64>() {
        if n > 86_400 {
            let wait = i64::try_from(n).ok()?.saturating_sub(now.timestamp());
            return Some(Duration::from_secs(u64::try_from(wait).unwrap_or(0)));
        }
        return Some(Duration::from_secs(n));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (date.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn seconds_dates_and_timestamps_are_read() {
        assert_eq!(parse("7", now()), Some(Duration::from_secs(7)));
        assert_eq!(parse(" 0 ", now()), Some(Duration::ZERO));
        assert_eq!(
            parse("Mon, 30 Nov 2026 10:00:30 GMT", now()),
            Some(Duration::from_secs(30))
        );
        let epoch = (now().timestamp() + 12).to_string();
        assert_eq!(parse(&epoch, now()), Some(Duration::from_secs(12)));
    }

    #[test]
    fn the_past_means_now_and_nonsense_means_unknown() {
        assert_eq!(
            parse("Mon, 30 Nov 2026 09:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
        assert_eq!(parse("soon", now()), None);
        assert_eq!(parse("", now()), None);
    }
}
