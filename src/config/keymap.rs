//! Key bindings: `keymaps/default.toml` (k9s-compatible) overlaid with the user's file.
//! Every action is rebindable; an unknown key or action is an error naming its line.

use crate::app::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::{BTreeMap, HashMap};
use toml::Spanned;

pub const DEFAULT: &str = include_str!("../../keymaps/default.toml");

/// Where a binding applies. `global` bindings apply everywhere unless a mode rebinds the key.
pub const MODES: &[&str] = &["global", "table", "text", "contexts"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn from_event(ev: &KeyEvent) -> Self {
        let mut mods =
            ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        if let KeyCode::Char(_) = ev.code {
            // The character already carries shift ('N'); terminals disagree on the flag.
            mods.remove(KeyModifiers::SHIFT);
        }
        let code = match ev.code {
            KeyCode::BackTab => KeyCode::Tab,
            c => c,
        };
        if ev.code == KeyCode::BackTab {
            mods.insert(KeyModifiers::SHIFT);
        }
        Key { code, mods }
    }

    pub fn parse(s: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::empty();
        let mut rest = s;
        loop {
            let lower = rest.to_lowercase();
            if rest.len() > 1
                && (lower.starts_with("ctrl-")
                    || lower.starts_with("alt-")
                    || lower.starts_with("shift-"))
            {
                let (m, r) = rest.split_once('-').unwrap_or((rest, ""));
                match m.to_lowercase().as_str() {
                    "ctrl" => mods |= KeyModifiers::CONTROL,
                    "alt" => mods |= KeyModifiers::ALT,
                    _ => mods |= KeyModifiers::SHIFT,
                }
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest.to_lowercase().as_str() {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "space" => KeyCode::Char(' '),
            "tab" => KeyCode::Tab,
            "backspace" => KeyCode::Backspace,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdown" => KeyCode::PageDown,
            "delete" | "del" => KeyCode::Delete,
            f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().map_err(|_| format!("unknown key {s:?}"))?)
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => {
                        if mods.contains(KeyModifiers::SHIFT) && c.is_ascii_alphabetic() {
                            mods.remove(KeyModifiers::SHIFT);
                            KeyCode::Char(c.to_ascii_uppercase())
                        } else if mods.contains(KeyModifiers::CONTROL) {
                            KeyCode::Char(c.to_ascii_lowercase())
                        } else {
                            KeyCode::Char(c)
                        }
                    }
                    _ => return Err(format!("unknown key {s:?}")),
                }
            }
        };
        Ok(Key { code, mods })
    }

    pub fn label(&self) -> String {
        let mut s = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            s.push_str("ctrl-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            s.push_str("alt-");
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            s.push_str("shift-");
        }
        match self.code {
            KeyCode::Char(' ') => s.push_str("space"),
            KeyCode::Char(c) => s.push(c),
            KeyCode::Enter => s.push_str("enter"),
            KeyCode::Esc => s.push_str("esc"),
            KeyCode::Tab => s.push_str("tab"),
            KeyCode::Up => s.push('↑'),
            KeyCode::Down => s.push('↓'),
            KeyCode::Left => s.push('←'),
            KeyCode::Right => s.push('→'),
            KeyCode::PageUp => s.push_str("pgup"),
            KeyCode::PageDown => s.push_str("pgdn"),
            KeyCode::Home => s.push_str("home"),
            KeyCode::End => s.push_str("end"),
            KeyCode::F(n) => s.push_str(&format!("f{n}")),
            other => s.push_str(&format!("{other:?}")),
        }
        s
    }
}

#[derive(Clone, Debug, Default)]
pub struct Keymap {
    modes: HashMap<String, HashMap<Key, Action>>,
}

