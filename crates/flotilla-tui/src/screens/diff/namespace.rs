//! A namespace on two clusters: every kind both list there (but those `drift::compares_kind`
//! leaves out), paired by name; what is only on one side, and how many lines each pair
//! differs by. Enter opens the pair's diff, from the objects as listed.

use super::MODE;
use super::object::{ObjectDiff, Side};
use crate::kinds::drift::{self, Entry, State};
use crate::model::{Action, ApiError, ClusterId, Fetched, ResKey, ResourceInfo};
use crate::screens::{Ctx, Deliver, DrawCtx, Screen};
use crate::text::clean;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use serde_json::Value;

struct Kind {
    res: ResKey,
    kind: String,
    /// As each cluster serves it (the versions may differ).
    infos: [ResourceInfo; 2],
    lists: [Option<Result<Vec<Value>, String>>; 2],
}

pub struct NamespaceDiff {
    ns: String,
    /// (connection, context) of each side.
    sides: [(ClusterId, String); 2],
    kinds: Vec<Kind>,
    /// Whether each side has the namespace at all; `None` until known.
    present: [Option<bool>; 2],
    entries: Vec<Entry>,
    /// Kinds not compared, and why (a list refused, a kind one side does not serve).
    problems: Vec<String>,
    cursor: usize,
    filter: String,
}

/// What a cluster serves: discovery's answer, or the built-in kinds until it comes.
fn served(ctx: &Ctx, id: ClusterId) -> Vec<ResourceInfo> {
    match ctx.store.clusters.get(id) {
        Some(s) if !s.resources.is_empty() => s.resources.clone(),
        _ => ctx.builtin.to_vec(),
    }
}

fn listable(r: &ResourceInfo) -> bool {
    r.namespaced && r.can("list") && drift::compares_kind(&r.key)
}

impl NamespaceDiff {
    pub fn new(ns: &str, sides: [(ClusterId, String); 2], ctx: &Ctx) -> NamespaceDiff {
        let sides = sides.map(|(id, context)| (id, clean(&context)));
        let left = served(ctx, sides[0].0);
        let right = served(ctx, sides[1].0);
        let mut kinds: Vec<Kind> = Vec::new();
        let mut one_sided = Vec::new();
        for l in left.iter().filter(|r| listable(r)) {
            if kinds.iter().any(|k| k.res == l.key) {
                continue;
            }
            match right.iter().find(|r| r.key == l.key && listable(r)) {
                Some(r) => kinds.push(Kind {
                    res: l.key.clone(),
                    kind: l.kind.clone(),
                    infos: [l.clone(), r.clone()],
                    lists: [None, None],
                }),
                None => one_sided.push(format!("{} ({} only)", l.key, sides[0].1)),
            }
        }
        for r in right.iter().filter(|r| listable(r)) {
            if !left.iter().any(|l| l.key == r.key && listable(l)) {
                one_sided.push(format!("{} ({} only)", r.key, sides[1].1));
            }
        }
        let mut problems = Vec::new();
        if !one_sided.is_empty() {
            problems.push(clean(&format!(
                "served by one side, not compared: {}",
                one_sided.join(", ")
            )));
        }
        NamespaceDiff {
            ns: clean(ns),
            sides,
            kinds,
            present: [None, None],
            entries: Vec::new(),
            problems,
            cursor: 0,
            filter: String::new(),
        }
    }

    fn waiting(&self) -> usize {
        let lists = self
            .kinds
            .iter()
            .flat_map(|k| k.lists.iter())
            .filter(|l| l.is_none())
            .count();
        lists + self.present.iter().filter(|p| p.is_none()).count()
    }

    fn names(&self) -> (&str, &str) {
        (&self.sides[0].1, &self.sides[1].1)
    }

