//! Real accounts for the desktop: the connections a recruiter enters on first run, tested before
//! they are kept. Secrets go to the keychain; the rest to `connections.json` in the data folder.
//! The connections are expressed as a `serve` configuration, so the desktop and `serve` build
//! their clients, and the doctor checks them, the same way.

use std::path::{Path, PathBuf};

use desk_willo::{AuthScheme, RetryPolicy};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::config::{ConfigError, ServeConfig};
use crate::secrets::SecretStore;
use crate::{AppError, ErrorCode};

/// The keychain entries of the desktop's secrets.
pub const WILLO_KEY: &str = "willo-api-key";
pub const ATS_SECRET: &str = "ats-secret";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum WilloEnvironment {
    Production,
    Staging,
    /// A URL ending in `/api/integrations/v2`.
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AtsChoice {
    Greenhouse,
    Lever,
    Ashby,
    Workable,
}

impl AtsChoice {
    pub fn kind(self) -> desk_domain::AtsKind {
        match self {
            Self::Greenhouse => desk_domain::AtsKind::Greenhouse,
            Self::Lever => desk_domain::AtsKind::Lever,
            Self::Ashby => desk_domain::AtsKind::Ashby,
            Self::Workable => desk_domain::AtsKind::Workable,
        }
    }
}

/// What the recruiter enters, without secrets (those travel only in requests, never back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Connections {
    pub willo_environment: WilloEnvironment,
    /// For a custom environment.
    pub willo_url: Option<String>,
    pub ats: AtsChoice,
    /// Greenhouse's Harvest v3 client id.
    pub ats_client_id: Option<String>,
    /// The ATS user that writes are attributed to.
    pub ats_acting_user: Option<String>,
    /// Another ATS address than the vendor's (a proxy, or the sandbox).
    pub ats_url: Option<String>,
    /// Greenhouse only: the OAuth token address, when `ats_url` is not the vendor's.
    pub ats_token_url: Option<String>,
    /// Workable only: the account's subdomain (`acme` for acme.workable.com).
    #[serde(default)]
    pub ats_subdomain: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WilloCheck {
    /// bare | bearer | token: how Willo accepted the key.
    pub scheme: String,
    /// The interviews this key can see (a standard user's key sees only their own).
    pub interviews: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AtsCheck {
    pub jobs: u32,
    /// The acting user's name, when one is set and the ATS knows it.
    pub acting_user: Option<String>,
}

/// An input of the connections form: its id in the form, and its label on screen.
type Input<'a> = (&'a str, &'a str);

/// Wrong input in the connections form, named by its label and pointing at the input.
fn invalid((id, label): Input<'_>, message: impl std::fmt::Display) -> AppError {
    AppError::in_field(id, format!("{label}: {message}"))
}

/// A secret as pasted, trimmed; refused (without repeating it) when it cannot be one, before it
/// is sent anywhere.
fn secret<'a>(input: Input<'_>, value: &'a str, when_empty: &str) -> Result<&'a str, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(input, when_empty));
    }
    if value.len() > 512 {
        return Err(invalid(input, "at most 512 characters"));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(
            input,
            "only letters, digits and punctuation, with no spaces or line breaks",
        ));
    }
    Ok(value)
}

const WILLO_KEY_INPUT: Input<'static> = ("willoKey", "Willo API key");
const ATS_SECRET_INPUT: Input<'static> = ("atsSecret", "ATS secret");
const WILLO_URL_INPUT: Input<'static> = ("willoUrl", "Willo URL");
const CLIENT_ID_INPUT: Input<'static> = ("atsClientId", "Greenhouse client id");
const ACTING_USER_INPUT: Input<'static> = ("atsActingUser", "Acting user id");
/// Workable calls its users members.
const ACTING_MEMBER_INPUT: Input<'static> = ("atsActingUser", "Acting member id");
const SUBDOMAIN_INPUT: Input<'static> = ("atsSubdomain", "Workable subdomain");

