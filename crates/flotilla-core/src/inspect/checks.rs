//! What inspection looks for: one table, one entry per check. A check is data — its id, what
//! it is about, how bad it is, the kind it looks at, the lists it needs, what it reads as and
//! how to fix it. The examiners in `examine/` decide which objects a check holds for; adding a
//! check is adding an entry here and its test there.

use super::snapshot::Kind;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Security,
    Reliability,
    Resources,
    Networking,
    Storage,
    Nodes,
    Config,
    Rbac,
    Api,
}

impl Category {
    /// The name the report's JSON uses too.
    pub fn name(self) -> &'static str {
        match self {
            Category::Security => "security",
            Category::Reliability => "reliability",
            Category::Resources => "resources",
            Category::Networking => "networking",
            Category::Storage => "storage",
            Category::Nodes => "nodes",
            Category::Config => "config",
            Category::Rbac => "rbac",
            Category::Api => "api",
        }
    }
}

/// Ordered worst first, so sorting findings by severity puts errors on top.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

#[derive(Debug)]
pub struct Check {
    pub id: &'static str,
    pub category: Category,
    pub severity: Severity,
    /// The kind of object the check examines (`Pod` stands for every pod spec: see
    /// `object::pod_specs`).
    pub looks_at: &'static str,
    /// The lists it cannot be judged without: a check whose list could not be fetched is
    /// skipped (and the report says so) rather than run on half the picture — "unused" is
    /// meaningless if the pods are missing.
    pub needs: &'static [Kind],
    pub message: &'static str,
    pub fix: &'static str,
}

use Category::*;
use Kind::*;
use Severity::{Error, Info, Warning};

