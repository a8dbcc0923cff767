//! Notifications of triage changes to webhooks: posting them (`sender`) and running the triage
//! engine without a terminal (`headless`, `flotilla watch --notify`). Routing and formatting are
//! `flotilla_core::notify`, re-exported here.

pub use flotilla_core::notify::*;

pub mod headless;
pub mod sender;

pub use sender::Sender;
