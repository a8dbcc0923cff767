//! `:triage`: everything unhealthy across the live clusters in one list, live: critical
//! first, then warnings, newest start first within each; an object's Warning events and its
//! pods' problems on its row, and what changed before it started under the list. The rules
//! are `triage::rules::RULES`, the kinds of change `triage::changed::SOURCES`. Enter jumps to
//! the object's list with the cursor on it, where every key works as usual; `→` expands a row
//! into its pods, events and changes (Enter on a change shows it); `z` folds the same problem
//! on several clusters into one row naming them; `A` orders by start time only.

mod fold;
mod look;

use super::diff::{ObjectDiff, Side};
use super::table::TableScreen;
use super::tree::TreeScreen;
use super::{Ctx, DrawCtx, Need, Screen};
use crate::grid::{self, Grid, GridRow, Width};
use crate::human;
use crate::model::{Action, ClusterId};
use crate::store::Store;
use crate::triage::changed;
use crate::triage::{Engine, Problem, earliest};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use fold::{MEMBERS_SHOWN, NodeOf, fold_causes, name_nodes};
use look::{Look, open_change};

pub const MODE: &str = "triage";

pub fn open(args: &str, _ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    if !args.is_empty() {
        return Err(format!(
            ":triage takes no arguments (got {args:?}); filter with /"
        ));
    }
    Ok(Box::new(TriageScreen::default()))
}

/// One line of the list: a problem, or the same problem on several clusters, with the
/// Warning events of its object (one broken thing is one row, not its state and its events
/// on rows of their own).
struct Line {
    problem: Arc<Problem>,
    clusters: Vec<String>,
    events: Vec<Arc<Problem>>,
    /// The problems of the workload's pods, rolled up into its row.
    pods: Vec<Arc<Problem>>,
    /// How many objects' event groups of one reason this row stands for (`fold_causes`);
    /// 0 for a row of one object.
    objects: usize,
    /// When the problem started: the earliest the cluster says of it, its pods and its
    /// events (`settle`).
    start: i64,
    /// The cluster says nothing of when: `start` is when flotilla first saw it.
    estimated: bool,
    /// A fold's own rows (`fold_causes`).
    members: Vec<Arc<Problem>>,
    /// The nodes a fold's pods run on, with how many of them each (`name_nodes`).
    nodes: Vec<(String, usize)>,
    /// For a Service without endpoints: the workload it selects, or why none.
    selects: Option<String>,
    /// The object's other problems of its own, less severe than `problem`.
    also: Vec<Arc<Problem>>,
    /// `problem.id()` once the row is whole (`settle`): what the cursor, the expanded rows and
    /// the looks know it by.
    id: u64,
}

impl Line {
    fn new(problem: &Arc<Problem>) -> Line {
        Line {
            problem: Arc::clone(problem),
            clusters: vec![problem.context.clone()],
            events: Vec::new(),
            pods: Vec::new(),
            objects: 0,
            start: problem.since,
            estimated: problem.started.is_none(),
            members: Vec::new(),
            nodes: Vec::new(),
            selects: None,
            also: Vec::new(),
            id: 0,
        }
    }

    /// Its start, from everything on the row, and its id.
    fn settle(&mut self) {
        self.id = self.problem.id();
        let started = self
            .events
            .iter()
            .chain(&self.pods)
            .chain(&self.also)
            .fold(self.problem.started, |t, p| earliest(t, p.started));
        self.start = started.unwrap_or(self.problem.since);
        self.estimated = started.is_none();
    }

    /// Its pods' problems by what they are, counted: `2 pods CrashLoopBackOff`.
    fn pod_summary(&self) -> Vec<String> {
        let mut by: Vec<(&str, usize)> = Vec::new();
        for p in &self.pods {
            match by.iter_mut().find(|(what, _)| *what == p.what) {
                Some(b) => b.1 += 1,
                None => by.push((p.what.as_str(), 1)),
            }
        }
        by.into_iter()
            .map(|(what, n)| match n {
                1 => format!("1 pod {what}"),
                n => format!("{n} pods {what}"),
            })
            .collect()
    }

