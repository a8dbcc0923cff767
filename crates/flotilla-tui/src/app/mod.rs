//! Application state and its single update path. Input (keys, network messages, ticks) goes
//! in through `App::update`; effects come out, for the runner to carry out. Nothing here
//! awaits, spawns or touches the terminal, so the whole app runs in a test without a tokio
//! runtime or a terminal.

pub mod command;
mod input;
pub mod mutate;
pub mod prompt;
mod session;
mod watches;

use crate::config::Config;
use crate::key::{KeyEvent, MouseEvent};
use crate::kinds::resource;
use crate::modal::Modal;
use crate::model::{ContextEntry, ResKey, ResourceInfo};
use crate::model::{ForwardEvent, ForwardTarget};
use crate::protocol::{Effect, Msg};
use crate::screens::table::TableScreen;
use crate::screens::{
    Answer, Catalog, Ctx, Deliver, DrawCtx, FlashLevel, Need, ProgressStep, Reply, Request, Screen,
    Shared,
};
use crate::store::Store;
pub use prompt::{Prompt, PromptKind};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use watches::{Wanted, WatchPlan};

const FLASH_FOR: Duration = Duration::from_secs(6);

/// Everything that can happen to the app.
#[derive(Debug)]
pub enum Input {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    /// An action, as if a key bound to it was pressed.
    Action(crate::model::Action),
    Msg(Msg),
    /// Before a frame: screens refresh, watches are reconciled, the flash expires.
    Tick,
}

pub struct Flash {
    pub text: String,
    pub level: FlashLevel,
    at: Instant,
}

struct Entry {
    id: u64,
    screen: Box<dyn Screen>,
}

/// A modal layer and the screen waiting for its result (none for the app's own layers and
/// those opened from outside).
struct Layer {
    modal: Modal,
    owner: u64,
    id: u64,
    reply: Option<Reply>,
}

/// A request in flight and where its answer goes. A stream's reply is out while it runs
/// (`deliver`).
struct Pending {
    screen: u64,
    deliver: Deliver,
    reply: Option<Reply>,
}

pub struct App {
    pub store: Store,
    pub config: Config,
    pub contexts: Vec<ContextEntry>,
    screens: Vec<Entry>,
    layers: Vec<Layer>,
    pub prompt: Option<Prompt>,
    pub flash: Option<Flash>,
    pub shared: Shared,
    /// Namespaces on keys 1–9: the configured ones, then recently used ones.
    favourites: Vec<String>,
    watches: WatchPlan,
    pending: HashMap<u64, Pending>,
    effects: Vec<Effect>,
    next_id: u64,
    builtin: Vec<ResourceInfo>,
    /// Read-only and protected contexts.
    pub policy: mutate::Policy,
    confirming: HashMap<u64, mutate::Confirming>,
    batches: HashMap<u64, mutate::Batch>,
    /// Sessions waiting for their confirmation, by layer tag; for their audit intent, by
    /// ticket; and open ones, by ticket (exec, shell) or forward id.
    confirming_sessions: HashMap<u64, Vec<session::Session>>,
    sessions: HashMap<u64, session::Session>,
    open_sessions: HashMap<u64, session::Open>,
    /// `:exec` runs (screen, context) confirmed on a protected context: their other pods go
    /// without asking again.
    exec_confirmed: std::collections::HashSet<(u64, String)>,
    /// Imported contexts being removed, by ticket: dropped from the list once they are.
    forgetting: HashMap<u64, String>,
    /// What the audit log holds that the header must say (changes blocked, outcomes unknown).
    pub audit: crate::model::AuditState,
    /// Triage notifications (`[notify]`), app-wide rather than only while `:triage` is open.
    pub notify: Option<crate::notify::Watch>,
    /// The screens `:` commands open.
    catalog: Catalog,
}

impl App {
    /// An app over `contexts`, connecting to those named in `live`; the first `update`
    /// returns the connections to start.
    pub fn new(contexts: Vec<ContextEntry>, live: &[String], config: Config) -> App {
        App::with_screens(contexts, live, config, Catalog::default())
    }

