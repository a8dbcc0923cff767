//! `:audit` — the operation audit log, newest first, and whether its hash chain holds. Read
//! when opened and again whenever the file changes (looked at once a second), so changes made
//! meanwhile, here or by another flotilla, show up without a key.

use super::text::TextScreen;
use super::{Ctx, DrawCtx, Screen};
use crate::human;
use crate::model::Action;
use crate::ops::audit::{self, Broken, Record};
use crate::text::clean;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use std::path::PathBuf;
use std::time::SystemTime;

pub const MODE: &str = "audit";

/// The RESULT of an intent no outcome answers: flotilla stopped after writing it.
const OUTCOME_UNKNOWN: &str = "outcome unknown";

/// What the last read of the log found.
enum Verdict {
    Intact,
    Broken(Broken),
    /// No log yet: nothing was ever changed through flotilla with this setting.
    Missing,
    Unreadable(String),
}

/// One record, with its cells sanitized once: a record holds remote text (names, server
/// errors), and the log file itself may have been edited by anyone.
struct Entry {
    /// Its line in the log.
    number: usize,
    record: Record,
    time: Option<i64>,
    result: String,
    action: String,
    context: String,
    target: String,
    identity: String,
    batch: String,
    /// The line, lowercased, for the filter.
    haystack: String,
}

impl Entry {
    /// `unknown`: an intent no outcome answers.
    fn new(number: usize, record: Record, unknown: bool) -> Self {
        let t = &record.target;
        let target = match t.namespace.as_str() {
            "" => format!("{} {}", t.kind, t.name),
            ns => format!("{} {ns}/{}", t.kind, t.name),
        };
        let mut e = Entry {
            number,
            time: human::parse_time(&record.time),
            result: if unknown {
                OUTCOME_UNKNOWN.to_string()
            } else {
                clean(&record.result)
            },
            action: clean(&record.action),
            context: clean(&record.context),
            target: clean(&target),
            identity: clean(record.identity.as_deref().unwrap_or("-")),
            batch: clean(&record.batch.chars().take(8).collect::<String>()),
            haystack: String::new(),
            record,
        };
        e.haystack = [
            e.record.time.as_str(),
            &e.result,
            &e.action,
            &e.context,
            &e.target,
            &e.identity,
            &e.record.batch,
            &e.record.user,
            e.record.error.as_deref().unwrap_or(""),
        ]
        .join(" ")
        .to_lowercase();
        e
    }
}

pub struct AuditScreen {
    path: PathBuf,
    /// Newest first.
    entries: Vec<Entry>,
    verdict: Verdict,
    cursor: usize,
    filter: String,
    /// The log's length and mtime when read; a change means read again.
    stamp: Option<(u64, SystemTime)>,
    /// When `stamp` was last compared (seconds), to look at most once a second.
    looked: i64,
}

/// `:audit`
pub fn open(_args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let mut s = AuditScreen {
        path: audit::path_for(&ctx.config.settings),
        entries: Vec::new(),
        verdict: Verdict::Missing,
        cursor: 0,
        filter: String::new(),
        stamp: None,
        looked: ctx.now,
    };
    s.load();
    Ok(Box::new(s))
}

fn stamp(path: &std::path::Path) -> Option<(u64, SystemTime)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()?))
}

impl AuditScreen {
    fn load(&mut self) {
        self.stamp = stamp(&self.path);
        match audit::read_verified(&self.path) {
            Ok((records, verdict)) => {
                let unknown: std::collections::HashSet<usize> = audit::unanswered(&records)
                    .iter()
                    .map(|u| u.record)
                    .collect();
                self.entries = records
                    .into_iter()
                    .rev()
                    .map(|(n, r)| Entry::new(n, r, unknown.contains(&n)))
                    .collect();
                self.verdict = match verdict {
                    Ok(_) => Verdict::Intact,
                    Err(b) => Verdict::Broken(b),
                };
            }
            Err(e) => {
                self.entries.clear();
                self.verdict = match e.kind() {
                    std::io::ErrorKind::NotFound => Verdict::Missing,
                    _ => Verdict::Unreadable(clean(&e.to_string())),
                };
            }
        }
    }

    fn shown(&self) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| self.filter.is_empty() || e.haystack.contains(&self.filter))
            .collect()
    }

    fn chain(&self) -> String {
        let unknown = self
            .entries
            .iter()
            .filter(|e| e.result == OUTCOME_UNKNOWN)
            .count();
        let chain = self.chain_verdict();
        match unknown {
            0 => chain,
            1 => format!("{chain} · 1 outcome unknown"),
            n => format!("{chain} · {n} outcomes unknown"),
        }
    }

    fn chain_verdict(&self) -> String {
        match &self.verdict {
            Verdict::Intact => "chain ok".into(),
            Verdict::Broken(b) if b.record > 0 => format!("chain BROKEN at record {}", b.record),
            Verdict::Broken(b) => format!("chain BROKEN: {}", clean(&b.reason)),
            Verdict::Missing | Verdict::Unreadable(_) => String::new(),
        }
    }

    /// The record in full: its change first (what was done), then every field.
    fn details(&self, e: &Entry) -> TextScreen {
        fn pretty<T: serde::Serialize>(v: &T) -> String {
            serde_json::to_string_pretty(v).unwrap_or_else(|err| format!("({err})"))
        }
        let mut lines = vec![
            format!(
                "record {} of {} ({})",
                e.number,
                self.path.display(),
                self.chain()
            ),
            String::new(),
            "change:".to_string(),
        ];
        match &e.record.change {
            Some(change) => lines.extend(pretty(change).lines().map(|l| format!("  {l}"))),
            None => lines.push("  (none)".into()),
        }
        lines.push(String::new());
        lines.push("record:".into());
        // The record itself, not a `Value`: its fields in their stored order.
        lines.extend(pretty(&e.record).lines().map(|l| format!("  {l}")));
        let lines = lines.iter().map(|l| clean(l)).collect();
        let title = format!("audit record {}: {} {}", e.number, e.action, e.target);
        TextScreen::lines(title, lines)
    }
}

