//! The review step of an edit: the server checks the edited object (a dry run), the user
//! reads what would change, then applies it. From here the same object on other clusters can
//! be added: each is fetched, checked by a dry run of a server-side apply (its own version and
//! identity differ, so those are left out), shown, and applied with the edit as one batch.

use super::EditorScreen;
use crate::kinds::document;
use crate::modal::{Modal, ModalResult};
use crate::model::{ApiError, ClusterId, Fetched, ObjectRef};
use crate::protocol::op::{Mutation, Op, Outcome};
use crate::screens::{Ctx, Deliver, FlashLevel, Mutated};
use serde_json::Value;

/// Lines of unchanged text shown around each change.
const CONTEXT: usize = 3;

/// What a target's apply came to when the app's confirmation was declined.
const NOT_CONFIRMED: &str = "not applied: not confirmed";

/// One object the edit goes to: the edited one first, then the ones on other clusters.
struct Target {
    obj: ObjectRef,
    /// The object on the server now (the diff's left side); `None` while it is fetched.
    current: Option<Value>,
    /// The dry run's answer: the diff, or why the server (or the fetch) refused.
    check: Option<Result<Diff, String>>,
    applied: Option<Result<Outcome, String>>,
}

/// Changed lines, marked "+ " / "- " / "  ", in hunks with a few lines around each change.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    pub lines: Vec<String>,
    pub changed: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Dry runs (or the other clusters' fetches) are out.
    Checking,
    Ready,
    Applying,
}

/// What the review came to, for the editor.
pub enum Event {
    /// Applied: a flash for the user and the edited object as the server now has it.
    Applied {
        flash: String,
        level: FlashLevel,
        object: Option<Value>,
    },
    /// The server refused the edit (dry run or apply): back to the buffer with its message.
    Refused(String),
}

pub struct Review {
    /// The edited object as sent for the edited target (a replace carrying its
    /// resourceVersion, so a changed object is refused).
    object: Value,
    targets: Vec<Target>,
    /// Take over fields other managers own on the other clusters (asked after a conflict).
    force: bool,
    phase: Phase,
    /// Indices (into `targets`) of the other clusters' objects in the batch out now.
    batch: Vec<usize>,
    pub scroll: usize,
}

/// Where an answer to a request of the review goes: the review is no screen, so to the editor
/// that asked, whose open review (if it still has one) takes it with `on`; the editor carries
/// out what that comes to.
fn to_review<T>(
    mut on: impl FnMut(&mut Review, T, &mut Ctx) -> Option<Event> + 'static,
) -> impl FnMut(&mut EditorScreen, T, &mut Ctx) + 'static {
    move |me, answer, ctx| {
        if let Some(r) = &mut me.review
            && let Some(ev) = on(r, answer, ctx)
        {
            me.reviewed_event(ev, ctx);
        }
    }
}

impl Review {
    /// A review of `object` replacing `current` (the server's `target` when the edit started).
    pub fn new(target: ObjectRef, current: Value, object: Value) -> Review {
        Review {
            object,
            targets: vec![Target {
                obj: target,
                current: Some(current),
                check: None,
                applied: None,
            }],
            force: false,
            phase: Phase::Checking,
            batch: Vec::new(),
            scroll: 0,
        }
    }

    /// Sends the dry run of the edit itself.
    pub fn start(&mut self, ctx: &mut Ctx) {
        self.phase = Phase::Checking;
        self.mutate(ctx, vec![0], true, Review::edit_checked);
    }

    /// As if the dry run had answered with `result` (for tests and snapshots).
    pub fn checked(mut self, result: Value) -> Review {
        let diff = self.diff_of(0, &result);
        self.targets[0].check = Some(Ok(diff));
        self.phase = Phase::Ready;
        self
    }

    fn op(&self, other_clusters: bool) -> Op {
        if other_clusters {
            Op::Apply {
                object: document::apply_body(&self.object),
                server_side: true,
                force: self.force,
            }
        } else {
            Op::Apply {
                object: self.object.clone(),
                server_side: false,
                force: false,
            }
        }
    }

