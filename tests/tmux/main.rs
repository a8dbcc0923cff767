//! The real binary in a real terminal (tmux): the terminal restored on panics and signals,
//! `$EDITOR` and shells handed the terminal, the audit log failing under a running flotilla.
//! Timed (an exit within 2 s), so the modules take turns as they did in binaries of their own.

#[path = "../common/mod.rs"]
mod common;
#[path = "../harness/mod.rs"]
mod harness;

/// The modules take turns (`common::take_turn`): the exits here are timed.
const MODULES_TAKE_TURNS: bool = true;

mod audit_faults;
mod terminal;
