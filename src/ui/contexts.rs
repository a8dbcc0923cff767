//! `:ctx`: every context in the kubeconfig, which are live and how they are doing.

use crate::app::{App, ContextsView};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Row, Table};

pub fn draw(f: &mut Frame, area: Rect, app: &App, c: &ContextsView) {
    let theme = &app.config.theme;
    let visible = c.visible(&app.contexts);
    let title = format!(" contexts[{}] live: {} ", visible.len(), app.live().len());
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.get("border"))
        .title(Span::styled(title, theme.get("title")));
    let header = Row::new([
        "",
        "CONTEXT",
        "CLUSTER",
        "USER",
        "NAMESPACE",
        "STATUS",
        "VERSION",
        "IDENTITY",
    ])
    .style(theme.get("table-header"));
    let height = usize::from(area.height.saturating_sub(3));
    let offset = if c.selected >= height {
        c.selected + 1 - height
    } else {
        0
    };
    let rows = visible
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, e)| {
            let live = app.live_id(&e.name);
            let (mark, status, version, identity, slot) = match live {
                Some(id) => {
                    let h = app.health(id);
                    let s = app.slot(id);
                    let status = match h.reason() {
                        Some(r) => format!("{}: {r}", h.label()),
                        None => h.label().to_string(),
                    };
                    let slot = match h.label() {
                        "ok" => "cluster-ok",
                        "connecting" => "cluster-connecting",
                        "degraded" => "cluster-degraded",
                        _ => "cluster-unreachable",
                    };
                    (
                        "✔",
                        status,
                        s.and_then(|s| s.version.clone()).unwrap_or_default(),
                        s.and_then(|s| s.identity.clone()).unwrap_or_default(),
                        slot,
                    )
                }
                None => (" ", String::new(), String::new(), String::new(), "row-done"),
            };
            let style = if i == c.selected {
                theme.get(slot).patch(theme.get("selected"))
            } else {
                theme.get(slot)
            };
            Row::new([
                Cell::from(mark),
                Cell::from(e.name.clone()),
                Cell::from(e.cluster.clone()),
                Cell::from(e.user.clone()),
                Cell::from(e.namespace.clone().unwrap_or_default()),
                Cell::from(status),
                Cell::from(version),
                Cell::from(identity),
            ])
            .style(style)
        });
    let widths = [
        Constraint::Length(1),
        Constraint::Min(10),
        Constraint::Min(8),
        Constraint::Min(8),
        Constraint::Min(9),
        Constraint::Min(12),
        Constraint::Length(10),
        Constraint::Min(10),
    ];
    f.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(block)
            .column_spacing(1),
        area,
    );
}
