//! How the API key travels in `Authorization`.

use serde::{Deserialize, Serialize};

/// Observed against the live API: the bare key. The seed guide shows `Bearer`; DRF's default would
/// be `Token`. Which one a server accepts is detected and remembered per connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthScheme {
    #[default]
    Bare,
    Bearer,
    Token,
}

impl AuthScheme {
    /// The order in which detection tries them: the observed one first.
    pub const DETECTION_ORDER: [Self; 3] = [Self::Bare, Self::Bearer, Self::Token];

    pub fn header_value(self, key: &str) -> String {
        match self {
            Self::Bare => key.to_owned(),
            Self::Bearer => format!("Bearer {key}"),
            Self::Token => format!("Token {key}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AuthScheme;

    #[test]
    fn each_scheme_formats_the_header() {
        assert_eq!(AuthScheme::Bare.header_value("k"), "k");
        assert_eq!(AuthScheme::Bearer.header_value("k"), "Bearer k");
        assert_eq!(AuthScheme::Token.header_value("k"), "Token k");
    }
}
