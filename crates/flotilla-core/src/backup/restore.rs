//! Restoring an archive into a cluster, the pure half: the plan's types, namespace mapping,
//! selection and merge patches. The client layer's `backup::restore` makes the plan against the
//! live cluster and applies it.
//!
//! Restoring is first a plan that says, for every object, what
//! would happen (create, unchanged, update with its diff, skip, conflict, refused), each
//! checked by a server-side dry run against the target — or, in read-only mode, which sends
//! no write of any kind, from reads alone; then, once confirmed, the changes in dependency
//! order, every one audited before it is reported.
//!
//! Existing objects are left alone unless the user asked for `update`: then each gets a
//! merge patch from its cleaned live self to the archive's version (as Velero's `update`
//! policy does). The diff in the plan is the server's own answer to that patch sent as a dry
//! run. It is sent for real only while the object is still as the plan saw it (cleaned:
//! status moving on does not count), guarded by the resourceVersion read just before.

use super::Entry;
use crate::kinds::document::prepare;
use crate::kinds::selector::LabelReq;
use crate::ops::yaml_of;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The field manager restored objects are applied as.
pub const MANAGER: &str = "flotilla-restore";

/// What to do with an object the target already has, when it differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Existing {
    /// Leave it as it is (Velero's default).
    #[default]
    Skip,
    /// Apply the archive's version over it.
    Update,
}

/// How a plan checks what it says, as kubectl's `--dry-run=server` and `--dry-run=client`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DryRun {
    /// Every create and update is sent as a server-side dry run (`dryRun=All`): the server's
    /// validation, admission and defaults decide.
    #[default]
    Server,
    /// Reads only (read-only mode sends no write, dry runs included): the live objects are
    /// compared with the archive's here; what only the server could refuse is not known.
    Client,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    /// Source namespace → target namespace.
    pub namespace_map: BTreeMap<String, String>,
    pub selector: Vec<LabelReq>,
    pub existing: Existing,
    pub dry_run: DryRun,
}

/// What a restore would do to one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Create,
    Unchanged,
    Update,
    /// It differs and stays as it is (why).
    Skip(String),
    /// It exists in a way a restore must not write over (why).
    Conflict(String),
    /// The server would not take it (its answer).
    Refused(String),
}

impl Action {
    pub fn word(&self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Unchanged => "unchanged",
            Action::Update => "update",
            Action::Skip(_) => "skip",
            Action::Conflict(_) => "conflict",
            Action::Refused(_) => "refused",
        }
    }

    pub fn changes(&self) -> bool {
        matches!(self, Action::Create | Action::Update)
    }

    pub fn why(&self) -> Option<&str> {
        match self {
            Action::Skip(w) | Action::Conflict(w) | Action::Refused(w) => Some(w),
            _ => None,
        }
    }
}

/// One object of the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// `deployments.apps shop-copy/web`, in the target's namespace.
    pub title: String,
    pub group: String,
    pub version: String,
    pub plural: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// What is sent: the archive's object with namespaces mapped.
    pub object: Value,
    pub action: Action,
    /// Changed lines from the object as it is to what it would be (Secret values masked).
    pub diff: Vec<String>,
    pub live_rv: Option<String>,
    /// The object as the plan saw it, cleaned: an update is sent only while it still is.
    pub seen: Option<Value>,
    /// Said beside the action: why there was no dry run, for one.
    pub note: Option<String>,
}

impl Step {
    pub fn collection(&self) -> String {
        let prefix = crate::model::resource::api_prefix(&self.group, &self.version);
        if self.namespace.is_empty() {
            format!("{prefix}/{}", self.plural)
        } else {
            format!("{prefix}/namespaces/{}/{}", self.namespace, self.plural)
        }
    }

