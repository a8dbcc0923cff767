//! `:inspect [@CTX,…]`: the checks of `inspect::CHECKS` run against every connected
//! cluster (each read and judged on its own), with the fleet's score, each cluster's by
//! category, and the findings worst first; `s` shows the scores per category and namespace
//! instead. Enter jumps to the object's list with the cursor on it; `r` runs again.

use super::table::TableScreen;
use super::{Ctx, DrawCtx, Screen};
use crate::grid::{self, Grid, GridRow, Width};
use crate::inspect::render::score as score_text;
use crate::inspect::{ClusterReport, Finding, Options, Report};
use crate::model::{Action, ClusterId};
use crate::text::clean;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub const MODE: &str = "inspect";

enum State {
    Running,
    Done(Box<ClusterReport>),
    Failed(String),
}

struct Target {
    cluster: ClusterId,
    context: String,
    state: State,
}

/// One row of the list: a finding (silenced ones carry the reason), or a score.
enum Row {
    Finding {
        cluster: usize,
        index: usize,
        silenced: bool,
    },
    Score {
        cluster: usize,
        scope: String,
        score: Option<u8>,
        flagged: String,
    },
}

pub struct InspectScreen {
    targets: Vec<Target>,
    opts: Options,
    /// The fleet as answered so far (clusters still running are not in it).
    report: Report,
    rows: Vec<Row>,
    cursor: usize,
    filter: String,
    scores: bool,
    /// Bumped by every run: answers of an earlier one are dropped.
    run: u64,
}

pub fn open(args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let opts = Options::from_settings(&ctx.config.settings.inspect)?;
    let targets = super::targets("inspect", args, ctx)?
        .into_iter()
        .map(|(cluster, context)| Target {
            cluster,
            context,
            state: State::Running,
        })
        .collect();
    Ok(Box::new(InspectScreen {
        targets,
        opts,
        report: Report::new(Vec::new(), jiff::Timestamp::now()),
        rows: Vec::new(),
        cursor: 0,
        filter: String::new(),
        scores: false,
        run: 0,
    }))
}

fn severity_slot(f: &Finding) -> &'static str {
    match f.severity {
        crate::inspect::Severity::Error => "row-error",
        crate::inspect::Severity::Warning => "row-warn",
        crate::inspect::Severity::Info => "row-ok",
    }
}

impl InspectScreen {
    fn start(&mut self, ctx: &mut Ctx) {
        self.run += 1;
        for (i, t) in self.targets.iter_mut().enumerate() {
            let connected = ctx
                .store
                .clusters
                .get(t.cluster)
                .is_some_and(|s| s.connected);
            if !connected {
                t.state = State::Failed(crate::model::not_connected().message);
                continue;
            }
            t.state = State::Running;
            let run = self.run;
            ctx.inspect(
                t.cluster,
                self.opts.clone(),
                move |me: &mut Self, r, _: &mut Ctx| me.inspected(run, i, r),
            );
        }
        self.rebuild();
    }

    /// The fleet report from what has answered, and the rows it shows.
    fn rebuild(&mut self) {
        let clusters = self
            .targets
            .iter()
            .filter_map(|t| match &t.state {
                State::Running => None,
                State::Done(r) => Some((**r).clone()),
                State::Failed(why) => Some(ClusterReport::unreachable(&t.context, why)),
            })
            .collect();
        self.report = Report::new(clusters, jiff::Timestamp::now());
        self.rows = self.lines();
        self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
    }

    fn lines(&self) -> Vec<Row> {
        let f = &self.filter;
        let matches =
            |texts: &[&str]| f.is_empty() || texts.iter().any(|t| t.to_lowercase().contains(f));
        let mut rows = Vec::new();
        for (ci, c) in self.report.clusters.iter().enumerate() {
            if self.scores {
                let scopes = c
                    .categories
                    .iter()
                    .map(|(cat, s)| (format!("category {}", cat.name()), s))
                    .chain(
                        c.namespaces
                            .iter()
                            .map(|(ns, s)| (format!("namespace {ns}"), s)),
                    );
                for (scope, s) in scopes {
                    if matches(&[&c.name, &scope]) {
                        rows.push(Row::Score {
                            cluster: ci,
                            flagged: format!("{} of {}", s.count.findings, s.count.examined),
                            scope,
                            score: s.score,
                        });
                    }
                }
                continue;
            }
            let listed = c
                .findings
                .iter()
                .map(|f| (f, false))
                .chain(c.silenced.iter().map(|s| (&s.finding, true)));
            for (index, (fd, silenced)) in listed.enumerate() {
                let ns = fd.namespace.as_deref().unwrap_or("");
                if matches(&[&fd.cluster, &fd.check, ns, &fd.object(), &fd.detail]) {
                    rows.push(Row::Finding {
                        cluster: ci,
                        index,
                        silenced,
                    });
                }
            }
        }
        if !self.scores {
            // Worst first across the fleet; silenced ones last.
            rows.sort_by_key(|r| match r {
                Row::Finding { silenced, .. } => (*silenced, self.finding(r).map(|f| f.severity)),
                Row::Score { .. } => (true, None),
            });
        }
        rows
    }

