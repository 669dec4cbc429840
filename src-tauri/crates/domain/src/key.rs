//! Willo resource keys.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a Willo key is 32 hexadecimal characters; got {len} characters")]
pub struct KeyError {
    pub len: usize,
}

/// The key of a Willo interview, participant, template or webhook: 32 hex characters, as observed
/// of the live API. Stored lower-case.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WilloKey(String);

impl WilloKey {
    pub const LEN: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, KeyError> {
        let value = raw.trim();
        if value.len() != Self::LEN || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(KeyError {
                len: value.chars().count(),
            });
        }
        Ok(Self(value.to_ascii_lowercase()))
    }

    /// Builds a key from 16 random bytes (the caller owns the randomness, so this stays pure).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for WilloKey {
    type Error = KeyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<WilloKey> for String {
    fn from(value: WilloKey) -> Self {
        value.0
    }
}

impl fmt::Display for WilloKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for WilloKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WilloKey({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_32_hex_and_stored_lowercase() {
        let key = WilloKey::parse("0123456789ABCDEF0123456789abcdef").unwrap();
        assert_eq!(key.as_str(), "0123456789abcdef0123456789abcdef");
    }

    #[test]
    fn wrong_length_or_non_hex_is_refused() {
        assert_eq!(WilloKey::parse("abc"), Err(KeyError { len: 3 }));
        assert!(WilloKey::parse("g123456789abcdef0123456789abcdef").is_err());
    }

    #[test]
    fn from_bytes_gives_a_parseable_key() {
        let key = WilloKey::from_bytes([0xab; 16]);
        assert_eq!(WilloKey::parse(key.as_str()), Ok(key));
    }
}
