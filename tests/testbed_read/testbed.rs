//! Proves the testbed gives what flotilla's integration tests rely on: three reachable clusters
//! with the seeded objects, pod logs (current and previous), exec and port-forward through kwok,
//! and RBAC-limited credentials. Skips locally without a testbed; fails under CI.
use crate::common;

use std::time::Duration;

use base64::Engine;
use futures::{AsyncBufReadExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Node, PersistentVolumeClaim, Pod, Secret, Service};
use kube::api::{Api, AttachParams, ListParams, LogParams};
use kube::core::{ApiResource, DynamicObject, GroupVersionKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::{CLUSTERS, eventually, testbed};

fn ready(node: &Node) -> Option<String> {
    node.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")
        .map(|c| c.status.clone())
}

fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("")
}

fn restart_count(pod: &Pod) -> i32 {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| cs.first())
        .map(|c| c.restart_count)
        .unwrap_or(0)
}

async fn running_pod(client: &kube::Client, ns: &str, selector: &str) -> String {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    eventually(Duration::from_secs(60), "a Running pod", || {
        let pods = pods.clone();
        async move {
            let list = pods
                .list(&ListParams::default().labels(selector))
                .await
                .ok()?;
            list.items
                .iter()
                .find(|p| phase(p) == "Running" && p.metadata.deletion_timestamp.is_none())
                .and_then(|p| p.metadata.name.clone())
        }
    })
    .await
}

#[tokio::test]
async fn every_cluster_is_reachable_and_runs_v1_36() {
    let Some(tb) = testbed() else { return };
    for cluster in CLUSTERS {
        let client = tb.client(cluster).await;
        let version = client.apiserver_version().await.expect("GET /version");
        assert!(
            version.git_version.starts_with("v1.36."),
            "{cluster}: gitVersion {}",
            version.git_version
        );
    }
}

#[tokio::test]
async fn seeded_workloads_exist_and_vary_between_clusters() {
    let Some(tb) = testbed() else { return };
    let mut web_replicas = Vec::new();
    for cluster in CLUSTERS {
        let client = tb.client(cluster).await;
        let deploys: Api<Deployment> = Api::namespaced(client.clone(), "shop");
        let names: Vec<String> = deploys
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter_map(|d| d.metadata.name)
            .collect();
        for want in ["web", "api", "cart", "checkout"] {
            assert!(
                names.iter().any(|n| n == want),
                "{cluster}: deployment {want} in {names:?}"
            );
        }
        let web = deploys.get("web").await.unwrap();
        web_replicas.push(web.spec.replicas.unwrap());

        // web has several revisions to roll back to.
        let rs: Api<ReplicaSet> = Api::namespaced(client.clone(), "shop");
        let revisions = rs
            .list(&ListParams::default().labels("app=web"))
            .await
            .unwrap()
            .items
            .len();
        assert!(revisions >= 3, "{cluster}: web has {revisions} ReplicaSets");

        // cart never becomes available.
        let cart = deploys.get("cart").await.unwrap();
        let st = cart.status.unwrap_or_default();
        assert_eq!(
            st.available_replicas.unwrap_or(0),
            0,
            "{cluster}: cart available"
        );

        let sts: Api<StatefulSet> = Api::namespaced(client.clone(), "data");
        sts.get("postgres")
            .await
            .expect("statefulset data/postgres");
        let ds: Api<DaemonSet> = Api::namespaced(client.clone(), "monitoring");
        ds.get("node-exporter")
            .await
            .expect("daemonset node-exporter");
        let cj: Api<CronJob> = Api::namespaced(client.clone(), "batch");
        assert_eq!(cj.get("cleanup").await.unwrap().spec.suspend, Some(true));
        let jobs: Api<Job> = Api::namespaced(client.clone(), "batch");
        jobs.get("db-migrate").await.expect("job db-migrate");
        jobs.get("report-fail").await.expect("job report-fail");

        let svcs: Api<Service> = Api::namespaced(client.clone(), "shop");
        let types: Vec<String> = svcs
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter_map(|s| s.spec.and_then(|s| s.type_))
            .collect();
        for t in ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"] {
            assert!(
                types.iter().any(|x| x == t),
                "{cluster}: service type {t} in {types:?}"
            );
        }

        let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "data");
        let scratch = pvcs.get("scratch").await.unwrap();
        assert_eq!(scratch.status.unwrap().phase.as_deref(), Some("Pending"));
    }
    // As each cluster's values.env seeds them (dev, staging, prod): one count per cluster.
    assert_eq!(web_replicas, [2, 3, 5], "shop/web replicas");
}

