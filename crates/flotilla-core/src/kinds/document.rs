//! The full-object views: YAML (managedFields dropped, Secret values masked until revealed),
//! and the object as the editor shows it and saves it back. Describe is `kinds::describe`.

use crate::text::clean_lines;
use base64::Engine;
use serde_json::{Map, Value};

pub const MASK: &str = "••••••••";

/// Removes what nobody reads and, for Secrets not revealed, every value that could leak one.
pub fn prepare(obj: &Value, reveal: bool) -> Value {
    let mut obj = obj.clone();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    let is_secret = obj.get("kind").and_then(Value::as_str) == Some("Secret");
    if is_secret && !reveal {
        for field in ["data", "stringData"] {
            if let Some(map) = obj.get_mut(field).and_then(Value::as_object_mut) {
                for v in map.values_mut() {
                    *v = Value::String(MASK.into());
                }
            }
        }
        // kubectl apply stores the whole Secret, values included, in this annotation.
        if let Some(ann) = obj
            .pointer_mut("/metadata/annotations")
            .and_then(Value::as_object_mut)
            && let Some(v) = ann.get_mut("kubectl.kubernetes.io/last-applied-configuration")
        {
            *v = Value::String(MASK.into());
        }
    }
    obj
}

pub fn yaml_lines(obj: &Value, reveal: bool) -> Vec<String> {
    let obj = prepare(obj, reveal);
    match serde_saphyr::to_string(&obj) {
        Ok(s) => clean_lines(&s),
        Err(e) => vec![format!("# could not render YAML: {e}")],
    }
}

/// Metadata the editor hides: the server keeps it whatever an update says (managedFields, when
/// left out), or it is the server's alone to set.
const HIDDEN_META: &[&str] = &[
    "managedFields",
    "creationTimestamp",
    "generation",
    "selfLink",
];

/// Annotations a controller keeps per cluster: copied to another cluster they would only
/// conflict with it.
const PER_CLUSTER_ANNOTATIONS: &[&str] = &["deployment.kubernetes.io/revision"];

fn is_secret(obj: &Value) -> bool {
    obj.get("kind").and_then(Value::as_str) == Some("Secret")
}

fn meta_mut(obj: &mut Value) -> Option<&mut Map<String, Value>> {
    obj.get_mut("metadata").and_then(Value::as_object_mut)
}

/// The object as it is edited: status and metadata noise hidden (resourceVersion stays: it is
/// what makes the server refuse an edit of an object that changed meanwhile), a Secret's
/// values decoded into `stringData`. Values that are not UTF-8 stay base64 in `data`; their
/// keys are returned.
pub fn edit_view(obj: &Value) -> (Value, Vec<String>) {
    let mut obj = obj.clone();
    if let Some(map) = obj.as_object_mut() {
        map.remove("status");
    }
    if let Some(meta) = meta_mut(&mut obj) {
        for k in HIDDEN_META {
            meta.remove(*k);
        }
    }
    let mut binary = Vec::new();
    if !is_secret(&obj) {
        return (obj, binary);
    }
    let Some(map) = obj.as_object_mut() else {
        return (obj, binary);
    };
    let data = map
        .remove("data")
        .and_then(|d| d.as_object().cloned())
        .unwrap_or_default();
    let mut kept = Map::new();
    let mut decoded = Map::new();
    for (k, v) in data {
        let text = v
            .as_str()
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
            .and_then(|b| String::from_utf8(b).ok());
        match text {
            Some(t) => {
                decoded.insert(k, Value::String(t));
            }
            None => {
                binary.push(k.clone());
                kept.insert(k, v);
            }
        }
    }
    if !kept.is_empty() {
        map.insert("data".into(), Value::Object(kept));
    }
    if !decoded.is_empty() {
        map.insert("stringData".into(), Value::Object(decoded));
    }
    (obj, binary)
}

