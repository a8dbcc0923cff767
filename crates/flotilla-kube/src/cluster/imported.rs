//! Contexts flotilla imports (`flotilla ctx add`, `:ctx add`): a kubeconfig read from a file
//! or pasted, each of its contexts connected first (its version and who it is, or why not),
//! then saved to a file of flotilla's own: `contexts/<name>.yaml` in the config directory,
//! one file per import, 0600 in a 0700 directory. The user's kubeconfig is never written.
//! The files are read after the user's kubeconfig, so its names win.
//!
//! An import's clusters and users are renamed after the import (`<name>@flotilla-<file>`):
//! merged kubeconfigs keep the first entry of a name, and a cluster called `kubernetes` in a
//! pasted file must not quietly become the user's own `kubernetes`.

use super::connection::{build_client, whoami};
use super::request::timed;
use crate::model::Probed;
use kube::config::{Kubeconfig, NamedContext};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long one context may take to answer when it is checked.
const PROBE_WITHIN: Duration = Duration::from_secs(10);

/// Where imports are saved: `contexts/` in flotilla's config directory.
pub fn dir() -> Option<PathBuf> {
    crate::settings::config_dir().map(|d| d.join("contexts"))
}

/// The imports' files, in name order.
pub fn files() -> Vec<PathBuf> {
    let Some(dir) = dir() else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    out.sort();
    out
}

/// A kubeconfig as given: the file's (relative paths read from its directory), or pasted text.
pub fn read(source: Source) -> Result<Kubeconfig, String> {
    let kc = match &source {
        Source::File(path) => {
            Kubeconfig::read_from(path).map_err(|e| format!("{}: {e}", path.display()))?
        }
        Source::Text(text) => {
            Kubeconfig::from_yaml(text).map_err(|e| format!("not a kubeconfig: {e}"))?
        }
    };
    if kc.contexts.is_empty() {
        return Err("the kubeconfig has no contexts".into());
    }
    Ok(kc)
}

/// Where a kubeconfig to import comes from.
pub enum Source {
    File(PathBuf),
    Text(String),
}

/// The kubeconfig with its contexts renamed (`old → new`), every context's name checked.
pub fn renamed(mut kc: Kubeconfig, renames: &[(String, String)]) -> Result<Kubeconfig, String> {
    for (old, new) in renames {
        if new.trim().is_empty() || new.chars().any(char::is_control) {
            return Err(format!("{new:?} cannot name a context"));
        }
        let c = kc
            .contexts
            .iter_mut()
            .find(|c| c.name == *old)
            .ok_or_else(|| format!("the kubeconfig has no context {old:?} to rename"))?;
        c.name = new.clone();
    }
    let mut seen = std::collections::HashSet::new();
    for c in &kc.contexts {
        if !seen.insert(c.name.as_str()) {
            return Err(format!("two contexts are named {:?}", c.name));
        }
    }
    Ok(kc)
}

/// The names of `kc`'s contexts that are already known.
pub fn taken(kc: &Kubeconfig, known: &[String]) -> Vec<String> {
    kc.contexts
        .iter()
        .filter(|c| known.contains(&c.name))
        .map(|c| c.name.clone())
        .collect()
}

/// Each context of `kc` connected: its version and identity, or why it did not answer.
pub async fn probe(kc: &Kubeconfig) -> Vec<Probed> {
    let checks = kc.contexts.iter().map(|c| async {
        let result = tokio::time::timeout(PROBE_WITHIN, async {
            let client = build_client(&c.name, kc.clone()).await?;
            let version = timed(client.apiserver_version())
                .await
                .map_err(|e| e.message)?;
            Ok((version.git_version, whoami(&client).await))
        })
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {}s", PROBE_WITHIN.as_secs())));
        Probed {
            context: c.name.clone(),
            server: super::kubeconfig::server_of(kc, &c.name),
            result,
        }
    });
    futures::future::join_all(checks).await
}

