//! The simulated Willo account's data and the operations on it that routes, the candidate
//! lifecycle and the admin API share.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use chrono::Utc;

use super::demo;
use super::model::{
    Category, Delivery, Interview, Language, Participant, ParticipantStatus, Response, Role,
    Template, TranscriptSegment, User, Webhook,
};
use crate::faults::lock;
use crate::throttle::Throttle;

/// How simulated candidates move through an interview after being invited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lifecycle {
    /// Each step happens this long after the previous one.
    Timed {
        open_after: Duration,
        start_after: Duration,
        complete_after: Duration,
    },
    /// Nothing happens until a test or the admin API advances the participant.
    Manual,
}

/// How webhook deliveries are retried when the receiver fails.
#[derive(Debug, Clone)]
pub struct DeliveryPolicy {
    pub max_attempts: u32,
    pub first_backoff: Duration,
    pub timeout: Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            first_backoff: Duration::from_millis(200),
            timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Default)]
pub struct Data {
    pub users: Vec<User>,
    pub interviews: Vec<Interview>,
    pub categories: Vec<Category>,
    pub templates: Vec<Template>,
    pub languages: Vec<Language>,
    pub participants: Vec<Participant>,
    pub webhooks: Vec<Webhook>,
    pub deliveries: Vec<Delivery>,
}

impl Data {
    pub fn demo() -> Self {
        let users = demo::users();
        let interviews = demo::interviews(&users);
        let categories = demo::categories();
        let templates = demo::templates(&categories);
        Self {
            users,
            interviews,
            categories,
            templates,
            languages: demo::languages(),
            ..Self::default()
        }
    }

    pub fn user_by_api_key(&self, api_key: &str) -> Option<&User> {
        self.users.iter().find(|u| u.api_key == api_key)
    }

    /// An admin sees the whole account; a standard user only their own interviews.
    pub fn can_see(&self, user: &User, interview: &Interview) -> bool {
        user.role == Role::Admin || interview.owner == user.key
    }

    pub fn visible_interview(&self, user: &User, key: &str) -> Option<&Interview> {
        self.interviews
            .iter()
            .find(|i| i.key == key && self.can_see(user, i))
    }
}

pub struct WilloSim {
    pub data: Mutex<Data>,
    pub throttle: Throttle,
    pub lifecycle: Mutex<Lifecycle>,
    pub delivery: DeliveryPolicy,
    pub http: reqwest::Client,
    /// `http://127.0.0.1:<port>`, known once the server is bound.
    pub origin: OnceLock<String>,
}

pub const API_PREFIX: &str = "/api/integrations/v2";

impl WilloSim {
    pub fn new(rate_per_second: u32, lifecycle: Lifecycle, delivery: DeliveryPolicy) -> Arc<Self> {
        let http = reqwest::Client::builder()
            .timeout(delivery.timeout)
            .build()
            .unwrap_or_default();
        Arc::new(Self {
            data: Mutex::new(Data::demo()),
            throttle: Throttle::new(rate_per_second, Duration::from_secs(1)),
            lifecycle: Mutex::new(lifecycle),
            delivery,
            http,
            origin: OnceLock::new(),
        })
    }

    pub fn origin(&self) -> &str {
        self.origin.get().map_or("http://127.0.0.1", String::as_str)
    }

    pub fn api_base(&self) -> String {
        format!("{}{API_PREFIX}", self.origin())
    }

    pub fn with_data<T>(&self, f: impl FnOnce(&mut Data) -> T) -> T {
        f(&mut lock(&self.data))
    }

