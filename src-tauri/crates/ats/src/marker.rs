//! Finding a write-back's marker in a note that an ATS returns, exactly: `willo-desk:abc:1` must
//! not be taken for `willo-desk:abc:10` or `willo-desk:abc:1.r2`.

/// A character that can continue a marker (keys, revisions and review versions).
fn continues(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-')
}

/// Whether `text` holds `marker` as a whole token, neither extended nor preceded by marker
/// characters (a note body may be plain text or HTML around it).
pub fn holds_marker(text: &str, marker: &str) -> bool {
    if marker.is_empty() {
        return false;
    }
    text.match_indices(marker).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + marker.len()..].chars().next();
        !before.is_some_and(continues) && !after.is_some_and(continues)
    })
}

#[cfg(test)]
mod tests {
    use super::holds_marker;

    #[test]
    fn a_marker_matches_only_as_a_whole_token() {
        let marker = "willo-desk:abc:1";
        assert!(holds_marker("Notes\n\nwillo-desk:abc:1", marker));
        assert!(holds_marker("<p>willo-desk:abc:1</p>", marker));
        assert!(holds_marker("willo-desk:abc:1\n", marker));
        assert!(
            !holds_marker("willo-desk:abc:10", marker),
            "revision 10 is not 1"
        );
        assert!(
            !holds_marker("willo-desk:abc:1.r2", marker),
            "a second review is not the first"
        );
        assert!(!holds_marker("xwillo-desk:abc:1", marker));
        assert!(
            holds_marker("willo-desk:abc:10 and willo-desk:abc:1", marker),
            "a later exact occurrence counts"
        );
        assert!(!holds_marker("", marker));
        assert!(!holds_marker("anything", ""));
    }
}
