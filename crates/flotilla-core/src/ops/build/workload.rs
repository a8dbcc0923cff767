//! Workloads from a form (`:create deploy|sts|ds|job|cronjob`): the fields an operator fills
//! in every week — image, replicas or schedule, ports, environment (literal or from a
//! ConfigMap or Secret key), requests and limits, probes, command and args, volumes — turned
//! into the object, every value checked first and a refusal naming its field. What the form
//! does not ask is added in the editor it opens next.

use super::names::dns_name;
use super::quantity::amounts;
use serde_json::{Map, Value, json};

/// The kinds a form makes, by the words `:create` takes.
pub fn kind_of(word: &str) -> Option<&'static str> {
    Some(match word {
        "deploy" | "deployment" | "deployments" => "Deployment",
        "sts" | "statefulset" | "statefulsets" => "StatefulSet",
        "ds" | "daemonset" | "daemonsets" => "DaemonSet",
        "job" | "jobs" => "Job",
        "cj" | "cronjob" | "cronjobs" => "CronJob",
        _ => return None,
    })
}

/// One field of the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Name,
    Image,
    Replicas,
    Schedule,
    Ports,
    Env,
    Requests,
    Limits,
    Readiness,
    Liveness,
    Command,
    Args,
    Volumes,
}

impl Field {
    /// The label the form shows: the field's name, then how to write it.
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Image => "image",
            Field::Replicas => "replicas",
            Field::Schedule => "schedule (cron, e.g. */5 * * * *)",
            Field::Ports => "ports (8080,9090/UDP)",
            Field::Env => "env (K=v K=configmap:CM/key K=secret:S/key)",
            Field::Requests => "requests (cpu=100m,memory=128Mi)",
            Field::Limits => "limits (cpu=500m,memory=256Mi)",
            Field::Readiness => "readiness (http:PORT/PATH or tcp:PORT)",
            Field::Liveness => "liveness (http:PORT/PATH or tcp:PORT)",
            Field::Command => "command",
            Field::Args => "args",
            Field::Volumes => "volumes (pvc:NAME:/path configmap:NAME:/path)",
        }
    }

    /// The field's name in a refusal: the label up to its hint.
    fn name(self) -> &'static str {
        let l = self.label();
        l.split(" (").next().unwrap_or(l)
    }
}

/// The form's fields for `kind`, in order.
pub fn fields(kind: &str) -> Vec<Field> {
    let mut out = vec![Field::Name, Field::Image];
    match kind {
        "Deployment" | "StatefulSet" => out.push(Field::Replicas),
        "CronJob" => out.push(Field::Schedule),
        _ => {}
    }
    out.extend([
        Field::Ports,
        Field::Env,
        Field::Requests,
        Field::Limits,
        Field::Readiness,
        Field::Liveness,
        Field::Command,
        Field::Args,
        Field::Volumes,
    ]);
    out
}

/// What a field starts with.
pub fn default_of(field: Field) -> &'static str {
    match field {
        Field::Replicas => "1",
        _ => "",
    }
}