/// A refusal of the credentials points at the input that holds them; other errors at none.
fn refused_at(error: AppError, (id, _): Input<'_>) -> AppError {
    match error.code {
        ErrorCode::AuthFailed => AppError {
            field: Some(id.to_owned()),
            ..error
        },
        _ => error,
    }
}

/// The connections form's input (id and label) for a field of the configuration of `ats`.
fn form_input(field: &str, ats: AtsChoice) -> Input<'_> {
    match field {
        "ats.acting_user" if ats == AtsChoice::Workable => ACTING_MEMBER_INPUT,
        "willo.base_url" => WILLO_URL_INPUT,
        "ats.base_url" => ("atsUrl", "ATS URL"),
        "ats.token_url" => ("atsTokenUrl", "ATS token URL"),
        "ats.client_id" => CLIENT_ID_INPUT,
        "ats.acting_user" => ACTING_USER_INPUT,
        "ats.subdomain" => SUBDOMAIN_INPUT,
        other => (other, other),
    }
}

fn text(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

impl Connections {
    /// The same connections as a `serve` configuration whose secrets are the keychain entries.
    /// A problem is reported with the label of the form's field, not the configuration's.
    pub fn to_config(&self) -> Result<ServeConfig, AppError> {
        self.config(self.willo_base()?, self.ats_section()?)
    }

    /// The Willo half alone, so Willo can be tested before the ATS is filled in. A configuration
    /// needs an ATS section: this one is a placeholder that nothing reads.
    fn willo_config(&self) -> Result<ServeConfig, AppError> {
        self.config(
            self.willo_base()?,
            json!({ "kind": "lever", "api_key_env": ATS_SECRET }),
        )
    }

    fn config(&self, willo_base: String, ats: serde_json::Value) -> Result<ServeConfig, AppError> {
        ServeConfig::from_value(json!({
            "willo": { "base_url": willo_base, "api_key_env": WILLO_KEY },
            "ats": ats,
        }))
        .map_err(|e| match e {
            ConfigError::Invalid { field, message } => {
                invalid(form_input(&field, self.ats), message)
            }
            other => other.into(),
        })
    }

    /// `production`, `staging`, or the custom URL.
    fn willo_base(&self) -> Result<String, AppError> {
        Ok(match self.willo_environment {
            WilloEnvironment::Production => "production".to_owned(),
            WilloEnvironment::Staging => "staging".to_owned(),
            WilloEnvironment::Custom => text(self.willo_url.as_ref())
                .ok_or_else(|| {
                    invalid(
                        WILLO_URL_INPUT,
                        "enter the address of the custom environment",
                    )
                })?
                .to_owned(),
        })
    }

    /// The `[ats]` section of the configuration.
    fn ats_section(&self) -> Result<serde_json::Value, AppError> {
        let mut ats = match self.ats {
            AtsChoice::Greenhouse => json!({
                "kind": "greenhouse",
                "client_id": text(self.ats_client_id.as_ref())
                    .ok_or_else(|| {
                        invalid(CLIENT_ID_INPUT, "enter the client id from Greenhouse's API credentials")
                    })?,
                "client_secret_env": ATS_SECRET,
            }),
            AtsChoice::Lever => json!({ "kind": "lever", "api_key_env": ATS_SECRET }),
            AtsChoice::Ashby => json!({ "kind": "ashby", "api_key_env": ATS_SECRET }),
            AtsChoice::Workable => {
                let mut workable = json!({ "kind": "workable", "token_env": ATS_SECRET });
                if let Some(subdomain) = text(self.ats_subdomain.as_ref()) {
                    workable["subdomain"] = json!(subdomain);
                }
                workable
            }
        };
        if let (Some(user), false) = (
            text(self.ats_acting_user.as_ref()),
            self.ats == AtsChoice::Ashby,
        ) {
            ats["acting_user"] = json!(user);
        }
        if let Some(url) = text(self.ats_url.as_ref()) {
            ats["base_url"] = json!(url);
        }
        if let (Some(url), AtsChoice::Greenhouse) = (text(self.ats_token_url.as_ref()), self.ats) {
            ats["token_url"] = json!(url);
        }
        Ok(ats)
    }
}

/// Where the non-secret connections are kept.
pub fn connections_file(data_dir: &Path) -> PathBuf {
    data_dir.join("connections.json")
}

/// What `connections.json` holds: the connections, and how Willo took the key when they were
/// tested. With the scheme kept, a start asks Willo nothing, so with the network down (or Willo
/// slow) the app still opens the accounts' data, and its engine catches up once Willo answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Saved {
    #[serde(flatten)]
    pub connections: Connections,
    /// Absent from files saved before it was kept: detected at start then.
    #[serde(default)]
    pub willo_auth_scheme: Option<AuthScheme>,
}

