//! `:backups` — the archives in the backup directory, newest first, with what each holds;
//! `R` restores the selected one into a live cluster: a form (which cluster, namespace
//! mapping, what to do with objects that differ), then the plan (every object with its
//! action, the diff of the selected one), then enter carries it out through the change path
//! (read-only mode, confirmation, audit). `:backup NS… [@CTX]` backs namespaces (or the
//! marked ones) up first and lands here. Enter checks the selected archive against its
//! manifest off the UI thread, keeping none of its files; Esc (or leaving) stops the reading.

use super::{Ctx, DrawCtx, Mutated, Screen};
use crate::backup::archive::{Cancel, Checked};
use crate::backup::job::{Done, Job};
use crate::backup::restore::{self, Existing, Options, Plan};
use crate::backup::shelf::{self, Shelved};
use crate::backup::{Encryption, Selection};
use crate::modal::{Modal, ModalResult};
use crate::model::{Action, ClusterId, ObjectRef, ResKey};
use crate::protocol::op::{Mutation, Op};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};
use std::sync::Arc;

pub const MODE: &str = "backups";

/// An archive being checked; dropped (Esc, another Enter, the screen left) it stops the
/// reading.
struct Checking {
    /// Which check this is (`BackupsScreen::checks`): only its answer is shown.
    number: u64,
    path: std::path::PathBuf,
    cancel: Cancel,
}

impl Drop for Checking {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// A plan on screen, and what carrying it out came to.
struct Planned {
    cluster: ClusterId,
    context: String,
    archive: String,
    plan: Arc<Plan>,
    cursor: usize,
    /// The result once it was carried out (or refused), or `None` before.
    result: Option<Result<String, String>>,
    applying: bool,
}

pub struct BackupsScreen {
    shelf: Vec<Shelved>,
    cursor: usize,
    filter: String,
    /// Backups `:backup` asked for, started when the screen opens.
    to_back_up: Vec<(ClusterId, Selection)>,
    /// What is running now ("planning…", "backing up…"), for the title.
    busy: Option<String>,
    /// Backups not answered yet.
    running: usize,
    planned: Option<Planned>,
    checking: Option<Checking>,
    /// Archive checks asked for so far.
    checks: u64,
}

/// `:backups`: the shelf.
pub fn open(_args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    Ok(Box::new(BackupsScreen::new(ctx, Vec::new())))
}

/// `:backup [NS,…] [@CTX,…]`: the namespaces typed, else the marked namespaces and objects, on
/// the clusters named,
/// else those of the marks, else every live one — one archive per cluster.
pub fn open_backup(args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let typed: Vec<String> = args
        .split_whitespace()
        .filter(|w| !w.starts_with('@'))
        .flat_map(|w| w.split(','))
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    let marks = &ctx.shared.marks;
    let at: String = args
        .split_whitespace()
        .filter(|w| w.starts_with('@'))
        .collect::<Vec<_>>()
        .join(" ");
    let clusters: Vec<(ClusterId, String)> =
        if at.is_empty() && typed.is_empty() && !marks.is_empty() {
            let mut seen: Vec<(ClusterId, String)> = Vec::new();
            for m in marks {
                if !seen.iter().any(|(c, _)| *c == m.cluster) {
                    seen.push((m.cluster, m.context.clone()));
                }
            }
            seen
        } else {
            super::targets("backup", &at, ctx)?
        };
    let mut jobs = Vec::new();
    for (cluster, _) in &clusters {
        let selection = if typed.is_empty() {
            marked(marks.iter().filter(|m| m.cluster == *cluster))
        } else {
            Selection {
                namespaces: typed.clone(),
                ..Selection::default()
            }
        };
        if !selection.namespaces.is_empty() {
            jobs.push((*cluster, selection));
        }
    }
    if jobs.is_empty() {
        return Err(
            "backup: name namespaces (:backup shop,data @prod) or mark namespaces or objects first"
                .into(),
        );
    }
    Ok(Box::new(BackupsScreen::new(ctx, jobs)))
}

/// What the marks of one cluster back up: marked namespaces whole, other marked objects
/// one by one (with their namespace). Cluster-scoped objects other than namespaces are not
/// part of a backup.
fn marked<'a>(marks: impl Iterator<Item = &'a ObjectRef> + Clone) -> Selection {
    let mut s = Selection::default();
    let whole: Vec<&str> = marks
        .clone()
        .filter(|m| m.res.is("", "namespaces"))
        .map(|m| m.name.as_str())
        .collect();
    for m in marks {
        let ns = if m.res.is("", "namespaces") {
            &m.name
        } else if m.namespace.is_empty() || whole.contains(&m.namespace.as_str()) {
            continue;
        } else {
            s.objects
                .push(format!("{}/{}/{}", m.res, m.namespace, m.name));
            &m.namespace
        };
        if !s.namespaces.contains(ns) {
            s.namespaces.push(ns.clone());
        }
    }
    s
}

