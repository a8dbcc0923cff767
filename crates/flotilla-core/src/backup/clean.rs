//! What a backup keeps of an object: what its owner wrote, not what the cluster filled in.
//! Restored into any cluster, the cleaned object makes the cluster fill those in again (a new
//! uid, its own clusterIP), and cleaning the restored object gives the same YAML back.
//!
//! The rules follow kubectl-neat's metadata rules and Velero's restore actions; defaults the
//! server adds are kept (they are what the object meant on the cluster it came from, and
//! removing them would depend on the server version).

use serde_json::{Map, Value};

/// Why an object is not backed up at all, or `None` when it is.
pub fn skip_reason(obj: &Value) -> Option<&'static str> {
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let name = obj.pointer("/metadata/name").and_then(Value::as_str);
    if obj.pointer("/metadata/deletionTimestamp").is_some() {
        return Some("being deleted");
    }
    let controlled = obj
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| {
            refs.iter()
                .any(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        });
    if controlled {
        return Some("owned by a controller (it makes them again)");
    }
    match kind {
        "Secret"
            if obj.get("type").and_then(Value::as_str)
                == Some("kubernetes.io/service-account-token") =>
        {
            Some("service-account token (the cluster issues its own)")
        }
        "ConfigMap" if name == Some("kube-root-ca.crt") => {
            Some("the cluster's CA bundle (every namespace gets its own)")
        }
        "ServiceAccount" if name == Some("default") && plain_default(obj) => {
            Some("the namespace's default ServiceAccount (every namespace gets one)")
        }
        _ => None,
    }
}

/// A `default` ServiceAccount nobody changed: nothing but its name.
fn plain_default(obj: &Value) -> bool {
    let meta_empty = |key: &str| {
        obj.pointer(&format!("/metadata/{key}"))
            .and_then(Value::as_object)
            .is_none_or(Map::is_empty)
    };
    meta_empty("labels")
        && meta_empty("annotations")
        && obj
            .get("imagePullSecrets")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
        && obj.get("automountServiceAccountToken").is_none()
}

/// Metadata the cluster writes.
const SERVER_META: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
    "managedFields",
    "generateName",
    // Only controller-owned objects have owners worth keeping, and those are not backed up;
    // any other owner's uid means nothing on the cluster restored into.
    "ownerReferences",
];

/// Annotations a controller keeps per cluster.
const SERVER_ANNOTATIONS: &[&str] = &[
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "pv.kubernetes.io/bind-completed",
    "pv.kubernetes.io/bound-by-controller",
    "pv.kubernetes.io/provisioned-by",
    "volume.beta.kubernetes.io/storage-provisioner",
    "volume.kubernetes.io/storage-provisioner",
    "volume.kubernetes.io/selected-node",
    "endpoints.kubernetes.io/last-change-trigger-time",
    "batch.kubernetes.io/job-tracking",
];

/// Labels the cluster sets: a namespace's name, a Job's uid (and its pods'), a bound pod's
/// node topology.
fn server_labels(kind: &str) -> &'static [&'static str] {
    match kind {
        "Namespace" => &["kubernetes.io/metadata.name"],
        "Job" => &["controller-uid", "batch.kubernetes.io/controller-uid"],
        "Pod" => &[
            "controller-uid",
            "batch.kubernetes.io/controller-uid",
            "topology.kubernetes.io/zone",
            "topology.kubernetes.io/region",
        ],
        _ => &[],
    }
}

/// Finalizers controllers add while the object is in use.
const SERVER_FINALIZERS: &[&str] = &[
    "kubernetes.io/pvc-protection",
    "kubernetes.io/pv-protection",
    "foregroundDeletion",
    "orphan",
    "batch.kubernetes.io/job-tracking",
];

pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The object as a backup holds it.
pub fn clean(obj: &Value) -> Value {
    let mut obj = obj.clone();
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let bound_by_controller = obj
        .pointer("/metadata/annotations/pv.kubernetes.io~1bound-by-controller")
        .and_then(Value::as_str)
        == Some("yes");
    if let Some(map) = obj.as_object_mut() {
        map.remove("status");
    }
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        clean_meta(meta, &kind);
    }
    match kind.as_str() {
        "Service" => service(&mut obj),
        "Pod" => {
            if let Some(spec) = obj.get_mut("spec") {
                pod_spec(spec);
            }
        }
        "Job" => job(&mut obj),
        // A claim the controller bound keeps its volume's name only on the cluster it came
        // from; one the user bound to a volume by name keeps it.
        "PersistentVolumeClaim" if bound_by_controller => {
            if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
                spec.remove("volumeName");
            }
        }
        "Namespace" => {
            if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
                spec.remove("finalizers");
                if spec.is_empty() {
                    obj.as_object_mut().map(|m| m.remove("spec"));
                }
            }
        }
        "ServiceAccount" => {
            // Token Secrets of old clusters, which are not backed up.
            let name = obj
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if let Some(secrets) = obj.get_mut("secrets").and_then(Value::as_array_mut) {
                let prefix = format!("{name}-token-");
                secrets.retain(|s| {
                    !s.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.starts_with(&prefix))
                });
                if secrets.is_empty() {
                    obj.as_object_mut().map(|m| m.remove("secrets"));
                }
            }
        }
        "StatefulSet" => {
            if let Some(claims) = obj
                .pointer_mut("/spec/volumeClaimTemplates")
                .and_then(Value::as_array_mut)
            {
                for c in claims {
                    if let Some(c) = c.as_object_mut() {
                        c.remove("status");
                    }
                }
            }
        }
        _ => {}
    }
    obj
}

fn clean_meta(meta: &mut Map<String, Value>, kind: &str) {
    for key in SERVER_META {
        meta.remove(*key);
    }
    let drop_keys = |meta: &mut Map<String, Value>, field: &str, keys: &[&str]| {
        if let Some(map) = meta.get_mut(field).and_then(Value::as_object_mut) {
            for k in keys {
                map.remove(*k);
            }
            if map.is_empty() {
                meta.remove(field);
            }
        }
    };
    let mut annotations: Vec<&str> = SERVER_ANNOTATIONS.to_vec();
    // On a Secret the last-applied annotation holds every value in plain text again.
    if kind == "Secret" {
        annotations.push(LAST_APPLIED);
    }
    drop_keys(meta, "annotations", &annotations);
    drop_keys(meta, "labels", server_labels(kind));
    if let Some(list) = meta.get_mut("finalizers").and_then(Value::as_array_mut) {
        list.retain(|f| !f.as_str().is_some_and(|f| SERVER_FINALIZERS.contains(&f)));
        if list.is_empty() {
            meta.remove("finalizers");
        }
    }
}

fn service(obj: &mut Value) {
    let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let headless = spec.get("clusterIP").and_then(Value::as_str) == Some("None");
    if !headless {
        spec.remove("clusterIP");
        spec.remove("clusterIPs");
    }
    spec.remove("healthCheckNodePort");
    if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports.iter_mut().filter_map(Value::as_object_mut) {
            p.remove("nodePort");
        }
    }
}

/// Scheduler and admission fill these in; the token volume is injected per pod.
fn pod_spec(spec: &mut Value) {
    let Some(spec) = spec.as_object_mut() else {
        return;
    };
    for key in [
        "nodeName",
        "priority",
        "serviceAccount",
        "ephemeralContainers",
    ] {
        spec.remove(key);
    }
    let injected = |name: &str| name.starts_with("kube-api-access-");
    if let Some(vols) = spec.get_mut("volumes").and_then(Value::as_array_mut) {
        vols.retain(|v| !v.get("name").and_then(Value::as_str).is_some_and(injected));
        if vols.is_empty() {
            spec.remove("volumes");
        }
    }
    for list in ["containers", "initContainers"] {
        for c in spec
            .get_mut(list)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            let Some(c) = c.as_object_mut() else { continue };
            if let Some(mounts) = c.get_mut("volumeMounts").and_then(Value::as_array_mut) {
                mounts.retain(|m| !m.get("name").and_then(Value::as_str).is_some_and(injected));
                if mounts.is_empty() {
                    c.remove("volumeMounts");
                }
            }
        }
    }
}

