//! `:tree KIND/NAME -n NS [@CTX,…]` and `x` on a row: the object's owner tree, live — its top
//! owner down to the pods and their nodes, and what selects, scales or is used by it, each
//! with its state; with several clusters (or the same object marked on several), the trees
//! side by side, `←`/`→` moving between them. Enter goes to the object's list, `d`
//! describes, `y` shows the YAML, `e` edits. The tree is `tree::build`; this screen watches
//! what it reads and draws it.

use super::table::TableScreen;
use super::text::{TextKind, TextScreen};
use super::{Ctx, Deliver, DrawCtx, Need, Screen};
use crate::grid::{self, Grid, GridRow, Width};
use crate::human;
use crate::model::{Action, ApiError, ClusterId, Fetched, ObjectRef, ResKey};
use crate::store::Store;
use crate::tree::{self, Node, Uses};
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::Span;

pub const MODE: &str = "tree";
const USAGE: &str = "usage: :tree KIND/NAME [-n NAMESPACE] [@CONTEXT[,CONTEXT…]]";

/// How often the tree is rebuilt while the cluster changes.
const REBUILD: std::time::Duration = std::time::Duration::from_millis(250);

pub fn open(args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let mut target = None;
    let mut namespace = None;
    let mut contexts: Vec<String> = Vec::new();
    let mut words = args.split_whitespace();
    while let Some(w) = words.next() {
        if let Some(c) = w.strip_prefix('@') {
            contexts.extend(c.split(',').filter(|c| !c.is_empty()).map(str::to_string));
        } else if w == "-n" || w == "--namespace" {
            namespace = Some(words.next().ok_or(USAGE)?.to_string());
        } else if w.starts_with('-') || target.replace(w).is_some() {
            return Err(format!("{w:?}: {USAGE}"));
        }
    }
    let (kind, name) = target.and_then(|t| t.split_once('/')).ok_or(USAGE)?;
    // Each cluster named, or the first live one.
    let mut clusters: Vec<(ClusterId, String)> = Vec::new();
    for c in &contexts {
        let slot = ctx
            .store
            .clusters
            .by_context(c)
            .ok_or_else(|| format!("no live context {c:?}; :ctx lists them"))?;
        clusters.push((slot.id, slot.context.clone()));
    }
    if clusters.is_empty() {
        let slot = ctx
            .store
            .clusters
            .iter()
            .find(|s| s.connected)
            .ok_or("no live cluster")?;
        clusters.push((slot.id, slot.context.clone()));
    }
    let known = ctx.known_resources();
    let info = crate::kinds::resource::resolve(kind, known)
        .ok_or_else(|| format!("no kind {kind:?}; {USAGE}"))?;
    let namespace = match (info.namespaced, namespace) {
        (true, ns) => ns.unwrap_or_else(|| "default".into()),
        (false, _) => String::new(),
    };
    let mut clusters = clusters.into_iter();
    let (first, context) = clusters.next().ok_or(USAGE)?;
    let screen = TreeScreen::new(
        first,
        context,
        info.key.clone(),
        namespace,
        name.to_string(),
    );
    Ok(Box::new(
        clusters.fold(screen, |s, (id, context)| s.and_on(id, context)),
    ))
}

/// The tree on one cluster.
struct Pane {
    cluster: ClusterId,
    context: String,
    nodes: Vec<Node>,
    cursor: usize,
    /// What the top's pod template reads, once its object came; asked for this top.
    uses: Uses,
    asked: Option<String>,
}

/// The tree of one object, on one cluster or side by side on several (the same object
/// marked on each).
pub struct TreeScreen {
    res: ResKey,
    namespace: String,
    name: String,
    panes: Vec<Pane>,
    /// The pane the keys act on.
    focus: usize,
    built: Option<std::time::Instant>,
}

impl TreeScreen {
    pub fn new(
        cluster: ClusterId,
        context: String,
        res: ResKey,
        namespace: String,
        name: String,
    ) -> Self {
        TreeScreen {
            res,
            namespace,
            name,
            panes: Vec::new(),
            focus: 0,
            built: None,
        }
        .and_on(cluster, context)
    }

    /// The same tree on one more cluster, beside the others.
    pub fn and_on(mut self, cluster: ClusterId, context: String) -> Self {
        self.panes.push(Pane {
            cluster,
            context,
            nodes: Vec::new(),
            cursor: 0,
            uses: Uses::default(),
            asked: None,
        });
        self
    }

    /// The focused tree's lines as drawn, for tests and tools: indentation, relation, object.
    pub fn lines(&self) -> Vec<String> {
        self.panes
            .get(self.focus)
            .map(|p| p.nodes.iter().map(label).collect())
            .unwrap_or_default()
    }

    /// The clusters shown, left to right.
    pub fn contexts(&self) -> Vec<&str> {
        self.panes.iter().map(|p| p.context.as_str()).collect()
    }

    fn rebuild(&mut self, ctx: &mut Ctx) {
        for i in 0..self.panes.len() {
            self.rebuild_pane(i, ctx);
        }
    }