#[tokio::test]
async fn crashloop_and_pending_pods() {
    let Some(tb) = testbed() else { return };
    for cluster in CLUSTERS {
        let client = tb.client(cluster).await;
        let pods: Api<Pod> = Api::namespaced(client.clone(), "shop");

        let pending = pods.get("unschedulable").await.unwrap();
        assert_eq!(phase(&pending), "Pending", "{cluster}: shop/unschedulable");

        let first = eventually(Duration::from_secs(60), "crasher restarted", || {
            let pods = pods.clone();
            async move {
                let p = pods.get("crasher").await.ok()?;
                (restart_count(&p) >= 1).then_some(p)
            }
        })
        .await;
        let cs = &first
            .status
            .as_ref()
            .unwrap()
            .container_statuses
            .as_ref()
            .unwrap()[0];
        let waiting = cs.state.as_ref().and_then(|s| s.waiting.as_ref());
        assert_eq!(
            waiting.and_then(|w| w.reason.as_deref()),
            Some("CrashLoopBackOff"),
            "{cluster}: crasher state {:?}",
            cs.state
        );
        let before = restart_count(&first);
        eventually(
            Duration::from_secs(60),
            "crasher restartCount to grow",
            || {
                let pods = pods.clone();
                async move {
                    let p = pods.get("crasher").await.ok()?;
                    (restart_count(&p) > before).then_some(())
                }
            },
        )
        .await;
    }
}

#[tokio::test]
async fn nodes_crds_helm_releases() {
    let Some(tb) = testbed() else { return };
    for cluster in CLUSTERS {
        let client = tb.client(cluster).await;
        let nodes: Api<Node> = Api::all(client.clone());
        let list = nodes.list(&ListParams::default()).await.unwrap().items;
        let managed: Vec<&Node> = list
            .iter()
            .filter(|n| {
                n.metadata.annotations.as_ref().is_some_and(|a| {
                    a.get("kwok.x-k8s.io/node").map(String::as_str) == Some("fake")
                })
            })
            .collect();
        assert!(
            managed.len() >= 2,
            "{cluster}: {} kwok nodes",
            managed.len()
        );
        for n in &managed {
            assert_eq!(
                ready(n).as_deref(),
                Some("True"),
                "{cluster}: node {:?}",
                n.metadata.name
            );
            // Nothing may point at a non-loopback address.
            for a in n.status.as_ref().unwrap().addresses.iter().flatten() {
                assert!(
                    a.type_ == "Hostname" || a.address.starts_with("127."),
                    "{cluster}: node address {a:?}"
                );
            }
        }
        if cluster == "prod" {
            let broken = nodes.get("prod-node-broken").await.unwrap();
            assert_ne!(
                ready(&broken).as_deref(),
                Some("True"),
                "prod-node-broken is NotReady"
            );
        }

        let gvk = GroupVersionKind::gvk("demo.flotilla.dev", "v1", "Database");
        let dbs: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), "data", &ApiResource::from_gvk(&gvk));
        let names: Vec<String> = dbs
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter_map(|d| d.metadata.name)
            .collect();
        assert!(
            names.contains(&"orders".to_string()),
            "{cluster}: databases {names:?}"
        );

        // Written by helm itself (seed_helm): staging's frontend went through two upgrades.
        let secrets: Api<Secret> = Api::namespaced(client.clone(), "apps");
        let helm = secrets
            .list(&ListParams::default().labels("owner=helm,name=frontend"))
            .await
            .unwrap()
            .items;
        let revisions = if cluster == "staging" { 3 } else { 2 };
        assert_eq!(
            helm.len(),
            revisions,
            "{cluster}: frontend release revisions"
        );
        let v2 = secrets
            .get(&format!("sh.helm.release.v1.frontend.v{revisions}"))
            .await
            .unwrap();
        assert_eq!(v2.type_.as_deref(), Some("helm.sh/release.v1"));
        assert_eq!(
            v2.metadata
                .labels
                .as_ref()
                .unwrap()
                .get("status")
                .map(String::as_str),
            Some("deployed")
        );
        let blob = &v2.data.as_ref().unwrap()["release"].0;
        let gz = base64::engine::general_purpose::STANDARD
            .decode(blob)
            .expect("release is base64");
        assert_eq!(&gz[..2], &[0x1f, 0x8b], "{cluster}: release is gzip");
    }
}

