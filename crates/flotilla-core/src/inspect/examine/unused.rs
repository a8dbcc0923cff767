//! ConfigMaps, Secrets, claims and ServiceAccounts nothing uses. "Used" means referred to by
//! a pod spec — a pod's or a template's, so what a CronJob or a Deployment scaled to zero
//! uses counts — or, for Secrets, by an Ingress's TLS or a ServiceAccount.
//!
//! Not judged: objects with an owner (their owner decides whether they are needed), and
//! those the cluster makes for itself: the `kube-root-ca.crt` ConfigMap, ServiceAccount token
//! Secrets, Helm's release records (Secrets or ConfigMaps), `default` ServiceAccounts, and
//! anything in the `kube-*` namespaces.

use super::Ctx;
use crate::inspect::object::{containers, entry_name, list, name, namespace, str_at};
use crate::inspect::out::{Out, Place};
use crate::inspect::snapshot::Kind;
use serde_json::Value;
use std::collections::HashSet;

type Names<'a> = HashSet<(Option<&'a str>, &'a str)>;

#[derive(Default)]
struct Refs<'a> {
    config_maps: Names<'a>,
    secrets: Names<'a>,
    claims: Names<'a>,
    accounts: Names<'a>,
}

pub fn examine<'a>(cx: &Ctx<'a>, out: &mut Out<'a>) {
    let refs = refs(cx);
    let judged = [
        (
            Kind::ConfigMap,
            "configmap-unused",
            &refs.config_maps,
            "no pod or workload template refers to it",
        ),
        (
            Kind::Secret,
            "secret-unused",
            &refs.secrets,
            "no pod, workload template, Ingress or ServiceAccount refers to it",
        ),
        (
            Kind::ServiceAccount,
            "serviceaccount-unused",
            &refs.accounts,
            "no pod or workload template runs as it",
        ),
        (
            Kind::PersistentVolumeClaim,
            "pvc-unused",
            &refs.claims,
            "no pod or workload template mounts it",
        ),
    ];
    for (kind, check, used, why) in judged {
        for v in cx.snap.of(kind).iter().filter(|v| !exempt(kind, v)) {
            let at = Place::of(kind, v);
            let unused = !used.contains(&(at.namespace, at.name));
            out.record(check, &at, unused.then(|| why.to_string()));
        }
    }
}

/// Owned objects, and those the cluster or Helm keeps for themselves (see the module's doc).
fn exempt(kind: Kind, v: &Value) -> bool {
    // The control plane reads what it keeps there by name, never through a reference.
    if namespace(v).is_some_and(|ns| ns.starts_with("kube-")) {
        return true;
    }
    let own = match kind {
        Kind::ConfigMap => {
            name(v) == "kube-root-ca.crt" || str_at(v, "/metadata/labels/owner") == Some("helm")
        }
        Kind::Secret => matches!(
            str_at(v, "/type"),
            Some("kubernetes.io/service-account-token" | "helm.sh/release.v1")
        ),
        Kind::ServiceAccount => name(v) == "default",
        _ => false,
    };
    own || !list(v, "/metadata/ownerReferences").is_empty()
}

