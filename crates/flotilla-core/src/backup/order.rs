//! The order a restore creates objects in: what others need first (a CRD before its
//! resources, a namespace before what lives in it, accounts and config before the workloads
//! that mount them, a claim before its pod), the rest after.

/// The restore phase of `kind` (lower first). Within a phase the order is by resource, then
/// namespace and name, so an archive lists objects the way they are created.
pub fn rank(group: &str, kind: &str) -> u8 {
    match (group, kind) {
        ("apiextensions.k8s.io", "CustomResourceDefinition") => 0,
        ("", "Namespace") => 1,
        ("", "ResourceQuota") | ("", "LimitRange") => 2,
        ("networking.k8s.io", "NetworkPolicy") | ("policy", "PodDisruptionBudget") => 3,
        ("", "ServiceAccount") => 4,
        ("rbac.authorization.k8s.io", "Role") => 5,
        ("rbac.authorization.k8s.io", "RoleBinding") => 6,
        ("", "Secret") | ("", "ConfigMap") => 7,
        ("", "PersistentVolumeClaim") => 8,
        ("", "Service") | ("", "Endpoints") | ("discovery.k8s.io", "EndpointSlice") => 9,
        ("apps", "DaemonSet" | "Deployment" | "StatefulSet" | "ReplicaSet")
        | ("", "ReplicationController" | "Pod")
        | ("batch", "Job" | "CronJob") => 10,
        // Ingresses, autoscalers (after their targets) and custom resources.
        _ => 11,
    }
}

/// The phases a restore waits after: custom resources need their CRD established, and pods
/// a new namespace's `default` ServiceAccount.
pub const CRDS: u8 = 0;
pub const NAMESPACES: u8 = 1;

#[cfg(test)]
mod tests {
    use super::rank;

    #[test]
    fn what_others_need_comes_first() {
        let order = [
            ("apiextensions.k8s.io", "CustomResourceDefinition"),
            ("", "Namespace"),
            ("", "ResourceQuota"),
            ("", "ServiceAccount"),
            ("rbac.authorization.k8s.io", "Role"),
            ("rbac.authorization.k8s.io", "RoleBinding"),
            ("", "Secret"),
            ("", "PersistentVolumeClaim"),
            ("", "Service"),
            ("apps", "Deployment"),
            ("autoscaling", "HorizontalPodAutoscaler"),
            ("demo.flotilla.dev", "Database"),
        ];
        let ranks: Vec<u8> = order.iter().map(|(g, k)| rank(g, k)).collect();
        assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
        assert!(rank("", "ConfigMap") < rank("apps", "StatefulSet"));
        // A kind of the same name in another group is a custom resource.
        assert_eq!(rank("example.com", "Deployment"), 11);
    }
}
