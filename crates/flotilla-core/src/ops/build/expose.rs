//! "Expose" a workload: a Service selecting its pods (ClusterIP, NodePort or LoadBalancer, its
//! ports from the containers') and, when a host is given, an Ingress routing to it — and the
//! ports of a Service and the rules of an Ingress as one line each, for the forms that edit
//! them. Every value is checked here; a refusal names its field.

use super::names::dns_name;
use serde_json::{Map, Value, json};

/// The form's fields, in order.
pub const FIELDS: [&str; 7] = [
    "service name",
    "type (ClusterIP, NodePort, LoadBalancer)",
    "ports (PORT:TARGET/PROTOCOL,…)",
    "ingress host (empty: no Ingress)",
    "ingress path",
    "ingress TLS secret (empty: none)",
    "ingress class (empty: the cluster's default)",
];

/// The form's first values for `object` (a workload or a pod): its name, ClusterIP, its
/// containers' ports.
pub fn defaults(name: &str, object: &Value) -> Vec<String> {
    let ports: Vec<String> = container_ports(object)
        .into_iter()
        .map(|(p, proto)| {
            if proto == "TCP" {
                format!("{p}:{p}")
            } else {
                format!("{p}:{p}/{proto}")
            }
        })
        .collect();
    vec![
        name.to_string(),
        "ClusterIP".into(),
        ports.join(","),
        String::new(),
        "/".into(),
        String::new(),
        String::new(),
    ]
}

/// The labels a workload's pods carry (its selector's), or a pod's own.
pub fn selector_of(object: &Value) -> Option<Map<String, Value>> {
    let m = object
        .pointer("/spec/selector/matchLabels")
        .or_else(|| match object.get("kind").and_then(Value::as_str) {
            Some("Pod") => object.pointer("/metadata/labels"),
            _ => None,
        })?
        .as_object()?;
    (!m.is_empty()).then(|| m.clone())
}

/// (port, protocol) of every container of the pod template (or pod).
fn container_ports(object: &Value) -> Vec<(u64, String)> {
    let spec = object
        .pointer("/spec/template/spec")
        .or_else(|| object.get("spec"));
    spec.and_then(|s| s.get("containers"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|c| {
            c.get("ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|p| {
            let port = p.get("containerPort")?.as_u64()?;
            let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
            Some((port, proto.to_string()))
        })
        .collect()
}

/// The Service (and the Ingress, when a host is given) the form describes, for the pods
/// `selector` picks in `namespace`.
pub fn expose(
    namespace: &str,
    selector: &Map<String, Value>,
    values: &[String],
) -> Result<Vec<Value>, String> {
    let v = |i: usize| values.get(i).map(|s| s.trim()).unwrap_or("");
    let at = |i: usize, e: String| {
        let label = FIELDS[i];
        format!("{}: {e}", label.split(" (").next().unwrap_or(label))
    };
    let name = v(0);
    dns_name("name", name).map_err(|e| at(0, e))?;
    let kind = match v(1).to_ascii_lowercase().as_str() {
        "" | "clusterip" => "ClusterIP",
        "nodeport" => "NodePort",
        "loadbalancer" => "LoadBalancer",
        other => {
            return Err(at(
                1,
                format!("{other:?} is not ClusterIP, NodePort or LoadBalancer"),
            ));
        }
    };
    let ports = service_ports(v(2)).map_err(|e| at(2, e))?;
    if ports.is_empty() {
        return Err(at(2, "give at least one port (80:8080)".into()));
    }
    let first_port = ports[0]["port"].clone();
    let mut service = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"type": kind, "selector": selector, "ports": ports},
    });
    if !namespace.is_empty() {
        service["metadata"]["namespace"] = json!(namespace);
    }
    let mut out = vec![service];
    let host = v(3);
    if host.is_empty() {
        return Ok(out);
    }
    let path = match v(4) {
        "" => "/",
        p if p.starts_with('/') => p,
        p => return Err(at(4, format!("{p:?}: a path starts with /"))),
    };
    let rule = format!("{host}{path}={name}:{first_port}");
    let rules = ingress_rules(&rule).map_err(|e| at(3, e))?;
    let mut spec = json!({"rules": rules});
    if !v(5).is_empty() {
        dns_name("secret", v(5)).map_err(|e| at(5, e))?;
        spec["tls"] = json!([{"hosts": [host], "secretName": v(5)}]);
    }
    if !v(6).is_empty() {
        dns_name("class", v(6)).map_err(|e| at(6, e))?;
        spec["ingressClassName"] = json!(v(6));
    }
    let mut ingress = json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name},
        "spec": spec,
    });
    if !namespace.is_empty() {
        ingress["metadata"]["namespace"] = json!(namespace);
    }
    out.push(ingress);
    Ok(out)
}

