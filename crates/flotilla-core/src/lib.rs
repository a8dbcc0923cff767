//! flotilla's core: everything that judges, plans, formats and records without talking to a
//! cluster or a terminal. The store of what the clusters hold, resource kinds, triage,
//! inspection, Helm records, RBAC, the pure half of changes (plans, the catalog, the audit
//! log), the backup archive, notification routing, settings, and the `Effect`/`Msg` protocol
//! between the app and the world. No async runtime, Kubernetes client or terminal crate is a
//! dependency, so none of it can block, send or draw.

pub use flotilla_model as model;

pub mod backup;
pub mod files;
pub mod helm;
pub mod human;
pub mod inspect;
pub mod kinds;
pub mod notify;
pub mod ops;
pub mod protocol;
pub mod quantity;
pub mod rbac;
pub mod search;
pub mod settings;
pub mod store;
pub mod text;
pub mod tree;
pub mod triage;
