//! The backup directory: where archives go when no file is named, what `:backups` and
//! `flotilla backup list` show, and the retention that prunes old archives. Archives of one
//! series (the same context and namespaces) are pruned together, so a daily backup of `shop`
//! does not push out the weekly one of `data`.

use super::Manifest;
use super::archive;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `[backup]` in config.toml.
#[derive(Deserialize, Debug, Default, Clone, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BackupSettings {
    /// Where archives go (default: `backups` in the state dir).
    pub dir: Option<PathBuf>,
    /// age X25519 recipients Secrets are encrypted to (`age1…`).
    #[serde(default)]
    pub recipients: Vec<String>,
    /// A file of recipients, one per line.
    pub recipients_file: Option<PathBuf>,
    /// The identity file a restore opens Secrets with.
    pub identity_file: Option<PathBuf>,
    /// Keep this many archives per series (newest first).
    pub keep_last: Option<usize>,
    /// Keep archives younger than this many days.
    pub keep_days: Option<u64>,
}

impl BackupSettings {
    pub fn dir(&self) -> PathBuf {
        self.dir
            .as_ref()
            .map(crate::files::expand_home)
            .unwrap_or_else(default_dir)
    }

    pub fn identity_file(&self) -> Option<PathBuf> {
        self.identity_file.as_ref().map(crate::files::expand_home)
    }

    pub fn recipients_file(&self) -> Option<PathBuf> {
        self.recipients_file.as_ref().map(crate::files::expand_home)
    }
}

pub fn default_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "flotilla")
        .map(|d| d.state_dir().unwrap_or(d.data_dir()).join("backups"))
        .unwrap_or_else(|| PathBuf::from("flotilla-backups"))
}

/// A file name for a new archive: context, namespaces and time, with nothing a file system
/// or shell would trip over.
pub fn file_name(context: &str, namespaces: &[String], created: jiff::Timestamp) -> String {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    let when = created.strftime("%Y%m%dT%H%M%SZ");
    let namespaces: Vec<String> = namespaces.iter().map(|n| safe(n)).collect();
    format!("{}_{}_{when}.tar.gz", safe(context), namespaces.join("+"))
}

/// One archive on the shelf.
#[derive(Clone, Debug, PartialEq)]
pub struct Shelved {
    pub path: PathBuf,
    pub size: u64,
    /// `Err`: the file is not a readable archive (why).
    pub manifest: Result<Manifest, String>,
}

impl Shelved {
    fn series(&self) -> Option<(String, Vec<String>)> {
        let m = self.manifest.as_ref().ok()?;
        Some((m.cluster.context.clone(), m.selection.namespaces.clone()))
    }

    fn created(&self) -> Option<jiff::Timestamp> {
        self.manifest.as_ref().ok()?.created.parse().ok()
    }
}

/// Every `*.tar.gz` in `dir`, newest first (unreadable ones last).
pub fn list(dir: &Path) -> Result<Vec<Shelved>, String> {
    let read = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    let mut out: Vec<Shelved> = read
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".tar.gz") && !name.starts_with('.')
        })
        .map(|path| Shelved {
            size: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
            manifest: archive::manifest(&path),
            path,
        })
        .collect();
    out.sort_by(|a, b| b.created().cmp(&a.created()).then(a.path.cmp(&b.path)));
    Ok(out)
}

/// The archives retention removes: per series, those beyond `keep-last` that are also older
/// than `keep-days` (either alone when only one is set). Unreadable files are never removed.
pub fn to_prune(shelf: &[Shelved], s: &BackupSettings, now: jiff::Timestamp) -> Vec<PathBuf> {
    if s.keep_last.is_none() && s.keep_days.is_none() {
        return Vec::new();
    }
    let mut seen: std::collections::HashMap<(String, Vec<String>), usize> = Default::default();
    let mut out = Vec::new();
    // `shelf` is newest first.
    for a in shelf {
        let (Some(series), Some(created)) = (a.series(), a.created()) else {
            continue;
        };
        let n = seen.entry(series).or_default();
        *n += 1;
        let beyond_count = s.keep_last.is_none_or(|k| *n > k);
        let too_old = s
            .keep_days
            .is_none_or(|d| now.duration_since(created).as_secs() > (d as i64) * 86_400);
        if beyond_count && too_old {
            out.push(a.path.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shelved(context: &str, ns: &str, created: &str) -> Shelved {
        Shelved {
            path: PathBuf::from(format!("{context}-{ns}-{created}")),
            size: 1,
            manifest: Ok(Manifest {
                created: created.into(),
                cluster: super::super::Source {
                    context: context.into(),
                    ..Default::default()
                },
                selection: super::super::Selection {
                    namespaces: vec![ns.into()],
                    ..Default::default()
                },
                ..Manifest::default()
            }),
        }
    }

    #[test]
    fn retention_counts_each_series_on_its_own_and_keeps_the_young() {
        let shelf = vec![
            shelved("prod", "shop", "2026-12-03T00:00:00Z"),
            shelved("prod", "data", "2026-12-02T00:00:00Z"),
            shelved("prod", "shop", "2026-12-02T00:00:00Z"),
            shelved("prod", "shop", "2026-11-01T00:00:00Z"),
            Shelved {
                path: "broken.tar.gz".into(),
                size: 0,
                manifest: Err("damaged".into()),
            },
        ];
        let now: jiff::Timestamp = "2026-12-03T12:00:00Z".parse().unwrap();
        let keep = |last, days| BackupSettings {
            keep_last: last,
            keep_days: days,
            ..Default::default()
        };
        let names = |v: Vec<PathBuf>| {
            v.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(to_prune(&shelf, &keep(Some(1), None), now)),
            [
                "prod-shop-2026-12-02T00:00:00Z",
                "prod-shop-2026-11-01T00:00:00Z"
            ]
        );
        assert_eq!(
            names(to_prune(&shelf, &keep(Some(1), Some(7)), now)),
            ["prod-shop-2026-11-01T00:00:00Z"]
        );
        assert_eq!(
            names(to_prune(&shelf, &keep(None, Some(7)), now)),
            ["prod-shop-2026-11-01T00:00:00Z"]
        );
        assert!(to_prune(&shelf, &keep(None, None), now).is_empty());
    }

    #[test]
    fn file_names_hold_nothing_a_shell_trips_over() {
        let t: jiff::Timestamp = "2026-12-03T10:20:30Z".parse().unwrap();
        assert_eq!(
            file_name("arn:aws:eks:eu/prod", &["shop".into(), "data".into()], t),
            "arn-aws-eks-eu-prod_shop+data_20261203T102030Z.tar.gz"
        );
    }
}
