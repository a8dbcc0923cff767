//! A YAML import (`:create -f`): the documents of a file or paste, each resolved to the
//! resource that serves it on one cluster, put in the order they can be created in, and told
//! how the server can check it before anything is created. Pure; the screen sends.
//!
//! The check is a server-side dry run of every document. A document in a namespace the same
//! import creates cannot be dry-run there (the namespace does not exist yet), so it is
//! dry-run in a stand-in namespace that does: what the server validates about the object
//! itself (a Deployment without a selector) does not depend on the namespace. A custom
//! resource whose CustomResourceDefinition the import creates cannot be dry-run at all: it is
//! checked when it is created, and the screen says so.

use crate::model::{ResKey, ResourceInfo};
use serde_json::Value;

/// Where documents whose namespace the import creates are dry-run: every cluster has it.
pub const STAND_IN: &str = "default";

/// How a document is checked before anything is created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    /// A dry run as it is.
    AsIs,
    /// A dry run in `STAND_IN`: its namespace is created by this import.
    StandIn,
    /// No dry run is possible (why); the server checks it when it is created.
    WhenApplied(String),
}

/// One document ready to be sent to one cluster.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    /// Its position in the input, from 0.
    pub doc: usize,
    /// The object to create: the namespace filled in for namespaced kinds, taken out for
    /// cluster-scoped ones.
    pub object: Value,
    pub info: ResourceInfo,
    /// The version the document is written at (the request goes to that version).
    pub version: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
    pub check: Check,
}

/// A document that cannot be sent, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unplanned {
    pub doc: usize,
    /// "Deployment web" as far as the document says.
    pub what: String,
    pub error: String,
}

/// The documents of `text`, in order: empty documents are skipped, a `kind: List` gives its
/// items.
pub fn documents(text: &str) -> Result<Vec<Value>, String> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| {
        let message = e.to_string();
        let gist = message.lines().next().unwrap_or("").trim().to_string();
        match e.location() {
            Some(l) => format!("line {}, column {}: {gist}", l.line(), l.column()),
            None => gist,
        }
    })?;
    let mut out = Vec::new();
    for (i, d) in docs.into_iter().enumerate() {
        match d {
            Value::Null => {}
            Value::Object(_) if d.get("kind").and_then(Value::as_str) == Some("List") => {
                let items = d.get("items").and_then(Value::as_array).cloned();
                out.extend(items.into_iter().flatten().filter(|v| !v.is_null()));
            }
            Value::Object(_) => out.push(d),
            _ => return Err(format!("document {} is not an object", i + 1)),
        }
    }
    if out.is_empty() {
        return Err("no documents".into());
    }
    Ok(out)
}

/// `apps/v1` → ("apps", "v1"); `v1` → ("", "v1").
pub fn group_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The kinds `:create` and `:members` build, for a cluster whose discovery has not answered
/// yet: looked at after what the cluster serves.
pub fn well_known() -> Vec<ResourceInfo> {
    let entry = |group: &str, plural: &str, kind: &str, namespaced: bool| ResourceInfo {
        key: ResKey::new(group, plural),
        version: "v1".into(),
        kind: kind.into(),
        singular: kind.to_lowercase(),
        short_names: Vec::new(),
        namespaced,
        verbs: Vec::new(),
    };
    vec![
        entry("", "namespaces", "Namespace", false),
        entry("", "resourcequotas", "ResourceQuota", true),
        entry("", "limitranges", "LimitRange", true),
        entry("", "configmaps", "ConfigMap", true),
        entry("", "secrets", "Secret", true),
        entry("", "serviceaccounts", "ServiceAccount", true),
        entry(
            "rbac.authorization.k8s.io",
            "rolebindings",
            "RoleBinding",
            true,
        ),
        entry("rbac.authorization.k8s.io", "roles", "Role", true),
        entry(
            "apiextensions.k8s.io",
            "customresourcedefinitions",
            "CustomResourceDefinition",
            false,
        ),
    ]
}

