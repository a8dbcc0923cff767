//! Screens: what fills the body of the terminal. Each screen owns its state, handles the
//! actions its keys resolve to, draws itself read-only, says what it needs from the clusters
//! and names its key hints. Adding a screen is one new file here plus its entry in `SCREENS`.
//!
//! A trait, not an enum: screens are an open set (fleet, triage, logs, releases come next),
//! each with state of its own. With a trait a new screen's code stays in its file, instead of
//! a variant spreading through every `match` of the app.

pub mod access;
pub mod audit;
pub mod backups;
pub mod contexts;
pub mod create;
pub mod diff;
pub mod editor;
pub mod events;
pub mod exec;
pub mod fleet;
pub mod forwards;
pub mod helm;
pub mod import;
pub mod inspect;
pub mod logs;
pub mod rbac;
pub mod revisions;
pub mod search;
pub mod table;
pub mod text;
pub mod top;
pub mod tree;
pub mod triage;
pub mod velero;
pub mod yaml;

use crate::config::Config;
use crate::modal::{Modal, ModalResult};
use crate::model::ApiError;
use crate::model::{
    Action, ClusterId, ContextEntry, ExecOutput, ExecTarget, Fetched, ForwardTarget, ImportCheck,
    ImportSource, Imported, LogEvent, LogSpec, ObjectRef, ResKey, ResourceInfo,
};
use crate::protocol::op::{Check, Mutation, Outcome};
use crate::store::Store;
use forwards::Forward;
use ratatui::Frame;
use ratatui::layout::Rect;

pub trait Screen: std::any::Any {
    /// The keymap section this screen's keys are looked up in (before `global`).
    fn mode(&self) -> &'static str;

    /// Footer hints: actions with a label, shown with the key bound to each.
    fn hints(&self) -> &'static [(Action, &'static str)];

    /// A key before the keymap sees it, for a screen that types (an editor); `true` took it.
    /// The app's modal layers and prompt still come first.
    fn raw_key(&mut self, _key: crate::key::KeyEvent, _ctx: &mut Ctx) -> bool {
        false
    }

    /// Pasted text, unsanitized (the screen keeps its newlines and cleans each line); `true`
    /// took it.
    fn raw_paste(&mut self, _text: &str, _ctx: &mut Ctx) -> bool {
        false
    }

    /// Handles an action; `false` leaves it to the app (Back pops, Quit quits, …).
    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool;

    /// Draws into `area`, reading only.
    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx);

    /// Recomputes what is derived from the store; runs before every frame of the top screen.
    fn refresh(&mut self, _ctx: &mut Ctx) {}

    /// Runs once, right after the screen is pushed: where it asks for what it shows.
    fn opened(&mut self, _ctx: &mut Ctx) {}

    /// What this screen needs from the clusters while it is on the stack.
    fn needs(&self, _store: &Store, _out: &mut Vec<Need>) {}

    /// The screen above this one closed itself with `value` (`Ctx::close_with`): what a
    /// screen it opened came to (an editor: the object as applied, or left unchanged).
    fn resumed(&mut self, _value: Box<dyn std::any::Any>, _ctx: &mut Ctx) {}

    /// The text of its `/` filter; `None` when the screen has no filter.
    fn filter(&self) -> Option<&str> {
        None
    }

    fn set_filter(&mut self, _text: &str, _ctx: &mut Ctx) {}

    /// The namespace scope a `:` command without a namespace carries over:
    /// `Some(None)` all namespaces, `Some(Some(list))` those, `None` no opinion.
    fn namespaces(&self) -> Option<Option<Vec<String>>> {
        None
    }

    /// The cluster scope a `:` command without `@` carries over, like `namespaces`.
    fn contexts(&self) -> Option<Option<Vec<String>>> {
        None
    }

    /// A home screen stays at the bottom of the stack when a `:` command starts a new
    /// history, so Esc always gets back to it.
    fn home(&self) -> bool {
        false
    }
}

/// Something a screen needs kept running while it is on the stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Need {
    Watch { cluster: ClusterId, res: ResKey },
}

/// What comes back from the app to a request; each request's `Reply` takes only its own
/// kind, so a screen sees the answer type of the request it made.
pub(crate) enum Answer {
    Fetched(Result<Fetched, ApiError>),
    Edited(Result<String, String>),
    Modal(ModalResult),
    Log(LogEvent),
    Exec(Result<ExecOutput, ApiError>),
    /// A shell session or a save is over.
    Done(Result<String, String>),
    Mutated(Mutated),
    Inspected(Result<Box<crate::inspect::ClusterReport>, String>),
    Backup(Result<crate::backup::job::Done, String>),
    Releases(Result<Vec<crate::helm::record::Unpacked>, ApiError>),
    ArchiveChecked(Result<Box<crate::backup::archive::Checked>, String>),
    ImportChecked(Result<ImportCheck, String>),
    Imported(Result<Imported, String>),
}

