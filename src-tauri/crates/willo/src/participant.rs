//! A Willo participant and their answers, normalised from whatever shape Willo sends.
//!
//! Willo's participant and answer field names are not published (see the API notes), so each
//! field is looked for under the names it plausibly has, and the raw JSON is kept so that a field
//! we did not map can still be shown, and mapped later without fetching again.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::WilloError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantStatus {
    Invited,
    Opened,
    Started,
    Completed,
    /// A status we do not know, kept as Willo sent it.
    Other(String),
}

impl ParticipantStatus {
    fn parse(value: &str) -> Self {
        match value
            .trim()
            .to_ascii_lowercase()
            .replace(['-', ' '], "_")
            .as_str()
        {
            "invited" | "pending" | "sent" | "new" => Self::Invited,
            "opened" | "viewed" | "clicked" => Self::Opened,
            "started" | "in_progress" | "ongoing" => Self::Started,
            "completed" | "complete" | "submitted" | "finished" | "done" => Self::Completed,
            _ => Self::Other(value.to_owned()),
        }
    }

    pub fn is_completed(&self) -> bool {
        *self == Self::Completed
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    Video,
    Audio,
    Text,
    Choice,
    File,
    Unknown,
}

impl AnswerKind {
    fn parse(value: &str) -> Self {
        let value = value.to_ascii_lowercase();
        match value.as_str() {
            "video" => Self::Video,
            "audio" | "voice" => Self::Audio,
            "text" | "written" | "written_text" | "essay" => Self::Text,
            "multiple_choice" | "choice" | "checkbox" | "checkboxes" | "single_choice" => {
                Self::Choice
            }
            "file" | "upload" | "file_upload" | "document" => Self::File,
            _ => Self::Unknown,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TranscriptSegment {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub position: usize,
    pub question_key: Option<String>,
    pub question_text: String,
    pub kind: AnswerKind,
    pub media_url: Option<String>,
    pub text: Option<String>,
    pub choice: Option<String>,
    pub transcript: Option<String>,
    pub segments: Vec<TranscriptSegment>,
    pub score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Participant {
    pub key: String,
    pub interview_key: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub stage: Option<String>,
    pub status: ParticipantStatus,
    pub completed_at: Option<String>,
    pub answers: Vec<Answer>,
    pub summary: Option<String>,
    pub score: Option<f64>,
    pub share_url: Option<String>,
    pub raw: Value,
}

/// The first of `names` that holds a non-empty string (or number), at the top of `map`.
fn text(map: &Map<String, Value>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| match map.get(*name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

fn number(map: &Map<String, Value>, names: &[&str]) -> Option<f64> {
    names.iter().find_map(|name| match map.get(*name)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn object<'a>(map: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Map<String, Value>> {
    names.iter().find_map(|name| map.get(*name)?.as_object())
}

/// A string field, or the named string inside an object field (`{"question": {"prompt": ...}}`).
fn text_or_nested(map: &Map<String, Value>, names: &[&str], inner: &[&str]) -> Option<String> {
    text(map, names).or_else(|| object(map, names).and_then(|o| text(o, inner)))
}

fn segments(map: &Map<String, Value>) -> Vec<TranscriptSegment> {
    let list = ["transcript_segments", "segments", "timestamps"]
        .iter()
        .find_map(|n| map.get(*n)?.as_array())
        .or_else(|| {
            object(map, &["transcript", "transcription"])
                .and_then(|t| t.get("segments")?.as_array())
        });
    list.map(|items| {
        items
            .iter()
            .filter_map(|item| {
                let item = item.as_object()?;
                Some(TranscriptSegment {
                    start: number(item, &["start", "start_time", "from"])?,
                    end: number(item, &["end", "end_time", "to"]).unwrap_or_default(),
                    text: text(item, &["text", "content"])?,
                })
            })
            .collect()
    })
    .unwrap_or_default()
}

fn answer(position: usize, value: &Value) -> Option<Answer> {
    let map = value.as_object()?;
    let question = object(map, &["question"]);
    let kind_text = text(map, &["type", "kind", "answer_type", "response_type"])
        .or_else(|| question.and_then(|q| text(q, &["type", "kind"])));
    let choice = text(map, &["choice", "selected", "selected_option"]).or_else(|| {
        let items = map
            .get("choices")
            .or_else(|| map.get("selected_options"))?
            .as_array()?;
        let picked: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
        (!picked.is_empty()).then(|| picked.join(", "))
    });
    let mut kind = kind_text
        .as_deref()
        .map_or(AnswerKind::Unknown, AnswerKind::parse);
    let media_url = text_or_nested(
        map,
        &[
            "media_url",
            "video_url",
            "audio_url",
            "file_url",
            "url",
            "media",
            "video",
            "audio",
            "file",
        ],
        &["url", "src"],
    );
    if kind == AnswerKind::Unknown && choice.is_some() {
        kind = AnswerKind::Choice;
    }
    Some(Answer {
        position,
        question_key: text(map, &["question", "question_key", "question_id"])
            .or_else(|| question.and_then(|q| text(q, &["key", "id"]))),
        question_text: text(map, &["question_text", "prompt", "question_title"])
            .or_else(|| question.and_then(|q| text(q, &["prompt", "text", "title", "question"])))
            .unwrap_or_default(),
        kind,
        media_url,
        text: text(
            map,
            &["text", "text_answer", "answer", "written_answer", "value"],
        ),
        choice,
        transcript: text_or_nested(map, &["transcript", "transcription"], &["text", "content"]),
        segments: segments(map),
        score: number(map, &["score", "rating"]),
    })
}

impl Participant {
    /// Normalises one participant. Only the key is required.
    pub fn from_json(raw: Value) -> Result<Self, WilloError> {
        let Some(map) = raw.as_object() else {
            return Err(WilloError::Decode {
                path: ".".into(),
                message: "a participant is not a JSON object".into(),
            });
        };
        let key = text(map, &["key", "id", "uuid"]).ok_or_else(|| WilloError::Decode {
            path: "key".into(),
            message: "a participant has no key".into(),
        })?;
        let first = text(map, &["first_name", "firstname"]);
        let last = text(map, &["last_name", "lastname"]);
        let name = text(map, &["name", "full_name"]).unwrap_or_else(|| {
            [first, last]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        });
        let completed_at = text(
            map,
            &[
                "completed_at",
                "submitted_at",
                "finished_at",
                "completed_date",
            ],
        );
        let mut status = text(map, &["status", "state", "progress"])
            .map_or(ParticipantStatus::Other(String::new()), |s| {
                ParticipantStatus::parse(&s)
            });
        if completed_at.is_some() {
            status = ParticipantStatus::Completed;
        }
        let answers = ["responses", "answers", "submissions"]
            .iter()
            .find_map(|n| map.get(*n)?.as_array())
            .map(|items| {
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| answer(i, v))
                    .collect()
            })
            .unwrap_or_default();
        let summary = text(map, &["summary", "ai_summary", "candidate_summary"])
            .or_else(|| object(map, &["intelligence", "ai"]).and_then(|o| text(o, &["summary"])));
        Ok(Self {
            interview_key: text_or_nested(
                map,
                &["interview", "interview_key", "interview_id"],
                &["key", "id"],
            ),
            email: text(map, &["email", "email_address"]),
            phone: text(map, &["phone", "phone_number", "mobile"]),
            stage: text_or_nested(map, &["stage", "stage_name"], &["name", "title"]),
            share_url: text(map, &["share_url", "share_link", "public_url"]),
            score: number(map, &["score", "overall_score", "rating"]),
            key,
            name,
            status,
            completed_at,
            answers,
            summary,
            raw,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_sandbox_shape_is_read_in_full() {
        let p = Participant::from_json(json!({
            "key": "p1", "interview": "i1", "name": "Zoë Müller", "email": "zoe@example.de", "status": "completed",
            "completed_at": "2026-11-30T10:00:00Z", "summary": "Strong.", "score": 80.0,
            "responses": [
                {"question": "q1", "question_text": "Why us?", "type": "video", "media_url": "http://m/v.webm",
                 "transcript": "Because.", "transcript_segments": [{"start": 0.0, "end": 1.5, "text": "Because."}], "score": 4},
                {"question": "q2", "question_text": "When?", "type": "multiple_choice", "choice": "Now"}
            ]
        }))
        .unwrap();
        assert_eq!(p.status, ParticipantStatus::Completed);
        assert_eq!(p.interview_key.as_deref(), Some("i1"));
        assert_eq!(p.answers.len(), 2);
        assert_eq!(p.answers[0].kind, AnswerKind::Video);
        assert_eq!(p.answers[0].segments.len(), 1);
        assert_eq!(p.answers[1].choice.as_deref(), Some("Now"));
        assert_eq!(p.summary.as_deref(), Some("Strong."));
    }

    #[test]
    fn other_plausible_shapes_are_read_too() {
        let p = Participant::from_json(json!({
            "id": "p2", "interview": {"key": "i9", "title": "X"}, "first_name": "Ana", "last_name": "Lima",
            "state": "In Progress", "intelligence": {"summary": "Calm."},
            "answers": [{"question": {"key": "q1", "prompt": "Hi?", "type": "audio"}, "audio_url": "http://m/a.webm",
                         "transcript": {"text": "Hello.", "segments": [{"start_time": 1, "end_time": 2, "content": "Hello."}]}},
                        {"prompt": "Pick", "choices": ["A", "B"]}]
        }))
        .unwrap();
        assert_eq!((p.key.as_str(), p.name.as_str()), ("p2", "Ana Lima"));
        assert_eq!(p.interview_key.as_deref(), Some("i9"));
        assert_eq!(p.status, ParticipantStatus::Started);
        assert_eq!(p.summary.as_deref(), Some("Calm."));
        let a = &p.answers[0];
        assert_eq!(
            (a.kind, a.question_text.as_str(), a.question_key.as_deref()),
            (AnswerKind::Audio, "Hi?", Some("q1"))
        );
        assert_eq!(a.transcript.as_deref(), Some("Hello."));
        assert_eq!(a.segments[0].start, 1.0);
        assert_eq!(
            (p.answers[1].kind, p.answers[1].choice.as_deref()),
            (AnswerKind::Choice, Some("A, B"))
        );
    }

    #[test]
    fn a_completion_time_means_completed_whatever_the_status_says() {
        let p = Participant::from_json(
            json!({"key": "p3", "status": "weird", "submitted_at": "2026-11-30"}),
        )
        .unwrap();
        assert!(p.status.is_completed());
    }

    #[test]
    fn an_unknown_status_is_kept_as_sent() {
        let p = Participant::from_json(json!({"key": "p4", "status": "Archived"})).unwrap();
        assert_eq!(p.status, ParticipantStatus::Other("Archived".into()));
    }

    #[test]
    fn a_participant_without_a_key_is_a_decode_error_naming_the_field() {
        assert!(
            matches!(Participant::from_json(json!({"name": "x"})), Err(WilloError::Decode { path, .. }) if path == "key")
        );
        assert!(Participant::from_json(json!([1, 2])).is_err());
    }
}
