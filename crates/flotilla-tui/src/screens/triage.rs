//! `:triage`: everything unhealthy across the live clusters in one list, live: critical
//! first, then warnings, newest first within each; an object's Warning events on its row.
//! The rules are `triage::rules::RULES`; Enter jumps to the object's list with the cursor on
//! it, where every key works as usual. `z` folds the same problem on several clusters into
//! one row naming them.

use super::table::TableScreen;
use super::{Ctx, DrawCtx, Need, Screen};
use crate::grid::{self, Grid, GridRow, Width};
use crate::human;
use crate::model::{Action, ClusterId};
use crate::store::Store;
use crate::triage::{Engine, Problem};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

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
}

impl Line {
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

/// Event groups of one reason on more objects than this, with no row of their own to join,
/// fold into one row: a node flap's `NodeNotReady` on every pod is one row, not fifty thousand.
const FOLD_AT: usize = 10;

/// Folds the event groups of one reason on one cluster (or on the same clusters, folded)
/// that stand alone on more than `FOLD_AT` objects into one row counting them.
fn fold_causes(lines: Vec<Line>) -> Vec<Line> {
    let alone = |l: &Line| {
        l.problem.rule == "warning-events"
            && l.problem.resolved.is_none()
            && l.events.is_empty()
            && l.pods.is_empty()
    };
    let mut sizes: HashMap<(Vec<String>, String), usize> = HashMap::new();
    for l in lines.iter().filter(|l| alone(l)) {
        *sizes
            .entry((l.clusters.clone(), l.problem.what.clone()))
            .or_default() += 1;
    }
    sizes.retain(|_, n| *n > FOLD_AT);
    if sizes.is_empty() {
        return lines;
    }
    let mut folded: HashMap<(Vec<String>, String), usize> = HashMap::new();
    let mut out: Vec<Line> = Vec::with_capacity(lines.len());
    for l in lines {
        let key = (l.clusters.clone(), l.problem.what.clone());
        if !alone(&l) || !sizes.contains_key(&key) {
            out.push(l);
            continue;
        }
        let kind = l
            .problem
            .object
            .split_once('/')
            .map_or("", |(k, _)| k)
            .to_string();
        match folded.get(&key) {
            Some(&i) => {
                let row = &mut out[i];
                row.objects += 1;
                let q = Arc::make_mut(&mut row.problem);
                q.count += l.problem.count;
                if l.problem.since > q.since {
                    q.since = l.problem.since;
                    q.message.clone_from(&l.problem.message);
                }
                if q.namespace != l.problem.namespace {
                    q.namespace.clear();
                }
                if !q.object.starts_with(&kind) {
                    q.object = "objects".into();
                }
            }
            None => {
                folded.insert(key, out.len());
                let mut row = l;
                row.objects = 1;
                let q = Arc::make_mut(&mut row.problem);
                q.object = format!("{kind}s");
                q.name.clear();
                out.push(row);
            }
        }
    }
    // `pods` becomes `39343 pods` once counted.
    for l in out.iter_mut().filter(|l| l.objects > 0) {
        let q = Arc::make_mut(&mut l.problem);
        q.object = format!("{} {}", l.objects, q.object);
    }
    out
}

/// Where a problem sits in the list: critical ones, then warnings, newest first; one
/// resolved moments ago stays in its band, below those that still hold, as it fades.
fn order(p: &Problem) -> (bool, bool, std::cmp::Reverse<i64>) {
    (
        !p.critical,
        p.resolved.is_some(),
        std::cmp::Reverse(p.since),
    )
}

#[derive(Default)]
pub struct TriageScreen {
    engine: Engine,
    lines: Vec<Line>,
    cursor: usize,
    /// The problem under the cursor, by key: the cursor stays on it as the list changes.
    selected: Option<u64>,
    collapse: bool,
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

