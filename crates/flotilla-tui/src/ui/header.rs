//! The cluster header: every live cluster with its badge, version or reason, and how long its
//! rows have been stale. A few clusters wrap onto up to three lines rather than hide one; with
//! many (ten or more) the header stays one line: counts by state, then the names of those
//! that are not ok. The full list is `:ctx`.

use crate::app::App;
use crate::human::{as_of, stale_for};
use crate::model::{ClusterId, Health};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// From this many live clusters on, the header is the one-line summary.
const SUMMARY_FROM: usize = 10;

fn clusters(app: &App) -> Vec<(ClusterId, &str, Health)> {
    app.store
        .clusters
        .iter()
        .map(|s| (s.id, s.context.as_str(), app.store.health(s.id)))
        .collect()
}

/// "unreachable, stale 2m: no answer within 3s"; "v1.36.3 via hub, as of 12s" for a cluster
/// known through an index.
fn detail(app: &App, id: ClusterId, h: &Health) -> String {
    let slot = app.store.clusters.get(id);
    let mut detail = match (h, slot.and_then(|s| s.version.clone())) {
        (Health::Ok, Some(v)) => v,
        _ => h.label().to_string(),
    };
    if let Some(hub) = slot.and_then(|s| s.via.as_deref()) {
        detail = format!("{detail} via {hub}");
        if let Some(at) = app.store.as_of(id).filter(|_| *h == Health::Ok) {
            detail = format!("{detail}, {}", as_of(at));
        }
    }
    if let Some(since) = app.store.stale_since(id, None) {
        detail = format!("{detail}, {}", stale_for(since));
    }
    if let Some(r) = h.reason() {
        let r: String = r.chars().take(90).collect();
        detail = format!("{detail}: {r}");
    }
    detail
}

fn full(app: &App) -> Vec<Span<'static>> {
    let theme = &app.config.theme;
    let mut out = vec![Span::styled("flotilla ", theme.get("title"))];
    if app.policy.all_read_only() {
        out.push(Span::styled("READ-ONLY ", theme.get("flash-error")));
    }
    let all = clusters(app);
    if all.is_empty() {
        out.push(Span::styled(
            "no live cluster — :ctx to add one",
            theme.get("flash-error"),
        ));
    }
    for (id, name, h) in all {
        let (mark, style) = h.badge();
        out.push(Span::styled(format!(" {mark} {name} "), theme.get(style)));
        if !app.policy.all_read_only() && app.policy.read_only(name) {
            out.push(Span::styled("read-only ", theme.get("flash-error")));
        }
        out.push(Span::styled(
            format!("{} ", detail(app, id, &h)),
            theme.get("header"),
        ));
        out.push(Span::styled("│", theme.get("border")));
    }
    out
}

/// "flotilla 12 clusters: 10 ok · 2 unreachable │ ✖ prod-eu stale 2m ✖ dr-1"
fn summary(app: &App, width: usize) -> Vec<Span<'static>> {
    let theme = &app.config.theme;
    let all = clusters(app);
    let mut counts: Vec<(&'static str, usize, &'static str)> = Vec::new();
    for (_, _, h) in &all {
        match counts.iter_mut().find(|c| c.0 == h.label()) {
            Some(c) => c.1 += 1,
            None => counts.push((h.label(), 1, h.badge().1)),
        }
    }
    counts.sort_by_key(|c| {
        ["ok", "connecting", "degraded", "unreachable"]
            .iter()
            .position(|l| *l == c.0)
    });
    let mut out = vec![Span::styled(
        format!("flotilla {} clusters: ", all.len()),
        theme.get("title"),
    )];
    if app.policy.all_read_only() {
        out.insert(1, Span::styled("READ-ONLY ", theme.get("flash-error")));
    }
    for (i, (label, n, style)) in counts.iter().enumerate() {
        let sep = if i == 0 { "" } else { " · " };
        out.push(Span::styled(format!("{sep}{n} {label}"), theme.get(style)));
    }
    out.push(Span::styled(" │", theme.get("border")));
    for (id, name, h) in all.iter().filter(|(_, _, h)| *h != Health::Ok) {
        let (mark, style) = h.badge();
        let stale = app
            .store
            .stale_since(*id, None)
            .map(|s| format!(" {}", stale_for(s)))
            .unwrap_or_default();
        out.push(Span::styled(
            format!(" {mark} {name}{stale}"),
            theme.get(style),
        ));
    }
    truncate(out, width)
}

/// Cuts spans to `width` characters, ending in "…" when something was cut.
fn truncate(spans: Vec<Span<'static>>, width: usize) -> Vec<Span<'static>> {
    let total: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    if total <= width {
        return spans;
    }
    let mut left = width.saturating_sub(1);
    let mut out = Vec::new();
    for s in spans {
        let n = s.content.chars().count();
        if n <= left {
            left -= n;
            out.push(s);
        } else {
            let cut: String = s.content.chars().take(left).collect();
            out.push(Span::styled(format!("{cut}…"), s.style));
            break;
        }
    }
    out
}

fn width_of(spans: &[Span]) -> usize {
    spans.iter().map(|s| s.content.chars().count()).sum()
}

/// One line under the clusters while the audit log needs the user: changes are blocked
/// (the log is not as flotilla left it), or changes of an earlier run have no outcome.
fn audit_line(app: &App, width: usize) -> Option<Vec<Span<'static>>> {
    let theme = &app.config.theme;
    let audit = &app.audit;
    let text = match (&audit.blocked, audit.unknown.as_slice()) {
        (Some(why), _) => format!("✖ audit: {why}"),
        (None, []) => return None,
        (None, [one]) => format!(
            "⚠ audit: outcome unknown (flotilla stopped mid-change): {} at {} — :audit",
            one.what, one.time
        ),
        (None, many) => format!(
            "⚠ audit: {} changes with outcome unknown (flotilla stopped mid-change), newest {} at {} — :audit",
            many.len(),
            many[many.len() - 1].what,
            many[many.len() - 1].time
        ),
    };
    let style = if audit.blocked.is_some() {
        "flash-error"
    } else {
        "row-warn"
    };
    Some(truncate(
        vec![Span::styled(crate::text::clean(&text), theme.get(style))],
        width,
    ))
}

pub fn height(app: &App, width: u16) -> u16 {
    let w = usize::from(width.max(1));
    let audit = u16::from(audit_line(app, w).is_some());
    if app.store.clusters.len() >= SUMMARY_FROM {
        return 1 + audit;
    }
    (width_of(&full(app)).div_ceil(w)).clamp(1, 3) as u16 + audit
}

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let width = usize::from(area.width);
    let spans = if app.store.clusters.len() >= SUMMARY_FROM {
        summary(app, width)
    } else {
        full(app)
    };
    let mut area = area;
    if let Some(line) = audit_line(app, width) {
        let below = Rect {
            y: area.y + area.height.saturating_sub(1),
            height: 1.min(area.height),
            ..area
        };
        area.height = area.height.saturating_sub(1);
        f.render_widget(Paragraph::new(Line::from(line)), below);
    }
    f.render_widget(
        Paragraph::new(Line::from(spans)).wrap(Wrap { trim: false }),
        area,
    );
}
