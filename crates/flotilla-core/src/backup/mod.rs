//! The backup center: a namespace (or the labelled part of one) as one portable archive, and
//! that archive restored into the same or another cluster with a plan first.
//!
//! An archive is a gzip-compressed tar that `tar xzf` opens: `manifest.json` first (what
//! was backed up, from where, when, with a SHA-256 per file), then one cleaned YAML file per
//! object under `resources/<resource>/namespaces/<ns>/<name>.yaml` (Velero's layout), in the
//! order a restore creates them. Secrets are one age-encrypted file, `secrets.yaml.age`,
//! unless the user chose to store them in plain text.
//!
//! Persistent volumes' data is not in a backup: claims are, with their specs.

pub mod archive;
pub mod clean;
pub mod job;
pub mod keys;
pub mod order;
pub mod restore;
pub mod shelf;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The archive format this flotilla writes and reads.
pub const FORMAT: &str = "flotilla-backup/1";

/// What an archive says about itself.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format: String,
    /// The flotilla version that wrote it.
    pub flotilla: String,
    /// RFC 3339, UTC: when the reads began.
    pub created: String,
    /// How long the reads took, in milliseconds.
    pub took_ms: u64,
    pub cluster: Source,
    pub selection: Selection,
    /// Objects per resource (`deployments.apps`, `configmaps`).
    pub counts: BTreeMap<String, usize>,
    /// Objects read but not kept, per resource and reason.
    pub skipped: BTreeMap<String, usize>,
    /// What could not be read (a forbidden list), so a restore knows what it lacks.
    pub warnings: Vec<String>,
    pub secrets: Secrets,
    /// Every object, in restore order.
    pub objects: Vec<Entry>,
}

/// The cluster a backup was read from.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Source {
    pub context: String,
    pub server: String,
    /// The server's `gitVersion`.
    pub version: String,
}

/// What the user asked to back up.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Selection {
    /// Every namespace the backup touches; each one's Namespace object is kept.
    pub namespaces: Vec<String>,
    pub selector: Option<String>,
    /// Empty: every kind.
    pub kinds: Vec<String>,
    /// Single objects (`deployments.apps/shop/web`), as marked in the TUI. A namespace with
    /// an object here holds only the objects named; the other namespaces are backed up whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objects: Vec<String>,
}

impl Selection {
    /// Whether this backup may hold Secrets, and so needs a key.
    pub fn wants_secrets(&self) -> bool {
        let secret = |k: &str| {
            let k = k.trim().to_lowercase();
            k == "secret" || k == "secrets"
        };
        let whole = self.namespaces.iter().any(|ns| !self.has_objects_in(ns));
        (whole && (self.kinds.is_empty() || self.kinds.iter().any(|k| secret(k))))
            || self
                .objects
                .iter()
                .any(|o| o.split('/').next().is_some_and(secret))
    }

    /// Whether `ns` is backed up as single objects rather than whole.
    pub fn has_objects_in(&self, ns: &str) -> bool {
        self.objects.iter().any(|o| o.split('/').nth(1) == Some(ns))
    }
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Encryption {
    /// Secrets stored as plain YAML (chosen with --no-encrypt-secrets).
    #[default]
    None,
    /// age, to X25519 recipients.
    X25519,
    /// age, to a passphrase (scrypt).
    Passphrase,
}

/// How the archive holds Secrets.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Secrets {
    pub encryption: Encryption,
    pub count: usize,
    /// The encrypted file's SHA-256, when there is one.
    pub sha256: Option<String>,
}

/// One object of the archive.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// `deployments.apps`; `configmaps` for the core group.
    pub resource: String,
    pub api_version: String,
    pub kind: String,
    /// Empty for cluster-scoped objects (CRDs, namespaces).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    pub name: String,
    /// The file holding it; `None` for a Secret inside the encrypted file.
    pub path: Option<String>,
    pub sha256: Option<String>,
}

impl Entry {
    /// `deployments.apps shop/web`, as the CLI and the plan name it.
    pub fn title(&self) -> String {
        if self.namespace.is_empty() {
            format!("{} {}", self.resource, self.name)
        } else {
            format!("{} {}/{}", self.resource, self.namespace, self.name)
        }
    }

    pub fn is_secret(&self) -> bool {
        self.kind == "Secret" && self.api_version == "v1"
    }
}

/// `resource` as an archive names it: plural, then `.group` unless core.
pub fn resource_name(group: &str, plural: &str) -> String {
    crate::model::ResKey::new(group, plural).to_string()
}

impl Manifest {
    /// "backed up dev (shop, data): 32 objects, …" — what a new archive holds, in a line.
    pub fn summary_line(&self, path: &std::path::Path, size: u64) -> String {
        let secrets = match (self.secrets.count, self.secrets.encryption) {
            (0, _) => String::new(),
            (n, Encryption::None) => format!(", {n} Secrets NOT encrypted"),
            (n, Encryption::X25519) => format!(", {n} Secrets encrypted to age recipients"),
            (n, Encryption::Passphrase) => format!(", {n} Secrets encrypted with a passphrase"),
        };
        format!(
            "backed up {} ({}): {} objects{secrets}, read in {:.1} s → {} ({})",
            self.cluster.context,
            self.selection.namespaces.join(", "),
            self.objects.len(),
            self.took_ms as f64 / 1000.0,
            path.display(),
            crate::human::bytes(size)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Selection;

    fn sel(namespaces: &[&str], kinds: &[&str], objects: &[&str]) -> Selection {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect();
        Selection {
            namespaces: v(namespaces),
            kinds: v(kinds),
            objects: v(objects),
            selector: None,
        }
    }

    #[test]
    fn only_a_backup_that_can_hold_secrets_needs_a_key() {
        assert!(sel(&["shop"], &[], &[]).wants_secrets());
        assert!(sel(&["shop"], &["Secrets"], &[]).wants_secrets());
        assert!(!sel(&["shop"], &["configmaps"], &[]).wants_secrets());
        let marked = sel(&["shop"], &[], &["deployments.apps/shop/web"]);
        assert!(
            !marked.wants_secrets(),
            "shop is only the marked Deployment"
        );
        assert!(sel(&["shop"], &[], &["secrets/shop/db"]).wants_secrets());
        let mixed = sel(&["shop", "data"], &[], &["configmaps/shop/web-config"]);
        assert!(mixed.wants_secrets(), "data is backed up whole");
    }
}