impl Saved {
    /// The connections as a `serve` configuration, with the scheme Willo took.
    pub fn to_config(&self) -> Result<ServeConfig, AppError> {
        let mut config = self.connections.to_config()?;
        config.willo.auth_scheme = self.willo_auth_scheme;
        Ok(config)
    }
}

/// The saved connections, if the recruiter set up real accounts.
pub fn saved(data_dir: &Path) -> Result<Option<Saved>, AppError> {
    let path = connections_file(data_dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
            AppError::new(
                ErrorCode::Storage,
                format!("{} could not be read: {e}", path.display()),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AppError::new(
            ErrorCode::Storage,
            format!("{} could not be read: {e}", path.display()),
        )),
    }
}

/// Asks Willo whether it takes the key, and which interviews it sees. Stores nothing.
pub async fn test_willo(connections: &Connections, api_key: &str) -> Result<WilloCheck, AppError> {
    check_willo(connections, api_key)
        .await
        .map(|(_, check)| check)
}

/// [`test_willo`], with the authorization scheme Willo accepted.
async fn check_willo(
    connections: &Connections,
    api_key: &str,
) -> Result<(AuthScheme, WilloCheck), AppError> {
    let key = secret(
        WILLO_KEY_INPUT,
        api_key,
        "paste the key from Willo's Integrations page",
    )?;
    let config = connections.willo_config()?;
    let client = config.willo.client(
        crate::http::client()?,
        config.willo_url(),
        desk_domain::Sensitive::new(key.to_owned()),
        AuthScheme::Bare,
        RetryPolicy::NONE,
    )?;
    let scheme = client
        .detect_auth_scheme()
        .await
        .map_err(|e| refused_at(e.into(), WILLO_KEY_INPUT))?;
    let interviews = client
        .interviews()
        .await?
        .into_iter()
        .map(|i| i.title)
        .collect();
    Ok((
        scheme,
        WilloCheck {
            scheme: format!("{scheme:?}").to_lowercase(),
            interviews,
        },
    ))
}

/// Asks the ATS whether it takes the credentials, how many jobs it sees, and who the acting
/// user is. Stores nothing.
pub async fn test_ats(connections: &Connections, secret: &str) -> Result<AtsCheck, AppError> {
    let secret = self::secret(
        ATS_SECRET_INPUT,
        secret,
        "enter the client secret or API key",
    )?
    .to_owned();
    let config = connections.to_config()?;
    let lookup = move |name: &str| (name == ATS_SECRET).then(|| secret.clone());
    let ats = crate::assembly::connector(&config.ats, crate::http::client()?, &lookup)?;
    // Where the ATS takes one (Ashby attributes writes to the key's own user).
    let acting = config.ats.acting_user();
    let acting_input = form_input("ats.acting_user", connections.ats);
    let users = ats
        .users()
        .await
        .map_err(|e| match (AppError::from(e), acting) {
            // Greenhouse names the acting user in its token request, so its refusal is theirs.
            (e, Some(id))
                if e.code == ErrorCode::Validation && connections.ats == AtsChoice::Greenhouse =>
            {
                AppError {
                    detail: e.detail,
                    ..invalid(acting_input, format!("your ATS refused user id {id}"))
                }
            }
            (e, _) => refused_at(e, ATS_SECRET_INPUT),
        })?;
    let acting_user = match acting {
        Some(id) => Some(
            users
                .iter()
                .find(|u| u.id == id)
                .map(|u| u.name.clone())
                .ok_or_else(|| {
                    invalid(acting_input, format!("the ATS has no user with id {id}"))
                })?,
        ),
        None => None,
    };
    let jobs = ats.jobs().await?.len();
    Ok(AtsCheck {
        jobs: crate::app::count(jobs),
        acting_user,
    })
}

