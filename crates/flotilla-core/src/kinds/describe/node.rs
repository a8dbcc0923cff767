//! Nodes (kubectl's `describeNode`): conditions, capacity, and what the pods placed on the node
//! ask of it (`Allocated resources`), which is what a full or broken node is judged by.

use super::resources::pod_totals;
use super::table::{Writer, annotations, arr, conditions, labels, obj, s, scalar, time};
use super::{Fetch, Related, Slot};
use crate::quantity::{Quantity, percent};
use serde_json::{Map, Value};
use std::ops::Add;

pub fn describe(n: &Value, related: &Related, now: i64) -> Vec<String> {
    let mut w = Writer::new();
    w.kv(0, "Name", s(n, "/metadata/name"));
    let mut roles: Vec<String> = obj(n, "/metadata/labels")
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| match k.strip_prefix("node-role.kubernetes.io/") {
            Some(role) if !role.is_empty() => Some(role.to_string()),
            _ if k == "kubernetes.io/role" && !scalar(v).is_empty() => Some(scalar(v)),
            _ => None,
        })
        .collect();
    roles.sort();
    roles.dedup();
    w.kv(
        0,
        "Roles",
        if roles.is_empty() {
            "<none>".to_string()
        } else {
            roles.join(",")
        },
    );
    labels(&mut w, "", "Labels", obj(n, "/metadata/labels"));
    annotations(&mut w, "Annotations", obj(n, "/metadata/annotations"));
    w.kv(
        0,
        "CreationTimestamp",
        time(s(n, "/metadata/creationTimestamp")),
    );
    taints(&mut w, arr(n, "/spec/taints"));
    let unschedulable = n.pointer("/spec/unschedulable").and_then(Value::as_bool);
    w.kv(0, "Unschedulable", unschedulable.unwrap_or(false));
    match related.get(Slot::Lease) {
        Fetch::Items(l) if !l.is_empty() => {
            let lease = &l[0];
            w.line(0, "Lease:");
            for (key, ptr, is_time) in [
                ("HolderIdentity", "/spec/holderIdentity", false),
                ("AcquireTime", "/spec/acquireTime", true),
                ("RenewTime", "/spec/renewTime", true),
            ] {
                let v = match s(lease, ptr) {
                    "" => "<unset>".to_string(),
                    v if is_time => time(v),
                    v => v.to_string(),
                };
                w.kv(1, key, v);
            }
        }
        Fetch::Items(_) => w.kv(0, "Lease", "<none>"),
        Fetch::Waiting => w.kv(0, "Lease", "loading…"),
        Fetch::Failed(e) => w.kv(0, "Lease", format!("Failed to get lease: {e}")),
    }
    conditions(
        &mut w,
        n,
        true,
        &[
            ("Type", "type"),
            ("Status", "status"),
            ("LastHeartbeatTime", "lastHeartbeatTime"),
            ("LastTransitionTime", "lastTransitionTime"),
            ("Reason", "reason"),
            ("Message", "message"),
        ],
    );
    w.line(0, "Addresses:");
    for a in arr(n, "/status/addresses") {
        w.kv(1, s(a, "/type"), s(a, "/address"));
    }
    for (title, ptr) in [
        ("Capacity", "/status/capacity"),
        ("Allocatable", "/status/allocatable"),
    ] {
        if let Some(m) = obj(n, ptr).filter(|m| !m.is_empty()) {
            w.line(0, &format!("{title}:"));
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                w.kv(1, k, quantity_text(&m[k]));
            }
        }
    }
    w.line(0, "System Info:");
    for (key, field) in [
        ("Machine ID", "machineID"),
        ("System UUID", "systemUUID"),
        ("Boot ID", "bootID"),
        ("Kernel Version", "kernelVersion"),
        ("OS Image", "osImage"),
        ("Operating System", "operatingSystem"),
        ("Architecture", "architecture"),
        ("Container Runtime Version", "containerRuntimeVersion"),
        ("Kubelet Version", "kubeletVersion"),
    ] {
        w.kv(1, key, s(n, &format!("/status/nodeInfo/{field}")));
    }
    if !s(n, "/spec/podCIDR").is_empty() {
        w.kv(0, "PodCIDR", s(n, "/spec/podCIDR"));
    }
    let cidrs: Vec<String> = arr(n, "/spec/podCIDRs").iter().map(scalar).collect();
    if !cidrs.is_empty() {
        w.kv(0, "PodCIDRs", cidrs.join(","));
    }
    if !s(n, "/spec/providerID").is_empty() {
        w.kv(0, "ProviderID", s(n, "/spec/providerID"));
    }
    match related.items(Slot::Pods) {
        Ok(pods) => allocated(&mut w, n, pods, now),
        Err(e) => w.kv(0, "Non-terminated Pods", e),
    }
    w.finish()
}

