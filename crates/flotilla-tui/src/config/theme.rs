//! Themes: named style slots in TOML (`themes/*.toml`), a user theme may `inherits` a
//! built-in one. NO_COLOR drops colours but keeps bold/reverse so selection stays visible.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::HashMap;
use std::str::FromStr;

pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../../../themes/dark.toml")),
    ("light", include_str!("../../../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../../../themes/high-contrast.toml"),
    ),
];

/// Every slot the UI draws with; a theme file may set any subset.
pub const SLOTS: &[&str] = &[
    "base",
    "header",
    "title",
    "border",
    "table-header",
    "selected",
    "cursor-column",
    "row-ok",
    "row-done",
    "row-warn",
    "row-error",
    "cluster-ok",
    "cluster-connecting",
    "cluster-degraded",
    "cluster-unreachable",
    "prompt",
    "hint",
    "flash-info",
    "flash-error",
    "yaml-key",
    "yaml-string",
    "yaml-number",
    "yaml-bool",
    "yaml-comment",
    "masked",
    "row-stale",
    "modal",
    "diff-add",
    "diff-remove",
    "row-marked",
    "log-escaped",
    "log-hit",
    "log-status",
];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    inherits: Option<String>,
    #[serde(default)]
    styles: HashMap<String, StyleSpec>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reverse: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Theme {
    styles: HashMap<String, Style>,
}

impl Theme {
    pub fn builtin(name: &str) -> Option<Theme> {
        let text = BUILTIN.iter().find(|(n, _)| *n == name)?.1;
        Theme::parse(text, name, false).ok()
    }

    /// `no_color` keeps modifiers only.
    pub fn parse(text: &str, origin: &str, no_color: bool) -> Result<Theme, String> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        let mut theme = match &file.inherits {
            Some(parent) => {
                let t = BUILTIN
                    .iter()
                    .find(|(n, _)| n == parent)
                    .ok_or_else(|| format!("{origin}: inherits unknown theme {parent:?}"))?
                    .1;
                Theme::parse(t, parent, no_color)?
            }
            None => Theme::default(),
        };
        for (slot, spec) in file.styles {
            if !SLOTS.contains(&slot.as_str()) {
                return Err(format!("{origin}: unknown style slot {slot:?}"));
            }
            let mut style = Style::default();
            if !no_color {
                if let Some(fg) = &spec.fg {
                    style = style.fg(Color::from_str(fg)
                        .map_err(|_| format!("{origin}: bad colour {fg:?} for {slot}"))?);
                }
                if let Some(bg) = &spec.bg {
                    style = style.bg(Color::from_str(bg)
                        .map_err(|_| format!("{origin}: bad colour {bg:?} for {slot}"))?);
                }
            }
            for (on, m) in [
                (spec.bold, Modifier::BOLD),
                (spec.dim, Modifier::DIM),
                (spec.italic, Modifier::ITALIC),
                (spec.underline, Modifier::UNDERLINED),
                (spec.reverse, Modifier::REVERSED),
            ] {
                if on {
                    style = style.add_modifier(m);
                }
            }
            theme.styles.insert(slot, style);
        }
        Ok(theme)
    }

    pub fn get(&self, slot: &str) -> Style {
        self.styles.get(slot).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse_and_no_color_keeps_modifiers() {
        for (name, text) in BUILTIN {
            let t = Theme::parse(text, name, false).unwrap();
            assert!(
                t.get("selected") != Style::default(),
                "{name} has a selection style"
            );
        }
        let t = Theme::parse(BUILTIN[0].1, "dark", true).unwrap();
        assert_eq!(t.get("row-error").fg, None);
        assert!(t.get("selected").add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn user_theme_inherits_and_rejects_unknown_slots() {
        let t = Theme::parse(
            "inherits = \"dark\"\n[styles]\nrow-error = { fg = \"#ff00ff\" }\n",
            "mine",
            false,
        )
        .unwrap();
        assert_eq!(t.get("row-error").fg, Some(Color::Rgb(255, 0, 255)));
        assert!(t.get("header") != Style::default());
        assert!(
            Theme::parse("[styles]\nrow-eror = { fg = \"red\" }\n", "mine", false)
                .unwrap_err()
                .contains("row-eror")
        );
    }
}