type RawFile = BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<String>>>;

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Keymap {
    pub fn load(user: Option<(&str, &str)>) -> Result<Keymap, String> {
        let mut km = Keymap::default();
        km.overlay(DEFAULT, "keymaps/default.toml")?;
        if let Some((text, origin)) = user {
            km.overlay(text, origin)?;
        }
        Ok(km)
    }

    fn overlay(&mut self, text: &str, origin: &str) -> Result<(), String> {
        let raw: RawFile = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        for (mode, bindings) in raw {
            if !MODES.contains(&mode.get_ref().as_str()) {
                return Err(format!(
                    "{origin}:{}: unknown section [{}] (expected one of {})",
                    line_of(text, mode.span().start),
                    mode.get_ref(),
                    MODES.join(", ")
                ));
            }
            let table = self.modes.entry(mode.get_ref().clone()).or_default();
            for (key, action) in bindings {
                let k = Key::parse(key.get_ref())
                    .map_err(|e| format!("{origin}:{}: {e}", line_of(text, key.span().start)))?;
                if action.get_ref() == "none" {
                    table.remove(&k);
                    continue;
                }
                let a: Action =
                    serde_json::from_value(serde_json::Value::String(action.get_ref().clone()))
                        .map_err(|_| {
                            format!(
                                "{origin}:{}: unknown action {:?}",
                                line_of(text, action.span().start),
                                action.get_ref()
                            )
                        })?;
                table.insert(k, a);
            }
        }
        Ok(())
    }

    pub fn resolve(&self, mode: &str, key: Key) -> Option<Action> {
        self.modes
            .get(mode)
            .and_then(|m| m.get(&key))
            .or_else(|| self.modes.get("global").and_then(|m| m.get(&key)))
            .copied()
    }

    /// (mode, key label, action) for the help screen, grouped by mode and sorted.
    pub fn bindings(&self) -> Vec<(String, String, Action)> {
        let mut out: Vec<_> = MODES
            .iter()
            .filter_map(|m| self.modes.get(*m).map(|t| (m, t)))
            .flat_map(|(m, t)| t.iter().map(move |(k, a)| (m.to_string(), k.label(), *a)))
            .collect();
        out.sort_by(|a, b| {
            let ma = MODES.iter().position(|m| *m == a.0);
            let mb = MODES.iter().position(|m| *m == b.0);
            ma.cmp(&mb)
                .then(format!("{:?}", a.2).cmp(&format!("{:?}", b.2)))
                .then(a.1.cmp(&b.1))
        });
        out
    }

    /// The first key bound to `action` in `mode` (or global), for hints.
    pub fn key_for(&self, mode: &str, action: Action) -> Option<String> {
        [mode, "global"].iter().find_map(|m| {
            let mut keys: Vec<String> = self
                .modes
                .get(*m)?
                .iter()
                .filter(|(_, a)| **a == action)
                .map(|(k, _)| k.label())
                .collect();
            keys.sort_by_key(|k| k.len());
            keys.into_iter().next()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_keymap_loads_with_k9s_keys() {
        let km = Keymap::load(None).unwrap();
        let k = |s: &str| Key::parse(s).unwrap();
        assert_eq!(km.resolve("table", k(":")), Some(Action::Command));
        assert_eq!(km.resolve("table", k("d")), Some(Action::Describe));
        assert_eq!(km.resolve("table", k("y")), Some(Action::Yaml));
        assert_eq!(km.resolve("table", k("shift-n")), Some(Action::SortName));
        assert_eq!(km.resolve("table", k("N")), Some(Action::SortName));
        assert_eq!(km.resolve("text", k("esc")), Some(Action::Back));
        assert_eq!(km.resolve("table", k("ctrl-c")), Some(Action::Quit));
    }

    #[test]
    fn user_file_rebinds_and_errors_name_the_line() {
        let km = Keymap::load(Some((
            "[table]\nD = \"describe\"\nd = \"none\"\n",
            "user.toml",
        )))
        .unwrap();
        assert_eq!(
            km.resolve("table", Key::parse("D").unwrap()),
            Some(Action::Describe)
        );
        assert_eq!(km.resolve("table", Key::parse("d").unwrap()), None);
        let e = Keymap::load(Some((
            "[table]\nx = \"describe\"\nz = \"explode\"\n",
            "user.toml",
        )))
        .unwrap_err();
        assert!(e.contains("user.toml:3") && e.contains("explode"), "{e}");
        let e =
            Keymap::load(Some(("[table]\n\n\"ctrl-nope\" = \"quit\"\n", "user.toml"))).unwrap_err();
        assert!(
            e.contains("user.toml:3") && e.contains("unknown key"),
            "{e}"
        );
        let e = Keymap::load(Some(("[tabel]\nq = \"quit\"\n", "user.toml"))).unwrap_err();
        assert!(e.contains("user.toml:1") && e.contains("tabel"), "{e}");
    }
}
