//! Reading objects as the API returns them (JSON), without trusting any field to be there: a
//! missing field reads as absent, never as a panic.

use super::snapshot::{Kind, POD_HOLDERS, Snapshot};
use crate::kinds::selector::LabelReq;
use crate::model::Row;
use serde_json::Value;
use std::collections::HashSet;

pub fn name(v: &Value) -> &str {
    str_at(v, "/metadata/name").unwrap_or("")
}

pub fn namespace(v: &Value) -> Option<&str> {
    str_at(v, "/metadata/namespace")
}

pub fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer)?.as_str()
}

pub fn bool_at(v: &Value, pointer: &str) -> Option<bool> {
    v.pointer(pointer)?.as_bool()
}

/// A count, written as a number or as a string (`allocatable.pods: "110"`).
pub fn int_at(v: &Value, pointer: &str) -> Option<i64> {
    match v.pointer(pointer)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The array at a pointer, empty when absent.
pub fn list<'a>(v: &'a Value, pointer: &str) -> &'a [Value] {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The object's controller (the ownerReference with `controller: true`): kind and name.
pub fn controller(v: &Value) -> Option<(&str, &str)> {
    list(v, "/metadata/ownerReferences")
        .iter()
        .find(|o| bool_at(o, "/controller") == Some(true))
        .map(|o| (str_at(o, "/kind").unwrap_or(""), entry_name(o)))
}

/// The `name` of a list entry: a container, a volume, a subject, an ownerReference.
pub fn entry_name(v: &Value) -> &str {
    str_at(v, "/name").unwrap_or("")
}

/// The status condition of a type (`Ready`), if the object reports it.
pub fn condition<'a>(v: &'a Value, kind: &str) -> Option<&'a Value> {
    list(v, "/status/conditions")
        .iter()
        .find(|c| str_at(c, "/type") == Some(kind))
}

/// Labels as a row, so the selectors of `kinds::selector` match them.
pub fn labels(labels: Option<&Value>) -> Row {
    let labels = labels
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
        .collect();
    Row {
        labels,
        ..Row::default()
    }
}

pub fn selects(reqs: &[LabelReq], labels: &Row) -> bool {
    reqs.iter().all(|r| r.matches(labels))
}

/// One container of a pod spec.
pub struct Container<'a> {
    pub name: &'a str,
    pub init: bool,
    pub spec: &'a Value,
}

impl Container<'_> {
    /// `container app` / `init container setup`: how details name it.
    pub fn label(&self) -> String {
        let what = if self.init {
            "init container"
        } else {
            "container"
        };
        format!("{what} {}", self.name)
    }
}

/// The init containers and containers of a pod spec, in the order they start.
pub fn containers(pod_spec: &Value) -> impl Iterator<Item = Container<'_>> {
    let of = |field: &str, init: bool| {
        list(pod_spec, field).iter().map(move |c| Container {
            name: entry_name(c),
            init,
            spec: c,
        })
    };
    of("/initContainers", true).chain(of("/containers", false))
}

/// Each container's problem (if any), joined: `container app: no memory limit; container
/// sidecar: no cpu limit`. `None` when no container has one.
pub fn per_container(
    pod_spec: &Value,
    problem: impl Fn(&Container) -> Option<String>,
) -> Option<String> {
    let found: Vec<String> = containers(pod_spec)
        .filter_map(|c| problem(&c).map(|p| format!("{}: {p}", c.label())))
        .collect();
    (!found.is_empty()).then(|| found.join("; "))
}

/// A pod spec and the object that holds it: a pod, or a workload's template.
pub struct PodSpecAt<'a> {
    pub kind: Kind,
    pub holder: &'a Value,
    pub spec: &'a Value,
    /// Another holder in the snapshot controls this one (a Deployment its ReplicaSets, a
    /// ReplicaSet its pods): judging both would report one mistake many times, under pod
    /// names that change with every rollout. Checks on specs skip covered ones; references
    /// (which ConfigMaps are used) read them all.
    pub covered: bool,
}

/// Every pod spec of the snapshot: pods' and workload templates'.
pub fn pod_specs(snap: &Snapshot) -> Vec<PodSpecAt<'_>> {
    let holders: HashSet<(Kind, Option<&str>, &str)> = POD_HOLDERS
        .iter()
        .flat_map(|k| snap.of(*k).iter().map(|v| (*k, namespace(v), name(v))))
        .collect();
    let mut out = Vec::new();
    for &kind in POD_HOLDERS {
        let Some(at) = kind.pod_spec_pointer() else {
            continue;
        };
        for holder in snap.of(kind) {
            let Some(spec) = holder.pointer(at) else {
                continue;
            };
            let covered = controller(holder).is_some_and(|(k, n)| {
                Kind::from_name(k).is_some_and(|k| holders.contains(&(k, namespace(holder), n)))
            });
            out.push(PodSpecAt {
                kind,
                holder,
                spec,
                covered,
            });
        }
    }
    out
}

/// An RFC 3339 day for a time in seconds since the epoch (`2025-03-01`).
pub fn day(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_else(|_| secs.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn containers_start_with_init_containers() {
        let spec = json!({"initContainers": [{"name": "setup"}],
            "containers": [{"name": "app"}, {"name": "sidecar"}]});
        let names: Vec<String> = containers(&spec).map(|c| c.label()).collect();
        assert_eq!(
            names,
            ["init container setup", "container app", "container sidecar"]
        );
        assert_eq!(containers(&json!({})).count(), 0);
        assert_eq!(
            per_container(&spec, |c| (!c.init).then(|| "x".to_string())).as_deref(),
            Some("container app: x; container sidecar: x")
        );
    }

    #[test]
    fn specs_of_controlled_holders_are_covered() {
        let mut s = Snapshot::new(0);
        let owned =
            |kind: &str, name: &str| json!([{"kind": kind, "name": name, "controller": true}]);
        s.set(
            Kind::Deployment,
            vec![json!({"metadata": {"name": "web", "namespace": "shop"},
                "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {}}}})],
        );
        s.set(
            Kind::ReplicaSet,
            vec![json!({"metadata": {"name": "web-1", "namespace": "shop",
                "ownerReferences": owned("Deployment", "web")},
                "spec": {"template": {"spec": {}}}})],
        );
        s.set(
            Kind::Pod,
            vec![
                json!({"metadata": {"name": "web-1-a", "namespace": "shop",
                    "ownerReferences": owned("ReplicaSet", "web-1")}, "spec": {}}),
                json!({"metadata": {"name": "orphan", "namespace": "shop",
                    "ownerReferences": owned("ReplicaSet", "gone")}, "spec": {}}),
            ],
        );
        s.set(
            Kind::CronJob,
            vec![json!({"metadata": {"name": "nightly", "namespace": "shop"},
                "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"job": "n"}},
                    "spec": {}}}}}})],
        );
        let specs = pod_specs(&s);
        let seen: Vec<(&str, bool)> = specs.iter().map(|p| (name(p.holder), p.covered)).collect();
        assert_eq!(
            seen,
            [
                ("web-1-a", true),
                ("orphan", false),
                ("web", false),
                ("web-1", true),
                ("nightly", false)
            ]
        );
    }

    #[test]
    fn counts_read_numbers_and_strings() {
        let v = json!({"a": "110", "b": 3, "c": "x"});
        assert_eq!(int_at(&v, "/a"), Some(110));
        assert_eq!(int_at(&v, "/b"), Some(3));
        assert_eq!(int_at(&v, "/c"), None);
        assert_eq!(day(0), "1970-01-01");
    }
}
