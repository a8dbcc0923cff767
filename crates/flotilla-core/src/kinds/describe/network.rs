//! Services and Ingresses (kubectl's `describeService`, `describeIngressV1`): where traffic is
//! sent, and the ready endpoints behind it (from EndpointSlices).

use super::table::{
    Writer, annotations, arr, format_labels, int, int_or_str, labels, obj, s, scalar,
};
use super::{Related, Slot};
use serde_json::Value;

/// The ready endpoints of the slices for the ports named `port` (kubectl's
/// `formatEndpointSlices`): at most three, then how many more.
fn endpoints(slices: &[&Value], port: Option<&str>) -> String {
    if slices.is_empty() {
        return "<none>".into();
    }
    const MAX: usize = 3;
    let (mut list, mut more, mut count) = (Vec::new(), false, 0usize);
    let ready = |e: &Value| e.pointer("/conditions/ready").and_then(Value::as_bool) != Some(false);
    let first = |e: &Value| arr(e, "/addresses").first().map(scalar).unwrap_or_default();
    for slice in slices {
        let eps = arr(slice, "/endpoints");
        let ports = arr(slice, "/ports");
        if ports.is_empty() {
            // A headless service may have no ports: its endpoints are bare addresses.
            for e in eps {
                more |= list.len() == MAX;
                if !ready(e) {
                    continue;
                }
                if !more {
                    list.push(first(e));
                }
                count += 1;
            }
            continue;
        }
        for p in ports {
            if port.is_some_and(|want| s(p, "/name") != want) {
                continue;
            }
            for e in eps {
                more |= list.len() == MAX;
                if !ready(e) {
                    continue;
                }
                if !more {
                    let addr = first(e);
                    let n = int(p, "/port");
                    list.push(if addr.contains(':') {
                        format!("[{addr}]:{n}")
                    } else {
                        format!("{addr}:{n}")
                    });
                }
                count += 1;
            }
        }
    }
    let joined = list.join(",");
    if more {
        format!("{joined} + {} more...", count.saturating_sub(MAX))
    } else {
        joined
    }
}

fn slices_of<'a>(all: &'a [Value], service: &str) -> Vec<&'a Value> {
    all.iter()
        .filter(|e| s(e, "/metadata/labels/kubernetes.io~1service-name") == service)
        .collect()
}

pub fn service(svc: &Value, related: &Related) -> Vec<String> {
    let mut w = Writer::new();
    w.kv(0, "Name", s(svc, "/metadata/name"));
    w.kv(0, "Namespace", s(svc, "/metadata/namespace"));
    labels(&mut w, "", "Labels", obj(svc, "/metadata/labels"));
    annotations(&mut w, "Annotations", obj(svc, "/metadata/annotations"));
    w.kv(0, "Selector", format_labels(obj(svc, "/spec/selector")));
    w.kv(0, "Type", s(svc, "/spec/type"));
    if !s(svc, "/spec/ipFamilyPolicy").is_empty() {
        w.kv(0, "IP Family Policy", s(svc, "/spec/ipFamilyPolicy"));
    }
    let list = |p: &str| -> Vec<String> { arr(svc, p).iter().map(scalar).collect() };
    let joined_or_none = |v: Vec<String>| {
        if v.is_empty() {
            "<none>".to_string()
        } else {
            v.join(",")
        }
    };
    w.kv(0, "IP Families", joined_or_none(list("/spec/ipFamilies")));
    w.kv(0, "IP", s(svc, "/spec/clusterIP"));
    w.kv(0, "IPs", joined_or_none(list("/spec/clusterIPs")));
    if !list("/spec/externalIPs").is_empty() {
        w.kv(0, "External IPs", list("/spec/externalIPs").join(","));
    }
    for (key, ptr) in [
        ("Desired LoadBalancer IP", "/spec/loadBalancerIP"),
        ("External Name", "/spec/externalName"),
    ] {
        if !s(svc, ptr).is_empty() {
            w.kv(0, key, s(svc, ptr));
        }
    }
    let ingress: Vec<String> = arr(svc, "/status/loadBalancer/ingress")
        .iter()
        .map(|i| match s(i, "/ip") {
            "" => s(i, "/hostname").to_string(),
            ip => match s(i, "/ipMode") {
                "" => ip.to_string(),
                mode => format!("{ip} ({mode})"),
            },
        })
        .collect();
    if !ingress.is_empty() {
        w.kv(0, "LoadBalancer Ingress", ingress.join(", "));
    }
    let slices = related.items(Slot::EndpointSlices);
    for p in arr(svc, "/spec/ports") {
        let name = match s(p, "/name") {
            "" => "<unset>",
            n => n,
        };
        let proto = s(p, "/protocol");
        w.line(0, &format!("Port:\t{name}\t{}/{proto}", int(p, "/port")));
        w.kv(
            0,
            "TargetPort",
            format!("{}/{proto}", int_or_str(p, "/targetPort")),
        );
        if !s(p, "/appProtocol").is_empty() {
            w.kv(0, "AppProtocol", s(p, "/appProtocol"));
        }
        if int(p, "/nodePort") != 0 {
            w.line(
                0,
                &format!("NodePort:\t{name}\t{}/{proto}", int(p, "/nodePort")),
            );
        }
        let eps = match &slices {
            Ok(all) => endpoints(&all.iter().collect::<Vec<_>>(), Some(s(p, "/name"))),
            Err(e) => e.clone(),
        };
        w.kv(0, "Endpoints", eps);
    }
    w.kv(0, "Session Affinity", s(svc, "/spec/sessionAffinity"));
    for (key, ptr) in [
        ("External Traffic Policy", "/spec/externalTrafficPolicy"),
        ("Internal Traffic Policy", "/spec/internalTrafficPolicy"),
    ] {
        if !s(svc, ptr).is_empty() {
            w.kv(0, key, s(svc, ptr));
        }
    }
    if int(svc, "/spec/healthCheckNodePort") != 0 {
        w.kv(
            0,
            "HealthCheck NodePort",
            int(svc, "/spec/healthCheckNodePort"),
        );
    }
    if !list("/spec/loadBalancerSourceRanges").is_empty() {
        let ranges = list("/spec/loadBalancerSourceRanges").join(",");
        w.kv(0, "LoadBalancer Source Ranges", ranges);
    }
    if !s(svc, "/spec/trafficDistribution").is_empty() {
        w.kv(
            0,
            "Traffic Distribution",
            s(svc, "/spec/trafficDistribution"),
        );
    }
    w.finish()
}

