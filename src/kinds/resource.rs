//! What flotilla knows about an API resource: its group/version/plural, kind, names people
//! type for it, and whether it lives in a namespace. Discovery fills these per cluster; the
//! built-in table lets `:po` work before any cluster has answered.

use std::fmt;

/// A resource independent of version: the same kind on two clusters may be served at
/// different versions, and the merged view must still treat it as one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResKey {
    pub group: String,
    pub plural: String,
}

impl ResKey {
    pub fn new(group: &str, plural: &str) -> Self {
        Self {
            group: group.to_string(),
            plural: plural.to_string(),
        }
    }
    pub fn core(plural: &str) -> Self {
        Self::new("", plural)
    }
    pub fn is(&self, group: &str, plural: &str) -> bool {
        self.group == group && self.plural == plural
    }
}

impl fmt::Display for ResKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            write!(f, "{}", self.plural)
        } else {
            write!(f, "{}.{}", self.plural, self.group)
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceInfo {
    pub key: ResKey,
    pub version: String,
    pub kind: String,
    pub singular: String,
    pub short_names: Vec<String>,
    pub namespaced: bool,
    pub verbs: Vec<String>,
}

impl ResourceInfo {
    pub fn api_prefix(&self) -> String {
        if self.key.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.key.group, self.version)
        }
    }

    /// Collection path; `ns` is ignored for cluster-scoped kinds.
    pub fn list_path(&self, ns: Option<&str>) -> String {
        match ns {
            Some(ns) if self.namespaced => {
                format!(
                    "{}/namespaces/{}/{}",
                    self.api_prefix(),
                    ns,
                    self.key.plural
                )
            }
            _ => format!("{}/{}", self.api_prefix(), self.key.plural),
        }
    }

    pub fn object_path(&self, ns: &str, name: &str) -> String {
        let ns = if self.namespaced && !ns.is_empty() {
            Some(ns)
        } else {
            None
        };
        format!("{}/{}", self.list_path(ns), name)
    }

    pub fn can(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }

    /// Every name a user may type for this resource, lowercase.
    pub fn names(&self) -> impl Iterator<Item = String> + '_ {
        let kind = self.kind.to_lowercase();
        let full = if self.key.group.is_empty() {
            None
        } else {
            Some(format!("{}.{}", self.key.plural, self.key.group))
        };
        [self.key.plural.clone(), self.singular.clone(), kind]
            .into_iter()
            .chain(self.short_names.iter().map(|s| s.to_lowercase()))
            .chain(full)
            .filter(|s| !s.is_empty())
    }
}

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
