//! What examiners report through: `Out` counts what each check examined (the scores'
//! denominators), keeps the findings, skips the checks whose lists are missing, and turns it
//! all into the cluster's report once the silences are applied.

use super::checks::{CHECKS, Check};
use super::object;
use super::report::{ClusterReport, Finding, Silenced, Skipped};
use super::score::{Count, Score, grade};
use super::silence::Silences;
use super::snapshot::{Kind, Snapshot};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// The object a finding names.
pub struct Place<'a> {
    pub kind: &'static str,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
}

impl<'a> Place<'a> {
    pub fn of(kind: Kind, v: &'a Value) -> Place<'a> {
        let name = object::name(v);
        Place {
            kind: kind.name(),
            namespace: if kind == Kind::Namespace {
                Some(name)
            } else {
                object::namespace(v)
            },
            name,
        }
    }
}

/// (check, namespace): what counts are kept by.
type Key<'a> = (&'static str, Option<&'a str>);

pub struct Out<'a> {
    cluster: &'a str,
    checks: HashMap<&'static str, &'static Check>,
    skipped: BTreeMap<&'static str, String>,
    examined: BTreeMap<Key<'a>, u64>,
    findings: Vec<(Key<'a>, Finding)>,
}

impl<'a> Out<'a> {
    pub fn new(cluster: &'a str, snap: &Snapshot) -> Out<'a> {
        let skipped = CHECKS
            .iter()
            .filter_map(|c| {
                let missing: Vec<&str> = c
                    .needs
                    .iter()
                    .filter(|k| !snap.has(**k))
                    .map(|k| k.info().plural)
                    .collect();
                (!missing.is_empty())
                    .then(|| (c.id, format!("needs {} (not read)", missing.join(", "))))
            })
            .collect();
        Out {
            cluster,
            checks: CHECKS.iter().map(|c| (c.id, c)).collect(),
            skipped,
            examined: BTreeMap::new(),
            findings: Vec::new(),
        }
    }

    /// The check examined the object at `at`, and found `found` (`None`: nothing wrong).
    pub fn record(&mut self, id: &'static str, at: &Place<'a>, found: Option<String>) {
        let Some(check) = self.checks.get(id).copied() else {
            debug_assert!(false, "no check {id:?} in CHECKS");
            return;
        };
        if self.skipped.contains_key(id) {
            return;
        }
        let key = (check.id, at.namespace);
        *self.examined.entry(key).or_default() += 1;
        if let Some(detail) = found {
            let f = Finding {
                check: Cow::Borrowed(check.id),
                severity: check.severity,
                cluster: self.cluster.to_string(),
                namespace: at.namespace.map(String::from),
                kind: at.kind.to_string(),
                name: at.name.to_string(),
                detail,
            };
            self.findings.push((key, f));
        }
    }

    pub fn report(self, silences: &Silences, errors: &[String]) -> ClusterReport {
        let mut counts: BTreeMap<Key, Count> = self
            .examined
            .iter()
            .map(|(k, n)| {
                let c = Count {
                    examined: *n,
                    ..Count::default()
                };
                (*k, c)
            })
            .collect();
        let mut findings = self.findings;
        findings.sort_by(|(_, a), (_, b)| {
            (a.severity, &a.namespace, &a.kind, &a.name, &a.check).cmp(&(
                b.severity,
                &b.namespace,
                &b.kind,
                &b.name,
                &b.check,
            ))
        });
        let mut report = ClusterReport {
            name: self.cluster.to_string(),
            errors: errors.to_vec(),
            skipped: self
                .skipped
                .into_iter()
                .map(|(check, reason)| Skipped {
                    check: check.to_string(),
                    reason,
                })
                .collect(),
            ..ClusterReport::default()
        };
        for (key, finding) in findings {
            let c = counts.entry(key).or_default();
            match silences.reason(&finding) {
                Some(reason) => {
                    c.silenced += 1;
                    report.silenced.push(Silenced {
                        reason: reason.to_string(),
                        finding,
                    });
                }
                None => {
                    c.findings += 1;
                    report.findings.push(finding);
                }
            }
        }
        let mut per_check: BTreeMap<String, Count> = BTreeMap::new();
        let mut per_namespace: BTreeMap<&str, BTreeMap<String, Count>> = BTreeMap::new();
        for ((check, ns), c) in &counts {
            *per_check.entry(check.to_string()).or_default() += *c;
            if let Some(ns) = ns {
                *per_namespace
                    .entry(ns)
                    .or_default()
                    .entry(check.to_string())
                    .or_default() += *c;
            }
        }
        let g = grade(&per_check);
        report.score = g.score;
        report.checks = g.checks;
        report.categories = g.categories;
        report.namespaces = per_namespace
            .into_iter()
            .map(|(ns, checks)| {
                let g = grade(&checks);
                let s = Score {
                    score: g.score,
                    count: g.total,
                };
                (ns.to_string(), s)
            })
            .collect();
        report
    }
}
