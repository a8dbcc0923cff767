//! Modal layers over any screen: confirmations (optionally "type the name to confirm"),
//! pickers (container, revision, port), small forms, and progress. The top layer gets every
//! key before the prompt, the screen and the global bindings; when it finishes, its result
//! goes to the screen that opened it.

use crate::config::theme::Theme;
use crate::key::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui_textarea::TextArea;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModalResult {
    Confirmed,
    /// The index of the picked item, in the order given.
    Picked(usize),
    /// The fields' values, in the order given.
    Submitted(Vec<String>),
    Cancelled,
}

/// What a key did to a layer.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    Stay,
    Done(ModalResult),
}

pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    /// When set, the user must type this (the object's name) before Enter confirms.
    pub require: Option<String>,
    typed: String,
    error: Option<String>,
}

pub struct Picker {
    pub title: String,
    pub items: Vec<String>,
    filter: String,
    selected: usize,
}

pub struct Field {
    pub label: String,
    pub secret: bool,
    input: TextArea<'static>,
}

pub struct Form {
    pub title: String,
    pub fields: Vec<Field>,
    focus: usize,
    pub error: Option<String>,
}

pub struct Progress {
    pub title: String,
    pub done: usize,
    pub total: usize,
    /// The latest lines of what happened, newest last.
    pub lines: Vec<String>,
    pub finished: bool,
}

pub enum Modal {
    Confirm(Confirm),
    Pick(Picker),
    Form(Form),
    Progress(Progress),
}

fn line_input(text: &str) -> TextArea<'static> {
    let mut t = TextArea::new(vec![text.to_string()]);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

fn text_of(t: &TextArea<'_>) -> String {
    t.lines().first().cloned().unwrap_or_default()
}

/// Keys a single-line input must not take (they would add lines).
fn single_line(key: &KeyEvent) -> bool {
    let newline = key.code == KeyCode::Enter
        || (key.code == KeyCode::Char('m') && key.modifiers.contains(KeyModifiers::CONTROL));
    !newline
}

impl Modal {
    pub fn confirm(title: impl Into<String>, lines: Vec<String>) -> Modal {
        Modal::Confirm(Confirm {
            title: title.into(),
            lines,
            require: None,
            typed: String::new(),
            error: None,
        })
    }

    /// A confirmation that only passes once `name` is typed.
    pub fn confirm_typed(title: impl Into<String>, lines: Vec<String>, name: &str) -> Modal {
        Modal::Confirm(Confirm {
            title: title.into(),
            lines,
            require: Some(name.to_string()),
            typed: String::new(),
            error: None,
        })
    }

    pub fn pick(title: impl Into<String>, items: Vec<String>) -> Modal {
        Modal::Pick(Picker {
            title: title.into(),
            items,
            filter: String::new(),
            selected: 0,
        })
    }

    /// `fields`: (label, initial value, secret).
    pub fn form(title: impl Into<String>, fields: Vec<(&str, &str, bool)>) -> Modal {
        Modal::Form(Form {
            title: title.into(),
            fields: fields
                .into_iter()
                .map(|(label, value, secret)| Field {
                    label: label.to_string(),
                    secret,
                    input: line_input(value),
                })
                .collect(),
            focus: 0,
            error: None,
        })
    }

    pub fn progress(title: impl Into<String>, total: usize) -> Modal {
        Modal::Progress(Progress {
            title: title.into(),
            done: 0,
            total,
            lines: Vec::new(),
            finished: false,
        })
    }

    pub fn key(&mut self, key: KeyEvent) -> Step {
        match self {
            Modal::Confirm(c) => c.key(key),
            Modal::Pick(p) => p.key(key),
            Modal::Form(f) => f.key(key),
            Modal::Progress(p) => p.key(key),
        }
    }

    pub fn paste(&mut self, text: &str) {
        match self {
            Modal::Confirm(c) if c.require.is_some() => c.typed.push_str(text),
            Modal::Pick(p) => {
                p.filter.push_str(text);
                p.selected = 0;
            }
            Modal::Form(f) => {
                if let Some(field) = f.fields.get_mut(f.focus) {
                    field.input.insert_str(text);
                }
            }
            _ => {}
        }
    }
}

impl Confirm {
    fn key(&mut self, key: KeyEvent) -> Step {
        match (&self.require, key.code) {
            (_, KeyCode::Esc) => Step::Done(ModalResult::Cancelled),
            (None, KeyCode::Char('y' | 'Y') | KeyCode::Enter) => Step::Done(ModalResult::Confirmed),
            (None, KeyCode::Char('n' | 'N')) => Step::Done(ModalResult::Cancelled),
            (None, _) => Step::Stay,
            (Some(name), KeyCode::Enter) => {
                if self.typed == *name {
                    Step::Done(ModalResult::Confirmed)
                } else {
                    self.error = Some(format!("type {name} to confirm, Esc to cancel"));
                    Step::Stay
                }
            }
            (Some(_), KeyCode::Backspace) => {
                self.typed.pop();
                Step::Stay
            }
            (Some(_), KeyCode::Char(c)) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.typed.push(c);
                self.error = None;
                Step::Stay
            }
            (Some(_), _) => Step::Stay,
        }
    }
}

