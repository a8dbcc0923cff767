//! Application state and its single update path: keys become Actions, network messages
//! update the store, and `tick` reconciles which watches run. Nothing here awaits the
//! network; one-off requests are spawned and answer through `Msg::Fetched`.

pub mod action;
pub mod command;
pub mod filter;
mod input;
mod navigate;
pub mod prompt;
pub mod table_view;
mod views;

use crate::cluster::connection::{self, ClusterEvent, Health};
use crate::cluster::kubeconfig::ContextEntry;
use crate::config::Config;
use crate::kinds::document;
use crate::kinds::resource::{self, ResKey, ResourceInfo};
use crate::msg::{ClusterId, Fetched, Msg, Sender};
use crate::store::Store;
use crate::store::manager::{Wanted, WatchManager};
use kube::config::Kubeconfig;
pub use prompt::{Prompt, PromptKind};
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use table_view::{Scope, TableView};
pub use views::{ContextsView, TextKind, TextView, View};

pub struct ClusterSlot {
    pub context: String,
    pub generation: u64,
    pub health: Health,
    pub version: Option<String>,
    pub identity: Option<String>,
    pub client: Option<kube::Client>,
    pub default_namespace: Option<String>,
    pub resources: Vec<ResourceInfo>,
    task: tokio::task::JoinHandle<()>,
}

impl ClusterSlot {
    fn new(context: &str, generation: u64, task: tokio::task::JoinHandle<()>) -> Self {
        ClusterSlot {
            context: context.to_string(),
            generation,
            health: Health::Connecting,
            version: None,
            identity: None,
            client: None,
            default_namespace: None,
            resources: Vec::new(),
            task,
        }
    }
}

