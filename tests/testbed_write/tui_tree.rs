//! `:tree` against the testbed, checked against kubectl: a Deployment down to its pods and
//! their nodes, with the Service selecting them and the ConfigMap they read; a StatefulSet
//! with its claims; a CronJob with the Job made from it and that Job's pod; the same
//! Deployment on two clusters side by side.

use crate::common;
use crate::harness;

use flotilla::model::Action;
use flotilla::screens::tree::TreeScreen;
use harness::Harness;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// Waits until the tree on top has every one of `want` as a line; returns its lines.
async fn tree_with(h: &mut Harness, want: &[String]) -> Vec<String> {
    let lines = |h: &Harness| {
        h.app
            .top_as::<TreeScreen>()
            .map(TreeScreen::lines)
            .unwrap_or_default()
    };
    let ok = h
        .pump_until(WAIT, |h| {
            let have = lines(h);
            want.iter().all(|w| have.contains(w))
        })
        .await;
    let have = lines(h);
    assert!(ok, "want {want:?}\nhave {have:?}\n{}", h.screen(160, 50));
    have
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_down_to_the_nodes_its_pods_run_on() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command("tree deploy/web -n shop @dev");
    assert_eq!(h.app.top().mode(), "tree");
    let current = tb.kubectl_ok(
        "dev",
        &[
            "-n",
            "shop",
            "get",
            "rs",
            "-l",
            "app=web",
            "-o",
            "jsonpath={range .items[?(@.spec.replicas>0)]}{.metadata.name}{end}",
        ],
    );
    let pods = tb.kubectl_ok(
        "dev",
        &[
            "-n",
            "shop",
            "get",
            "pods",
            "-l",
            "app=web",
            "-o",
            "jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName}{\"\\n\"}{end}",
        ],
    );
    let mut want = vec![
        "deployment/web".to_string(),
        "└─ selected by service/web".to_string(),
        "└─ uses configmap/web-config".to_string(),
        format!("└─ replicaset/{current}"),
    ];
    for line in pods.lines() {
        let (pod, node) = line.split_once(' ').expect("name and node");
        want.push(format!("   └─ pod/{pod}"));
        want.push(format!("      └─ on node/{node}"));
    }
    let lines = tree_with(&mut h, &want).await;
    // Each pod under the ReplicaSet, each node under its pod.
    let at = |w: &str| lines.iter().position(|l| l == w).expect(w);
    for line in pods.lines() {
        let (pod, node) = line.split_once(' ').expect("name and node");
        let p = at(&format!("   └─ pod/{pod}"));
        assert!(p > at(&format!("└─ replicaset/{current}")), "{lines:?}");
        assert_eq!(
            lines[p + 1],
            format!("      └─ on node/{node}"),
            "{lines:?}"
        );
    }
    // Enter on a line goes to that object's list, the cursor on it.
    h.action(Action::Down);
    h.action(Action::Enter);
    let ok = h
        .pump_until(WAIT, |h| {
            harness::selected_line(&h.app, 160, 40).is_some_and(|l| l.contains("web"))
        })
        .await;
    assert!(ok, "{}", h.screen(160, 40));
    assert_eq!(h.app.top().mode(), "table");
    // And `x` on that row (the Service) opens its tree.
    h.key(flotilla::key::KeyCode::Char('x'));
    assert_eq!(h.app.top().mode(), "tree", "{}", h.screen(160, 40));
    tree_with(&mut h, &["service/web".to_string()]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statefulset_with_its_claims_and_a_cronjob_with_its_jobs() {
    let Some(tb) = common::testbed() else { return };
    let ns = common::Scratch::new(&tb, "dev", format!("tree-{}", std::process::id()));
    let manifest = format!(
        r#"{{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{{"name":"db","namespace":"{ns}"}},
        "spec":{{"serviceName":"db","replicas":2,"podManagementPolicy":"Parallel","selector":{{"matchLabels":{{"app":"db"}}}},
        "template":{{"metadata":{{"labels":{{"app":"db"}}}},"spec":{{"containers":[{{"name":"db","image":"postgres:16.3",
          "volumeMounts":[{{"name":"data","mountPath":"/data"}}]}}]}}}},
        "volumeClaimTemplates":[{{"metadata":{{"name":"data"}},"spec":{{"accessModes":["ReadWriteOnce"],
          "resources":{{"requests":{{"storage":"1Gi"}}}}}}}}]}}}}"#,
        ns = ns.name
    );
    let file = std::env::temp_dir().join(format!("tree-sts-{}.json", std::process::id()));
    std::fs::write(&file, manifest).expect("manifest");
    tb.kubectl_ok("dev", &["apply", "-f", &file.to_string_lossy()]);
    tb.kubectl_ok(
        "dev",
        &[
            "-n",
            &ns.name,
            "create",
            "cronjob",
            "nightly",
            "--image=busybox:1.36",
            "--schedule=0 3 * * *",
        ],
    );
    tb.kubectl_ok(
        "dev",
        &[
            "-n",
            &ns.name,
            "create",
            "job",
            "nightly-manual",
            "--from=cronjob/nightly",
        ],
    );

    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command(&format!("tree sts/db -n {} @dev", ns.name));
    let mut want = vec!["statefulset/db".to_string()];
    for i in 0..2 {
        want.push(format!("└─ uses persistentvolumeclaim/data-db-{i}"));
        want.push(format!("└─ pod/db-{i}"));
    }
    tree_with(&mut h, &want).await;

    h.action(Action::Back);
    h.command(&format!("tree cronjob/nightly -n {} @dev", ns.name));
    let want = [
        "cronjob/nightly".to_string(),
        "└─ job/nightly-manual".to_string(),
    ];
    let ok = h
        .pump_until(WAIT, |h| {
            let lines = h
                .app
                .top_as::<TreeScreen>()
                .map(TreeScreen::lines)
                .unwrap_or_default();
            want.iter().all(|w| lines.contains(w))
                && lines
                    .iter()
                    .any(|l| l.starts_with("   └─ pod/nightly-manual-"))
        })
        .await;
    let lines = h
        .app
        .top_as::<TreeScreen>()
        .map(TreeScreen::lines)
        .unwrap_or_default();
    assert!(ok, "{lines:?}");
    // The pod under the Job is the one kubectl says the Job owns.
    let pod = lines
        .iter()
        .find_map(|l| l.strip_prefix("   └─ pod/"))
        .expect("the job's pod");
    let owner = tb.kubectl_ok(
        "dev",
        &[
            "-n",
            &ns.name,
            "get",
            "pod",
            pod,
            "-o",
            "jsonpath={.metadata.ownerReferences[0].name}",
        ],
    );
    assert_eq!(owner, "nightly-manual");
    let _ = std::fs::remove_file(file);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_deployment_on_two_clusters_side_by_side() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::new(&tb.kubeconfig, &["dev", "prod"]);
    h.command("tree deploy/api -n shop @dev,prod");
    let t = h.app.top_as::<TreeScreen>().expect("the tree");
    assert_eq!(t.contexts(), ["dev", "prod"]);
    // Each side is its own cluster's: prod's api runs the crash-looping restart, dev's not.
    for context in ["dev", "prod"] {
        let current = tb.kubectl_ok(
            context,
            &[
                "-n",
                "shop",
                "get",
                "rs",
                "-l",
                "app=api",
                "-o",
                "jsonpath={range .items[?(@.spec.replicas>0)]}{.metadata.name}{\"\\n\"}{end}",
            ],
        );
        let mut want = vec![
            "deployment/api".to_string(),
            "└─ uses configmap/api-config".to_string(),
            "└─ uses secret/db-credentials".to_string(),
            "└─ scaled by horizontalpodautoscaler/api".to_string(),
        ];
        want.extend(current.lines().map(|rs| format!("└─ replicaset/{rs}")));
        tree_with(&mut h, &want).await;
        h.action(Action::ColumnRight);
    }
    let wide = h.screen(200, 40);
    assert!(
        wide.contains("tree deployment/api @dev") && wide.contains("tree deployment/api @prod"),
        "{wide}"
    );
}
