//! Editing an object inside flotilla: its YAML in a text area (line numbers, YAML colours,
//! search, undo), checked by the server before anything changes. Saving parses the buffer,
//! refuses a document that is not the object edited, asks the server for a dry run and shows
//! what would change (`review`); Enter there applies it. With `editor = "external"` the text
//! goes to `$EDITOR` instead and what it leaves takes the same way; a failure goes back into
//! the editor's text as a comment, as kubectl edit does it. Esc in the review goes on in the
//! in-app buffer instead: a key press never hands the terminal over (the terminal may still
//! be answering the escape while the editor starts).
//!
//! The YAML screen (`text`) opens it over itself; when the edit is over the editor closes
//! itself and hands the YAML screen how it ended (`Finished`), so the user is back on the
//! object's YAML, refreshed.

mod review;

use super::{Ctx, DrawCtx, FlashLevel, Screen};
use crate::config::keymap::Key;
use crate::config::theme::Theme;
use crate::key::{KeyCode, KeyEvent};
use crate::kinds::document;
use crate::modal::{Modal, ModalResult};
use crate::model::{Action, ObjectRef};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui_textarea::{CursorMove, TextArea};
use regex::Regex;
use review::{Event, Mark, Review};
use serde_json::Value;
use std::cell::Cell;

pub const MODE: &str = "editor";

/// How a failure is put at the top of the text handed back to `$EDITOR`; such lines are
/// dropped when the text comes back.
const ERROR_PREFIX: &str = "# flotilla: ";

/// How an edit ended, for the screen under the editor.
#[derive(Debug)]
pub enum Finished {
    /// Applied; the object as the server returned it.
    Applied(Option<Value>),
    /// Left without applying; `by_back` when with the back key, so that a screen opened only
    /// for this edit can go as well.
    Left { by_back: bool },
}

pub struct EditorScreen {
    target: ObjectRef,
    /// The server's object when the edit started: what the edit replaces and is diffed to.
    original: Value,
    /// The text the buffer started with, to tell whether anything changed.
    initial: String,
    area: TextArea<'static>,
    external: bool,
    /// The text `$EDITOR` has now.
    handed: Option<String>,
    /// What the last step said (a parse error, the server's refusal), under the buffer.
    status: Option<(String, FlashLevel)>,
    find: Option<Regex>,
    find_text: String,
    review: Option<Review>,
    // Where the last frame put the view, so the cursor stays in it and pages are its height.
    top: Cell<usize>,
    left: Cell<usize>,
    height: Cell<usize>,
}

fn text_area(text: &str) -> TextArea<'static> {
    let mut area = TextArea::new(text.lines().map(str::to_string).collect());
    // YAML indents with spaces; a tab would make the document invalid.
    area.set_tab_length(2);
    area.set_hard_tab_indent(false);
    area.set_max_histories(200);
    area
}

impl EditorScreen {
    /// An editor of `object` (the server's `target`); `external` hands it to `$EDITOR`.
    pub fn new(target: ObjectRef, object: &Value, external: bool) -> Result<Self, String> {
        let initial = document::edit_text(object)?;
        Ok(EditorScreen {
            area: text_area(&initial),
            target,
            original: object.clone(),
            initial,
            external,
            handed: None,
            status: None,
            find: None,
            find_text: String::new(),
            review: None,
            top: Cell::new(0),
            left: Cell::new(0),
            height: Cell::new(20),
        })
    }

    /// As if saved and the server's dry run had answered `dry_run` (for snapshots).
    pub fn reviewed(mut self, dry_run: Value) -> Result<Self, String> {
        let object = self.validate(&self.text()).map_err(|(e, _)| e)?;
        self.review =
            Some(Review::new(self.target.clone(), self.original.clone(), object).checked(dry_run));
        Ok(self)
    }

    /// The buffer's text.
    pub fn text(&self) -> String {
        let mut t = self.area.lines().join("\n");
        t.push('\n');
        t
    }

    /// The cursor, 0-based (line, column in characters).
    pub fn cursor(&self) -> (usize, usize) {
        let c = self.area.cursor();
        (c.0, c.1)
    }

    pub fn status(&self) -> Option<&str> {
        self.status.as_ref().map(|(s, _)| s.as_str())
    }

