//! One cluster's inspection: every examiner over the snapshot, then the silences, then the
//! scores.

use super::examine::{self, Ctx};
use super::object;
use super::out::Out;
use super::report::ClusterReport;
use super::settings::Options;
use super::snapshot::Snapshot;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::checks::Category;
    use crate::inspect::examine::testing::{obj, snapshot};
    use crate::inspect::settings::InspectSettings;
    use crate::inspect::silence::Silence;
    use crate::inspect::snapshot::Kind;
    use serde_json::{Value, json};

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