/// Saves the contexts named in `keep` (with their clusters and users, renamed after the file)
/// to a new file of the import's own; its path, and the contexts as flotilla lists them.
pub fn save(kc: &Kubeconfig, keep: &[String]) -> Result<(PathBuf, Kubeconfig), String> {
    let dir = dir().ok_or("no config directory (set FLOTILLA_CONFIG_DIR)")?;
    crate::files::own_private_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let first = keep.first().ok_or("no context to save")?;
    let stem = free_stem(&dir, first);
    let suffix = format!("@flotilla-{stem}");
    let contexts: Vec<NamedContext> = kc
        .contexts
        .iter()
        .filter(|c| keep.contains(&c.name))
        .cloned()
        .map(|mut c| {
            if let Some(ctx) = c.context.as_mut() {
                ctx.cluster = format!("{}{suffix}", ctx.cluster);
                ctx.user = ctx.user.take().map(|u| format!("{u}{suffix}"));
            }
            c
        })
        .collect();
    let used = |name: &str, pick: fn(&NamedContext) -> Option<String>| {
        contexts
            .iter()
            .any(|c| pick(c).as_deref() == Some(&format!("{name}{suffix}")))
    };
    let clusters = kc
        .clusters
        .iter()
        .filter(|c| used(&c.name, |n| n.context.as_ref().map(|c| c.cluster.clone())))
        .cloned()
        .map(|mut c| {
            c.name = format!("{}{suffix}", c.name);
            c
        })
        .collect();
    let auth_infos = kc
        .auth_infos
        .iter()
        .filter(|u| used(&u.name, |n| n.context.as_ref()?.user.clone()))
        .cloned()
        .map(|mut u| {
            u.name = format!("{}{suffix}", u.name);
            u
        })
        .collect();
    let saved = Kubeconfig {
        api_version: Some("v1".into()),
        kind: Some("Config".into()),
        contexts,
        clusters,
        auth_infos,
        ..Kubeconfig::default()
    };
    let path = dir.join(format!("{stem}.yaml"));
    write(&path, &saved)?;
    Ok((path, saved))
}

