//! A workload's rollout history (a Deployment's ReplicaSets, a StatefulSet's or DaemonSet's
//! ControllerRevisions), the pod template change of the highlighted revision, and rollback to
//! it as `kubectl rollout undo --to-revision` does. The rollback goes the way every change goes
//! (`Request::Mutate`: confirmation, permissions, audit); this screen only computes the patch.

use super::{Ctx, Deliver, DrawCtx, Mutated, Screen};
use crate::model::{Action, ApiError, Fetched, ObjectRef};
use crate::ops::revisions::{self, Revision};
use crate::protocol::op::{Mutation, Op};
use crate::text::sanitize;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use serde_json::Value;

pub const MODE: &str = "revisions";
/// How long after a rollback the screen keeps re-reading (once a second) until the controller
/// has recorded the new revision: the server answers the patch before the controller acts.
const SETTLE_SECS: i64 = 15;
/// Unchanged lines shown above the first change of the diff.
const CONTEXT: usize = 3;

pub struct RevisionsScreen {
    obj: ObjectRef,
    owner: Option<Value>,
    list: Option<Value>,
    revisions: Vec<Revision>,
    cursor: usize,
    /// The highlighted revision's template against the current one.
    diff: Vec<String>,
    /// Shown instead of the table while there is nothing to show.
    status: String,
    /// Fetches sent and not answered yet.
    waiting: u8,
    last_fetch: i64,
    /// Re-read until then, unless the history has settled.
    settle_until: Option<i64>,
    /// The revision of the rollback submitted last, for its result line.
    rolling: Option<i64>,
}

impl RevisionsScreen {
    pub fn new(obj: ObjectRef) -> Self {
        RevisionsScreen {
            obj,
            owner: None,
            list: None,
            revisions: Vec::new(),
            cursor: 0,
            diff: Vec::new(),
            status: "loading…".into(),
            waiting: 0,
            last_fetch: 0,
            settle_until: None,
            rolling: None,
        }
    }

    fn fetch(&mut self, ctx: &mut Ctx) {
        let Some(list) = revisions::list_path(&self.obj) else {
            self.status = format!("{} has no rollout history", self.obj.kind);
            return;
        };
        let cluster = self.obj.cluster;
        ctx.fetch(
            cluster,
            self.obj.path(),
            None,
            Deliver::OnStack,
            Self::owner_read,
        );
        ctx.fetch(cluster, list, None, Deliver::OnStack, Self::list_read);
        self.waiting = 2;
        self.last_fetch = ctx.now;
    }

    /// Recomputes the rows and the diff, keeping the cursor on the same ReplicaSet or
    /// ControllerRevision (a rollback renumbers the one rolled back to).
    fn rebuild(&mut self) {
        let (Some(owner), Some(list)) = (&self.owner, &self.list) else {
            return;
        };
        let name = self.revisions.get(self.cursor).map(|r| r.name.clone());
        self.revisions = revisions::from_list(owner, list);
        self.cursor = name
            .and_then(|n| self.revisions.iter().position(|r| r.name == n))
            .unwrap_or(self.cursor)
            .min(self.revisions.len().saturating_sub(1));
        if self.revisions.is_empty() {
            self.status = format!("No rollout history found for {}.", self.obj);
        }
        self.diff = self
            .revisions
            .get(self.cursor)
            .map(|r| revisions::template_diff(owner, r))
            .unwrap_or_default();
        // Settled: the controller has seen the latest spec and made its template the newest
        // revision.
        let observed = owner
            .pointer("/status/observedGeneration")
            .and_then(Value::as_i64);
        let generation = owner
            .pointer("/metadata/generation")
            .and_then(Value::as_i64);
        if observed >= generation && self.revisions.first().is_some_and(|r| r.current) {
            self.settle_until = None;
        }
    }

