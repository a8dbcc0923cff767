//! `:helm` (`:releases`): the Helm releases of every live cluster, newest revision each, live
//! as their records change; `z` folds a release installed on several clusters into one row
//! with each cluster's chart version and whether their values differ. Enter opens the
//! history; `v`/`V`/`m`/`n`/`H` show the newest revision's values, manifest, notes, hooks.
//! ctrl-l rolls back to the revision before and ctrl-d uninstalls: the release under the
//! cursor (every cluster's, on a folded line) or the marked ones, as one batch after a plan.

mod history;
mod objects;
mod parts;
mod plan;

pub use history::HistoryScreen;
pub use plan::PlanScreen;

use super::{Ctx, Deliver, DrawCtx, Need, Screen};
use crate::grid::{self, Grid, GridRow, Width};
use crate::helm::record::{self, Summary, Unread};
use crate::helm::releases::{self, Release};
use crate::model::{Action, ApiError, ClusterId};
use crate::protocol::op::HelmOp;
use crate::store::Store;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use std::collections::{HashMap, HashSet};

pub const MODE: &str = "helm";
pub const HISTORY_MODE: &str = "helm-history";
pub const OBJECTS_MODE: &str = objects::MODE;
pub const PLAN_MODE: &str = plan::MODE;

/// Record fetches in flight at once: a cluster with hundreds of releases is read a few at a
/// time, not all in one burst.
const IN_FLIGHT: usize = 8;

/// A release on one cluster, as marks and pending operations name it.
type Key = (ClusterId, String, String);

fn key_of(r: &Release) -> Key {
    (r.cluster, r.namespace.clone(), r.name.clone())
}

pub fn open(args: &str, _ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let mut s = HelmScreen::default();
    for w in args.split_whitespace() {
        match w.strip_prefix('@') {
            Some("all") => s.contexts = None,
            Some(c) => s
                .contexts
                .get_or_insert_with(Vec::new)
                .extend(c.split(',').filter(|c| !c.is_empty()).map(str::to_string)),
            None => {
                return Err(format!(
                    ":helm {w:?}: use :helm [@CLUSTER,…]; filter with /"
                ));
            }
        }
    }
    Ok(Box::new(s))
}

/// What a newest record says beyond its labels, read once per record.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub summary: Summary,
    /// Tells two releases' user values apart without keeping them.
    pub values: u64,
}

impl Decoded {
    fn of(release: &serde_json::Value) -> Decoded {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        record::user_values(release).to_string().hash(&mut h);
        Decoded {
            summary: Summary::of(release),
            values: h.finish(),
        }
    }
}

/// How a record's status is drawn.
fn status_slot(status: &str) -> &'static str {
    match status {
        "deployed" => "row-ok",
        "failed" => "row-error",
        s if s.starts_with("pending-") || s == "uninstalling" => "row-warn",
        _ => "row-done",
    }
}

/// One line: a release on one cluster, or (folded) on every cluster that has it.
#[derive(Clone, Debug)]
pub struct Line {
    /// Index into `releases` of each cluster's release, in cluster order.
    pub members: Vec<usize>,
}

#[derive(Default)]
pub struct HelmScreen {
    contexts: Option<Vec<String>>,
    releases: Vec<Release>,
    lines: Vec<Line>,
    cursor: usize,
    filter: String,
    fold: bool,
    built: Option<Vec<(ClusterId, u64)>>,
    /// By (cluster, record uid): what its payload says, or why it could not be read.
    decoded: HashMap<(ClusterId, String), Result<Decoded, Unread>>,
    /// Records being read, by (cluster, record uid).
    asked: HashSet<(ClusterId, String)>,
    /// Stuck pending records are older than this (the triage threshold).
    stuck_after: i64,
    /// Clusters whose records cannot be listed, with why (shown above the list).
    missing: Vec<String>,
    marked: HashSet<Key>,
}

impl HelmScreen {
    pub fn releases(&self) -> &[Release] {
        &self.releases
    }

    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    pub fn decoded(&self, r: &Release) -> Option<&Result<Decoded, Unread>> {
        self.decoded.get(&(r.cluster, r.newest().uid.clone()))
    }

    fn selected(&self) -> Option<&Release> {
        let line = self.lines.get(self.cursor)?;
        self.releases.get(*line.members.first()?)
    }

    pub fn marked(&self) -> &HashSet<Key> {
        &self.marked
    }

