//! YAML drawn in the theme's colours, for every screen that shows an object.

use crate::config::theme::Theme;
use crate::kinds::document::MASK;
use ratatui::text::{Line, Span};

/// A line of YAML in the theme's colours (keys, strings, numbers, booleans, comments).
pub fn line<'a>(line: &'a str, theme: &Theme) -> Line<'a> {
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