/// The Job controller writes a selector on the Job's uid unless the user chose one.
fn job(obj: &mut Value) {
    if obj.pointer("/spec/manualSelector").and_then(Value::as_bool) == Some(true) {
        return;
    }
    if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
        spec.remove("selector");
    }
    if let Some(labels) = obj
        .pointer_mut("/spec/template/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        for k in server_labels("Job") {
            labels.remove(*k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_the_cluster_wrote_goes_and_what_the_owner_wrote_stays() {
        let svc = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop", "uid": "u", "resourceVersion": "7",
                "creationTimestamp": "t", "managedFields": [{}], "labels": {"app": "web"},
                "annotations": {LAST_APPLIED: "{}"}},
            "spec": {"type": "NodePort", "clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"],
                "ports": [{"port": 80, "nodePort": 30080}], "selector": {"app": "web"}},
            "status": {"loadBalancer": {}}});
        assert_eq!(
            clean(&svc),
            json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"},
                    "annotations": {LAST_APPLIED: "{}"}},
                "spec": {"type": "NodePort", "ports": [{"port": 80}], "selector": {"app": "web"}}})
        );
        let headless = json!({"kind": "Service", "metadata": {"name": "pg"},
            "spec": {"clusterIP": "None", "clusterIPs": ["None"]}});
        assert_eq!(clean(&headless)["spec"]["clusterIP"], "None");
    }

    #[test]
    fn a_secrets_last_applied_copy_is_dropped_with_the_metadata_the_cluster_keeps() {
        let s = json!({"kind": "Secret", "metadata": {"name": "db",
            "annotations": {LAST_APPLIED: "{\"data\":{\"p\":\"aHVudGVy\"}}"},
            "finalizers": ["example.com/keep", "foregroundDeletion"],
            "ownerReferences": [{"kind": "Thing", "name": "x", "uid": "1"}]},
            "data": {"p": "aHVudGVy"}});
        assert_eq!(
            clean(&s),
            json!({"kind": "Secret", "metadata": {"name": "db",
                "finalizers": ["example.com/keep"]}, "data": {"p": "aHVudGVy"}})
        );
    }

    #[test]
    fn pods_jobs_and_claims_lose_what_scheduling_and_binding_set() {
        let pod = json!({"kind": "Pod", "metadata": {"name": "p",
                "labels": {"app": "x", "topology.kubernetes.io/zone": "a"}},
            "spec": {"nodeName": "n1", "priority": 0, "serviceAccount": "default",
                "volumes": [{"name": "kube-api-access-abcde", "projected": {}}, {"name": "data", "emptyDir": {}}],
                "containers": [{"name": "c", "volumeMounts": [{"name": "kube-api-access-abcde", "mountPath": "/var"}]}]}});
        assert_eq!(
            clean(&pod),
            json!({"kind": "Pod", "metadata": {"name": "p", "labels": {"app": "x"}},
                "spec": {"volumes": [{"name": "data", "emptyDir": {}}], "containers": [{"name": "c"}]}})
        );
        let job = json!({"kind": "Job", "metadata": {"name": "j"},
            "spec": {"selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u"}},
                "template": {"metadata": {"labels": {"batch.kubernetes.io/controller-uid": "u", "job-name": "j"}}}}});
        assert_eq!(
            clean(&job),
            json!({"kind": "Job", "metadata": {"name": "j"},
                "spec": {"template": {"metadata": {"labels": {"job-name": "j"}}}}})
        );
        let bound = |by: Option<&str>| {
            let mut c = json!({"kind": "PersistentVolumeClaim", "metadata": {"name": "c"},
                "spec": {"volumeName": "pv-1"}});
            if let Some(by) = by {
                c["metadata"]["annotations"] = json!({"pv.kubernetes.io/bound-by-controller": by});
            }
            clean(&c)
        };
        assert_eq!(bound(Some("yes"))["spec"], json!({}));
        assert_eq!(bound(None)["spec"]["volumeName"], "pv-1");
    }

    #[test]
    fn what_controllers_and_the_cluster_make_is_not_backed_up() {
        let owned = json!({"kind": "Pod", "metadata": {"name": "web-1",
            "ownerReferences": [{"kind": "ReplicaSet", "name": "web", "controller": true}]}});
        assert!(skip_reason(&owned).is_some());
        let token = json!({"kind": "Secret", "type": "kubernetes.io/service-account-token", "metadata": {"name": "t"}});
        assert!(skip_reason(&token).is_some());
        let plain = json!({"kind": "ServiceAccount", "metadata": {"name": "default"}});
        assert!(skip_reason(&plain).is_some());
        let changed = json!({"kind": "ServiceAccount", "metadata": {"name": "default"},
            "imagePullSecrets": [{"name": "registry"}]});
        assert_eq!(skip_reason(&changed), None);
        let bare = json!({"kind": "Pod", "metadata": {"name": "debug"}});
        assert_eq!(skip_reason(&bare), None);
    }
}
