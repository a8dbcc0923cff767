//! The one-line `:` and `/` prompts. Line editing (cursor keys, home/end, ctrl-w, ctrl-u,
//! alt-b/f, undo) comes from ratatui-textarea; Enter, Esc and Tab belong to the app.

use crate::key::KeyEvent;
use ratatui_textarea::{CursorMove, TextArea};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    Command,
    Filter,
}

#[derive(Clone, Debug)]
pub struct Prompt {
    pub kind: PromptKind,
    editor: TextArea<'static>,
}

impl Prompt {
    pub fn new(kind: PromptKind, text: &str) -> Self {
        let mut editor = TextArea::new(vec![text.to_string()]);
        editor.move_cursor(CursorMove::End);
        Prompt { kind, editor }
    }

    pub fn text(&self) -> &str {
        self.editor
            .lines()
            .first()
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Cursor position in characters.
    pub fn cursor(&self) -> usize {
        self.editor.cursor().1
    }

    pub fn set_text(&mut self, text: &str) {
        *self = Prompt::new(self.kind, text);
    }

    /// Edits the line; returns whether the text changed.
    pub fn input(&mut self, key: KeyEvent) -> bool {
        let before = self.text().to_string();
        self.editor.input(key);
        before != self.text()
    }

    pub fn paste(&mut self, text: &str) {
        self.editor.insert_str(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{KeyCode, KeyModifiers};

    #[test]
    fn edits_in_the_middle_of_the_line() {
        let mut p = Prompt::new(PromptKind::Command, "pods prod");
        assert_eq!(p.cursor(), 9);
        p.input(KeyEvent::new(KeyCode::Home, KeyModifiers::NONE));
        for c in "dep".chars() {
            p.input(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        assert_eq!(p.text(), "deppods prod");
        assert!(p.input(KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL)));
        assert_eq!(p.text(), "pods prod");
    }
}
