//! `:access [@CTX,…]`: who can do what, the administrator's side of `:can-i`. One row per
//! subject (user, group, service account) and where its bindings hold (cluster-wide or a
//! namespace), one column per cluster with how much it may do there and through which roles:
//! a row that differs between clusters (drift in who is admin where) stands out. The detail
//! line resolves the selected row's roles to verbs on the common resources. `/` filters by
//! subject, namespace, role or resource; `z` shows the cluster's own (`system:`) subjects.

use super::{Ctx, Deliver, DrawCtx, Screen};
use crate::grid::{self, Grid, GridRow, Width};
use crate::model::{Action, ApiError, ClusterId, Fetched};
use crate::rbac::{self, Grant, Subject};
use crate::text::clean;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use serde_json::Value;
use std::collections::BTreeMap;

pub const MODE: &str = "rbac";

const LISTS: [&str; 4] = [
    "roles",
    "clusterroles",
    "rolebindings",
    "clusterrolebindings",
];

struct Column {
    cluster: ClusterId,
    context: String,
    lists: [Option<Value>; 4],
    error: Option<String>,
    grants: Option<Vec<Grant>>,
}

/// (subject, namespace or cluster-wide).
type Key = (Subject, Option<String>);

/// One row: its grants per column, and the cells and colour they come to.
struct Line {
    key: Key,
    per: Vec<Vec<Grant>>,
    cells: Vec<String>,
    slot: &'static str,
}

impl Line {
    fn new(key: Key, per: Vec<Vec<Grant>>) -> Line {
        let cells: Vec<String> = per.iter().map(|g| cell(g)).collect();
        let differs = cells.windows(2).any(|w| w[0] != w[1]);
        let admin = cells.iter().any(|c| c.starts_with("admin"));
        let slot = match (differs, admin) {
            (true, _) => "row-warn",
            (false, true) => "row-error",
            _ => "row-ok",
        };
        Line {
            key,
            per,
            cells,
            slot,
        }
    }
}

pub struct RbacScreen {
    columns: Vec<Column>,
    rows: Vec<Line>,
    cursor: usize,
    filter: String,
    system: bool,
}

pub fn open(args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let columns = super::targets("access", args, ctx)?
        .into_iter()
        .map(|(cluster, context)| Column {
            cluster,
            context,
            lists: Default::default(),
            error: None,
            grants: None,
        })
        .collect();
    Ok(Box::new(RbacScreen {
        columns,
        rows: Vec::new(),
        cursor: 0,
        filter: String::new(),
        system: false,
    }))
}

/// `admin (cluster-admin)`, `read (pod-viewer, namespace-lister)`, `-` when unbound.
fn cell(grants: &[Grant]) -> String {
    if grants.is_empty() {
        return "-".into();
    }
    let rules: Vec<rbac::Rule> = grants.iter().flat_map(|g| g.rules.clone()).collect();
    let roles: Vec<String> = grants
        .iter()
        .map(|g| {
            let name = g.role.split_once('/').map_or(g.role.as_str(), |(_, n)| n);
            if g.missing_role {
                format!("{name}: missing")
            } else {
                name.to_string()
            }
        })
        .collect();
    let level = rbac::level(&rules).map_or("none", |l| l.name());
    format!("{level} ({})", roles.join(", "))
}

/// The verbs on the common resources, else everything the rules name.
fn effective(grants: &[Grant]) -> String {
    let rules: Vec<rbac::Rule> = grants.iter().flat_map(|g| g.rules.clone()).collect();
    let common: Vec<String> = rbac::COMMON
        .iter()
        .filter_map(|r| {
            let verbs = rbac::verbs_on(&rules, r);
            (!verbs.is_empty())
                .then(|| format!("{r}: {}", verbs.into_iter().collect::<Vec<_>>().join(",")))
        })
        .collect();
    if common.is_empty() {
        rbac::summary(&rules).join(" · ")
    } else {
        common.join(" · ")
    }
}

impl RbacScreen {
    fn rebuild(&mut self) {
        let n = self.columns.len();
        let mut by: BTreeMap<Key, Vec<Vec<Grant>>> = BTreeMap::new();
        for (i, c) in self.columns.iter().enumerate() {
            for g in c.grants.iter().flatten() {
                if g.system && !self.system {
                    continue;
                }
                let key = (g.subject.clone(), g.namespace.clone());
                by.entry(key).or_insert_with(|| vec![Vec::new(); n])[i].push(g.clone());
            }
        }
        let f = &self.filter;
        self.rows = by
            .into_iter()
            .filter(|((s, ns), per)| {
                if f.is_empty() {
                    return true;
                }
                let mut hay = format!(
                    "{} {} {}",
                    s.kind,
                    s.name,
                    ns.as_deref().unwrap_or("cluster-wide")
                );
                for g in per.iter().flatten() {
                    hay.push(' ');
                    hay.push_str(&g.role);
                    hay.push(' ');
                    hay.push_str(&rbac::summary(&g.rules).join(" "));
                }
                hay.to_lowercase().contains(f)
            })
            .map(|(key, per)| Line::new(key, per))
            .collect();
        self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
    }