    fn modified(&self) -> bool {
        self.text() != self.initial
    }

    fn say(&mut self, text: impl Into<String>, level: FlashLevel) {
        self.status = Some((text.into(), level));
    }

    /// The object the text asks for, or why not (and where, for a YAML error).
    fn validate(&self, text: &str) -> Result<Value, (String, Option<(usize, usize)>)> {
        let doc = document::parse_yaml(text).map_err(|e| {
            // In `$EDITOR` the message is a line above the text it is about.
            let line = e.line + usize::from(self.external);
            (
                format!(
                    "YAML error at line {line}, column {}: {}",
                    e.column, e.message
                ),
                Some((e.line - 1, e.column - 1)),
            )
        })?;
        let refuse = |why: String| Err((why, None));
        let Some(map) = doc.as_object() else {
            return refuse(match doc {
                Value::Null => "the document is empty: nothing to save".into(),
                _ => "the document is not an object: it must be one YAML mapping (apiVersion, kind, metadata, …)".into(),
            });
        };
        let t = &self.target;
        let field = |p: &str| doc.pointer(p).and_then(Value::as_str).unwrap_or("");
        if map.get("kind").and_then(Value::as_str) != Some(t.kind.as_str()) {
            return refuse(format!(
                "kind {:?} is not {:?}: an edit cannot change what it edits (create a new object instead)",
                field("/kind"),
                t.kind
            ));
        }
        if field("/metadata/name") != t.name {
            return refuse(format!(
                "name {:?} is not {:?}: an edit cannot rename the object",
                field("/metadata/name"),
                t.name
            ));
        }
        let ns = field("/metadata/namespace");
        if !ns.is_empty() && ns != t.namespace {
            return refuse(format!(
                "namespace {ns:?} is not {:?}: an edit cannot move the object",
                t.namespace
            ));
        }
        Ok(document::edited_object(doc, &self.original))
    }

    /// Save: checks the text here, then has the server check it (a dry run) for the review.
    fn save(&mut self, ctx: &mut Ctx) {
        if !self.modified() {
            if self.external {
                self.finish(Finished::Left { by_back: false }, ctx, "no changes");
            } else {
                self.say("no changes to save", FlashLevel::Info);
            }
            return;
        }
        match self.validate(&self.text()) {
            Err((why, at)) => {
                if let Some((line, col)) = at {
                    let clamp = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
                    self.area
                        .move_cursor(CursorMove::Jump(clamp(line), clamp(col)));
                }
                self.refused(why, ctx);
            }
            Ok(object) => {
                self.status = None;
                let mut r = Review::new(self.target.clone(), self.original.clone(), object);
                r.start(ctx);
                self.review = Some(r);
            }
        }
    }

    /// A failure: the buffer stays, with the message under it (or over it, in `$EDITOR`).
    fn refused(&mut self, why: String, ctx: &mut Ctx) {
        self.review = None;
        let why = crate::text::clean(&why);
        self.say(why.clone(), FlashLevel::Error);
        if self.external {
            self.hand_over(Some(&why), ctx);
        }
    }

    fn finish(&mut self, how: Finished, ctx: &mut Ctx, flash: &str) {
        if !flash.is_empty() {
            ctx.info(flash);
        }
        ctx.close_with(how);
    }

    /// Gives the buffer to `$EDITOR`, after the last failure if there was one.
    fn hand_over(&mut self, error: Option<&str>, ctx: &mut Ctx) {
        let mut text = String::new();
        if let Some(e) = error {
            text.push_str(ERROR_PREFIX);
            text.push_str(e);
            text.push('\n');
        }
        text.push_str(&self.text());
        let name = format!(
            "{}-{}.yaml",
            self.target.kind.to_lowercase(),
            self.target.name
        );
        self.handed = Some(text.clone());
        ctx.edit(name, text, Self::external_done);
    }

