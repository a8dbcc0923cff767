//! The releases of every live cluster, from the labels of their records in the Secret and
//! ConfigMap sheets the lists already watch (metadata only): name, revision, status and
//! update time are labels, so the list is live without reading a payload. What only the
//! payload says (chart, app version) is decoded once per record, by the screen.

use super::record::Driver;
use crate::model::{ClusterId, ObjectRef, ResKey, Row};
use crate::store::Store;
use crate::store::sheet::SheetState;
use std::collections::HashMap;

/// One revision's record, as its labels say.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub revision: i64,
    pub status: String,
    /// Seconds since the epoch: the `modifiedAt` label, else the record's creation.
    pub updated: Option<i64>,
    /// The storage object (Secret or ConfigMap) holding it.
    pub object: String,
    pub uid: String,
}

/// A release on one cluster: its newest revision, and every record.
#[derive(Clone, Debug, PartialEq)]
pub struct Release {
    pub cluster: ClusterId,
    pub context: String,
    pub namespace: String,
    pub name: String,
    pub driver: Driver,
    /// Newest revision first.
    pub records: Vec<Record>,
}

impl Release {
    pub fn newest(&self) -> &Record {
        // A release exists only with a record.
        &self.records[0]
    }

    /// Helm refuses every operation on a release whose newest record is pending, until that
    /// operation ends: a pending record older than `after` seconds belongs to an operation
    /// that died ("another operation (install/upgrade/rollback) is in progress").
    pub fn stuck(&self, now: i64, after: i64) -> bool {
        let n = self.newest();
        n.status.starts_with("pending-") && n.updated.is_some_and(|t| now - t >= after)
    }

    /// The storage object of a record, as flotilla names objects.
    pub fn storage(&self, record: &Record) -> ObjectRef {
        ObjectRef {
            context: self.context.clone(),
            cluster: self.cluster,
            res: ResKey::core(self.driver.plural()),
            version: "v1".into(),
            kind: self.driver.kind().into(),
            namespace: self.namespace.clone(),
            name: record.object.clone(),
            uid: record.uid.clone(),
        }
    }

    /// Where every record of the release is listed (decoded by the history screen).
    pub fn records_path(&self) -> String {
        format!(
            "/api/v1/namespaces/{}/{}?labelSelector=owner%3Dhelm%2Cname%3D{}",
            self.namespace,
            self.driver.plural(),
            self.name
        )
    }
}

/// The record a storage row is, if it is one: Helm labels it owner=helm, name, version.
fn record(row: &Row) -> Option<(String, Record)> {
    if row.label("owner") != Some("helm") {
        return None;
    }
    let name = row.label("name")?.to_string();
    let revision = row.label("version")?.parse().ok()?;
    let updated = row
        .label("modifiedAt")
        .and_then(|t| t.parse().ok())
        .or(row.created);
    Some((
        name,
        Record {
            revision,
            status: row.label("status").unwrap_or("unknown").to_string(),
            updated,
            object: row.name.clone(),
            uid: row.uid.clone(),
        },
    ))
}

/// The sheets releases are read from.
pub fn watched() -> [ResKey; 2] {
    [ResKey::core("secrets"), ResKey::core("configmaps")]
}

/// Every release of the connected clusters in `contexts` (all when `None`), by cluster,
/// namespace and name.
pub fn list(store: &Store, contexts: Option<&[String]>) -> Vec<Release> {
    let mut out = Vec::new();
    for slot in store.clusters.iter().filter(|s| s.connected) {
        if contexts.is_some_and(|c| !c.contains(&slot.context)) {
            continue;
        }
        for driver in [Driver::Secret, Driver::ConfigMap] {
            let Some(sheet) = store.sheet(slot.id, &ResKey::core(driver.plural())) else {
                continue;
            };
            let mut by_release: HashMap<(&str, String), Vec<Record>> = HashMap::new();
            for (_, row) in sheet.rows() {
                if let Some((name, rec)) = record(row) {
                    by_release
                        .entry((row.namespace.as_str(), name))
                        .or_default()
                        .push(rec);
                }
            }
            out.extend(by_release.into_iter().map(|((ns, name), mut records)| {
                records.sort_by_key(|r| std::cmp::Reverse(r.revision));
                Release {
                    cluster: slot.id,
                    context: slot.context.clone(),
                    namespace: ns.to_string(),
                    name,
                    driver,
                    records,
                }
            }));
        }
    }
    out.sort_by(|a, b| {
        (&a.namespace, &a.name, &a.context).cmp(&(&b.namespace, &b.name, &b.context))
    });
    out
}

/// Connected clusters in `contexts` whose record sheets failed, as `context: why` (a context
/// that may not list Secrets has releases flotilla cannot see).
pub fn unlisted(store: &Store, contexts: Option<&[String]>) -> Vec<String> {
    let mut out = Vec::new();
    for slot in store.clusters.iter().filter(|s| s.connected) {
        if contexts.is_some_and(|c| !c.contains(&slot.context)) {
            continue;
        }
        for res in watched() {
            if let Some(SheetState::Failed(why)) = store.sheet(slot.id, &res).map(|s| &s.state) {
                out.push(crate::text::clean(&format!(
                    "{}: {}: {why}",
                    slot.context, res.plural
                )));
            }
        }
    }
    out
}

/// The sheets' versions the list was built from: rebuild when one moves.
pub fn versions(store: &Store) -> Vec<(ClusterId, u64)> {
    let mut out = Vec::new();
    for slot in store.clusters.iter() {
        for res in watched() {
            if let Some(s) = store.sheet(slot.id, &res) {
                out.push((slot.id, s.version));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, labels: &[(&str, &str)]) -> Row {
        Row {
            uid: name.into(),
            name: name.into(),
            namespace: "apps".into(),
            cells: Vec::new(),
            created: None,
            last_seen: None,
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            owners: Vec::new(),
            deleting: None,
            facts: Vec::new(),
            health: crate::model::RowHealth::Ok,
            search: String::new(),
        }
    }

    #[test]
    fn a_record_is_read_from_helms_labels() {
        let (name, rec) = record(&row(
            "sh.helm.release.v1.web.v3",
            &[
                ("owner", "helm"),
                ("name", "web"),
                ("version", "3"),
                ("status", "pending-upgrade"),
                ("modifiedAt", "1700000000"),
            ],
        ))
        .unwrap();
        assert_eq!(name, "web");
        assert_eq!(rec.revision, 3);
        assert_eq!(rec.status, "pending-upgrade");
        assert_eq!(rec.updated, Some(1_700_000_000));
        assert!(
            record(&row(
                "x",
                &[("owner", "someone"), ("name", "a"), ("version", "1")]
            ))
            .is_none()
        );
        assert!(
            record(&row(
                "x",
                &[("owner", "helm"), ("name", "a"), ("version", "v1")]
            ))
            .is_none()
        );
    }

    #[test]
    fn stuck_is_a_pending_newest_record_past_the_threshold() {
        let rel = |status: &str| Release {
            cluster: ClusterId(0),
            context: "dev".into(),
            namespace: "apps".into(),
            name: "web".into(),
            driver: Driver::Secret,
            records: vec![Record {
                revision: 2,
                status: status.into(),
                updated: Some(1000),
                object: "sh.helm.release.v1.web.v2".into(),
                uid: "u".into(),
            }],
        };
        assert!(rel("pending-upgrade").stuck(1400, 300));
        assert!(!rel("pending-upgrade").stuck(1100, 300));
        assert!(!rel("failed").stuck(9999, 300));
    }
}
