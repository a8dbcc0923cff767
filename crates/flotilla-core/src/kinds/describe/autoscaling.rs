//! HorizontalPodAutoscalers (kubectl's `describeHorizontalPodAutoscalerV2`, and V1 for the
//! older API): each metric's current value against its target, and why it cannot scale.

use super::table::{Writer, annotations, arr, conditions, int, labels, obj, s, scalar, time};
use crate::quantity::Quantity;
use serde_json::Value;

fn quantity(v: &Value, ptr: &str) -> Option<String> {
    let text = v.pointer(ptr).map(scalar)?;
    Some(
        Quantity::parse(&text)
            .map(|q| q.to_string())
            .unwrap_or(text),
    )
}

/// One line of `Metrics:`, as kubectl writes each metric type.
fn metric(w: &mut Writer, m: &Value, current: Option<&Value>) {
    let unknown = || "<unknown>".to_string();
    let cur = |field: &str, ptr: &str| {
        current
            .and_then(|c| c.get(field))
            .and_then(|c| quantity(c, ptr))
            .unwrap_or_else(unknown)
    };
    match s(m, "/type") {
        "External" => {
            let name = s(m, "/external/metric/name");
            if let Some(t) = quantity(m, "/external/target/averageValue") {
                let c = cur("external", "/current/averageValue");
                w.line(1, &format!("{name:?} (target average value):\t{c} / {t}"));
            } else {
                let t = quantity(m, "/external/target/value").unwrap_or_default();
                let c = cur("external", "/current/value");
                w.line(1, &format!("{name:?} (target value):\t{c} / {t}"));
            }
        }
        "Pods" => {
            let name = s(m, "/pods/metric/name");
            let t = quantity(m, "/pods/target/averageValue").unwrap_or_default();
            let c = cur("pods", "/current/averageValue");
            w.line(1, &format!("{name:?} on pods:\t{c} / {t}"));
        }
        "Object" => {
            let name = s(m, "/object/metric/name");
            let kind = s(m, "/object/describedObject/kind");
            let target = s(m, "/object/describedObject/name");
            w.write(1, &format!("{name:?} on {kind}/{target} "));
            if s(m, "/object/target/type") == "AverageValue" {
                let t = quantity(m, "/object/target/averageValue").unwrap_or_default();
                let c = cur("object", "/current/averageValue");
                w.line(0, &format!("(target average value):\t{c} / {t}"));
            } else {
                let t = quantity(m, "/object/target/value").unwrap_or_default();
                let c = cur("object", "/current/value");
                w.line(0, &format!("(target value):\t{c} / {t}"));
            }
        }
        kind @ ("Resource" | "ContainerResource") => {
            let field = if kind == "Resource" {
                "resource"
            } else {
                "containerResource"
            };
            let spec = m.get(field).unwrap_or(&Value::Null);
            let res = s(spec, "/name");
            if kind == "Resource" {
                w.write(1, &format!("resource {res} on pods"));
            } else {
                let c = s(spec, "/container");
                w.write(1, &format!("resource {res} of container \"{c}\" on pods"));
            }
            if let Some(t) = quantity(spec, "/target/averageValue") {
                let c = cur(field, "/current/averageValue");
                w.line(0, &format!(":\t{c} / {t}"));
            } else {
                let c = current.and_then(|c| c.get(field));
                let c = match c.and_then(|c| c.pointer("/current/averageUtilization")) {
                    Some(u) => format!(
                        "{}% ({})",
                        scalar(u),
                        c.and_then(|c| quantity(c, "/current/averageValue"))
                            .unwrap_or_default()
                    ),
                    None => unknown(),
                };
                let t = match spec.pointer("/target/averageUtilization") {
                    Some(u) => format!("{}%", scalar(u)),
                    None => "<auto>".into(),
                };
                w.line(1, &format!("(as a percentage of request):\t{c} / {t}"));
            }
        }
        other => w.line(1, &format!("<unknown metric type {other:?}>")),
    }
}

fn behavior(w: &mut Writer, title: &str, rules: Option<&Value>) {
    let Some(r) = rules.filter(|r| r.is_object()) else {
        return;
    };
    w.line(1, &format!("{title}:"));
    if let Some(win) = r.get("stabilizationWindowSeconds") {
        w.line(2, &format!("Stabilization Window: {} seconds", scalar(win)));
    }
    let policies = arr(r, "/policies");
    if !policies.is_empty() {
        let select = match s(r, "/selectPolicy") {
            "" => "Max",
            p => p,
        };
        w.line(2, &format!("Select Policy: {select}"));
        w.line(2, "Policies:");
        for p in policies {
            w.line(
                3,
                &format!(
                    "- Type: {}\tValue: {}\tPeriod: {} seconds",
                    s(p, "/type"),
                    int(p, "/value"),
                    int(p, "/periodSeconds")
                ),
            );
        }
    }
}

