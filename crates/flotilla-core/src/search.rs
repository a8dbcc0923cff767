//! `:search` across a Clusterpedia index: the query as typed, the request it makes of the
//! index's collection of every synced kind (`collectionresources/any`), and the objects that
//! come back, each with the cluster it is in.

use crate::model::ResourceInfo;
use crate::text::clean;
use serde_json::Value;

pub const USAGE: &str =
    ":search [NAME] [kind:KIND,…] [-n NS,…] [@CLUSTER,…] [-l SELECTOR] [owner:NAME]";

/// How many objects one search brings at most.
pub const LIMIT: usize = 500;

/// The kinds searched when none is named (those the index syncs).
const DEFAULT_KINDS: &[&str] = &[
    "pods",
    "deployments",
    "statefulsets",
    "daemonsets",
    "jobs",
    "cronjobs",
    "services",
    "configmaps",
    "namespaces",
    "nodes",
];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// A part of the name (the index matches it anywhere in the name).
    pub name: Option<String>,
    /// Kinds as typed (`deploy`, `pods`, `certificates.cert-manager.io`).
    pub kinds: Vec<String>,
    pub namespaces: Vec<String>,
    pub clusters: Vec<String>,
    /// A label selector, as `kubectl -l` takes it.
    pub labels: Option<String>,
    /// A part of an owner's name; the index answers owner queries on one cluster only, so
    /// this one filters what came back.
    pub owner: Option<String>,
}

/// `:search web kind:deploy,po -n shop @prod -l tier=backend owner:api`
pub fn parse(args: &str) -> Result<Query, String> {
    let mut q = Query::default();
    let list = |s: &str| -> Vec<String> {
        s.split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut words = args.split_whitespace();
    while let Some(w) = words.next() {
        if let Some(c) = w.strip_prefix('@') {
            q.clusters.extend(list(c));
        } else if let Some(k) = w.strip_prefix("kind:") {
            q.kinds.extend(list(k));
        } else if let Some(o) = w.strip_prefix("owner:") {
            q.owner = Some(o.to_string()).filter(|o| !o.is_empty());
        } else if w == "-n" || w == "--namespace" {
            q.namespaces.extend(list(
                words
                    .next()
                    .ok_or(format!("-n needs a namespace: {USAGE}"))?,
            ));
        } else if w == "-l" || w == "--selector" {
            q.labels = Some(
                words
                    .next()
                    .ok_or(format!("-l needs a selector: {USAGE}"))?
                    .to_string(),
            );
        } else if w == "-A" || w == "--all-namespaces" {
            q.namespaces.clear();
        } else if w.starts_with('-') {
            return Err(format!("{w:?}: {USAGE}"));
        } else if q.name.replace(w.to_string()).is_some() {
            return Err(format!("one name at a time: {USAGE}"));
        }
    }
    if q == Query::default() {
        return Err(format!("what to search for: {USAGE}"));
    }
    Ok(q)
}

/// The kinds to ask for: those named (resolved against what the index serves), else the
/// usual ones it serves. The index answers nothing at all when asked for a kind it does not
/// sync, so only served ones are asked for.
pub fn kinds<'a>(q: &Query, served: &[&'a ResourceInfo]) -> Result<Vec<&'a ResourceInfo>, String> {
    if q.kinds.is_empty() {
        let usual: Vec<&ResourceInfo> = DEFAULT_KINDS
            .iter()
            .filter_map(|k| {
                served.iter().copied().find(|r| {
                    r.key.plural == *k && matches!(r.key.group.as_str(), "" | "apps" | "batch")
                })
            })
            .collect();
        return if usual.is_empty() {
            Err("the index serves none of the usual kinds: name one with kind:".into())
        } else {
            Ok(usual)
        };
    }
    q.kinds
        .iter()
        .map(|k| {
            crate::kinds::resource::resolve(k, served.iter().copied())
                .ok_or_else(|| format!("the index serves no kind {k:?}"))
        })
        .collect()
}

/// The request of `q` over `kinds`, on the index's API.
pub fn path(q: &Query, kinds: &[&ResourceInfo]) -> String {
    let enc = crate::text::url_encode;
    let mut query = vec!["onlyMetadata=true".to_string(), format!("limit={LIMIT}")];
    for r in kinds {
        // `/pods` for the core group, `apps/deployments` otherwise.
        query.push(format!(
            "resources={}",
            enc(&format!("{}/{}", r.key.group, r.key.plural))
        ));
    }
    if !q.clusters.is_empty() {
        query.push(format!("clusters={}", enc(&q.clusters.join(","))));
    }
    if !q.namespaces.is_empty() {
        query.push(format!("namespaces={}", enc(&q.namespaces.join(","))));
    }
    let mut selector: Vec<String> = Vec::new();
    if let Some(n) = &q.name {
        selector.push(format!("internalstorage.clusterpedia.io/fuzzy-name={n}"));
    }
    if let Some(l) = &q.labels {
        selector.push(l.clone());
    }
    if !selector.is_empty() {
        query.push(format!("labelSelector={}", enc(&selector.join(","))));
    }
    format!(
        "/apis/clusterpedia.io/v1beta1/collectionresources/any?{}",
        query.join("&")
    )
}

