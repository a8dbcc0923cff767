//! The resources flotilla knows before any cluster answers (so `:po` works at once and against
//! clusters that never do), and how a typed name resolves to one.

use crate::model::{ResKey, ResourceInfo};

/// (group, version, plural, kind, namespaced, short names)
type Builtin = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
);

/// Built-in kinds, so the prompt resolves names before discovery has run and for clusters that
/// never answer.
const BUILTIN: &[Builtin] = &[
    ("", "v1", "pods", "Pod", true, &["po"]),
    (
        "apps",
        "v1",
        "deployments",
        "Deployment",
        true,
        &["deploy", "dp"],
    ),
    ("apps", "v1", "statefulsets", "StatefulSet", true, &["sts"]),
    ("apps", "v1", "daemonsets", "DaemonSet", true, &["ds"]),
    ("apps", "v1", "replicasets", "ReplicaSet", true, &["rs"]),
    ("batch", "v1", "jobs", "Job", true, &[]),
    ("batch", "v1", "cronjobs", "CronJob", true, &["cj"]),
    ("", "v1", "services", "Service", true, &["svc"]),
    (
        "networking.k8s.io",
        "v1",
        "ingresses",
        "Ingress",
        true,
        &["ing"],
    ),
    ("", "v1", "endpoints", "Endpoints", true, &["ep"]),
    (
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        "EndpointSlice",
        true,
        &[],
    ),
    ("", "v1", "configmaps", "ConfigMap", true, &["cm"]),
    ("", "v1", "secrets", "Secret", true, &["sec"]),
    (
        "",
        "v1",
        "persistentvolumes",
        "PersistentVolume",
        false,
        &["pv"],
    ),
    (
        "",
        "v1",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        true,
        &["pvc"],
    ),
    (
        "storage.k8s.io",
        "v1",
        "storageclasses",
        "StorageClass",
        false,
        &["sc"],
    ),
    ("", "v1", "nodes", "Node", false, &["no"]),
    ("", "v1", "namespaces", "Namespace", false, &["ns"]),
    ("", "v1", "events", "Event", true, &["ev"]),
    (
        "",
        "v1",
        "resourcequotas",
        "ResourceQuota",
        true,
        &["quota"],
    ),
    ("", "v1", "limitranges", "LimitRange", true, &["limits"]),
    (
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        true,
        &["hpa"],
    ),
    (
        "policy",
        "v1",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        true,
        &["pdb"],
    ),
    (
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "NetworkPolicy",
        true,
        &["netpol"],
    ),
    ("", "v1", "serviceaccounts", "ServiceAccount", true, &["sa"]),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "roles",
        "Role",
        true,
        &[],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "ClusterRole",
        false,
        &[],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "RoleBinding",
        true,
        &[],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        false,
        &[],
    ),
    (
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        false,
        &["crd", "crds"],
    ),
];

pub fn builtin() -> Vec<ResourceInfo> {
    BUILTIN
        .iter()
        .map(
            |(group, version, plural, kind, namespaced, short)| ResourceInfo {
                key: ResKey::new(group, plural),
                version: version.to_string(),
                kind: kind.to_string(),
                singular: kind.to_lowercase(),
                short_names: short.iter().map(|s| s.to_string()).collect(),
                namespaced: *namespaced,
                verbs: ["get", "list", "watch"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            },
        )
        .collect()
}

/// Finds the resource a typed name refers to; the first match in `known` wins, so callers
/// put discovered resources before the built-ins.
pub fn resolve<'a>(
    name: &str,
    known: impl IntoIterator<Item = &'a ResourceInfo>,
) -> Option<&'a ResourceInfo> {
    let name = name.to_lowercase();
    let known: Vec<_> = known.into_iter().collect();
    // Exact plural/singular/kind/short first, then `plural.group` prefix forms like `deploy.apps`.
    known
        .iter()
        .copied()
        .find(|r| r.names().any(|n| n == name))
        .or_else(|| {
            let (res, group) = name.split_once('.')?;
            known
                .iter()
                .copied()
                .find(|r| r.key.group.starts_with(group) && r.names().any(|n| n == res))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_kubectl_names() {
        let b = builtin();
        for (typed, plural) in [
            ("po", "pods"),
            ("Pods", "pods"),
            ("deploy", "deployments"),
            ("deployment", "deployments"),
            ("crd", "customresourcedefinitions"),
            ("hpa", "horizontalpodautoscalers"),
            ("deploy.apps", "deployments"),
            ("ingresses.networking.k8s.io", "ingresses"),
        ] {
            assert_eq!(
                resolve(typed, &b).map(|r| r.key.plural.as_str()),
                Some(plural),
                "{typed}"
            );
        }
        assert!(resolve("nope", &b).is_none());
    }

    #[test]
    fn paths() {
        let b = builtin();
        let deploy = resolve("deploy", &b).unwrap();
        assert_eq!(deploy.list_path(None), "/apis/apps/v1/deployments");
        assert_eq!(
            deploy.object_path("web", "api"),
            "/apis/apps/v1/namespaces/web/deployments/api"
        );
        let node = resolve("no", &b).unwrap();
        assert_eq!(node.object_path("ignored", "n1"), "/api/v1/nodes/n1");
    }
}
