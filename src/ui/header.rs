//! The cluster header: every live cluster with its status badge, version and reason, and
//! the identity when there is room. Wraps onto more lines rather than hiding a cluster.

use crate::app::App;
use crate::cluster::connection::Health;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

fn badge(h: &Health) -> (&'static str, &'static str) {
    match h {
        Health::Ok => ("●", "cluster-ok"),
        Health::Connecting => ("◌", "cluster-connecting"),
        Health::Degraded(_) => ("◐", "cluster-degraded"),
        Health::Unreachable(_) => ("✖", "cluster-unreachable"),
    }
}

fn spans(app: &App) -> Vec<Span<'static>> {
    let theme = &app.config.theme;
    let mut out = vec![Span::styled("flotilla ", theme.get("title"))];
    let live = app.live();
    if live.is_empty() {
        out.push(Span::styled(
            "no live cluster — :ctx to add one",
            theme.get("flash-error"),
        ));
    }
    for id in live {
        let Some(slot) = app.slot(id) else { continue };
        let h = app.health(id);
        let (mark, style) = badge(&h);
        out.push(Span::styled(
            format!(" {mark} {} ", slot.context),
            theme.get(style),
        ));
        let mut detail = h.label().to_string();
        if let Some(v) = &slot.version
            && h == Health::Ok
        {
            detail = v.clone();
        }
        if let Some(r) = h.reason() {
            let r: String = r.chars().take(90).collect();
            detail = format!("{detail}: {r}");
        }
        out.push(Span::styled(format!("{detail} "), theme.get("header")));
        out.push(Span::styled("│", theme.get("border")));
    }
    out
}

pub fn height(app: &App, width: u16) -> u16 {
    let len: usize = spans(app).iter().map(|s| s.content.chars().count()).sum();
    let w = usize::from(width.max(1));
    (len.div_ceil(w)).clamp(1, 3) as u16
}

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    f.render_widget(
        Paragraph::new(Line::from(spans(app))).wrap(Wrap { trim: false }),
        area,
    );
}
