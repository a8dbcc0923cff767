//! Clusters known through a Clusterpedia index: its agents sync many clusters into one SQL
//! database and its aggregated API (on a hub cluster) serves their objects. One client per hub
//! serves every member, through a service that puts the member's path prefix
//! (`/apis/clusterpedia.io/v1beta1/resources/clusters/<name>`) before each request, so
//! discovery, lists and GETs of a member are the ordinary ones and share the hub's connections.
//! The index serves LIST, not WATCH: members are re-listed at an interval (see `watch`).

use super::connection::build_client;
use super::request::short_error;
use super::{Clients, discovery, fetch};
use crate::model::{ClusterEvent, ClusterId, Health};
use crate::protocol::Msg;
use kube::Client;
use kube::config::Kubeconfig;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// Where Clusterpedia serves the objects of its clusters.
const RESOURCES: &str = "/apis/clusterpedia.io/v1beta1/resources";
/// The clusters it syncs, as the hub's custom resources.
const PEDIACLUSTERS: &str = "/apis/cluster.clusterpedia.io/v1alpha2/pediaclusters";
/// How often the clusters an index knows are listed again (new ones join the fleet).
const SOURCE_EVERY: Duration = Duration::from_secs(30);
/// How often a member's index is asked whether it answers; its PediaCluster's status (is it
/// synced?) and what it serves are asked less often.
const PROBE_EVERY: Duration = Duration::from_secs(10);
const STATUS_EVERY: Duration = Duration::from_secs(30);
const REDISCOVER_EVERY: Duration = Duration::from_secs(120);
const RETRY: Duration = Duration::from_secs(10);

/// Requests of all members of one hub in flight at once. HTTP/1.1 opens a connection per
/// request in flight: this bounds the connections a fleet of any size keeps to its hub.
const IN_FLIGHT: usize = 4;

/// The client of each hub, built once and shared by all its members, with the turns its
/// members' requests take.
#[derive(Clone, Default)]
pub struct Hubs(Arc<tokio::sync::Mutex<HashMap<String, Hub>>>);

#[derive(Clone)]
pub struct Hub {
    pub client: Client,
    turns: Arc<tokio::sync::Semaphore>,
}

impl Hubs {
    pub async fn hub(&self, hub: &str, kubeconfig: Kubeconfig) -> Result<Hub, String> {
        let mut hubs = self.0.lock().await;
        if let Some(h) = hubs.get(hub) {
            return Ok(h.clone());
        }
        let h = Hub {
            client: build_client(hub, kubeconfig).await?,
            turns: Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT)),
        };
        hubs.insert(hub.to_string(), h.clone());
        Ok(h)
    }
}

impl Hub {
    /// GETs `path` from the hub in one of its turns.
    pub async fn get(&self, path: &str) -> Result<Value, crate::model::ApiError> {
        let _turn = self.turns.acquire().await;
        fetch::get(&self.client, path).await
    }
}

/// Clusterpedia answers a `limit` with a continue token only when asked to, and its pages
/// (row offsets) hold still only in an explicit order: without one a walk through the pages
/// repeats some objects and misses others.
const PAGING: &str = "withContinue=true&orderby=cluster%2Cnamespace%2Cname";

/// A member's client: the hub's, with every path put under the member's prefix, taking a
/// turn of the hub's until its answer is read to the end.
pub fn member_client(hub: &Hub, member: &str) -> Client {
    let prefix = format!("{RESOURCES}/clusters/{member}");
    let hub = hub.clone();
    let service = tower::service_fn(move |mut req: http::Request<kube::client::Body>| {
        let Hub { client, turns } = hub.clone();
        let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
        let uri = format!("{prefix}{}", paged(path)).parse::<http::Uri>();
        async move {
            *req.uri_mut() = uri.map_err(|e| kube::Error::Service(Box::new(e)))?;
            let turn = turns
                .acquire_owned()
                .await
                .map_err(|e| kube::Error::Service(Box::new(e)))?;
            let answer = client.send(req).await?;
            // The connection is busy until the body is read: the turn goes with the body.
            Ok::<_, kube::Error>(answer.map(|body| {
                http_body_util::BodyExt::map_frame(body, move |frame| {
                    let _held = &turn;
                    frame
                })
            }))
        }
    });
    Client::new(service, "default")
}

