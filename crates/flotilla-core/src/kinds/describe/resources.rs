//! Requests and limits: a container's `Limits:`/`Requests:`, the pod's QoS class, and the
//! pod's totals as the scheduler counts them (a node's allocated resources).

use super::table::{Writer, arr, obj, s, scalar};
use crate::quantity::Quantity;
use serde_json::Value;
use std::ops::Add;

/// `Limits:` then `Requests:`, each resource sorted by name.
pub fn resources(w: &mut Writer, r: Option<&Value>, level: usize) {
    let Some(r) = r else { return };
    for (title, field) in [("Limits", "/limits"), ("Requests", "/requests")] {
        let Some(m) = obj(r, field).filter(|m| !m.is_empty()) else {
            continue;
        };
        w.line(level, &format!("{title}:"));
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort();
        for k in keys {
            let v = scalar(&m[k]);
            let v = Quantity::parse(&v).map(|q| q.to_string()).unwrap_or(v);
            w.kv(level + 1, k, v);
        }
    }
}

/// The pod's QoS class: the one the server recorded, else worked out from the requests and
/// limits as the kubelet does.
pub fn qos(p: &Value) -> String {
    if !s(p, "/status/qosClass").is_empty() {
        return s(p, "/status/qosClass").to_string();
    }
    let all: Vec<&Value> = arr(p, "/spec/containers")
        .iter()
        .chain(arr(p, "/spec/initContainers"))
        .collect();
    let mut any = false;
    let mut guaranteed = true;
    for c in &all {
        for res in ["cpu", "memory"] {
            let req = c.pointer(&format!("/resources/requests/{res}")).map(scalar);
            let lim = c.pointer(&format!("/resources/limits/{res}")).map(scalar);
            any |= req.is_some() || lim.is_some();
            let parse = |q: Option<String>| q.and_then(|q| Quantity::parse(&q));
            match (parse(req), parse(lim)) {
                (r, Some(l)) if r.is_none_or(|r| r.milli() == l.milli()) => {}
                _ => guaranteed = false,
            }
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort".into(),
        (true, true) => "Guaranteed".into(),
        _ => "Burstable".into(),
    }
}

/// A pod's requests and limits as the scheduler counts them: its containers summed, at least
/// the largest init container (sidecars, which keep running, add up instead).
pub fn pod_totals(p: &Value, side: &str, res: &str) -> Quantity {
    let get = |c: &Value| {
        c.pointer(&format!("/resources/{side}/{res}"))
            .map(scalar)
            .and_then(|v| Quantity::parse(&v))
            .unwrap_or_default()
    };
    let mut sum = Quantity::default();
    for c in arr(p, "/spec/containers") {
        sum = sum.add(get(c));
    }
    let (mut sidecars, mut init) = (Quantity::default(), Quantity::default());
    for c in arr(p, "/spec/initContainers") {
        if s(c, "/restartPolicy") == "Always" {
            sum = sum.add(get(c));
            sidecars = sidecars.add(get(c));
        } else {
            init = init.max(get(c).add(sidecars));
        }
    }
    let mut total = sum.max(init);
    if let Some(o) = p
        .pointer(&format!("/spec/overhead/{res}"))
        .map(scalar)
        .and_then(|v| Quantity::parse(&v))
        && !total.is_zero()
    {
        total = total.add(o);
    }
    total
}
