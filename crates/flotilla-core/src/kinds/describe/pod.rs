//! Pods, and the pod template every workload describes the same way (kubectl's
//! `describePod`, `describeContainers`, `describeVolumes`, `DescribePodTemplate`).

use super::resources::{qos, resources};
use super::table::{
    Writer, annotations, arr, bool_word, controller, int, int_or_str, labels, obj, or_none, s,
    scalar, time,
};
use super::volumes::volumes;
use crate::quantity::Quantity;
use serde_json::Value;

pub fn describe(p: &Value, now: i64) -> Vec<String> {
    let mut w = Writer::new();
    w.kv(0, "Name", s(p, "/metadata/name"));
    w.kv(0, "Namespace", s(p, "/metadata/namespace"));
    if let Some(pr) = p.pointer("/spec/priority").and_then(Value::as_i64) {
        w.kv(0, "Priority", pr);
    }
    for (key, ptr) in [
        ("Priority Class Name", "/spec/priorityClassName"),
        ("Runtime Class Name", "/spec/runtimeClassName"),
        ("Service Account", "/spec/serviceAccountName"),
    ] {
        if !s(p, ptr).is_empty() {
            w.kv(0, key, s(p, ptr));
        }
    }
    match s(p, "/spec/nodeName") {
        "" => w.kv(0, "Node", "<none>"),
        node => w.kv(0, "Node", format!("{node}/{}", s(p, "/status/hostIP"))),
    }
    if !s(p, "/status/startTime").is_empty() {
        w.kv(0, "Start Time", time(s(p, "/status/startTime")));
    }
    labels(&mut w, "", "Labels", obj(p, "/metadata/labels"));
    annotations(&mut w, "Annotations", obj(p, "/metadata/annotations"));
    let phase = s(p, "/status/phase");
    let deleted = s(p, "/metadata/deletionTimestamp");
    if !deleted.is_empty() && phase != "Failed" && phase != "Succeeded" {
        let lasts = crate::human::parse_time(deleted)
            .map(|t| crate::human::age(now - t))
            .unwrap_or_else(|| "<unknown>".into());
        w.kv(0, "Status", format!("Terminating (lasts {lasts})"));
        w.kv(
            0,
            "Termination Grace Period",
            format!("{}s", int(p, "/metadata/deletionGracePeriodSeconds")),
        );
    } else {
        w.kv(0, "Status", phase);
    }
    for (key, ptr) in [("Reason", "/status/reason"), ("Message", "/status/message")] {
        if !s(p, ptr).is_empty() {
            w.kv(0, key, s(p, ptr));
        }
    }
    w.kv(0, "IP", s(p, "/status/podIP"));
    let ips = arr(p, "/status/podIPs");
    if ips.is_empty() {
        w.kv(0, "IPs", "<none>");
    } else {
        w.line(0, "IPs:");
        for ip in ips {
            w.kv(1, "IP", s(ip, "/ip"));
        }
    }
    if let Some(c) = controller(p) {
        w.kv(0, "Controlled By", c);
    }
    if !s(p, "/status/nominatedNodeName").is_empty() {
        w.kv(0, "NominatedNodeName", s(p, "/status/nominatedNodeName"));
    }
    let pod = Some(p);
    let spec = p.get("spec").unwrap_or(&Value::Null);
    if !arr(spec, "/initContainers").is_empty() {
        let st = arr(p, "/status/initContainerStatuses");
        containers(
            &mut w,
            "Init Containers",
            arr(spec, "/initContainers"),
            Some(st),
            pod,
            "",
        );
    }
    let st = arr(p, "/status/containerStatuses");
    containers(
        &mut w,
        "Containers",
        arr(spec, "/containers"),
        Some(st),
        pod,
        "",
    );
    if !arr(spec, "/ephemeralContainers").is_empty() {
        let st = arr(p, "/status/ephemeralContainerStatuses");
        let label = "Ephemeral Containers";
        containers(
            &mut w,
            label,
            arr(spec, "/ephemeralContainers"),
            Some(st),
            pod,
            "",
        );
    }
    let conds = arr(p, "/status/conditions");
    let gates = arr(spec, "/readinessGates");
    if !gates.is_empty() {
        w.line(0, "Readiness Gates:");
        w.line(1, "Type\tStatus");
        for g in gates {
            let t = s(g, "/conditionType");
            let status = conds
                .iter()
                .find(|c| s(c, "/type") == t)
                .map(|c| s(c, "/status"))
                .unwrap_or("<none>");
            w.line(1, &format!("{t} \t{status}"));
        }
    }
    if !conds.is_empty() {
        w.line(0, "Conditions:");
        w.line(1, "Type\tStatus");
        for c in conds {
            w.line(1, &format!("{} \t{}", s(c, "/type"), s(c, "/status")));
        }
    }
    volumes(&mut w, arr(spec, "/volumes"), "");
    w.kv(0, "QoS Class", qos(p));
    labels(&mut w, "", "Node-Selectors", obj(spec, "/nodeSelector"));
    tolerations(&mut w, "", arr(spec, "/tolerations"));
    spread(&mut w, arr(spec, "/topologySpreadConstraints"), "");
    w.finish()
}

