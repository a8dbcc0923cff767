//! The plan of a rollback or an uninstall, before anything changes: for each release (one,
//! or the marked ones across clusters) what the servers' dry run says would happen to each
//! object, with its diff, and the records that would be written. Enter carries it out, after
//! the confirmation every change has; a plan that would fail anywhere is not carried out.
//! The screen then says what each release came to.

use crate::helm::releases::Release;
use crate::model::{Action, ObjectRef};
use crate::protocol::op::{HelmOp, Mutation, Op, Outcome};
use crate::screens::{Ctx, DrawCtx, Mutated, Screen};
use crate::text::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};
use serde_json::Value;

pub const MODE: &str = "helm-plan";

/// One release's plan, as the dry run answered.
#[derive(Clone, Debug, PartialEq)]
enum Planned {
    Waiting,
    Ready {
        summary: String,
        lines: Vec<String>,
    },
    /// The dry run failed (`lines` say where), or the change may not be made.
    Refused {
        why: String,
        lines: Vec<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Planning,
    Ready,
    Applying,
    Done,
}

pub struct PlanScreen {
    op: HelmOp,
    /// The newest record of each release.
    targets: Vec<ObjectRef>,
    /// "dev apps/frontend (revision 3)".
    names: Vec<String>,
    plans: Vec<Planned>,
    results: Vec<Option<Result<String, String>>>,
    phase: Phase,
    scroll: usize,
}

impl PlanScreen {
    pub fn new(op: HelmOp, releases: &[&Release]) -> Self {
        PlanScreen {
            op,
            targets: releases.iter().map(|r| r.storage(r.newest())).collect(),
            names: releases
                .iter()
                .map(|r| {
                    crate::text::clean(&format!(
                        "{} {}/{} (revision {})",
                        r.context,
                        r.namespace,
                        r.name,
                        r.newest().revision
                    ))
                })
                .collect(),
            plans: vec![Planned::Waiting; releases.len()],
            results: vec![None; releases.len()],
            phase: Phase::Planning,
            scroll: 0,
        }
    }

    fn what(&self) -> String {
        match self.op {
            HelmOp::Rollback { revision: Some(n) } => format!("rollback to revision {n}"),
            HelmOp::Rollback { revision: None } => "rollback to the revision before".into(),
            HelmOp::Uninstall { keep_history: true } => "uninstall, keeping the history".into(),
            HelmOp::Uninstall { .. } => "uninstall".into(),
        }
    }

    /// Every line drawn, top to bottom.
    pub fn text(&self) -> Vec<String> {
        let mut out = vec![match self.phase {
            Phase::Planning => "asking the servers for a dry run…".to_string(),
            Phase::Ready => {
                "<enter> carry it out (asks to confirm)  <q> back, nothing changed".into()
            }
            Phase::Applying => "carrying it out…".into(),
            Phase::Done => "done; <q> back".into(),
        }];
        if self
            .plans
            .iter()
            .any(|p| matches!(p, Planned::Refused { .. }))
            && self.phase != Phase::Planning
        {
            out[0] = "the plan cannot be carried out: see ✗ below; <q> back".into();
        }
        for (i, name) in self.names.iter().enumerate() {
            out.push(String::new());
            let head = match &self.plans[i] {
                Planned::Waiting => format!("{name}: planning…"),
                Planned::Ready { summary, .. } => format!("{name}: {summary}"),
                Planned::Refused { why, .. } => format!("✗ {name}: {why}"),
            };
            out.push(sanitize(&head).into_owned());
            match &self.results[i] {
                Some(Ok(s)) => out.push(sanitize(&format!("  ✓ {s}")).into_owned()),
                Some(Err(e)) => out.push(sanitize(&format!("  ✗ failed: {e}")).into_owned()),
                None => {}
            }
            if let Planned::Ready { lines, .. } | Planned::Refused { lines, .. } = &self.plans[i] {
                out.extend(
                    lines
                        .iter()
                        .map(|l| sanitize(&format!("  {l}")).into_owned()),
                );
            }
        }
        out
    }

    fn planned(&mut self, index: usize, result: Result<Outcome, String>) {
        let Some(slot) = self.plans.get_mut(index) else {
            return;
        };
        *slot = match result {
            Ok(o) => {
                let plan = o.object.unwrap_or(Value::Null);
                let lines: Vec<String> = plan
                    .get("plan")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                match plan.get("refused").and_then(Value::as_str) {
                    Some(why) => Planned::Refused {
                        why: why.to_string(),
                        lines,
                    },
                    None => Planned::Ready {
                        summary: o.summary,
                        lines,
                    },
                }
            }
            Err(why) => Planned::Refused {
                why,
                lines: Vec::new(),
            },
        };
        if !self.plans.contains(&Planned::Waiting) {
            self.phase = Phase::Ready;
        }
    }

    fn apply(&mut self, ctx: &mut Ctx) {
        if self.phase != Phase::Ready {
            return;
        }
        if self
            .plans
            .iter()
            .any(|p| matches!(p, Planned::Refused { .. }))
        {
            return ctx.error("the plan would fail (see ✗); nothing was changed");
        }
        let plan = self
            .names
            .iter()
            .zip(&self.plans)
            .map(|(n, p)| match p {
                Planned::Ready { summary, .. } => format!("{n}: {summary}"),
                _ => n.clone(),
            })
            .collect();
        self.phase = Phase::Applying;
        let mutation = Mutation {
            op: Op::Helm { op: self.op, plan },
            targets: self.targets.clone(),
            dry_run: false,
        };
        ctx.mutate(mutation, |me: &mut Self, m, _: &mut Ctx| match m {
            Mutated::Target { index, result } => {
                if let Some(r) = me.results.get_mut(index) {
                    *r = Some(result.map(|o| o.summary));
                }
                if me.results.iter().all(Option::is_some) {
                    me.phase = Phase::Done;
                }
            }
            // The confirmation was declined: the plan stands, nothing changed.
            Mutated::Cancelled => me.phase = Phase::Ready,
        });
    }
}

impl Screen for PlanScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[(Action::Enter, "carry it out"), (Action::Back, "back")]
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        let mutation = Mutation {
            op: Op::Helm {
                op: self.op,
                plan: Vec::new(),
            },
            targets: self.targets.clone(),
            dry_run: true,
        };
        ctx.mutate(mutation, |me: &mut Self, m, _: &mut Ctx| {
            if let Mutated::Target { index, result } = m {
                me.planned(index, result);
            }
        });
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        let total = self.text().len();
        if let Some(to) = crate::screens::moved(action, self.scroll, total) {
            self.scroll = to;
            return true;
        }
        match action {
            Action::Enter => self.apply(ctx),
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let lines: Vec<Line> = self
            .text()
            .into_iter()
            .skip(self.scroll)
            .map(|l| {
                let slot = match l.trim_start().chars().next() {
                    Some('✗') => "row-error",
                    Some('✓') => "row-ok",
                    Some('-') => "diff-remove",
                    Some('+') => "diff-add",
                    Some('~') | Some('!') => "row-warn",
                    _ => "row-done",
                };
                Line::styled(l, theme.get(slot))
            })
            .collect();
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.get("border"))
            .title(ratatui::text::Span::styled(
                format!(" helm {}: {} release(s) ", self.what(), self.names.len()),
                theme.get("title"),
            ));
        f.render_widget(Paragraph::new(lines).block(block), area);
    }
}
