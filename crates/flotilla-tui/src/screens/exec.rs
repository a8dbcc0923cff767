//! `:exec <command>` — one command in every marked pod, across clusters, outputs side by side
//! per pod (stacked when there are too many to sit side by side). `-c NAME` picks the
//! container; otherwise the pod's default container (its `kubectl.kubernetes.io/default-container`
//! annotation, else the first).

use super::{Ctx, Deliver, DrawCtx, Screen};
use crate::model::{Action, ApiError, ExecOutput, Fetched, ObjectRef};
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub const MODE: &str = "exec";

/// Side by side up to this many pods; stacked beyond.
const COLUMNS: usize = 4;

enum State {
    /// Waiting for the pod, to learn its containers.
    Resolving,
    Running(String),
    Done(String, Result<ExecOutput, String>),
}

struct Target {
    obj: ObjectRef,
    state: State,
}

pub struct ExecScreen {
    command: String,
    container: Option<String>,
    targets: Vec<Target>,
    scroll: usize,
}

pub fn open(args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let (container, command) = match args.trim().strip_prefix("-c ") {
        Some(rest) => {
            let rest = rest.trim_start();
            let (c, cmd) = rest.split_once(' ').unwrap_or((rest, ""));
            (Some(c.to_string()), cmd.trim().to_string())
        }
        None => (None, args.trim().to_string()),
    };
    if command.is_empty() {
        return Err("usage: :exec [-c CONTAINER] COMMAND (runs in every marked pod)".into());
    }
    let pods: Vec<ObjectRef> = ctx
        .shared
        .marks
        .iter()
        .filter(|m| m.res.is("", "pods"))
        .cloned()
        .collect();
    if pods.is_empty() {
        return Err("no pods marked: mark pods with space (on any cluster), then :exec".into());
    }
    Ok(Box::new(ExecScreen {
        command,
        container,
        targets: pods
            .into_iter()
            .map(|obj| Target {
                obj,
                state: State::Resolving,
            })
            .collect(),
        scroll: 0,
    }))
}

/// The container a command or shell goes to when none is named.
pub fn default_container(pod: &serde_json::Value) -> Option<String> {
    let annotated = pod
        .pointer("/metadata/annotations/kubectl.kubernetes.io~1default-container")
        .and_then(|v| v.as_str());
    let names = container_names(pod);
    match annotated {
        Some(a) if names.iter().any(|n| n == a) => Some(a.to_string()),
        _ => names.into_iter().next(),
    }
}

/// The pod's (non-init) container names, in order.
pub fn container_names(pod: &serde_json::Value) -> Vec<String> {
    pod.pointer("/spec/containers")
        .and_then(|c| c.as_array())
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("name").and_then(|n| n.as_str()))
                .map(crate::text::clean)
                .collect()
        })
        .unwrap_or_default()
}

impl ExecScreen {
    /// Target `i`'s pod, fetched: its command starts in the container asked for.
    fn resolved(&mut self, i: usize, result: Result<Fetched, ApiError>, ctx: &mut Ctx) {
        let Some(t) = self.targets.get_mut(i) else {
            return;
        };
        let pod = match result {
            Ok(f)
                if f.object.pointer("/metadata/uid").and_then(|u| u.as_str())
                    == Some(&t.obj.uid) =>
            {
                f.object
            }
            Ok(_) => {
                t.state = State::Done(String::new(), Err("no longer exists".into()));
                return;
            }
            Err(e) => {
                t.state = State::Done(String::new(), Err(e.message));
                return;
            }
        };
        let container = match &self.container {
            Some(c) if container_names(&pod).contains(c) => c.clone(),
            Some(c) => {
                t.state = State::Done(String::new(), Err(format!("no container {c:?}")));
                return;
            }
            None => match default_container(&pod) {
                Some(c) => c,
                None => {
                    t.state = State::Done(String::new(), Err("no containers".into()));
                    return;
                }
            },
        };
        ctx.exec(
            t.obj.cluster,
            t.obj.container(&container),
            vec!["sh".into(), "-c".into(), self.command.clone()],
            move |me: &mut Self, r, _| me.ran(i, r),
        );
        t.state = State::Running(container);
    }

