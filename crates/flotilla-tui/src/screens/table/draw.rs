//! Drawing a resource list: only the visible rows are turned into widgets, so a 60k-row view
//! draws as fast as a 20-row one. Rows of a cluster that stopped answering, or whose watch is
//! broken, are dimmed and the title says for how long they have been stale.

use super::TableScreen;
use super::rows::{DisplayCol, Scope, SortBy};
use crate::human::{age, stale_for};
use crate::model::{ColumnKind, Row, Usage};
use crate::screens::DrawCtx;
use crate::store::SheetState;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TRow, Table};

const MAX_COL: usize = 48;

/// A row on screen: its index, sheet, context, (stale, marked) and the row.
type Visible<'a> = (usize, u16, &'a str, (bool, bool), &'a Row);

fn header_name(t: &TableScreen, c: DisplayCol) -> String {
    match c {
        DisplayCol::Cluster => "CLUSTER".into(),
        DisplayCol::Namespace => "NAMESPACE".into(),
        DisplayCol::Cpu => "CPU".into(),
        DisplayCol::Memory => "MEM".into(),
        DisplayCol::Cell(i) => t
            .rows
            .columns
            .get(i)
            .map(|c| c.name.to_uppercase())
            .unwrap_or_default(),
    }
}

/// A pod's or node's usage, and for nodes the share of allocatable (`3200m 20%`).
fn usage_text(t: &TableScreen, row: &Row, usage: Option<&Usage>, memory: bool) -> String {
    let Some(u) = usage else {
        return "n/a".into();
    };
    let node = t.rows.res.is("", "nodes");
    let got = if node {
        u.nodes.get(&row.name)
    } else {
        u.pods.get(&(row.namespace.clone(), row.name.clone()))
    };
    let Some(&(cpu, mem)) = got else {
        return "-".into();
    };
    let (used, text) = if memory {
        (mem, crate::human::mebibytes(mem))
    } else {
        (cpu, crate::human::millicores(cpu))
    };
    let alloc = row
        .fact(if memory {
            "allocatable/memory"
        } else {
            "allocatable/cpu"
        })
        .and_then(|f| crate::quantity::amount(&f.value, !memory))
        .filter(|a| *a > 0);
    match alloc {
        Some(a) if node => format!("{text} {}%", used * 100 / a),
        _ => text,
    }
}

fn cell_text(
    t: &TableScreen,
    row: &Row,
    sheet: u16,
    context: &str,
    c: DisplayCol,
    now: i64,
    usage: Option<&Usage>,
) -> String {
    match c {
        DisplayCol::Cpu => usage_text(t, row, usage, false),
        DisplayCol::Memory => usage_text(t, row, usage, true),
        DisplayCol::Cluster => context.to_string(),
        DisplayCol::Namespace => row.namespace.clone(),
        DisplayCol::Cell(i) => match t.rows.columns.get(i).map(|c| &c.kind) {
            Some(ColumnKind::Age) => row
                .created
                .map(|c| age(now - c))
                .unwrap_or_else(|| t.rows.cell(row, sheet, i).to_string()),
            Some(ColumnKind::LastSeen) => row
                .last_seen
                .map(|c| age(now - c))
                .unwrap_or_else(|| t.rows.cell(row, sheet, i).to_string()),
            _ => t.rows.cell(row, sheet, i).to_string(),
        },
    }
}

fn title(t: &TableScreen, ctx: &DrawCtx) -> Line<'static> {
    let theme = &ctx.config.theme;
    let r = &t.rows;
    let ns = match &r.namespaces {
        _ if !r.namespaced => String::new(),
        None => "(all)".into(),
        Some(n) => format!("({})", n.join(",")),
    };
    let scope = match &r.scope {
        Some(Scope::Selector { what, .. } | Scope::Owner { what, .. }) => format!(" ‹{what}›"),
        Some(Scope::Node { node, .. }) => format!(" ‹node/{node}›"),
        None => String::new(),
    };
    let contexts = match &t.contexts {
        Some(names) => format!(" @{}", names.join(",")),
        None => String::new(),
    };
    let shown = r.rows().len();
    let count = if r.filter.is_active() || r.scope.is_some() {
        format!("[{shown}/{}]", r.total())
    } else {
        format!("[{shown}]")
    };
    let mut spans = vec![Span::styled(
        format!(" {}{ns}{contexts}{scope}{count} ", t.title),
        theme.get("title"),
    )];
    if !ctx.shared.marks.is_empty() {
        spans.push(Span::styled(
            format!("{} marked ", ctx.shared.marks.len()),
            theme.get("row-marked"),
        ));
    }
    if r.filter.is_active() {
        spans.push(Span::styled(
            format!("</{}> ", r.filter.text),
            theme.get("prompt"),
        ));
    }
    if let Some(e) = &r.filter.error {
        spans.push(Span::styled(format!("{e} "), theme.get("flash-error")));
    }
    // Loading is named per cluster while there are few; stale and failing ones always are.
    let in_scope = t.clusters_in_scope(ctx.store);
    let syncing: Vec<&str> = in_scope
        .iter()
        .filter(|(id, _)| {
            ctx.store.stale_since(*id, Some(&r.res)).is_none()
                && ctx
                    .store
                    .sheet(*id, &r.res)
                    .is_some_and(|s| s.state == SheetState::Syncing)
        })
        .map(|(_, name)| *name)
        .collect();
    if syncing.len() > 2 {
        spans.push(Span::styled(
            format!("syncing {} of {} clusters… ", syncing.len(), in_scope.len()),
            theme.get("cluster-connecting"),
        ));
    }
    for (id, name) in in_scope {
        let sheet = ctx.store.sheet(id, &r.res);
        let stale = ctx.store.stale_since(id, Some(&r.res));
        let (text, slot) = match (stale, sheet.map(|s| &s.state)) {
            (Some(since), state) => {
                let why = match state {
                    Some(SheetState::Failed(why)) => why.clone(),
                    _ => ctx.store.health(id).reason().unwrap_or("").to_string(),
                };
                let why: String = why.chars().take(50).collect();
                (
                    format!("{name}: {} ({why}) ", stale_for(since)),
                    "cluster-unreachable",
                )
            }
            (None, Some(SheetState::Syncing)) if syncing.len() <= 2 => {
                (format!("{name}: syncing… "), "cluster-connecting")
            }
            (None, Some(SheetState::Failed(why))) => {
                let why: String = why.chars().take(50).collect();
                (format!("{name}: {why} "), "cluster-degraded")
            }
            _ => continue,
        };
        spans.push(Span::styled(text, theme.get(slot)));
    }
    Line::from(spans)
}

