//! `:events`: the events of every live cluster merged, live, newest first. Warnings stand
//! out and `w` shows only them; the filter takes words and `type:`, `reason:`, `kind:`
//! terms; `z` groups them by involved object with a count; Enter goes to the object. The
//! selected event's whole message wraps under the list.

use super::table::TableScreen;
use super::{Ctx, DrawCtx, Need, Screen};
use crate::grid::{self, Grid, GridRow, Width};
use crate::human;
use crate::model::{Action, ClusterId, ResKey};
use crate::store::Store;
use crate::triage::rules::cell;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

pub const MODE: &str = "events";

pub fn open(args: &str, _ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let mut s = EventsScreen::default();
    if !args.is_empty() {
        s.set_query(args);
    }
    Ok(Box::new(s))
}

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub cluster: ClusterId,
    pub context: String,
    pub namespace: String,
    pub last_seen: i64,
    pub warning: bool,
    pub reason: String,
    /// `pod/crasher`.
    pub object: String,
    pub count: u64,
    pub message: String,
}

/// The filter: free words (all must appear somewhere) and field terms.
#[derive(Default)]
struct Query {
    text: String,
    words: Vec<String>,
    ty: Option<String>,
    reason: Option<String>,
    kind: Option<String>,
}

impl Query {
    fn parse(text: &str) -> Query {
        let mut q = Query {
            text: text.to_string(),
            ..Query::default()
        };
        for w in text.to_lowercase().split_whitespace() {
            match w.split_once(':') {
                Some(("type", v)) => q.ty = Some(v.to_string()),
                Some(("reason", v)) => q.reason = Some(v.to_string()),
                Some(("kind", v)) => q.kind = Some(v.to_string()),
                _ => q.words.push(w.to_string()),
            }
        }
        q
    }

    fn matches(&self, e: &Event) -> bool {
        let ty = if e.warning { "warning" } else { "normal" };
        let kind = e
            .object
            .split_once('/')
            .map_or("", |(k, _)| k)
            .to_lowercase();
        self.ty.as_ref().is_none_or(|t| ty.starts_with(t.as_str()))
            && self
                .reason
                .as_ref()
                .is_none_or(|r| e.reason.to_lowercase().contains(r.as_str()))
            && self
                .kind
                .as_ref()
                .is_none_or(|k| kind.starts_with(k.as_str()))
            && self.words.iter().all(|w| {
                format!(
                    "{} {} {} {} {}",
                    e.context, e.namespace, e.reason, e.object, e.message
                )
                .to_lowercase()
                .contains(w.as_str())
            })
    }
}

#[derive(Default)]
pub struct EventsScreen {
    events: Vec<Event>,
    /// The versions of the sheets `events` was built from: rebuilt only when one moved,
    /// and at most once a second while events pour in (a rebuild reads every event).
    built: Vec<(ClusterId, u64)>,
    built_at: Option<std::time::Instant>,
    query: Query,
    warnings_only: bool,
    grouped: bool,
    cursor: usize,
    /// The event under the cursor, kept there while new events arrive above it.
    selected: Option<(ClusterId, String, String, String)>,
}

fn key(e: &Event) -> (ClusterId, String, String, String) {
    (
        e.cluster,
        e.namespace.clone(),
        e.object.clone(),
        e.reason.clone(),
    )
}

impl EventsScreen {
    pub fn shown(&self) -> &[Event] {
        &self.events
    }

    fn set_query(&mut self, text: &str) {
        self.query = Query::parse(text);
        self.built.clear();
    }

