//! Workloads' redundancy: replicas, PodDisruptionBudgets, and the autoscalers that size them.

use super::Ctx;
use crate::inspect::object::{condition, int_at, labels, namespace, selects, str_at};
use crate::inspect::out::{Out, Place};
use crate::inspect::snapshot::Kind;
use crate::kinds::selector::{LabelReq, selector_of};
use serde_json::Value;

pub fn examine<'a>(cx: &Ctx<'a>, out: &mut Out<'a>) {
    let snap = cx.snap;
    // A PDB without a selector selects nothing (policy/v1); an empty one selects every pod of
    // its namespace.
    let pdbs: Vec<(Option<&str>, Vec<LabelReq>)> = snap
        .of(Kind::PodDisruptionBudget)
        .iter()
        .filter_map(|p| Some((namespace(p), selector_of(p)?)))
        .collect();
    let kinds = [
        (
            Kind::Deployment,
            "deployment-single-replica",
            "deployment-no-pdb",
        ),
        (
            Kind::StatefulSet,
            "statefulset-single-replica",
            "statefulset-no-pdb",
        ),
    ];
    for (kind, single, no_pdb) in kinds {
        for w in snap.of(kind) {
            let at = Place::of(kind, w);
            let replicas = int_at(w, "/spec/replicas").unwrap_or(1);
            // Scaled to zero on purpose: nothing runs to be redundant.
            if replicas == 0 {
                continue;
            }
            out.record(
                single,
                &at,
                (replicas == 1).then(|| "1 replica: a crash or a drain takes it down".to_string()),
            );
            if replicas >= 2 {
                let pods = labels(w.pointer("/spec/template/metadata/labels"));
                let guarded = pdbs
                    .iter()
                    .any(|(ns, sel)| *ns == at.namespace && selects(sel, &pods));
                out.record(
                    no_pdb,
                    &at,
                    (!guarded)
                        .then(|| format!("no PodDisruptionBudget selects its {replicas} replicas")),
                );
            }
        }
    }
    for pdb in snap.of(Kind::PodDisruptionBudget) {
        let at = Place::of(Kind::PodDisruptionBudget, pdb);
        out.record("pdb-blocks-disruption", &at, blocking(pdb));
    }
    for hpa in snap.of(Kind::HorizontalPodAutoscaler) {
        let at = Place::of(Kind::HorizontalPodAutoscaler, hpa);
        out.record("hpa-no-metrics", &at, no_metrics(hpa));
        out.record("hpa-at-max", &at, at_max(hpa));
    }
}

/// `3` or `"50%"` as written.
fn shown(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), String::from)
}

fn blocking(pdb: &Value) -> Option<String> {
    let expected = int_at(pdb, "/status/expectedPods").unwrap_or(0);
    if let Some(m) = pdb.pointer("/spec/maxUnavailable") {
        let zero = m.as_i64() == Some(0) || matches!(m.as_str(), Some("0" | "0%"));
        if zero {
            return Some(format!(
                "maxUnavailable {}: no pod may ever be evicted",
                shown(m)
            ));
        }
    }
    if let Some(m) = pdb.pointer("/spec/minAvailable") {
        let all = m.as_str() == Some("100%")
            || (expected > 0 && m.as_i64().is_some_and(|n| n >= expected));
        if all {
            return Some(format!(
                "minAvailable {} of {expected} expected pods: no pod may ever be evicted",
                shown(m)
            ));
        }
    }
    let allowed = int_at(pdb, "/status/disruptionsAllowed")?;
    (allowed == 0 && expected > 0).then(|| {
        let n = |f: &str| int_at(pdb, &format!("/status/{f}")).unwrap_or(0);
        format!(
            "no disruption allowed now: {} healthy, {} needed",
            n("currentHealthy"),
            n("desiredHealthy")
        )
    })
}

fn no_metrics(hpa: &Value) -> Option<String> {
    let inactive =
        condition(hpa, "ScalingActive").filter(|c| str_at(c, "/status") == Some("False"));
    if let Some(c) = inactive {
        let reason = str_at(c, "/reason").unwrap_or("no reason");
        let message = str_at(c, "/message")
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        return Some(format!("ScalingActive False, {reason}{message}"));
    }
    hpa.pointer("/status/currentMetrics")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty)
        .then(|| "no current metrics reported".to_string())
}

