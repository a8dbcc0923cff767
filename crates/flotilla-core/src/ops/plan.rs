//! What an operation sends for one object, computed from the object as the server holds it
//! right now. Pure: the same op on the same object always gives the same calls.
//!
//! Every patch carries a precondition on the object's uid (in a merge patch as
//! `metadata.uid`, in a JSON patch as a `test`): the server refuses it when another object of
//! the same name took the one the user picked's place, instead of changing the wrong one.

use super::call::Call;
use crate::model::ObjectRef;
use crate::protocol::op::{HelmOp, MetaField, Op, Patch, PatchKind, Propagation, Taint};
use serde_json::{Map, Value, json};

/// The annotation that makes a StorageClass the cluster's default, and its beta name.
pub const DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";
pub const DEFAULT_CLASS_BETA: &str = "storageclass.beta.kubernetes.io/is-default-class";

/// The annotation `Op::Stop` keeps the replica count in, for `Op::Start`.
pub const STOPPED_REPLICAS: &str = "flotilla.dev/stopped-replicas";
/// The pod-template annotation `kubectl rollout restart` sets.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// The verb an operation is audited and confirmed as.
pub fn verb(op: &Op) -> &'static str {
    match op {
        Op::Delete { force: true, .. } => "force-delete",
        Op::Delete { grace: Some(0), .. } => "kill",
        Op::Delete { .. } => "delete",
        Op::Scale { .. } => "scale",
        Op::Stop => "stop",
        Op::Start => "start",
        Op::Restart => "restart",
        Op::Pause => "pause",
        Op::Resume => "resume",
        Op::SetImage { .. } => "set-image",
        Op::Meta {
            field: MetaField::Labels,
            ..
        } => "label",
        Op::Meta { .. } => "annotate",
        Op::Cordon => "cordon",
        Op::Uncordon => "uncordon",
        Op::Drain(_) => "drain",
        Op::Taint { .. } => "taint",
        Op::Trigger => "trigger",
        Op::Suspend(true) => "suspend",
        Op::Suspend(false) => "unsuspend",
        Op::Rollback { .. } => "rollback",
        Op::Strategy { .. } => "update-strategy",
        Op::Autoscale { .. } => "autoscale",
        Op::DefaultClass { .. } => "default-class",
        Op::ReclaimPolicy(_) => "reclaim-policy",
        Op::Resize(_) => "resize",
        Op::SetSpec { field: "rules", .. } => "edit-rules",
        Op::SetSpec { .. } => "edit-ports",
        Op::Apply { .. } => "apply",
        Op::Create { .. } => "create",
        Op::Helm {
            op: HelmOp::Rollback { .. },
            ..
        } => "helm-rollback",
        Op::Helm { .. } => "helm-uninstall",
        Op::Session { kind, .. } => kind,
        Op::Restore { .. } => "restore",
    }
}