    /// `new`, with the screens of `catalog` (flotilla's and more); `config`'s keymap must
    /// have been loaded with `catalog.modes()`.
    pub fn with_screens(
        contexts: Vec<ContextEntry>,
        live: &[String],
        config: Config,
        catalog: Catalog,
    ) -> App {
        let favourites = config.settings.favourite_namespaces.clone();
        let notify = crate::notify::Watch::for_tui(&config.settings.notify);
        let mut app = App {
            store: Store::default(),
            config,
            contexts,
            screens: Vec::new(),
            layers: Vec::new(),
            prompt: None,
            flash: None,
            shared: Shared::default(),
            favourites,
            watches: WatchPlan::default(),
            pending: HashMap::new(),
            effects: Vec::new(),
            next_id: 0,
            builtin: resource::builtin(),
            policy: mutate::Policy::default(),
            confirming: HashMap::new(),
            batches: HashMap::new(),
            confirming_sessions: HashMap::new(),
            sessions: HashMap::new(),
            open_sessions: HashMap::new(),
            forgetting: HashMap::new(),
            exec_confirmed: Default::default(),
            audit: crate::model::AuditState::default(),
            notify,
            catalog,
        };
        // Changes whose outcome is unknown, from an earlier run, are said at start.
        app.effects.push(Effect::ReadAudit);
        app.policy = mutate::Policy::from_settings(&app.config.settings);
        for name in live {
            app.connect(name);
        }
        for source in &app.config.settings.sources {
            app.effects.push(Effect::WatchSource {
                hub: source.context.clone(),
            });
        }
        if live.len() > 1 || !app.config.settings.sources.is_empty() {
            app.push_screen(Box::new(crate::screens::fleet::FleetScreen::default()));
        } else {
            let pods = TableScreen::new(ResKey::core("pods"), "pods".into(), true);
            app.push_screen(Box::new(pods));
        }
        app
    }

    /// The one way in: applies `input`, returns what the runner should do.
    pub fn update(&mut self, input: Input) -> Vec<Effect> {
        match input {
            Input::Key(k) => self.key(k),
            Input::Mouse(m) => self.mouse(m),
            Input::Paste(s) => self.paste(&s),
            Input::Action(a) => self.action(a),
            Input::Msg(m) => self.message(m),
            Input::Tick => self.tick(),
        }
        std::mem::take(&mut self.effects)
    }

    // ---- clusters -------------------------------------------------------------------------

    fn connect(&mut self, context: &str) {
        if self.store.clusters.by_context(context).is_some() {
            return;
        }
        let cluster = self.store.clusters.add(context);
        self.effects.push(Effect::Connect {
            cluster,
            context: context.to_string(),
        });
    }

    /// The clusters an index knows: those new to the fleet join it (a context of the same
    /// name connected directly stays as it is: live beats indexed), those it no longer knows
    /// leave.
    fn indexed(&mut self, hub: &str, result: Result<Vec<String>, String>) {
        let names = match result {
            Ok(names) => names,
            Err(why) => {
                let none_yet = !self
                    .store
                    .clusters
                    .iter()
                    .any(|s| s.via.as_deref() == Some(hub));
                if none_yet {
                    self.flash_error(format!("index {hub}: {why}"));
                }
                return;
            }
        };
        let every = self
            .config
            .settings
            .sources
            .iter()
            .find(|s| s.context == hub)
            .map(|s| s.relist_every())
            .unwrap_or_default();
        for name in &names {
            if self.store.clusters.by_context(name).is_some() {
                continue;
            }
            let cluster = self.store.clusters.add_indexed(name, hub);
            self.effects.push(Effect::ConnectIndexed {
                cluster,
                member: name.clone(),
                hub: hub.to_string(),
                every,
            });
        }
        let gone: Vec<String> = self
            .store
            .clusters
            .iter()
            .filter(|s| s.via.as_deref() == Some(hub) && !names.contains(&s.context))
            .map(|s| s.context.clone())
            .collect();
        for name in gone {
            self.disconnect(&name);
        }
    }

    fn disconnect(&mut self, context: &str) {
        let Some(cluster) = self.store.clusters.by_context(context).map(|s| s.id) else {
            return;
        };
        self.watches.drop_cluster(cluster);
        self.store.drop_cluster(cluster);
        self.shared.marks.retain(|m| m.cluster != cluster);
        let mut ended = Vec::new();
        for f in self
            .shared
            .forwards
            .iter_mut()
            .filter(|f| f.cluster == cluster)
        {
            f.stopped("context disconnected");
            ended.push(f.id);
        }
        for id in ended {
            self.session_ended(id, Ok("stopped: context disconnected".into()));
        }
        // The executor ends the connection's streams and forwards with it.
        self.effects.push(Effect::Disconnect { cluster });
    }

