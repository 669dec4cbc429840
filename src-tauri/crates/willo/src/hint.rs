//! Reading a webhook delivery as a hint: which participant (and interview) it is about.
//!
//! Willo's webhook payload is unpublished and carries no event name, so the body is never trusted
//! for anything but the keys. Every 32-hex string in it is classified by the nearest field name
//! that says what it is (`interview...`, `participant...`/`candidate...`/`applicant...`). Failing a
//! named participant key, the first 32-hex string that is not the interview's is taken, as
//! others have found works against the live API. The participant is then fetched and reconciled.

use serde_json::Value;

/// Deeper nesting than this is not searched (a delivery is at most 1 MiB anyway).
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hint {
    pub participant: Option<String>,
    pub interview: Option<String>,
    /// A stage name, for stage-change deliveries.
    pub stage: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Participant,
    Interview,
    Unknown,
}

fn is_key(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn role_of(name: &str) -> Option<Role> {
    let name = name.to_ascii_lowercase();
    if name.contains("interview") {
        Some(Role::Interview)
    } else if ["participant", "candidate", "applicant", "respondent"]
        .iter()
        .any(|w| name.contains(w))
    {
        Some(Role::Participant)
    } else {
        None
    }
}

#[derive(Default)]
struct Found {
    keys: Vec<(Role, String)>,
    stage: Option<String>,
}

fn walk(value: &Value, path: &mut Vec<String>, found: &mut Found) {
    if path.len() > MAX_DEPTH {
        return;
    }
    match value {
        Value::String(s) => {
            if is_key(s) {
                let role = path
                    .iter()
                    .rev()
                    .find_map(|name| role_of(name))
                    .unwrap_or(Role::Unknown);
                found.keys.push((role, s.to_ascii_lowercase()));
            } else if found.stage.is_none()
                && path
                    .last()
                    .is_some_and(|n| n.to_ascii_lowercase().contains("stage"))
                && !s.trim().is_empty()
            {
                found.stage = Some(s.trim().to_owned());
            }
        }
        Value::Array(items) => items.iter().for_each(|item| walk(item, path, found)),
        Value::Object(map) => {
            for (name, child) in map {
                path.push(name.clone());
                walk(child, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Finds the keys in a delivery body, JSON or not.
pub fn parse(body: &[u8]) -> Hint {
    let mut found = Found::default();
    match serde_json::from_slice::<Value>(body) {
        Ok(json) => walk(&json, &mut Vec::new(), &mut found),
        // Not JSON (a form post, say): any standalone 32-hex token.
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            found.keys = text
                .split(|c: char| !c.is_ascii_hexdigit())
                .filter(|t| is_key(t))
                .map(|t| (Role::Unknown, t.to_ascii_lowercase()))
                .collect();
        }
    }
    let first = |role: Role| {
        found
            .keys
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, k)| k.clone())
    };
    let interview = first(Role::Interview);
    let participant = first(Role::Participant).or_else(|| {
        found
            .keys
            .iter()
            .find(|(r, k)| *r == Role::Unknown && Some(k) != interview.as_ref())
            .map(|(_, k)| k.clone())
    });
    Hint {
        participant,
        interview,
        stage: found.stage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const P: &str = "0123456789abcdef0123456789abcdef";
    const I: &str = "fedcba9876543210fedcba9876543210";

    #[test]
    fn the_sandbox_shape() {
        let body = json!({"participant": {"key": P, "name": "Z", "stage": "Accepted"}, "interview": {"key": I}});
        assert_eq!(
            parse(body.to_string().as_bytes()),
            Hint {
                participant: Some(P.into()),
                interview: Some(I.into()),
                stage: Some("Accepted".into())
            }
        );
    }

    #[test]
    fn flat_and_renamed_shapes() {
        for body in [
            json!({"participant_key": P, "interview_key": I}),
            json!({"data": {"candidate_id": P.to_uppercase(), "interviewId": I}}),
            json!({"interview": I, "results": [{"key": P}]}),
            json!({"payload": {"respondent": {"uuid": P}, "interview": {"key": I, "owner": "x"}}}),
        ] {
            let hint = parse(body.to_string().as_bytes());
            assert_eq!(hint.participant.as_deref(), Some(P), "{body}");
            assert_eq!(hint.interview.as_deref(), Some(I), "{body}");
        }
    }

    #[test]
    fn the_interview_key_is_never_taken_for_the_participant() {
        let hint = parse(
            json!({"a": I, "interview": I, "b": P})
                .to_string()
                .as_bytes(),
        );
        assert_eq!(hint.participant.as_deref(), Some(P));
    }

    #[test]
    fn keys_inside_urls_or_of_other_lengths_are_ignored() {
        let hint = parse(
            json!({"share_url": format!("https://app.willotalent.com/common/{P}"), "id": "abc123"})
                .to_string()
                .as_bytes(),
        );
        assert_eq!(hint, Hint::default());
    }

    #[test]
    fn a_non_json_body_is_scanned_for_keys() {
        let hint = parse(format!("participant={P}&x=1").as_bytes());
        assert_eq!(hint.participant.as_deref(), Some(P));
    }

    fn nested(depth: usize) -> String {
        format!(
            "{}{{\"participant\": \"{P}\"}}{}",
            "{\"n\": ".repeat(depth),
            "}".repeat(depth)
        )
    }

    #[test]
    fn deep_nesting_is_cut_off_without_harm() {
        assert_eq!(parse(nested(10).as_bytes()).participant.as_deref(), Some(P));
        assert_eq!(
            parse(nested(100).as_bytes()).participant,
            None,
            "past 32 levels the walk stops"
        );
        // Past serde_json's own limit the body is not JSON at all; the text scan still copes.
        assert_eq!(
            parse(nested(10_000).as_bytes()).participant.as_deref(),
            Some(P)
        );
    }

    fn arbitrary_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            ".{0,40}".prop_map(Value::String),
            "[0-9a-f]{32}".prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-z_]{0,12}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// 2,000 cases a property in the normal run; `PROPTEST_CASES` sets more for a long fuzz
    /// (`PROPTEST_CASES=1000000 cargo test --release -p desk-willo hint`).
    fn cases() -> u32 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(2_000)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases()))]

        #[test]
        fn any_bytes_parse_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn any_json_parses_without_panic_and_only_returns_keys(value in arbitrary_json()) {
            let hint = parse(value.to_string().as_bytes());
            for key in [hint.participant, hint.interview].into_iter().flatten() {
                prop_assert!(is_key(&key));
            }
        }

        #[test]
        fn a_participant_key_is_found_wherever_it_is_nested(noise in arbitrary_json(), depth in 0usize..10, name in "participant|participant_key|candidate|applicant_id") {
            let mut value = json!({ name: P, "noise": noise, "interview": {"key": I} });
            for _ in 0..depth {
                value = json!({"wrap": value});
            }
            let hint = parse(value.to_string().as_bytes());
            prop_assert_eq!(hint.participant.as_deref(), Some(P));
        }
    }
}
