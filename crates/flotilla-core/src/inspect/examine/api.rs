//! Deprecated API versions: served by the server, and used to write objects. An object's
//! `managedFields` name the apiVersion each manager (kubectl, Helm, a controller) wrote it
//! through, which is how a manifest still on an old version shows before the upgrade that
//! breaks it. A CRD's own versions marked `deprecated` count as well.

use super::Ctx;
use crate::inspect::object::{bool_at, list, str_at};
use crate::inspect::out::{Out, Place};
use crate::inspect::snapshot::Kind;
use std::collections::BTreeMap;

/// Group/versions Kubernetes deprecated, the release that removes them, and what replaces
/// them.
const DEPRECATED: &[(&str, &str, &str)] = &[
    (
        "extensions/v1beta1",
        "1.22",
        "apps/v1, networking.k8s.io/v1",
    ),
    ("apps/v1beta1", "1.16", "apps/v1"),
    ("apps/v1beta2", "1.16", "apps/v1"),
    ("networking.k8s.io/v1beta1", "1.22", "networking.k8s.io/v1"),
    (
        "rbac.authorization.k8s.io/v1beta1",
        "1.22",
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "1.22",
        "admissionregistration.k8s.io/v1",
    ),
    (
        "apiextensions.k8s.io/v1beta1",
        "1.22",
        "apiextensions.k8s.io/v1",
    ),
    (
        "apiregistration.k8s.io/v1beta1",
        "1.22",
        "apiregistration.k8s.io/v1",
    ),
    (
        "certificates.k8s.io/v1beta1",
        "1.22",
        "certificates.k8s.io/v1",
    ),
    (
        "coordination.k8s.io/v1beta1",
        "1.22",
        "coordination.k8s.io/v1",
    ),
    ("scheduling.k8s.io/v1beta1", "1.22", "scheduling.k8s.io/v1"),
    ("batch/v1beta1", "1.25", "batch/v1"),
    ("discovery.k8s.io/v1beta1", "1.25", "discovery.k8s.io/v1"),
    ("events.k8s.io/v1beta1", "1.25", "events.k8s.io/v1"),
    ("policy/v1beta1", "1.25", "policy/v1"),
    ("node.k8s.io/v1beta1", "1.25", "node.k8s.io/v1"),
    ("autoscaling/v2beta1", "1.25", "autoscaling/v2"),
    ("autoscaling/v2beta2", "1.26", "autoscaling/v2"),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "1.26",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    ("storage.k8s.io/v1beta1", "1.27", "storage.k8s.io/v1"),
    (
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "1.29",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "1.32",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
];

/// `removed in 1.25, use policy/v1` for a deprecated group/version.
fn deprecation(version: &str) -> Option<String> {
    DEPRECATED
        .iter()
        .find(|(v, _, _)| *v == version)
        .map(|(_, removed, with)| format!("removed in {removed}, use {with}"))
}

/// The served versions CRDs mark deprecated: `group/version` → `marked so by CRD <name>`
/// and the CRD's warning, if it wrote one.
fn crd_deprecations(cx: &Ctx) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for crd in cx.snap.of(Kind::CustomResourceDefinition) {
        let (Some(name), Some(group)) = (str_at(crd, "/metadata/name"), str_at(crd, "/spec/group"))
        else {
            continue;
        };
        for v in list(crd, "/spec/versions") {
            let served = bool_at(v, "/served") == Some(true);
            let (true, true, Some(version)) = (
                served,
                bool_at(v, "/deprecated") == Some(true),
                str_at(v, "/name"),
            ) else {
                continue;
            };
            let mut why = format!("marked so by CRD {name}");
            if let Some(w) = str_at(v, "/deprecationWarning") {
                why.push_str(": ");
                why.push_str(w);
            }
            out.insert(format!("{group}/{version}"), why);
        }
    }
    out
}

pub fn examine<'a>(cx: &Ctx<'a>, out: &mut Out<'a>) {
    let by_crds = crd_deprecations(cx);
    let deprecation =
        |version: &str| deprecation(version).or_else(|| by_crds.get(version).cloned());
    for version in &cx.snap.api_versions {
        let at = Place {
            kind: "APIVersion",
            namespace: None,
            name: version,
        };
        let found = deprecation(version).map(|d| format!("served; deprecated, {d}"));
        out.record("api-deprecated-served", &at, found);
    }
    for (kind, v) in cx.snap.all() {
        let mut written: Vec<String> = Vec::new();
        for f in list(v, "/metadata/managedFields") {
            let Some(version) = str_at(f, "/apiVersion") else {
                continue;
            };
            if let Some(d) = deprecation(version) {
                let manager = str_at(f, "/manager").unwrap_or("an unnamed manager");
                let line = format!("written through {version} by {manager} ({d})");
                if !written.contains(&line) {
                    written.push(line);
                }
            }
        }
        let found = (!written.is_empty()).then(|| written.join("; "));
        out.record("api-deprecated-in-use", &Place::of(kind, v), found);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{examined, found, obj, snapshot};
    use crate::inspect::snapshot::Kind;
    use serde_json::json;

    #[test]
    fn deprecated_versions_served_and_written_through() {
        let fields = |version: &str| {
            json!({"metadata": {"managedFields": [
                {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "autoscaling/v2"},
                {"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": version}]}})
        };
        let mut snap = snapshot(vec![
            (
                Kind::HorizontalPodAutoscaler,
                obj("shop", "old", fields("autoscaling/v2beta2")),
            ),
            (
                Kind::HorizontalPodAutoscaler,
                obj("shop", "new", fields("autoscaling/v2")),
            ),
        ]);
        snap.api_versions = [
            "v1",
            "apps/v1",
            "policy/v1",
            "flowcontrol.apiserver.k8s.io/v1beta3",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            found(&snap, "api-deprecated-served"),
            [
                "-/APIVersion/flowcontrol.apiserver.k8s.io/v1beta3: served; deprecated, removed in 1.32, use flowcontrol.apiserver.k8s.io/v1"
            ]
        );
        assert_eq!(examined(&snap, "api-deprecated-served"), 4);
        assert_eq!(
            found(&snap, "api-deprecated-in-use"),
            [
                "shop/HorizontalPodAutoscaler/old: written through autoscaling/v2beta2 by kubectl-client-side-apply (removed in 1.26, use autoscaling/v2)"
            ]
        );
        assert_eq!(examined(&snap, "api-deprecated-in-use"), 2);
    }

    #[test]
    fn versions_a_crd_deprecates_count_too() {
        let crd = obj(
            "",
            "widgets.lab.example",
            json!({"spec": {"group": "lab.example", "versions": [
                {"name": "v1alpha1", "served": true, "storage": false, "deprecated": true,
                 "deprecationWarning": "use v1"},
                {"name": "v1beta1", "served": false, "storage": false, "deprecated": true},
                {"name": "v1", "served": true, "storage": true}]}}),
        );
        let mut snap = snapshot(vec![(Kind::CustomResourceDefinition, crd)]);
        snap.api_versions = ["v1", "lab.example/v1", "lab.example/v1alpha1"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            found(&snap, "api-deprecated-served"),
            [
                "-/APIVersion/lab.example/v1alpha1: served; deprecated, marked so by CRD widgets.lab.example: use v1"
            ]
        );
    }
}
