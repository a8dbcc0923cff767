//! Mutations: the one path every change takes — permission check → plan → confirmation →
//! request with preconditions → result → audit record. The app decides (read-only mode,
//! permissions, confirmation); `run` carries a batch out on the clusters and writes the
//! audit log before it reports anything done.

pub mod audit;
pub mod call;
pub mod drain;
pub mod plan;
pub mod revisions;
pub mod run;