impl BackupsScreen {
    fn new(ctx: &Ctx, to_back_up: Vec<(ClusterId, Selection)>) -> Self {
        let mut s = BackupsScreen {
            shelf: Vec::new(),
            cursor: 0,
            filter: String::new(),
            to_back_up,
            busy: None,
            running: 0,
            planned: None,
            checking: None,
            checks: 0,
        };
        s.reload(ctx);
        s
    }

    /// Reads the manifests again (the first file of each archive: cheap).
    fn reload(&mut self, ctx: &Ctx) {
        self.shelf = shelf::list(&ctx.config.settings.backup.dir()).unwrap_or_default();
        self.cursor = self.cursor.min(self.shelf.len().saturating_sub(1));
    }

    fn shown(&self) -> Vec<&Shelved> {
        let f = self.filter.to_lowercase();
        self.shelf
            .iter()
            .filter(|a| f.is_empty() || crate::text::has_words(&f, &describe(a)))
            .collect()
    }

    fn restore_form(&mut self, ctx: &mut Ctx) {
        let Some(a) = self.shown().get(self.cursor).copied().cloned() else {
            return ctx.error("no archive selected");
        };
        let Ok(m) = &a.manifest else {
            return ctx.error("this archive cannot be read, so it cannot be restored");
        };
        let into = ctx
            .store
            .clusters
            .by_context(&m.cluster.context)
            .or_else(|| ctx.store.clusters.iter().next())
            .map(|s| s.context.clone())
            .unwrap_or_default();
        let title = format!(
            "Restore {} ({})",
            file_name(&a),
            m.selection.namespaces.join(", ")
        );
        let form = Modal::form(
            title,
            vec![
                ("into context", into.as_str(), false),
                ("namespace map (FROM=TO,…)", "", false),
                ("objects that differ (skip|update)", "skip", false),
            ],
        );
        ctx.modal(form, |me: &mut Self, r, ctx: &mut Ctx| {
            if let ModalResult::Submitted(values) = r {
                me.submitted(&values, ctx);
            }
        });
    }

    fn submitted(&mut self, values: &[String], ctx: &mut Ctx) {
        let Some(a) = self.shown().get(self.cursor).copied().cloned() else {
            return;
        };
        let [context, map, existing] = values else {
            return;
        };
        let Some(cluster) = ctx.store.clusters.by_context(context.trim()).map(|s| s.id) else {
            return ctx.error(format!("restore: {} is not a live context", context.trim()));
        };
        let existing = match existing.trim() {
            "" | "skip" => Existing::Skip,
            "update" => Existing::Update,
            other => return ctx.error(format!("restore: {other:?} is neither skip nor update")),
        };
        let namespace_map = match restore::parse_namespace_map(map) {
            Ok(m) => m,
            Err(e) => return ctx.error(format!("restore: {e}")),
        };
        let job = Job::Plan {
            file: a.path.clone(),
            opts: Options {
                namespace_map,
                existing,
                ..Options::default()
            },
            settings: ctx.config.settings.backup.clone(),
        };
        self.busy = Some(format!("planning the restore into {}…", context.trim()));
        ctx.backup(cluster, job, Self::plan_made);
    }

    fn plan_made(&mut self, result: Result<Done, String>, ctx: &mut Ctx) {
        self.busy = None;
        match result {
            Ok(Done::Planned { plan, archive }) => {
                let cluster = ctx.store.clusters.by_context(&plan.context).map(|s| s.id);
                if let Some(cluster) = cluster {
                    self.planned = Some(Planned {
                        cluster,
                        context: plan.context.clone(),
                        archive,
                        plan: Arc::new(*plan),
                        cursor: 0,
                        result: None,
                        applying: false,
                    });
                }
            }
            Ok(Done::Created { .. }) => {}
            Err(e) => ctx.error(format!("restore: {e}")),
        }
    }