fn refs<'a>(cx: &Ctx<'a>) -> Refs<'a> {
    let mut r = Refs::default();
    for s in &cx.specs {
        let ns = namespace(s.holder);
        let spec = s.spec;
        let add = |set: &mut Names<'a>, v: &'a Value, at: &str| {
            if let Some(n) = str_at(v, at) {
                set.insert((ns, n));
            }
        };
        for v in list(spec, "/volumes") {
            add(&mut r.config_maps, v, "/configMap/name");
            add(&mut r.secrets, v, "/secret/secretName");
            add(&mut r.secrets, v, "/csi/nodePublishSecretRef/name");
            add(&mut r.claims, v, "/persistentVolumeClaim/claimName");
            for p in list(v, "/projected/sources") {
                add(&mut r.config_maps, p, "/configMap/name");
                add(&mut r.secrets, p, "/secret/name");
            }
        }
        for c in containers(spec) {
            for e in list(c.spec, "/env") {
                add(&mut r.config_maps, e, "/valueFrom/configMapKeyRef/name");
                add(&mut r.secrets, e, "/valueFrom/secretKeyRef/name");
            }
            for e in list(c.spec, "/envFrom") {
                add(&mut r.config_maps, e, "/configMapRef/name");
                add(&mut r.secrets, e, "/secretRef/name");
            }
        }
        for p in list(spec, "/imagePullSecrets") {
            r.secrets.insert((ns, entry_name(p)));
        }
        let account = str_at(spec, "/serviceAccountName")
            .or_else(|| str_at(spec, "/serviceAccount"))
            .unwrap_or("default");
        r.accounts.insert((ns, account));
    }
    for ing in cx.snap.of(Kind::Ingress) {
        for t in list(ing, "/spec/tls") {
            if let Some(s) = str_at(t, "/secretName") {
                r.secrets.insert((namespace(ing), s));
            }
        }
    }
    for sa in cx.snap.of(Kind::ServiceAccount) {
        for s in list(sa, "/secrets")
            .iter()
            .chain(list(sa, "/imagePullSecrets"))
        {
            r.secrets.insert((namespace(sa), entry_name(s)));
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::super::testing::{examined, found, obj, snapshot};
    use crate::inspect::snapshot::Kind;
    use serde_json::json;

    #[test]
    fn unused_objects_are_found_and_used_ones_are_not() {
        let spec = json!({
            "serviceAccountName": "web",
            "imagePullSecrets": [{"name": "registry"}],
            "volumes": [
                {"name": "conf", "configMap": {"name": "web-conf"}},
                {"name": "data", "persistentVolumeClaim": {"claimName": "web-data"}},
                {"name": "all", "projected": {"sources": [
                    {"configMap": {"name": "projected-conf"}}, {"secret": {"name": "projected-key"}}]}}],
            "initContainers": [{"name": "setup",
                "envFrom": [{"secretRef": {"name": "setup-env"}}]}],
            "containers": [{"name": "app",
                "env": [{"name": "K", "valueFrom": {"configMapKeyRef": {"name": "env-conf", "key": "k"}}}]}]
        });
        // A CronJob between runs still uses what its template names.
        let cron = obj(
            "shop",
            "nightly",
            json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}),
        );
        let cm = |name: &str| (Kind::ConfigMap, obj("shop", name, json!({})));
        let secret =
            |name: &str, kind: &str| (Kind::Secret, obj("shop", name, json!({"type": kind})));
        let sa = |name: &str| (Kind::ServiceAccount, obj("shop", name, json!({})));
        let snap = snapshot(vec![
            (Kind::CronJob, cron),
            (
                Kind::Ingress,
                obj(
                    "shop",
                    "front",
                    json!({"spec": {"tls": [{"secretName": "front-tls"}]}}),
                ),
            ),
            cm("web-conf"),
            cm("projected-conf"),
            cm("env-conf"),
            cm("kube-root-ca.crt"),
            cm("stale-conf"),
            (
                Kind::ConfigMap,
                obj(
                    "shop",
                    "owned-conf",
                    json!({"metadata": {"ownerReferences": [{"kind": "Widget", "name": "w"}]}}),
                ),
            ),
            // Same name, other namespace: not used by the CronJob in shop.
            (Kind::ConfigMap, obj("other", "web-conf", json!({}))),
            // Helm's ConfigMap storage, and what the control plane keeps for itself.
            (
                Kind::ConfigMap,
                obj(
                    "shop",
                    "sh.helm.release.v1.web.v1",
                    json!({"metadata": {"labels": {"owner": "helm"}}}),
                ),
            ),
            (
                Kind::ConfigMap,
                obj(
                    "kube-system",
                    "extension-apiserver-authentication",
                    json!({}),
                ),
            ),
            secret("registry", "kubernetes.io/dockerconfigjson"),
            secret("projected-key", "Opaque"),
            secret("setup-env", "Opaque"),
            secret("front-tls", "kubernetes.io/tls"),
            secret("sa-listed", "Opaque"),
            secret("web-token", "kubernetes.io/service-account-token"),
            secret("sh.helm.release.v1.web.v1", "helm.sh/release.v1"),
            secret("old-password", "Opaque"),
            (
                Kind::ServiceAccount,
                obj("shop", "web", json!({"secrets": [{"name": "sa-listed"}]})),
            ),
            sa("default"),
            sa("ci-bot"),
            (
                Kind::PersistentVolumeClaim,
                obj("shop", "web-data", json!({})),
            ),
            (
                Kind::PersistentVolumeClaim,
                obj("shop", "old-data", json!({})),
            ),
        ]);
        assert_eq!(
            found(&snap, "configmap-unused"),
            [
                "other/ConfigMap/web-conf: no pod or workload template refers to it",
                "shop/ConfigMap/stale-conf: no pod or workload template refers to it",
            ]
        );
        assert_eq!(examined(&snap, "configmap-unused"), 5);
        assert_eq!(
            found(&snap, "secret-unused"),
            [
                "shop/Secret/old-password: no pod, workload template, Ingress or ServiceAccount refers to it"
            ]
        );
        assert_eq!(examined(&snap, "secret-unused"), 6);
        assert_eq!(
            found(&snap, "serviceaccount-unused"),
            ["shop/ServiceAccount/ci-bot: no pod or workload template runs as it"]
        );
        assert_eq!(
            found(&snap, "pvc-unused"),
            ["shop/PersistentVolumeClaim/old-data: no pod or workload template mounts it"]
        );
    }
}