    fn enter(&mut self, ctx: &mut Ctx) {
        let (Some(owner), Some(rev)) = (&self.owner, self.revisions.get(self.cursor)) else {
            return ctx.error("no revision selected");
        };
        if rev.current {
            return ctx.info(format!(
                "revision {} is the current one of {}",
                rev.number, self.obj
            ));
        }
        match revisions::rollback_patch(owner, rev) {
            Ok(patch) => {
                self.rolling = Some(rev.number);
                let mutation = Mutation {
                    op: Op::Rollback {
                        revision: rev.number,
                        patch,
                    },
                    targets: vec![self.obj.clone()],
                    dry_run: false,
                };
                // Declined: nothing was sent, and the app has said so.
                ctx.mutate(mutation, |me: &mut Self, m, ctx: &mut Ctx| {
                    if let Mutated::Target { result, .. } = m {
                        me.mutated(result, ctx);
                    }
                });
            }
            Err(e) => ctx.error(format!("{}: {e}", self.obj)),
        }
    }

    fn owner_read(&mut self, r: Result<Fetched, ApiError>, ctx: &mut Ctx) {
        self.waiting = self.waiting.saturating_sub(1);
        self.owner = ctx.checked(&self.obj, r);
        if self.owner.is_none() {
            // Its history is no longer anyone's: show none, roll back nothing.
            self.revisions.clear();
            self.diff.clear();
            self.settle_until = None;
            self.status = format!("{} is gone (or was replaced).", self.obj);
        }
        self.rebuild();
    }

    fn list_read(&mut self, r: Result<Fetched, ApiError>, ctx: &mut Ctx) {
        self.waiting = self.waiting.saturating_sub(1);
        match r {
            Ok(f) => self.list = Some(f.object),
            Err(e) => {
                self.status = format!("revisions of {}: {e}", self.obj);
                ctx.error(self.status.clone());
            }
        }
        self.rebuild();
    }

    /// The rollback's result. Nothing to redraw until the history is read again: what is
    /// held is from before.
    fn mutated(&mut self, result: Result<crate::protocol::op::Outcome, String>, ctx: &mut Ctx) {
        let to = match self.rolling.take() {
            Some(n) => format!("revision {n}"),
            None => "a revision".into(),
        };
        match result {
            Ok(o) => {
                ctx.info(format!(
                    "{}: rolled back to {to} ({})",
                    self.obj,
                    sanitize(&o.summary)
                ));
                self.settle_until = Some(ctx.now + SETTLE_SECS);
                // The object as read before the rollback must not be paired with the new
                // list: it would look settled and stop the re-reading.
                self.owner = None;
                self.list = None;
            }
            Err(e) => ctx.error(format!(
                "{}: rollback to {to} failed: {}",
                self.obj,
                sanitize(&e)
            )),
        }
        self.fetch(ctx);
    }
}