    /// Target `i`'s command is over.
    fn ran(&mut self, i: usize, result: Result<ExecOutput, ApiError>) {
        let Some(t) = self.targets.get_mut(i) else {
            return;
        };
        let container = match &t.state {
            State::Running(c) => c.clone(),
            _ => String::new(),
        };
        t.state = State::Done(container, result.map_err(|e| e.message));
    }

    fn text_of(t: &Target) -> Vec<String> {
        match &t.state {
            State::Resolving => vec!["…".into()],
            State::Running(_) => vec!["running…".into()],
            State::Done(_, Err(e)) => vec![format!("error: {e}")],
            State::Done(_, Ok(out)) => {
                let mut lines: Vec<String> = out
                    .stdout
                    .lines()
                    .chain(out.stderr.lines())
                    .map(|l| crate::logs::render::plain(l).into_owned())
                    .collect();
                if out.truncated {
                    lines.push("… output cut (too long)".into());
                }
                lines
            }
        }
    }

    fn heading(t: &Target) -> String {
        let o = &t.obj;
        let container = match &t.state {
            State::Running(c) | State::Done(c, _) if !c.is_empty() => format!("/{c}"),
            _ => String::new(),
        };
        let status = match &t.state {
            State::Done(_, Ok(out)) => match out.exit_code {
                Some(0) => " ✓".to_string(),
                Some(n) => format!(" exit {n}"),
                None => String::new(),
            },
            State::Done(_, Err(_)) => " ✗".into(),
            _ => String::new(),
        };
        format!(
            " {}/{}/{}{container}{status} ",
            o.context, o.namespace, o.name
        )
    }

    /// Everything, for the clipboard.
    fn all_text(&self) -> String {
        let mut out = String::new();
        for t in &self.targets {
            out.push_str(&format!("=={}==\n", Self::heading(t)));
            for l in Self::text_of(t) {
                out.push_str(&l);
                out.push('\n');
            }
        }
        out
    }
}

impl Screen for ExecScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[(Action::Copy, "copy"), (Action::Back, "back")]
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        for (i, t) in self.targets.iter().enumerate() {
            ctx.fetch(
                t.obj.cluster,
                t.obj.path(),
                None,
                Deliver::OnStack,
                move |me: &mut Self, r, ctx| me.resolved(i, r, ctx),
            );
        }
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = super::moved(action, self.scroll, usize::MAX / 2) {
            self.scroll = to;
            return true;
        }
        match action {
            Action::Copy => ctx.copy(self.all_text()),
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let done = self
            .targets
            .iter()
            .filter(|t| matches!(t.state, State::Done(..)))
            .count();
        let title = format!(
            " exec {:?} in {} pods ({done} done) ",
            self.command,
            self.targets.len()
        );
        let outer = Block::default()
            .borders(Borders::ALL)
            .title(Line::from(Span::styled(title, theme.get("title"))));
        let inner = outer.inner(area);
        f.render_widget(outer, area);
        let n = self.targets.len().max(1);
        let (dir, parts) = if n <= COLUMNS {
            (Direction::Horizontal, n)
        } else {
            (Direction::Vertical, n)
        };
        let areas = Layout::default()
            .direction(dir)
            .constraints(vec![Constraint::Ratio(1, parts as u32); parts])
            .split(inner);
        for (t, a) in self.targets.iter().zip(areas.iter()) {
            let style = match &t.state {
                State::Done(_, Ok(o)) if o.exit_code == Some(0) => theme.get("row-ok"),
                State::Done(..) => theme.get("row-error"),
                _ => theme.get("row-done"),
            };
            let lines: Vec<Line> = Self::text_of(t).into_iter().map(Line::from).collect();
            let block = Block::default()
                .borders(Borders::TOP)
                .title(Line::from(Span::styled(Self::heading(t), style)));
            let scroll = u16::try_from(self.scroll).unwrap_or(u16::MAX);
            f.render_widget(
                Paragraph::new(lines)
                    .block(block)
                    .wrap(Wrap { trim: false })
                    .scroll((scroll, 0)),
                *a,
            );
        }
    }
}
