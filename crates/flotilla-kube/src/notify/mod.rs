//! Notifications of triage changes to webhooks: posting them (`sender`). Routing and formatting
//! are `flotilla_core::notify`, re-exported here; `flotilla watch --notify` is the CLI's.

pub use flotilla_core::notify::*;

pub mod sender;

pub use sender::Sender;
