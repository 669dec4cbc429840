//! The note written to the ATS for a completed interview: readable by a hiring manager, with
//! every answer, and a marker line that makes the write idempotent. Pure: data in, text out.

use desk_domain::NotePolicy;
use desk_store::{ResponseRecord, Review};

/// Everything a note says.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteContent<'a> {
    pub interview_title: &'a str,
    pub completed_at: Option<&'a str>,
    pub score: Option<f64>,
    pub summary: Option<&'a str>,
    pub share_url: Option<&'a str>,
    pub responses: &'a [ResponseRecord],
    /// Greater than 1: this note follows up an earlier one.
    pub revision: i64,
    pub marker: &'a str,
    /// Where long transcripts are kept whole, when the ATS takes attachments.
    pub transcripts_file: Option<&'a str>,
    /// The recruiter's review, when the results were approved.
    pub review: Option<&'a Review>,
    /// Whether answers and transcripts go in, or only links to them.
    pub policy: NotePolicy,
}

impl NoteContent<'_> {
    fn links_only(&self) -> bool {
        self.policy == NotePolicy::SummaryAndLinks
    }

    fn withheld(&self, r: &ResponseRecord) -> bool {
        self.review
            .is_some_and(|review| review.redactions.contains(&r.question_key))
    }
}

/// Transcripts longer than this are shortened in the note when the whole text goes in an attachment.
pub const LONG_TRANSCRIPT: usize = 1_200;
/// How much of a long transcript the note still shows.
const EXCERPT: usize = 300;

/// Whether any answer's transcript is too long for a readable note.
pub fn has_long_transcript(c: &NoteContent<'_>) -> bool {
    !c.links_only()
        && c.responses.iter().filter(|r| !c.withheld(r)).any(|r| {
            r.transcript
                .as_ref()
                .is_some_and(|t| t.chars().count() > LONG_TRANSCRIPT)
        })
}

/// The attachment that keeps every transcript whole.
pub fn transcripts(c: &NoteContent<'_>) -> String {
    let mut parts = vec![format!("Transcripts: {}", clean(c.interview_title))];
    for (i, r) in c.responses.iter().enumerate() {
        if let (Some(t), false) = (&r.transcript, c.withheld(r)) {
            parts.push(format!(
                "Q{}. {}\n\n{}",
                i + 1,
                clean(&r.question_text),
                clean(t)
            ));
        }
    }
    parts.push(c.marker.to_owned());
    parts.join("\n\n")
}

/// Which results a write-back carries: the participant's revision, and the review's version where
/// a recruiter reviewed it again with something new (`3`, or `3.r2` for the second review).
pub fn revision_tag(revision: i64, review_version: i64) -> String {
    if review_version > 1 {
        format!("{revision}.r{review_version}")
    } else {
        revision.to_string()
    }
}

/// The marker that identifies one write-back of one participant's results in an ATS note
/// (`tag` from [`revision_tag`]).
pub fn marker(participant_key: &str, tag: &str) -> String {
    format!("willo-desk:{participant_key}:{tag}")
}

/// Candidate-written text, made safe for an ATS that renders HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Control characters (other than line breaks) have no place in a note.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect::<String>()
        .trim()
        .to_owned()
}

/// An answer as a link only: where it is in Willo, never what it says.
fn answer_link(r: &ResponseRecord, share_url: Option<&str>) -> String {
    match (r.kind.as_str(), &r.media_url) {
        ("video", Some(url)) => format!("Video answer: {url}"),
        ("audio", Some(url)) => format!("Audio answer: {url}"),
        (_, Some(url)) => format!("File: {url}"),
        _ => share_url.map_or_else(
            || "Answer: in Willo.".to_owned(),
            |url| format!("Answer: in Willo, {url}"),
        ),
    }
}

fn answer_line(r: &ResponseRecord) -> String {
    match (r.kind.as_str(), &r.media_url, &r.text_answer) {
        ("video" | "audio", Some(url), _) => format!(
            "{} answer: {url}",
            if r.kind == "video" { "Video" } else { "Audio" }
        ),
        (_, _, Some(text)) => format!("Answer: {}", clean(text)),
        (_, Some(url), None) => format!("File: {url}"),
        _ => "No answer.".to_owned(),
    }
}