    fn message(&mut self, msg: Msg) {
        match msg {
            Msg::Cluster { cluster, ev } => {
                self.store.clusters.apply(cluster, ev, Instant::now());
            }
            Msg::Source { hub, result } => self.indexed(&hub, result),
            Msg::Watch {
                cluster,
                res,
                generation,
                ev,
            } => {
                self.store.apply(cluster, &res, generation, ev);
            }
            Msg::Fetched { ticket, result } => self.deliver(ticket, Answer::Fetched(result)),
            Msg::Edited { ticket, result } => self.deliver(ticket, Answer::Edited(result)),
            Msg::Log { ticket, ev } => self.deliver(ticket, Answer::Log(ev)),
            Msg::Inspected { ticket, result } => self.deliver(ticket, Answer::Inspected(result)),
            Msg::BackedUp { ticket, result } => self.deliver(ticket, Answer::Backup(result)),
            Msg::ReleasesRead { ticket, result } => self.deliver(ticket, Answer::Releases(result)),
            Msg::ArchiveChecked { ticket, result } => {
                self.deliver(ticket, Answer::ArchiveChecked(result))
            }
            Msg::Exec { ticket, result } => {
                let ended = match &result {
                    Ok(out) => Ok(match out.exit_code {
                        Some(code) => format!("exited {code}"),
                        None => "ended".into(),
                    }),
                    Err(e) => Err(e.message.clone()),
                };
                self.session_ended(ticket, ended);
                self.deliver(ticket, Answer::Exec(result));
            }
            Msg::ImportChecked { ticket, result } => {
                self.deliver(ticket, Answer::ImportChecked(result));
            }
            Msg::Imported { ticket, result } => {
                if let Ok(done) = &result {
                    for entry in &done.contexts {
                        if !self.contexts.iter().any(|c| c.name == entry.name) {
                            self.contexts.push(entry.clone());
                        }
                        self.connect(&entry.name);
                    }
                }
                self.deliver(ticket, Answer::Imported(result));
            }
            Msg::Done { ticket, result } => {
                if let Some(name) = self.forgetting.remove(&ticket)
                    && result.is_ok()
                {
                    self.disconnect(&name);
                    self.contexts.retain(|c| c.name != name);
                }
                self.session_ended(ticket, result.clone());
                self.deliver(ticket, Answer::Done(result));
            }
            Msg::AuditState(state) => self.audit = state,
            Msg::Access { cluster, answers } => self.access_answers(cluster, answers),
            Msg::Mutated {
                ticket,
                index,
                result,
            } => self.mutated(ticket, index, result),
            Msg::Progress { ticket, line } => self.mutate_progress(ticket, line),
            Msg::Forward { id, ev } => {
                if let ForwardEvent::Stopped(why) = &ev {
                    self.session_ended(id, Ok(format!("stopped: {why}")));
                }
                if let Some(f) = self.shared.forwards.iter_mut().find(|f| f.id == id) {
                    f.apply(ev);
                }
            }
        }
    }

    /// Before a frame: the top screen catches up with the store, watches follow what the
    /// screens need, the flash expires.
    fn tick(&mut self) {
        self.with_top(|s, ctx| s.refresh(ctx));
        self.plan_watches();
        if let Some(n) = &mut self.notify {
            let now = jiff::Timestamp::now().as_second();
            let out = n.tick(&self.store, &self.config.thresholds, now);
            self.effects.extend(out.into_iter().map(Effect::Notify));
        }
        if self
            .flash
            .as_ref()
            .is_some_and(|f| f.at.elapsed() > FLASH_FOR)
        {
            self.flash = None;
        }
    }

    fn plan_watches(&mut self) {
        let mut needs = Vec::new();
        for e in &self.screens {
            e.screen.needs(&self.store, &mut needs);
        }
        if self.notify.is_some() {
            crate::screens::triage::triage_needs(&self.store, &mut needs);
        }
        let mut wanted: Vec<Wanted> = Vec::new();
        for need in needs {
            let Need::Watch { cluster, res } = need;
            let Some(slot) = self.store.clusters.get(cluster).filter(|s| s.connected) else {
                continue;
            };
            let Some(info) = crate::screens::resource_on(&self.store, &self.builtin, cluster, &res)
            else {
                continue;
            };
            if !(info.can("watch") || slot.resources.is_empty()) {
                continue;
            }
            if !wanted
                .iter()
                .any(|w| w.cluster == cluster && w.res.key == res)
            {
                wanted.push(Wanted {
                    cluster,
                    res: info,
                    fallback_namespace: slot.default_namespace.clone(),
                });
            }
        }
        self.watches
            .reconcile(wanted, &mut self.store, Instant::now(), &mut self.effects);
    }