fn quantity_text(v: &Value) -> String {
    let text = scalar(v);
    Quantity::parse(&text)
        .map(|q| q.to_string())
        .unwrap_or(text)
}

fn taints(w: &mut Writer, list: &[Value]) {
    w.write(0, "Taints:\t");
    if list.is_empty() {
        return w.line(0, "<none>");
    }
    let mut list: Vec<&Value> = list.iter().collect();
    list.sort_by_key(|t| format!("{},{}", s(t, "/effect"), s(t, "/key")));
    for (i, t) in list.iter().enumerate() {
        if i > 0 {
            w.write(0, "\t");
        }
        let (k, v, e) = (s(t, "/key"), s(t, "/value"), s(t, "/effect"));
        let text = match (v.is_empty(), e.is_empty()) {
            (true, true) => k.to_string(),
            (false, true) => format!("{k}={v}:"),
            (true, false) => format!("{k}:{e}"),
            (false, false) => format!("{k}={v}:{e}"),
        };
        w.line(0, &text);
    }
}

fn allocatable(n: &Value) -> Map<String, Value> {
    obj(n, "/status/allocatable")
        .filter(|m| !m.is_empty())
        .or_else(|| obj(n, "/status/capacity"))
        .cloned()
        .unwrap_or_default()
}

fn amount(m: &Map<String, Value>, res: &str) -> Quantity {
    m.get(res)
        .map(scalar)
        .and_then(|v| Quantity::parse(&v))
        .unwrap_or_default()
}

