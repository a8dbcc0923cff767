//! One cluster's inspection: every examiner over the snapshot, then the silences, then the
//! scores. Examiners report through `Out`, which counts what each check examined (the
//! scores' denominators) and skips the checks whose lists are missing.

use super::checks::{CHECKS, Check};
use super::examine::{self, Ctx};
use super::object;
use super::report::{ClusterReport, Finding, Silenced, Skipped};
use super::score::{Count, Score, grade};
use super::settings::Options;
use super::silence::Silences;
use super::snapshot::{Kind, Snapshot};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// Inspects one cluster's snapshot.
pub fn inspect(cluster: &str, snap: &Snapshot, opts: &Options) -> ClusterReport {
    let cx = Ctx {
        snap,
        opts,
        specs: object::pod_specs(snap),
    };
    let mut out = Out::new(cluster, snap);
    examine::all(&cx, &mut out);
    out.report(&opts.silences, &snap.errors)
}

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
    fn new(cluster: &'a str, snap: &Snapshot) -> Out<'a> {
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

    fn report(self, silences: &Silences, errors: &[String]) -> ClusterReport {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::checks::Category;
    use crate::inspect::examine::testing::{obj, snapshot};
    use crate::inspect::settings::InspectSettings;
    use crate::inspect::silence::Silence;
    use serde_json::json;

    fn pod(ns: &str, name: &str) -> Value {
        obj(
            ns,
            name,
            json!({"spec": {"containers": [{"name": "app", "image": "web:1"}]}}),
        )
    }

    #[test]
    fn silenced_findings_move_aside_with_their_reason_and_do_not_score() {
        let snap = snapshot(vec![
            (Kind::Pod, pod("legacy", "old")),
            (Kind::Pod, pod("shop", "web")),
        ]);
        let plain = inspect("prod", &snap, &Options::default());
        let opts = Options::from_settings(&InspectSettings {
            silence: vec![Silence {
                check: "pod-no-controller".into(),
                cluster: None,
                namespace: Some("legacy".into()),
                object: Some("Pod/old".into()),
                reason: "hand-run tool".into(),
            }],
            ..InspectSettings::default()
        })
        .unwrap();
        let quiet = inspect("prod", &snap, &opts);
        let naked = |r: &ClusterReport| {
            r.findings
                .iter()
                .filter(|f| f.check == "pod-no-controller")
                .map(|f| f.object())
                .collect::<Vec<_>>()
        };
        assert_eq!(naked(&plain), ["Pod/old", "Pod/web"]);
        assert_eq!(naked(&quiet), ["Pod/web"]);
        assert_eq!(quiet.silenced.len(), 1);
        assert_eq!(quiet.silenced[0].reason, "hand-run tool");
        assert_eq!(quiet.silenced[0].finding.name, "old");
        assert_eq!(quiet.silenced[0].finding.cluster, "prod");
        let c = quiet.checks["pod-no-controller"].count;
        assert_eq!((c.examined, c.findings, c.silenced), (2, 1, 1));
        assert!(quiet.namespaces["legacy"].score > plain.namespaces["legacy"].score);
        assert!(quiet.score > plain.score);
    }

    #[test]
    fn checks_whose_lists_are_missing_are_skipped_and_said() {
        let mut snap = Snapshot::new(0);
        snap.set(
            Kind::Service,
            vec![obj(
                "shop",
                "web",
                json!({"spec": {"selector": {"app": "web"}}}),
            )],
        );
        snap.failed(Kind::Pod, "forbidden");
        let r = inspect("prod", &snap, &Options::default());
        assert!(r.findings.iter().all(|f| !f.check.starts_with("service-")));
        let skipped: Vec<&str> = r.skipped.iter().map(|s| s.check.as_str()).collect();
        assert!(skipped.contains(&"service-selector-no-pods"), "{skipped:?}");
        assert!(skipped.contains(&"configmap-unused"));
        let why = r.skipped.iter().find(|s| s.check == "service-no-endpoints");
        assert_eq!(
            why.map(|s| s.reason.as_str()),
            Some("needs endpointslices, pods (not read)")
        );
        assert_eq!(r.errors, ["pods: forbidden"]);
    }

    #[test]
    fn scores_per_namespace_and_category_come_with_their_counts() {
        let snap = snapshot(vec![(Kind::Pod, pod("shop", "web"))]);
        let r = inspect("prod", &snap, &Options::default());
        let shop = &r.namespaces["shop"];
        assert!(shop.count.examined > 0 && shop.count.findings > 0);
        assert!(shop.score.is_some_and(|s| s < 100));
        let rel = &r.categories[&Category::Reliability];
        assert!(rel.count.findings >= 1, "{rel:?}");
        // Errors first, then by place.
        let sev: Vec<_> = r.findings.iter().map(|f| f.severity).collect();
        let mut sorted = sev.clone();
        sorted.sort();
        assert_eq!(sev, sorted);
    }
}
