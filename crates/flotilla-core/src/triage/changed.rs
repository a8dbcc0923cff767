//! What changed before a problem started: a new rollout revision, a ConfigMap or Secret the
//! pods read, a Helm upgrade, a node that went NotReady or was cordoned, a change made through
//! flotilla. Each kind of change is one entry of `SOURCES`: the paths it reads for an object
//! and the changes it finds in what came back. The screen fetches, these functions judge.

use super::Problem;
use crate::model::resource::api_prefix;
use crate::ops::audit::Record;
use crate::ops::revisions::{self, Revision};
use serde_json::Value;
use std::collections::HashMap;

/// One change found near a problem.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// When it was made (seconds since the epoch).
    pub at: i64,
    /// The source that found it (`SOURCES`' id).
    pub source: &'static str,
    /// One line: `rollout to revision 4: image nginx:1.27 → nginx:1.28-rc1`.
    pub what: String,
    pub open: Open,
}

/// What Enter on a change shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Open {
    /// Two pod templates, as YAML: (label, text) before and after.
    Templates([(String, String); 2]),
    /// An object in its list (the server keeps no earlier version of a ConfigMap).
    Object {
        group: &'static str,
        plural: &'static str,
        namespace: String,
        name: String,
    },
    Nothing,
}

/// What a source is told about the problem's object.
pub struct Subject<'a> {
    pub context: &'a str,
    pub namespace: &'a str,
    /// `deployment`, `pod`, … (as `Problem::object` names kinds).
    pub kind: &'a str,
    pub name: &'a str,
    /// The object as the server returned it.
    pub object: &'a Value,
    /// The nodes its pods run on.
    pub nodes: &'a [String],
    /// flotilla's own audit records.
    pub audit: &'a [Record],
    /// The autoscalers whose target it is.
    pub autoscalers: &'a [String],
}

/// What came back for each path a source read; a read that failed is absent.
pub type Read = HashMap<String, Value>;

/// One kind of change.
pub struct Source {
    pub id: &'static str,
    /// The paths to read for an object.
    pub reads: fn(&Subject) -> Vec<String>,
    /// The changes found in what was read.
    pub finds: fn(&Subject, &Read) -> Vec<Change>,
}

/// Every kind of change triage looks for. Adding one is adding an entry here.
pub const SOURCES: &[Source] = &[
    Source {
        id: "rollout",
        reads: rollout_reads,
        finds: rollout_finds,
    },
    Source {
        id: "config",
        reads: config_reads,
        finds: config_finds,
    },
    Source {
        id: "scale",
        reads: scale_reads,
        finds: scale_finds,
    },
    Source {
        id: "helm",
        reads: helm_reads,
        finds: helm_finds,
    },
    Source {
        id: "node",
        reads: node_reads,
        finds: node_finds,
    },
    Source {
        id: "flotilla",
        reads: |_| Vec::new(),
        finds: flotilla_finds,
    },
];

/// A change made up to this long after the problem's start still counts as before it: the
/// cluster's timestamps are whole seconds and a controller acts a moment after the change.
const SLACK: i64 = 5;

/// The object a problem is about, to read for its changes: workloads and pods (a group of
/// events or a cluster has none).
pub fn subject_path(p: &Problem) -> Option<String> {
    let (kind, name) = p.object.split_once('/')?;
    let (group, plural) = match kind {
        "deployment" => ("apps", "deployments"),
        "statefulset" => ("apps", "statefulsets"),
        "daemonset" => ("apps", "daemonsets"),
        "job" => ("batch", "jobs"),
        "pod" => ("", "pods"),
        _ => return None,
    };
    (!p.namespace.is_empty()).then(|| {
        format!(
            "{}/namespaces/{}/{plural}/{name}",
            api_prefix(group, "v1"),
            p.namespace
        )
    })
}