impl Screen for RevisionsScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[(Action::Enter, "roll back"), (Action::Back, "back")]
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        self.fetch(ctx);
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        match self.settle_until {
            Some(until) if ctx.now > until => self.settle_until = None,
            Some(_) if self.waiting == 0 && ctx.now > self.last_fetch => self.fetch(ctx),
            _ => {}
        }
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = super::moved(action, self.cursor, self.revisions.len()) {
            if to != self.cursor {
                self.cursor = to;
                self.rebuild();
            }
            return true;
        }
        match action {
            Action::Enter => self.enter(ctx),
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let title = format!(" revisions {} ", self.obj);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.get("border"))
            .title(Line::from(sanitize(&title).into_owned()).style(theme.get("title")));
        if self.revisions.is_empty() {
            let p = Paragraph::new(self.status.as_str())
                .block(block)
                .style(theme.get("row-done"));
            f.render_widget(p, area);
            return;
        }
        // The table as tall as its rows (and no more than half), the diff below.
        let rows_height = (self.revisions.len() as u16 + 3)
            .min(area.height / 2)
            .max(4);
        let [top, bottom] = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Length(rows_height), Constraint::Min(0)])
            .areas(area);

        let header = Row::new(["REVISION", "CHANGE-CAUSE", "IMAGES", "AGE"].map(Cell::from))
            .style(theme.get("table-header"));
        let rows = self.revisions.iter().enumerate().map(|(i, r)| {
            let style = match (i == self.cursor, r.current) {
                (true, _) => theme.get("selected"),
                (_, true) => theme.get("row-ok"),
                _ => theme.get("base"),
            };
            let number = if r.current {
                format!("{} (current)", r.number)
            } else {
                r.number.to_string()
            };
            let age = r
                .created
                .as_deref()
                .and_then(crate::human::parse_time)
                .map(|t| crate::human::age(ctx.now - t))
                .unwrap_or_else(|| "-".into());
            Row::new(vec![
                Cell::from(number),
                Cell::from(sanitize(r.change_cause.as_deref().unwrap_or("<none>")).into_owned()),
                Cell::from(sanitize(&r.images.join(", ")).into_owned()),
                Cell::from(age),
            ])
            .style(style)
        });
        // Keep the highlighted row in view when the history is taller than the table.
        let visible = usize::from(rows_height.saturating_sub(3)).max(1);
        let skip = (self.cursor + 1).saturating_sub(visible);
        let widths = [
            Constraint::Length(14),
            Constraint::Min(20),
            Constraint::Min(20),
            Constraint::Length(8),
        ];
        f.render_widget(
            Table::new(rows.skip(skip), widths)
                .header(header)
                .block(block),
            top,
        );

        let rev = &self.revisions[self.cursor];
        let diff_title = if rev.current {
            format!(" revision {}: the current pod template ", rev.number)
        } else {
            format!(" pod template: current → revision {} ", rev.number)
        };
        let diff_block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.get("border"))
            .title(Line::from(diff_title).style(theme.get("title")));
        let height = usize::from(diff_block.inner(bottom).height);
        // Open at the first change; never scroll past the last screenful.
        let first = self
            .diff
            .iter()
            .position(|l| !l.starts_with("  "))
            .unwrap_or(0);
        let start = first
            .saturating_sub(CONTEXT)
            .min(self.diff.len().saturating_sub(height));
        let lines: Vec<Line> = self
            .diff
            .iter()
            .skip(start)
            .take(height)
            .map(|l| {
                let slot = if l.starts_with("+ ") {
                    "diff-add"
                } else if l.starts_with("- ") {
                    "diff-remove"
                } else {
                    "base"
                };
                Line::styled(l.as_str(), theme.get(slot))
            })
            .collect();
        f.render_widget(Paragraph::new(lines).block(diff_block), bottom);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::{ApiError, ClusterId, Fetched, ResKey};
    use crate::protocol::op::{Outcome, PatchKind};
    use crate::screens::{Answer, Reply, Request, Shared};
    use crate::store::Store;
    use serde_json::json;

    fn obj() -> ObjectRef {
        ObjectRef {
            context: "dev".into(),
            cluster: ClusterId(0),
            res: ResKey::new("apps", "deployments"),
            version: "v1".into(),
            kind: "Deployment".into(),
            namespace: "shop".into(),
            name: "web".into(),
            uid: "u1".into(),
        }
    }

    fn template(image: &str) -> Value {
        json!({
            "metadata": { "labels": { "app": "web" } },
            "spec": { "containers": [ { "name": "web", "image": image } ] }
        })
    }

    fn owner(uid: &str, image: &str) -> Value {
        json!({
            "kind": "Deployment",
            "metadata": { "name": "web", "uid": uid, "generation": 3,
                          "annotations": { "deployment.kubernetes.io/revision": "2" } },
            "spec": { "template": template(image) },
            "status": { "observedGeneration": 3 }
        })
    }

    fn list() -> Value {
        let rs = |name: &str, n: &str, image: &str| {
            json!({
                "metadata": {
                    "name": name,
                    "annotations": {
                        "deployment.kubernetes.io/revision": n,
                        "kubernetes.io/change-cause": format!("to {image}\u{1b}[31m")
                    },
                    "ownerReferences": [ { "uid": "u1", "controller": true } ]
                },
                "spec": { "template": template(image) }
            })
        };
        json!({ "items": [ rs("web-a", "1", "nginx:1.25"), rs("web-b", "2", "nginx:1.26") ] })
    }

    fn fetched(object: Value) -> Answer {
        Answer::Fetched(Ok(Fetched {
            object,
            events: Vec::new(),
        }))
    }

    /// Runs `f` with a context; what it asked for.
    fn with_ctx(f: impl FnOnce(&mut Ctx)) -> Vec<Request> {
        let store = Store::default();
        let config = Config::builtin(&crate::screens::modes());
        let shared = Shared::default();
        let mut out = Vec::new();
        let mut ctx = Ctx {
            store: &store,
            config: &config,
            contexts: &[],
            favourites: &[],
            builtin: &[],
            shared: &shared,
            screens: &crate::screens::Catalog::default(),
            now: 1_000,
            out: &mut out,
            ids: &mut 0,
        };
        f(&mut ctx);
        out
    }

    fn flashes(out: &[Request]) -> Vec<String> {
        out.iter()
            .filter_map(|r| match r {
                Request::Flash(m, _) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }

    fn fetched_paths(out: &[Request]) -> Vec<String> {
        out.iter()
            .filter_map(|r| match r {
                Request::Fetch { path, .. } => Some(path.clone()),
                _ => None,
            })
            .collect()
    }

    /// Where the answers to the `N` requests among `out` that are answered go, in order;
    /// the test answers through them as the app does.
    fn replies<const N: usize>(out: Vec<Request>) -> [Reply; N] {
        let replies: Vec<Reply> = out
            .into_iter()
            .filter_map(|r| match r {
                Request::Fetch { reply, .. } | Request::Mutate { reply, .. } => Some(reply),
                _ => None,
            })
            .collect();
        replies.try_into().expect("as many answered requests")
    }

    fn loaded() -> RevisionsScreen {
        let mut s = RevisionsScreen::new(obj());
        let out = with_ctx(|ctx| s.opened(ctx));
        assert_eq!(
            fetched_paths(&out),
            [
                "/apis/apps/v1/namespaces/shop/deployments/web",
                "/apis/apps/v1/namespaces/shop/replicasets",
            ]
        );
        let [mut owner_read, mut list_read] = replies(out);
        with_ctx(|ctx| {
            owner_read.answer(&mut s, fetched(owner("u1", "nginx:1.26")), ctx);
            list_read.answer(&mut s, fetched(list()), ctx);
        });
        s
    }

    #[test]
    fn enter_on_an_old_revision_submits_its_rollback() {
        let mut s = loaded();
        assert_eq!(s.revisions.len(), 2);
        assert!(s.revisions[0].current);
        assert!(
            s.diff.iter().all(|l| l.starts_with("  ")),
            "the current one"
        );

        let out = with_ctx(|ctx| assert!(s.handle(&Action::Enter, ctx)));
        assert_eq!(
            flashes(&out),
            ["revision 2 is the current one of Deployment dev/shop/web"]
        );

        let out = with_ctx(|ctx| {
            s.handle(&Action::Down, ctx);
            s.handle(&Action::Enter, ctx);
        });
        assert!(s.diff.contains(&"+   - image: nginx:1.25".to_string()));
        let [Request::Mutate { mutation, .. }] = out.as_slice() else {
            panic!("one rollback request, not {} requests", out.len());
        };
        assert_eq!(mutation.targets, [obj()]);
        assert!(!mutation.dry_run);
        let Op::Rollback { revision: 1, patch } = &mutation.op else {
            panic!("{:?}", mutation.op);
        };
        assert_eq!(patch.kind, PatchKind::Json);
        assert_eq!(patch.body[1]["value"], template("nginx:1.25"));

        // The result line, then the history is read again until it settles.
        let [mut rollback] = replies(out);
        let out = with_ctx(|ctx| {
            let result = Ok(Outcome {
                summary: "patched".into(),
                rv_before: None,
                rv_after: None,
                object: None,
                intent: None,
            });
            let answer = Answer::Mutated(Mutated::Target { index: 0, result });
            rollback.answer(&mut s, answer, ctx);
        });
        assert_eq!(
            flashes(&out),
            ["Deployment dev/shop/web: rolled back to revision 1 (patched)"]
        );
        assert_eq!(fetched_paths(&out).len(), 2);
        assert_eq!(s.settle_until, Some(1_000 + SETTLE_SECS));
        // Answered, still not settled (the old list): read again a second later.
        let [mut owner_read, mut list_read] = replies(out);
        let out = with_ctx(|ctx| {
            owner_read.answer(&mut s, fetched(owner("u1", "nginx:1.25")), ctx);
            list_read.answer(&mut s, fetched(list()), ctx);
            s.refresh(ctx);
        });
        assert!(fetched_paths(&out).is_empty(), "not within the same second");
        let out = with_ctx(|ctx| {
            ctx.now += 1;
            s.refresh(ctx);
        });
        assert_eq!(fetched_paths(&out).len(), 2);
    }

    #[test]
    fn a_failed_rollback_says_why_on_the_message_line() {
        let mut s = loaded();
        let out = with_ctx(|ctx| {
            s.handle(&Action::Bottom, ctx);
            s.handle(&Action::Enter, ctx);
        });
        let [mut rollback] = replies(out);
        let out = with_ctx(|ctx| {
            let result = Err("forbidden\u{1b}[2J".to_string());
            let answer = Answer::Mutated(Mutated::Target { index: 0, result });
            rollback.answer(&mut s, answer, ctx);
        });
        assert_eq!(
            flashes(&out),
            ["Deployment dev/shop/web: rollback to revision 1 failed: forbidden"]
        );
        assert_eq!(s.settle_until, None);
    }

    #[test]
    fn a_replaced_object_shows_no_history_and_rolls_nothing_back() {
        let mut s = loaded();
        // Read again (as while a rollback settles): another object of that name answers.
        let [mut owner_read, _] = replies(with_ctx(|ctx| s.fetch(ctx)));
        let out = with_ctx(|ctx| {
            owner_read.answer(&mut s, fetched(owner("u2", "nginx:1.26")), ctx);
            s.handle(&Action::Enter, ctx);
        });
        assert!(s.revisions.is_empty());
        assert!(out.iter().all(|r| !matches!(r, Request::Mutate { .. })));
        assert!(
            flashes(&out)[0].contains("no longer exists"),
            "{out:?}",
            out = flashes(&out)
        );

        let mut s = RevisionsScreen::new(obj());
        let [_, mut list_read] = replies(with_ctx(|ctx| s.opened(ctx)));
        with_ctx(|ctx| {
            let e = ApiError {
                code: 403,
                message: "forbidden".into(),
            };
            list_read.answer(&mut s, Answer::Fetched(Err(e)), ctx);
        });
        assert_eq!(s.status, "revisions of Deployment dev/shop/web: forbidden");
    }

    #[test]
    fn draws_the_table_and_the_diff() {
        let s = loaded();
        let store = Store::default();
        let config = Config::builtin(&crate::screens::modes());
        let shared = Shared::default();
        let ctx = DrawCtx {
            store: &store,
            config: &config,
            contexts: &[],
            shared: &shared,
            now: 1_000,
        };
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24))
            .expect("a test terminal");
        term.draw(|f| s.draw(f, f.area(), &ctx)).expect("drawn");
        let text: String = term
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect();
        for want in [
            "REVISION",
            "CHANGE-CAUSE",
            "2 (current)",
            "to nginx:1.26",
            "nginx:1.25",
        ] {
            assert!(text.contains(want), "{want} in {text}");
        }
        assert!(!text.contains('\u{1b}'));
    }
}
