//! What a rollback or an uninstall does to a release, computed as Helm's action package
//! computes it (pkg/action/rollback.go, uninstall.go, pkg/kube/client.go Update): pure
//! functions over the records and the live objects `ops::helm` read. Nothing here talks to a
//! server.
//!
//! - Rollback: the target revision's objects are created when missing and updated when
//!   present — by server-side apply as field manager `helm` when the revision was applied
//!   that way (Helm 4's `apply_method: ssa`), else by a three-way merge patch from the current
//!   revision's object, the target's and the live one (Helm 3's client-side update) — and the
//!   current revision's objects the target lacks are deleted, unless the live object says
//!   `helm.sh/resource-policy: keep`. A new record, revision N+1, says "Rollback to M".
//! - Uninstall: the newest revision's objects are deleted in Helm's uninstall order, except
//!   those the manifest marks keep and those another release owns; the records are deleted,
//!   or kept with status `uninstalled`.
//!
//! One difference from Helm, on purpose: a merge patch replaces a list as a whole where
//! Helm's strategic merge patch merges it by key, so an entry someone else added to a list of
//! a chart's object (not the chart) is removed. The plan shows it before anything is sent.

use super::manifest::Named;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The field manager Helm writes as; a rollback written as another would conflict with the
/// next `helm upgrade`.
pub const MANAGER: &str = "helm";
const POLICY: &str = "helm.sh/resource-policy";
const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
const RELEASE_NAME: &str = "meta.helm.sh/release-name";
const RELEASE_NAMESPACE: &str = "meta.helm.sh/release-namespace";

/// Helm's InstallOrder (pkg/release/v1/util/kind_sorter.go); uninstall is its reverse, with
/// webhooks first.
const INSTALL_ORDER: [&str; 38] = [
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];
const UNINSTALL_ORDER: [&str; 39] = [
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "Ingress",
    "IngressClass",
    "Service",
    "CronJob",
    "Job",
    "StatefulSet",
    "HorizontalPodAutoscaler",
    "Deployment",
    "ReplicaSet",
    "ReplicationController",
    "Pod",
    "DaemonSet",
    "RoleBindingList",
    "RoleBinding",
    "RoleList",
    "Role",
    "ClusterRoleBindingList",
    "ClusterRoleBinding",
    "ClusterRoleList",
    "ClusterRole",
    "CustomResourceDefinition",
    "PersistentVolumeClaim",
    "PersistentVolume",
    "StorageClass",
    "ConfigMap",
    "SecretList",
    "Secret",
    "ServiceAccount",
    "PodDisruptionBudget",
    "PodSecurityPolicy",
    "LimitRange",
    "ResourceQuota",
    "NetworkPolicy",
    "Namespace",
    "PriorityClass",
    // Not in Helm's list; unknown kinds go last there too.
    "",
];

/// Sorts as Helm's sortManifestsByKind: by the order's rank, unknown kinds last and by name
/// of kind, the manifest's order kept within a kind.
fn sort_by_kind(objs: &mut [Placed], order: &[&str]) {
    let rank = |k: &str| order.iter().position(|o| *o == k && !o.is_empty());
    objs.sort_by(|a, b| match (rank(&a.named.kind), rank(&b.named.kind)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.named.kind.cmp(&b.named.kind),
    });
}

/// A manifest object with where it lives on the server.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    pub named: Named,
    /// The object's own path.
    pub path: String,
    /// The collection it is created in.
    pub collection: String,
    /// Its namespace as applied (the release's when the manifest names none), empty for
    /// cluster-scoped kinds.
    pub namespace: String,
}

impl Placed {
    /// Two revisions name the same object when group, kind, namespace and name agree (the
    /// version may differ between charts).
    fn same(&self, other: &Placed) -> bool {
        self.named.group == other.named.group
            && self.named.kind == other.named.kind
            && self.namespace == other.namespace
            && self.named.name == other.named.name
    }