    /// List `j` of `LISTS` from column `i`'s cluster; the grants once all four are in.
    fn listed(&mut self, i: usize, j: usize, result: Result<Fetched, ApiError>) {
        let Some(c) = self.columns.get_mut(i) else {
            return;
        };
        match result {
            Ok(f) => c.lists[j] = Some(f.object),
            Err(e) => {
                c.error = Some(format!("{}: {}", LISTS[j], clean(&e.message)));
            }
        }
        if let [Some(r), Some(cr), Some(rb), Some(crb)] = &c.lists {
            c.grants = Some(rbac::grants(r, cr, rb, crb));
            self.rebuild();
        }
    }
}

impl Screen for RbacScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Filter, "filter"),
            (Action::Collapse, "system subjects"),
            (Action::Back, "back"),
        ]
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        for (i, c) in self.columns.iter().enumerate() {
            for (j, list) in LISTS.iter().enumerate() {
                let path = format!("/apis/rbac.authorization.k8s.io/v1/{list}");
                ctx.fetch(
                    c.cluster,
                    path,
                    None,
                    Deliver::OnStack,
                    move |me: &mut Self, r, _: &mut Ctx| me.listed(i, j, r),
                );
            }
        }
    }

    fn handle(&mut self, action: &Action, _ctx: &mut Ctx) -> bool {
        if let Some(to) = super::moved(action, self.cursor, self.rows.len()) {
            self.cursor = to;
            return true;
        }
        if *action == Action::Collapse {
            self.system = !self.system;
            self.rebuild();
            return true;
        }
        false
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let mut title = vec![Span::styled(
            format!(" access[{}] ", self.rows.len()),
            theme.get("title"),
        )];
        if self.system {
            title.push(Span::styled("with system subjects ", theme.get("row-done")));
        }
        if !self.filter.is_empty() {
            title.push(Span::styled(
                format!("</{}> ", self.filter),
                theme.get("title"),
            ));
        }
        let waiting: Vec<String> = self
            .columns
            .iter()
            .filter_map(|c| match (&c.error, &c.grants) {
                (Some(e), _) => Some(format!("{}: {e}", c.context)),
                (None, None) => Some(format!("{}: reading…", c.context)),
                _ => None,
            })
            .collect();
        if !waiting.is_empty() {
            title.push(Span::styled(
                format!("{} ", clean(&waiting.join("; "))),
                theme.get("row-warn"),
            ));
        }
        let width = usize::from(area.width.saturating_sub(2)).max(10);
        let detail = self
            .rows
            .get(self.cursor)
            .map(|Line { per, .. }| {
                // Clusters that grant alike share one entry.
                let mut text: Vec<(Vec<&str>, String)> = Vec::new();
                for (c, g) in self.columns.iter().zip(per).filter(|(_, g)| !g.is_empty()) {
                    let via: Vec<String> = g
                        .iter()
                        .map(|g| format!("{} via {}", g.role, g.binding))
                        .collect();
                    let said = format!("{} — {}", via.join(", "), effective(g));
                    match text.iter_mut().find(|(_, t)| *t == said) {
                        Some((names, _)) => names.push(&c.context),
                        None => text.push((vec![&c.context], said)),
                    }
                }
                let text: Vec<String> = text
                    .into_iter()
                    .map(|(names, t)| format!("{}: {t}", names.join(", ")))
                    .collect();
                grid::wrap(&clean(&text.join("  │  ")), width, 4)
            })
            .unwrap_or_default();
        let height = grid::room(area, detail.len());
        let offset = grid::offset(self.cursor, height);
        let rows = self
            .rows
            .iter()
            .skip(offset)
            .take(height)
            .map(|l| {
                let (s, ns) = &l.key;
                let mut row = vec![
                    s.kind.clone(),
                    s.name.clone(),
                    ns.clone().unwrap_or_else(|| "cluster-wide".into()),
                ];
                row.extend(l.cells.iter().cloned());
                GridRow::new(row, l.slot)
            })
            .collect();
        let mut header = vec!["KIND", "SUBJECT", "WHERE"];
        header.extend(self.columns.iter().map(|c| c.context.as_str()));
        let mut widths = vec![Width::Fit(4, 14), Width::Fit(7, 50), Width::Fit(5, 24)];
        widths.extend(self.columns.iter().map(|_| Width::Fit(5, 40)));
        grid::draw(
            f,
            area,
            theme,
            Grid {
                title,
                header,
                widths,
                rows,
                selected: Some(self.cursor.saturating_sub(offset)),
                empty: if self
                    .columns
                    .iter()
                    .any(|c| c.grants.is_none() && c.error.is_none())
                {
                    "Reading roles and bindings…".into()
                } else {
                    "No binding matches.".into()
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
        self.rebuild();
    }
}