pub fn draw(t: &TableScreen, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
    let theme = &ctx.config.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.get("border"))
        .title(title(t, ctx));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let shown = t.rows.rows();
    if t.rows.columns.is_empty() && shown.is_empty() {
        let in_scope = t.clusters_in_scope(ctx.store);
        let msg = if in_scope.is_empty() {
            "no live cluster in scope — :ctx to add one".to_string()
        } else if in_scope
            .iter()
            .all(|(id, _)| ctx.store.sheet(*id, &t.rows.res).is_none())
        {
            format!("waiting for {} …", t.rows.res)
        } else {
            "no rows".to_string()
        };
        f.render_widget(Paragraph::new(msg).style(theme.get("hint")), inner);
        return;
    }
    let height = usize::from(inner.height.saturating_sub(1));
    let offset = if t.cursor >= height {
        t.cursor + 1 - height
    } else {
        0
    };
    let visible: Vec<Visible> = shown
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .filter_map(|(i, r)| {
            let row = t.rows.row(ctx.store, *r)?;
            let cluster = t.rows.cluster_of(*r);
            let stale = ctx.store.stale_since(cluster, Some(&t.rows.res)).is_some();
            let marked = ctx.shared.is_marked(cluster, &row.uid);
            Some((i, r.sheet, t.rows.context_of(*r), (stale, marked), row))
        })
        .collect();
    let usage_of = |context: &str| match &ctx.store.clusters.by_context(context)?.usage {
        Some(Ok(u)) => Some(u),
        _ => None,
    };
    let cells: Vec<Vec<String>> = visible
        .iter()
        .map(|(_, sheet, context, _, row)| {
            let usage = usage_of(context);
            t.display
                .iter()
                .map(|d| cell_text(t, row, *sheet, context, *d, ctx.now, usage))
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
    let mut cols: Vec<usize> = (0..t.display.len()).collect();
    let fits = |cols: &[usize], widths: &[usize]| {
        cols.iter().map(|i| widths[*i] + 1).sum::<usize>() <= usize::from(inner.width)
    };
    while !fits(&cols, &widths) && cols.len() > 1 {
        let wide = cols.iter().rposition(|i| matches!(t.display[*i], DisplayCol::Cell(c) if t.rows.columns.get(c).is_some_and(|c| c.priority > 0)));
        match wide {
            Some(p) => {
                cols.remove(p);
            }
            None => {
                // Shrink the widest column before dropping anything else.
                if let Some(&w) = cols.iter().max_by_key(|i| widths[**i])
                    && widths[w] > 16
                {
                    widths[w] -= 1;
                    continue;
                }
                cols.pop();
            }
        }
    }
    let sorted_col = match &t.rows.sort {
        SortBy::Col(c) => Some(*c),
        _ => None,
    };
    let header = TRow::new(cols.iter().map(|&i| {
        let mut h = headers[i].clone();
        if sorted_col == Some(t.display[i]) {
            h.push(if t.rows.desc { '↓' } else { '↑' });
        }
        let style = if i == t.cursor_col {
            theme.get("cursor-column")
        } else {
            theme.get("table-header")
        };
        Cell::from(h).style(style)
    }))
    .style(theme.get("table-header"));
    let rows = visible
        .iter()
        .zip(cells)
        .map(|((i, _, _, (stale, marked), row), cells)| {
            let mut style = theme.get(row.health.slot());
            if *marked {
                style = style.patch(theme.get("row-marked"));
            }
            if *stale {
                style = style.patch(theme.get("row-stale"));
            }
            if *i == t.cursor {
                style = style.patch(theme.get("selected"));
            }
            TRow::new(cols.iter().map(|&c| Cell::from(cells[c].clone()))).style(style)
        });
    let constraints: Vec<Constraint> = cols
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
