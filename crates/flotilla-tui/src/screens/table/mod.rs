//! A resource list over every cluster in scope: cursor, sort, namespace scope, drill-downs.
//! The cursor is an object, not a position: once the user moves it, it stays on the same
//! object (by uid) while rows around it come, go and re-sort; when that object is deleted it
//! moves to the neighbour that took its place, and says so.

mod change;
mod draw;
pub mod filter;
mod live;
pub mod rows;

use super::text::{TextKind, TextScreen};
use super::{Ctx, Deliver, DrawCtx, Need, Screen};
use crate::kinds::selector::{has_pod_selector, selector_of};
use crate::model::{Action, ApiError, ClusterId, Fetched, ObjectRef, ResKey};
use crate::store::Store;
use filter::Filter;
use ratatui::Frame;
use ratatui::layout::Rect;
use rows::{DisplayCol, MergedRows, Scope, SortBy};

pub const MODE: &str = "table";

pub struct TableScreen {
    pub title: String,
    /// Only these contexts (`:pods @prod`); `None` = every live cluster.
    pub contexts: Option<Vec<String>>,
    pub rows: MergedRows,
    /// Columns as drawn: CLUSTER and NAMESPACE when they tell rows apart, then the cells.
    pub display: Vec<DisplayCol>,
    pub cursor: usize,
    /// Column chosen with shift-←/→ for "sort by this column".
    pub cursor_col: usize,
    /// Set once the user moves the cursor; from then on it follows `selected`.
    follow: bool,
    /// The object under the cursor.
    selected: Option<ObjectRef>,
    /// Set when the object under the cursor vanished in the latest refresh: an action that
    /// arrives now was meant for it, not for the neighbour that took its place.
    vanished: Option<String>,
    /// Drill-downs started: only the latest one's object is drilled into.
    drills: u64,
    /// Steps taken setting up a shell or port-forward: only the latest one's answer is
    /// taken, so starting another drops the one before.
    live_steps: u64,
    /// Steps taken by changes asking the user (a form, the actions menu) or waiting for
    /// their object: only the latest one's answer is taken.
    change_steps: u64,
    /// The object whose permissions were last asked for.
    asked: Option<(ClusterId, String)>,
    /// An object to put the cursor on once its row is listed (a jump from triage or
    /// events): its cluster, name and uid if known.
    focus: Option<(ClusterId, String, Option<String>)>,
}

impl TableScreen {
    pub fn new(res: ResKey, title: String, namespaced: bool) -> Self {
        TableScreen {
            title,
            contexts: None,
            rows: MergedRows::new(res, namespaced),
            display: Vec::new(),
            cursor: 0,
            cursor_col: 0,
            follow: false,
            selected: None,
            vanished: None,
            drills: 0,
            live_steps: 0,
            change_steps: 0,
            asked: None,
            focus: None,
        }
    }

    /// The list of `res` on one cluster (and namespace), with the cursor on the object `name`
    /// (by `uid` when known) as soon as it is listed.
    pub fn at_object(
        res: ResKey,
        ctx: &Ctx,
        cluster: ClusterId,
        namespace: &str,
        name: &str,
        uid: Option<&str>,
    ) -> Self {
        let mut view = TableScreen::of(res, ctx);
        if let Some(slot) = ctx.store.clusters.get(cluster) {
            view.contexts = Some(vec![slot.context.clone()]);
        }
        if view.rows.namespaced && !namespace.is_empty() {
            view.rows.namespaces = Some(vec![namespace.to_string()]);
        }
        view.focus = Some((cluster, name.to_string(), uid.map(str::to_string)));
        view
    }