/// What a change (`Ctx::mutate`) comes to, as it comes.
#[derive(Debug)]
pub enum Mutated {
    /// One target's result (its index in the mutation's targets); the error is one line
    /// (the server's message, or why it was never sent).
    Target {
        index: usize,
        result: Result<Outcome, String>,
    },
    /// The user declined the confirmation: nothing was sent and nothing more comes.
    Cancelled,
}

/// The picker of a request's own answer kind: `answer_of!(Fetched)` takes an
/// `Answer::Fetched`'s payload and nothing else.
macro_rules! answer_of {
    ($variant:ident) => {
        |a| match a {
            Answer::$variant(r) => Some(r),
            _ => None,
        }
    };
}

/// Where an answer goes: a closure over the asking screen's own type, holding what the
/// request needs to remember (a slot, a generation), called with the answer of the
/// request's own type. The app finds the screen, the closure finds its type.
pub struct Reply(Box<Deliverer>);

type Deliverer = dyn FnMut(&mut dyn Screen, Answer, &mut Ctx);

impl Reply {
    /// A reply that takes the answers `pick` finds, as often as they come.
    fn many<S: Screen, T: 'static>(
        pick: fn(Answer) -> Option<T>,
        mut on: impl FnMut(&mut S, T, &mut Ctx) + 'static,
    ) -> Reply {
        Reply(Box::new(move |screen, answer, ctx| {
            let screen: &mut dyn std::any::Any = screen;
            if let (Some(me), Some(v)) = (screen.downcast_mut::<S>(), pick(answer)) {
                on(me, v, ctx);
            }
        }))
    }

    /// A reply to a request that is answered once.
    fn once<S: Screen, T: 'static>(
        pick: fn(Answer) -> Option<T>,
        on: impl FnOnce(&mut S, T, &mut Ctx) + 'static,
    ) -> Reply {
        let mut on = Some(on);
        Reply::many(pick, move |me: &mut S, v, ctx| {
            if let Some(on) = on.take() {
                on(me, v, ctx);
            }
        })
    }

    pub(crate) fn answer(&mut self, screen: &mut dyn Screen, answer: Answer, ctx: &mut Ctx) {
        (self.0)(screen, answer, ctx)
    }
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reply")
    }
}

/// What outlives any one screen: marked rows and running port-forwards.
#[derive(Default)]
pub struct Shared {
    /// Marked rows, across views, kinds and clusters, in the order they were marked.
    pub marks: Vec<ObjectRef>,
    pub forwards: Vec<Forward>,
}

impl Shared {
    pub fn is_marked(&self, cluster: ClusterId, uid: &str) -> bool {
        self.marks
            .iter()
            .any(|m| m.cluster == cluster && m.uid == uid)
    }
}

/// Where the answer to a fetch may still go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deliver {
    /// Only while the asking screen is on top: a drill-down that answers after the user moved
    /// on is dropped, not pushed over whatever they look at now.
    OnTop,
    /// While the asking screen is anywhere on the stack (its own content).
    OnStack,
    /// Many answers, while the asking screen is on the stack; the stream stops when it leaves.
    Stream,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashLevel {
    Info,
    Error,
}

