//! Known rows for snapshot tests and benchmarks: kubectl's pod columns, plausible values.

use flotilla::kinds::resource::ResKey;
use flotilla::store::WatchEvent;
use flotilla::store::row::{self, Column, Row, WireRow};

pub fn pod_columns() -> Vec<Column> {
    let defs: Vec<row::WireColumn> = serde_json::from_value(serde_json::json!([
        {"name":"Name","type":"string"},{"name":"Ready","type":"string"},{"name":"Status","type":"string"},
        {"name":"Restarts","type":"string"},{"name":"Age","type":"string"},{"name":"IP","type":"string","priority":1},
        {"name":"Node","type":"string","priority":1},{"name":"Nominated Node","type":"string","priority":1},
        {"name":"Readiness Gates","type":"string","priority":1}
    ]))
    .expect("column json");
    row::columns(&defs)
}

/// Pod `i` of a cluster: mostly Running, some crash-looping, pending and completed.
pub fn pod(cluster: &str, i: usize, created: i64) -> Row {
    let (ready, status, restarts) = match i % 50 {
        0 => ("0/1", "CrashLoopBackOff", "12 (40s ago)"),
        1 => ("0/1", "Pending", "0"),
        2 => ("0/1", "Completed", "0"),
        _ => ("1/1", "Running", "0"),
    };
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
    row::build(&ResKey::core("pods"), &pod_columns(), wire).expect("row builds")
}

/// Loads `n` pods into a static cluster's pod sheet.
pub fn load_pods(app: &mut flotilla::app::App, cluster: usize, name: &str, n: usize, created: i64) {
    let res = ResKey::core("pods");
    app.store.open(cluster, &res, 1);
    app.store.apply(
        cluster,
        &res,
        1,
        WatchEvent::Listing {
            columns: pod_columns(),
        },
    );
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let rows = chunk.iter().map(|i| pod(name, *i, created)).collect();
        app.store.apply(cluster, &res, 1, WatchEvent::Upsert(rows));
    }
    app.store.apply(cluster, &res, 1, WatchEvent::Synced);
}
