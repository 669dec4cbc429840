//! Willo resources as the client reads and writes them. Reading is tolerant (aliases, defaults,
//! unknown fields ignored) and every resource keeps its raw JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A string field that may come as a string, a number, or an object with a `name`/`key`.
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(map) => map
            .get("name")
            .or_else(|| map.get("title"))
            .or_else(|| map.get("key"))
            .and_then(text_of),
        _ => None,
    }
}

fn loose_text<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(Option::<Value>::deserialize(deserializer)?
        .as_ref()
        .and_then(text_of))
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Question {
    #[serde(default, deserialize_with = "loose_text")]
    pub key: Option<String>,
    #[serde(default, alias = "text", alias = "title", alias = "question")]
    pub prompt: String,
    #[serde(default, rename = "type", alias = "kind", alias = "answer_type")]
    pub kind: String,
    #[serde(default, alias = "position")]
    pub order: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Interview {
    pub key: String,
    #[serde(default, alias = "name")]
    pub title: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub department: Option<String>,
    #[serde(default, deserialize_with = "loose_text")]
    pub language: Option<String>,
    #[serde(default)]
    pub questions: Vec<Question>,
    #[serde(skip)]
    pub raw: Value,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Template {
    pub key: String,
    #[serde(default, alias = "title")]
    pub name: String,
    #[serde(default, deserialize_with = "loose_text")]
    pub category: Option<String>,
    #[serde(default)]
    pub questions: Vec<Question>,
    #[serde(skip)]
    pub raw: Value,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Category {
    pub key: String,
    #[serde(default, alias = "title")]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Language {
    #[serde(alias = "key", alias = "id")]
    pub code: String,
    #[serde(default)]
    pub name: String,
}

/// A webhook, with the fields observed on a live account.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Webhook {
    pub key: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub event: String,
    #[serde(default)]
    pub interviews: Vec<String>,
    #[serde(default)]
    pub follow_all_interviews: bool,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(skip)]
    pub raw: Value,
}

/// The invite body as observed to work: `interview` (the key), `name` (required), `email`,
/// `phone` (E.164). `first_name`/`last_name` are sent too; a DRF server ignores what it does not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewParticipant {
    pub interview: String,
    pub name: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// What a webhook should be: one event, for chosen interviews or all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookSpec {
    pub url: String,
    pub event: String,
    pub interviews: Vec<String>,
    pub follow_all_interviews: bool,
}

/// Types whose raw JSON is kept alongside.
pub(crate) trait KeepsRaw {
    fn keep_raw(&mut self, raw: Value);
}

macro_rules! keeps_raw {
    ($($t:ty),*) => {$(
        impl KeepsRaw for $t {
            fn keep_raw(&mut self, raw: Value) {
                self.raw = raw;
            }
        }
    )*};
}
keeps_raw!(Interview, Template, Webhook);

macro_rules! drops_raw {
    ($($t:ty),*) => {$(
        impl KeepsRaw for $t {
            fn keep_raw(&mut self, _: Value) {}
        }
    )*};
}
drops_raw!(Category, Language);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interview_is_read_through_aliases_and_odd_types() {
        let raw = serde_json::json!({
            "key": "ab", "name": "Screening", "department": {"name": "Sales", "key": "d1"},
            "language": "en", "questions": [{"text": "Why us?", "kind": "video", "position": 2}],
            "brand_new_field": true
        });
        let interview: Interview = serde_json::from_value(raw).unwrap();
        assert_eq!(interview.title, "Screening");
        assert_eq!(interview.department.as_deref(), Some("Sales"));
        assert_eq!(interview.questions[0].prompt, "Why us?");
        assert_eq!(interview.questions[0].kind, "video");
        assert_eq!(interview.questions[0].order, Some(2));
    }

    #[test]
    fn an_invite_body_leaves_out_a_missing_phone() {
        let body = serde_json::to_value(NewParticipant {
            interview: "k".into(),
            name: "Zoë Müller".into(),
            first_name: "Zoë".into(),
            last_name: "Müller".into(),
            email: "zoe@example.de".into(),
            phone: None,
        })
        .unwrap();
        assert!(body.get("phone").is_none());
        assert_eq!(body["name"], "Zoë Müller");
    }
}