    fn external_done(&mut self, result: Result<String, String>, ctx: &mut Ctx) {
        let handed = self.handed.take().unwrap_or_default();
        let text = match result {
            Ok(t) => t,
            Err(e) => {
                ctx.error(e);
                return ctx.close_with(Finished::Left { by_back: false });
            }
        };
        if text == handed {
            let flash = if self.status.is_some() {
                "edit cancelled: nothing applied"
            } else {
                "no changes"
            };
            return self.finish(Finished::Left { by_back: false }, ctx, flash);
        }
        let kept: Vec<&str> = text
            .lines()
            .skip_while(|l| l.starts_with(ERROR_PREFIX))
            .collect();
        self.area = text_area(&kept.join("\n"));
        self.save(ctx);
    }

    fn reviewed_event(&mut self, ev: Event, ctx: &mut Ctx) {
        match ev {
            Event::Refused(why) => self.refused(why, ctx),
            Event::Applied {
                flash,
                level,
                object,
            } => {
                match level {
                    FlashLevel::Info => ctx.info(flash),
                    FlashLevel::Error => ctx.error(flash),
                }
                ctx.close_with(Finished::Applied(object));
            }
        }
    }

    /// Esc in the buffer: leaves, asking first if anything would be lost.
    fn leave(&mut self, ctx: &mut Ctx) {
        if !self.modified() {
            return ctx.close_with(Finished::Left { by_back: true });
        }
        let modal = Modal::confirm(
            "discard changes",
            vec![format!("Discard your changes to {}?", self.target)],
        );
        ctx.modal(modal, |_: &mut Self, r, ctx: &mut Ctx| {
            if r == ModalResult::Confirmed {
                ctx.close_with(Finished::Left { by_back: false });
            }
        });
    }

    /// The find form's pattern: searched for from the cursor; an empty one ends the search.
    fn find_submitted(&mut self, values: Vec<String>, ctx: &mut Ctx) {
        let pat = values
            .first()
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        if pat.is_empty() {
            self.find = None;
            self.status = None;
            return;
        }
        match crate::logs::buffer::smart_case(&pat) {
            Ok(re) => {
                self.find = Some(re);
                self.find_text = pat;
                self.find_step(true, ctx);
            }
            Err(e) => self.say(e, FlashLevel::Error),
        }
    }

    /// Moves to the next (or previous) match of the search from the cursor, wrapping around.
    fn find_step(&mut self, forward: bool, ctx: &mut Ctx) {
        let Some(re) = &self.find else {
            return ctx.info("nothing to find: ctrl-f searches");
        };
        let lines = self.area.lines();
        let mut hits: Vec<(usize, usize)> = Vec::new();
        for (row, line) in lines.iter().enumerate() {
            for m in re.find_iter(line) {
                hits.push((row, line[..m.start()].chars().count()));
            }
        }
        if hits.is_empty() {
            return self.say(
                format!("no match for {}", self.find_text),
                FlashLevel::Error,
            );
        }
        let at = self.cursor();
        let next = if forward {
            hits.iter().position(|h| *h > at).unwrap_or(0)
        } else {
            hits.iter().rposition(|h| *h < at).unwrap_or(hits.len() - 1)
        };
        let (row, col) = hits[next];
        let clamp = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        self.area
            .move_cursor(CursorMove::Jump(clamp(row), clamp(col)));
        let msg = format!(
            "match {} of {} for {}",
            next + 1,
            hits.len(),
            self.find_text
        );
        self.say(msg, FlashLevel::Info);
    }

    /// The editor's own actions on the buffer; `None` for the rest.
    fn act(&mut self, action: &Action, ctx: &mut Ctx) -> Option<bool> {
        match action {
            Action::Submit => self.save(ctx),
            Action::Find => {
                let form = Modal::form("find (regex)", vec![("find", &self.find_text, false)]);
                ctx.modal(form, |me: &mut Self, r, ctx: &mut Ctx| {
                    if let ModalResult::Submitted(v) = r {
                        me.find_submitted(v, ctx);
                    }
                });
            }
            Action::FindNext => self.find_step(true, ctx),
            Action::FindPrevious => self.find_step(false, ctx),
            Action::Undo => {
                self.area.undo();
            }
            Action::Redo => {
                self.area.redo();
            }
            Action::Back => self.leave(ctx),
            Action::Up => self.area.move_cursor(CursorMove::Up),
            Action::Down => self.area.move_cursor(CursorMove::Down),
            Action::PageUp | Action::PageDown => self.page(matches!(action, Action::PageDown)),
            Action::Top => self.area.move_cursor(CursorMove::Top),
            Action::Bottom => self.area.move_cursor(CursorMove::Bottom),
            _ => return None,
        }
        Some(true)
    }