    /// The list with the cursor on an object named as kubectl and events name it
    /// (`pod/crasher`); says why when the name is not one or no resource lists that kind.
    pub fn at_named(
        object: &str,
        ctx: &Ctx,
        cluster: ClusterId,
        namespace: &str,
    ) -> Result<Self, String> {
        let Some((kind, name)) = object.split_once('/') else {
            return Err(format!("{object:?} names no object (kind/name)"));
        };
        let info = crate::kinds::resource::resolve(kind, ctx.known_resources())
            .ok_or_else(|| format!("no list for {kind:?} objects"))?;
        Ok(Self::at_object(
            info.key.clone(),
            ctx,
            cluster,
            namespace,
            name,
            None,
        ))
    }

    /// Puts the cursor on the object a jump asked for, once it is listed.
    fn take_focus(&mut self, store: &Store) -> bool {
        let Some((cluster, name, uid)) = &self.focus else {
            return false;
        };
        let found = self.rows.rows().iter().position(|r| {
            self.rows.cluster_of(*r) == *cluster
                && self.rows.row(store, *r).is_some_and(|row| match uid {
                    Some(u) => row.uid == *u,
                    None => row.name == *name,
                })
        });
        let Some(p) = found else {
            return false;
        };
        self.cursor = p;
        self.follow = false;
        self.focus = None;
        true
    }

    /// A list of `res` as the known resources describe it.
    pub fn of(res: ResKey, ctx: &Ctx) -> Self {
        let info = ctx.known_resources().into_iter().find(|r| r.key == res);
        let (title, namespaced) = match info {
            Some(r) => (r.key.plural.clone(), r.namespaced),
            None => (res.plural.clone(), true),
        };
        TableScreen::new(res, title, namespaced)
    }

    pub fn with_scope(mut self, scope: Scope) -> Self {
        self.rows.scope = Some(scope);
        self
    }

    pub fn with_namespaces(mut self, ns: Option<Vec<String>>) -> Self {
        self.rows.namespaces = ns;
        self
    }

    /// The live connections whose rows this view shows, with their context names.
    /// `n`: `:create` of the list's kind, in its namespace and on its cluster when it shows
    /// one of each; the form asks the rest.
    fn new_workload(&mut self, ctx: &mut Ctx) {
        let plural = self.rows.res.plural.clone();
        if crate::ops::build::workload::kind_of(&plural).is_none() {
            return ctx.error(format!(
                "n: a form makes deployments, statefulsets, daemonsets, jobs and cron jobs, not {plural}; :create -f for the rest"
            ));
        }
        let mut line = format!("create {plural}");
        if let Some([ns]) = self.rows.namespaces.as_deref() {
            line.push_str(&format!(" -n {ns}"));
        }
        if let [(_, context)] = self.clusters_in_scope(ctx.store).as_slice() {
            line.push_str(&format!(" @{context}"));
        }
        ctx.run(line);
    }

