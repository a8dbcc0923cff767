//! The objects one revision's manifest names, each read live: in sync, drifted (how many
//! lines differ from the manifest, through its shape), missing, or unreadable. On the
//! deployed revision that is drift since Helm applied it; on an older one, what a rollback to
//! it would change. Enter goes to the object's list; `D` shows its drift.

use crate::grid::{self, Grid, GridRow, Width};
use crate::helm::manifest::{self, Named};
use crate::model::{Action, ApiError, ClusterId, Fetched, ObjectRef, ResKey};
use crate::screens::diff::{ObjectDiff, Side};
use crate::screens::table::TableScreen;
use crate::screens::{Ctx, Deliver, DrawCtx, Screen};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use serde_json::Value;

pub const MODE: &str = "helm-objects";

enum Live {
    Reading,
    Found(Value),
    Missing,
    Failed(String),
    /// The cluster serves no such kind.
    Unknown,
}

struct Item {
    named: Named,
    /// Where it lives, once its kind resolved.
    at: Option<ObjectRef>,
    live: Live,
    drift: usize,
}

pub struct ObjectsScreen {
    /// `frontend revision 3 in apps @staging`
    what: String,
    cluster: ClusterId,
    context: String,
    namespace: String,
    items: Vec<Item>,
    cursor: usize,
    status: String,
}

impl ObjectsScreen {
    pub fn new(
        what: String,
        cluster: ClusterId,
        context: &str,
        namespace: &str,
        manifest: &str,
    ) -> Self {
        let (items, status) = match manifest::objects(manifest) {
            Ok(objs) if objs.is_empty() => (Vec::new(), "The manifest names no objects.".into()),
            Ok(objs) => (
                objs.into_iter()
                    .map(|named| Item {
                        named,
                        at: None,
                        live: Live::Reading,
                        drift: 0,
                    })
                    .collect(),
                String::new(),
            ),
            Err(e) => (
                Vec::new(),
                crate::text::clean(&format!("The manifest does not parse: {e}")),
            ),
        };
        ObjectsScreen {
            what,
            cluster,
            context: context.to_string(),
            namespace: namespace.to_string(),
            items,
            cursor: 0,
            status,
        }
    }

    fn state(item: &Item) -> (String, &'static str) {
        match &item.live {
            Live::Reading => ("…".into(), "row-done"),
            Live::Found(_) if item.drift == 0 => ("in sync".into(), "row-ok"),
            Live::Found(_) => (format!("drift: {} lines", item.drift), "row-warn"),
            Live::Missing => ("missing".into(), "row-error"),
            Live::Failed(e) => (format!("unreadable: {e}"), "row-error"),
            Live::Unknown => ("kind not served".into(), "row-error"),
        }
    }

    /// Object `i`'s live copy, or why there is none.
    fn fetched(&mut self, i: usize, result: Result<Fetched, ApiError>) {
        let Some(item) = self.items.get_mut(i) else {
            return;
        };
        item.live = match result {
            Ok(f) => {
                item.drift = manifest::drift(&item.named.doc, &f.object);
                Live::Found(f.object)
            }
            Err(e) if e.code == 404 => Live::Missing,
            Err(e) => Live::Failed(crate::text::clean(&e.to_string())),
        };
    }
}

impl Screen for ObjectsScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Enter, "go to object"),
            (Action::Diff, "drift"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        let served = ctx
            .store
            .clusters
            .get(self.cluster)
            .map(|s| s.resources.clone())
            .unwrap_or_default();
        for (i, item) in self.items.iter_mut().enumerate() {
            let n = &item.named;
            let Some(res) = crate::ops::import::resolve(&n.group, &n.kind, &served, ctx.builtin)
            else {
                item.live = Live::Unknown;
                continue;
            };
            let namespace = match (res.namespaced, n.namespace.is_empty()) {
                (false, _) => String::new(),
                (true, true) => self.namespace.clone(),
                (true, false) => n.namespace.clone(),
            };
            let at = ObjectRef {
                context: self.context.clone(),
                cluster: self.cluster,
                res: res.key.clone(),
                version: n.version.clone(),
                kind: n.kind.clone(),
                namespace,
                name: n.name.clone(),
                uid: String::new(),
            };
            let path = at.path();
            ctx.fetch(
                self.cluster,
                path,
                None,
                Deliver::OnStack,
                move |me: &mut Self, r, _: &mut Ctx| me.fetched(i, r),
            );
            item.at = Some(at);
        }
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = crate::screens::moved(action, self.cursor, self.items.len()) {
            self.cursor = to;
            return true;
        }
        let Some(item) = self.items.get(self.cursor) else {
            return matches!(action, Action::Enter | Action::Diff);
        };
        match action {
            Action::Enter => {
                if let Some(at) = &item.at {
                    let res: ResKey = at.res.clone();
                    let view =
                        TableScreen::at_object(res, ctx, at.cluster, &at.namespace, &at.name, None);
                    ctx.push(Box::new(view));
                }
            }
            Action::Diff => {
                let Live::Found(live) = &item.live else {
                    return true;
                };
                let (want, seen) = manifest::compared(&item.named.doc, live);
                let what = format!("{} {} of {}", item.named.kind, item.named.name, self.what);
                ctx.push(Box::new(ObjectDiff::new(
                    &what,
                    Side::lines("manifest", want),
                    Side::lines("live", seen),
                )));
            }
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let title = vec![Span::styled(
            format!(" objects of {} [{}] ", self.what, self.items.len()),
            theme.get("title"),
        )];
        let height = grid::room(area, 0);
        let offset = grid::offset(self.cursor, height);
        let rows = self
            .items
            .iter()
            .skip(offset)
            .take(height)
            .map(|item| {
                let (state, slot) = Self::state(item);
                let ns = item
                    .at
                    .as_ref()
                    .map(|a| a.namespace.clone())
                    .unwrap_or_default();
                GridRow::new(
                    vec![
                        crate::text::clean(&item.named.kind),
                        crate::text::clean(&item.named.name),
                        crate::text::clean(&ns),
                        state,
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
                header: vec!["KIND", "NAME", "NAMESPACE", "STATE"],
                widths: vec![
                    Width::Fit(4, 30),
                    Width::Fit(4, 50),
                    Width::Fit(9, 24),
                    Width::Fill,
                ],
                rows,
                selected: Some(self.cursor - offset),
                empty: self.status.clone(),
                detail: Vec::new(),
            },
        );
    }
}
