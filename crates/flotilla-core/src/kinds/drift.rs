//! Drift: the same object (or every object of a namespace) on two clusters, compared after
//! leaving out what each cluster sets for itself, so what remains is what someone chose.
//!
//! Left out (besides what `document::apply_body` drops: status, managedFields,
//! creationTimestamp, generation, selfLink, resourceVersion, uid and the Deployment revision
//! annotation):
//! - deletionTimestamp and deletionGracePeriodSeconds (times);
//! - the name, when it was generated from `generateName` (every cluster draws its own);
//! - the uid of each owner reference (the owner's kind and name stay);
//! - annotations controllers and kubectl write per cluster (`PER_CLUSTER_ANNOTATIONS`), and
//!   `kubectl.kubernetes.io/restartedAt` in pod templates (when a restart ran, not what runs);
//! - the Job controller's uid labels;
//! - on Services, the addresses and node ports the cluster allocated.
//!
//! Secret values are never shown: both sides are masked as the YAML view masks them, and a key
//! whose values differ reads `•••••••• (<cluster>'s value)` on each side, so it counts as
//! drift and says nothing about either value.

use crate::kinds::document::{self, MASK};
use crate::model::ResKey;
use serde_json::{Map, Value};

/// Unchanged lines shown around each change.
pub const CONTEXT: usize = 3;

/// Annotations a cluster's controllers (or kubectl) write for that cluster alone.
const PER_CLUSTER_ANNOTATIONS: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "pv.kubernetes.io/bind-completed",
    "pv.kubernetes.io/bound-by-controller",
    "volume.kubernetes.io/selected-node",
    "volume.kubernetes.io/storage-provisioner",
    "volume.beta.kubernetes.io/storage-provisioner",
    "kubernetes.io/service-account.uid",
    "endpoints.kubernetes.io/last-change-trigger-time",
    "control-plane.alpha.kubernetes.io/leader",
];

/// When `kubectl rollout restart` last ran: a time, set in the pod template.
const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// Labels the Job controller sets to the Job's uid (on the Job, its selector and template).
const UID_LABELS: &[&str] = &["controller-uid", "batch.kubernetes.io/controller-uid"];

fn remove_keys(map: Option<&mut Value>, keys: &[&str]) {
    if let Some(m) = map.and_then(Value::as_object_mut) {
        for k in keys {
            m.remove(*k);
        }
    }
}

/// Drops `field` from `parent` when it is an empty map: one side emptied of per-cluster
/// entries must read like the other side that never had any.
fn drop_if_empty(parent: Option<&mut Value>, field: &str) {
    if let Some(p) = parent.and_then(Value::as_object_mut)
        && p.get(field)
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
    {
        p.remove(field);
    }
}

/// The object without what each cluster sets for itself (the list is in the module's doc).
pub fn clean(obj: &Value) -> Value {
    let mut v = document::apply_body(obj);
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("deletionTimestamp");
        meta.remove("deletionGracePeriodSeconds");
        let generated = match (meta.get("generateName"), meta.get("name")) {
            (Some(Value::String(prefix)), Some(Value::String(name))) => {
                !prefix.is_empty() && name.starts_with(prefix.as_str())
            }
            _ => false,
        };
        if generated {
            meta.remove("name");
        }
        if let Some(owners) = meta
            .get_mut("ownerReferences")
            .and_then(Value::as_array_mut)
        {
            for o in owners {
                remove_keys(Some(o), &["uid"]);
            }
        }
    }
    remove_keys(
        v.pointer_mut("/metadata/annotations"),
        PER_CLUSTER_ANNOTATIONS,
    );
    remove_keys(
        v.pointer_mut("/spec/template/metadata/annotations"),
        &[RESTARTED_AT],
    );
    for labels in [
        "/metadata/labels",
        "/spec/selector/matchLabels",
        "/spec/template/metadata/labels",
    ] {
        remove_keys(v.pointer_mut(labels), UID_LABELS);
    }
    if v.get("kind").and_then(Value::as_str) == Some("Service") {
        remove_keys(
            v.get_mut("spec"),
            &["clusterIP", "clusterIPs", "healthCheckNodePort"],
        );
        if let Some(ports) = v.pointer_mut("/spec/ports").and_then(Value::as_array_mut) {
            for p in ports {
                remove_keys(Some(p), &["nodePort"]);
            }
        }
    }
    for (parent, field) in [
        ("/metadata", "annotations"),
        ("/metadata", "labels"),
        ("/spec/template/metadata", "annotations"),
        ("/spec/template/metadata", "labels"),
        ("/spec/selector", "matchLabels"),
    ] {
        drop_if_empty(v.pointer_mut(parent), field);
    }
    v
}