    /// Once every list is in: the pairs, drifted first, then what is on one side only.
    fn build(&mut self) {
        let names = (self.sides[0].1.clone(), self.sides[1].1.clone());
        let mut entries = Vec::new();
        for k in &self.kinds {
            match &k.lists {
                [Some(Ok(l)), Some(Ok(r))] => {
                    entries.extend(drift::pair(&k.res, &k.kind, l, r, (&names.0, &names.1)))
                }
                [a, b] => {
                    for (list, name) in [(a, &names.0), (b, &names.1)] {
                        if let Some(Err(e)) = list {
                            self.problems
                                .push(clean(&format!("{}: cannot list on {name}: {e}", k.res)));
                        }
                    }
                }
            }
        }
        let rank = |s: &State| match s {
            State::Drifted(_) => 0,
            State::OnlyLeft => 1,
            State::OnlyRight => 2,
            State::Equal => 3,
        };
        entries.sort_by(|a, b| {
            (rank(&a.state), &a.kind, &a.name).cmp(&(rank(&b.state), &b.kind, &b.name))
        });
        self.entries = entries;
    }

    /// Side `side`'s namespace read: whether it is there.
    fn namespace_read(&mut self, side: usize, result: Result<Fetched, ApiError>) {
        if let Some(p) = self.present.get_mut(side) {
            // Only a 404 says it is not there; any other failure says nothing about it.
            *p = Some(!matches!(&result, Err(e) if e.code == 404));
        }
        self.build_when_done();
    }

    /// Kind `i` listed on side `side`.
    fn listed(&mut self, i: usize, side: usize, result: Result<Fetched, ApiError>) {
        let Some(k) = self.kinds.get_mut(i) else {
            return;
        };
        k.lists[side] = Some(match result {
            Ok(f) => Ok(items(&f.object, &k.infos[side])),
            Err(e) => Err(e.to_string()),
        });
        self.build_when_done();
    }

    fn build_when_done(&mut self) {
        if self.waiting() == 0 {
            self.build();
        }
    }

    fn state_text(&self, s: &State) -> String {
        let (l, r) = self.names();
        match s {
            State::Drifted(1) => "1 changed line".into(),
            State::Drifted(n) => format!("{n} changed lines"),
            State::OnlyLeft => format!("only on {l}"),
            State::OnlyRight => format!("only on {r}"),
            State::Equal => "equal".into(),
        }
    }

    fn shown(&self) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| {
                self.filter.is_empty()
                    || format!("{} {} {}", e.kind, e.name, self.state_text(&e.state))
                        .to_lowercase()
                        .contains(&self.filter)
            })
            .collect()
    }

    fn summary(&self) -> String {
        let waiting = self.waiting();
        if waiting > 0 {
            let total = self.kinds.len() * 2 + 2;
            return format!("listing… {} of {total} answered", total - waiting);
        }
        let count = |f: fn(&State) -> bool| self.entries.iter().filter(|e| f(&e.state)).count();
        let (l, r) = self.names();
        format!(
            "{} drifted, {} only on {l}, {} only on {r}, {} equal",
            count(|s| matches!(s, State::Drifted(_))),
            count(|s| *s == State::OnlyLeft),
            count(|s| *s == State::OnlyRight),
            count(|s| *s == State::Equal),
        )
    }

    /// Lines under the table: a side without the namespace, kinds not compared.
    fn notes(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .sides
            .iter()
            .zip(&self.present)
            .filter(|(_, p)| **p == Some(false))
            .map(|((_, context), _)| format!("namespace {} is not on {context}", self.ns))
            .collect();
        out.extend(self.problems.iter().cloned());
        out.push(
            "left out: events, endpoints, pods, replica sets, leases; objects a controller owns; \
             generated names"
                .into(),
        );
        out
    }

    fn enter(&self, ctx: &mut Ctx) {
        let shown = self.shown();
        let Some(e) = shown.get(self.cursor) else {
            return ctx.error("no object selected");
        };
        let (l, r) = self.names();
        let what = format!("{}/{} in {}", e.kind.to_lowercase(), e.name, self.ns);
        ctx.push(Box::new(ObjectDiff::new(
            &what,
            Side::object(l, e.left.clone()),
            Side::object(r, e.right.clone()),
        )));
    }
}

