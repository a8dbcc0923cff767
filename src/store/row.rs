//! The slim row a list view needs, built from one row of the apiserver's Table rendering
//! (the same printers `kubectl get -o wide` uses) plus a little object metadata. Rows are
//! computed when an object changes, never when a frame draws.

use crate::kinds::health::{self, RowHealth};
use crate::kinds::resource::ResKey;
use crate::text::clean;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    Number,
    /// Shown as a live age from the object's creation time, not the server's stale string.
    Age,
    /// Events' LAST SEEN: the server's string turned into a time once, then shown live.
    LastSeen,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
    /// 0 = `kubectl get` column; >0 = `-o wide` only (dropped first when space is short).
    pub priority: i32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub uid: String,
    pub name: String,
    pub namespace: String,
    pub cells: Vec<String>,
    /// Seconds since the epoch.
    pub created: Option<i64>,
    /// When an event was last seen (seconds since the epoch), from its LAST SEEN cell.
    pub last_seen: Option<i64>,
    pub labels: Vec<(String, String)>,
    pub owners: Vec<String>,
    pub health: RowHealth,
    /// Lowercase text the filter searches, precomputed so a keystroke allocates nothing per row.
    pub search: String,
}

impl Row {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct WireTable {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: WireListMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub column_definitions: Vec<WireColumn>,
    #[serde(default, deserialize_with = "nullable")]
    pub rows: Vec<WireRow>,
    // Present when the object is a Status (watch ERROR events).
    #[serde(default)]
    pub code: u16,
    #[serde(default)]
    pub message: String,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
pub struct WireListMeta {
    #[serde(default)]
    pub resource_version: String,
    #[serde(default, rename = "continue")]
    pub continue_token: String,
}

#[derive(Deserialize, Debug)]
pub struct WireColumn {
    pub name: String,
    #[serde(default, rename = "type")]
    pub ty: String,
    #[serde(default)]
    pub priority: i32,
}

#[derive(Deserialize, Debug)]
pub struct WireRow {
    #[serde(default, deserialize_with = "nullable")]
    pub cells: Vec<serde_json::Value>,
    #[serde(default)]
    pub object: Option<WireRowObject>,
}

#[derive(Deserialize, Debug, Default)]
pub struct WireRowObject {
    #[serde(default)]
    pub metadata: WireObjectMeta,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct WireObjectMeta {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub uid: String,
    #[serde(default)]
    pub resource_version: String,
    #[serde(default)]
    pub creation_timestamp: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "nullable")]
    pub owner_references: Vec<WireOwner>,
}

#[derive(Deserialize, Debug, Default)]
pub struct WireOwner {
    #[serde(default)]
    pub uid: String,
}

/// The apiserver writes `null` for empty lists (watch events after the first carry
/// `"columnDefinitions": null`); treat it as empty.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

pub fn columns(defs: &[WireColumn]) -> Vec<Column> {
    defs.iter()
        .map(|d| Column {
            name: clean(&d.name),
            kind: if d.name.eq_ignore_ascii_case("age") {
                ColumnKind::Age
            } else if d.name.eq_ignore_ascii_case("last seen") {
                ColumnKind::LastSeen
            } else if d.ty == "integer" || d.ty == "number" {
                ColumnKind::Number
            } else {
                ColumnKind::Text
            },
            priority: d.priority,
        })
        .collect()
}

fn cell_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => clean(s),
        serde_json::Value::Null => "<none>".to_string(),
        other => clean(&other.to_string()),
    }
}

/// kubectl's human durations back into seconds: "45s", "3m12s", "5h", "2y45d".
pub fn parse_duration(s: &str) -> Option<i64> {
    let (mut total, mut num, mut any) = (0i64, 0i64, false);
    let mut digits = false;
    for c in s.trim().chars() {
        if let Some(d) = c.to_digit(10) {
            num = num.checked_mul(10)?.checked_add(i64::from(d))?;
            digits = true;
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            'y' => 365 * 86400,
            _ => return None,
        };
        if !digits {
            return None;
        }
        total = total.checked_add(num.checked_mul(unit)?)?;
        (num, digits, any) = (0, false, true);
    }
    (any && !digits).then_some(total)
}