    /// One `Request::Mutate` for `targets` (indices), answered to `on`; the edited target
    /// always goes alone, as a replace; the others together, as a server-side apply.
    fn mutate(
        &mut self,
        ctx: &mut Ctx,
        targets: Vec<usize>,
        dry_run: bool,
        on: fn(&mut Review, Mutated, &mut Ctx) -> Option<Event>,
    ) {
        let others = targets.first().is_some_and(|i| *i > 0);
        if others {
            self.batch = targets.clone();
        }
        let mutation = Mutation {
            op: self.op(others),
            targets: targets
                .iter()
                .filter_map(|i| self.targets.get(*i).map(|t| t.obj.clone()))
                .collect(),
            dry_run,
        };
        ctx.mutate(mutation, to_review(on));
    }

    fn diff_of(&self, i: usize, after: &Value) -> Diff {
        let before = self.targets[i]
            .current
            .as_ref()
            .map(|c| document::plain_yaml_lines(&document::diff_view(c)))
            .unwrap_or_default();
        let after = document::plain_yaml_lines(&document::diff_view(after));
        diff(&before, &after)
    }

    /// Whether the change is out (the edit cannot be left until it is answered).
    pub fn applying(&self) -> bool {
        self.phase == Phase::Applying
    }

    /// Every changed line in all the targets' diffs.
    fn changes(&self) -> usize {
        self.targets
            .iter()
            .filter_map(|t| t.check.as_ref()?.as_ref().ok())
            .map(|d| d.changed)
            .sum()
    }

    /// Enter: applies the edit (and to the other clusters that passed their dry run).
    pub fn apply(&mut self, ctx: &mut Ctx) -> Option<Event> {
        if self.phase != Phase::Ready {
            ctx.info("wait for the server's check");
            return None;
        }
        if self.changes() == 0 {
            return Some(Event::Applied {
                flash: "no changes: nothing applied".into(),
                level: FlashLevel::Info,
                object: None,
            });
        }
        self.phase = Phase::Applying;
        for t in &mut self.targets {
            t.applied = None;
        }
        self.mutate(ctx, vec![0], false, Review::edit_applied);
        let others: Vec<usize> = (1..self.targets.len())
            .filter(|i| matches!(self.targets[*i].check, Some(Ok(_))))
            .collect();
        if !others.is_empty() {
            self.mutate(ctx, others, false, Review::others_applied);
        }
        None
    }

    /// `a`: asks which other connected clusters to add.
    pub fn offer_clusters(&mut self, ctx: &mut Ctx) {
        if self.phase != Phase::Ready {
            return ctx.info("wait for the server's check");
        }
        let clusters = self.other_clusters(ctx);
        if clusters.is_empty() {
            return ctx.info("no other connected cluster to apply it to");
        }
        let names: Vec<String> = clusters.iter().map(|(_, n)| n.clone()).collect();
        let mut items = Vec::new();
        if names.len() > 1 {
            items.push(format!("all of them: {}", names.join(", ")));
        }
        items.extend(names);
        let what = self.targets[0].obj.short();
        let pick = Modal::pick(format!("also apply {what} to"), items);
        ctx.modal(
            pick,
            to_review(|r, picked, ctx| {
                if let ModalResult::Picked(i) = picked {
                    r.picked(i, ctx);
                }
                None
            }),
        );
    }

    /// Connected clusters whose object is not a target yet.
    fn other_clusters(&self, ctx: &Ctx) -> Vec<(ClusterId, String)> {
        ctx.store
            .clusters
            .iter()
            .filter(|s| s.connected && !self.targets.iter().any(|t| t.obj.cluster == s.id))
            .map(|s| (s.id, s.context.clone()))
            .collect()
    }

