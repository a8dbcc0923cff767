//! Known rows for snapshot tests and benchmarks: kubectl's pod columns, plausible values, and
//! an app whose clusters are fed by hand (they never contact a server).
#![allow(dead_code)]

use flotilla::app::{App, Input};
use flotilla::cluster::table::{self, WireRow};
use flotilla::config::Config;
use flotilla::model::{ClusterEvent, ClusterId, Column, ContextEntry, ResKey, Row, WatchEvent};
use flotilla::protocol::Msg;

pub fn pod_columns() -> Vec<Column> {
    let defs: Vec<table::WireColumn> = serde_json::from_value(serde_json::json!([
        {"name":"Name","type":"string"},{"name":"Ready","type":"string"},{"name":"Status","type":"string"},
        {"name":"Restarts","type":"string"},{"name":"Age","type":"string"},{"name":"IP","type":"string","priority":1},
        {"name":"Node","type":"string","priority":1},{"name":"Nominated Node","type":"string","priority":1},
        {"name":"Readiness Gates","type":"string","priority":1}
    ]))
    .expect("column json");
    table::columns(&defs)
}

/// Pod `i` of a cluster: mostly Running, some crash-looping, pending and completed.
pub fn pod(cluster: &str, i: usize, created: i64) -> Row {
    let (ready, status, restarts) = match i % 50 {
        0 => ("0/1", "CrashLoopBackOff", "12 (40s ago)"),
        1 => ("0/1", "Pending", "0"),
        2 => ("0/1", "Completed", "0"),
        _ => ("1/1", "Running", "0"),
    };
    pod_with(cluster, i, created, ready, status, restarts)
}

/// Pod `i` with the given READY, STATUS and RESTARTS cells.
pub fn pod_with(
    cluster: &str,
    i: usize,
    created: i64,
    ready: &str,
    status: &str,
    restarts: &str,
) -> Row {
    let ns = ["shop", "payments", "data", "batch", "monitoring"][i % 5];
    let app = ["web", "api", "worker", "cache"][i % 4];
    let name = format!("{app}-{i:05}");
    let wire: WireRow = serde_json::from_value(serde_json::json!({
        "cells": [&name, ready, status, restarts, "1d", format!("10.{}.{}.{}", i / 65536 % 256, i / 256 % 256, i % 256),
                  format!("{cluster}-node-{:03}", i % 200), "<none>", "<none>"],
        "object": {"metadata": {"name": name, "namespace": ns, "uid": format!("{cluster}-{i}"),
            "creationTimestamp": jiff::Timestamp::from_second(created - (i as i64 % 7200)).map(|t| t.to_string()).unwrap_or_default(),
            "labels": {"app": app}}}
    }))
    .expect("row json");
    table::build(&ResKey::core("pods"), &pod_columns(), wire).expect("row builds")
}

fn context(name: &str) -> ContextEntry {
    ContextEntry {
        name: name.into(),
        cluster: name.into(),
        user: "admin".into(),
        namespace: None,
        server: "https://127.0.0.1:1".into(),
    }
}

/// An app with these clusters connected (by hand) at v1.36.3, and the contexts in `others`
/// known but not live.
pub fn app_with(clusters: &[&str], others: &[&str]) -> App {
    let contexts = clusters.iter().chain(others).map(|n| context(n)).collect();
    let live: Vec<String> = clusters.iter().map(|s| s.to_string()).collect();
    let mut app = App::new(
        contexts,
        &live,
        Config::builtin(&flotilla::screens::modes()),
    );
    for id in app.store.clusters.ids() {
        connected(&mut app, id);
    }
    // Several clusters start on the fleet view; these apps are about the pod list.
    app.update(Input::Action(flotilla::model::Action::Run("pods".into())));
    app.update(Input::Tick);
    app
}

pub fn app(clusters: &[&str]) -> App {
    app_with(clusters, &[])
}

/// Tells the app that connection `id` is up.
pub fn connected(app: &mut App, id: ClusterId) {
    app.update(Input::Msg(Msg::Cluster {
        cluster: id,
        ev: ClusterEvent::Connected {
            version: "v1.36.3".into(),
            identity: Some("kwok-admin".into()),
            default_namespace: "default".into(),
        },
    }));
}

pub fn id(app: &App, context: &str) -> ClusterId {
    app.store
        .clusters
        .by_context(context)
        .map(|s| s.id)
        .expect("a live cluster of that name")
}

