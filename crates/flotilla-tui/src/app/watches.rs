//! Which watches run: started when a screen needs them, stopped a while after none does (so
//! Esc-ing back is instant, but a long session does not accumulate watches). The runner
//! starts and stops the tasks; this only decides, and opens or closes the store's sheets.

use crate::model::{ClusterId, ResKey, ResourceInfo};
use crate::protocol::Effect;
use crate::store::Store;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const LINGER: Duration = Duration::from_secs(60);

pub struct Wanted {
    pub cluster: ClusterId,
    pub res: ResourceInfo,
    pub fallback_namespace: Option<String>,
}

struct Active {
    generation: u64,
    unwanted_since: Option<Instant>,
}

#[derive(Default)]
pub struct WatchPlan {
    active: HashMap<(ClusterId, ResKey), Active>,
    next_gen: u64,
}

impl WatchPlan {
    pub fn reconcile(
        &mut self,
        wanted: Vec<Wanted>,
        store: &mut Store,
        now: Instant,
        effects: &mut Vec<Effect>,
    ) {
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
            effects.push(Effect::Watch {
                cluster: w.cluster,
                generation,
                res: w.res,
                fallback_namespace: w.fallback_namespace,
            });
            self.active.insert(
                key,
                Active {
                    generation,
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
                effects.push(Effect::StopWatch {
                    cluster: key.0,
                    generation: a.generation,
                });
                store.close(key.0, &key.1);
            }
        }
    }

    /// The connection is gone, and its watches with it.
    pub fn drop_cluster(&mut self, id: ClusterId) {
        self.active.retain(|(c, _), _| *c != id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pods() -> ResourceInfo {
        crate::kinds::resource::builtin()
            .into_iter()
            .find(|r| r.key.plural == "pods")
            .unwrap()
    }

    #[test]
    fn starts_once_and_stops_after_lingering() {
        let mut plan = WatchPlan::default();
        let mut store = Store::default();
        let dev = store.clusters.add("dev");
        let want = || {
            vec![Wanted {
                cluster: dev,
                res: pods(),
                fallback_namespace: None,
            }]
        };
        let t0 = Instant::now();
        let mut fx = Vec::new();
        plan.reconcile(want(), &mut store, t0, &mut fx);
        plan.reconcile(want(), &mut store, t0, &mut fx);
        assert!(matches!(
            fx.as_slice(),
            [Effect::Watch { generation: 1, .. }]
        ));
        assert!(store.sheet(dev, &ResKey::core("pods")).is_some());
        fx.clear();
        plan.reconcile(Vec::new(), &mut store, t0, &mut fx);
        plan.reconcile(Vec::new(), &mut store, t0 + LINGER / 2, &mut fx);
        assert!(fx.is_empty(), "still lingering");
        plan.reconcile(Vec::new(), &mut store, t0 + LINGER * 2, &mut fx);
        assert_eq!(
            fx,
            vec![Effect::StopWatch {
                cluster: dev,
                generation: 1
            }]
        );
        assert!(store.sheet(dev, &ResKey::core("pods")).is_none());
    }
}
