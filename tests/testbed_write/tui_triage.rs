//! Fleet overview, triage and merged events against the three testbed clusters: what a user
//! sees on each screen, checked against what kubectl reports.

use crate::common;
use crate::harness;

use flotilla::model::Action;
use flotilla::screens::fleet::FleetScreen;
use flotilla::screens::triage::TriageScreen;
use flotilla::triage::{Thresholds, TriageSettings};
use harness::Harness;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);
const ALL: [&str; 3] = ["dev", "staging", "prod"];

/// Thresholds at zero, so seeded problems count at once (they are minutes old at most).
fn eager() -> flotilla::config::Config {
    let mut config = harness::config();
    let mut s = TriageSettings::default();
    for t in ["pending", "rollout", "pvc-pending", "unavailable"] {
        s.after.insert(t.into(), "0s".into());
    }
    config.thresholds = Thresholds::from_settings(&s).expect("valid thresholds");
    config
}

fn has(t: &TriageScreen, context: &str, object: &str, what: &str) -> bool {
    t.problems()
        .iter()
        .any(|p| p.context == context && p.object == object && p.what.contains(what))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triage_lists_every_clusters_seeded_problems() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::with_config(&tb.kubeconfig, &ALL, eager());
    h.command("triage");
    let seeded = |t: &TriageScreen, c: &str| {
        has(t, c, "pod/crasher", "CrashLoopBackOff")
            && has(t, c, "pod/unschedulable", "Pending")
            && has(t, c, "job/report-fail", "BackoffLimitExceeded")
            && has(t, c, "deployment/checkout", "Rollout not progressing")
            && has(t, c, "deployment/cart", "0/2 ready")
            && has(t, c, "persistentvolumeclaim/scratch", "Pending")
            && has(
                t,
                c,
                "horizontalpodautoscaler/api",
                "Cannot compute metrics",
            )
    };
    let ok = h
        .pump_until(WAIT, |h| {
            let t = h.app.top_as::<TriageScreen>().expect("triage on top");
            ALL.iter().all(|c| seeded(t, c))
                && has(t, "prod", "node/prod-node-broken", "NotReady")
                && has(t, "staging", "node/staging-node-cordoned", "Cordoned")
        })
        .await;
    let t = h.app.top_as::<TriageScreen>().expect("triage on top");
    let listed: Vec<String> = t
        .problems()
        .iter()
        .map(|p| format!("{} {} {}", p.context, p.object, p.what))
        .collect();
    assert!(
        ok,
        "every cluster's seeded problems:\n{}",
        listed.join("\n")
    );
    // Nodes as each cluster's seed has them: prod's broken one, staging's cordoned one, and
    // none of dev's. Healthy objects are not listed.
    let mut nodes: Vec<String> = t
        .problems()
        .iter()
        .filter(|p| p.object.starts_with("node/"))
        .map(|p| format!("{} {} {}", p.context, p.object, p.rule))
        .collect();
    nodes.sort();
    assert_eq!(
        nodes,
        [
            "prod node/prod-node-broken node-not-ready",
            "staging node/staging-node-cordoned node-cordoned"
        ]
    );
    assert!(
        !t.problems().iter().any(|p| p.namespace == "shop"
            && p.object == "deployment/web"
            && p.context != "staging"),
        "shop/web is healthy but on staging (its incident): {listed:?}"
    );
    // One row per broken thing: no object on two rows.
    let mut seen = std::collections::HashSet::new();
    for r in t.rows() {
        for c in &r.clusters {
            assert!(
                seen.insert((c.clone(), r.namespace.clone(), r.object.clone())),
                "{c} {}/{} on two rows:\n{}",
                r.namespace,
                r.object,
                h.screen(200, 80)
            );
        }
    }
    let screen = h.screen(160, 60);
    assert!(
        screen.contains("triage[") && screen.contains("critical"),
        "{screen}"
    );
    // Folding: the crasher on three clusters becomes one row naming them.
    h.filter("crasher crashloop");
    h.action(Action::Collapse);
    let rows = h.lines_with(&["pod/crasher", "CrashLoopBackOff"]);
    assert_eq!(rows.len(), 1, "{}", h.screen(160, 40));
    assert!(
        ALL.iter().all(|c| rows[0].contains(c)),
        "one row, three clusters: {rows:?}"
    );
    // Enter goes to the object's own list, cursor on it: keys work there as anywhere.
    h.action(Action::Enter);
    let ok = h
        .pump_until(WAIT, |h| {
            harness::selected_line(&h.app, 160, 40).is_some_and(|l| l.contains("crasher"))
        })
        .await;
    assert!(ok, "cursor on the crasher:\n{}", h.screen(160, 40));
    assert!(
        h.screen(160, 40).contains("pods(shop)"),
        "{}",
        h.screen(160, 40)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_failure_appears_without_input_and_leaves_when_fixed() {
    let Some(tb) = common::testbed() else { return };
    let ns = common::Scratch::new(&tb, "staging", format!("triage-{}", std::process::id()));
    let mut h = Harness::with_config(&tb.kubeconfig, &ALL, eager());
    h.command("triage");
    let object = "pod/flaky";
    let listed = |h: &mut Harness| {
        let t = h.app.top_as::<TriageScreen>().expect("triage on top");
        t.problems().iter().any(|p| {
            p.context == "staging"
                && p.namespace == ns.name
                && p.object == object
                && p.rule == "pod-failing"
        })
    };
    assert!(
        h.pump_until(WAIT, |h| has(
            h.app.top_as::<TriageScreen>().unwrap(),
            "staging",
            "pod/crasher",
            "CrashLoop"
        ))
        .await
    );
    assert!(!listed(&mut h));
    let pod = format!(
        r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"flaky","namespace":"{}","labels":{{"flotilla.dev/crashloop":"true"}}}},
        "spec":{{"containers":[{{"name":"app","image":"registry.example.com/flaky:1"}}]}}}}"#,
        ns.name
    );
    let file = std::env::temp_dir().join(format!("flaky-{}.json", std::process::id()));
    std::fs::write(&file, pod).expect("pod manifest");
    tb.kubectl_ok("staging", &["apply", "-f", &file.to_string_lossy()]);
    let appeared = h.pump_until(WAIT, listed).await;
    assert!(
        appeared,
        "the new failure is listed:\n{}",
        h.screen(160, 50)
    );
    let row = h.lines_with(&["flaky", "CrashLoopBackOff"]);
    assert!(row.iter().any(|l| l.contains("staging")), "{row:?}");
    // Listed since it failed (moments ago), above problems seeded minutes before.
    let t = h.app.top_as::<TriageScreen>().expect("triage on top");
    let since = |object: &str| {
        t.problems()
            .iter()
            .find(|p| p.context == "staging" && p.object == object && p.rule == "pod-failing")
            .map(|p| p.since)
    };
    let (flaky, crasher) = (since(object), since("pod/crasher"));
    assert!(flaky > crasher, "{flaky:?} {crasher:?}");
    tb.kubectl_ok(
        "staging",
        &[
            "delete",
            "pod",
            "flaky",
            "-n",
            &ns.name,
            "--grace-period=0",
            "--force",
        ],
    );
    let gone = h.pump_until(WAIT, |h| !listed(h)).await;
    assert!(gone, "fixed, it leaves:\n{}", h.screen(160, 50));
    // For a moment it is shown resolved, then not at all.
    let resolved = h.lines_with(&["flaky", "resolved: CrashLoopBackOff"]);
    assert_eq!(resolved.len(), 1, "{}", h.screen(160, 50));
    let faded = h
        .pump_until(Duration::from_secs(30), |h| {
            h.lines_with(&["flaky", "CrashLoopBackOff"]).is_empty()
        })
        .await;
    assert!(faded, "{}", h.screen(160, 50));
}

