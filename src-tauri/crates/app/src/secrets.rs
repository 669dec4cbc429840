//! Where secrets live: the OS keychain (the desktop and `serve` alike), or environment variables,
//! which win when set so a container or CI job needs no keychain. Tests use [`MemorySecrets`].

use std::collections::HashMap;
use std::sync::Mutex;

use crate::AppError;

/// The keychain service name every Willo Desk secret is filed under.
pub const SERVICE: &str = "willo-desk";

pub trait SecretStore: Send + Sync {
    /// The secret named `name`, `None` when there is none.
    fn get(&self, name: &str) -> Result<Option<String>, AppError>;
    fn set(&self, name: &str, value: &str) -> Result<(), AppError>;
    /// Removes it; removing a secret that is not there is not an error.
    fn delete(&self, name: &str) -> Result<(), AppError>;
}

/// The operating system's keychain.
#[derive(Debug, Default, Clone, Copy)]
pub struct Keychain;

fn keychain_error(name: &str, error: &keyring::Error) -> AppError {
    // The error names the entry, never its value.
    AppError::secrets(format!(
        "the keychain entry `{name}` could not be used: {error}"
    ))
}

impl SecretStore for Keychain {
    fn get(&self, name: &str) -> Result<Option<String>, AppError> {
        let entry = keyring::Entry::new(SERVICE, name).map_err(|e| keychain_error(name, &e))?;
        match entry.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error(name, &e)),
        }
    }

    fn set(&self, name: &str, value: &str) -> Result<(), AppError> {
        keyring::Entry::new(SERVICE, name)
            .and_then(|entry| entry.set_password(value))
            .map_err(|e| keychain_error(name, &e))
    }

    fn delete(&self, name: &str) -> Result<(), AppError> {
        match keyring::Entry::new(SERVICE, name).and_then(|entry| entry.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error(name, &e)),
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

/// A lookup for the configuration's secrets: the environment variable of that name when it is
/// set, else the keychain entry of that name. A keychain that cannot be reached counts as empty
/// (and is logged), so the error the user sees names the secret that is missing.
pub fn lookup<'a>(
    env: &'a (dyn Fn(&str) -> Option<String> + Sync),
    store: &'a dyn SecretStore,
) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        env(name).filter(|v| !v.trim().is_empty()).or_else(|| {
            store.get(name).unwrap_or_else(|error| {
                tracing::warn!(%error, "the keychain could not be read");
                None
            })
        })
    }
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
        let get = lookup(&env, &store);
        assert_eq!(get("WILLO_KEY").as_deref(), Some("from-env"));
        assert_eq!(get("ATS_SECRET").as_deref(), Some("kept"));
        assert_eq!(get("NOTHING"), None);
        store.delete("ATS_SECRET").unwrap();
        store.delete("ATS_SECRET").unwrap();
        assert_eq!(get("ATS_SECRET"), None);
    }
}
