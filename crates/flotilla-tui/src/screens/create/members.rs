//! `:members NAMESPACE`: who may do what in a namespace, the RoleBindings there on every
//! cluster named, side by side. `b` binds a user, group or service account to view, edit or
//! admin (`ops::build::role_binding`), delete removes the selected binding; both go through
//! the app's confirmation, and the list is read again once every answer is in.

use super::{MODE, clusters, object_ref, resource};
use crate::modal::{Modal, ModalResult};
use crate::model::{Action, ApiError, ClusterId, Fetched, ObjectRef, ResourceInfo};
use crate::ops::build;
use crate::protocol::op::{Mutation, Op, Propagation};
use crate::screens::{Ctx, DrawCtx, Mutated, Screen};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use serde_json::Value;
use std::sync::LazyLock;

/// `b` on `:members`, bound in the keymap as `command("bind")`: no action of its own yet.
pub const BIND_COMMAND: &str = "bind";

static MEMBERS_HINTS: LazyLock<Vec<(Action, &'static str)>> = LazyLock::new(|| {
    vec![
        (Action::Run(BIND_COMMAND.into()), "bind"),
        (Action::Delete, "remove"),
        (Action::Back, "back"),
    ]
});

struct Member {
    target: ObjectRef,
    role: String,
    subjects: String,
}

pub struct MembersScreen {
    namespace: String,
    clusters: Vec<(ClusterId, String)>,
    /// Per cluster: `None` while listing, else how many bindings or why not.
    listed: Vec<Option<Result<usize, String>>>,
    rows: Vec<Member>,
    cursor: usize,
    /// Bumped by every listing: only the latest one's answers count.
    generation: u64,
    /// Answers still to come from a bind or remove.
    waiting: usize,
}

pub fn open_members(args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let (namespace, scope) = build::parse_members(args)?;
    let clusters = clusters(ctx, &scope)?;
    Ok(Box::new(MembersScreen {
        namespace,
        listed: vec![None; clusters.len()],
        clusters,
        rows: Vec::new(),
        cursor: 0,
        generation: 0,
        waiting: 0,
    }))
}

fn subject_text(s: &Value) -> String {
    let field = |f: &str| s.get(f).and_then(Value::as_str).unwrap_or("");
    let text = match (field("kind"), field("namespace")) {
        ("ServiceAccount", ns) if !ns.is_empty() => {
            format!("ServiceAccount {ns}/{}", field("name"))
        }
        (kind, _) => format!("{kind} {}", field("name")),
    };
    crate::text::clean(&text)
}

impl MembersScreen {
    /// Whether every cluster has answered the latest listing.
    pub fn listed_all(&self) -> bool {
        self.listed.iter().all(Option::is_some)
    }

    pub fn bindings(&self) -> Vec<(String, String, String)> {
        self.rows
            .iter()
            .map(|m| (m.target.name.clone(), m.role.clone(), m.subjects.clone()))
            .collect()
    }

    fn info(ctx: &Ctx, cluster: ClusterId) -> ResourceInfo {
        resource(ctx, cluster, "rbac.authorization.k8s.io", "RoleBinding")
    }

    fn list(&mut self, ctx: &mut Ctx) {
        self.generation += 1;
        let generation = self.generation;
        for (i, (cluster, _)) in self.clusters.iter().enumerate() {
            let path = Self::info(ctx, *cluster).list_path(Some(&self.namespace));
            ctx.fetch(
                *cluster,
                path,
                None,
                crate::screens::Deliver::OnStack,
                move |me: &mut Self, r, ctx: &mut Ctx| {
                    if me.generation == generation {
                        me.fetched(i, r, ctx);
                    }
                },
            );
        }
    }

    fn fetched(&mut self, i: usize, r: Result<Fetched, ApiError>, ctx: &Ctx) {
        match r {
            Ok(f) => self.listed(i, &f.object, ctx),
            Err(e) => {
                if let Some(l) = self.listed.get_mut(i) {
                    *l = Some(Err(crate::text::clean(&e.message)));
                }
            }
        }
    }

    fn listed(&mut self, i: usize, list: &Value, ctx: &Ctx) {
        let Some((cluster, context)) = self.clusters.get(i).cloned() else {
            return;
        };
        let info = Self::info(ctx, cluster);
        self.rows.retain(|m| m.target.cluster != cluster);
        let items = list
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for b in &items {
            let meta = |f: &str| b.pointer(&format!("/metadata/{f}")).and_then(Value::as_str);
            let (Some(name), Some(uid)) = (meta("name"), meta("uid")) else {
                continue;
            };
            let mut target = object_ref(
                &info,
                cluster,
                &context,
                &self.namespace,
                &crate::text::clean(name),
            );
            target.uid = uid.to_string();
            let role = format!(
                "{}/{}",
                b.pointer("/roleRef/kind")
                    .and_then(Value::as_str)
                    .unwrap_or("?"),
                b.pointer("/roleRef/name")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
            );
            let subjects: Vec<String> = b
                .get("subjects")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(subject_text)
                .collect();
            self.rows.push(Member {
                target,
                role: crate::text::clean(&role),
                subjects: subjects.join(", "),
            });
        }
        self.rows.sort_by(|a, b| {
            (a.target.name.as_str(), a.target.cluster)
                .cmp(&(b.target.name.as_str(), b.target.cluster))
        });
        self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
        if let Some(l) = self.listed.get_mut(i) {
            *l = Some(Ok(items.len()));
        }
    }