    pub fn title(&self) -> String {
        if self.namespace.is_empty() {
            format!("{} {}", self.named.kind, self.named.name)
        } else {
            format!("{} {}/{}", self.named.kind, self.namespace, self.named.name)
        }
    }
}

/// What a step does to one object.
#[derive(Clone, Debug, PartialEq)]
pub enum Doing {
    /// Not there: created with this body (applied, for server-side apply).
    Create(Value),
    /// Server-side apply of this body as `helm` (creating it when missing).
    Apply(Value),
    /// A merge patch.
    Patch(Value),
    /// The three-way patch is empty.
    Unchanged,
    Delete,
    /// Left in place, and why.
    Keep(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub obj: Placed,
    pub doing: Doing,
}

fn annotation<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

fn label<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.pointer("/metadata/labels")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

fn keeps(v: &Value) -> bool {
    annotation(v, POLICY).is_some_and(|p| p.trim().eq_ignore_ascii_case("keep"))
}

/// The object as Helm sends it: its namespace set, labelled and annotated as the release's
/// (setMetadataVisitor), so `helm upgrade` later adopts it.
fn prepared(p: &Placed, release: &str, namespace: &str) -> Value {
    let mut doc = p.named.doc.clone();
    let Some(meta) = doc
        .as_object_mut()
        .map(|o| o.entry("metadata").or_insert_with(|| json!({})))
        .and_then(Value::as_object_mut)
    else {
        return doc;
    };
    if !p.namespace.is_empty() {
        meta.insert("namespace".into(), json!(p.namespace));
    }
    let mut set = |field: &str, key: &str, value: &str| {
        let m = meta.entry(field).or_insert_with(|| json!({}));
        if !m.is_object() {
            *m = json!({});
        }
        if let Some(m) = m.as_object_mut() {
            m.insert(key.into(), json!(value));
        }
    };
    set("labels", MANAGED_BY, "Helm");
    set("annotations", RELEASE_NAME, release);
    set("annotations", RELEASE_NAMESPACE, namespace);
    doc
}

/// Whether the live object belongs to this release (Helm 4's checkOwnership): uninstall
/// leaves the objects of other releases alone.
fn owned(live: &Value, release: &str, namespace: &str) -> bool {
    label(live, MANAGED_BY) == Some("Helm")
        && annotation(live, RELEASE_NAME) == Some(release)
        && annotation(live, RELEASE_NAMESPACE) == Some(namespace)
}

/// `modified` through what `current` already holds: a list whose entries the live list
/// already has, field by field, is not a change (the server adds defaults to each entry).
fn holds(modified: &Value, current: &Value) -> bool {
    super::manifest::through(modified, current).as_ref() == Some(modified)
        && match (modified, current) {
            (Value::Array(m), Value::Array(c)) => m.len() == c.len(),
            _ => true,
        }
}

/// A three-way JSON merge patch (jsonmergepatch.CreateThreeWayJSONMergePatch): fields the
/// original had and the modified lacks are deleted, fields the modified sets that the live
/// object does not hold are set. Empty: nothing to send.
pub fn three_way(
    original: Option<&Value>,
    modified: &Value,
    current: Option<&Value>,
) -> Map<String, Value> {
    let mut patch = Map::new();
    let Some(m) = modified.as_object() else {
        return patch;
    };
    if let Some(o) = original.and_then(Value::as_object) {
        for k in o.keys() {
            if !m.contains_key(k) && current.and_then(|c| c.get(k)).is_some() {
                patch.insert(k.clone(), Value::Null);
            }
        }
    }
    for (k, mv) in m {
        let cv = current.and_then(|c| c.get(k));
        let ov = original.and_then(|o| o.get(k));
        match (mv, cv) {
            (Value::Object(_), Some(c @ Value::Object(_))) => {
                let sub = three_way(ov, mv, Some(c));
                if !sub.is_empty() {
                    patch.insert(k.clone(), Value::Object(sub));
                }
            }
            (Value::Null, None) => {}
            (_, Some(c)) if holds(mv, c) => {}
            _ => {
                patch.insert(k.clone(), mv.clone());
            }
        }
    }
    patch
}

/// The live objects by path: `None` where the server said it does not exist.
pub type Live = HashMap<String, Option<Value>>;

fn live_of<'a>(live: &'a Live, p: &Placed) -> Option<&'a Value> {
    live.get(&p.path).and_then(Option::as_ref)
}

