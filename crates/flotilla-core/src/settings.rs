//! `config.toml` in the XDG config dir (`~/.config/flotilla/`, or `$FLOTILLA_CONFIG_DIR`): the
//! settings every layer reads. The terminal's own files (`keymap.toml`, themes) are the TUI's.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    pub theme: Option<String>,
    /// Named groups of contexts (names or globs), started with `--fleet NAME`.
    #[serde(default)]
    pub fleets: BTreeMap<String, Vec<String>>,
    /// Namespaces on the number keys 1–9.
    #[serde(default)]
    pub favourite_namespaces: Vec<String>,
    /// Seconds an exec credential plugin may run before it is killed (default 30).
    pub credential_plugin_timeout: Option<u64>,
    /// The command `s` runs in a container (default: bash, else sh).
    pub shell: Option<Vec<String>>,
    /// Lines a log pane keeps (default 100,000); older lines are dropped.
    pub log_buffer_lines: Option<usize>,
    /// Lines of each container a log pane starts with (default 200).
    pub log_tail_lines: Option<i64>,
    /// The fields of JSON log lines shown as columns (default level, msg).
    pub log_json_fields: Option<Vec<String>>,
    /// At most this many containers streamed by one pane (default 100).
    pub log_max_streams: Option<usize>,
    /// Refuse every change in every context (as `--read-only`).
    #[serde(default)]
    pub read_only: bool,
    /// Contexts (names or globs) that accept no change.
    #[serde(default)]
    pub read_only_contexts: Vec<String>,
    /// Fleets whose contexts accept no change.
    #[serde(default)]
    pub read_only_fleets: Vec<String>,
    /// Contexts (names or globs) where every change asks for the context's name.
    #[serde(default)]
    pub protected_contexts: Vec<String>,
    /// The operation audit log (default: `$FLOTILLA_AUDIT_LOG`, else audit.jsonl in the
    /// state dir).
    pub audit_log: Option<PathBuf>,
    /// Where `e` edits an object: `in-app` (default) or `external` (`$VISUAL`, `$EDITOR`).
    #[serde(default)]
    pub editor: EditorKind,
    /// `[triage]`: thresholds (`pending = "5m"`) and rules switched off.
    #[serde(default)]
    pub triage: crate::triage::TriageSettings,
    /// `[notify]`: webhooks told of triage changes.
    #[serde(default)]
    pub notify: crate::notify::NotifySettings,
    /// `[inspect]`: the thresholds of the inspection checks and the silenced findings.
    #[serde(default)]
    pub inspect: crate::inspect::InspectSettings,
    /// `[backup]`: where archives go, Secrets' keys, retention.
    #[serde(default)]
    pub backup: crate::backup::shelf::BackupSettings,
    /// `[debug]`: the debug container `b` adds to a pod and the node shell `s` opens on a node.
    #[serde(default)]
    pub debug: DebugSettings,
    /// `[[sources]]`: indexes whose clusters join the fleet without a kubeconfig entry each.
    #[serde(default)]
    pub sources: Vec<SourceSettings>,
}

/// One `[[sources]]` entry in config.toml.
#[derive(Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SourceSettings {
    pub kind: SourceKind,
    /// The kubeconfig context of the cluster that serves the index's API (Clusterpedia's
    /// aggregated apiserver is reached through its hub cluster).
    pub context: String,
    /// Seconds between two lists of what is on screen (default 15): the index serves no
    /// watch, so its rows are as old as the last list.
    pub relist_seconds: Option<u64>,
}

impl SourceSettings {
    pub fn clusterpedia(context: &str) -> SourceSettings {
        SourceSettings {
            kind: SourceKind::Clusterpedia,
            context: context.to_string(),
            relist_seconds: None,
        }
    }

    pub fn relist_every(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.relist_seconds.unwrap_or(15).max(2))
    }
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// Clusterpedia (clusterpedia.io): its PediaClusters become clusters of the fleet.
    Clusterpedia,
}

/// `[debug]` in config.toml.
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DebugSettings {
    /// The debug container's image (default busybox:1.36).
    pub image: Option<String>,
    /// The node shell pod's image (default busybox:1.36).
    pub node_shell_image: Option<String>,
    /// Where node shell pods are made (default `default`).
    pub node_shell_namespace: Option<String>,
    /// What the node shell runs in its pod (default `nsenter -t 1 -m -u -i -n -p -- sh`:
    /// a shell in the node's own namespaces).
    pub node_shell_command: Option<Vec<String>>,
}

impl DebugSettings {
    pub const DEFAULT_IMAGE: &str = "busybox:1.36";

    pub fn image(&self) -> String {
        self.image
            .clone()
            .unwrap_or_else(|| Self::DEFAULT_IMAGE.into())
    }

    pub fn node_shell_image(&self) -> String {
        self.node_shell_image
            .clone()
            .unwrap_or_else(|| Self::DEFAULT_IMAGE.into())
    }

    pub fn node_shell_namespace(&self) -> String {
        self.node_shell_namespace
            .clone()
            .unwrap_or_else(|| "default".into())
    }

    pub fn node_shell_command(&self) -> Vec<String> {
        match &self.node_shell_command {
            Some(c) if !c.is_empty() => c.clone(),
            _ => [
                "nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--", "sh",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

#[derive(Deserialize, Default, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum EditorKind {
    #[default]
    InApp,
    External,
}

impl Settings {
    pub fn log_buffer_lines(&self) -> usize {
        self.log_buffer_lines.unwrap_or(100_000).max(100)
    }

    pub fn log_tail_lines(&self) -> i64 {
        self.log_tail_lines.unwrap_or(200).max(1)
    }

    pub fn log_json_fields(&self) -> Vec<String> {
        self.log_json_fields
            .clone()
            .unwrap_or_else(|| vec!["level".into(), "msg".into()])
    }

    pub fn log_max_streams(&self) -> usize {
        self.log_max_streams.unwrap_or(100).max(1)
    }
    pub fn credential_plugin_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.credential_plugin_timeout.unwrap_or(30).max(1))
    }
}

pub fn config_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("FLOTILLA_CONFIG_DIR") {
        return Some(PathBuf::from(d));
    }
    directories::ProjectDirs::from("", "", "flotilla").map(|p| p.config_dir().to_path_buf())
}

pub fn read_optional(path: &std::path::Path) -> Result<Option<String>, String> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Reads `config.toml` (defaults when there is none) and checks the sections that are parsed
/// further (triage thresholds, webhooks, inspection), so a mistake is one line at start.
pub fn load() -> Result<(Settings, crate::triage::Thresholds), String> {
    let path = config_dir().map(|d| d.join("config.toml"));
    let settings = match &path {
        Some(p) => match read_optional(p)? {
            Some(t) => toml::from_str(&t).map_err(|e| format!("{}: {e}", p.display()))?,
            None => Settings::default(),
        },
        None => Settings::default(),
    };
    let at = |e: String| format!("{}: {e}", path.clone().unwrap_or_default().display());
    let thresholds = crate::triage::Thresholds::from_settings(&settings.triage).map_err(at)?;
    crate::notify::Plan::from_settings(&settings.notify).map_err(at)?;
    crate::inspect::Options::from_settings(&settings.inspect).map_err(at)?;
    Ok((settings, thresholds))
}
