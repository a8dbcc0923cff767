//! Folding what one cause makes of many objects into one row, and naming the nodes a
//! fold's pods run on.

use super::{Line, earliest};
use crate::model::ClusterId;
use crate::store::Store;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Lone rows of one problem on more objects of a cluster than this fold into one row: a node
/// flap's `NodeNotReady` on every pod is one row, not fifty thousand.
const FOLD_AT: usize = 10;

/// The rules whose rows fold when many stand alone: what one cause (a node lost, a flap)
/// makes of many objects at once. Problems of their own (a crash loop, a failed Job) stay
/// rows each, however many.
const FOLDED: &[&str] = &[
    "warning-events",
    "node-not-ready",
    "pod-pending",
    "pod-terminating",
];

/// How many of a fold's objects its expansion lists.
pub(super) const MEMBERS_SHOWN: usize = 100;

/// What folds together: the clusters, the rule and what it reads, hashed (a rebuild under
/// churn folds thousands of rows, and this key is taken twice for each).
fn key(l: &Line) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&l.clusters, l.problem.rule, &l.problem.what).hash(&mut h);
    h.finish()
}

/// Folds the rows of one problem on one cluster (or on the same clusters, folded) that stand
/// alone on more than `FOLD_AT` objects into one row counting them.
pub(super) fn fold_causes(lines: Vec<Line>) -> Vec<Line> {
    let alone = |l: &Line| {
        FOLDED.contains(&l.problem.rule)
            && l.problem.resolved.is_none()
            && l.events.is_empty()
            && l.pods.is_empty()
    };
    type Key = u64;
    let mut sizes: HashMap<Key, usize> = HashMap::new();
    for l in lines.iter().filter(|l| alone(l)) {
        *sizes.entry(key(l)).or_default() += 1;
    }
    sizes.retain(|_, n| *n > FOLD_AT);
    if sizes.is_empty() {
        return lines;
    }
    let mut folded: HashMap<Key, usize> = HashMap::new();
    let mut out: Vec<Line> = Vec::with_capacity(lines.len());
    for l in lines {
        let k = key(&l);
        if !alone(&l) || !sizes.contains_key(&k) {
            out.push(l);
            continue;
        }
        let kind = l
            .problem
            .object
            .split_once('/')
            .map_or("", |(k, _)| k)
            .to_string();
        match folded.get(&k) {
            Some(&i) => {
                let row = &mut out[i];
                row.objects += 1;
                row.members.push(Arc::clone(&l.problem));
                let q = Arc::make_mut(&mut row.problem);
                q.count += l.problem.count;
                q.started = earliest(q.started, l.problem.started);
                if l.problem.since > q.since {
                    q.since = l.problem.since;
                    q.message.clone_from(&l.problem.message);
                }
                if q.namespace != l.problem.namespace {
                    q.namespace.clear();
                }
                if !q.object.starts_with(&kind) {
                    q.object = "objects".into();
                }
            }
            None => {
                folded.insert(k, out.len());
                let mut row = l;
                row.objects = 1;
                row.members.push(Arc::clone(&row.problem));
                let q = Arc::make_mut(&mut row.problem);
                q.object = format!("{kind}s");
                q.name.clear();
                q.uid.clear();
                out.push(row);
            }
        }
    }
    // `pods` becomes `39343 pods` once counted.
    for l in out.iter_mut().filter(|l| l.objects > 0) {
        let q = Arc::make_mut(&mut l.problem);
        q.object = format!("{} {}", l.objects, q.object);
    }
    out
}

/// The node of each pod, by (namespace, name).
type PodNodes = HashMap<(String, String), String>;

/// What `name_nodes` reuses between rebuilds.
#[derive(Default)]
pub(super) struct NodeOf {
    /// Where each pod of a cluster runs, by (namespace, name), and when that was read: for
    /// the folds of events, which name their pods but carry no uid.
    pods: HashMap<ClusterId, (Instant, PodNodes)>,
    /// Each fold's nodes, by what it folds, and when they were counted.
    folds: HashMap<u64, (Instant, Vec<(String, usize)>)>,
}

/// How long a pod-to-node map is reused: pods do not move between nodes, and rebuilding it
/// scans every pod of the cluster (tens of milliseconds at 20,000).
const NODE_OF_FOR: Duration = Duration::from_secs(5);

/// How long a fold's count of nodes is reused: a flap's pods stay where they are while the
/// list is rebuilt four times a second under churn.
const FOLD_NODES_FOR: Duration = Duration::from_secs(2);

/// The nodes the pods of folded rows run on, most pods first: a flap's row names its nodes.
/// A pod with a uid is looked up by it; the pods events name, by (namespace, name) in `cache`.
pub(super) fn name_nodes(lines: &mut [Line], store: &Store, cache: &mut NodeOf) {
    let pods = crate::model::ResKey::core("pods");
    cache
        .folds
        .retain(|_, (at, _)| at.elapsed() < FOLD_NODES_FOR);
    for l in lines.iter_mut().filter(|l| l.objects > 0) {
        let cluster = l.problem.cluster;
        let Some(sheet) = store.sheet(cluster, &pods) else {
            continue;
        };
        let fold = key(l);
        if let Some((_, nodes)) = cache.folds.get(&fold) {
            l.nodes.clone_from(nodes);
            continue;
        }
        let mut count: HashMap<String, usize> = HashMap::new();
        // Pods with a uid, by it, counted on the sheet's own text.
        let mut by_uid: HashMap<&str, usize> = HashMap::new();
        for m in l.members.iter().filter(|m| !m.uid.is_empty()) {
            if let Some((_, r)) = sheet.find(&m.uid)
                && let Some(node) = crate::triage::rules::cell(&sheet.columns, r, "node")
            {
                *by_uid.entry(node).or_default() += 1;
            }
        }
        // The pods events name (no uid), by (namespace, name) in the cached map.
        for m in l.members.iter().filter(|m| m.uid.is_empty()) {
            let Some(name) = m.object.strip_prefix("pod/") else {
                continue;
            };
            let (read, map) = cache
                .pods
                .entry(cluster)
                .or_insert_with(|| (Instant::now(), HashMap::new()));
            if map.is_empty() || read.elapsed() > NODE_OF_FOR {
                *read = Instant::now();
                *map = sheet
                    .rows()
                    .filter_map(|(_, r)| {
                        let node = crate::triage::rules::cell(&sheet.columns, r, "node")?;
                        Some(((r.namespace.clone(), r.name.clone()), node.to_string()))
                    })
                    .collect();
            }
            if let Some(node) = map.get(&(m.namespace.clone(), name.to_string())) {
                *count.entry(node.clone()).or_default() += 1;
            }
        }
        for (node, n) in by_uid {
            *count.entry(node.to_string()).or_default() += n;
        }
        let mut nodes: Vec<(String, usize)> = count.into_iter().collect();
        nodes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        cache.folds.insert(fold, (Instant::now(), nodes.clone()));
        l.nodes = nodes;
    }
}