    pub fn path(&self) -> String {
        format!("{}/{}", self.collection(), self.name)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub context: String,
    pub steps: Vec<Step>,
    pub dry_run: DryRun,
}

impl Plan {
    /// How many objects get each action, in the plan's words, for a summary line.
    pub fn summary(&self) -> String {
        let mut n: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &self.steps {
            *n.entry(s.action.word()).or_default() += 1;
        }
        let order = [
            "create",
            "update",
            "unchanged",
            "skip",
            "conflict",
            "refused",
        ];
        let parts: Vec<String> = order
            .iter()
            .filter_map(|w| n.get(w).map(|c| format!("{c} {w}")))
            .collect();
        let said = if parts.is_empty() {
            "nothing to restore".into()
        } else {
            parts.join(", ")
        };
        match self.dry_run {
            DryRun::Server => said,
            DryRun::Client => format!("{said} (read-only: compared here, no dry run)"),
        }
    }

    pub fn changes(&self) -> usize {
        self.steps.iter().filter(|s| s.action.changes()).count()
    }
}

/// `shop=shop-copy,data=data-copy`.
pub fn parse_namespace_map(s: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (from, to) = pair
            .split_once('=')
            .map(|(a, b)| (a.trim(), b.trim()))
            .filter(|(a, b)| !a.is_empty() && !b.is_empty())
            .ok_or_else(|| format!("--namespace-map: {pair:?} is not FROM=TO"))?;
        if !dns_label(to) {
            return Err(format!(
                "--namespace-map: {to:?} is not a namespace name (lowercase letters, digits and '-', at most 63)"
            ));
        }
        if out.insert(from.to_string(), to.to_string()).is_some() {
            return Err(format!("--namespace-map: {from} is mapped twice"));
        }
    }
    Ok(out)
}

fn dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

pub fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The object as it goes to the target: its namespace, a Namespace's name, and the
/// namespaces of ServiceAccounts a RoleBinding grants to, mapped.
pub fn mapped(obj: &Value, map: &BTreeMap<String, String>) -> Value {
    let mut o = obj.clone();
    let to = |ns: &str| map.get(ns).cloned();
    if let Some(new) = to(text(&o, "/metadata/namespace")) {
        o["metadata"]["namespace"] = Value::String(new);
    }
    let kind = text(&o, "/kind").to_string();
    if kind == "Namespace"
        && let Some(new) = to(text(&o, "/metadata/name"))
    {
        o["metadata"]["name"] = Value::String(new);
    }
    if kind == "RoleBinding"
        && let Some(subjects) = o.get_mut("subjects").and_then(Value::as_array_mut)
    {
        for s in subjects {
            if text(s, "/kind") == "ServiceAccount"
                && let Some(new) = to(text(s, "/namespace"))
            {
                s["namespace"] = Value::String(new);
            }
        }
    }
    o
}

/// The archive's objects the options select: those the selector matches, with the
/// namespaces and CRDs they need.
pub fn selected(objects: Vec<(Entry, Value)>, opts: &Options) -> Vec<(Entry, Value)> {
    if opts.selector.is_empty() {
        return objects;
    }
    let structural = |e: &Entry| e.kind == "Namespace" || e.kind == "CustomResourceDefinition";
    let keep: Vec<bool> = objects
        .iter()
        .map(|(e, v)| !structural(e) && opts.selector.iter().all(|q| q.matches_object(v)))
        .collect();
    let namespaces: BTreeSet<&str> = objects
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|((e, _), _)| e.namespace.as_str())
        .collect();
    let resources: BTreeSet<&str> = objects
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|((e, _), _)| e.resource.as_str())
        .collect();
    let needed: Vec<bool> = objects
        .iter()
        .zip(&keep)
        .map(|((e, _), k)| {
            *k || (e.kind == "Namespace" && namespaces.contains(e.name.as_str()))
                || (e.kind == "CustomResourceDefinition" && resources.contains(e.name.as_str()))
        })
        .collect();
    objects
        .into_iter()
        .zip(needed)
        .filter(|(_, n)| *n)
        .map(|(o, _)| o)
        .collect()
}

