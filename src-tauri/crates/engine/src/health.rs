//! Whether Willo and the ATS are reachable, as the background loop last found them. A change
//! either way is an event (the desktop notifies "connection lost" once, not on every tick).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::{Engine, EngineError, EngineEvent};

/// The services the engine talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Willo,
    Ats,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Self::Willo => "willo",
            Self::Ats => "ats",
        }
    }
}

/// Last known state per service: `Some(error)` while it is unreachable.
#[derive(Debug, Default)]
pub(crate) struct Health(Mutex<HashMap<Service, Option<String>>>);

/// The error, when it says the service is down or refuses our credentials (not throttling, and
/// not a problem of ours such as the database).
fn connection_problem(error: &EngineError) -> Option<String> {
    match error {
        EngineError::Willo(e) if !matches!(e, desk_willo::WilloError::RateLimited { .. }) => {
            Some(e.to_string())
        }
        EngineError::Ats(e) if !matches!(e, desk_ats::AtsError::RateLimited { .. }) => {
            Some(e.to_string())
        }
        _ => None,
    }
}

impl Engine {
    /// Records how a call to `service` went, and emits an event when that changes its state.
    pub(crate) fn note_health<T>(&self, service: Service, outcome: &Result<T, EngineError>) {
        let problem = match outcome {
            Ok(_) => None,
            Err(error) => match connection_problem(error) {
                Some(problem) => Some(problem),
                // Not about the connection: it neither breaks nor heals it.
                None => return,
            },
        };
        let Ok(mut states) = self.health.0.lock() else {
            return;
        };
        let before = states.insert(service, problem.clone()).flatten();
        let event = match (before, problem) {
            (None, Some(error)) => EngineEvent::ConnectionLost {
                service: service.name().into(),
                error,
            },
            (Some(_), None) => EngineEvent::ConnectionRestored {
                service: service.name().into(),
            },
            _ => return,
        };
        drop(states);
        self.events.emit(event);
    }

    /// The services that are unreachable now, with the last error.
    pub fn connection_problems(&self) -> Vec<(Service, String)> {
        self.health
            .0
            .lock()
            .map(|states| {
                states
                    .iter()
                    .filter_map(|(s, e)| e.clone().map(|e| (*s, e)))
                    .collect()
            })
            .unwrap_or_default()
    }
}