/// The list's items, with the kind and version each lacks in a list (a Secret is known, and
/// masked, by its kind).
fn items(list: &Value, info: &ResourceInfo) -> Vec<Value> {
    let api_version = if info.key.group.is_empty() {
        info.version.clone()
    } else {
        format!("{}/{}", info.key.group, info.version)
    };
    list.get("items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    let mut item = item.as_object()?.clone();
                    item.insert("apiVersion".into(), Value::String(api_version.clone()));
                    item.insert("kind".into(), Value::String(info.kind.clone()));
                    Some(Value::Object(item))
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Screen for NamespaceDiff {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Enter, "diff"),
            (Action::Filter, "filter"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        let path = format!("/api/v1/namespaces/{}", self.ns);
        for (side, (cluster, _)) in self.sides.iter().enumerate() {
            ctx.fetch(
                *cluster,
                path.clone(),
                None,
                Deliver::OnStack,
                move |me: &mut Self, r, _: &mut Ctx| me.namespace_read(side, r),
            );
        }
        for (i, k) in self.kinds.iter().enumerate() {
            for (side, (cluster, _)) in self.sides.iter().enumerate() {
                let path = k.infos[side].list_path(Some(&self.ns));
                ctx.fetch(
                    *cluster,
                    path,
                    None,
                    Deliver::OnStack,
                    move |me: &mut Self, r, _: &mut Ctx| me.listed(i, side, r),
                );
            }
        }
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        let len = self.shown().len();
        if let Some(to) = crate::screens::moved(action, self.cursor, len) {
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
        let shown = self.shown();
        let (l, r) = self.names();
        let mut title = format!(" diff ns/{}: {l} ↔ {r} [{}] ", self.ns, shown.len());
        if !self.filter.is_empty() {
            title.push_str(&format!("</{}> ", clean(&self.filter)));
        }
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.get("border"))
            .title(Line::styled(title, theme.get("title")));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let notes = self.notes();
        let [head, table, foot] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(notes.len().min(4) as u16),
        ])
        .areas(inner);
        f.render_widget(
            Paragraph::new(Line::styled(self.summary(), theme.get("hint"))),
            head,
        );
        let header =
            Row::new(["KIND", "NAME", "DRIFT"].map(Cell::from)).style(theme.get("table-header"));
        let height = usize::from(table.height.saturating_sub(1)).max(1);
        let offset = (self.cursor + 1).saturating_sub(height);
        let rows = shown
            .iter()
            .enumerate()
            .skip(offset)
            .take(height)
            .map(|(i, e)| {
                let slot = match e.state {
                    State::Drifted(_) => "row-warn",
                    State::OnlyLeft => "diff-remove",
                    State::OnlyRight => "diff-add",
                    State::Equal => "row-done",
                };
                let row = Row::new([
                    Cell::from(e.kind.as_str()),
                    Cell::from(e.name.as_str()),
                    Cell::from(self.state_text(&e.state)).style(theme.get(slot)),
                ]);
                if i == self.cursor {
                    row.style(theme.get("selected"))
                } else {
                    row
                }
            });
        let widths = [
            Constraint::Length(24),
            Constraint::Fill(1),
            Constraint::Length(24),
        ];
        f.render_widget(Table::new(rows, widths).header(header), table);
        let notes: Vec<Line> = notes
            .into_iter()
            .map(|n| Line::styled(n, theme.get("row-done")))
            .collect();
        f.render_widget(Paragraph::new(notes), foot);
    }

    fn filter(&self) -> Option<&str> {
        Some(&self.filter)
    }

    fn set_filter(&mut self, text: &str, _ctx: &mut Ctx) {
        self.filter = text.to_lowercase();
        self.cursor = 0;
    }
}