/// The note as plain text.
pub fn plain(c: &NoteContent<'_>) -> String {
    let mut lines = Vec::new();
    if c.revision > 1 {
        lines.push(format!(
            "Update to the Willo interview results (revision {}).",
            c.revision
        ));
    }
    lines.push(format!("Willo interview: {}", clean(c.interview_title)));
    lines.push(format!(
        "Status: completed{}",
        c.completed_at
            .map(|t| format!(" at {t}"))
            .unwrap_or_default()
    ));
    if let Some(score) = c.score {
        lines.push(format!("Score: {score}"));
    }
    if let Some(url) = c.share_url {
        lines.push(format!("Watch in Willo: {url}"));
    }
    if let Some(review) = c.review {
        if let Some(rating) = review.rating {
            lines.push(format!("Recruiter's rating: {rating}/5"));
        }
        if let Some(comment) = review
            .comment
            .as_deref()
            .map(clean)
            .filter(|c| !c.is_empty())
        {
            lines.push(format!("Recruiter's comment: {comment}"));
        }
    }
    if let Some(summary) = c.summary {
        lines.push(String::new());
        lines.push(format!("AI summary: {}", clean(summary)));
    }
    for (i, r) in c.responses.iter().enumerate() {
        lines.push(String::new());
        lines.push(format!("Q{}. {}", i + 1, clean(&r.question_text)));
        if c.links_only() {
            lines.push(answer_link(r, c.share_url));
        } else {
            lines.push(answer_line(r));
        }
        if let Some(score) = r.score {
            lines.push(format!("Score: {score}"));
        }
        if let Some(rating) = c
            .review
            .and_then(|review| review.question_ratings.get(&r.question_key))
        {
            lines.push(format!("Recruiter's rating: {rating}/5"));
        }
        if c.links_only() {
            continue;
        }
        if c.withheld(r) {
            lines.push("Transcript: withheld by the reviewer.".to_owned());
        } else if let Some(transcript) = &r.transcript {
            let transcript = clean(transcript);
            match c.transcripts_file {
                Some(file) if transcript.chars().count() > LONG_TRANSCRIPT => {
                    let excerpt: String = transcript.chars().take(EXCERPT).collect();
                    lines.push(format!(
                        "Transcript: {excerpt}… (the whole transcript is in the attachment {file})"
                    ));
                }
                _ => lines.push(format!("Transcript: {transcript}")),
            }
        }
    }
    lines.push(String::new());
    lines.push(c.marker.to_owned());
    lines.join("\n")
}

