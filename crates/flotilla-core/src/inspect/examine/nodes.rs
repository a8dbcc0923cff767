//! Nodes: readiness, cordons, pressure and room for pods.

use super::Ctx;
use crate::inspect::object::{bool_at, condition, int_at, name, str_at};
use crate::inspect::out::{Out, Place};
use crate::inspect::snapshot::Kind;
use serde_json::Value;
use std::collections::HashMap;

/// At this share of its allocatable pods (in percent) a node counts as full.
const NEAR_CAPACITY: i64 = 90;

pub fn examine<'a>(cx: &Ctx<'a>, out: &mut Out<'a>) {
    // Pods that hold a slot on their node: finished ones do not.
    let mut running: HashMap<&str, i64> = HashMap::new();
    for p in cx.snap.of(Kind::Pod) {
        let done = matches!(str_at(p, "/status/phase"), Some("Succeeded" | "Failed"));
        if let (Some(node), false) = (str_at(p, "/spec/nodeName"), done) {
            *running.entry(node).or_default() += 1;
        }
    }
    for node in cx.snap.of(Kind::Node) {
        let at = Place::of(Kind::Node, node);
        out.record("node-not-ready", &at, not_ready(node));
        out.record(
            "node-cordoned",
            &at,
            (bool_at(node, "/spec/unschedulable") == Some(true))
                .then(|| "cordoned: no new pods are scheduled on it".to_string()),
        );
        out.record("node-pressure", &at, pressure(node));
        let pods = running.get(name(node)).copied().unwrap_or(0);
        let full = int_at(node, "/status/allocatable/pods")
            .filter(|max| *max > 0 && pods * 100 >= max * NEAR_CAPACITY)
            .map(|max| format!("{pods} of {max} pods ({}%)", pods * 100 / max));
        out.record("node-pods-near-capacity", &at, full);
    }
}

fn not_ready(node: &Value) -> Option<String> {
    let Some(c) = condition(node, "Ready") else {
        return Some("no Ready condition reported".into());
    };
    let status = str_at(c, "/status").unwrap_or("Unknown");
    if status == "True" {
        return None;
    }
    let reason = str_at(c, "/reason").unwrap_or("no reason");
    let message = str_at(c, "/message")
        .map(|m| format!(" ({m})"))
        .unwrap_or_default();
    Some(format!("Ready {status}: {reason}{message}"))
}

fn pressure(node: &Value) -> Option<String> {
    let under: Vec<&str> = ["MemoryPressure", "DiskPressure", "PIDPressure"]
        .into_iter()
        .filter(|k| condition(node, k).and_then(|c| str_at(c, "/status")) == Some("True"))
        .collect();
    (!under.is_empty()).then(|| under.join(", "))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{examined, found, obj, snapshot};
    use crate::inspect::snapshot::Kind;
    use serde_json::{Value, json};

    fn node(name: &str, conditions: Value, spec: Value, pods: i64) -> (Kind, Value) {
        let n = obj(
            "",
            name,
            json!({"spec": spec, "status": {"conditions": conditions,
                "allocatable": {"pods": pods.to_string()}}}),
        );
        (Kind::Node, n)
    }

    fn ready() -> Value {
        json!([{"type": "Ready", "status": "True"},
               {"type": "MemoryPressure", "status": "False"}])
    }

    #[test]
    fn node_health() {
        let snap = snapshot(vec![
            node("fine", ready(), json!({}), 110),
            node(
                "down",
                json!([{"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown",
                    "message": "Kubelet stopped posting node status."}]),
                json!({}),
                110,
            ),
            node("drained", ready(), json!({"unschedulable": true}), 110),
            node(
                "squeezed",
                json!([{"type": "Ready", "status": "True"},
                       {"type": "MemoryPressure", "status": "True"},
                       {"type": "PIDPressure", "status": "True"}]),
                json!({}),
                110,
            ),
        ]);
        assert_eq!(
            found(&snap, "node-not-ready"),
            [
                "-/Node/down: Ready Unknown: NodeStatusUnknown (Kubelet stopped posting node status.)"
            ]
        );
        assert_eq!(
            found(&snap, "node-cordoned"),
            ["-/Node/drained: cordoned: no new pods are scheduled on it"]
        );
        assert_eq!(
            found(&snap, "node-pressure"),
            ["-/Node/squeezed: MemoryPressure, PIDPressure"]
        );
        assert_eq!(examined(&snap, "node-pressure"), 4);
    }

    #[test]
    fn nodes_near_their_pod_capacity() {
        let pod = |name: &str, node: &str, phase: &str| {
            let p = obj(
                "shop",
                name,
                json!({"spec": {"nodeName": node}, "status": {"phase": phase}}),
            );
            (Kind::Pod, p)
        };
        let mut objects = vec![
            node("full", ready(), json!({}), 10),
            node("roomy", ready(), json!({}), 10),
        ];
        for i in 0..9 {
            objects.push(pod(&format!("a{i}"), "full", "Running"));
        }
        for i in 0..8 {
            objects.push(pod(&format!("b{i}"), "roomy", "Running"));
        }
        objects.push(pod("done", "roomy", "Succeeded"));
        let snap = snapshot(objects);
        assert_eq!(
            found(&snap, "node-pods-near-capacity"),
            ["-/Node/full: 9 of 10 pods (90%)"]
        );
    }
}