/// `web:80 (10.0.0.5:8080,…)`: the backend service and its ready endpoints for that port.
fn backend(b: &Value, related: &Related) -> String {
    if let Some(r) = b.get("resource") {
        let group = match s(r, "/apiGroup") {
            "" => "<none>",
            g => g,
        };
        return format!(
            "APIGroup: {group}, Kind: {}, Name: {}",
            s(r, "/kind"),
            s(r, "/name")
        );
    }
    let Some(svc) = b.get("service") else {
        return String::new();
    };
    let name = s(svc, "/name");
    let (number, port_name) = (int(svc, "/port/number"), s(svc, "/port/name"));
    let text = if number != 0 {
        format!("{name}:{number}")
    } else {
        format!("{name}:{port_name}")
    };
    let (services, slices) = match (
        related.items(Slot::Services),
        related.items(Slot::EndpointSlices),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return format!("{text} ({e})"),
    };
    let Some(service) = services.iter().find(|x| s(x, "/metadata/name") == name) else {
        return format!("{text} (<error: services \"{name}\" not found>)");
    };
    let mut target = "";
    for p in arr(service, "/spec/ports") {
        if (number != 0 && int(p, "/port") == number)
            || (!port_name.is_empty() && s(p, "/name") == port_name)
        {
            target = s(p, "/name");
        }
    }
    format!(
        "{text} ({})",
        endpoints(&slices_of(slices, name), Some(target))
    )
}

