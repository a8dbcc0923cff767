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
    /// As `Fit`, for a column that tells rows apart (a cluster's name): never narrowed. When
    /// a grid with such a column is too narrow, its other columns drop from the right.
    Key(u16, u16),
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
    let widest = |i: usize| {
        g.rows
            .iter()
            .filter_map(|r| r.cells.get(i))
            .map(|c| c.width())
            .chain(g.header.get(i).map(|h| h.width()))
            .max()
            .unwrap_or(0) as u16
    };
    // Each column's width; a `Fill` column needs at least its header's.
    let lengths: Vec<u16> = g
        .widths
        .iter()
        .enumerate()
        .map(|(i, w)| match *w {
            Width::Fill => g.header.get(i).map_or(1, |h| h.width() as u16),
            Width::Fit(min, max) | Width::Key(min, max) => widest(i).clamp(min, max),
        })
        .collect();
    let is_key = |i: usize| matches!(g.widths.get(i), Some(Width::Key(..)));
    let mut shown: Vec<usize> = (0..g.widths.len()).collect();
    if (0..g.widths.len()).any(is_key) {
        let inner = area.width.saturating_sub(2);
        let needed = |shown: &[usize]| -> u16 {
            let spacing = shown.len().saturating_sub(1) as u16;
            shown.iter().map(|&i| lengths[i]).sum::<u16>() + spacing
        };
        while needed(&shown) > inner {
            match shown.iter().rposition(|&i| !is_key(i)) {
                Some(at) => {
                    shown.remove(at);
                }
                None => break,
            }
        }
    }
    let widths: Vec<Constraint> = shown
        .iter()
        .map(|&i| match g.widths[i] {
            Width::Fill => Constraint::Fill(1),
            _ => Constraint::Length(lengths[i]),
        })
        .collect();
    let header: Vec<&str> = shown
        .iter()
        .filter_map(|&i| g.header.get(i).copied())
        .collect();
    let header = Row::new(header).style(theme.get("table-header"));
    let rows = g.rows.iter().enumerate().map(|(i, r)| {
        let cells = shown.iter().filter_map(|&c| {
            let cell = Cell::from(r.cells.get(c)?.as_str());
            Some(match r.cell_slots.iter().find(|(n, _)| *n == c) {
                Some((_, slot)) => cell.style(theme.get(slot)),
                None => cell,
            })
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
