//! Services and Ingresses: traffic that has nowhere to go.

use super::Ctx;
use crate::inspect::object::{labels, list, name, namespace, selects, str_at};
use crate::inspect::out::{Out, Place};
use crate::inspect::snapshot::{Kind, Snapshot};
use crate::kinds::selector::selector_of;
use crate::model::Row;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

pub fn examine<'a>(cx: &Ctx<'a>, out: &mut Out<'a>) {
    let snap = cx.snap;
    services(snap, out);
    ingresses(snap, out);
}

fn services<'a>(snap: &'a Snapshot, out: &mut Out<'a>) {
    let mut pods: HashMap<Option<&str>, Vec<Row>> = HashMap::new();
    for p in snap.of(Kind::Pod) {
        pods.entry(namespace(p))
            .or_default()
            .push(labels(p.pointer("/metadata/labels")));
    }
    let ready = ready_endpoints(snap);
    for svc in snap.of(Kind::Service) {
        if str_at(svc, "/spec/type") == Some("ExternalName") {
            continue;
        }
        // Without a selector (or with an empty one) the endpoints are managed by hand.
        let Some(reqs) = selector_of(svc).filter(|r| !r.is_empty()) else {
            continue;
        };
        let at = Place::of(Kind::Service, svc);
        let matching = pods
            .get(&at.namespace)
            .map_or(0, |rows| rows.iter().filter(|r| selects(&reqs, r)).count());
        out.record(
            "service-selector-no-pods",
            &at,
            (matching == 0).then(|| format!("selector {} matches no pod", selector_text(svc))),
        );
        if matching > 0 {
            let n = ready.get(&(at.namespace, at.name)).copied().unwrap_or(0);
            out.record(
                "service-no-endpoints",
                &at,
                (n == 0).then(|| {
                    format!("{matching} pods match its selector, none is a ready endpoint")
                }),
            );
        }
    }
}

/// Ready endpoints per Service, summed over its EndpointSlices. An endpoint whose readiness
/// is not given counts as ready, as the API says consumers should take it.
fn ready_endpoints(snap: &Snapshot) -> HashMap<(Option<&str>, &str), u64> {
    let mut ready = HashMap::new();
    for slice in snap.of(Kind::EndpointSlice) {
        let Some(svc) = str_at(slice, "/metadata/labels/kubernetes.io~1service-name") else {
            continue;
        };
        let n = list(slice, "/endpoints")
            .iter()
            .filter(|e| e.pointer("/conditions/ready").and_then(Value::as_bool) != Some(false))
            .count() as u64;
        *ready.entry((namespace(slice), svc)).or_default() += n;
    }
    ready
}

/// `app=web,tier=front`, sorted.
fn selector_text(svc: &Value) -> String {
    let mut pairs: Vec<String> = svc
        .pointer("/spec/selector")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    pairs.sort();
    pairs.join(",")
}