/// Every path the sources read for `s`.
pub fn reads(s: &Subject) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for src in SOURCES {
        for p in (src.reads)(s) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// What of an answer is kept: a Secret's metadata only (its values are never needed, so never
/// held).
pub fn keep(mut v: Value) -> Value {
    fn strip(o: &mut Value) {
        if o.get("kind").and_then(Value::as_str) == Some("Secret")
            && let Some(m) = o.as_object_mut()
        {
            m.remove("data");
            m.remove("stringData");
        }
    }
    strip(&mut v);
    if let Some(items) = v.get_mut("items").and_then(Value::as_array_mut) {
        for i in items {
            strip(i);
        }
    }
    v
}

/// The changes from `start - window` to just after `start`, newest first.
pub fn before(s: &Subject, read: &Read, start: i64, window: i64) -> Vec<Change> {
    let mut out: Vec<Change> = SOURCES
        .iter()
        .flat_map(|src| (src.finds)(s, read))
        .filter(|c| c.at >= start - window && c.at <= start + SLACK)
        .collect();
    out.sort_by_key(|c| std::cmp::Reverse(c.at));
    out
}

/// `3m before`, `at the start`, `4s after` (within the slack).
pub fn relative(at: i64, start: i64) -> String {
    match start - at {
        0 => "at the start".into(),
        d if d > 0 => format!("{} before", crate::human::age(d)),
        d => format!("{} after", crate::human::age(-d)),
    }
}

/// The items of the array at `pointer` (none when there is no array there).
fn array<'a>(v: &'a Value, pointer: &str) -> impl Iterator<Item = &'a Value> {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn time(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_str).and_then(crate::human::parse_time)
}

fn text(v: &Value, pointer: &str) -> String {
    crate::text::clean(v.pointer(pointer).and_then(Value::as_str).unwrap_or(""))
}

/// The pod spec of a workload (its template's) or of a pod.
fn pod_spec<'a>(s: &Subject<'a>) -> Option<&'a Value> {
    match s.kind {
        "pod" => s.object.get("spec"),
        _ => s.object.pointer("/spec/template/spec"),
    }
}

// A rollout: the workload's newest revision against the one before it.

fn rollout_reads(s: &Subject) -> Vec<String> {
    let plural = match s.kind {
        "deployment" => "replicasets",
        "statefulset" | "daemonset" => "controllerrevisions",
        _ => return Vec::new(),
    };
    vec![format!(
        "{}/namespaces/{}/{plural}",
        api_prefix("apps", "v1"),
        s.namespace
    )]
}

fn rollout_finds(s: &Subject, read: &Read) -> Vec<Change> {
    let Some(list) = rollout_reads(s).first().and_then(|p| read.get(p)) else {
        return Vec::new();
    };
    let revisions = revisions::from_list(s.object, list);
    revisions
        .windows(2)
        .take(3)
        .filter_map(|pair| {
            let [new, old] = pair else { return None };
            let at = new.created.as_deref().and_then(crate::human::parse_time)?;
            let label = |r: &Revision| format!("revision {} ({})", r.number, r.name);
            Some(Change {
                at,
                source: "rollout",
                what: format!(
                    "rollout to revision {}: {}",
                    new.number,
                    template_changes(&old.template, &new.template).join(", ")
                ),
                open: Open::Templates([
                    (label(old), crate::ops::yaml_of(&old.template)),
                    (label(new), crate::ops::yaml_of(&new.template)),
                ]),
            })
        })
        .collect()
}