    fn rebuild(&mut self) {
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
                    if joins && owns(p) {
                        line_of.insert(object(p), i);
                    }
                    let l = &mut lines[i];
                    l.clusters.push(p.context.clone());
                    let q = Arc::make_mut(&mut l.problem);
                    q.since = q.since.max(p.since);
                    if p.rule == "warning-events" {
                        q.count += p.count;
                    }
                    continue;
                }
                folds.insert(key, lines.len());
            }
            if joins && owns(p) {
                line_of.entry(object(p)).or_insert(lines.len());
            }
            lines.push(Line {
                problem: Arc::clone(p),
                clusters: vec![p.context.clone()],
                events: Vec::new(),
                pods: Vec::new(),
                objects: 0,
            });
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
        lines.sort_by_key(|l| order(&l.problem));
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
                for e in l.events.iter().chain(&l.pods) {
                    text.push_str(&format!(" {} {} {}", e.object, e.what, e.message));
                }
                crate::text::has_words(&self.filter, &text)
            });
        }
        self.lines = lines;
        if let Some(key) = &self.selected
            && let Some(i) = self.lines.iter().position(|l| l.problem.id() == *key)
        {
            self.cursor = i;
        }
        self.cursor = self.cursor.min(self.lines.len().saturating_sub(1));
    }

    fn jump(&self, ctx: &mut Ctx) {
        let Some(line) = self.lines.get(self.cursor) else {
            return;
        };
        let p = &line.problem;
        if p.rule == "cluster-unhealthy" {
            ctx.info(format!("{}: {}: {}", p.context, p.what, p.message));
            return;
        }
        if line.objects > 0 {
            let reason = &p.what;
            let n = line.objects;
            ctx.info(format!(
                "{n} objects: :events, then /reason:{reason} lists them"
            ));
            return;
        }
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

impl Screen for TriageScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Enter, "go to object"),
            (Action::Filter, "filter"),
            (Action::Collapse, "fold clusters"),
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
            self.rebuild();
        }
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = super::moved(action, self.cursor, self.lines.len()) {
            self.cursor = to;
            self.selected = self.lines.get(to).map(|l| l.problem.id());
            return true;
        }
        match action {
            Action::Enter => self.jump(ctx),
            Action::Collapse => {
                self.collapse = !self.collapse;
                self.rebuild();
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
        let detail_width = usize::from(area.width.saturating_sub(2));
        let detail = self
            .lines
            .get(self.cursor)
            .map(|l| {
                let p = &l.problem;
                let text = if p.message.is_empty() {
                    p.what.clone()
                } else {
                    format!("{}: {}", p.what, p.message)
                };
                let mut lines = grid::wrap(&crate::text::clean(&text), detail_width.max(10), 2);
                // The newest message of each kind of event on the object.
                for (what, n, message) in l.evidence().into_iter().take(2) {
                    let text = format!("{what} ×{n}: {message}");
                    lines.extend(grid::wrap(
                        &crate::text::clean(&text),
                        detail_width.max(10),
                        1,
                    ));
                }
                lines
            })
            .unwrap_or_default();
        let height = grid::room(area, detail.len());
        let offset = grid::offset(self.cursor, height);
        let rows = self
            .lines
            .iter()
            .skip(offset)
            .take(height)
            .map(|l| {
                let p = &l.problem;
                let stale =
                    l.clusters.len() == 1 && ctx.store.stale_since(p.cluster, None).is_some();
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
                for pods in l.pod_summary() {
                    what.push_str(&format!(" · {pods}"));
                }
                for (reason, n, _) in l.evidence() {
                    what.push_str(&format!(" · {reason} ×{n}"));
                }
                GridRow::new(
                    vec![
                        human::age(ctx.now - p.since),
                        l.clusters.join(","),
                        p.namespace.clone(),
                        p.object.clone(),
                        crate::text::clean(&what),
                    ],
                    slot,
                )
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
                selected: Some(self.cursor - offset),
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

    fn set_filter(&mut self, text: &str, _ctx: &mut Ctx) {
        self.filter = text.to_lowercase();
        self.cursor = 0;
        self.selected = None;
        self.rebuild();
    }
}
