//! `d` against `kubectl describe` of the same seeded objects: the sections kubectl prints come
//! in the same order in flotilla's describe (what a user sees, driven through the real app),
//! and the values an incident turns on are the same.

use crate::common;
use crate::harness;

use flotilla::model::Action;
use harness::Harness;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

/// The describe text flotilla shows for the object named `name` in the list `command` opens,
/// once every related fetch has answered.
async fn flotilla_describe(h: &mut Harness, command: &str, name: &str) -> String {
    h.command(command);
    let pattern = format!(r"(^|\s){}\s", regex_escape(name));
    let listed = h
        .pump_until(WAIT, |h| {
            h.screen(200, 60)
                .lines()
                .any(|l| l.split_whitespace().any(|w| w.trim_matches('│') == name))
        })
        .await;
    assert!(listed, "{name} listed by :{command}\n{}", h.screen(200, 60));
    h.filter(&pattern);
    describe_selected(h).await
}

async fn describe_selected(h: &mut Harness) -> String {
    h.action(Action::Describe);
    let mut text = String::new();
    let done = h
        .pump_until(WAIT, |h| {
            h.action(Action::Copy);
            text = h.copied.last().cloned().unwrap_or_default();
            text.contains("Events:") && !text.contains("loading…")
        })
        .await;
    assert!(done, "describe settles:\n{text}\n{}", h.screen(200, 60));
    text
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                vec![c]
            } else {
                vec!['\\', c]
            }
        })
        .collect()
}

/// kubectl's top-level keys and section titles (`Status:`, `Containers:`, `Events:`): lines
/// at column 0, up to their colon.
fn headers(kubectl: &str) -> Vec<String> {
    kubectl
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with('\t'))
        .filter_map(|l| l.find(':').map(|i| l[..=i].to_string()))
        .collect()
}

/// Each header found at column 0 in `ours`, in the same order.
fn assert_same_order(kind: &str, kubectl: &str, ours: &str) {
    let lines: Vec<&str> = ours.lines().collect();
    let mut at = 0;
    for h in headers(kubectl) {
        match lines[at..].iter().position(|l| l.starts_with(&h)) {
            Some(i) => at += i + 1,
            None => panic!(
                "{kind}: kubectl's {h:?} missing or out of order (after line {at}).\n--- kubectl\n{kubectl}\n--- flotilla\n{ours}"
            ),
        }
    }
}

/// Every value of `key` (at any indent), whitespace collapsed.
fn values(text: &str, key: &str) -> Vec<String> {
    let prefix = format!("{key}:");
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix(&prefix))
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// The rows under the line that starts (after its indent) with `title`: the lines indented
/// deeper than it, as words.
fn table(text: &str, title: &str) -> Vec<Vec<String>> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut lines = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with(title));
    let Some(head) = lines.next() else {
        return Vec::new();
    };
    lines
        .take_while(|l| !l.trim().is_empty() && indent(l) > indent(head))
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// `(Type, Reason)` of each event, sorted.
fn events(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = table(text, "Events:")
        .into_iter()
        .filter(|r| r.len() >= 2 && r[0] != "Type" && !r[0].starts_with('-'))
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// What must agree between the two texts: the values of `keys`, the first `cols` words of
/// each row of the tables under `tables`, and the events.
struct Facts {
    keys: &'static [&'static str],
    tables: &'static [(&'static str, usize)],
}

fn facts(f: &Facts, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for k in f.keys {
        out.push(format!("{k}: {:?}", values(text, k)));
    }
    for (t, cols) in f.tables {
        for row in table(text, t) {
            out.push(format!(
                "{t} {:?}",
                row.iter().take(*cols).collect::<Vec<_>>()
            ));
        }
    }
    out.push(format!("events {:?}", events(text)));
    out
}