    fn finding(&self, row: &Row) -> Option<&Finding> {
        let Row::Finding { cluster, index, .. } = row else {
            return None;
        };
        let c = self.report.clusters.get(*cluster)?;
        c.findings
            .iter()
            .chain(c.silenced.iter().map(|s| &s.finding))
            .nth(*index)
    }

    fn silence_reason(&self, row: &Row) -> Option<&str> {
        let Row::Finding {
            cluster,
            index,
            silenced: true,
        } = row
        else {
            return None;
        };
        let c = self.report.clusters.get(*cluster)?;
        c.silenced
            .get(index - c.findings.len())
            .map(|s| s.reason.as_str())
    }

    fn jump(&self, ctx: &mut Ctx) {
        let Some(f) = self.rows.get(self.cursor).and_then(|r| self.finding(r)) else {
            return;
        };
        if f.kind == "APIVersion" {
            ctx.info(format!("{}: {} {}", f.cluster, f.name, f.detail));
            return;
        }
        let Some(t) = self.targets.iter().find(|t| t.context == f.cluster) else {
            return;
        };
        let ns = f.namespace.as_deref().unwrap_or("");
        match TableScreen::at_named(&f.object(), ctx, t.cluster, ns) {
            Ok(view) => ctx.push(Box::new(view)),
            Err(e) => ctx.error(e),
        }
    }

    /// The fleet's line, then one per cluster with its score by category.
    fn summary(&self, ctx: &DrawCtx) -> Vec<Line<'static>> {
        let theme = &ctx.config.theme;
        let n = &self.report.fleet.counts;
        let running = self
            .targets
            .iter()
            .filter(|t| matches!(t.state, State::Running))
            .count();
        let mut fleet = vec![
            Span::styled(
                format!(" fleet score {} · ", score_text(self.report.fleet.score)),
                theme.get("title"),
            ),
            Span::styled(format!("{} error ", n.error), theme.get("row-error")),
            Span::styled(format!("{} warning ", n.warning), theme.get("row-warn")),
            Span::styled(format!("{} info ", n.info), theme.get("row-ok")),
            Span::styled(
                format!("· {} silenced · {} examined", n.silenced, n.examined),
                theme.get("row-done"),
            ),
        ];
        if running > 0 {
            fleet.push(Span::styled(
                format!(" · inspecting {running} cluster(s)…"),
                theme.get("row-done"),
            ));
        }
        let mut lines = vec![Line::from(fleet)];
        for t in &self.targets {
            let (slot, text) = match &t.state {
                State::Running => ("row-done", "inspecting…".to_string()),
                State::Failed(why) => ("row-error", format!("not inspected: {}", clean(why))),
                State::Done(r) => {
                    let cats: Vec<String> = r
                        .categories
                        .iter()
                        .map(|(c, s)| format!("{} {}", c.name(), score_text(s.score)))
                        .collect();
                    let mut text = format!("score {}  {}", score_text(r.score), cats.join(" · "));
                    if !r.errors.is_empty() {
                        text.push_str(&format!("  (unread: {})", clean(&r.errors.join("; "))));
                    }
                    ("row-ok", text)
                }
            };
            lines.push(Line::from(vec![
                Span::styled(format!(" {:<14} ", clean(&t.context)), theme.get("title")),
                Span::styled(text, theme.get(slot)),
            ]));
        }
        lines
    }

    /// One cluster's report, unless a newer run has started since.
    fn inspected(
        &mut self,
        run: u64,
        i: usize,
        result: Result<Box<crate::inspect::ClusterReport>, String>,
    ) {
        if run != self.run {
            return;
        }
        let Some(t) = self.targets.get_mut(i) else {
            return;
        };
        t.state = match result {
            Ok(r) => State::Done(r),
            Err(e) => State::Failed(e),
        };
        self.rebuild();
    }
}

