//! Helm's release records as Helm 3 and 4 store them: one Secret (type `helm.sh/release.v1`,
//! the default driver) or ConfigMap (`HELM_DRIVER=configmap`) per revision, named
//! `sh.helm.release.v1.<release>.v<revision>`, labelled owner/name/status/version, whose
//! `data.release` is base64(gzip(JSON)). A Secret's `data` is base64 on the wire too, so a
//! Secret's payload is decoded twice. Written by hand: no Rust crate reads Helm's storage.
//!
//! A record is remote input that can be a gzip bomb: what it inflates to and what its JSON
//! takes in memory once parsed are both capped, and the records of one read (a release's
//! history) share one memory budget, spent newest revision first. What does not fit reads
//! "record too large".

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::cell::Cell;
use std::io::{Read as _, Write};

/// Far above what Helm writes (a Secret holds at most 1 MiB, compressed): what one record may
/// inflate to, and what its release may take in memory once parsed.
const MAX_JSON: u64 = 64 << 20;
/// What the releases of one read (every record of a release) may take in memory together.
pub const BUDGET: u64 = 256 << 20;
/// JSON without padding takes at most this many bytes of text for each byte it parses into (a
/// `\uXXXX` escape): a record longer than that times what is left cannot fit.
const TEXT_PER_BYTE: u64 = 8;
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

/// Why a record's release is not shown.
#[derive(Clone, Debug, PartialEq)]
pub enum Unread {
    /// It inflates, or would take in memory, more than is left for it.
    TooLarge,
    /// It is not a release record Helm could have written (why).
    Invalid(String),
}

impl std::fmt::Display for Unread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unread::TooLarge => f.write_str("record too large"),
            Unread::Invalid(why) => f.write_str(why),
        }
    }
}

/// The release (Helm's JSON) a storage object holds.
pub fn decode(storage: &Value) -> Result<Value, String> {
    let driver = Driver::of(storage).ok_or("not a Secret or ConfigMap")?;
    decode_within(storage, driver, &Budget::new(MAX_JSON)).map_err(|e| match e {
        Unread::TooLarge => format!(
            "record too large: it inflates past {} MiB, or would take more memory than that",
            MAX_JSON >> 20
        ),
        Unread::Invalid(why) => why,
    })
}

/// What the records of one read may still take: memory for the releases kept, and bytes to
/// inflate (a refused bomb costs its inflating too).
struct Budget {
    memory: Cell<u64>,
    inflating: Cell<u64>,
}

impl Budget {
    /// Four times the memory may be inflated: a namespace of gzip bombs costs one thread
    /// seconds, not minutes.
    fn new(memory: u64) -> Budget {
        Budget {
            memory: Cell::new(memory),
            inflating: Cell::new(memory.saturating_mul(4)),
        }
    }
}

/// The release a record of `driver` holds, if it fits in what is left of `budget`; what it
/// takes is spent from it.
fn decode_within(storage: &Value, driver: Driver, budget: &Budget) -> Result<Value, Unread> {
    let invalid = Unread::Invalid;
    let data = storage
        .pointer("/data/release")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("no data.release".into()))?;
    let mut text = STANDARD
        .decode(data.trim())
        .map_err(|e| invalid(format!("data.release is not base64: {e}")))?;
    if driver == Driver::Secret {
        text = STANDARD
            .decode(text.trim_ascii())
            .map_err(|e| invalid(format!("the release is not base64: {e}")))?;
    }
    let memory = budget.memory.get().min(MAX_JSON);
    let cap = memory
        .saturating_mul(TEXT_PER_BYTE)
        .min(MAX_JSON)
        .min(budget.inflating.get());
    // Records written before Helm compressed them are plain JSON.
    let json = if text.starts_with(GZIP_MAGIC) {
        let mut out = Vec::new();
        let inflated = GzDecoder::new(text.as_slice())
            .take(cap + 1)
            .read_to_end(&mut out);
        let spent = budget.inflating.get().saturating_sub(out.len() as u64);
        budget.inflating.set(spent);
        inflated.map_err(|e| invalid(format!("the release does not inflate: {e}")))?;
        out
    } else {
        text
    };
    if json.len() as u64 > cap {
        return Err(Unread::TooLarge);
    }
    let meter = Meter {
        left: Cell::new(memory),
        over: Cell::new(false),
    };
    let mut de = serde_json::Deserializer::from_slice(&json);
    let release = Metered(&meter)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| match meter.over.get() {
            true => Unread::TooLarge,
            false => invalid(format!("the release is not JSON: {e}")),
        })?;
    if !release.is_object() {
        return Err(invalid("the release is not a JSON object".into()));
    }
    budget
        .memory
        .set(budget.memory.get() - (memory - meter.left.get()));
    Ok(release)
}

/// What a JSON value being built may still take in memory; `over` once it wanted more.
struct Meter {
    left: Cell<u64>,
    over: Cell<bool>,
}

impl Meter {
    fn charge<E: de::Error>(&self, bytes: usize) -> Result<(), E> {
        let bytes = bytes as u64;
        match self.left.get().checked_sub(bytes) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => {
                self.over.set(true);
                Err(E::custom("record too large"))
            }
        }
    }
}

/// A `serde_json::Value` built while its memory is counted, stopped as soon as the meter runs
/// out: a record of `[0,0,0,…]` would otherwise take 32 times its text in memory. Counted are
/// each value's slot, the bytes of strings and keys, and each object entry's own keep: what
/// the values hold, give or take the room growing arrays keep spare.
struct Metered<'m>(&'m Meter);