/// A live object's controller, when it has one.
pub fn controller(live: &Value) -> Option<String> {
    live.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .map(|r| format!("{} {}", text(r, "/kind"), text(r, "/name")))
}

pub fn masked_yaml(v: &Value) -> String {
    yaml_of(&prepare(v, false))
}

/// `target` with a JSON merge patch applied (RFC 7386), as the server applies one: a null
/// removes the field, an object is merged key by key, anything else replaces.
pub fn merge_patched(target: &Value, patch: &Value) -> Value {
    let Value::Object(fields) = patch else {
        return patch.clone();
    };
    let mut out = match target {
        Value::Object(t) => t.clone(),
        _ => serde_json::Map::new(),
    };
    for (k, v) in fields {
        if v.is_null() {
            out.remove(k);
        } else {
            let merged = merge_patched(out.get(k).unwrap_or(&Value::Null), v);
            out.insert(k.clone(), merged);
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn namespaces_are_mapped_where_objects_name_them() {
        let map = parse_namespace_map("shop=shop-copy, data=data-copy").unwrap();
        let rb = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "r", "namespace": "shop"},
            "subjects": [{"kind": "ServiceAccount", "name": "api", "namespace": "shop"},
                         {"kind": "ServiceAccount", "name": "x", "namespace": "other"},
                         {"kind": "Group", "name": "devs"}]});
        let m = mapped(&rb, &map);
        assert_eq!(m["metadata"]["namespace"], "shop-copy");
        assert_eq!(m["subjects"][0]["namespace"], "shop-copy");
        assert_eq!(m["subjects"][1]["namespace"], "other");
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "data"}});
        assert_eq!(mapped(&ns, &map)["metadata"]["name"], "data-copy");
        for bad in ["shop", "shop=", "shop=Shop", "a=b,a=c"] {
            assert!(parse_namespace_map(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_merge_patch_applied_here_removes_nulls_and_merges_objects() {
        let target = json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2]});
        let patch = json!({"a": null, "b": {"c": 5}, "e": [3], "f": {"g": null, "h": 1}});
        assert_eq!(
            merge_patched(&target, &patch),
            json!({"b": {"c": 5, "d": 3}, "e": [3], "f": {"h": 1}})
        );
    }

    /// Read-only mode's plan judges from the live object alone. The client here reaches
    /// nothing (nobody listens on the discard port), so any request would have turned the
    /// object into a conflict — as it does for the server-side plan at the end.
    #[test]
    fn a_selector_keeps_the_namespaces_and_crds_its_objects_need() {
        let e = |resource: &str, kind: &str, ns: &str, name: &str| Entry {
            resource: resource.into(),
            api_version: "v1".into(),
            kind: kind.into(),
            namespace: ns.into(),
            name: name.into(),
            path: None,
            sha256: None,
        };
        let labelled = |app: &str| json!({"metadata": {"labels": {"app": app}}});
        let objects = vec![
            (
                e(
                    "customresourcedefinitions.apiextensions.k8s.io",
                    "CustomResourceDefinition",
                    "",
                    "databases.demo",
                ),
                json!({}),
            ),
            (e("namespaces", "Namespace", "", "shop"), json!({})),
            (e("namespaces", "Namespace", "", "data"), json!({})),
            (e("configmaps", "ConfigMap", "shop", "web"), labelled("web")),
            (e("configmaps", "ConfigMap", "data", "pg"), labelled("pg")),
        ];
        let opts = Options {
            selector: crate::kinds::selector::parse_selector("app=web").unwrap(),
            ..Options::default()
        };
        let names: Vec<String> = selected(objects, &opts)
            .iter()
            .map(|(e, _)| e.title())
            .collect();
        assert_eq!(names, ["namespaces shop", "configmaps shop/web"]);
    }
}