/// The object the form describes: `values` in the order of [`fields`]`(kind)`, in
/// `namespace` (none when empty).
pub fn workload(kind: &str, namespace: &str, values: &[String]) -> Result<Value, String> {
    let fields = fields(kind);
    let get = |f: Field| -> &str {
        fields
            .iter()
            .position(|x| *x == f)
            .and_then(|i| values.get(i))
            .map(|v| v.trim())
            .unwrap_or("")
    };
    let at = |f: Field, e: String| format!("{}: {e}", f.name());
    let name = get(Field::Name);
    dns_name("name", name).map_err(|e| at(Field::Name, e))?;
    let image = get(Field::Image);
    if image.is_empty() || image.chars().any(char::is_whitespace) {
        return Err(at(Field::Image, "type the container's image".into()));
    }
    let mut container = Map::new();
    container.insert("name".into(), json!(name));
    container.insert("image".into(), json!(image));
    let ports = ports(get(Field::Ports)).map_err(|e| at(Field::Ports, e))?;
    if !ports.is_empty() {
        container.insert("ports".into(), Value::Array(ports));
    }
    let env = env(get(Field::Env)).map_err(|e| at(Field::Env, e))?;
    if !env.is_empty() {
        container.insert("env".into(), Value::Array(env));
    }
    let mut resources = Map::new();
    for (field, key) in [(Field::Requests, "requests"), (Field::Limits, "limits")] {
        let text = get(field);
        if text.is_empty() {
            continue;
        }
        let pairs = amounts(text).map_err(|e| at(field, e))?;
        let m: Map<String, Value> = pairs.into_iter().map(|(k, v)| (k, json!(v))).collect();
        resources.insert(key.into(), Value::Object(m));
    }
    if !resources.is_empty() {
        container.insert("resources".into(), Value::Object(resources));
    }
    for (field, key) in [
        (Field::Readiness, "readinessProbe"),
        (Field::Liveness, "livenessProbe"),
    ] {
        if let Some(p) = probe(get(field)).map_err(|e| at(field, e))? {
            container.insert(key.into(), p);
        }
    }
    for (field, key) in [(Field::Command, "command"), (Field::Args, "args")] {
        let words = super::words(get(field)).map_err(|e| at(field, e))?;
        if !words.is_empty() {
            container.insert(key.into(), json!(words));
        }
    }
    let (volumes, mounts) = volumes(get(Field::Volumes)).map_err(|e| at(Field::Volumes, e))?;
    if !mounts.is_empty() {
        container.insert("volumeMounts".into(), Value::Array(mounts));
    }
    let mut pod = json!({"containers": [Value::Object(container)]});
    if !volumes.is_empty() {
        pod["volumes"] = Value::Array(volumes);
    }
    let labels = json!({"app": name});
    let template = |pod: Value| json!({"metadata": {"labels": labels}, "spec": pod});
    let mut meta = json!({"name": name, "labels": labels});
    // Without one the namespace is each cluster's, as for a pasted object.
    if !namespace.is_empty() {
        meta["namespace"] = json!(namespace);
    }
    let replicas = || -> Result<i64, String> {
        let text = get(Field::Replicas);
        let n: i64 = text
            .parse()
            .map_err(|_| at(Field::Replicas, format!("{text:?} is not a whole number")))?;
        if n < 0 {
            return Err(at(Field::Replicas, "cannot be negative".into()));
        }
        Ok(n)
    };
    let run_once = |mut pod: Value| {
        pod["restartPolicy"] = json!("Never");
        pod
    };
    Ok(match kind {
        "Deployment" => json!({
            "apiVersion": "apps/v1", "kind": kind, "metadata": meta,
            "spec": {"replicas": replicas()?, "selector": {"matchLabels": labels},
                     "template": template(pod)}
        }),
        "StatefulSet" => json!({
            "apiVersion": "apps/v1", "kind": kind, "metadata": meta,
            "spec": {"replicas": replicas()?, "serviceName": name,
                     "selector": {"matchLabels": labels}, "template": template(pod)}
        }),
        "DaemonSet" => json!({
            "apiVersion": "apps/v1", "kind": kind, "metadata": meta,
            "spec": {"selector": {"matchLabels": labels}, "template": template(pod)}
        }),
        "Job" => json!({
            "apiVersion": "batch/v1", "kind": kind, "metadata": meta,
            "spec": {"template": template(run_once(pod))}
        }),
        "CronJob" => {
            let schedule = get(Field::Schedule);
            cron(schedule).map_err(|e| at(Field::Schedule, e))?;
            json!({
                "apiVersion": "batch/v1", "kind": kind, "metadata": meta,
                "spec": {"schedule": schedule,
                         "jobTemplate": {"spec": {"template": template(run_once(pod))}}}
            })
        }
        other => return Err(format!("a {other} is not made from a form")),
    })
}