    // ---- screens --------------------------------------------------------------------------

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn push_screen(&mut self, screen: Box<dyn Screen>) {
        let id = self.next_id();
        self.screens.push(Entry { id, screen });
        self.with_screen(id, |s, ctx| s.opened(ctx));
    }

    /// Runs `f` on the screen `id` (if it is on the stack) with a context, then carries out
    /// what it asked for.
    fn with_screen<R>(
        &mut self,
        id: u64,
        f: impl FnOnce(&mut dyn Screen, &mut Ctx) -> R,
    ) -> Option<R> {
        let mut out = Vec::new();
        let entry = self.screens.iter_mut().find(|e| e.id == id)?;
        let mut ctx = Ctx {
            store: &self.store,
            config: &self.config,
            contexts: &self.contexts,
            favourites: &self.favourites,
            builtin: &self.builtin,
            shared: &self.shared,
            screens: &self.catalog,
            now: jiff::Timestamp::now().as_second(),
            out: &mut out,
            ids: &mut self.next_id,
        };
        let r = f(entry.screen.as_mut(), &mut ctx);
        self.requests(id, out);
        Some(r)
    }

    fn with_top<R>(&mut self, f: impl FnOnce(&mut dyn Screen, &mut Ctx) -> R) -> Option<R> {
        let id = self.screens.last()?.id;
        self.with_screen(id, f)
    }

    fn top_id(&self) -> Option<u64> {
        self.screens.last().map(|e| e.id)
    }

    /// A ticket for a request of screen `screen`, whose answer goes back to it by `reply`.
    fn ticket(&mut self, screen: u64, reply: Reply, deliver: Deliver) -> u64 {
        let ticket = self.next_id();
        self.wait(ticket, screen, reply, deliver);
        ticket
    }

    fn wait(&mut self, ticket: u64, screen: u64, reply: Reply, deliver: Deliver) {
        let reply = Some(reply);
        self.pending.insert(
            ticket,
            Pending {
                screen,
                deliver,
                reply,
            },
        );
    }

    /// Forgets the requests of screen `id` (or all with `None`), stopping its streams.
    fn forget(&mut self, id: Option<u64>) {
        let effects = &mut self.effects;
        self.pending.retain(|ticket, p| {
            let keep = id.is_some_and(|id| p.screen != id);
            if !keep && p.deliver == Deliver::Stream {
                effects.push(Effect::StopLogs { ticket: *ticket });
            }
            keep
        });
    }

