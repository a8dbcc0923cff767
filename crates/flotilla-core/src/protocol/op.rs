//! Changes to clusters, as the app asks for them: an operation on a set of objects (the
//! selected one, or every marked row across clusters). Every change flotilla makes is one of
//! these and goes one way: permission check → confirmation → request with preconditions →
//! result → audit record (`ops`).

use crate::model::ObjectRef;

/// What to do to each target.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Delete {
        propagation: Propagation,
        /// Seconds; `None` = the object's own default.
        grace: Option<i64>,
        /// For pods stuck terminating: grace 0, no waiting for the kubelet.
        force: bool,
    },
    /// Set replicas through the scale subresource.
    Scale {
        replicas: i64,
    },
    /// Scale to 0, remembering the count in an annotation.
    Stop,
    /// Scale back to the remembered count.
    Start,
    /// `kubectl rollout restart`: a new pod-template annotation.
    Restart,
    Pause,
    Resume,
    /// New images by container name (init containers too).
    SetImage(Vec<(String, String)>),
    /// Labels or annotations: set these, remove those.
    Meta {
        field: MetaField,
        set: Vec<(String, String)>,
        remove: Vec<String>,
    },
    Cordon,
    Uncordon,
    Drain(DrainOpts),
    Taint {
        add: Vec<Taint>,
        /// `key` or `key:Effect`.
        remove: Vec<String>,
    },
    /// A Job from the CronJob's template now, named as kubectl names it.
    Trigger,
    /// CronJob `spec.suspend`.
    Suspend(bool),
    /// Roll back to the given revision; the patch was computed from it when it was picked.
    Rollback {
        revision: i64,
        patch: Patch,
    },
    /// Rolling-update parameters; `None` leaves a value as it is.
    Strategy {
        max_surge: Option<String>,
        max_unavailable: Option<String>,
        partition: Option<i64>,
    },
    /// HorizontalPodAutoscaler bounds and CPU target.
    Autoscale {
        min: Option<i64>,
        max: i64,
        cpu_percent: Option<i64>,
    },
    /// Make the named StorageClass the default (`None`: no class is): the named target gets
    /// the default-class annotation "true", every other target (the classes that were the
    /// default) "false", in one batch, so a cluster never ends with two defaults.
    DefaultClass {
        class: Option<String>,
    },
    /// A PersistentVolume's `persistentVolumeReclaimPolicy`: Retain or Delete.
    ReclaimPolicy(String),
    /// A PersistentVolumeClaim's storage request, raised to this quantity.
    Resize(String),
    /// A Service's ports or an Ingress's rules (`field`: "ports" or "rules"), replaced as the
    /// form gave them; refused when someone changed them since they were read.
    SetSpec {
        field: &'static str,
        value: serde_json::Value,
    },
    /// Write the whole object (an edit): with its resourceVersion (refused if the object changed
    /// meanwhile), or by server-side apply as field manager `flotilla`.
    Apply {
        object: serde_json::Value,
        server_side: bool,
        /// Take over fields other managers own (server-side apply only, on request).
        force: bool,
    },
    /// Create new objects, one per target (the target names where; its uid is empty), in
    /// the order given: an import creates namespaces and CRDs before what lives in them.
    Create {
        objects: Vec<serde_json::Value>,
    },
    /// A Helm release rolled back or uninstalled the way Helm does it (`ops::helm`). The
    /// target is the storage record of the release's newest revision: a release that moved
    /// on since the plan was shown is refused.
    Helm {
        op: HelmOp,
        /// What the plan said would happen, for the confirmation (empty for the plan itself).
        plan: Vec<String>,
    },
    /// An archive restored as its plan says (`backup::restore`): the target names the
    /// cluster (a namespace of the plan); each object is audited on its own.
    Restore {
        plan: std::sync::Arc<crate::backup::restore::Plan>,
        /// The archive's file name.
        archive: String,
    },
    /// A command, shell or port-forward in a pod: it may change anything, so read-only mode
    /// refuses it and the audit log records it; it is carried out by its own effect.
    Session {
        /// "exec", "shell", "attach", "port-forward".
        kind: &'static str,
        /// The command or port.
        detail: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HelmOp {
    /// `helm rollback NAME [REVISION]`: to this revision, or to the one before the newest.
    Rollback { revision: Option<i64> },
    /// `helm uninstall NAME [--keep-history]`.
    Uninstall { keep_history: bool },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Propagation {
    Background,
    Foreground,
    Orphan,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetaField {
    Labels,
    Annotations,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taint {
    pub key: String,
    pub value: String,
    /// NoSchedule, PreferNoSchedule or NoExecute.
    pub effect: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrainOpts {
    /// Seconds each evicted pod gets; `None` = its own.
    pub grace: Option<i64>,
    /// How long to keep trying (PodDisruptionBudgets may hold evictions back).
    pub timeout_secs: u64,
    /// Evict pods using emptyDir volumes (their data is lost).
    pub delete_emptydir_data: bool,
    /// Evict pods no controller will recreate.
    pub force: bool,
}

impl Default for DrainOpts {
    fn default() -> Self {
        DrainOpts {
            grace: None,
            timeout_secs: 120,
            delete_emptydir_data: false,
            force: false,
        }
    }
}

/// A patch as it goes to the server.
#[derive(Clone, Debug, PartialEq)]
pub struct Patch {
    pub kind: PatchKind,
    pub body: serde_json::Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchKind {
    Json,
    Merge,
    Strategic,
}

impl PatchKind {
    pub fn content_type(self) -> &'static str {
        match self {
            PatchKind::Json => "application/json-patch+json",
            PatchKind::Merge => "application/merge-patch+json",
            PatchKind::Strategic => "application/strategic-merge-patch+json",
        }
    }
}

/// One operation over its targets, as one audited batch.
#[derive(Clone, Debug, PartialEq)]
pub struct Mutation {
    pub op: Op,
    pub targets: Vec<ObjectRef>,
    /// Validate on the servers only (`dryRun=All`); nothing is changed.
    pub dry_run: bool,
}

/// Whether a target may be changed, as the app decided before sending anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Go,
    /// Read-only mode: never sent; audited as refused.
    Refused(String),
    /// The identity may not (SelfSubjectAccessReview said so): never sent; audited as denied.
    Denied(String),
}

/// One target of a batch as the executor gets it.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub obj: ObjectRef,
    pub decision: Decision,
    /// The Kubernetes identity the connection acts as, for the audit record.
    pub identity: Option<String>,
}

/// What a target's request came to.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// One line: "scaled to 3", "deleted", "would change 2 fields".
    pub summary: String,
    pub rv_before: Option<String>,
    pub rv_after: Option<String>,
    /// The object as the server returned it (dry-run: as it would be).
    pub object: Option<serde_json::Value>,
    /// The hash of the audit intent written before it was sent (none for a dry run). A
    /// session's outcome is written when it ends, naming this.
    pub intent: Option<String>,
}

/// One permission a verb needs, asked with SelfSubjectAccessReview.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Check {
    pub verb: &'static str,
    pub group: String,
    pub resource: String,
    pub subresource: &'static str,
    /// Empty for cluster-scoped objects (or all namespaces).
    pub namespace: String,
}

/// The server's answer to a `Check`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    Allowed,
    /// Not allowed, with the server's reason when it gave one.
    Denied(String),
}