/// The steps of rolling back from `current` (the newest revision's objects) to `target`.
pub fn rollback(
    current: &[Placed],
    target: &[Placed],
    live: &Live,
    server_side: bool,
    release: &str,
    namespace: &str,
) -> Vec<Step> {
    let mut target = target.to_vec();
    sort_by_kind(&mut target, &INSTALL_ORDER);
    let mut steps: Vec<Step> = target
        .iter()
        .map(|t| {
            let body = prepared(t, release, namespace);
            let doing = match live_of(live, t) {
                // Server-side apply creates what is missing, as Helm 4 does.
                _ if server_side => Doing::Apply(body),
                None => Doing::Create(body),
                Some(l) => {
                    // Helm's original is the current revision's object. One the current
                    // revision does not name has none: nothing of it is deleted, only set.
                    let original = current.iter().find(|c| c.same(t)).map(|c| &c.named.doc);
                    let patch = three_way(original, &body, Some(l));
                    if patch.is_empty() {
                        Doing::Unchanged
                    } else {
                        Doing::Patch(Value::Object(patch))
                    }
                }
            };
            Step {
                obj: t.clone(),
                doing,
            }
        })
        .collect();
    for c in current.iter().filter(|c| !target.iter().any(|t| t.same(c))) {
        let doing = match live_of(live, c) {
            None => continue,
            Some(l) if keeps(l) => Doing::Keep(format!("{POLICY}: keep")),
            Some(_) => Doing::Delete,
        };
        steps.push(Step {
            obj: c.clone(),
            doing,
        });
    }
    steps
}

/// The steps of uninstalling a release whose newest revision has these objects.
pub fn uninstall(objects: &[Placed], live: &Live, release: &str, namespace: &str) -> Vec<Step> {
    let mut objects = objects.to_vec();
    sort_by_kind(&mut objects, &UNINSTALL_ORDER);
    objects
        .into_iter()
        .filter_map(|o| {
            let doing = if keeps(&o.named.doc) {
                Doing::Keep(format!("{POLICY}: keep"))
            } else {
                match live_of(live, &o) {
                    None => return None,
                    Some(l) if !owned(l, release, namespace) => {
                        Doing::Keep("not owned by this release".into())
                    }
                    Some(_) => Doing::Delete,
                }
            };
            Some(Step { obj: o, doing })
        })
        .collect()
}

/// The record of revision `version` a rollback writes: the target's chart, values, manifest,
/// hooks and notes, the current one's first deployment, status pending-rollback until the
/// objects are applied.
pub fn rollback_record(current: &Value, target: &Value, now: &str) -> Result<Value, String> {
    let version = current
        .get("version")
        .and_then(Value::as_i64)
        .ok_or("the newest record has no version")?;
    let to = target
        .get("version")
        .and_then(Value::as_i64)
        .ok_or("the target record has no version")?;
    let mut r = Map::new();
    for k in ["name", "namespace"] {
        r.insert(k.into(), current.get(k).cloned().unwrap_or(Value::Null));
    }
    for k in [
        "chart",
        "config",
        "manifest",
        "hooks",
        "labels",
        "apply_method",
    ] {
        if let Some(v) = target.get(k) {
            r.insert(k.into(), v.clone());
        }
    }
    let mut info = Map::new();
    if let Some(first) = current.pointer("/info/first_deployed") {
        info.insert("first_deployed".into(), first.clone());
    }
    info.insert("last_deployed".into(), json!(now));
    info.insert("description".into(), json!(format!("Rollback to {to}")));
    info.insert("status".into(), json!("pending-rollback"));
    info.insert("rollback_revision".into(), json!(to));
    if let Some(notes) = target.pointer("/info/notes") {
        info.insert("notes".into(), notes.clone());
    }
    r.insert("info".into(), Value::Object(info));
    r.insert("version".into(), json!(version + 1));
    Ok(Value::Object(r))
}

