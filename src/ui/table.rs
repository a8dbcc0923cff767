//! A resource list: only the visible rows are turned into widgets, so a 60k-row view draws
//! as fast as a 20-row one.

use crate::app::App;
use crate::app::table_view::{DisplayCol, Scope, SortBy, TableView};
use crate::kinds::health::RowHealth;
use crate::store::SheetState;
use crate::store::row::{ColumnKind, Row};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TRow, Table};

const MAX_COL: usize = 48;

fn header_name(t: &TableView, c: DisplayCol) -> String {
    match c {
        DisplayCol::Cluster => "CLUSTER".into(),
        DisplayCol::Namespace => "NAMESPACE".into(),
        DisplayCol::Cell(i) => t
            .columns
            .get(i)
            .map(|c| c.name.to_uppercase())
            .unwrap_or_default(),
    }
}

fn cell_text(
    app: &App,
    t: &TableView,
    row: &Row,
    cluster: usize,
    c: DisplayCol,
    now: i64,
) -> String {
    match c {
        DisplayCol::Cluster => app.cluster_name(cluster).to_string(),
        DisplayCol::Namespace => row.namespace.clone(),
        DisplayCol::Cell(i) => match t.columns.get(i).map(|c| &c.kind) {
            Some(ColumnKind::Age) => row
                .created
                .map(|c| super::age(now - c))
                .unwrap_or_else(|| t.cell(row, cluster, i).to_string()),
            Some(ColumnKind::LastSeen) => row
                .last_seen
                .map(|c| super::age(now - c))
                .unwrap_or_else(|| t.cell(row, cluster, i).to_string()),
            _ => t.cell(row, cluster, i).to_string(),
        },
    }
}

fn title(app: &App, t: &TableView) -> Line<'static> {
    let theme = &app.config.theme;
    let ns = match &t.namespaces {
        _ if !t.namespaced => String::new(),
        None => "(all)".into(),
        Some(n) => format!("({})", n.join(",")),
    };
    let scope = match &t.scope {
        Some(Scope::Selector { what, .. } | Scope::Owner { what, .. }) => format!(" ‹{what}›"),
        Some(Scope::Node { node, .. }) => format!(" ‹node/{node}›"),
        None => String::new(),
    };
    let clusters = match &t.clusters {
        Some(ids) => format!(
            " @{}",
            ids.iter()
                .map(|i| app.cluster_name(*i))
                .collect::<Vec<_>>()
                .join(",")
        ),
        None => String::new(),
    };
    let count = if t.filter.is_active() || t.scope.is_some() {
        format!("[{}/{}]", t.rows.len(), t.total)
    } else {
        format!("[{}]", t.rows.len())
    };
    let mut spans = vec![Span::styled(
        format!(" {}{ns}{clusters}{scope}{count} ", t.title),
        theme.get("title"),
    )];
    if t.filter.is_active() {
        spans.push(Span::styled(
            format!("</{}> ", t.filter.text),
            theme.get("prompt"),
        ));
    }
    if let Some(e) = &t.filter.error {
        spans.push(Span::styled(format!("{e} "), theme.get("flash-error")));
    }
    for (id, state) in &t.state {
        let name = app.cluster_name(*id).to_string();
        match state {
            SheetState::Syncing => spans.push(Span::styled(
                format!("{name}: syncing… "),
                theme.get("cluster-connecting"),
            )),
            SheetState::Failed(why) => {
                let why: String = why.chars().take(50).collect();
                spans.push(Span::styled(
                    format!("{name}: {why} "),
                    theme.get("cluster-degraded"),
                ))
            }
            SheetState::Ready => {}
        }
    }
    Line::from(spans)
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, t: &TableView, now: i64) {
    let theme = &app.config.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.get("border"))
        .title(title(app, t));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if t.columns.is_empty() && t.rows.is_empty() {
        let live = app.live();
        let msg = if t.clusters_in_scope(&live).is_empty() {
            "no live cluster in scope — :ctx to add one".to_string()
        } else if t.state.is_empty() {
            format!("waiting for {} …", t.res)
        } else {
            "no rows".to_string()
        };
        f.render_widget(Paragraph::new(msg).style(theme.get("hint")), inner);
        return;
    }
    let height = usize::from(inner.height.saturating_sub(1));
    let offset = if t.selected >= height {
        t.selected + 1 - height
    } else {
        0
    };
    let visible: Vec<(usize, usize, &Row)> = t
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .filter_map(|(i, r)| t.row(&app.store, *r).map(|row| (i, r.cluster, row)))
        .collect();
    let cells: Vec<Vec<String>> = visible
        .iter()
        .map(|(_, c, row)| {
            t.display
                .iter()
                .map(|d| cell_text(app, t, row, *c, *d, now))
                .collect()
        })
        .collect();
    let headers: Vec<String> = t.display.iter().map(|d| header_name(t, *d)).collect();
    let mut widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
                .max(h.chars().count() + 1)
                .min(MAX_COL)
        })
        .collect();
    // Drop `-o wide` columns (then others from the right) until the table fits.
    let mut shown: Vec<usize> = (0..t.display.len()).collect();
    let fits = |shown: &[usize], widths: &[usize]| {
        shown.iter().map(|i| widths[*i] + 1).sum::<usize>() <= usize::from(inner.width)
    };
    while !fits(&shown, &widths) && shown.len() > 1 {
        let wide = shown.iter().rposition(|i| matches!(t.display[*i], DisplayCol::Cell(c) if t.columns.get(c).is_some_and(|c| c.priority > 0)));
        match wide {
            Some(p) => {
                shown.remove(p);
            }
            None => {
                // Shrink the widest column before dropping anything else.
                if let Some(&w) = shown.iter().max_by_key(|i| widths[**i])
                    && widths[w] > 16
                {
                    widths[w] -= 1;
                    continue;
                }
                shown.pop();
            }
        }
    }
    let sorted_col = match &t.sort {
        SortBy::Col(c) => Some(*c),
        _ => None,
    };
    let header = TRow::new(shown.iter().map(|&i| {
        let mut h = headers[i].clone();
        if sorted_col == Some(t.display[i]) {
            h.push(if t.desc { '↓' } else { '↑' });
        }
        let style = if i == t.cursor_col {
            theme.get("cursor-column")
        } else {
            theme.get("table-header")
        };
        Cell::from(h).style(style)
    }))
    .style(theme.get("table-header"));
    let rows = visible.iter().zip(cells).map(|((i, _, row), cells)| {
        let slot = match row.health {
            RowHealth::Ok => "row-ok",
            RowHealth::Done => "row-done",
            RowHealth::Warn => "row-warn",
            RowHealth::Error => "row-error",
        };
        let style = if *i == t.selected {
            theme.get(slot).patch(theme.get("selected"))
        } else {
            theme.get(slot)
        };
        TRow::new(shown.iter().map(|&c| Cell::from(cells[c].clone()))).style(style)
    });
    let constraints: Vec<Constraint> = shown
        .iter()
        .map(|&i| Constraint::Length(widths[i] as u16))
        .collect();
    f.render_widget(
        Table::new(rows, constraints)
            .header(header)
            .column_spacing(1),
        inner,
    );
}