    fn rebuild(&mut self, store: &Store) {
        let res = ResKey::core("events");
        let versions: Vec<(ClusterId, u64)> = store
            .clusters
            .iter()
            .filter_map(|s| store.sheet(s.id, &res).map(|sh| (s.id, sh.version)))
            .collect();
        let recent = self
            .built_at
            .is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(1));
        if versions == self.built || (recent && !self.built.is_empty()) {
            return;
        }
        self.built = versions;
        self.built_at = Some(std::time::Instant::now());
        let mut out: Vec<Event> = Vec::new();
        for slot in store.clusters.iter() {
            let Some(sheet) = store.sheet(slot.id, &res) else {
                continue;
            };
            let cols = &sheet.columns;
            for (_, row) in sheet.rows() {
                let e = Event {
                    cluster: slot.id,
                    context: slot.context.clone(),
                    namespace: row.namespace.clone(),
                    last_seen: row.last_seen.or(row.created).unwrap_or(0),
                    warning: cell(cols, row, "type") == Some("Warning"),
                    reason: cell(cols, row, "reason").unwrap_or("").to_string(),
                    object: cell(cols, row, "object").unwrap_or("").to_string(),
                    count: cell(cols, row, "count")
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(1),
                    message: cell(cols, row, "message").unwrap_or("").to_string(),
                };
                if (!self.warnings_only || e.warning) && self.query.matches(&e) {
                    out.push(e);
                }
            }
        }
        if self.grouped {
            let mut groups: Vec<Event> = Vec::new();
            let mut at: std::collections::HashMap<(ClusterId, String, String), usize> =
                std::collections::HashMap::new();
            out.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
            for e in out {
                let k = (e.cluster, e.namespace.clone(), e.object.clone());
                match at.get(&k) {
                    Some(&i) => {
                        groups[i].count += e.count;
                        groups[i].warning |= e.warning;
                    }
                    None => {
                        at.insert(k, groups.len());
                        groups.push(e);
                    }
                }
            }
            out = groups;
        }
        out.sort_by(|a, b| {
            b.last_seen.cmp(&a.last_seen).then_with(|| {
                (&a.context, &a.namespace, &a.object).cmp(&(&b.context, &b.namespace, &b.object))
            })
        });
        self.events = out;
        if let Some(sel) = &self.selected
            && let Some(i) = self.events.iter().position(|e| key(e) == *sel)
        {
            self.cursor = i;
        }
        self.cursor = self.cursor.min(self.events.len().saturating_sub(1));
    }

    fn jump(&self, ctx: &mut Ctx) {
        let Some(e) = self.events.get(self.cursor) else {
            return;
        };
        match TableScreen::at_named(&e.object, ctx, e.cluster, &e.namespace) {
            Ok(view) => ctx.push(Box::new(view)),
            Err(why) => ctx.error(why),
        }
    }
}

impl Screen for EventsScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Enter, "go to object"),
            (Action::Filter, "filter"),
            (Action::Warnings, "warnings"),
            (Action::Collapse, "group"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        self.rebuild(ctx.store);
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = super::moved(action, self.cursor, self.events.len()) {
            self.cursor = to;
            self.selected = self.events.get(to).map(key);
            return true;
        }
        match action {
            Action::Enter => self.jump(ctx),
            Action::Warnings => {
                self.warnings_only = !self.warnings_only;
                self.built.clear();
            }
            Action::Collapse => {
                self.grouped = !self.grouped;
                self.built.clear();
            }
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let mut title = vec![Span::styled(
            format!(" events[{}] ", self.events.len()),
            theme.get("title"),
        )];
        if self.warnings_only {
            title.push(Span::styled("warnings ", theme.get("row-warn")));
        }
        if self.grouped {
            title.push(Span::styled("by object ", theme.get("title")));
        }
        if !self.query.text.is_empty() {
            title.push(Span::styled(
                format!("</{}> ", crate::text::clean(&self.query.text)),
                theme.get("title"),
            ));
        }
        let width = usize::from(area.width.saturating_sub(2)).max(10);
        let detail = self
            .events
            .get(self.cursor)
            .map(|e| {
                grid::wrap(
                    &format!("{} {}: {}", e.object, e.reason, e.message),
                    width,
                    3,
                )
            })
            .unwrap_or_default();
        let height = grid::room(area, detail.len());
        let offset = grid::offset(self.cursor, height);
        let many = ctx.store.clusters.len() > 1;
        let rows = self
            .events
            .iter()
            .skip(offset)
            .take(height)
            .map(|e| {
                let mut cells = vec![human::age(ctx.now - e.last_seen)];
                if many {
                    cells.push(e.context.clone());
                }
                cells.extend([
                    e.namespace.clone(),
                    if e.warning { "Warning" } else { "Normal" }.to_string(),
                    e.reason.clone(),
                    e.object.clone(),
                    e.count.to_string(),
                    e.message.clone(),
                ]);
                GridRow::new(cells, if e.warning { "row-warn" } else { "row-ok" })
            })
            .collect();
        let mut header = vec!["LAST SEEN"];
        let mut widths = vec![Width::Fit(9, 9)];
        if many {
            header.push("CLUSTER");
            widths.push(Width::Fit(7, 16));
        }
        header.extend(["NAMESPACE", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE"]);
        // REASON and OBJECT keep their words at 120 columns; MESSAGE takes the rest and the
        // selected event's whole message is in the detail lines.
        widths.extend([
            Width::Fit(9, 16),
            Width::Fit(7, 7),
            Width::Fit(6, 24),
            Width::Fit(6, 36),
            Width::Fit(5, 6),
            Width::Fill,
        ]);
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
                empty: "No events match.".into(),
                detail,
            },
        );
    }

    fn needs(&self, store: &Store, out: &mut Vec<Need>) {
        for s in store.clusters.iter().filter(|s| s.connected) {
            out.push(Need::Watch {
                cluster: s.id,
                res: ResKey::core("events"),
            });
        }
    }

    fn filter(&self) -> Option<&str> {
        Some(&self.query.text)
    }

    fn set_filter(&mut self, text: &str, _ctx: &mut Ctx) {
        self.set_query(text);
        self.cursor = 0;
        self.selected = None;
    }
}
