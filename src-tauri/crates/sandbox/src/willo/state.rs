//! The simulated Willo account's data and the operations on it that routes, the candidate
//! lifecycle and the admin API share.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::demo;
use super::model::{
    Category, Delivery, Interview, Language, Participant, ParticipantStatus, Response, Role,
    Template, TranscriptSegment, User, Webhook,
};
use crate::faults::lock;
use crate::throttle::{Throttle, Window};

/// How the simulated Willo throttles: requests per second, minute and day per organisation (0:
/// no limit), in sliding windows, answered with 429 or 403 when over.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WilloLimits {
    #[serde(default)]
    pub per_second: u32,
    #[serde(default)]
    pub per_minute: u32,
    #[serde(default)]
    pub per_day: u32,
    /// 429 (with `Retry-After`) or 403 (the body says why).
    #[serde(default = "too_many")]
    pub status: u16,
    /// Windows this many times shorter than a second, a minute and a day: benchmarks run a day of
    /// traffic in minutes, with the client's pacer compressed by the same factor.
    #[serde(default = "uncompressed")]
    pub compress: f64,
}

fn too_many() -> u16 {
    429
}

fn uncompressed() -> f64 {
    1.0
}

impl WilloLimits {
    pub const NONE: Self = Self {
        per_second: 0,
        per_minute: 0,
        per_day: 0,
        status: 429,
        compress: 1.0,
    };

    /// What Willo's support documentation gives per organisation.
    pub const PUBLISHED: Self = Self {
        per_second: 10,
        per_minute: 100,
        per_day: 50_000,
        status: 429,
        compress: 1.0,
    };

    fn windows(&self) -> Vec<Window> {
        let factor = self.compress.max(1.0);
        [
            (1, self.per_second),
            (60, self.per_minute),
            (86_400, self.per_day),
        ]
        .into_iter()
        .map(|(secs, limit)| Window {
            length: Duration::from_secs(secs).div_f64(factor),
            limit,
        })
        .collect()
    }
}

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

/// What the participants list does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListShape {
    /// It honours its `interview`, `email` and `status` filters (else it lists everything).
    #[serde(default = "yes")]
    pub filters: bool,
    /// Its items say how far each participant got (else only a participant read on its own does).
    #[serde(default = "yes")]
    pub statuses: bool,
}

impl Default for ListShape {
    fn default() -> Self {
        Self {
            filters: true,
            statuses: true,
        }
    }
}

fn yes() -> bool {
    true
}

/// What the simulated Willo received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RequestCount {
    pub received: u64,
    pub throttled: u64,
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

    /// Adds a user with a new API key to `organisation` (tests of the shared budget).
    pub fn add_user(&mut self, organisation: &str, role: Role) -> String {
        let api_key = crate::keys::hex_key(rand::random());
        self.users.push(User {
            key: crate::keys::hex_key(rand::random()),
            api_key: api_key.clone(),
            name: format!("{organisation} user"),
            role,
            organisation: organisation.to_owned(),
        });
        api_key
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
    /// The budget, per organisation.
    pub throttle: Throttle,
    /// Whether a throttled request is answered 403 (else 429).
    forbid_when_throttled: AtomicBool,
    /// Every request that reached the Willo API, throttled and refused ones included: figures
    /// about requests are read here, not from the client that made them.
    received: AtomicU64,
    /// What the participants list does (what Willo's does is not known; clients must work
    /// either way).
    list_shape: Mutex<ListShape>,
    pub lifecycle: Mutex<Lifecycle>,
    pub delivery: DeliveryPolicy,
    pub http: reqwest::Client,
    /// `http://127.0.0.1:<port>`, known once the server is bound.
    pub origin: OnceLock<String>,
}

pub const API_PREFIX: &str = "/api/integrations/v2";

impl WilloSim {
    pub fn new(limits: WilloLimits, lifecycle: Lifecycle, delivery: DeliveryPolicy) -> Arc<Self> {
        let http = reqwest::Client::builder()
            .timeout(delivery.timeout)
            .build()
            .unwrap_or_default();
        Arc::new(Self {
            data: Mutex::new(Data::demo()),
            throttle: Throttle::windows(limits.windows()),
            forbid_when_throttled: AtomicBool::new(limits.status == 403),
            received: AtomicU64::new(0),
            list_shape: Mutex::new(ListShape::default()),
            lifecycle: Mutex::new(lifecycle),
            delivery,
            http,
            origin: OnceLock::new(),
        })
    }

    /// Replaces the limits (and forgets the requests counted against the old ones).
    pub fn set_limits(&self, limits: WilloLimits) {
        self.throttle.set_windows(limits.windows());
        self.forbid_when_throttled
            .store(limits.status == 403, Ordering::Relaxed);
    }

    pub fn forbid_when_throttled(&self) -> bool {
        self.forbid_when_throttled.load(Ordering::Relaxed)
    }

    pub fn set_list_shape(&self, shape: ListShape) {
        *lock(&self.list_shape) = shape;
    }

    pub fn list_shape(&self) -> ListShape {
        *lock(&self.list_shape)
    }

    /// Counts a request that reached the API.
    pub fn received_one(&self) {
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests received so far, and how many of them were throttled.
    pub fn requests(&self) -> RequestCount {
        RequestCount {
            received: self.received.load(Ordering::Relaxed),
            throttled: self.throttle.refused(),
        }
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
