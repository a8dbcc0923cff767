//! `:fleet`, the start screen when more than one cluster is live: one row per cluster with
//! its state, API latency, version, nodes, pods, unavailable workloads, recent Warning
//! events and capacity, and a totals row. Enter opens that cluster's pods; every `:` view
//! from there stays on that cluster, and Esc comes back here.

use super::table::TableScreen;
use super::{Ctx, DrawCtx, Need, Screen};
use crate::grid::{self, Grid, GridRow, Width};
use crate::human::cores;
use crate::model::{Action, ClusterId, Health, ResKey};
use crate::store::{SheetState, Store};
use crate::triage::census::{self, Census, Counts};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

pub const MODE: &str = "fleet";

/// The widest the CLUSTER column gets; longer names are shortened apart (`human::apart`).
const CLUSTER_WIDTH: u16 = 24;

pub fn open(args: &str, _ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    if !args.is_empty() {
        return Err(format!(
            ":fleet takes no arguments (got {args:?}); filter with /"
        ));
    }
    Ok(Box::new(FleetScreen::default()))
}

#[derive(Default)]
pub struct FleetScreen {
    census: Census,
    /// The clusters listed (filtered), in header order; the totals row follows.
    rows: Vec<ClusterId>,
    cursor: usize,
    filter: String,
}

fn bytes(n: i64) -> String {
    const GI: f64 = (1u64 << 30) as f64;
    if n <= 0 {
        return "-".into();
    }
    let gi = n as f64 / GI;
    if gi >= 1024.0 {
        format!("{:.1}Ti", gi / 1024.0)
    } else {
        format!("{gi:.0}Gi")
    }
}

/// `used/allocatable`, or the allocatable alone when usage is unknown.
fn used_of(used: Option<i64>, alloc: String, show: impl Fn(i64) -> String) -> String {
    match used {
        Some(u) => format!("{}/{alloc}", show(u)),
        None => alloc,
    }
}

/// Which of the lists the counts come from have arrived: a count from a list still syncing
/// reads `…`, not a zero that looks like an empty cluster.
#[derive(Clone, Copy)]
struct Listed {
    nodes: bool,
    pods: bool,
    workloads: bool,
    events: bool,
}

impl Listed {
    const ALL: Listed = Listed {
        nodes: true,
        pods: true,
        workloads: true,
        events: true,
    };

    fn of(store: &Store, id: ClusterId) -> Listed {
        let listed = |group: &str, resource: &str| {
            store
                .sheet(id, &ResKey::new(group, resource))
                .is_some_and(|s| s.state != SheetState::Syncing)
        };
        Listed {
            nodes: listed("", "nodes"),
            pods: listed("", "pods"),
            workloads: listed("apps", "deployments")
                && listed("apps", "statefulsets")
                && listed("apps", "daemonsets"),
            events: listed("", "events"),
        }
    }

    fn all(self) -> bool {
        self.nodes && self.pods && self.workloads && self.events
    }

    fn and(self, o: Listed) -> Listed {
        Listed {
            nodes: self.nodes && o.nodes,
            pods: self.pods && o.pods,
            workloads: self.workloads && o.workloads,
            events: self.events && o.events,
        }
    }
}

/// The cells after CLUSTER, STATE, LATENCY and VERSION; `used` is the nodes' CPU and memory
/// in use when metrics.k8s.io answers.
fn count_cells(c: &Counts, used: Option<(i64, i64)>, listed: Listed) -> Vec<String> {
    let known = |yes: bool, text: String| if yes { text } else { "…".into() };
    let pods = |n: i64| known(listed.pods, n.to_string());
    vec![
        known(listed.nodes, format!("{}/{}", c.nodes_ready, c.nodes)),
        pods(c.pods),
        pods(c.running),
        pods(c.pending),
        pods(c.failed),
        pods(c.crashloop),
        known(listed.workloads, c.unavailable.to_string()),
        known(listed.events, c.warnings.to_string()),
        known(
            listed.nodes,
            used_of(used.map(|u| u.0), cores(c.cpu_milli), cores),
        ),
        known(
            listed.nodes,
            used_of(used.map(|u| u.1), bytes(c.memory), |b| {
                bytes(b).trim_end_matches("Gi").to_string()
            }),
        ),
    ]
}

impl FleetScreen {
    pub fn counts(&self, id: ClusterId) -> Option<&Counts> {
        self.census.counts(id)
    }

    fn enter(&self, ctx: &mut Ctx) {
        let pods = ResKey::core("pods");
        let mut view = TableScreen::of(pods, ctx);
        if let Some(slot) = self
            .rows
            .get(self.cursor)
            .and_then(|id| ctx.store.clusters.get(*id))
        {
            view.contexts = Some(vec![slot.context.clone()]);
        }
        ctx.push(Box::new(view));
    }
}

