//! The apiserver's Table rendering (the printers `kubectl get -o wide` uses) on the wire, and
//! the slim rows built from it when an object changes, never when a frame draws.

use crate::kinds::health;
use crate::model::{Column, ColumnKind, ResKey, Row};
use crate::text::clean;
use serde::Deserialize;
use std::collections::BTreeMap;

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
    // Present only for kinds watched with the full object (`kinds::facts::wants_object`).
    #[serde(default)]
    pub spec: Option<serde_json::Value>,
    #[serde(default)]
    pub status: Option<serde_json::Value>,
    /// An EndpointSlice's endpoints, at the top level of the object.
    #[serde(default)]
    pub endpoints: Option<serde_json::Value>,
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
    #[serde(default)]
    pub deletion_timestamp: Option<String>,
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

/// Clusterpedia renders its tables with the object's cluster as the first column; flotilla
/// shows its own CLUSTER column, so an index's page loses that one.
pub fn drop_index_cluster_column(page: &mut WireTable) {
    if page
        .column_definitions
        .first()
        .is_some_and(|c| c.name == "Cluster")
    {
        page.column_definitions.remove(0);
        for row in &mut page.rows {
            if !row.cells.is_empty() {
                row.cells.remove(0);
            }
        }
    }
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

/// Builds a row; `None` when the server sent no object metadata (nothing to key it by).
pub fn build(res: &ResKey, columns: &[Column], wire: WireRow) -> Option<Row> {
    let object = wire.object?;
    let meta = object.metadata;
    if meta.uid.is_empty() && meta.name.is_empty() {
        return None;
    }
    let facts = match &object.endpoints {
        Some(endpoints) => {
            let slice = serde_json::json!({ "endpoints": endpoints });
            crate::kinds::facts::extract(res, Some(&slice), None)
        }
        None => crate::kinds::facts::extract(res, object.spec.as_ref(), object.status.as_ref()),
    };
    let cells: Vec<String> = wire.cells.iter().map(cell_text).collect();
    let deleting = cells.iter().any(|c| c == "Terminating");
    let last_seen = columns
        .iter()
        .position(|c| c.kind == ColumnKind::LastSeen)
        .and_then(|i| cells.get(i))
        .and_then(|c| crate::human::parse_duration(c))
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
        created: meta
            .creation_timestamp
            .as_deref()
            .and_then(crate::human::parse_time),
        last_seen,
        labels: meta
            .labels
            .into_iter()
            .map(|(k, v)| (clean(&k), clean(&v)))
            .collect(),
        owners: meta.owner_references.into_iter().map(|o| o.uid).collect(),
        deleting: meta
            .deletion_timestamp
            .as_deref()
            .and_then(crate::human::parse_time),
        facts,
        health,
        search,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RowHealth;

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
