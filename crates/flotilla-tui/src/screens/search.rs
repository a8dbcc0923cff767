//! `:search` — one query across every cluster a Clusterpedia index knows (name, kind,
//! namespace, cluster, labels, owner), answered by the index from its database rather than by
//! each cluster. Enter describes the object found, `y` shows its YAML, on the cluster it is in.

use super::text::{TextKind, TextScreen};
use super::{Ctx, DrawCtx, Screen};
use crate::model::{Action, ApiError, Fetched, ObjectRef, ResKey};
use crate::search::{self, Found, Query};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

pub const MODE: &str = "search";

pub struct SearchScreen {
    typed: String,
    query: Query,
    /// The requests to make of each index, sent at the first refresh (once on the stack,
    /// where the answers find the screen).
    asks: Vec<(String, String)>,
    /// Indexes not answered yet.
    waiting: usize,
    found: Vec<Found>,
    /// Why an index did not answer, per index.
    failed: Vec<String>,
    cursor: usize,
    filter: String,
}

pub fn open(args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let query = search::parse(args)?;
    let hubs: Vec<String> = ctx
        .config
        .settings
        .sources
        .iter()
        .map(|s| s.context.clone())
        .collect();
    if hubs.is_empty() {
        return Err(
            ":search asks a Clusterpedia index: start with --clusterpedia CONTEXT or add [[sources]] to config.toml"
                .into(),
        );
    }
    let mut asks = Vec::new();
    for hub in hubs {
        // What the index serves: the kinds each of its clusters discovered.
        let served: Vec<_> = ctx
            .store
            .clusters
            .iter()
            .filter(|s| s.via.as_deref() == Some(hub.as_str()))
            .flat_map(|s| s.resources.iter())
            .collect();
        // Until the index's clusters have answered discovery, the kinds flotilla knows.
        let served = if served.is_empty() {
            ctx.builtin.iter().collect()
        } else {
            served
        };
        let kinds = search::kinds(&query, &served).map_err(|e| format!("index {hub}: {e}"))?;
        let mut uniq: Vec<_> = Vec::new();
        for k in kinds {
            if !uniq
                .iter()
                .any(|u: &&crate::model::ResourceInfo| u.key == k.key)
            {
                uniq.push(k);
            }
        }
        asks.push((hub, search::path(&query, &uniq)));
    }
    Ok(Box::new(SearchScreen {
        typed: args.trim().to_string(),
        query,
        waiting: asks.len(),
        asks,
        found: Vec::new(),
        failed: Vec::new(),
        cursor: 0,
        filter: String::new(),
    }))
}

impl SearchScreen {
    fn answered(&mut self, hub: &str, r: Result<Fetched, ApiError>, ctx: &mut Ctx) {
        self.waiting = self.waiting.saturating_sub(1);
        match r {
            Ok(f) => {
                let found = search::found(&f.object, &self.query);
                if found.len() >= search::LIMIT {
                    ctx.info(format!(
                        "index {hub}: the first {} found; narrow the search",
                        search::LIMIT
                    ));
                }
                self.found.extend(found);
            }
            Err(e) => self.failed.push(format!("index {hub}: {}", e.message)),
        }
    }

    fn shown(&self) -> Vec<&Found> {
        let f = self.filter.to_lowercase();
        self.found
            .iter()
            .filter(|x| {
                f.is_empty()
                    || format!("{} {} {} {}", x.cluster, x.kind, x.namespace, x.name)
                        .to_lowercase()
                        .contains(&f)
            })
            .collect()
    }

    /// The object found, on the cluster it is in (which must be in the fleet).
    fn object(&self, ctx: &Ctx) -> Result<ObjectRef, String> {
        let shown = self.shown();
        let found = shown.get(self.cursor).ok_or("nothing selected")?;
        let slot = ctx
            .store
            .clusters
            .by_context(&found.cluster)
            .ok_or_else(|| format!("{} is not in the fleet", found.cluster))?;
        let (group, version) = match found.api_version.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), found.api_version.clone()),
        };
        let info = slot
            .resources
            .iter()
            .chain(ctx.builtin.iter())
            .find(|r| r.key.group == group && r.kind == found.kind)
            .ok_or_else(|| format!("{} serves no kind {}", found.cluster, found.kind))?;
        Ok(ObjectRef {
            context: slot.context.clone(),
            cluster: slot.id,
            res: ResKey {
                group,
                plural: info.key.plural.clone(),
            },
            version,
            kind: found.kind.clone(),
            namespace: found.namespace.clone(),
            name: found.name.clone(),
            uid: found.uid.clone(),
        })
    }
}

impl Screen for SearchScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Enter, "describe"),
            (Action::Yaml, "yaml"),
            (Action::Filter, "filter"),
            (Action::Back, "back"),
        ]
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = super::moved(action, self.cursor, self.shown().len()) {
            self.cursor = to;
            return true;
        }
        let kind = match action {
            Action::Enter | Action::Describe => TextKind::Describe,
            Action::Yaml => TextKind::Yaml,
            _ => return false,
        };
        match self.object(ctx) {
            Ok(obj) => ctx.push(Box::new(TextScreen::object(kind, obj))),
            Err(e) => ctx.error(e),
        }
        true
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        for (hub, path) in std::mem::take(&mut self.asks) {
            let from = hub.clone();
            ctx.search(hub, path, move |me: &mut SearchScreen, r, ctx| {
                me.answered(&from, r, ctx)
            });
        }
        let n = self.shown().len();
        self.cursor = self.cursor.min(n.saturating_sub(1));
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let shown = self.shown();
        let title = format!(" search <{}> [{}] ", self.typed, shown.len());
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Line::from(title).style(theme.get("title")));
        if shown.is_empty() {
            let text = if self.waiting > 0 {
                "asking the index…".to_string()
            } else if !self.failed.is_empty() {
                self.failed.join("\n")
            } else {
                "nothing found".to_string()
            };
            let style = if self.failed.is_empty() {
                theme.get("row-done")
            } else {
                theme.get("row-error")
            };
            f.render_widget(Paragraph::new(text).block(block).style(style), area);
            return;
        }
        let header = Row::new(["CLUSTER", "KIND", "NAMESPACE", "NAME", "AGE"].map(Cell::from))
            .style(theme.get("table-header"));
        let rows = shown.iter().enumerate().map(|(i, x)| {
            let age = x
                .created
                .as_deref()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .map(|t| crate::human::age(ctx.now - t.as_second()))
                .unwrap_or_else(|| "-".into());
            Row::new(vec![
                Cell::from(x.cluster.clone()),
                Cell::from(x.kind.clone()),
                Cell::from(x.namespace.clone()),
                Cell::from(x.name.clone()),
                Cell::from(age),
            ])
            .style(if i == self.cursor {
                theme.get("selected")
            } else {
                theme.get("row-ok")
            })
        });
        let widths = [
            Constraint::Length(16),
            Constraint::Length(14),
            Constraint::Length(16),
            Constraint::Min(20),
            Constraint::Length(6),
        ];
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