/// The text the editor starts with: the edit view as YAML, after a header that says how a
/// Secret's values are shown.
pub fn edit_text(obj: &Value) -> Result<String, String> {
    let (view, binary) = edit_view(obj);
    let mut text = String::new();
    if is_secret(obj) {
        text.push_str(
            "# Secret values are shown decoded under stringData; they are saved base64-encoded.\n",
        );
        if !binary.is_empty() {
            text.push_str(&format!(
                "# Not UTF-8, so left base64-encoded under data: {}\n",
                binary.join(", ")
            ));
        }
    }
    text.push_str(&serde_saphyr::to_string(&view).map_err(|e| format!("cannot render YAML: {e}"))?);
    Ok(text)
}

/// A document that does not parse, and where (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

pub fn parse_yaml(text: &str) -> Result<Value, YamlError> {
    serde_saphyr::from_str::<Value>(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line() as usize, l.column() as usize))
            .unwrap_or((1, 1));
        // The error's text may quote the document over several lines: its first is the gist.
        let message = e.to_string();
        let mut message = message.lines().next().unwrap_or("").trim();
        // The position is ours to say: drop the one the text starts with.
        message = message.strip_prefix("error: ").unwrap_or(message);
        if message.starts_with("line ")
            && let Some((_, rest)) = message.split_once(": ")
        {
            message = rest;
        }
        YamlError {
            message: crate::text::clean(message),
            line: line.max(1),
            column: column.max(1),
        }
    })
}

/// The object an edited document asks for: a Secret's `stringData` encoded into `data` (so the
/// server's answer and a dry run's diff read the same way), and what the editor hid put back
/// from `original` (a resource without a status subresource would lose its status otherwise).
pub fn edited_object(mut doc: Value, original: &Value) -> Value {
    if is_secret(&doc)
        && let Some(map) = doc.as_object_mut()
        && let Some(Value::Object(strings)) = map.remove("stringData")
    {
        let data = map
            .entry("data")
            .or_insert_with(|| Value::Object(Map::new()));
        if !data.is_object() {
            *data = Value::Object(Map::new());
        }
        if let Some(data) = data.as_object_mut() {
            for (k, v) in strings {
                let text = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                let encoded = base64::engine::general_purpose::STANDARD.encode(text);
                data.insert(k, Value::String(encoded));
            }
        }
    }
    if let (Some(status), Some(map)) = (original.get("status"), doc.as_object_mut())
        && !map.contains_key("status")
    {
        map.insert("status".into(), status.clone());
    }
    if let Some(created) = original.pointer("/metadata/creationTimestamp")
        && let Some(meta) = meta_mut(&mut doc)
        && !meta.contains_key("creationTimestamp")
    {
        meta.insert("creationTimestamp".into(), created.clone());
    }
    doc
}

/// What an edit can change, for diffs: the edit view without the version and identity, which
/// every write changes (or which differ from cluster to cluster).
pub fn diff_view(obj: &Value) -> Value {
    let (mut view, _) = edit_view(obj);
    if let Some(meta) = meta_mut(&mut view) {
        meta.remove("resourceVersion");
        meta.remove("uid");
    }
    view
}

/// The edited object as a server-side apply of it to the same object on another cluster: no
/// version or identity (those are per cluster), nothing the server or a controller keeps.
pub fn apply_body(obj: &Value) -> Value {
    let mut obj = obj.clone();
    if let Some(map) = obj.as_object_mut() {
        map.remove("status");
    }
    if let Some(meta) = meta_mut(&mut obj) {
        for k in HIDDEN_META.iter().chain(&["resourceVersion", "uid"]) {
            meta.remove(*k);
        }
        if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            for k in PER_CLUSTER_ANNOTATIONS {
                ann.remove(*k);
            }
        }
    }
    obj
}