    fn bind_form(&self, values: &[String], error: Option<String>) -> Modal {
        let value =
            |i: usize, default: &'static str| values.get(i).map(String::as_str).unwrap_or(default);
        let mut m = Modal::form(
            format!("bind a member in {}", self.namespace),
            vec![
                (
                    "kind (user, group, serviceaccount)",
                    value(0, "serviceaccount"),
                    false,
                ),
                (
                    "name (service account: NAME or NAMESPACE:NAME)",
                    value(1, ""),
                    false,
                ),
                ("role (view, edit, admin)", value(2, "view"), false),
            ],
        );
        if let Modal::Form(f) = &mut m {
            f.error = error;
        }
        m
    }

    fn ask_bind(&self, values: &[String], error: Option<String>, ctx: &mut Ctx) {
        ctx.modal(
            self.bind_form(values, error),
            |me: &mut Self, r, ctx: &mut Ctx| {
                if let ModalResult::Submitted(v) = r {
                    me.bind(v, ctx);
                }
            },
        );
    }

    fn bind(&mut self, values: Vec<String>, ctx: &mut Ctx) {
        let field = |i: usize| {
            values
                .get(i)
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let binding = build::SubjectKind::parse(&field(0))
            .and_then(|kind| build::role_binding(&self.namespace, kind, &field(1), &field(2)));
        let binding = match binding {
            Ok(b) => b,
            Err(e) => return self.ask_bind(&values, Some(e), ctx),
        };
        let name = binding
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let targets: Vec<ObjectRef> = self
            .clusters
            .iter()
            .map(|(c, context)| {
                object_ref(&Self::info(ctx, *c), *c, context, &self.namespace, &name)
            })
            .collect();
        self.waiting = targets.len();
        let mutation = Mutation {
            op: Op::Create {
                objects: vec![binding; targets.len()],
            },
            targets,
            dry_run: false,
        };
        ctx.mutate(mutation, Self::changed);
    }

    fn unbind(&mut self, ctx: &mut Ctx) {
        let Some(m) = self.rows.get(self.cursor) else {
            return ctx.error("no binding selected");
        };
        self.waiting = 1;
        let mutation = Mutation {
            op: Op::Delete {
                propagation: Propagation::Background,
                grace: None,
                force: false,
            },
            targets: vec![m.target.clone()],
            dry_run: false,
        };
        ctx.mutate(mutation, Self::changed);
    }

    /// The app says how each target of a bind or remove went; once all are in, the list
    /// shows what the servers hold now. A declined confirmation sent nothing: the list stands.
    fn changed(&mut self, m: Mutated, ctx: &mut Ctx) {
        match m {
            Mutated::Target { .. } => {
                self.waiting = self.waiting.saturating_sub(1);
                if self.waiting == 0 {
                    self.list(ctx);
                }
            }
            Mutated::Cancelled => self.waiting = 0,
        }
    }
}

impl Screen for MembersScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &MEMBERS_HINTS
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        self.list(ctx);
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = crate::screens::moved(action, self.cursor, self.rows.len()) {
            self.cursor = to;
            return true;
        }
        match action {
            Action::Run(cmd) if cmd == BIND_COMMAND => self.ask_bind(&[], None, ctx),
            Action::Delete => self.unbind(ctx),
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let on: Vec<String> = self
            .clusters
            .iter()
            .zip(&self.listed)
            .map(|((_, c), l)| match l {
                None => format!("{c}: listing…"),
                Some(Ok(_)) => c.clone(),
                Some(Err(e)) => format!("{c}: {e}"),
            })
            .collect();
        let title = format!(
            " members of {} ({}) — {} ",
            self.namespace,
            self.rows.len(),
            on.join(", ")
        );
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Line::from(title).style(theme.get("title")));
        if self.rows.is_empty() {
            let p = Paragraph::new(
                "No RoleBindings here. b binds a user, group or service account to view, edit or admin.",
            )
            .block(block)
            .style(theme.get("row-done"));
            f.render_widget(p, area);
            return;
        }
        let header = Row::new(["CONTEXT", "NAME", "ROLE", "SUBJECTS"].map(Cell::from))
            .style(theme.get("table-header"));
        let rows = self.rows.iter().enumerate().map(|(i, m)| {
            let style = if i == self.cursor {
                theme.get("selected")
            } else {
                theme.get("row-ok")
            };
            Row::new(vec![
                Cell::from(m.target.context.clone()),
                Cell::from(m.target.name.clone()),
                Cell::from(m.role.clone()),
                Cell::from(m.subjects.clone()),
            ])
            .style(style)
        });
        let widths = [
            Constraint::Length(12),
            Constraint::Length(36),
            Constraint::Length(24),
            Constraint::Min(20),
        ];
        f.render_widget(Table::new(rows, widths).header(header).block(block), area);
    }
}
