//! The shared vocabulary every layer speaks: clusters and objects, resources, rows, actions,
//! the messages that come back from the network and the effects the app asks for. It depends
//! on nothing else in flotilla, so no import ever runs back up.

pub mod action;
pub mod cluster;
pub mod effect;
pub mod msg;
pub mod object;
pub mod op;
pub mod resource;
pub mod row;
pub mod stream;

pub use action::{Action, Since};
pub use cluster::{ClusterId, ContextEntry, Health};
pub use effect::Effect;
pub use msg::{
    ApiError, AuditState, ClusterEvent, Fetched, Msg, UnknownOutcome, Usage, WatchEvent,
};
pub use object::ObjectRef;
pub use resource::{ResKey, ResourceInfo};
pub use row::{Column, ColumnKind, Fact, Row, RowHealth};
pub use stream::{ExecOutput, ExecTarget, ForwardEvent, ForwardTarget, LogEvent, LogSpec, RawLine};
