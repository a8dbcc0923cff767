//! `:velero [@CTX,…]`: Velero's Backups, Restores, Schedules and BackupStorageLocations of
//! every live cluster, one row each with phase, progress, errors and warnings, and the
//! selected row's spec under the table. `b` creates a Backup and `R` restores the selected
//! one (each from a form), `t` backs a Schedule up now. Whatever is created goes through the
//! app's change path (read-only mode, permissions, confirmation, audit), in the namespace
//! the cluster's Velero objects live in. A cluster without Velero's CRDs says so in one line.

mod model;
#[cfg(test)]
mod tests;

pub use model::{
    BackupForm, DEFAULT_NAMESPACE, Item, Kind, RestoreForm, SCHEDULE_LABEL, backup_from_schedule,
    items, stamp,
};

use super::text::{TextKind, TextScreen};
use super::{Ctx, Deliver, DrawCtx, Mutated, Screen};
use crate::grid::{self, Grid, GridRow, Width};
use crate::modal::{Modal, ModalResult};
use crate::model::{Action, ApiError, ClusterId, Fetched, ObjectRef, ResKey};
use crate::protocol::op::{Mutation, Op};
use crate::text::clean;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use serde_json::Value;

pub const MODE: &str = "velero";

pub fn open(args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let clusters = super::targets("velero", args, ctx)?
        .into_iter()
        .map(|(id, context)| Cluster {
            id,
            context,
            lists: Default::default(),
            asked: false,
        })
        .collect();
    Ok(Box::new(VeleroScreen {
        clusters,
        rows: Vec::new(),
        cursor: 0,
        filter: String::new(),
        run: 0,
        now: 0,
        restoring: None,
    }))
}

struct Cluster {
    id: ClusterId,
    context: String,
    /// Per kind (`Kind::ALL` order): `None` until it answers.
    lists: [Option<Result<Vec<Item>, ApiError>>; 4],
    /// Asked this run (a cluster not connected yet is asked once it is).
    asked: bool,
}

/// What a cluster's answers come to, for the line above the table.
#[derive(Debug, PartialEq)]
pub enum Note {
    Loading,
    NotConnected,
    /// Velero's CRDs are not served there.
    Absent,
    Failed(String),
    Listed,
}

impl Cluster {
    fn note(&self) -> Note {
        if !self.asked {
            return Note::NotConnected;
        }
        if self.lists.iter().any(Option::is_none) {
            return Note::Loading;
        }
        let errors: Vec<&ApiError> = self
            .lists
            .iter()
            .filter_map(|l| l.as_ref().and_then(|r| r.as_ref().err()))
            .collect();
        if !errors.is_empty() && errors.iter().all(|e| e.code == 404) {
            return Note::Absent;
        }
        let failed: Vec<String> = Kind::ALL
            .iter()
            .zip(&self.lists)
            .filter_map(|(k, l)| match l {
                Some(Err(e)) => Some(format!("{}: {}", k.plural(), clean(&e.message))),
                _ => None,
            })
            .collect();
        if failed.is_empty() {
            Note::Listed
        } else {
            Note::Failed(failed.join("; "))
        }
    }

    fn items(&self) -> impl Iterator<Item = &Item> {
        self.lists
            .iter()
            .filter_map(|l| l.as_ref().and_then(|r| r.as_ref().ok()))
            .flatten()
    }

    /// Where this cluster's Velero lives: its storage locations' namespace, else any of its
    /// objects', else Velero's default.
    fn velero_namespace(&self) -> String {
        let mut items: Vec<&Item> = self.items().collect();
        items.sort_by_key(|i| i.kind != Kind::Bsl);
        items
            .first()
            .map(|i| i.namespace.clone())
            .filter(|ns| !ns.is_empty())
            .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string())
    }

    /// The storage location marked default there, else `default` as Velero names it.
    fn default_location(&self) -> String {
        self.items()
            .find(|i| i.kind == Kind::Bsl && i.default)
            .map(|i| i.name.clone())
            .unwrap_or_else(|| "default".into())
    }
}

pub struct VeleroScreen {
    clusters: Vec<Cluster>,
    /// (cluster index, item index in that cluster's `items()`), filtered.
    rows: Vec<(usize, usize)>,
    cursor: usize,
    filter: String,
    /// Bumped by every refresh: answers of an earlier one are dropped.
    run: u64,
    now: i64,
    /// The Backup (cluster index, name, namespace) the restore form is open for.
    restoring: Option<(usize, String, String)>,
}

impl VeleroScreen {
    /// The rows as (context, item), in the order shown.
    pub fn rows(&self) -> Vec<(&str, &Item)> {
        self.rows
            .iter()
            .filter_map(|&(c, i)| {
                self.item(c, i)
                    .map(|it| (self.clusters[c].context.as_str(), it))
            })
            .collect()
    }

