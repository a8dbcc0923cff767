//! flotilla's terminal UI, without the terminal loop: the `App` (screen stack, modal layers,
//! prompt, the change decision and confirmation), every screen, the modal layers, the frame's
//! drawing, keymaps and themes, log rendering and the clipboard. It reaches the network only
//! through the protocol: a screen asks with a request that becomes an `Effect`, and the answer
//! comes back as a `Msg`. No async runtime or Kubernetes client is a dependency.

pub use flotilla_core::{
    backup, files, helm, human, inspect, kinds, model, notify, ops, protocol, quantity, rbac,
    search, settings, store, text, tree, triage,
};

pub mod app;
pub mod clipboard;
pub mod config;
pub mod grid;
pub mod key;
pub mod logs;
pub mod modal;
pub mod screens;
pub mod ui;