/// One line saying what the op does to an object: "scale to 3", "delete (background)".
pub fn describe(op: &Op) -> String {
    match op {
        Op::Delete {
            propagation,
            grace,
            force,
        } => {
            let mut s = format!("delete ({})", propagation_name(*propagation).to_lowercase());
            if *force {
                s.push_str(", forced: grace 0, no wait for the kubelet");
            } else if let Some(g) = grace {
                s.push_str(&format!(", grace {g}s"));
            }
            s
        }
        Op::Scale { replicas } => format!("scale to {replicas}"),
        Op::Stop => "stop: scale to 0, remembering the count".into(),
        Op::Start => "start: scale back to the remembered count".into(),
        Op::Restart => "restart the rollout (new pods, one by one)".into(),
        Op::Pause => "pause the rollout".into(),
        Op::Resume => "resume the rollout".into(),
        Op::SetImage(images) => {
            let parts: Vec<String> = images.iter().map(|(c, i)| format!("{c}={i}")).collect();
            format!("set image {}", parts.join(" "))
        }
        Op::Meta { field, set, remove } => {
            let what = match field {
                MetaField::Labels => "labels",
                MetaField::Annotations => "annotations",
            };
            let mut parts: Vec<String> = set.iter().map(|(k, v)| format!("{k}={v}")).collect();
            parts.extend(remove.iter().map(|k| format!("{k}-")));
            format!("{what}: {}", parts.join(" "))
        }
        Op::Cordon => "cordon: no new pods are scheduled here".into(),
        Op::Uncordon => "uncordon: pods may be scheduled here again".into(),
        Op::Drain(o) => format!(
            "drain: cordon, then evict every pod (PodDisruptionBudgets respected, timeout {}s{}{})",
            o.timeout_secs,
            if o.force { ", unmanaged pods too" } else { "" },
            if o.delete_emptydir_data {
                ", emptyDir data is lost"
            } else {
                ""
            }
        ),
        Op::Taint { add, remove } => {
            let mut parts: Vec<String> = add
                .iter()
                .map(|t| format!("{}={}:{}", t.key, t.value, t.effect))
                .collect();
            parts.extend(remove.iter().map(|k| format!("{k}-")));
            format!("taints: {}", parts.join(" "))
        }
        Op::Trigger => "run a job now from the template".into(),
        Op::Suspend(true) => "suspend: no new jobs are scheduled".into(),
        Op::Suspend(false) => "resume: jobs are scheduled again".into(),
        Op::Rollback { revision, .. } => format!("roll back to revision {revision}"),
        Op::Strategy {
            max_surge,
            max_unavailable,
            partition,
        } => {
            let mut parts = Vec::new();
            if let Some(v) = max_surge {
                parts.push(format!("maxSurge={v}"));
            }
            if let Some(v) = max_unavailable {
                parts.push(format!("maxUnavailable={v}"));
            }
            if let Some(v) = partition {
                parts.push(format!("partition={v}"));
            }
            format!("update strategy: {}", parts.join(" "))
        }
        Op::Autoscale {
            min,
            max,
            cpu_percent,
        } => {
            let mut s = format!("replicas {}..{max}", min.unwrap_or(1));
            if let Some(c) = cpu_percent {
                s.push_str(&format!(", cpu target {c}%"));
            }
            s
        }
        Op::DefaultClass { class: Some(c) } => {
            format!("make {c} the default StorageClass; any other listed stops being the default")
        }
        Op::DefaultClass { class: None } => "stop being the default StorageClass".into(),
        Op::ReclaimPolicy(p) => format!("reclaim policy {p}"),
        Op::Resize(q) => format!("request {q} of storage"),
        Op::SetSpec {
            field: "rules",
            value,
        } => format!(
            "rules: {}",
            crate::ops::build::expose::rules_line(&json!({"spec": {"rules": value}}))
        ),
        Op::SetSpec { value, .. } => format!(
            "ports: {}",
            crate::ops::build::expose::ports_line(&json!({"spec": {"ports": value}}))
        ),
        Op::Apply {
            server_side: true,
            force,
            ..
        } => format!("server-side apply{}", if *force { " (forced)" } else { "" }),
        Op::Apply { .. } => "replace with the edited object".into(),
        Op::Create { .. } => "create".into(),
        Op::Helm {
            op: HelmOp::Rollback { revision },
            ..
        } => match revision {
            Some(n) => format!("roll the release back to revision {n}, as helm rollback does"),
            None => "roll the release back to the revision before, as helm rollback does".into(),
        },
        Op::Helm {
            op: HelmOp::Uninstall { keep_history },
            ..
        } => format!(
            "uninstall the release, as helm uninstall{} does",
            if *keep_history { " --keep-history" } else { "" }
        ),
        Op::Session { kind, detail } => format!("{kind} {detail}"),
        Op::Restore { plan, archive } => {
            format!("restore from {archive}: {}", plan.summary())
        }
    }
}

fn propagation_name(p: Propagation) -> &'static str {
    match p {
        Propagation::Background => "Background",
        Propagation::Foreground => "Foreground",
        Propagation::Orphan => "Orphan",
    }
}

/// The collection a new object of this kind is created in.
pub fn collection_path(obj: &ObjectRef) -> String {
    let path = obj.path();
    match path.rsplit_once('/') {
        Some((collection, _)) => collection.to_string(),
        None => path,
    }
}