impl Picker {
    /// Indices of the items the typed filter lets through.
    fn visible(&self) -> Vec<usize> {
        let f = self.filter.to_lowercase();
        (0..self.items.len())
            .filter(|i| f.is_empty() || self.items[*i].to_lowercase().contains(&f))
            .collect()
    }

    fn key(&mut self, key: KeyEvent) -> Step {
        let visible = self.visible();
        match key.code {
            KeyCode::Esc => return Step::Done(ModalResult::Cancelled),
            KeyCode::Enter => {
                return match visible.get(self.selected) {
                    Some(i) => Step::Done(ModalResult::Picked(*i)),
                    None => Step::Stay,
                };
            }
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down => {
                self.selected = (self.selected + 1).min(visible.len().saturating_sub(1))
            }
            KeyCode::Backspace => {
                self.filter.pop();
                self.selected = 0;
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.filter.push(c);
                self.selected = 0;
            }
            _ => {}
        }
        Step::Stay
    }
}

impl Form {
    fn key(&mut self, key: KeyEvent) -> Step {
        let last = self.fields.len().saturating_sub(1);
        match key.code {
            KeyCode::Esc => return Step::Done(ModalResult::Cancelled),
            KeyCode::Enter if self.focus >= last => {
                return Step::Done(ModalResult::Submitted(
                    self.fields.iter().map(|f| text_of(&f.input)).collect(),
                ));
            }
            KeyCode::Enter | KeyCode::Tab | KeyCode::Down => {
                self.focus = (self.focus + 1).min(last)
            }
            KeyCode::BackTab | KeyCode::Up => self.focus = self.focus.saturating_sub(1),
            _ => {
                if let Some(f) = self.fields.get_mut(self.focus)
                    && single_line(&key)
                {
                    f.input.input(key);
                    self.error = None;
                }
            }
        }
        Step::Stay
    }
}

impl Progress {
    pub fn advance(&mut self, line: impl Into<String>) {
        self.done = (self.done + 1).min(self.total);
        self.lines.push(line.into());
    }

    pub fn finish(&mut self, line: impl Into<String>) {
        self.finished = true;
        self.lines.push(line.into());
    }

    fn key(&mut self, key: KeyEvent) -> Step {
        match key.code {
            KeyCode::Esc | KeyCode::Enter if self.finished => Step::Done(ModalResult::Confirmed),
            // The owner decides what cancelling means (stop after the current step).
            KeyCode::Esc => Step::Done(ModalResult::Cancelled),
            _ => Step::Stay,
        }
    }
}