/// When kubectl says the newest ReplicaSet of Deployment shop/NAME was created: when its
/// rollout began.
fn newest_rollout(tb: &common::Testbed, c: &str, name: &str) -> i64 {
    let out = tb.kubectl_ok(
        c,
        &[
            "-n",
            "shop",
            "get",
            "replicasets",
            "-l",
            &format!("app={name}"),
            "-o",
            "jsonpath={range .items[*]}{.metadata.creationTimestamp}{\"\\n\"}{end}",
        ],
    );
    out.lines()
        .filter_map(flotilla::human::parse_time)
        .max()
        .expect("the Deployment has ReplicaSets")
}

/// Waits for triage's row of shop/NAME on `context`, filtered to it, with what changed before
/// it read; returns the screen.
async fn incident(h: &mut Harness, context: &str, name: &str, change: &str) -> String {
    let row = |h: &mut Harness| {
        h.app.top_as::<TriageScreen>().is_some_and(|t| {
            t.rows().iter().any(|r| {
                r.clusters == [context]
                    && r.namespace == "shop"
                    && r.object == format!("deployment/{name}")
            })
        })
    };
    assert!(h.pump_until(WAIT, row).await, "{}", h.screen(200, 60));
    h.filter(&format!("{context} deployment/{name}"));
    let read = h
        .pump_until(WAIT, |h| h.screen(200, 60).contains(change))
        .await;
    let screen = h.screen(200, 60);
    assert!(read, "the change before it:\n{screen}");
    screen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_rollout_is_one_row_with_the_image_change_before_it() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::with_config(&tb.kubeconfig, &ALL, eager());
    h.command("triage");
    let screen = incident(
        &mut h,
        "staging",
        "web",
        "image nginx:1.27 → nginx:1.28-rc1",
    )
    .await;
    let t = h.app.top_as::<TriageScreen>().expect("triage on top");
    let rows = t.rows();
    assert_eq!(rows.len(), 1, "one row for the Deployment:\n{screen}");
    let began = newest_rollout(&tb, "staging", "web");
    assert!(!rows[0].estimated, "{rows:?}");
    assert!(
        (rows[0].start - began).abs() <= 60,
        "started when the rollout did ({began}): {rows:?}"
    );
    // Where it is healthy (dev and prod run the image before it), how it differs there.
    let elsewhere = h
        .pump_until(WAIT, |h| {
            h.screen(200, 60)
                .contains("; from there to here: image nginx:1.27 → nginx:1.28-rc1")
        })
        .await;
    assert!(elsewhere, "{}", h.screen(200, 60));
    // Expanded, the change is a row of its own; Enter on it shows the two templates.
    h.action(Action::Expand);
    let mut on_change = false;
    for _ in 0..20 {
        h.action(Action::Down);
        on_change = harness::selected_line(&h.app, 200, 60)
            .is_some_and(|l| l.contains("└ rollout") && l.contains("nginx:1.28-rc1"));
        if on_change {
            break;
        }
    }
    assert!(on_change, "{}", h.screen(200, 60));
    h.action(Action::Enter);
    assert_eq!(h.app.top().mode(), "diff", "{}", h.screen(200, 60));
    let diff = h.screen(200, 60);
    assert!(
        diff.contains("image: nginx:1.27") && diff.contains("image: nginx:1.28-rc1"),
        "{diff}"
    );
    assert!(diff.contains("revision "), "{diff}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_after_a_config_change_is_one_critical_row_naming_both() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::with_config(&tb.kubeconfig, &ALL, eager());
    h.command("triage");
    let screen = incident(&mut h, "prod", "api", "ConfigMap api-config changed").await;
    let t = h.app.top_as::<TriageScreen>().expect("triage on top");
    let rows = t.rows();
    assert_eq!(rows.len(), 1, "one row for the Deployment:\n{screen}");
    assert!(rows[0].critical, "its pods crash-loop: {rows:?}");
    let began = newest_rollout(&tb, "prod", "api");
    assert!(
        !rows[0].estimated && (rows[0].start - began).abs() <= 60,
        "started when the restart did ({began}): {rows:?}"
    );
    // The pods roll up: counted by what is wrong with them, with their events.
    let row = h.lines_with(&["deployment/api", "pod CrashLoopBackOff", "BackOff ×"]);
    assert_eq!(row.len(), 1, "{screen}");
    // Both changes, newest first: the restart, and the ConfigMap before it.
    let restart = screen
        .find(": restarted, label flotilla.dev/crashloop=true")
        .expect(&screen);
    let config = screen.find("ConfigMap api-config changed").expect(&screen);
    assert!(restart < config, "{screen}");
}

/// `kubectl get` row counts per cluster: (nodes, Ready nodes, pods).
fn kubectl_counts(tb: &common::Testbed, c: &str) -> (usize, usize, usize) {
    let nodes = tb.kubectl_ok(c, &["get", "nodes", "--no-headers"]);
    let ready = nodes
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|s| s.split(',').next() == Some("Ready"))
        })
        .count();
    let pods = tb.kubectl_ok(c, &["get", "pods", "-A", "--no-headers"]);
    (nodes.lines().count(), ready, pods.lines().count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_rows_show_what_kubectl_counts() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::new(&tb.kubeconfig, &ALL);
    assert!(
        h.app.top_as::<FleetScreen>().is_some(),
        "the fleet is the start screen"
    );
    let mut last = String::new();
    let ok = h
        .pump_until(WAIT, |h| {
            let ids = h.app.store.clusters.ids();
            let fleet = h.app.top_as::<FleetScreen>().expect("fleet on top");
            let mut all = true;
            last.clear();
            for id in ids {
                let Some(slot) = h.app.store.clusters.get(id) else {
                    continue;
                };
                let want = kubectl_counts(&tb, &slot.context);
                let got = fleet
                    .counts(id)
                    .map(|c| (c.nodes as usize, c.nodes_ready as usize, c.pods as usize));
                last.push_str(&format!(
                    "{}: kubectl {want:?} fleet {got:?}\n",
                    slot.context
                ));
                all &= got == Some(want);
            }
            // Every list in, not only nodes and pods: until then a cluster reads "syncing".
            all && h.lines_with(&["syncing"]).is_empty()
        })
        .await;
    assert!(ok, "{last}{}", h.screen(160, 20));
    let screen = h.screen(160, 20);
    for c in ALL {
        assert!(h.lines_with(&[c, "● ok", "v1.36"]).len() == 1, "{screen}");
    }
    assert!(screen.contains("TOTAL"), "{screen}");
    // Enter: that cluster's pods; `:` views stay on it; Esc comes back to the fleet.
    h.action(Action::Down);
    h.action(Action::Enter);
    let screen = h.screen(160, 20);
    assert!(screen.contains("@"), "scoped to one cluster: {screen}");
    h.command("deploy shop");
    let ok = h
        .pump_until(WAIT, |h| !h.lines_with(&["checkout"]).is_empty())
        .await;
    let screen = h.screen(160, 30);
    assert!(ok, "{screen}");
    let body: Vec<&str> = screen.lines().skip(1).collect();
    assert!(
        body[0].contains("@") && !body.iter().any(|l| l.contains("CLUSTER ")),
        "one cluster, no CLUSTER column:\n{screen}"
    );
    h.action(Action::Back);
    assert!(
        h.app.top_as::<FleetScreen>().is_some(),
        "Esc returns to the fleet"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_all_clusters_are_merged_and_filterable() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::new(&tb.kubeconfig, &ALL);
    h.command("events");
    // Filtered: on a busy testbed the newest events of other objects fill a screen.
    h.filter("crasher");
    let ok = h
        .pump_until(WAIT, |h| {
            ALL.iter()
                .all(|c| !h.lines_with(&[c, "BackOff", "pod/crasher"]).is_empty())
        })
        .await;
    assert!(ok, "{}", h.screen(160, 60));
    h.command("events");
    h.filter("type:warning kind:job");
    let screen = h.screen(160, 40);
    assert!(screen.contains("BackoffLimitExceeded"), "{screen}");
    assert!(
        !screen.contains("pod/crasher") && !screen.contains("Normal"),
        "{screen}"
    );
    h.command("events");
    h.filter("crasher");
    h.action(Action::Collapse);
    let rows = h.lines_with(&["pod/crasher", "Warning"]);
    assert_eq!(
        rows.len(),
        3,
        "one row per cluster's crasher:\n{}",
        h.screen(160, 60)
    );
    // In 120 columns REASON and OBJECT are whole.
    h.command("events");
    h.filter("reason:FailedGetResourceMetric");
    let screen = h.screen(120, 40);
    assert!(
        screen.contains("FailedGetResourceMetric")
            && screen.contains("horizontalpodautoscaler/api"),
        "{screen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_ranks_every_clusters_usage() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::new(&tb.kubeconfig, &ALL);
    h.command("top");
    h.filter("postgres-0");
    for c in ALL {
        // metrics-server is part of the testbed: its APIService is registered on every cluster.
        let served = tb.kubectl(c, &["get", "apiservice", "v1beta1.metrics.k8s.io"]);
        assert!(
            served.status.success(),
            "{c} serves metrics.k8s.io: {}",
            String::from_utf8_lossy(&served.stderr)
        );
        // kubectl top sees the seeded postgres-0: so does flotilla, on that cluster's row.
        // metrics.k8s.io may be briefly unavailable (its APIService is checked by the
        // aggregator; a busy machine misses a check): wait for kubectl to answer, as
        // `tb wait-metrics` does.
        let top = common::eventually(Duration::from_secs(120), "kubectl top", || async {
            let out = tb.kubectl(
                c,
                &["top", "pod", "postgres-0", "-n", "data", "--no-headers"],
            );
            out.status
                .success()
                .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
        })
        .await;
        assert!(top.contains("postgres-0"), "{top}");
        let ok = h
            .pump_until(Duration::from_secs(120), |h| {
                h.lines_with(&[c, "data", "postgres-0"])
                    .iter()
                    .any(|l| l.contains("m ") && l.contains("Mi"))
            })
            .await;
        assert!(ok, "{c}: usage listed:\n{}", h.screen(160, 60));
    }
    // The pod list has usage columns.
    h.command("pods shop");
    let ok = h
        .pump_until(WAIT, |h| {
            !h.lines_with(&["crasher"]).is_empty() && h.screen(200, 30).contains(" CPU ")
        })
        .await;
    assert!(ok, "{}", h.screen(200, 30));
}
