//! flotilla: a terminal UI for operating many Kubernetes clusters at once.
//!
//! Data flows one way: `cluster` tasks send `protocol::Msg`s → `app::App::update` applies them to
//! the `store` and to the `screens`, and returns `protocol::Effect`s → the `executor` (network)
//! and `tui` (terminal) carry them out. `ui` draws the app, reading only.

/// What every request flotilla sends says it is (`User-Agent`), to clusters and webhooks
/// alike: an apiserver's audit log tells flotilla's requests apart by it.
pub const USER_AGENT: &str = concat!("flotilla/", env!("CARGO_PKG_VERSION"));

pub mod app;
pub mod backup;
pub mod cli;
pub mod clipboard;
pub mod cluster;
pub mod config;
pub mod editor;
pub mod executor;
pub mod files;
pub mod forward;
pub mod helm;
pub mod human;
pub mod inspect;
pub mod kinds;
pub mod logs;
pub mod modal;
pub use flotilla_model as model;
pub mod notify;
pub mod ops;
pub mod protocol;
pub mod rbac;
pub mod screens;
pub mod shell;
pub mod store;
pub mod text;
pub mod triage;
pub mod tui;
pub mod ui;
