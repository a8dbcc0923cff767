//! What the app asks the outside world to do. `App::update` only returns these; the runner
//! carries them out (network tasks on tokio, the terminal for the clipboard and the editor), so
//! the app itself needs neither a runtime nor a terminal.

use super::op::{Check, Op, Target};
use crate::model::ClusterId;
use crate::model::ResourceInfo;
use crate::model::{ExecTarget, ForwardTarget, ImportSource, LogSpec};

#[derive(Debug, PartialEq)]
pub enum Effect {
    /// Start the connection task of a context (client, version, discovery, identity, health).
    Connect {
        cluster: ClusterId,
        context: String,
    },
    /// Start the connection task of a cluster known through a Clusterpedia index on `hub` (a
    /// kubeconfig context): lists come from the index, re-listed every `every` (the index
    /// serves no watch); everything else goes to the member's own context when the kubeconfig
    /// has one of that name, and is refused, saying so, when it has none.
    ConnectIndexed {
        cluster: ClusterId,
        member: String,
        hub: String,
        every: std::time::Duration,
    },
    /// List the clusters a Clusterpedia index on `hub` knows, now and every little while:
    /// answered by `Msg::Source` each time.
    WatchSource {
        hub: String,
    },
    /// GET `path` (a search) from the Clusterpedia index on `hub`; answered by `Msg::Fetched`.
    Search {
        ticket: u64,
        hub: String,
        path: String,
    },
    /// Stop it, with every watch and request of that connection.
    Disconnect {
        cluster: ClusterId,
    },
    /// List+watch one resource; events come back tagged with `generation`.
    Watch {
        cluster: ClusterId,
        generation: u64,
        res: ResourceInfo,
        /// Where to fall back when the cluster-wide list is forbidden (the context's namespace).
        fallback_namespace: Option<String>,
    },
    StopWatch {
        cluster: ClusterId,
        generation: u64,
    },
    /// GET one object (and, for describe, the events about it); answered by `Msg::Fetched`.
    Fetch {
        ticket: u64,
        cluster: ClusterId,
        path: String,
        events: Option<String>,
    },
    /// Stream one container's log; answered by `Msg::Log`s until `StopLogs`.
    Logs {
        ticket: u64,
        cluster: ClusterId,
        spec: LogSpec,
    },
    StopLogs {
        ticket: u64,
    },
    /// Run one command in one container; answered by `Msg::Exec`.
    Exec {
        ticket: u64,
        cluster: ClusterId,
        target: ExecTarget,
        argv: Vec<String>,
    },
    /// Suspend the TUI for a shell (or attach) in a container; answered by `Msg::Done`.
    Shell {
        ticket: u64,
        cluster: ClusterId,
        /// For the banner the session prints first.
        context: String,
        target: ExecTarget,
        attach: bool,
        /// The configured shell; `None` = bash, else sh.
        command: Option<Vec<String>>,
    },
    /// Suspend the TUI for a debug container: one added to the pod's ephemeral containers
    /// (targeting `target.container`'s processes), waited for, then attached to. Answered by
    /// `Msg::Done`.
    Debug {
        ticket: u64,
        cluster: ClusterId,
        context: String,
        target: ExecTarget,
        image: String,
    },
    /// Suspend the TUI for a shell on a node: a privileged pod pinned to it runs `command`,
    /// and is deleted when the shell ends. Answered by `Msg::Done`.
    NodeShell {
        ticket: u64,
        cluster: ClusterId,
        context: String,
        node: String,
        pod: NodeShellPod,
    },
    /// Reads a kubeconfig to import, renames its contexts, and checks each (its version and
    /// identity) unless a name is among `known`: answered by `Msg::ImportChecked`.
    CheckImport {
        ticket: u64,
        source: ImportSource,
        renames: Vec<(String, String)>,
        known: Vec<String>,
    },
    /// Saves the contexts named in `keep` to a file of flotilla's own, audited, and adds them
    /// to the contexts that can be connected: answered by `Msg::Imported`.
    Import {
        ticket: u64,
        source: ImportSource,
        renames: Vec<(String, String)>,
        keep: Vec<String>,
    },
    /// Removes a context flotilla imported, audited: answered by `Msg::Done`.
    ForgetContext {
        ticket: u64,
        name: String,
    },
    /// Start a port-forward; its news come as `Msg::Forward`.
    Forward {
        id: u64,
        cluster: ClusterId,
        target: ForwardTarget,
        remote_port: u16,
        local: std::net::SocketAddr,
    },
    StopForward {
        id: u64,
    },
    /// Write text to a file (0600: logs can hold secrets); answered by `Msg::Done`.
    Save {
        ticket: u64,
        path: std::path::PathBuf,
        text: String,
    },
    /// Ask the server what the identity may do in a namespace (SelfSubjectRulesReview: it
    /// computes an answer and stores nothing, so read-only mode allows it; nothing else can
    /// be posted this way). Answered by `Msg::Fetched`.
    Review {
        ticket: u64,
        cluster: ClusterId,
        namespace: String,
    },
    /// Back up, or plan a restore, on one cluster; answered by `Msg::BackedUp`.
    Backup {
        ticket: u64,
        cluster: ClusterId,
        context: String,
        job: crate::backup::job::Job,
    },
    /// Read everything inspection looks at on one cluster and judge it; answered by
    /// `Msg::Inspected`.
    Inspect {
        ticket: u64,
        cluster: ClusterId,
        context: String,
        opts: crate::inspect::Options,
    },
    /// GET Helm release records (one storage object, or a list of a release's) and decode them
    /// off the UI thread, within a memory budget; answered by `Msg::ReleasesRead`.
    ReadReleases {
        ticket: u64,
        cluster: ClusterId,
        path: String,
        driver: crate::helm::record::Driver,
    },
    /// Check an archive against its manifest off the UI thread, a chunk at a time, until done
    /// or cancelled; answered by `Msg::ArchiveChecked`.
    CheckArchive {
        ticket: u64,
        path: std::path::PathBuf,
        cancel: crate::backup::archive::Cancel,
    },
    /// Ask the server what the identity may do (SelfSubjectAccessReview each); answered by
    /// `Msg::Access`.
    Access {
        cluster: ClusterId,
        checks: Vec<Check>,
    },
    /// Carry out one operation over its targets as one audited batch: every target is
    /// audited, those decided `Go` are sent. Answered by a `Msg::Mutated` per target.
    Mutate {
        ticket: u64,
        op: Op,
        dry_run: bool,
        targets: Vec<Target>,
    },
    /// Write the outcome of a session (shell, attach, exec, port-forward) that ended, naming
    /// the audit intent written before it opened.
    SessionEnded {
        target: Target,
        op: Op,
        intent: String,
        result: Result<String, String>,
    },
    /// Read the audit log: whether changes are blocked, and changes whose outcome is
    /// unknown; answered by `Msg::AuditState`.
    ReadAudit,
    /// Record that the user has seen that these intents' (hashes) outcome is unknown.
    AcknowledgeAudit(Vec<String>),
    /// Put text on the clipboard (system clipboard or OSC 52).
    Copy(String),
    /// Suspend the TUI, open the text in `$EDITOR`, resume; answered by `Msg::Edited`.
    Edit {
        ticket: u64,
        /// A file name hint (`deployment-web.yaml`), so the editor picks its syntax.
        name: String,
        text: String,
    },
    /// POST a triage notification to a webhook (`[notify]`); fire and forget.
    Notify(crate::notify::Outgoing),
    Quit,
}

/// The pod a node shell runs in: where, from what image, running what, and its name (chosen
/// before it is made, so whoever ends flotilla meanwhile can still delete it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeShellPod {
    pub namespace: String,
    pub name: String,
    pub image: String,
    pub command: Vec<String>,
}