    /// What an operation applies to: the marked releases, else the line under the cursor
    /// (every cluster's release on a folded line).
    fn chosen(&self) -> Vec<&Release> {
        if !self.marked.is_empty() {
            return self
                .releases
                .iter()
                .filter(|r| self.marked.contains(&key_of(r)))
                .collect();
        }
        self.lines
            .get(self.cursor)
            .map(|l| l.members.iter().map(|&i| &self.releases[i]).collect())
            .unwrap_or_default()
    }

    fn plan(&mut self, op: HelmOp, keys: &[Key], ctx: &mut Ctx) {
        let chosen: Vec<&Release> = self
            .releases
            .iter()
            .filter(|r| keys.contains(&key_of(r)))
            .collect();
        if chosen.is_empty() {
            return ctx.error("no release selected");
        }
        ctx.push(Box::new(PlanScreen::new(op, &chosen)));
        self.marked.clear();
    }

    fn rebuild(&mut self, store: &Store) {
        let key = self
            .selected()
            .map(|r| (r.namespace.clone(), r.name.clone(), r.cluster));
        self.releases = releases::list(store, self.contexts.as_deref());
        let listed: HashSet<Key> = self.releases.iter().map(key_of).collect();
        self.marked.retain(|k| listed.contains(k));
        self.missing = releases::unlisted(store, self.contexts.as_deref());
        let live: HashSet<(ClusterId, &str)> = self
            .releases
            .iter()
            .map(|r| (r.cluster, r.newest().uid.as_str()))
            .collect();
        self.decoded
            .retain(|(c, uid), _| live.contains(&(*c, uid.as_str())));
        self.relines();
        if let Some((ns, name, cluster)) = key {
            let at = self.lines.iter().position(|l| {
                l.members.iter().any(|&i| {
                    let r = &self.releases[i];
                    r.namespace == ns && r.name == name && (self.fold || r.cluster == cluster)
                })
            });
            if let Some(at) = at {
                self.cursor = at;
            }
        }
        self.cursor = self.cursor.min(self.lines.len().saturating_sub(1));
    }

    fn relines(&mut self) {
        let mut lines: Vec<Line> = Vec::new();
        let mut at: HashMap<(&str, &str), usize> = HashMap::new();
        for (i, r) in self.releases.iter().enumerate() {
            if !self.filter.is_empty() {
                let chart = self
                    .decoded(r)
                    .and_then(|d| d.as_ref().ok())
                    .map(|d| d.summary.chart_ref())
                    .unwrap_or_default();
                let text = format!(
                    "{} {} {} {} {chart}",
                    r.context,
                    r.namespace,
                    r.name,
                    r.newest().status
                );
                if !crate::text::has_words(&self.filter, &text) {
                    continue;
                }
            }
            if self.fold {
                if let Some(&l) = at.get(&(r.namespace.as_str(), r.name.as_str())) {
                    lines[l].members.push(i);
                    continue;
                }
                at.insert((r.namespace.as_str(), r.name.as_str()), lines.len());
            }
            lines.push(Line { members: vec![i] });
        }
        self.lines = lines;
    }

    /// Asks for the newest record of releases not decoded yet, a few at a time.
    fn ask(&mut self, ctx: &mut Ctx) {
        let mut wanted = Vec::new();
        for r in &self.releases {
            let key = (r.cluster, r.newest().uid.clone());
            if !self.decoded.contains_key(&key) && !self.asked.contains(&key) {
                wanted.push((key, r.storage(r.newest()).path(), r.driver));
            }
            if wanted.len() + self.asked.len() >= IN_FLIGHT {
                break;
            }
        }
        for (key, path, driver) in wanted {
            self.asked.insert(key.clone());
            ctx.read_releases(
                key.0,
                path,
                driver,
                Deliver::OnStack,
                move |me: &mut Self, r, _: &mut Ctx| me.record_read(key, r),
            );
        }
    }

