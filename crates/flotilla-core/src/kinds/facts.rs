//! What triage and the fleet view need beyond the table cells, for the few kinds where the
//! cells do not say it (node pressure, a rollout that stopped progressing, a CronJob's last
//! success, ready endpoints). Those kinds are watched with their full objects, which are
//! few and small next to pods; the facts are read once, when the object changes.

use crate::model::{Fact, ResKey};
use crate::text::clean;
use serde_json::Value;

/// Kinds whose watch carries the full object instead of its metadata.
pub fn wants_object(res: &ResKey) -> bool {
    matches!(
        (res.group.as_str(), res.plural.as_str()),
        ("", "nodes")
            | ("apps", "deployments")
            | ("apps", "statefulsets")
            | ("batch", "jobs")
            | ("batch", "cronjobs")
            | ("autoscaling", "horizontalpodautoscalers")
            | ("discovery.k8s.io", "endpointslices")
    )
}

fn time(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_str).and_then(crate::human::parse_time)
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => clean(s),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// A field as a fact (empty values are left out: "not set" reads as absent).
fn field(out: &mut Vec<Fact>, name: &str, v: Option<&Value>) {
    let value = text(v);
    if !value.is_empty() {
        out.push(Fact {
            name: name.to_string(),
            value,
            reason: String::new(),
            since: None,
        });
    }
}

/// A time field as a fact whose `since` is that time.
fn when(out: &mut Vec<Fact>, name: &str, v: Option<&Value>) {
    if let Some(t) = time(v) {
        out.push(Fact {
            name: name.to_string(),
            value: String::new(),
            reason: String::new(),
            since: Some(t),
        });
    }
}

/// The facts of one object, from its spec and status.
pub fn extract(res: &ResKey, spec: Option<&Value>, status: Option<&Value>) -> Vec<Fact> {
    let mut out = Vec::new();
    if !wants_object(res) {
        return out;
    }
    let st = |p: &str| status.and_then(|s| s.pointer(p));
    let sp = |p: &str| spec.and_then(|s| s.pointer(p));
    for c in st("/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = text(c.get("type"));
        if name.is_empty() {
            continue;
        }
        // A Progressing condition's update time is when the rollout last moved. Once the
        // rollout is past its deadline the condition turned at the deadline, which the
        // controller counts from the last move: that is when it got stuck.
        let deadline = sp("/progressDeadlineSeconds").and_then(Value::as_i64);
        let since = match (name.as_str(), text(c.get("reason")).as_str(), deadline) {
            ("Progressing", "ProgressDeadlineExceeded", Some(d)) => {
                time(c.get("lastTransitionTime")).map(|t| t - d)
            }
            ("Progressing", ..) => time(c.get("lastUpdateTime")),
            _ => None,
        }
        .or_else(|| time(c.get("lastTransitionTime")));
        out.push(Fact {
            name,
            value: text(c.get("status")),
            reason: text(c.get("reason")),
            since,
        });
    }
    match (res.group.as_str(), res.plural.as_str()) {
        ("", "nodes") => {
            field(&mut out, "allocatable/cpu", st("/allocatable/cpu"));
            field(&mut out, "allocatable/memory", st("/allocatable/memory"));
            let cordoned = sp("/taints")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|t| {
                    t.get("key").and_then(Value::as_str) == Some("node.kubernetes.io/unschedulable")
                });
            if let Some(t) = cordoned {
                when(&mut out, "cordoned", t.get("timeAdded"));
            }
        }
        ("apps", "deployments") | ("apps", "statefulsets") => {
            field(&mut out, "replicas", sp("/replicas"));
            field(&mut out, "updatedReplicas", st("/updatedReplicas"));
            field(&mut out, "unavailableReplicas", st("/unavailableReplicas"));
        }
        ("batch", "cronjobs") => {
            field(&mut out, "schedule", sp("/schedule"));
            field(&mut out, "suspend", sp("/suspend"));
            when(&mut out, "lastScheduleTime", st("/lastScheduleTime"));
            when(&mut out, "lastSuccessfulTime", st("/lastSuccessfulTime"));
            let active = st("/active").and_then(Value::as_array).map_or(0, Vec::len);
            field(&mut out, "active", Some(&Value::from(active)));
        }
        ("discovery.k8s.io", "endpointslices") => {
            // The list comes at the top level of an EndpointSlice, passed here as `spec`.
            let ready = sp("/endpoints")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|e| e.pointer("/conditions/ready").and_then(Value::as_bool) != Some(false))
                .count();
            field(&mut out, "readyEndpoints", Some(&Value::from(ready)));
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn node_conditions_capacity_and_cordon() {
        let spec = json!({"taints":[{"key":"node.kubernetes.io/unschedulable","effect":"NoSchedule",
            "timeAdded":"2026-01-01T00:00:00Z"}]});
        let status = json!({"allocatable":{"cpu":"4","memory":"8Gi"},"conditions":[
            {"type":"MemoryPressure","status":"True","reason":"KubeletHasInsufficientMemory",
             "lastTransitionTime":"2026-01-01T00:01:00Z"},
            {"type":"Ready","status":"False","reason":"KubeletNotReady"}]});
        let f = extract(&ResKey::core("nodes"), Some(&spec), Some(&status));
        let get = |n: &str| f.iter().find(|x| x.name == n).cloned().unwrap();
        assert_eq!(get("MemoryPressure").value, "True");
        assert_eq!(get("MemoryPressure").since, Some(1767225660));
        assert_eq!(get("Ready").reason, "KubeletNotReady");
        assert_eq!(get("allocatable/memory").value, "8Gi");
        assert_eq!(get("cordoned").since, Some(1767225600));
    }

    #[test]
    fn progressing_dates_from_its_last_update_and_pods_have_no_facts() {
        let status = json!({"conditions":[{"type":"Progressing","status":"True","reason":"ReplicaSetUpdated",
            "lastUpdateTime":"2026-01-01T00:05:00Z","lastTransitionTime":"2026-01-01T00:00:00Z"}],
            "updatedReplicas":1});
        let f = extract(
            &ResKey::new("apps", "deployments"),
            Some(&json!({"replicas":2})),
            Some(&status),
        );
        assert_eq!(f[0].since, Some(1767225900));
        assert!(f.iter().any(|x| x.name == "replicas" && x.value == "2"));
        assert!(extract(&ResKey::core("pods"), None, Some(&status)).is_empty());
    }

    #[test]
    fn endpoint_slices_count_ready_endpoints() {
        let slice =
            json!({"endpoints":[{"conditions":{"ready":true}},{"conditions":{"ready":false}},{}]});
        let f = extract(
            &ResKey::new("discovery.k8s.io", "endpointslices"),
            Some(&slice),
            None,
        );
        assert_eq!(f[0].value, "2");
    }
}
