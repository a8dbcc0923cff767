//! flotilla: a terminal UI for operating many Kubernetes clusters at once.

pub mod app;
pub mod cli;
pub mod clipboard;
pub mod cluster;
pub mod config;
pub mod kinds;
pub mod msg;
pub mod store;
pub mod text;
pub mod tui;
pub mod ui;