/// Describes one object both ways and compares. The seeded objects keep changing (the crasher
/// restarts every few seconds), so a comparison counts only when kubectl said the same before
/// and after flotilla's describe.
#[allow(clippy::too_many_arguments)]
async fn compare(
    tb: &common::Testbed,
    context: &'static str,
    command: &str,
    kubectl_args: &[&str],
    name: &str,
    f: Facts,
    must_show: &[&str],
) {
    let mut h = Harness::new(&tb.kubeconfig, &[context]);
    let mut args = vec!["describe"];
    args.extend_from_slice(kubectl_args);
    let mut first = true;
    for attempt in 0..6 {
        let before = tb.kubectl_ok(context, &args);
        let ours = if first {
            first = false;
            flotilla_describe(&mut h, command, name).await
        } else {
            h.action(Action::Back);
            describe_selected(&mut h).await
        };
        let after = tb.kubectl_ok(context, &args);
        let (fb, fa) = (facts(&f, &before), facts(&f, &after));
        if fb != fa {
            eprintln!("attempt {attempt}: {name} changed under kubectl, again");
            continue;
        }
        // Every fact asked for is there to compare: an absent one would agree vacuously.
        for k in f.keys {
            assert!(
                !values(&before, k).is_empty(),
                "{name}: kubectl shows no {k:?}:\n{before}"
            );
        }
        for (t, _) in f.tables {
            assert!(
                !table(&before, t).is_empty(),
                "{name}: kubectl shows no {t:?} table:\n{before}"
            );
        }
        assert_same_order(name, &before, &ours);
        let mine = facts(&f, &ours);
        assert_eq!(
            mine, fb,
            "{name}: flotilla (left) and kubectl (right) disagree\n--- kubectl\n{before}\n--- flotilla\n{ours}"
        );
        for s in must_show {
            assert!(before.contains(s), "kubectl shows {s:?}:\n{before}");
            assert!(ours.contains(s), "flotilla shows {s:?}:\n{ours}");
        }
        return;
    }
    panic!("{name} never held still long enough to compare");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_looping_pod() {
    let Some(tb) = common::testbed() else { return };
    let f = Facts {
        keys: &[
            "Status",
            "Node",
            "Restart Count",
            "Reason",
            "Exit Code",
            "Ready",
            "State",
            "Last State",
            "QoS Class",
            "Image",
            "Command",
        ],
        tables: &[("Conditions:", 2), ("Limits:", 2), ("Requests:", 2)],
    };
    let args = ["pod", "crasher", "-n", "shop"];
    compare(
        &tb,
        "dev",
        "pods shop",
        &args,
        "crasher",
        f,
        &["CrashLoopBackOff"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_pod() {
    let Some(tb) = common::testbed() else { return };
    let f = Facts {
        keys: &[
            "Status",
            "Node",
            "Node-Selectors",
            "Tolerations",
            "QoS Class",
            "IPs",
        ],
        tables: &[("Conditions:", 2)],
    };
    let args = ["pod", "unschedulable", "-n", "shop"];
    let show = ["FailedScheduling", "disktype=nvme"];
    compare(&tb, "dev", "pods shop", &args, "unschedulable", f, &show).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment() {
    let Some(tb) = common::testbed() else { return };
    let f = Facts {
        keys: &[
            "Replicas",
            "StrategyType",
            "RollingUpdateStrategy",
            "Selector",
            "NewReplicaSet",
            "OldReplicaSets",
            "Image",
        ],
        tables: &[("Conditions:", 3)],
    };
    let args = ["deployment", "web", "-n", "shop"];
    compare(&tb, "dev", "deploy shop", &args, "web", f, &["2 desired |"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_node() {
    let Some(tb) = common::testbed() else { return };
    let f = Facts {
        keys: &[
            "Roles",
            "Taints",
            "Unschedulable",
            "Non-terminated Pods",
            "HolderIdentity",
        ],
        tables: &[
            ("Conditions:", 2),
            ("Addresses:", 2),
            ("Capacity:", 2),
            ("Allocatable:", 2),
            ("Allocated resources:", 5),
        ],
    };
    let args = ["node", "dev-node-0"];
    compare(
        &tb,
        "dev",
        "nodes",
        &args,
        "dev-node-0",
        f,
        &["Allocated resources:"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_node() {
    let Some(tb) = common::testbed() else { return };
    let f = Facts {
        keys: &["Roles", "Taints", "Unschedulable", "Non-terminated Pods"],
        tables: &[("Conditions:", 3), ("Allocated resources:", 5)],
    };
    let args = ["node", "prod-node-broken"];
    let show = ["Allocated resources:"];
    compare(&tb, "prod", "nodes", &args, "prod-node-broken", f, &show).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service() {
    let Some(tb) = common::testbed() else { return };
    let f = Facts {
        keys: &[
            "Type",
            "IP",
            "IPs",
            "Port",
            "TargetPort",
            "Endpoints",
            "Selector",
            "Session Affinity",
        ],
        tables: &[],
    };
    let args = ["service", "web", "-n", "shop"];
    compare(&tb, "dev", "svc shop", &args, "web", f, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_claim() {
    let Some(tb) = common::testbed() else { return };
    let f = Facts {
        keys: &[
            "Status",
            "StorageClass",
            "Volume",
            "Capacity",
            "Access Modes",
            "Used By",
        ],
        tables: &[],
    };
    let args = ["pvc", "scratch", "-n", "data"];
    compare(&tb, "dev", "pvc data", &args, "scratch", f, &["Pending"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_job() {
    let Some(tb) = common::testbed() else { return };
    let f = Facts {
        keys: &[
            "Completions",
            "Pods Statuses",
            "Backoff Limit",
            "Parallelism",
            "Selector",
        ],
        tables: &[],
    };
    let args = ["job", "report-fail", "-n", "batch"];
    compare(&tb, "dev", "jobs batch", &args, "report-fail", f, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autoscaler() {
    let Some(tb) = common::testbed() else { return };
    let f = Facts {
        keys: &[
            "Reference",
            "Min replicas",
            "Max replicas",
            "Deployment pods",
        ],
        tables: &[("Conditions:", 3), ("Metrics:", 8)],
    };
    let args = ["hpa", "api", "-n", "shop"];
    compare(&tb, "dev", "hpa shop", &args, "api", f, &[]).await;
}