/// What differs between two pod templates, in words: `image nginx:1.27 → nginx:1.28-rc1`,
/// `env LOG_LEVEL changed`, `restarted`, `label track=canary`.
pub fn template_changes(old: &Value, new: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let containers = |t: &Value| -> Vec<Value> {
        ["/spec/initContainers", "/spec/containers"]
            .iter()
            .flat_map(|p| array(t, p))
            .cloned()
            .collect()
    };
    let (before, after) = (containers(old), containers(new));
    let several = after.len() > 1;
    for c in &after {
        let name = text(c, "/name");
        let Some(was) = before.iter().find(|b| text(b, "/name") == name) else {
            out.push(format!("container {name} added"));
            continue;
        };
        let prefix = if several {
            format!("{name}: ")
        } else {
            String::new()
        };
        let (a, b) = (text(was, "/image"), text(c, "/image"));
        if a != b {
            out.push(format!("{prefix}image {a} → {b}"));
        }
        if was.get("command") != c.get("command") || was.get("args") != c.get("args") {
            out.push(format!("{prefix}command changed"));
        }
        let env = |x: &Value| -> Vec<(String, Value)> {
            array(x, "/env")
                .map(|e| (text(e, "/name"), e.clone()))
                .collect()
        };
        let (ea, eb) = (env(was), env(c));
        let mut names: Vec<String> = Vec::new();
        for (n, v) in &eb {
            if ea.iter().find(|(m, _)| m == n).map(|(_, w)| w) != Some(v) {
                names.push(n.clone());
            }
        }
        for (n, _) in &ea {
            if !eb.iter().any(|(m, _)| m == n) {
                names.push(n.clone());
            }
        }
        if !names.is_empty() {
            out.push(format!("{prefix}env {} changed", names.join(", ")));
        }
        if was.get("envFrom") != c.get("envFrom") {
            out.push(format!("{prefix}envFrom changed"));
        }
        if was.get("resources") != c.get("resources") {
            out.push(format!("{prefix}resources changed"));
        }
        if was.get("readinessProbe") != c.get("readinessProbe")
            || was.get("livenessProbe") != c.get("livenessProbe")
        {
            out.push(format!("{prefix}probes changed"));
        }
    }
    for b in &before {
        let name = text(b, "/name");
        if !after.iter().any(|c| text(c, "/name") == name) {
            out.push(format!("container {name} removed"));
        }
    }
    if old.pointer("/spec/volumes") != new.pointer("/spec/volumes") {
        out.push("volumes changed".into());
    }
    const RESTARTED: &str = "/metadata/annotations/kubectl.kubernetes.io~1restartedAt";
    if old.pointer(RESTARTED) != new.pointer(RESTARTED) {
        out.push("restarted".into());
    }
    let labels = |t: &Value| -> Vec<(String, String)> {
        t.pointer("/metadata/labels")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| (crate::text::clean(k), text(v, "")))
            .collect()
    };
    let was = labels(old);
    for (k, v) in labels(new) {
        if !was.contains(&(k.clone(), v.clone())) {
            out.push(format!("label {k}={v}"));
        }
    }
    if out.is_empty() {
        out.push("pod template changed".into());
    }
    out
}

// A ConfigMap or Secret the pods read (env, envFrom, volumes): the server keeps no history,
// but its managedFields say when it was last written.

/// The ConfigMaps and Secrets a pod spec reads: (plural, name).
pub fn referenced(spec: &Value) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let mut add = |plural: &'static str, name: Option<&str>| {
        if let Some(n) = name.filter(|n| !n.is_empty())
            && !out.iter().any(|(p, m)| *p == plural && m == n)
        {
            out.push((plural, n.to_string()));
        }
    };
    let s = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_owned);
    for list in ["/initContainers", "/containers"] {
        for c in array(spec, list) {
            for e in array(c, "/env") {
                add(
                    "configmaps",
                    s(e, "/valueFrom/configMapKeyRef/name").as_deref(),
                );
                add("secrets", s(e, "/valueFrom/secretKeyRef/name").as_deref());
            }
            for e in array(c, "/envFrom") {
                add("configmaps", s(e, "/configMapRef/name").as_deref());
                add("secrets", s(e, "/secretRef/name").as_deref());
            }
        }
    }
    for v in array(spec, "/volumes") {
        add("configmaps", s(v, "/configMap/name").as_deref());
        add("secrets", s(v, "/secret/secretName").as_deref());
        for p in array(v, "/projected/sources") {
            add("configmaps", s(p, "/configMap/name").as_deref());
            add("secrets", s(p, "/secret/name").as_deref());
        }
    }
    out.truncate(10);
    out
}

fn config_path(ns: &str, plural: &str, name: &str) -> String {
    format!("/api/v1/namespaces/{ns}/{plural}/{name}")
}

fn config_reads(s: &Subject) -> Vec<String> {
    pod_spec(s)
        .map(referenced)
        .unwrap_or_default()
        .iter()
        .map(|(plural, name)| config_path(s.namespace, plural, name))
        .collect()
}

/// When an object was last written: its newest managedFields entry, else its creation.
fn written(v: &Value) -> Option<i64> {
    array(v, "/metadata/managedFields")
        .filter_map(|m| time(m.get("time")))
        .max()
        .or_else(|| time(v.pointer("/metadata/creationTimestamp")))
}