    fn page(&mut self, down: bool) {
        let (row, col) = self.cursor();
        let h = self.height.get().max(1);
        let row = if down { row + h } else { row.saturating_sub(h) };
        let clamp = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        self.area
            .move_cursor(CursorMove::Jump(clamp(row), clamp(col)));
    }

    fn review_action(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        let Some(r) = &mut self.review else {
            return false;
        };
        let event = match action {
            Action::Apply => r.apply(ctx),
            Action::ApplyAlso => {
                r.offer_clusters(ctx);
                None
            }
            Action::Back if r.applying() => {
                ctx.info("applying: wait for the server's answer");
                None
            }
            Action::Back => {
                self.review = None;
                if self.external {
                    // The text stays here rather than going back to `$EDITOR` on a key
                    // press: nothing is lost, and the edit goes on in the buffer.
                    self.external = false;
                    self.say(
                        "back from $EDITOR: edit here, ctrl-s checks again, esc discards",
                        FlashLevel::Info,
                    );
                }
                None
            }
            a => {
                let len = r.lines().len();
                match super::moved(a, r.scroll, len) {
                    Some(to) => r.scroll = to,
                    None => return false,
                }
                None
            }
        };
        if let Some(ev) = event {
            self.reviewed_event(ev, ctx);
        }
        true
    }

    fn title(&self) -> String {
        let mut t = format!(" edit {} ", self.target);
        if self.modified() {
            t.push_str("[modified] ");
        }
        t
    }

    fn draw_buffer(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.get("border"))
            .title(Span::styled(self.title(), theme.get("title")));
        let inner = block.inner(area);
        f.render_widget(block, area);
        // A server's refusal can be long: up to three lines of it under the buffer.
        let said = self.status.as_ref().map_or(1, |(s, _)| s.chars().count());
        let foot_height = said.div_ceil(usize::from(inner.width.max(1))).clamp(1, 3);
        let [body, foot] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(foot_height as u16)])
                .areas(inner);
        let lines = self.area.lines();
        let (row, col) = self.cursor();
        let height = usize::from(body.height).max(1);
        self.height.set(height);
        let top = keep_in_view(self.top.get(), row, height);
        self.top.set(top);
        let gutter = lines.len().to_string().len() + 1;
        let width = usize::from(body.width).saturating_sub(gutter).max(1);
        let cursor_col = lines.get(row).map_or(col, |l| shown_col(l, col));
        let left = keep_in_view(self.left.get(), cursor_col, width);
        self.left.set(left);
        let numbers = theme.get("hint");
        let hit = theme.get("log-hit");
        let selected = theme.get("selected");
        let selection = self.area.selection_range();
        let out: Vec<Line> = lines
            .iter()
            .enumerate()
            .skip(top)
            .take(height)
            .map(|(i, raw)| {
                let clean = crate::text::sanitize(raw);
                let mut cells = flatten(&super::yaml::line(&clean, theme));
                let mut paint = |from: usize, to: usize, style: Style| {
                    for c in cells.iter_mut().take(to).skip(from) {
                        c.1 = c.1.patch(style);
                    }
                };
                if let Some(re) = &self.find {
                    for m in re.find_iter(raw) {
                        let from = shown_col(raw, raw[..m.start()].chars().count());
                        let to = shown_col(raw, raw[..m.end()].chars().count());
                        paint(from, to, hit);
                    }
                }
                if let Some(((r0, c0), (r1, c1))) = selection
                    && (r0..=r1).contains(&i)
                {
                    let from = if i == r0 { shown_col(raw, c0) } else { 0 };
                    let to = if i == r1 {
                        shown_col(raw, c1)
                    } else {
                        usize::MAX
                    };
                    paint(from, to, selected);
                }
                if i == row {
                    let cursor = Style::default().add_modifier(Modifier::REVERSED);
                    match cells.get_mut(cursor_col) {
                        Some(c) => c.1 = c.1.patch(cursor),
                        None => cells.push((' ', cursor)),
                    }
                }
                let mut spans = vec![Span::styled(
                    format!("{:>w$} ", i + 1, w = gutter - 1),
                    numbers,
                )];
                spans.extend(group(cells.into_iter().skip(left).take(width)));
                Line::from(spans)
            })
            .collect();
        f.render_widget(Paragraph::new(out), body);
        let status = match &self.status {
            Some((s, level)) => Span::styled(s.clone(), flash_style(theme, *level)),
            None => Span::styled(
                format!("line {}/{}, column {}", row + 1, lines.len(), col + 1),
                theme.get("hint"),
            ),
        };
        f.render_widget(
            Paragraph::new(Line::from(status)).wrap(Wrap { trim: false }),
            foot,
        );
    }

    fn draw_review(&self, r: &Review, f: &mut Frame, area: Rect, theme: &Theme) {
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.get("border"))
            .title(Span::styled(
                format!(" review edit of {} ", self.target),
                theme.get("title"),
            ));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let [body, foot] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
        let lines = r.lines();
        let height = usize::from(body.height);
        let top = r.scroll.min(lines.len().saturating_sub(height));
        let out: Vec<Line> = lines
            .into_iter()
            .skip(top)
            .take(height)
            .map(|(mark, text)| {
                let slot = match mark {
                    Mark::Heading => "title",
                    Mark::Add => "diff-add",
                    Mark::Remove => "diff-remove",
                    Mark::Hunk => "hint",
                    Mark::Error => "flash-error",
                    Mark::Same => "base",
                };
                Line::styled(text, theme.get(slot))
            })
            .collect();
        f.render_widget(Paragraph::new(out), body);
        f.render_widget(
            Paragraph::new(Line::styled(r.status(), theme.get("hint"))),
            foot,
        );
    }
}

