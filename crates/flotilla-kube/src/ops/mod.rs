//! Mutations: the one path every change takes — permission check → plan → confirmation →
//! request with preconditions → result → audit record. The app decides (read-only mode,
//! permissions, confirmation); `run` carries a batch out on the clusters and writes the
//! audit log before it reports anything done. The pure half (plans, the catalog, the audit
//! log itself) is `flotilla_core::ops`, re-exported here.

pub use flotilla_core::ops::*;

pub mod call;
pub mod drain;
pub mod helm;
pub mod record;
pub mod run;
