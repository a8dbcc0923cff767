//! Drift between the testbed's clusters through the TUI, as a user reads it: `:diff` of one
//! Deployment (staging runs `shop/web` with 3 replicas and its bad rollout's image, prod with
//! 5 and the image before it), of the whole `shop`
//! namespace, of two marked rows with the diff key, of an object only one cluster has, and a
//! command naming a cluster that is not there. Read-only: nothing on the clusters changes.

use crate::common;
use crate::harness;

use flotilla::key::KeyCode;
use flotilla::model::Action;
use harness::Harness;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);
const CONTEXTS: [&str; 2] = ["staging", "prod"];

fn flash(h: &Harness) -> String {
    h.app
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default()
}

/// A harness on staging and prod, once both are connected and discovered.
async fn harness(tb: &common::Testbed) -> Harness {
    let mut h = Harness::new(&tb.kubeconfig, &CONTEXTS);
    let ready = h
        .pump_until(WAIT, |h| {
            h.app
                .store
                .clusters
                .iter()
                .all(|s| s.connected && !s.resources.is_empty())
        })
        .await;
    assert!(ready, "staging and prod connect:\n{}", h.screen(200, 60));
    h
}

/// Waits for the object diff to have both sides (its status line says how they compare).
async fn settled(h: &mut Harness) -> String {
    let ok = h
        .pump_until(WAIT, |h| {
            let s = h.screen(200, 60);
            s.contains("changed lines between") || s.contains("only on") || s.contains("no drift")
        })
        .await;
    let screen = h.screen(200, 60);
    assert!(ok, "the diff settles:\n{screen}");
    screen
}

