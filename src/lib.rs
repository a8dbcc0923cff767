//! flotilla: a terminal UI for operating many Kubernetes clusters at once.
//!
//! Data flows one way: `cluster` tasks send `protocol::Msg`s → `app::App::update` applies them to
//! the `store` and to the `screens`, and returns `protocol::Effect`s → the `executor` (network)
//! and `tui` (terminal) carry them out. `ui` draws the app, reading only.
//!
//! The layers are crates, so the compiler holds the rules: `flotilla_model` (the shared
//! vocabulary), `flotilla_core` (everything that judges, plans and records without a cluster or
//! a terminal), `flotilla_kube` (everything that talks to clusters) and `flotilla_tui` (the app
//! and its screens), neither of the last two knowing the other. This crate is the binary's:
//! the terminal loop, shells, `$EDITOR` and the CLI. The layers' modules are re-exported here
//! under the names the rest of flotilla uses.

pub use flotilla_core::{
    files, helm, human, inspect, kinds, model, protocol, quantity, rbac, search, settings, store,
    text, triage,
};
pub use flotilla_kube::{USER_AGENT, backup, cluster, executor, forward, notify, ops};
pub use flotilla_tui::{app, clipboard, config, grid, key, logs, modal, screens, ui};

pub mod cli;
pub mod debug;
pub mod editor;
pub mod shell;
pub mod tui;
