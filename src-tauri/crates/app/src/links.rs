//! Which links the app may hand to the system browser: https only, and plain http to this
//! machine in sandbox mode (the simulators). Anything else is refused, naming why.

use url::Url;

use crate::ipc::Mode;
use crate::{AppError, ErrorCode};

pub fn checked(link: &str, mode: Mode) -> Result<Url, AppError> {
    let refuse = |why: &str| AppError::new(ErrorCode::Validation, format!("link: {why}"));
    if link.len() > 4096 {
        return Err(refuse("longer than 4,096 characters"));
    }
    let url = Url::parse(link.trim()).map_err(|_| refuse("not a web address"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback && mode == Mode::Sandbox => Ok(url),
        "http" => Err(refuse("only https links are opened")),
        other => Err(refuse(&format!("{other}: links are not opened"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_opens_and_everything_else_is_refused_with_the_reason() {
        assert!(checked("https://app.willo.video/share/abc", Mode::Live).is_ok());
        assert!(checked("http://127.0.0.1:4010/share/abc", Mode::Sandbox).is_ok());
        for (link, mode, why) in [
            ("http://127.0.0.1:4010/share/abc", Mode::Live, "only https"),
            ("http://example.com/x", Mode::Sandbox, "only https"),
            (
                "javascript:alert(1)",
                Mode::Sandbox,
                "javascript: links are not opened",
            ),
            (
                "file:///etc/passwd",
                Mode::Live,
                "file: links are not opened",
            ),
            ("not a url", Mode::Live, "not a web address"),
        ] {
            let error = checked(link, mode).unwrap_err();
            assert!(error.message.contains(why), "{link}: {}", error.message);
        }
    }
}
