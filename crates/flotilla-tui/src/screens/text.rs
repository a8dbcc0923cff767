//! Scrolling text: an object's describe or YAML (fetched when opened, checked to still be the
//! object that was selected), and help. The YAML screen opens the object's editor over itself
//! (`editor`), and shows the object as the edit left it afterwards.

use super::editor::{EditorScreen, Finished};
use super::{Ctx, Deliver, DrawCtx, Screen};
use crate::config::EditorKind;
use crate::kinds::describe::{self, Related, Slot};
use crate::kinds::document;
use crate::model::{Action, ApiError, Fetched, ObjectRef};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use serde_json::Value;

pub const MODE: &str = "text";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    Describe,
    Yaml,
    Help,
}

pub struct TextScreen {
    pub kind: TextKind,
    pub title: String,
    pub lines: Vec<String>,
    pub scroll: usize,
    revealed: bool,
    target: Option<ObjectRef>,
    object: Option<Value>,
    events: Vec<Value>,
    /// What a describe needs besides the object (a node's pods, a service's endpoints), as it
    /// arrives: the object is shown at once and again with each answer.
    related: Related,
    /// Open the YAML in the editor as soon as it arrives (`e` on a list).
    edit_when_loaded: bool,
    /// Opened for an edit (from a list): leaving the editor with esc leaves this screen too.
    for_edit: bool,
}

impl TextScreen {
    fn new(kind: TextKind, title: String, lines: Vec<String>) -> Self {
        TextScreen {
            kind,
            title,
            lines,
            scroll: 0,
            revealed: false,
            target: None,
            object: None,
            events: Vec::new(),
            related: Related::default(),
            edit_when_loaded: false,
            for_edit: false,
        }
    }

    /// Plain lines, drawn as they are (the caller sanitizes remote text).
    pub fn lines(title: String, lines: Vec<String>) -> Self {
        TextScreen::new(TextKind::Help, title, lines)
    }

    /// Describe or YAML of an object; fetched when the screen opens.
    pub fn object(kind: TextKind, target: ObjectRef) -> Self {
        let mut t = TextScreen::new(kind, target.to_string(), vec!["loading…".into()]);
        t.target = Some(target);
        t
    }

    /// Open the editor once the object is loaded.
    pub fn editing(mut self, edit: bool) -> Self {
        self.edit_when_loaded = edit;
        self.for_edit = edit;
        self
    }

    fn is_secret(&self) -> bool {
        self.object
            .as_ref()
            .and_then(|o| o.get("kind"))
            .and_then(Value::as_str)
            == Some("Secret")
    }

    fn render(&mut self, now: i64) {
        if let Some(obj) = &self.object {
            self.lines = match self.kind {
                TextKind::Yaml => document::yaml_lines(obj, self.revealed),
                _ => describe::describe(obj, &self.events, &self.related, self.revealed, now),
            };
        }
    }

    fn start_edit(&mut self, ctx: &mut Ctx) {
        let (Some(obj), Some(target)) = (&self.object, &self.target) else {
            return ctx.error("nothing to edit yet");
        };
        let external = ctx.config.settings.editor == EditorKind::External;
        match EditorScreen::new(target.clone(), obj, external) {
            Ok(e) => ctx.push(Box::new(e)),
            Err(e) => ctx.error(e),
        }
    }

    /// The edit is over: show the object as it left it. Leaving with esc an edit this screen
    /// was opened for leaves this screen too.
    fn after_edit(&mut self, finished: Finished, ctx: &mut Ctx) {
        match finished {
            Finished::Applied(Some(obj))
                if obj.pointer("/metadata/uid")
                    == self
                        .object
                        .as_ref()
                        .and_then(|o| o.pointer("/metadata/uid")) =>
            {
                self.object = Some(obj);
                self.render(ctx.now);
            }
            Finished::Applied(_) => self.opened(ctx),
            Finished::Left { by_back: true } if self.for_edit => ctx.close(),
            Finished::Left { .. } => {}
        }
    }

    fn loaded(&mut self, result: Result<Fetched, ApiError>, ctx: &mut Ctx) {
        let Some(target) = &self.target else {
            return;
        };
        match result {
            Ok(f) => {
                let uid = f.object.pointer("/metadata/uid").and_then(Value::as_str);
                if uid != Some(target.uid.as_str()) {
                    self.lines = vec![format!(
                        "{target} no longer exists: another object of that name (uid {}) took its place.",
                        uid.unwrap_or("?")
                    )];
                    return;
                }
                if self.kind == TextKind::Describe {
                    self.related = Related::default();
                    for (slot, path) in describe::related(&f.object) {
                        ctx.fetch(
                            target.cluster,
                            path,
                            None,
                            Deliver::OnStack,
                            move |me: &mut Self, r, ctx: &mut Ctx| me.related_read(slot, r, ctx),
                        );
                    }
                }
                self.object = Some(f.object);
                self.events = f.events;
                self.render(ctx.now);
                if std::mem::take(&mut self.edit_when_loaded) {
                    self.start_edit(ctx);
                }
            }
            Err(e) if e.code == 404 => {
                self.lines = vec![format!("{target} no longer exists.")];
            }
            Err(e) => self.lines = vec![format!("error: {e}")],
        }
    }