fn ingresses<'a>(snap: &'a Snapshot, out: &mut Out<'a>) {
    let names = |kind: Kind| -> HashSet<(Option<&str>, &str)> {
        snap.of(kind)
            .iter()
            .map(|v| (namespace(v), name(v)))
            .collect()
    };
    let (services, secrets) = (names(Kind::Service), names(Kind::Secret));
    for ing in snap.of(Kind::Ingress) {
        let at = Place::of(Kind::Ingress, ing);
        let mut routes: Vec<(&str, String)> = Vec::new();
        if let Some(svc) = str_at(ing, "/spec/defaultBackend/service/name") {
            routes.push((svc, "default backend".into()));
        }
        for rule in list(ing, "/spec/rules") {
            let host = str_at(rule, "/host").unwrap_or("*");
            for path in list(rule, "/http/paths") {
                if let Some(svc) = str_at(path, "/backend/service/name") {
                    let p = str_at(path, "/path").unwrap_or("/");
                    routes.push((svc, format!("{host}{p}")));
                }
            }
        }
        let mut seen = HashSet::new();
        let missing: Vec<String> = routes
            .iter()
            .filter(|(svc, _)| !services.contains(&(at.namespace, *svc)) && seen.insert(*svc))
            .map(|(svc, route)| format!("service {svc} ({route}) not found"))
            .collect();
        out.record(
            "ingress-missing-service",
            &at,
            (!missing.is_empty()).then(|| missing.join("; ")),
        );
        let missing: Vec<String> = list(ing, "/spec/tls")
            .iter()
            .filter_map(|t| {
                let secret = str_at(t, "/secretName")?;
                if secrets.contains(&(at.namespace, secret)) {
                    return None;
                }
                let hosts: Vec<&str> = list(t, "/hosts").iter().filter_map(Value::as_str).collect();
                Some(format!(
                    "TLS secret {secret} (for {}) not found",
                    hosts.join(", ")
                ))
            })
            .collect();
        out.record(
            "ingress-missing-tls-secret",
            &at,
            (!missing.is_empty()).then(|| missing.join("; ")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{examined, found, obj, snapshot};
    use crate::inspect::snapshot::Kind;
    use serde_json::{Value, json};

    fn service(name: &str, selector: Value) -> (Kind, Value) {
        (
            Kind::Service,
            obj("shop", name, json!({"spec": {"selector": selector}})),
        )
    }

    fn pod(name: &str, app: &str) -> (Kind, Value) {
        (
            Kind::Pod,
            obj("shop", name, json!({"metadata": {"labels": {"app": app}}})),
        )
    }

    fn slice(svc: &str, ready: &[Option<bool>]) -> (Kind, Value) {
        let endpoints: Vec<Value> = ready
            .iter()
            .map(|r| match r {
                Some(r) => json!({"addresses": ["10.0.0.1"], "conditions": {"ready": r}}),
                None => json!({"addresses": ["10.0.0.1"]}),
            })
            .collect();
        let s = obj(
            "shop",
            &format!("{svc}-abc"),
            json!({"metadata": {"labels": {"kubernetes.io/service-name": svc}},
                "endpoints": endpoints}),
        );
        (Kind::EndpointSlice, s)
    }

    #[test]
    fn services_without_pods_or_ready_endpoints() {
        let snap = snapshot(vec![
            service("web", json!({"app": "web"})),
            service("api", json!({"app": "api"})),
            service("typo", json!({"app": "wbe", "tier": "front"})),
            service("manual", json!({})),
            (
                Kind::Service,
                obj("shop", "ext", json!({"spec": {"type": "ExternalName"}})),
            ),
            pod("web-1", "web"),
            pod("api-1", "api"),
            pod("api-2", "api"),
            slice("web", &[Some(false), None]),
            slice("api", &[Some(false), Some(false)]),
        ]);
        assert_eq!(
            found(&snap, "service-selector-no-pods"),
            ["shop/Service/typo: selector app=wbe,tier=front matches no pod"]
        );
        assert_eq!(examined(&snap, "service-selector-no-pods"), 3);
        assert_eq!(
            found(&snap, "service-no-endpoints"),
            ["shop/Service/api: 2 pods match its selector, none is a ready endpoint"]
        );
        assert_eq!(examined(&snap, "service-no-endpoints"), 2);
    }

    #[test]
    fn ingresses_to_missing_services_and_secrets() {
        let ing = obj(
            "shop",
            "front",
            json!({"spec": {
                "defaultBackend": {"service": {"name": "web"}},
                "tls": [{"hosts": ["shop.example"], "secretName": "shop-tls"},
                        {"hosts": ["api.example"], "secretName": "api-tls"}],
                "rules": [{"host": "shop.example", "http": {"paths": [
                    {"path": "/", "backend": {"service": {"name": "web"}}},
                    {"path": "/api", "backend": {"service": {"name": "api"}}},
                    {"path": "/v2", "backend": {"service": {"name": "api"}}}]}}]}}),
        );
        let snap = snapshot(vec![
            (Kind::Ingress, ing),
            service("web", json!({"app": "web"})),
            (
                Kind::Secret,
                obj("shop", "shop-tls", json!({"type": "kubernetes.io/tls"})),
            ),
        ]);
        assert_eq!(
            found(&snap, "ingress-missing-service"),
            ["shop/Ingress/front: service api (shop.example/api) not found"]
        );
        assert_eq!(
            found(&snap, "ingress-missing-tls-secret"),
            ["shop/Ingress/front: TLS secret api-tls (for api.example) not found"]
        );
        let fine = obj(
            "shop",
            "fine",
            json!({"spec": {"defaultBackend": {"service": {"name": "web"}}}}),
        );
        let snap = snapshot(vec![
            (Kind::Ingress, fine),
            service("web", json!({"app": "web"})),
        ]);
        assert_eq!(
            found(&snap, "ingress-missing-service"),
            Vec::<String>::new()
        );
        assert_eq!(
            found(&snap, "ingress-missing-tls-secret"),
            Vec::<String>::new()
        );
        assert_eq!(examined(&snap, "ingress-missing-tls-secret"), 1);
    }
}