    /// Carries out what screen `from` asked for.
    fn requests(&mut self, from: u64, out: Vec<Request>) {
        for r in out {
            match r {
                Request::Push(s) => self.push_screen(s),
                Request::Close(value) => self.close(from, value),
                Request::Fetch {
                    cluster,
                    path,
                    events,
                    deliver,
                    reply,
                } => {
                    let ticket = self.ticket(from, reply, deliver);
                    self.effects.push(Effect::Fetch {
                        ticket,
                        cluster,
                        path,
                        events,
                    });
                }
                Request::Edit { name, text, reply } => {
                    let ticket = self.ticket(from, reply, Deliver::OnStack);
                    self.effects.push(Effect::Edit { ticket, name, text });
                }
                Request::Copy(text) => self.effects.push(Effect::Copy(text)),
                Request::Run(line) => self.run_command(&line),
                Request::Flash(text, level) => self.flash(text, level),
                Request::Modal { id, modal, reply } => self.layers.push(Layer {
                    modal,
                    owner: from,
                    id,
                    reply: Some(reply),
                }),
                Request::Progress { id, step } => {
                    let layer = self
                        .layers
                        .iter_mut()
                        .find(|l| l.owner == from && l.id == id);
                    if let Some(Layer {
                        modal: Modal::Progress(p),
                        ..
                    }) = layer
                    {
                        match step {
                            ProgressStep::Advance(line) => p.advance(line),
                            ProgressStep::Finish(line) => p.finish(line),
                        }
                    }
                }
                Request::Connect(name) => self.connect(&name),
                Request::Disconnect(name) => self.disconnect(&name),
                Request::RememberNamespace(ns) => self.remember_namespace(&ns),
                Request::Stream {
                    ticket,
                    cluster,
                    spec,
                    reply,
                } => {
                    self.wait(ticket, from, reply, Deliver::Stream);
                    self.effects.push(Effect::Logs {
                        ticket,
                        cluster,
                        spec,
                    });
                }
                Request::StopStream(ticket) => {
                    if self
                        .pending
                        .remove(&ticket)
                        .is_some_and(|p| p.deliver == Deliver::Stream)
                    {
                        self.effects.push(Effect::StopLogs { ticket });
                    }
                }
                Request::Exec {
                    cluster,
                    target,
                    argv,
                    reply,
                } => {
                    let pod = (target.namespace.clone(), target.pod.clone());
                    let what = ("exec", argv.join(" "));
                    let start = session::Start::Exec {
                        screen: from,
                        reply,
                        target,
                        argv,
                    };
                    self.open_session(cluster, session::On::Pod(&pod.0, &pod.1), what, start);
                }
                Request::Shell {
                    cluster,
                    target,
                    attach,
                    reply,
                } => {
                    let kind = if attach { "attach" } else { "shell" };
                    let detail = target.container.clone().unwrap_or_default();
                    let pod = (target.namespace.clone(), target.pod.clone());
                    let start = session::Start::Shell {
                        screen: from,
                        reply,
                        target,
                        attach,
                    };
                    let on = session::On::Pod(&pod.0, &pod.1);
                    self.open_session(cluster, on, (kind, detail), start);
                }
                Request::Debug {
                    cluster,
                    target,
                    image,
                    reply,
                } => {
                    let detail = format!(
                        "image {image}, sharing the processes of {}",
                        target.container.as_deref().unwrap_or("the pod")
                    );
                    let pod = (target.namespace.clone(), target.pod.clone());
                    let start = session::Start::Debug {
                        screen: from,
                        reply,
                        target,
                        image,
                    };
                    let on = session::On::Pod(&pod.0, &pod.1);
                    self.open_session(cluster, on, ("debug", detail), start);
                }
                Request::NodeShell {
                    cluster,
                    node,
                    reply,
                } => {
                    let pod = session::node_shell_pod(&self.config.settings.debug);
                    let detail = format!("pod {}/{} ({})", pod.namespace, pod.name, pod.image);
                    let start = session::Start::NodeShell {
                        screen: from,
                        reply,
                        node: node.clone(),
                        pod,
                    };
                    self.open_session(
                        cluster,
                        session::On::Node(&node),
                        ("node-shell", detail),
                        start,
                    );
                }
                Request::CheckImport {
                    source,
                    renames,
                    reply,
                } => {
                    let ticket = self.ticket(from, reply, Deliver::OnStack);
                    let known = self.contexts.iter().map(|c| c.name.clone()).collect();
                    self.effects.push(Effect::CheckImport {
                        ticket,
                        source,
                        renames,
                        known,
                    });
                }
                Request::Import {
                    source,
                    renames,
                    keep,
                    reply,
                } => {
                    let ticket = self.ticket(from, reply, Deliver::OnStack);
                    if self.policy.all_read_only() {
                        let why = "read-only: nothing is imported".to_string();
                        self.deliver(ticket, Answer::Imported(Err(why)));
                    } else {
                        self.effects.push(Effect::Import {
                            ticket,
                            source,
                            renames,
                            keep,
                        });
                    }
                }
                Request::ForgetContext { name, reply } => {
                    let ticket = self.ticket(from, reply, Deliver::OnStack);
                    if self.policy.all_read_only() {
                        let why = "read-only: nothing is removed".to_string();
                        self.deliver(ticket, Answer::Done(Err(why)));
                    } else {
                        self.forgetting.insert(ticket, name.clone());
                        self.effects.push(Effect::ForgetContext { ticket, name });
                    }
                }
                Request::Save { path, text, reply } => {
                    let ticket = self.ticket(from, reply, Deliver::OnStack);
                    self.effects.push(Effect::Save { ticket, path, text });
                }
                Request::Forward {
                    cluster,
                    target,
                    what,
                    remote_port,
                    local,
                } => {
                    let (namespace, name) = match &target {
                        ForwardTarget::Pod { namespace, name } => (namespace, name),
                        ForwardTarget::Selector { namespace, .. } => (namespace, &what),
                    };
                    let (namespace, name) = (namespace.clone(), name.clone());
                    let detail = format!("{what} port {remote_port} on {local}");
                    let start = session::Start::Forward {
                        target,
                        what,
                        remote_port,
                        local,
                    };
                    let kind = ("port-forward", detail);
                    self.open_session(cluster, session::On::Pod(&namespace, &name), kind, start);
                }
                Request::StopForward(id) => {
                    if let Some(i) = self.shared.forwards.iter().position(|f| f.id == id) {
                        self.shared.forwards.remove(i);
                        self.effects.push(Effect::StopForward { id });
                        self.session_ended(id, Ok("stopped".into()));
                    }
                }
                Request::AuditSeen => {
                    let seen: Vec<String> =
                        self.audit.unknown.drain(..).map(|u| u.intent).collect();
                    if !seen.is_empty() {
                        self.effects.push(Effect::AcknowledgeAudit(seen));
                    }
                }
                Request::Mark(obj) => {
                    let marks = &mut self.shared.marks;
                    match marks
                        .iter()
                        .position(|m| m.cluster == obj.cluster && m.uid == obj.uid)
                    {
                        Some(i) => {
                            marks.remove(i);
                        }
                        None => marks.push(obj),
                    }
                }
                Request::ClearMarks => self.shared.marks.clear(),
                Request::Mutate { mutation, reply } => self.mutate(from, reply, mutation),
                Request::Access { cluster, checks } => {
                    self.plan_access(checks.into_iter().map(|c| (cluster, c)).collect())
                }
                Request::Backup {
                    cluster,
                    mut job,
                    reply,
                } => {
                    let ticket = self.ticket(from, reply, Deliver::OnStack);
                    let context = self
                        .store
                        .clusters
                        .get(cluster)
                        .map(|s| s.context.clone())
                        .unwrap_or_default();
                    // Read-only mode sends no write, dry runs included: a restore planned
                    // there reads only.
                    if let crate::backup::job::Job::Plan { opts, .. } = &mut job
                        && self.policy.read_only(&context)
                    {
                        opts.dry_run = crate::backup::restore::DryRun::Client;
                    }
                    self.effects.push(Effect::Backup {
                        ticket,
                        cluster,
                        context,
                        job,
                    });
                }
                Request::ReadReleases {
                    cluster,
                    path,
                    driver,
                    deliver,
                    reply,
                } => {
                    let ticket = self.ticket(from, reply, deliver);
                    self.effects.push(Effect::ReadReleases {
                        ticket,
                        cluster,
                        path,
                        driver,
                    });
                }
                Request::CheckArchive {
                    path,
                    cancel,
                    reply,
                } => {
                    let ticket = self.ticket(from, reply, Deliver::OnStack);
                    self.effects.push(Effect::CheckArchive {
                        ticket,
                        path,
                        cancel,
                    });
                }
                Request::Inspect {
                    cluster,
                    opts,
                    reply,
                } => {
                    let ticket = self.ticket(from, reply, Deliver::OnStack);
                    let context = self
                        .store
                        .clusters
                        .get(cluster)
                        .map(|s| s.context.clone())
                        .unwrap_or_default();
                    self.effects.push(Effect::Inspect {
                        ticket,
                        cluster,
                        context,
                        opts,
                    });
                }
                Request::Search { hub, path, reply } => {
                    let ticket = self.ticket(from, reply, Deliver::OnStack);
                    self.effects.push(Effect::Search { ticket, hub, path });
                }
                Request::Review {
                    cluster,
                    namespace,
                    reply,
                } => {
                    let ticket = self.ticket(from, reply, Deliver::OnStack);
                    self.effects.push(Effect::Review {
                        ticket,
                        cluster,
                        namespace,
                    });
                }
            }
        }
    }