/// `Pod Template:` of a workload.
pub fn template(w: &mut Writer, t: Option<&Value>) {
    w.line(0, "Pod Template:");
    let Some(t) = t.filter(|t| t.is_object()) else {
        return w.line(1, "<unset>");
    };
    labels(w, "  ", "Labels", obj(t, "/metadata/labels"));
    if obj(t, "/metadata/annotations").is_some_and(|m| !m.is_empty()) {
        annotations(w, "  Annotations", obj(t, "/metadata/annotations"));
    }
    let spec = t.get("spec").unwrap_or(&Value::Null);
    if !s(spec, "/serviceAccountName").is_empty() {
        w.kv(1, "Service Account", s(spec, "/serviceAccountName"));
    }
    if !arr(spec, "/initContainers").is_empty() {
        containers(
            w,
            "Init Containers",
            arr(spec, "/initContainers"),
            None,
            None,
            "  ",
        );
    }
    containers(w, "Containers", arr(spec, "/containers"), None, None, "  ");
    volumes(w, arr(spec, "/volumes"), "  ");
    spread(w, arr(spec, "/topologySpreadConstraints"), "  ");
    if !s(spec, "/priorityClassName").is_empty() {
        w.kv(1, "Priority Class Name", s(spec, "/priorityClassName"));
    }
    labels(w, "  ", "Node-Selectors", obj(spec, "/nodeSelector"));
    tolerations(w, "  ", arr(spec, "/tolerations"));
}