/// What a screen asks of the app while handling something; carried out right after. The
/// requests that are answered carry their `Reply`; a screen makes them with `Ctx`'s methods.
pub enum Request {
    Push(Box<dyn Screen>),
    /// Take the asking screen off the stack (never the last one); a value goes to the
    /// screen under it (`Screen::resumed`).
    Close(Option<Box<dyn std::any::Any>>),
    Fetch {
        cluster: ClusterId,
        path: String,
        events: Option<String>,
        deliver: Deliver,
        reply: Reply,
    },
    Edit {
        name: String,
        text: String,
        reply: Reply,
    },
    Copy(String),
    /// Run a `:` command line, as if typed: how a screen opens another it must not import.
    Run(String),
    Flash(String, FlashLevel),
    /// A modal layer over the asking screen; `id` names it for `Progress`.
    Modal {
        id: u64,
        modal: Modal,
        reply: Reply,
    },
    /// News for the progress layer this screen opened as `id`.
    Progress {
        id: u64,
        step: ProgressStep,
    },
    Connect(String),
    Disconnect(String),
    RememberNamespace(String),
    /// Stream a log as `ticket`, until `StopStream(ticket)` or the screen goes.
    Stream {
        ticket: u64,
        cluster: ClusterId,
        spec: LogSpec,
        reply: Reply,
    },
    StopStream(u64),
    Exec {
        cluster: ClusterId,
        target: ExecTarget,
        argv: Vec<String>,
        reply: Reply,
    },
    Shell {
        cluster: ClusterId,
        target: ExecTarget,
        attach: bool,
        reply: Reply,
    },
    CheckImport {
        source: ImportSource,
        renames: Vec<(String, String)>,
        reply: Reply,
    },
    Import {
        source: ImportSource,
        renames: Vec<(String, String)>,
        keep: Vec<String>,
        reply: Reply,
    },
    ForgetContext {
        name: String,
        reply: Reply,
    },
    /// A debug container in `target.pod`, sharing `target.container`'s processes.
    Debug {
        cluster: ClusterId,
        target: ExecTarget,
        image: String,
        reply: Reply,
    },
    NodeShell {
        cluster: ClusterId,
        node: String,
        reply: Reply,
    },
    Save {
        path: std::path::PathBuf,
        text: String,
        reply: Reply,
    },
    Forward {
        cluster: ClusterId,
        target: ForwardTarget,
        /// What the user forwards to (`Service shop/web`).
        what: String,
        remote_port: u16,
        local: std::net::SocketAddr,
    },
    StopForward(u64),
    /// The user has seen the audit log: changes whose outcome is unknown are acknowledged
    /// (recorded, and no longer said in the header).
    AuditSeen,
    /// What the identity may do (asked of the server unless known), so actions it may not
    /// are shown disabled with the reason.
    Access {
        cluster: ClusterId,
        checks: Vec<Check>,
    },
    /// Back up, or plan a restore, on one cluster.
    Backup {
        cluster: ClusterId,
        job: crate::backup::job::Job,
        reply: Reply,
    },
    /// Read Helm release records at `path` and decode them off the UI thread.
    ReadReleases {
        cluster: ClusterId,
        path: String,
        driver: crate::helm::record::Driver,
        deliver: Deliver,
        reply: Reply,
    },
    /// Check an archive off the UI thread until done or `cancel`.
    CheckArchive {
        path: std::path::PathBuf,
        cancel: crate::backup::archive::Cancel,
        reply: Reply,
    },
    /// Inspect one cluster with these options.
    Inspect {
        cluster: ClusterId,
        opts: crate::inspect::Options,
        reply: Reply,
    },
    /// What the identity may do in a namespace (SelfSubjectRulesReview: the server answers
    /// it without storing anything).
    Review {
        cluster: ClusterId,
        namespace: String,
        reply: Reply,
    },
    /// Change clusters: the app checks read-only mode and permissions, asks for confirmation
    /// (always, as its policy says: a screen that showed the change first cannot skip it),
    /// sends it and audits it. One `Mutated::Target` comes back per target, in
    /// `mutation.targets` order, or one `Mutated::Cancelled`.
    Mutate {
        mutation: Mutation,
        reply: Reply,
    },
    /// GET `path` from the Clusterpedia index on `hub` (`:search`).
    Search {
        hub: String,
        path: String,
        reply: Reply,
    },
    /// Mark the object, or unmark it if marked.
    Mark(ObjectRef),
    ClearMarks,
}

pub enum ProgressStep {
    /// One more item done, with a line saying what happened.
    Advance(String),
    /// All done (or stopped), with a last line.
    Finish(String),
}

/// What a screen may read and ask for while it handles an action or an answer.
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub config: &'a Config,
    pub contexts: &'a [ContextEntry],
    /// Recently used namespaces, on keys 1–9.
    pub favourites: &'a [String],
    pub builtin: &'a [ResourceInfo],
    pub shared: &'a Shared,
    /// The screens the app knows, for help.
    pub screens: &'a Catalog,
    /// Seconds since the epoch, for ages in documents.
    pub now: i64,
    pub(crate) out: &'a mut Vec<Request>,
    /// The app's counter, for the ids of streams and layers a screen names again later.
    pub(crate) ids: &'a mut u64,
}

