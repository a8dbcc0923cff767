//! A log pane: every container of every pod the pane's queries match, on every live cluster,
//! in one stream ordered by time. Pods that appear later join (found through the pod watch
//! the pane keeps), deleted ones leave, as stern does. Each line is kept raw in a bounded
//! ring and styled only when drawn.

mod draw;
pub mod query;

use super::exec::container_names;
use super::{Ctx, Deliver, Need, Screen};
use crate::kinds::selector::{has_pod_selector, selector_of};
use crate::logs::buffer::{Line, LogBuffer, Matcher, Pattern, Shown, search};
use crate::logs::render;
use crate::modal::{Modal, ModalResult};
use crate::model::{
    Action, ApiError, ClusterId, Fetched, LogEvent, LogSpec, ObjectRef, ResKey, Since,
};
use crate::store::{SheetState, Store};
use query::Query;
use ratatui::Frame;
use ratatui::layout::Rect;
use regex::Regex;
use std::cell::Cell;
use std::collections::HashMap;

pub const MODE: &str = "logs";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonMode {
    Raw,
    Fields,
    Pretty,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceState {
    Starting,
    Live,
    Reconnecting(String),
    Ended(String),
    Gone(String),
}

pub struct Source {
    pub cluster: ClusterId,
    pub context: String,
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub state: SourceState,
    /// The stream's ticket while it runs.
    ticket: Option<u64>,
    pub lines: u64,
}

impl Source {
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.context, self.pod, self.container)
    }
}

/// A pod the pane tails: its containers once fetched.
struct Pod {
    context: String,
    namespace: String,
    name: String,
    containers: Option<Vec<String>>,
}

/// What the pane was asked to tail.
pub enum Target {
    Query(Query),
    /// A row of a list: resolved to a query (for workloads and services, once their selector
    /// is fetched).
    Object(ObjectRef),
}

pub struct Options {
    pub since: Since,
    pub tail: i64,
    pub previous: bool,
    pub follow: bool,
    pub wrap: bool,
    pub timestamps: bool,
    pub prefix: bool,
    pub json: JsonMode,
    /// Only this container name (the picker); `None` = all.
    pub container: Option<String>,
}

pub struct LogScreen {
    pub title: String,
    queries: Vec<Query>,
    /// Objects whose pod selector is fetched when the pane opens.
    resolving: Vec<ObjectRef>,
    pods: HashMap<(ClusterId, String), Pod>,
    pub sources: Vec<Source>,
    pub buf: LogBuffer,
    pub shown: Shown,
    pub matcher: Matcher,
    pub find: Option<Pattern>,
    pub opts: Options,
    /// The line under the cursor (absolute position) while paused; following shows the end.
    cursor: Option<u64>,
    /// The buffer's end when the pane was paused: lines after it are "new".
    paused_end: u64,
    select: Option<u64>,
    /// The first line drawn, kept between frames so the view scrolls only when the cursor
    /// leaves it.
    view_top: Cell<u64>,
    /// Containers not streamed because the pane holds `log-max-streams` already.
    pub capped: usize,
    /// The pod sheets' versions at the last look: unchanged sheets need no new look.
    seen: Vec<(ClusterId, u64)>,
    max_streams: usize,
    json_fields: Vec<String>,
}

impl LogScreen {
    pub fn new(title: String, targets: Vec<Target>, ctx: &Ctx) -> Self {
        let s = &ctx.config.settings;
        let mut screen = LogScreen {
            title,
            queries: Vec::new(),
            resolving: Vec::new(),
            pods: HashMap::new(),
            sources: Vec::new(),
            buf: LogBuffer::new(s.log_buffer_lines()),
            shown: Shown::default(),
            matcher: Matcher::default(),
            find: None,
            opts: Options {
                since: Since::Tail,
                tail: s.log_tail_lines(),
                previous: false,
                follow: true,
                wrap: false,
                timestamps: false,
                prefix: true,
                json: JsonMode::Raw,
                container: None,
            },
            cursor: None,
            paused_end: 0,
            select: None,
            view_top: Cell::new(0),
            capped: 0,
            seen: Vec::new(),
            max_streams: s.log_max_streams(),
            json_fields: s.log_json_fields(),
        };
        for t in targets {
            match t {
                Target::Query(q) => screen.queries.push(q),
                Target::Object(obj) => screen.resolving.push(obj),
            }
        }
        screen
    }

