//! `d`: an object described as `kubectl describe` prints it. The kinds an incident is about
//! have describers of their own, with kubectl's sections in kubectl's order; every other kind
//! is walked field by field (`generic`). Events come last.
//!
//! Some sections need more than the object (a node's pods, a service's endpoints): `related`
//! says what to fetch, and `describe` renders with whatever of it has arrived.

mod autoscaling;
pub mod generic;
mod namespace;
mod network;
mod node;
mod pod;
mod resources;
mod storage;
mod table;
mod volumes;
mod workload;

use crate::text::url_encode as encode;
use serde_json::Value;
use std::collections::HashMap;
use table::s;

/// A list (or object) a describer reads besides the object itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    Pods,
    ReplicaSets,
    EndpointSlices,
    Services,
    Lease,
    NodeEvents,
    Quotas,
    LimitRanges,
}

/// How a related fetch stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Fetch {
    Waiting,
    Items(Vec<Value>),
    Failed(String),
}

/// The related answers so far; a slot never asked for reads as `Waiting`.
#[derive(Clone, Debug, Default)]
pub struct Related {
    slots: HashMap<Slot, Fetch>,
}

impl Related {
    /// An answer: a List's items, or a single object as a list of one.
    pub fn set(&mut self, slot: Slot, answer: Result<Value, String>) {
        let fetch = match answer {
            Ok(mut v) => match v.get_mut("items").map(Value::take) {
                Some(Value::Array(items)) => Fetch::Items(items),
                Some(_) => Fetch::Items(Vec::new()),
                None => Fetch::Items(vec![v]),
            },
            Err(e) => Fetch::Failed(crate::text::clean(&e)),
        };
        self.slots.insert(slot, fetch);
    }

    pub fn get(&self, slot: Slot) -> &Fetch {
        self.slots.get(&slot).unwrap_or(&Fetch::Waiting)
    }

    /// The items, or what to print instead (`loading…`, the error).
    pub fn items(&self, slot: Slot) -> Result<&[Value], String> {
        match self.get(slot) {
            Fetch::Items(v) => Ok(v),
            Fetch::Waiting => Err("loading…".into()),
            Fetch::Failed(e) => Err(format!("<error: {e}>")),
        }
    }
}

fn kind(obj: &Value) -> &str {
    s(obj, "/kind")
}

/// The label selector of a workload as a `labelSelector=` query, when it has one.
fn selector_query(obj: &Value) -> String {
    let sel = table::label_selector(obj.pointer("/spec/selector"));
    if sel == "<none>" {
        String::new()
    } else {
        format!("?labelSelector={}", encode(&sel))
    }
}

/// What the object's describe needs fetched besides it: each slot and its API path.
pub fn related(obj: &Value) -> Vec<(Slot, String)> {
    let name = encode(s(obj, "/metadata/name"));
    let ns = encode(s(obj, "/metadata/namespace"));
    match kind(obj) {
        "Node" => vec![
            (
                Slot::Pods,
                format!(
                    "/api/v1/pods?fieldSelector={}",
                    encode(&format!(
                        "spec.nodeName={},status.phase!=Succeeded,status.phase!=Failed",
                        s(obj, "/metadata/name")
                    ))
                ),
            ),
            (
                Slot::Lease,
                format!("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}"),
            ),
            // The kubelet reports about its node by name, not uid: those events are found
            // only this way.
            (
                Slot::NodeEvents,
                format!(
                    "/api/v1/events?fieldSelector={}",
                    encode(&format!(
                        "involvedObject.kind=Node,involvedObject.name={}",
                        s(obj, "/metadata/name")
                    ))
                ),
            ),
        ],
        "Deployment" => vec![(
            Slot::ReplicaSets,
            format!(
                "/apis/apps/v1/namespaces/{ns}/replicasets{}",
                selector_query(obj)
            ),
        )],
        "ReplicaSet" | "StatefulSet" | "DaemonSet" => vec![(
            Slot::Pods,
            format!("/api/v1/namespaces/{ns}/pods{}", selector_query(obj)),
        )],
        "Service" => vec![(
            Slot::EndpointSlices,
            format!(
                "/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices?labelSelector={}",
                encode(&format!(
                    "kubernetes.io/service-name={}",
                    s(obj, "/metadata/name")
                ))
            ),
        )],
        "Ingress" => vec![
            (Slot::Services, format!("/api/v1/namespaces/{ns}/services")),
            (
                Slot::EndpointSlices,
                format!("/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices"),
            ),
        ],
        "PersistentVolumeClaim" => vec![(Slot::Pods, format!("/api/v1/namespaces/{ns}/pods"))],
        "Namespace" => vec![
            (
                Slot::Quotas,
                format!("/api/v1/namespaces/{name}/resourcequotas"),
            ),
            (
                Slot::LimitRanges,
                format!("/api/v1/namespaces/{name}/limitranges"),
            ),
        ],
        _ => Vec::new(),
    }
}