/// `80:8080,443:8443/TCP,53/UDP` → Service ports (named when there are several, as the API
/// requires).
pub fn service_ports(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    let parts: Vec<&str> = text.split([',', ' ']).filter(|p| !p.is_empty()).collect();
    for part in &parts {
        let (spec, protocol) = match part.split_once('/') {
            Some((s, p)) => (s, p.to_ascii_uppercase()),
            None => (*part, "TCP".to_string()),
        };
        if !matches!(protocol.as_str(), "TCP" | "UDP" | "SCTP") {
            return Err(format!("{part}: the protocol is TCP, UDP or SCTP"));
        }
        let (port, target) = spec.split_once(':').unwrap_or((spec, spec));
        let port = number(port)?;
        let mut p = json!({"port": port, "protocol": protocol});
        p["targetPort"] = match target.parse::<u64>() {
            Ok(_) => json!(number(target)?),
            // A named container port.
            Err(_) => {
                dns_name("target port", target)?;
                json!(target)
            }
        };
        if parts.len() > 1 {
            p["name"] = json!(format!("{}-{port}", protocol.to_ascii_lowercase()));
        }
        out.push(p);
    }
    Ok(out)
}

/// A Service's ports as [`service_ports`] reads them.
pub fn ports_line(service: &Value) -> String {
    service
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let port = p.get("port").map(Value::to_string).unwrap_or_default();
            let target = match p.get("targetPort") {
                Some(Value::String(s)) => s.clone(),
                Some(t) => t.to_string(),
                None => port.clone(),
            };
            let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
            match proto {
                "TCP" => format!("{port}:{target}"),
                other => format!("{port}:{target}/{other}"),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn number(text: &str) -> Result<u16, String> {
    match text.parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) => Ok(p as u16),
        _ => Err(format!("{text} is not a port (1-65535)")),
    }
}

/// `HOST/PATH=SERVICE:PORT …` → Ingress rules (one per host, its paths in order).
pub fn ingress_rules(text: &str) -> Result<Vec<Value>, String> {
    let mut rules: Vec<(String, Vec<Value>)> = Vec::new();
    for word in text.split_whitespace() {
        let bad = || format!("{word:?}: write HOST/PATH=SERVICE:PORT");
        let (route, backend) = word.split_once('=').ok_or_else(bad)?;
        let (host, path) = match route.find('/') {
            Some(i) => route.split_at(i),
            None => (route, "/"),
        };
        let (service, port) = backend.split_once(':').ok_or_else(bad)?;
        dns_name("service", service)?;
        let port = match port.parse::<u64>() {
            Ok(_) => json!({"number": number(port)?}),
            Err(_) => json!({"name": port}),
        };
        if !host.is_empty()
            && host
                .split('.')
                .any(|l| l.is_empty() || l.contains(char::is_whitespace))
        {
            return Err(format!("{host:?} is not a host name"));
        }
        let entry = json!({"path": path, "pathType": "Prefix",
            "backend": {"service": {"name": service, "port": port}}});
        match rules.iter_mut().find(|(h, _)| h == host) {
            Some((_, paths)) => paths.push(entry),
            None => rules.push((host.to_string(), vec![entry])),
        }
    }
    if rules.is_empty() {
        return Err("give at least one rule (shop.example.com/=web:80)".into());
    }
    Ok(rules
        .into_iter()
        .map(|(host, paths)| {
            let mut r = json!({"http": {"paths": paths}});
            if !host.is_empty() {
                r["host"] = json!(host);
            }
            r
        })
        .collect())
}