    pub fn with_filter(mut self, filter: Option<&str>) -> Self {
        if let Some(m) = filter.and_then(|f| Matcher::parse(f).ok()) {
            self.matcher = m;
        }
        self
    }

    /// The query that tails what `obj` runs, when it needs no fetch.
    fn direct_query(obj: &ObjectRef) -> Result<Option<Query>, String> {
        let base = Query {
            contexts: Some(vec![obj.context.clone()]),
            ..Query::default()
        };
        let k = &obj.res;
        Ok(Some(if k.is("", "pods") {
            Query {
                pod_uid: Some(obj.uid.clone()),
                ..base
            }
        } else if k.is("", "nodes") {
            Query {
                node: Some(obj.name.clone()),
                ..base
            }
        } else if k.is("", "namespaces") {
            Query {
                namespaces: Some(vec![obj.name.clone()]),
                ..base
            }
        } else if k.is("batch", "cronjobs") {
            // A CronJob's pods are its Jobs' pods: <cronjob>-<schedule time>-<suffix>.
            let re = format!(r"^{}-\d+-[a-z0-9]+$", regex::escape(&obj.name));
            Query {
                namespaces: Some(vec![obj.namespace.clone()]),
                pod: Regex::new(&re).ok(),
                ..base
            }
        } else if has_pod_selector(k) {
            return Ok(None);
        } else {
            return Err(format!("{} has no logs (it runs no pods)", obj.short()));
        }))
    }

    fn resolved(&mut self, obj: ObjectRef, result: Result<Fetched, ApiError>, ctx: &mut Ctx) {
        let Some(object) = ctx.checked(&obj, result) else {
            return;
        };
        // A new query: look at every pod again.
        self.seen.clear();
        match selector_of(&object) {
            Some(reqs) if !reqs.is_empty() => self.queries.push(Query {
                contexts: Some(vec![obj.context.clone()]),
                namespaces: Some(vec![obj.namespace.clone()]),
                selector: reqs,
                ..Query::default()
            }),
            _ => ctx.error(format!("{} has no pod selector", obj.short())),
        }
    }

    fn spec(&self, pod: &Pod, container: &str) -> LogSpec {
        LogSpec {
            namespace: pod.namespace.clone(),
            pod: pod.name.clone(),
            container: container.to_string(),
            previous: self.opts.previous,
            since_seconds: match self.opts.since {
                Since::Seconds(s) => Some(i64::from(s)),
                _ => None,
            },
            tail_lines: match self.opts.since {
                Since::Tail => Some(self.opts.tail),
                _ => None,
            },
        }
    }

    fn wants(&self, key: &(ClusterId, String), container: &str) -> bool {
        if self.opts.container.as_ref().is_some_and(|c| c != container) {
            return false;
        }
        // Any query that matched the pod may want the container.
        let Some(pod) = self.pods.get(key) else {
            return false;
        };
        self.queries
            .iter()
            .filter(|q| q.in_context(&pod.context))
            .any(|q| q.wants_container(container))
    }

    /// Starts streams for the containers of a pod whose containers are known.
    fn start_pod(&mut self, key: &(ClusterId, String), ctx: &mut Ctx) {
        let Some(containers) = self.pods.get(key).and_then(|p| p.containers.clone()) else {
            return;
        };
        for c in containers {
            if !self.wants(key, &c) {
                continue;
            }
            if self.live_streams() >= self.max_streams {
                self.capped += 1;
                continue;
            }
            let Some(pod) = self.pods.get(key) else {
                return;
            };
            let spec = self.spec(pod, &c);
            let idx = self.sources.len() as u32;
            let ticket = ctx.stream(key.0, spec, move |me: &mut Self, ev, _| {
                me.log_event(idx, ev)
            });
            self.sources.push(Source {
                cluster: key.0,
                context: pod.context.clone(),
                namespace: pod.namespace.clone(),
                pod: pod.name.clone(),
                container: c,
                state: SourceState::Starting,
                ticket: Some(ticket),
                lines: 0,
            });
        }
    }