pub fn hpa(h: &Value) -> Vec<String> {
    let mut w = Writer::new();
    w.kv(0, "Name", s(h, "/metadata/name"));
    w.kv(0, "Namespace", s(h, "/metadata/namespace"));
    labels(&mut w, "", "Labels", obj(h, "/metadata/labels"));
    annotations(&mut w, "Annotations", obj(h, "/metadata/annotations"));
    w.kv(
        0,
        "CreationTimestamp",
        time(s(h, "/metadata/creationTimestamp")),
    );
    let kind = s(h, "/spec/scaleTargetRef/kind");
    w.kv(
        0,
        "Reference",
        format!("{kind}/{}", s(h, "/spec/scaleTargetRef/name")),
    );
    let v1 = s(h, "/apiVersion") == "autoscaling/v1";
    if v1 {
        if let Some(t) = h.pointer("/spec/targetCPUUtilizationPercentage") {
            w.kv(0, "Target CPU utilization", format!("{}%", scalar(t)));
            let current = h
                .pointer("/status/currentCPUUtilizationPercentage")
                .map(scalar)
                .unwrap_or("<unknown>".into());
            w.kv(0, "Current CPU utilization", format!("{current}%"));
        }
    } else {
        w.kv(0, "Metrics", "( current / target )");
        let current = arr(h, "/status/currentMetrics");
        for (i, m) in arr(h, "/spec/metrics").iter().enumerate() {
            metric(&mut w, m, current.get(i));
        }
    }
    let min = h.pointer("/spec/minReplicas").map(scalar);
    w.kv(0, "Min replicas", min.unwrap_or("<unset>".into()));
    w.kv(0, "Max replicas", int(h, "/spec/maxReplicas"));
    if !v1 && let Some(b) = h.pointer("/spec/behavior").filter(|b| b.is_object()) {
        w.line(0, "Behavior:");
        behavior(&mut w, "Scale Up", b.get("scaleUp"));
        behavior(&mut w, "Scale Down", b.get("scaleDown"));
    }
    let (cur, want) = (
        int(h, "/status/currentReplicas"),
        int(h, "/status/desiredReplicas"),
    );
    w.kv(
        0,
        &format!("{kind} pods"),
        format!("{cur} current / {want} desired"),
    );
    if !v1 {
        let cols = [
            ("Type", "type"),
            ("Status", "status"),
            ("Reason", "reason"),
            ("Message", "message"),
        ];
        conditions(&mut w, h, true, &cols);
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metrics_without_values_and_conditions() {
        let h = json!({"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler",
            "metadata":{"name":"api","namespace":"shop"},
            "spec":{"scaleTargetRef":{"kind":"Deployment","name":"api"},"minReplicas":1,"maxReplicas":5,
                "metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":70}}},
                    {"type":"Pods","pods":{"metric":{"name":"rps"},"target":{"type":"AverageValue","averageValue":"100"}}}]},
            "status":{"currentReplicas":1,"desiredReplicas":0,"conditions":[
                {"type":"AbleToScale","status":"True","reason":"SucceededGetScale","message":"ok"},
                {"type":"ScalingActive","status":"False","reason":"FailedGetResourceMetric","message":"no metrics"}]}});
        let lines = hpa(&h);
        let text = lines.join("\n");
        assert!(
            text.contains("Reference:                                             Deployment/api"),
            "{text}"
        );
        assert!(
            text.contains("  resource cpu on pods  (as a percentage of request):  <unknown> / 70%"),
            "{text}"
        );
        assert!(text.contains("  \"rps\" on pods:"), "{text}");
        assert!(text.contains("<unknown> / 100"), "{text}");
        assert!(text.contains("Deployment pods:"), "{text}");
        assert!(text.contains("1 current / 0 desired"), "{text}");
        assert!(
            lines
                .iter()
                .any(|l| l.split_whitespace().take(3).collect::<Vec<_>>()
                    == ["ScalingActive", "False", "FailedGetResourceMetric"]),
            "{text}"
        );
    }

    #[test]
    fn v1_shows_the_cpu_target() {
        let h = json!({"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler",
            "metadata":{"name":"api"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"api"},
                "maxReplicas":3,"targetCPUUtilizationPercentage":50}});
        let text = hpa(&h).join("\n");
        assert!(text.contains("Target CPU utilization:   50%"), "{text}");
        assert!(
            text.contains("Current CPU utilization:  <unknown>%"),
            "{text}"
        );
        assert!(text.contains("Min replicas:             <unset>"), "{text}");
    }
}
