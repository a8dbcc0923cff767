//! Tests against the testbed clusters that only read them: what flotilla shows, describes and
//! diffs is compared with what the servers hold, and nothing on a cluster changes. Tests of
//! every module run at once. Tests that change a cluster belong in `testbed_write`.

#[path = "../common/mod.rs"]
mod common;
#[path = "../harness/mod.rs"]
mod harness;

/// Nothing here changes a cluster, so the modules share the clusters at once.
const MODULES_TAKE_TURNS: bool = false;

mod describe;
mod testbed;
mod tui_diff;
mod tui_inspect;
mod watch;