    fn rebuild_pane(&mut self, i: usize, ctx: &mut Ctx) {
        let Some(pane) = self.panes.get_mut(i) else {
            return;
        };
        let selected = pane.nodes.get(pane.cursor).map(|n| n.object.clone());
        pane.nodes = tree::build(
            ctx.store,
            pane.cluster,
            &self.res,
            &self.namespace,
            &self.name,
            &pane.uses,
        );
        if let Some(at) = selected.and_then(|o| pane.nodes.iter().position(|n| n.object == o)) {
            pane.cursor = at;
        }
        pane.cursor = pane.cursor.min(pane.nodes.len().saturating_sub(1));
        // What the top's pods read is in its template: read it once per top.
        let Some(top) = pane.nodes.first() else {
            return;
        };
        if pane.asked.as_deref() == Some(top.object.as_str()) {
            return;
        }
        pane.asked = Some(top.object.clone());
        if let Some(obj) = object(pane, top, ctx) {
            ctx.fetch(
                pane.cluster,
                obj.path(),
                None,
                Deliver::OnStack,
                move |me: &mut Self, r: Result<Fetched, ApiError>, ctx| {
                    if let (Ok(f), Some(pane)) = (r, me.panes.get_mut(i)) {
                        pane.uses = Uses::of(&f.object);
                        me.rebuild_pane(i, ctx);
                    }
                },
            );
        }
    }

    fn selected(&self, ctx: &mut Ctx) -> Option<ObjectRef> {
        let pane = self.panes.get(self.focus)?;
        let n = pane.nodes.get(pane.cursor)?;
        if n.uid.is_empty() {
            ctx.error(format!("{} is not on {}", n.object, pane.context));
            return None;
        }
        object(pane, n, ctx)
    }
}

fn object(pane: &Pane, n: &Node, ctx: &Ctx) -> Option<ObjectRef> {
    let info = ctx.resource_on(pane.cluster, &n.res)?;
    Some(ObjectRef {
        context: pane.context.clone(),
        cluster: pane.cluster,
        res: n.res.clone(),
        version: info.version.clone(),
        kind: info.kind.clone(),
        namespace: n.namespace.clone(),
        name: n.name.clone(),
        uid: n.uid.clone(),
    })
}

/// `├─ uses configmap/api-config`: a node as its tree line, without the drawing of its depth.
fn label(n: &Node) -> String {
    let indent = "   ".repeat(n.depth.saturating_sub(1));
    let branch = if n.depth == 0 { "" } else { "└─ " };
    let relation = match n.relation {
        "" => String::new(),
        r => format!("{r} "),
    };
    crate::text::clean(&format!("{indent}{branch}{relation}{}", n.object))
}

impl Screen for TreeScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Enter, "go to object"),
            (Action::Describe, "describe"),
            (Action::Yaml, "yaml"),
            (Action::Edit, "edit"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        if self.built.is_some_and(|t| t.elapsed() < REBUILD) {
            return;
        }
        self.built = Some(std::time::Instant::now());
        self.rebuild(ctx);
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(pane) = self.panes.get_mut(self.focus)
            && let Some(to) = super::moved(action, pane.cursor, pane.nodes.len())
        {
            pane.cursor = to;
            return true;
        }
        let text = |kind, edit, me: &Self, ctx: &mut Ctx| {
            if let Some(obj) = me.selected(ctx) {
                ctx.push(Box::new(TextScreen::object(kind, obj).editing(edit)));
            }
        };
        match action {
            Action::Enter => {
                if let Some(obj) = self.selected(ctx) {
                    let view = TableScreen::at_object(
                        obj.res,
                        ctx,
                        obj.cluster,
                        &obj.namespace,
                        &obj.name,
                        Some(&obj.uid),
                    );
                    ctx.push(Box::new(view));
                }
            }
            Action::Describe => text(TextKind::Describe, false, self, ctx),
            Action::Yaml => text(TextKind::Yaml, false, self, ctx),
            Action::Edit => text(TextKind::Yaml, true, self, ctx),
            Action::ColumnLeft => self.focus = self.focus.saturating_sub(1),
            Action::ColumnRight => {
                self.focus = (self.focus + 1).min(self.panes.len().saturating_sub(1));
            }
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let n = self.panes.len().max(1) as u32;
        let areas = Layout::default()
            .direction(Direction::Horizontal)
            .constraints((0..n).map(|_| Constraint::Ratio(1, n)))
            .split(area);
        let asked = format!("{}/{}", tree::kind_of(&self.res.plural), self.name);
        for (i, (pane, area)) in self.panes.iter().zip(areas.iter()).enumerate() {
            // The top it was built from, and what it was asked for when that is below the top.
            let top = pane
                .nodes
                .first()
                .map_or(asked.as_str(), |n| n.object.as_str());
            let from = match top == asked {
                true => String::new(),
                false => format!("(from {asked}) "),
            };
            let title = vec![Span::styled(
                crate::text::clean(&format!(
                    " tree {top} {from}@{} [{}] ",
                    pane.context,
                    pane.nodes.len()
                )),
                theme.get("title"),
            )];
            let height = grid::room(*area, 0);
            let offset = grid::offset(pane.cursor, height);
            let rows = pane
                .nodes
                .iter()
                .skip(offset)
                .take(height)
                .map(|n| {
                    GridRow::new(
                        vec![
                            label(n),
                            crate::text::clean(&n.status),
                            n.created
                                .map(|t| human::age(ctx.now - t))
                                .unwrap_or_default(),
                        ],
                        n.health.slot(),
                    )
                })
                .collect();
            grid::draw(
                f,
                *area,
                theme,
                Grid {
                    title,
                    header: vec!["OBJECT", "STATUS", "AGE"],
                    widths: vec![Width::Key(12, 90), Width::Fit(6, 30), Width::Fit(3, 8)],
                    rows,
                    selected: (i == self.focus).then(|| pane.cursor.saturating_sub(offset)),
                    empty: crate::text::clean(&format!(
                        "Looking for {asked} in {:?} on {}…",
                        self.namespace, pane.context
                    )),
                    detail: Vec::new(),
                },
            );
        }
    }

    fn needs(&self, _store: &Store, out: &mut Vec<Need>) {
        for pane in &self.panes {
            for res in tree::watched() {
                out.push(Need::Watch {
                    cluster: pane.cluster,
                    res,
                });
            }
        }
    }
}