/// `statuses` is `None` for a template (no state to show); `pod` resolves downward-API
/// environment values.
fn containers(
    w: &mut Writer,
    label: &str,
    list: &[Value],
    statuses: Option<&[Value]>,
    pod: Option<&Value>,
    space: &str,
) {
    let none = if list.is_empty() { " <none>" } else { "" };
    w.line(0, &format!("{space}{label}:{none}"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for c in list {
        let name = s(c, "/name");
        let status = statuses.and_then(|st| st.iter().find(|x| s(x, "/name") == name));
        w.line(1, &format!("{name_indent}{name}:"));
        if let Some(st) = status {
            w.kv(2, "Container ID", s(st, "/containerID"));
        }
        w.kv(2, "Image", s(c, "/image"));
        if let Some(st) = status {
            w.kv(2, "Image ID", s(st, "/imageID"));
        }
        let ports = arr(c, "/ports");
        let port = |host: bool| -> Vec<String> {
            ports
                .iter()
                .map(|p| {
                    let n = int(p, if host { "/hostPort" } else { "/containerPort" });
                    let mut out = format!("{n}/{}", s(p, "/protocol"));
                    if !s(p, "/name").is_empty() {
                        out.push_str(&format!(" ({})", s(p, "/name")));
                    }
                    out
                })
                .collect()
        };
        for (one, many, list) in [
            ("Port", "Ports", port(false)),
            ("Host Port", "Host Ports", port(true)),
        ] {
            let joined = list.join(", ");
            if joined.contains(',') {
                w.kv(2, many, joined);
            } else {
                w.kv(2, one, or_none(&joined));
            }
        }
        for (title, field) in [("Command", "/command"), ("Args", "/args")] {
            let items = arr(c, field);
            if !items.is_empty() {
                w.line(2, &format!("{title}:"));
                for i in items {
                    for l in scalar(i).split('\n') {
                        w.line(3, l);
                    }
                }
            }
        }
        if let Some(st) = status {
            state(w, "State", st.get("state"));
            if st.pointer("/lastState/terminated").is_some() {
                state(w, "Last State", st.get("lastState"));
            }
            let ready = st.get("ready").and_then(Value::as_bool).unwrap_or(false);
            w.kv(2, "Ready", bool_word(ready));
            w.kv(2, "Restart Count", int(st, "/restartCount"));
        }
        resources(w, c.get("resources"), 2);
        for (title, field) in [
            ("Liveness", "/livenessProbe"),
            ("Readiness", "/readinessProbe"),
            ("Startup", "/startupProbe"),
        ] {
            if let Some(p) = c.pointer(field).filter(|p| p.is_object()) {
                w.kv(2, title, probe(p));
            }
        }
        env(w, c, pod);
        let mut mounts: Vec<&Value> = arr(c, "/volumeMounts").iter().collect();
        mounts.sort_by_key(|m| s(m, "/mountPath"));
        w.write(
            2,
            &format!(
                "Mounts:{}\n",
                if mounts.is_empty() { "\t<none>" } else { "" }
            ),
        );
        for m in mounts {
            let mut flags = vec![
                if m.get("readOnly").and_then(Value::as_bool) == Some(true) {
                    "ro".to_string()
                } else {
                    "rw".to_string()
                },
            ];
            if !s(m, "/subPath").is_empty() {
                flags.push(format!("path={:?}", s(m, "/subPath")));
            }
            let (path, vol) = (s(m, "/mountPath"), s(m, "/name"));
            w.line(3, &format!("{path} from {vol} ({})", flags.join(",")));
        }
        let devices = arr(c, "/volumeDevices");
        if !devices.is_empty() {
            w.line(2, "Devices:");
            for d in devices {
                w.line(
                    3,
                    &format!("{} from {}", s(d, "/devicePath"), s(d, "/name")),
                );
            }
        }
    }
}

fn state(w: &mut Writer, title: &str, st: Option<&Value>) {
    let st = st.unwrap_or(&Value::Null);
    if let Some(r) = st.get("running") {
        w.kv(2, title, "Running");
        w.kv(3, "Started", time(s(r, "/startedAt")));
    } else if let Some(t) = st.get("terminated") {
        w.kv(2, title, "Terminated");
        for (key, ptr) in [("Reason", "/reason"), ("Message", "/message")] {
            if !s(t, ptr).is_empty() {
                w.kv(3, key, s(t, ptr));
            }
        }
        w.kv(3, "Exit Code", int(t, "/exitCode"));
        if int(t, "/signal") > 0 {
            w.kv(3, "Signal", int(t, "/signal"));
        }
        w.kv(3, "Started", time(s(t, "/startedAt")));
        w.kv(3, "Finished", time(s(t, "/finishedAt")));
    } else {
        w.kv(2, title, "Waiting");
        if let Some(reason) = st.pointer("/waiting/reason").and_then(Value::as_str) {
            w.kv(3, "Reason", reason);
        }
    }
}

fn probe(p: &Value) -> String {
    let attrs = format!(
        "delay={}s timeout={}s period={}s successThreshold={} failureThreshold={}",
        int(p, "/initialDelaySeconds"),
        int(p, "/timeoutSeconds"),
        int(p, "/periodSeconds"),
        int(p, "/successThreshold"),
        int(p, "/failureThreshold")
    );
    if let Some(e) = p.get("exec") {
        let cmd: Vec<String> = arr(e, "/command").iter().map(scalar).collect();
        return format!("exec [{}] {attrs}", cmd.join(" "));
    }
    if let Some(h) = p.get("httpGet") {
        let scheme = match s(h, "/scheme") {
            "" => "http".to_string(),
            sch => sch.to_lowercase(),
        };
        let (host, port) = (s(h, "/host"), int_or_str(h, "/port"));
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        let authority = if port.is_empty() {
            host
        } else {
            format!("{host}:{port}")
        };
        return format!("http-get {scheme}://{authority}{} {attrs}", s(h, "/path"));
    }
    if let Some(t) = p.get("tcpSocket") {
        let port = int_or_str(t, "/port");
        return format!("tcp-socket {}:{port} {attrs}", s(t, "/host"));
    }
    if let Some(g) = p.get("grpc") {
        return format!(
            "grpc <pod>:{} {} {attrs}",
            int(g, "/port"),
            s(g, "/service")
        );
    }
    format!("unknown {attrs}")
}

fn env(w: &mut Writer, c: &Value, pod: Option<&Value>) {
    let from = arr(c, "/envFrom");
    if !from.is_empty() {
        w.line(2, "Environment Variables from:");
        for e in from {
            let (kind, r) = match (e.get("configMapRef"), e.get("secretRef")) {
                (Some(r), _) => ("ConfigMap", r),
                (None, Some(r)) => ("Secret", r),
                _ => ("", &Value::Null),
            };
            let optional = r.get("optional").and_then(Value::as_bool) == Some(true);
            let name = s(r, "/name");
            match s(e, "/prefix") {
                "" => w.line(3, &format!("{name}\t{kind}\tOptional: {optional}")),
                p => w.line(
                    3,
                    &format!("{name}\t{kind} with prefix '{p}'\tOptional: {optional}"),
                ),
            }
        }
    }
    let vars = arr(c, "/env");
    w.write(
        2,
        &format!(
            "Environment:{}\n",
            if vars.is_empty() { "\t<none>" } else { "" }
        ),
    );
    for e in vars {
        let name = s(e, "/name");
        let Some(from) = e.get("valueFrom") else {
            for (i, l) in s(e, "/value").split('\n').enumerate() {
                if i == 0 {
                    w.kv(3, name, l);
                } else {
                    w.line(3, &format!("\t{l}"));
                }
            }
            continue;
        };
        // References are named, never resolved: a secret's value has no place on screen.
        let optional = |r: &Value| r.get("optional").and_then(Value::as_bool) == Some(true);
        if let Some(f) = from.get("fieldRef") {
            let path = s(f, "/fieldPath");
            let value = pod.map(|p| field_value(p, path)).unwrap_or_default();
            w.kv(3, name, format!("{value} ({}:{path})", s(f, "/apiVersion")));
        } else if let Some(r) = from.get("resourceFieldRef") {
            let res = s(r, "/resource");
            let mut value = resource_value(c, r);
            if value == "0" && (res == "limits.cpu" || res == "limits.memory") {
                value = "node allocatable".into();
            }
            w.kv(3, name, format!("{value} ({res})"));
        } else if let Some(r) = from.get("secretKeyRef") {
            let (key, secret) = (s(r, "/key"), s(r, "/name"));
            let v = format!("<set to the key '{key}' in secret '{secret}'>");
            w.kv(3, name, format!("{v}\tOptional: {}", optional(r)));
        } else if let Some(r) = from.get("configMapKeyRef") {
            let (key, cm) = (s(r, "/key"), s(r, "/name"));
            let v = format!("<set to the key '{key}' of config map '{cm}'>");
            w.kv(3, name, format!("{v}\tOptional: {}", optional(r)));
        }
    }
}

/// The downward-API fields a pod's environment can name.
fn field_value(p: &Value, path: &str) -> String {
    let key_of = |prefix: &str| {
        path.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix("']"))
            .map(str::to_string)
    };
    if let Some(k) = key_of("metadata.labels['") {
        return obj(p, "/metadata/labels")
            .and_then(|m| m.get(&k))
            .map(scalar)
            .unwrap_or_default();
    }
    if let Some(k) = key_of("metadata.annotations['") {
        let m = obj(p, "/metadata/annotations");
        return m.and_then(|m| m.get(&k)).map(scalar).unwrap_or_default();
    }
    let ptr = match path {
        "status.podIPs" => {
            return arr(p, "/status/podIPs")
                .iter()
                .map(|i| s(i, "/ip"))
                .collect::<Vec<_>>()
                .join(",");
        }
        "status.hostIPs" => {
            return arr(p, "/status/hostIPs")
                .iter()
                .map(|i| s(i, "/ip"))
                .collect::<Vec<_>>()
                .join(",");
        }
        other => format!("/{}", other.replace('.', "/")),
    };
    p.pointer(&ptr).map(scalar).unwrap_or_default()
}

/// A `resourceFieldRef` value: the container's quantity over the divisor, rounded up.
fn resource_value(c: &Value, r: &Value) -> String {
    let res = s(r, "/resource");
    let Some((side, name)) = res.split_once('.') else {
        return String::new();
    };
    let q = c
        .pointer(&format!("/resources/{side}/{name}"))
        .map(scalar)
        .and_then(|v| Quantity::parse(&v))
        .unwrap_or_default();
    let div = Quantity::parse(&int_or_str(r, "/divisor"))
        .filter(|d| !d.is_zero())
        .unwrap_or(Quantity::parse("1").unwrap_or_default());
    let (n, d) = (q.milli(), div.milli().max(1));
    ((n + d - 1) / d).to_string()
}

/// `Tolerations:` sorted by key, as kubectl writes each one.
pub fn tolerations(w: &mut Writer, indent: &str, list: &[Value]) {
    w.write(0, &format!("{indent}Tolerations:\t"));
    if list.is_empty() {
        return w.line(0, "<none>");
    }
    let mut list: Vec<&Value> = list.iter().collect();
    list.sort_by_key(|t| s(t, "/key"));
    for (i, t) in list.iter().enumerate() {
        if i > 0 {
            w.write(0, &format!("{indent}\t"));
        }
        let (key, value, effect) = (s(t, "/key"), s(t, "/value"), s(t, "/effect"));
        let mut out = key.to_string();
        if !value.is_empty() {
            out.push_str(&format!("={value}"));
        }
        if !effect.is_empty() {
            out.push_str(&format!(":{effect}"));
        }
        if s(t, "/operator") == "Exists" && value.is_empty() {
            out.push_str(if key.is_empty() && effect.is_empty() {
                "op=Exists"
            } else {
                " op=Exists"
            });
        }
        if let Some(secs) = t.get("tolerationSeconds").and_then(Value::as_i64) {
            out.push_str(&format!(" for {secs}s"));
        }
        w.line(0, &out);
    }
}

fn spread(w: &mut Writer, list: &[Value], space: &str) {
    if list.is_empty() {
        return;
    }
    let mut list: Vec<&Value> = list.iter().collect();
    list.sort_by_key(|t| s(t, "/topologyKey"));
    for (i, t) in list.iter().enumerate() {
        let title = if i == 0 {
            format!("{space}Topology Spread Constraints:\t")
        } else {
            format!("{space}\t")
        };
        let mut line = format!(
            "{title}{}:{} when max skew {} is exceeded",
            s(t, "/topologyKey"),
            s(t, "/whenUnsatisfiable"),
            int(t, "/maxSkew")
        );
        if t.get("labelSelector").is_some() {
            line.push_str(&format!(
                " for selector {}",
                super::table::label_selector(t.get("labelSelector"))
            ));
        }
        w.line(0, &line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Alignment aside: whitespace runs as one space.
    fn flat(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn crasher() -> Value {
        json!({"kind":"Pod","metadata":{"name":"crasher","namespace":"shop","labels":{"app":"crasher"},
            "ownerReferences":[{"kind":"ReplicaSet","name":"crasher-1","controller":true}]},
            "spec":{"nodeName":"dev-node-1","serviceAccountName":"default","priority":0,
                "nodeSelector":{"disktype":"nvme"},
                "tolerations":[{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],
                "containers":[{"name":"app","image":"crasher:1","command":["/crasher"],
                    "ports":[{"containerPort":8080,"protocol":"TCP","name":"http"}],
                    "resources":{"limits":{"cpu":"500m","memory":"512Mi"},"requests":{"cpu":"100m","memory":"128Mi"}},
                    "livenessProbe":{"httpGet":{"path":"/healthz","port":8080,"scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},
                    "env":[{"name":"MODE","value":"prod"},
                        {"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"db-credentials","key":"password"}}},
                        {"name":"POD","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.name"}}}],
                    "volumeMounts":[{"name":"cfg","mountPath":"/etc/crasher","readOnly":true}]}],
                "volumes":[{"name":"cfg","configMap":{"name":"crasher-config"}}]},
            "status":{"phase":"Running","hostIP":"10.0.0.2","podIP":"10.244.1.5","podIPs":[{"ip":"10.244.1.5"}],
                "conditions":[{"type":"Ready","status":"False"}],
                "containerStatuses":[{"name":"app","ready":false,"restartCount":7,"containerID":"containerd://x","imageID":"img",
                    "state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off"}},
                    "lastState":{"terminated":{"reason":"Error","exitCode":1,"startedAt":"2026-01-01T00:00:00Z","finishedAt":"2026-01-01T00:00:01Z"}}}]}})
    }

    #[test]
    fn a_crash_looping_pod_reads_like_kubectl() {
        let lines = describe(&crasher(), 0);
        let text = lines.join("\n");
        let order = [
            "Name:",
            "Namespace:",
            "Priority:",
            "Service Account:",
            "Node:",
            "Labels:",
            "Annotations:",
            "Status:",
            "IP:",
            "IPs:",
            "Controlled By:",
            "Containers:",
            "Conditions:",
            "Volumes:",
            "QoS Class:",
            "Node-Selectors:",
            "Tolerations:",
        ];
        let pos: Vec<Option<usize>> = order
            .iter()
            .map(|h| lines.iter().position(|l| l.starts_with(h)))
            .collect();
        assert!(pos.iter().all(Option::is_some), "{text}");
        assert!(pos.windows(2).all(|p| p[0] < p[1]), "{text}");
        let has = |s: &str| assert!(flat(&text).contains(&flat(s)), "{s:?} in\n{text}");
        has("Node:             dev-node-1/10.0.0.2");
        has("Controlled By:    ReplicaSet/crasher-1");
        has("    State:          Waiting\n      Reason:       CrashLoopBackOff");
        has("    Last State:     Terminated\n      Reason:       Error\n      Exit Code:    1");
        has("    Ready:          False\n    Restart Count:  7");
        has("    Port:           8080/TCP (http)");
        has("Liveness:       http-get http://:8080/healthz delay=0s timeout=1s period=10s");
        has(
            "DB_PASSWORD:  <set to the key 'password' in secret 'db-credentials'>  Optional: false",
        );
        has("POD:          crasher (v1:metadata.name)");
        has("/etc/crasher from cfg (ro)");
        has("    Type:      ConfigMap (a volume populated by a ConfigMap)");
        has("QoS Class:                   Burstable");
        has("Node-Selectors:              disktype=nvme");
        has("node.kubernetes.io/unreachable:NoExecute op=Exists for 300s");
    }

    #[test]
    fn templates_and_empty_pods() {
        let mut w = Writer::new();
        let t = crasher()["spec"].clone();
        template(
            &mut w,
            Some(&json!({"metadata":{"labels":{"app":"web"}},"spec":t})),
        );
        let text = w.finish().join("\n");
        assert!(
            text.contains("  Containers:\n   app:\n    Image:"),
            "{text}"
        );
        assert!(
            !text.contains("Restart Count"),
            "a template has no state:\n{text}"
        );
        assert!(text.contains("  Volumes:\n   cfg:"), "{text}");
        let bare = flat(&describe(&json!({"kind":"Pod","metadata":{"name":"p"}}), 0).join("\n"));
        assert!(bare.contains("Node: <none>"), "{bare}");
        assert!(bare.contains("Containers: <none>"), "{bare}");
        assert!(bare.contains("QoS Class: BestEffort"), "{bare}");
    }
}