/// Tests both connections, then keeps them: the secrets in `secrets`, the rest in the data folder.
/// Nothing is kept when a test fails.
pub async fn save(
    data_dir: &Path,
    connections: &Connections,
    willo_key: &str,
    ats_secret: &str,
    secrets: &dyn SecretStore,
) -> Result<(WilloCheck, AtsCheck), AppError> {
    let (scheme, willo) = check_willo(connections, willo_key).await?;
    let ats = test_ats(connections, ats_secret).await?;
    secrets.set(WILLO_KEY, willo_key.trim())?;
    secrets.set(ATS_SECRET, ats_secret.trim())?;
    let saved = Saved {
        connections: connections.clone(),
        willo_auth_scheme: Some(scheme),
    };
    std::fs::create_dir_all(data_dir)
        .and_then(|()| {
            crate::paths::write_whole(
                &connections_file(data_dir),
                &serde_json::to_vec_pretty(&saved).unwrap_or_default(),
            )
        })
        .map_err(|e| {
            AppError::new(
                ErrorCode::Storage,
                format!("the connections could not be saved: {e}"),
            )
        })?;
    Ok((willo, ats))
}

/// Goes back to the sandbox: forgets the connections and their secrets (the data stays).
pub fn forget(data_dir: &Path, secrets: &dyn SecretStore) -> Result<(), AppError> {
    secrets.delete(WILLO_KEY)?;
    secrets.delete(ATS_SECRET)?;
    match std::fs::remove_file(connections_file(data_dir)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(AppError::new(
            ErrorCode::Storage,
            format!("the connections could not be removed: {e}"),
        )),
    }
}

/// The connections as the app's commands: testing, keeping and forgetting them.
impl crate::App {
    /// Asks Willo whether it takes the key. Stores nothing.
    pub async fn test_willo(
        &self,
        connections: &Connections,
        api_key: &str,
    ) -> Result<WilloCheck, AppError> {
        test_willo(connections, api_key).await
    }

    /// Asks the ATS whether it takes the credentials. Stores nothing.
    pub async fn test_ats(
        &self,
        connections: &Connections,
        secret: &str,
    ) -> Result<AtsCheck, AppError> {
        test_ats(connections, secret).await
    }

    /// Tests both connections and keeps them, for the next start (which opens them).
    pub async fn save_connections(
        &self,
        connections: &Connections,
        willo_key: &str,
        ats_secret: &str,
    ) -> Result<(), AppError> {
        let keychain = self.keychain()?;
        save(
            self.data_path(),
            connections,
            willo_key,
            ats_secret,
            keychain.as_ref(),
        )
        .await
        .map(|_| ())
    }

    /// Chooses the simulated ATS the sandbox connects to from its next start.
    pub fn choose_sandbox_ats(&self, ats: AtsChoice) -> Result<(), AppError> {
        crate::sandbox_ats::choose(self.data_path(), ats)
    }

    /// Forgets the real accounts and their secrets (their data stays): the next start is the
    /// sandbox.
    pub fn use_sandbox(&self) -> Result<(), AppError> {
        forget(self.data_path(), self.keychain()?.as_ref())
    }

    /// The keychain the app was opened with.
    pub(crate) fn keychain(&self) -> Result<std::sync::Arc<dyn SecretStore>, AppError> {
        self.secrets.clone().ok_or_else(|| {
            AppError::new(ErrorCode::Internal, "the app was opened without a keychain")
        })
    }
}
