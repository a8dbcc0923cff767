//! The shared vocabulary every layer speaks: clusters and objects, resources, rows, actions,
//! streams, and what comes back from a cluster. It depends on no other flotilla crate and on no
//! async, Kubernetes client or terminal crate, so every layer can name these types.

pub mod action;
pub mod cluster;
pub mod object;
pub mod reply;
pub mod resource;
pub mod row;
pub mod stream;

pub use action::{Action, Since};
pub use cluster::{ClusterId, ContextEntry, Health, ImportCheck, ImportSource, Imported, Probed};
pub use object::ObjectRef;
pub use reply::{
    ApiError, AuditState, ClusterEvent, Fetched, UnknownOutcome, Usage, WatchEvent, indexed_only,
    not_connected,
};
pub use resource::{ResKey, ResourceInfo};
pub use row::{Column, ColumnKind, Fact, Row, RowHealth};
pub use stream::{ExecOutput, ExecTarget, ForwardEvent, ForwardTarget, LogEvent, LogSpec, RawLine};