fn config_finds(s: &Subject, read: &Read) -> Vec<Change> {
    let Some(spec) = pod_spec(s) else {
        return Vec::new();
    };
    referenced(spec)
        .into_iter()
        .filter_map(|(plural, name)| {
            let v = read.get(&config_path(s.namespace, plural, &name))?;
            let at = written(v)?;
            let created = time(v.pointer("/metadata/creationTimestamp")) == Some(at);
            let kind = match plural {
                "secrets" => "Secret",
                _ => "ConfigMap",
            };
            let name = crate::text::clean(&name);
            Some(Change {
                at,
                source: "config",
                what: format!(
                    "{kind} {name} {}",
                    if created { "created" } else { "changed" }
                ),
                open: Open::Object {
                    group: "",
                    plural,
                    namespace: s.namespace.to_string(),
                    name,
                },
            })
        })
        .collect()
}

// A scale: by hand (`kubectl scale` and every client of the scale subresource leave a
// managedFields entry for it, with its time), or by an autoscaler (its SuccessfulRescale
// events).

fn scale_reads(s: &Subject) -> Vec<String> {
    s.autoscalers
        .iter()
        .filter(|h| h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'))
        .map(|h| {
            format!(
                "/api/v1/namespaces/{}/events?fieldSelector=involvedObject.name%3D{h}%2Creason%3DSuccessfulRescale",
                s.namespace
            )
        })
        .collect()
}

fn scale_finds(s: &Subject, read: &Read) -> Vec<Change> {
    let mut out: Vec<Change> = array(s.object, "/metadata/managedFields")
        .filter(|m| m.get("subresource").and_then(Value::as_str) == Some("scale"))
        .filter_map(|m| {
            Some(Change {
                at: time(m.get("time"))?,
                source: "scale",
                what: format!(
                    "scaled (now {} replicas) by {}",
                    s.object
                        .pointer("/spec/replicas")
                        .map_or("?".into(), Value::to_string),
                    text(m, "/manager")
                ),
                open: Open::Nothing,
            })
        })
        .collect();
    for (path, hpa) in scale_reads(s).iter().zip(s.autoscalers) {
        for e in read.get(path).into_iter().flat_map(|l| array(l, "/items")) {
            let at = time(e.get("lastTimestamp"))
                .or_else(|| time(e.get("eventTime")))
                .or_else(|| time(e.pointer("/metadata/creationTimestamp")));
            if let Some(at) = at {
                out.push(Change {
                    at,
                    source: "scale",
                    what: format!(
                        "autoscaler {}: {}",
                        crate::text::clean(hpa),
                        text(e, "/message")
                    ),
                    open: Open::Nothing,
                });
            }
        }
    }
    out
}

// A Helm upgrade or rollback: the records of the release that manages the object (Helm's
// own labels on them: version, status; their creation is the upgrade's time).

fn release(s: &Subject) -> Option<(String, String)> {
    let a = s.object.pointer("/metadata/annotations")?;
    let name = a.get("meta.helm.sh/release-name")?.as_str()?;
    let ns = a
        .get("meta.helm.sh/release-namespace")
        .and_then(Value::as_str)
        .unwrap_or(s.namespace);
    Some((ns.to_string(), name.to_string()))
}

fn helm_reads(s: &Subject) -> Vec<String> {
    let Some((ns, name)) = release(s) else {
        return Vec::new();
    };
    // A release name is a DNS label; anything else would not be a selector.
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Vec::new();
    }
    ["secrets", "configmaps"]
        .iter()
        .map(|plural| {
            format!("/api/v1/namespaces/{ns}/{plural}?labelSelector=owner%3Dhelm%2Cname%3D{name}")
        })
        .collect()
}

