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
pub mod pedia;
pub mod request;
pub mod survey;
pub mod table;
pub mod watch;

use crate::model::ClusterId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// The client of every connected cluster. A connection task puts its client here before it
/// announces the connection, so that whoever acts on the announcement finds it. A cluster known
/// only through an index has, instead of a client, the reason it cannot be reached directly.
#[derive(Clone, Default)]
pub struct Clients(Arc<Mutex<HashMap<ClusterId, Result<kube::Client, String>>>>);

impl Clients {
    pub fn insert(&self, id: ClusterId, client: kube::Client) {
        self.lock().insert(id, Ok(client));
    }

    /// Records why `id` has no client (what a request to it then answers).
    pub fn refuse(&self, id: ClusterId, why: String) {
        self.lock().insert(id, Err(why));
    }

    pub fn get(&self, id: ClusterId) -> Option<kube::Client> {
        self.lock().get(&id).and_then(|c| c.as_ref().ok()).cloned()
    }

    /// The client, or why there is none ("not connected" when nothing was recorded).
    pub fn client(&self, id: ClusterId) -> Result<kube::Client, String> {
        self.lock()
            .get(&id)
            .cloned()
            .unwrap_or_else(|| Err(crate::model::not_connected().message))
    }

    pub fn remove(&self, id: ClusterId) {
        self.lock().remove(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ClusterId, Result<kube::Client, String>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
