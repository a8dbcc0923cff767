//! Which actions an object offers, and the permissions each needs. The actions menu lists
//! these (those the identity may not perform disabled, with the reason), keys are refused
//! with the same reason, and the table asks the servers about exactly these checks.

use crate::model::{Action, ObjectRef};
use crate::protocol::op::{Check, HelmOp, Op};

pub struct Entry {
    pub action: Action,
    pub label: &'static str,
    pub checks: Vec<Check>,
}

fn check(verb: &'static str, obj: &ObjectRef, subresource: &'static str) -> Check {
    Check {
        verb,
        group: obj.res.group.clone(),
        resource: obj.res.plural.clone(),
        subresource,
        namespace: obj.namespace.clone(),
    }
}

fn scalable(kind: &str) -> bool {
    matches!(
        kind,
        "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController"
    )
}

fn rolls_out(kind: &str) -> bool {
    matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet")
}

fn has_containers(kind: &str) -> bool {
    matches!(
        kind,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "CronJob" | "Pod"
    )
}

/// One check every object's entries include (editing), to tell whether its answers are in.
pub fn probe(obj: &ObjectRef) -> Check {
    check("update", obj, "")
}

/// Every action `obj` offers, in menu order.
pub fn entries(obj: &ObjectRef) -> Vec<Entry> {
    let kind = obj.kind.as_str();
    let patch = || vec![check("patch", obj, "")];
    let mut out = Vec::new();
    let mut add = |action, label, checks| {
        out.push(Entry {
            action,
            label,
            checks,
        })
    };
    add(Action::Edit, "edit YAML", vec![check("update", obj, "")]);
    if scalable(kind) {
        add(Action::Scale, "scale", vec![check("patch", obj, "scale")]);
        add(Action::Stop, "stop (scale to 0)", patch());
        add(Action::Start, "start (restore replicas)", patch());
    }
    if rolls_out(kind) {
        add(Action::Restart, "restart", patch());
        add(Action::Rollback, "roll back", patch());
        add(Action::Strategy, "update strategy", patch());
    }
    if kind == "Deployment" {
        add(Action::Pause, "pause rollout", patch());
        add(Action::Resume, "resume rollout", patch());
    }
    if has_containers(kind) {
        add(Action::SetImage, "set image", patch());
    }
    if kind == "Pod" {
        add(
            Action::Debug,
            "debug container",
            vec![check("patch", obj, "ephemeralcontainers")],
        );
    }
    if kind == "Node" {
        // Its pod is made in the namespace the settings name: the server checks that.
        add(Action::Shell, "node shell (a privileged pod)", Vec::new());
        add(Action::Cordon, "cordon", patch());
        add(Action::Uncordon, "uncordon", patch());
        add(
            Action::Drain,
            "drain",
            vec![
                check("patch", obj, ""),
                Check {
                    verb: "create",
                    group: String::new(),
                    resource: "pods".into(),
                    subresource: "eviction",
                    namespace: String::new(),
                },
            ],
        );
        add(Action::Taints, "taints", patch());
    }
    if kind == "CronJob" {
        add(
            Action::Trigger,
            "trigger now",
            vec![Check {
                verb: "create",
                group: "batch".into(),
                resource: "jobs".into(),
                subresource: "",
                namespace: obj.namespace.clone(),
            }],
        );
        add(Action::Suspend, "suspend / resume", patch());
    }
    if kind == "HorizontalPodAutoscaler" {
        add(Action::Autoscale, "min / max / CPU target", patch());
    }
    if matches!(
        kind,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Pod"
    ) {
        let create = |resource: &str, group: &str| Check {
            verb: "create",
            group: group.into(),
            resource: resource.into(),
            subresource: "",
            namespace: obj.namespace.clone(),
        };
        add(
            Action::Expose,
            "expose (Service, Ingress)",
            vec![create("services", "")],
        );
    }
    match kind {
        "Service" => add(Action::EditPorts, "ports (form)", patch()),
        "Ingress" => add(Action::EditRules, "rules (form)", patch()),
        "StorageClass" => add(Action::DefaultClass, "set / unset as default", patch()),
        "PersistentVolume" => add(Action::ReclaimPolicy, "reclaim policy", patch()),
        "PersistentVolumeClaim" => add(Action::Resize, "expand (request more storage)", patch()),
        _ => {}
    }
    add(Action::Labels, "labels", patch());
    add(Action::Annotations, "annotations", patch());
    let delete = || vec![check("delete", obj, "")];
    add(Action::Delete, "delete", delete());
    add(Action::DeleteOrphan, "delete, keep dependents", delete());
    if kind == "Pod" {
        add(Action::Kill, "kill (grace 0)", delete());
        add(
            Action::ForceDelete,
            "force delete (stuck terminating)",
            delete(),
        );
    }
    out
}

/// The entry behind `action` on `obj`, if it offers it.
pub fn entry(obj: &ObjectRef, action: &Action) -> Option<Entry> {
    entries(obj).into_iter().find(|e| e.action == *action)
}

/// "system:serviceaccount:shop:viewer may not patch deployments/scale in shop (reason)"
pub fn denial(identity: Option<&str>, check: &Check, why: &str) -> String {
    let who = identity.unwrap_or("this identity");
    let what = match check.subresource {
        "" => check.resource.clone(),
        sub => format!("{}/{sub}", check.resource),
    };
    let mut s = format!("{who} may not {} {what}", check.verb);
    if !check.namespace.is_empty() {
        s.push_str(&format!(" in {}", check.namespace));
    }
    if !why.is_empty() {
        s.push_str(&format!(" ({why})"));
    }
    s
}
/// The permissions `op` needs on `obj`.
pub fn checks_of(op: &Op, obj: &ObjectRef) -> Vec<Check> {
    let check = |verb, sub| check(verb, obj, sub);
    match op {
        Op::Delete { .. } => vec![check("delete", "")],
        Op::Scale { .. } => vec![check("patch", "scale")],
        Op::Apply { .. } => vec![check("update", "")],
        Op::Create { .. } => vec![check("create", "")],
        Op::Session { kind, .. } => match *kind {
            "debug" => vec![check("patch", "ephemeralcontainers")],
            // Its pod is made in the namespace the settings name, not on the node: the
            // server checks the create.
            "node-shell" => Vec::new(),
            "port-forward" => vec![check("create", "portforward")],
            "attach" => vec![check("create", "attach")],
            _ => vec![check("create", "exec")],
        },
        // The records are written; the objects' own permissions are the server's to check.
        Op::Helm {
            op: HelmOp::Rollback { .. },
            ..
        } => vec![check("create", ""), check("update", "")],
        Op::Helm { .. } => vec![check("update", ""), check("delete", "")],
        // Each object's permission is the server's to check; the plan's dry runs did.
        Op::Restore { .. } => Vec::new(),
        Op::Trigger | Op::Drain(_) => {
            let action = if matches!(op, Op::Trigger) {
                Action::Trigger
            } else {
                Action::Drain
            };
            entry(obj, &action).map(|e| e.checks).unwrap_or_default()
        }
        _ => vec![check("patch", "")],
    }
}