/// One object the index found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub cluster: String,
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub created: Option<String>,
    pub owners: Vec<String>,
}

/// The objects in the index's answer (every string cleaned: it comes from many clusters),
/// those of `q.owner` only when it names one.
pub fn found(answer: &Value, q: &Query) -> Vec<Found> {
    let items = answer
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let s = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_str).map(clean);
    let mut out: Vec<Found> = items
        .iter()
        .filter_map(|i| {
            Some(Found {
                cluster: s(
                    i,
                    "/metadata/annotations/shadow.clusterpedia.io~1cluster-name",
                )?,
                api_version: s(i, "/apiVersion").unwrap_or_default(),
                kind: s(i, "/kind").unwrap_or_default(),
                namespace: s(i, "/metadata/namespace").unwrap_or_default(),
                name: s(i, "/metadata/name")?,
                uid: s(i, "/metadata/uid").unwrap_or_default(),
                created: s(i, "/metadata/creationTimestamp"),
                owners: i
                    .pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .map(|os| os.iter().filter_map(|o| s(o, "/name")).collect())
                    .unwrap_or_default(),
            })
        })
        .collect();
    if let Some(owner) = &q.owner {
        out.retain(|f| f.owners.iter().any(|o| o.contains(owner.as_str())));
    }
    out.sort_by(|a, b| {
        (&a.cluster, &a.kind, &a.namespace, &a.name).cmp(&(
            &b.cluster,
            &b.kind,
            &b.namespace,
            &b.name,
        ))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_query_reads_as_typed() {
        let q = parse("web kind:deploy,po -n shop @prod,dev -l tier=backend owner:api").unwrap();
        assert_eq!(q.name.as_deref(), Some("web"));
        assert_eq!(q.kinds, ["deploy", "po"]);
        assert_eq!(q.namespaces, ["shop"]);
        assert_eq!(q.clusters, ["prod", "dev"]);
        assert_eq!(q.labels.as_deref(), Some("tier=backend"));
        assert_eq!(q.owner.as_deref(), Some("api"));
        assert!(parse("").is_err());
        assert!(parse("a b").unwrap_err().contains("one name"));
        assert!(parse("-x").is_err());
    }

    #[test]
    fn the_request_asks_for_served_kinds_with_the_names_and_selectors() {
        let builtin = crate::kinds::resource::builtin();
        let served: Vec<&ResourceInfo> = builtin.iter().collect();
        let q = parse("web kind:deploy,po -n shop @prod -l tier=backend").unwrap();
        let kinds = kinds(&q, &served).unwrap();
        let path = path(&q, &kinds);
        assert_eq!(
            path,
            "/apis/clusterpedia.io/v1beta1/collectionresources/any?onlyMetadata=true&limit=500\
             &resources=apps%2Fdeployments&resources=%2Fpods&clusters=prod&namespaces=shop\
             &labelSelector=internalstorage.clusterpedia.io%2Ffuzzy-name%3Dweb%2Ctier%3Dbackend"
        );
        let none: Vec<&ResourceInfo> = Vec::new();
        assert!(self::kinds(&parse("web").unwrap(), &none).is_err());
        let usual = self::kinds(&parse("web").unwrap(), &served).unwrap();
        assert!(usual.iter().any(|r| r.key.plural == "pods"));
        assert!(usual.iter().any(|r| r.key.plural == "deployments"));
    }

    #[test]
    fn found_objects_carry_their_cluster_and_owner_filters() {
        let answer = json!({"items": [
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1\u{1b}[31m", "namespace": "shop", "uid": "u1",
              "annotations": {"shadow.clusterpedia.io/cluster-name": "prod"},
              "ownerReferences": [{"name": "web-7d"}]}},
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop",
              "annotations": {"shadow.clusterpedia.io/cluster-name": "dev"}}},
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "no-cluster"}}
        ]});
        let all = found(&answer, &Query::default());
        let names: Vec<(&str, &str)> = all
            .iter()
            .map(|f| (f.cluster.as_str(), f.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [("dev", "web"), ("prod", "web-1")],
            "escapes cleaned"
        );
        let owned = found(&answer, &parse("owner:web-7").unwrap());
        assert_eq!(owned.len(), 1);
        assert_eq!(owned[0].kind, "Pod");
    }
}