#[tokio::test]
async fn pod_logs_current_previous_and_follow() {
    let Some(tb) = testbed() else { return };
    let client = tb.client("dev").await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "shop");
    let lp = LogParams {
        container: Some("app".into()),
        ..Default::default()
    };
    let current = pods.logs("crasher", &lp).await.expect("logs");
    assert!(
        current.contains("starting crasher"),
        "current log: {current}"
    );
    let previous = pods
        .logs(
            "crasher",
            &LogParams {
                previous: true,
                ..lp.clone()
            },
        )
        .await
        .expect("previous logs");
    assert!(
        previous.contains("panic: dial tcp"),
        "previous log: {previous}"
    );

    // The web container's log keeps growing: following it yields lines.
    let web = running_pod(&client, "shop", "app=web").await;
    let stream = pods
        .log_stream(
            &web,
            &LogParams {
                follow: true,
                tail_lines: Some(2),
                ..Default::default()
            },
        )
        .await
        .expect("follow logs");
    let mut lines = stream.lines();
    let mut got = Vec::new();
    while got.len() < 3 {
        let line = tokio::time::timeout(Duration::from_secs(15), lines.try_next())
            .await
            .expect("a followed log line within 15s")
            .expect("log stream")
            .expect("stream not closed");
        got.push(line);
    }
    assert!(
        got.iter()
            .all(|l| l.contains("HTTP/1.1") || l.contains("nginx")),
        "{got:?}"
    );
}

#[tokio::test]
async fn exec_runs_a_command() {
    let Some(tb) = testbed() else { return };
    let client = tb.client("staging").await;
    let web = running_pod(&client, "shop", "app=web").await;
    let pods: Api<Pod> = Api::namespaced(client, "shop");
    let mut proc = pods
        .exec(
            &web,
            ["sh", "-c", "echo hello-from-$FLOTILLA_TESTBED"],
            &AttachParams::default().stderr(false),
        )
        .await
        .expect("exec");
    let mut out = String::new();
    proc.stdout()
        .expect("stdout")
        .read_to_string(&mut out)
        .await
        .unwrap();
    let status = proc.take_status().unwrap().await;
    proc.join().await.unwrap();
    assert_eq!(out.trim(), "hello-from-1");
    assert_eq!(status.and_then(|s| s.status).as_deref(), Some("Success"));
}

#[tokio::test]
async fn port_forward_reaches_the_helper_server() {
    let Some(tb) = testbed() else { return };
    let client = tb.client("prod").await;
    let web = running_pod(&client, "shop", "app=web").await;
    let pods: Api<Pod> = Api::namespaced(client, "shop");
    let mut pf = pods.portforward(&web, &[80]).await.expect("portforward");
    let mut stream = pf.take_stream(80).expect("stream for port 80");
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    // Read until the JSON body is complete (the forwarded stream need not report EOF).
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&buf).ends_with("}\n") {
        let n = tokio::time::timeout(Duration::from_secs(15), stream.read(&mut chunk))
            .await
            .expect("response within 15s")
            .unwrap();
        assert!(
            n > 0,
            "stream closed early: {}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf);
    assert!(
        text.starts_with("HTTP/1.0 200") || text.starts_with("HTTP/1.1 200"),
        "{text}"
    );
    assert!(text.contains("flotilla-testbed"), "{text}");
    drop(stream);
    pf.abort();
}

#[tokio::test]
async fn viewer_context_is_rbac_limited() {
    let Some(tb) = testbed() else { return };
    let viewer = common::Testbed {
        kubeconfig: tb.viewer_kubeconfig(),
    };
    for cluster in CLUSTERS {
        let ctx = format!("{cluster}-viewer");
        let client = viewer.client(&ctx).await;
        let pods: Api<Pod> = Api::namespaced(client.clone(), "shop");
        assert!(
            !pods
                .list(&ListParams::default())
                .await
                .unwrap()
                .items
                .is_empty()
        );
        let secrets: Api<Secret> = Api::namespaced(client.clone(), "shop");
        let err = secrets.list(&ListParams::default()).await.unwrap_err();
        assert!(err.to_string().contains("forbidden"), "{ctx}: {err}");
        let other: Api<Pod> = Api::namespaced(client, "data");
        assert!(
            other.list(&ListParams::default()).await.is_err(),
            "{ctx}: pods in data"
        );
    }
}