fn helm_finds(s: &Subject, read: &Read) -> Vec<Change> {
    let Some((_, name)) = release(s) else {
        return Vec::new();
    };
    let name = crate::text::clean(&name);
    let mut records: Vec<(i64, i64, String)> = helm_reads(s)
        .iter()
        .filter_map(|p| read.get(p))
        .flat_map(|list| array(list, "/items"))
        .filter_map(|r| {
            let version: i64 = text(r, "/metadata/labels/version").parse().ok()?;
            let at = time(r.pointer("/metadata/creationTimestamp"))?;
            Some((version, at, text(r, "/metadata/labels/status")))
        })
        .collect();
    records.sort_by_key(|r| std::cmp::Reverse(r.0));
    records
        .iter()
        .take(3)
        .map(|(version, at, status)| Change {
            at: *at,
            source: "helm",
            what: match version {
                1 => format!("Helm install of {name} ({status})"),
                v => format!("Helm upgrade of {name} to revision {v} ({status})"),
            },
            open: Open::Nothing,
        })
        .collect()
}

// The nodes the pods run on: a condition that turned, a cordon.

fn node_path(name: &str) -> String {
    format!("/api/v1/nodes/{name}")
}

fn node_reads(s: &Subject) -> Vec<String> {
    let mut names: Vec<String> = s.nodes.to_vec();
    if let Some(n) = s.object.pointer("/spec/nodeName").and_then(Value::as_str) {
        names.push(n.to_string());
    }
    names.sort();
    names.dedup();
    names.iter().take(5).map(|n| node_path(n)).collect()
}

fn node_finds(s: &Subject, read: &Read) -> Vec<Change> {
    let mut out = Vec::new();
    for path in node_reads(s) {
        let Some(node) = read.get(&path) else {
            continue;
        };
        let name = text(node, "/metadata/name");
        for c in array(node, "/status/conditions") {
            let (kind, status) = (text(c, "/type"), text(c, "/status"));
            let bad = match kind.as_str() {
                "Ready" => status != "True",
                _ => status == "True",
            };
            let Some(at) = time(c.get("lastTransitionTime")) else {
                continue;
            };
            // Only a condition that holds now and is bad: a node that turned Ready tells
            // nothing here (every node does when its cluster starts).
            if bad {
                out.push(Change {
                    at,
                    source: "node",
                    what: format!("node {name} {kind} → {status}"),
                    open: Open::Nothing,
                });
            }
        }
        for t in array(node, "/spec/taints") {
            if text(t, "/key") == "node.kubernetes.io/unschedulable"
                && let Some(at) = time(t.get("timeAdded"))
            {
                out.push(Change {
                    at,
                    source: "node",
                    what: format!("node {name} cordoned"),
                    open: Open::Nothing,
                });
            }
        }
    }
    out
}

// A change made through flotilla: the audit log, for the object and what its pods read.