/// A paged list asks for its continue token, in a stable order: without them, a list of
/// more than a page would end after the first, or walk the pages unevenly.
fn paged(path_and_query: &str) -> String {
    let paged = path_and_query
        .split_once('?')
        .is_some_and(|(_, q)| q.split('&').any(|p| p.starts_with("limit=")));
    if paged {
        format!("{path_and_query}&{PAGING}")
    } else {
        path_and_query.to_string()
    }
}

/// A member's name goes into a path: Clusterpedia's names are DNS labels; anything else is
/// not asked for.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}

/// Lists the clusters the index on `hub` knows, now and every [`SOURCE_EVERY`].
pub fn spawn_source(
    hub: String,
    kubeconfig: Kubeconfig,
    hubs: Hubs,
    tx: UnboundedSender<Msg>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let result = match hubs.hub(&hub, kubeconfig.clone()).await {
                Ok(h) => members(&h).await,
                Err(e) => Err(e),
            };
            let wait = if result.is_ok() { SOURCE_EVERY } else { RETRY };
            let hub = hub.clone();
            if tx.send(Msg::Source { hub, result }).is_err() {
                return;
            }
            tokio::time::sleep(wait).await;
        }
    })
}

async fn members(hub: &Hub) -> Result<Vec<String>, String> {
    let list = hub
        .get(PEDIACLUSTERS)
        .await
        .map_err(|e| format!("listing PediaClusters: {}", e.message))?;
    let items = list
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut names: Vec<String> = items
        .iter()
        .filter_map(|i| i.pointer("/metadata/name").and_then(Value::as_str))
        .filter(|n| valid_name(n))
        .map(str::to_string)
        .collect();
    names.sort();
    Ok(names)
}

/// What the connection task of an indexed member needs.
pub struct Member {
    pub id: ClusterId,
    pub name: String,
    pub hub: String,
    pub kubeconfig: Kubeconfig,
    pub hubs: Hubs,
    /// Where its index client goes (lists, discovery).
    pub reads: Clients,
    /// Where its own client goes, or why it has none (logs, shells, changes).
    pub direct: Clients,
    pub tx: UnboundedSender<Msg>,
}