    /// Streams running now (not stopped, not ended).
    fn live_streams(&self) -> usize {
        self.sources.iter().filter(|s| s.ticket.is_some()).count()
    }

    fn stop_source(&mut self, i: usize, why: &str, ctx: &mut Ctx) {
        let Some(s) = self.sources.get_mut(i) else {
            return;
        };
        if let Some(ticket) = s.ticket.take() {
            ctx.stop_stream(ticket);
        }
        if !matches!(s.state, SourceState::Ended(_)) {
            s.state = SourceState::Gone(why.to_string());
        }
    }

    /// Everything again with the current options: since, tail, previous, container.
    fn restart(&mut self, ctx: &mut Ctx) {
        for i in 0..self.sources.len() {
            self.stop_source(i, "restarted", ctx);
        }
        self.sources.clear();
        self.buf.clear();
        self.shown.reset();
        self.capped = 0;
        self.cursor = None;
        self.select = None;
        self.opts.follow = true;
        let keys: Vec<_> = self.pods.keys().cloned().collect();
        for k in keys {
            self.start_pod(&k, ctx);
        }
    }

    /// Finds pods that joined or left since the last frame: only the rows a pod sheet logged
    /// as changed since the last look (all of them the first time).
    fn discover(&mut self, ctx: &mut Ctx) {
        let store = ctx.store;
        let pods_key = ResKey::core("pods");
        let mut seen = Vec::new();
        let mut left: Vec<((ClusterId, String), &str)> = Vec::new();
        for slot in store.clusters.iter() {
            if !self.queries.iter().any(|q| q.in_context(&slot.context)) {
                continue;
            }
            let Some(sheet) = store.sheet(slot.id, &pods_key) else {
                continue;
            };
            seen.push((slot.id, sheet.version));
            let last = self
                .seen
                .iter()
                .find(|(c, _)| *c == slot.id)
                .map(|(_, v)| *v);
            if last == Some(sheet.version) {
                continue;
            }
            let node_idx = sheet
                .columns
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case("node"));
            let mut look = |row: &crate::model::Row, this: &mut Self| {
                let hit = this
                    .queries
                    .iter()
                    .any(|q| q.in_context(&slot.context) && q.matches(row, node_idx));
                let key = (slot.id, row.uid.clone());
                match (hit, this.pods.contains_key(&key)) {
                    (true, false) => this.join(key, &slot.context, row, ctx),
                    (false, true) => left.push((key, "pod no longer matches")),
                    _ => {}
                }
            };
            match last.and_then(|v| sheet.changes_since(v)) {
                Some(changed) => {
                    for index in changed {
                        if let Some((_, row)) = sheet.at(index) {
                            look(row, self);
                        }
                    }
                }
                None => {
                    for (_, row) in sheet.rows() {
                        look(row, self);
                    }
                }
            }
            // Gone from a sheet that has listed: deleted (before it lists, rows are not yet in).
            if sheet.state != SheetState::Syncing {
                for key in self.pods.keys().filter(|k| k.0 == slot.id) {
                    if sheet.find(&key.1).is_none() {
                        left.push((key.clone(), "pod deleted"));
                    }
                }
            }
        }
        for key in self.pods.keys() {
            if store.clusters.get(key.0).is_none() {
                left.push((key.clone(), "context disconnected"));
            }
        }
        self.seen = seen;
        for (key, why) in left {
            self.leave(&key, why, ctx);
        }
    }

    /// A pod the queries match: fetched once to learn its containers.
    fn join(
        &mut self,
        key: (ClusterId, String),
        context: &str,
        row: &crate::model::Row,
        ctx: &mut Ctx,
    ) {
        let path = format!("/api/v1/namespaces/{}/pods/{}", row.namespace, row.name);
        let fetched = key.clone();
        ctx.fetch(
            key.0,
            path,
            None,
            Deliver::OnStack,
            move |me: &mut Self, r, ctx| me.pod_fetched(fetched, r, ctx),
        );
        self.pods.insert(
            key,
            Pod {
                context: context.to_string(),
                namespace: row.namespace.clone(),
                name: row.name.clone(),
                containers: None,
            },
        );
    }

    /// A pod that left: its streams stop, its lines stay.
    fn leave(&mut self, key: &(ClusterId, String), why: &str, ctx: &mut Ctx) {
        let Some(p) = self.pods.remove(key) else {
            return;
        };
        let running: Vec<usize> = (0..self.sources.len())
            .filter(|&i| {
                let s = &self.sources[i];
                s.cluster == key.0
                    && s.namespace == p.namespace
                    && s.pod == p.name
                    && s.ticket.is_some()
            })
            .collect();
        for i in running {
            self.stop_source(i, why, ctx);
        }
    }

    fn pod_fetched(
        &mut self,
        key: (ClusterId, String),
        result: Result<Fetched, ApiError>,
        ctx: &mut Ctx,
    ) {
        let Ok(f) = result else {
            // Gone before we saw it (or unreadable): the pod watch will tell.
            return;
        };
        if f.object.pointer("/metadata/uid").and_then(|u| u.as_str()) != Some(key.1.as_str()) {
            return;
        }
        let Some(pod) = self.pods.get_mut(&key) else {
            return;
        };
        pod.containers = Some(container_names(&f.object));
        self.start_pod(&key, ctx);
    }

    fn log_event(&mut self, idx: u32, ev: LogEvent) {
        let Some(s) = self.sources.get_mut(idx as usize) else {
            return;
        };
        // A source takes events only while its stream runs: an ended one has said all it will.
        if s.ticket.is_none() {
            return;
        }
        match ev {
            LogEvent::Lines(lines) => {
                if matches!(
                    s.state,
                    SourceState::Starting | SourceState::Reconnecting(_)
                ) {
                    s.state = SourceState::Live;
                }
                s.lines += lines.len() as u64;
                let batch = lines
                    .into_iter()
                    .map(|l| Line {
                        source: idx,
                        ts: l.ts,
                        text: l.text.into_boxed_str(),
                    })
                    .collect();
                let changed = self.buf.insert(batch);
                self.shown.invalidate(changed);
                self.update_shown();
            }
            LogEvent::Reconnecting(why) => s.state = SourceState::Reconnecting(why),
            LogEvent::Live => s.state = SourceState::Live,
            LogEvent::Ended(why) => {
                s.state = SourceState::Ended(why);
                s.ticket = None;
            }
        }
    }

    fn update_shown(&mut self) {
        let m = &self.matcher;
        self.shown
            .update(&self.buf, m, |l| m.matches(&render::plain(&l.text)));
    }

    /// The index in `shown` of the cursor line.
    fn cursor_index(&self) -> usize {
        let last = self.shown.len().saturating_sub(1);
        match self.cursor {
            None => last,
            Some(pos) => self.shown.index_of(pos).min(last),
        }
    }

    pub fn is_following(&self) -> bool {
        self.opts.follow
    }

    /// Lines that arrived while paused.
    pub fn new_while_paused(&self) -> usize {
        if self.opts.follow {
            return 0;
        }
        self.shown.len() - self.shown.index_of(self.paused_end.max(self.buf.first()))
    }

    fn pause(&mut self) {
        if self.opts.follow {
            self.opts.follow = false;
            self.paused_end = self.buf.end();
            self.cursor = self.shown.get(self.cursor_index());
        }
    }

    fn resume(&mut self) {
        self.opts.follow = true;
        self.cursor = None;
    }

    fn move_to(&mut self, index: usize) {
        self.pause();
        self.cursor = self.shown.get(index);
    }

    /// The plain text of a line as saved and copied: [time] prefix text.
    fn line_text(&self, l: &Line) -> String {
        let mut out = String::new();
        if self.opts.timestamps {
            out.push_str(&draw::timestamp(l.ts));
            out.push(' ');
        }
        if let Some(s) = self.sources.get(l.source as usize)
            && self.sources.len() > 1
            && self.opts.prefix
        {
            out.push_str(&s.key());
            out.push(' ');
        }
        out.push_str(&render::plain(&l.text));
        out
    }

    fn selected_range(&self) -> (usize, usize) {
        let c = self.cursor_index();
        match self.select.map(|p| self.shown.index_of(p)) {
            Some(a) => (a.min(c), a.max(c)),
            None => (c, c),
        }
    }

    fn copy(&self, ctx: &mut Ctx) {
        if self.shown.is_empty() {
            return ctx.error("no lines to copy");
        }
        let (a, b) = self.selected_range();
        let text: Vec<String> = (a..=b)
            .filter_map(|i| self.shown.get(i))
            .filter_map(|p| self.buf.get(p))
            .map(|l| self.line_text(l))
            .collect();
        ctx.copy(text.join("\n"));
    }

    fn find(&mut self, forward: bool, ctx: &mut Ctx) {
        let Some(re) = self.find.clone() else {
            return ctx.error("nothing to find: press f first");
        };
        let found = search(&self.buf, &self.shown, self.cursor_index(), forward, &re);
        match found {
            Some(i) => self.move_to(i),
            None => ctx.error(format!(
                "no {} match for /{}/",
                if forward { "later" } else { "earlier" },
                re.as_str()
            )),
        }
    }

    fn set_since(&mut self, since: Since, ctx: &mut Ctx) {
        self.opts.since = since;
        self.restart(ctx);
    }

    /// The container picker's choice: item 0 is all containers.
    fn pick_container(&mut self, i: usize, ctx: &mut Ctx) {
        let names = self.container_choices();
        self.opts.container = if i == 0 {
            None
        } else {
            names.get(i - 1).cloned()
        };
        self.restart(ctx);
    }

    fn set_tail(&mut self, v: &[String], ctx: &mut Ctx) {
        match v
            .first()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .filter(|n| *n > 0)
        {
            Some(n) => {
                self.opts.tail = n;
                self.opts.since = Since::Tail;
                self.restart(ctx);
            }
            None => ctx.error("tail lines: a positive number"),
        }
    }

    fn set_find(&mut self, v: &[String], ctx: &mut Ctx) {
        let pat = v.first().map(|s| s.trim().to_string()).unwrap_or_default();
        if pat.is_empty() {
            self.find = None;
            return;
        }
        match Pattern::new(&pat) {
            Ok(re) => {
                self.find = Some(re);
                self.find(false, ctx);
            }
            Err(e) => ctx.error(e),
        }
    }

    /// Writes the lines shown to the file named in the save form.
    fn save(&self, v: &[String], ctx: &mut Ctx) {
        let path = v.first().map(|s| s.trim().to_string()).unwrap_or_default();
        if path.is_empty() {
            return ctx.error("save: a file name");
        }
        let mut text = String::new();
        for i in 0..self.shown.len() {
            if let Some(l) = self.shown.get(i).and_then(|p| self.buf.get(p)) {
                text.push_str(&self.line_text(l));
                text.push('\n');
            }
        }
        ctx.save(
            crate::files::expand_home(&path),
            text,
            |_: &mut Self, r, ctx| match r {
                Ok(msg) => ctx.info(msg),
                Err(e) => ctx.error(e),
            },
        );
    }

    fn container_choices(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .pods
            .values()
            .filter_map(|p| p.containers.as_ref())
            .flatten()
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// `:logs …`
pub fn open(args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let p = query::parse(args)?;
    let mut screen = LogScreen::new(
        format!(":logs {}", args.trim()),
        vec![Target::Query(p.query)],
        ctx,
    );
    if let Some(s) = p.since {
        screen.opts.since = Since::Seconds(s);
    }
    if let Some(n) = p.tail {
        screen.opts.tail = n;
    }
    screen.opts.previous = p.previous;
    Ok(Box::new(screen.with_filter(p.filter.as_deref())))
}

/// The pane for the rows the user picked: the marked ones, else the one under the cursor.
pub fn for_objects(objects: Vec<ObjectRef>, ctx: &mut Ctx) -> Option<LogScreen> {
    let title = match objects.as_slice() {
        [one] => one.to_string(),
        many => format!("{} marked", many.len()),
    };
    let mut targets = Vec::new();
    for obj in objects {
        match LogScreen::direct_query(&obj) {
            Ok(Some(q)) => targets.push(Target::Query(q)),
            Ok(None) => targets.push(Target::Object(obj)),
            Err(e) => ctx.error(e),
        }
    }
    if targets.is_empty() {
        return None;
    }
    Some(LogScreen::new(title, targets, ctx))
}

impl Screen for LogScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Follow, "follow/pause"),
            (Action::Filter, "filter"),
            (Action::Find, "find"),
            (Action::Wrap, "wrap"),
            (Action::Timestamps, "time"),
            (Action::Previous, "previous"),
            (Action::Containers, "containers"),
            (Action::Json, "json"),
            (Action::Save, "save"),
            (Action::Back, "back"),
        ]
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        for obj in std::mem::take(&mut self.resolving) {
            ctx.fetch(
                obj.cluster,
                obj.path(),
                None,
                Deliver::OnStack,
                move |me: &mut Self, r, ctx| me.resolved(obj, r, ctx),
            );
        }
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        self.discover(ctx);
    }

    fn needs(&self, store: &Store, out: &mut Vec<Need>) {
        for slot in store.clusters.iter() {
            if self.queries.iter().any(|q| q.in_context(&slot.context)) {
                out.push(Need::Watch {
                    cluster: slot.id,
                    res: ResKey::core("pods"),
                });
            }
        }
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = super::moved(action, self.cursor_index(), self.shown.len()) {
            if *action == Action::Bottom {
                self.resume();
            } else {
                self.move_to(to);
            }
            return true;
        }
        match action {
            Action::Follow => {
                if self.opts.follow {
                    self.pause();
                } else {
                    self.resume();
                }
            }
            Action::Wrap => self.opts.wrap = !self.opts.wrap,
            Action::Timestamps => self.opts.timestamps = !self.opts.timestamps,
            Action::Prefix => self.opts.prefix = !self.opts.prefix,
            Action::Json => {
                self.opts.json = match self.opts.json {
                    JsonMode::Raw => JsonMode::Fields,
                    JsonMode::Fields => JsonMode::Pretty,
                    JsonMode::Pretty => JsonMode::Raw,
                }
            }
            Action::Since(s) => self.set_since(*s, ctx),
            Action::Previous => {
                self.opts.previous = !self.opts.previous;
                self.restart(ctx);
            }
            Action::TailLines => {
                let n = self.opts.tail.to_string();
                ctx.modal(
                    Modal::form("lines per container", vec![("tail", &n, false)]),
                    |me: &mut Self, r, ctx| {
                        if let ModalResult::Submitted(v) = r {
                            me.set_tail(&v, ctx);
                        }
                    },
                );
            }
            Action::Containers => {
                let mut items = vec!["all containers".to_string()];
                items.extend(self.container_choices());
                ctx.modal(Modal::pick("containers", items), |me: &mut Self, r, ctx| {
                    if let ModalResult::Picked(i) = r {
                        me.pick_container(i, ctx);
                    }
                });
            }
            Action::Find => {
                let cur = self
                    .find
                    .as_ref()
                    .map(|r| r.as_str().to_string())
                    .unwrap_or_default();
                ctx.modal(
                    Modal::form("find (regex)", vec![("find", &cur, false)]),
                    |me: &mut Self, r, ctx| {
                        if let ModalResult::Submitted(v) = r {
                            me.set_find(&v, ctx);
                        }
                    },
                );
            }
            Action::FindNext => self.find(true, ctx),
            Action::FindPrevious => self.find(false, ctx),
            Action::Select => {
                if self.select.is_some() {
                    self.select = None;
                } else {
                    self.pause();
                    self.select = self.shown.get(self.cursor_index());
                }
            }
            Action::Copy => {
                self.copy(ctx);
                self.select = None;
            }
            Action::Save => {
                let name = format!(
                    "flotilla-logs-{}.log",
                    jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S")
                );
                ctx.modal(
                    Modal::form("save lines shown to", vec![("file", &name, false)]),
                    |me: &mut Self, r, ctx| {
                        if let ModalResult::Submitted(v) = r {
                            me.save(&v, ctx);
                        }
                    },
                );
            }
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &super::DrawCtx) {
        draw::draw(self, f, area, ctx);
    }

    fn filter(&self) -> Option<&str> {
        Some(&self.matcher.text)
    }

    fn set_filter(&mut self, text: &str, ctx: &mut Ctx) {
        match Matcher::parse(text) {
            Ok(m) => {
                self.matcher = m;
                self.shown.reset();
                self.update_shown();
                self.cursor = None;
                self.opts.follow = true;
            }
            Err(e) => ctx.error(e),
        }
    }
}