/// The note as HTML, for ATSs that render it: the same content, every piece of outside text escaped.
pub fn html(c: &NoteContent<'_>) -> String {
    plain(c)
        .split("\n\n")
        .map(|block| {
            format!(
                "<p>{}</p>",
                block
                    .lines()
                    .map(escape_html)
                    .collect::<Vec<_>>()
                    .join("<br>")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(
        kind: &str,
        media: Option<&str>,
        text: Option<&str>,
        transcript: Option<&str>,
    ) -> ResponseRecord {
        ResponseRecord {
            question_key: "q".into(),
            position: 0,
            question_text: "Tell us about yourself".into(),
            kind: kind.into(),
            media_url: media.map(Into::into),
            text_answer: text.map(Into::into),
            transcript: transcript.map(Into::into),
            segments: None,
            score: Some(4.0),
        }
    }

    fn content<'a>(
        responses: &'a [ResponseRecord],
        revision: i64,
        marker: &'a str,
    ) -> NoteContent<'a> {
        NoteContent {
            interview_title: "Screening",
            completed_at: Some("2026-11-30T10:00:00Z"),
            score: Some(80.0),
            summary: Some("Strong communicator."),
            share_url: Some("https://app.willotalent.com/show/abc/"),
            responses,
            revision,
            marker,
            transcripts_file: None,
            review: None,
            policy: NotePolicy::Everything,
        }
    }

    #[test]
    fn a_note_has_every_answer_and_ends_with_its_marker() {
        let responses = [
            response(
                "video",
                Some("https://m/v.webm"),
                None,
                Some("I like people."),
            ),
            response("text", None, Some("Zendesk."), None),
            response("choice", None, Some("Now"), None),
        ];
        let text = plain(&content(&responses, 1, "willo-desk:p:1"));
        for expected in [
            "Willo interview: Screening",
            "Score: 80",
            "AI summary: Strong communicator.",
            "Q1. Tell us about yourself",
            "Video answer: https://m/v.webm",
            "Transcript: I like people.",
            "Answer: Zendesk.",
            "Q3.",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} missing from:\n{text}"
            );
        }
        assert!(text.ends_with("willo-desk:p:1"));
        assert!(!text.contains("Update to"), "a first note is not an update");
    }

    #[test]
    fn a_later_revision_says_it_is_an_update() {
        let text = plain(&content(&[], 2, "willo-desk:p:2"));
        assert!(text.starts_with("Update to the Willo interview results (revision 2)."));
    }

    #[test]
    fn html_notes_escape_candidate_text() {
        let responses = [response(
            "text",
            None,
            Some("<img src=x onerror=alert(1)> & <script>x</script>"),
            None,
        )];
        let rendered = html(&content(&responses, 1, "willo-desk:p:1"));
        assert!(
            !rendered.contains("<img") && !rendered.contains("<script"),
            "{rendered}"
        );
        assert!(rendered.contains("&lt;img src=x onerror=alert(1)&gt; &amp; &lt;script&gt;"));
    }

    #[test]
    fn a_long_transcript_is_shortened_in_the_note_and_kept_whole_in_the_file() {
        let long = "word ".repeat(400);
        let responses = [response(
            "video",
            Some("https://m/v.webm"),
            None,
            Some(&long),
        )];
        let mut c = content(&responses, 1, "willo-desk:p:1");
        assert!(has_long_transcript(&c));
        c.transcripts_file = Some("willo-transcripts-p-r1.txt");
        let text = plain(&c);
        assert!(
            text.contains("(the whole transcript is in the attachment willo-transcripts-p-r1.txt)"),
            "{text}"
        );
        assert!(
            text.len() < long.len(),
            "the note is shorter than the transcript"
        );
        let file = transcripts(&c);
        assert!(file.contains(long.trim()) && file.ends_with("willo-desk:p:1"));
    }

    #[test]
    fn without_an_attachment_the_transcript_stays_whole_in_the_note() {
        let long = "word ".repeat(400);
        let responses = [response("video", None, None, Some(&long))];
        assert!(plain(&content(&responses, 1, "m")).contains(long.trim()));
    }

    #[test]
    fn an_approved_review_adds_ratings_and_comment_and_withholds_redacted_transcripts() {
        let responses = [response(
            "video",
            Some("https://m/v.webm"),
            None,
            Some("Something private."),
        )];
        let review = Review {
            invitation_id: 1,
            decision: "approved".into(),
            rating: Some(4),
            question_ratings: [("q".to_owned(), 5)].into_iter().collect(),
            comment: Some("Good <b>fit</b>.".into()),
            redactions: vec!["q".into()],
            reviewed_at: 0,
            version: 1,
        };
        let mut c = content(&responses, 1, "m");
        c.review = Some(&review);
        let text = plain(&c);
        assert!(
            text.contains("Recruiter's rating: 4/5")
                && text.contains("Recruiter's comment: Good <b>fit</b>."),
            "{text}"
        );
        assert!(
            text.contains("Recruiter's rating: 5/5"),
            "the per-question rating"
        );
        assert!(
            text.contains("Transcript: withheld by the reviewer.")
                && !text.contains("Something private."),
            "{text}"
        );
        assert!(
            html(&c).contains("Good &lt;b&gt;fit&lt;/b&gt;."),
            "the comment is escaped in HTML"
        );
        assert!(
            !transcripts(&c).contains("Something private."),
            "nor in the attachment"
        );
    }

    #[test]
    fn control_characters_are_dropped() {
        let responses = [response(
            "text",
            None,
            Some("line one\u{0007}\nline two\u{001b}[31m"),
            None,
        )];
        let text = plain(&content(&responses, 1, "m"));
        assert!(text.contains("Answer: line one\nline two[31m"));
    }

    #[test]
    fn summary_and_links_carries_no_answer_or_transcript_text() {
        let long = "private words ".repeat(200);
        let responses = [
            response("video", Some("https://m/v.webm"), None, Some(&long)),
            response("text", None, Some("My salary was 40k."), None),
            response(
                "audio",
                Some("https://m/a.mp3"),
                None,
                Some("Spoken secret."),
            ),
        ];
        let mut c = content(&responses, 1, "willo-desk:p:1");
        c.policy = NotePolicy::SummaryAndLinks;
        let text = plain(&c);
        for expected in [
            "Score: 80",
            "AI summary: Strong communicator.",
            "Watch in Willo: https://app.willotalent.com/show/abc/",
            "Video answer: https://m/v.webm",
            "Answer: in Willo, https://app.willotalent.com/show/abc/",
            "Audio answer: https://m/a.mp3",
            "Score: 4",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} missing from:\n{text}"
            );
        }
        for absent in ["private words", "40k", "Spoken secret", "Transcript"] {
            assert!(!text.contains(absent), "{absent:?} is in:\n{text}");
        }
        assert!(!has_long_transcript(&c), "no transcripts file either");
        assert!(text.ends_with("willo-desk:p:1"));
    }
}