    /// What a describe needs besides the object arrived: shown with it.
    fn related_read(&mut self, slot: Slot, result: Result<Fetched, ApiError>, ctx: &mut Ctx) {
        self.related
            .set(slot, result.map(|f| f.object).map_err(|e| e.to_string()));
        self.render(ctx.now);
    }

    /// Help: the commands, the filter language, and every binding of the active keymap.
    pub fn help(ctx: &Ctx) -> Self {
        let mut lines = vec![
            "flotilla — many Kubernetes clusters, one screen".to_string(),
            String::new(),
            "Commands (type : then Enter; Tab completes)".into(),
            "  :pods  :po  :deploy  :svc  :crd  :events …   any kind, plural, short name or plural.group".into(),
            "  :pods kube-system    one namespace    :pods ns1,ns2  several    :pods -A  all".into(),
            "  :pods @prod          one cluster      :pods @dev,prod           :pods @all".into(),
        ];
        let names = |c: &super::Command| format!(":{}", c.names.join("  :"));
        let width = ctx
            .screens
            .commands()
            .map(|c| names(c).chars().count())
            .max();
        let w = width.unwrap_or(0);
        for c in ctx.screens.commands() {
            lines.push(format!("  {:<w$}  {}", names(c), c.about));
        }
        lines.push(format!("  {:<w$}  quit", ":q  :quit"));
        lines.extend([
            String::new(),
            "Filter (/)".into(),
            "  text   substring        ^api-.*   regex        !text   inverse".into(),
            "  -l app=web,tier!=db     label selector         -f abc  fuzzy name match".into(),
        ]);
        for (mode, bindings) in ctx.config.keymap.help() {
            lines.push(String::new());
            lines.push(format!("Keys: {mode}"));
            for b in bindings {
                lines.push(format!(
                    "  {:<16} {}",
                    b.keys.join(", "),
                    b.action.describe()
                ));
            }
        }
        TextScreen::new(TextKind::Help, "help".into(), lines)
    }
}

/// `:help`
pub fn open_help(_args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    Ok(Box::new(TextScreen::help(ctx)))
}

impl Screen for TextScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        match self.kind {
            TextKind::Yaml => &[
                (Action::Back, "back"),
                (Action::Edit, "edit"),
                (Action::Reveal, "reveal"),
                (Action::Copy, "copy"),
                (Action::Help, "help"),
            ],
            _ => &[
                (Action::Back, "back"),
                (Action::Reveal, "reveal"),
                (Action::Copy, "copy"),
                (Action::Help, "help"),
            ],
        }
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        let Some(t) = &self.target else { return };
        let events = (self.kind == TextKind::Describe).then(|| {
            let scope = if t.namespace.is_empty() {
                String::new()
            } else {
                format!("/namespaces/{}", t.namespace)
            };
            format!(
                "/api/v1{scope}/events?fieldSelector=involvedObject.uid%3D{}",
                t.uid
            )
        });
        ctx.fetch(t.cluster, t.path(), events, Deliver::OnStack, Self::loaded);
    }

    fn resumed(&mut self, value: Box<dyn std::any::Any>, ctx: &mut Ctx) {
        if let Ok(finished) = value.downcast::<Finished>() {
            self.after_edit(*finished, ctx);
        }
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = super::moved(action, self.scroll, self.lines.len()) {
            self.scroll = to;
            return true;
        }
        match action {
            Action::Reveal => {
                self.revealed = !self.revealed;
                self.render(ctx.now);
            }
            Action::Copy => ctx.copy(self.lines.join("\n")),
            Action::Edit if self.kind == TextKind::Yaml => self.start_edit(ctx),
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let mut title = format!(
            " {} {} ",
            match self.kind {
                TextKind::Describe => "describe",
                TextKind::Yaml => "yaml",
                TextKind::Help => "",
            },
            self.title
        );
        if self.is_secret() {
            title.push_str(if self.revealed {
                "[revealed] "
            } else {
                "[masked: x reveals] "
            });
        }
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.get("border"))
            .title(Span::styled(title, theme.get("title")));
        let height = usize::from(block.inner(area).height);
        // Keep the last screenful reachable but never scroll past it.
        let top = self.scroll.min(self.lines.len().saturating_sub(height));
        let lines: Vec<Line> = self
            .lines
            .iter()
            .skip(top)
            .take(height)
            .map(|l| match self.kind {
                TextKind::Yaml => super::yaml::line(l, theme),
                _ => Line::raw(l.as_str()),
            })
            .collect();
        f.render_widget(Paragraph::new(lines).block(block), area);
    }
}
