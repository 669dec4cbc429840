//! A candidate's access request: everything held about one application, as a ZIP of JSON and
//! text. The desktop's timeline and `willo-desk export-candidate` both make it here.

use std::io::Write;
use std::path::{Path, PathBuf};

use desk_store::Store;
use serde_json::{json, Value};
use zip::write::SimpleFileOptions;

use crate::{AppError, ErrorCode};

fn pretty(value: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(value).unwrap_or_default()
}

fn time(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

/// One interview's answers as a person reads them.
fn answers_text(
    title: &str,
    summary: Option<&str>,
    score: Option<f64>,
    responses: &[Value],
) -> String {
    let mut out = format!("Interview: {title}\n");
    if let Some(score) = score {
        out.push_str(&format!("Score: {score}\n"));
    }
    if let Some(summary) = summary {
        out.push_str(&format!("AI summary: {summary}\n"));
    }
    for (i, r) in responses.iter().enumerate() {
        let field = |name: &str| r.get(name).and_then(Value::as_str);
        out.push_str(&format!(
            "\nQ{}. {}\n",
            i + 1,
            field("question").unwrap_or_default()
        ));
        if let Some(url) = field("media_url") {
            out.push_str(&format!("Recording: {url}\n"));
        }
        if let Some(text) = field("answer") {
            out.push_str(&format!("Answer: {text}\n"));
        }
        if let Some(transcript) = field("transcript") {
            out.push_str(&format!("Transcript: {transcript}\n"));
        }
    }
    out
}

/// The export's files: name and content.
async fn files(store: &Store, application_id: i64) -> Result<Vec<(String, Vec<u8>)>, AppError> {
    let profile = store.access_profile(application_id).await?;
    let invitations = store.access_invitations(application_id).await?;
    let mut files = vec![("profile.json".to_owned(), pretty(&profile))];
    let mut reviews = Vec::new();
    let mut writes = Vec::new();
    for invitation in &invitations {
        let Some(id) = invitation.get("id").and_then(Value::as_i64) else {
            continue;
        };
        let title = invitation
            .get("interview")
            .and_then(Value::as_str)
            .unwrap_or("interview");
        if let Some(review) = store.review(id).await? {
            reviews.push(json!({
                "invitation": id, "decision": review.decision, "rating": review.rating,
                "question_ratings": review.question_ratings, "comment": review.comment,
                "transcripts_withheld_from_the_ats": review.redactions,
                "reviewed_at": time(Some(review.reviewed_at)),
            }));
        }
        writes.push(json!({ "invitation": id, "writes": store.access_writes(id).await? }));
        let Some(participant) = store.participant_of(id).await? else {
            continue;
        };
        let responses: Vec<Value> = store
            .responses(&participant.key)
            .await?
            .into_iter()
            .map(|r| {
                json!({
                    "question": r.question_text, "kind": r.kind, "media_url": r.media_url,
                    "answer": r.text_answer, "transcript": r.transcript,
                    "timed_transcript": r.segments, "score": r.score,
                })
            })
            .collect();
        let raw = store.participant_raw(&participant.key).await?;
        let base = format!("answers/{id}");
        files.push((
            format!("{base}.json"),
            pretty(&json!({
                "interview": title, "willo_participant": participant.key,
                "status": participant.status, "score": participant.score,
                "summary": participant.summary, "answers": responses,
                "as_willo_gave_it": raw,
            })),
        ));
        files.push((
            format!("{base}.txt"),
            answers_text(
                title,
                participant.summary.as_deref(),
                participant.score,
                &responses,
            )
            .into_bytes(),
        ));
    }
    files.push(("invitations.json".into(), pretty(&json!(invitations))));
    files.push(("reviews.json".into(), pretty(&json!(reviews))));
    files.push(("written_to_the_ats.json".into(), pretty(&json!(writes))));
    files.push((
        "activity.json".into(),
        pretty(&json!(store.access_activity(application_id).await?)),
    ));
    let readme = format!(
        "What Willo Desk holds about this candidate's application, exported {}.\n\n\
         profile.json: the candidate and the application as the ATS gave them.\n\
         invitations.json: each interview invitation and its steps.\n\
         answers/: each completed interview's answers, transcripts, summary and score \
         (JSON, and the same as text).\n\
         reviews.json: the recruiters' reviews.\n\
         written_to_the_ats.json: what was written to the ATS, with its ids there.\n\
         activity.json: the activity log's entries about them.\n\n\
         Recordings stay in Willo: the answers give their links.\n",
        time(Some(crate::app::now_ms()))
    );
    files.insert(0, ("README.txt".into(), readme.into_bytes()));
    Ok(files)
}

fn zipped(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, AppError> {
    let fail = |e: &dyn std::fmt::Display| {
        AppError::new(
            ErrorCode::Internal,
            format!("the export could not be written: {e}"),
        )
    };
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o600);
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options)
            .map_err(|e| fail(&e))?;
        zip.write_all(bytes).map_err(|e| fail(&e))?;
    }
    Ok(zip.finish().map_err(|e| fail(&e))?.into_inner())
}

/// Writes the application's export into `dir` and returns its path.
pub async fn write(store: &Store, application_id: i64, dir: &Path) -> Result<PathBuf, AppError> {
    let bytes = zipped(&files(store, application_id).await?)?;
    std::fs::create_dir_all(dir).map_err(|e| {
        AppError::new(
            ErrorCode::Storage,
            format!("could not create {}: {e}", dir.display()),
        )
    })?;
    let path = dir.join(format!(
        "willo-desk-candidate-{application_id}-{}.zip",
        chrono::Utc::now().format("%Y%m%d-%H%M%S")
    ));
    crate::paths::write_whole(&path, &bytes).map_err(|e| {
        AppError::new(
            ErrorCode::Storage,
            format!("could not write {}: {e}", path.display()),
        )
    })?;
    // Recorded, so that deleting the candidate's data removes this copy of it too.
    store
        .record_export(
            &path.display().to_string(),
            "candidate",
            Some(application_id),
            crate::app::now_ms(),
        )
        .await?;
    Ok(path)
}