/// The resources the CustomResourceDefinitions among `docs` define.
pub fn defined(docs: &[Value]) -> Vec<ResourceInfo> {
    docs.iter()
        .filter(|d| d.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition"))
        .filter_map(|d| {
            let group = text(d, "/spec/group")?;
            let kind = text(d, "/spec/names/kind")?;
            let plural = text(d, "/spec/names/plural")?;
            let version = d
                .pointer("/spec/versions")
                .and_then(Value::as_array)
                .and_then(|vs| vs.first())
                .and_then(|v| text(v, "/name"))
                .unwrap_or("v1");
            Some(ResourceInfo {
                key: ResKey::new(group, plural),
                version: version.into(),
                kind: kind.into(),
                singular: text(d, "/spec/names/singular")
                    .unwrap_or(&kind.to_lowercase())
                    .to_string(),
                short_names: Vec::new(),
                namespaced: text(d, "/spec/scope") != Some("Cluster"),
                verbs: Vec::new(),
            })
        })
        .collect()
}

/// What serves `kind` in `group`: the cluster's resources first, then `extra`.
pub fn resolve<'a>(
    group: &str,
    kind: &str,
    served: &'a [ResourceInfo],
    extra: &'a [ResourceInfo],
) -> Option<&'a ResourceInfo> {
    served
        .iter()
        .chain(extra)
        .find(|r| r.key.group == group && r.kind == kind)
}

/// The order documents are created in: namespaces, then CRDs, then other cluster-scoped
/// objects, then what workloads refer to (accounts, config, quota, RBAC, services), then the
/// rest — each group in the order the input gave.
pub fn rank(kind: &str, namespaced: bool) -> u8 {
    match kind {
        "Namespace" => 0,
        "CustomResourceDefinition" => 1,
        _ if !namespaced => 2,
        "ResourceQuota"
        | "LimitRange"
        | "ServiceAccount"
        | "Secret"
        | "ConfigMap"
        | "PersistentVolumeClaim"
        | "Role"
        | "RoleBinding"
        | "Service" => 3,
        _ => 4,
    }
}

/// Every document planned for one cluster (`served`: its resources), in creation order;
/// namespaced documents without a namespace go to `default_ns`.
pub fn plan(
    docs: &[Value],
    served: &[ResourceInfo],
    default_ns: &str,
) -> (Vec<Planned>, Vec<Unplanned>) {
    let from_import = defined(docs);
    let mut extra = well_known();
    extra.extend(from_import.iter().cloned());
    let created_ns: Vec<&str> = docs
        .iter()
        .filter(|d| d.get("kind").and_then(Value::as_str) == Some("Namespace"))
        .filter_map(|d| text(d, "/metadata/name"))
        .collect();
    let (mut planned, mut failed) = (Vec::new(), Vec::new());
    for (i, d) in docs.iter().enumerate() {
        match plan_one(i, d, served, &extra, &from_import, &created_ns, default_ns) {
            Ok(p) => {
                let dup = planned.iter().find(|o: &&Planned| {
                    o.info.key == p.info.key && o.namespace == p.namespace && o.name == p.name
                });
                match dup {
                    Some(o) => failed.push(Unplanned {
                        doc: i,
                        what: describe(d),
                        error: format!("document {} creates the same object", o.doc + 1),
                    }),
                    None => planned.push(p),
                }
            }
            Err(error) => failed.push(Unplanned {
                doc: i,
                what: describe(d),
                error,
            }),
        }
    }
    planned.sort_by_key(|p| (rank(&p.info.kind, p.info.namespaced), p.doc));
    (planned, failed)
}

/// "Deployment web", as far as the document says.
pub fn describe(d: &Value) -> String {
    let kind = text(d, "/kind").unwrap_or("(no kind)");
    let name = text(d, "/metadata/name").unwrap_or("(no name)");
    crate::text::clean(&format!("{kind} {name}"))
}

fn plan_one(
    i: usize,
    d: &Value,
    served: &[ResourceInfo],
    extra: &[ResourceInfo],
    from_import: &[ResourceInfo],
    created_ns: &[&str],
    default_ns: &str,
) -> Result<Planned, String> {
    let api_version = text(d, "/apiVersion").ok_or("apiVersion is missing")?;
    let kind = text(d, "/kind").ok_or("kind is missing")?;
    let name = match text(d, "/metadata/name") {
        Some(n) => n.to_string(),
        None if text(d, "/metadata/generateName").is_some() => {
            return Err("metadata.generateName is not supported: give metadata.name".into());
        }
        None => return Err("metadata.name is missing".into()),
    };
    let (group, version) = group_version(api_version);
    let info = resolve(group, kind, served, extra)
        .ok_or_else(|| format!("kind {kind} ({api_version}) is not served here"))?
        .clone();
    let mut object = d.clone();
    let namespace = if info.namespaced {
        let ns = text(d, "/metadata/namespace")
            .unwrap_or(default_ns)
            .to_string();
        if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("namespace".into(), Value::String(ns.clone()));
        }
        ns
    } else {
        if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("namespace");
        }
        String::new()
    };
    let served_here = served
        .iter()
        .any(|r| r.key.group == group && r.kind == kind);
    let check = if !served_here && from_import.iter().any(|r| r.key == info.key) {
        Check::WhenApplied(format!(
            "its CustomResourceDefinition {} is created by this import",
            info.key
        ))
    } else if !namespace.is_empty() && created_ns.contains(&namespace.as_str()) {
        Check::StandIn
    } else {
        Check::AsIs
    };
    Ok(Planned {
        doc: i,
        object,
        info,
        version: version.to_string(),
        namespace,
        name,
        check,
    })
}

