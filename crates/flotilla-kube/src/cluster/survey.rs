//! Inspection's reads of one cluster into a `Snapshot`: every list `inspect::kinds()` names
//! (paged, a few at a time), the group/versions the server serves, and whether each CRD has
//! instances. A list that cannot be read (forbidden, not served) is recorded and its checks
//! skip; only a server that does not answer at all fails the whole read.

use super::fetch::{get, list_all};
use super::request::timed;
use crate::inspect::{ClusterReport, Kind, Options, Snapshot, kinds};
use futures::StreamExt;
use kube::Client;
use serde_json::Value;

/// Lists read at once: enough to overlap round trips, few enough not to crowd a busy server.
const PARALLEL: usize = 4;
const PAGE: usize = 1000;

/// Reads one cluster and judges it, the judging off the async threads (a 20k-pod cluster is
/// a lot of JSON to walk). `now` is what certificate expiry is measured from.
pub async fn inspect(
    client: &Client,
    context: &str,
    now: i64,
    opts: &Options,
) -> Result<ClusterReport, String> {
    let snap = snapshot(client, now).await?;
    let (context, opts) = (context.to_string(), opts.clone());
    tokio::task::spawn_blocking(move || crate::inspect::inspect(&context, &snap, &opts))
        .await
        .map_err(|e| format!("inspection stopped: {e}"))
}

pub async fn snapshot(client: &Client, now: i64) -> Result<Snapshot, String> {
    // The cheapest proof that the server answers; without it every list would fail alike.
    timed(client.apiserver_version())
        .await
        .map_err(|e| e.message)?;
    let mut snap = Snapshot::new(now);
    // The futures are made up front and own their client: a stream mapping borrowed items
    // through a closure is not `Send` enough for `tokio::spawn` (a higher-ranked lifetime
    // limit of the compiler).
    let reads: Vec<_> = kinds()
        .iter()
        .map(|k| {
            let client = client.clone();
            async move { (k.kind, list_all(&client, &k.list_path(), PAGE).await) }
        })
        .collect();
    let mut lists = futures::stream::iter(reads).buffer_unordered(PARALLEL);
    while let Some((kind, got)) = lists.next().await {
        match got {
            Ok(items) => snap.set(kind, items),
            Err(e) => snap.failed(kind, &e.message),
        }
    }
    snap.api_versions = api_versions(client).await;
    if snap.has(Kind::CustomResourceDefinition) {
        let reads: Vec<_> = snap
            .custom_resource_paths()
            .into_iter()
            .map(|(name, path)| {
                let client = client.clone();
                async move { (name, instances(&client, &path).await) }
            })
            .collect();
        let counts: Vec<_> = futures::stream::iter(reads)
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        for (name, n) in counts {
            match n {
                Ok(n) => {
                    snap.crd_instances.insert(name, n);
                }
                Err(e) => snap.errors.push(format!("{name}: {}", e.message)),
            }
        }
    }
    Ok(snap)
}

/// As `kubectl api-versions`: `v1`, then every group's versions (`apps/v1`).
async fn api_versions(client: &Client) -> Vec<String> {
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    let mut out = match get(client, "/api").await {
        Ok(core) => strings(core.get("versions")),
        Err(_) => Vec::new(),
    };
    if let Ok(groups) = get(client, "/apis").await {
        for g in groups
            .get("groups")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for v in g
                .get("versions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(gv) = v.get("groupVersion").and_then(Value::as_str) {
                    out.push(gv.to_string());
                }
            }
        }
    }
    out
}

/// How many instances a custom resource has, from one item and the server's count of the
/// rest (inspection only asks whether there are any).
async fn instances(client: &Client, path: &str) -> Result<u64, crate::model::ApiError> {
    let page = get(client, &format!("{path}?limit=1")).await?;
    let here = page
        .get("items")
        .and_then(Value::as_array)
        .map_or(0, |a| a.len() as u64);
    let rest = page
        .pointer("/metadata/remainingItemCount")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    Ok(here + rest)
}