    fn status_slot(&self, r: &Release, now: i64) -> &'static str {
        if r.stuck(now, self.stuck_after) {
            "row-error"
        } else {
            status_slot(&r.newest().status)
        }
    }

    fn status_text(&self, r: &Release, now: i64) -> String {
        let status = &r.newest().status;
        if r.stuck(now, self.stuck_after) {
            format!("{status} (stuck)")
        } else {
            status.clone()
        }
    }

    fn chart_cells(&self, r: &Release) -> (String, String) {
        match self.decoded(r) {
            Some(Ok(d)) => (d.summary.chart_ref(), d.summary.app_version.clone()),
            Some(Err(e @ Unread::TooLarge)) => (e.to_string(), String::new()),
            Some(Err(_)) => ("<unreadable>".into(), String::new()),
            None => ("…".into(), String::new()),
        }
    }

    fn row(&self, line: &Line, now: i64) -> GridRow {
        let first = &self.releases[line.members[0]];
        let marked = line
            .members
            .iter()
            .any(|&i| self.marked.contains(&key_of(&self.releases[i])));
        let updated = first
            .newest()
            .updated
            .map(|t| crate::human::age(now - t))
            .unwrap_or_default();
        if !self.fold {
            let (chart, app) = self.chart_cells(first);
            return GridRow::new(
                vec![
                    first.context.clone(),
                    first.namespace.clone(),
                    first.name.clone(),
                    first.newest().revision.to_string(),
                    self.status_text(first, now),
                    chart,
                    app,
                    updated,
                ],
                if marked {
                    "row-marked"
                } else {
                    self.status_slot(first, now)
                },
            );
        }
        let members: Vec<&Release> = line.members.iter().map(|&i| &self.releases[i]).collect();
        let per = |f: &dyn Fn(&Release) -> String| {
            members
                .iter()
                .map(|r| format!("{} {}", r.context, f(r)))
                .collect::<Vec<_>>()
                .join(" · ")
        };
        let decoded: Vec<Option<&Decoded>> = members
            .iter()
            .map(|r| self.decoded(r).and_then(|d| d.as_ref().ok()))
            .collect();
        let charts: HashSet<String> = decoded
            .iter()
            .map(|d| d.map(|d| d.summary.chart_ref()).unwrap_or_default())
            .collect();
        let values: HashSet<Option<u64>> = decoded.iter().map(|d| d.map(|d| d.values)).collect();
        let drift = match (charts.len() > 1, values.len() > 1) {
            _ if members.len() == 1 => String::new(),
            _ if decoded.iter().any(Option::is_none) => "…".into(),
            (true, true) => "chart, values".into(),
            (true, false) => "chart".into(),
            (false, true) => "values".into(),
            (false, false) => "none".into(),
        };
        let slot = members
            .iter()
            .map(|r| self.status_slot(r, now))
            .find(|s| *s == "row-error" || *s == "row-warn")
            .unwrap_or("row-ok");
        let slot = if marked { "row-marked" } else { slot };
        GridRow::new(
            vec![
                first.namespace.clone(),
                first.name.clone(),
                per(&|r| self.status_text(r, now)),
                per(&|r| {
                    self.decoded(r)
                        .and_then(|d| d.as_ref().ok())
                        .map(|d| d.summary.chart_version.clone())
                        .unwrap_or_else(|| "…".into())
                }),
                drift,
            ],
            slot,
        )
    }

    /// The newest record of a release, read and decoded (`ask`).
    fn record_read(
        &mut self,
        key: (ClusterId, String),
        result: Result<Vec<crate::helm::record::Unpacked>, ApiError>,
    ) {
        self.asked.remove(&key);
        let decoded = match result.map(|read| read.into_iter().next()) {
            Ok(Some(r)) => r.release.map(|release| Decoded::of(&release)),
            Ok(None) => Err(Unread::Invalid("no record".into())),
            Err(e) => Err(Unread::Invalid(e.to_string())),
        };
        self.decoded.insert(key, decoded);
        if !self.filter.is_empty() {
            self.relines();
        }
    }
}