impl Screen for InspectScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Enter, "go to object"),
            (Action::Scores, "scores/findings"),
            (Action::Rerun, "run again"),
            (Action::Filter, "filter"),
            (Action::Back, "back"),
        ]
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        self.start(ctx);
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = super::moved(action, self.cursor, self.rows.len()) {
            self.cursor = to;
            return true;
        }
        match action {
            Action::Enter => self.jump(ctx),
            Action::Rerun => self.start(ctx),
            Action::Scores => {
                self.scores = !self.scores;
                self.cursor = 0;
                self.rows = self.lines();
            }
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let summary = self.summary(ctx);
        let [top, body] = Layout::vertical([
            Constraint::Length((summary.len() as u16).min(area.height / 3)),
            Constraint::Fill(1),
        ])
        .areas(area);
        f.render_widget(Paragraph::new(summary), top);
        let mut title = vec![Span::styled(
            format!(
                " inspect[{}] {} ",
                self.rows.len(),
                if self.scores { "scores" } else { "findings" }
            ),
            theme.get("title"),
        )];
        if !self.filter.is_empty() {
            title.push(Span::styled(
                format!("</{}> ", self.filter),
                theme.get("title"),
            ));
        }
        let width = usize::from(body.width.saturating_sub(2)).max(10);
        let detail = match self.rows.get(self.cursor) {
            Some(r @ Row::Finding { .. }) => self
                .finding(r)
                .and_then(|fd| {
                    let check = self.report.checks.get(fd.check.as_ref())?;
                    let message = check.message.trim_end_matches('.');
                    let mut text = format!("{message}. Fix: {}", check.fix);
                    if let Some(reason) = self.silence_reason(r) {
                        text = format!("Silenced: {}. {text}", clean(reason));
                    }
                    Some(grid::wrap(&clean(&text), width, 3))
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let height = grid::room(body, detail.len());
        let offset = grid::offset(self.cursor, height);
        let rows = self
            .rows
            .iter()
            .skip(offset)
            .take(height)
            .filter_map(|r| match r {
                Row::Finding { silenced, .. } => {
                    let fd = self.finding(r)?;
                    let (sev, slot) = if *silenced {
                        ("silenced", "row-done")
                    } else {
                        (fd.severity.name(), severity_slot(fd))
                    };
                    Some(GridRow::new(
                        vec![
                            sev.to_string(),
                            clean(&fd.cluster),
                            fd.check.to_string(),
                            clean(fd.namespace.as_deref().unwrap_or("")),
                            clean(&fd.object()),
                            clean(&fd.detail),
                        ],
                        slot,
                    ))
                }
                Row::Score {
                    cluster,
                    scope,
                    score,
                    flagged,
                } => {
                    let name = self.report.clusters.get(*cluster).map(|c| clean(&c.name));
                    let slot = match score {
                        Some(s) if *s < 50 => "row-error",
                        Some(s) if *s < 80 => "row-warn",
                        _ => "row-ok",
                    };
                    Some(GridRow::new(
                        vec![
                            name.unwrap_or_default(),
                            clean(scope),
                            score_text(*score),
                            flagged.clone(),
                        ],
                        slot,
                    ))
                }
            })
            .collect();
        let (header, widths) = if self.scores {
            (
                vec!["CLUSTER", "SCOPE", "SCORE", "FLAGGED"],
                vec![
                    Width::Fit(7, 30),
                    Width::Fit(5, 50),
                    Width::Fit(5, 5),
                    Width::Fill,
                ],
            )
        } else {
            (
                vec![
                    "SEVERITY",
                    "CLUSTER",
                    "CHECK",
                    "NAMESPACE",
                    "OBJECT",
                    "DETAIL",
                ],
                vec![
                    Width::Fit(8, 8),
                    Width::Fit(7, 30),
                    Width::Fit(5, 36),
                    Width::Fit(9, 20),
                    Width::Fit(6, 48),
                    Width::Fill,
                ],
            )
        };
        let running = self
            .targets
            .iter()
            .any(|t| matches!(t.state, State::Running));
        grid::draw(
            f,
            body,
            theme,
            Grid {
                title,
                header,
                widths,
                rows,
                selected: Some(self.cursor.saturating_sub(offset)),
                empty: if running {
                    "Inspecting…".into()
                } else if self.filter.is_empty() {
                    "Nothing found.".into()
                } else {
                    "Nothing matches the filter.".into()
                },
                detail,
            },
        );
    }

    fn filter(&self) -> Option<&str> {
        Some(&self.filter)
    }

    fn set_filter(&mut self, text: &str, _ctx: &mut Ctx) {
        self.filter = text.to_lowercase();
        self.cursor = 0;
        self.rows = self.lines();
    }
}
