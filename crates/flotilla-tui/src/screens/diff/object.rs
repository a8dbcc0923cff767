//! One object on two clusters: its cleaned YAML side by side (wide terminals) or as a unified
//! diff, removed lines in the theme's `diff-remove`, added in `diff-add`. Two texts already at
//! hand (a Helm release's revisions) are compared the same way.

use super::MODE;
use crate::kinds::drift::{self, Drift, Row};
use crate::model::{Action, ApiError, ClusterId, Fetched};
use crate::screens::{Ctx, Deliver, DrawCtx, Screen};
use crate::text::clean;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use serde_json::Value;

/// Side by side from this terminal width on; unified below.
pub const SIDE_BY_SIDE: u16 = 120;

enum Load {
    Waiting,
    Found(Value),
    /// Lines compared as they are (already cleaned).
    Lines(Vec<String>),
    Missing,
    Failed(String),
}

/// One cluster's side of the comparison.
pub struct Side {
    context: String,
    /// Where it is read, when it is not at hand: the cluster, the path, and the uid it must
    /// still have (a marked object: another of that name in its place is not the one marked).
    source: Option<(ClusterId, String, Option<String>)>,
    load: Load,
}

impl Side {
    /// An object already at hand (`None`: that cluster has none).
    pub fn object(context: &str, obj: Option<Value>) -> Side {
        Side {
            context: clean(context),
            source: None,
            load: obj.map_or(Load::Missing, Load::Found),
        }
    }

    /// An object read from `path` on `cluster` when the screen opens.
    pub fn fetch(context: &str, cluster: ClusterId, path: String, uid: Option<String>) -> Side {
        Side {
            context: clean(context),
            source: Some((cluster, path, uid)),
            load: Load::Waiting,
        }
    }

    /// Text compared line by line, as it is; `name` labels the side.
    pub fn lines(name: &str, lines: Vec<String>) -> Side {
        Side {
            context: clean(name),
            source: None,
            load: Load::Lines(lines),
        }
    }

    /// A side that cannot be read, and why.
    pub fn failed(context: &str, why: String) -> Side {
        Side {
            context: clean(context),
            source: None,
            load: Load::Failed(clean(&why)),
        }
    }

    fn found(&self) -> Option<&Value> {
        match &self.load {
            Load::Found(v) => Some(v),
            _ => None,
        }
    }
}

pub struct ObjectDiff {
    /// `deployment/web in shop`
    what: String,
    sides: [Side; 2],
    drift: Drift,
    unified: Vec<String>,
    /// The left object as compared, shown when nothing differs.
    same: Vec<String>,
    scroll: usize,
}

impl ObjectDiff {
    pub fn new(what: &str, left: Side, right: Side) -> ObjectDiff {
        let mut d = ObjectDiff {
            what: clean(what),
            sides: [left, right],
            drift: Drift::default(),
            unified: Vec::new(),
            same: Vec::new(),
            scroll: 0,
        };
        d.compute();
        d
    }

    fn names(&self) -> (&str, &str) {
        (&self.sides[0].context, &self.sides[1].context)
    }

    fn compute(&mut self) {
        let settled = self
            .sides
            .iter()
            .all(|s| matches!(s.load, Load::Found(_) | Load::Missing | Load::Lines(_)));
        if !settled {
            return;
        }
        let (l, r) = match (&self.sides[0].load, &self.sides[1].load) {
            (Load::Lines(l), Load::Lines(r)) => (l.clone(), r.clone()),
            _ => drift::compared_lines(self.sides[0].found(), self.sides[1].found(), self.names()),
        };
        self.drift = drift::drift(&l, &r);
        self.unified = drift::unified(&self.drift.rows);
        self.same = l.into_iter().map(|l| format!("  {l}")).collect();
    }

    /// The line above the diff, and its style slot.
    fn status(&self) -> (String, &'static str) {
        let (l, r) = self.names();
        let failed: Vec<String> = self
            .sides
            .iter()
            .filter_map(|s| match &s.load {
                Load::Failed(e) => Some(format!("{}: {e}", s.context)),
                _ => None,
            })
            .collect();
        if !failed.is_empty() {
            return (failed.join("; "), "flash-error");
        }
        let what = &self.what;
        let cleaned = if matches!(self.sides[0].load, Load::Lines(_)) {
            ""
        } else {
            " (per-cluster fields left out)"
        };
        match (&self.sides[0].load, &self.sides[1].load) {
            (Load::Waiting, _) | (_, Load::Waiting) => {
                (format!("reading {what} on {l} and {r}…"), "hint")
            }
            (Load::Missing, Load::Missing) => {
                (format!("{what} is on neither {l} nor {r}"), "flash-error")
            }
            (Load::Missing, _) => (format!("only on {r}: {l} has no {what}"), "diff-add"),
            (_, Load::Missing) => (format!("only on {l}: {r} has no {what}"), "diff-remove"),
            _ if self.drift.changed == 0 => (
                format!("no drift: the same on {l} and {r}{cleaned}"),
                "row-ok",
            ),
            _ => (
                format!(
                    "{} changed lines between {l} and {r}{cleaned}",
                    self.drift.changed
                ),
                "row-warn",
            ),
        }
    }

    fn lines(&self) -> usize {
        self.unified
            .len()
            .max(self.drift.rows.len())
            .max(self.same.len())
    }

