//! Helm's release records as Helm 3 and 4 store them: one Secret (type `helm.sh/release.v1`,
//! the default driver) or ConfigMap (`HELM_DRIVER=configmap`) per revision, named
//! `sh.helm.release.v1.<release>.v<revision>`, labelled owner/name/status/version, whose
//! `data.release` is base64(gzip(JSON)). A Secret's `data` is base64 on the wire too, so a
//! Secret's payload is decoded twice. Written by hand: no Rust crate reads Helm's storage.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::Value;
use std::io::{Read, Write};

/// Helm's own cap on a record (a Secret holds at most 1 MiB); a payload that inflates past
/// this many bytes is refused rather than held in memory.
const MAX_JSON: u64 = 64 << 20;
const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b, 0x08];

/// Where a release's records live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Driver {
    Secret,
    ConfigMap,
}

impl Driver {
    pub fn plural(self) -> &'static str {
        match self {
            Driver::Secret => "secrets",
            Driver::ConfigMap => "configmaps",
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Driver::Secret => "Secret",
            Driver::ConfigMap => "ConfigMap",
        }
    }

    pub fn of(storage: &Value) -> Option<Driver> {
        match storage.get("kind").and_then(Value::as_str) {
            Some("Secret") => Some(Driver::Secret),
            Some("ConfigMap") => Some(Driver::ConfigMap),
            _ => None,
        }
    }
}

/// The name Helm gives the record of one revision.
pub fn object_name(release: &str, revision: i64) -> String {
    format!("sh.helm.release.v1.{release}.v{revision}")
}

/// The release and revision a record's object name says (the inverse of `object_name`).
pub fn release_of(object: &str) -> Option<(&str, i64)> {
    let rest = object.strip_prefix("sh.helm.release.v1.")?;
    let (name, v) = rest.rsplit_once(".v")?;
    Some((name, v.parse().ok()?))
}

/// The storage object holding `release` as Helm's drivers write it: named for its revision,
/// labelled with `labels`, a Secret typed `helm.sh/release.v1`. With `resource_version`, it
/// replaces the object read at that version (and is refused if it changed meanwhile).
pub fn storage_object(
    driver: Driver,
    release: &Value,
    labels: serde_json::Map<String, Value>,
    resource_version: Option<&str>,
) -> Result<Value, String> {
    let text = |k: &str| release.get(k).and_then(Value::as_str).unwrap_or_default();
    let version = release.get("version").and_then(Value::as_i64).unwrap_or(0);
    let mut meta = serde_json::json!({
        "name": object_name(text("name"), version),
        "namespace": text("namespace"),
        "labels": labels,
    });
    if let Some(rv) = resource_version {
        meta["resourceVersion"] = Value::String(rv.into());
    }
    let mut obj = serde_json::json!({
        "apiVersion": "v1",
        "kind": driver.kind(),
        "metadata": meta,
        "data": {"release": encode(release, driver)?},
    });
    if driver == Driver::Secret {
        obj["type"] = Value::String("helm.sh/release.v1".into());
    }
    Ok(obj)
}

/// The release (Helm's JSON) a storage object holds.
pub fn decode(storage: &Value) -> Result<Value, String> {
    let driver = Driver::of(storage).ok_or("not a Secret or ConfigMap")?;
    let data = storage
        .pointer("/data/release")
        .and_then(Value::as_str)
        .ok_or("no data.release")?;
    let mut text = STANDARD
        .decode(data.trim())
        .map_err(|e| format!("data.release is not base64: {e}"))?;
    if driver == Driver::Secret {
        text = STANDARD
            .decode(text.trim_ascii())
            .map_err(|e| format!("the release is not base64: {e}"))?;
    }
    // Records written before Helm compressed them are plain JSON.
    let json = if text.starts_with(GZIP_MAGIC) {
        let mut out = Vec::new();
        GzDecoder::new(text.as_slice())
            .take(MAX_JSON + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("the release does not inflate: {e}"))?;
        if out.len() as u64 > MAX_JSON {
            return Err(format!("the release inflates past {} MiB", MAX_JSON >> 20));
        }
        out
    } else {
        text
    };
    let release: Value =
        serde_json::from_slice(&json).map_err(|e| format!("the release is not JSON: {e}"))?;
    if !release.is_object() {
        return Err("the release is not a JSON object".into());
    }
    Ok(release)
}

