//! The report: what inspection found on each cluster and the fleet, as data that renders
//! (`render`), saves as JSON (shape in docs/inspect-report.schema.json) and compares with an
//! earlier one (`diff`).
//!
//! ```text
//! { "version": 1, "generated_at": "2025-03-01T09:00:00Z",
//!   "checks":   { "<id>": { category, severity, looks_at, message, fix } },
//!   "clusters": [ { "name", "score",
//!                   "checks":     { "<id>": { score, examined, findings, silenced } },
//!                   "categories": { "<category>": { score, examined, findings, silenced } },
//!                   "namespaces": { "<namespace>": { score, examined, findings, silenced } },
//!                   "findings":   [ { check, severity, cluster, namespace, kind, name, detail } ],
//!                   "silenced":   [ { ...finding, reason } ],
//!                   "skipped":    [ { check, reason } ],
//!                   "errors":     [ "secrets: forbidden" ] } ],
//!   "fleet": { "score", "categories": {...},
//!              "counts": { clusters, examined, findings, silenced, error, warning, info } } }
//! ```
//! A score is `null` where nothing was examined.

use super::checks::{CHECKS, Category, Severity};
use super::score::{Count, Score, grade};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

/// Bumped when a field changes meaning or goes; new fields do not bump it.
pub const REPORT_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub version: u32,
    /// RFC 3339.
    pub generated_at: String,
    /// The checks that ran, so the report reads (and renders) without this build's table.
    pub checks: BTreeMap<String, CheckInfo>,
    pub clusters: Vec<ClusterReport>,
    pub fleet: Fleet,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckInfo {
    pub category: Category,
    pub severity: Severity,
    pub looks_at: String,
    pub message: String,
    pub fix: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterReport {
    /// The kubeconfig context.
    pub name: String,
    pub score: Option<u8>,
    pub checks: BTreeMap<String, Score>,
    pub categories: BTreeMap<Category, Score>,
    /// Namespaced objects only; the cluster's score covers cluster-scoped ones too.
    pub namespaces: BTreeMap<String, Score>,
    /// Worst first.
    pub findings: Vec<Finding>,
    pub silenced: Vec<Silenced>,
    /// Checks not run: a list they need could not be read.
    pub skipped: Vec<Skipped>,
    pub errors: Vec<String>,
}

/// One object a check holds for. Names and details are the cluster's text: sanitize before
/// drawing them in a terminal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub check: Cow<'static, str>,
    pub severity: Severity,
    pub cluster: String,
    /// The object's namespace; for a Namespace, its own name (so silencing a namespace covers
    /// it); `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    /// As `kind:` in a manifest (`Deployment`), or `APIVersion` for a served group/version.
    pub kind: String,
    pub name: String,
    /// What exactly: which container, which image, how many restarts, which date.
    pub detail: String,
}

/// What identifies a finding across reports.
pub type FindingKey<'a> = (&'a str, &'a str, Option<&'a str>, &'a str, &'a str);

