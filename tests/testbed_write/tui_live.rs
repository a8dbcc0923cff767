//! The browser against real testbed clusters (`dev` and `staging`): merged lists, live
//! updates, drill-down and describe, broken contexts.

use crate::common;
use crate::harness;

use harness::Harness;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merged_pod_list_shows_both_clusters_with_kubectl_status() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::new(&tb.kubeconfig, &["dev", "staging"]);
    h.command("pods shop");
    let ok = h
        .pump_until(WAIT, |h| {
            let crash = h.lines_with(&["crasher", "CrashLoopBackOff"]);
            let pending = h.lines_with(&["unschedulable", "Pending"]);
            ["dev ", "staging "].iter().all(|c| {
                crash.iter().any(|l| l.contains(c)) && pending.iter().any(|l| l.contains(c))
            })
        })
        .await;
    let screen = h.screen(200, 60);
    assert!(
        ok,
        "both clusters' crash-looping and pending pods on one screen:\n{screen}"
    );
    assert!(
        screen.contains("CLUSTER") && screen.contains("RESTARTS") && !screen.contains("NAMESPACE"),
        "{screen}"
    );
    assert!(!screen.contains(" prod "), "prod is not live:\n{screen}");
    // All namespaces: the NAMESPACE column appears, as with kubectl -A.
    h.action(flotilla::model::Action::AllNamespaces);
    assert!(
        h.screen(200, 60).contains("NAMESPACE"),
        "{}",
        h.screen(200, 60)
    );
    h.command("pods shop");
    // The filter narrows the merged list to the crash-looping pods of both clusters.
    h.filter("crash");
    let screen = h.screen(200, 60);
    let rows: Vec<_> = screen.lines().filter(|l| l.contains("crasher")).collect();
    assert_eq!(rows.len(), 2, "{screen}");
    assert!(!screen.contains("unschedulable"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_pod_appears_and_deleted_pod_disappears_without_input() {
    let Some(tb) = common::testbed() else { return };
    let name = format!("live-{}", std::process::id());
    // Gone however the test ends, should it fail before deleting the pod itself.
    let mut made = common::Cleanup::new(&tb);
    made.delete(
        "staging",
        &["-n", "shop", "pod", &name, "--grace-period=0", "--force"],
    );
    let mut h = Harness::new(&tb.kubeconfig, &["dev", "staging"]);
    h.command("pods shop");
    assert!(
        h.pump_until(WAIT, |h| !h.lines_with(&["crasher"]).is_empty())
            .await,
        "{}",
        h.screen(160, 40)
    );
    let out = tb.kubectl(
        "staging",
        &[
            "-n",
            "shop",
            "run",
            &name,
            "--image=registry.example.com/live:1",
            "--restart=Never",
            "--labels=app=live-test",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let appeared = h
        .pump_until(WAIT, |h| !h.lines_with(&[&name, "staging"]).is_empty())
        .await;
    let screen = h.screen(200, 60);
    let out = tb.kubectl(
        "staging",
        &[
            "-n",
            "shop",
            "delete",
            "pod",
            &name,
            "--grace-period=0",
            "--force",
            "--wait=false",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(appeared, "new pod shows up:\n{screen}");
    let gone = h
        .pump_until(WAIT, |h| h.lines_with(&[&name]).is_empty())
        .await;
    assert!(gone, "deleted pod disappears:\n{}", h.screen(200, 60));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_drills_into_its_pods_and_describes() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command("deploy shop");
    assert!(
        h.pump_until(WAIT, |h| !h.lines_with(&["cart", "0/2"]).is_empty())
            .await,
        "{}",
        h.screen(160, 40)
    );
    h.filter("cart");
    h.action(flotilla::model::Action::Enter);
    let drilled = h
        .pump_until(WAIT, |h| {
            let s = h.screen(200, 60);
            s.contains("deployment/cart") && s.lines().filter(|l| l.contains("cart-")).count() == 2
        })
        .await;
    assert!(drilled, "{}", h.screen(200, 60));
    let screen = h.screen(200, 60);
    assert!(
        !screen.contains("web-"),
        "only the deployment's pods:\n{screen}"
    );
    h.action(flotilla::model::Action::Describe);
    let described = h
        .pump_until(WAIT, |h| h.screen(200, 60).contains("Controlled By:"))
        .await;
    assert!(described, "{}", h.screen(200, 60));
    h.action(flotilla::model::Action::Back);
    h.action(flotilla::model::Action::Back);
    assert!(
        h.screen(200, 60).contains("deployments(shop)"),
        "Esc goes back:\n{}",
        h.screen(200, 60)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_context_shows_its_error_and_the_rest_work() {
    let Some(tb) = common::testbed() else { return };
    // A copy of the testbed kubeconfig plus a context whose client certificate file is gone.
    let text = std::fs::read_to_string(&tb.kubeconfig).expect("read kubeconfig");
    let mut kc: serde_json::Value = serde_saphyr::from_str(&text).expect("kubeconfig parses");
    let users = kc["users"].as_array_mut().expect("users");
    users.push(serde_json::json!({"name": "ghost", "user": {"client-certificate": "/nonexistent/ghost.crt", "client-key": "/nonexistent/ghost.key"}}));
    let contexts = kc["contexts"].as_array_mut().expect("contexts");
    contexts.push(
        serde_json::json!({"name": "broken", "context": {"cluster": "dev", "user": "ghost"}}),
    );
    let dir = std::env::temp_dir().join(format!("flotilla-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join("kubeconfig");
    std::fs::write(&path, serde_json::to_string(&kc).expect("json")).expect("write kubeconfig");

    let mut h = Harness::new(&path, &["broken", "dev"]);
    h.command("pods shop");
    let ok = h
        .pump_until(WAIT, |h| {
            let s = h.screen(200, 60);
            s.contains("broken unreachable")
                && s.contains("client-certificate /nonexistent/ghost.crt does not exist")
                && !h.lines_with(&["dev", "crasher"]).is_empty()
        })
        .await;
    assert!(
        ok,
        "broken context shows why, dev still lists pods:\n{}",
        h.screen(200, 60)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_limited_context_falls_back_to_its_namespace_and_shows_forbidden() {
    let Some(tb) = common::testbed() else { return };
    let viewer = tb.kubeconfig.with_file_name("kubeconfig-viewer");
    assert!(viewer.is_file(), "testbed writes {}", viewer.display());
    let mut h = Harness::new(&viewer, &["dev-viewer"]);
    // Cluster-wide pod lists are forbidden; the context's namespace (shop) is allowed.
    let pods = h
        .pump_until(WAIT, |h| {
            !h.lines_with(&["crasher", "CrashLoopBackOff"]).is_empty()
        })
        .await;
    assert!(
        pods,
        "pods of the context namespace are listed:\n{}",
        h.screen(200, 60)
    );
    h.command("deploy");
    let forbidden = h
        .pump_until(WAIT, |h| {
            let header = h.header();
            header.contains("dev-viewer degraded") && header.contains("forbidden")
        })
        .await;
    assert!(
        forbidden,
        "deployments are forbidden to the viewer:\n{}",
        h.screen(200, 60)
    );
    h.command("ctx");
    let who = h
        .pump_until(WAIT, |h| {
            h.screen(200, 60)
                .contains("system:serviceaccount:shop:viewer")
        })
        .await;
    assert!(
        who,
        "identity from SelfSubjectReview:\n{}",
        h.screen(200, 60)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_resources_show_printer_columns_and_crds_drill_into_instances() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    // The short name comes from discovery, not from a built-in table.
    let discovered = h
        .pump_until(WAIT, |h| {
            h.app
                .known_resources()
                .iter()
                .any(|r| r.short_names.iter().any(|s| s == "db"))
        })
        .await;
    assert!(discovered, "discovery finds the Database CRD");
    h.command("db -A");
    let listed = h
        .pump_until(WAIT, |h| !h.lines_with(&["orders"]).is_empty())
        .await;
    let screen = h.screen(200, 60);
    assert!(listed, "{screen}");
    assert!(
        screen.contains("ENGINE") && screen.contains("PHASE"),
        "additionalPrinterColumns:\n{screen}"
    );
    h.command("crd");
    assert!(
        h.pump_until(WAIT, |h| !h
            .lines_with(&["databases.demo.flotilla.dev"])
            .is_empty())
            .await
    );
    h.filter("databases");
    h.action(flotilla::model::Action::Enter);
    let drilled = h
        .pump_until(WAIT, |h| {
            h.screen(200, 60).contains("databases") && !h.lines_with(&["sessions"]).is_empty()
        })
        .await;
    assert!(drilled, "CRD → its instances:\n{}", h.screen(200, 60));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contexts_view_adds_a_cluster_to_the_live_set() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command("pods shop");
    assert!(
        h.pump_until(WAIT, |h| !h.lines_with(&["crasher"]).is_empty())
            .await
    );
    assert!(h.lines_with(&["staging", "crasher"]).is_empty());
    h.command("ctx");
    h.filter("staging");
    h.action(flotilla::model::Action::ToggleContext);
    h.action(flotilla::model::Action::Back);
    h.action(flotilla::model::Action::Back);
    let added = h
        .pump_until(WAIT, |h| !h.lines_with(&["staging", "crasher"]).is_empty())
        .await;
    assert!(
        added,
        "staging joins without a restart:\n{}",
        h.screen(200, 60)
    );
    assert!(
        h.screen(200, 60)
            .lines()
            .next()
            .unwrap_or_default()
            .contains("staging")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_contexts_keep_the_header_to_one_line_at_80x24() {
    let Some(tb) = common::testbed() else { return };
    // The three clusters under several context names each, plus one that cannot connect.
    let text = std::fs::read_to_string(&tb.kubeconfig).expect("read kubeconfig");
    let mut kc: serde_json::Value = serde_saphyr::from_str(&text).expect("kubeconfig parses");
    let originals = kc["contexts"].as_array().expect("contexts").clone();
    let contexts = kc["contexts"].as_array_mut().expect("contexts");
    let mut names: Vec<String> = Vec::new();
    for i in 0..11 {
        let mut c = originals[i % originals.len()].clone();
        let name = format!("{}-{i}", c["name"].as_str().unwrap_or("ctx"));
        c["name"] = serde_json::Value::String(name.clone());
        contexts.push(c);
        names.push(name);
    }
    let user = originals[0]["context"]["user"].clone();
    contexts.push(
        serde_json::json!({"name": "dr-site", "context": {"cluster": "nowhere", "user": user}}),
    );
    names.push("dr-site".into());
    kc["clusters"]
        .as_array_mut()
        .expect("clusters")
        .push(serde_json::json!({"name": "nowhere", "cluster": {"server": "https://127.0.0.1:9"}}));
    let dir = std::env::temp_dir().join(format!("flotilla-twelve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join("kubeconfig");
    std::fs::write(&path, serde_json::to_string(&kc).expect("json")).expect("write kubeconfig");

    let live: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(live.len(), 12);
    let mut h = Harness::new(&path, &live);
    let ok = h
        .pump_until(WAIT, |h| {
            h.screen(80, 24)
                .lines()
                .next()
                .is_some_and(|l| l.contains("11 ok") && l.contains("✖ dr-site"))
        })
        .await;
    let screen = h.screen(80, 24);
    assert!(ok, "{screen}");
    let lines: Vec<&str> = screen.lines().collect();
    assert!(
        lines[0].starts_with("flotilla 12 clusters: 11 ok · 1 unreachable │ ✖ dr-site"),
        "{screen}"
    );
    assert!(
        lines[1].starts_with('┌'),
        "the header is one line:\n{screen}"
    );
}
