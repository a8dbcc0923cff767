//! Scrolling text: an object's describe or YAML (fetched when opened, checked to still be the
//! object that was selected), what `$EDITOR` made of the YAML, and help.

use super::{Answer, Ctx, Deliver, DrawCtx, Screen};
use crate::config::theme::Theme;
use crate::kinds::document::{self, MASK};
use crate::model::{Action, ObjectRef};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use serde_json::Value;

pub const MODE: &str = "text";
const LOAD: u64 = 1;
const EDIT: u64 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    Describe,
    Yaml,
    Help,
    /// A diff of the YAML against what the editor left.
    Edited,
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
    /// Open the YAML in the editor as soon as it arrives (`e` on a list).
    edit_when_loaded: bool,
    /// The text handed to the editor, to diff what comes back against.
    editing: Option<String>,
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
            edit_when_loaded: false,
            editing: None,
        }
    }

    /// Describe or YAML of an object; fetched when the screen opens.
    pub fn object(kind: TextKind, target: ObjectRef) -> Self {
        let mut t = TextScreen::new(kind, target.to_string(), vec!["loading…".into()]);
        t.target = Some(target);
        t
    }

    /// Hand the YAML to `$EDITOR` once it is loaded.
    pub fn editing(mut self, edit: bool) -> Self {
        self.edit_when_loaded = edit;
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
                _ => document::describe_lines(obj, &self.events, self.revealed, now),
            };
        }
    }

    fn start_edit(&mut self, ctx: &mut Ctx) {
        let (Some(obj), Some(target)) = (&self.object, &self.target) else {
            return ctx.error("nothing to edit yet");
        };
        let mut text = document::yaml_lines(obj, self.revealed).join("\n");
        text.push('\n');
        let name = format!("{}-{}.yaml", target.kind.to_lowercase(), target.name);
        self.editing = Some(text.clone());
        ctx.edit(EDIT, name, text);
    }

    fn loaded(&mut self, answer: Answer, ctx: &mut Ctx) {
        let (Some(target), Answer::Fetched(result)) = (&self.target, answer) else {
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

    fn edited(&mut self, answer: Answer, ctx: &mut Ctx) {
        let (Some(before), Answer::Edited(result)) = (self.editing.take(), answer) else {
            return;
        };
        match result {
            Ok(after) if after == before => ctx.info("no changes"),
            Ok(after) => {
                let title = format!(
                    "{} — edited, not applied (editing is read-only in this version)",
                    self.title
                );
                ctx.push(Box::new(TextScreen::new(
                    TextKind::Edited,
                    title,
                    diff_lines(&before, &after),
                )));
            }
            Err(e) => ctx.error(e),
        }
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
        for r in super::REGISTRY {
            lines.push(format!("  :{}", r.commands.join("  :")));
        }
        lines.push("  :q".into());
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

/// The whole edited text with each line marked: "+ " added, "- " removed, "  " unchanged.
fn diff_lines(before: &str, after: &str) -> Vec<String> {
    similar::TextDiff::from_lines(before, after)
        .iter_all_changes()
        .map(|c| {
            let mark = match c.tag() {
                similar::ChangeTag::Insert => "+ ",
                similar::ChangeTag::Delete => "- ",
                similar::ChangeTag::Equal => "  ",
            };
            // The edited text is the user's, but it is drawn: no control characters.
            format!(
                "{mark}{}",
                crate::text::clean(c.value().trim_end_matches('\n'))
            )
        })
        .collect()
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
        ctx.fetch(LOAD, t.cluster, t.path(), events, Deliver::OnStack);
    }

    fn answered(&mut self, tag: u64, answer: Answer, ctx: &mut Ctx) {
        match tag {
            LOAD => self.loaded(answer, ctx),
            EDIT => self.edited(answer, ctx),
            _ => {}
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
                TextKind::Help | TextKind::Edited => "",
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
                TextKind::Yaml => yaml_line(l, theme),
                TextKind::Edited if l.starts_with("+ ") => {
                    Line::styled(l.as_str(), theme.get("diff-add"))
                }
                TextKind::Edited if l.starts_with("- ") => {
                    Line::styled(l.as_str(), theme.get("diff-remove"))
                }
                _ => Line::raw(l.as_str()),
            })
            .collect();
        f.render_widget(Paragraph::new(lines).block(block), area);
    }
}

fn yaml_line<'a>(line: &'a str, theme: &Theme) -> Line<'a> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        return Line::styled(line, theme.get("yaml-comment"));
    }
    let indent = line.len() - trimmed.len();
    let mut spans = vec![Span::raw(&line[..indent])];
    let mut rest = trimmed;
    if let Some(r) = rest.strip_prefix("- ") {
        spans.push(Span::raw("- "));
        rest = r;
    }
    let (key, value) = match rest.find(": ") {
        Some(i) if !rest.starts_with('"') && !rest.starts_with('\'') => {
            (&rest[..i + 1], &rest[i + 1..])
        }
        _ if rest.ends_with(':') => (rest, ""),
        _ => ("", rest),
    };
    if !key.is_empty() {
        spans.push(Span::styled(key, theme.get("yaml-key")));
    }
    let v = value.trim();
    let slot = if v.contains(MASK) {
        "masked"
    } else if v.parse::<f64>().is_ok() {
        "yaml-number"
    } else if matches!(v, "true" | "false" | "null" | "~") {
        "yaml-bool"
    } else {
        "yaml-string"
    };
    spans.push(Span::styled(value, theme.get(slot)));
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_marks_changed_lines_and_keeps_the_rest() {
        let lines = diff_lines("a: 1\nreplicas: 2\nb: 3\n", "a: 1\nreplicas: 7\nb: 3\n");
        assert_eq!(
            lines,
            vec!["  a: 1", "- replicas: 2", "+ replicas: 7", "  b: 3"]
        );
    }
}
