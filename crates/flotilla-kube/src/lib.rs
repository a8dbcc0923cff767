//! flotilla's client layer: everything that talks to clusters and webhooks. Connections,
//! watches, fetches, exec, logs and port-forwards (`cluster`, `forward`), sending changes with
//! their audit records (`ops`), backups and restores against live clusters (`backup`), webhook
//! posts (`notify`), and the `executor` that turns the app's `Effect`s into this work and its
//! results into `Msg`s. It knows no screen and no terminal.

/// What every request flotilla sends says it is (`User-Agent`), to clusters and webhooks
/// alike: an apiserver's audit log tells flotilla's requests apart by it.
pub const USER_AGENT: &str = concat!("flotilla/", env!("CARGO_PKG_VERSION"));

pub use flotilla_core::{
    files, helm, human, inspect, kinds, model, protocol, quantity, rbac, settings, store, text,
    triage,
};

pub mod backup;
pub mod cluster;
pub mod executor;
pub mod forward;
pub mod notify;
pub mod ops;