/// `8080,9090/UDP` → container ports.
fn ports(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for part in text.split([',', ' ']).filter(|p| !p.is_empty()) {
        let (number, protocol) = match part.split_once('/') {
            Some((n, p)) => (n, p.to_ascii_uppercase()),
            None => (part, "TCP".to_string()),
        };
        let port = port(number)?;
        if !matches!(protocol.as_str(), "TCP" | "UDP" | "SCTP") {
            return Err(format!("{part}: the protocol is TCP, UDP or SCTP"));
        }
        out.push(json!({"containerPort": port, "protocol": protocol}));
    }
    Ok(out)
}

fn port(text: &str) -> Result<u16, String> {
    match text.parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) => Ok(p as u16),
        _ => Err(format!("{text} is not a port (1-65535)")),
    }
}

/// `K=v K=configmap:CM/key K=secret:S/key` → env entries.
fn env(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for word in super::words(text)? {
        let (key, value) = word
            .split_once('=')
            .ok_or_else(|| format!("{word:?}: write NAME=value"))?;
        let valid = !key.is_empty()
            && !key.starts_with(|c: char| c.is_ascii_digit())
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            return Err(format!("{key:?} is not a variable name"));
        }
        let from = |source: &str, rest: &str| -> Result<Value, String> {
            let (object, item) = rest
                .split_once('/')
                .ok_or_else(|| format!("{word:?}: write {key}={source}:NAME/KEY"))?;
            dns_name(source, object)?;
            super::data_key(item)?;
            let selector = if source == "configmap" {
                "configMapKeyRef"
            } else {
                "secretKeyRef"
            };
            Ok(json!({"name": key, "valueFrom": {selector: {"name": object, "key": item}}}))
        };
        out.push(match value.split_once(':') {
            Some(("configmap", rest)) => from("configmap", rest)?,
            Some(("secret", rest)) => from("secret", rest)?,
            _ => json!({"name": key, "value": value}),
        });
    }
    Ok(out)
}

/// `http:8080/healthz` or `tcp:5432` → a probe; empty → none.
fn probe(text: &str) -> Result<Option<Value>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let bad = || format!("{text:?}: write http:PORT/PATH or tcp:PORT");
    let (scheme, rest) = text.split_once(':').ok_or_else(bad)?;
    Ok(Some(match scheme {
        "http" | "https" => {
            let (p, path) = match rest.split_once('/') {
                Some((p, path)) => (p, format!("/{path}")),
                None => (rest, "/".to_string()),
            };
            let mut get = json!({"port": port(p)?, "path": path});
            if scheme == "https" {
                get["scheme"] = json!("HTTPS");
            }
            json!({"httpGet": get, "periodSeconds": 10})
        }
        "tcp" => json!({"tcpSocket": {"port": port(rest)?}, "periodSeconds": 10}),
        _ => return Err(bad()),
    }))
}

/// `pvc:NAME:/path configmap:NAME:/path` → (volumes, mounts).
fn volumes(text: &str) -> Result<(Vec<Value>, Vec<Value>), String> {
    let (mut volumes, mut mounts) = (Vec::new(), Vec::new());
    for (i, word) in super::words(text)?.iter().enumerate() {
        let mut parts = word.splitn(3, ':');
        let (Some(source), Some(object), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!(
                "{word:?}: write pvc:NAME:/path or configmap:NAME:/path"
            ));
        };
        dns_name(source, object)?;
        if !path.starts_with('/') {
            return Err(format!("{word:?}: the mount path must be absolute"));
        }
        let volume = format!("vol-{i}");
        volumes.push(match source {
            "pvc" => json!({"name": volume, "persistentVolumeClaim": {"claimName": object}}),
            "configmap" => json!({"name": volume, "configMap": {"name": object}}),
            _ => return Err(format!("{word:?}: a volume is pvc: or configmap:")),
        });
        mounts.push(json!({"name": volume, "mountPath": path}));
    }
    Ok((volumes, mounts))
}