/// The Deployment's cleaned diff: replicas 3 on staging against 5 on prod, and staging's
/// rollout to nginx:1.28-rc1 (image, its not-ready label, the change-cause) against prod's
/// nginx:1.27 (the side named first in the title is on the left), nothing per cluster.
fn assert_web_diff(wide: &str, narrow: &str) {
    let staging_left = !wide.contains("prod ↔ staging");
    for (staging, prod) in [
        ("replicas: 3", "replicas: 5"),
        ("image: nginx:1.28-rc1", "image: nginx:1.27"),
    ] {
        let (left, right) = match staging_left {
            true => (format!("- {staging}"), format!("+ {prod}")),
            false => (format!("- {prod}"), format!("+ {staging}")),
        };
        let has = |l: &str, text: &str| {
            l.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .contains(text)
        };
        assert!(
            wide.lines().any(|l| has(l, &left) && has(l, &right)),
            "side by side at 200 columns:\n{wide}"
        );
        assert!(
            narrow.lines().any(|l| has(l, &left)) && narrow.lines().any(|l| has(l, &right)),
            "unified at 100 columns:\n{narrow}"
        );
    }
    for screen in [wide, narrow] {
        assert!(
            screen.contains("7 changed lines between"),
            "only the replicas and the rollout differ:\n{screen}"
        );
        for gone in [
            "uid:",
            "resourceVersion",
            "status:",
            "managedFields",
            "creationTimestamp",
            "deployment.kubernetes.io/revision",
            "readyReplicas",
        ] {
            assert!(!screen.contains(gone), "{gone} on screen:\n{screen}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_deployment_by_command() {
    let Some(tb) = common::testbed() else { return };
    let mut h = harness(&tb).await;
    h.command("diff deploy/web -n shop @staging @prod");
    assert_eq!(h.app.top().mode(), "diff", "{}", flash(&h));
    let wide = settled(&mut h).await;
    assert!(
        wide.contains("diff deployment/web in shop: staging ↔ prod"),
        "{wide}"
    );
    assert!(
        wide.contains("changed lines between staging and prod"),
        "{wide}"
    );
    let narrow = h.screen(100, 60);
    assert_web_diff(&wide, &narrow);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_marked_rows_and_the_diff_key() {
    let Some(tb) = common::testbed() else { return };
    let mut h = harness(&tb).await;
    h.command("deploy shop");
    h.filter("web");
    let rows = h
        .pump_until(WAIT, |h| {
            // Rows, not the title (which may say "prod: syncing…").
            h.screen(200, 20)
                .lines()
                .filter(|l| {
                    let words: Vec<&str> = l.split_whitespace().collect();
                    matches!(words.as_slice(), ["│staging" | "│prod", "web", ..])
                })
                .count()
                == 2
        })
        .await;
    assert!(rows, "web on staging and prod:\n{}", h.screen(200, 60));
    h.key(KeyCode::Char(' '));
    h.key(KeyCode::Char(' '));
    assert_eq!(h.app.shared.marks.len(), 2, "{}", h.screen(200, 20));
    h.key(KeyCode::Char('D'));
    assert_eq!(h.app.top().mode(), "diff", "{}", flash(&h));
    let wide = settled(&mut h).await;
    assert!(wide.contains("diff deployment/web in shop:"), "{wide}");
    let narrow = h.screen(100, 60);
    assert_web_diff(&wide, &narrow);

    // Without marks the key says what it needs, and opens nothing.
    h.key(KeyCode::Esc);
    h.action(Action::ClearMarks);
    h.key(KeyCode::Char('D'));
    assert_eq!(h.app.top().mode(), "table");
    assert!(
        flash(&h).starts_with("diff: mark two objects (space)"),
        "{}",
        flash(&h)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shop_namespace() {
    let Some(tb) = common::testbed() else { return };
    let mut h = harness(&tb).await;
    h.command("diff ns/shop @staging @prod");
    assert_eq!(h.app.top().mode(), "diff", "{}", flash(&h));
    let done = h
        .pump_until(WAIT, |h| h.screen(200, 60).contains(" drifted, "))
        .await;
    let screen = h.screen(200, 60);
    assert!(done, "every list answers:\n{screen}");
    let row = |kind: &str, name: &str| {
        screen
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .find(|l| l.contains(&format!("{kind} {name} ")))
            .unwrap_or_default()
    };
    for name in ["web", "api"] {
        assert!(
            row("Deployment", name).contains("changed line"),
            "Deployment {name} drifted:\n{screen}"
        );
    }
    // The seed sets CLUSTER and FEATURE_FLAGS per cluster; the Services' allocated
    // addresses and node ports are the clusters' own, so the Services read equal.
    assert!(
        row("ConfigMap", "web-config").contains("4 changed lines"),
        "web-config drifted:\n{screen}"
    );
    for name in ["web", "web-nodeport", "web-lb"] {
        assert!(
            row("Service", name).contains("equal"),
            "Service {name} the same:\n{screen}"
        );
    }
    assert!(
        !screen.contains("kube-root-ca.crt"),
        "the clusters' own CA is not compared:\n{screen}"
    );

    // Enter on a row: that object's diff, from the objects as listed.
    h.filter("deployment web");
    h.key(KeyCode::Enter);
    let wide = settled(&mut h).await;
    assert!(
        wide.contains("diff deployment/web in shop: staging ↔ prod"),
        "{wide}"
    );
    let narrow = h.screen(100, 60);
    assert_web_diff(&wide, &narrow);

    // A Secret: that its password differs, never the values (the seed's are base64 of
    // "s3cr3t-staging" and "s3cr3t-prod"). Esc leaves the diff, Esc clears the filter.
    h.key(KeyCode::Esc);
    h.key(KeyCode::Esc);
    h.filter("db-credentials");
    h.key(KeyCode::Enter);
    let screen = settled(&mut h).await;
    assert!(
        screen.contains("diff secret/db-credentials in shop: staging ↔ prod"),
        "{screen}"
    );
    assert!(
        screen.contains("password: •••••••• (staging's value)")
            && screen.contains("password: •••••••• (prod's value)"),
        "{screen}"
    );
    assert!(
        !screen.contains("czNjcjN0") && !screen.contains("s3cr3t"),
        "no value shown:\n{screen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_on_one_cluster_only() {
    let Some(tb) = common::testbed() else { return };
    let mut h = harness(&tb).await;
    h.command("diff deploy/locust -n loadtest @staging @prod");
    let screen = settled(&mut h).await;
    assert!(
        screen.contains("only on staging: prod has no deployment/locust in loadtest"),
        "{screen}"
    );
    assert!(
        screen.contains("- kind: Deployment") || screen.contains("-   name: locust"),
        "staging's object, all on one side:\n{screen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_command_says_why_in_one_line() {
    let Some(tb) = common::testbed() else { return };
    let mut h = harness(&tb).await;
    let before = h.app.top().mode();
    for (line, want) in [
        (
            "diff deploy/web @nonexistent @prod",
            "diff: no live cluster \"nonexistent\" (see :ctx)",
        ),
        (
            "diff deploy/web -n shop @prod",
            "diff: name two clusters (@A @B), not 1",
        ),
        (
            "diff nosuchkind/web @staging @prod",
            "diff: unknown resource \"nosuchkind\"",
        ),
    ] {
        h.app.flash = None;
        h.command(line);
        let said = flash(&h);
        assert_eq!(said, want, "{line}");
        assert!(!said.contains('\n'));
        assert_eq!(h.app.top().mode(), before, "{line}: nothing opened");
        assert!(h.screen(200, 60).contains(want), "{line}: on screen");
    }
}