    fn picked(&mut self, i: usize, ctx: &mut Ctx) {
        let clusters = self.other_clusters(ctx);
        let chosen: Vec<(ClusterId, String)> = match (clusters.len() > 1, i) {
            (true, 0) => clusters,
            (true, i) => clusters.into_iter().skip(i - 1).take(1).collect(),
            (false, i) => clusters.into_iter().skip(i).take(1).collect(),
        };
        let edited = self.targets[0].obj.clone();
        for (cluster, context) in chosen {
            let version = ctx
                .resource_on(cluster, &edited.res)
                .map(|r| r.version)
                .unwrap_or_else(|| edited.version.clone());
            let obj = ObjectRef {
                context,
                cluster,
                version,
                uid: String::new(),
                ..edited.clone()
            };
            let i = self.targets.len();
            ctx.fetch(
                cluster,
                obj.path(),
                None,
                Deliver::OnStack,
                to_review(move |r, result, ctx| {
                    r.fetched(i, result, ctx);
                    None
                }),
            );
            self.targets.push(Target {
                obj,
                current: None,
                check: None,
                applied: None,
            });
        }
        self.phase = Phase::Checking;
    }

    fn fetched(&mut self, i: usize, result: Result<Fetched, ApiError>, ctx: &mut Ctx) {
        let Some(t) = self.targets.get_mut(i) else {
            return;
        };
        match result {
            Ok(f) => {
                t.obj.uid = f
                    .object
                    .pointer("/metadata/uid")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                t.current = Some(f.object);
            }
            Err(e) if e.code == 404 => {
                t.check = Some(Err(format!("no {} there", t.obj.short())));
            }
            Err(e) => t.check = Some(Err(e.to_string())),
        }
        self.check_others(ctx);
    }

    /// Once every other cluster's object is fetched: their dry run, as one batch.
    fn check_others(&mut self, ctx: &mut Ctx) {
        let waiting = self
            .targets
            .iter()
            .any(|t| t.current.is_none() && t.check.is_none());
        if waiting {
            return;
        }
        let unchecked: Vec<usize> = (1..self.targets.len())
            .filter(|i| self.targets[*i].check.is_none())
            .collect();
        if unchecked.is_empty() {
            self.phase = Phase::Ready;
        } else {
            self.mutate(ctx, unchecked, true, Review::others_checked);
        }
    }

    /// Whether an answer of the batch out now is the last one missing.
    fn batch_done(&self, applying: bool) -> bool {
        self.batch.iter().all(|i| {
            let t = &self.targets[*i];
            if applying {
                t.applied.is_some()
            } else {
                t.check.is_some()
            }
        })
    }

    /// The dry run of the edit itself.
    fn edit_checked(&mut self, m: Mutated, _: &mut Ctx) -> Option<Event> {
        // A dry run is never confirmed, so never declined.
        let Mutated::Target { result, .. } = m else {
            return None;
        };
        match result {
            Ok(outcome) => {
                let after = outcome.object.unwrap_or_else(|| self.object.clone());
                let diff = self.diff_of(0, &after);
                self.targets[0].check = Some(Ok(diff));
                self.phase = Phase::Ready;
                None
            }
            Err(e) => Some(Event::Refused(e)),
        }
    }

    /// One other cluster's dry run.
    fn others_checked(&mut self, m: Mutated, ctx: &mut Ctx) -> Option<Event> {
        let Mutated::Target { index, result } = m else {
            return None;
        };
        let &i = self.batch.get(index)?;
        let check = result.map(|o| {
            let after = o
                .object
                .unwrap_or_else(|| document::apply_body(&self.object));
            self.diff_of(i, &after)
        });
        self.targets[i].check = Some(check);
        if self.batch_done(false) {
            self.phase = Phase::Ready;
            self.ask_force(ctx);
        }
        None
    }

    /// The edit applied, or the app's confirmation declined (nothing was sent).
    fn edit_applied(&mut self, m: Mutated, _: &mut Ctx) -> Option<Event> {
        self.targets[0].applied = Some(match m {
            Mutated::Target { result, .. } => result,
            Mutated::Cancelled => Err(NOT_CONFIRMED.into()),
        });
        self.all_applied()
    }

