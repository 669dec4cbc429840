//! Where secrets live: the OS keychain (the desktop and `serve` alike), or environment variables,
//! which win when set so a container or CI job needs no keychain. Tests use [`MemorySecrets`].

use std::collections::HashMap;
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use crate::AppError;

/// The keychain service name every Willo Desk secret is filed under.
pub const SERVICE: &str = "willo-desk";

/// How long a keychain call may take. A locked keychain may wait for a password prompt that
/// nobody will answer (a server, a session without a prompter): give up and say so.
const KEYCHAIN_TIMEOUT: Duration = Duration::from_secs(10);

pub trait SecretStore: Send + Sync {
    /// The secret named `name`, `None` when there is none.
    fn get(&self, name: &str) -> Result<Option<String>, AppError>;
    fn set(&self, name: &str, value: &str) -> Result<(), AppError>;
    /// Removes it; removing a secret that is not there is not an error.
    fn delete(&self, name: &str) -> Result<(), AppError>;
}

/// The operating system's keychain.
///
/// Every call runs on a thread of its own: the Secret Service backend blocks on an executor of
/// its own, which panics inside the async runtime, and a locked keychain may never answer.
#[derive(Debug, Default, Clone, Copy)]
pub struct Keychain;

/// Why the keychain could not be used, in the words a user can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trouble {
    /// No keychain service (no Secret Service on Linux, no session bus).
    Absent,
    /// Locked, or a prompt to unlock it was dismissed or never answered.
    Locked,
    Other,
}

fn trouble(error: &keyring::Error) -> Trouble {
    // The backends' errors are only strings by the time they reach us.
    let detail = error.to_string().to_lowercase();
    let locked = ["locked", "prompt"].iter().any(|w| detail.contains(w));
    let absent = [
        "no secret service",
        "dbus session",
        "serviceunknown",
        "not provided by any",
        "org.freedesktop.dbus.error",
        "connection refused",
        "no such file or directory",
    ]
    .iter()
    .any(|w| detail.contains(w));
    match error {
        keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_) if absent => {
            Trouble::Absent
        }
        // The Secret Service backend reports locked items and dismissed prompts as no access.
        keyring::Error::NoStorageAccess(_) => Trouble::Locked,
        keyring::Error::PlatformFailure(_) if locked => Trouble::Locked,
        _ => Trouble::Other,
    }
}

fn keychain_error(name: &str, what: Trouble, detail: &str) -> AppError {
    // The message names the entry, never its value.
    let message = match what {
        Trouble::Absent => format!(
            "there is no keychain to read `{name}` from (no Secret Service is running in this session). \
             Start one (GNOME Keyring or KeePassXC) and log in again (`serve` and `doctor` also read \
             secrets from environment variables)"
        ),
        Trouble::Locked => format!(
            "the keychain holding `{name}` is locked. Unlock it (log in to the desktop session, or run \
             `gnome-keyring-daemon --unlock`), then try again"
        ),
        Trouble::Other => format!("the keychain entry `{name}` could not be used: {detail}"),
    };
    AppError::secrets(message)
}

/// Runs `call` on a thread of its own and waits for it, at most [`KEYCHAIN_TIMEOUT`].
fn off_runtime<T: Send + 'static>(
    name: &str,
    call: impl FnOnce() -> keyring::Result<T> + Send + 'static,
) -> Result<keyring::Result<T>, AppError> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("keychain".into())
        .spawn(move || {
            let _ = tx.send(call());
        })
        .map_err(|e| AppError::secrets(format!("the keychain could not be asked: {e}")))?;
    match rx.recv_timeout(KEYCHAIN_TIMEOUT) {
        Ok(result) => Ok(result),
        // The thread is left waiting: a keychain that never answers cannot be interrupted.
        Err(mpsc::RecvTimeoutError::Timeout) => {
            tracing::warn!(%name, "the keychain did not answer");
            Err(keychain_error(name, Trouble::Locked, "no answer"))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(AppError::secrets(format!(
            "the keychain failed while reading `{name}`"
        ))),
    }
}

fn failed(name: &str, error: &keyring::Error) -> AppError {
    tracing::warn!(%name, %error, "the keychain could not be used");
    keychain_error(name, trouble(error), &error.to_string())
}

impl SecretStore for Keychain {
    fn get(&self, name: &str) -> Result<Option<String>, AppError> {
        let owned = name.to_owned();
        match off_runtime(name, move || {
            keyring::Entry::new(SERVICE, &owned)?.get_password()
        })? {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(failed(name, &e)),
        }
    }

    fn set(&self, name: &str, value: &str) -> Result<(), AppError> {
        let (owned, value) = (name.to_owned(), value.to_owned());
        off_runtime(name, move || {
            keyring::Entry::new(SERVICE, &owned)?.set_password(&value)
        })?
        .map_err(|e| failed(name, &e))
    }