    /// Its events by reason, counted, newest first: `BackOff ×26`.
    fn evidence(&self) -> Vec<(String, u64, &str)> {
        let mut by: Vec<(String, u64, i64, &str)> = Vec::new();
        for e in &self.events {
            match by.iter_mut().find(|(what, ..)| *what == e.what) {
                Some(b) => {
                    b.1 += e.count;
                    if e.since > b.2 {
                        (b.2, b.3) = (e.since, e.message.as_str());
                    }
                }
                None => by.push((e.what.clone(), e.count, e.since, e.message.as_str())),
            }
        }
        by.sort_by_key(|b| std::cmp::Reverse(b.2));
        by.into_iter().map(|(w, n, _, m)| (w, n, m)).collect()
    }
}

/// A workload with a problem of its own, by (cluster, namespace, kind, name).
type Workloads<'a> = HashMap<(ClusterId, &'a str, &'a str, &'a str), &'a str>;

/// The workload among `workloads` (objects with a problem of their own) that pod `p` belongs
/// to, as its object (`deployment/web`), by the names controllers give their pods: a
/// Deployment's `web-<hash>-<suffix>`, a StatefulSet's `db-<ordinal>`, a Job's or DaemonSet's
/// `name-<suffix>`. Only a workload that has a row of its own adopts: a pod of a healthy
/// workload keeps its row.
fn workload_of<'a>(p: &Problem, workloads: &Workloads<'a>) -> Option<&'a str> {
    let pod = p.object.strip_prefix("pod/")?;
    let (one, suffix) = pod.rsplit_once('-')?;
    let two = one.rsplit_once('-').map(|(two, _)| two);
    let numbered = suffix.bytes().all(|b| b.is_ascii_digit());
    let candidates = [
        two.map(|n| ("deployment", n)),
        numbered.then_some(("statefulset", one)),
        Some(("job", one)),
        Some(("daemonset", one)),
    ];
    let ns = p.namespace.as_str();
    candidates
        .into_iter()
        .flatten()
        .find_map(|(kind, name)| workloads.get(&(p.cluster, ns, kind, name)).copied())
}

/// Where a line sits in the list: critical ones, then warnings, newest start first; one
/// resolved moments ago stays in its band, below those that still hold, as it fades. By
/// recency only: newest start first.
fn order(l: &Line, recent: bool) -> (bool, bool, std::cmp::Reverse<i64>) {
    let p = &l.problem;
    match recent {
        true => (false, false, std::cmp::Reverse(l.start)),
        false => (
            !p.critical,
            p.resolved.is_some(),
            std::cmp::Reverse(l.start),
        ),
    }
}

/// A row as listed: what `TriageScreen::rows` tells.
#[derive(Clone, Debug, PartialEq)]
pub struct Listed {
    pub clusters: Vec<String>,
    pub namespace: String,
    pub object: String,
    pub critical: bool,
    /// When the problem started (seconds since the epoch).
    pub start: i64,
    /// `start` is flotilla's estimate: the cluster says nothing of it.
    pub estimated: bool,
}

/// A row of the screen: a line, or (expanded) one of its parts.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Item {
    Line(usize),
    /// Its n-th pod problem.
    Pod(usize, usize),
    /// A fold's n-th object.
    Member(usize, usize),
    /// Its n-th kind of event (`Line::evidence`).
    Event(usize, usize),
    /// Its n-th change before it started.
    Change(usize, usize),
    /// The n-th cluster where its object is healthy.
    Elsewhere(usize, usize),
}

impl Item {
    fn line(self) -> usize {
        match self {
            Item::Line(i)
            | Item::Pod(i, _)
            | Item::Member(i, _)
            | Item::Event(i, _)
            | Item::Change(i, _)
            | Item::Elsewhere(i, _) => i,
        }
    }
}