/// An Ingress's rules as [`ingress_rules`] reads them.
pub fn rules_line(ingress: &Value) -> String {
    let mut out = Vec::new();
    for rule in ingress
        .pointer("/spec/rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let host = rule.get("host").and_then(Value::as_str).unwrap_or("");
        for p in rule
            .pointer("/http/paths")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let path = p.get("path").and_then(Value::as_str).unwrap_or("/");
            let svc = p
                .pointer("/backend/service/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let port = match p.pointer("/backend/service/port") {
                Some(port) => port
                    .get("number")
                    .map(Value::to_string)
                    .or_else(|| port.get("name").and_then(Value::as_str).map(str::to_string))
                    .unwrap_or_default(),
                None => String::new(),
            };
            out.push(format!("{host}{path}={svc}:{port}"));
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deployment_is_exposed_by_a_service_and_an_ingress() {
        let deploy = json!({"kind": "Deployment", "spec": {"selector": {"matchLabels": {"app": "web"}},
            "template": {"spec": {"containers": [{"ports": [{"containerPort": 8080}, {"containerPort": 53, "protocol": "UDP"}]}]}}}});
        let mut values = defaults("web", &deploy);
        assert_eq!(values[2], "8080:8080,53:53/UDP");
        values[2] = "80:8080".into();
        values[3] = "shop.example.com".into();
        values[5] = "shop-tls".into();
        let selector = selector_of(&deploy).expect("a selector");
        let objects = expose("shop", &selector, &values).expect("builds");
        assert_eq!(objects[0]["spec"]["selector"]["app"], "web");
        assert_eq!(
            objects[0]["spec"]["ports"][0],
            json!({"port": 80, "protocol": "TCP", "targetPort": 8080})
        );
        assert_eq!(objects[1]["spec"]["rules"][0]["host"], "shop.example.com");
        assert_eq!(
            objects[1]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"],
            json!({"name": "web", "port": {"number": 80}})
        );
        assert_eq!(objects[1]["spec"]["tls"][0]["secretName"], "shop-tls");
        values[3].clear();
        assert_eq!(
            expose("shop", &selector, &values).expect("builds").len(),
            1,
            "no host, no Ingress"
        );
        values[2] = "70000".into();
        assert_eq!(
            expose("shop", &selector, &values).expect_err("refused"),
            "ports: 70000 is not a port (1-65535)"
        );
        values[2] = "80".into();
        values[1] = "External".into();
        assert!(
            expose("shop", &selector, &values)
                .expect_err("refused")
                .starts_with("type: ")
        );
    }

    #[test]
    fn ports_and_rules_read_back_as_they_are_written() {
        let svc = json!({"spec": {"ports": service_ports("80:8080,443:https,53:53/UDP").expect("ports")}});
        assert_eq!(ports_line(&svc), "80:8080,443:https,53:53/UDP");
        let line = "shop.example.com/=web:80 shop.example.com/api=api:8080 /=fallback:http";
        let ing = json!({"spec": {"rules": ingress_rules(line).expect("rules")}});
        assert_eq!(ing["spec"]["rules"].as_array().map(Vec::len), Some(2));
        assert_eq!(rules_line(&ing), line);
        assert!(ingress_rules("shop.example.com/").is_err());
        assert!(ingress_rules("a/=web:99999").is_err());
    }
}