impl Drop for ClusterSlot {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Clone, Debug)]
pub enum Mode {
    Normal,
    Prompt(Box<Prompt>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashLevel {
    Info,
    Error,
}

/// A one-off request in flight and where its answer goes.
pub(super) enum Pending {
    Text {
        view: u64,
    },
    Drill {
        cluster: ClusterId,
        namespace: String,
        what: String,
    },
}

pub struct App {
    pub kubeconfig: Kubeconfig,
    pub contexts: Vec<ContextEntry>,
    pub clusters: Vec<Option<ClusterSlot>>,
    pub store: Store,
    watches: WatchManager,
    tx: Sender,
    pub stack: Vec<View>,
    pub mode: Mode,
    pub flash: Option<(String, FlashLevel, Instant)>,
    pub config: Config,
    pub favourites: Vec<String>,
    pub should_quit: bool,
    /// Text the runner should put on the clipboard (the app never touches the terminal).
    pub clipboard: Option<String>,
    pending: HashMap<u64, Pending>,
    next_id: u64,
    next_gen: u64,
    builtin: Vec<ResourceInfo>,
}

impl App {
    pub fn new(
        kubeconfig: Kubeconfig,
        contexts: Vec<ContextEntry>,
        live: &[String],
        config: Config,
        tx: Sender,
    ) -> App {
        let favourites = config.settings.favourite_namespaces.clone();
        let mut app = App {
            kubeconfig,
            contexts,
            clusters: Vec::new(),
            store: Store::default(),
            watches: WatchManager::default(),
            tx,
            stack: Vec::new(),
            mode: Mode::Normal,
            flash: None,
            config,
            favourites,
            should_quit: false,
            clipboard: None,
            pending: HashMap::new(),
            next_id: 0,
            next_gen: 0,
            builtin: resource::builtin(),
        };
        for name in live {
            app.connect(name);
        }
        let pods = app.table_for(ResKey::core("pods"));
        app.stack.push(View::Table(Box::new(pods)));
        app
    }

    // ---- clusters -------------------------------------------------------------------------

    pub(super) fn connect(&mut self, context: &str) {
        if self.live_id(context).is_some() {
            return;
        }
        self.next_gen += 1;
        let id = self
            .clusters
            .iter()
            .position(Option::is_none)
            .unwrap_or(self.clusters.len());
        let task = connection::spawn(
            id,
            self.next_gen,
            context.to_string(),
            self.kubeconfig.clone(),
            self.tx.clone(),
        );
        let slot = ClusterSlot::new(context, self.next_gen, task);
        if id == self.clusters.len() {
            self.clusters.push(Some(slot));
        } else {
            self.clusters[id] = Some(slot);
        }
        self.invalidate_tables();
    }

    /// A cluster fed by hand rather than by a connection: for snapshot tests and benchmarks
    /// that render known rows. It never contacts a server.
    pub fn insert_static_cluster(&mut self, context: &str, version: &str) -> ClusterId {
        let mut slot = ClusterSlot::new(context, 0, tokio::spawn(async {}));
        slot.health = Health::Ok;
        slot.version = Some(version.to_string());
        self.clusters.push(Some(slot));
        self.clusters.len() - 1
    }

    pub(super) fn disconnect(&mut self, id: ClusterId) {
        self.watches.stop_cluster(id, &mut self.store);
        if let Some(slot) = self.clusters.get_mut(id) {
            *slot = None;
        }
        self.invalidate_tables();
    }

    /// The live set changed: every table rebuilds its columns and rows on next refresh.
    fn invalidate_tables(&mut self) {
        for v in &mut self.stack {
            if let View::Table(t) = v {
                t.invalidate();
            }
        }
    }

    pub fn live(&self) -> Vec<ClusterId> {
        self.clusters
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some())
            .map(|(i, _)| i)
            .collect()
    }

    pub fn live_id(&self, context: &str) -> Option<ClusterId> {
        self.clusters
            .iter()
            .position(|s| s.as_ref().is_some_and(|s| s.context == context))
    }

    pub fn slot(&self, id: ClusterId) -> Option<&ClusterSlot> {
        self.clusters.get(id).and_then(Option::as_ref)
    }

    pub fn cluster_name(&self, id: ClusterId) -> &str {
        self.slot(id).map(|s| s.context.as_str()).unwrap_or("?")
    }

    /// The badge: the connection's health, degraded when a watch of this cluster is failing.
    pub fn health(&self, id: ClusterId) -> Health {
        let Some(slot) = self.slot(id) else {
            return Health::Unreachable("not connected".into());
        };
        if slot.health == Health::Ok {
            for (res, sheet) in self.store.sheets_of(id) {
                if let crate::store::SheetState::Failed(why) = &sheet.state {
                    return Health::Degraded(format!("{res}: {why}"));
                }
            }
        }
        slot.health.clone()
    }

    /// Every resource known on any live cluster, discovered ones first, then built-ins.
    pub fn known_resources(&self) -> Vec<&ResourceInfo> {
        let mut out: Vec<&ResourceInfo> = Vec::new();
        for slot in self.clusters.iter().flatten() {
            for r in &slot.resources {
                if !out.iter().any(|o| o.key == r.key) {
                    out.push(r);
                }
            }
        }
        for r in &self.builtin {
            if !out.iter().any(|o| o.key == r.key) {
                out.push(r);
            }
        }
        out
    }

    pub(super) fn resource_on(&self, id: ClusterId, key: &ResKey) -> Option<ResourceInfo> {
        let slot = self.slot(id)?;
        if slot.resources.is_empty() {
            // Discovery has not answered yet: start the common kinds from the built-in table.
            return self.builtin.iter().find(|r| r.key == *key).cloned();
        }
        slot.resources.iter().find(|r| r.key == *key).cloned()
    }

    // ---- messages -------------------------------------------------------------------------

    pub fn handle_msg(&mut self, msg: Msg) {
        match msg {
            Msg::Cluster { id, generation, ev } => {
                let Some(slot) = self.clusters.get_mut(id).and_then(Option::as_mut) else {
                    return;
                };
                if slot.generation != generation {
                    return;
                }
                match ev {
                    ClusterEvent::Connected {
                        client,
                        version,
                        identity,
                        default_namespace,
                    } => {
                        slot.client = Some(client);
                        slot.version = Some(crate::text::clean(&version));
                        slot.identity = identity;
                        slot.default_namespace = Some(default_namespace);
                        slot.health = Health::Ok;
                    }
                    ClusterEvent::Resources(r) => {
                        slot.resources = r;
                    }
                    ClusterEvent::Health(h) => slot.health = h,
                }
            }
            Msg::Watch {
                id,
                res,
                generation,
                ev,
            } => {
                self.store.apply(id, &res, generation, ev);
            }
            Msg::Fetched { ticket, result } => self.fetched(ticket, result),
        }
    }

    /// Periodic work: start/stop watches for what the views need, expire the flash.
    pub fn tick(&mut self) {
        let mut wanted = Vec::new();
        let live = self.live();
        for view in &self.stack {
            let View::Table(t) = view else { continue };
            for id in t.clusters_in_scope(&live) {
                let Some(slot) = self.slot(id) else { continue };
                let Some(client) = slot.client.clone() else {
                    continue;
                };
                if let Some(res) = self.resource_on(id, &t.res)
                    && (res.can("watch") || slot.resources.is_empty())
                {
                    wanted.push(Wanted {
                        cluster: id,
                        res,
                        client,
                        fallback_namespace: slot.default_namespace.clone(),
                    });
                }
            }
        }
        self.watches.reconcile(wanted, &mut self.store, &self.tx);
        if self
            .flash
            .as_ref()
            .is_some_and(|(_, _, t)| t.elapsed() > Duration::from_secs(6))
        {
            self.flash = None;
        }
        let show_cluster = live.len() > 1;
        if let Some(View::Table(t)) = self.stack.last_mut() {
            t.refresh(&self.store, &live, show_cluster);
        }
    }

    fn fetched(&mut self, ticket: u64, result: Result<Fetched, String>) {
        let Some(p) = self.pending.remove(&ticket) else {
            return;
        };
        match p {
            Pending::Text { view } => {
                let now = jiff::Timestamp::now().as_second();
                if let Some(View::Text(t)) = self
                    .stack
                    .iter_mut()
                    .find(|v| matches!(v, View::Text(t) if t.id == view))
                {
                    match result {
                        Ok(f) => {
                            t.object = Some(f.object);
                            t.events = f.events;
                            t.render(now);
                        }
                        Err(e) => t.lines = vec![format!("error: {e}")],
                    }
                }
            }
            Pending::Drill {
                cluster,
                namespace,
                what,
            } => match result {
                Ok(f) => match views::selector_of(&f.object) {
                    Some(reqs) if !reqs.is_empty() => {
                        let mut pods = self.table_for(ResKey::core("pods"));
                        pods.scope = Some(Scope::Selector {
                            cluster,
                            namespace,
                            reqs,
                            what,
                        });
                        self.push(View::Table(Box::new(pods)));
                    }
                    _ => self.flash_error(format!("{what} has no pod selector")),
                },
                Err(e) => self.flash_error(e),
            },
        }
    }

    pub(super) fn spawn_fetch(
        &mut self,
        cluster: ClusterId,
        paths: (String, Option<String>),
        pending: Pending,
    ) {
        let Some(client) = self.slot(cluster).and_then(|s| s.client.clone()) else {
            self.flash_error(format!("{} is not connected", self.cluster_name(cluster)));
            return;
        };
        self.next_id += 1;
        let ticket = self.next_id;
        self.pending.insert(ticket, pending);
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let result = views::fetch(&client, &paths.0, paths.1.as_deref()).await;
            let _ = tx.send(Msg::Fetched { ticket, result });
        });
    }

    // ---- views ----------------------------------------------------------------------------

    pub(super) fn table_for(&self, key: ResKey) -> TableView {
        let info = self
            .known_resources()
            .into_iter()
            .find(|r| r.key == key)
            .cloned();
        let (title, namespaced) = match &info {
            Some(r) => (r.key.plural.clone(), r.namespaced),
            None => (key.plural.clone(), true),
        };
        TableView::new(key, title, namespaced)
    }

    pub(super) fn push(&mut self, view: View) {
        self.stack.push(view);
        self.tick();
    }

    pub fn current(&self) -> &View {
        // The stack always holds the root view.
        self.stack
            .last()
            .unwrap_or_else(|| unreachable!("view stack is never empty"))
    }

    pub fn flash_info(&mut self, s: impl Into<String>) {
        self.flash = Some((s.into(), FlashLevel::Info, Instant::now()));
    }

    pub fn flash_error(&mut self, s: impl Into<String>) {
        self.flash = Some((s.into(), FlashLevel::Error, Instant::now()));
    }

    pub fn mode_name(&self) -> &'static str {
        match self.current() {
            View::Table(_) => "table",
            View::Text(_) => "text",
            View::Contexts(_) => "contexts",
        }
    }
}

/// Lines for a YAML or describe view (pure, for the views module).
pub(crate) fn render_document(
    kind: TextKind,
    obj: &Value,
    events: &[Value],
    reveal: bool,
    now: i64,
) -> Vec<String> {
    match kind {
        TextKind::Yaml => document::yaml_lines(obj, reveal),
        _ => document::describe_lines(obj, events, reveal, now),
    }
}