impl Ctx<'_> {
    pub fn push(&mut self, screen: Box<dyn Screen>) {
        self.out.push(Request::Push(screen));
    }

    /// Closes this screen, as the back key would.
    pub fn close(&mut self) {
        self.out.push(Request::Close(None));
    }

    /// Closes this screen and hands `value` to the screen under it.
    pub fn close_with<T: std::any::Any>(&mut self, value: T) {
        self.out.push(Request::Close(Some(Box::new(value))));
    }

    fn next_id(&mut self) -> u64 {
        *self.ids += 1;
        *self.ids
    }

    /// Reads `path` (and, with `events`, the events of that object); `on` gets the answer.
    pub fn fetch<S: Screen>(
        &mut self,
        cluster: ClusterId,
        path: String,
        events: Option<String>,
        deliver: Deliver,
        on: impl FnOnce(&mut S, Result<Fetched, ApiError>, &mut Ctx) + 'static,
    ) {
        let reply = Reply::once(answer_of!(Fetched), on);
        self.out.push(Request::Fetch {
            cluster,
            path,
            events,
            deliver,
            reply,
        });
    }

    /// Hands `text` to `$EDITOR`; `on` gets the edited text, or why there is none.
    pub fn edit<S: Screen>(
        &mut self,
        name: String,
        text: String,
        on: impl FnOnce(&mut S, Result<String, String>, &mut Ctx) + 'static,
    ) {
        let reply = Reply::once(answer_of!(Edited), on);
        self.out.push(Request::Edit { name, text, reply });
    }

    /// Opens a modal layer over this screen; `on` gets its result. The id names the layer
    /// for `progress`.
    pub fn modal<S: Screen>(
        &mut self,
        modal: Modal,
        on: impl FnOnce(&mut S, ModalResult, &mut Ctx) + 'static,
    ) -> u64 {
        let id = self.next_id();
        let reply = Reply::once(answer_of!(Modal), on);
        self.out.push(Request::Modal { id, modal, reply });
        id
    }

    /// News for the progress layer `id` (from `modal`).
    pub fn progress(&mut self, id: u64, step: ProgressStep) {
        self.out.push(Request::Progress { id, step });
    }

    /// Streams a log; `on` gets each event until `stop_stream` or this screen goes. The
    /// ticket names the stream.
    pub fn stream<S: Screen>(
        &mut self,
        cluster: ClusterId,
        spec: LogSpec,
        on: impl FnMut(&mut S, LogEvent, &mut Ctx) + 'static,
    ) -> u64 {
        let ticket = self.next_id();
        let reply = Reply::many(answer_of!(Log), on);
        self.out.push(Request::Stream {
            ticket,
            cluster,
            spec,
            reply,
        });
        ticket
    }

    pub fn stop_stream(&mut self, ticket: u64) {
        self.out.push(Request::StopStream(ticket));
    }

    /// Runs `argv` in a pod (a session: decided, confirmed and audited by the app).
    pub fn exec<S: Screen>(
        &mut self,
        cluster: ClusterId,
        target: ExecTarget,
        argv: Vec<String>,
        on: impl FnOnce(&mut S, Result<ExecOutput, ApiError>, &mut Ctx) + 'static,
    ) {
        let reply = Reply::once(answer_of!(Exec), on);
        self.out.push(Request::Exec {
            cluster,
            target,
            argv,
            reply,
        });
    }

    /// Opens a shell in (or attaches to) a pod; `on` gets how the session ended.
    pub fn shell<S: Screen>(
        &mut self,
        cluster: ClusterId,
        target: ExecTarget,
        attach: bool,
        on: impl FnOnce(&mut S, Result<String, String>, &mut Ctx) + 'static,
    ) {
        self.out.push(Request::Shell {
            cluster,
            target,
            attach,
            reply: Reply::once(answer_of!(Done), on),
        });
    }

    /// Reads a kubeconfig to import and checks each of its contexts (after `renames`); `on`
    /// gets the names that are taken, or how each context answered.
    pub fn check_import<S: Screen>(
        &mut self,
        source: ImportSource,
        renames: Vec<(String, String)>,
        on: impl FnOnce(&mut S, Result<ImportCheck, String>, &mut Ctx) + 'static,
    ) {
        self.out.push(Request::CheckImport {
            source,
            renames,
            reply: Reply::once(answer_of!(ImportChecked), on),
        });
    }

    /// Saves the contexts of a kubeconfig named in `keep` (audited; refused in read-only
    /// mode) and connects them; `on` gets the file and the contexts, or why not.
    pub fn import_contexts<S: Screen>(
        &mut self,
        source: ImportSource,
        renames: Vec<(String, String)>,
        keep: Vec<String>,
        on: impl FnOnce(&mut S, Result<Imported, String>, &mut Ctx) + 'static,
    ) {
        self.out.push(Request::Import {
            source,
            renames,
            keep,
            reply: Reply::once(answer_of!(Imported), on),
        });
    }

    /// Removes a context flotilla imported (audited; refused in read-only mode) and
    /// disconnects it; `on` gets a line saying so, or why not.
    pub fn forget_context<S: Screen>(
        &mut self,
        name: String,
        on: impl FnOnce(&mut S, Result<String, String>, &mut Ctx) + 'static,
    ) {
        self.out.push(Request::ForgetContext {
            name,
            reply: Reply::once(answer_of!(Done), on),
        });
    }

    /// Adds a debug container of `image` to a pod and attaches to it; `on` gets how the
    /// session ended.
    pub fn debug<S: Screen>(
        &mut self,
        cluster: ClusterId,
        target: ExecTarget,
        image: String,
        on: impl FnOnce(&mut S, Result<String, String>, &mut Ctx) + 'static,
    ) {
        self.out.push(Request::Debug {
            cluster,
            target,
            image,
            reply: Reply::once(answer_of!(Done), on),
        });
    }

    /// Opens a shell on `node` (a privileged pod pinned to it, deleted when the shell ends);
    /// `on` gets how the session ended.
    pub fn node_shell<S: Screen>(
        &mut self,
        cluster: ClusterId,
        node: String,
        on: impl FnOnce(&mut S, Result<String, String>, &mut Ctx) + 'static,
    ) {
        self.out.push(Request::NodeShell {
            cluster,
            node,
            reply: Reply::once(answer_of!(Done), on),
        });
    }

    /// Writes `text` to `path` (0600); `on` gets a line saying what was written, or why not.
    pub fn save<S: Screen>(
        &mut self,
        path: std::path::PathBuf,
        text: String,
        on: impl FnOnce(&mut S, Result<String, String>, &mut Ctx) + 'static,
    ) {
        let reply = Reply::once(answer_of!(Done), on);
        self.out.push(Request::Save { path, text, reply });
    }

    /// Backs up, or plans a restore, on `cluster`.
    pub fn backup<S: Screen>(
        &mut self,
        cluster: ClusterId,
        job: crate::backup::job::Job,
        on: impl FnOnce(&mut S, Result<crate::backup::job::Done, String>, &mut Ctx) + 'static,
    ) {
        let reply = Reply::once(answer_of!(Backup), on);
        self.out.push(Request::Backup {
            cluster,
            job,
            reply,
        });
    }

    /// Reads and decodes the Helm release records at `path`, newest first.
    pub fn read_releases<S: Screen>(
        &mut self,
        cluster: ClusterId,
        path: String,
        driver: crate::helm::record::Driver,
        deliver: Deliver,
        on: impl FnOnce(&mut S, Result<Vec<crate::helm::record::Unpacked>, ApiError>, &mut Ctx)
        + 'static,
    ) {
        let reply = Reply::once(answer_of!(Releases), on);
        self.out.push(Request::ReadReleases {
            cluster,
            path,
            driver,
            deliver,
            reply,
        });
    }

    /// Checks an archive against its manifest, until done or `cancel`.
    pub fn check_archive<S: Screen>(
        &mut self,
        path: std::path::PathBuf,
        cancel: crate::backup::archive::Cancel,
        on: impl FnOnce(&mut S, Result<Box<crate::backup::archive::Checked>, String>, &mut Ctx)
        + 'static,
    ) {
        let reply = Reply::once(answer_of!(ArchiveChecked), on);
        self.out.push(Request::CheckArchive {
            path,
            cancel,
            reply,
        });
    }

    /// Inspects `cluster` with `opts`.
    pub fn inspect<S: Screen>(
        &mut self,
        cluster: ClusterId,
        opts: crate::inspect::Options,
        on: impl FnOnce(&mut S, Result<Box<crate::inspect::ClusterReport>, String>, &mut Ctx) + 'static,
    ) {
        let reply = Reply::once(answer_of!(Inspected), on);
        self.out.push(Request::Inspect {
            cluster,
            opts,
            reply,
        });
    }

    /// Asks what the identity may do in `namespace` (a SelfSubjectRulesReview).
    pub fn review<S: Screen>(
        &mut self,
        cluster: ClusterId,
        namespace: String,
        on: impl FnOnce(&mut S, Result<Fetched, ApiError>, &mut Ctx) + 'static,
    ) {
        let reply = Reply::once(answer_of!(Fetched), on);
        self.out.push(Request::Review {
            cluster,
            namespace,
            reply,
        });
    }

    /// Asks the Clusterpedia index on `hub` for `path` (a search across its clusters).
    pub fn search<S: Screen>(
        &mut self,
        hub: String,
        path: String,
        on: impl FnOnce(&mut S, Result<Fetched, ApiError>, &mut Ctx) + 'static,
    ) {
        let reply = Reply::once(answer_of!(Fetched), on);
        self.out.push(Request::Search { hub, path, reply });
    }

    /// Changes clusters through the app's checks, confirmation and audit; `on` gets each
    /// target's result as it comes (`Request::Mutate`).
    pub fn mutate<S: Screen>(
        &mut self,
        mutation: Mutation,
        on: impl FnMut(&mut S, Mutated, &mut Ctx) + 'static,
    ) {
        let reply = Reply::many(answer_of!(Mutated), on);
        self.out.push(Request::Mutate { mutation, reply });
    }

    /// Runs a `:` command line after this action, as if typed.
    pub fn run(&mut self, line: String) {
        self.out.push(Request::Run(line));
    }

    pub fn copy(&mut self, text: String) {
        self.info(format!("copied {} bytes", text.len()));
        self.out.push(Request::Copy(text));
    }

    pub fn info(&mut self, msg: impl Into<String>) {
        self.out.push(Request::Flash(msg.into(), FlashLevel::Info));
    }

    pub fn error(&mut self, msg: impl Into<String>) {
        self.out.push(Request::Flash(msg.into(), FlashLevel::Error));
    }

    pub fn connect(&mut self, context: &str) {
        self.out.push(Request::Connect(context.to_string()));
    }

    pub fn disconnect(&mut self, context: &str) {
        self.out.push(Request::Disconnect(context.to_string()));
    }

    pub fn remember_namespace(&mut self, ns: &str) {
        self.out.push(Request::RememberNamespace(ns.to_string()));
    }

    /// A request that is not answered.
    pub fn request(&mut self, r: Request) {
        self.out.push(r);
    }

    /// The fetched object, if it is still the one the user picked; says why when it is not.
    pub fn checked(
        &mut self,
        obj: &ObjectRef,
        r: Result<Fetched, ApiError>,
    ) -> Option<serde_json::Value> {
        let error = match r {
            Ok(f)
                if f.object.pointer("/metadata/uid").and_then(|u| u.as_str()) == Some(&obj.uid) =>
            {
                return Some(f.object);
            }
            Ok(_) => format!("{obj} no longer exists (another object of that name took its place)"),
            Err(e) if e.code == 404 => format!("{obj} no longer exists"),
            Err(e) => format!("{obj}: {e}"),
        };
        self.error(error);
        None
    }

    /// Every resource known on any live cluster, discovered ones first, then built-ins.
    pub fn known_resources(&self) -> Vec<&ResourceInfo> {
        known_resources(self.store, self.builtin)
    }

    /// The resource as `cluster` serves it (the built-in entry until discovery answers).
    pub fn resource_on(&self, cluster: ClusterId, key: &ResKey) -> Option<ResourceInfo> {
        resource_on(self.store, self.builtin, cluster, key)
    }
}