    /// One other cluster's apply, or the app's confirmation of them declined (nothing was
    /// sent).
    fn others_applied(&mut self, m: Mutated, _: &mut Ctx) -> Option<Event> {
        match m {
            Mutated::Target { index, result } => {
                if let Some(&i) = self.batch.get(index) {
                    self.targets[i].applied = Some(result);
                }
            }
            Mutated::Cancelled => {
                for &i in &self.batch {
                    self.targets[i].applied = Some(Err(NOT_CONFIRMED.into()));
                }
            }
        }
        self.all_applied()
    }

    /// Force confirmed: the other clusters' conflicted dry runs again, taking the fields over.
    fn forced(&mut self, ctx: &mut Ctx) {
        self.force = true;
        let conflicted: Vec<usize> = (1..self.targets.len())
            .filter(|i| is_conflict(&self.targets[*i].check))
            .collect();
        for i in &conflicted {
            self.targets[*i].check = None;
        }
        self.phase = Phase::Checking;
        self.mutate(ctx, conflicted, true, Review::others_checked);
    }

    /// After a conflict on another cluster: offers to take the fields over.
    fn ask_force(&mut self, ctx: &mut Ctx) {
        let conflicts: Vec<String> = self.targets[1..]
            .iter()
            .filter(|t| is_conflict(&t.check))
            .map(|t| match &t.check {
                Some(Err(e)) => format!("{}: {e}", t.obj.context),
                _ => String::new(),
            })
            .collect();
        if conflicts.is_empty() || self.force {
            return;
        }
        let mut lines = conflicts;
        lines.push(String::new());
        lines.push("Force: take these fields over from the managers that own them?".into());
        ctx.modal(
            Modal::confirm("conflicts on other clusters", lines),
            to_review(|r, confirmed, ctx| {
                if confirmed == ModalResult::Confirmed {
                    r.forced(ctx);
                }
                None
            }),
        );
    }

    /// Once every apply has answered: what it came to.
    fn all_applied(&mut self) -> Option<Event> {
        let Some(first) = &self.targets[0].applied else {
            return None;
        };
        if !self.batch_done(true) {
            return None;
        }
        let edited = &self.targets[0].obj;
        let outcome = match first {
            Ok(o) => o,
            Err(e) => {
                self.phase = Phase::Ready;
                let others = self.applied_elsewhere();
                return Some(Event::Refused(if others.is_empty() {
                    e.clone()
                } else {
                    format!("{e} (applied on {})", others.join(", "))
                }));
            }
        };
        let mut flash = format!(
            "{} edited on {} (rv {} → {})",
            edited.short(),
            edited.context,
            outcome.rv_before.as_deref().unwrap_or("?"),
            outcome.rv_after.as_deref().unwrap_or("?")
        );
        let others = self.applied_elsewhere();
        if !others.is_empty() {
            flash.push_str(&format!("; also on {}", others.join(", ")));
        }
        let failed: Vec<String> = self
            .batch
            .iter()
            .filter_map(|i| {
                let t = &self.targets[*i];
                match &t.applied {
                    Some(Err(e)) => Some(format!("{}: {e}", t.obj.context)),
                    _ => None,
                }
            })
            .collect();
        let level = if failed.is_empty() {
            FlashLevel::Info
        } else {
            flash.push_str(&format!("; failed on {}", failed.join("; ")));
            FlashLevel::Error
        };
        Some(Event::Applied {
            flash,
            level,
            object: outcome.object.clone(),
        })
    }

    fn applied_elsewhere(&self) -> Vec<String> {
        self.batch
            .iter()
            .filter(|i| matches!(self.targets[**i].applied, Some(Ok(_))))
            .map(|i| self.targets[*i].obj.context.clone())
            .collect()
    }

