//! What `:velero` reads and writes, as plain data: the rows of Backups, Restores, Schedules
//! and BackupStorageLocations from their list JSON, and the objects its actions create —
//! a Backup from the form or from a Schedule's template (as `velero backup create
//! --from-schedule` builds it), a Restore from a Backup. No I/O here, so all of it is tested.

use crate::human;
use crate::text::clean;
use serde_json::{Map, Value, json};

pub const GROUP: &str = "velero.io";
pub const VERSION: &str = "v1";
/// Where Velero lives when a cluster shows no object saying otherwise.
pub const DEFAULT_NAMESPACE: &str = "velero";
/// The label Velero puts on a Backup made from a Schedule.
pub const SCHEDULE_LABEL: &str = "velero.io/schedule-name";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Backup,
    Restore,
    Schedule,
    Bsl,
}

impl Kind {
    /// In the order the rows of a cluster are listed and fetched.
    pub const ALL: [Kind; 4] = [Kind::Backup, Kind::Restore, Kind::Schedule, Kind::Bsl];

    pub fn plural(self) -> &'static str {
        match self {
            Kind::Backup => "backups",
            Kind::Restore => "restores",
            Kind::Schedule => "schedules",
            Kind::Bsl => "backupstoragelocations",
        }
    }

    /// The API kind.
    pub fn kind(self) -> &'static str {
        match self {
            Kind::Backup => "Backup",
            Kind::Restore => "Restore",
            Kind::Schedule => "Schedule",
            Kind::Bsl => "BackupStorageLocation",
        }
    }

    /// As the KIND column shows it.
    pub fn short(self) -> &'static str {
        match self {
            Kind::Bsl => "BSL",
            k => k.kind(),
        }
    }

    /// Every object of this kind on a cluster, in any namespace (Velero may be installed in
    /// a namespace of its own choosing).
    pub fn list_path(self) -> String {
        format!("/apis/{GROUP}/{VERSION}/{}", self.plural())
    }
}

/// One object as a row shows it; every text is cleaned (it comes from the cluster).
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub phase: String,
    pub progress: String,
    pub errors: Option<i64>,
    pub warnings: Option<i64>,
    /// Seconds since the epoch.
    pub created: Option<i64>,
    pub expires: Option<i64>,
    /// The selected row's line under the table.
    pub detail: String,
    /// A Schedule as listed: backing it up now needs its template, labels, annotations.
    pub raw: Option<Value>,
    /// A BackupStorageLocation marked `spec.default`.
    pub default: bool,
    pub slot: &'static str,
}

fn text(v: &Value, ptr: &str) -> String {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .map(clean)
        .unwrap_or_default()
}

fn int(v: &Value, ptr: &str) -> Option<i64> {
    v.pointer(ptr).and_then(Value::as_i64)
}

fn time(v: &Value, ptr: &str) -> Option<i64> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .and_then(human::parse_time)
}

fn list(v: &Value, ptr: &str) -> String {
    v.pointer(ptr)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(clean)
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// "3/7", or empty when the object says nothing of its progress.
fn progress(v: &Value, done: &str) -> String {
    let done = int(v, &format!("/status/progress/{done}"));
    let total = int(v, "/status/progress/totalItems");
    match (done, total) {
        (None, None) => String::new(),
        (d, t) => format!(
            "{}/{}",
            d.unwrap_or(0),
            t.map_or("?".to_string(), |t| t.to_string())
        ),
    }
}

/// How a phase is drawn: failures red, partial failures and work under way yellow.
pub fn slot_of(phase: &str) -> &'static str {
    match phase {
        "Completed" | "Available" | "Enabled" => "row-ok",
        "Failed" | "FailedValidation" | "Unavailable" => "row-error",
        p if p.contains("PartiallyFailed") => "row-warn",
        "Paused" => "row-done",
        _ => "row-warn",
    }
}

fn ago(now: i64, at: Option<i64>) -> String {
    at.map(|t| format!("{} ago", human::age(now - t)))
        .unwrap_or_else(|| "never".into())
}