    /// A new history: `screen` replaces the whole stack.
    fn root(&mut self, screen: Box<dyn Screen>) {
        let home = self.screens.first().is_some_and(|e| e.screen.home()) && !screen.home();
        let dropped: Vec<u64> = self
            .screens
            .drain(usize::from(home)..)
            .map(|e| e.id)
            .collect();
        for id in dropped {
            self.forget(Some(id));
        }
        self.layers.clear();
        self.push_screen(screen);
    }

    /// Takes screen `id` off the stack (unless it is the only one) and hands `value` to the
    /// screen that is on top then.
    fn close(&mut self, id: u64, value: Option<Box<dyn std::any::Any>>) {
        if self.screens.len() < 2 || !self.screens.iter().any(|e| e.id == id) {
            return;
        }
        self.drop_screen(id);
        if let Some(v) = value {
            self.with_top(|s, ctx| s.resumed(v, ctx));
        }
    }

    fn pop(&mut self) {
        if let Some(id) = self.top_id() {
            self.drop_screen(id);
        }
    }

    fn drop_screen(&mut self, id: u64) {
        self.screens.retain(|e| e.id != id);
        // Whatever the screen was waiting for has nowhere to go now.
        self.forget(Some(id));
        self.layers.retain(|l| l.owner != id);
    }

