//! flotilla: a terminal UI for operating many Kubernetes clusters at once.
//!
//! Data flows one way: `cluster` tasks send `protocol::Msg`s → `app::App::update` applies them to
//! the `store` and to the `screens`, and returns `protocol::Effect`s → the `executor` (network)
//! and `tui` (terminal) carry them out. `ui` draws the app, reading only.
//!
//! The layers below are crates of their own, so the compiler holds the rules: `flotilla_model`
//! (the shared vocabulary) and `flotilla_core` (everything that judges, plans and records
//! without a cluster or a terminal). Their modules are re-exported here under the names the
//! rest of flotilla uses.

/// What every request flotilla sends says it is (`User-Agent`), to clusters and webhooks
/// alike: an apiserver's audit log tells flotilla's requests apart by it.
pub const USER_AGENT: &str = concat!("flotilla/", env!("CARGO_PKG_VERSION"));

pub use flotilla_core::{
    files, helm, human, inspect, kinds, model, protocol, quantity, rbac, settings, store, text,
    triage,
};

pub mod app;
pub mod backup;
pub mod cli;
pub mod clipboard;
pub mod cluster;
pub mod config;
pub mod editor;
pub mod executor;
pub mod forward;
pub mod logs;
pub mod modal;
pub mod notify;
pub mod ops;
pub mod screens;
pub mod shell;
pub mod tui;
pub mod ui;
