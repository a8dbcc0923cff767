//! What comes back from a cluster besides the protocol's envelopes: connection news, watch
//! events, fetched objects, usage, and the one-line error every request can end in.

use crate::cluster::Health;
use crate::resource::ResourceInfo;
use crate::row::{Column, Row};

#[derive(Debug)]
pub enum ClusterEvent {
    Connected {
        version: String,
        identity: Option<String>,
        default_namespace: String,
    },
    Resources(Vec<ResourceInfo>),
    Health(Health),
    /// How long the last health probe took to answer.
    Latency(std::time::Duration),
    /// Resource usage from metrics.k8s.io, or why there is none.
    Usage(Result<Usage, String>),
}

/// CPU (millicores) and memory (bytes) in use, per pod (namespace, name) and per node.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Usage {
    pub pods: std::collections::HashMap<(String, String), (i64, i64)>,
    pub nodes: std::collections::HashMap<String, (i64, i64)>,
}

impl Usage {
    /// What all nodes use together: (millicores, bytes).
    pub fn nodes_total(&self) -> (i64, i64) {
        self.nodes
            .values()
            .fold((0, 0), |(a, b), (c, d)| (a + c, b + d))
    }
}

#[derive(Debug)]
pub enum WatchEvent {
    /// A (re)list began; rows not re-sent before `Synced` are gone.
    Listing {
        columns: Vec<Column>,
    },
    Upsert(Vec<Row>),
    /// Uids of deleted objects.
    Delete(Vec<String>),
    /// The list is complete.
    Synced,
    /// A watch stream is open again after a failure: rows are current.
    Live,
    /// The list or watch failed; the rows shown are the last known ones.
    Failed(String),
}

/// A full object and, for describe, the events about it.
#[derive(Debug)]
pub struct Fetched {
    pub object: serde_json::Value,
    pub events: Vec<serde_json::Value>,
}

/// A request that failed: the HTTP status when the server answered (404: the object is gone),
/// 0 when it did not, and a one-line reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub code: u16,
    pub message: String,
}

/// A request for a cluster whose connection is not up.
pub fn not_connected() -> ApiError {
    ApiError {
        code: 0,
        message: "not connected".into(),
    }
}

/// Why a cluster known only through a Clusterpedia index on `hub` cannot be acted on: the
/// index serves lists, and the cluster itself is reached through its own context or not at all.
pub fn indexed_only(member: &str, hub: &str) -> String {
    format!(
        "{member} is known only through the Clusterpedia index on {hub}, which serves lists: \
         logs, shells and changes need a kubeconfig context named {member} (flotilla ctx add)"
    )
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What the audit log holds that the header says until it is dealt with.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditState {
    /// Why changes are blocked (the log is not as flotilla left it, or cannot be read).
    pub blocked: Option<String>,
    /// Changes whose outcome is unknown (flotilla stopped after writing their intent) that
    /// nobody has looked at yet in `:audit`.
    pub unknown: Vec<UnknownOutcome>,
}

/// An intent no outcome answers.
#[derive(Clone, Debug, PartialEq)]
pub struct UnknownOutcome {
    /// The intent record's hash.
    pub intent: String,
    /// "drain Node prod-node-1 on prod", from the record (remote text: sanitise to show).
    pub what: String,
    /// The intent's time, RFC 3339.
    pub time: String,
}
