//! Clusters as the rest of flotilla refers to them.

use std::fmt;

/// One connection to one context. Ids are never reused: removing a context and adding it (or
/// another one) again gives a new id, so whatever was addressed to the old connection — a watch
/// event, a fetched object, a selection — is recognised as stale instead of landing on the new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClusterId(pub u64);

impl fmt::Display for ClusterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// How a connection is doing, as its badge shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Health {
    Connecting,
    Ok,
    /// Reachable, but something it needs fails (a forbidden watch, discovery).
    Degraded(String),
    Unreachable(String),
    /// Known only through an index (Clusterpedia) that does not answer now: the rows are the
    /// index's last answer, the cluster itself may be fine.
    Stale(String),
}

impl Health {
    pub fn label(&self) -> &'static str {
        match self {
            Health::Connecting => "connecting",
            Health::Ok => "ok",
            Health::Degraded(_) => "degraded",
            Health::Unreachable(_) => "unreachable",
            Health::Stale(_) => "stale",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Health::Degraded(r) | Health::Unreachable(r) | Health::Stale(r) => Some(r),
            _ => None,
        }
    }

    /// The badge mark and the theme slot it is drawn with.
    pub fn badge(&self) -> (&'static str, &'static str) {
        match self {
            Health::Ok => ("●", "cluster-ok"),
            Health::Connecting => ("◌", "cluster-connecting"),
            Health::Degraded(_) => ("◐", "cluster-degraded"),
            Health::Unreachable(_) => ("✖", "cluster-unreachable"),
            Health::Stale(_) => ("◔", "cluster-degraded"),
        }
    }
}

/// A context of a kubeconfig being imported, checked: its server, and its version and the
/// identity it acts as, or why it did not answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probed {
    pub context: String,
    pub server: String,
    pub result: Result<(String, Option<String>), String>,
}

/// Where a kubeconfig to import comes from: a file, or text pasted (which holds credentials:
/// its `Debug` says only how long it is).
#[derive(Clone, PartialEq, Eq)]
pub enum ImportSource {
    File(std::path::PathBuf),
    Text(String),
}

impl std::fmt::Debug for ImportSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportSource::File(p) => write!(f, "File({})", p.display()),
            ImportSource::Text(t) => write!(f, "Text({} bytes)", t.len()),
        }
    }
}

/// A kubeconfig to import, checked: the names of its contexts that are taken (those must be
/// renamed first; nothing was connected), else each context as it answered.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ImportCheck {
    pub taken: Vec<String>,
    pub probed: Vec<Probed>,
}

/// An import saved: its file, and its contexts as `:ctx` lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    pub file: String,
    pub contexts: Vec<ContextEntry>,
}

/// One kubeconfig context, as `:ctx` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextEntry {
    pub name: String,
    pub cluster: String,
    pub user: String,
    pub namespace: Option<String>,
    pub server: String,
}