    fn backed_up(&mut self, result: Result<Done, String>, ctx: &mut Ctx) {
        self.running = self.running.saturating_sub(1);
        match result {
            Ok(Done::Created { line, .. }) => ctx.info(line),
            Ok(Done::Planned { .. }) => {}
            Err(e) => ctx.error(format!("backup: {e}")),
        }
        self.reload(ctx);
    }

    /// Checks the archive off the UI thread; its manifest is shown when that is done.
    fn check(&mut self, path: std::path::PathBuf, ctx: &mut Ctx) {
        self.checks += 1;
        let number = self.checks;
        let cancel = Cancel::default();
        ctx.check_archive(
            path.clone(),
            cancel.clone(),
            move |me: &mut Self, r, ctx: &mut Ctx| me.checked(number, r, ctx),
        );
        // A check still running is stopped as this one replaces it.
        self.checking = Some(Checking {
            number,
            path,
            cancel,
        });
    }

    /// Shows the manifest of check `number`, unless it was stopped or replaced.
    fn checked(&mut self, number: u64, result: Result<Box<Checked>, String>, ctx: &mut Ctx) {
        let Some(c) = self.checking.take_if(|c| c.number == number) else {
            return;
        };
        let lines = match result {
            Ok(checked) => crate::backup::archive::manifest_text(&c.path, &checked)
                .lines()
                .map(str::to_string)
                .collect(),
            Err(e) => vec![e],
        };
        let title = format!("backup {}", c.path.display());
        ctx.push(Box::new(super::text::TextScreen::lines(title, lines)));
    }

    fn carry_out(&mut self, ctx: &mut Ctx) {
        let Some(p) = &mut self.planned else { return };
        if p.applying || p.result.is_some() {
            return ctx.error("this plan was carried out; press R for a new one");
        }
        if p.plan.changes() == 0 {
            return ctx.info("nothing to change");
        }
        // The target names the cluster; each object is audited on its own.
        let name = p
            .plan
            .steps
            .iter()
            .find(|s| !s.namespace.is_empty())
            .map(|s| s.namespace.clone())
            .unwrap_or_default();
        let target = ObjectRef {
            context: p.context.clone(),
            cluster: p.cluster,
            res: ResKey::core("namespaces"),
            version: "v1".into(),
            kind: "Namespace".into(),
            namespace: String::new(),
            name,
            uid: String::new(),
        };
        p.applying = true;
        let mutation = Mutation {
            op: Op::Restore {
                plan: p.plan.clone(),
                archive: p.archive.clone(),
            },
            targets: vec![target],
            dry_run: false,
        };
        ctx.mutate(mutation, |me: &mut Self, m, _: &mut Ctx| {
            let Some(p) = &mut me.planned else { return };
            p.applying = false;
            match m {
                Mutated::Target { result, .. } => p.result = Some(result.map(|o| o.summary)),
                // The confirmation was declined: the plan stands, nothing changed.
                Mutated::Cancelled => {}
            }
        });
    }
}

/// The archive's file name, sanitized: anyone who can write to the directory names it.
fn file_name(a: &Shelved) -> String {
    a.path
        .file_name()
        .map(|n| crate::text::clean(&n.to_string_lossy()))
        .unwrap_or_default()
}

fn describe(a: &Shelved) -> String {
    match &a.manifest {
        Ok(m) => format!(
            "{} {} {} {}",
            m.cluster.context,
            m.selection.namespaces.join(" "),
            m.created,
            file_name(a)
        ),
        Err(_) => file_name(a),
    }
}

fn secrets(m: &crate::backup::Manifest) -> String {
    match (m.secrets.count, m.secrets.encryption) {
        (0, _) => "-".into(),
        (n, Encryption::None) => format!("{n} plain"),
        (n, Encryption::X25519) => format!("{n} age"),
        (n, Encryption::Passphrase) => format!("{n} passphrase"),
    }
}

