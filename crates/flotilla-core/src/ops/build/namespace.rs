//! A namespace with its ResourceQuota and LimitRange (`:create ns NAME --quota … --limits …`),
//! in the order they must be created.

use super::names::dns_label;
use super::quantity::quantity;
use serde_json::{Map, Value, json};

/// The names `:create ns` gives the quota and limit range it makes in the new namespace.
pub const QUOTA_NAME: &str = "quota";
pub const LIMITS_NAME: &str = "limits";

pub fn namespace(name: &str) -> Result<Value, String> {
    dns_label("namespace", name)?;
    Ok(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))
}

/// The quota's own resource names for the short ones people type: `storage` is what PVCs
/// request, which the API calls `requests.storage`.
fn quota_key(key: &str) -> &str {
    match key {
        "storage" => "requests.storage",
        k => k,
    }
}

pub fn resource_quota(ns: &str, hard: &[(String, String)]) -> Result<Value, String> {
    let mut map = Map::new();
    for (k, v) in hard {
        quantity(k, v)?;
        map.insert(quota_key(k).to_string(), json!(v));
    }
    Ok(json!({
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": QUOTA_NAME, "namespace": ns},
        "spec": {"hard": map},
    }))
}

/// Container defaults: `limits` become the default limits, `requests` the default requests
/// (the server takes the limits for requests not given).
pub fn limit_range(
    ns: &str,
    limits: &[(String, String)],
    requests: &[(String, String)],
) -> Result<Value, String> {
    let amounts = |pairs: &[(String, String)]| -> Result<Map<String, Value>, String> {
        let mut m = Map::new();
        for (k, v) in pairs {
            quantity(k, v)?;
            m.insert(k.clone(), json!(v));
        }
        Ok(m)
    };
    let mut item = json!({"type": "Container"});
    if !limits.is_empty() {
        item["default"] = Value::Object(amounts(limits)?);
    }
    if !requests.is_empty() {
        item["defaultRequest"] = Value::Object(amounts(requests)?);
    }
    Ok(json!({
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": LIMITS_NAME, "namespace": ns},
        "spec": {"limits": [item]},
    }))
}

/// A namespace with its optional quota and limit range, in the order they must be created.
pub fn project(
    name: &str,
    quota: &[(String, String)],
    limits: &[(String, String)],
    requests: &[(String, String)],
) -> Result<Vec<Value>, String> {
    let mut out = vec![namespace(name)?];
    if !quota.is_empty() {
        out.push(resource_quota(name, quota)?);
    }
    if !limits.is_empty() || !requests.is_empty() {
        out.push(limit_range(name, limits, requests)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::build::pairs;

    #[test]
    fn a_project_is_a_namespace_then_its_quota_and_limits() {
        let objs = project(
            "team-a",
            &pairs(&[("cpu", "4"), ("storage", "100Gi")]),
            &pairs(&[("cpu", "500m"), ("memory", "512Mi")]),
            &[],
        )
        .unwrap();
        let kinds: Vec<&str> = objs.iter().map(|o| o["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["Namespace", "ResourceQuota", "LimitRange"]);
        assert_eq!(objs[1]["metadata"]["namespace"], "team-a");
        assert_eq!(objs[1]["spec"]["hard"]["cpu"], "4");
        assert_eq!(objs[1]["spec"]["hard"]["requests.storage"], "100Gi");
        assert_eq!(objs[2]["spec"]["limits"][0]["default"]["memory"], "512Mi");
        assert!(objs[2]["spec"]["limits"][0].get("defaultRequest").is_none());
        assert_eq!(project("plain", &[], &[], &[]).unwrap().len(), 1);
        assert!(project("Bad_Name", &[], &[], &[]).is_err());
    }
}