/// Five fields, as the CronJob controller reads them (or a macro such as `@hourly`).
fn cron(text: &str) -> Result<(), String> {
    let macros = [
        "@yearly",
        "@annually",
        "@monthly",
        "@weekly",
        "@daily",
        "@midnight",
        "@hourly",
    ];
    if macros.contains(&text) || text.split_whitespace().count() == 5 {
        Ok(())
    } else {
        Err(format!(
            "{text:?}: five fields (minute hour day month weekday), e.g. */5 * * * *"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(kind: &str, set: &[(Field, &str)]) -> Vec<String> {
        fields(kind)
            .into_iter()
            .map(|f| {
                // The last value given for a field wins.
                set.iter()
                    .rev()
                    .find(|(g, _)| *g == f)
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_else(|| default_of(f).to_string())
            })
            .collect()
    }

    #[test]
    fn a_deployment_gets_every_field_the_form_set() {
        let values = form(
            "Deployment",
            &[
                (Field::Name, "web"),
                (Field::Image, "nginx:1.27"),
                (Field::Replicas, "3"),
                (Field::Ports, "8080, 9090/udp"),
                (
                    Field::Env,
                    "MODE=fast DB=secret:db/password CFG=configmap:app/conf",
                ),
                (Field::Requests, "cpu=100m,memory=128Mi"),
                (Field::Limits, "memory=256Mi"),
                (Field::Readiness, "http:8080/healthz"),
                (Field::Liveness, "tcp:8080"),
                (Field::Command, "nginx -g 'daemon off;'"),
                (Field::Volumes, "pvc:data:/data configmap:app:/etc/app"),
            ],
        );
        let d = workload("Deployment", "shop", &values).expect("builds");
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(d["spec"]["replicas"], 3);
        assert_eq!(d["spec"]["selector"]["matchLabels"]["app"], "web");
        assert_eq!(
            c["ports"][1],
            json!({"containerPort": 9090, "protocol": "UDP"})
        );
        assert_eq!(
            c["env"][1]["valueFrom"]["secretKeyRef"],
            json!({"name": "db", "key": "password"})
        );
        assert_eq!(c["resources"]["requests"]["cpu"], "100m");
        assert_eq!(
            c["readinessProbe"]["httpGet"],
            json!({"port": 8080, "path": "/healthz"})
        );
        assert_eq!(c["livenessProbe"]["tcpSocket"]["port"], 8080);
        assert_eq!(c["command"], json!(["nginx", "-g", "daemon off;"]));
        assert_eq!(c["volumeMounts"][1]["mountPath"], "/etc/app");
        assert_eq!(
            d["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
            "data"
        );
    }

    #[test]
    fn every_kind_builds_and_a_bad_value_names_its_field() {
        for kind in ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"] {
            let mut set = vec![(Field::Name, "w"), (Field::Image, "busybox:1.36")];
            if kind == "CronJob" {
                set.push((Field::Schedule, "*/5 * * * *"));
            }
            assert!(workload(kind, "ns", &form(kind, &set)).is_ok(), "{kind}");
        }
        let bad = |f: Field, v: &str| {
            let values = form(
                "CronJob",
                &[
                    (Field::Name, "w"),
                    (Field::Image, "i"),
                    (Field::Schedule, "@daily"),
                    (f, v),
                ],
            );
            workload("CronJob", "ns", &values).expect_err(v)
        };
        assert_eq!(
            bad(Field::Ports, "70000"),
            "ports: 70000 is not a port (1-65535)"
        );
        assert!(bad(Field::Requests, "cpu=lots").starts_with("requests: cpu=lots"));
        assert!(bad(Field::Schedule, "often").starts_with("schedule: "));
        assert!(bad(Field::Readiness, "grpc:1").starts_with("readiness: "));
        assert!(bad(Field::Env, "1X=a").starts_with("env: "));
        assert!(bad(Field::Volumes, "pvc:data:rel").starts_with("volumes: "));
        assert!(bad(Field::Name, "Not_A_Name").starts_with("name: "));
        assert!(bad(Field::Image, "").starts_with("image: "));
    }
}