/// `Non-terminated Pods` and `Allocated resources`: the pods' requests and limits, and their
/// sums as a share of what the node can allocate.
fn allocated(w: &mut Writer, n: &Value, pods: &[Value], now: i64) {
    let alloc = allocatable(n);
    let (cpu, mem) = (amount(&alloc, "cpu"), amount(&alloc, "memory"));
    w.kv(
        0,
        "Non-terminated Pods",
        format!("({} in total)", pods.len()),
    );
    w.line(
        1,
        "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge",
    );
    w.line(
        1,
        "---------\t----\t\t------------\t----------\t---------------\t-------------\t---",
    );
    let share = |q: Quantity, of: Quantity, milli: bool| {
        let p = if milli {
            percent(q.milli(), of.milli())
        } else {
            percent(q.value(), of.value())
        };
        format!("{q} ({p}%)")
    };
    for p in pods {
        let age = crate::human::parse_time(s(p, "/metadata/creationTimestamp"))
            .map(|t| crate::human::age(now - t))
            .unwrap_or_else(|| "<unknown>".into());
        w.line(
            1,
            &format!(
                "{}\t{}\t\t{}\t{}\t{}\t{}\t{age}",
                s(p, "/metadata/namespace"),
                s(p, "/metadata/name"),
                share(pod_totals(p, "requests", "cpu"), cpu, true),
                share(pod_totals(p, "limits", "cpu"), cpu, true),
                share(pod_totals(p, "requests", "memory"), mem, false),
                share(pod_totals(p, "limits", "memory"), mem, false),
            ),
        );
    }
    w.line(0, "Allocated resources:");
    w.line(
        1,
        "(Total limits may be over 100 percent, i.e., overcommitted.)",
    );
    w.line(1, "Resource\tRequests\tLimits");
    w.line(1, "--------\t--------\t------");
    let total = |side: &str, res: &str| {
        pods.iter().fold(Quantity::default(), |acc, p| {
            acc.add(pod_totals(p, side, res))
        })
    };
    let mut names: Vec<(&str, bool)> = vec![
        ("cpu", true),
        ("memory", false),
        ("ephemeral-storage", false),
    ];
    let mut huge: Vec<&String> = alloc
        .keys()
        .filter(|k| k.starts_with("hugepages-"))
        .collect();
    huge.sort();
    names.extend(huge.iter().map(|k| (k.as_str(), false)));
    for (res, milli) in names {
        let of = amount(&alloc, res);
        w.line(
            1,
            &format!(
                "{res}\t{}\t{}",
                share(total("requests", res), of, milli),
                share(total("limits", res), of, milli)
            ),
        );
    }
    let mut extended: Vec<&String> = alloc
        .keys()
        .filter(|k| {
            !k.starts_with("hugepages-")
                && !matches!(k.as_str(), "cpu" | "memory" | "ephemeral-storage" | "pods")
        })
        .collect();
    extended.sort();
    for res in extended {
        let (r, l) = (total("requests", res), total("limits", res));
        w.line(1, &format!("{res}\t{r}\t{l}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node() -> Value {
        json!({"kind":"Node","metadata":{"name":"prod-node-broken","creationTimestamp":"2026-01-01T00:00:00Z",
            "labels":{"node-role.kubernetes.io/worker":"","kubernetes.io/hostname":"prod-node-broken"}},
            "spec":{"taints":[{"key":"node.kubernetes.io/unreachable","effect":"NoSchedule"}]},
            "status":{"conditions":[{"type":"Ready","status":"Unknown","reason":"NodeStatusUnknown",
                "message":"Kubelet stopped posting node status.","lastHeartbeatTime":"2026-01-01T00:00:00Z",
                "lastTransitionTime":"2026-01-01T00:00:00Z"}],
                "addresses":[{"type":"InternalIP","address":"10.0.0.9"}],
                "capacity":{"cpu":"4","memory":"8Gi","pods":"110"},
                "allocatable":{"cpu":"4","memory":"8Gi","pods":"110","example.com/gpu":"2"},
                "nodeInfo":{"kubeletVersion":"v1.33.0","architecture":"amd64"}}})
    }

    fn pod(name: &str, cpu: &str, mem: &str) -> Value {
        json!({"metadata":{"name":name,"namespace":"shop","creationTimestamp":"2026-01-01T00:00:00Z"},
            "spec":{"containers":[{"name":"a","resources":{"requests":{"cpu":cpu,"memory":mem},"limits":{"memory":mem}}}]}})
    }

    #[test]
    fn sections_in_kubectls_order() {
        let mut related = Related::default();
        related.set(
            Slot::Pods,
            Ok(json!({"items":[pod("web-1","500m","1Gi"), pod("api-1","1500m","1Gi")]})),
        );
        related.set(Slot::Lease, Err("not found".into()));
        let lines = describe(&node(), &related, 1767225600 + 600);
        let text = lines.join("\n");
        let order = [
            "Name:",
            "Roles:",
            "Labels:",
            "Annotations:",
            "CreationTimestamp:",
            "Taints:",
            "Unschedulable:",
            "Lease:",
            "Conditions:",
            "Addresses:",
            "Capacity:",
            "Allocatable:",
            "System Info:",
            "Non-terminated Pods:",
            "Allocated resources:",
        ];
        let pos: Vec<usize> = order
            .iter()
            .map(|h| {
                lines
                    .iter()
                    .position(|l| l.starts_with(h))
                    .unwrap_or_else(|| panic!("{h}\n{text}"))
            })
            .collect();
        assert!(pos.windows(2).all(|p| p[0] < p[1]), "{text}");
        assert!(text.contains("Roles:              worker"), "{text}");
        assert!(
            text.contains("node.kubernetes.io/unreachable:NoSchedule"),
            "{text}"
        );
        assert!(
            text.contains("  Ready   Unknown   Thu, 01 Jan 2026"),
            "{text}"
        );
        assert!(
            text.contains("Non-terminated Pods:          (2 in total)"),
            "{text}"
        );
        assert!(text.contains("500m (12%)"), "{text}");
        assert!(
            lines
                .iter()
                .any(|l| l.split_whitespace().collect::<Vec<_>>()
                    == ["cpu", "2", "(50%)", "0", "(0%)"]),
            "{text}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.split_whitespace().collect::<Vec<_>>()
                    == ["memory", "2Gi", "(25%)", "2Gi", "(25%)"]),
            "{text}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.trim() == "example.com/gpu    0          0"),
            "{text}"
        );
        assert!(text.contains("Failed to get lease: not found"), "{text}");
    }

    #[test]
    fn pods_not_yet_listed_say_so() {
        let text = describe(&node(), &Related::default(), 0).join("\n");
        assert!(
            text.contains("Non-terminated Pods:          loading…"),
            "{text}"
        );
        assert!(!text.contains("Allocated resources"), "{text}");
    }
}