impl Screen for BackupsScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        if self.planned.is_some() {
            &[
                (Action::Enter, "carry it out"),
                (Action::Back, "back to the archives"),
            ]
        } else if self.checking.is_some() {
            &[
                (Action::Back, "stop checking"),
                (Action::Enter, "manifest"),
                (Action::Filter, "filter"),
            ]
        } else {
            &[
                (Action::Restore, "restore"),
                (Action::Enter, "manifest"),
                (Action::Rerun, "reload"),
                (Action::Filter, "filter"),
                (Action::Back, "back"),
            ]
        }
    }

    /// Backups start once their cluster is connected (`:backup` may be the first command).
    fn refresh(&mut self, ctx: &mut Ctx) {
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.to_back_up)
            .into_iter()
            .partition(|(c, _)| ctx.store.clusters.get(*c).is_some_and(|s| s.connected));
        self.to_back_up = waiting;
        for (cluster, selection) in ready {
            self.running += 1;
            let job = Job::Create {
                selection,
                settings: ctx.config.settings.backup.clone(),
            };
            ctx.backup(cluster, job, Self::backed_up);
        }
        self.busy = match (self.running, self.to_back_up.len()) {
            (0, 0) => self.busy.take().filter(|b| b.starts_with("planning")),
            (n, 0) => Some(format!("backing up on {n} clusters…")),
            (n, w) => Some(format!(
                "backing up on {n} clusters, {w} not connected yet…"
            )),
        };
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(p) = &mut self.planned {
            if let Some(to) = super::moved(action, p.cursor, p.plan.steps.len()) {
                p.cursor = to;
                return true;
            }
            match action {
                Action::Enter => self.carry_out(ctx),
                Action::Back => self.planned = None,
                _ => return false,
            }
            return true;
        }
        if *action == Action::Back
            && let Some(c) = self.checking.take()
        {
            let path = c.path.display().to_string();
            ctx.info(format!("stopped checking {}", crate::text::clean(&path)));
            return true;
        }
        let n = self.shown().len();
        if let Some(to) = super::moved(action, self.cursor, n) {
            self.cursor = to;
            return true;
        }
        match action {
            Action::Restore => self.restore_form(ctx),
            Action::Rerun => self.reload(ctx),
            Action::Enter => match self.shown().get(self.cursor).map(|a| a.path.clone()) {
                Some(path) => self.check(path, ctx),
                None => ctx.error("no archive selected"),
            },
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        match &self.planned {
            Some(p) => draw_plan(f, area, ctx, p),
            None => self.draw_shelf(f, area, ctx),
        }
    }

    fn filter(&self) -> Option<&str> {
        self.planned.is_none().then_some(self.filter.as_str())
    }

    fn set_filter(&mut self, text: &str, _ctx: &mut Ctx) {
        self.filter = text.to_string();
        self.cursor = 0;
    }
}

