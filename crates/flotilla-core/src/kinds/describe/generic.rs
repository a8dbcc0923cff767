//! The describe of kinds without a describer of their own: the object walked field by field,
//! as kubectl's generic describer does for custom resources.

use crate::kinds::document::prepare;
use base64::Engine;
use serde_json::{Map, Value};

fn title_case(key: &str) -> String {
    // kubectl describe style: "restartPolicy" → "Restart Policy", "podIP" → "Pod IP".
    let mut out = String::new();
    let mut prev_upper = true;
    for c in key.chars() {
        if out.is_empty() {
            out.extend(c.to_uppercase());
            continue;
        }
        if c.is_uppercase() && !prev_upper {
            out.push(' ');
        }
        prev_upper = c.is_uppercase();
        out.push(c);
    }
    out
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some("<none>".into()),
        _ => None,
    }
}

fn walk(out: &mut Vec<String>, v: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(map) => {
            let width = map.keys().map(|k| title_case(k).len()).max().unwrap_or(0) + 2;
            for (k, v) in map {
                let key = format!("{}:", title_case(k));
                match scalar(v) {
                    Some(s) => {
                        let mut lines = s.lines();
                        out.push(format!("{pad}{key:width$}{}", lines.next().unwrap_or("")));
                        for l in lines {
                            out.push(format!("{pad}{:width$}{l}", ""));
                        }
                    }
                    None if is_empty(v) => out.push(format!("{pad}{key:width$}<none>")),
                    None => {
                        out.push(format!("{pad}{key}"));
                        walk(out, v, indent + 2);
                    }
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match scalar(item) {
                    Some(s) => out.push(format!("{pad}{s}")),
                    None => {
                        let mut sub = Vec::new();
                        walk(&mut sub, item, indent + 2);
                        if let Some(first) = sub.first_mut() {
                            first.replace_range(indent..indent + 2, "- ");
                        }
                        out.extend(sub);
                    }
                }
            }
        }
        other => out.push(format!("{pad}{}", scalar(other).unwrap_or_default())),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn map_lines(label: &str, m: Option<&Map<String, Value>>, width: usize) -> Vec<String> {
    let entries: Vec<String> = m
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", scalar(v).unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    if entries.is_empty() {
        return vec![format!("{:width$}<none>", format!("{label}:"))];
    }
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            if i == 0 {
                format!("{:width$}{e}", format!("{label}:"))
            } else {
                format!("{:width$}{e}", "")
            }
        })
        .collect()
}

/// The object's metadata, then every other field walked in order (spec, then status), with
/// field names in kubectl's title case. Secrets show their data's sizes, or values once
/// revealed.
pub fn describe(original: &Value, reveal: bool) -> Vec<String> {
    let obj = prepare(original, reveal);
    let meta = obj.get("metadata").cloned().unwrap_or(Value::Null);
    let w = 16;
    let mut out = vec![format!(
        "{:w$}{}",
        "Name:",
        meta.get("name").and_then(Value::as_str).unwrap_or("")
    )];
    if let Some(ns) = meta.get("namespace").and_then(Value::as_str) {
        out.push(format!("{:w$}{ns}", "Namespace:"));
    }
    out.extend(map_lines(
        "Labels",
        meta.get("labels").and_then(Value::as_object),
        w,
    ));
    let mut annotations = meta
        .get("annotations")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
    out.extend(map_lines("Annotations", Some(&annotations), w));
    if let Some(t) = meta.get("creationTimestamp").and_then(Value::as_str) {
        out.push(format!("{:w$}{t}", "Created:"));
    }
    if let Some(owners) = meta.get("ownerReferences").and_then(Value::as_array) {
        for o in owners {
            let kind = o.get("kind").and_then(Value::as_str).unwrap_or("");
            let name = o.get("name").and_then(Value::as_str).unwrap_or("");
            out.push(format!("{:w$}{kind}/{name}", "Controlled By:"));
        }
    }
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind == "Secret" {
        out.push(format!(
            "{:w$}{}",
            "Type:",
            obj.get("type").and_then(Value::as_str).unwrap_or("")
        ));
        out.push(String::new());
        out.push("Data".into());
        out.push("====".into());
        // Sizes come from the real values; the values themselves only when revealed.
        if let Some(data) = original.get("data").and_then(Value::as_object) {
            for (k, v) in data {
                let s = v.as_str().unwrap_or("");
                if reveal {
                    let decoded = base64::engine::general_purpose::STANDARD
                        .decode(s)
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok())
                        .unwrap_or_else(|| s.to_string());
                    out.push(format!("{k}:  {decoded}"));
                } else {
                    let len = base64::engine::general_purpose::STANDARD
                        .decode(s)
                        .map(|b| b.len())
                        .unwrap_or(0);
                    out.push(format!("{k}:  {len} bytes"));
                }
            }
        }
    } else {
        for (field, value) in obj.as_object().into_iter().flatten() {
            if matches!(field.as_str(), "apiVersion" | "kind" | "metadata") {
                continue;
            }
            match scalar(value) {
                Some(s) => out.push(format!("{:w$}{s}", format!("{}:", title_case(field)))),
                None => {
                    out.push(format!("{}:", title_case(field)));
                    walk(&mut out, value, 2);
                }
            }
        }
    }
    out.iter().map(|l| crate::text::clean(l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_values_are_sizes_until_revealed() {
        let secret = json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"shop",
            "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"password\":\"aHVudGVyMg==\"}}"}},
            "type":"Opaque","data":{"password":"aHVudGVyMg=="}});
        let d = describe(&secret, false).join("\n");
        assert!(
            d.contains("password:  7 bytes")
                && !d.contains("hunter2")
                && !d.contains("aHVudGVyMg=="),
            "{d}"
        );
        let d = describe(&secret, true).join("\n");
        assert!(d.contains("password:  hunter2"));
    }

    #[test]
    fn other_kinds_are_walked() {
        let obj = json!({"apiVersion":"demo/v1","kind":"Database",
            "metadata":{"name":"orders","namespace":"data","labels":{"app":"db"},"creationTimestamp":"2026-01-01T00:00:00Z"},
            "spec":{"engineVersion":"16","replicas":3,"members":[{"name":"a\u{1b}[31m"}]},
            "status":{"phase":"Ready"}});
        let text = describe(&obj, false).join("\n");
        assert!(text.contains("Name:           orders"), "{text}");
        assert!(text.contains("Labels:         app=db"));
        assert!(text.contains("  Engine Version:"), "{text}");
        assert!(text.contains("- Name:"), "{text}");
        assert!(text.find("Spec:") < text.find("Status:"));
        assert!(!text.contains('\u{1b}'));
    }
}
