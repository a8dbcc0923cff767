//! Everything that reaches the app from outside its own update: connection news, watch events,
//! answers to requests. Each carries the connection it is about (and a watch generation), so a
//! stale stream — cluster removed, watch restarted — is dropped instead of drawn.

use super::op::{Access, Check, Outcome};
use crate::model::{
    ApiError, AuditState, ClusterEvent, ClusterId, ExecOutput, Fetched, ForwardEvent, ImportCheck,
    Imported, LogEvent, ResKey, WatchEvent,
};

#[derive(Debug)]
pub enum Msg {
    Cluster {
        cluster: ClusterId,
        ev: ClusterEvent,
    },
    /// The clusters a Clusterpedia index on `hub` knows (`Effect::WatchSource`), or why it
    /// could not be asked.
    Source {
        hub: String,
        result: Result<Vec<String>, String>,
    },
    Watch {
        cluster: ClusterId,
        res: ResKey,
        generation: u64,
        ev: WatchEvent,
    },
    /// The answer to `Effect::Fetch`.
    Fetched {
        ticket: u64,
        result: Result<Fetched, ApiError>,
    },
    /// The answer to `Effect::Backup`.
    BackedUp {
        ticket: u64,
        result: Result<crate::backup::job::Done, String>,
    },
    /// The answer to `Effect::Inspect`: the cluster judged, or why it could not be read.
    Inspected {
        ticket: u64,
        result: Result<Box<crate::inspect::ClusterReport>, String>,
    },
    /// The answer to `Effect::ReadReleases`: every record, newest revision first.
    ReleasesRead {
        ticket: u64,
        result: Result<Vec<crate::helm::record::Unpacked>, ApiError>,
    },
    /// The answer to `Effect::CheckArchive`.
    ArchiveChecked {
        ticket: u64,
        result: Result<Box<crate::backup::archive::Checked>, String>,
    },
    /// News of a log stream (`Effect::Logs`).
    Log {
        ticket: u64,
        ev: LogEvent,
    },
    Exec {
        ticket: u64,
        result: Result<ExecOutput, ApiError>,
    },
    Forward {
        id: u64,
        ev: ForwardEvent,
    },
    /// A kubeconfig to import, checked (or why it cannot be read).
    ImportChecked {
        ticket: u64,
        result: Result<ImportCheck, String>,
    },
    /// An import saved (or why not).
    Imported {
        ticket: u64,
        result: Result<Imported, String>,
    },
    /// A shell session or a save is over: what happened, in one line.
    Done {
        ticket: u64,
        result: Result<String, String>,
    },
    Access {
        cluster: ClusterId,
        answers: Vec<(Check, Access)>,
    },
    /// What the audit log holds that the user must be told (`Effect::ReadAudit`).
    AuditState(AuditState),
    /// What one target of an `Effect::Mutate` came to (its index in the targets).
    Mutated {
        ticket: u64,
        index: usize,
        result: Result<Outcome, String>,
    },
    /// A step of a long change (a drain's evictions), for its progress layer.
    Progress {
        ticket: u64,
        line: String,
    },
    /// The text as the editor left it (`Effect::Edit`).
    Edited {
        ticket: u64,
        result: Result<String, String>,
    },
}
