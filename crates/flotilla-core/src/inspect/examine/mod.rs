//! The examiners: each reads some kinds of the snapshot and records, check by check, every
//! object it examined and what it found (`Out::record`). One examiner per subject; each
//! object is judged once per check.

mod api;
mod certs;
mod cluster;
mod network;
mod nodes;
mod pods;
mod storage;
mod unused;
mod workloads;

use super::object::PodSpecAt;
use super::out::Out;
use super::settings::Options;
use super::snapshot::Snapshot;

/// What every examiner reads.
pub struct Ctx<'a> {
    pub snap: &'a Snapshot,
    pub opts: &'a Options,
    /// Every pod spec (`object::pod_specs`), read once.
    pub specs: Vec<PodSpecAt<'a>>,
}

pub fn all<'a>(cx: &Ctx<'a>, out: &mut Out<'a>) {
    pods::examine(cx, out);
    workloads::examine(cx, out);
    network::examine(cx, out);
    unused::examine(cx, out);
    storage::examine(cx, out);
    nodes::examine(cx, out);
    certs::examine(cx, out);
    api::examine(cx, out);
    cluster::examine(cx, out);
}

#[cfg(test)]
pub mod testing {
    //! Snapshots for examiners' tests, and their findings as one line each.

    use crate::inspect::report::ClusterReport;
    use crate::inspect::run::inspect;
    use crate::inspect::settings::Options;
    use crate::inspect::snapshot::{Kind, Snapshot, kinds};
    use serde_json::{Value, json};

    /// The time tests judge by: 2025-03-01T00:00:00Z.
    pub const NOW: i64 = 1_740_787_200;

    /// An object with a name (and a namespace, unless empty), merged with `rest`.
    pub fn obj(ns: &str, name: &str, rest: Value) -> Value {
        let mut v = json!({"metadata": {"name": name}});
        if !ns.is_empty() {
            v["metadata"]["namespace"] = json!(ns);
        }
        merge(&mut v, rest);
        v
    }

    fn merge(into: &mut Value, from: Value) {
        match (into, from) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, v) in b {
                    merge(a.entry(k).or_insert(Value::Null), v);
                }
            }
            (a, b) => *a = b,
        }
    }

    /// A snapshot where every kind was read (empty unless given), at `NOW`.
    pub fn snapshot(objects: Vec<(Kind, Value)>) -> Snapshot {
        let mut s = Snapshot::new(NOW);
        for k in kinds() {
            let items = objects
                .iter()
                .filter(|(kind, _)| *kind == k.kind)
                .map(|(_, v)| v.clone())
                .collect();
            s.set(k.kind, items);
        }
        s
    }

    pub fn report(snap: &Snapshot) -> ClusterReport {
        inspect("test", snap, &Options::default())
    }

    /// The check's findings as `namespace/Kind/name: detail` (`-` for no namespace).
    pub fn found(snap: &Snapshot, check: &str) -> Vec<String> {
        report(snap)
            .findings
            .iter()
            .filter(|f| f.check == check)
            .map(|f| {
                let ns = f.namespace.as_deref().unwrap_or("-");
                format!("{ns}/{}/{}: {}", f.kind, f.name, f.detail)
            })
            .collect()
    }

    /// How many objects the check examined.
    pub fn examined(snap: &Snapshot, check: &str) -> u64 {
        report(snap)
            .checks
            .get(check)
            .map_or(0, |s| s.count.examined)
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{obj, report, snapshot};
    use crate::inspect::checks::CHECKS;
    use crate::inspect::snapshot::Kind;
    use serde_json::json;

    /// Every check of the table is wired to an examiner: on a snapshot with one object of
    /// each kind, each examines something.
    #[test]
    fn every_check_examines_something() {
        let labelled = json!({"metadata": {"labels": {"app": "web"}}, "spec": {}});
        let two = json!({"spec": {"replicas": 2, "template": {"spec": {}}}});
        let mut snap = snapshot(vec![
            (Kind::Pod, obj("shop", "web", labelled)),
            (Kind::Deployment, obj("shop", "web", two.clone())),
            (Kind::StatefulSet, obj("shop", "db", two)),
            (
                Kind::Service,
                obj("shop", "web", json!({"spec": {"selector": {"app": "web"}}})),
            ),
            (Kind::Ingress, obj("shop", "front", json!({}))),
            (Kind::ConfigMap, obj("shop", "conf", json!({}))),
            (
                Kind::Secret,
                obj("shop", "tls", json!({"type": "kubernetes.io/tls"})),
            ),
            (Kind::ServiceAccount, obj("shop", "bot", json!({}))),
            (Kind::PersistentVolumeClaim, obj("shop", "data", json!({}))),
            (Kind::PersistentVolume, obj("", "pv", json!({}))),
            (Kind::HorizontalPodAutoscaler, obj("shop", "web", json!({}))),
            (Kind::PodDisruptionBudget, obj("shop", "web", json!({}))),
            (Kind::Node, obj("", "n1", json!({}))),
            (Kind::Namespace, obj("", "shop", json!({}))),
            (Kind::RoleBinding, obj("shop", "rb", json!({}))),
            (Kind::ClusterRoleBinding, obj("", "crb", json!({}))),
            (
                Kind::CustomResourceDefinition,
                obj("", "widgets.example.com", json!({})),
            ),
        ]);
        snap.api_versions = vec!["v1".into()];
        snap.crd_instances.insert("widgets.example.com".into(), 1);
        let r = report(&snap);
        let idle: Vec<&str> = CHECKS
            .iter()
            .map(|c| c.id)
            .filter(|id| r.checks.get(*id).is_none_or(|s| s.count.examined == 0))
            .collect();
        assert_eq!(idle, Vec::<&str>::new());
    }
}
