//! Carries out the app's network effects on tokio: a task per connection, a task per watch,
//! one-off fetches. Every task only sends messages back; effects that need the terminal
//! (clipboard, editor, quit) are handed back to the runner.

use crate::cluster::{Clients, connection, fetch, watch::WatchTask};
use crate::model::msg::ApiError;
use crate::model::{ClusterId, Effect, Msg};
use kube::config::Kubeconfig;
use std::collections::HashMap;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

pub struct Executor {
    kubeconfig: Kubeconfig,
    tx: UnboundedSender<Msg>,
    clients: Clients,
    connections: HashMap<ClusterId, JoinHandle<()>>,
    watches: HashMap<(ClusterId, u64), JoinHandle<()>>,
}

impl Executor {
    pub fn new(kubeconfig: Kubeconfig, tx: UnboundedSender<Msg>) -> Self {
        Executor {
            kubeconfig,
            tx,
            clients: Clients::default(),
            connections: HashMap::new(),
            watches: HashMap::new(),
        }
    }

    /// Carries out a network effect; returns the effect when it is the runner's to carry out.
    pub fn run(&mut self, effect: Effect) -> Option<Effect> {
        match effect {
            Effect::Connect { cluster, context } => {
                let task = connection::spawn(
                    cluster,
                    context,
                    self.kubeconfig.clone(),
                    self.clients.clone(),
                    self.tx.clone(),
                );
                self.connections.insert(cluster, task);
            }
            Effect::Disconnect { cluster } => {
                if let Some(t) = self.connections.remove(&cluster) {
                    t.abort();
                }
                self.watches.retain(|(c, _), t| {
                    if *c == cluster {
                        t.abort();
                    }
                    *c != cluster
                });
                self.clients.remove(cluster);
            }
            Effect::Watch {
                cluster,
                generation,
                res,
                fallback_namespace,
            } => {
                // The app asks only for connected clusters, whose client is registered.
                let Some(client) = self.clients.get(cluster) else {
                    tracing::warn!("watch of {} asked for {cluster} without a client", res.key);
                    return None;
                };
                let task = WatchTask {
                    client,
                    cluster,
                    generation,
                    res,
                    fallback_namespace,
                    tx: self.tx.clone(),
                }
                .spawn();
                self.watches.insert((cluster, generation), task);
            }
            Effect::StopWatch {
                cluster,
                generation,
            } => {
                if let Some(t) = self.watches.remove(&(cluster, generation)) {
                    t.abort();
                }
            }
            Effect::Fetch {
                ticket,
                cluster,
                path,
                events,
            } => {
                let client = self.clients.get(cluster);
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let result = match client {
                        Some(c) => fetch::fetch(&c, &path, events.as_deref()).await,
                        None => Err(ApiError {
                            code: 0,
                            message: "not connected".into(),
                        }),
                    };
                    let _ = tx.send(Msg::Fetched { ticket, result });
                });
            }
            other => return Some(other),
        }
        None
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        for t in self.connections.values().chain(self.watches.values()) {
            t.abort();
        }
    }
}