/// Removes context `name` from the import that holds it (the file goes when it holds no
/// other); the file's path. A context flotilla did not import is not flotilla's to remove.
pub fn remove(name: &str) -> Result<PathBuf, String> {
    for path in files() {
        let Ok(mut kc) = Kubeconfig::read_from(&path) else {
            continue;
        };
        if !kc.contexts.iter().any(|c| c.name == name) {
            continue;
        }
        drop_context(&mut kc, name);
        if kc.contexts.is_empty() {
            std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        } else {
            let tmp = path.with_extension("yaml.new");
            let _ = std::fs::remove_file(&tmp);
            write(&tmp, &kc)?;
            std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        return Ok(path);
    }
    Err(format!(
        "{name:?} is not a context flotilla imported (flotilla ctx list); your kubeconfig is yours to edit"
    ))
}

/// `kc` without context `name`, nor the clusters and users no other context uses (so a later
/// import of the same name never meets a stale entry that merging would keep).
pub fn drop_context(kc: &mut Kubeconfig, name: &str) {
    kc.contexts.retain(|c| c.name != name);
    let clusters: Vec<String> = kc
        .contexts
        .iter()
        .filter_map(|c| Some(c.context.as_ref()?.cluster.clone()))
        .collect();
    let users: Vec<String> = kc
        .contexts
        .iter()
        .filter_map(|c| c.context.as_ref()?.user.clone())
        .collect();
    kc.clusters.retain(|c| clusters.contains(&c.name));
    kc.auth_infos.retain(|u| users.contains(&u.name));
}

/// The contexts of every import: (file, context name, server).
pub fn list() -> Vec<(PathBuf, String, String)> {
    let mut out = Vec::new();
    for path in files() {
        if let Ok(kc) = Kubeconfig::read_from(&path) {
            for c in &kc.contexts {
                let server = super::kubeconfig::server_of(&kc, &c.name);
                out.push((path.clone(), c.name.clone(), server));
            }
        }
    }
    out
}

/// A file name for an import named after its first context: the name's safe characters, and a
/// number when a file of that name exists.
fn free_stem(dir: &Path, name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(60)
        .collect();
    let safe = match safe.trim_matches('.') {
        "" => "context".to_string(),
        s => s.to_string(),
    };
    let mut stem = safe.clone();
    let mut n = 2;
    while dir.join(format!("{stem}.yaml")).exists() {
        stem = format!("{safe}-{n}");
        n += 1;
    }
    stem
}

/// Writes a kubeconfig for the user alone (0600), never through an existing file.
fn write(path: &Path, kc: &Kubeconfig) -> Result<(), String> {
    let text = serde_json::to_string_pretty(kc).map_err(|e| e.to_string())?;
    // JSON is YAML: kubectl reads the file as well as flotilla does.
    crate::files::write_private(path, &format!("{text}\n"))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Saves the contexts named in `keep` (see [`save`]) the way every change is audited: an
/// intent per context first (when one cannot be written nothing is saved), then the outcome.
pub async fn add(
    log: &std::sync::Arc<crate::ops::audit::AuditLog>,
    kc: &Kubeconfig,
    keep: &[String],
) -> Result<(PathBuf, Kubeconfig), String> {
    let mut intents = Vec::new();
    for name in keep {
        let record = record("context-add", name, &super::kubeconfig::server_of(kc, name));
        let change = serde_json::json!({ "contexts": keep });
        let intent = crate::ops::record::intend(log, record.clone(), change)
            .await
            .map_err(|e| format!("nothing imported: {e}"))?;
        intents.push((record, intent));
    }
    let saved = save(kc, keep);
    let file = saved.as_ref().map(|(p, _)| p.clone()).map_err(Clone::clone);
    for (record, intent) in intents {
        outcome(log, record, intent, &file).await;
    }
    saved
}

/// Removes an imported context (see [`remove`]), audited as [`add`] is.
pub async fn forget(
    log: &std::sync::Arc<crate::ops::audit::AuditLog>,
    name: &str,
) -> Result<PathBuf, String> {
    let Some(server) = list()
        .into_iter()
        .find(|(_, n, _)| n == name)
        .map(|(_, _, s)| s)
    else {
        // Not flotilla's: nothing to change, and `remove` says why.
        return remove(name);
    };
    let record = record("context-remove", name, &server);
    let change = serde_json::json!({ "contexts": [name] });
    let intent = crate::ops::record::intend(log, record.clone(), change)
        .await
        .map_err(|e| format!("nothing removed: {e}"))?;
    let removed = remove(name);
    outcome(log, record, intent, &removed).await;
    removed
}

/// A record of an import or a removal of `context`: a change of what flotilla connects to.
fn record(action: &str, context: &str, server: &str) -> crate::ops::audit::Record {
    use crate::ops::audit;
    audit::Record {
        user: audit::os_user(),
        host: audit::host_name(),
        context: context.to_string(),
        server: server.to_string(),
        action: action.to_string(),
        batch: crate::ops::record::batch_id(),
        target: audit::Target {
            kind: "Context".into(),
            name: context.to_string(),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The outcome of `intent`: the file on success. One that cannot be written leaves the
/// intent unanswered, which `flotilla audit verify` and the header report as unknown.
async fn outcome(
    log: &std::sync::Arc<crate::ops::audit::AuditLog>,
    record: crate::ops::audit::Record,
    intent: String,
    result: &Result<PathBuf, String>,
) {
    let record = crate::ops::audit::Record {
        time: jiff::Timestamp::now().to_string(),
        change: result
            .as_ref()
            .ok()
            .map(|p| serde_json::json!({ "file": p.display().to_string() })),
        result: if result.is_ok() { "ok" } else { "failed" }.into(),
        error: result.as_ref().err().cloned(),
        intent: Some(intent),
        ..record
    };
    if let Err(e) = crate::ops::record::append(log, record).await {
        tracing::error!("audit log: context outcome not recorded: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\n- name: d\n  cluster: {server: 'https://127.0.0.1:2'}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: prod\n  context: {cluster: c, user: u}\n- name: lab\n  context: {cluster: d, user: u}\n";

    #[test]
    fn renames_check_names_and_collisions() {
        let kc = read(Source::Text(TWO.into())).expect("parses");
        assert_eq!(taken(&kc, &["prod".into(), "dev".into()]), vec!["prod"]);
        let kc = renamed(kc, &[("prod".into(), "prod-2".into())]).expect("renamed");
        assert!(taken(&kc, &["prod".into()]).is_empty());
        assert!(renamed(kc.clone(), &[("nope".into(), "x".into())]).is_err());
        assert!(renamed(kc.clone(), &[("lab".into(), " ".into())]).is_err());
        assert!(
            renamed(kc, &[("lab".into(), "prod-2".into())]).is_err(),
            "two of a name"
        );
        assert!(read(Source::Text("apiVersion: v1\nkind: Config\n".into())).is_err());
        assert!(read(Source::Text("{not yaml".into())).is_err());
    }

    #[test]
    fn a_dropped_context_takes_only_what_no_other_uses() {
        let mut kc = read(Source::Text(TWO.into())).expect("parses");
        drop_context(&mut kc, "lab");
        let names = |v: Vec<&str>| v.into_iter().map(String::from).collect::<Vec<_>>();
        assert_eq!(
            kc.clusters
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>(),
            names(vec!["c"])
        );
        assert_eq!(kc.auth_infos.len(), 1, "the user prod still uses stays");
        drop_context(&mut kc, "prod");
        assert!(kc.contexts.is_empty() && kc.clusters.is_empty() && kc.auth_infos.is_empty());
    }
}
