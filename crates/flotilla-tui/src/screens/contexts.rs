//! `:ctx`: every context in the kubeconfig, which are live and how they are doing; Space or
//! Enter adds one to the live set or removes it, without a restart. `:ctx add PATH|-` imports
//! a kubeconfig (`import`); ctrl-d, or `:ctx rm NAME`, removes a context flotilla imported.

use super::{Ctx, DrawCtx, Screen};
use crate::human::stale_for;
use crate::modal::{Modal, ModalResult};
use crate::model::{Action, ContextEntry};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Row, Table};

pub const MODE: &str = "contexts";

#[derive(Default)]
pub struct ContextsScreen {
    selected: usize,
    filter: String,
    /// `:ctx rm NAME`: the removal it asks about once open.
    remove: Option<String>,
}

/// `:ctx`, `:ctx add PATH|-`, `:ctx rm NAME`
pub fn open(args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let args = args.trim();
    let (verb, rest) = args.split_once(' ').unwrap_or((args, ""));
    match verb {
        "" => Ok(Box::new(ContextsScreen::default())),
        "add" => super::import::open(rest, ctx),
        "rm" | "remove" if !rest.trim().is_empty() => Ok(Box::new(ContextsScreen {
            remove: Some(rest.trim().to_string()),
            ..ContextsScreen::default()
        })),
        _ => Err(":ctx, :ctx add PATH|-, :ctx rm NAME".into()),
    }
}

impl ContextsScreen {
    /// Asks before removing imported context `name` (its file changes; the kubeconfig never).
    fn ask_remove(&mut self, name: String, ctx: &mut Ctx) {
        let lines = vec![
            format!("{name} is removed from the contexts flotilla imported"),
            "and disconnected. Your kubeconfig is not touched.".to_string(),
        ];
        let modal = Modal::confirm(format!("Remove context {name}?"), lines);
        ctx.modal(modal, move |_: &mut Self, r, ctx| {
            if r != ModalResult::Confirmed {
                return;
            }
            ctx.forget_context(name, |_: &mut Self, r, ctx| match r {
                Ok(said) => ctx.info(said),
                Err(e) => ctx.error(e),
            });
        });
    }
}

impl ContextsScreen {
    fn visible<'a>(&self, all: &'a [ContextEntry]) -> Vec<&'a ContextEntry> {
        all.iter()
            .filter(|c| {
                self.filter.is_empty()
                    || c.name.to_lowercase().contains(&self.filter)
                    || c.cluster.to_lowercase().contains(&self.filter)
            })
            .collect()
    }
}

impl Screen for ContextsScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::ToggleContext, "add/remove"),
            (Action::Filter, "filter"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ]
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        let visible = self.visible(ctx.contexts);
        if let Some(to) = super::moved(action, self.selected, visible.len()) {
            self.selected = to;
            return true;
        }
        match action {
            Action::ToggleContext | Action::Enter => {
                let Some(name) = visible.get(self.selected).map(|e| e.name.clone()) else {
                    return true;
                };
                if ctx.store.clusters.by_context(&name).is_some() {
                    ctx.disconnect(&name);
                    ctx.info(format!("{name} removed from the live set"));
                } else {
                    ctx.connect(&name);
                    ctx.info(format!("{name} added to the live set"));
                }
            }
            Action::Copy => {
                if let Some(e) = visible.get(self.selected) {
                    ctx.copy(e.name.clone());
                }
            }
            Action::Delete => {
                if let Some(name) = visible.get(self.selected).map(|e| e.name.clone()) {
                    self.ask_remove(name, ctx);
                }
            }
            _ => return false,
        }
        true
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        if let Some(name) = self.remove.take() {
            self.ask_remove(name, ctx);
        }
    }

    fn filter(&self) -> Option<&str> {
        Some(&self.filter)
    }

    fn set_filter(&mut self, text: &str, _ctx: &mut Ctx) {
        self.filter = text.to_lowercase();
        self.selected = 0;
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let visible = self.visible(ctx.contexts);
        let title = format!(
            " contexts[{}] live: {} ",
            visible.len(),
            ctx.store.clusters.len()
        );
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.get("border"))
            .title(Span::styled(title, theme.get("title")));
        let header = Row::new([
            "",
            "CONTEXT",
            "CLUSTER",
            "USER",
            "NAMESPACE",
            "STATUS",
            "VERSION",
            "IDENTITY",
        ])
        .style(theme.get("table-header"));
        let height = usize::from(area.height.saturating_sub(3));
        let offset = if self.selected >= height {
            self.selected + 1 - height
        } else {
            0
        };
        let rows = visible
            .iter()
            .enumerate()
            .skip(offset)
            .take(height)
            .map(|(i, e)| {
                let (mark, status, version, identity, slot) =
                    match ctx.store.clusters.by_context(&e.name) {
                        Some(s) => {
                            let h = ctx.store.health(s.id);
                            let mut status = h.label().to_string();
                            if let Some(since) = ctx.store.stale_since(s.id, None) {
                                status = format!("{status}, {}", stale_for(since));
                            }
                            if let Some(r) = h.reason() {
                                status = format!("{status}: {r}");
                            }
                            (
                                "✔",
                                status,
                                s.version.clone().unwrap_or_default(),
                                s.identity.clone().unwrap_or_default(),
                                h.badge().1,
                            )
                        }
                        None => (" ", String::new(), String::new(), String::new(), "row-done"),
                    };
                let style = if i == self.selected {
                    theme.get(slot).patch(theme.get("selected"))
                } else {
                    theme.get(slot)
                };
                Row::new([
                    Cell::from(mark),
                    Cell::from(e.name.clone()),
                    Cell::from(e.cluster.clone()),
                    Cell::from(e.user.clone()),
                    Cell::from(e.namespace.clone().unwrap_or_default()),
                    Cell::from(status),
                    Cell::from(version),
                    Cell::from(identity),
                ])
                .style(style)
            });
        let widths = [
            Constraint::Length(1),
            Constraint::Min(10),
            Constraint::Min(8),
            Constraint::Min(8),
            Constraint::Min(9),
            Constraint::Min(12),
            Constraint::Length(10),
            Constraint::Min(10),
        ];
        f.render_widget(
            Table::new(rows, widths)
                .header(header)
                .block(block)
                .column_spacing(1),
            area,
        );
    }
}