#[derive(Default)]
pub struct TriageScreen {
    engine: Engine,
    lines: Vec<Line>,
    /// What is drawn: the lines, and the parts of those expanded.
    items: Vec<Item>,
    cursor: usize,
    /// The problem under the cursor, by key, and which of its parts: the cursor stays on it
    /// as the list changes.
    selected: Option<(u64, usize)>,
    /// Lines expanded, by problem key.
    expanded: HashSet<u64>,
    /// What changed before each problem, by problem key (the lines looked at).
    looks: HashMap<u64, Look>,
    collapse: bool,
    /// Newest start first, regardless of severity.
    recent: bool,
    /// How far before a problem's start changes count (`[triage] changes`).
    window: i64,
    /// Where the pods that folds of events name run (`name_nodes`).
    node_of: NodeOf,
    /// The line under the cursor and since when: its changes are read once it rests there.
    resting: Option<(u64, std::time::Instant)>,
    filter: String,
    /// The engine generation `lines` were built from.
    built: Option<u64>,
    /// When the engine last caught up: under churn at most every `RELIST`.
    refreshed: Option<std::time::Instant>,
}

/// How often the list follows the store while rows keep changing: problems still show up
/// within a quarter second, and a frame under churn does not rebuild the list every time.
const RELIST: std::time::Duration = std::time::Duration::from_millis(250);

impl TriageScreen {
    pub fn problems(&self) -> &[Arc<Problem>] {
        &self.engine.problems
    }

    /// The rows as listed, in order (without the parts of expanded ones).
    pub fn rows(&self) -> Vec<Listed> {
        self.lines
            .iter()
            .map(|l| Listed {
                clusters: l.clusters.clone(),
                namespace: l.problem.namespace.clone(),
                object: l.problem.object.clone(),
                critical: l.problem.critical,
                start: l.start,
                estimated: l.estimated,
            })
            .collect()
    }

