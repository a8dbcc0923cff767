//! The TUI's own key and mouse events. The terminal loop converts the terminal library's
//! events into these at the edge (as helix-view owns its `KeyEvent`), so the app, its screens
//! and its tests depend on no terminal crate. The names follow crossterm's, which most Rust
//! terminal code reads like; only key presses arrive here (releases are dropped at the edge).

use std::ops::{BitAnd, BitOr, BitOrAssign};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyCode {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    /// Shift-Tab, as terminals report it.
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    /// A key flotilla has no use for (media keys, lone modifiers).
    Other,
}

/// Which of Shift, Ctrl and Alt were held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct KeyModifiers(u8);

impl KeyModifiers {
    pub const NONE: KeyModifiers = KeyModifiers(0);
    pub const SHIFT: KeyModifiers = KeyModifiers(1);
    pub const CONTROL: KeyModifiers = KeyModifiers(2);
    pub const ALT: KeyModifiers = KeyModifiers(4);

    pub fn empty() -> KeyModifiers {
        KeyModifiers::NONE
    }

    /// Every modifier in `other` is held.
    pub fn contains(self, other: KeyModifiers) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn insert(&mut self, other: KeyModifiers) {
        self.0 |= other.0;
    }

    pub fn remove(&mut self, other: KeyModifiers) {
        self.0 &= !other.0;
    }
}

impl BitOr for KeyModifiers {
    type Output = KeyModifiers;
    fn bitor(self, other: KeyModifiers) -> KeyModifiers {
        KeyModifiers(self.0 | other.0)
    }
}

impl BitOrAssign for KeyModifiers {
    fn bitor_assign(&mut self, other: KeyModifiers) {
        self.0 |= other.0;
    }
}

impl BitAnd for KeyModifiers {
    type Output = KeyModifiers;
    fn bitand(self, other: KeyModifiers) -> KeyModifiers {
        KeyModifiers(self.0 & other.0)
    }
}

/// A key pressed, with the modifiers held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyEvent {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl KeyEvent {
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent { code, modifiers }
    }
}

impl From<KeyCode> for KeyEvent {
    fn from(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }
}

/// The mouse events flotilla acts on; the edge drops the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MouseEvent {
    ScrollUp,
    ScrollDown,
}

/// For the text areas (prompt, form fields, editor).
impl From<KeyEvent> for ratatui_textarea::Input {
    fn from(k: KeyEvent) -> ratatui_textarea::Input {
        use ratatui_textarea::Key;
        let key = match k.code {
            KeyCode::Char(c) => Key::Char(c),
            KeyCode::F(n) => Key::F(n),
            KeyCode::Enter => Key::Enter,
            KeyCode::Esc => Key::Esc,
            KeyCode::Tab | KeyCode::BackTab => Key::Tab,
            KeyCode::Backspace => Key::Backspace,
            KeyCode::Delete => Key::Delete,
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::Left => Key::Left,
            KeyCode::Right => Key::Right,
            KeyCode::Home => Key::Home,
            KeyCode::End => Key::End,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            KeyCode::Insert | KeyCode::Other => Key::Null,
        };
        ratatui_textarea::Input {
            key,
            ctrl: k.modifiers.contains(KeyModifiers::CONTROL),
            alt: k.modifiers.contains(KeyModifiers::ALT),
            shift: k.modifiers.contains(KeyModifiers::SHIFT) || k.code == KeyCode::BackTab,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modifiers_combine_and_test() {
        let mut m = KeyModifiers::CONTROL | KeyModifiers::ALT;
        assert!(m.contains(KeyModifiers::CONTROL) && !m.contains(KeyModifiers::SHIFT));
        assert!(!m.contains(KeyModifiers::CONTROL | KeyModifiers::SHIFT));
        m.remove(KeyModifiers::ALT);
        m.insert(KeyModifiers::SHIFT);
        assert_eq!(m, KeyModifiers::CONTROL | KeyModifiers::SHIFT);
        assert!(KeyModifiers::NONE.contains(KeyModifiers::empty()));
    }

    #[test]
    fn shift_tab_reaches_a_text_area_as_shift_tab() {
        let i = ratatui_textarea::Input::from(KeyEvent::from(KeyCode::BackTab));
        assert_eq!(i.key, ratatui_textarea::Key::Tab);
        assert!(i.shift && !i.ctrl);
    }
}
