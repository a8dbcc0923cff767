//! What governs the cluster as a whole: namespaces' quotas and limit ranges, who holds
//! cluster-admin, and CustomResourceDefinitions nothing uses.

use super::Ctx;
use crate::inspect::object::{entry_name, list, name, namespace, str_at};
use crate::inspect::out::{Out, Place};
use crate::inspect::snapshot::Kind;
use serde_json::Value;
use std::collections::HashSet;

/// The cluster's own namespaces: quotas there would bind the control plane.
const SYSTEM_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

pub fn examine<'a>(cx: &Ctx<'a>, out: &mut Out<'a>) {
    let snap = cx.snap;
    let with =
        |kind: Kind| -> HashSet<&str> { snap.of(kind).iter().filter_map(namespace).collect() };
    let (quotas, ranges) = (with(Kind::ResourceQuota), with(Kind::LimitRange));
    for ns in snap.of(Kind::Namespace) {
        let n = name(ns);
        let leaving = str_at(ns, "/status/phase") == Some("Terminating");
        if leaving || SYSTEM_NAMESPACES.contains(&n) {
            continue;
        }
        let at = Place::of(Kind::Namespace, ns);
        out.record(
            "namespace-no-quota",
            &at,
            (!quotas.contains(n)).then(|| "no ResourceQuota".to_string()),
        );
        out.record(
            "namespace-no-limitrange",
            &at,
            (!ranges.contains(n)).then(|| "no LimitRange".to_string()),
        );
    }
    for (kind, check) in [
        (
            Kind::ClusterRoleBinding,
            "clusterrolebinding-sa-cluster-admin",
        ),
        (Kind::RoleBinding, "rolebinding-sa-cluster-admin"),
    ] {
        for b in snap.of(kind) {
            out.record(check, &Place::of(kind, b), cluster_admin_accounts(b));
        }
    }
    for crd in snap.of(Kind::CustomResourceDefinition) {
        let Some(n) = snap.crd_instances.get(name(crd)) else {
            continue;
        };
        out.record(
            "crd-no-instances",
            &Place::of(Kind::CustomResourceDefinition, crd),
            (*n == 0).then(|| "no instances in any namespace".to_string()),
        );
    }
}

/// `grants cluster-admin to ServiceAccount ci/deployer`, if the binding does.
fn cluster_admin_accounts(binding: &Value) -> Option<String> {
    let admin = str_at(binding, "/roleRef/kind") == Some("ClusterRole")
        && str_at(binding, "/roleRef/name") == Some("cluster-admin");
    if !admin {
        return None;
    }
    let accounts: Vec<String> = list(binding, "/subjects")
        .iter()
        .filter(|s| str_at(s, "/kind") == Some("ServiceAccount"))
        .map(|s| {
            // A RoleBinding's subject without a namespace is in the binding's.
            let ns = str_at(s, "/namespace")
                .or(namespace(binding))
                .unwrap_or("?");
            format!("{ns}/{}", entry_name(s))
        })
        .collect();
    (!accounts.is_empty()).then(|| {
        format!(
            "grants cluster-admin to ServiceAccount {}",
            accounts.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{examined, found, obj, snapshot};
    use crate::inspect::snapshot::Kind;
    use serde_json::{Value, json};

    #[test]
    fn namespaces_without_quota_or_limit_range() {
        let ns = |name: &str| (Kind::Namespace, obj("", name, json!({})));
        let snap = snapshot(vec![
            ns("shop"),
            ns("team-a"),
            ns("kube-system"),
            (
                Kind::Namespace,
                obj("", "gone", json!({"status": {"phase": "Terminating"}})),
            ),
            (Kind::ResourceQuota, obj("shop", "quota", json!({}))),
            (Kind::LimitRange, obj("team-a", "limits", json!({}))),
        ]);
        assert_eq!(
            found(&snap, "namespace-no-quota"),
            ["team-a/Namespace/team-a: no ResourceQuota"]
        );
        assert_eq!(
            found(&snap, "namespace-no-limitrange"),
            ["shop/Namespace/shop: no LimitRange"]
        );
        assert_eq!(examined(&snap, "namespace-no-quota"), 2);
    }

    #[test]
    fn service_accounts_bound_to_cluster_admin() {
        let binding = |ns: &str, name: &str, role: &str, subjects: Value| {
            obj(
                ns,
                name,
                json!({"roleRef": {"kind": "ClusterRole", "name": role}, "subjects": subjects}),
            )
        };
        let sa = json!([{"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"},
                        {"kind": "User", "name": "alice"}]);
        let snap = snapshot(vec![
            (
                Kind::ClusterRoleBinding,
                binding("", "ci-admin", "cluster-admin", sa.clone()),
            ),
            (
                Kind::ClusterRoleBinding,
                binding(
                    "",
                    "admins",
                    "cluster-admin",
                    json!([{"kind": "Group", "name": "ops"}]),
                ),
            ),
            (Kind::ClusterRoleBinding, binding("", "viewers", "view", sa)),
            (
                Kind::RoleBinding,
                binding(
                    "shop",
                    "local-admin",
                    "cluster-admin",
                    json!([{"kind": "ServiceAccount", "name": "web"}]),
                ),
            ),
        ]);
        assert_eq!(
            found(&snap, "clusterrolebinding-sa-cluster-admin"),
            ["-/ClusterRoleBinding/ci-admin: grants cluster-admin to ServiceAccount ci/deployer"]
        );
        assert_eq!(examined(&snap, "clusterrolebinding-sa-cluster-admin"), 3);
        assert_eq!(
            found(&snap, "rolebinding-sa-cluster-admin"),
            ["shop/RoleBinding/local-admin: grants cluster-admin to ServiceAccount shop/web"]
        );
    }

    #[test]
    fn crds_without_instances() {
        let crd = |name: &str| (Kind::CustomResourceDefinition, obj("", name, json!({})));
        let mut snap = snapshot(vec![
            crd("widgets.example.com"),
            crd("gadgets.example.com"),
            crd("uncounted.example.com"),
        ]);
        snap.crd_instances.insert("widgets.example.com".into(), 0);
        snap.crd_instances.insert("gadgets.example.com".into(), 4);
        assert_eq!(
            found(&snap, "crd-no-instances"),
            ["-/CustomResourceDefinition/widgets.example.com: no instances in any namespace"]
        );
        assert_eq!(examined(&snap, "crd-no-instances"), 2);
    }
}