/// The object as it is dry-run in the stand-in namespace.
pub fn in_stand_in(object: &Value) -> Value {
    let mut o = object.clone();
    if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("namespace".into(), Value::String(STAND_IN.into()));
    }
    o
}

/// Whether a stand-in dry run's refusal is about the stand-in namespace rather than the
/// object (a name taken there, a quota or policy of its own): such a document is checked
/// again when it is created, in its own namespace.
pub fn about_stand_in(error: &str) -> bool {
    ["already exists", "forbidden", "exceeded quota"]
        .iter()
        .any(|m| error.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn served() -> Vec<ResourceInfo> {
        let mut r = crate::kinds::resource::builtin();
        r.retain(|r| r.kind != "Namespace");
        r
    }

    #[test]
    fn documents_split_lists_and_skip_empties() {
        let docs = documents(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n",
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1]["kind"], "Secret");
        assert!(documents("a: [\n").unwrap_err().contains("line"));
        assert!(
            documents("- 1\n- 2\n")
                .unwrap_err()
                .contains("not an object")
        );
        assert!(documents("").is_err());
    }

    #[test]
    fn plan_orders_namespaces_first_and_stands_in_for_new_namespaces() {
        let docs = documents(
            r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: team}
spec: {}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
---
apiVersion: v1
kind: Namespace
metadata: {name: team, namespace: ignored}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions: [{name: v1}]
---
apiVersion: example.com/v1
kind: Gadget
metadata: {name: g}
"#,
        )
        .unwrap();
        let (planned, failed) = plan(&docs, &served(), "shop");
        let order: Vec<(&str, &str)> = planned
            .iter()
            .map(|p| (p.info.kind.as_str(), p.name.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("Namespace", "team"),
                ("CustomResourceDefinition", "widgets.example.com"),
                ("ConfigMap", "cfg"),
                ("Deployment", "web"),
                ("Widget", "w1"),
            ]
        );
        assert_eq!(planned[0].namespace, "");
        assert!(planned[0].object["metadata"].get("namespace").is_none());
        assert_eq!(planned[2].namespace, "shop");
        assert_eq!(planned[2].object["metadata"]["namespace"], "shop");
        assert_eq!(planned[2].check, Check::AsIs);
        assert_eq!(planned[3].check, Check::StandIn);
        assert_eq!(planned[3].version, "v1");
        assert_eq!(planned[3].info.key, ResKey::new("apps", "deployments"));
        assert!(matches!(planned[4].check, Check::WhenApplied(_)));
        assert_eq!(planned[4].info.key, ResKey::new("example.com", "widgets"));
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].what, "Gadget g");
        assert!(failed[0].error.contains("not served"), "{:?}", failed[0]);
        assert_eq!(
            in_stand_in(&planned[3].object)["metadata"]["namespace"],
            STAND_IN
        );
    }

    #[test]
    fn documents_without_names_or_twice_the_same_are_refused() {
        let docs = vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "x-"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "default"}}),
            json!({"kind": "ConfigMap", "metadata": {"name": "b"}}),
        ];
        let (planned, failed) = plan(&docs, &served(), "default");
        assert_eq!(planned.len(), 1);
        let errors: Vec<&str> = failed.iter().map(|f| f.error.as_str()).collect();
        assert!(errors[0].contains("generateName"));
        assert!(errors[1].contains("document 2"));
        assert!(errors[2].contains("apiVersion"));
        assert!(about_stand_in("configmaps \"a\" already exists"));
        assert!(!about_stand_in(
            "Deployment.apps \"web\" is invalid: spec.selector: Required value"
        ));
    }
}
