//! `:can-i [-n NAMESPACE] [@context…]` — what the current identity may do in a namespace,
//! per cluster side by side (SelfSubjectRulesReview): one row per resource, one column per
//! cluster with the verbs allowed there. The differences between clusters are the point.

use super::{Ctx, DrawCtx, Screen};
use crate::model::{Action, ApiError, ClusterId, Fetched};
use crate::rbac::strings;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub const MODE: &str = "access";

struct Column {
    cluster: ClusterId,
    context: String,
    identity: String,
    /// None while the server has not answered.
    answer: Option<Result<(), String>>,
    /// A partial answer: some authorizers cannot list rules.
    incomplete: bool,
}

pub struct AccessScreen {
    namespace: String,
    columns: Vec<Column>,
    /// "group/resource[/sub] [names]" → verbs per column.
    rules: BTreeMap<String, Vec<BTreeSet<String>>>,
    cursor: usize,
    filter: String,
}

pub fn open(args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let mut namespace = None;
    let mut contexts = Vec::new();
    let mut words = args.split_whitespace();
    while let Some(w) = words.next() {
        if w == "-n" || w == "--namespace" {
            namespace = Some(words.next().ok_or("-n needs a namespace")?.to_string());
        } else if let Some(c) = w.strip_prefix('@') {
            contexts.push(c.to_string());
        } else {
            namespace = Some(w.to_string());
        }
    }
    let columns: Vec<Column> = ctx
        .store
        .clusters
        .iter()
        .filter(|s| contexts.is_empty() || contexts.contains(&s.context))
        .map(|s| Column {
            cluster: s.id,
            context: s.context.clone(),
            identity: s.identity.clone().unwrap_or_else(|| "?".into()),
            answer: None,
            incomplete: false,
        })
        .collect();
    if columns.is_empty() {
        return Err("no live cluster matches; :ctx to add one".into());
    }
    let namespace = namespace
        .or_else(|| ctx.favourites.last().cloned())
        .unwrap_or_else(|| "default".into());
    Ok(Box::new(AccessScreen {
        namespace,
        columns,
        rules: BTreeMap::new(),
        cursor: 0,
        filter: String::new(),
    }))
}

impl AccessScreen {
    fn ask(&self, ctx: &mut Ctx) {
        for (i, c) in self.columns.iter().enumerate() {
            ctx.review(
                c.cluster,
                self.namespace.clone(),
                move |me: &mut Self, r, _: &mut Ctx| me.reviewed(i, r),
            );
        }
    }

    fn add(&mut self, col: usize, status: &Value) {
        let n = self.columns.len();
        for rule in status
            .get("resourceRules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let verbs = strings(rule, "verbs");
            let names = strings(rule, "resourceNames");
            let mut groups = strings(rule, "apiGroups");
            if groups.is_empty() {
                groups.push(String::new());
            }
            for g in &groups {
                for r in strings(rule, "resources") {
                    let mut key = if g.is_empty() { r } else { format!("{r}.{g}") };
                    if !names.is_empty() {
                        key = format!("{key} [{}]", names.join(","));
                    }
                    let entry = self
                        .rules
                        .entry(key)
                        .or_insert_with(|| vec![BTreeSet::new(); n]);
                    entry[col].extend(verbs.iter().cloned());
                }
            }
        }
        for rule in status
            .get("nonResourceRules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let verbs = strings(rule, "verbs");
            for url in strings(rule, "nonResourceURLs") {
                let entry = self
                    .rules
                    .entry(format!("url {url}"))
                    .or_insert_with(|| vec![BTreeSet::new(); n]);
                entry[col].extend(verbs.iter().cloned());
            }
        }
    }

    fn shown(&self) -> Vec<(&String, &Vec<BTreeSet<String>>)> {
        let f = self.filter.to_lowercase();
        self.rules
            .iter()
            .filter(|(k, _)| f.is_empty() || k.to_lowercase().contains(&f))
            .collect()
    }

    fn reviewed(&mut self, col: usize, result: Result<Fetched, ApiError>) {
        let Some(c) = self.columns.get_mut(col) else {
            return;
        };
        match result {
            Ok(f) => {
                let status = f.object.get("status").cloned().unwrap_or(Value::Null);
                c.incomplete = status.get("incomplete") == Some(&Value::Bool(true));
                c.answer = Some(Ok(()));
                self.add(col, &status);
            }
            Err(e) => c.answer = Some(Err(crate::text::clean(&e.message))),
        }
    }
}

fn verbs_text(v: &BTreeSet<String>) -> String {
    if v.contains("*") {
        return "*".into();
    }
    if v.is_empty() {
        return "-".into();
    }
    v.iter().cloned().collect::<Vec<_>>().join(",")
}

impl Screen for AccessScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[(Action::Filter, "filter"), (Action::Back, "back")]
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        self.ask(ctx);
    }

    fn handle(&mut self, action: &Action, _ctx: &mut Ctx) -> bool {
        let n = self.shown().len();
        if let Some(to) = super::moved(action, self.cursor, n) {
            self.cursor = to;
            return true;
        }
        false
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let title = format!(" can-i: namespace {} ", self.namespace);
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Line::from(title).style(theme.get("title")));
        let mut head = vec!["RESOURCE".to_string()];
        for c in &self.columns {
            let state = match &c.answer {
                None => " (asking…)".to_string(),
                Some(Err(e)) => format!(" (error: {e})"),
                Some(Ok(())) if c.incomplete => " (incomplete)".into(),
                Some(Ok(())) => String::new(),
            };
            head.push(format!("{} as {}{state}", c.context, c.identity));
        }
        let shown = self.shown();
        if shown.is_empty() && self.columns.iter().all(|c| c.answer.is_some()) {
            let p = Paragraph::new(format!("{}\nNo rules.", head.join("  │  ")))
                .block(block)
                .style(theme.get("row-done"));
            f.render_widget(p, area);
            return;
        }
        let header = Row::new(head.into_iter().map(Cell::from)).style(theme.get("table-header"));
        let rows = shown.iter().enumerate().map(|(i, (key, verbs))| {
            let mut cells = vec![Cell::from((*key).clone())];
            let texts: Vec<String> = verbs.iter().map(verbs_text).collect();
            // A resource allowed differently across clusters stands out.
            let differs = texts.windows(2).any(|w| w[0] != w[1]);
            cells.extend(texts.into_iter().map(Cell::from));
            let style = if i == self.cursor {
                theme.get("selected")
            } else if differs {
                theme.get("row-warn")
            } else {
                theme.get("row-ok")
            };
            Row::new(cells).style(style)
        });
        let mut widths = vec![Constraint::Min(30)];
        widths.extend(self.columns.iter().map(|_| Constraint::Min(24)));
        f.render_widget(Table::new(rows, widths).header(header).block(block), area);
    }

    fn filter(&self) -> Option<&str> {
        Some(&self.filter)
    }

    fn set_filter(&mut self, text: &str, _ctx: &mut Ctx) {
        self.filter = text.to_string();
        self.cursor = 0;
    }
}
