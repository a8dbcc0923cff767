//! Label selectors: the kubectl `-l` grammar (`app=web,tier!=db,env in (a,b),key,!key`), and
//! the pod selector of a workload or Service, which drill-downs follow.

use crate::model::Row;
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelReq {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

impl LabelReq {
    pub fn matches(&self, row: &Row) -> bool {
        self.matches_with(|k| row.label(k))
    }

    /// Against any source of labels (`label(key)` is the value of `key`, if set).
    pub fn matches_with<'a>(&self, label: impl Fn(&str) -> Option<&'a str>) -> bool {
        match self {
            LabelReq::Eq(k, v) => label(k) == Some(v.as_str()),
            LabelReq::NotEq(k, v) => label(k) != Some(v.as_str()),
            LabelReq::In(k, vs) => label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            LabelReq::NotIn(k, vs) => label(k).is_none_or(|l| !vs.iter().any(|v| v == l)),
            LabelReq::Exists(k) => label(k).is_some(),
            LabelReq::NotExists(k) => label(k).is_none(),
        }
    }

    /// Against an object's `metadata.labels`.
    pub fn matches_object(&self, obj: &Value) -> bool {
        let labels = obj.pointer("/metadata/labels").and_then(Value::as_object);
        self.matches_with(|k| labels.and_then(|l| l.get(k)).and_then(Value::as_str))
    }
}

/// Kinds whose pods are found through the `spec.selector` of the object (`selector_of`).
pub fn has_pod_selector(k: &crate::model::ResKey) -> bool {
    k.is("apps", "deployments")
        || k.is("apps", "replicasets")
        || k.is("apps", "statefulsets")
        || k.is("apps", "daemonsets")
        || k.is("batch", "jobs")
        || k.is("", "services")
        || k.is("", "replicationcontrollers")
}

/// Parses `app=web,tier!=db,env in (a,b),key,!key` (the kubectl `-l` grammar).
pub fn parse_selector(s: &str) -> Result<Vec<LabelReq>, String> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        // Split at the next comma that is not inside parentheses.
        let mut depth = 0;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                c == ',' && depth == 0
            })
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let term = rest[..end].trim();
        rest = rest[end..].trim_start_matches(',').trim();
        if term.is_empty() {
            continue;
        }
        let set = |t: &str| -> Result<Vec<String>, String> {
            let t = t.trim();
            let inner = t
                .strip_prefix('(')
                .and_then(|t| t.strip_suffix(')'))
                .ok_or_else(|| format!("expected (values) in {term:?}"))?;
            Ok(inner
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect())
        };
        let req = if let Some((k, v)) = term.split_once("!=") {
            LabelReq::NotEq(k.trim().into(), v.trim().into())
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            LabelReq::Eq(k.trim().into(), v.trim().into())
        } else if let Some((k, v)) = term.split_once(" notin ") {
            LabelReq::NotIn(k.trim().into(), set(v)?)
        } else if let Some((k, v)) = term.split_once(" in ") {
            LabelReq::In(k.trim().into(), set(v)?)
        } else if let Some(k) = term.strip_prefix('!') {
            LabelReq::NotExists(k.trim().into())
        } else if term
            .chars()
            .all(|c| c.is_alphanumeric() || "-_./".contains(c))
        {
            LabelReq::Exists(term.into())
        } else {
            return Err(format!("cannot parse label selector term {term:?}"));
        };
        out.push(req);
    }
    Ok(out)
}

/// The pod selector of a workload or Service, as label requirements.
pub fn selector_of(obj: &Value) -> Option<Vec<LabelReq>> {
    let spec = obj.get("spec")?;
    let sel = spec.get("selector")?;
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    if kind == "Service" || kind == "ReplicationController" {
        return Some(
            sel.as_object()?
                .iter()
                .map(|(k, v)| LabelReq::Eq(k.clone(), s(v)))
                .collect(),
        );
    }
    let mut reqs: Vec<LabelReq> = sel
        .get("matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| LabelReq::Eq(k.clone(), s(v)))
                .collect()
        })
        .unwrap_or_default();
    for e in sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = s(e.get("key").unwrap_or(&Value::Null));
        let values: Vec<String> = e
            .get("values")
            .and_then(Value::as_array)
            .map(|v| v.iter().map(s).collect())
            .unwrap_or_default();
        reqs.push(match e.get("operator").and_then(Value::as_str) {
            Some("In") => LabelReq::In(key, values),
            Some("NotIn") => LabelReq::NotIn(key, values),
            Some("Exists") => LabelReq::Exists(key),
            Some("DoesNotExist") => LabelReq::NotExists(key),
            _ => continue,
        });
    }
    Some(reqs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_of_workloads_and_services() {
        let d = json!({"kind":"Deployment","spec":{"selector":{"matchLabels":{"app":"web"},
            "matchExpressions":[{"key":"tier","operator":"In","values":["front"]}]}}});
        assert_eq!(
            selector_of(&d).unwrap(),
            vec![
                LabelReq::Eq("app".into(), "web".into()),
                LabelReq::In("tier".into(), vec!["front".into()])
            ]
        );
        let s = json!({"kind":"Service","spec":{"selector":{"app":"db"}}});
        assert_eq!(
            selector_of(&s).unwrap(),
            vec![LabelReq::Eq("app".into(), "db".into())]
        );
        assert!(selector_of(&json!({"kind":"ExternalName","spec":{}})).is_none());
    }
}
