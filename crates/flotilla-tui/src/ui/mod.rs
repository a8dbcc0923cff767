//! The frame: the cluster header, the top screen (which draws itself), any modal layers over
//! it, and one line for the prompt, the flash message or key hints. Works down to 80×24.

mod header;

use crate::app::{App, PromptKind};
use crate::screens::FlashLevel;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(f: &mut Frame, app: &App) {
    draw_at(f, app, jiff::Timestamp::now().as_second());
}

/// `now` is injectable so snapshot tests render stable ages.
pub fn draw_at(f: &mut Frame, app: &App, now: i64) {
    let area = f.area();
    f.render_widget(
        ratatui::widgets::Block::default().style(app.config.theme.get("base")),
        area,
    );
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(header::height(app, area.width)),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    header::draw(f, head, app);
    app.top().draw(f, body, &app.draw_ctx(now));
    for m in app.modals() {
        m.draw(f, body, &app.config.theme);
    }
    footer(f, foot, app);
}

fn footer(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.config.theme;
    let line = if let Some(p) = &app.prompt {
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
        let cursor = theme.get("prompt").add_modifier(Modifier::REVERSED);
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
    } else if let Some(flash) = &app.flash {
        let slot = match flash.level {
            FlashLevel::Error => "flash-error",
            FlashLevel::Info => "flash-info",
        };
        // The one line every screen reports through, often with a server's or a file's
        // words in it: sanitized here, whoever built it.
        let text = crate::text::sanitize(&flash.text).into_owned();
        Line::from(Span::styled(text, theme.get(slot)))
    } else {
        Line::from(Span::styled(hints(app), theme.get("hint")))
    };
    f.render_widget(Paragraph::new(line), area);
}

fn hints(app: &App) -> String {
    let screen = app.top();
    screen
        .hints()
        .iter()
        .filter_map(|(a, label)| {
            app.config
                .keymap
                .key_for(screen.mode(), a)
                .map(|k| format!("<{k}> {label}"))
        })
        .collect::<Vec<_>>()
        .join("  ")
}
