//! The list+watch loop against the testbed's dev cluster. A quiet kind's stream that goes
//! silent past the liveness deadline (as a busy server's late bookmark makes it) is opened
//! again at once and not reported: the cluster stays ok, its rows stay the server's. The
//! deadline is made 2 s here so that a test sees several silences; a re-open that fails is
//! what `tui_freeze` checks.

use crate::common;

use flotilla::cluster::watch::WatchTask;
use flotilla::model::{ClusterEvent, Health, ResKey, ResourceInfo, WatchEvent};
use flotilla::protocol::Msg;
use flotilla::store::Store;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const LIVENESS: Duration = Duration::from_secs(2);

/// PriorityClasses: the system ones, which nothing changes during a test run.
fn priority_classes() -> ResourceInfo {
    ResourceInfo {
        key: ResKey::new("scheduling.k8s.io", "priorityclasses"),
        version: "v1".into(),
        kind: "PriorityClass".into(),
        singular: "priorityclass".into(),
        short_names: vec!["pc".into()],
        namespaced: false,
        verbs: ["get", "list", "watch"].map(String::from).to_vec(),
    }
}

#[tokio::test]
async fn a_quiet_watch_is_opened_again_and_the_cluster_stays_ok() {
    let Some(tb) = common::testbed() else { return };
    let res = priority_classes();
    let mut store = Store::default();
    let id = store.clusters.add("dev");
    let connected = ClusterEvent::Connected {
        version: "v1.36.3".into(),
        identity: None,
        default_namespace: "default".into(),
    };
    store.clusters.apply(id, connected, Instant::now());
    store.open(id, &res.key, 1);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = WatchTask {
        client: tb.client("dev").await,
        cluster: id,
        generation: 1,
        res: res.clone(),
        fallback_namespace: None,
        tx,
        liveness: LIVENESS,
        every: None,
    }
    .spawn();

    // Six deadlines after the list: the stream went silent, and was opened again, several times.
    // Every badge the header would have shown that was not ok.
    let mut badges = Vec::new();
    let mut listed_at = None;
    let start = Instant::now();
    while listed_at.is_none_or(|t: Instant| t.elapsed() < LIVENESS * 6) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the list never finished"
        );
        let Ok(Some(msg)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await
        else {
            continue;
        };
        let Msg::Watch {
            res: key,
            generation,
            ev,
            ..
        } = msg
        else {
            continue;
        };
        if matches!(ev, WatchEvent::Synced) {
            listed_at = listed_at.or(Some(Instant::now()));
        }
        store.apply(id, &key, generation, ev);
        let health = store.health(id);
        if health != Health::Ok {
            badges.push(health);
        }
    }
    task.abort();

    assert_eq!(badges, Vec::<Health>::new(), "never called degraded");
    let shown: BTreeSet<String> = store
        .sheet(id, &res.key)
        .expect("the sheet")
        .rows()
        .map(|(_, r)| r.name.clone())
        .collect();
    let server: BTreeSet<String> = tb
        .kubectl_ok("dev", &["get", "priorityclasses", "-o", "name"])
        .lines()
        .filter_map(|l| l.strip_prefix("priorityclass.scheduling.k8s.io/"))
        .map(str::to_string)
        .collect();
    assert!(!server.is_empty());
    assert_eq!(shown, server);
}