    /// What the pane shows: per target a heading, then its diff or why it cannot go.
    pub fn lines(&self) -> Vec<(Mark, String)> {
        let mut out = Vec::new();
        for (i, t) in self.targets.iter().enumerate() {
            let how = if i == 0 {
                "replace"
            } else if self.force {
                "server-side apply, forced"
            } else {
                "server-side apply"
            };
            let state = match (&t.check, &t.applied) {
                (_, Some(Ok(_))) => "applied".to_string(),
                (_, Some(Err(e))) => format!("failed: {e}"),
                (None, _) if t.current.is_none() => "fetching…".into(),
                (None, _) => "checking with the server (dry run)…".into(),
                (Some(Err(_)), _) => "refused".into(),
                (Some(Ok(d)), _) if d.changed == 0 => "no changes".into(),
                (Some(Ok(d)), _) => format!("{} changed lines", d.changed),
            };
            out.push((
                Mark::Heading,
                format!("{} on {} ({how}): {state}", t.obj.short(), t.obj.context),
            ));
            match &t.check {
                Some(Ok(d)) => out.extend(d.lines.iter().map(|l| (Mark::of(l), l.clone()))),
                Some(Err(e)) => out.push((Mark::Error, crate::text::clean(e))),
                None => {}
            }
            out.push((Mark::Same, String::new()));
        }
        out
    }

    /// The pane's last line: what the keys do now.
    pub fn status(&self) -> &'static str {
        match self.phase {
            Phase::Checking => "checking with the server…",
            Phase::Applying => "applying…",
            Phase::Ready if self.changes() == 0 => "no changes — esc edits again",
            Phase::Ready => "enter applies — a: also apply to other clusters — esc edits again",
        }
    }
}

fn is_conflict(check: &Option<Result<Diff, String>>) -> bool {
    matches!(check, Some(Err(e)) if e.to_lowercase().contains("conflict"))
}

/// How a review line is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    Heading,
    Add,
    Remove,
    Same,
    /// A hunk's position.
    Hunk,
    Error,
}

impl Mark {
    fn of(line: &str) -> Mark {
        if line.starts_with("+ ") {
            Mark::Add
        } else if line.starts_with("- ") {
            Mark::Remove
        } else if line.starts_with("@@") {
            Mark::Hunk
        } else {
            Mark::Same
        }
    }
}

/// A unified diff of two YAML texts (already sanitized lines): "+ " added, "- " removed,
/// "  " context, "@@ line N" where each hunk starts in the new text; "no changes" when equal.
pub fn diff(before: &[String], after: &[String]) -> Diff {
    let old: Vec<&str> = before.iter().map(String::as_str).collect();
    let new: Vec<&str> = after.iter().map(String::as_str).collect();
    let d = similar::TextDiff::from_slices(&old, &new);
    let mut lines = Vec::new();
    let mut changed = 0;
    for group in d.grouped_ops(CONTEXT) {
        if let Some(first) = group.first() {
            lines.push(format!("@@ line {}", first.new_range().start + 1));
        }
        for op in &group {
            for c in d.iter_changes(op) {
                let mark = match c.tag() {
                    similar::ChangeTag::Insert => "+ ",
                    similar::ChangeTag::Delete => "- ",
                    similar::ChangeTag::Equal => "  ",
                };
                if c.tag() != similar::ChangeTag::Equal {
                    changed += 1;
                }
                lines.push(format!("{mark}{}", c.value()));
            }
        }
    }
    if lines.is_empty() {
        lines.push("  no changes".into());
    }
    Diff { lines, changed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(str::to_string).collect()
    }

    #[test]
    fn diffs_show_the_change_with_context() {
        let before = lines("a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nspec:\n  replicas: 2\nz: 9\n");
        let after = lines("a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nspec:\n  replicas: 7\nz: 9\n");
        let d = diff(&before, &after);
        assert_eq!(d.changed, 2);
        assert_eq!(
            d.lines,
            vec![
                "@@ line 4",
                "  d: 4",
                "  e: 5",
                "  spec:",
                "-   replicas: 2",
                "+   replicas: 7",
                "  z: 9"
            ]
        );
        let same = diff(&before, &before);
        assert_eq!((same.changed, same.lines), (0, vec!["  no changes".into()]));
    }
}
