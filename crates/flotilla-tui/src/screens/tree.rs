//! `:tree KIND/NAME -n NS [@CTX]` and `x` on a row: the object's owner tree, live — its top
//! owner down to the pods and their nodes, and what selects, scales or is used by it, each
//! with its state. Enter goes to the object's list, `d` describes, `y` shows the YAML, `e`
//! edits. The tree is `tree::build`; this screen watches what it reads and draws it.

use super::table::TableScreen;
use super::text::{TextKind, TextScreen};
use super::{Ctx, Deliver, DrawCtx, Need, Screen};
use crate::grid::{self, Grid, GridRow, Width};
use crate::human;
use crate::model::{Action, ApiError, ClusterId, Fetched, ObjectRef, ResKey};
use crate::store::Store;
use crate::tree::{self, Node, Uses};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;

pub const MODE: &str = "tree";
const USAGE: &str = "usage: :tree KIND/NAME [-n NAMESPACE] [@CONTEXT]";

/// How often the tree is rebuilt while the cluster changes.
const REBUILD: std::time::Duration = std::time::Duration::from_millis(250);

pub fn open(args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let mut target = None;
    let mut namespace = None;
    let mut context = None;
    let mut words = args.split_whitespace();
    while let Some(w) = words.next() {
        if let Some(c) = w.strip_prefix('@') {
            context = Some(c.to_string());
        } else if w == "-n" || w == "--namespace" {
            namespace = Some(words.next().ok_or(USAGE)?.to_string());
        } else if w.starts_with('-') || target.replace(w).is_some() {
            return Err(format!("{w:?}: {USAGE}"));
        }
    }
    let (kind, name) = target.and_then(|t| t.split_once('/')).ok_or(USAGE)?;
    let slot = match &context {
        Some(c) => ctx.store.clusters.by_context(c),
        None => ctx.store.clusters.iter().find(|s| s.connected),
    }
    .ok_or_else(|| match &context {
        Some(c) => format!("no live context {c:?}; :ctx lists them"),
        None => "no live cluster".to_string(),
    })?;
    let known = ctx.known_resources();
    let info = crate::kinds::resource::resolve(kind, known)
        .ok_or_else(|| format!("no kind {kind:?}; {USAGE}"))?;
    let namespace = match (info.namespaced, namespace) {
        (true, ns) => ns.unwrap_or_else(|| "default".into()),
        (false, _) => String::new(),
    };
    Ok(Box::new(TreeScreen::new(
        slot.id,
        slot.context.clone(),
        info.key.clone(),
        namespace,
        name.to_string(),
    )))
}

pub struct TreeScreen {
    cluster: ClusterId,
    context: String,
    res: ResKey,
    namespace: String,
    name: String,
    nodes: Vec<Node>,
    cursor: usize,
    /// What the top's pod template reads, once its object came; asked for this top.
    uses: Uses,
    asked: Option<String>,
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
            cluster,
            context,
            res,
            namespace,
            name,
            nodes: Vec::new(),
            cursor: 0,
            uses: Uses::default(),
            asked: None,
            built: None,
        }
    }

    /// The lines as drawn, for tests and tools: indentation, relation, object, status.
    pub fn lines(&self) -> Vec<String> {
        self.nodes.iter().map(label).collect()
    }

    fn rebuild(&mut self, ctx: &mut Ctx) {
        let selected = self.nodes.get(self.cursor).map(|n| n.object.clone());
        self.nodes = tree::build(
            ctx.store,
            self.cluster,
            &self.res,
            &self.namespace,
            &self.name,
            &self.uses,
        );
        if let Some(at) = selected.and_then(|o| self.nodes.iter().position(|n| n.object == o)) {
            self.cursor = at;
        }
        self.cursor = self.cursor.min(self.nodes.len().saturating_sub(1));
        // What the top's pods read is in its template: read it once per top.
        let Some(top) = self.nodes.first() else {
            return;
        };
        if self.asked.as_deref() == Some(top.object.as_str()) {
            return;
        }
        self.asked = Some(top.object.clone());
        if let Some(obj) = self.object(top, ctx) {
            ctx.fetch(
                self.cluster,
                obj.path(),
                None,
                Deliver::OnStack,
                |me: &mut Self, r: Result<Fetched, ApiError>, ctx| {
                    if let Ok(f) = r {
                        me.uses = Uses::of(&f.object);
                        me.rebuild(ctx);
                    }
                },
            );
        }
    }

    fn object(&self, n: &Node, ctx: &Ctx) -> Option<ObjectRef> {
        let info = ctx.resource_on(self.cluster, &n.res)?;
        Some(ObjectRef {
            context: self.context.clone(),
            cluster: self.cluster,
            res: n.res.clone(),
            version: info.version.clone(),
            kind: info.kind.clone(),
            namespace: n.namespace.clone(),
            name: n.name.clone(),
            uid: n.uid.clone(),
        })
    }

    fn selected(&self, ctx: &mut Ctx) -> Option<ObjectRef> {
        let n = self.nodes.get(self.cursor)?;
        if n.uid.is_empty() {
            ctx.error(format!("{} is not on {}", n.object, self.context));
            return None;
        }
        self.object(n, ctx)
    }
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
        if let Some(to) = super::moved(action, self.cursor, self.nodes.len()) {
            self.cursor = to;
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
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        // The top it was built from, and what it was asked for when that is below the top.
        let asked = format!("{}/{}", tree::kind_of(&self.res.plural), self.name);
        let top = self
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
                self.context,
                self.nodes.len()
            )),
            theme.get("title"),
        )];
        let height = grid::room(area, 0);
        let offset = grid::offset(self.cursor, height);
        let rows = self
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
            area,
            theme,
            Grid {
                title,
                header: vec!["OBJECT", "STATUS", "AGE"],
                widths: vec![Width::Key(12, 90), Width::Fit(6, 30), Width::Fit(3, 8)],
                rows,
                selected: Some(self.cursor.saturating_sub(offset)),
                empty: crate::text::clean(&format!(
                    "Looking for {}/{} in {:?} on {}…",
                    tree::kind_of(&self.res.plural),
                    self.name,
                    self.namespace,
                    self.context
                )),
                detail: Vec::new(),
            },
        );
    }

    fn needs(&self, _store: &Store, out: &mut Vec<Need>) {
        for res in tree::watched() {
            out.push(Need::Watch {
                cluster: self.cluster,
                res,
            });
        }
    }
}