    fn rebuild(&mut self, store: &Store) {
        // Newest first; the severity order comes once the rows are whole.
        let listed = self.engine.listed();
        fn object(p: &Problem) -> (ClusterId, &str, &str) {
            (p.cluster, p.namespace.as_str(), p.object.as_str())
        }
        // A problem that holds, of an object (not an event group): a row others may join.
        let owns = |p: &Problem| p.rule != "warning-events" && p.resolved.is_none();
        let workloads: Workloads = listed
            .iter()
            .filter(|p| owns(p))
            .filter_map(|p| {
                let (kind, name) = p.object.split_once('/')?;
                let workload = matches!(kind, "deployment" | "statefulset" | "job" | "daemonset");
                workload.then_some((
                    (p.cluster, p.namespace.as_str(), kind, name),
                    p.object.as_str(),
                ))
            })
            .collect();
        // Under churn the list is rebuilt four times a second: with no event and no workload
        // in it, nothing joins anything and the indexes below are not built.
        let joins = !workloads.is_empty() || listed.iter().any(|p| p.rule == "warning-events");
        let owners: HashSet<_> = match joins {
            true => listed
                .iter()
                .filter(|p| owns(p))
                .map(|p| object(p))
                .collect(),
            false => HashSet::new(),
        };
        // A pod whose workload has a problem of its own joins the workload's row, with the
        // pod's problem or only its Warning events.
        let adopted: HashMap<(ClusterId, &str, &str), &str> = if workloads.is_empty() {
            HashMap::new()
        } else {
            listed
                .iter()
                .filter(|p| p.resolved.is_none() && p.object.starts_with("pod/"))
                .filter_map(|p| Some((object(p), workload_of(p, &workloads)?)))
                .collect()
        };
        // The Warning events of an object with a row (its own or its workload's) join it.
        let (joining, listed): (Vec<_>, Vec<_>) = listed.into_iter().partition(|p| {
            p.resolved.is_none()
                && (adopted.contains_key(&object(p))
                    || (p.rule == "warning-events" && owners.contains(&object(p))))
        });
        // The line each owner is on.
        let mut line_of: HashMap<(ClusterId, &str, &str), usize> = HashMap::new();
        let mut lines: Vec<Line> = Vec::new();
        // Folded: the line each problem joins, by what it is regardless of cluster.
        let mut folds: HashMap<(&str, &str, &str, &str, bool), usize> = HashMap::new();
        for p in listed {
            if self.collapse {
                let key = (
                    p.namespace.as_str(),
                    p.object.as_str(),
                    p.rule,
                    p.what.as_str(),
                    p.resolved.is_some(),
                );
                if let Some(&i) = folds.get(&key) {
                    if owns(p) {
                        line_of.insert(object(p), i);
                    }
                    let l = &mut lines[i];
                    l.clusters.push(p.context.clone());
                    let q = Arc::make_mut(&mut l.problem);
                    q.since = q.since.max(p.since);
                    q.started = earliest(q.started, p.started);
                    if p.rule == "warning-events" {
                        q.count += p.count;
                    }
                    continue;
                }
                folds.insert(key, lines.len());
            }
            if owns(p) {
                // An object with several problems of its own (a rollout stuck and not
                // progressing) is one row: the worst leads, the others follow it.
                if !self.collapse
                    && let Some(&i) = line_of.get(&object(p))
                {
                    let l = &mut lines[i];
                    let mut p = Arc::clone(p);
                    if p.critical && !l.problem.critical {
                        std::mem::swap(&mut l.problem, &mut p);
                    }
                    l.also.push(p);
                    continue;
                }
                line_of.entry(object(p)).or_insert(lines.len());
            }
            lines.push(Line::new(p));
        }
        for p in joining {
            let pod = p.rule != "warning-events";
            let at = match adopted.get(&object(p)) {
                Some(owner) => line_of.get(&(p.cluster, p.namespace.as_str(), *owner)),
                None => line_of.get(&object(p)),
            };
            if let Some(&i) = at {
                let line = &mut lines[i];
                if pod {
                    line.pods.push(Arc::clone(p));
                } else {
                    line.events.push(Arc::clone(p));
                }
            }
        }
        // A workload is as bad as its worst pod: a Deployment short of ready pods whose pods
        // crash-loop is critical, and sorts so.
        for line in &mut lines {
            if !line.problem.critical && line.pods.iter().any(|p| p.critical) {
                Arc::make_mut(&mut line.problem).critical = true;
            }
        }
        let mut lines = fold_causes(lines);
        name_nodes(&mut lines, store, &mut self.node_of);
        for l in lines
            .iter_mut()
            .filter(|l| l.problem.rule == "service-no-endpoints")
        {
            let p = &l.problem;
            l.selects = Some(
                crate::tree::selected_workload(store, p.cluster, &p.namespace, &p.name)
                    .map_or("selects no workload".into(), |w| format!("selects {w}")),
            );
        }
        for l in &mut lines {
            l.settle();
        }
        let recent = self.recent;
        lines.sort_by_key(|l| order(l, recent));
        if !self.filter.is_empty() {
            lines.retain(|l| {
                let p = &l.problem;
                let mut text = format!(
                    "{} {} {} {} {}",
                    l.clusters.join(","),
                    p.namespace,
                    p.object,
                    p.what,
                    p.message
                );
                for e in l.events.iter().chain(&l.pods).chain(&l.also) {
                    text.push_str(&format!(" {} {} {}", e.object, e.what, e.message));
                }
                crate::text::has_words(&self.filter, &text)
            });
        }
        self.lines = lines;
        if !self.looks.is_empty() || !self.expanded.is_empty() {
            let ids: HashSet<u64> = self.lines.iter().map(|l| l.id).collect();
            self.looks.retain(|id, _| ids.contains(id));
            self.expanded.retain(|id| ids.contains(id));
        }
        self.lay_out();
    }