/// The describe text of `obj`. `events` are the core/v1 Events about it; `related` what has
/// arrived of the fetches `related(obj)` asked for.
pub fn describe(
    obj: &Value,
    events: &[Value],
    related: &Related,
    reveal: bool,
    now: i64,
) -> Vec<String> {
    let mut out = match kind(obj) {
        "Pod" => pod::describe(obj, now),
        "Node" => node::describe(obj, related, now),
        "Deployment" => workload::deployment(obj, related),
        "ReplicaSet" => workload::replica_set(obj, related),
        "StatefulSet" => workload::stateful_set(obj, related),
        "DaemonSet" => workload::daemon_set(obj, related),
        "Job" => workload::job(obj),
        "CronJob" => workload::cron_job(obj),
        "HorizontalPodAutoscaler" => autoscaling::hpa(obj),
        "Service" => network::service(obj, related),
        "Ingress" => network::ingress(obj, related),
        "PersistentVolumeClaim" => storage::pvc(obj, related, now),
        "PersistentVolume" => storage::pv(obj, now),
        "Namespace" => namespace::describe(obj, related),
        _ => generic::describe(obj, reveal),
    };
    // What the kubelet reports about its node (by name) joins what was found by uid.
    let mut all: Vec<&Value> = events.iter().collect();
    if let Fetch::Items(more) = related.get(Slot::NodeEvents) {
        for e in more {
            let uid = s(e, "/metadata/uid");
            if !all.iter().any(|a| s(a, "/metadata/uid") == uid) {
                all.push(e);
            }
        }
    }
    out.push(String::new());
    out.extend(events_table(&all, now));
    out
}