/// What a screen reads while drawing.
pub struct DrawCtx<'a> {
    pub store: &'a Store,
    pub config: &'a Config,
    pub contexts: &'a [ContextEntry],
    pub shared: &'a Shared,
    /// Seconds since the epoch (injectable so snapshots render stable ages).
    pub now: i64,
}

/// A `:` command that opens a screen (resource names open a `table::TableScreen` instead),
/// declared once: parsing, completion and help read these.
#[derive(Debug)]
pub struct Command {
    /// The names typed after `:`: the first is the name, the others aliases.
    pub names: &'static [&'static str],
    /// One line for help: what the screen shows, and the arguments it takes.
    pub about: &'static str,
    /// Opens it; gets the rest of the command line.
    pub open: Opener,
}

pub type Opener = fn(args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String>;

/// A screen, declared once: its keymap section (`Screen::mode`) and the commands that open
/// it. A screen only other screens open (a describe, a history) has none.
#[derive(Debug)]
pub struct Declared {
    pub mode: &'static str,
    pub commands: &'static [Command],
}

/// Every screen flotilla has; one entry per screen.
pub const SCREENS: &[Declared] = &[
    Declared {
        mode: table::MODE,
        commands: &[],
    },
    Declared {
        mode: text::MODE,
        commands: &[Command {
            names: &["help", "?"],
            about: "this help",
            open: text::open_help,
        }],
    },
    Declared {
        mode: revisions::MODE,
        commands: &[],
    },
    Declared {
        mode: editor::MODE,
        commands: &[],
    },
    Declared {
        mode: helm::HISTORY_MODE,
        commands: &[],
    },
    Declared {
        mode: helm::OBJECTS_MODE,
        commands: &[],
    },
    Declared {
        mode: helm::PLAN_MODE,
        commands: &[],
    },
    Declared {
        mode: access::MODE,
        commands: &[Command {
            names: &["can-i", "cani"],
            about: "what you may do, per cluster: :can-i [-n NS] [@CTX]",
            open: access::open,
        }],
    },
    Declared {
        mode: contexts::MODE,
        commands: &[Command {
            names: &["ctx", "context", "contexts"],
            about: "the live set of contexts; :ctx add PATH|-, :ctx rm NAME",
            open: contexts::open,
        }],
    },
    Declared {
        mode: import::MODE,
        commands: &[],
    },
    Declared {
        mode: logs::MODE,
        commands: &[Command {
            names: &["logs", "log"],
            about: "one log stream: :logs [POD-REGEX] [-l SEL] [-n NS|-A] [@CTX]",
            open: logs::open,
        }],
    },
    Declared {
        mode: forwards::MODE,
        commands: &[Command {
            names: &["pf", "port-forwards", "portforwards"],
            about: "the running port-forwards, their state and traffic",
            open: forwards::open,
        }],
    },
    Declared {
        mode: exec::MODE,
        commands: &[Command {
            names: &["exec"],
            about: "a command in every marked pod: :exec [-c NAME] CMD",
            open: exec::open,
        }],
    },
    Declared {
        mode: audit::MODE,
        commands: &[Command {
            names: &["audit"],
            about: "the audit log of changes, and whether its chain holds",
            open: audit::open,
        }],
    },
    Declared {
        mode: create::MODE,
        commands: &[
            Command {
                names: &["create"],
                about: "create a namespace (quota, limits), ConfigMap, Secret, YAML",
                open: create::open,
            },
            Command {
                names: &["members"],
                about: "who may view, edit, administer: :members NS [@CTX]",
                open: create::open_members,
            },
            Command {
                names: &["set-key", "setkey"],
                about: "one key: :set-key cm|secret NAME KEY[=VALUE] [-n NS]",
                open: create::open_set_key,
            },
        ],
    },
    Declared {
        mode: search::MODE,
        commands: &[Command {
            names: &["search", "find"],
            about: "across a Clusterpedia index: :search [NAME] [kind:K,…] [-n NS] [@CLUSTER] [-l SEL] [owner:NAME]",
            open: search::open,
        }],
    },
    Declared {
        mode: fleet::MODE,
        commands: &[Command {
            names: &["fleet", "clusters"],
            about: "one row per live cluster: state, latency, pods, capacity",
            open: fleet::open,
        }],
    },
    Declared {
        mode: events::MODE,
        commands: &[Command {
            names: &["events", "ev", "event"],
            about: "events of every live cluster, newest first",
            open: events::open,
        }],
    },
    Declared {
        mode: triage::MODE,
        commands: &[Command {
            names: &["triage", "problems"],
            about: "everything unhealthy on every live cluster, newest first",
            open: triage::open,
        }],
    },
    Declared {
        mode: tree::MODE,
        commands: &[Command {
            names: &["tree", "xray"],
            about: "owner tree of an object, live: :tree KIND/NAME -n NS",
            open: tree::open,
        }],
    },
    Declared {
        mode: rbac::MODE,
        commands: &[Command {
            names: &["access", "rbac", "who-can"],
            about: "who may do what: subjects and their roles, per cluster",
            open: rbac::open,
        }],
    },
    Declared {
        mode: inspect::MODE,
        commands: &[Command {
            names: &["inspect", "popeye", "lint"],
            about: "misconfiguration checks: scores and findings, worst first",
            open: inspect::open,
        }],
    },
    Declared {
        mode: diff::MODE,
        commands: &[Command {
            names: &["diff", "drift"],
            about: "drift: :diff KIND/NAME -n NS @A @B, :diff ns/NS @A @B",
            open: diff::open,
        }],
    },
    Declared {
        mode: helm::MODE,
        commands: &[Command {
            names: &["helm", "releases", "hm", "charts"],
            about: "Helm releases: history, values, manifest, rollback",
            open: helm::open,
        }],
    },
    Declared {
        mode: top::MODE,
        commands: &[Command {
            names: &["top"],
            about: "most CPU or memory used: :top [pods|nodes] [cpu|mem]",
            open: top::open,
        }],
    },
    Declared {
        mode: velero::MODE,
        commands: &[Command {
            names: &["velero", "vel"],
            about: "Velero backups, restores, schedules, storage locations",
            open: velero::open,
        }],
    },
    Declared {
        mode: backups::MODE,
        commands: &[
            Command {
                names: &["backups", "bk"],
                about: "backup archives, newest first; restore one",
                open: backups::open,
            },
            Command {
                names: &["backup"],
                about: "archive namespaces or marks: :backup [NS,…] [@CTX]",
                open: backups::open_backup,
            },
        ],
    },
];

/// The screens an app knows: flotilla's (`SCREENS`), and any a program built on it adds.
#[derive(Clone, Debug)]
pub struct Catalog {
    screens: Vec<&'static Declared>,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog {
            screens: SCREENS.iter().collect(),
        }
    }
}

