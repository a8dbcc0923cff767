//! Everything that reaches the UI loop from the network arrives as one of these, tagged with
//! its cluster and a generation so that a stale stream (cluster removed, watch restarted) is
//! dropped instead of drawn.

use crate::cluster::connection::ClusterEvent;
use crate::kinds::resource::ResKey;
use crate::store::WatchEvent;

pub type ClusterId = usize;
pub type Sender = tokio::sync::mpsc::UnboundedSender<Msg>;
pub type Receiver = tokio::sync::mpsc::UnboundedReceiver<Msg>;

#[derive(Debug)]
pub enum Msg {
    Cluster {
        id: ClusterId,
        generation: u64,
        ev: ClusterEvent,
    },
    Watch {
        id: ClusterId,
        res: ResKey,
        generation: u64,
        ev: WatchEvent,
    },
    /// The answer to a one-off request (full object, describe text); `ticket` says which.
    Fetched {
        ticket: u64,
        result: Result<Fetched, String>,
    },
}

/// A full object and, for describe, the events about it.
#[derive(Debug)]
pub struct Fetched {
    pub object: serde_json::Value,
    pub events: Vec<serde_json::Value>,
}
