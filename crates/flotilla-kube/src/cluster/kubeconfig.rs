//! Reads kubeconfig the way kubectl does (`--kubeconfig`, the `KUBECONFIG` list merged with
//! first-wins rules, `~/.kube/config`) and picks which contexts go live.

use crate::model::ContextEntry;
use kube::config::{ExecInteractiveMode, Kubeconfig};
use std::path::PathBuf;

pub struct LoadedKubeconfig {
    pub config: Kubeconfig,
    pub contexts: Vec<ContextEntry>,
    /// Files that could not be read or parsed; the rest still load.
    pub problems: Vec<String>,
}

/// The files to read, in kubectl's precedence.
pub fn kubeconfig_paths(explicit: &[PathBuf]) -> Vec<PathBuf> {
    if !explicit.is_empty() {
        return explicit.to_vec();
    }
    if let Some(list) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        return std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
    }
    directories::BaseDirs::new()
        .map(|d| vec![d.home_dir().join(".kube").join("config")])
        .unwrap_or_default()
}

pub fn load(paths: &[PathBuf]) -> Result<LoadedKubeconfig, String> {
    let mut merged: Option<Kubeconfig> = None;
    let mut problems = Vec::new();
    for path in paths {
        if !path.exists() && paths.len() > 1 {
            // kubectl silently skips missing entries of a KUBECONFIG list.
            continue;
        }
        match Kubeconfig::read_from(path) {
            Ok(kc) => {
                merged = Some(match merged.take() {
                    None => kc,
                    Some(m) => match m.clone().merge(kc) {
                        Ok(m) => m,
                        Err(e) => {
                            problems.push(format!("{}: {e}", path.display()));
                            m
                        }
                    },
                })
            }
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        }
    }
    let Some(mut config) = merged else {
        return Err(if problems.is_empty() {
            "no kubeconfig found (use --kubeconfig or set KUBECONFIG)".to_string()
        } else {
            format!("no usable kubeconfig: {}", problems.join("; "))
        });
    };
    // Credential plugins must never prompt: the TUI owns the terminal.
    for user in &mut config.auth_infos {
        if let Some(exec) = user.auth_info.as_mut().and_then(|a| a.exec.as_mut()) {
            exec.interactive_mode = Some(ExecInteractiveMode::Never);
        }
    }
    let contexts = entries_of(&config);
    Ok(LoadedKubeconfig {
        config,
        contexts,
        problems,
    })
}

/// The contexts of a kubeconfig as `:ctx` lists them.
pub fn entries_of(config: &Kubeconfig) -> Vec<ContextEntry> {
    config
        .contexts
        .iter()
        .map(|c| {
            let ctx = c.context.clone().unwrap_or_default();
            let server = config
                .clusters
                .iter()
                .find(|cl| cl.name == ctx.cluster)
                .and_then(|cl| cl.cluster.as_ref())
                .and_then(|cl| cl.server.clone())
                .unwrap_or_default();
            ContextEntry {
                name: c.name.clone(),
                cluster: ctx.cluster,
                user: ctx.user.unwrap_or_default(),
                namespace: ctx.namespace,
                server,
            }
        })
        .collect()
}

/// Which contexts start live: all, those matching the given names/globs, or the current one.
pub fn select(
    kc: &LoadedKubeconfig,
    patterns: &[String],
    all: bool,
) -> Result<Vec<String>, String> {
    let names: Vec<&str> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
    if all {
        return Ok(names.iter().map(|s| s.to_string()).collect());
    }
    if patterns.is_empty() {
        return match kc
            .config
            .current_context
            .as_deref()
            .filter(|c| !c.is_empty())
        {
            Some(cur) => Ok(vec![cur.to_string()]),
            None => names
                .first()
                .map(|n| vec![n.to_string()])
                .ok_or_else(|| "the kubeconfig has no contexts".to_string()),
        };
    }
    let mut out: Vec<String> = Vec::new();
    for pat in patterns {
        let matcher =
            glob::Pattern::new(pat).map_err(|e| format!("bad context pattern {pat:?}: {e}"))?;
        let hits: Vec<&&str> = names.iter().filter(|n| matcher.matches(n)).collect();
        if hits.is_empty() {
            return Err(format!(
                "no context matches {pat:?} (known: {})",
                names.join(", ")
            ));
        }
        for h in hits {
            if !out.iter().any(|o| o == *h) {
                out.push(h.to_string());
            }
        }
    }
    Ok(out)
}

/// The API server URL of a context ("" when the kubeconfig does not say).
pub fn server_of(kc: &kube::config::Kubeconfig, context: &str) -> String {
    kc.contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| kc.clusters.iter().find(|cl| cl.name == c.cluster))
        .and_then(|cl| cl.cluster.as_ref())
        .and_then(|cl| cl.server.clone())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kc(yaml: &str) -> LoadedKubeconfig {
        let dir = std::env::temp_dir().join(format!("flotilla-kc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(format!("{}.yaml", yaml.len()));
        std::fs::write(&p, yaml).unwrap();
        load(&[p]).unwrap()
    }

    const TWO: &str = "apiVersion: v1\nkind: Config\ncurrent-context: b\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: a-prod\n  context: {cluster: c, user: u, namespace: web}\n- name: b\n  context: {cluster: c, user: u}\n";

    #[test]
    fn selects_current_glob_and_all() {
        let k = kc(TWO);
        assert_eq!(select(&k, &[], false).unwrap(), vec!["b"]);
        assert_eq!(select(&k, &["a-*".into()], false).unwrap(), vec!["a-prod"]);
        assert_eq!(select(&k, &[], true).unwrap().len(), 2);
        assert!(
            select(&k, &["zzz".into()], false)
                .unwrap_err()
                .contains("no context matches")
        );
        assert_eq!(k.contexts[0].namespace.as_deref(), Some("web"));
        assert_eq!(k.contexts[0].server, "https://127.0.0.1:1");
    }

    #[test]
    fn broken_file_is_reported_not_fatal() {
        let dir = std::env::temp_dir().join(format!("flotilla-kc2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.yaml");
        let bad = dir.join("bad.yaml");
        std::fs::write(&good, TWO).unwrap();
        std::fs::write(&bad, "clusters: [: nope").unwrap();
        let k = load(&[bad, good]).unwrap();
        assert_eq!(k.contexts.len(), 2);
        assert_eq!(k.problems.len(), 1);
    }
}