    /// The items from the lines and what is expanded, the cursor kept on what it was on.
    fn lay_out(&mut self) {
        let mut items = Vec::with_capacity(self.lines.len());
        for (i, l) in self.lines.iter().enumerate() {
            items.push(Item::Line(i));
            let id = l.id;
            if !self.expanded.contains(&id) {
                continue;
            }
            items.extend((0..l.pods.len()).map(|n| Item::Pod(i, n)));
            let members = l.members.len().min(MEMBERS_SHOWN);
            items.extend((0..members).map(|n| Item::Member(i, n)));
            items.extend((0..l.evidence().len()).map(|n| Item::Event(i, n)));
            if let Some(k) = self.looks.get(&id) {
                if let Some(Ok(found)) = &k.found {
                    items.extend((0..found.len()).map(|n| Item::Change(i, n)));
                }
                items.extend((0..k.elsewhere.len()).map(|n| Item::Elsewhere(i, n)));
            }
        }
        self.items = items;
        if let Some((key, part)) = self.selected
            && let Some(at) = self.lines.iter().position(|l| l.id == key)
            && let Some(first) = self.items.iter().position(|it| *it == Item::Line(at))
        {
            let last = self.items[first..]
                .iter()
                .take_while(|it| it.line() == at)
                .count();
            self.cursor = first + part.min(last.saturating_sub(1));
        }
        self.cursor = self.cursor.min(self.items.len().saturating_sub(1));
    }

    /// The line under the cursor.
    fn current(&self) -> Option<&Line> {
        self.items
            .get(self.cursor)
            .and_then(|it| self.lines.get(it.line()))
    }

    fn select(&mut self) {
        self.selected = self.items.get(self.cursor).map(|it| {
            let at = it.line();
            let first = self
                .items
                .iter()
                .position(|x| *x == Item::Line(at))
                .unwrap_or(self.cursor);
            (self.lines[at].id, self.cursor - first)
        });
    }

    fn jump(&self, ctx: &mut Ctx) {
        let Some(&item) = self.items.get(self.cursor) else {
            return;
        };
        let Some(line) = self.lines.get(item.line()) else {
            return;
        };
        match item {
            Item::Pod(_, n) => {
                if let Some(pod) = line.pods.get(n) {
                    open_object(pod, ctx);
                }
            }
            Item::Member(_, n) => {
                if let Some(m) = line.members.get(n) {
                    open_object(m, ctx);
                }
            }
            Item::Change(_, n) => {
                let id = line.id;
                let found = self.looks.get(&id).and_then(|k| k.found.as_ref());
                if let Some(Ok(found)) = found
                    && let Some(c) = found.get(n)
                {
                    open_change(c, line, ctx);
                }
            }
            Item::Elsewhere(_, n) => {
                let e = self.looks.get(&line.id).and_then(|k| k.elsewhere.get(n));
                if let Some(e) = e {
                    let p = &line.problem;
                    let what = format!("{} in {}", p.object, p.namespace);
                    ctx.push(Box::new(ObjectDiff::new(
                        &what,
                        Side::fetch(&e.context, e.cluster, e.path.clone(), None),
                        Side::fetch(&p.context, p.cluster, e.path.clone(), Some(p.uid.clone())),
                    )));
                }
            }
            Item::Line(_) | Item::Event(..) => {
                let p = &line.problem;
                if p.rule == "cluster-unhealthy" {
                    ctx.info(format!("{}: {}: {}", p.context, p.what, p.message));
                } else {
                    open_object(p, ctx);
                }
            }
        }
    }
}

/// The problem's object in its list, the cursor on it.
fn open_object(p: &Problem, ctx: &mut Ctx) {
    let view = if p.uid.is_empty() {
        // A group of events: the object they are about.
        TableScreen::at_named(&p.object, ctx, p.cluster, &p.namespace)
    } else {
        let uid = Some(p.uid.as_str());
        Ok(TableScreen::at_object(
            p.res.clone(),
            ctx,
            p.cluster,
            &p.namespace,
            &p.name,
            uid,
        ))
    };
    match view {
        Ok(view) => ctx.push(Box::new(view)),
        Err(e) => ctx.error(e),
    }
}

/// Every connected cluster watches what the rules read.
pub fn triage_needs(store: &Store, out: &mut Vec<Need>) {
    let connected: Vec<ClusterId> = store
        .clusters
        .iter()
        .filter(|s| s.connected)
        .map(|s| s.id)
        .collect();
    for res in crate::triage::watched() {
        for &cluster in &connected {
            out.push(Need::Watch {
                cluster,
                res: res.clone(),
            });
        }
    }
}

