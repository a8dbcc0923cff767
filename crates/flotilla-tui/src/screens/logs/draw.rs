//! Drawing a log pane: only the lines on screen are styled. Each line is
//! `[time] prefix text`; the prefix names its source (cluster/pod/container, only the parts
//! that tell sources apart) in a colour that stays the same for that source.

use super::{JsonMode, LogScreen, SourceState};
use crate::logs::buffer::Line as LogLine;
use crate::logs::render;
use crate::screens::DrawCtx;
use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use std::collections::HashMap;
use unicode_width::UnicodeWidthChar;

/// Source colours: distinct on dark and light backgrounds alike.
const PALETTE: [Color; 10] = [
    Color::Cyan,
    Color::Green,
    Color::Yellow,
    Color::Magenta,
    Color::Blue,
    Color::LightRed,
    Color::LightCyan,
    Color::LightGreen,
    Color::LightMagenta,
    Color::LightBlue,
];

/// The colour of a source: from its name, so it is the same in every pane and every run.
pub fn colour(key: &str) -> Color {
    // FNV-1a: stable across runs, unlike the std hasher.
    let mut h: u32 = 0x811c_9dc5;
    for b in key.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    PALETTE[h as usize % PALETTE.len()]
}

pub fn timestamp(ns: i64) -> String {
    match jiff::Timestamp::from_nanosecond(i128::from(ns)) {
        Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Err(_) => "-".repeat(24),
    }
}

/// Which parts of cluster/pod/container tell the sources apart.
struct Prefixes {
    cluster: bool,
    pod: bool,
    container: bool,
    width: usize,
}

fn prefixes(t: &LogScreen) -> Prefixes {
    let distinct = |f: &dyn Fn(&super::Source) -> String| {
        let mut v: Vec<String> = t.sources.iter().map(f).collect();
        v.sort();
        v.dedup();
        v.len() > 1
    };
    let mut p = Prefixes {
        cluster: distinct(&|s| s.context.clone()),
        pod: distinct(&|s| format!("{}/{}", s.namespace, s.pod)),
        container: distinct(&|s| s.container.clone()),
        width: 0,
    };
    if t.sources.len() > 1 && !p.cluster && !p.pod && !p.container {
        p.container = true;
    }
    p.width = t
        .sources
        .iter()
        .map(|s| prefix_text(&p, s).chars().count())
        .max()
        .unwrap_or(0);
    p
}

fn prefix_text(p: &Prefixes, s: &super::Source) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if p.cluster {
        parts.push(&s.context);
    }
    if p.pod {
        parts.push(&s.pod);
    }
    if p.container {
        parts.push(&s.container);
    }
    crate::text::clean(&parts.join("/"))
}

fn level_style(level: Option<&str>, ctx: &DrawCtx) -> Style {
    let theme = &ctx.config.theme;
    match level {
        Some("error") => theme.get("row-error").add_modifier(Modifier::BOLD),
        Some("warn") => theme.get("row-warn"),
        Some("debug") => theme.get("row-done"),
        _ => theme.get("row-ok"),
    }
}