/// `data.release` for a record holding `release`, as the driver stores it (the inverse of
/// `decode`).
pub fn encode(release: &Value, driver: Driver) -> Result<String, String> {
    let json = serde_json::to_vec(release).map_err(|e| e.to_string())?;
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(&json).map_err(|e| e.to_string())?;
    let packed = STANDARD.encode(gz.finish().map_err(|e| e.to_string())?);
    Ok(match driver {
        Driver::ConfigMap => packed,
        Driver::Secret => STANDARD.encode(packed),
    })
}

fn text<'a>(release: &'a Value, pointer: &str) -> &'a str {
    release
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// What a revision is, as `helm history` lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub revision: i64,
    pub status: String,
    pub chart: String,
    pub chart_version: String,
    pub app_version: String,
    pub description: String,
    /// Seconds since the epoch (`info.last_deployed`).
    pub updated: Option<i64>,
}

impl Summary {
    pub fn of(release: &Value) -> Summary {
        let clean = |p: &str| crate::text::clean(text(release, p));
        Summary {
            revision: release.get("version").and_then(Value::as_i64).unwrap_or(0),
            status: clean("/info/status"),
            chart: clean("/chart/metadata/name"),
            chart_version: clean("/chart/metadata/version"),
            app_version: clean("/chart/metadata/appVersion"),
            description: clean("/info/description"),
            updated: crate::human::parse_time(text(release, "/info/last_deployed")),
        }
    }

    /// `name-version`, as `helm list` shows the chart.
    pub fn chart_ref(&self) -> String {
        if self.chart.is_empty() {
            return String::new();
        }
        format!("{}-{}", self.chart, self.chart_version)
    }
}

/// The values the user supplied (`helm get values`).
pub fn user_values(release: &Value) -> Value {
    match release.get("config") {
        Some(v @ Value::Object(_)) => v.clone(),
        _ => Value::Object(Default::default()),
    }
}

/// The values the chart was rendered with (`helm get values --all`): the chart's defaults
/// with the user's values over them; a user's `null` removes a default, as Helm does.
/// Subcharts' and global values are not coalesced (Helm does; flotilla shows the release's
/// own chart).
pub fn computed_values(release: &Value) -> Value {
    let mut out = match release.pointer("/chart/values") {
        Some(v @ Value::Object(_)) => v.clone(),
        _ => Value::Object(Default::default()),
    };
    overlay(&mut out, &user_values(release));
    out
}