fn flash_style(theme: &Theme, level: FlashLevel) -> Style {
    theme.get(match level {
        FlashLevel::Info => "flash-info",
        FlashLevel::Error => "flash-error",
    })
}

/// The first row (or column) of a view `size` long that shows `at`, moving `from` as little
/// as it can.
fn keep_in_view(from: usize, at: usize, size: usize) -> usize {
    if at < from {
        at
    } else if at >= from + size {
        at + 1 - size
    } else {
        from
    }
}

/// Where character `col` of a buffer line is drawn: sanitizing drops control characters.
fn shown_col(raw: &str, col: usize) -> usize {
    match crate::text::sanitize(raw) {
        std::borrow::Cow::Borrowed(_) => col,
        std::borrow::Cow::Owned(_) => {
            let end = raw.char_indices().nth(col).map_or(raw.len(), |(i, _)| i);
            crate::text::sanitize(&raw[..end]).chars().count()
        }
    }
}

fn flatten(line: &Line) -> Vec<(char, Style)> {
    line.spans
        .iter()
        .flat_map(|s| {
            s.content
                .chars()
                .map(move |c| (c, line.style.patch(s.style)))
        })
        .collect()
}

/// Characters back into spans, one per run of a style.
fn group(cells: impl Iterator<Item = (char, Style)>) -> Vec<Span<'static>> {
    let mut out: Vec<Span<'static>> = Vec::new();
    let mut run = String::new();
    let mut style = None;
    for (c, s) in cells {
        if style.is_some_and(|st| st != s) {
            out.push(Span::styled(
                std::mem::take(&mut run),
                style.unwrap_or_default(),
            ));
        }
        style = Some(s);
        run.push(c);
    }
    if let Some(s) = style {
        out.push(Span::styled(run, s));
    }
    out
}

