//! User configuration in the XDG config dir (`~/.config/flotilla/`, or `$FLOTILLA_CONFIG_DIR`):
//! `config.toml` (`flotilla_core::settings`, re-exported here), `keymap.toml`,
//! `themes/<name>.toml`.

pub mod keymap;
pub mod theme;

pub use crate::settings::{EditorKind, Settings, config_dir};
use keymap::Keymap;

use crate::settings::read_optional;
use theme::Theme;

pub struct Config {
    pub settings: Settings,
    /// From `settings.triage`, checked when loaded.
    pub thresholds: crate::triage::Thresholds,
    pub keymap: Keymap,
    pub theme: Theme,
}

impl Config {
    /// Built-in defaults only (tests, benchmarks): no user files read. `modes` are the
    /// screens' keymap sections.
    pub fn builtin(modes: &[&str]) -> Config {
        Config {
            settings: Settings::default(),
            thresholds: crate::triage::Thresholds::default(),
            keymap: Keymap::load(None, modes).unwrap_or_default(),
            theme: Theme::builtin("dark").unwrap_or_default(),
        }
    }
}

/// Reads the user's files; `modes` are the screens' keymap sections.
pub fn load(theme_override: Option<&str>, modes: &[&str]) -> Result<Config, String> {
    let (settings, thresholds) = crate::settings::load()?;
    let dir = config_dir();
    let file = |name: &str| dir.as_ref().map(|d| d.join(name));
    let keymap = match file("keymap.toml") {
        Some(p) => {
            let text = read_optional(&p)?;
            let origin = p.display().to_string();
            Keymap::load(text.as_deref().map(|t| (t, origin.as_str())), modes)?
        }
        None => Keymap::load(None, modes)?,
    };
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let name = theme_override
        .or(settings.theme.as_deref())
        .unwrap_or("dark");
    let user_theme = match file(&format!("themes/{name}.toml")) {
        Some(p) => read_optional(&p)?.map(|t| (t, p.display().to_string())),
        None => None,
    };
    let theme = match user_theme {
        Some((text, origin)) => Theme::parse(&text, &origin, no_color)?,
        None => {
            let text = theme::BUILTIN
                .iter()
                .find(|(n, _)| *n == name)
                .ok_or_else(|| {
                    let known: Vec<_> = theme::BUILTIN.iter().map(|(n, _)| *n).collect();
                    format!("unknown theme {name:?} (built-in: {})", known.join(", "))
                })?
                .1;
            Theme::parse(text, name, no_color)?
        }
    };
    Ok(Config {
        settings,
        thresholds,
        keymap,
        theme,
    })
}