/// The parts of a detail line that have something to say, joined.
fn joined(parts: &[(&str, String)]) -> String {
    parts
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            if k.is_empty() {
                v.clone()
            } else {
                format!("{k} {v}")
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// What a Backup spec (or a Schedule's template) covers.
fn spec_parts(spec: &Value, base: &str) -> Vec<(&'static str, String)> {
    let namespaces = list(spec, &format!("{base}/includedNamespaces"));
    let excluded = list(spec, &format!("{base}/excludedNamespaces"));
    let snapshots = match spec.pointer(&format!("{base}/snapshotVolumes")) {
        Some(Value::Bool(true)) => "on".to_string(),
        Some(Value::Bool(false)) => "off".to_string(),
        _ => String::new(),
    };
    vec![
        (
            "namespaces",
            if namespaces.is_empty() {
                "*".to_string()
            } else {
                namespaces
            },
        ),
        ("excluding", excluded),
        ("location", text(spec, &format!("{base}/storageLocation"))),
        ("ttl", text(spec, &format!("{base}/ttl"))),
        ("snapshots", snapshots),
    ]
}

/// The row of one object of `kind`; `now` in seconds, for the Schedule's and BSL's "ago".
pub fn item(kind: Kind, v: &Value, now: i64) -> Item {
    let phase_of = |default: &str| {
        let p = text(v, "/status/phase");
        if p.is_empty() { default.to_string() } else { p }
    };
    let failure = text(v, "/status/failureReason");
    let invalid = v
        .pointer("/status/validationErrors")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(clean)
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    let mut raw = None;
    let (phase, slot, prog, detail) = match kind {
        Kind::Backup => {
            // A Backup no server has picked up yet has no status at all.
            let phase = phase_of("New");
            let mut parts = spec_parts(v, "/spec");
            parts.push((
                "schedule",
                v.pointer(&format!(
                    "/metadata/labels/{}",
                    SCHEDULE_LABEL.replace('/', "~1")
                ))
                .and_then(Value::as_str)
                .map(clean)
                .unwrap_or_default(),
            ));
            parts.push(("failure:", failure));
            parts.push(("invalid:", invalid));
            (
                phase.clone(),
                slot_of(&phase),
                progress(v, "itemsBackedUp"),
                joined(&parts),
            )
        }
        Kind::Restore => {
            let phase = phase_of("New");
            let mapping = v
                .pointer("/spec/namespaceMapping")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(a, b)| format!("{}→{}", clean(a), clean(b.as_str().unwrap_or(""))))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            let parts = [
                ("from backup", text(v, "/spec/backupName")),
                ("schedule", text(v, "/spec/scheduleName")),
                ("namespaces", list(v, "/spec/includedNamespaces")),
                ("mapping", mapping),
                ("existing", text(v, "/spec/existingResourcePolicy")),
                ("failure:", failure),
                ("invalid:", invalid),
            ];
            (
                phase.clone(),
                slot_of(&phase),
                progress(v, "itemsRestored"),
                joined(&parts),
            )
        }
        Kind::Schedule => {
            let paused = v.pointer("/spec/paused").and_then(Value::as_bool) == Some(true);
            let state = if paused {
                "Paused".to_string()
            } else {
                phase_of("New")
            };
            let last = ago(now, time(v, "/status/lastBackup"));
            let mut parts = vec![("cron", text(v, "/spec/schedule"))];
            parts.extend(spec_parts(v, "/spec/template"));
            parts.push(("invalid:", invalid));
            raw = Some(v.clone());
            (
                format!("{state} · last backup {last}"),
                slot_of(&state),
                String::new(),
                joined(&parts),
            )
        }
        Kind::Bsl => {
            let phase = phase_of("Unknown");
            let validated = ago(now, time(v, "/status/lastValidationTime"));
            let bucket = text(v, "/spec/objectStorage/bucket");
            let prefix = text(v, "/spec/objectStorage/prefix");
            let default = v.pointer("/spec/default").and_then(Value::as_bool) == Some(true);
            let parts = [
                ("provider", text(v, "/spec/provider")),
                (
                    "bucket",
                    if prefix.is_empty() {
                        bucket
                    } else {
                        format!("{bucket}/{prefix}")
                    },
                ),
                ("", text(v, "/spec/accessMode")),
                (
                    "",
                    if default {
                        "default".into()
                    } else {
                        String::new()
                    },
                ),
                ("", text(v, "/status/message")),
            ];
            (
                format!("{phase} · validated {validated}"),
                slot_of(&phase),
                String::new(),
                joined(&parts),
            )
        }
    };
    let (errors, warnings) = match kind {
        Kind::Backup | Kind::Restore => (int(v, "/status/errors"), int(v, "/status/warnings")),
        _ => (None, None),
    };
    Item {
        kind,
        namespace: text(v, "/metadata/namespace"),
        name: text(v, "/metadata/name"),
        uid: text(v, "/metadata/uid"),
        phase,
        progress: prog,
        errors,
        warnings,
        created: time(v, "/metadata/creationTimestamp"),
        expires: if kind == Kind::Backup {
            time(v, "/status/expiration")
        } else {
            None
        },
        detail,
        raw,
        default: kind == Kind::Bsl
            && v.pointer("/spec/default").and_then(Value::as_bool) == Some(true),
        slot,
    }
}

/// The rows of a list answer, newest first.
pub fn items(kind: Kind, list: &Value, now: i64) -> Vec<Item> {
    let mut out: Vec<Item> = list
        .get("items")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|v| item(kind, v, now)).collect())
        .unwrap_or_default();
    out.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.name.cmp(&b.name)));
    out
}