fn is_secret(v: &Value) -> bool {
    v.get("kind").and_then(Value::as_str) == Some("Secret")
}

/// Keys of a Secret's `field` whose (encoded) values differ between the two sides.
fn differing_keys(left: &Value, right: &Value, field: &str) -> Vec<String> {
    let (Some(l), Some(r)) = (
        left.get(field).and_then(Value::as_object),
        right.get(field).and_then(Value::as_object),
    ) else {
        return Vec::new();
    };
    l.iter()
        .filter(|(k, v)| r.get(*k).is_some_and(|rv| rv != *v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// One side as compared: cleaned, a Secret masked, its differing keys marked with `name`.
fn side(obj: &Value, other: Option<&Value>, name: &str) -> Value {
    let cleaned = clean(obj);
    if !is_secret(&cleaned) {
        return cleaned;
    }
    let other = other.map(clean);
    let mut masked = document::prepare(&cleaned, false);
    for field in ["data", "stringData"] {
        let keys = other
            .as_ref()
            .map(|o| differing_keys(&cleaned, o, field))
            .unwrap_or_default();
        if let Some(map) = masked.get_mut(field).and_then(Value::as_object_mut) {
            for k in keys {
                map.insert(k, Value::String(format!("{MASK} ({name}'s value)")));
            }
        }
    }
    masked
}

/// The YAML lines of both sides as compared (empty for a side without the object); `names`
/// are the clusters', for the marks on differing Secret values. Sanitized.
pub fn compared_lines(
    left: Option<&Value>,
    right: Option<&Value>,
    names: (&str, &str),
) -> (Vec<String>, Vec<String>) {
    let lines = |obj: Option<&Value>, other: Option<&Value>, name: &str| {
        obj.map(|o| document::plain_yaml_lines(&side(o, other, name)))
            .unwrap_or_default()
    };
    (lines(left, right, names.0), lines(right, left, names.1))
}

/// One row of a side-by-side diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    /// Where a hunk starts: its first line on each side (1-based).
    Hunk {
        left: usize,
        right: usize,
    },
    Same(String),
    /// Lines that differ, aligned: removed on the left, added on the right.
    Changed {
        left: Option<String>,
        right: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Drift {
    /// In hunks, `CONTEXT` unchanged lines around each change; empty when nothing differs.
    pub rows: Vec<Row>,
    /// Lines only on the left plus lines only on the right.
    pub changed: usize,
}

/// The drift from `left` to `right`, aligned for drawing side by side.
pub fn drift(left: &[String], right: &[String]) -> Drift {
    let old: Vec<&str> = left.iter().map(String::as_str).collect();
    let new: Vec<&str> = right.iter().map(String::as_str).collect();
    let d = similar::TextDiff::from_slices(&old, &new);
    let mut out = Drift::default();
    for group in d.grouped_ops(CONTEXT) {
        if let Some(first) = group.first() {
            out.rows.push(Row::Hunk {
                left: first.old_range().start + 1,
                right: first.new_range().start + 1,
            });
        }
        for op in &group {
            let (olds, news) = (op.old_range(), op.new_range());
            if let similar::DiffOp::Equal { .. } = op {
                out.rows
                    .extend(left[olds].iter().map(|l| Row::Same(l.clone())));
                continue;
            }
            out.changed += olds.len() + news.len();
            let rows = olds.len().max(news.len());
            for i in 0..rows {
                out.rows.push(Row::Changed {
                    left: left.get(olds.start + i).filter(|_| i < olds.len()).cloned(),
                    right: right
                        .get(news.start + i)
                        .filter(|_| i < news.len())
                        .cloned(),
                });
            }
        }
    }
    out
}

/// The rows as a unified diff: "@@ line N" (N on the right), "  " same, "- " only on the
/// left, "+ " only on the right; each run of changes its removals first.
pub fn unified(rows: &[Row]) -> Vec<String> {
    let mut out = Vec::new();
    let mut added = Vec::new();
    for row in rows {
        if !matches!(row, Row::Changed { .. }) {
            out.append(&mut added);
        }
        match row {
            Row::Hunk { right, .. } => out.push(format!("@@ line {right}")),
            Row::Same(l) => out.push(format!("  {l}")),
            Row::Changed { left, right } => {
                out.extend(left.iter().map(|l| format!("- {l}")));
                added.extend(right.iter().map(|r| format!("+ {r}")));
            }
        }
    }
    out.append(&mut added);
    out
}

/// Kinds a namespace comparison leaves out: records of what happened (Events), what
/// controllers derive from other objects (Endpoints, EndpointSlices, ReplicaSets,
/// ControllerRevisions), running instances (Pods: their names, nodes and token volumes are
/// the cluster's; their controllers' templates are compared), leader Leases and metrics.
pub fn compares_kind(key: &ResKey) -> bool {
    let skipped = matches!(
        (key.group.as_str(), key.plural.as_str()),
        ("", "events")
            | ("events.k8s.io", "events")
            | ("", "endpoints")
            | ("discovery.k8s.io", "endpointslices")
            | ("coordination.k8s.io", "leases")
            | ("", "pods")
            | ("apps", "replicasets")
            | ("apps", "controllerrevisions")
    );
    !skipped && key.group != "metrics.k8s.io"
}

/// Whether a listed object is compared: not one a controller made (its owner's drift covers
/// it), not one with a generated name (nothing on the other side to pair it with), not what
/// a cluster publishes about itself (its CA bundle, service account tokens).
pub fn compares_object(obj: &Value) -> bool {
    let meta = obj.get("metadata");
    let owned = meta
        .and_then(|m| m.get("ownerReferences"))
        .and_then(Value::as_array)
        .is_some_and(|os| {
            os.iter()
                .any(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
        });
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let generated = meta
        .and_then(|m| m.get("generateName"))
        .and_then(Value::as_str)
        .is_some_and(|p| !p.is_empty() && name.starts_with(p));
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let published = (kind == "ConfigMap" && name == "kube-root-ca.crt")
        || (kind == "Secret"
            && obj.get("type").and_then(Value::as_str)
                == Some("kubernetes.io/service-account-token"));
    !(owned || generated || published)
}

/// How one object of a namespace compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// Changed lines in the cleaned diff.
    Drifted(usize),
    OnlyLeft,
    OnlyRight,
    Equal,
}

/// One object of a namespace comparison, with both sides as listed.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub res: ResKey,
    pub kind: String,
    pub name: String,
    pub left: Option<Value>,
    pub right: Option<Value>,
    pub state: State,
}

fn name_of(v: &Value) -> Option<&str> {
    v.pointer("/metadata/name").and_then(Value::as_str)
}

/// Pairs a kind's compared objects on two clusters by name, each with how it compares.
pub fn pair(
    res: &ResKey,
    kind: &str,
    left: &[Value],
    right: &[Value],
    names: (&str, &str),
) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let compared = |items: &[Value]| -> Vec<(String, Value)> {
        items
            .iter()
            .filter(|v| compares_object(v))
            .filter_map(|v| Some((name_of(v)?.to_string(), v.clone())))
            .collect()
    };
    let mut rights = compared(right);
    for (name, l) in compared(left) {
        let r = rights
            .iter()
            .position(|(n, _)| *n == name)
            .map(|i| rights.remove(i).1);
        out.push(entry(res, kind, name, Some(l), r, names));
    }
    for (name, r) in rights {
        out.push(entry(res, kind, name, None, Some(r), names));
    }
    out
}

fn entry(
    res: &ResKey,
    kind: &str,
    name: String,
    left: Option<Value>,
    right: Option<Value>,
    names: (&str, &str),
) -> Entry {
    let state = match (&left, &right) {
        (Some(l), Some(r)) => {
            let (ll, rl) = compared_lines(Some(l), Some(r), names);
            match drift(&ll, &rl).changed {
                0 => State::Equal,
                n => State::Drifted(n),
            }
        }
        (Some(_), None) => State::OnlyLeft,
        _ => State::OnlyRight,
    };
    Entry {
        res: res.clone(),
        kind: crate::text::clean(kind),
        name: crate::text::clean(&name),
        left,
        right,
        state,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(replicas: u64, uid: &str, rv: &str) -> Value {
        json!({"apiVersion":"apps/v1","kind":"Deployment",
            "metadata":{"name":"web","namespace":"shop","uid":uid,"resourceVersion":rv,
                "generation":7,"creationTimestamp":"2026-01-01T00:00:00Z",
                "managedFields":[{"manager":"kubectl"}],
                "annotations":{"deployment.kubernetes.io/revision":"3",
                    "kubectl.kubernetes.io/last-applied-configuration":"{}"},
                "labels":{"app":"web"}},
            "spec":{"replicas":replicas,"selector":{"matchLabels":{"app":"web"}},
                "template":{"metadata":{"labels":{"app":"web"},
                    "annotations":{"kubectl.kubernetes.io/restartedAt":rv}},
                    "spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}},
            "status":{"readyReplicas":replicas,"observedGeneration":7}})
    }

    #[test]
    fn only_what_someone_chose_is_compared() {
        let (l, r) = compared_lines(
            Some(&deployment(3, "u1", "100")),
            Some(&deployment(5, "u2", "200")),
            ("staging", "prod"),
        );
        let text = l.join("\n");
        for gone in [
            "uid",
            "resourceVersion",
            "status",
            "managedFields",
            "generation",
            "creationTimestamp",
            "revision",
            "last-applied",
            "restartedAt",
            "annotations",
        ] {
            assert!(!text.contains(gone), "{gone} in {text}");
        }
        let d = drift(&l, &r);
        assert_eq!(d.changed, 2);
        let changed: Vec<&Row> = d
            .rows
            .iter()
            .filter(|r| matches!(r, Row::Changed { .. }))
            .collect();
        assert_eq!(
            changed,
            [&Row::Changed {
                left: Some("  replicas: 3".into()),
                right: Some("  replicas: 5".into())
            }]
        );
        assert!(matches!(d.rows[0], Row::Hunk { .. }), "{:?}", d.rows);
        let same = drift(&l, &l);
        assert_eq!(same, Drift::default());
    }

    #[test]
    fn unified_puts_removals_before_additions() {
        let lines = |s: &str| s.lines().map(str::to_string).collect::<Vec<_>>();
        let d = drift(&lines("a\nb\nc\nd\n"), &lines("a\nB\nC\nX\nd\n"));
        assert_eq!(d.changed, 5);
        assert_eq!(
            unified(&d.rows),
            ["@@ line 1", "  a", "- b", "- c", "+ B", "+ C", "+ X", "  d"]
        );
        // One side missing: everything is on the other.
        let d = drift(&lines("a\nb\n"), &[]);
        assert_eq!(unified(&d.rows), ["@@ line 1", "- a", "- b"]);
    }

    #[test]
    fn per_cluster_names_and_addresses_are_left_out() {
        let svc = |ip: &str, port: u64| {
            json!({"kind":"Service","metadata":{"name":"web-nodeport",
                "ownerReferences":[{"kind":"Thing","name":"t","uid":ip}]},
                "spec":{"type":"NodePort","clusterIP":ip,"clusterIPs":[ip],
                    "ports":[{"port":80,"nodePort":port}]}})
        };
        assert_eq!(
            clean(&svc("10.0.0.1", 30001)),
            clean(&svc("10.0.0.2", 30002))
        );
        let pod = |name: &str| {
            json!({"kind":"Pod","metadata":{"name":name,"generateName":"web-",
                "labels":{"batch.kubernetes.io/controller-uid":name}}})
        };
        assert_eq!(clean(&pod("web-abc")), clean(&pod("web-xyz")));
        assert!(!compares_object(&pod("web-abc")));
        let owned = json!({"kind":"ReplicaSet","metadata":{"name":"web-1",
            "ownerReferences":[{"kind":"Deployment","name":"web","controller":true}]}});
        assert!(!compares_object(&owned));
        let root_ca = json!({"kind":"ConfigMap","metadata":{"name":"kube-root-ca.crt"}});
        assert!(!compares_object(&root_ca));
        assert!(compares_object(
            &json!({"kind":"ConfigMap","metadata":{"name":"web-config"}})
        ));
        assert!(!compares_kind(&ResKey::core("events")));
        assert!(!compares_kind(&ResKey::new(
            "discovery.k8s.io",
            "endpointslices"
        )));
        assert!(compares_kind(&ResKey::new("apps", "deployments")));
    }

    #[test]
    fn secret_values_differ_without_being_shown() {
        let secret = |password: &str, user: &str| {
            json!({"kind":"Secret","metadata":{"name":"db"},"type":"Opaque",
                "data":{"password":password,"user":user}})
        };
        let (l, r) = compared_lines(
            Some(&secret("aHVudGVyMg==", "YWRtaW4=")),
            Some(&secret("c3dvcmRmaXNo", "YWRtaW4=")),
            ("staging", "prod"),
        );
        let all = [l.join("\n"), r.join("\n")].join("\n");
        assert!(
            !all.contains("aHVudGVyMg==") && !all.contains("c3dvcmRmaXNo"),
            "{all}"
        );
        assert!(
            !all.contains("YWRtaW4="),
            "equal values are masked too: {all}"
        );
        let d = drift(&l, &r);
        assert_eq!(d.changed, 2, "{:?}", d.rows);
        assert!(
            unified(&d.rows).contains(&format!("+   password: {MASK} (prod's value)")),
            "{:?}",
            unified(&d.rows)
        );
        let (l, r) = compared_lines(
            Some(&secret("aHVudGVyMg==", "YWRtaW4=")),
            Some(&secret("aHVudGVyMg==", "YWRtaW4=")),
            ("staging", "prod"),
        );
        assert_eq!(drift(&l, &r).changed, 0);
    }

    #[test]
    fn namespaces_pair_by_name() {
        let res = ResKey::new("apps", "deployments");
        let left = [
            deployment(3, "u1", "1"),
            json!({"kind":"Deployment",
            "metadata":{"name":"only-left"}}),
        ];
        let right = [
            json!({"kind":"Deployment","metadata":{"name":"only-right\u{1b}[31m"}}),
            deployment(5, "u2", "2"),
        ];
        let entries = pair(&res, "Deployment", &left, &right, ("staging", "prod"));
        let states: Vec<(&str, State)> =
            entries.iter().map(|e| (e.name.as_str(), e.state)).collect();
        assert_eq!(
            states,
            [
                ("web", State::Drifted(2)),
                ("only-left", State::OnlyLeft),
                ("only-right", State::OnlyRight)
            ]
        );
        let equal = pair(
            &res,
            "Deployment",
            &[deployment(3, "u1", "1")],
            &[deployment(3, "u2", "2")],
            ("a", "b"),
        );
        assert_eq!(equal[0].state, State::Equal);
    }
}