fn overlay(base: &mut Value, top: &Value) {
    let (Value::Object(b), Value::Object(t)) = (base, top) else {
        return;
    };
    for (k, v) in t {
        match (b.get_mut(k), v) {
            (_, Value::Null) => {
                b.remove(k);
            }
            (Some(existing @ Value::Object(_)), Value::Object(_)) => overlay(existing, v),
            _ => {
                b.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The rendered manifest (`helm get manifest`).
pub fn manifest(release: &Value) -> &str {
    text(release, "/manifest")
}

/// The chart's notes (`helm get notes`).
pub fn notes(release: &Value) -> &str {
    text(release, "/info/notes")
}

/// The hooks' manifests, each under its source (`helm get hooks`).
pub fn hooks(release: &Value) -> String {
    let mut out = String::new();
    for h in release
        .get("hooks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.push_str(&format!("---\n# Source: {}\n", text(h, "/path")));
        out.push_str(text(h, "/manifest"));
        out.push('\n');
    }
    out
}

/// Values as YAML, for reading and diffing.
pub fn yaml(values: &Value) -> String {
    match values {
        Value::Object(m) if m.is_empty() => String::new(),
        v => serde_saphyr::to_string(v).unwrap_or_else(|e| format!("# not shown: {e}\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn release() -> Value {
        json!({
            "name": "frontend", "namespace": "apps", "version": 3,
            "info": {"status": "deployed", "description": "Upgrade complete",
                     "last_deployed": "2026-12-01T10:00:00.123456789Z", "notes": "hello"},
            "chart": {"metadata": {"name": "frontend", "version": "1.4.1", "appVersion": "2.6.1"},
                      "values": {"replicaCount": 1, "image": {"repository": "nginx", "tag": "1.27"},
                                 "message": "hello"}},
            "config": {"replicaCount": 3, "image": {"tag": "1.28"}, "message": null},
            "manifest": "---\n# Source: frontend/templates/service.yaml\nkind: Service\n",
            "hooks": [{"name": "frontend-migrated", "path": "frontend/templates/hook.yaml",
                       "manifest": "kind: ConfigMap"}]
        })
    }

    fn storage(driver: Driver, data: String) -> Value {
        json!({"kind": driver.kind(), "data": {"release": data}})
    }

    #[test]
    fn round_trips_through_both_drivers() {
        for driver in [Driver::Secret, Driver::ConfigMap] {
            let data = encode(&release(), driver).unwrap();
            assert_eq!(decode(&storage(driver, data)).unwrap(), release());
        }
    }

    #[test]
    fn a_written_record_reads_back_and_is_named_for_its_revision() {
        for driver in [Driver::Secret, Driver::ConfigMap] {
            let obj = storage_object(driver, &release(), Default::default(), Some("7")).unwrap();
            assert_eq!(decode(&obj).unwrap(), release());
            let name = obj["metadata"]["name"].as_str().unwrap();
            assert_eq!(release_of(name), Some(("frontend", 3)));
            assert_eq!(obj["metadata"]["resourceVersion"], "7");
            assert_eq!(obj.get("type").is_some(), driver == Driver::Secret);
        }
        assert_eq!(
            release_of("sh.helm.release.v1.a.v2.v10"),
            Some(("a.v2", 10))
        );
        assert_eq!(release_of("web"), None);
    }

    #[test]
    fn reads_uncompressed_records_and_refuses_garbage() {
        let plain = STANDARD.encode(STANDARD.encode(release().to_string()));
        assert_eq!(decode(&storage(Driver::Secret, plain)).unwrap(), release());
        let err = decode(&storage(Driver::Secret, "not base64!".into())).unwrap_err();
        assert!(err.contains("not base64"), "{err}");
        let not_json = STANDARD.encode(STANDARD.encode("[1,2"));
        let err = decode(&storage(Driver::Secret, not_json)).unwrap_err();
        assert!(err.contains("not JSON"), "{err}");
        assert!(decode(&json!({"kind": "Pod"})).is_err());
    }

    #[test]
    fn summary_is_what_helm_history_lists() {
        let s = Summary::of(&release());
        assert_eq!(s.revision, 3);
        assert_eq!(s.status, "deployed");
        assert_eq!(s.chart_ref(), "frontend-1.4.1");
        assert_eq!(s.app_version, "2.6.1");
        assert_eq!(s.description, "Upgrade complete");
        assert_eq!(s.updated, crate::human::parse_time("2026-12-01T10:00:00Z"));
    }

    #[test]
    fn computed_values_put_the_users_over_the_charts() {
        assert_eq!(
            computed_values(&release()),
            json!({"replicaCount": 3, "image": {"repository": "nginx", "tag": "1.28"}})
        );
        assert_eq!(user_values(&release())["image"], json!({"tag": "1.28"}));
        assert!(hooks(&release()).starts_with("---\n# Source: frontend/templates/hook.yaml\n"));
    }
}
