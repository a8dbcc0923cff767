//! A release's revision history, as `helm history` lists it, read again whenever one of its
//! records changes. The records are decoded off the UI thread within a memory budget, newest
//! first; a record that does not fit (or cannot be read) is listed with what its labels say
//! and why. From a revision: its values, manifest, notes and hooks; `D` diffs the marked
//! revision (or the one before) against the highlighted one: values and manifest; `r` plans a
//! rollback to the highlighted revision.

use super::parts;
use crate::grid::{self, Grid, GridRow, Width};
use crate::helm::record::{self, Summary};
use crate::helm::releases::{self, Release};
use crate::model::{Action, ApiError};
use crate::protocol::op::HelmOp;
use crate::screens::diff::{ObjectDiff, Side};
use crate::screens::{Ctx, Deliver, DrawCtx, Need, Screen};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use serde_json::Value;

pub struct Revision {
    pub summary: Summary,
    /// `None` when the record is not read; its summary's description says why.
    pub release: Option<Value>,
}

pub struct HistoryScreen {
    release: Release,
    /// The records (object, status) the revisions were read for: read again when it moves.
    read_for: Option<Vec<(String, String)>>,
    revisions: Vec<Revision>,
    cursor: usize,
    marked: Option<i64>,
    /// Shown instead of the list while there is nothing to show, or above it.
    status: String,
    waiting: bool,
    /// The sheets' versions the release was last looked up at.
    built: Option<Vec<(crate::model::ClusterId, u64)>>,
}

fn signature(r: &Release) -> Vec<(String, String)> {
    r.records
        .iter()
        .map(|x| (x.object.clone(), x.status.clone()))
        .collect()
}

/// What a diff compares of a revision: its user values, then its manifest.
fn compared(r: &Revision) -> Vec<String> {
    let Some(release) = &r.release else {
        return vec![format!("# {}", r.summary.description)];
    };
    let mut lines = vec!["# values".to_string()];
    lines.extend(crate::text::clean_lines(&record::yaml(
        &record::user_values(release),
    )));
    lines.push("# manifest".into());
    lines.extend(crate::text::clean_lines(record::manifest(release)));
    lines
}

impl HistoryScreen {
    pub fn new(release: Release) -> Self {
        HistoryScreen {
            release,
            read_for: None,
            revisions: Vec::new(),
            cursor: 0,
            marked: None,
            status: "loading…".into(),
            waiting: false,
            built: None,
        }
    }

    pub fn revisions(&self) -> &[Revision] {
        &self.revisions
    }

    fn what(&self) -> String {
        crate::text::clean(&format!(
            "{} in {} @{}",
            self.release.name, self.release.namespace, self.release.context
        ))
    }

    fn read(&mut self, ctx: &mut Ctx) {
        ctx.read_releases(
            self.release.cluster,
            self.release.records_path(),
            self.release.driver,
            Deliver::OnStack,
            |me: &mut Self, r, _: &mut Ctx| me.listed(r),
        );
        self.waiting = true;
        self.read_for = Some(signature(&self.release));
    }

    fn diff(&self, ctx: &mut Ctx) {
        let Some(right) = self.revisions.get(self.cursor) else {
            return;
        };
        let left = match self.marked {
            Some(m) if m != right.summary.revision => {
                self.revisions.iter().find(|r| r.summary.revision == m)
            }
            _ => self.revisions.get(self.cursor + 1),
        };
        let Some(left) = left else {
            return ctx.info(format!(
                "revision {} is the first: mark another with space to compare",
                right.summary.revision
            ));
        };
        let side =
            |r: &Revision| Side::lines(&format!("revision {}", r.summary.revision), compared(r));
        ctx.push(Box::new(ObjectDiff::new(
            &self.what(),
            side(left),
            side(right),
        )));
    }

    /// The release's records, read and decoded (`read`).
    fn listed(&mut self, result: Result<Vec<crate::helm::record::Unpacked>, ApiError>) {
        self.waiting = false;
        let read = match result {
            Ok(read) => read,
            Err(e) => {
                self.status = crate::text::clean(&format!("cannot read the records: {e}"));
                return;
            }
        };
        let unread: Vec<String> = read
            .iter()
            .filter_map(|r| {
                let why = r.release.as_ref().err()?;
                Some(format!("revision {}: {why}", r.revision))
            })
            .collect();
        let revisions: Vec<Revision> = read
            .into_iter()
            .map(|r| Revision {
                summary: r.summary(),
                release: r.release.ok(),
            })
            .collect();
        let at = self.revisions.get(self.cursor).map(|r| r.summary.revision);
        self.revisions = revisions;
        self.cursor = at
            .and_then(|n| self.revisions.iter().position(|r| r.summary.revision == n))
            .unwrap_or(0);
        self.status = match unread.is_empty() {
            true => String::new(),
            false => crate::text::clean(&format!("not read: {}", unread.join("; "))),
        };
        if self.revisions.is_empty() {
            self.status = format!("{} has no records", self.what());
        }
    }
}