fn merge(uid: &str, mut body: Value) -> Call {
    if let Some(m) = body.as_object_mut() {
        let meta = m.entry("metadata").or_insert_with(|| json!({}));
        if let Some(meta) = meta.as_object_mut() {
            meta.insert("uid".into(), json!(uid));
        }
    }
    Call::Patch {
        path: String::new(),
        patch: Patch {
            kind: PatchKind::Merge,
            body,
        },
    }
}

fn json_patch(uid: &str, mut ops: Vec<Value>) -> Call {
    ops.insert(
        0,
        json!({"op": "test", "path": "/metadata/uid", "value": uid}),
    );
    Call::Patch {
        path: String::new(),
        patch: Patch {
            kind: PatchKind::Json,
            body: Value::Array(ops),
        },
    }
}

fn at_path(call: Call, path: String) -> Call {
    match call {
        Call::Patch { patch, .. } => Call::Patch { path, patch },
        other => other,
    }
}

/// Where the pod template of a workload is.
fn template_pointer(kind: &str) -> Option<&'static str> {
    match kind {
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => Some("/spec/template/spec"),
        "CronJob" => Some("/spec/jobTemplate/spec/template/spec"),
        "Pod" => Some("/spec"),
        _ => None,
    }
}

fn container_pointer(current: &Value, spec: &str, container: &str) -> Option<String> {
    ["containers", "initContainers"].iter().find_map(|list| {
        let items = current.pointer(&format!("{spec}/{list}"))?.as_array()?;
        let i = items
            .iter()
            .position(|c| c.get("name").and_then(Value::as_str) == Some(container))?;
        Some(format!("{spec}/{list}/{i}"))
    })
}

