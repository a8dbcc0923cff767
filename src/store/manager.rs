//! Starts watches when a view needs them and stops them when no view has needed them for a
//! while (so Esc-ing back is instant, but a long session does not accumulate watches).

use super::Store;
use super::watch::WatchTask;
use crate::kinds::resource::{ResKey, ResourceInfo};
use crate::msg::{ClusterId, Sender};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const LINGER: Duration = Duration::from_secs(60);

pub struct Wanted {
    pub cluster: ClusterId,
    pub res: ResourceInfo,
    pub client: kube::Client,
    pub fallback_namespace: Option<String>,
}

struct Active {
    handle: tokio::task::JoinHandle<()>,
    unwanted_since: Option<Instant>,
}

#[derive(Default)]
pub struct WatchManager {
    active: HashMap<(ClusterId, ResKey), Active>,
    next_gen: u64,
}

impl WatchManager {
    pub fn reconcile(&mut self, wanted: Vec<Wanted>, store: &mut Store, tx: &Sender) {
        let now = Instant::now();
        for a in self.active.values_mut() {
            a.unwanted_since.get_or_insert(now);
        }
        for w in wanted {
            let key = (w.cluster, w.res.key.clone());
            if let Some(a) = self.active.get_mut(&key) {
                a.unwanted_since = None;
                continue;
            }
            self.next_gen += 1;
            let generation = self.next_gen;
            store.open(w.cluster, &w.res.key, generation);
            let handle = WatchTask {
                client: w.client,
                cluster: w.cluster,
                generation,
                res: w.res,
                fallback_namespace: w.fallback_namespace,
                tx: tx.clone(),
            }
            .spawn();
            self.active.insert(
                key,
                Active {
                    handle,
                    unwanted_since: None,
                },
            );
        }
        let expired: Vec<_> = self
            .active
            .iter()
            .filter(|(_, a)| {
                a.unwanted_since
                    .is_some_and(|t| now.duration_since(t) > LINGER)
            })
            .map(|(k, _)| k.clone())
            .collect();
        for key in expired {
            if let Some(a) = self.active.remove(&key) {
                a.handle.abort();
                store.close(key.0, &key.1);
            }
        }
    }

    pub fn stop_cluster(&mut self, id: ClusterId, store: &mut Store) {
        self.active.retain(|(c, _), a| {
            if *c == id {
                a.handle.abort();
            }
            *c != id
        });
        store.drop_cluster(id);
    }
}

impl Drop for WatchManager {
    fn drop(&mut self) {
        for a in self.active.values() {
            a.handle.abort();
        }
    }
}
