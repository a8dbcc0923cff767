//! Tests that change the testbed clusters: changes made through the TUI and the CLI, backups
//! and restores, Helm operations, and faults (an apiserver stopped or frozen). Each module was a
//! test binary of its own, and the modules were written for the clusters to themselves: they
//! count what a cluster holds, read the audit log of dev, stop apiservers. So the modules take
//! turns (`common::take_turn`): the tests of one module run at once, as they did in their own
//! binary, and the next module starts when the last of them ends.

#[path = "../common/mod.rs"]
mod common;
#[path = "../harness/mod.rs"]
mod harness;

/// The modules take turns on the clusters (`common::take_turn`).
const MODULES_TAKE_TURNS: bool = true;

mod backup;
mod cleanup_guard;
mod clusterpedia;
mod ctx_import;
mod hostile;
mod inspect;
mod live_ops;
mod notify;
mod ops_drain;
mod ops_rollback;
mod readonly_tour;
mod testbed_fault;
mod tui_backup;
mod tui_bounded;
mod tui_change;
mod tui_confirm;
mod tui_create;
mod tui_debug;
mod tui_edit;
mod tui_fault;
mod tui_forward;
mod tui_freeze;
mod tui_helm;
mod tui_helm_ops;
mod tui_live;
mod tui_logs;
mod tui_logs_fault;
mod tui_rollback;
mod tui_storage;
mod tui_tree;
mod tui_triage;
mod tui_velero;
