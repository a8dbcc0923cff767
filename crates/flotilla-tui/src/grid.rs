//! A titled list of rows with a header, a cursor and columns as wide as what they show: the
//! fleet, triage and events screens draw through it. Callers hand over only the rows in view.

use crate::config::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};
use unicode_width::UnicodeWidthStr;

#[derive(Clone, Copy, Debug)]
pub enum Width {
    /// As wide as the widest cell in view, within these bounds.
    Fit(u16, u16),
    /// What is left.
    Fill,
}

pub struct GridRow {
    pub cells: Vec<String>,
    /// The theme slot the row is drawn with; a cell slot overrides it for that cell.
    pub slot: &'static str,
    pub cell_slots: Vec<(usize, &'static str)>,
}

impl GridRow {
    pub fn new(cells: Vec<String>, slot: &'static str) -> Self {
        GridRow {
            cells,
            slot,
            cell_slots: Vec::new(),
        }
    }
}

pub struct Grid<'a> {
    pub title: Vec<Span<'a>>,
    pub header: Vec<&'a str>,
    pub widths: Vec<Width>,
    /// The rows in view, and which of them is under the cursor.
    pub rows: Vec<GridRow>,
    pub selected: Option<usize>,
    /// Shown instead of the table when there are no rows.
    pub empty: String,
    /// Lines under the table, wrapped (the selected row's full message).
    pub detail: Vec<String>,
}

/// The first row in view for a cursor at `cursor` with `height` rows of room.
pub fn offset(cursor: usize, height: usize) -> usize {
    (cursor + 1).saturating_sub(height.max(1))
}

/// Rows of room inside the borders, under the header, above `detail` lines.
pub fn room(area: Rect, detail: usize) -> usize {
    usize::from(area.height.saturating_sub(3 + detail as u16)).max(1)
}

pub fn draw(f: &mut Frame, area: Rect, theme: &Theme, g: Grid) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.get("border"))
        .title(Line::from(g.title));
    if g.rows.is_empty() {
        let p = Paragraph::new(crate::text::clean(&g.empty))
            .block(block)
            .wrap(Wrap { trim: true })
            .style(theme.get("row-done"));
        f.render_widget(p, area);
        return;
    }
    let widths: Vec<Constraint> = g
        .widths
        .iter()
        .enumerate()
        .map(|(i, w)| match *w {
            Width::Fill => Constraint::Fill(1),
            Width::Fit(min, max) => {
                let widest = g
                    .rows
                    .iter()
                    .filter_map(|r| r.cells.get(i))
                    .map(|c| c.width())
                    .chain(g.header.get(i).map(|h| h.width()))
                    .max()
                    .unwrap_or(0);
                Constraint::Length((widest as u16).clamp(min, max))
            }
        })
        .collect();
    let header = Row::new(g.header.clone()).style(theme.get("table-header"));
    let rows = g.rows.iter().enumerate().map(|(i, r)| {
        let cells = r.cells.iter().enumerate().map(|(c, text)| {
            let cell = Cell::from(text.as_str());
            match r.cell_slots.iter().find(|(n, _)| *n == c) {
                Some((_, slot)) => cell.style(theme.get(slot)),
                None => cell,
            }
        });
        let style: Style = if g.selected == Some(i) {
            theme.get(r.slot).patch(theme.get("selected"))
        } else {
            theme.get(r.slot)
        };
        Row::new(cells).style(style)
    });
    let detail_lines = g.detail.len() as u16;
    let [table_area, detail_area] = if detail_lines > 0 {
        // The detail lines and the bottom border under them.
        Layout::vertical([Constraint::Min(3), Constraint::Length(detail_lines + 1)]).areas(area)
    } else {
        [area, Rect::default()]
    };
    let table = Table::new(rows, widths)
        .header(header)
        .block(if detail_lines > 0 {
            block.borders(Borders::TOP | Borders::LEFT | Borders::RIGHT)
        } else {
            block
        })
        .column_spacing(1);
    f.render_widget(table, table_area);
    if detail_lines > 0 {
        let text: Vec<Line> = g.detail.iter().map(|l| Line::from(l.as_str())).collect();
        let p = Paragraph::new(text)
            .block(
                Block::default()
                    .borders(Borders::BOTTOM | Borders::LEFT | Borders::RIGHT)
                    .border_style(theme.get("border")),
            )
            .style(theme.get("base"));
        f.render_widget(p, detail_area);
    }
}

/// `text` cut into lines of at most `width` columns (for the detail lines under a table).
pub fn wrap(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.width() + 1 + word.width() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    if out.len() > max_lines {
        out.truncate(max_lines);
        if let Some(last) = out.last_mut() {
            last.push('…');
        }
    }
    out
}