/// The containers of a workload or pod, with their images (init containers last).
pub fn containers(kind: &str, current: &Value) -> Vec<(String, String)> {
    let Some(spec) = template_pointer(kind) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for list in ["containers", "initContainers"] {
        for c in current
            .pointer(&format!("{spec}/{list}"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let field = |f: &str| c.get(f).and_then(Value::as_str).unwrap_or("").to_string();
            out.push((field("name"), field("image")));
        }
    }
    out
}

fn replicas(current: &Value) -> Option<i64> {
    current.pointer("/spec/replicas").and_then(Value::as_i64)
}

/// The calls `op` makes on `obj`, whose current state is `current`; `now` is an RFC 3339 time
/// (restart annotations) and `suffix` a short random string (names of triggered jobs).
pub fn plan(
    op: &Op,
    obj: &ObjectRef,
    current: &Value,
    now: &str,
    suffix: &str,
) -> Result<Vec<Call>, String> {
    let uid = obj.uid.as_str();
    let path = obj.path();
    let kind = obj.kind.as_str();
    let calls = match op {
        Op::Delete {
            propagation,
            grace,
            force,
        } => {
            let mut options = json!({
                "kind": "DeleteOptions",
                "apiVersion": "v1",
                "propagationPolicy": propagation_name(*propagation),
                "preconditions": {"uid": uid},
            });
            let grace = if *force { Some(0) } else { *grace };
            if let Some(g) = grace {
                options["gracePeriodSeconds"] = json!(g);
            }
            vec![Call::Delete { path, options }]
        }
        Op::Scale { replicas: n } => {
            if *n < 0 {
                return Err("replicas cannot be negative".into());
            }
            // The scale subresource works for every scalable kind, custom resources too;
            // its metadata is the object's, so the uid precondition holds there as well.
            vec![at_path(
                merge(uid, json!({"spec": {"replicas": n}})),
                format!("{path}/scale"),
            )]
        }
        Op::Stop => {
            let n = replicas(current).ok_or("it has no replica count")?;
            if n == 0 {
                return Err("it is already stopped (0 replicas)".into());
            }
            vec![at_path(
                merge(
                    uid,
                    json!({"metadata": {"annotations": {STOPPED_REPLICAS: n.to_string()}},
                           "spec": {"replicas": 0}}),
                ),
                path,
            )]
        }
        Op::Start => {
            let remembered = current
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(STOPPED_REPLICAS))
                .and_then(Value::as_str)
                .ok_or("it was not stopped by flotilla (no remembered replica count); scale it instead")?;
            let n: i64 = remembered.parse().map_err(|_| {
                format!("the remembered replica count {remembered:?} is not a number")
            })?;
            vec![at_path(
                merge(
                    uid,
                    json!({"metadata": {"annotations": {STOPPED_REPLICAS: null}},
                           "spec": {"replicas": n}}),
                ),
                path,
            )]
        }
        Op::Restart => {
            if !matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet") {
                return Err(format!("a {kind} cannot be restarted"));
            }
            vec![at_path(
                merge(
                    uid,
                    json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}}),
                ),
                path,
            )]
        }
        Op::Pause | Op::Resume => {
            if kind != "Deployment" {
                return Err(format!("a {kind} has no rollout to pause"));
            }
            let paused = matches!(op, Op::Pause);
            vec![at_path(
                merge(uid, json!({"spec": {"paused": paused}})),
                path,
            )]
        }
        Op::SetImage(images) => {
            let spec = template_pointer(kind).ok_or(format!("a {kind} has no containers"))?;
            let mut ops = Vec::new();
            for (container, image) in images {
                let at = container_pointer(current, spec, container)
                    .ok_or(format!("it has no container named {container}"))?;
                // The name at that index is part of the precondition, so a reordered list
                // never gets the image of another container.
                ops.push(json!({"op": "test", "path": format!("{at}/name"), "value": container}));
                ops.push(json!({"op": "replace", "path": format!("{at}/image"), "value": image}));
            }
            if ops.is_empty() {
                return Err("no image changed".into());
            }
            vec![at_path(json_patch(uid, ops), path)]
        }
        Op::Meta { field, set, remove } => {
            let name = match field {
                MetaField::Labels => "labels",
                MetaField::Annotations => "annotations",
            };
            let mut m = Map::new();
            for k in remove {
                m.insert(k.clone(), Value::Null);
            }
            for (k, v) in set {
                m.insert(k.clone(), json!(v));
            }
            vec![at_path(merge(uid, json!({"metadata": {name: m}})), path)]
        }
        Op::Cordon | Op::Uncordon => {
            if kind != "Node" {
                return Err(format!("a {kind} cannot be cordoned"));
            }
            let on = matches!(op, Op::Cordon);
            vec![at_path(
                merge(uid, json!({"spec": {"unschedulable": on}})),
                path,
            )]
        }
        Op::Drain(_) => return Err("drain is not a single request".into()),
        Op::Helm { .. } => return Err("a Helm release is not a single request".into()),
        Op::Session { .. } => return Err("a session is not a request".into()),
        Op::Restore { .. } => return Err("a restore is not a single request".into()),
        Op::Taint { add, remove } => {
            if kind != "Node" {
                return Err(format!("a {kind} has no taints"));
            }
            let before = current
                .pointer("/spec/taints")
                .cloned()
                .unwrap_or(Value::Null);
            let after = taints_after(&before, add, remove)?;
            let mut ops = Vec::new();
            // The taints as they are now are part of the precondition: a taint added by
            // someone else meanwhile is not silently dropped.
            if before.is_null() {
                ops.push(json!({"op": "add", "path": "/spec/taints", "value": after}));
            } else {
                ops.push(json!({"op": "test", "path": "/spec/taints", "value": before}));
                ops.push(json!({"op": "replace", "path": "/spec/taints", "value": after}));
            }
            vec![at_path(json_patch(uid, ops), path)]
        }
        Op::Trigger => {
            if kind != "CronJob" {
                return Err(format!("a {kind} cannot be triggered"));
            }
            vec![Call::Create {
                path: format!("/apis/batch/v1/namespaces/{}/jobs", obj.namespace),
                body: job_from_cronjob(current, obj, suffix)?,
            }]
        }
        Op::Suspend(on) => {
            if kind != "CronJob" {
                return Err(format!("a {kind} cannot be suspended"));
            }
            vec![at_path(merge(uid, json!({"spec": {"suspend": on}})), path)]
        }
        Op::Rollback { patch, .. } => vec![Call::Patch {
            path,
            patch: patch.clone(),
        }],
        Op::Strategy {
            max_surge,
            max_unavailable,
            partition,
        } => vec![at_path(
            merge(uid, strategy(kind, max_surge, max_unavailable, *partition)?),
            path,
        )],
        Op::Autoscale {
            min,
            max,
            cpu_percent,
        } => {
            if kind != "HorizontalPodAutoscaler" {
                return Err(format!("a {kind} is not an autoscaler"));
            }
            if min.is_some_and(|m| m < 1 || m > *max) {
                return Err("min replicas must be between 1 and max".into());
            }
            let mut spec = json!({"minReplicas": min, "maxReplicas": max});
            if let Some(c) = cpu_percent {
                // autoscaling/v2: the CPU target replaces the metric list; v1 has one field.
                if obj.version == "v1" {
                    spec["targetCPUUtilizationPercentage"] = json!(c);
                } else {
                    spec["metrics"] = json!([{"type": "Resource", "resource": {"name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": c}}}]);
                }
            }
            vec![at_path(merge(uid, json!({ "spec": spec })), path)]
        }
        Op::DefaultClass { class } => {
            if kind != "StorageClass" {
                return Err(format!("a {kind} is not a storage class"));
            }
            let default = class.as_deref() == Some(obj.name.as_str());
            let mut annotations = Map::new();
            annotations.insert(DEFAULT_CLASS.into(), json!(default.to_string()));
            // The beta annotation still counts where it is set; it must not contradict.
            if current
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(DEFAULT_CLASS_BETA))
                .is_some()
            {
                annotations.insert(DEFAULT_CLASS_BETA.into(), Value::Null);
            }
            vec![at_path(
                merge(uid, json!({"metadata": {"annotations": annotations}})),
                path,
            )]
        }
        Op::ReclaimPolicy(policy) => {
            if kind != "PersistentVolume" {
                return Err(format!("a {kind} has no reclaim policy"));
            }
            if !matches!(policy.as_str(), "Retain" | "Delete") {
                return Err(format!(
                    "reclaim policy {policy:?}: Retain or Delete (Recycle is deprecated)"
                ));
            }
            vec![at_path(
                merge(
                    uid,
                    json!({"spec": {"persistentVolumeReclaimPolicy": policy}}),
                ),
                path,
            )]
        }
        Op::Resize(size) => {
            if kind != "PersistentVolumeClaim" {
                return Err(format!("a {kind} cannot be resized"));
            }
            let wanted = crate::quantity::Quantity::parse(size)
                .filter(|q| !q.is_negative() && !q.is_zero())
                .ok_or(format!("size {size:?} is not a quantity (e.g. 10Gi)"))?
                .value();
            let now = current
                .pointer("/spec/resources/requests/storage")
                .and_then(Value::as_str)
                .unwrap_or("0");
            if crate::quantity::Quantity::parse(now).is_some_and(|n| wanted <= n.value()) {
                return Err(format!(
                    "size {size} is not more than the {now} requested now (a claim only grows)"
                ));
            }
            vec![at_path(
                merge(
                    uid,
                    json!({"spec": {"resources": {"requests": {"storage": size}}}}),
                ),
                path,
            )]
        }
        Op::SetSpec { field, value } => {
            let want = match *field {
                "rules" => "Ingress",
                _ => "Service",
            };
            if kind != want {
                return Err(format!("a {kind} has no {field} to edit here"));
            }
            let at = format!("/spec/{field}");
            let before = current.pointer(&at).cloned().unwrap_or(Value::Null);
            let mut value = value.clone();
            if *field == "ports" {
                keep_node_ports(&before, &mut value);
            }
            // What was read right before is part of the precondition: a port or rule someone
            // else changed meanwhile is not silently replaced.
            let mut ops = Vec::new();
            if before.is_null() {
                ops.push(json!({"op": "add", "path": at, "value": value}));
            } else {
                ops.push(json!({"op": "test", "path": at, "value": before}));
                ops.push(json!({"op": "replace", "path": at, "value": value}));
            }
            vec![at_path(json_patch(uid, ops), path)]
        }
        Op::Apply {
            object,
            server_side,
            force,
        } => {
            if *server_side {
                vec![Call::Apply {
                    path,
                    body: object.clone(),
                    force: *force,
                }]
            } else {
                if object.pointer("/metadata/resourceVersion").is_none() {
                    return Err("the edited object has no metadata.resourceVersion".into());
                }
                vec![Call::Replace {
                    path,
                    body: object.clone(),
                }]
            }
        }
        Op::Create { objects } => {
            let object = objects.first().ok_or("nothing to create")?;
            vec![Call::Create {
                path: collection_path(obj),
                body: object.clone(),
            }]
        }
    };
    Ok(calls)
}