fn flotilla_finds(s: &Subject, _: &Read) -> Vec<Change> {
    let mut names: Vec<(String, String)> = vec![(s.kind.to_string(), s.name.to_string())];
    if let Some(spec) = pod_spec(s) {
        for (plural, name) in referenced(spec) {
            let kind = plural.strip_suffix('s').unwrap_or(plural);
            names.push((kind.to_string(), name));
        }
    }
    s.audit
        .iter()
        .filter(|r| r.result == "ok" && r.context == s.context)
        .filter(|r| r.target.namespace == s.namespace)
        .filter(|r| {
            let kind = r.target.kind.to_lowercase();
            names.iter().any(|(k, n)| *k == kind && *n == r.target.name)
        })
        .filter_map(|r| {
            Some(Change {
                at: crate::human::parse_time(&r.time)?,
                source: "flotilla",
                what: crate::text::clean(&format!(
                    "{} of {} {} through flotilla by {}",
                    r.action,
                    r.target.kind.to_lowercase(),
                    r.target.name,
                    r.identity.as_deref().unwrap_or(&r.user)
                )),
                open: Open::Nothing,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_template_change_reads_as_what_changed() {
        let old = json!({"metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
              "env": [{"name": "A", "value": "1"}]}]}});
        let new = json!({"metadata": {"labels": {"app": "web", "track": "rc"},
              "annotations": {"kubectl.kubernetes.io/restartedAt": "now"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.28-rc1",
              "env": [{"name": "A", "value": "2"}]}]}});
        assert_eq!(
            template_changes(&old, &new),
            [
                "image nginx:1.27 → nginx:1.28-rc1",
                "env A changed",
                "restarted",
                "label track=rc"
            ]
        );
        assert_eq!(template_changes(&old, &old), ["pod template changed"]);
    }

    #[test]
    fn config_a_workload_reads_is_found_and_secret_values_are_not_kept() {
        let object = json!({"spec": {"template": {"spec": {
            "containers": [{"name": "api", "envFrom": [{"configMapRef": {"name": "api-config"}}],
              "env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "db", "key": "p"}}}]}]}}}});
        let s = Subject {
            context: "prod",
            namespace: "shop",
            kind: "deployment",
            name: "api",
            object: &object,
            nodes: &[],
            audit: &[],
            autoscalers: &["api".to_string()],
        };
        let paths = reads(&s);
        assert!(paths.contains(&"/api/v1/namespaces/shop/configmaps/api-config".to_string()));
        assert!(paths.contains(&"/api/v1/namespaces/shop/secrets/db".to_string()));
        let secret = keep(json!({"kind": "Secret", "data": {"p": "c2VjcmV0"},
            "metadata": {"creationTimestamp": "2026-01-01T00:00:00Z"}}));
        assert!(secret.get("data").is_none());
        let mut read = Read::new();
        read.insert("/api/v1/namespaces/shop/secrets/db".into(), secret);
        read.insert(
            "/api/v1/namespaces/shop/configmaps/api-config".into(),
            json!({"metadata": {"creationTimestamp": "2026-01-01T00:00:00Z",
                "managedFields": [{"time": "2026-01-01T00:10:00Z"}]}}),
        );
        let start = crate::human::parse_time("2026-01-01T00:12:00Z").unwrap();
        let found = before(&s, &read, start, 1800);
        let what: Vec<&str> = found.iter().map(|c| c.what.as_str()).collect();
        assert_eq!(what, ["ConfigMap api-config changed", "Secret db created"]);
        assert_eq!(relative(found[0].at, start), "2m before");
        // Outside the window: nothing.
        assert!(before(&s, &read, start, 60).is_empty());
    }

    #[test]
    fn a_scale_by_hand_or_by_the_autoscaler_and_a_helm_upgrade_are_found() {
        let object = json!({"metadata": {
            "annotations": {"meta.helm.sh/release-name": "shop"},
            "managedFields": [
                {"manager": "kube-controller-manager", "time": "2026-01-01T00:09:00Z", "subresource": "status"},
                {"manager": "kubectl", "time": "2026-01-01T00:08:00Z", "subresource": "scale"}]},
            "spec": {"replicas": 5}});
        let s = Subject {
            context: "prod",
            namespace: "shop",
            kind: "deployment",
            name: "api",
            object: &object,
            nodes: &[],
            audit: &[],
            autoscalers: &["api".to_string()],
        };
        let paths = reads(&s);
        let hpa = "/api/v1/namespaces/shop/events?fieldSelector=involvedObject.name%3Dapi%2Creason%3DSuccessfulRescale";
        let helm = "/api/v1/namespaces/shop/secrets?labelSelector=owner%3Dhelm%2Cname%3Dshop";
        assert!(
            paths.contains(&hpa.to_string()) && paths.contains(&helm.to_string()),
            "{paths:?}"
        );
        let mut read = Read::new();
        read.insert(hpa.into(), json!({"items": [{"lastTimestamp": "2026-01-01T00:07:00Z",
            "message": "New size: 5; reason: cpu resource utilization (percentage of request) above target"}]}));
        read.insert(helm.into(), json!({"items": [
            {"metadata": {"creationTimestamp": "2026-01-01T00:06:00Z", "labels": {"version": "2", "status": "deployed"}}},
            {"metadata": {"creationTimestamp": "2025-01-01T00:00:00Z", "labels": {"version": "1", "status": "superseded"}}}]}));
        let start = crate::human::parse_time("2026-01-01T00:10:00Z").unwrap();
        let what: Vec<String> = before(&s, &read, start, 1800)
            .into_iter()
            .map(|c| c.what)
            .collect();
        assert_eq!(
            what,
            [
                "scaled (now 5 replicas) by kubectl",
                "autoscaler api: New size: 5; reason: cpu resource utilization (percentage of request) above target",
                "Helm upgrade of shop to revision 2 (deployed)",
            ]
        );
    }
}