/// Sends watch events for a cluster's pods, as its watch task would.
pub fn pods_event(app: &mut App, cluster: ClusterId, ev: WatchEvent) {
    sheet_event(app, cluster, ResKey::core("pods"), ev);
}

/// Lists `res` on a cluster as empty, as a watch of a cluster without any would.
pub fn list_empty(app: &mut App, context: &str, res: ResKey) {
    let cluster = id(app, context);
    let columns = Vec::new();
    sheet_event(app, cluster, res.clone(), WatchEvent::Listing { columns });
    sheet_event(app, cluster, res, WatchEvent::Synced);
}

/// Sends watch events for a cluster's `res`, as its watch task would.
pub fn sheet_event(app: &mut App, cluster: ClusterId, res: ResKey, ev: WatchEvent) {
    let generation = match app.store.sheet(cluster, &res) {
        Some(s) => s.generation(),
        None => {
            app.store.open(cluster, &res, 1);
            1
        }
    };
    app.update(Input::Msg(Msg::Watch {
        cluster,
        res,
        generation,
        ev,
    }));
}

/// Loads `n` pods into a cluster's pod sheet, as a list would.
pub fn load_pods(app: &mut App, context: &str, n: usize, created: i64) {
    let cluster = id(app, context);
    pods_event(
        app,
        cluster,
        WatchEvent::Listing {
            columns: pod_columns(),
        },
    );
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let rows = chunk.iter().map(|i| pod(context, *i, created)).collect();
        pods_event(app, cluster, WatchEvent::Upsert(rows));
    }
    pods_event(app, cluster, WatchEvent::Synced);
}

/// A Running (or `status`) pod called `name` in namespace `ns`, with uid `<cluster>/<ns>/<name>`.
pub fn named_pod(cluster: &str, ns: &str, name: &str, status: &str) -> Row {
    let wire: WireRow = serde_json::from_value(serde_json::json!({
        "cells": [name, "1/1", status, "0", "1d", "10.0.0.1", format!("{cluster}-node-0"), "<none>", "<none>"],
        "object": {"metadata": {"name": name, "namespace": ns, "uid": format!("{cluster}/{ns}/{name}"),
            "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {"app": name}}}
    }))
    .expect("row json");
    table::build(&ResKey::core("pods"), &pod_columns(), wire).expect("row builds")
}

/// Answers the pod fetches among `effects` (a log pane learning containers) with pods that
/// run `containers`, and returns the log streams the pane opens then: (ticket, pod, container).
pub fn answer_pod_fetches(
    app: &mut App,
    effects: Vec<flotilla::protocol::Effect>,
    containers: &[&str],
) -> Vec<(u64, String, String)> {
    use flotilla::model::Fetched;
    use flotilla::protocol::Effect;
    let mut streams = Vec::new();
    let mut pending = effects;
    while !pending.is_empty() {
        let mut next = Vec::new();
        for e in pending {
            match e {
                Effect::Fetch {
                    ticket,
                    cluster,
                    path,
                    ..
                } => {
                    let name = path.rsplit('/').next().unwrap_or_default().to_string();
                    let sheet = app.store.sheet(cluster, &ResKey::core("pods"));
                    let Some(row) =
                        sheet.and_then(|s| s.rows().map(|(_, r)| r).find(|r| r.name == name))
                    else {
                        continue;
                    };
                    let object = serde_json::json!({
                        "kind": "Pod",
                        "metadata": {"name": row.name, "namespace": row.namespace, "uid": row.uid},
                        "spec": {"containers": containers.iter().map(|c| serde_json::json!({"name": c})).collect::<Vec<_>>()}
                    });
                    let result = Ok(Fetched {
                        object,
                        events: Vec::new(),
                    });
                    next.extend(app.update(Input::Msg(Msg::Fetched { ticket, result })));
                }
                Effect::Logs { ticket, spec, .. } => {
                    streams.push((ticket, spec.pod, spec.container))
                }
                _ => {}
            }
        }
        pending = next;
    }
    streams
}

/// Lines for a log stream, as its task would send them.
pub fn log_lines(app: &mut App, ticket: u64, lines: &[(i64, &str)]) {
    let lines = lines
        .iter()
        .map(|(ts, text)| flotilla::model::RawLine {
            ts: *ts,
            text: text.to_string(),
        })
        .collect();
    app.update(Input::Msg(Msg::Log {
        ticket,
        ev: flotilla::model::LogEvent::Lines(lines),
    }));
}