/// A port kept (same number and protocol) keeps the node port the cluster gave it.
fn keep_node_ports(before: &Value, after: &mut Value) {
    let Some(list) = after.as_array_mut() else {
        return;
    };
    for p in list {
        let same = before.as_array().into_iter().flatten().find(|b| {
            b.get("port") == p.get("port")
                && b.get("protocol").unwrap_or(&json!("TCP"))
                    == p.get("protocol").unwrap_or(&json!("TCP"))
        });
        if let Some(np) = same.and_then(|b| b.get("nodePort")) {
            p["nodePort"] = np.clone();
        }
    }
}

fn taints_after(before: &Value, add: &[Taint], remove: &[String]) -> Result<Value, String> {
    let mut list: Vec<Value> = before.as_array().cloned().unwrap_or_default();
    let field = |t: &Value, f: &str| t.get(f).and_then(Value::as_str).unwrap_or("").to_string();
    for r in remove {
        let (key, effect) = match r.split_once(':') {
            Some((k, e)) => (k, Some(e)),
            None => (r.as_str(), None),
        };
        let n = list.len();
        list.retain(|t| {
            !(field(t, "key") == key && effect.is_none_or(|e| field(t, "effect") == e))
        });
        if list.len() == n {
            return Err(format!("the node has no taint {r}"));
        }
    }
    for t in add {
        if !matches!(
            t.effect.as_str(),
            "NoSchedule" | "PreferNoSchedule" | "NoExecute"
        ) {
            return Err(format!(
                "taint effect {:?} is not NoSchedule, PreferNoSchedule or NoExecute",
                t.effect
            ));
        }
        list.retain(|x| !(field(x, "key") == t.key && field(x, "effect") == t.effect));
        let mut v = json!({"key": t.key, "effect": t.effect});
        if !t.value.is_empty() {
            v["value"] = json!(t.value);
        }
        list.push(v);
    }
    Ok(Value::Array(list))
}

