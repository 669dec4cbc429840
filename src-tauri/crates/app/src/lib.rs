//! The API that Willo Desk's UI (through Tauri commands) and command line call. Nothing here
//! depends on Tauri, so all of it is tested without a window.

pub mod about;
mod access_export;
mod activity;
mod app;
mod assembly;
mod automations;
pub mod background;
mod candidates;
mod checkup;
pub mod config;
mod dashboard;
pub mod data_rights;
pub mod deep_links;
pub mod doctor;
pub mod engine_lock;
mod error;
mod follower;
pub mod forget;
mod http;
pub mod ipc;
pub mod links;
pub mod live;
mod notify;
pub mod paths;
mod reviews;
pub mod sandbox_ats;
pub mod secrets;
pub mod serve;
mod settings;

pub use app::App;
pub use error::{AppError, ErrorCode};
pub use notify::{Notice, NoticeKind, NoticeTarget, NotificationSettings};