impl BackupsScreen {
    fn draw_shelf(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let shown = self.shown();
        let checking = self.checking.as_ref().map(|c| {
            let name = c.path.file_name().unwrap_or_default().to_string_lossy();
            format!("checking {}… (esc stops)", crate::text::clean(&name))
        });
        let busy = self
            .busy
            .clone()
            .or(checking)
            .map(|b| format!(" — {b}"))
            .unwrap_or_default();
        let dir = ctx.config.settings.backup.dir();
        let title = format!(" backups ({}) in {}{busy} ", shown.len(), dir.display());
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Line::from(title).style(theme.get("title")));
        if shown.is_empty() {
            let p = Paragraph::new("No archives yet. :backup NS [@CTX] backs namespaces up (or flotilla backup create).")
                .block(block)
                .style(theme.get("row-done"));
            f.render_widget(p, area);
            return;
        }
        let [top, bottom] =
            Layout::vertical([Constraint::Min(5), Constraint::Length(8)]).areas(area);
        let header = Row::new(
            [
                "CREATED",
                "CONTEXT",
                "NAMESPACES",
                "OBJECTS",
                "SECRETS",
                "SIZE",
                "FILE",
            ]
            .map(Cell::from),
        )
        .style(theme.get("table-header"));
        let rows = shown.iter().enumerate().map(|(i, a)| {
            let style = if i == self.cursor {
                theme.get("selected")
            } else {
                theme.get("row-ok")
            };
            let cells = match &a.manifest {
                Ok(m) => vec![
                    crate::text::clean(
                        &m.created.split('.').next().unwrap_or("").replace('T', " "),
                    ),
                    crate::text::clean(&m.cluster.context),
                    crate::text::clean(&m.selection.namespaces.join(",")),
                    m.objects.len().to_string(),
                    secrets(m),
                    crate::human::bytes(a.size),
                    file_name(a),
                ],
                Err(e) => vec![
                    "(unreadable)".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    crate::human::bytes(a.size),
                    crate::text::clean(e),
                ],
            };
            Row::new(cells.into_iter().map(Cell::from)).style(style)
        });
        let widths = [
            Constraint::Length(20),
            Constraint::Length(14),
            Constraint::Min(16),
            Constraint::Length(8),
            Constraint::Length(12),
            Constraint::Length(10),
            Constraint::Min(20),
        ];
        f.render_widget(Table::new(rows, widths).header(header).block(block), top);
        let detail = match shown.get(self.cursor).map(|a| &a.manifest) {
            Some(Ok(m)) => {
                let mut counts: Vec<String> =
                    m.counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
                counts.truncate(12);
                let mut lines = vec![
                    format!(
                        "from {} ({}), selector {}",
                        m.cluster.server,
                        m.cluster.version,
                        m.selection.selector.as_deref().unwrap_or("-")
                    ),
                    counts.join(", "),
                ];
                if !m.selection.objects.is_empty() {
                    lines.push(format!("objects {}", m.selection.objects.join(", ")));
                }
                lines.extend(m.warnings.iter().map(|w| format!("warning: {w}")));
                lines
                    .iter()
                    .map(|l| crate::text::clean(l))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            _ => String::new(),
        };
        let p = Paragraph::new(detail)
            .wrap(Wrap { trim: false })
            .block(Block::default().borders(Borders::ALL).title(" manifest "));
        f.render_widget(p, bottom);
    }
}

fn draw_plan(f: &mut Frame, area: Rect, ctx: &DrawCtx, p: &Planned) {
    let theme = &ctx.config.theme;
    let state = match (&p.result, p.applying) {
        (Some(Ok(s)), _) => format!(" — done: {s}"),
        (Some(Err(e)), _) => format!(" — {}", crate::text::clean(e)),
        (None, true) => " — restoring…".into(),
        (None, false) => " — enter carries it out".into(),
    };
    let title = format!(
        " restore {} into {}: {}{state} ",
        crate::text::clean(&p.archive),
        p.context,
        p.plan.summary()
    );
    let [top, bottom] = Layout::vertical([Constraint::Min(5), Constraint::Length(10)]).areas(area);
    let header =
        Row::new(["ACTION", "OBJECT", "WHY"].map(Cell::from)).style(theme.get("table-header"));
    // Only the rows around the cursor are built: a plan can hold thousands.
    let height = top.height.saturating_sub(3) as usize;
    let first = p.cursor.saturating_sub(height.saturating_sub(1));
    let rows = p
        .plan
        .steps
        .iter()
        .enumerate()
        .skip(first)
        .take(height.max(1))
        .map(|(i, s)| {
            let style = match (&s.action, i == p.cursor) {
                (_, true) => theme.get("selected"),
                (restore::Action::Conflict(_) | restore::Action::Refused(_), _) => {
                    theme.get("row-error")
                }
                (restore::Action::Unchanged | restore::Action::Skip(_), _) => theme.get("row-done"),
                _ => theme.get("row-ok"),
            };
            let why = s.action.why().or(s.note.as_deref()).unwrap_or("");
            Row::new(vec![
                Cell::from(s.action.word()),
                Cell::from(crate::text::clean(&s.title)),
                Cell::from(crate::text::clean(why)),
            ])
            .style(style)
        });
    let widths = [
        Constraint::Length(10),
        Constraint::Min(30),
        Constraint::Min(20),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Line::from(title).style(theme.get("title")));
    f.render_widget(Table::new(rows, widths).header(header).block(block), top);
    let diff = p
        .plan
        .steps
        .get(p.cursor)
        .map(|s| {
            s.diff
                .iter()
                .map(|l| crate::text::clean(l))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let diff = if diff.is_empty() {
        "(no change to show)".to_string()
    } else {
        diff
    };
    let p = Paragraph::new(diff).block(
        Block::default()
            .borders(Borders::ALL)
            .title(" diff (live → restored) "),
    );
    f.render_widget(p, bottom);
}