pub fn parse_time(s: &str) -> Option<i64> {
    s.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// Builds a row; `None` when the server sent no object metadata (nothing to key it by).
pub fn build(res: &ResKey, columns: &[Column], wire: WireRow) -> Option<Row> {
    let meta = wire.object?.metadata;
    if meta.uid.is_empty() && meta.name.is_empty() {
        return None;
    }
    let cells: Vec<String> = wire.cells.iter().map(cell_text).collect();
    let deleting = cells.iter().any(|c| c == "Terminating");
    let last_seen = columns
        .iter()
        .position(|c| c.kind == ColumnKind::LastSeen)
        .and_then(|i| cells.get(i))
        .and_then(|c| parse_duration(c))
        .map(|ago| jiff::Timestamp::now().as_second() - ago);
    let health = health::row_health(res, columns, &cells, deleting);
    let namespace = clean(&meta.namespace);
    let mut search = namespace.to_lowercase();
    for c in &cells {
        search.push(' ');
        search.push_str(&c.to_lowercase());
    }
    Some(Row {
        uid: if meta.uid.is_empty() {
            format!("{}/{}", meta.namespace, meta.name)
        } else {
            meta.uid
        },
        name: clean(&meta.name),
        namespace,
        cells,
        created: meta.creation_timestamp.as_deref().and_then(parse_time),
        last_seen,
        labels: meta
            .labels
            .into_iter()
            .map(|(k, v)| (clean(&k), clean(&v)))
            .collect(),
        owners: meta.owner_references.into_iter().map(|o| o.uid).collect(),
        health,
        search,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_pod_row_from_a_table_row() {
        let table: WireTable = serde_json::from_str(
            r#"{"kind":"Table","metadata":{"resourceVersion":"7"},
            "columnDefinitions":[{"name":"Name","type":"string"},{"name":"Ready","type":"string"},
              {"name":"Status","type":"string"},{"name":"Restarts","type":"string"},
              {"name":"Age","type":"string"},{"name":"IP","type":"string","priority":1}],
            "rows":[{"cells":["web-1","0/1","CrashLoopBackOff","5 (3s ago)","2m","10.0.0.5"],
              "object":{"kind":"PartialObjectMetadata","metadata":{"name":"web-1","namespace":"shop",
              "uid":"u1","creationTimestamp":"2026-01-01T00:00:00Z","labels":{"app":"web"},
              "ownerReferences":[{"uid":"rs1","kind":"ReplicaSet","name":"web"}]}}}]}"#,
        )
        .unwrap();
        let cols = columns(&table.column_definitions);
        assert_eq!(cols[4].kind, ColumnKind::Age);
        assert_eq!(cols[5].priority, 1);
        let row = build(
            &ResKey::core("pods"),
            &cols,
            table.rows.into_iter().next().unwrap(),
        )
        .unwrap();
        assert_eq!(row.name, "web-1");
        assert_eq!(row.label("app"), Some("web"));
        assert_eq!(row.owners, vec!["rs1"]);
        assert_eq!(row.health, RowHealth::Error);
        assert_eq!(row.created, Some(1767225600));
        assert!(row.search.contains("crashloopbackoff"));
    }

    #[test]
    fn durations_parse_like_kubectl_prints_them() {
        assert_eq!(parse_duration("45s"), Some(45));
        assert_eq!(parse_duration("3m12s"), Some(192));
        assert_eq!(parse_duration("2y45d"), Some(2 * 365 * 86400 + 45 * 86400));
        assert_eq!(parse_duration("<unknown>"), None);
        assert_eq!(parse_duration("12"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn null_lists_in_watch_events_decode() {
        let t: WireTable = serde_json::from_str(
            r#"{"kind":"Table","metadata":{"resourceVersion":"9"},"columnDefinitions":null,
            "rows":[{"cells":["a"],"object":{"metadata":{"name":"a","uid":"u","labels":null,"ownerReferences":null}}}]}"#,
        )
        .unwrap();
        assert!(t.column_definitions.is_empty());
        assert_eq!(t.rows.len(), 1);
    }

    #[test]
    fn hostile_cells_are_cleaned() {
        let wire: WireRow = serde_json::from_str(
            r#"{"cells":["\u001b]52;c;aGk=\u0007evil\u001b[2J"],"object":{"metadata":{"name":"x","uid":"u"}}}"#,
        )
        .unwrap();
        let cols = vec![Column {
            name: "Name".into(),
            kind: ColumnKind::Text,
            priority: 0,
        }];
        let row = build(&ResKey::core("pods"), &cols, wire).unwrap();
        assert_eq!(row.cells[0], "evil");
    }
}