impl Screen for FleetScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Enter, "open cluster"),
            (Action::Command, "cmd"),
            (Action::Contexts, "contexts"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ]
    }

    fn home(&self) -> bool {
        true
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        self.census
            .refresh(ctx.store, &ctx.config.thresholds, ctx.now);
        self.rows = ctx
            .store
            .clusters
            .iter()
            .filter(|s| self.filter.is_empty() || s.context.to_lowercase().contains(&self.filter))
            .map(|s| s.id)
            .collect();
        // The totals row is the last one.
        self.cursor = self.cursor.min(self.rows.len());
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = super::moved(action, self.cursor, self.rows.len() + 1) {
            self.cursor = to;
            return true;
        }
        match action {
            Action::Enter => self.enter(ctx),
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let mut title = vec![Span::styled(
            format!(" fleet[{}] ", self.rows.len()),
            theme.get("title"),
        )];
        if !self.filter.is_empty() {
            title.push(Span::styled(
                format!("</{}> ", self.filter),
                theme.get("title"),
            ));
        }
        let mut total = Counts::default();
        let mut total_used: Option<(i64, i64)> = None;
        let mut total_listed = Listed::ALL;
        let mut rows: Vec<GridRow> = Vec::new();
        // Fifty contexts that differ only in the middle stay told apart in the column.
        let slots: Vec<_> = self
            .rows
            .iter()
            .filter_map(|id| Some((id, ctx.store.clusters.get(*id)?)))
            .collect();
        let contexts: Vec<&str> = slots.iter().map(|(_, s)| s.context.as_str()).collect();
        let names = crate::human::apart(&contexts, usize::from(CLUSTER_WIDTH));
        for ((id, slot), name) in slots.into_iter().zip(names) {
            let health = ctx.store.health(*id);
            let (mark, badge) = health.badge();
            let stale = ctx.store.stale_since(*id, None);
            let listed = Listed::of(ctx.store, *id);
            total_listed = total_listed.and(listed);
            // Connected but not every list in: "ok" with zero counts would be a lie.
            let syncing = health == Health::Ok && !listed.all();
            let (mark, badge) = if syncing {
                Health::Connecting.badge()
            } else {
                (mark, badge)
            };
            // A cluster known through an index is never live: its rows are as old as its list.
            let as_of = ctx.store.as_of(*id).filter(|_| health == Health::Ok);
            let state = match (&stale, syncing, as_of) {
                (Some(t), _, _) => format!("{mark} {}", crate::human::stale_for(*t)),
                (None, true, _) => format!("{mark} syncing"),
                (None, false, Some(at)) => format!("{mark} {}", crate::human::as_of(at)),
                (None, false, None) => format!("{mark} {}", health.label()),
            };
            let latency = slot
                .latencies
                .back()
                .map(|d| format!("{}ms", d.as_millis()))
                .unwrap_or_else(|| "-".into());
            let trend_ms: Vec<i64> = slot
                .latencies
                .iter()
                .map(|d| d.as_millis() as i64)
                .collect();
            let counts = self.census.counts(*id).cloned().unwrap_or_default();
            total.add(&counts);
            let used = match &slot.usage {
                Some(Ok(u)) => {
                    let sum = u.nodes_total();
                    total_used = Some(total_used.map_or(sum, |(a, b)| (a + sum.0, b + sum.1)));
                    Some(sum)
                }
                _ => None,
            };
            let cpu_trend: Vec<i64> = slot.usage_history.iter().map(|u| u.0).collect();
            let mut cells = vec![
                name,
                state,
                format!("{latency} {}", census::sparkline(&trend_ms, 8)),
                slot.version.clone().unwrap_or_else(|| "-".into()),
            ];
            cells.extend(count_cells(&counts, used, listed));
            cells.push(match &slot.usage {
                Some(Ok(_)) => census::sparkline(&cpu_trend, 8),
                Some(Err(_)) => "n/a".into(),
                None => String::new(),
            });
            cells.push(census::sparkline(&self.census.trend(*id), 12));
            let slot_name = if stale.is_some() || syncing {
                "row-stale"
            } else if counts.failed + counts.crashloop > 0 || counts.nodes_ready < counts.nodes {
                "row-error"
            } else if counts.pending + counts.unavailable > 0 {
                "row-warn"
            } else {
                "row-ok"
            };
            let mut row = GridRow::new(cells, slot_name);
            row.cell_slots.push((1, badge));
            rows.push(row);
        }
        let mut cells = vec![
            "TOTAL".to_string(),
            format!("{} clusters", rows.len()),
            String::new(),
            String::new(),
        ];
        cells.extend(count_cells(&total, total_used, total_listed));
        cells.push(String::new());
        cells.push(String::new());
        rows.push(GridRow::new(cells, "table-header"));
        let height = grid::room(area, 0);
        let offset = grid::offset(self.cursor, height);
        let rows: Vec<GridRow> = rows.into_iter().skip(offset).take(height).collect();
        let fit = |n: u16| Width::Fit(n, n + 6);
        grid::draw(
            f,
            area,
            theme,
            Grid {
                title,
                header: vec![
                    "CLUSTER",
                    "STATE",
                    "LATENCY",
                    "VERSION",
                    "NODES",
                    "PODS",
                    "RUN",
                    "PEND",
                    "FAIL",
                    "CRASH",
                    "UNAVAIL",
                    "WARN15M",
                    "CPU",
                    "MEM",
                    "CPU USE",
                    "UNHEALTHY 10M",
                ],
                widths: vec![
                    Width::Key(7, CLUSTER_WIDTH),
                    Width::Key(5, 24),
                    Width::Fit(7, 16),
                    Width::Fit(7, 12),
                    fit(5),
                    fit(4),
                    fit(3),
                    fit(4),
                    fit(4),
                    fit(5),
                    fit(7),
                    fit(7),
                    fit(3),
                    fit(3),
                    Width::Fit(7, 8),
                    Width::Fill,
                ],
                rows,
                selected: Some(self.cursor - offset),
                empty: "No live cluster: :ctx picks some.".into(),
                detail: Vec::new(),
            },
        );
    }

    fn needs(&self, store: &Store, out: &mut Vec<Need>) {
        for s in store.clusters.iter().filter(|s| s.connected) {
            for res in census::watched() {
                out.push(Need::Watch { cluster: s.id, res });
            }
        }
    }

    fn filter(&self) -> Option<&str> {
        Some(&self.filter)
    }

    fn set_filter(&mut self, text: &str, _ctx: &mut Ctx) {
        self.filter = text.to_lowercase();
        self.cursor = 0;
    }
}
