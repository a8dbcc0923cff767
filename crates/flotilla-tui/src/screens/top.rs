//! `:top` (pods) and `:top nodes`: what uses the most CPU (`:top mem`: memory) across every
//! live cluster, from metrics.k8s.io, as kubectl top shows it per cluster. Clusters without
//! metrics-server are named with the reason, once, above the list.

use super::table::TableScreen;
use super::{Ctx, DrawCtx, Screen};
use crate::grid::{self, Grid, GridRow, Width};
use crate::model::{Action, ClusterId, ResKey};
use crate::store::Store;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

pub const MODE: &str = "top";

pub fn open(args: &str, _ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let mut s = TopScreen::default();
    for w in args.split_whitespace() {
        match w {
            "nodes" | "node" | "no" => s.nodes = true,
            "pods" | "pod" | "po" => s.nodes = false,
            "mem" | "memory" => s.by_memory = true,
            "cpu" => s.by_memory = false,
            other => {
                return Err(format!(":top {other:?}: use :top [pods|nodes] [cpu|mem]"));
            }
        }
    }
    Ok(Box::new(s))
}

#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub cluster: ClusterId,
    pub context: String,
    pub namespace: String,
    pub name: String,
    pub cpu: i64,
    pub memory: i64,
}

#[derive(Default)]
pub struct TopScreen {
    nodes: bool,
    by_memory: bool,
    lines: Vec<Line>,
    /// Clusters without usage, with why.
    missing: Vec<String>,
    cursor: usize,
    filter: String,
}

impl TopScreen {
    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    fn rebuild(&mut self, store: &Store) {
        let mut lines = Vec::new();
        self.missing.clear();
        for slot in store.clusters.iter() {
            match &slot.usage {
                Some(Ok(u)) => {
                    if self.nodes {
                        lines.extend(u.nodes.iter().map(|(n, (c, m))| Line {
                            cluster: slot.id,
                            context: slot.context.clone(),
                            namespace: String::new(),
                            name: n.clone(),
                            cpu: *c,
                            memory: *m,
                        }));
                    } else {
                        lines.extend(u.pods.iter().map(|((ns, n), (c, m))| Line {
                            cluster: slot.id,
                            context: slot.context.clone(),
                            namespace: ns.clone(),
                            name: n.clone(),
                            cpu: *c,
                            memory: *m,
                        }));
                    }
                }
                Some(Err(why)) => self.missing.push(format!("{}: {why}", slot.context)),
                None => self
                    .missing
                    .push(format!("{}: waiting for metrics", slot.context)),
            }
        }
        if !self.filter.is_empty() {
            lines.retain(|l: &Line| {
                let text = format!("{} {} {}", l.context, l.namespace, l.name);
                crate::text::has_words(&self.filter, &text)
            });
        }
        let by_memory = self.by_memory;
        lines.sort_by(|a, b| {
            let (x, y) = if by_memory {
                (a.memory, b.memory)
            } else {
                (a.cpu, b.cpu)
            };
            y.cmp(&x).then_with(|| {
                (&a.context, &a.namespace, &a.name).cmp(&(&b.context, &b.namespace, &b.name))
            })
        });
        self.lines = lines;
        self.cursor = self.cursor.min(self.lines.len().saturating_sub(1));
    }
}

impl Screen for TopScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Enter, "go to object"),
            (Action::Filter, "filter"),
            (Action::Collapse, "pods/nodes"),
            (Action::SortStatus, "cpu/mem"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        self.rebuild(ctx.store);
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = super::moved(action, self.cursor, self.lines.len()) {
            self.cursor = to;
            return true;
        }
        match action {
            Action::Collapse => {
                self.nodes = !self.nodes;
                self.cursor = 0;
            }
            Action::SortStatus => self.by_memory = !self.by_memory,
            Action::Enter => {
                let Some(l) = self.lines.get(self.cursor) else {
                    return true;
                };
                let res = ResKey::core(if self.nodes { "nodes" } else { "pods" });
                let view = TableScreen::at_object(res, ctx, l.cluster, &l.namespace, &l.name, None);
                ctx.push(Box::new(view));
            }
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let what = if self.nodes { "nodes" } else { "pods" };
        let by = if self.by_memory { "memory" } else { "cpu" };
        let mut title = vec![Span::styled(
            format!(" top {what} by {by} [{}] ", self.lines.len()),
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
            .map(|m| format!("no usage from {m}"))
            .take(3)
            .collect();
        let height = grid::room(area, detail.len());
        let offset = grid::offset(self.cursor, height);
        let rows = self
            .lines
            .iter()
            .skip(offset)
            .take(height)
            .map(|l| {
                GridRow::new(
                    vec![
                        l.context.clone(),
                        l.namespace.clone(),
                        l.name.clone(),
                        crate::human::millicores(l.cpu),
                        crate::human::mebibytes(l.memory),
                    ],
                    "row-ok",
                )
            })
            .collect();
        grid::draw(
            f,
            area,
            theme,
            Grid {
                title,
                header: vec![
                    "CLUSTER",
                    "NAMESPACE",
                    "NAME",
                    "CPU(cores)",
                    "MEMORY(bytes)",
                ],
                widths: vec![
                    Width::Fit(7, 24),
                    Width::Fit(9, 24),
                    Width::Fit(4, 60),
                    Width::Fit(10, 12),
                    Width::Fill,
                ],
                rows,
                selected: Some(self.cursor - offset),
                empty: if self.missing.is_empty() {
                    "No usage reported yet.".into()
                } else {
                    format!("No usage: {}", self.missing.join("; "))
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
    }
}
