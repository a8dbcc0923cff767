//! Folding what one cause makes of many objects into one row, and naming the nodes a
//! fold's pods run on.

use super::{Line, earliest};
use crate::model::ClusterId;
use crate::store::Store;
use std::collections::HashMap;
use std::sync::Arc;

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

/// Folds the rows of one problem on one cluster (or on the same clusters, folded) that stand
/// alone on more than `FOLD_AT` objects into one row counting them.
pub(super) fn fold_causes(lines: Vec<Line>) -> Vec<Line> {
    let alone = |l: &Line| {
        FOLDED.contains(&l.problem.rule)
            && l.problem.resolved.is_none()
            && l.events.is_empty()
            && l.pods.is_empty()
    };
    type Key = (Vec<String>, &'static str, String);
    let key = |l: &Line| -> Key { (l.clusters.clone(), l.problem.rule, l.problem.what.clone()) };
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

/// The nodes the pods of folded rows run on, most pods first: a flap's row names its nodes.
pub(super) fn name_nodes(lines: &mut [Line], store: &Store) {
    let pods = crate::model::ResKey::core("pods");
    let mut by_cluster: HashMap<ClusterId, HashMap<(&str, &str), &str>> = HashMap::new();
    for l in lines.iter_mut().filter(|l| l.objects > 0) {
        let cluster = l.problem.cluster;
        let Some(sheet) = store.sheet(cluster, &pods) else {
            continue;
        };
        // Built once per cluster, and only when a fold of pods needs it.
        let at = by_cluster.entry(cluster).or_insert_with(|| {
            sheet
                .rows()
                .filter_map(|(_, r)| {
                    let node = crate::triage::rules::cell(&sheet.columns, r, "node")?;
                    Some(((r.namespace.as_str(), r.name.as_str()), node))
                })
                .collect()
        });
        let mut count: HashMap<&str, usize> = HashMap::new();
        for m in &l.members {
            let Some(name) = m.object.strip_prefix("pod/") else {
                continue;
            };
            if let Some(node) = at.get(&(m.namespace.as_str(), name)) {
                *count.entry(node).or_default() += 1;
            }
        }
        let mut nodes: Vec<(String, usize)> =
            count.into_iter().map(|(n, c)| (n.to_string(), c)).collect();
        nodes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        l.nodes = nodes;
    }
}