impl Finding {
    pub fn key(&self) -> FindingKey<'_> {
        (
            &self.cluster,
            &self.check,
            self.namespace.as_deref(),
            &self.kind,
            &self.name,
        )
    }

    /// `Deployment/web`: how silences name objects.
    pub fn object(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Silenced {
    #[serde(flatten)]
    pub finding: Finding,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub check: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Fleet {
    pub score: Option<u8>,
    pub categories: BTreeMap<Category, Score>,
    pub counts: FleetCounts,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetCounts {
    pub clusters: u64,
    pub examined: u64,
    pub findings: u64,
    pub silenced: u64,
    /// Findings by severity.
    pub error: u64,
    pub warning: u64,
    pub info: u64,
}

impl ClusterReport {
    /// A cluster that could not be read at all: no score, the reason as its error.
    pub fn unreachable(name: &str, why: &str) -> ClusterReport {
        ClusterReport {
            name: name.to_string(),
            errors: vec![why.to_string()],
            ..ClusterReport::default()
        }
    }
}

impl Report {
    /// The clusters' reports with the fleet's totals: each check's counts summed over the
    /// clusters, then scored (see `score`).
    pub fn new(clusters: Vec<ClusterReport>, generated_at: jiff::Timestamp) -> Report {
        let mut per_check: BTreeMap<String, Count> = BTreeMap::new();
        let mut counts = FleetCounts {
            clusters: clusters.len() as u64,
            ..FleetCounts::default()
        };
        for c in &clusters {
            for (id, s) in &c.checks {
                *per_check.entry(id.clone()).or_default() += s.count;
            }
            for f in &c.findings {
                match f.severity {
                    Severity::Error => counts.error += 1,
                    Severity::Warning => counts.warning += 1,
                    Severity::Info => counts.info += 1,
                }
            }
        }
        let g = grade(&per_check);
        counts.examined = g.total.examined;
        counts.findings = g.total.findings;
        counts.silenced = g.total.silenced;
        Report {
            version: REPORT_VERSION,
            generated_at: generated_at.to_string(),
            checks: CHECKS
                .iter()
                .map(|c| {
                    let info = CheckInfo {
                        category: c.category,
                        severity: c.severity,
                        looks_at: c.looks_at.to_string(),
                        message: c.message.to_string(),
                        fix: c.fix.to_string(),
                    };
                    (c.id.to_string(), info)
                })
                .collect(),
            clusters,
            fleet: Fleet {
                score: g.score,
                categories: g.categories,
                counts,
            },
        }
    }
}

/// What changed between two reports.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReportDiff {
    /// In the new report's findings, not in the old one's.
    pub new_findings: Vec<Finding>,
    /// In the old findings, and judged again without holding. A finding on a cluster the new
    /// report could not read, or under a check it skipped, is not known to be fixed and is
    /// in neither list.
    pub fixed_findings: Vec<Finding>,
    /// Old findings the new report lists as silenced.
    pub silenced_findings: Vec<Finding>,
}

/// Compares findings by (cluster, check, namespace, kind, name).
pub fn diff(old: &Report, new: &Report) -> ReportDiff {
    let old_keys: HashSet<FindingKey> = findings(old).map(Finding::key).collect();
    let new_keys: HashSet<FindingKey> = findings(new).map(Finding::key).collect();
    let silenced: HashSet<FindingKey> = new
        .clusters
        .iter()
        .flat_map(|c| &c.silenced)
        .map(|s| s.finding.key())
        .collect();
    let judged = |f: &Finding| {
        new.clusters.iter().any(|c| {
            c.name == f.cluster
                && c.score.is_some()
                && !c.skipped.iter().any(|s| s.check == f.check)
        })
    };
    let mut d = ReportDiff {
        new_findings: findings(new)
            .filter(|f| !old_keys.contains(&f.key()))
            .cloned()
            .collect(),
        ..ReportDiff::default()
    };
    for f in findings(old).filter(|f| !new_keys.contains(&f.key())) {
        if silenced.contains(&f.key()) {
            d.silenced_findings.push(f.clone());
        } else if judged(f) {
            d.fixed_findings.push(f.clone());
        }
    }
    d
}

fn findings(r: &Report) -> impl Iterator<Item = &Finding> {
    r.clusters.iter().flat_map(|c| &c.findings)
}

/// A fleet of three for tests: one inspected (with a silence), one partly readable, one
/// unreachable.
#[cfg(test)]
pub(crate) fn sample() -> Report {
    use super::examine::testing::{NOW, obj, snapshot};
    use super::run::inspect;
    use super::settings::{InspectSettings, Options};
    use super::silence::Silence;
    use super::snapshot::{Kind, Snapshot};
    use serde_json::json;

    let pod = |ns: &str, name: &str, image: &str| {
        let spec = json!({"spec": {"containers": [{"name": "app", "image": image}]}});
        (Kind::Pod, obj(ns, name, spec))
    };
    let ready = json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}});
    let mut cordoned = obj("", "n1", ready.clone());
    cordoned["spec"] = json!({"unschedulable": true});
    let snap = snapshot(vec![
        pod("shop", "web", "web"),
        pod("legacy", "old", "old:1"),
        (Kind::Node, cordoned),
    ]);
    let opts = Options::from_settings(&InspectSettings {
        silence: vec![Silence {
            check: "pod-no-controller".into(),
            cluster: None,
            namespace: Some("legacy".into()),
            object: None,
            reason: "hand-run tool".into(),
        }],
        ..InspectSettings::default()
    })
    .expect("valid silences");
    let mut partial = Snapshot::new(NOW);
    partial.set(Kind::Node, vec![obj("", "n2", ready)]);
    partial.failed(Kind::Secret, "forbidden");
    Report::new(
        vec![
            inspect("prod-eu", &snap, &opts),
            inspect("staging", &partial, &Options::default()),
            ClusterReport::unreachable("lab", "connection refused"),
        ],
        jiff::Timestamp::from_second(NOW).expect("a valid time"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn fleet_totals_add_up_over_clusters() {
        let r = sample();
        let c = &r.fleet.counts;
        assert_eq!(c.clusters, 3);
        let findings: usize = r.clusters.iter().map(|c| c.findings.len()).sum();
        assert_eq!(c.findings as usize, findings);
        assert_eq!(c.error + c.warning + c.info, c.findings);
        assert_eq!(c.silenced, 1);
        let examined: u64 = r.clusters[..2]
            .iter()
            .flat_map(|c| c.checks.values())
            .map(|s| s.count.examined)
            .sum();
        assert_eq!(c.examined, examined);
        assert!(r.fleet.score.is_some_and(|s| s < 100));
        assert_eq!(r.clusters[2].score, None);
        assert_eq!(r.checks.len(), CHECKS.len());
        assert_eq!(r.generated_at, "2025-03-01T00:00:00Z");
    }

    #[test]
    fn diff_tells_new_fixed_and_silenced_findings() {
        let new = sample();
        let mut old = sample();
        let finding =
            |cluster: &str, check: &'static str, ns: Option<&str>, kind: &str, name: &str| {
                Finding {
                    check: check.into(),
                    severity: Severity::Warning,
                    cluster: cluster.into(),
                    namespace: ns.map(String::from),
                    kind: kind.into(),
                    name: name.into(),
                    detail: "was".into(),
                }
            };
        // Gone from prod-eu: fixed.
        let fixed = finding("prod-eu", "pod-restarts", Some("shop"), "Pod", "web");
        old.clusters[0].findings.push(fixed.clone());
        // Silenced since.
        let quiet = new.clusters[0].silenced[0].finding.clone();
        old.clusters[0].findings.push(quiet.clone());
        // Not known to be fixed: the cluster was unreachable, the check skipped.
        old.clusters[2]
            .findings
            .push(finding("lab", "node-cordoned", None, "Node", "n9"));
        old.clusters[1].findings.push(finding(
            "staging",
            "secret-unused",
            Some("a"),
            "Secret",
            "s",
        ));
        // New in prod-eu.
        let cordoned = old.clusters[0]
            .findings
            .iter()
            .position(|f| f.check == "node-cordoned");
        let appeared = old.clusters[0]
            .findings
            .remove(cordoned.expect("a cordoned node"));
        // The detail may change without the finding being new.
        old.clusters[0].findings[0].detail = "other words".into();

        let d = diff(&old, &new);
        assert_eq!(d.new_findings, [appeared]);
        assert_eq!(d.fixed_findings, [fixed]);
        assert_eq!(d.silenced_findings, [quiet]);
        assert_eq!(diff(&new, &new), ReportDiff::default());
    }

    /// A structural check of a value against the schema: types, required keys, no keys the
    /// schema does not list where it closes an object, enums, `$ref`, `allOf`, items, maps.
    fn conforms(root: &Value, schema: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let def = r
                .strip_prefix("#/$defs/")
                .and_then(|d| root["$defs"].get(d));
            match def {
                Some(d) => conforms(root, d, v, at, errs),
                None => errs.push(format!("{at}: bad $ref {r}")),
            }
        }
        for s in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            conforms(root, s, v, at, errs);
        }
        if let Some(t) = schema.get("type") {
            let types: Vec<&str> = match t {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            let is = |t: &str| match t {
                "object" => v.is_object(),
                "array" => v.is_array(),
                "string" => v.is_string(),
                "integer" => v.is_u64() || v.is_i64(),
                "number" => v.is_number(),
                "boolean" => v.is_boolean(),
                "null" => v.is_null(),
                _ => false,
            };
            if !types.iter().any(|t| is(t)) {
                errs.push(format!("{at}: {v} is not {types:?}"));
            }
        }
        if let Some(e) = schema.get("enum").and_then(Value::as_array)
            && !e.contains(v)
        {
            errs.push(format!("{at}: {v} not in {e:?}"));
        }
        if let Some(n) = v.as_u64() {
            let over = schema
                .get("maximum")
                .and_then(Value::as_u64)
                .is_some_and(|m| n > m);
            if over {
                errs.push(format!("{at}: {n} above the maximum"));
            }
        }
        if let Some(obj) = v.as_object() {
            for k in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(k) = k.as_str().filter(|k| !obj.contains_key(*k)) {
                    errs.push(format!("{at}: missing required {k}"));
                }
            }
            let props = schema.get("properties").and_then(Value::as_object);
            for (k, child) in obj {
                let here = format!("{at}.{k}");
                if let Some(names) = schema.get("propertyNames") {
                    conforms(root, names, &Value::String(k.clone()), &here, errs);
                }
                match (
                    props.and_then(|p| p.get(k)),
                    schema.get("additionalProperties"),
                ) {
                    (Some(s), _) => conforms(root, s, child, &here, errs),
                    (None, Some(Value::Bool(false))) => {
                        errs.push(format!("{here}: not in the schema"))
                    }
                    (None, Some(s)) if s.is_object() => conforms(root, s, child, &here, errs),
                    _ => {}
                }
            }
        }
        if let (Some(items), Some(a)) = (schema.get("items"), v.as_array()) {
            for (i, child) in a.iter().enumerate() {
                conforms(root, items, child, &format!("{at}[{i}]"), errs);
            }
        }
    }

    #[test]
    fn the_json_matches_its_schema() {
        let schema: Value =
            serde_json::from_str(include_str!("../../../../docs/inspect-report.schema.json"))
                .unwrap();
        let r = sample();
        // Every list the schema describes has an entry to check.
        let c = &r.clusters;
        assert!(
            !c[0].findings.is_empty() && !c[0].silenced.is_empty() && !c[0].namespaces.is_empty()
        );
        assert!(!c[1].skipped.is_empty() && !c[1].errors.is_empty());
        let v = serde_json::to_value(&r).unwrap();
        let mut errs = Vec::new();
        conforms(&schema, &schema, &v, "$", &mut errs);
        assert_eq!(errs, Vec::<String>::new());
        // And the check is not vacuous.
        let mut broken = v.clone();
        broken["clusters"][0]["findings"][0]
            .as_object_mut()
            .map(|f| f.remove("detail"));
        broken["fleet"]["surprise"] = Value::Bool(true);
        broken["clusters"][0]["categories"]["astrology"] = broken["fleet"]["counts"].clone();
        let mut errs = Vec::new();
        conforms(&schema, &schema, &broken, "$", &mut errs);
        assert!(
            errs.iter()
                .any(|e| e.contains("findings[0]: missing required detail")),
            "{errs:?}"
        );
        assert!(
            errs.iter()
                .any(|e| e == "$.fleet.surprise: not in the schema"),
            "{errs:?}"
        );
        assert!(errs.iter().any(|e| e.contains("astrology")), "{errs:?}");
    }
}