impl Screen for AuditScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Enter, "details"),
            (Action::Filter, "filter"),
            (Action::Copy, "copy"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        let shown = self.shown();
        if let Some(to) = super::moved(action, self.cursor, shown.len()) {
            self.cursor = to;
            return true;
        }
        let selected = shown.get(self.cursor);
        match action {
            Action::Enter | Action::Describe => match selected {
                Some(e) => ctx.push(Box::new(self.details(e))),
                None => ctx.error("no audit record selected"),
            },
            Action::Copy => match selected.map(|e| serde_json::to_string(&e.record)) {
                Some(Ok(json)) => ctx.copy(json),
                Some(Err(e)) => ctx.error(format!("cannot copy the record: {e}")),
                None => ctx.error("no audit record selected"),
            },
            _ => return false,
        }
        true
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        // Changes whose outcome is unknown are seen here: the header stops saying so.
        ctx.request(super::Request::AuditSeen);
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        if ctx.now != self.looked {
            self.looked = ctx.now;
            if stamp(&self.path) != self.stamp {
                self.load();
            }
        }
        let n = self.shown().len();
        self.cursor = self.cursor.min(n.saturating_sub(1));
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let shown = self.shown();
        let mut title = vec![Span::styled(
            format!(" audit[{}/{}] ", shown.len(), self.entries.len()),
            theme.get("title"),
        )];
        if !self.filter.is_empty() {
            title.push(Span::styled(
                format!("</{}> ", clean(&self.filter)),
                theme.get("title"),
            ));
        }
        let chain = self.chain();
        if !chain.is_empty() {
            let slot = match self.verdict {
                Verdict::Intact if chain == self.chain_verdict() => "title",
                _ => "row-error",
            };
            title.push(Span::styled(format!("{chain} "), theme.get(slot)));
        }
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.get("border"))
            .title(Line::from(title));
        let empty = match &self.verdict {
            Verdict::Missing => Some(format!(
                "No audit log at {} yet: every change flotilla attempts is recorded there.",
                self.path.display()
            )),
            Verdict::Unreadable(e) => Some(format!("cannot read {}: {e}", self.path.display())),
            _ if shown.is_empty() => Some("No audit records match.".to_string()),
            _ => None,
        };
        if let Some(text) = empty {
            let p = Paragraph::new(clean(&text))
                .block(block)
                .style(theme.get("row-done"));
            f.render_widget(p, area);
            return;
        }
        let header = Row::new([
            "TIME", "RESULT", "ACTION", "CONTEXT", "TARGET", "IDENTITY", "BATCH",
        ])
        .style(theme.get("table-header"));
        // Below the borders and the header.
        let height = usize::from(area.height.saturating_sub(3)).max(1);
        let offset = (self.cursor + 1).saturating_sub(height);
        let rows = shown
            .iter()
            .enumerate()
            .skip(offset)
            .take(height)
            .map(|(i, e)| {
                let result_slot = match e.result.as_str() {
                    "ok" => "cluster-ok",
                    "failed" | "denied" | OUTCOME_UNKNOWN => "row-error",
                    "refused" | "dry-run" | "intent" | "acknowledged" => "row-done",
                    _ => "base",
                };
                let time = e
                    .time
                    .map(|t| human::age(ctx.now - t))
                    .unwrap_or_else(|| "?".into());
                let row = Row::new([
                    Cell::from(time),
                    Cell::from(e.result.as_str()).style(theme.get(result_slot)),
                    Cell::from(e.action.as_str()),
                    Cell::from(e.context.as_str()),
                    Cell::from(e.target.as_str()),
                    Cell::from(e.identity.as_str()),
                    Cell::from(e.batch.as_str()),
                ]);
                if i == self.cursor {
                    row.style(theme.get("selected"))
                } else {
                    row
                }
            });
        // Columns as wide as what they show, within reason.
        let fit = |min: usize, max: usize, cell: fn(&Entry) -> &str| {
            let w = shown
                .iter()
                .map(|e| unicode_width::UnicodeWidthStr::width(cell(e)))
                .max()
                .unwrap_or(0);
            Constraint::Length(w.clamp(min, max) as u16)
        };
        let widths = [
            Constraint::Length(6),
            fit(7, 15, |e| &e.result),
            fit(6, 16, |e| &e.action),
            fit(7, 24, |e| &e.context),
            Constraint::Fill(1),
            fit(8, 24, |e| &e.identity),
            Constraint::Length(8),
        ];
        f.render_widget(
            Table::new(rows, widths)
                .header(header)
                .block(block)
                .column_spacing(1),
            area,
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
