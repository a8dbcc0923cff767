//! The live connections: which contexts are connected, how each is doing, what it serves.
//! Fed by the connection tasks' messages, read by the header, the views and the watch planner.

use crate::model::{ClusterEvent, ClusterId, Health, ResourceInfo};
use crate::protocol::op::{Access, Check};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct ClusterSlot {
    pub id: ClusterId,
    pub context: String,
    /// The context of the Clusterpedia index it is known through; `None`: connected directly.
    /// Its rows are the index's answer as of its last re-list, never live.
    pub via: Option<String>,
    pub health: Health,
    /// Since when the connection has not been answering: its rows are shown stale.
    pub unreachable_since: Option<Instant>,
    /// Set once the client is built and the server answered.
    pub connected: bool,
    pub version: Option<String>,
    pub identity: Option<String>,
    pub default_namespace: Option<String>,
    /// From discovery; empty until it answers.
    pub resources: Vec<ResourceInfo>,
    /// What the identity may do, as SelfSubjectAccessReviews answered; `None` while asked.
    /// Emptied when the connection (re)connects: the identity may have changed.
    pub access: HashMap<Check, Option<Access>>,
    /// Round trips of the last health probes, oldest first (for the fleet view's sparkline).
    pub latencies: VecDeque<Duration>,
    /// The last answer of metrics.k8s.io; `None` until one came (or the cluster has none).
    pub usage: Option<Result<crate::model::Usage, String>>,
    /// CPU and memory the nodes used at each poll, oldest first (the fleet's sparklines).
    pub usage_history: VecDeque<(i64, i64)>,
}

/// Probes remembered: 3 s apart, the last five minutes.
const LATENCIES: usize = 100;

impl ClusterSlot {
    /// The server's answer about `check`, if it has answered.
    pub fn access(&self, check: &Check) -> Option<&Access> {
        self.access.get(check).and_then(Option::as_ref)
    }

    /// Why the identity may not do what `check` asks, if the server said so. Not asked yet
    /// counts as allowed: the server decides when the change is sent.
    pub fn denied(&self, check: &Check) -> Option<String> {
        match self.access(check)? {
            Access::Allowed => None,
            Access::Denied(why) => Some(crate::ops::catalog::denial(
                self.identity.as_deref(),
                check,
                why,
            )),
        }
    }
}

#[derive(Debug, Default)]
pub struct Clusters {
    /// In the order they were added: the header's order.
    slots: Vec<ClusterSlot>,
    next: u64,
}

impl Clusters {
    /// A new connection to `context`, with an id never used before.
    pub fn add(&mut self, context: &str) -> ClusterId {
        self.add_via(context, None)
    }

    /// A new connection to a cluster known through the Clusterpedia index on `hub`.
    pub fn add_indexed(&mut self, member: &str, hub: &str) -> ClusterId {
        self.add_via(member, Some(hub.to_string()))
    }

    fn add_via(&mut self, context: &str, via: Option<String>) -> ClusterId {
        self.next += 1;
        let id = ClusterId(self.next);
        self.slots.push(ClusterSlot {
            id,
            context: context.to_string(),
            via,
            health: Health::Connecting,
            unreachable_since: None,
            connected: false,
            version: None,
            identity: None,
            default_namespace: None,
            resources: Vec::new(),
            access: HashMap::new(),
            latencies: VecDeque::new(),
            usage: None,
            usage_history: VecDeque::new(),
        });
        id
    }

    pub fn remove(&mut self, id: ClusterId) {
        self.slots.retain(|s| s.id != id);
    }

    pub fn get_mut(&mut self, id: ClusterId) -> Option<&mut ClusterSlot> {
        self.slots.iter_mut().find(|s| s.id == id)
    }

    pub fn get(&self, id: ClusterId) -> Option<&ClusterSlot> {
        self.slots.iter().find(|s| s.id == id)
    }

    pub fn by_context(&self, context: &str) -> Option<&ClusterSlot> {
        self.slots.iter().find(|s| s.context == context)
    }

    pub fn iter(&self) -> impl Iterator<Item = &ClusterSlot> {
        self.slots.iter()
    }

    pub fn ids(&self) -> Vec<ClusterId> {
        self.slots.iter().map(|s| s.id).collect()
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Applies a connection task's news; returns false when the connection is gone.
    pub fn apply(&mut self, id: ClusterId, ev: ClusterEvent, now: Instant) -> bool {
        let Some(slot) = self.slots.iter_mut().find(|s| s.id == id) else {
            return false;
        };
        match ev {
            ClusterEvent::Connected {
                version,
                identity,
                default_namespace,
            } => {
                slot.connected = true;
                slot.version = Some(crate::text::clean(&version));
                if slot.identity != identity {
                    slot.access.clear();
                }
                slot.identity = identity;
                slot.default_namespace = Some(default_namespace);
                slot.set_health(Health::Ok, now);
            }
            ClusterEvent::Resources(r) => slot.resources = r,
            ClusterEvent::Health(h) => slot.set_health(h, now),
            ClusterEvent::Usage(u) => {
                if let Ok(u) = &u {
                    if slot.usage_history.len() == LATENCIES {
                        slot.usage_history.pop_front();
                    }
                    let total = u.nodes_total();
                    slot.usage_history.push_back(total);
                }
                slot.usage = Some(u);
            }
            ClusterEvent::Latency(d) => {
                if slot.latencies.len() == LATENCIES {
                    slot.latencies.pop_front();
                }
                slot.latencies.push_back(d);
            }
        }
        true
    }
}

impl ClusterSlot {
    fn set_health(&mut self, h: Health, now: Instant) {
        match h {
            // Only rows once current can go stale; a context that never connected has none.
            Health::Unreachable(_) | Health::Stale(_) if self.connected => {
                self.unreachable_since.get_or_insert(now);
            }
            _ => self.unreachable_since = None,
        }
        self.health = h;
    }
}
