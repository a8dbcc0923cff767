//! `:set-key cm|secret NAME KEY[=VALUE]`: one key of a ConfigMap or Secret, on every cluster
//! named. Each object is read first, then changed by a server-side apply that keeps the other
//! keys flotilla set before (`ops::build::key_update`). A Secret's value is asked in a masked
//! field, never typed on the command line; a ConfigMap's current value is shown to be changed.

use super::{MODE, clusters, namespace_for, object_ref, resource};
use crate::modal::{Modal, ModalResult};
use crate::model::{Action, ApiError, ClusterId, Fetched};
use crate::ops::build;
use crate::protocol::op::{Mutation, Op};
use crate::screens::{Ctx, DrawCtx, Mutated, Screen};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyState {
    Fetching,
    Fetched,
    Setting,
    Set,
    Failed(String),
}

struct KeyTarget {
    cluster: ClusterId,
    context: String,
    namespace: String,
    current: Option<Value>,
    state: KeyState,
}

pub struct SetKeyScreen {
    args: build::SetKeyArgs,
    kind: &'static str,
    targets: Vec<KeyTarget>,
}

pub fn open_set_key(args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let args = build::parse_set_key(args)?;
    let targets = clusters(ctx, &args.scope)?
        .into_iter()
        .map(|(cluster, context)| KeyTarget {
            namespace: namespace_for(ctx, &args.scope, cluster),
            cluster,
            context,
            current: None,
            state: KeyState::Fetching,
        })
        .collect();
    Ok(Box::new(SetKeyScreen {
        kind: if args.secret { "Secret" } else { "ConfigMap" },
        args,
        targets,
    }))
}

impl SetKeyScreen {
    pub fn states(&self) -> Vec<KeyState> {
        self.targets.iter().map(|t| t.state.clone()).collect()
    }

    fn all_fetched(&mut self, ctx: &mut Ctx) {
        if self.targets.iter().any(|t| t.state == KeyState::Fetching) {
            return;
        }
        if !self.targets.iter().any(|t| t.state == KeyState::Fetched) {
            return;
        }
        if let Some(v) = self.args.value.clone() {
            return self.set(v.into_bytes(), ctx);
        }
        // A ConfigMap's value is shown to be changed; a Secret's never.
        let current = if self.args.secret {
            String::new()
        } else {
            self.targets
                .iter()
                .find_map(|t| {
                    t.current
                        .as_ref()?
                        .pointer(&format!("/data/{}", self.args.key))?
                        .as_str()
                })
                .map(crate::text::clean)
                .unwrap_or_default()
        };
        let title = format!(
            "set {} of {} {}",
            self.args.key,
            self.kind.to_lowercase(),
            self.args.name
        );
        let modal = Modal::form(
            title,
            vec![(self.args.key.as_str(), current.as_str(), self.args.secret)],
        );
        ctx.modal(modal, |me: &mut Self, r, ctx: &mut Ctx| match r {
            ModalResult::Submitted(v) => {
                let value = v.into_iter().next().unwrap_or_default();
                me.set(value.into_bytes(), ctx);
            }
            _ => {
                for t in &mut me.targets {
                    t.state = KeyState::Failed("cancelled: not changed".into());
                }
            }
        });
    }

    fn fetched(&mut self, i: usize, r: Result<Fetched, ApiError>, ctx: &mut Ctx) {
        let Some(target) = self.targets.get_mut(i) else {
            return;
        };
        match r {
            Ok(f) => {
                target.current = Some(f.object);
                target.state = KeyState::Fetched;
            }
            Err(e) => target.state = KeyState::Failed(crate::text::clean(&e.message)),
        }
        self.all_fetched(ctx);
    }

    /// One batch per cluster: each object's apply keeps that object's own other keys.
    fn set(&mut self, value: Vec<u8>, ctx: &mut Ctx) {
        for (i, t) in self.targets.iter_mut().enumerate() {
            let Some(current) = &t.current else { continue };
            let object = match build::key_update(current, &self.args.key, &value) {
                Ok(o) => o,
                Err(e) => {
                    t.state = KeyState::Failed(e);
                    continue;
                }
            };
            let info = resource(ctx, t.cluster, "", self.kind);
            let mut target =
                object_ref(&info, t.cluster, &t.context, &t.namespace, &self.args.name);
            target.uid = current
                .pointer("/metadata/uid")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            t.state = KeyState::Setting;
            let mutation = Mutation {
                // Forced: the key is taken over from whoever set it (kubectl create, an
                // earlier edit), as the user asked for exactly this key.
                op: Op::Apply {
                    object,
                    server_side: true,
                    force: true,
                },
                targets: vec![target],
                dry_run: false,
            };
            ctx.mutate(mutation, move |me: &mut Self, m, _: &mut Ctx| {
                let Some(target) = me.targets.get_mut(i) else {
                    return;
                };
                target.state = match m {
                    Mutated::Target { result: Ok(_), .. } => KeyState::Set,
                    Mutated::Target { result: Err(e), .. } => {
                        KeyState::Failed(crate::text::clean(&e))
                    }
                    // Declined: nothing was sent, the value is still to be given.
                    Mutated::Cancelled => KeyState::Fetched,
                };
            });
        }
    }
}

impl Screen for SetKeyScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[(Action::Back, "back")]
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        for (i, t) in self.targets.iter().enumerate() {
            let info = resource(ctx, t.cluster, "", self.kind);
            ctx.fetch(
                t.cluster,
                info.object_path(&t.namespace, &self.args.name),
                None,
                crate::screens::Deliver::OnStack,
                move |me: &mut Self, r, ctx: &mut Ctx| me.fetched(i, r, ctx),
            );
        }
    }

    fn handle(&mut self, _action: &Action, _ctx: &mut Ctx) -> bool {
        false
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let title = format!(
            " set-key {} of {} {} ",
            self.args.key,
            self.kind.to_lowercase(),
            self.args.name
        );
        let lines: Vec<Line> = self
            .targets
            .iter()
            .map(|t| {
                let (text, style) = match &t.state {
                    KeyState::Fetching => ("reading…".to_string(), "row-done"),
                    KeyState::Fetched => ("waiting for the value".to_string(), "row-done"),
                    KeyState::Setting => ("setting…".to_string(), "row-done"),
                    KeyState::Set => (format!("✓ {} set", self.args.key), "row-ok"),
                    KeyState::Failed(e) => (format!("✗ {e}"), "row-error"),
                };
                Line::styled(
                    format!(
                        "{} {}/{}/{}: {text}",
                        self.kind, t.context, t.namespace, self.args.name
                    ),
                    theme.get(style),
                )
            })
            .collect();
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Line::from(title).style(theme.get("title")));
        f.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false }),
            area,
        );
    }
}
