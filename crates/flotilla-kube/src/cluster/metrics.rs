//! Resource usage from metrics.k8s.io (metrics-server), when the cluster serves it: one poll
//! of pods and nodes every `EVERY`, one request in flight, run beside the connection's
//! health probe. A cluster without metrics-server says so once ("n/a"), not every poll.

use crate::model::{ClusterEvent, Usage};
use crate::quantity;
use kube::Client;
use serde::Deserialize;
use std::time::Duration;

pub const EVERY: Duration = Duration::from_secs(15);
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Deserialize)]
struct List<T> {
    #[serde(default = "Vec::new")]
    items: Vec<T>,
}

#[derive(Deserialize, Default)]
struct Meta {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
}

#[derive(Deserialize, Default)]
struct Amount {
    #[serde(default)]
    cpu: String,
    #[serde(default)]
    memory: String,
}

#[derive(Deserialize)]
struct PodMetrics {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    containers: Vec<ContainerMetrics>,
}

#[derive(Deserialize)]
struct ContainerMetrics {
    #[serde(default)]
    usage: Amount,
}

#[derive(Deserialize)]
struct NodeMetrics {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    usage: Amount,
}

fn amount(a: &Amount) -> (i64, i64) {
    (
        quantity::amount(&a.cpu, true).unwrap_or(0),
        quantity::amount(&a.memory, false).unwrap_or(0),
    )
}

/// Whether discovery found metrics.k8s.io (an APIService backed by metrics-server).
pub fn served(resources: &[crate::model::ResourceInfo]) -> bool {
    resources
        .iter()
        .any(|r| r.key.group == "metrics.k8s.io" && r.key.plural == "pods")
}

async fn get<T: serde::de::DeserializeOwned>(client: &Client, path: &str) -> Result<T, String> {
    let req = http::Request::get(path)
        .body(Vec::new())
        .map_err(|e| e.to_string())?;
    match tokio::time::timeout(TIMEOUT, client.request::<T>(req)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(super::request::short_error(&e)),
        Err(_) => Err(format!("no answer within {}s", TIMEOUT.as_secs())),
    }
}

/// One poll: usage of every pod (summed over containers) and every node.
pub async fn poll(client: &Client) -> ClusterEvent {
    let pods = get::<List<PodMetrics>>(client, "/apis/metrics.k8s.io/v1beta1/pods").await;
    let nodes = get::<List<NodeMetrics>>(client, "/apis/metrics.k8s.io/v1beta1/nodes").await;
    match (pods, nodes) {
        (Ok(pods), Ok(nodes)) => ClusterEvent::Usage(Ok(Usage {
            pods: pods
                .items
                .into_iter()
                .map(|p| {
                    let (cpu, mem) = p
                        .containers
                        .iter()
                        .map(|c| amount(&c.usage))
                        .fold((0, 0), |(a, b), (c, d)| (a + c, b + d));
                    (
                        (
                            crate::text::clean(&p.metadata.namespace),
                            crate::text::clean(&p.metadata.name),
                        ),
                        (cpu, mem),
                    )
                })
                .collect(),
            nodes: nodes
                .items
                .into_iter()
                .map(|n| (crate::text::clean(&n.metadata.name), amount(&n.usage)))
                .collect(),
        })),
        (Err(e), _) | (_, Err(e)) => ClusterEvent::Usage(Err(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_usage_sums_containers() {
        let l: List<PodMetrics> = serde_json::from_str(
            r#"{"items":[{"metadata":{"name":"web","namespace":"shop"},
            "containers":[{"name":"a","usage":{"cpu":"120m","memory":"64Mi"}},
                          {"name":"b","usage":{"cpu":"5000000n","memory":"1Mi"}}]}]}"#,
        )
        .unwrap();
        let (c, m) = l.items[0]
            .containers
            .iter()
            .map(|c| amount(&c.usage))
            .fold((0, 0), |(a, b), (c, d)| (a + c, b + d));
        assert_eq!((c, m), (125, 65 << 20));
    }
}