/// `YYYYMMDDhhmmss` in UTC, as Velero's names carry the time.
pub fn stamp(now: i64) -> String {
    jiff::Timestamp::from_second(now)
        .map(|t| t.strftime("%Y%m%d%H%M%S").to_string())
        .unwrap_or_else(|_| now.to_string())
}

/// `a=b,c=d` into `{a: b, c: d}`; an entry without `=` or with an empty side is an error.
pub fn parse_mapping(s: &str) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
                out.insert(a.trim().to_string(), Value::String(b.trim().to_string()));
            }
            _ => {
                return Err(format!(
                    "namespace mapping {part:?}: write old=new,old2=new2"
                ));
            }
        }
    }
    Ok(out)
}

/// Comma-separated names, empty ones dropped.
pub fn names(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect()
}

fn meta(namespace: &str, name: &str) -> Value {
    json!({"name": name, "namespace": namespace})
}

/// What the Backup form asks.
#[derive(Clone, Debug, PartialEq)]
pub struct BackupForm {
    pub name: String,
    pub namespaces: Vec<String>,
    pub ttl: String,
    pub location: String,
    /// `None`: the server's default (snapshot if a location is configured).
    pub snapshots: Option<bool>,
}

impl BackupForm {
    /// From the form's fields, in the order `mod.rs` opens them.
    pub fn parse(values: &[String]) -> Result<BackupForm, String> {
        let field = |i: usize| {
            values
                .get(i)
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let name = field(0);
        if name.is_empty() {
            return Err("a Backup needs a name".into());
        }
        let ttl = field(2);
        if !ttl.is_empty() && !valid_duration(&ttl) {
            return Err(format!("ttl {ttl:?}: a duration such as 720h0m0s or 72h"));
        }
        let snapshots = match field(4).to_lowercase().as_str() {
            "" => None,
            "yes" | "y" | "true" | "on" => Some(true),
            "no" | "n" | "false" | "off" => Some(false),
            other => return Err(format!("snapshot volumes {other:?}: yes, no or empty")),
        };
        Ok(BackupForm {
            name,
            namespaces: names(&field(1)),
            ttl,
            location: field(3),
            snapshots,
        })
    }

    pub fn object(&self, namespace: &str) -> Value {
        let mut spec = Map::new();
        if !self.namespaces.is_empty() {
            spec.insert("includedNamespaces".into(), json!(self.namespaces));
        }
        if !self.ttl.is_empty() {
            spec.insert("ttl".into(), json!(self.ttl));
        }
        if !self.location.is_empty() {
            spec.insert("storageLocation".into(), json!(self.location));
        }
        if let Some(s) = self.snapshots {
            spec.insert("snapshotVolumes".into(), json!(s));
        }
        json!({
            "apiVersion": format!("{GROUP}/{VERSION}"),
            "kind": "Backup",
            "metadata": meta(namespace, &self.name),
            "spec": spec,
        })
    }
}

/// A Go duration as Velero's ttl takes it: numbers with h, m, s (ms, us, ns) units.
fn valid_duration(s: &str) -> bool {
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ns", "us", "µs", "ms", "h", "m", "s"]
            .into_iter()
            .find(|u| rest.starts_with(u));
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

/// What the Restore form asks.
#[derive(Clone, Debug, PartialEq)]
pub struct RestoreForm {
    pub name: String,
    pub mapping: Map<String, Value>,
    pub existing: String,
}

impl RestoreForm {
    pub fn parse(values: &[String]) -> Result<RestoreForm, String> {
        let field = |i: usize| {
            values
                .get(i)
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let name = field(0);
        if name.is_empty() {
            return Err("a Restore needs a name".into());
        }
        let existing = field(2).to_lowercase();
        if !matches!(existing.as_str(), "" | "none" | "update") {
            return Err(format!(
                "existing resource policy {existing:?}: none or update"
            ));
        }
        Ok(RestoreForm {
            name,
            mapping: parse_mapping(&field(1))?,
            existing,
        })
    }

    pub fn object(&self, namespace: &str, backup: &str) -> Value {
        let mut spec = Map::new();
        spec.insert("backupName".into(), json!(backup));
        if !self.mapping.is_empty() {
            spec.insert(
                "namespaceMapping".into(),
                Value::Object(self.mapping.clone()),
            );
        }
        if !self.existing.is_empty() {
            spec.insert("existingResourcePolicy".into(), json!(self.existing));
        }
        json!({
            "apiVersion": format!("{GROUP}/{VERSION}"),
            "kind": "Restore",
            "metadata": meta(namespace, &self.name),
            "spec": spec,
        })
    }
}

/// The Backup `velero backup create --from-schedule` makes: named `<schedule>-<stamp>`, the
/// template as its spec, the template's labels (else the Schedule's) plus the schedule-name
/// label, the Schedule's annotations, and an owner reference when the Schedule asks for one.
pub fn backup_from_schedule(schedule: &Value, now: i64) -> Result<Value, String> {
    let name = schedule
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .ok_or("the Schedule has no name")?;
    let namespace = schedule
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_NAMESPACE);
    // The whole template, its `metadata` too: Velero copies `Spec.Template` as it is.
    let spec = schedule
        .pointer("/spec/template")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let template_labels = spec
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .cloned();
    let mut labels = template_labels
        .or_else(|| {
            schedule
                .pointer("/metadata/labels")
                .and_then(Value::as_object)
                .cloned()
        })
        .unwrap_or_default();
    labels.insert(SCHEDULE_LABEL.into(), json!(name));
    let mut metadata = json!({
        "name": format!("{name}-{}", stamp(now)),
        "namespace": namespace,
        "labels": labels,
    });
    if let Some(a) = schedule
        .pointer("/metadata/annotations")
        .filter(|a| a.is_object())
    {
        metadata["annotations"] = a.clone();
    }
    let owned = schedule
        .pointer("/spec/useOwnerReferencesInBackup")
        .and_then(Value::as_bool)
        == Some(true);
    if owned {
        let uid = schedule
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        metadata["ownerReferences"] = json!([{
            "apiVersion": format!("{GROUP}/{VERSION}"),
            "kind": "Schedule",
            "name": name,
            "uid": uid,
            "controller": true,
        }]);
    }
    Ok(json!({
        "apiVersion": format!("{GROUP}/{VERSION}"),
        "kind": "Backup",
        "metadata": metadata,
        "spec": spec,
    }))
}
