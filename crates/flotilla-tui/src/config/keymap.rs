//! Key bindings: `keymaps/default.toml` (k9s-compatible) overlaid with the user's file.
//! Every action is rebindable, a key can run a command (`command("deploy -A")`); an unknown
//! key, action or section is an error naming its line.

use crate::key::{KeyCode, KeyEvent, KeyModifiers};
use crate::model::Action;
use std::collections::{BTreeMap, HashMap};
use toml::Spanned;

pub const DEFAULT: &str = include_str!("../../../../keymaps/default.toml");

/// The section whose bindings apply on every screen unless the screen's own section rebinds
/// the key. The other sections are the screens' keymap modes.
pub const GLOBAL: &str = "global";

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
    /// Sections in help order: `global` first, then the screens' modes.
    sections: Vec<String>,
    modes: HashMap<String, HashMap<Key, Action>>,
}

type RawFile = BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<String>>>;

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// One line of help: an action and every key bound to it.
pub struct HelpLine {
    pub keys: Vec<String>,
    pub action: Action,
}

impl Keymap {
    /// The defaults overlaid with the user's file; `modes` are the screens' sections.
    pub fn load(user: Option<(&str, &str)>, modes: &[&str]) -> Result<Keymap, String> {
        let mut km = Keymap {
            sections: std::iter::once(GLOBAL)
                .chain(modes.iter().copied())
                .map(str::to_string)
                .collect(),
            modes: HashMap::new(),
        };
        km.overlay(DEFAULT, "keymaps/default.toml")?;
        if let Some((text, origin)) = user {
            km.overlay(text, origin)?;
        }
        Ok(km)
    }

    fn overlay(&mut self, text: &str, origin: &str) -> Result<(), String> {
        let raw: RawFile = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        for (mode, bindings) in raw {
            if !self.sections.contains(mode.get_ref()) {
                return Err(format!(
                    "{origin}:{}: unknown section [{}] (expected one of {})",
                    line_of(text, mode.span().start),
                    mode.get_ref(),
                    self.sections.join(", ")
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
                let a = Action::parse(action.get_ref())
                    .map_err(|e| format!("{origin}:{}: {e}", line_of(text, action.span().start)))?;
                table.insert(k, a);
            }
        }
        Ok(())
    }

    pub fn resolve(&self, mode: &str, key: Key) -> Option<Action> {
        self.modes
            .get(mode)
            .and_then(|m| m.get(&key))
            .or_else(|| self.modes.get(GLOBAL).and_then(|m| m.get(&key)))
            .cloned()
    }

    /// Per section, one line per action with all its keys, in a stable order: sections as
    /// loaded, actions in their help order, keys shortest first.
    pub fn help(&self) -> Vec<(String, Vec<HelpLine>)> {
        self.sections
            .iter()
            .filter_map(|m| self.modes.get(m).map(|t| (m, t)))
            .map(|(m, table)| {
                let mut lines: Vec<HelpLine> = Vec::new();
                for (k, a) in table {
                    match lines.iter_mut().find(|l| l.action == *a) {
                        Some(l) => l.keys.push(k.label()),
                        None => lines.push(HelpLine {
                            keys: vec![k.label()],
                            action: a.clone(),
                        }),
                    }
                }
                for l in &mut lines {
                    l.keys
                        .sort_by(|a, b| a.chars().count().cmp(&b.chars().count()).then(a.cmp(b)));
                }
                lines.sort_by(|a, b| a.action.order().cmp(&b.action.order()));
                (m.clone(), lines)
            })
            .collect()
    }

    /// The shortest key bound to `action` in `mode` (or global), for hints.
    pub fn key_for(&self, mode: &str, action: &Action) -> Option<String> {
        [mode, GLOBAL].iter().find_map(|m| {
            let mut keys: Vec<String> = self
                .modes
                .get(*m)?
                .iter()
                .filter(|(_, a)| *a == action)
                .map(|(k, _)| k.label())
                .collect();
            keys.sort_by(|a, b| a.chars().count().cmp(&b.chars().count()).then(a.cmp(b)));
            keys.into_iter().next()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Every screen's section, as the screens declare them (`screens::SCREENS`).
    use crate::screens::modes;

    #[test]
    fn default_keymap_loads_with_k9s_keys() {
        let km = Keymap::load(None, &modes()).unwrap();
        let k = |s: &str| Key::parse(s).unwrap();
        assert_eq!(km.resolve("table", k(":")), Some(Action::Command));
        assert_eq!(km.resolve("table", k("d")), Some(Action::Describe));
        assert_eq!(km.resolve("table", k("y")), Some(Action::Yaml));
        assert_eq!(km.resolve("table", k("shift-n")), Some(Action::SortName));
        assert_eq!(km.resolve("table", k("N")), Some(Action::SortName));
        assert_eq!(km.resolve("text", k("esc")), Some(Action::Back));
        assert_eq!(km.resolve("table", k("ctrl-c")), Some(Action::Quit));
        assert_eq!(km.resolve("table", k("3")), Some(Action::Favourite(3)));
    }

    #[test]
    fn help_puts_every_key_of_an_action_on_one_line() {
        let km = Keymap::load(None, &modes()).unwrap();
        let help = km.help();
        assert_eq!(help[0].0, "global");
        let down = help[0].1.iter().find(|l| l.action == Action::Down).unwrap();
        assert_eq!(down.keys, vec!["j", "↓"]);
        // The same order every time, whatever the hash maps did.
        let again: Vec<_> = km.help()[0].1.iter().map(|l| l.action.clone()).collect();
        let first: Vec<_> = help[0].1.iter().map(|l| l.action.clone()).collect();
        assert_eq!(first, again);
        let orders: Vec<_> = help[0].1.iter().map(|l| l.action.order()).collect();
        assert!(orders.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn user_file_rebinds_and_errors_name_the_line() {
        let km = Keymap::load(
            Some((
                "[table]\nD = \"describe\"\nd = \"none\"\nX = 'command(\"deploy -A\")'\n",
                "user.toml",
            )),
            &modes(),
        )
        .unwrap();
        assert_eq!(
            km.resolve("table", Key::parse("D").unwrap()),
            Some(Action::Describe)
        );
        assert_eq!(km.resolve("table", Key::parse("d").unwrap()), None);
        assert_eq!(
            km.resolve("table", Key::parse("X").unwrap()),
            Some(Action::Run("deploy -A".into()))
        );
        let e = Keymap::load(
            Some(("[table]\nx = \"describe\"\nz = \"explode\"\n", "user.toml")),
            &modes(),
        )
        .unwrap_err();
        assert!(e.contains("user.toml:3") && e.contains("explode"), "{e}");
        let e = Keymap::load(
            Some(("[table]\n\n\"ctrl-nope\" = \"quit\"\n", "user.toml")),
            &modes(),
        )
        .unwrap_err();
        assert!(
            e.contains("user.toml:3") && e.contains("unknown key"),
            "{e}"
        );
        let e = Keymap::load(Some(("[tabel]\nq = \"quit\"\n", "user.toml")), &modes()).unwrap_err();
        assert!(e.contains("user.toml:1") && e.contains("tabel"), "{e}");
    }
}
