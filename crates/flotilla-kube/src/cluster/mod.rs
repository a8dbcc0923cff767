//! Everything that talks to clusters: kubeconfig, the per-context connection task, discovery,
//! credential plugins, and the list+watch loop over the apiserver's Table rendering.

pub mod access;
pub mod backoff;
pub mod connection;
pub mod credentials;
pub mod discovery;
pub mod exec;
pub mod fetch;
pub mod imported;
pub mod kubeconfig;
pub mod logs;
pub mod metrics;
pub mod request;
pub mod survey;
pub mod table;
pub mod watch;

use crate::model::ClusterId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// The client of every connected cluster. A connection task puts its client here before it
/// announces the connection, so that whoever acts on the announcement finds it.
#[derive(Clone, Default)]
pub struct Clients(Arc<Mutex<HashMap<ClusterId, kube::Client>>>);

impl Clients {
    pub fn insert(&self, id: ClusterId, client: kube::Client) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, client);
    }

    pub fn get(&self, id: ClusterId) -> Option<kube::Client> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned()
    }

    pub fn remove(&self, id: ClusterId) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }
}