/// The rows one log line takes before wrapping.
fn rows_of(t: &LogScreen, l: &LogLine, pre: &Prefixes, ctx: &DrawCtx) -> Vec<Line<'static>> {
    let theme = &ctx.config.theme;
    let mut lead: Vec<Span<'static>> = Vec::new();
    if t.opts.timestamps {
        lead.push(Span::styled(timestamp(l.ts) + " ", theme.get("log-status")));
    }
    if t.opts.prefix
        && pre.width > 0
        && let Some(s) = t.sources.get(l.source as usize)
    {
        let text = prefix_text(pre, s);
        lead.push(Span::styled(
            format!("{text:<w$} ", w = pre.width),
            Style::default().fg(colour(&s.key())),
        ));
    }
    let base = theme.get("base");
    let escaped = theme.get("log-escaped");
    let body: Vec<Vec<Span<'static>>> = match (t.opts.json, render::json_object(&l.text)) {
        (JsonMode::Fields, Some(obj)) => {
            let level = render::json_level(&obj);
            let (cells, rest) = render::json_columns(&obj, &t.json_fields);
            let mut spans = Vec::new();
            for (i, c) in cells.into_iter().enumerate() {
                let is_level = t.json_fields.get(i).is_some_and(|f| f == "level");
                let (text, style) = if is_level {
                    (format!("{c:<5} "), level_style(level, ctx))
                } else {
                    (format!("{c} "), base)
                };
                spans.push(Span::styled(text, style));
            }
            if !rest.is_empty() {
                spans.push(Span::styled(rest, theme.get("hint")));
            }
            vec![spans]
        }
        (JsonMode::Pretty, Some(obj)) => render::json_pretty(&obj)
            .into_iter()
            .map(|row| vec![Span::styled(row, base)])
            .collect(),
        _ => vec![render::spans(&l.text, base, escaped)],
    };
    let hit = theme.get("log-hit");
    body.into_iter()
        .enumerate()
        .map(|(i, mut spans)| {
            for re in t
                .matcher
                .re
                .iter()
                .filter(|_| !t.matcher.invert)
                .chain(t.find.iter())
            {
                spans = render::highlight(spans, &re.re, hit);
            }
            let mut row = if i == 0 {
                lead.clone()
            } else {
                vec![Span::raw(" ".repeat(lead.iter().map(|s| s.width()).sum()))]
            };
            row.extend(spans);
            Line::from(row)
        })
        .collect()
}

/// Cuts a row into pieces of at most `width` columns.
fn wrap(line: Line<'static>, width: usize) -> Vec<Line<'static>> {
    if width == 0 || line.width() <= width {
        return vec![line];
    }
    let mut out = Vec::new();
    let mut cur: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for span in line.spans {
        let mut piece = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width {
                if !piece.is_empty() {
                    cur.push(Span::styled(std::mem::take(&mut piece), span.style));
                }
                out.push(Line::from(std::mem::take(&mut cur)));
                used = 0;
            }
            piece.push(c);
            used += w;
        }
        if !piece.is_empty() {
            cur.push(Span::styled(piece, span.style));
        }
    }
    if !cur.is_empty() {
        out.push(Line::from(cur));
    }
    out
}

fn status(t: &LogScreen) -> String {
    let mut parts = vec![format!(
        "{} source{}",
        t.sources.len(),
        if t.sources.len() == 1 { "" } else { "s" }
    )];
    let count = |f: &dyn Fn(&SourceState) -> bool| t.sources.iter().filter(|s| f(&s.state)).count();
    let reconnecting = count(&|s| matches!(s, SourceState::Reconnecting(_)));
    let gone = count(&|s| matches!(s, SourceState::Gone(_)));
    let ended = count(&|s| matches!(s, SourceState::Ended(_)));
    if reconnecting > 0 {
        let why = t.sources.iter().find_map(|s| match &s.state {
            SourceState::Reconnecting(why) => Some(why.chars().take(60).collect::<String>()),
            _ => None,
        });
        parts.push(format!(
            "{reconnecting} reconnecting ({})",
            why.unwrap_or_default()
        ));
    }
    if gone > 0 {
        parts.push(format!("{gone} gone"));
    }
    if ended > 0 && !t.opts.previous {
        parts.push(format!("{ended} ended"));
    }
    if t.capped > 0 {
        parts.push(format!("{} more not streamed (log-max-streams)", t.capped));
    }
    parts.push(match t.opts.since {
        crate::model::Since::Tail => format!("last {}", t.opts.tail),
        crate::model::Since::All => "all".into(),
        crate::model::Since::Seconds(s) => format!("since {}", crate::human::age(i64::from(s))),
    });
    if t.opts.previous {
        parts.push("previous".into());
    }
    if let Some(c) = &t.opts.container {
        parts.push(format!("container {c}"));
    }
    if !t.matcher.is_empty() {
        parts.push(format!(
            "filter /{}/ {} lines",
            t.matcher.text,
            t.shown.len()
        ));
    }
    if t.opts.follow {
        parts.push("following".into());
    } else {
        parts.push(format!("paused, {} new", t.new_while_paused()));
    }
    format!(" {} ", parts.join(" · "))
}