impl Catalog {
    /// The catalog with one more screen; `Err` when its mode or one of its names is taken.
    pub fn with(mut self, screen: &'static Declared) -> Result<Catalog, String> {
        if self.modes().contains(&screen.mode) {
            return Err(format!("a screen already has the mode {:?}", screen.mode));
        }
        for name in screen.commands.iter().flat_map(|c| c.names) {
            if self.command(name).is_some() {
                return Err(format!("the command :{name} is taken"));
            }
        }
        self.screens.push(screen);
        Ok(self)
    }

    /// Every keymap section a screen uses, for validating keymap files, in declaration order.
    pub fn modes(&self) -> Vec<&'static str> {
        self.screens.iter().map(|s| s.mode).collect()
    }

    /// Every command, in declaration order.
    pub fn commands(&self) -> impl Iterator<Item = &'static Command> + '_ {
        self.screens.iter().flat_map(|s| s.commands.iter())
    }

    /// The command named (or aliased) `name`.
    pub fn command(&self, name: &str) -> Option<&'static Command> {
        self.commands().find(|c| c.names.contains(&name))
    }
}

/// Every keymap section a screen of flotilla's uses.
pub fn modes() -> Vec<&'static str> {
    Catalog::default().modes()
}

/// The live clusters a screen that takes only `[@CTX,…]` (or `@all`) works on, as (id,
/// context); an error names what else was typed, or that no live cluster matches.
pub fn targets(command: &str, args: &str, ctx: &Ctx) -> Result<Vec<(ClusterId, String)>, String> {
    let mut only: Option<Vec<&str>> = None;
    for w in args.split_whitespace() {
        match w.strip_prefix('@') {
            Some("all") => only = None,
            Some(c) => only
                .get_or_insert_with(Vec::new)
                .extend(c.split(',').filter(|c| !c.is_empty())),
            None => {
                return Err(format!(
                    ":{command} {w:?}: use :{command} [@CLUSTER,…]; filter with /"
                ));
            }
        }
    }
    let out: Vec<(ClusterId, String)> = ctx
        .store
        .clusters
        .iter()
        .filter(|s| {
            only.as_ref()
                .is_none_or(|o| o.contains(&s.context.as_str()))
        })
        .map(|s| (s.id, s.context.clone()))
        .collect();
    if out.is_empty() {
        return Err("no live cluster matches; :ctx to add one".into());
    }
    Ok(out)
}