pub fn ingress(ing: &Value, related: &Related) -> Vec<String> {
    let mut w = Writer::new();
    w.kv(0, "Name", s(ing, "/metadata/name"));
    labels(&mut w, "", "Labels", obj(ing, "/metadata/labels"));
    w.kv(0, "Namespace", s(ing, "/metadata/namespace"));
    let mut addrs: Vec<String> = arr(ing, "/status/loadBalancer/ingress")
        .iter()
        .map(|i| match s(i, "/ip") {
            "" => s(i, "/hostname").to_string(),
            ip => ip.to_string(),
        })
        .filter(|a| !a.is_empty())
        .collect();
    addrs.sort();
    addrs.dedup();
    w.kv(0, "Address", addrs.join(","));
    let class = match s(ing, "/spec/ingressClassName") {
        "" => "<none>",
        c => c,
    };
    w.kv(0, "Ingress Class", class);
    let default = match ing.pointer("/spec/defaultBackend") {
        Some(b) => backend(b, related),
        None => "<default>".into(),
    };
    w.kv(0, "Default backend", &default);
    let tls = arr(ing, "/spec/tls");
    if !tls.is_empty() {
        w.line(0, "TLS:");
        for t in tls {
            let hosts: Vec<String> = arr(t, "/hosts").iter().map(scalar).collect();
            match s(t, "/secretName") {
                "" => w.line(1, &format!("SNI routes {}", hosts.join(","))),
                secret => w.line(1, &format!("{secret} terminates {}", hosts.join(","))),
            }
        }
    }
    w.line(0, "Rules:");
    w.line(1, "Host\tPath\tBackends");
    w.line(1, "----\t----\t--------");
    let mut count = 0;
    for r in arr(ing, "/spec/rules") {
        let Some(http) = r.get("http") else { continue };
        count += 1;
        let host = match s(r, "/host") {
            "" => "*",
            h => h,
        };
        w.line(1, &format!("{host}\t"));
        for p in arr(http, "/paths") {
            let b = backend(p.get("backend").unwrap_or(&Value::Null), related);
            w.line(2, &format!("\t{} \t{b}", s(p, "/path")));
        }
    }
    if count == 0 {
        w.line(1, &format!("*\t*\t{default}"));
    }
    annotations(&mut w, "Annotations", obj(ing, "/metadata/annotations"));
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn slice(svc: &str, ips: &[(&str, bool)]) -> Value {
        let eps: Vec<Value> = ips
            .iter()
            .map(|(ip, ready)| json!({"addresses":[ip],"conditions":{"ready":ready}}))
            .collect();
        json!({"metadata":{"labels":{"kubernetes.io/service-name":svc}},
            "ports":[{"name":"http","port":8080,"protocol":"TCP"}],"endpoints":eps})
    }

    fn svc() -> Value {
        json!({"kind":"Service","metadata":{"name":"web","namespace":"shop"},
            "spec":{"type":"ClusterIP","clusterIP":"10.96.0.10","clusterIPs":["10.96.0.10"],"ipFamilies":["IPv4"],
                "ipFamilyPolicy":"SingleStack","selector":{"app":"web"},"sessionAffinity":"None",
                "ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"}]}})
    }

    #[test]
    fn service_lists_ready_endpoints() {
        let mut related = Related::default();
        let text = service(&svc(), &related).join("\n");
        assert!(text.contains("Endpoints:         loading…"), "{text}");
        related.set(
            Slot::EndpointSlices,
            Ok(json!({"items":[slice("web", &[("10.0.0.1", true), ("10.0.0.2", false), ("10.0.0.3", true)])]})),
        );
        let lines = service(&svc(), &related);
        let text = lines.join("\n");
        assert!(
            text.contains("Endpoints:         10.0.0.1:8080,10.0.0.3:8080"),
            "{text}"
        );
        assert!(text.contains("Port:              http  80/TCP"), "{text}");
        assert!(text.contains("TargetPort:        8080/TCP"), "{text}");
        assert!(text.contains("Selector:          app=web"), "{text}");
        let order = [
            "Name:",
            "Selector:",
            "Type:",
            "IP:",
            "Port:",
            "Endpoints:",
            "Session Affinity:",
        ];
        let pos: Vec<Option<usize>> = order
            .iter()
            .map(|h| lines.iter().position(|l| l.starts_with(h)))
            .collect();
        assert!(
            pos.iter().all(Option::is_some) && pos.windows(2).all(|p| p[0] < p[1]),
            "{text}"
        );
    }

    #[test]
    fn endpoints_beyond_three_are_counted() {
        let s = slice(
            "web",
            &[
                ("a", true),
                ("b", true),
                ("c", true),
                ("d", true),
                ("e", true),
            ],
        );
        assert_eq!(
            endpoints(&[&s], Some("http")),
            "a:8080,b:8080,c:8080 + 2 more..."
        );
        assert_eq!(endpoints(&[], Some("http")), "<none>");
        assert_eq!(endpoints(&[&s], Some("other")), "");
    }

    #[test]
    fn ingress_rules_name_backends_and_endpoints() {
        let ing = json!({"kind":"Ingress","metadata":{"name":"web","namespace":"shop"},
            "spec":{"ingressClassName":"nginx","tls":[{"hosts":["shop.example.com"],"secretName":"web-tls"}],
                "rules":[{"host":"shop.example.com","http":{"paths":[{"path":"/","pathType":"Prefix",
                    "backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}});
        let mut related = Related::default();
        related.set(Slot::Services, Ok(json!({"items":[svc()]})));
        related.set(Slot::EndpointSlices, Ok(json!({"items":[slice("web", &[("10.0.0.1", true)]), slice("api", &[("10.0.0.9", true)])]})));
        let text = ingress(&ing, &related).join("\n");
        assert!(
            text.contains("web-tls terminates shop.example.com"),
            "{text}"
        );
        assert!(text.contains("web:80 (10.0.0.1:8080)"), "{text}");
        assert!(!text.contains("10.0.0.9"), "{text}");
        assert!(text.contains("Ingress Class:    nginx"), "{text}");
        assert!(text.contains("Default backend:  <default>"), "{text}");
    }
}