/// A box `w`×`h` centred in `area`, never larger than it.
fn centred(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

impl Modal {
    pub fn draw(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let base = theme.get("modal");
        let hint = theme.get("hint");
        let mut lines: Vec<Line> = Vec::new();
        let (title, help) = match self {
            Modal::Confirm(c) => {
                lines.extend(c.lines.iter().map(|l| Line::raw(l.clone())));
                lines.push(Line::raw(""));
                let help = match &c.require {
                    Some(name) => {
                        lines.push(Line::from(vec![
                            Span::raw(format!("type {name} to confirm: ")),
                            Span::styled(
                                c.typed.clone(),
                                theme.get("prompt").add_modifier(Modifier::UNDERLINED),
                            ),
                        ]));
                        "<enter> confirm  <esc> cancel"
                    }
                    None => "<y/enter> yes  <n/esc> no",
                };
                if let Some(e) = &c.error {
                    lines.push(Line::styled(e.clone(), theme.get("flash-error")));
                }
                (c.title.as_str(), help)
            }
            Modal::Pick(p) => {
                lines.push(Line::from(vec![
                    Span::raw("/"),
                    Span::styled(p.filter.clone(), theme.get("prompt")),
                ]));
                for (n, i) in p.visible().iter().enumerate() {
                    let style = if n == p.selected {
                        base.patch(theme.get("selected"))
                    } else {
                        base
                    };
                    lines.push(Line::styled(p.items[*i].clone(), style));
                }
                (
                    p.title.as_str(),
                    "<↑↓> choose  <enter> pick  <esc> cancel  type to filter",
                )
            }
            Modal::Form(form) => {
                let width = form
                    .fields
                    .iter()
                    .map(|f| f.label.chars().count())
                    .max()
                    .unwrap_or(0);
                for (i, field) in form.fields.iter().enumerate() {
                    let value = if field.secret {
                        "•".repeat(text_of(&field.input).chars().count())
                    } else {
                        text_of(&field.input)
                    };
                    let style = if i == form.focus {
                        theme.get("prompt").add_modifier(Modifier::UNDERLINED)
                    } else {
                        base
                    };
                    lines.push(Line::from(vec![
                        Span::raw(format!("{:width$}  ", field.label)),
                        Span::styled(if value.is_empty() { " ".into() } else { value }, style),
                    ]));
                }
                if let Some(e) = &form.error {
                    lines.push(Line::styled(e.clone(), theme.get("flash-error")));
                }
                (
                    form.title.as_str(),
                    "<tab> next field  <enter> next / submit  <esc> cancel",
                )
            }
            Modal::Progress(p) => {
                lines.push(Line::raw(format!("{}/{}", p.done, p.total)));
                let tail = p.lines.len().saturating_sub(8);
                lines.extend(p.lines[tail..].iter().map(|l| Line::raw(l.clone())));
                let help = if p.finished {
                    "<enter> close"
                } else {
                    "<esc> cancel"
                };
                (p.title.as_str(), help)
            }
        };
        // Titles and lines hold object names, servers' messages and files' words: sanitized
        // here, for every layer, whoever built them.
        for span in lines.iter_mut().flat_map(|l| l.spans.iter_mut()) {
            if let std::borrow::Cow::Owned(clean) = crate::text::sanitize(&span.content) {
                span.content = clean.into();
            }
        }
        let title = crate::text::sanitize(title);
        lines.push(Line::styled(help, hint));
        let width = lines
            .iter()
            .map(|l| l.width())
            .chain([title.chars().count() + 4])
            .max()
            .unwrap_or(20)
            .clamp(30, 90) as u16
            + 4;
        let height = lines.len() as u16 + 2;
        let rect = centred(area, width, height);
        f.render_widget(Clear, rect);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.get("border"))
            .title(Span::styled(format!(" {title} "), theme.get("title")))
            .style(base);
        f.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false }),
            rect,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(m: &mut Modal, code: KeyCode) -> Step {
        m.key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn typed(m: &mut Modal, text: &str) {
        for c in text.chars() {
            press(m, KeyCode::Char(c));
        }
    }

    #[test]
    fn typed_confirmation_needs_the_exact_name() {
        let mut m = Modal::confirm_typed(
            "delete",
            vec!["delete deployment web on prod".into()],
            "web",
        );
        typed(&mut m, "we");
        assert_eq!(press(&mut m, KeyCode::Enter), Step::Stay);
        typed(&mut m, "b");
        assert_eq!(
            press(&mut m, KeyCode::Enter),
            Step::Done(ModalResult::Confirmed)
        );
        let mut m = Modal::confirm_typed("delete", vec![], "web");
        // 'y' is just a letter here, not a yes.
        assert_eq!(press(&mut m, KeyCode::Char('y')), Step::Stay);
        assert_eq!(
            press(&mut m, KeyCode::Esc),
            Step::Done(ModalResult::Cancelled)
        );
    }

    #[test]
    fn picker_filters_and_picks_by_original_index() {
        let mut m = Modal::pick(
            "container",
            vec!["api".into(), "sidecar".into(), "init".into()],
        );
        typed(&mut m, "car");
        assert_eq!(
            press(&mut m, KeyCode::Enter),
            Step::Done(ModalResult::Picked(1))
        );
    }

    #[test]
    fn form_walks_fields_and_submits() {
        let mut m = Modal::form("scale", vec![("replicas", "3", false), ("token", "", true)]);
        press(&mut m, KeyCode::Backspace);
        typed(&mut m, "5");
        assert_eq!(press(&mut m, KeyCode::Enter), Step::Stay);
        typed(&mut m, "s3cret");
        assert_eq!(
            press(&mut m, KeyCode::Enter),
            Step::Done(ModalResult::Submitted(vec!["5".into(), "s3cret".into()]))
        );
    }

    #[test]
    fn progress_cancels_while_running_and_closes_when_finished() {
        let mut m = Modal::progress("drain", 2);
        assert_eq!(press(&mut m, KeyCode::Enter), Step::Stay);
        if let Modal::Progress(p) = &mut m {
            p.advance("evicted web-1");
            p.finish("done");
        }
        assert_eq!(
            press(&mut m, KeyCode::Enter),
            Step::Done(ModalResult::Confirmed)
        );
        let mut m = Modal::progress("drain", 2);
        assert_eq!(
            press(&mut m, KeyCode::Esc),
            Step::Done(ModalResult::Cancelled)
        );
    }
}