    /// Moves a participant one step on (or straight to `target`), filling in answers on
    /// completion. Returns the new status, or `None` for an unknown key or one already there.
    pub fn advance(
        self: &Arc<Self>,
        key: &str,
        target: Option<ParticipantStatus>,
    ) -> Option<ParticipantStatus> {
        let origin = self.origin().to_owned();
        let completed = self.with_data(|data| {
            let interview_of = |p: &Participant| {
                data.interviews
                    .iter()
                    .find(|i| i.key == p.interview)
                    .cloned()
            };
            let participant = data.participants.iter().find(|p| p.key == key)?;
            let interview = interview_of(participant)?;
            let participant = data.participants.iter_mut().find(|p| p.key == key)?;
            let goal = target.or_else(|| participant.status.next())?;
            if goal <= participant.status {
                return None;
            }
            let now = Utc::now();
            while participant.status < goal {
                let Some(next) = participant.status.next() else {
                    break;
                };
                participant.status = next;
                match next {
                    ParticipantStatus::Opened => participant.opened_at = Some(now),
                    ParticipantStatus::Started => participant.started_at = Some(now),
                    ParticipantStatus::Completed => {
                        participant.completed_at = Some(now);
                        complete(participant, &interview, &origin);
                    }
                    ParticipantStatus::Invited => {}
                }
            }
            Some(participant.status)
        })?;
        if completed == ParticipantStatus::Completed {
            self.announce(key, "new_response");
        }
        Some(completed)
    }

    /// Schedules the timed lifecycle of a newly invited participant.
    pub fn schedule(self: &Arc<Self>, key: String) {
        let Lifecycle::Timed {
            open_after,
            start_after,
            complete_after,
        } = lock(&self.lifecycle).clone()
        else {
            return;
        };
        let sim = Arc::clone(self);
        tokio::spawn(async move {
            for wait in [open_after, start_after, complete_after] {
                tokio::time::sleep(wait).await;
                if sim.advance(&key, None).is_none() {
                    break;
                }
            }
        });
    }
}

/// Fills in what a completed interview carries: one answer per question with media, text,
/// transcript and score, an AI summary and an overall score.
fn complete(participant: &mut Participant, interview: &Interview, origin: &str) {
    let seed = participant.key.clone();
    participant.responses = interview
        .questions
        .iter()
        .map(|q| {
            let spoken = matches!(q.kind.as_str(), "video" | "audio");
            let segments: Vec<TranscriptSegment> = if spoken {
                (0..3u32)
                    .map(|i| {
                        let line = demo::pick(&demo::SPOKEN_LINES, &seed, q.order * 10 + i);
                        TranscriptSegment {
                            start: f64::from(i) * 1.5,
                            end: f64::from(i + 1) * 1.5,
                            // Candidates introduce themselves, so what the ATS holds as their
                            // name also reaches transcripts (and is shown, escaped, in review).
                            text: if q.order == 1 && i == 0 {
                                format!("Hi, I'm {}. {line}", participant.first_name)
                            } else {
                                line.to_owned()
                            },
                        }
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let media = match q.kind.as_str() {
                "video" => Some(format!("{origin}/media/answer-video.webm")),
                "audio" => Some(format!("{origin}/media/answer-audio.webm")),
                _ => None,
            };
            Response {
                key: demo::new_key(),
                question: q.key.clone(),
                question_text: q.prompt.clone(),
                kind: q.kind.clone(),
                media_url: media,
                text: (q.kind == "text")
                    .then(|| demo::pick(&demo::WRITTEN_ANSWERS, &seed, q.order).to_owned()),
                choice: (q.kind == "multiple_choice")
                    .then(|| q.options.first().cloned())
                    .flatten(),
                transcript: spoken.then(|| {
                    segments
                        .iter()
                        .map(|s| s.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                }),
                duration: spoken.then_some(4.5),
                transcript_segments: segments,
                score: Some(u8::try_from(2 + (seed.len() + q.order as usize) % 4).unwrap_or(3)),
            }
        })
        .collect();
    participant.summary = Some(demo::pick(&demo::SUMMARIES, &seed, 7).to_owned());
    let scores: Vec<f64> = participant
        .responses
        .iter()
        .filter_map(|r| r.score)
        .map(f64::from)
        .collect();
    participant.score = (!scores.is_empty())
        .then(|| (scores.iter().sum::<f64>() / scores.len() as f64 * 20.0).round());
}