/// Every check. Ids are stable: silences and report diffs name them.
pub const CHECKS: &[Check] = &[
    Check {
        id: "pod-no-requests",
        category: Resources,
        severity: Warning,
        looks_at: "Pod",
        needs: &[],
        message: "Container without CPU or memory requests",
        fix: "Set resources.requests (cpu, memory) so the scheduler places the pod where it fits.",
    },
    Check {
        id: "pod-no-limits",
        category: Resources,
        severity: Warning,
        looks_at: "Pod",
        needs: &[],
        message: "Container without CPU or memory limits",
        fix: "Set resources.limits (at least memory), or a LimitRange default for the namespace.",
    },
    Check {
        id: "pod-image-latest",
        category: Reliability,
        severity: Warning,
        looks_at: "Pod",
        needs: &[],
        message: "Image not pinned (tag latest or no tag)",
        fix: "Use a version tag or a digest, so a restart cannot pull different code.",
    },
    Check {
        id: "pod-no-probes",
        category: Reliability,
        severity: Warning,
        looks_at: "Pod",
        needs: &[],
        message: "Container without liveness or readiness probe",
        fix: "Add a readinessProbe (traffic only when ready) and a livenessProbe (restart when hung).",
    },
    Check {
        id: "pod-runs-as-root",
        category: Security,
        severity: Warning,
        looks_at: "Pod",
        needs: &[],
        message: "Container may run as root",
        fix: "Set securityContext.runAsNonRoot: true (and a non-zero runAsUser).",
    },
    Check {
        id: "pod-privileged",
        category: Security,
        severity: Error,
        looks_at: "Pod",
        needs: &[],
        message: "Privileged container",
        fix: "Drop securityContext.privileged; add only the capabilities the container needs.",
    },
    Check {
        id: "pod-host-namespaces",
        category: Security,
        severity: Warning,
        looks_at: "Pod",
        needs: &[],
        message: "Pod shares the node's network, PID or IPC namespace",
        fix: "Remove hostNetwork, hostPID and hostIPC unless the pod is node infrastructure.",
    },
    Check {
        id: "pod-host-path",
        category: Security,
        severity: Warning,
        looks_at: "Pod",
        needs: &[],
        message: "Pod mounts a path of the node (hostPath)",
        fix: "Use a PersistentVolumeClaim, ConfigMap or emptyDir instead of hostPath.",
    },
    Check {
        id: "pod-restarts",
        category: Reliability,
        severity: Warning,
        looks_at: "Pod",
        needs: &[Pod],
        message: "Container restarted often",
        fix: "Read the previous container's logs (kubectl logs --previous) and its last state.",
    },
    Check {
        id: "pod-no-controller",
        category: Reliability,
        severity: Warning,
        looks_at: "Pod",
        needs: &[Pod],
        message: "Pod not managed by a controller",
        fix: "Run it from a Deployment, StatefulSet, DaemonSet or Job so it comes back when evicted.",
    },
    Check {
        id: "deployment-single-replica",
        category: Reliability,
        severity: Warning,
        looks_at: "Deployment",
        needs: &[Deployment],
        message: "Deployment with a single replica",
        fix: "Run at least 2 replicas so a node drain or a crash does not take the service down.",
    },
    Check {
        id: "statefulset-single-replica",
        category: Reliability,
        severity: Warning,
        looks_at: "StatefulSet",
        needs: &[StatefulSet],
        message: "StatefulSet with a single replica",
        fix: "Run at least 2 replicas if the application can replicate.",
    },
    Check {
        id: "deployment-no-pdb",
        category: Reliability,
        severity: Warning,
        looks_at: "Deployment",
        needs: &[Deployment, PodDisruptionBudget],
        message: "Replicated Deployment without a PodDisruptionBudget",
        fix: "Add a PodDisruptionBudget (e.g. maxUnavailable: 1) selecting its pods.",
    },
    Check {
        id: "statefulset-no-pdb",
        category: Reliability,
        severity: Warning,
        looks_at: "StatefulSet",
        needs: &[StatefulSet, PodDisruptionBudget],
        message: "Replicated StatefulSet without a PodDisruptionBudget",
        fix: "Add a PodDisruptionBudget (e.g. maxUnavailable: 1) selecting its pods.",
    },
    Check {
        id: "pdb-blocks-disruption",
        category: Reliability,
        severity: Warning,
        looks_at: "PodDisruptionBudget",
        needs: &[PodDisruptionBudget],
        message: "PodDisruptionBudget allows no disruption",
        fix: "Allow at least one pod to go (maxUnavailable >= 1, minAvailable below the replicas), or fix the unhealthy pods; node drains hang otherwise.",
    },
    Check {
        id: "service-no-endpoints",
        category: Networking,
        severity: Error,
        looks_at: "Service",
        needs: &[Service, EndpointSlice, Pod],
        message: "Service without ready endpoints",
        fix: "Make the selected pods ready (readiness probe, crash loops) and check targetPort.",
    },
    Check {
        id: "service-selector-no-pods",
        category: Networking,
        severity: Warning,
        looks_at: "Service",
        needs: &[Service, Pod],
        message: "Service selector matches no pod",
        fix: "Fix the selector or the pods' labels, or delete the Service.",
    },
    Check {
        id: "ingress-missing-service",
        category: Networking,
        severity: Error,
        looks_at: "Ingress",
        needs: &[Ingress, Service],
        message: "Ingress routes to a Service that does not exist",
        fix: "Create the Service or correct the backend's service name.",
    },
    Check {
        id: "ingress-missing-tls-secret",
        category: Networking,
        severity: Error,
        looks_at: "Ingress",
        needs: &[Ingress, Secret],
        message: "Ingress TLS Secret does not exist",
        fix: "Create the TLS Secret (or the Certificate that issues it) or correct secretName.",
    },
    Check {
        id: "configmap-unused",
        category: Config,
        severity: Info,
        looks_at: "ConfigMap",
        needs: &[
            ConfigMap,
            Pod,
            Deployment,
            StatefulSet,
            DaemonSet,
            ReplicaSet,
            Job,
            CronJob,
        ],
        message: "ConfigMap not used by any pod",
        fix: "Delete it if nothing outside pods (an operator, a controller) reads it.",
    },
    Check {
        id: "secret-unused",
        category: Config,
        severity: Info,
        looks_at: "Secret",
        needs: &[
            Secret,
            Ingress,
            ServiceAccount,
            Pod,
            Deployment,
            StatefulSet,
            DaemonSet,
            ReplicaSet,
            Job,
            CronJob,
        ],
        message: "Secret not used by any pod, Ingress or ServiceAccount",
        fix: "Delete it if nothing outside pods (an operator, a controller) reads it.",
    },
    Check {
        id: "serviceaccount-unused",
        category: Config,
        severity: Info,
        looks_at: "ServiceAccount",
        needs: &[
            ServiceAccount,
            Pod,
            Deployment,
            StatefulSet,
            DaemonSet,
            ReplicaSet,
            Job,
            CronJob,
        ],
        message: "ServiceAccount no pod runs as",
        fix: "Delete it (and its bindings) unless tokens are issued for it outside pods.",
    },
    Check {
        id: "pvc-unused",
        category: Storage,
        severity: Info,
        looks_at: "PersistentVolumeClaim",
        needs: &[
            PersistentVolumeClaim,
            Pod,
            Deployment,
            StatefulSet,
            DaemonSet,
            ReplicaSet,
            Job,
            CronJob,
        ],
        message: "PersistentVolumeClaim not mounted by any pod",
        fix: "Delete it if its data is no longer needed (it keeps its volume, and its cost).",
    },
    Check {
        id: "pvc-pending",
        category: Storage,
        severity: Warning,
        looks_at: "PersistentVolumeClaim",
        needs: &[PersistentVolumeClaim],
        message: "PersistentVolumeClaim Pending",
        fix: "Check the StorageClass exists and can provision (kubectl describe pvc: events).",
    },
    Check {
        id: "pv-released",
        category: Storage,
        severity: Warning,
        looks_at: "PersistentVolume",
        needs: &[PersistentVolume],
        message: "PersistentVolume Released: its claim is gone, the data stays",
        fix: "Delete the volume if the data is not needed, or clear spec.claimRef to reuse it.",
    },
    Check {
        id: "pv-failed",
        category: Storage,
        severity: Error,
        looks_at: "PersistentVolume",
        needs: &[PersistentVolume],
        message: "PersistentVolume Failed",
        fix: "Read status.message; reclaim failed (often a Recycle or Delete the provisioner refused).",
    },
    Check {
        id: "hpa-no-metrics",
        category: Resources,
        severity: Warning,
        looks_at: "HorizontalPodAutoscaler",
        needs: &[HorizontalPodAutoscaler],
        message: "HorizontalPodAutoscaler cannot read its metrics",
        fix: "Check metrics-server (or the adapter) and that the target's containers set requests.",
    },
    Check {
        id: "hpa-at-max",
        category: Resources,
        severity: Warning,
        looks_at: "HorizontalPodAutoscaler",
        needs: &[HorizontalPodAutoscaler],
        message: "HorizontalPodAutoscaler at its maximum replicas",
        fix: "Raise maxReplicas or find why load grew; it cannot scale further.",
    },
    Check {
        id: "node-not-ready",
        category: Nodes,
        severity: Error,
        looks_at: "Node",
        needs: &[Node],
        message: "Node not Ready",
        fix: "Check the kubelet and the container runtime on the node (kubectl describe node).",
    },
    Check {
        id: "node-cordoned",
        category: Nodes,
        severity: Warning,
        looks_at: "Node",
        needs: &[Node],
        message: "Node cordoned",
        fix: "Uncordon it when maintenance is over (kubectl uncordon).",
    },
    Check {
        id: "node-pressure",
        category: Nodes,
        severity: Warning,
        looks_at: "Node",
        needs: &[Node],
        message: "Node under memory, disk or PID pressure",
        fix: "Free or add capacity; the kubelet evicts pods while pressure lasts.",
    },
    Check {
        id: "node-pods-near-capacity",
        category: Nodes,
        severity: Warning,
        looks_at: "Node",
        needs: &[Node, Pod],
        message: "Node runs 90% or more of the pods it can hold",
        fix: "Add nodes or raise the kubelet's maxPods; new pods will not fit.",
    },
    Check {
        id: "tls-cert-expired",
        category: Security,
        severity: Error,
        looks_at: "Secret",
        needs: &[Secret],
        message: "TLS certificate expired",
        fix: "Renew the certificate (or fix the issuer that should have renewed it).",
    },
    Check {
        id: "tls-cert-expiring",
        category: Security,
        severity: Warning,
        looks_at: "Secret",
        needs: &[Secret],
        message: "TLS certificate expires soon",
        fix: "Renew the certificate before it expires; check its issuer renews automatically.",
    },
    Check {
        id: "tls-cert-invalid",
        category: Security,
        severity: Warning,
        looks_at: "Secret",
        needs: &[Secret],
        message: "TLS Secret without a readable certificate",
        fix: "Put a PEM certificate (chain) in tls.crt.",
    },
    Check {
        id: "api-deprecated-served",
        category: Api,
        severity: Info,
        looks_at: "APIVersion",
        needs: &[],
        message: "Deprecated API version still served",
        fix: "Move manifests and clients to the replacement before upgrading to the release that removes it.",
    },
    Check {
        id: "api-deprecated-in-use",
        category: Api,
        severity: Warning,
        looks_at: "Any",
        needs: &[],
        message: "Object written through a deprecated API version",
        fix: "Update the manifest or client (the manager named) to the replacement version.",
    },
    Check {
        id: "namespace-no-quota",
        category: Resources,
        severity: Info,
        looks_at: "Namespace",
        needs: &[Namespace, ResourceQuota],
        message: "Namespace without a ResourceQuota",
        fix: "Add a ResourceQuota so one team cannot use up the cluster.",
    },
    Check {
        id: "namespace-no-limitrange",
        category: Resources,
        severity: Info,
        looks_at: "Namespace",
        needs: &[Namespace, LimitRange],
        message: "Namespace without a LimitRange",
        fix: "Add a LimitRange with default requests and limits for containers.",
    },
    Check {
        id: "clusterrolebinding-sa-cluster-admin",
        category: Rbac,
        severity: Error,
        looks_at: "ClusterRoleBinding",
        needs: &[ClusterRoleBinding],
        message: "ServiceAccount bound to cluster-admin cluster-wide",
        fix: "Bind a role with only the verbs and resources the workload needs.",
    },
    Check {
        id: "rolebinding-sa-cluster-admin",
        category: Rbac,
        severity: Warning,
        looks_at: "RoleBinding",
        needs: &[RoleBinding],
        message: "ServiceAccount bound to cluster-admin in a namespace",
        fix: "Bind a Role with only the verbs and resources the workload needs.",
    },
    Check {
        id: "crd-no-instances",
        category: Api,
        severity: Info,
        looks_at: "CustomResourceDefinition",
        needs: &[CustomResourceDefinition],
        message: "CustomResourceDefinition without instances",
        fix: "Remove it (and the operator that installed it) if nothing uses it.",
    },
];

pub fn by_id(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::snapshot::POD_HOLDERS;

    #[test]
    fn ids_are_unique_and_kebab_case() {
        for (i, c) in CHECKS.iter().enumerate() {
            assert!(
                c.id.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
                "{}",
                c.id
            );
            assert!(
                CHECKS[i + 1..].iter().all(|o| o.id != c.id),
                "duplicate {}",
                c.id
            );
            assert!(!c.message.is_empty() && !c.fix.is_empty(), "{}", c.id);
        }
        assert_eq!(by_id("pod-no-limits").map(|c| c.severity), Some(Warning));
        assert!(by_id("pod-no-limit").is_none());
    }

    #[test]
    fn unused_checks_need_every_pod_holder() {
        for id in [
            "configmap-unused",
            "secret-unused",
            "serviceaccount-unused",
            "pvc-unused",
        ] {
            let needs = by_id(id).map(|c| c.needs).unwrap_or(&[]);
            assert!(POD_HOLDERS.iter().all(|k| needs.contains(k)), "{id}");
        }
    }
}