    /// Each cluster's note, in cluster order.
    pub fn notes(&self) -> Vec<(&str, Note)> {
        self.clusters
            .iter()
            .map(|c| (c.context.as_str(), c.note()))
            .collect()
    }

    /// Whether every cluster answered (or cannot be asked).
    pub fn settled(&self) -> bool {
        self.clusters
            .iter()
            .all(|c| !matches!(c.note(), Note::Loading))
    }

    fn item(&self, c: usize, i: usize) -> Option<&Item> {
        self.clusters.get(c)?.items().nth(i)
    }

    fn selected(&self) -> Option<(usize, &Item)> {
        let &(c, i) = self.rows.get(self.cursor)?;
        Some((c, self.item(c, i)?))
    }

    fn start(&mut self, ctx: &mut Ctx) {
        self.run += 1;
        self.now = ctx.now;
        for c in &mut self.clusters {
            c.lists = Default::default();
            c.asked = false;
        }
        self.ask(ctx);
        self.rebuild();
    }

    /// Lists every kind on the connected clusters not asked yet this run.
    fn ask(&mut self, ctx: &mut Ctx) {
        let run = self.run;
        for (ci, c) in self.clusters.iter_mut().enumerate() {
            let connected = ctx.store.clusters.get(c.id).is_some_and(|s| s.connected);
            if c.asked || !connected {
                continue;
            }
            c.asked = true;
            for (ki, kind) in Kind::ALL.iter().enumerate() {
                ctx.fetch(
                    c.id,
                    kind.list_path(),
                    None,
                    Deliver::OnStack,
                    move |me: &mut Self, r, _: &mut Ctx| {
                        if me.run == run {
                            me.listed(ci, ki, r);
                        }
                    },
                );
            }
        }
    }

    /// Kind `ki`'s list on cluster `ci`.
    fn listed(&mut self, ci: usize, ki: usize, result: Result<Fetched, ApiError>) {
        let (Some(c), Some(&kind)) = (self.clusters.get_mut(ci), Kind::ALL.get(ki)) else {
            return;
        };
        c.lists[ki] = Some(result.map(|f| items(kind, &f.object, self.now)));
        self.rebuild();
    }

    fn rebuild(&mut self) {
        let key = self.selected().map(|(c, it)| (c, it.kind, it.name.clone()));
        let mut rows = Vec::new();
        for (ci, c) in self.clusters.iter().enumerate() {
            for (ii, it) in c.items().enumerate() {
                let text = format!(
                    "{} {} {} {} {}",
                    c.context,
                    it.kind.short(),
                    it.name,
                    it.phase,
                    it.detail
                );
                if self.filter.is_empty() || crate::text::has_words(&self.filter, &text) {
                    rows.push((ci, ii));
                }
            }
        }
        self.rows = rows;
        if let Some((c, kind, name)) = key
            && let Some(at) = self.rows.iter().position(|&(ci, ii)| {
                ci == c
                    && self
                        .item(ci, ii)
                        .is_some_and(|it| it.kind == kind && it.name == name)
            })
        {
            self.cursor = at;
        }
        self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
    }

    /// The cluster an action without a selected row goes to: the selected row's, else the
    /// first that lists Velero's objects.
    fn target_cluster(&self) -> Option<usize> {
        self.selected()
            .map(|(c, _)| c)
            .or_else(|| self.clusters.iter().position(|c| c.note() == Note::Listed))
    }

    fn backup_form(&mut self, ctx: &mut Ctx) {
        let Some(ci) = self.target_cluster() else {
            return ctx.error("no cluster lists Velero's objects: nothing to back up to");
        };
        let c = &self.clusters[ci];
        let ns = ctx.favourites.last().cloned().unwrap_or_default();
        let name = format!(
            "{}-{}",
            if ns.is_empty() { "backup" } else { ns.as_str() },
            stamp(ctx.now)
        );
        let location = c.default_location();
        let modal = Modal::form(
            format!("Create a Velero Backup on {}", c.context),
            vec![
                ("cluster", c.context.as_str(), false),
                ("name", name.as_str(), false),
                ("included namespaces (a,b; empty: all)", ns.as_str(), false),
                ("ttl", "720h0m0s", false),
                ("storage location", location.as_str(), false),
                (
                    "snapshot volumes (yes/no; empty: Velero's default)",
                    "",
                    false,
                ),
            ],
        );
        ctx.modal(modal, |me: &mut Self, r, ctx: &mut Ctx| {
            if let ModalResult::Submitted(v) = r {
                me.submitted_backup(&v, ctx);
            }
        });
    }