/// The events, oldest first, in columns of their own (kubectl aligns them as one table).
fn events_table(events: &[&Value], now: i64) -> Vec<String> {
    let w = 16;
    if events.is_empty() {
        return vec![format!("{:w$}<none>", "Events:")];
    }
    let mut out = vec![
        "Events:".to_string(),
        format!(
            "  {:<8} {:<24} {:<8} {:<20} Message",
            "Type", "Reason", "Age", "From"
        ),
        format!(
            "  {:<8} {:<24} {:<8} {:<20} -------",
            "----", "------", "---", "----"
        ),
    ];
    let last_seen = |e: &Value| {
        ["lastTimestamp", "eventTime", "firstTimestamp"]
            .iter()
            .find_map(|f| e.get(*f).and_then(Value::as_str))
            .and_then(crate::human::parse_time)
    };
    let mut evs = events.to_vec();
    evs.sort_by_key(|e| last_seen(e));
    for e in evs {
        let age = last_seen(e)
            .map(|t| crate::human::age(now - t))
            .unwrap_or_else(|| "?".into());
        let count = e.get("count").and_then(Value::as_u64).unwrap_or(1);
        let age = if count > 1 {
            format!("{age} (x{count})")
        } else {
            age
        };
        let from = e
            .pointer("/source/component")
            .or_else(|| e.get("reportingComponent"))
            .and_then(Value::as_str)
            .unwrap_or("");
        out.push(crate::text::clean(&format!(
            "  {:<8} {:<24} {:<8} {:<20} {}",
            s(e, "/type"),
            s(e, "/reason"),
            age,
            from,
            s(e, "/message").trim()
        )));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_come_last_with_counts_and_ages() {
        let obj = json!({"apiVersion":"apps/v1","kind":"Deployment",
            "metadata":{"name":"web","namespace":"shop"},"spec":{"replicas":3}});
        let ev = json!({"type":"Warning","reason":"FailedCreate","message":"quota \u{1b}[31mexceeded","count":3,
            "lastTimestamp":"2026-01-01T00:10:00Z","source":{"component":"replicaset-controller"}});
        let text = describe(&obj, &[ev], &Related::default(), false, 1767226800).join("\n");
        let events = text.find("Events:").expect("events");
        assert!(text[events..].contains("FailedCreate"), "{text}");
        assert!(text[events..].contains("10m (x3)"), "{text}");
        assert!(text.find("Replicas:") < Some(events), "{text}");
        assert!(!text.contains('\u{1b}'));
        let none = describe(&obj, &[], &Related::default(), false, 0);
        assert_eq!(none.last(), Some(&format!("{:16}<none>", "Events:")));
    }

    #[test]
    fn node_events_by_name_are_merged_once() {
        let node = json!({"kind":"Node","metadata":{"name":"n1","uid":"u"}});
        let ev = |uid: &str, reason: &str| json!({"metadata":{"uid":uid},"reason":reason,"type":"Normal"});
        let mut related = Related::default();
        related.set(
            Slot::NodeEvents,
            Ok(json!({"items":[ev("e1","NodeNotReady"), ev("e2","Starting")]})),
        );
        let text = describe(&node, &[ev("e1", "NodeNotReady")], &related, false, 0).join("\n");
        assert_eq!(text.matches("NodeNotReady").count(), 1, "{text}");
        assert!(text.contains("Starting"), "{text}");
    }

    #[test]
    fn related_paths_follow_the_object() {
        let node = json!({"kind":"Node","metadata":{"name":"prod-node-broken"}});
        let paths = related(&node);
        assert_eq!(paths[0].0, Slot::Pods);
        assert_eq!(
            paths[0].1,
            "/api/v1/pods?fieldSelector=spec.nodeName%3Dprod-node-broken%2Cstatus.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed"
        );
        assert!(
            paths
                .iter()
                .any(|(s, p)| *s == Slot::Lease && p.ends_with("/leases/prod-node-broken"))
        );
        let svc = json!({"kind":"Service","metadata":{"name":"web","namespace":"shop"}});
        assert_eq!(
            related(&svc),
            vec![(
                Slot::EndpointSlices,
                "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb".to_string()
            )]
        );
        let deploy = json!({"kind":"Deployment","metadata":{"name":"web","namespace":"shop"},
            "spec":{"selector":{"matchLabels":{"app":"web"}}}});
        assert_eq!(
            related(&deploy)[0].1,
            "/apis/apps/v1/namespaces/shop/replicasets?labelSelector=app%3Dweb"
        );
        assert!(related(&json!({"kind":"Pod"})).is_empty());
        assert!(related(&json!({"kind":"ConfigMap"})).is_empty());
    }

    #[test]
    fn related_answers_and_failures() {
        let mut r = Related::default();
        assert_eq!(r.items(Slot::Pods), Err("loading…".to_string()));
        r.set(Slot::Pods, Err("forbidden\u{1b}[2J".into()));
        assert_eq!(r.items(Slot::Pods), Err("<error: forbidden>".to_string()));
        r.set(Slot::Lease, Ok(json!({"kind":"Lease"})));
        assert_eq!(r.items(Slot::Lease).map(<[Value]>::len), Ok(1));
        r.set(Slot::Pods, Ok(json!({"kind":"PodList","items":[]})));
        assert_eq!(r.items(Slot::Pods).map(<[Value]>::len), Ok(0));
    }

    #[test]
    fn other_kinds_keep_the_generic_walk() {
        let cm = json!({"kind":"ConfigMap","metadata":{"name":"c"},"data":{"k":"v"}});
        let text = describe(&cm, &[], &Related::default(), false, 0).join("\n");
        assert!(text.contains("Data:") && text.contains("  K:"), "{text}");
    }
}