    pub fn clusters_in_scope<'a>(&self, store: &'a Store) -> Vec<(ClusterId, &'a str)> {
        store
            .clusters
            .iter()
            .filter(|s| match (&self.rows.scope, &self.contexts) {
                (Some(scope), _) => scope.context() == s.context,
                (None, Some(only)) => only.contains(&s.context),
                (None, None) => true,
            })
            .map(|s| (s.id, s.context.as_str()))
            .collect()
    }

    /// The object the row under the cursor shows.
    fn at_cursor(&self, ctx: &Ctx) -> Option<ObjectRef> {
        let r = *self.rows.rows().get(self.cursor)?;
        let row = self.rows.row(ctx.store, r)?;
        let cluster = self.rows.cluster_of(r);
        let info = ctx.resource_on(cluster, &self.rows.res)?;
        Some(ObjectRef {
            context: self.rows.context_of(r).to_string(),
            cluster,
            res: self.rows.res.clone(),
            version: info.version,
            kind: info.kind,
            namespace: row.namespace.clone(),
            name: row.name.clone(),
            uid: row.uid.clone(),
        })
    }

    /// The selected object, looked up again now; an error message when it is gone.
    fn selected_object(&self, ctx: &Ctx) -> Option<Result<ObjectRef, String>> {
        if let Some(gone) = &self.vanished {
            return Some(Err(gone.clone()));
        }
        let obj = self.selected.as_ref()?;
        Some(match ctx.store.lookup(obj) {
            Some(_) => Ok(obj.clone()),
            None => Err(format!("{obj} no longer exists")),
        })
    }

    /// The selected object as it is now; says so when it is gone.
    fn target(&self, ctx: &mut Ctx) -> Option<ObjectRef> {
        match self.selected_object(ctx)? {
            Ok(obj) => Some(obj),
            Err(e) => {
                ctx.error(e);
                None
            }
        }
    }

    fn move_cursor(&mut self, to: usize, ctx: &Ctx) {
        self.cursor = to;
        self.follow = true;
        self.selected = self.at_cursor(ctx);
    }

    fn sort(&mut self, by: SortBy) {
        self.rows.set_sort(by);
    }

    fn set_namespaces(&mut self, ns: Option<Vec<String>>) {
        self.rows.namespaces = ns;
        self.rows.invalidate();
        self.cursor = 0;
        self.follow = false;
    }

    fn open_text(&self, kind: TextKind, edit: bool, ctx: &mut Ctx) {
        if let Some(obj) = self.target(ctx) {
            ctx.push(Box::new(TextScreen::object(kind, obj).editing(edit)));
        }
    }

    fn enter(&mut self, ctx: &mut Ctx) {
        let Some(obj) = self.target(ctx) else {
            return;
        };
        let k = &obj.res;
        let pods = ResKey::core("pods");
        if k.is("", "nodes") {
            let view = TableScreen::of(pods, ctx).with_scope(Scope::Node {
                context: obj.context.clone(),
                node: obj.name.clone(),
            });
            ctx.push(Box::new(view));
        } else if k.is("", "namespaces") {
            let view = TableScreen::of(pods, ctx).with_namespaces(Some(vec![obj.name.clone()]));
            ctx.remember_namespace(&obj.name);
            ctx.push(Box::new(view));
        } else if k.is("apiextensions.k8s.io", "customresourcedefinitions") {
            // A CRD is named <plural>.<group>.
            let (plural, group) = obj.name.split_once('.').unwrap_or((obj.name.as_str(), ""));
            let view = TableScreen::of(ResKey::new(group, plural), ctx)
                .with_namespaces(self.rows.namespaces.clone());
            ctx.push(Box::new(view));
        } else if k.is("batch", "cronjobs") {
            let view =
                TableScreen::of(ResKey::new("batch", "jobs"), ctx).with_scope(Scope::Owner {
                    context: obj.context.clone(),
                    uid: obj.uid.clone(),
                    what: obj.short(),
                });
            ctx.push(Box::new(view));
        } else if has_pod_selector(k) {
            // The selector is in the full object: fetch it, and drill down only if the user
            // is still here when it arrives.
            self.drills += 1;
            let drill = self.drills;
            ctx.fetch(
                obj.cluster,
                obj.path(),
                None,
                Deliver::OnTop,
                move |me: &mut Self, r, ctx| {
                    if me.drills == drill {
                        me.drilled(obj, r, ctx);
                    }
                },
            );
        } else {
            ctx.push(Box::new(TextScreen::object(TextKind::Describe, obj)));
        }
    }

    fn drilled(&mut self, obj: ObjectRef, result: Result<Fetched, ApiError>, ctx: &mut Ctx) {
        let Some(object) = ctx.checked(&obj, result) else {
            return;
        };
        match selector_of(&object) {
            Some(reqs) if !reqs.is_empty() => {
                let view = TableScreen::of(ResKey::core("pods"), ctx).with_scope(Scope::Selector {
                    context: obj.context.clone(),
                    namespace: obj.namespace.clone(),
                    reqs,
                    what: obj.short(),
                });
                ctx.push(Box::new(view));
            }
            _ => ctx.error(format!("{} has no pod selector", obj.short())),
        }
    }

    /// Keeps the cursor on its object after the rows changed.
    fn follow_selection(&mut self, ctx: &mut Ctx) {
        self.vanished = None;
        let len = self.rows.rows().len();
        if self.follow
            && let Some(sel) = self.selected.clone()
        {
            match self.rows.position_of(ctx.store, sel.cluster, &sel.uid) {
                Some(p) => self.cursor = p,
                None => {
                    // The row that took its place is its neighbour in the list.
                    self.cursor = self.cursor.min(len.saturating_sub(1));
                    // Gone, not merely filtered out (nor its whole connection removed).
                    let gone = ctx.store.lookup(&sel).is_none()
                        && ctx.store.clusters.get(sel.cluster).is_some();
                    if gone {
                        let next = self.at_cursor(ctx).map(|o| o.name);
                        let (name, on) = (&sel.name, &sel.context);
                        let msg = match next {
                            Some(n) => format!("{name} was deleted on {on}; cursor moved to {n}"),
                            None => format!("{name} was deleted on {on}"),
                        };
                        ctx.info(msg.clone());
                        self.vanished = Some(msg);
                    }
                }
            }
        }
        self.cursor = self.cursor.min(len.saturating_sub(1));
        self.selected = self.at_cursor(ctx);
    }
}

