//! Namespaces (kubectl's `describeNamespace`): status, and the quotas and limit ranges that
//! decide what may still be created in it.

use super::table::{Writer, annotations, arr, conditions, labels, obj, s, scalar};
use super::{Related, Slot};
use crate::quantity::Quantity;
use serde_json::{Map, Value};

fn q(v: Option<&Value>) -> String {
    let Some(text) = v.map(scalar) else {
        return String::new();
    };
    Quantity::parse(&text)
        .map(|q| q.to_string())
        .unwrap_or(text)
}

fn quotas(w: &mut Writer, list: &[Value]) {
    if list.is_empty() {
        return w.line(0, "No resource quota.");
    }
    let mut list: Vec<&Value> = list.iter().collect();
    list.sort_by_key(|q| s(q, "/metadata/name"));
    w.line(0, "Resource Quotas");
    for quota in list {
        w.kv(1, "Name", s(quota, "/metadata/name"));
        let mut scopes: Vec<String> = arr(quota, "/spec/scopes").iter().map(scalar).collect();
        if !scopes.is_empty() {
            scopes.sort();
            w.kv(1, "Scopes", scopes.join(", "));
        }
        w.line(1, "Resource\tUsed\tHard");
        w.line(1, "--------\t---\t---");
        let empty = Map::new();
        let hard = obj(quota, "/status/hard").unwrap_or(&empty);
        let used = obj(quota, "/status/used").unwrap_or(&empty);
        let mut names: Vec<&String> = hard.keys().collect();
        names.sort();
        for r in names {
            w.line(1, &format!("{r}\t{}\t{}", q(used.get(r)), q(hard.get(r))));
        }
    }
}

fn limit_ranges(w: &mut Writer, list: &[Value]) {
    if list.is_empty() {
        return w.line(0, "No LimitRange resource.");
    }
    w.line(0, "Resource Limits");
    w.line(
        0,
        " Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio",
    );
    w.line(
        0,
        " ----\t--------\t---\t---\t---------------\t-------------\t-----------------------",
    );
    for lr in list {
        for item in arr(lr, "/spec/limits") {
            let fields = [
                "min",
                "max",
                "defaultRequest",
                "default",
                "maxLimitRequestRatio",
            ];
            let mut names: Vec<&String> = fields
                .iter()
                .filter_map(|f| item.get(*f).and_then(Value::as_object))
                .flat_map(|m| m.keys())
                .collect();
            names.sort();
            names.dedup();
            for r in names {
                let cells: Vec<String> = fields
                    .iter()
                    .map(|f| match item.pointer(&format!("/{f}/{r}")) {
                        Some(v) => q(Some(v)),
                        None => "-".into(),
                    })
                    .collect();
                w.line(
                    0,
                    &format!(" {}\t{r}\t{}", s(item, "/type"), cells.join("\t")),
                );
            }
        }
    }
}

pub fn describe(ns: &Value, related: &Related) -> Vec<String> {
    let mut w = Writer::new();
    w.kv(0, "Name", s(ns, "/metadata/name"));
    labels(&mut w, "", "Labels", obj(ns, "/metadata/labels"));
    annotations(&mut w, "Annotations", obj(ns, "/metadata/annotations"));
    w.kv(0, "Status", s(ns, "/status/phase"));
    let cols = [
        ("Type", "type"),
        ("Status", "status"),
        ("LastTransitionTime", "lastTransitionTime"),
        ("Reason", "reason"),
        ("Message", "message"),
    ];
    conditions(&mut w, ns, true, &cols);
    w.line(0, "");
    match related.items(Slot::Quotas) {
        Ok(list) => quotas(&mut w, list),
        Err(e) => w.kv(0, "Resource Quotas", e),
    }
    w.line(0, "");
    match related.items(Slot::LimitRanges) {
        Ok(list) => limit_ranges(&mut w, list),
        Err(e) => w.kv(0, "Resource Limits", e),
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quotas_and_limits() {
        let ns = json!({"kind":"Namespace","metadata":{"name":"shop"},"status":{"phase":"Active"}});
        let mut related = Related::default();
        let text = describe(&ns, &related).join("\n");
        assert!(text.contains("Resource Quotas:  loading…"), "{text}");
        related.set(Slot::Quotas, Ok(json!({"items":[{"metadata":{"name":"shop-quota"},
            "status":{"hard":{"pods":"20","requests.cpu":"4"},"used":{"pods":"7","requests.cpu":"1500m"}}}]})));
        related.set(
            Slot::LimitRanges,
            Ok(json!({"items":[{"spec":{"limits":[{"type":"Container",
            "default":{"cpu":"500m"},"defaultRequest":{"cpu":"100m","memory":"64Mi"}}]}}]})),
        );
        let lines = describe(&ns, &related);
        let text = lines.join("\n");
        assert!(text.contains("Status:       Active"), "{text}");
        assert!(text.contains("  Name:         shop-quota"), "{text}");
        let words = |l: &String| l.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert!(
            lines
                .iter()
                .any(|l| words(l) == ["requests.cpu", "1500m", "4"]),
            "{text}"
        );
        assert!(
            lines
                .iter()
                .any(|l| words(l) == ["Container", "cpu", "-", "-", "100m", "500m", "-"]),
            "{text}"
        );
        assert!(
            lines
                .iter()
                .any(|l| words(l) == ["Container", "memory", "-", "-", "64Mi", "-", "-"]),
            "{text}"
        );
    }
}