/// `25%` stays a string, `1` becomes a number, as the API expects an IntOrString.
fn int_or_string(s: &str) -> Value {
    match s.parse::<i64>() {
        Ok(n) => json!(n),
        Err(_) => json!(s),
    }
}

fn strategy(
    kind: &str,
    max_surge: &Option<String>,
    max_unavailable: &Option<String>,
    partition: Option<i64>,
) -> Result<Value, String> {
    let mut rolling = Map::new();
    if let Some(v) = max_surge {
        rolling.insert("maxSurge".into(), int_or_string(v));
    }
    if let Some(v) = max_unavailable {
        rolling.insert("maxUnavailable".into(), int_or_string(v));
    }
    match kind {
        "Deployment" => {
            if partition.is_some() {
                return Err("a Deployment has no partition".into());
            }
            Ok(json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": rolling}}}))
        }
        "StatefulSet" => {
            if max_surge.is_some() {
                return Err("a StatefulSet has no maxSurge".into());
            }
            if let Some(p) = partition {
                rolling.insert("partition".into(), json!(p));
            }
            Ok(
                json!({"spec": {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": rolling}}}),
            )
        }
        "DaemonSet" => {
            if partition.is_some() {
                return Err("a DaemonSet has no partition".into());
            }
            Ok(
                json!({"spec": {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": rolling}}}),
            )
        }
        _ => Err(format!("a {kind} has no update strategy")),
    }
}

/// A Job from the CronJob's template, as `kubectl create job --from=cronjob/x` makes it: owned
/// by the CronJob, annotated as a manual run.
fn job_from_cronjob(cron: &Value, obj: &ObjectRef, suffix: &str) -> Result<Value, String> {
    let template = cron
        .pointer("/spec/jobTemplate")
        .ok_or("the CronJob has no job template")?;
    // Job names are at most 63 characters (they label their pods). Counted in characters: the
    // name came from the cluster, and a cut inside a character would panic.
    let base: String = obj
        .name
        .chars()
        .take(63 - "-manual-".len() - suffix.len())
        .collect();
    let name = format!("{base}-manual-{suffix}");
    let mut annotations = template
        .pointer("/metadata/annotations")
        .cloned()
        .unwrap_or_else(|| json!({}));
    annotations["cronjob.kubernetes.io/instantiate"] = json!("manual");
    Ok(json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": obj.namespace,
            "labels": template.pointer("/metadata/labels").cloned().unwrap_or_else(|| json!({})),
            "annotations": annotations,
            "ownerReferences": [{
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": obj.name,
                "uid": obj.uid,
                "controller": true,
                "blockOwnerDeletion": true,
            }],
        },
        "spec": template.get("spec").cloned().unwrap_or_else(|| json!({})),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClusterId, ResKey};

    fn obj(kind: &str, group: &str, plural: &str) -> ObjectRef {
        ObjectRef {
            context: "dev".into(),
            cluster: ClusterId(1),
            res: ResKey::new(group, plural),
            version: "v1".into(),
            kind: kind.into(),
            namespace: "shop".into(),
            name: "web".into(),
            uid: "u-1".into(),
        }
    }

    fn body(c: &Call) -> &Value {
        match c {
            Call::Patch { patch, .. } => &patch.body,
            Call::Delete { options, .. } => options,
            Call::Create { body, .. } | Call::Replace { body, .. } | Call::Apply { body, .. } => {
                body
            }
        }
    }

    #[test]
    fn every_patch_carries_the_uid() {
        let d = obj("Deployment", "apps", "deployments");
        let cur = json!({"spec": {"replicas": 3, "template": {"spec": {"containers": [
            {"name": "nginx", "image": "nginx:1"}]}}}});
        for op in [
            Op::Scale { replicas: 2 },
            Op::Stop,
            Op::Restart,
            Op::Pause,
            Op::Meta {
                field: MetaField::Labels,
                set: vec![("a".into(), "b".into())],
                remove: vec!["c".into()],
            },
        ] {
            let calls = plan(&op, &d, &cur, "t", "x").expect("plans");
            assert_eq!(body(&calls[0])["metadata"]["uid"], "u-1", "{op:?}");
        }
        let calls = plan(
            &Op::SetImage(vec![("nginx".into(), "nginx:2".into())]),
            &d,
            &cur,
            "t",
            "x",
        )
        .expect("plans");
        assert_eq!(
            body(&calls[0])[0],
            json!({"op": "test", "path": "/metadata/uid", "value": "u-1"})
        );
        assert_eq!(
            body(&calls[0])[2]["path"],
            "/spec/template/spec/containers/0/image"
        );
    }

    #[test]
    fn stop_remembers_and_start_restores() {
        let d = obj("Deployment", "apps", "deployments");
        let calls = plan(&Op::Stop, &d, &json!({"spec": {"replicas": 4}}), "t", "x").expect("stop");
        assert_eq!(
            body(&calls[0])["metadata"]["annotations"][STOPPED_REPLICAS],
            "4"
        );
        assert_eq!(body(&calls[0])["spec"]["replicas"], 0);
        let stopped =
            json!({"metadata": {"annotations": {STOPPED_REPLICAS: "4"}}, "spec": {"replicas": 0}});
        let calls = plan(&Op::Start, &d, &stopped, "t", "x").expect("start");
        assert_eq!(body(&calls[0])["spec"]["replicas"], 4);
        assert!(body(&calls[0])["metadata"]["annotations"][STOPPED_REPLICAS].is_null());
        assert!(plan(&Op::Start, &d, &json!({"spec": {"replicas": 0}}), "t", "x").is_err());
    }

    #[test]
    fn taints_replace_same_key_and_effect_and_remove_by_key() {
        let before = json!([{"key": "a", "effect": "NoSchedule"}, {"key": "b", "value": "1", "effect": "NoExecute"}]);
        let after = taints_after(
            &before,
            &[Taint {
                key: "a".into(),
                value: "x".into(),
                effect: "NoSchedule".into(),
            }],
            &["b".into()],
        )
        .expect("taints");
        assert_eq!(
            after,
            json!([{"key": "a", "value": "x", "effect": "NoSchedule"}])
        );
        assert!(taints_after(&before, &[], &["zz".into()]).is_err());
    }

    #[test]
    fn triggered_job_is_owned_and_named_like_kubectl() {
        let c = obj("CronJob", "batch", "cronjobs");
        let cron = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {}}}}}});
        let calls = plan(&Op::Trigger, &c, &cron, "t", "abc").expect("trigger");
        let job = body(&calls[0]);
        assert_eq!(job["metadata"]["name"], "web-manual-abc");
        assert_eq!(job["metadata"]["ownerReferences"][0]["uid"], "u-1");
        assert_eq!(calls[0].path(), "/apis/batch/v1/namespaces/shop/jobs");
        // A long name is cut to fit 63 characters, and never inside a character.
        let long = ObjectRef {
            name: format!("{}é-nightly", "n".repeat(51)),
            ..c
        };
        let calls = plan(&Op::Trigger, &long, &cron, "t", "abc").expect("trigger");
        assert_eq!(
            body(&calls[0])["metadata"]["name"],
            format!("{}é-manual-abc", "n".repeat(51))
        );
    }

    #[test]
    fn delete_has_a_uid_precondition_and_force_means_grace_zero() {
        let p = obj("Pod", "", "pods");
        let calls = plan(
            &Op::Delete {
                propagation: Propagation::Background,
                grace: Some(30),
                force: true,
            },
            &p,
            &json!({}),
            "t",
            "x",
        )
        .expect("delete");
        assert_eq!(body(&calls[0])["preconditions"]["uid"], "u-1");
        assert_eq!(body(&calls[0])["gracePeriodSeconds"], 0);
    }

    #[test]
    fn storage_ops_check_what_they_are_given() {
        let sc = obj("StorageClass", "storage.k8s.io", "storageclasses");
        let beta = json!({"metadata": {"annotations": {DEFAULT_CLASS_BETA: "true"}}});
        let to = |class: Option<&str>| Op::DefaultClass {
            class: class.map(str::to_string),
        };
        // The chosen class says "true"; another of the batch "false", its beta annotation gone.
        let calls = plan(&to(Some(&sc.name)), &sc, &json!({}), "t", "x").expect("default");
        assert_eq!(
            body(&calls[0])["metadata"]["annotations"][DEFAULT_CLASS],
            "true"
        );
        let calls = plan(&to(Some("other")), &sc, &beta, "t", "x").expect("unset");
        let a = &body(&calls[0])["metadata"]["annotations"];
        assert_eq!(
            (&a[DEFAULT_CLASS], &a[DEFAULT_CLASS_BETA]),
            (&json!("false"), &Value::Null)
        );
        assert!(
            a.as_object()
                .is_some_and(|m| m.contains_key(DEFAULT_CLASS_BETA))
        );

        let pv = obj("PersistentVolume", "", "persistentvolumes");
        let retain = Op::ReclaimPolicy("Retain".into());
        let calls = plan(&retain, &pv, &json!({}), "t", "x").expect("retain");
        assert_eq!(
            body(&calls[0])["spec"]["persistentVolumeReclaimPolicy"],
            "Retain"
        );
        assert!(
            plan(
                &Op::ReclaimPolicy("Recycle".into()),
                &pv,
                &json!({}),
                "t",
                "x"
            )
            .is_err()
        );
        assert!(plan(&retain, &sc, &json!({}), "t", "x").is_err());

        let pvc = obj("PersistentVolumeClaim", "", "persistentvolumeclaims");
        let now = json!({"spec": {"resources": {"requests": {"storage": "1Gi"}}}});
        let grow = |s: &str| plan(&Op::Resize(s.into()), &pvc, &now, "t", "x");
        let calls = grow("1.5Gi").expect("grows");
        assert_eq!(
            body(&calls[0])["spec"]["resources"]["requests"]["storage"],
            "1.5Gi"
        );
        for refused in ["1Gi", "1024Mi", "500Mi", "0", "-2Gi", "lots"] {
            assert!(grow(refused).is_err(), "{refused} is refused");
        }
    }
}