impl Screen for HistoryScreen {
    fn mode(&self) -> &'static str {
        super::HISTORY_MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Values, "values"),
            (Action::AllValues, "computed values"),
            (Action::Manifest, "manifest"),
            (Action::Notes, "notes"),
            (Action::Hooks, "hooks"),
            (Action::Objects, "objects"),
            (Action::Mark, "mark"),
            (Action::Diff, "diff"),
            (Action::Rollback, "roll back to it"),
            (Action::Back, "back"),
        ]
    }

    fn needs(&self, _store: &crate::store::Store, out: &mut Vec<Need>) {
        for res in releases::watched() {
            out.push(Need::Watch {
                cluster: self.release.cluster,
                res,
            });
        }
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        self.read(ctx);
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        // The records are looked up again only when a sheet moved, not on every frame.
        let versions = releases::versions(ctx.store);
        if self.built.as_ref() == Some(&versions) {
            return;
        }
        self.built = Some(versions);
        let contexts = [self.release.context.clone()];
        let now = releases::list(ctx.store, Some(&contexts))
            .into_iter()
            .find(|r| {
                r.cluster == self.release.cluster
                    && r.namespace == self.release.namespace
                    && r.name == self.release.name
                    && r.driver == self.release.driver
            });
        match now {
            Some(r) => self.release = r,
            // The sheet may still be listing; only a listed sheet without it means it is gone.
            None => {
                let res = crate::model::ResKey::core(self.release.driver.plural());
                let listed = ctx
                    .store
                    .sheet(self.release.cluster, &res)
                    .is_some_and(|s| s.state == crate::store::sheet::SheetState::Ready);
                if listed && !self.release.records.is_empty() {
                    self.release.records.clear();
                    self.revisions.clear();
                    self.status = format!("{} has no records any more (uninstalled)", self.what());
                }
                return;
            }
        }
        if self.read_for.as_ref() != Some(&signature(&self.release)) {
            if self.waiting {
                // Changed while a read is under way: look again once it is answered.
                self.built = None;
            } else {
                self.read(ctx);
            }
        }
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = crate::screens::moved(action, self.cursor, self.revisions.len()) {
            self.cursor = to;
            return true;
        }
        match action {
            Action::Values
            | Action::AllValues
            | Action::Manifest
            | Action::Notes
            | Action::Hooks
            | Action::Objects => {
                let Some(r) = self.revisions.get(self.cursor) else {
                    return true;
                };
                let Some(release) = &r.release else {
                    let s = &r.summary;
                    ctx.error(format!("revision {}: {}", s.revision, s.description));
                    return true;
                };
                if let Some(s) =
                    parts::screen(release, self.release.cluster, &self.release.context, action)
                {
                    ctx.push(s);
                }
            }
            Action::Rollback => {
                let Some(n) = self.revisions.get(self.cursor).map(|r| r.summary.revision) else {
                    return true;
                };
                if self.release.records.is_empty() {
                    ctx.error(format!("{} has no records any more", self.what()));
                } else if n == self.release.newest().revision {
                    ctx.info(format!(
                        "revision {n} is the newest of {}: pick an older one to roll back to",
                        self.what()
                    ));
                } else {
                    ctx.push(Box::new(super::PlanScreen::new(
                        HelmOp::Rollback { revision: Some(n) },
                        &[&self.release],
                    )));
                }
            }
            Action::Mark => {
                let n = self.revisions.get(self.cursor).map(|r| r.summary.revision);
                self.marked = if self.marked == n { None } else { n };
            }
            Action::Diff => self.diff(ctx),
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let title = vec![Span::styled(
            format!(" history of {} [{}] ", self.what(), self.revisions.len()),
            theme.get("title"),
        )];
        let detail: Vec<String> = if self.revisions.is_empty() || self.status.is_empty() {
            Vec::new()
        } else {
            grid::wrap(&self.status, usize::from(area.width.saturating_sub(2)), 2)
        };
        let height = grid::room(area, detail.len());
        let offset = grid::offset(self.cursor, height);
        let rows = self
            .revisions
            .iter()
            .skip(offset)
            .take(height)
            .map(|r| {
                let s = &r.summary;
                let slot = if self.marked == Some(s.revision) {
                    "row-marked"
                } else if r.release.is_none() {
                    "row-error"
                } else {
                    super::status_slot(&s.status)
                };
                GridRow::new(
                    vec![
                        s.revision.to_string(),
                        s.updated
                            .map(|t| crate::human::age(ctx.now - t))
                            .unwrap_or_default(),
                        s.status.clone(),
                        s.chart_ref(),
                        s.app_version.clone(),
                        s.description.clone(),
                    ],
                    slot,
                )
            })
            .collect();
        grid::draw(
            f,
            area,
            theme,
            Grid {
                title,
                header: vec![
                    "REVISION",
                    "UPDATED",
                    "STATUS",
                    "CHART",
                    "APP VERSION",
                    "DESCRIPTION",
                ],
                widths: vec![
                    Width::Fit(8, 8),
                    Width::Fit(7, 12),
                    Width::Fit(6, 20),
                    Width::Fit(5, 40),
                    Width::Fit(11, 20),
                    Width::Fill,
                ],
                rows,
                selected: Some(self.cursor - offset),
                empty: self.status.clone(),
                detail,
            },
        );
    }
}
