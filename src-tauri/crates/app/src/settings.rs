//! The recruiter's settings, kept in the store: notifications per kind, the default phone
//! region, the polling and reconcile intervals and the receiver's address (taken up at the next
//! start), and the public URL webhooks are registered at.

use std::time::Duration;

use desk_engine::Schedule;
use desk_store::Store;

use crate::ipc::Settings;
use crate::notify::{NotificationSettings, SETTINGS_KEY as NOTIFICATIONS};
use crate::{App, AppError};

const REGION: &str = "default_region";
const POLL: &str = "ats_poll_seconds";
const RECONCILE: &str = "reconcile_minutes";
const RECEIVER: &str = "receiver_url";
const LISTEN: &str = "receiver_listen";
const PUBLIC_URL: &str = "receiver_public_url";

/// The settings as stored, with defaults for what was never set.
pub(crate) async fn stored(store: &Store) -> Result<Settings, AppError> {
    let defaults = Schedule::default();
    Ok(Settings {
        notifications: store
            .setting::<NotificationSettings>(NOTIFICATIONS)
            .await?
            .unwrap_or_default(),
        // Stored as JSON null once cleared.
        default_region: store.setting::<Option<String>>(REGION).await?.flatten(),
        ats_poll_seconds: store
            .setting(POLL)
            .await?
            .unwrap_or(u32::try_from(defaults.ats_poll_every.as_secs()).unwrap_or(120)),
        reconcile_minutes: store
            .setting(RECONCILE)
            .await?
            .unwrap_or(u32::try_from(defaults.reconcile_every.as_secs() / 60).unwrap_or(10)),
        receiver_url: store.setting(RECEIVER).await?,
        receiver_listen: store.setting::<Option<String>>(LISTEN).await?.flatten(),
        receiver_public_url: store.setting::<Option<String>>(PUBLIC_URL).await?.flatten(),
    })
}

/// `schedule` with the stored intervals where the recruiter changed them from the defaults.
pub(crate) fn apply(settings: &Settings, schedule: Schedule) -> Schedule {
    let defaults = Schedule::default();
    let poll = Duration::from_secs(settings.ats_poll_seconds.into());
    let reconcile = Duration::from_secs(u64::from(settings.reconcile_minutes) * 60);
    Schedule {
        ats_poll_every: if poll == defaults.ats_poll_every {
            schedule.ats_poll_every
        } else {
            poll
        },
        reconcile_every: if reconcile == defaults.reconcile_every {
            schedule.reconcile_every
        } else {
            reconcile
        },
        ..schedule
    }
}

pub(crate) async fn remember_receiver(store: &Store, url: &str) -> Result<(), AppError> {
    store
        .set_setting(RECEIVER, &url, crate::app::now_ms())
        .await?;
    Ok(())
}

/// Checks every field; the error names the field and what is allowed.
fn validate(settings: &Settings) -> Result<(), AppError> {
    if let Some(region) = &settings.default_region {
        if region.len() != 2 || !region.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(AppError::in_field(
                "defaultRegion",
                format!(
                    "Default phone region: “{}” is not a two-letter country code such as GB or US",
                    region.chars().take(20).collect::<String>()
                ),
            ));
        }
        if !desk_domain::PhoneE164::known_region(region) {
            return Err(AppError::in_field(
                "defaultRegion",
                format!("Default phone region: {region} is not a country code"),
            ));
        }
    }
    if let Some(listen) = settings
        .receiver_listen
        .as_deref()
        .filter(|l| !l.trim().is_empty())
    {
        if listen.trim().parse::<std::net::SocketAddr>().is_err() {
            return Err(AppError::in_field(
                "receiverListen",
                format!(
                    "Listen on: “{}” is not an address and port such as 127.0.0.1:8787",
                    listen.chars().take(60).collect::<String>()
                ),
            ));
        }
    }
    if let Some(url) = settings
        .receiver_public_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        if url.len() > 2048 {
            return Err(AppError::in_field(
                "receiverPublicUrl",
                "Public address: at most 2,048 characters",
            ));
        }
        let parsed = url::Url::parse(url.trim());
        if !parsed.is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some()) {
            return Err(AppError::in_field(
                "receiverPublicUrl",
                "Public address: an https address where Willo can reach this app",
            ));
        }
    }
    if !(30..=3600).contains(&settings.ats_poll_seconds) {
        return Err(AppError::in_field(
            "atsPollSeconds",
            "Check the ATS every: from 30 to 3,600 seconds",
        ));
    }
    if !(1..=1440).contains(&settings.reconcile_minutes) {
        return Err(AppError::in_field(
            "reconcileMinutes",
            "Check open interviews at least every: from 1 to 1,440 minutes",
        ));
    }
    Ok(())
}

impl App {
    pub async fn settings(&self) -> Result<Settings, AppError> {
        stored(&self.store).await
    }

    /// Saves the settings. Notifications apply at once, the default region to the next checks
    /// after a restart, the intervals at the next start. The receiver's address is not set here.
    pub async fn save_settings(&self, settings: &Settings) -> Result<Settings, AppError> {
        validate(settings)?;
        let now = crate::app::now_ms();
        self.store
            .set_setting(NOTIFICATIONS, &settings.notifications, now)
            .await?;
        self.store
            .set_setting(REGION, &settings.default_region, now)
            .await?;
        self.store
            .set_setting(POLL, &settings.ats_poll_seconds, now)
            .await?;
        self.store
            .set_setting(RECONCILE, &settings.reconcile_minutes, now)
            .await?;
        let trimmed = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        self.store
            .set_setting(LISTEN, &trimmed(&settings.receiver_listen), now)
            .await?;
        self.store
            .set_setting(PUBLIC_URL, &trimmed(&settings.receiver_public_url), now)
            .await?;
        self.settings().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn settings() -> Settings {
        Settings {
            notifications: NotificationSettings::default(),
            default_region: Some("GB".into()),
            ats_poll_seconds: 120,
            reconcile_minutes: 10,
            receiver_url: None,
            receiver_listen: None,
            receiver_public_url: None,
        }
    }

    #[test]
    fn each_bad_field_is_named() {
        for (change, field) in [
            (
                Settings {
                    default_region: Some("Britain".into()),
                    ..settings()
                },
                "defaultRegion",
            ),
            (
                Settings {
                    default_region: Some("ZZ".into()),
                    ..settings()
                },
                "defaultRegion",
            ),
            (
                Settings {
                    ats_poll_seconds: 5,
                    ..settings()
                },
                "atsPollSeconds",
            ),
            (
                Settings {
                    reconcile_minutes: 0,
                    ..settings()
                },
                "reconcileMinutes",
            ),
        ] {
            let error = validate(&change).unwrap_err();
            assert_eq!(error.code, ErrorCode::Validation);
            assert_eq!(error.field.as_deref(), Some(field), "{}", error.message);
        }
        assert!(validate(&settings()).is_ok());
    }

    #[test]
    fn changed_intervals_replace_the_schedule_and_defaults_keep_it() {
        let fast = Schedule {
            ats_poll_every: Duration::from_secs(1),
            ..Schedule::default()
        };
        assert_eq!(
            apply(&settings(), fast).ats_poll_every,
            Duration::from_secs(1)
        );
        let slower = Settings {
            ats_poll_seconds: 600,
            reconcile_minutes: 30,
            ..settings()
        };
        let applied = apply(&slower, fast);
        assert_eq!(applied.ats_poll_every, Duration::from_secs(600));
        assert_eq!(applied.reconcile_every, Duration::from_secs(1800));
    }
}