impl TriageScreen {
    /// Expands the current line into its parts, or folds it back.
    fn expand(&mut self, ctx: &mut Ctx) {
        let Some(line) = self.current() else {
            return;
        };
        let id = line.id;
        if !self.expanded.remove(&id) {
            self.expanded.insert(id);
        }
        // The cursor goes to the line itself.
        self.selected = Some((id, 0));
        self.lay_out();
        self.look(ctx);
    }

    /// A line as a row of the grid.
    fn line_row(&self, l: &Line, ctx: &DrawCtx) -> GridRow {
        let p = &l.problem;
        let stale = l.clusters.len() == 1 && ctx.store.stale_since(p.cluster, None).is_some();
        let slot = match (p.resolved, stale, p.critical) {
            (Some(_), _, _) => "row-done",
            (None, true, _) => "row-stale",
            (None, false, true) => "row-error",
            (None, false, false) => "row-warn",
        };
        let mut what = match (p.resolved, p.count) {
            (Some(_), _) => format!("resolved: {}", p.what),
            (None, n) if n > 1 => format!("{} ×{n}", p.what),
            _ => p.what.clone(),
        };
        for other in &l.also {
            what.push_str(&format!(" · {}", other.what));
        }
        for pods in l.pod_summary() {
            what.push_str(&format!(" · {pods}"));
        }
        for (reason, n, _) in l.evidence() {
            what.push_str(&format!(" · {reason} ×{n}"));
        }
        if let Some(selects) = &l.selects {
            what.push_str(&format!(" · {selects}"));
        }
        match l.nodes.as_slice() {
            [] => {}
            [(one, _)] => what.push_str(&format!(" · on node {one}")),
            many => what.push_str(&format!(" · on {} nodes", many.len())),
        }
        // `~`: the cluster says nothing of when it started; this is flotilla's estimate (when
        // it first saw it, or the object's creation if it was there when the list came).
        let since = human::age(ctx.now - l.start);
        let marker = match self.expanded.contains(&l.id) {
            true => "▾ ",
            false => "",
        };
        GridRow::new(
            vec![
                if l.estimated {
                    format!("~{since}")
                } else {
                    since
                },
                l.clusters.join(","),
                p.namespace.clone(),
                format!("{marker}{}", p.object),
                crate::text::clean(&what),
            ],
            slot,
        )
    }
}

