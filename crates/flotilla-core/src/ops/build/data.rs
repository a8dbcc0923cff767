//! ConfigMaps and Secrets, built from key/value entries (typed or read from files), and the
//! server-side apply that changes one key of either (`:set-key`) without dropping the keys
//! flotilla set before.

use super::names::{data_key, dns_name};
use base64::Engine;
use serde_json::{Map, Value, json};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn check_entries(entries: &[(String, Vec<u8>)]) -> Result<(), String> {
    if entries.is_empty() {
        return Err("no keys given".into());
    }
    for (i, (k, _)) in entries.iter().enumerate() {
        data_key(k)?;
        if entries[..i].iter().any(|(o, _)| o == k) {
            return Err(format!("key {k:?} is given twice"));
        }
    }
    Ok(())
}

/// A ConfigMap: text values under `data`, anything not UTF-8 (a binary file) under `binaryData`.
pub fn config_map(ns: &str, name: &str, entries: &[(String, Vec<u8>)]) -> Result<Value, String> {
    dns_name("configmap", name)?;
    check_entries(entries)?;
    let (mut data, mut binary) = (Map::new(), Map::new());
    for (k, v) in entries {
        match std::str::from_utf8(v) {
            Ok(text) => data.insert(k.clone(), json!(text)),
            Err(_) => binary.insert(k.clone(), json!(b64(v))),
        };
    }
    let mut cm = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns},
    });
    if !data.is_empty() {
        cm["data"] = Value::Object(data);
    }
    if !binary.is_empty() {
        cm["binaryData"] = Value::Object(binary);
    }
    Ok(cm)
}

/// An Opaque Secret, values base64 under `data` (binary files as well as typed values).
pub fn secret(ns: &str, name: &str, entries: &[(String, Vec<u8>)]) -> Result<Value, String> {
    dns_name("secret", name)?;
    check_entries(entries)?;
    let data: Map<String, Value> = entries
        .iter()
        .map(|(k, v)| (k.clone(), json!(b64(v))))
        .collect();
    Ok(json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": name, "namespace": ns},
        "data": data,
    }))
}

/// `key=value` as typed; the value may be empty, the key may not.
pub fn literal(s: &str) -> Result<(String, Vec<u8>), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected KEY=VALUE"))?;
    data_key(k)?;
    Ok((k.to_string(), v.as_bytes().to_vec()))
}

/// The keys of `field` (`data`) that flotilla's server-side applies own on `current`, from
/// its managedFields.
pub fn applied_keys(current: &Value, field: &str) -> Vec<String> {
    let prefix = format!("f:{field}");
    current
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|m| {
            m.get("manager").and_then(Value::as_str) == Some("flotilla")
                && m.get("operation").and_then(Value::as_str) == Some("Apply")
                && m.get("subresource").is_none()
        })
        .filter_map(|m| m.pointer("/fieldsV1")?.get(&prefix)?.as_object())
        .flat_map(|keys| {
            keys.keys()
                .filter_map(|k| k.strip_prefix("f:"))
                .map(str::to_string)
        })
        .collect()
}

/// The server-side apply of one key of a ConfigMap or Secret as it is now (`current`): the
/// object's name and uid (the server refuses it if another object took its place), the new
/// value, and every other key flotilla's earlier applies own with its current value — an
/// apply leaves out what its manager owned before, and the server would drop those keys.
pub fn key_update(current: &Value, key: &str, value: &[u8]) -> Result<Value, String> {
    data_key(key)?;
    let kind = current.get("kind").and_then(Value::as_str).unwrap_or("");
    let secret = match kind {
        "Secret" => true,
        "ConfigMap" => false,
        other => return Err(format!("a {other} has no keys to set")),
    };
    let meta = |f: &str| {
        current
            .pointer(&format!("/metadata/{f}"))
            .and_then(Value::as_str)
    };
    let (Some(name), Some(uid)) = (meta("name"), meta("uid")) else {
        return Err("the object has no name or uid".into());
    };
    let mut data = Map::new();
    for k in applied_keys(current, "data") {
        if let Some(v) = current.get("data").and_then(|d| d.get(&k)) {
            data.insert(k, v.clone());
        }
    }
    let new = if secret {
        json!(b64(value))
    } else {
        let text = std::str::from_utf8(value).map_err(|_| "a ConfigMap value must be text")?;
        json!(text)
    };
    data.insert(key.to_string(), new);
    let mut obj = json!({
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {"name": name, "uid": uid},
        "data": data,
    });
    if let Some(ns) = meta("namespace") {
        obj["metadata"]["namespace"] = json!(ns);
    }
    Ok(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_maps_and_secrets_from_key_values() {
        let entries = vec![
            ("a".to_string(), b"1".to_vec()),
            ("bin".to_string(), vec![0xff, 0x00]),
        ];
        let cm = config_map("ns", "cfg", &entries).unwrap();
        assert_eq!(cm["data"]["a"], "1");
        assert_eq!(cm["binaryData"]["bin"], "/wA=");
        let s = secret("ns", "creds", &[("token".into(), b"s3cret".to_vec())]).unwrap();
        assert_eq!(s["data"]["token"], "czNjcmV0");
        assert_eq!(s["type"], "Opaque");
        assert!(config_map("ns", "cfg", &[]).is_err());
        let dup = vec![("a".to_string(), vec![]), ("a".to_string(), vec![])];
        assert!(secret("ns", "s", &dup).unwrap_err().contains("twice"));
        assert!(secret("ns", "s", &[("a/b".into(), vec![])]).is_err());
        assert_eq!(literal("k=v=w"), Ok(("k".into(), b"v=w".to_vec())));
        assert!(literal("novalue").is_err());
    }

    #[test]
    fn a_key_update_keeps_the_keys_flotilla_applied_before() {
        let current = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "namespace": "ns", "uid": "u1", "managedFields": [
                {"manager": "flotilla", "operation": "Apply", "fieldsV1": {"f:data": {"f:old": {}}}},
                {"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:data": {"f:theirs": {}}}},
            ]},
            "data": {"old": "b2xk", "theirs": "dGhlaXJz"},
        });
        let obj = key_update(&current, "new", b"value").unwrap();
        assert_eq!(
            obj,
            json!({"apiVersion": "v1", "kind": "Secret",
                   "metadata": {"name": "s", "namespace": "ns", "uid": "u1"},
                   "data": {"old": "b2xk", "new": "dmFsdWU="}})
        );
        let cm = json!({"kind": "ConfigMap", "metadata": {"name": "c", "uid": "u"}, "data": {}});
        assert_eq!(key_update(&cm, "k", b"v").unwrap()["data"]["k"], "v");
        assert!(key_update(&json!({"kind": "Pod"}), "k", b"v").is_err());
    }
}
