//! Node drain against a real apiserver: a kwok node of the test's own with a Deployment, a
//! DaemonSet pod, a bare pod and a PodDisruptionBudget on it, drained as the app drains. What
//! counts is what the server holds afterwards. Skips locally without a testbed; fails under CI.
use crate::common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flotilla::ops::drain::{self, DrainReport};
use flotilla::protocol::op::DrainOpts;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::json;

use common::{Cleanup, Testbed, eventually, testbed};

// dev: the fault tests stop staging's and prod's apiservers.
const CONTEXT: &str = "dev";
const WAIT: Duration = Duration::from_secs(60);
/// Marks the test node so nothing else is scheduled there; the test's pods tolerate it.
const TAINT: &str = "flotilla.dev/drain-test";

/// A client configured as the app's are: kube's default retry layer would sit on a budget's
/// 429 for minutes inside a single request, where drain wants to retry (and report) itself.
async fn app_client(tb: &Testbed) -> kube::Client {
    let kc = Kubeconfig::read_from(&tb.kubeconfig).expect("read testbed kubeconfig");
    let opts = KubeConfigOptions {
        context: Some(CONTEXT.to_string()),
        ..Default::default()
    };
    let mut config = kube::Config::from_custom_kubeconfig(kc, &opts)
        .await
        .expect("kubeconfig context");
    config.default_retry = false;
    kube::Client::try_from(config).expect("build kube client")
}

fn from<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).expect("valid object")
}

fn key(p: &Pod) -> String {
    format!(
        "{}/{}",
        p.metadata.namespace.as_deref().unwrap_or(""),
        p.metadata.name.as_deref().unwrap_or("")
    )
}

fn uid(p: &Pod) -> String {
    p.metadata.uid.clone().unwrap_or_default()
}

fn running(p: &Pod) -> bool {
    p.metadata.deletion_timestamp.is_none()
        && p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
}

async fn on_node(client: &kube::Client, node: &str) -> Vec<Pod> {
    Api::<Pod>::all(client.clone())
        .list(&ListParams::default().fields(&format!("spec.nodeName={node}")))
        .await
        .expect("list pods on the node")
        .items
}

async fn unschedulable(client: &kube::Client, node: &str) -> bool {
    let n = Api::<Node>::all(client.clone())
        .get(node)
        .await
        .expect("get node");
    n.spec.and_then(|s| s.unschedulable).unwrap_or(false)
}

/// Waits until the disruption controller has seen the budget as it is now and allows `n`.
async fn budget_allows(client: &kube::Client, ns: &str, n: i32) {
    let pdbs: Api<PodDisruptionBudget> = Api::namespaced(client.clone(), ns);
    eventually(WAIT, &format!("web-pdb to allow {n} disruptions"), || {
        let pdbs = pdbs.clone();
        async move {
            let pdb = pdbs.get("web-pdb").await.ok()?;
            let st = pdb.status?;
            (st.observed_generation == pdb.metadata.generation
                && st.current_healthy.unwrap_or(0) == 2
                && st.disruptions_allowed.unwrap_or(0) == n)
                .then_some(())
        }
    })
    .await;
}

/// Records the progress lines a drain reports.
fn recorder() -> (Arc<Mutex<Vec<String>>>, impl Fn(String) + Send + Sync) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    (lines, move |l: String| {
        if let Ok(mut v) = sink.lock() {
            v.push(l);
        }
    })
}

fn failed_reason<'a>(report: &'a DrainReport, key: &str) -> &'a str {
    report
        .failed
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, why)| why.as_str())
        .unwrap_or_else(|| panic!("{key} not among the failed: {report:?}"))
}