    /// Hands an answer to the screen that asked, if it may still have it.
    fn deliver(&mut self, ticket: u64, answer: Answer) {
        let Some(p) = self.pending.get_mut(&ticket) else {
            return;
        };
        let (screen, deliver) = (p.screen, p.deliver);
        let Some(mut reply) = p.reply.take() else {
            return;
        };
        if deliver != Deliver::Stream {
            self.pending.remove(&ticket);
        }
        if deliver == Deliver::OnTop && self.top_id() != Some(screen) {
            tracing::debug!("dropping an answer for a screen the user left");
            return;
        }
        self.with_screen(screen, |s, ctx| reply.answer(s, answer, ctx));
        // A stream goes on unless the screen stopped it (or left) meanwhile.
        if let Some(p) = self.pending.get_mut(&ticket) {
            p.reply = Some(reply);
        }
    }

    fn remember_namespace(&mut self, ns: &str) {
        if !self.favourites.iter().any(|f| f == ns) {
            self.favourites.push(ns.to_string());
            if self.favourites.len() > 9 {
                self.favourites.remove(0);
            }
        }
    }

    /// Starts on `cmd` (`flotilla -c "deploy -A"`) instead of the fleet view: the chosen
    /// screen is the root, with no fleet under it.
    pub fn start_with(&mut self, cmd: &str) {
        self.run_command(cmd);
        if self.screens.len() > 1 && self.screens[0].screen.home() {
            let home = self.screens.remove(0);
            self.forget(Some(home.id));
        }
    }

    /// Puts a screen on top, as a screen's own request would.
    pub fn push(&mut self, screen: Box<dyn Screen>) {
        self.push_screen(screen);
    }

    /// Opens a modal layer over the top screen (its result goes nowhere).
    pub fn open_modal(&mut self, modal: Modal) {
        if let Some(owner) = self.top_id() {
            let id = self.next_id();
            self.layers.push(Layer {
                modal,
                owner,
                id,
                reply: None,
            });
        }
    }

    // ---- for drawing ----------------------------------------------------------------------

    pub fn top(&self) -> &dyn Screen {
        // The stack always holds the root screen.
        self.screens
            .last()
            .map(|e| e.screen.as_ref())
            .unwrap_or_else(|| unreachable!("the screen stack is never empty"))
    }

    /// The top screen as a concrete type, for tests and benchmarks.
    pub fn top_as<T: 'static>(&self) -> Option<&T> {
        let s: &dyn std::any::Any = self.screens.last()?.screen.as_ref();
        s.downcast_ref()
    }

    pub fn depth(&self) -> usize {
        self.screens.len()
    }

    pub fn modals(&self) -> impl Iterator<Item = &Modal> {
        self.layers.iter().map(|l| &l.modal)
    }

    pub fn draw_ctx(&self, now: i64) -> DrawCtx<'_> {
        DrawCtx {
            store: &self.store,
            config: &self.config,
            contexts: &self.contexts,
            shared: &self.shared,
            now,
        }
    }

    fn flash(&mut self, text: String, level: FlashLevel) {
        self.flash = Some(Flash {
            text,
            level,
            at: Instant::now(),
        });
    }

    pub fn flash_error(&mut self, text: impl Into<String>) {
        self.flash(text.into(), FlashLevel::Error);
    }

    /// Every resource known on any live cluster, discovered ones first, then built-ins.
    pub fn known_resources(&self) -> Vec<&ResourceInfo> {
        crate::screens::known_resources(&self.store, &self.builtin)
    }
}
