//! Keys in Willo's observed form (32 lowercase hex characters).

use desk_domain::WilloKey;

pub fn hex_key(bytes: [u8; 16]) -> String {
    WilloKey::from_bytes(bytes).as_str().to_owned()
}

/// A key derived from a name, so demo resources keep the same keys on every start (a recruiter's
/// local links to the sandbox stay valid across restarts).
pub fn seeded_key(name: &str) -> String {
    let mut bytes = [0u8; 16];
    let mut state: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, slot) in bytes.iter_mut().enumerate() {
        for b in name
            .bytes()
            .chain(std::iter::once(u8::try_from(i).unwrap_or(0)))
        {
            state ^= u64::from(b);
            state = state.wrapping_mul(0x0100_0000_01b3);
        }
        *slot = state.to_be_bytes()[0] ^ state.to_be_bytes()[7];
    }
    hex_key(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_keys_are_stable_distinct_and_valid() {
        assert_eq!(seeded_key("a"), seeded_key("a"));
        assert_ne!(seeded_key("interview-cs"), seeded_key("interview-be"));
        assert!(WilloKey::parse(&seeded_key("x")).is_ok());
    }
}