impl Screen for EditorScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        if self.review.is_some() {
            &[
                (Action::Apply, "apply"),
                (Action::ApplyAlso, "also apply to…"),
                (Action::Back, "edit again"),
            ]
        } else {
            &[
                (Action::Submit, "save"),
                (Action::Find, "find"),
                (Action::FindNext, "next"),
                (Action::Undo, "undo"),
                (Action::Back, "leave"),
            ]
        }
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        if self.external {
            self.hand_over(None, ctx);
        }
    }

    fn raw_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> bool {
        if self.review.is_some() || self.handed.is_some() {
            return false;
        }
        // Only the editor's own bindings (ctrl keys, esc): every other key types.
        let action = ctx.config.keymap.resolve(MODE, Key::from_event(&key));
        match &action {
            Some(Action::Quit) => return false,
            Some(
                a @ (Action::Submit
                | Action::Find
                | Action::FindNext
                | Action::FindPrevious
                | Action::Undo
                | Action::Redo
                | Action::Back),
            ) => {
                if let Some(taken) = self.act(a, ctx) {
                    return taken;
                }
            }
            _ => {}
        }
        match key.code {
            KeyCode::PageUp | KeyCode::PageDown => self.page(key.code == KeyCode::PageDown),
            _ => {
                if self.area.input(key) {
                    self.status = None;
                }
            }
        }
        true
    }

    fn raw_paste(&mut self, text: &str, _ctx: &mut Ctx) -> bool {
        if self.review.is_some() || self.handed.is_some() {
            return false;
        }
        let clean: Vec<String> = text
            .split('\n')
            .map(|l| crate::text::clean(l.trim_end_matches('\r')))
            .collect();
        self.area.insert_str(clean.join("\n"));
        self.status = None;
        true
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if self.handed.is_some() {
            return false;
        }
        if self.review.is_some() {
            return self.review_action(action, ctx);
        }
        self.act(action, ctx).unwrap_or(false)
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        if let Some(r) = &self.review {
            return self.draw_review(r, f, area, theme);
        }
        if self.handed.is_some() {
            let block = Block::default()
                .borders(Borders::ALL)
                .border_style(theme.get("border"))
                .title(Span::styled(self.title(), theme.get("title")));
            let line = Line::styled("editing in $EDITOR…", theme.get("hint"));
            return f.render_widget(Paragraph::new(line).block(block), area);
        }
        self.draw_buffer(f, area, theme);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClusterId, ResKey};
    use serde_json::json;

    fn editor() -> EditorScreen {
        let target = ObjectRef {
            context: "dev".into(),
            cluster: ClusterId(1),
            res: ResKey::new("apps", "deployments"),
            version: "v1".into(),
            kind: "Deployment".into(),
            namespace: "shop".into(),
            name: "web".into(),
            uid: "u1".into(),
        };
        let obj = json!({"apiVersion":"apps/v1","kind":"Deployment",
            "metadata":{"name":"web","namespace":"shop","uid":"u1","resourceVersion":"5"},
            "spec":{"replicas":2}});
        EditorScreen::new(target, &obj, false).expect("editor")
    }

    #[test]
    fn validation_refuses_another_object_and_points_at_yaml_errors() {
        let e = editor();
        let ok = e.validate(&e.text()).expect("the object itself passes");
        assert_eq!(ok.pointer("/metadata/resourceVersion"), Some(&json!("5")));
        let renamed = e.text().replace("name: web", "name: other");
        let (why, at) = e.validate(&renamed).unwrap_err();
        assert!(why.contains("cannot rename"), "{why}");
        assert_eq!(at, None);
        let (why, _) = e
            .validate(&e.text().replace("kind: Deployment", "kind: Service"))
            .unwrap_err();
        assert!(why.contains("kind"), "{why}");
        let (why, _) = e.validate("- a\n- b\n").unwrap_err();
        assert!(why.contains("not an object"), "{why}");
        let (why, at) = e.validate("a: 1\n  b: 2\n").unwrap_err();
        assert!(why.starts_with("YAML error at line 2"), "{why}");
        assert_eq!(at.map(|a| a.0), Some(1));
    }

    #[test]
    fn views_follow_the_cursor_and_cells_regroup() {
        assert_eq!(keep_in_view(0, 5, 10), 0);
        assert_eq!(keep_in_view(0, 12, 10), 3);
        assert_eq!(keep_in_view(8, 2, 10), 2);
        // "b" comes after an escape sequence the screen never shows.
        assert_eq!(shown_col("a\u{1b}[1mbc", 5), 1);
        let spans = group(
            [
                ('a', Style::default()),
                ('b', Style::default()),
                ('c', Style::default().add_modifier(Modifier::BOLD)),
            ]
            .into_iter(),
        );
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].content, "ab");
    }
}
