//! Tests that need no cluster and no terminal: the core driven through `update`, snapshots of
//! whole screens, the audit log on real files, credential plugins, the binary on this machine.
//! One test binary; each module was a test binary of its own.

#[path = "../common/mod.rs"]
mod common;
#[path = "../harness/mod.rs"]
mod harness;

/// No module here uses the testbed clusters (see `common::take_turn`).
const MODULES_TAKE_TURNS: bool = false;

mod acyclic;
mod add_screen;
mod audit;
mod core;
mod credentials;
mod local;
mod snapshots;
mod snapshots_diff;
mod snapshots_helm;
mod snapshots_inspect;