#[tokio::test]
async fn drain_cordons_respects_budgets_and_evicts() {
    let Some(tb) = testbed() else { return };
    let client = app_client(&tb).await;
    let suffix = format!("{:08x}", fastrand::u32(..));
    let node = format!("drain-{suffix}");
    let ns = format!("drain-test-{suffix}");
    // The namespace goes first, while its node is there for kwok to finish its pods.
    let mut cleanup = Cleanup::new(&tb);
    cleanup.delete(CONTEXT, &["node", &node]);
    cleanup.delete(CONTEXT, &["namespace", &ns]);
    let pp = PostParams::default();

    // No `flotilla.dev/pool` label: the seeded DaemonSet and workloads stay off this node.
    let created = Api::<Node>::all(client.clone())
        .create(
            &pp,
            &from(json!({
                "metadata": {
                    "name": node,
                    "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                    "labels": {"kubernetes.io/hostname": node, "kubernetes.io/os": "linux", "type": "kwok"}
                },
                "spec": {
                    "taints": [{"key": TAINT, "value": suffix, "effect": "NoSchedule"}],
                    "podCIDR": format!("10.250.{}.0/24", fastrand::u8(..)),
                },
                "status": {
                    "allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110"},
                    "capacity": {"cpu": "16", "memory": "64Gi", "pods": "110"}
                }
            })),
        )
        .await
        .expect("create the node");
    let node_uid = created.metadata.uid.clone().expect("node uid");
    Api::<Namespace>::all(client.clone())
        .create(&pp, &from(json!({"metadata": {"name": ns}})))
        .await
        .expect("create the namespace");

    // Pinned to the node and tolerating its taint, but not the cordon: replacements of evicted
    // pods must stay Pending.
    let pod_spec = json!({
        "nodeSelector": {"kubernetes.io/hostname": node},
        "tolerations": [{"key": TAINT, "operator": "Exists", "effect": "NoSchedule"}],
        "containers": [{"name": "app", "image": "busybox:1.36"}]
    });
    let template = |app: &str| json!({"metadata": {"labels": {"app": app}}, "spec": pod_spec});
    Api::<Deployment>::namespaced(client.clone(), &ns)
        .create(
            &pp,
            &from(json!({
                "metadata": {"name": "web"},
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": {"app": "web"}},
                    "template": template("web")
                }
            })),
        )
        .await
        .expect("create the deployment");
    Api::<DaemonSet>::namespaced(client.clone(), &ns)
        .create(
            &pp,
            &from(json!({
                "metadata": {"name": "agent"},
                "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": template("agent")}
            })),
        )
        .await
        .expect("create the daemonset");
    let mut bare = template("loner");
    bare["metadata"]["name"] = json!("loner");
    Api::<Pod>::namespaced(client.clone(), &ns)
        .create(&pp, &from(bare))
        .await
        .expect("create the bare pod");
    Api::<PodDisruptionBudget>::namespaced(client.clone(), &ns)
        .create(
            &pp,
            &from(json!({
                "metadata": {"name": "web-pdb"},
                "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}
            })),
        )
        .await
        .expect("create the budget");

    let pods = eventually(WAIT, "4 running pods on the node", || {
        let (client, node) = (client.clone(), node.clone());
        async move {
            let pods: Vec<Pod> = on_node(&client, &node)
                .await
                .into_iter()
                .filter(running)
                .collect();
            (pods.len() == 4).then_some(pods)
        }
    })
    .await;
    budget_allows(&client, &ns, 0).await;
    let with_app = |app: &str| -> Vec<Pod> {
        let mut v: Vec<Pod> = pods
            .iter()
            .filter(|p| {
                p.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get("app"))
                    .map(String::as_str)
                    == Some(app)
            })
            .cloned()
            .collect();
        v.sort_by_key(key);
        v
    };
    let (web, agent, loner) = (with_app("web"), with_app("agent"), with_app("loner"));
    assert_eq!((web.len(), agent.len(), loner.len()), (2, 1, 1), "{pods:?}");
    let web_keys: Vec<String> = web.iter().map(key).collect();
    let skipped_agent = vec![(key(&agent[0]), "DaemonSet".to_string())];
    let all_uids = |pods: &[Pod]| {
        let mut v: Vec<String> = pods.iter().map(uid).collect();
        v.sort();
        v
    };

    // A node that is not the one picked (another uid): nothing happens to it.
    let (_, say) = recorder();
    let opts = DrainOpts {
        grace: None,
        timeout_secs: 10,
        delete_emptydir_data: false,
        force: false,
    };
    let wrong = drain::drain(
        &client,
        &node,
        "00000000-0000-0000-0000-000000000000",
        &opts,
        &say,
    )
    .await;
    assert!(wrong.is_err(), "drained despite the wrong uid: {wrong:?}");
    assert!(
        !unschedulable(&client, &node).await,
        "cordoned despite the wrong uid"
    );

    // Without force the bare pod is refused, so nothing at all is evicted; the node stays
    // cordoned.
    let started = Instant::now();
    let report = drain::drain(&client, &node, &node_uid, &opts, &say)
        .await
        .expect("drain without force");
    eprintln!("without force ({:?}): {report:?}", started.elapsed());
    assert!(unschedulable(&client, &node).await, "node not cordoned");
    assert!(report.evicted.is_empty(), "{report:?}");
    assert_eq!(report.skipped, skipped_agent);
    assert!(
        failed_reason(&report, &key(&loner[0])).contains("no controller"),
        "{report:?}"
    );
    for k in &web_keys {
        assert!(
            failed_reason(&report, k).contains("not attempted"),
            "{report:?}"
        );
    }
    assert_eq!(
        report.summary(),
        "0 evicted, 1 skipped (DaemonSet), 3 not evicted"
    );
    assert_eq!(
        all_uids(&on_node(&client, &node).await),
        all_uids(&pods),
        "pods changed although nothing was to be evicted"
    );

    // With force but a budget allowing no disruption: the bare pod goes, the web pods stay and
    // the report names the budget once the timeout is up.
    let (lines, say) = recorder();
    let forced = DrainOpts {
        force: true,
        timeout_secs: 8,
        ..opts.clone()
    };
    let started = Instant::now();
    let report = drain::drain(&client, &node, &node_uid, &forced, &say)
        .await
        .expect("drain with force, budget holding");
    let took = started.elapsed();
    eprintln!("force, budget holding ({took:?}): {report:?}");
    assert!(took >= Duration::from_secs(7), "gave up early: {took:?}");
    assert_eq!(report.evicted, vec![key(&loner[0])]);
    assert_eq!(report.skipped, skipped_agent);
    assert_eq!(report.failed.len(), 2, "{report:?}");
    for k in &web_keys {
        let why = failed_reason(&report, k);
        assert!(why.contains("PodDisruptionBudget web-pdb"), "{why}");
    }
    let left = on_node(&client, &node).await;
    assert_eq!(
        all_uids(&left),
        all_uids(&[web.clone(), agent.clone()].concat()),
        "only the bare pod should have gone: {left:?}"
    );
    assert!(
        Api::<Pod>::namespaced(client.clone(), &ns)
            .get_opt("loner")
            .await
            .expect("get loner")
            .is_none(),
        "the bare pod is still there"
    );
    let said = lines.lock().map(|l| l.clone()).unwrap_or_default();
    assert!(
        said.iter()
            .any(|l| l.starts_with(&web_keys[0])
                && l.contains("blocked by PodDisruptionBudget web-pdb")),
        "{said:?}"
    );
    assert!(
        said.contains(&format!("evicting {}", web_keys[0])),
        "{said:?}"
    );

    // A budget that allows it: the web pods are evicted and replaced by Pending pods (the node
    // is cordoned, and they may run nowhere else); the DaemonSet pod stays.
    Api::<PodDisruptionBudget>::namespaced(client.clone(), &ns)
        .patch(
            "web-pdb",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"minAvailable": 0}})),
        )
        .await
        .expect("loosen the budget");
    budget_allows(&client, &ns, 2).await;
    let (_, say) = recorder();
    let loose = DrainOpts {
        grace: Some(1),
        timeout_secs: 20,
        ..forced.clone()
    };
    let started = Instant::now();
    let report = drain::drain(&client, &node, &node_uid, &loose, &say)
        .await
        .expect("drain with force, budget allowing");
    eprintln!(
        "force, budget allowing ({:?}): {report:?}",
        started.elapsed()
    );
    assert_eq!(report.evicted, web_keys);
    assert_eq!(report.skipped, skipped_agent);
    assert!(report.failed.is_empty(), "{report:?}");
    assert_eq!(report.summary(), "2 evicted, 1 skipped (DaemonSet)");
    assert_eq!(
        all_uids(&on_node(&client, &node).await),
        all_uids(&agent),
        "only the DaemonSet pod should be left on the node"
    );
    let replacements = Api::<Pod>::namespaced(client.clone(), &ns)
        .list(&ListParams::default().labels("app=web"))
        .await
        .expect("list web pods")
        .items;
    for p in &replacements {
        assert!(!web.iter().any(|w| uid(w) == uid(p)), "{} survived", key(p));
        assert!(
            p.spec
                .as_ref()
                .and_then(|s| s.node_name.as_deref())
                .is_none(),
            "{} was scheduled onto a node",
            key(p)
        );
    }
    assert!(
        unschedulable(&client, &node).await,
        "node no longer cordoned"
    );
}