const SLOT: usize = std::mem::size_of::<Value>();
const ENTRY: usize = std::mem::size_of::<String>() + 16;

impl<'de> DeserializeSeed<'de> for Metered<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Metered<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.0.charge(SLOT)?;
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.0.charge(SLOT)?;
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.0.charge(SLOT)?;
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.0.charge(SLOT)?;
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.0.charge(SLOT + v.len())?;
        Ok(Value::String(v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.0.charge(SLOT)?;
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.0.charge::<A::Error>(SLOT)?;
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(Metered(self.0))? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.0.charge::<A::Error>(SLOT)?;
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            self.0.charge::<A::Error>(ENTRY + key.len())?;
            let v = map.next_value_seed(Metered(self.0))?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// One record as read: what its labels say, and its release or why that is not shown.
#[derive(Debug)]
pub struct Unpacked {
    /// The `version` label (else what the object's name says).
    pub revision: i64,
    /// The `status` label.
    pub status: String,
    /// Seconds since the epoch: the `modifiedAt` label, else the object's creation.
    pub updated: Option<i64>,
    pub release: Result<Value, Unread>,
}

impl Unpacked {
    /// The revision as `helm history` lists it; a record that is not read says why in its
    /// description, with what its labels tell.
    pub fn summary(&self) -> Summary {
        match &self.release {
            Ok(release) => Summary::of(release),
            Err(why) => Summary {
                revision: self.revision,
                status: crate::text::clean(&self.status),
                chart: String::new(),
                chart_version: String::new(),
                app_version: String::new(),
                description: crate::text::clean(&why.to_string()),
                updated: self.updated,
            },
        }
    }
}

/// The records `answer` holds — one storage object of `driver`, or a list of them as the
/// server answers a list — decoded newest revision first within [`BUDGET`]: once it is spent,
/// older records read as too large. CPU work on remote input: not for the UI thread.
pub fn read(answer: Value, driver: Driver) -> Vec<Unpacked> {
    read_within(answer, driver, &Budget::new(BUDGET))
}

fn read_within(answer: Value, driver: Driver, budget: &Budget) -> Vec<Unpacked> {
    let items = match answer {
        Value::Object(mut o) if o.contains_key("items") => match o.remove("items") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        one => vec![one],
    };
    let label = |item: &Value, k: &str| {
        item.pointer(&format!("/metadata/labels/{k}"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let revision = |item: &Value| {
        label(item, "version")
            .and_then(|v| v.parse().ok())
            .or_else(|| {
                let name = item.pointer("/metadata/name").and_then(Value::as_str)?;
                release_of(name).map(|(_, v)| v)
            })
            .unwrap_or(0)
    };
    let mut items: Vec<(i64, Value)> = items.into_iter().map(|i| (revision(&i), i)).collect();
    items.sort_by_key(|(revision, _)| std::cmp::Reverse(*revision));
    items
        .into_iter()
        .map(|(revision, item)| Unpacked {
            revision,
            status: label(&item, "status").unwrap_or_default(),
            updated: label(&item, "modifiedAt")
                .and_then(|t| t.parse().ok())
                .or_else(|| {
                    item.pointer("/metadata/creationTimestamp")
                        .and_then(Value::as_str)
                        .and_then(crate::human::parse_time)
                }),
            release: decode_within(&item, driver, budget),
        })
        .collect()
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

    fn gzipped(json: &str) -> Vec<u8> {
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(json.as_bytes()).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn a_record_that_parses_into_more_memory_than_allowed_is_too_large() {
        // Three million zeros: 6 MB of JSON, 96 MiB once parsed into values.
        let mut json = String::from(r#"{"name":"bomb","version":2,"config":{"pad":["#);
        json.push_str(&"0,".repeat(3_000_000));
        json.push_str("0]}}");
        let data = STANDARD.encode(STANDARD.encode(gzipped(&json)));
        let err = decode(&storage(Driver::Secret, data)).unwrap_err();
        assert!(err.starts_with("record too large"), "{err}");
        // As much of it in text is refused before it is parsed.
        let mut padded = String::from(r#"{"name":"bomb","version":2}"#);
        padded.push_str(&" ".repeat(65 << 20));
        let data = STANDARD.encode(gzipped(&padded));
        let err = decode(&storage(Driver::ConfigMap, data)).unwrap_err();
        assert!(err.starts_with("record too large"), "{err}");
    }

    #[test]
    fn a_read_spends_its_budget_on_the_newest_revisions_first() {
        let item = |revision: i64| {
            let mut r = release();
            r["version"] = json!(revision);
            r["config"] = json!({"pad": "x".repeat(300 << 10)});
            json!({
                "metadata": {"name": object_name("frontend", revision),
                             "labels": {"status": "superseded", "version": revision.to_string(),
                                        "modifiedAt": "1764583200"}},
                "data": {"release": encode(&r, Driver::Secret).unwrap()},
            })
        };
        let list = json!({"kind": "SecretList", "items": [item(2), item(4), item(1), item(3)]});
        let read = read_within(list, Driver::Secret, &Budget::new(1 << 20));
        let revisions: Vec<i64> = read.iter().map(|r| r.revision).collect();
        assert_eq!(revisions, [4, 3, 2, 1]);
        for r in &read[..3] {
            let release = r.release.as_ref().expect("fits");
            assert_eq!(release["version"], json!(r.revision));
        }
        assert_eq!(read[3].release, Err(Unread::TooLarge));
        let s = read[3].summary();
        assert_eq!(
            (s.revision, s.status.as_str(), s.description.as_str()),
            (1, "superseded", "record too large")
        );
        assert_eq!(s.updated, Some(1764583200));
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