impl Screen for TriageScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Enter, "go to object"),
            (Action::Expand, "expand"),
            (Action::Filter, "filter"),
            (Action::Collapse, "fold clusters"),
            (Action::SortAge, "newest first"),
            (Action::Command, "cmd"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        if self.refreshed.is_some_and(|t| t.elapsed() < RELIST) {
            return;
        }
        self.refreshed = Some(std::time::Instant::now());
        self.engine
            .refresh(ctx.store, &ctx.config.thresholds, ctx.now);
        if self.built != Some(self.engine.generation) {
            self.built = Some(self.engine.generation);
            self.rebuild(ctx.store);
        }
        self.window = ctx.config.thresholds.secs("changes");
        self.look(ctx);
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = super::moved(action, self.cursor, self.items.len()) {
            self.cursor = to;
            self.select();
            self.look(ctx);
            return true;
        }
        match action {
            // Enter on a fold's own row opens it: its objects are what there is to go to.
            Action::Enter
                if matches!(self.items.get(self.cursor), Some(Item::Line(_)))
                    && self.current().is_some_and(|l| l.objects > 0) =>
            {
                self.expand(ctx)
            }
            Action::Enter => self.jump(ctx),
            Action::Expand => self.expand(ctx),
            Action::Collapse => {
                self.collapse = !self.collapse;
                self.rebuild(ctx.store);
            }
            Action::Tree => match self.current().map(|l| &l.problem) {
                Some(p) if !p.uid.is_empty() => ctx.push(Box::new(TreeScreen::new(
                    p.cluster,
                    p.context.clone(),
                    p.res.clone(),
                    p.namespace.clone(),
                    p.name.clone(),
                ))),
                _ => ctx.error("tree: this row is not one object"),
            },
            Action::SortAge => {
                self.recent = !self.recent;
                ctx.info(match self.recent {
                    true => "triage: newest first",
                    false => "triage: critical first, then newest",
                });
                self.rebuild(ctx.store);
            }
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let critical = self
            .lines
            .iter()
            .filter(|l| l.problem.critical && l.problem.resolved.is_none())
            .count();
        let mut title = vec![
            Span::styled(
                format!(" triage[{}] ", self.lines.len()),
                theme.get("title"),
            ),
            Span::styled(format!("{critical} critical "), theme.get("row-error")),
            Span::styled(
                format!(
                    "{} warning ",
                    self.lines.len()
                        - critical
                        - self
                            .lines
                            .iter()
                            .filter(|l| l.problem.resolved.is_some())
                            .count()
                ),
                theme.get("row-warn"),
            ),
        ];
        if !self.filter.is_empty() {
            title.push(Span::styled(
                format!("</{}> ", self.filter),
                theme.get("title"),
            ));
        }
        let syncing: Vec<&str> = ctx
            .store
            .clusters
            .iter()
            .filter(|s| {
                !s.connected
                    || crate::triage::watched().iter().any(|r| {
                        ctx.store
                            .sheet(s.id, r)
                            .is_some_and(|sh| sh.state == crate::store::SheetState::Syncing)
                    })
            })
            .map(|s| s.context.as_str())
            .collect();
        if !syncing.is_empty() {
            title.push(Span::styled(
                format!("listing {} ", syncing.join(",")),
                theme.get("row-done"),
            ));
        }
        let detail_width = usize::from(area.width.saturating_sub(2)).max(10);
        let detail = self
            .current()
            .map(|l| {
                let p = &l.problem;
                let text = if p.message.is_empty() {
                    p.what.clone()
                } else {
                    format!("{}: {}", p.what, p.message)
                };
                let mut lines = grid::wrap(&crate::text::clean(&text), detail_width, 2);
                // The newest message of each kind of event on the object.
                for (what, n, message) in l.evidence().into_iter().take(2) {
                    let text = format!("{what} ×{n}: {message}");
                    lines.extend(grid::wrap(&crate::text::clean(&text), detail_width, 1));
                }
                if l.objects > MEMBERS_SHOWN {
                    let all = match p.rule {
                        "warning-events" => format!("; :events, then /reason:{} lists all", p.what),
                        _ => String::new(),
                    };
                    let text = format!(
                        "expanded, the first {MEMBERS_SHOWN} of {} objects{all}",
                        l.objects
                    );
                    lines.extend(grid::wrap(&crate::text::clean(&text), detail_width, 1));
                }
                if l.nodes.len() > 1 {
                    let named: Vec<String> =
                        l.nodes.iter().map(|(n, c)| format!("{n} ×{c}")).collect();
                    let text = format!("pods on nodes: {}", named.join(", "));
                    lines.extend(grid::wrap(&crate::text::clean(&text), detail_width, 2));
                }
                let changes = match self.looks.get(&l.id).map(|k| (&k.found, k.pending)) {
                    None => Vec::new(),
                    Some((None, _)) => vec!["changes: reading…".to_string()],
                    Some((Some(Err(why)), _)) => vec![format!("changes: {why}")],
                    Some((Some(Ok(found)), _)) if found.is_empty() => vec![format!(
                        "no change found in the {} before it started",
                        human::age(self.window)
                    )],
                    Some((Some(Ok(found)), _)) => found
                        .iter()
                        .take(2)
                        .map(|c| format!("{}: {}", changed::relative(c.at, l.start), c.what))
                        .collect(),
                };
                for (i, c) in changes.iter().enumerate() {
                    let room = if i == 0 { 2 } else { 1 };
                    lines.extend(grid::wrap(&crate::text::clean(c), detail_width, room));
                }
                if let Some(e) = self.looks.get(&l.id).and_then(|k| k.elsewhere.first()) {
                    let text = format!("healthy on {}; from there to here: {}", e.context, e.what);
                    lines.extend(grid::wrap(&crate::text::clean(&text), detail_width, 1));
                }
                lines
            })
            .unwrap_or_default();
        let height = grid::room(area, detail.len());
        let offset = grid::offset(self.cursor, height);
        let rows = self
            .items
            .iter()
            .skip(offset)
            .take(height)
            .filter_map(|&item| {
                let l = self.lines.get(item.line())?;
                let part = |since: String, object: String, what: String, slot| {
                    GridRow::new(
                        vec![
                            since,
                            String::new(),
                            String::new(),
                            object,
                            crate::text::clean(&what),
                        ],
                        slot,
                    )
                };
                let row = match item {
                    Item::Line(_) => self.line_row(l, ctx),
                    Item::Pod(_, n) => {
                        let pod = l.pods.get(n)?;
                        let slot = if pod.critical {
                            "row-error"
                        } else {
                            "row-warn"
                        };
                        let since = human::age(ctx.now - pod.started.unwrap_or(pod.since));
                        part(since, format!(" └ {}", pod.object), pod.what.clone(), slot)
                    }
                    Item::Member(_, n) => {
                        let m = l.members.get(n)?;
                        let since = human::age(ctx.now - m.started.unwrap_or(m.since));
                        let what = match m.count {
                            c if c > 1 => format!("{} ×{c}", m.what),
                            _ => m.what.clone(),
                        };
                        let slot = if m.critical { "row-error" } else { "row-warn" };
                        let object = format!(" └ {}/{}", m.namespace, m.object);
                        part(since, object.replace(" └ /", " └ "), what, slot)
                    }
                    Item::Event(_, n) => {
                        let (reason, count, message) = l.evidence().into_iter().nth(n)?;
                        let what = format!("{reason} ×{count}: {message}");
                        part(String::new(), " └ events".into(), what, "row-warn")
                    }
                    Item::Elsewhere(_, n) => {
                        let e = self.looks.get(&l.id)?.elsewhere.get(n)?;
                        let what =
                            format!("healthy on {}; from there to here: {}", e.context, e.what);
                        part(String::new(), " └ elsewhere".into(), what, "row-ok")
                    }
                    Item::Change(_, n) => {
                        let k = self.looks.get(&l.id)?;
                        let c = k.found.as_ref()?.as_ref().ok()?.get(n)?;
                        let what = format!("{}: {}", changed::relative(c.at, l.start), c.what);
                        let since = human::age(ctx.now - c.at);
                        part(since, format!(" └ {}", c.source), what, "row-done")
                    }
                };
                Some(row)
            })
            .collect();
        let live = ctx.store.clusters.iter().filter(|s| s.connected).count();
        grid::draw(
            f,
            area,
            theme,
            Grid {
                title,
                header: vec!["SINCE", "CLUSTER", "NAMESPACE", "OBJECT", "PROBLEM"],
                widths: vec![
                    Width::Fit(5, 6),
                    Width::Fit(7, 30),
                    Width::Fit(9, 20),
                    Width::Fit(6, 48),
                    Width::Fill,
                ],
                rows,
                selected: Some(self.cursor.saturating_sub(offset)),
                empty: if syncing.is_empty() {
                    format!("Nothing unhealthy on {live} cluster(s).")
                } else {
                    format!("Listing {}…", syncing.join(", "))
                },
                detail,
            },
        );
    }

    fn needs(&self, store: &Store, out: &mut Vec<Need>) {
        triage_needs(store, out);
    }

    fn filter(&self) -> Option<&str> {
        Some(&self.filter)
    }

    fn set_filter(&mut self, text: &str, ctx: &mut Ctx) {
        self.filter = text.to_lowercase();
        self.cursor = 0;
        self.selected = None;
        self.rebuild(ctx.store);
    }
}
