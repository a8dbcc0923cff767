//! Describe, YAML and help: scrolling text; YAML gets light syntax colouring.

use crate::app::{App, TextKind, TextView};
use crate::config::theme::Theme;
use crate::kinds::document::MASK;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

fn yaml_line<'a>(line: &'a str, theme: &Theme) -> Line<'a> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        return Line::styled(line, theme.get("yaml-comment"));
    }
    let indent = line.len() - trimmed.len();
    let mut spans = vec![Span::raw(&line[..indent])];
    let mut rest = trimmed;
    if let Some(r) = rest.strip_prefix("- ") {
        spans.push(Span::raw("- "));
        rest = r;
    }
    let (key, value) = match rest.find(": ") {
        Some(i) if !rest.starts_with('"') && !rest.starts_with('\'') => {
            (&rest[..i + 1], &rest[i + 1..])
        }
        _ if rest.ends_with(':') => (rest, ""),
        _ => ("", rest),
    };
    if !key.is_empty() {
        spans.push(Span::styled(key, theme.get("yaml-key")));
    }
    let v = value.trim();
    let slot = if v.contains(MASK) {
        "masked"
    } else if v.parse::<f64>().is_ok() {
        "yaml-number"
    } else if matches!(v, "true" | "false" | "null" | "~") {
        "yaml-bool"
    } else {
        "yaml-string"
    };
    spans.push(Span::styled(value, theme.get(slot)));
    Line::from(spans)
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: &TextView) {
    let theme = &app.config.theme;
    let mut title = format!(
        " {} {} ",
        match t.kind {
            TextKind::Describe => "describe",
            TextKind::Yaml => "yaml",
            TextKind::Help => "",
        },
        t.title
    );
    if t.is_secret() {
        title.push_str(if t.revealed {
            "[revealed] "
        } else {
            "[masked: x reveals] "
        });
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.get("border"))
        .title(Span::styled(title, theme.get("title")));
    let inner = block.inner(area);
    let height = usize::from(inner.height);
    // Keep the last screenful reachable but never scroll past it.
    let top = t.scroll.min(t.lines.len().saturating_sub(height));
    let lines: Vec<Line> = t
        .lines
        .iter()
        .skip(top)
        .take(height)
        .map(|l| {
            if t.kind == TextKind::Yaml {
                yaml_line(l, theme)
            } else {
                Line::raw(l.as_str())
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines).block(block), area);
}
