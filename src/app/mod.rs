//! Application state and its single update path: keys become Actions, network messages
//! update the store, and `tick` reconciles which watches run. Nothing here awaits the
//! network; one-off requests are spawned and answer through `Msg::Fetched`.

pub mod action;
pub mod command;
pub mod filter;
pub mod prompt;
pub mod table_view;
mod views;

use crate::cluster::connection::{self, ClusterEvent, Health};
use crate::cluster::kubeconfig::ContextEntry;
use crate::config::Config;
use crate::kinds::document;
use crate::kinds::resource::{self, ResKey, ResourceInfo};
use crate::msg::{ClusterId, Msg, Sender};
use crate::store::Store;
use crate::store::manager::{Wanted, WatchManager};
use action::Action;
use command::Command;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind};
use kube::config::Kubeconfig;
pub use prompt::{Prompt, PromptKind};
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use table_view::{DisplayCol, Scope, SortBy, TableView};
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
enum Pending {
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

    fn connect(&mut self, context: &str) {
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
        let slot = ClusterSlot {
            context: context.to_string(),
            generation: self.next_gen,
            health: Health::Connecting,
            version: None,
            identity: None,
            client: None,
            default_namespace: None,
            resources: Vec::new(),
            task,
        };
        if id == self.clusters.len() {
            self.clusters.push(Some(slot));
        } else {
            self.clusters[id] = Some(slot);
        }
    }

    /// A cluster fed by hand rather than by a connection: for snapshot tests and benchmarks
    /// that render known rows. It never contacts a server.
    pub fn insert_static_cluster(&mut self, context: &str, version: &str) -> ClusterId {
        let id = self.clusters.len();
        self.clusters.push(Some(ClusterSlot {
            context: context.to_string(),
            generation: 0,
            health: Health::Ok,
            version: Some(version.to_string()),
            identity: None,
            client: None,
            default_namespace: None,
            resources: Vec::new(),
            task: tokio::spawn(async {}),
        }));
        id
    }