impl Screen for HelmScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Enter, "history"),
            (Action::Values, "values"),
            (Action::Manifest, "manifest"),
            (Action::Notes, "notes"),
            (Action::Objects, "objects"),
            (Action::Collapse, "by cluster"),
            (Action::Mark, "mark"),
            (Action::Rollback, "roll back"),
            (Action::Delete, "uninstall"),
            (Action::Filter, "filter"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    }

    fn needs(&self, store: &Store, out: &mut Vec<Need>) {
        for s in store.clusters.iter().filter(|s| s.connected) {
            if self
                .contexts
                .as_ref()
                .is_some_and(|c| !c.contains(&s.context))
            {
                continue;
            }
            for res in releases::watched() {
                out.push(Need::Watch { cluster: s.id, res });
            }
        }
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        self.stuck_after = ctx.config.thresholds.secs("helm-pending");
        let versions = releases::versions(ctx.store);
        if self.built.as_ref() != Some(&versions) {
            self.rebuild(ctx.store);
            self.built = Some(versions);
        }
        self.ask(ctx);
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = super::moved(action, self.cursor, self.lines.len()) {
            self.cursor = to;
            return true;
        }
        match action {
            Action::Collapse => {
                self.fold = !self.fold;
                self.relines();
                self.cursor = self.cursor.min(self.lines.len().saturating_sub(1));
            }
            Action::Enter => {
                if let Some(r) = self.selected() {
                    ctx.push(Box::new(HistoryScreen::new(r.clone())));
                }
            }
            Action::Mark => {
                let keys: Vec<Key> = self
                    .lines
                    .get(self.cursor)
                    .map(|l| {
                        l.members
                            .iter()
                            .map(|&i| key_of(&self.releases[i]))
                            .collect()
                    })
                    .unwrap_or_default();
                let all = keys.iter().all(|k| self.marked.contains(k));
                for k in keys {
                    if all {
                        self.marked.remove(&k);
                    } else {
                        self.marked.insert(k);
                    }
                }
                self.cursor = (self.cursor + 1).min(self.lines.len().saturating_sub(1));
            }
            Action::Rollback => {
                let keys: Vec<Key> = self.chosen().into_iter().map(key_of).collect();
                self.plan(HelmOp::Rollback { revision: None }, &keys, ctx);
            }
            Action::Delete => {
                let chosen = self.chosen();
                let title = match chosen.as_slice() {
                    [] => return true,
                    [one] => format!("Uninstall {} on {}", one.name, one.context),
                    many => format!("Uninstall {} releases", many.len()),
                };
                let keys: Vec<Key> = chosen.into_iter().map(key_of).collect();
                ctx.modal(
                    crate::modal::Modal::pick(
                        title,
                        vec![
                            "uninstall and delete the history (helm uninstall)".into(),
                            "uninstall, keep the history (helm uninstall --keep-history)".into(),
                        ],
                    ),
                    move |me: &mut Self, r, ctx: &mut Ctx| {
                        if let crate::modal::ModalResult::Picked(i) = r {
                            let keep_history = i == 1;
                            me.plan(HelmOp::Uninstall { keep_history }, &keys, ctx);
                        }
                    },
                );
            }
            Action::Values
            | Action::AllValues
            | Action::Manifest
            | Action::Notes
            | Action::Hooks
            | Action::Objects => {
                if let Some(r) = self.selected().cloned() {
                    parts::ask::<Self>(&r, r.newest(), action, ctx);
                }
            }
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let clusters: HashSet<ClusterId> = self.releases.iter().map(|r| r.cluster).collect();
        let mut title = vec![Span::styled(
            format!(
                " helm releases [{}] on {} cluster{} ",
                self.lines.len(),
                clusters.len(),
                if clusters.len() == 1 { "" } else { "s" }
            ),
            theme.get("title"),
        )];
        if !self.filter.is_empty() {
            title.push(Span::styled(
                format!("</{}> ", self.filter),
                theme.get("title"),
            ));
        }
        let detail: Vec<String> = self
            .missing
            .iter()
            .take(3)
            .map(|m| format!("no releases from {m}"))
            .collect();
        let height = grid::room(area, detail.len());
        let offset = grid::offset(self.cursor, height);
        let rows = self
            .lines
            .iter()
            .skip(offset)
            .take(height)
            .map(|l| self.row(l, ctx.now))
            .collect();
        let (header, widths) = if self.fold {
            (
                vec!["NAMESPACE", "NAME", "STATUS", "CHART VERSION", "DRIFT"],
                vec![
                    Width::Fit(9, 24),
                    Width::Fit(4, 40),
                    Width::Fit(6, 60),
                    Width::Fit(13, 60),
                    Width::Fill,
                ],
            )
        } else {
            (
                vec![
                    "CLUSTER",
                    "NAMESPACE",
                    "NAME",
                    "REVISION",
                    "STATUS",
                    "CHART",
                    "APP VERSION",
                    "UPDATED",
                ],
                vec![
                    Width::Fit(7, 24),
                    Width::Fit(9, 24),
                    Width::Fit(4, 40),
                    Width::Fit(8, 8),
                    Width::Fit(6, 26),
                    Width::Fit(5, 40),
                    Width::Fit(11, 20),
                    Width::Fill,
                ],
            )
        };
        grid::draw(
            f,
            area,
            theme,
            Grid {
                title,
                header,
                widths,
                rows,
                selected: Some(self.cursor - offset),
                empty: if self.missing.is_empty() {
                    "No Helm releases (no Secret or ConfigMap labelled owner=helm).".into()
                } else {
                    format!("No Helm releases; {}", detail.join("; "))
                },
                detail,
            },
        );
    }

    fn filter(&self) -> Option<&str> {
        Some(&self.filter)
    }

    fn set_filter(&mut self, text: &str, _ctx: &mut Ctx) {
        self.filter = text.to_lowercase();
        self.cursor = 0;
        self.relines();
    }

    /// An opinion only when `@` named clusters: a plain `:helm` keeps the scope it found.
    fn contexts(&self) -> Option<Option<Vec<String>>> {
        self.contexts.clone().map(Some)
    }
}
