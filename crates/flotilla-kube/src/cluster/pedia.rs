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
pub const RESOURCES: &str = "/apis/clusterpedia.io/v1beta1/resources";
/// The clusters it syncs, as the hub's custom resources.
const PEDIACLUSTERS: &str = "/apis/cluster.clusterpedia.io/v1alpha2/pediaclusters";
/// How often the clusters an index knows are listed again (new ones join the fleet).
const SOURCE_EVERY: Duration = Duration::from_secs(30);
/// How often a member's health (the index answering, its cluster synced) is asked.
const PROBE_EVERY: Duration = Duration::from_secs(10);
const RETRY: Duration = Duration::from_secs(10);

/// The client of each hub, built once and shared by all its members.
#[derive(Clone, Default)]
pub struct Hubs(Arc<tokio::sync::Mutex<HashMap<String, Client>>>);

impl Hubs {
    pub async fn client(&self, hub: &str, kubeconfig: Kubeconfig) -> Result<Client, String> {
        let mut hubs = self.0.lock().await;
        if let Some(c) = hubs.get(hub) {
            return Ok(c.clone());
        }
        let client = build_client(hub, kubeconfig).await?;
        hubs.insert(hub.to_string(), client.clone());
        Ok(client)
    }
}

/// Clusterpedia answers a `limit` with a continue token only when asked to, and its pages
/// (row offsets) hold still only in an explicit order: without one a walk through the pages
/// repeats some objects and misses others.
const PAGING: &str = "withContinue=true&orderby=cluster%2Cnamespace%2Cname";

/// A member's client: the hub's, with every path put under the member's prefix.
pub fn member_client(hub: Client, member: &str) -> Client {
    let prefix = format!("{RESOURCES}/clusters/{member}");
    let service = tower::service_fn(move |mut req: http::Request<kube::client::Body>| {
        let hub = hub.clone();
        let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
        let uri = format!("{prefix}{}", paged(path)).parse::<http::Uri>();
        async move {
            *req.uri_mut() = uri.map_err(|e| kube::Error::Service(Box::new(e)))?;
            hub.send(req).await
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
            let result = match hubs.client(&hub, kubeconfig.clone()).await {
                Ok(client) => members(&client).await,
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

async fn members(hub: &Client) -> Result<Vec<String>, String> {
    let items = fetch::list_all(hub, PEDIACLUSTERS, 500)
        .await
        .map_err(|e| format!("listing PediaClusters: {}", e.message))?;
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
            match self.hubs.client(&self.hub, self.kubeconfig.clone()).await {
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
        let client = member_client(hub.clone(), &self.name);
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
        let mut discovered = false;
        loop {
            let started = Instant::now();
            let health = match discovery::discover(&client).await {
                Err(e) => Health::Stale(format!(
                    "index {} does not answer: {}",
                    self.hub,
                    short_error(&e)
                )),
                Ok(resources) => {
                    if !self.send(ClusterEvent::Latency(started.elapsed())) {
                        return;
                    }
                    if !discovered {
                        discovered = true;
                        self.send(ClusterEvent::Usage(Err(
                            "n/a: known through an index (Clusterpedia), which keeps no usage"
                                .into(),
                        )));
                    }
                    if !self.send(ClusterEvent::Resources(resources)) {
                        return;
                    }
                    match self.status(&hub).await {
                        Ok(s) => synced(&s),
                        Err(e) => Health::Stale(e),
                    }
                }
            };
            if !self.send(ClusterEvent::Health(health)) {
                return;
            }
            tokio::time::sleep(PROBE_EVERY).await;
        }
    }

    async fn status(&self, hub: &Client) -> Result<Value, String> {
        fetch::get(hub, &format!("{PEDIACLUSTERS}/{}", self.name))
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
