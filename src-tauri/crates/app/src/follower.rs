//! A desktop opened on a database whose engine another process runs (`serve`, usually): what the
//! recruiter does here is written to the database and carried out by that process. Meanwhile the
//! window learns what the other process did from the activity log (completions become desktop
//! notifications as usual), and when that process goes away, this one takes the engine over.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use desk_domain::Sensitive;
use desk_engine::{Background, Engine, EngineEvent, Schedule};
use desk_store::{ActivityEntry, Store};
use tokio::sync::mpsc::UnboundedSender;

use crate::engine_lock::{self, Claim, EngineLock, Holder};

/// Who runs the engine on the app's database.
#[derive(Debug)]
pub(crate) enum Role {
    /// This process, for as long as it holds the lock.
    Runs { _lock: EngineLock },
    /// Another process (as it described itself, if it did).
    Elsewhere(Option<Holder>),
}

/// How often the activity log is read and the lock tried.
const EVERY: Duration = Duration::from_secs(1);

/// What the lock's holder logged, as the events the window and notifications take.
async fn event_for(store: &Store, entry: &ActivityEntry) -> EngineEvent {
    let Some(invitation_id) = entry.invitation_id else {
        return EngineEvent::Changed;
    };
    match entry.kind.as_str() {
        "interview_completed" => match store.invitation(invitation_id).await {
            Ok(invitation) => EngineEvent::InterviewCompleted {
                invitation_id,
                participant_key: invitation.participant_key.unwrap_or_default(),
            },
            Err(_) => EngineEvent::Changed,
        },
        "invite_sent" => EngineEvent::InvitationSent { invitation_id },
        "invite_failed" => EngineEvent::InvitationFailed {
            invitation_id,
            error: entry.message.clone(),
        },
        "written_back" => EngineEvent::WrittenBack { invitation_id },
        "writeback_failed" => EngineEvent::WritebackFailed {
            invitation_id,
            outbox_id: store
                .failed_items()
                .await
                .ok()
                .and_then(|items| {
                    items
                        .into_iter()
                        .find(|i| i.invitation_id == Some(invitation_id))
                })
                .map_or(0, |i| i.outbox_id),
            error: entry.message.clone(),
        },
        _ => EngineEvent::Changed,
    }
}

/// The parts a follower needs, shared with the app.
pub(crate) struct Follower {
    pub engine: Arc<Engine>,
    pub store: Store,
    pub database: PathBuf,
    pub schedule: Schedule,
    pub role: Arc<Mutex<Role>>,
    pub background: Arc<tokio::sync::Mutex<Option<Background>>>,
    /// Set when the app shuts down: then the engine stays stopped.
    pub closed: Arc<AtomicBool>,
    pub events: UnboundedSender<EngineEvent>,
    /// Where Willo's webhooks go once this process runs the engine (the receiver's URL and
    /// token), if anywhere.
    pub webhooks: Option<(String, Sensitive<String>)>,
}

impl Follower {
    /// Runs until this process takes the engine over (or the app closes).
    pub async fn run(self) {
        let mut seen = match self.store.recent_activity(1).await {
            Ok(newest) => newest.first().map_or(0, |e| e.id),
            Err(_) => 0,
        };
        loop {
            tokio::time::sleep(EVERY).await;
            match engine_lock::claim(&self.database, crate::app::DESKTOP) {
                Ok(Claim::Held(lock)) => {
                    self.take_over(lock).await;
                    return;
                }
                Ok(Claim::Taken(holder)) => {
                    *self.role.lock().unwrap_or_else(PoisonError::into_inner) =
                        Role::Elsewhere(holder);
                }
                Err(error) => tracing::warn!(%error, "the engine's lock could not be tried"),
            }
            match self.store.activity_after(seen, 200).await {
                Ok(entries) => {
                    for entry in entries {
                        seen = entry.id;
                        if self
                            .events
                            .send(event_for(&self.store, &entry).await)
                            .is_err()
                        {
                            return; // The app closed.
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, "the activity log could not be read"),
            }
        }
    }

    /// The other process is gone: this one runs the engine from now on.
    async fn take_over(self, lock: EngineLock) {
        tracing::info!("the process that ran the engine stopped; this one runs it now");
        {
            // Under the lock the closing app takes to stop the engine: either it finds the
            // engine started here, or this finds the app closed.
            let mut background = self.background.lock().await;
            if self.closed.load(Ordering::SeqCst) {
                return; // The app is closing: the lock goes with this.
            }
            self.engine.set_acting(true);
            *background = Some(self.engine.spawn(self.schedule));
            *self.role.lock().unwrap_or_else(PoisonError::into_inner) = Role::Runs { _lock: lock };
        }
        // Willo delivered to the process that stopped: point its webhooks here.
        if let Some((url, token)) = &self.webhooks {
            if let Err(error) = self
                .engine
                .register_webhooks(url, token.expose(), None)
                .await
            {
                tracing::warn!(%error, "the webhooks could not be registered with Willo");
            }
        }
        let _ = self.events.send(EngineEvent::Changed);
    }
}
