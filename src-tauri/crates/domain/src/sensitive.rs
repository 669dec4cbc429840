//! A secret that cannot leak by accident.

use std::fmt;

/// Holds a secret (an API key, a client secret, a token). `Debug` prints `<redacted>`, and there
/// is deliberately no `Display` or `Serialize`: the only way out is [`Sensitive::expose`], which
/// is easy to find in review.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Sensitive<String> {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Sensitive<String> {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::Sensitive;

    #[test]
    fn debug_never_shows_the_secret() {
        let key = Sensitive::from("5a4d1b0e9c3f47e2b8a61d0c7e9f2a3b");
        assert_eq!(format!("{key:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&key)), "Some(<redacted>)");
        assert_eq!(key.expose(), "5a4d1b0e9c3f47e2b8a61d0c7e9f2a3b");
    }
}