/// The release with its status (and description, when given) set.
pub fn with_status(release: &Value, status: &str, description: Option<&str>) -> Value {
    let mut r = release.clone();
    if let Some(info) = r
        .as_object_mut()
        .map(|o| o.entry("info").or_insert_with(|| json!({})))
        .and_then(Value::as_object_mut)
    {
        info.insert("status".into(), json!(status));
        if let Some(d) = description {
            info.insert("description".into(), json!(d));
        }
    }
    r
}

/// The labels Helm's storage drivers put on a record: the release's own labels, then name,
/// owner, status, version, and `createdAt` (new) or `modifiedAt` (updated), in seconds.
pub fn record_labels(release: &Value, stamp: (&str, i64)) -> Map<String, Value> {
    let mut labels = release
        .get("labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let s = |p: &str| release.pointer(p).cloned().unwrap_or(Value::Null);
    labels.insert(stamp.0.into(), json!(stamp.1.to_string()));
    labels.insert("name".into(), s("/name"));
    labels.insert("owner".into(), json!("helm"));
    labels.insert("status".into(), s("/info/status"));
    labels.insert(
        "version".into(),
        json!(
            release
                .get("version")
                .and_then(Value::as_i64)
                .unwrap_or(0)
                .to_string()
        ),
    );
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(kind: &str, name: &str, doc: Value) -> Placed {
        Placed {
            named: Named {
                group: String::new(),
                version: "v1".into(),
                kind: kind.into(),
                name: name.into(),
                namespace: String::new(),
                doc,
            },
            path: format!("/api/v1/namespaces/apps/{}s/{name}", kind.to_lowercase()),
            collection: format!("/api/v1/namespaces/apps/{}s", kind.to_lowercase()),
            namespace: "apps".into(),
        }
    }

    #[test]
    fn three_way_deletes_what_the_target_dropped_and_sets_what_live_lacks() {
        let original = json!({"data": {"a": "1", "b": "2"}, "spec": {"list": [{"name": "x"}]}});
        let modified = json!({"data": {"a": "1", "c": "3"}, "spec": {"list": [{"name": "x"}]}});
        let live = json!({"data": {"a": "9", "b": "2"},
            "spec": {"list": [{"name": "x", "default": true}]}, "status": {}});
        let p = three_way(Some(&original), &modified, Some(&live));
        assert_eq!(
            Value::Object(p),
            json!({"data": {"a": "1", "b": null, "c": "3"}}),
            "a list the live one holds entry by entry is no change"
        );
        let p = three_way(
            Some(&modified),
            &modified,
            Some(&json!({"data": {"a": "1", "c": "3"},
            "spec": {"list": [{"name": "x"}, {"name": "sidecar"}]}})),
        );
        assert_eq!(Value::Object(p), json!({"spec": {"list": [{"name": "x"}]}}));
        assert!(three_way(Some(&modified), &modified, Some(&modified)).is_empty());
    }

    #[test]
    fn rollback_creates_updates_deletes_and_keeps() {
        let cm = |name: &str, v: &str| {
            json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name}, "data": {"v": v}})
        };
        let current = vec![
            placed("ConfigMap", "same", cm("same", "2")),
            placed("ConfigMap", "extra", cm("extra", "2")),
            placed("ConfigMap", "kept", cm("kept", "2")),
        ];
        let target = vec![
            placed("ConfigMap", "same", cm("same", "1")),
            placed(
                "Service",
                "gone",
                json!({"kind": "Service", "metadata": {"name": "gone"}}),
            ),
        ];
        let mut live = Live::new();
        let mut owned = prepared(&current[0], "web", "apps");
        owned["data"]["v"] = json!("2");
        live.insert(current[0].path.clone(), Some(owned));
        live.insert(current[1].path.clone(), Some(cm("extra", "2")));
        let mut kept = cm("kept", "2");
        kept["metadata"]["annotations"] = json!({POLICY: "keep"});
        live.insert(current[2].path.clone(), Some(kept));
        live.insert(target[1].path.clone(), None);
        let steps = rollback(&current, &target, &live, false, "web", "apps");
        let shown: Vec<(&str, &Doing)> = steps
            .iter()
            .map(|s| (s.obj.named.name.as_str(), &s.doing))
            .collect();
        assert_eq!(shown[0].0, "same", "ConfigMaps before Services");
        assert_eq!(shown[0].1, &Doing::Patch(json!({"data": {"v": "1"}})));
        assert!(matches!(shown[1], ("gone", Doing::Create(b))
            if b["metadata"]["namespace"] == "apps"
                && b["metadata"]["annotations"][RELEASE_NAME] == "web"
                && b["metadata"]["labels"][MANAGED_BY] == "Helm"));
        assert_eq!(shown[2], ("extra", &Doing::Delete));
        assert!(matches!(shown[3], ("kept", Doing::Keep(_))));
        let ssa = rollback(&current, &target, &live, true, "web", "apps");
        assert!(matches!(ssa[0].doing, Doing::Apply(_)));
    }

    #[test]
    fn uninstall_goes_in_helms_order_and_spares_kept_and_foreign_objects() {
        let dep = placed("Deployment", "web", json!({"kind": "Deployment"}));
        let svc = placed("Service", "web", json!({"kind": "Service"}));
        let kept = placed(
            "ConfigMap",
            "kept",
            json!({"metadata": {"annotations": {POLICY: "keep"}}}),
        );
        let foreign = placed("Secret", "shared", json!({}));
        let gone = placed("ConfigMap", "gone", json!({}));
        let mut live = Live::new();
        let mine = prepared(&dep, "web", "apps");
        for p in [&dep, &svc, &kept] {
            live.insert(p.path.clone(), Some(mine.clone()));
        }
        live.insert(
            foreign.path.clone(),
            Some(prepared(&foreign, "other", "apps")),
        );
        live.insert(gone.path.clone(), None);
        let steps = uninstall(&[dep, kept, svc, foreign, gone], &live, "web", "apps");
        let shown: Vec<(&str, bool)> = steps
            .iter()
            .map(|s| (s.obj.named.kind.as_str(), s.doing == Doing::Delete))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("Service", true),
                ("Deployment", true),
                ("ConfigMap", false),
                ("Secret", false)
            ]
        );
    }

    #[test]
    fn the_rollback_record_is_the_targets_with_the_next_version() {
        let current = json!({"name": "web", "namespace": "apps", "version": 3,
            "info": {"first_deployed": "t0", "status": "deployed", "notes": "new"},
            "chart": {"metadata": {"version": "1.4.1"}}, "config": {"a": 2}, "manifest": "m3"});
        let target = json!({"name": "web", "namespace": "apps", "version": 1,
            "info": {"first_deployed": "t0", "status": "superseded", "notes": "old"},
            "chart": {"metadata": {"version": "1.3.0"}}, "config": {"a": 1}, "manifest": "m1",
            "hooks": [{"name": "h"}]});
        let r = rollback_record(&current, &target, "t9").unwrap();
        assert_eq!(r["version"], 4);
        assert_eq!(r["manifest"], "m1");
        assert_eq!(r["config"], json!({"a": 1}));
        assert_eq!(r["chart"]["metadata"]["version"], "1.3.0");
        assert_eq!(r["info"]["description"], "Rollback to 1");
        assert_eq!(r["info"]["status"], "pending-rollback");
        assert_eq!(r["info"]["notes"], "old");
        assert_eq!(r["info"]["first_deployed"], "t0");
        let labels = record_labels(&with_status(&r, "deployed", None), ("createdAt", 9));
        assert_eq!(
            Value::Object(labels),
            json!({"createdAt": "9", "name": "web", "owner": "helm", "status": "deployed",
                "version": "4"})
        );
    }
}