/// Rows a page key moves.
const PAGE: usize = 20;

/// Where a movement key takes a cursor at `pos` in `len` lines; `None` for other actions.
pub fn moved(action: &Action, pos: usize, len: usize) -> Option<usize> {
    let last = len.saturating_sub(1);
    Some(match action {
        Action::Up => pos.saturating_sub(1),
        Action::Down => (pos + 1).min(last),
        Action::PageUp => pos.saturating_sub(PAGE),
        Action::PageDown => (pos + PAGE).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return None,
    })
}

pub fn known_resources<'a>(store: &'a Store, builtin: &'a [ResourceInfo]) -> Vec<&'a ResourceInfo> {
    let mut out: Vec<&ResourceInfo> = Vec::new();
    for slot in store.clusters.iter() {
        for r in &slot.resources {
            if !out.iter().any(|o| o.key == r.key) {
                out.push(r);
            }
        }
    }
    for r in builtin {
        if !out.iter().any(|o| o.key == r.key) {
            out.push(r);
        }
    }
    out
}

pub fn resource_on(
    store: &Store,
    builtin: &[ResourceInfo],
    cluster: ClusterId,
    key: &ResKey,
) -> Option<ResourceInfo> {
    let slot = store.clusters.get(cluster)?;
    if slot.resources.is_empty() {
        // Discovery has not answered yet: start the common kinds from the built-in table.
        return builtin.iter().find(|r| r.key == *key).cloned();
    }
    slot.resources.iter().find(|r| r.key == *key).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_screen_declares_a_mode_of_its_own_and_commands_with_a_description() {
        let mut catalog = Catalog {
            screens: Vec::new(),
        };
        for screen in SCREENS {
            catalog = catalog.with(screen).unwrap();
        }
        for c in catalog.commands() {
            assert!(!c.names.is_empty() && !c.about.is_empty(), "{c:?}");
        }
    }

    #[test]
    fn a_taken_mode_or_name_is_refused() {
        static AGAIN: Declared = Declared {
            mode: "audit",
            commands: &[],
        };
        static TAKEN: Declared = Declared {
            mode: "mine",
            commands: &[Command {
                names: &["mine", "pf"],
                about: "mine",
                open: text::open_help,
            }],
        };
        assert!(Catalog::default().with(&AGAIN).is_err());
        assert_eq!(
            Catalog::default().with(&TAKEN).unwrap_err(),
            "the command :pf is taken"
        );
    }
}