    /// Side `i` read: what it holds, and the comparison once both are in.
    fn fetched(&mut self, i: usize, result: Result<Fetched, ApiError>) {
        let Some(side) = self.sides.get_mut(i) else {
            return;
        };
        let uid = side.source.as_ref().and_then(|(_, _, uid)| uid.as_deref());
        side.load = match result {
            Ok(f) => {
                let found = f.object.pointer("/metadata/uid").and_then(Value::as_str);
                match uid {
                    Some(want) if found != Some(want) => Load::Failed(
                        "the marked object is gone (another of that name took its place)".into(),
                    ),
                    _ => Load::Found(f.object),
                }
            }
            Err(e) if e.code == 404 && uid.is_some() => {
                Load::Failed("the marked object no longer exists".into())
            }
            Err(e) if e.code == 404 => Load::Missing,
            Err(e) => Load::Failed(clean(&e.to_string())),
        };
        self.compute();
    }

    /// The diff as text, for the clipboard.
    fn text(&self) -> String {
        let (l, r) = self.names();
        let mut out = format!("--- {l} {}\n+++ {r} {}\n", self.what, self.what);
        for line in &self.unified {
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

fn slot_of(line: &str) -> &'static str {
    if line.starts_with("+ ") {
        "diff-add"
    } else if line.starts_with("- ") {
        "diff-remove"
    } else if line.starts_with("@@") {
        "hint"
    } else {
        "base"
    }
}

impl Screen for ObjectDiff {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Copy, "copy"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        for (i, s) in self.sides.iter().enumerate() {
            if let (Some((cluster, path, _)), Load::Waiting) = (&s.source, &s.load) {
                ctx.fetch(
                    *cluster,
                    path.clone(),
                    None,
                    Deliver::OnStack,
                    move |me: &mut Self, r, _: &mut Ctx| me.fetched(i, r),
                );
            }
        }
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = crate::screens::moved(action, self.scroll, self.lines()) {
            self.scroll = to;
            return true;
        }
        match action {
            Action::Copy if self.unified.is_empty() => ctx.info("nothing differs: nothing copied"),
            Action::Copy => ctx.copy(self.text()),
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let (l, r) = self.names();
        let title = format!(" diff {}: {l} ↔ {r} ", self.what);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.get("border"))
            .title(Line::styled(title, theme.get("title")));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let [head, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        let (status, slot) = self.status();
        f.render_widget(Paragraph::new(Line::styled(status, theme.get(slot))), head);
        if self.drift.rows.is_empty() {
            let lines = self
                .same
                .iter()
                .map(|l| Line::styled(l.as_str(), theme.get("base")));
            let top = self
                .scroll
                .min(self.same.len().saturating_sub(body.height.into()));
            f.render_widget(Paragraph::new(lines.skip(top).collect::<Vec<_>>()), body);
        } else if area.width >= SIDE_BY_SIDE {
            self.draw_side_by_side(f, body, ctx);
        } else {
            let height = usize::from(body.height);
            let top = self.scroll.min(self.unified.len().saturating_sub(height));
            let lines: Vec<Line> = self
                .unified
                .iter()
                .skip(top)
                .take(height)
                .map(|l| Line::styled(l.as_str(), theme.get(slot_of(l))))
                .collect();
            f.render_widget(Paragraph::new(lines), body);
        }
    }
}

impl ObjectDiff {
    fn draw_side_by_side(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let [head, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        let columns = [
            Constraint::Fill(1),
            Constraint::Length(1),
            Constraint::Fill(1),
        ];
        let [lh, sh, rh] = Layout::horizontal(columns).areas(head);
        let [left, sep, right] = Layout::horizontal(columns).areas(body);
        let (l, r) = self.names();
        f.render_widget(
            Paragraph::new(Line::styled(l, theme.get("table-header"))),
            lh,
        );
        f.render_widget(Paragraph::new(Line::styled("│", theme.get("border"))), sh);
        f.render_widget(
            Paragraph::new(Line::styled(r, theme.get("table-header"))),
            rh,
        );

        let height = usize::from(body.height);
        let rows = &self.drift.rows;
        let top = self.scroll.min(rows.len().saturating_sub(height));
        let style = |slot: &str| theme.get(slot);
        let cell = |text: Option<String>, slot: &str| -> Line {
            Line::from(Span::styled(text.unwrap_or_default(), style(slot)))
        };
        let mut lefts = Vec::new();
        let mut rights = Vec::new();
        for row in rows.iter().skip(top).take(height) {
            let (a, b) = match row {
                Row::Hunk { left, right } => (
                    cell(Some(format!("@@ line {left}")), "hint"),
                    cell(Some(format!("@@ line {right}")), "hint"),
                ),
                Row::Same(s) => (
                    cell(Some(format!("  {s}")), "base"),
                    cell(Some(format!("  {s}")), "base"),
                ),
                Row::Changed { left, right } => (
                    cell(left.as_ref().map(|s| format!("- {s}")), "diff-remove"),
                    cell(right.as_ref().map(|s| format!("+ {s}")), "diff-add"),
                ),
            };
            lefts.push(a);
            rights.push(b);
        }
        let bar: Vec<Line> = (0..height)
            .map(|_| Line::styled("│", style("border")))
            .collect();
        f.render_widget(Paragraph::new(lefts), left);
        f.render_widget(Paragraph::new(bar), sep);
        f.render_widget(Paragraph::new(rights), right);
    }
}