/// Any value as YAML lines for drawing, nothing masked (for diffs of what the user edits
/// anyway).
pub fn plain_yaml_lines(obj: &Value) -> Vec<String> {
    match serde_saphyr::to_string(obj) {
        Ok(s) => clean_lines(&s),
        Err(e) => vec![format!("# could not render YAML: {e}")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secret() -> Value {
        json!({"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"shop",
            "managedFields":[{"manager":"kubectl"}],
            "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{\"password\":\"aHVudGVyMg==\"}}"}},
            "type":"Opaque","data":{"password":"aHVudGVyMg=="}})
    }

    #[test]
    fn secret_values_are_masked_until_revealed() {
        let masked = yaml_lines(&secret(), false).join("\n");
        assert!(!masked.contains("aHVudGVyMg=="), "{masked}");
        assert!(masked.contains(MASK));
        assert!(!masked.contains("managedFields"));
        let shown = yaml_lines(&secret(), true).join("\n");
        assert!(shown.contains("aHVudGVyMg=="));
    }

    #[test]
    fn secrets_are_edited_decoded_and_saved_encoded() {
        let mut s = secret();
        s["data"]["blob"] = json!("//79"); // 0xff 0xfe 0xfd: not UTF-8
        s["status"] = json!({});
        let text = edit_text(&s).expect("renders");
        assert!(text.contains("stringData:"), "{text}");
        assert!(text.contains("password: hunter2"), "{text}");
        assert!(text.contains("under data: blob"), "{text}");
        assert!(text.contains("blob: //79"), "{text}");
        assert!(!text.contains("managedFields") && !text.contains("password: aHVudGVyMg=="));
        let edited = text.replace("hunter2", "swordfish");
        let doc = parse_yaml(&edited).expect("parses");
        let obj = edited_object(doc, &s);
        assert_eq!(obj["data"]["password"], json!("c3dvcmRmaXNo"));
        assert_eq!(obj["data"]["blob"], json!("//79"));
        assert!(obj.get("stringData").is_none());
        // The same object read back shows no change but the password.
        let before = plain_yaml_lines(&diff_view(&s));
        let after = plain_yaml_lines(&diff_view(&obj));
        let changed: Vec<_> = before.iter().filter(|l| !after.contains(l)).collect();
        assert_eq!(changed, vec!["  password: hunter2"], "{after:?}");
    }

    #[test]
    fn the_edit_view_keeps_the_version_and_round_trips() {
        let obj = json!({"apiVersion":"apps/v1","kind":"Deployment",
            "metadata":{"name":"web","namespace":"shop","resourceVersion":"123","uid":"u1",
                "generation":4,"creationTimestamp":"2026-01-01T00:00:00Z","managedFields":[{}],
                "labels":{"on":"yes"}},
            "spec":{"replicas":2,"template":{"metadata":{"annotations":{"n":"0755","b":"true"}}}},
            "status":{"readyReplicas":1}});
        let text = edit_text(&obj).expect("renders");
        assert!(
            text.contains("resourceVersion: '123'") || text.contains("resourceVersion: \"123\""),
            "{text}"
        );
        assert!(
            !text.contains("status") && !text.contains("generation"),
            "{text}"
        );
        let back = edited_object(parse_yaml(&text).expect("parses"), &obj);
        let mut want = obj.clone();
        want["metadata"].as_object_mut().map(|m| {
            m.remove("generation");
            m.remove("managedFields")
        });
        assert_eq!(back, want);
        let body = apply_body(&back);
        assert!(body.pointer("/metadata/resourceVersion").is_none());
        assert!(body.pointer("/metadata/uid").is_none() && body.get("status").is_none());
    }

    #[test]
    fn parse_errors_say_where() {
        let e = parse_yaml("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(e.line >= 2, "{e:?}");
        let e = parse_yaml("a: 1\n  b: 2\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 4), "{e:?}");
        assert_eq!(
            e.to_string(),
            "line 2, column 4: mapping values are not allowed in this context"
        );
    }
}