    fn disconnect(&mut self, id: ClusterId) {
        self.watches.stop_cluster(id, &mut self.store);
        if let Some(slot) = self.clusters.get_mut(id) {
            *slot = None;
        }
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

    fn resource_on(&self, id: ClusterId, key: &ResKey) -> Option<ResourceInfo> {
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

    fn fetched(&mut self, ticket: u64, result: Result<Value, String>) {
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
                    t.loading = false;
                    match result {
                        Ok(v) => {
                            t.object = v.get("object").cloned();
                            t.events = v
                                .get("events")
                                .and_then(Value::as_array)
                                .cloned()
                                .unwrap_or_default();
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
                Ok(v) => match v.get("object").and_then(views::selector_of) {
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

    fn spawn_fetch(
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

    fn table_for(&self, key: ResKey) -> TableView {
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

    fn push(&mut self, view: View) {
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

    // ---- input ----------------------------------------------------------------------------

    pub fn handle_event(&mut self, ev: Event) {
        match ev {
            Event::Key(k) if k.kind == KeyEventKind::Press => self.handle_key(k),
            Event::Mouse(m) => match m.kind {
                MouseEventKind::ScrollDown => (0..3).for_each(|_| self.dispatch(Action::Down)),
                MouseEventKind::ScrollUp => (0..3).for_each(|_| self.dispatch(Action::Up)),
                _ => {}
            },
            Event::Paste(s) => {
                if let Mode::Prompt(p) = &mut self.mode {
                    p.paste(&crate::text::clean(&s));
                    self.prompt_changed();
                }
            }
            _ => {}
        }
    }

    pub fn handle_key(&mut self, k: KeyEvent) {
        if let Mode::Prompt(_) = self.mode {
            self.prompt_key(k);
            return;
        }
        let key = crate::config::keymap::Key::from_event(&k);
        if let Some(a) = self.config.keymap.resolve(self.mode_name(), key) {
            self.dispatch(a);
        }
    }

    fn prompt_key(&mut self, k: KeyEvent) {
        let Mode::Prompt(p) = &mut self.mode else {
            return;
        };
        let kind = p.kind;
        match k.code {
            KeyCode::Esc => {
                if kind == PromptKind::Filter {
                    self.set_filter("");
                }
                self.mode = Mode::Normal;
            }
            KeyCode::Enter => {
                let text = p.text().to_string();
                self.mode = Mode::Normal;
                if kind == PromptKind::Command {
                    self.run_command(&text);
                }
            }
            KeyCode::Tab => {
                if let Some(c) = self.completion()
                    && let Mode::Prompt(p) = &mut self.mode
                {
                    p.set_text(&c);
                }
            }
            KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                self.should_quit = true
            }
            _ => {
                if p.input(k) {
                    self.prompt_changed();
                }
            }
        }
    }

    fn prompt_changed(&mut self) {
        if let Mode::Prompt(p) = &self.mode
            && p.kind == PromptKind::Filter
        {
            let text = p.text().to_string();
            self.set_filter(&text);
        }
    }

    fn set_filter(&mut self, text: &str) {
        let live = self.live();
        match self.stack.last_mut() {
            Some(View::Table(t)) => {
                t.filter = filter::Filter::new(text);
                t.selected = 0;
                let show = live.len() > 1;
                t.refresh(&self.store, &live, show);
            }
            Some(View::Contexts(c)) => {
                c.filter = text.to_lowercase();
                c.selected = 0;
            }
            _ => {}
        }
    }

    /// The completed command line for Tab, from resource names and built-in commands.
    pub fn completion(&self) -> Option<String> {
        let Mode::Prompt(p) = &self.mode else {
            return None;
        };
        let input = p.text();
        if p.kind != PromptKind::Command || input.is_empty() || input.contains(' ') {
            return None;
        }
        let typed = input.to_lowercase();
        let mut names: Vec<String> = ["ctx", "contexts", "help", "quit"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for r in self.known_resources() {
            names.extend(r.names());
        }
        names.sort();
        names.dedup();
        let mut hits = names
            .into_iter()
            .filter(|n| n.starts_with(&typed) && *n != typed);
        hits.next()
    }

    pub fn run_command(&mut self, line: &str) {
        let cmd = match command::parse(line) {
            Ok(c) => c,
            Err(e) => return self.flash_error(e),
        };
        match cmd {
            Command::Quit => self.should_quit = true,
            Command::Help => self.dispatch(Action::Help),
            Command::Contexts => self.push(View::Contexts(ContextsView::default())),
            Command::Resource {
                name,
                namespaces,
                clusters,
            } => {
                let known = self.known_resources();
                let Some(info) = resource::resolve(&name, known) else {
                    return self.flash_error(format!("unknown resource {name:?}"));
                };
                let key = info.key.clone();
                let mut view = self.table_for(key);
                let mut cluster_ids = None;
                if let Some(names) = clusters {
                    let mut ids = Vec::new();
                    for n in &names {
                        match self.live_id(n) {
                            Some(id) => ids.push(id),
                            None => {
                                return self
                                    .flash_error(format!("no live cluster {n:?} (see :ctx)"));
                            }
                        }
                    }
                    cluster_ids = Some(ids);
                }
                view.clusters = cluster_ids;
                // Without a namespace argument the current scope carries over, as in k9s.
                view.namespaces = match namespaces {
                    Some(ns) => ns,
                    None => self.current_namespaces(),
                };
                if let Some(ns) = view.namespaces.clone() {
                    ns.iter().for_each(|n| self.remember_namespace(n));
                }
                // `:` starts a new history: the command's view replaces the stack.
                self.stack.truncate(1);
                self.stack[0] = View::Table(Box::new(view));
                self.tick();
            }
        }
    }

    fn current_namespaces(&self) -> Option<Vec<String>> {
        self.stack.iter().rev().find_map(|v| match v {
            View::Table(t) => Some(t.namespaces.clone()),
            _ => None,
        })?
    }

    fn remember_namespace(&mut self, ns: &str) {
        if !self.favourites.iter().any(|f| f == ns) {
            self.favourites.push(ns.to_string());
            if self.favourites.len() > 9 {
                self.favourites.remove(0);
            }
        }
    }

    fn next_view_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn dispatch(&mut self, action: Action) {
        match action {
            Action::Quit => self.should_quit = true,
            Action::Command => {
                self.mode = Mode::Prompt(Box::new(Prompt::new(PromptKind::Command, "")))
            }
            Action::Filter => {
                let current = match self.stack.last() {
                    Some(View::Table(t)) => t.filter.text.clone(),
                    Some(View::Contexts(c)) => c.filter.clone(),
                    _ => return,
                };
                self.mode = Mode::Prompt(Box::new(Prompt::new(PromptKind::Filter, &current)));
            }
            Action::Help => {
                let id = self.next_view_id();
                self.push(View::Text(TextView::help(id, &self.config.keymap)));
            }
            Action::Contexts => self.push(View::Contexts(ContextsView::default())),
            Action::Back => self.back(),
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => self.move_cursor(action),
            Action::Enter => self.enter(),
            Action::Describe => self.open_text(TextKind::Describe),
            Action::Yaml => self.open_text(TextKind::Yaml),
            Action::Reveal => {
                if let Some(View::Text(t)) = self.stack.last_mut() {
                    t.revealed = !t.revealed;
                    t.render(jiff::Timestamp::now().as_second());
                }
            }
            Action::Copy => self.copy(),
            Action::ToggleContext => self.toggle_context(),
            Action::SortName => self.sort(SortBy::Name),
            Action::SortAge => self.sort(SortBy::Age),
            Action::SortStatus => {
                if let Some(View::Table(t)) = self.stack.last() {
                    match t
                        .columns
                        .iter()
                        .position(|c| c.name.eq_ignore_ascii_case("status"))
                    {
                        Some(i) => self.sort(SortBy::Col(DisplayCol::Cell(i))),
                        None => self.flash_error("this view has no STATUS column"),
                    }
                }
            }
            Action::SortNamespace => self.sort(SortBy::Col(DisplayCol::Namespace)),
            Action::SortColumn => {
                if let Some(View::Table(t)) = self.stack.last()
                    && let Some(c) = t.display.get(t.cursor_col).copied()
                {
                    self.sort(SortBy::Col(c));
                }
            }
            Action::ColumnLeft | Action::ColumnRight => {
                if let Some(View::Table(t)) = self.stack.last_mut() {
                    let n = t.display.len().max(1);
                    t.cursor_col = if action == Action::ColumnLeft {
                        (t.cursor_col + n - 1) % n
                    } else {
                        (t.cursor_col + 1) % n
                    };
                }
            }
            Action::AllNamespaces => self.set_namespaces(None),
            a => {
                if let Some(i) = a.favourite() {
                    match self.favourites.get(i).cloned() {
                        Some(ns) => self.set_namespaces(Some(vec![ns])),
                        None => self.flash_error(format!("no favourite namespace on {}", i + 1)),
                    }
                }
            }
        }
    }

    fn sort(&mut self, by: SortBy) {
        if let Some(View::Table(t)) = self.stack.last_mut() {
            t.set_sort(by);
        }
        self.tick();
    }

    fn set_namespaces(&mut self, ns: Option<Vec<String>>) {
        if let Some(View::Table(t)) = self.stack.last_mut() {
            t.namespaces = ns;
            t.selected = 0;
            t.invalidate();
        }
        self.tick();
    }

    fn back(&mut self) {
        if let Some(View::Table(t)) = self.stack.last()
            && t.filter.is_active()
        {
            return self.set_filter("");
        }
        if self.stack.len() > 1 {
            self.stack.pop();
            if let Some(View::Table(t)) = self.stack.last_mut() {
                t.invalidate();
            }
            self.tick();
        }
    }

    fn move_cursor(&mut self, a: Action) {
        let page = 20;
        let step = |pos: usize, len: usize| -> usize {
            let last = len.saturating_sub(1);
            match a {
                Action::Up => pos.saturating_sub(1),
                Action::Down => (pos + 1).min(last),
                Action::PageUp => pos.saturating_sub(page),
                Action::PageDown => (pos + page).min(last),
                Action::Top => 0,
                _ => last,
            }
        };
        match self.stack.last_mut() {
            Some(View::Table(t)) => {
                t.selected = step(t.selected, t.rows.len());
                t.follow = true;
            }
            Some(View::Text(t)) => t.scroll = step(t.scroll, t.lines.len()),
            Some(View::Contexts(c)) => {
                let n = c.visible(&self.contexts).len();
                c.selected = step(c.selected, n);
            }
            None => {}
        }
    }

    /// The selected row as (cluster, resource on that cluster, namespace, name, uid).
    fn selected_object(&self) -> Option<(ClusterId, ResourceInfo, String, String, String)> {
        let View::Table(t) = self.stack.last()? else {
            return None;
        };
        let r = t.selected_ref()?;
        let row = t.row(&self.store, r)?;
        let info = self.resource_on(r.cluster, &t.res)?;
        Some((
            r.cluster,
            info,
            row.namespace.clone(),
            row.name.clone(),
            row.uid.clone(),
        ))
    }

    fn open_text(&mut self, kind: TextKind) {
        let Some((cluster, info, ns, name, uid)) = self.selected_object() else {
            return;
        };
        let id = self.next_view_id();
        let title = format!(
            "{} {}/{}{}",
            info.kind,
            self.cluster_name(cluster),
            if ns.is_empty() {
                String::new()
            } else {
                format!("{ns}/")
            },
            name
        );
        let view = TextView::loading(id, kind, title);
        let path = info.object_path(&ns, &name);
        let events = (kind == TextKind::Describe).then(|| {
            let scope = if ns.is_empty() {
                String::new()
            } else {
                format!("/namespaces/{ns}")
            };
            format!("/api/v1{scope}/events?fieldSelector=involvedObject.uid%3D{uid}")
        });
        self.push(View::Text(view));
        self.spawn_fetch(cluster, (path, events), Pending::Text { view: id });
    }

    fn enter(&mut self) {
        match self.stack.last() {
            Some(View::Contexts(_)) => return self.toggle_context(),
            Some(View::Table(_)) => {}
            _ => return,
        }
        let Some((cluster, info, ns, name, uid)) = self.selected_object() else {
            return;
        };
        let k = info.key.clone();
        let what = format!("{}/{}", info.kind.to_lowercase(), name);
        if k.is("", "nodes") {
            let mut pods = self.table_for(ResKey::core("pods"));
            pods.scope = Some(Scope::Node {
                cluster,
                node: name,
            });
            self.push(View::Table(Box::new(pods)));
        } else if k.is("", "namespaces") {
            let mut pods = self.table_for(ResKey::core("pods"));
            pods.namespaces = Some(vec![name.clone()]);
            self.remember_namespace(&name);
            self.push(View::Table(Box::new(pods)));
        } else if k.is("apiextensions.k8s.io", "customresourcedefinitions") {
            // A CRD is named <plural>.<group>.
            let (plural, group) = name.split_once('.').unwrap_or((name.as_str(), ""));
            let mut view = self.table_for(ResKey::new(group, plural));
            view.namespaces = self.current_namespaces();
            self.push(View::Table(Box::new(view)));
        } else if k.is("batch", "cronjobs") {
            let mut jobs = self.table_for(ResKey::new("batch", "jobs"));
            jobs.scope = Some(Scope::Owner { cluster, uid, what });
            self.push(View::Table(Box::new(jobs)));
        } else if k.is("apps", "deployments")
            || k.is("apps", "replicasets")
            || k.is("apps", "statefulsets")
            || k.is("apps", "daemonsets")
            || k.is("batch", "jobs")
            || k.is("", "services")
            || k.is("", "replicationcontrollers")
        {
            let path = info.object_path(&ns, &name);
            self.spawn_fetch(
                cluster,
                (path, None),
                Pending::Drill {
                    cluster,
                    namespace: ns,
                    what,
                },
            );
        } else {
            self.open_text(TextKind::Describe);
        }
    }

    fn toggle_context(&mut self) {
        let Some(View::Contexts(c)) = self.stack.last() else {
            return;
        };
        let visible = c.visible(&self.contexts);
        let Some(entry) = visible.get(c.selected).map(|e| e.name.clone()) else {
            return;
        };
        match self.live_id(&entry) {
            Some(id) => {
                self.disconnect(id);
                self.flash_info(format!("{entry} removed from the live set"));
            }
            None => {
                self.connect(&entry);
                self.flash_info(format!("{entry} added to the live set"));
            }
        }
        for v in &mut self.stack {
            if let View::Table(t) = v {
                t.invalidate();
            }
        }
    }

    fn copy(&mut self) {
        let text = match self.stack.last() {
            Some(View::Table(_)) => self.selected_object().map(|(_, _, _, name, _)| name),
            Some(View::Text(t)) => Some(t.lines.join("\n")),
            Some(View::Contexts(c)) => c
                .visible(&self.contexts)
                .get(c.selected)
                .map(|e| e.name.clone()),
            None => None,
        };
        if let Some(t) = text {
            self.flash_info(format!("copied {} bytes", t.len()));
            self.clipboard = Some(t);
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
