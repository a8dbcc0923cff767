//! Drawing: a pure function of the app state and the store. Layout: cluster header, the
//! current view, and one line for the prompt / flash / key hints. Works down to 80×24.

mod contexts;
mod header;
mod table;
mod text;

use crate::app::{App, FlashLevel, Mode, PromptKind, View};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(f: &mut Frame, app: &App) {
    let now = jiff::Timestamp::now().as_second();
    draw_at(f, app, now);
}

/// `now` is injectable so snapshot tests render stable ages.
pub fn draw_at(f: &mut Frame, app: &App, now: i64) {
    let area = f.area();
    f.render_widget(
        ratatui::widgets::Block::default().style(app.config.theme.get("base")),
        area,
    );
    let header_h = header::height(app, area.width);
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(header_h),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    header::draw(f, head, app);
    match app.current() {
        View::Table(t) => table::draw(f, body, app, t, now),
        View::Text(t) => text::draw(f, body, app, t),
        View::Contexts(c) => contexts::draw(f, body, app, c),
    }
    footer(f, foot, app);
}

fn footer(f: &mut Frame, area: ratatui::layout::Rect, app: &App) {
    let theme = &app.config.theme;
    let line = match &app.mode {
        Mode::Prompt(p) => {
            let sigil = if p.kind == PromptKind::Command {
                ":"
            } else {
                "/"
            };
            let text = p.text();
            let at = text
                .char_indices()
                .nth(p.cursor())
                .map(|(i, _)| i)
                .unwrap_or(text.len());
            let (before, rest) = text.split_at(at);
            let mut chars = rest.chars();
            let under = chars.next().map(String::from).unwrap_or_else(|| " ".into());
            let cursor = theme
                .get("prompt")
                .add_modifier(ratatui::style::Modifier::REVERSED);
            let mut spans = vec![Span::styled(
                format!("{sigil}{before}"),
                theme.get("prompt"),
            )];
            // Tab's completion shows greyed after the typed text, the cursor after it.
            if let Some(c) = app.completion().filter(|_| rest.is_empty()) {
                spans.push(Span::styled(
                    c.get(text.len()..).unwrap_or_default().to_string(),
                    theme.get("hint"),
                ));
            }
            spans.push(Span::styled(under, cursor));
            spans.push(Span::styled(
                chars.as_str().to_string(),
                theme.get("prompt"),
            ));
            Line::from(spans)
        }
        Mode::Normal => match &app.flash {
            Some((msg, level, _)) => {
                let slot = if *level == FlashLevel::Error {
                    "flash-error"
                } else {
                    "flash-info"
                };
                Line::from(Span::styled(msg.clone(), theme.get(slot)))
            }
            None => Line::from(Span::styled(hints(app), theme.get("hint"))),
        },
    };
    f.render_widget(Paragraph::new(line), area);
}

fn hints(app: &App) -> String {
    use crate::app::action::Action::*;
    let mode = app.mode_name();
    let actions: &[(crate::app::action::Action, &str)] = match mode {
        "table" => &[
            (Command, "cmd"),
            (Filter, "filter"),
            (Enter, "open"),
            (Describe, "describe"),
            (Yaml, "yaml"),
            (Contexts, "contexts"),
            (Help, "help"),
            (Quit, "quit"),
        ],
        "text" => &[
            (Back, "back"),
            (Reveal, "reveal"),
            (Copy, "copy"),
            (Help, "help"),
        ],
        _ => &[
            (ToggleContext, "add/remove"),
            (Filter, "filter"),
            (Back, "back"),
            (Help, "help"),
        ],
    };
    actions
        .iter()
        .filter_map(|(a, label)| {
            app.config
                .keymap
                .key_for(mode, *a)
                .map(|k| format!("<{k}> {label}"))
        })
        .collect::<Vec<_>>()
        .join("  ")
}

/// kubectl's human duration ("45s", "3m12s", "5h", "12d", "2y45d").
pub fn age(secs: i64) -> String {
    if secs < -1 {
        return "<invalid>".into();
    }
    let s = secs.max(0);
    let (m, h, d) = (s / 60, s / 3600, s / 86400);
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        if s % 60 == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{}s", s % 60)
        }
    } else if h < 3 {
        format!("{m}m")
    } else if h < 8 {
        if m % 60 == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{}m", m % 60)
        }
    } else if h < 48 {
        format!("{h}h")
    } else if h < 24 * 8 {
        if h % 24 == 0 {
            format!("{d}d")
        } else {
            format!("{d}d{}h", h % 24)
        }
    } else if h < 24 * 365 * 2 {
        format!("{d}d")
    } else if h < 24 * 365 * 8 {
        let y = d / 365;
        if d % 365 == 0 {
            format!("{y}y")
        } else {
            format!("{y}y{}d", d % 365)
        }
    } else {
        format!("{}y", d / 365)
    }
}

#[cfg(test)]
mod tests {
    use super::age;

    #[test]
    fn ages_like_kubectl() {
        assert_eq!(age(5), "5s");
        assert_eq!(age(119), "119s");
        assert_eq!(age(192), "3m12s");
        assert_eq!(age(600), "10m");
        assert_eq!(age(5 * 3600 + 60 * 7), "5h7m");
        assert_eq!(age(30 * 3600), "30h");
        assert_eq!(age(3 * 86400 + 3600), "3d1h");
        assert_eq!(age(40 * 86400), "40d");
    }
}