impl Member {
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run())
    }

    fn send(&self, ev: ClusterEvent) -> bool {
        self.tx
            .send(Msg::Cluster {
                cluster: self.id,
                ev,
            })
            .is_ok()
    }

    async fn run(self) {
        let hub = loop {
            match self.hubs.hub(&self.hub, self.kubeconfig.clone()).await {
                Ok(c) => break c,
                Err(e) => {
                    let why = format!("index {}: {e}", self.hub);
                    if !self.send(ClusterEvent::Health(Health::Unreachable(why))) {
                        return;
                    }
                    tokio::time::sleep(RETRY).await;
                }
            }
        };
        let client = member_client(&hub, &self.name);
        self.reads.insert(self.id, client.clone());
        self.connect_directly().await;
        // The version the index last saw; it is also the proof that the hub answers.
        let status = loop {
            match self.status(&hub).await {
                Ok(s) => break s,
                Err(e) => {
                    if !self.send(ClusterEvent::Health(Health::Unreachable(e))) {
                        return;
                    }
                    tokio::time::sleep(RETRY).await;
                }
            }
        };
        let version = status
            .pointer("/status/version")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        if !self.send(ClusterEvent::Connected {
            version,
            identity: None,
            default_namespace: "default".into(),
        }) {
            return;
        }
        let usage = "n/a: known through an index (Clusterpedia), which keeps no usage";
        if !self.send(ClusterEvent::Usage(Err(usage.into()))) {
            return;
        }
        // One cheap request per probe; discovery and the PediaCluster's status, which change
        // rarely, less often: the idle cost of hundreds of members is what this bounds.
        let mut discovered: Option<Instant> = None;
        let mut asked: Option<Instant> = None;
        let mut synced_health = Health::Ok;
        loop {
            let started = Instant::now();
            let health = match fetch::get(&client, "/api").await {
                Err(e) => {
                    // Back from an outage, what it serves is read again at once.
                    discovered = None;
                    Health::Stale(format!("index {} does not answer: {}", self.hub, e.message))
                }
                Ok(_) => {
                    if !self.send(ClusterEvent::Latency(started.elapsed())) {
                        return;
                    }
                    if discovered.is_none_or(|t| t.elapsed() >= REDISCOVER_EVERY) {
                        match discovery::discover(&client).await {
                            Ok(resources) => {
                                discovered = Some(Instant::now());
                                if !self.send(ClusterEvent::Resources(resources)) {
                                    return;
                                }
                            }
                            Err(e) => tracing::warn!(
                                "discovery of {} through {}: {}",
                                self.name,
                                self.hub,
                                short_error(&e)
                            ),
                        }
                    }
                    if asked.is_none_or(|t| t.elapsed() >= STATUS_EVERY) {
                        asked = Some(Instant::now());
                        synced_health = match self.status(&hub).await {
                            Ok(s) => synced(&s),
                            Err(e) => Health::Stale(e),
                        };
                    }
                    synced_health.clone()
                }
            };
            if !self.send(ClusterEvent::Health(health)) {
                return;
            }
            tokio::time::sleep(PROBE_EVERY).await;
        }
    }

    async fn status(&self, hub: &Hub) -> Result<Value, String> {
        hub.get(&format!("{PEDIACLUSTERS}/{}", self.name))
            .await
            .map_err(|e| {
                format!(
                    "index {}: PediaCluster {}: {}",
                    self.hub, self.name, e.message
                )
            })
    }

    /// Logs, shells and changes go to the member itself: through the kubeconfig's context of
    /// the same name, or nowhere, saying so.
    async fn connect_directly(&self) {
        let has_context = self.kubeconfig.contexts.iter().any(|c| c.name == self.name);
        if !has_context {
            let why = crate::model::indexed_only(&self.name, &self.hub);
            self.direct.refuse(self.id, why);
            return;
        }
        match build_client(&self.name, self.kubeconfig.clone()).await {
            Ok(c) => self.direct.insert(self.id, c),
            Err(e) => self
                .direct
                .refuse(self.id, format!("context {}: {e}", self.name)),
        }
    }
}

/// The member's health as its PediaCluster says: ok when ready, else why not.
fn synced(pedia: &Value) -> Health {
    let conditions = pedia
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let ready = conditions
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"));
    match ready {
        Some(c) if c.get("status").and_then(Value::as_str) == Some("True") => Health::Ok,
        Some(c) => {
            let field = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("");
            Health::Degraded(crate::text::clean(&format!(
                "index: {} {}",
                field("reason"),
                field("message")
            )))
        }
        None => Health::Degraded("index: not synced yet".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_member_is_ok_only_when_its_pediacluster_is_ready() {
        let ready = json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(synced(&ready), Health::Ok);
        let not = json!({"status": {"conditions": [
            {"type": "Ready", "status": "False", "reason": "ClusterSynchroStop", "message": "gone\u{1b}[2J"}
        ]}});
        assert_eq!(
            synced(&not),
            Health::Degraded("index: ClusterSynchroStop gone".into())
        );
        assert!(matches!(synced(&json!({})), Health::Degraded(_)));
    }

    #[test]
    fn a_paged_list_asks_for_its_continue_token_in_a_stable_order() {
        assert_eq!(paged("/api"), "/api");
        assert_eq!(paged("/api/v1/pods/x?pretty=1"), "/api/v1/pods/x?pretty=1");
        assert_eq!(
            paged("/api/v1/pods?limit=500&includeObject=Object"),
            format!("/api/v1/pods?limit=500&includeObject=Object&{PAGING}")
        );
    }

    #[test]
    fn only_dns_names_go_into_a_path() {
        assert!(valid_name("prod-eu.1"));
        for bad in ["", "a/b", "../x", "A", "a?b", "a b"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