fn at_max(hpa: &Value) -> Option<String> {
    let max = int_at(hpa, "/spec/maxReplicas")?;
    let current = int_at(hpa, "/status/currentReplicas")?;
    (max > 0 && current >= max).then(|| format!("{current} replicas, at its maximum of {max}"))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{examined, found, obj, snapshot};
    use crate::inspect::snapshot::Kind;
    use serde_json::{Value, json};

    fn workload(name: &str, replicas: i64) -> Value {
        obj(
            "shop",
            name,
            json!({"spec": {"replicas": replicas,
                "template": {"metadata": {"labels": {"app": name}}, "spec": {}}}}),
        )
    }

    fn pdb(name: &str, spec: Value, status: Value) -> (Kind, Value) {
        let p = obj("shop", name, json!({"spec": spec, "status": status}));
        (Kind::PodDisruptionBudget, p)
    }

    #[test]
    fn single_replicas() {
        let snap = snapshot(vec![
            (Kind::Deployment, workload("web", 1)),
            (Kind::Deployment, workload("api", 3)),
            (Kind::Deployment, workload("parked", 0)),
            (Kind::StatefulSet, workload("db", 1)),
        ]);
        assert_eq!(
            found(&snap, "deployment-single-replica"),
            ["shop/Deployment/web: 1 replica: a crash or a drain takes it down"]
        );
        assert_eq!(examined(&snap, "deployment-single-replica"), 2);
        assert_eq!(
            found(&snap, "statefulset-single-replica"),
            ["shop/StatefulSet/db: 1 replica: a crash or a drain takes it down"]
        );
    }

    #[test]
    fn replicated_workloads_without_a_pdb() {
        let guard = pdb(
            "api",
            json!({"selector": {"matchLabels": {"app": "api"}}, "maxUnavailable": 1}),
            json!({}),
        );
        let snap = snapshot(vec![
            (Kind::Deployment, workload("api", 3)),
            (Kind::Deployment, workload("web", 2)),
            (Kind::StatefulSet, workload("db", 3)),
            guard,
        ]);
        assert_eq!(
            found(&snap, "deployment-no-pdb"),
            ["shop/Deployment/web: no PodDisruptionBudget selects its 2 replicas"]
        );
        assert_eq!(
            found(&snap, "statefulset-no-pdb"),
            ["shop/StatefulSet/db: no PodDisruptionBudget selects its 3 replicas"]
        );
        // An empty selector selects every pod of the namespace.
        let all = pdb(
            "all",
            json!({"selector": {}, "maxUnavailable": 1}),
            json!({}),
        );
        let snap = snapshot(vec![(Kind::Deployment, workload("web", 2)), all]);
        assert_eq!(found(&snap, "deployment-no-pdb"), Vec::<String>::new());
    }

    #[test]
    fn pdbs_that_allow_no_disruption() {
        let snap = snapshot(vec![
            pdb(
                "frozen",
                json!({"maxUnavailable": 0}),
                json!({"expectedPods": 3}),
            ),
            pdb(
                "all",
                json!({"minAvailable": 3}),
                json!({"expectedPods": 3}),
            ),
            pdb(
                "pct",
                json!({"minAvailable": "100%"}),
                json!({"expectedPods": 2}),
            ),
            pdb(
                "sick",
                json!({"maxUnavailable": 1}),
                json!({"expectedPods": 3, "disruptionsAllowed": 0,
                       "currentHealthy": 1, "desiredHealthy": 2}),
            ),
            pdb(
                "fine",
                json!({"minAvailable": 2}),
                json!({"expectedPods": 3, "disruptionsAllowed": 1}),
            ),
            pdb(
                "idle",
                json!({"minAvailable": 1}),
                json!({"expectedPods": 0, "disruptionsAllowed": 0}),
            ),
        ]);
        assert_eq!(
            found(&snap, "pdb-blocks-disruption"),
            [
                "shop/PodDisruptionBudget/all: minAvailable 3 of 3 expected pods: no pod may ever be evicted",
                "shop/PodDisruptionBudget/frozen: maxUnavailable 0: no pod may ever be evicted",
                "shop/PodDisruptionBudget/pct: minAvailable 100% of 2 expected pods: no pod may ever be evicted",
                "shop/PodDisruptionBudget/sick: no disruption allowed now: 1 healthy, 2 needed",
            ]
        );
        assert_eq!(examined(&snap, "pdb-blocks-disruption"), 6);
    }

    #[test]
    fn autoscalers_without_metrics_or_at_their_maximum() {
        let hpa = |name: &str, status: Value| {
            let h = obj(
                "shop",
                name,
                json!({"spec": {"maxReplicas": 10}, "status": status}),
            );
            (Kind::HorizontalPodAutoscaler, h)
        };
        let metrics = json!([{"type": "Resource"}]);
        let snap = snapshot(vec![
            hpa(
                "ok",
                json!({"currentReplicas": 4, "currentMetrics": metrics}),
            ),
            hpa(
                "maxed",
                json!({"currentReplicas": 10, "currentMetrics": metrics}),
            ),
            hpa(
                "blind",
                json!({"currentReplicas": 2, "conditions": [{"type": "ScalingActive",
                    "status": "False", "reason": "FailedGetResourceMetric",
                    "message": "missing request for cpu"}]}),
            ),
        ]);
        assert_eq!(
            found(&snap, "hpa-no-metrics"),
            [
                "shop/HorizontalPodAutoscaler/blind: ScalingActive False, FailedGetResourceMetric: missing request for cpu"
            ]
        );
        assert_eq!(
            found(&snap, "hpa-at-max"),
            ["shop/HorizontalPodAutoscaler/maxed: 10 replicas, at its maximum of 10"]
        );
    }
}