pub fn draw(t: &LogScreen, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
    let theme = &ctx.config.theme;
    let title = format!(" logs {} ", crate::text::clean(&t.title));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.get("border"))
        .title(Line::from(Span::styled(title, theme.get("title"))))
        .title_bottom(
            Line::from(Span::styled(status(t), theme.get("log-status")))
                .alignment(Alignment::Right),
        );
    let inner = block.inner(area);
    f.render_widget(block, area);
    let (height, width) = (inner.height as usize, inner.width as usize);
    if height == 0 {
        return;
    }
    if t.shown.is_empty() {
        let ended = t.sources.iter().find_map(|s| match &s.state {
            SourceState::Ended(why) | SourceState::Reconnecting(why) => Some(why.clone()),
            _ => None,
        });
        let msg = if t.sources.is_empty() {
            "waiting for pods…".to_string()
        } else if !t.matcher.is_empty() {
            "no line matches the filter".to_string()
        } else if let Some(why) = ended.filter(|_| t.sources.iter().all(|s| s.lines == 0)) {
            format!("no lines: {}", crate::text::clean(&why))
        } else {
            "no lines yet".to_string()
        };
        f.render_widget(Paragraph::new(msg).style(theme.get("row-done")), inner);
        return;
    }
    let pre = prefixes(t);
    let render_line = |i: usize| -> Vec<Line<'static>> {
        let Some(l) = t.shown.get(i).and_then(|p| t.buf.get(p)) else {
            return Vec::new();
        };
        let rows = rows_of(t, l, &pre, ctx);
        if t.opts.wrap {
            rows.into_iter().flat_map(|r| wrap(r, width)).collect()
        } else {
            rows
        }
    };
    // Each line is styled once per frame, however often its height is asked for.
    let mut cache: HashMap<usize, Vec<Line<'static>>> = HashMap::new();
    let mut rows_of_line = |i: usize| cache.entry(i).or_insert_with(|| render_line(i)).len();
    let cursor = t.cursor_index();
    // Keep the cursor in view: the top moves up to it, or down until it fits. A line takes at
    // least a row, so no line more than a pane above the cursor can be in view.
    let mut top = t
        .shown
        .index_of(t.view_top.get())
        .clamp((cursor + 1).saturating_sub(height), cursor);
    let mut used: usize = (top..=cursor).map(&mut rows_of_line).sum();
    while used > height && top < cursor {
        used -= rows_of_line(top);
        top += 1;
    }
    // Following: the last lines fill the pane from the bottom.
    if t.opts.follow {
        while top > 0 {
            let h = rows_of_line(top - 1);
            if used + h > height {
                break;
            }
            used += h;
            top -= 1;
        }
    }
    t.view_top.set(t.shown.get(top).unwrap_or(0));
    let (sel_a, sel_b) = t.selected_range();
    let highlight_cursor = !t.opts.follow || t.select.is_some();
    let mut rows: Vec<Line<'static>> = Vec::with_capacity(height);
    let mut i = top;
    while rows.len() < height && i < t.shown.len() {
        let selected = highlight_cursor && i >= sel_a && i <= sel_b;
        let line = cache.remove(&i).unwrap_or_else(|| render_line(i));
        for mut r in line {
            if selected {
                r = r.patch_style(theme.get("selected"));
            }
            rows.push(r);
        }
        i += 1;
    }
    rows.truncate(height);
    f.render_widget(Paragraph::new(rows), inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_colours_are_stable() {
        assert_eq!(colour("dev/web-1/web"), colour("dev/web-1/web"));
        let distinct: std::collections::HashSet<_> = (0..20)
            .map(|i| colour(&format!("dev/web-{i}/web")))
            .collect();
        assert!(distinct.len() > 3);
    }

    #[test]
    fn wrap_cuts_by_columns() {
        let l = Line::from(vec![Span::raw("abcd"), Span::raw("efg")]);
        let rows = wrap(l, 3);
        let texts: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
        assert_eq!(texts, ["abc", "def", "g"]);
    }
}