    fn restore_form(&mut self, ctx: &mut Ctx) {
        let Some((ci, it)) = self.selected() else {
            return ctx.error("select a Backup to restore");
        };
        if it.kind != Kind::Backup {
            return ctx.error("select a Backup to restore (R on a Backup row)");
        }
        let name = format!("{}-{}", it.name, stamp(ctx.now));
        let title = format!(
            "Restore Backup {} on {}",
            it.name, self.clusters[ci].context
        );
        self.restoring = Some((ci, it.name.clone(), it.namespace.clone()));
        let modal = Modal::form(
            title,
            vec![
                ("restore name", name.as_str(), false),
                ("namespace mapping (old=new,…)", "", false),
                ("existing resource policy (none|update)", "none", false),
            ],
        );
        ctx.modal(modal, |me: &mut Self, r, ctx: &mut Ctx| match r {
            ModalResult::Submitted(v) => me.submitted_restore(&v, ctx),
            _ => me.restoring = None,
        });
    }

    fn trigger(&mut self, ctx: &mut Ctx) {
        let Some((ci, it)) = self.selected() else {
            return ctx.error("select a Schedule to back up now");
        };
        if it.kind != Kind::Schedule {
            return ctx.error("select a Schedule to back up now (t on a Schedule row)");
        }
        let Some(schedule) = it.raw.clone() else {
            return;
        };
        match backup_from_schedule(&schedule, ctx.now) {
            Ok(object) => self.create(ci, Kind::Backup, object, ctx),
            Err(e) => ctx.error(e),
        }
    }