    fn delete(&self, name: &str) -> Result<(), AppError> {
        let owned = name.to_owned();
        match off_runtime(name, move || {
            keyring::Entry::new(SERVICE, &owned)?.delete_credential()
        })? {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(failed(name, &e)),
        }
    }
}

/// Secrets held in memory, for tests.
#[derive(Debug, Default)]
pub struct MemorySecrets(Mutex<HashMap<String, String>>);

impl SecretStore for MemorySecrets {
    fn get(&self, name: &str) -> Result<Option<String>, AppError> {
        Ok(self
            .0
            .lock()
            .map_err(|_| AppError::secrets("the secret store is poisoned"))?
            .get(name)
            .cloned())
    }

    fn set(&self, name: &str, value: &str) -> Result<(), AppError> {
        self.0
            .lock()
            .map_err(|_| AppError::secrets("the secret store is poisoned"))?
            .insert(name.to_owned(), value.to_owned());
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), AppError> {
        self.0
            .lock()
            .map_err(|_| AppError::secrets("the secret store is poisoned"))?
            .remove(name);
        Ok(())
    }
}

/// Reads the secrets named by a configuration, once, before anything starts: each from the
/// environment variable of that name when it is set, else from the keychain entry of that name.
/// A secret found in neither is left out (the configuration then says which one is missing);
/// a keychain that cannot be read is an error that says what to do.
pub fn resolve(
    names: &[&str],
    env: &dyn Fn(&str) -> Option<String>,
    store: &dyn SecretStore,
) -> Result<HashMap<String, String>, AppError> {
    let mut found = HashMap::new();
    for &name in names {
        let value = match env(name).filter(|v| !v.trim().is_empty()) {
            Some(value) => Some(value),
            None => store.get(name)?,
        };
        if let Some(value) = value {
            found.insert(name.to_owned(), value);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_wins_and_the_keychain_fills_in() {
        let store = MemorySecrets::default();
        store.set("WILLO_KEY", "from-keychain").unwrap();
        store.set("ATS_SECRET", "kept").unwrap();
        let env = |name: &str| (name == "WILLO_KEY").then(|| "from-env".to_owned());
        let found = resolve(&["WILLO_KEY", "ATS_SECRET", "NOTHING"], &env, &store).unwrap();
        assert_eq!(found["WILLO_KEY"], "from-env");
        assert_eq!(found["ATS_SECRET"], "kept");
        assert!(!found.contains_key("NOTHING"));
        store.delete("ATS_SECRET").unwrap();
        store.delete("ATS_SECRET").unwrap();
        assert!(!resolve(&["ATS_SECRET"], &env, &store)
            .unwrap()
            .contains_key("ATS_SECRET"));
    }

    /// A store whose every read fails as a keychain does.
    struct Broken;
    impl SecretStore for Broken {
        fn get(&self, name: &str) -> Result<Option<String>, AppError> {
            Err(keychain_error(name, Trouble::Locked, ""))
        }
        fn set(&self, _: &str, _: &str) -> Result<(), AppError> {
            unreachable!()
        }
        fn delete(&self, _: &str) -> Result<(), AppError> {
            unreachable!()
        }
    }

    #[test]
    fn a_keychain_that_cannot_be_read_is_an_error_unless_the_environment_has_the_secret() {
        let env = |name: &str| (name == "SET").then(|| "x".to_owned());
        assert_eq!(resolve(&["SET"], &env, &Broken).unwrap()["SET"], "x");
        let error = resolve(&["SET", "UNSET"], &env, &Broken).unwrap_err();
        assert!(
            error.message.contains("`UNSET`") && error.message.contains("locked"),
            "{}",
            error.message
        );
    }

    #[test]
    fn keychain_troubles_are_told_apart() {
        let boxed = |text: &str| -> Box<dyn std::error::Error + Send + Sync> { text.into() };
        let cases = [
            (
                keyring::Error::NoStorageAccess(boxed("SS Error: object locked")),
                Trouble::Locked,
            ),
            (
                keyring::Error::NoStorageAccess(boxed("SS error: prompt dismissed")),
                Trouble::Locked,
            ),
            (
                keyring::Error::PlatformFailure(boxed(
                    "no secret service provider or dbus session found",
                )),
                Trouble::Absent,
            ),
            (
                keyring::Error::PlatformFailure(boxed(
                    "zbus error: org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files",
                )),
                Trouble::Absent,
            ),
        ];
        for (error, expected) in &cases {
            assert_eq!(trouble(error), *expected, "{error}");
        }
        let message = keychain_error("willo-api-key", Trouble::Absent, "").message;
        assert!(message.contains("`willo-api-key`") && message.contains("Secret Service"));
    }
}