impl Screen for TableScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Command, "cmd"),
            (Action::Filter, "filter"),
            (Action::Enter, "open"),
            (Action::Describe, "describe"),
            (Action::Yaml, "yaml"),
            (Action::Logs, "logs"),
            (Action::Shell, "shell"),
            (Action::Help, "help"),
            (Action::Contexts, "contexts"),
            (Action::Mark, "mark"),
            (Action::Actions, "actions"),
            (Action::Quit, "quit"),
        ]
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        let clusters = self.clusters_in_scope(ctx.store);
        self.rows.refresh(ctx.store, &clusters);
        self.display.clear();
        if clusters.len() > 1 {
            self.display.push(DisplayCol::Cluster);
        }
        if self.rows.namespaced && self.rows.namespaces.as_ref().is_none_or(|n| n.len() != 1) {
            self.display.push(DisplayCol::Namespace);
        }
        self.display
            .extend((0..self.rows.columns.len()).map(DisplayCol::Cell));
        // Usage columns where metrics.k8s.io answers for a cluster in scope.
        let metrics = clusters.iter().any(|(id, _)| {
            ctx.store
                .clusters
                .get(*id)
                .is_some_and(|s| matches!(s.usage, Some(Ok(_))))
        });
        if metrics && (self.rows.res.is("", "pods") || self.rows.res.is("", "nodes")) {
            // After the kubectl columns of the plain view, before the `-o wide` ones.
            let at = self
                .display
                .iter()
                .position(|d| matches!(d, DisplayCol::Cell(i) if self.rows.columns.get(*i).is_some_and(|c| c.priority > 0)))
                .unwrap_or(self.display.len());
            self.display
                .splice(at..at, [DisplayCol::Cpu, DisplayCol::Memory]);
        }
        self.cursor_col = self.cursor_col.min(self.display.len().saturating_sub(1));
        let focused = self.take_focus(ctx.store);
        self.follow_selection(ctx);
        // From now on the cursor stays on the object jumped to.
        self.follow |= focused;
        self.ask_access(ctx);
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = super::moved(action, self.cursor, self.rows.rows().len()) {
            self.move_cursor(to, ctx);
            return true;
        }
        if self.change(action, ctx) {
            return true;
        }
        match action {
            Action::Enter => self.enter(ctx),
            Action::Describe => self.open_text(TextKind::Describe, false, ctx),
            Action::Yaml => self.open_text(TextKind::Yaml, false, ctx),
            Action::Edit => self.open_text(TextKind::Yaml, true, ctx),
            Action::Copy => {
                if let Some(obj) = self.target(ctx) {
                    ctx.copy(obj.name);
                }
            }
            Action::Logs => self.logs(ctx),
            Action::Shell => self.shell(false, ctx),
            Action::Attach => self.shell(true, ctx),
            Action::Debug => self.debug(ctx),
            Action::New => self.new_workload(ctx),
            Action::PortForward => self.port_forward(ctx),
            Action::Mark => self.mark(ctx),
            Action::ClearMarks => ctx.request(crate::screens::Request::ClearMarks),
            Action::Diff => {
                let cursor = self.selected_object(ctx).and_then(Result::ok);
                match super::diff::of_marks(&ctx.shared.marks, cursor) {
                    Ok(d) => ctx.push(Box::new(d)),
                    Err(e) => ctx.error(e),
                }
            }
            // By its command: the tree goes to lists, so a list does not import it. The same
            // object marked on several clusters: its trees side by side.
            Action::Tree => {
                if let Some(obj) = self.target(ctx) {
                    let ns = match obj.namespace.as_str() {
                        "" => String::new(),
                        ns => format!(" -n {ns}"),
                    };
                    let kind = format!("{}.{}", obj.res.plural, obj.res.group);
                    let kind = kind.trim_end_matches('.');
                    let same = |m: &ObjectRef| {
                        m.res == obj.res && m.namespace == obj.namespace && m.name == obj.name
                    };
                    let mut contexts: Vec<&str> = ctx
                        .shared
                        .marks
                        .iter()
                        .filter(|m| same(m))
                        .map(|m| m.context.as_str())
                        .collect();
                    if !contexts.contains(&obj.context.as_str()) {
                        contexts.insert(0, &obj.context);
                    }
                    let line = format!("tree {kind}/{}{ns} @{}", obj.name, contexts.join(","));
                    ctx.run(line);
                }
            }
            Action::SortName => self.sort(SortBy::Name),
            Action::SortAge => self.sort(SortBy::Age),
            Action::SortStatus => match self
                .rows
                .columns
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case("status"))
            {
                Some(i) => self.sort(SortBy::Col(DisplayCol::Cell(i))),
                None => ctx.error("this view has no STATUS column"),
            },
            Action::SortNamespace => self.sort(SortBy::Col(DisplayCol::Namespace)),
            Action::SortColumn => {
                if let Some(c) = self.display.get(self.cursor_col).copied() {
                    self.sort(SortBy::Col(c));
                }
            }
            Action::ColumnLeft | Action::ColumnRight => {
                let n = self.display.len().max(1);
                self.cursor_col = if *action == Action::ColumnLeft {
                    (self.cursor_col + n - 1) % n
                } else {
                    (self.cursor_col + 1) % n
                };
            }
            Action::AllNamespaces => self.set_namespaces(None),
            Action::Favourite(n) => match ctx.favourites.get(usize::from(*n).saturating_sub(1)) {
                Some(ns) => self.set_namespaces(Some(vec![ns.clone()])),
                None => ctx.error(format!("no favourite namespace on {n}")),
            },
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        draw::draw(self, f, area, ctx);
    }

    fn needs(&self, store: &Store, out: &mut Vec<Need>) {
        for (cluster, _) in self.clusters_in_scope(store) {
            out.push(Need::Watch {
                cluster,
                res: self.rows.res.clone(),
            });
        }
    }

    fn filter(&self) -> Option<&str> {
        Some(&self.rows.filter.text)
    }

    fn set_filter(&mut self, text: &str, _ctx: &mut Ctx) {
        self.rows.filter = Filter::new(text);
        self.cursor = 0;
        self.follow = false;
    }

    fn namespaces(&self) -> Option<Option<Vec<String>>> {
        Some(self.rows.namespaces.clone())
    }

    fn contexts(&self) -> Option<Option<Vec<String>>> {
        Some(self.contexts.clone())
    }
}
