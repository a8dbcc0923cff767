//! The objects a revision's manifest names, and how the live objects drifted from it: the
//! live object is read through the manifest's shape (only the fields the manifest sets), so
//! what the server adds (defaults, status, metadata) is not drift, and a field changed or
//! removed since Helm applied it is.

use serde_json::Value;

/// One object of the manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct Named {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    /// As the manifest says; empty when it does not (the release's namespace for namespaced
    /// kinds, as Helm applies it).
    pub namespace: String,
    pub doc: Value,
}

/// The manifest's objects, in its order (documents without kind or name are left out: Helm
/// would have refused them).
pub fn objects(manifest: &str) -> Result<Vec<Named>, String> {
    if manifest.trim().is_empty() {
        return Ok(Vec::new());
    }
    let docs = crate::ops::import::documents(manifest)?;
    let text = |d: &Value, p: &str| {
        d.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Ok(docs
        .into_iter()
        .filter_map(|doc| {
            let api = text(&doc, "/apiVersion");
            let (group, version) = crate::ops::import::group_version(&api);
            let n = Named {
                group: group.to_string(),
                version: version.to_string(),
                kind: text(&doc, "/kind"),
                name: text(&doc, "/metadata/name"),
                namespace: text(&doc, "/metadata/namespace"),
                doc: doc.clone(),
            };
            (!n.kind.is_empty() && !n.name.is_empty() && !n.version.is_empty()).then_some(n)
        })
        .collect())
}

/// Scalars equal as the server may spell them (`1` and `"1"`, `true` and `"true"`).
fn loosely_equal(a: &Value, b: &Value) -> bool {
    let s = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    a == b || matches!((s(a), s(b)), (Some(x), Some(y)) if x == y)
}

/// The live object as the manifest's shape sees it: each field the manifest sets, with the
/// live value (the manifest's own spelling where they are loosely equal); fields the live
/// object lacks are left out.
pub fn through(want: &Value, live: &Value) -> Option<Value> {
    match (want, live) {
        (Value::Object(w), Value::Object(l)) => Some(Value::Object(
            w.iter()
                .filter_map(|(k, wv)| Some((k.clone(), through(wv, l.get(k)?)?)))
                .collect(),
        )),
        (Value::Array(w), Value::Array(l)) => Some(Value::Array(
            w.iter()
                .zip(l)
                .filter_map(|(wv, lv)| through(wv, lv))
                .chain(l.iter().skip(w.len()).cloned())
                .collect(),
        )),
        (Value::Null, _) => None,
        (w, l) if loosely_equal(w, l) => Some(w.clone()),
        (_, l) => Some(l.clone()),
    }
}

/// The manifest's object and the live one through its shape, as YAML lines to compare.
pub fn compared(want: &Value, live: &Value) -> (Vec<String>, Vec<String>) {
    let seen = through(want, live).unwrap_or(Value::Null);
    (
        crate::kinds::document::plain_yaml_lines(want),
        crate::kinds::document::plain_yaml_lines(&seen),
    )
}

/// Lines that differ between the manifest's object and the live one (0: in sync).
pub fn drift(want: &Value, live: &Value) -> usize {
    let (w, l) = compared(want, live);
    crate::kinds::drift::drift(&w, &l).changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MANIFEST: &str = "---\n# Source: frontend/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n    targetPort: 80\n---\n# Source: frontend/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: other\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        resources: {limits: {cpu: 1}}\n";

    #[test]
    fn reads_the_manifests_objects() {
        let objs = objects(MANIFEST).unwrap();
        let names: Vec<(&str, &str, &str, &str)> = objs
            .iter()
            .map(|o| {
                (
                    o.group.as_str(),
                    o.kind.as_str(),
                    o.name.as_str(),
                    o.namespace.as_str(),
                )
            })
            .collect();
        assert_eq!(
            names,
            vec![
                ("", "Service", "web", ""),
                ("apps", "Deployment", "web", "other")
            ]
        );
        assert!(objects("").unwrap().is_empty());
        assert!(objects("kind: [").is_err());
    }

    #[test]
    fn server_additions_are_not_drift_and_changes_are() {
        let want = objects(MANIFEST).unwrap()[1].doc.clone();
        let mut live = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "other", "uid": "u", "generation": 3},
            "spec": {"replicas": 2, "strategy": {"type": "RollingUpdate"},
                "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                    "imagePullPolicy": "IfNotPresent", "resources": {"limits": {"cpu": "1"}}}]}}},
            "status": {"readyReplicas": 2}
        });
        assert_eq!(drift(&want, &live), 0, "defaults, status and `1` as \"1\"");
        live["spec"]["replicas"] = json!(5);
        live["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.28");
        assert_eq!(
            drift(&want, &live),
            4,
            "two lines changed, each counted on both sides"
        );
        let (_, seen) = compared(&want, &live);
        assert!(seen.iter().any(|l| l.contains("replicas: 5")), "{seen:?}");
    }
}