    /// Sends the new object through the app's change path (read-only mode, permission,
    /// confirmation, audit).
    fn create(&mut self, ci: usize, kind: Kind, object: Value, ctx: &mut Ctx) {
        let Some(c) = self.clusters.get(ci) else {
            return;
        };
        let text = |p: &str| {
            object
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let target = ObjectRef {
            context: c.context.clone(),
            cluster: c.id,
            res: ResKey::new(model::GROUP, kind.plural()),
            version: model::VERSION.into(),
            kind: kind.kind().into(),
            namespace: text("/metadata/namespace"),
            name: text("/metadata/name"),
            uid: String::new(),
        };
        let mutation = Mutation {
            op: Op::Create {
                objects: vec![object],
            },
            targets: vec![target],
            dry_run: false,
        };
        ctx.mutate(mutation, |me: &mut Self, m, ctx: &mut Ctx| {
            // The app said what came of it; the lists show the new object.
            if let Mutated::Target { result: Ok(_), .. } = m {
                me.start(ctx);
            }
        });
    }

    fn submitted_backup(&mut self, values: &[String], ctx: &mut Ctx) {
        let context = values.first().map(|s| s.trim()).unwrap_or_default();
        let Some(ci) = self.clusters.iter().position(|c| c.context == context) else {
            return ctx.error(format!(
                "no cluster {context:?} in this view (one of {})",
                self.clusters
                    .iter()
                    .map(|c| c.context.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        match BackupForm::parse(values.get(1..).unwrap_or_default()) {
            Ok(form) => {
                let ns = self.clusters[ci].velero_namespace();
                self.create(ci, Kind::Backup, form.object(&ns), ctx);
            }
            Err(e) => ctx.error(e),
        }
    }

    fn submitted_restore(&mut self, values: &[String], ctx: &mut Ctx) {
        let Some((ci, backup, ns)) = self.restoring.take() else {
            return;
        };
        match RestoreForm::parse(values) {
            Ok(form) => {
                let object = form.object(&ns, &backup);
                self.create(ci, Kind::Restore, object, ctx);
            }
            Err(e) => ctx.error(e),
        }
    }

    fn open_object(&self, kind: TextKind, ctx: &mut Ctx) {
        let Some((ci, it)) = self.selected() else {
            return;
        };
        let c = &self.clusters[ci];
        let target = ObjectRef {
            context: c.context.clone(),
            cluster: c.id,
            res: ResKey::new(model::GROUP, it.kind.plural()),
            version: model::VERSION.into(),
            kind: it.kind.kind().into(),
            namespace: it.namespace.clone(),
            name: it.name.clone(),
            uid: it.uid.clone(),
        };
        ctx.push(Box::new(TextScreen::object(kind, target)));
    }

    /// One line per cluster that lists nothing (yet): loading, absent, failed.
    fn notes_lines(&self, ctx: &DrawCtx) -> Vec<Line<'static>> {
        let theme = &ctx.config.theme;
        self.clusters
            .iter()
            .filter_map(|c| {
                let (slot, text) = match c.note() {
                    Note::Listed => return None,
                    Note::Loading => ("row-done", "loading…".to_string()),
                    Note::NotConnected => ("row-done", crate::model::not_connected().message),
                    Note::Absent => (
                        "row-done",
                        "no Velero here (its CRDs, velero.io/v1, are not installed)".to_string(),
                    ),
                    Note::Failed(why) => ("row-error", format!("not listed: {why}")),
                };
                Some(Line::from(vec![
                    Span::styled(format!(" {:<14} ", clean(&c.context)), theme.get("title")),
                    Span::styled(text, theme.get(slot)),
                ]))
            })
            .collect()
    }

    fn row(&self, context: &str, it: &Item, now: i64) -> GridRow {
        let count = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        let age = it
            .created
            .map(|t| crate::human::age(now - t))
            .unwrap_or_default();
        let expires = match it.expires {
            Some(t) if t > now => crate::human::age(t - now),
            Some(_) => "expired".into(),
            None => String::new(),
        };
        let mut row = GridRow::new(
            vec![
                clean(context),
                it.kind.short().to_string(),
                it.name.clone(),
                it.phase.clone(),
                it.progress.clone(),
                count(it.errors),
                count(it.warnings),
                age,
                expires,
            ],
            it.slot,
        );
        if it.errors.is_some_and(|n| n > 0) {
            row.cell_slots.push((5, "row-error"));
        }
        if it.warnings.is_some_and(|n| n > 0) {
            row.cell_slots.push((6, "row-warn"));
        }
        row
    }
}

impl Screen for VeleroScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Backup, "new backup"),
            (Action::Restore, "restore"),
            (Action::Trigger, "schedule now"),
            (Action::Describe, "describe"),
            (Action::Yaml, "yaml"),
            (Action::Rerun, "refresh"),
            (Action::Filter, "filter"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        self.start(ctx);
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        // A cluster that connected after the screen opened is listed now.
        if self.clusters.iter().any(|c| !c.asked) {
            self.ask(ctx);
        }
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = super::moved(action, self.cursor, self.rows.len()) {
            self.cursor = to;
            return true;
        }
        match action {
            Action::Rerun => self.start(ctx),
            Action::Backup => self.backup_form(ctx),
            Action::Restore => self.restore_form(ctx),
            Action::Trigger => self.trigger(ctx),
            Action::Describe | Action::Enter => self.open_object(TextKind::Describe, ctx),
            Action::Yaml => self.open_object(TextKind::Yaml, ctx),
            Action::Copy => {
                if let Some((_, it)) = self.selected() {
                    let name = it.name.clone();
                    ctx.copy(name);
                }
            }
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let notes = self.notes_lines(ctx);
        let [top, body] = Layout::vertical([
            Constraint::Length((notes.len() as u16).min(area.height / 3)),
            Constraint::Fill(1),
        ])
        .areas(area);
        f.render_widget(Paragraph::new(notes), top);
        let mut title = vec![Span::styled(
            format!(" velero[{}] ", self.rows.len()),
            theme.get("title"),
        )];
        if !self.filter.is_empty() {
            title.push(Span::styled(
                format!("</{}> ", self.filter),
                theme.get("title"),
            ));
        }
        let width = usize::from(body.width.saturating_sub(2)).max(10);
        let detail = self
            .selected()
            .map(|(_, it)| {
                let text = format!(
                    "{} {}/{}: {}",
                    it.kind.kind(),
                    it.namespace,
                    it.name,
                    it.detail
                );
                grid::wrap(&text, width, 2)
            })
            .unwrap_or_default();
        let height = grid::room(body, detail.len());
        let offset = grid::offset(self.cursor, height);
        let rows = self
            .rows()
            .into_iter()
            .skip(offset)
            .take(height)
            .map(|(context, it)| self.row(context, it, ctx.now))
            .collect();
        let loading = self.clusters.iter().any(|c| c.note() == Note::Loading);
        grid::draw(
            f,
            body,
            theme,
            Grid {
                title,
                header: vec![
                    "CLUSTER", "KIND", "NAME", "PHASE", "PROGRESS", "ERRORS", "WARNINGS", "AGE",
                    "EXPIRES",
                ],
                widths: vec![
                    Width::Fit(7, 24),
                    Width::Fit(4, 8),
                    Width::Fit(4, 48),
                    Width::Fit(5, 44),
                    Width::Fit(8, 9),
                    Width::Fit(6, 6),
                    Width::Fit(8, 8),
                    Width::Fit(3, 8),
                    Width::Fill,
                ],
                rows,
                selected: Some(self.cursor.saturating_sub(offset)),
                empty: if loading {
                    "Listing Velero's objects…".into()
                } else if self.filter.is_empty() {
                    "No Velero Backups, Restores, Schedules or storage locations.".into()
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
        self.rebuild();
    }
}
