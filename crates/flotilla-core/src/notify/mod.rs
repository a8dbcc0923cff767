//! Notifications of triage changes to webhooks (`[notify]` in config.toml). The same triage
//! engine the `:triage` screen reads runs app-wide; `route` turns its changes into messages
//! (once per problem, flaps damped, storms summarised), `format` writes them, the client
//! layer's `notify::sender` posts them off the UI loop, and `flotilla watch --notify` runs it
//! without a terminal.

pub mod config;
pub mod format;
pub mod route;

pub use config::{NotifySettings, Plan, redact};

use crate::store::{ClusterSlot, SheetState, Store};
use crate::triage::{Engine, Thresholds, watched};
use std::collections::BTreeSet;

/// A cluster whose first lists never complete (unreachable, very slow) is taken as it is
/// after this long, so the others' problems are not held back for ever.
const SETTLE_SECS: i64 = 120;

/// One message for one webhook.
#[derive(Clone, PartialEq)]
pub struct Outgoing {
    pub hook: String,
    /// May hold a token: shown only through `redact`.
    pub url: String,
    pub format: config::Format,
    pub body: String,
    /// One line for logs and `flotilla watch`'s output.
    pub summary: String,
    pub events: usize,
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing")
            .field("hook", &self.hook)
            .field("url", &redact(&self.url))
            .field("summary", &self.summary)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

/// The triage engine and the router, refreshed at most once a second.
pub struct Watch {
    engine: Engine,
    notifier: route::Notifier,
    started: Option<i64>,
    last: Option<i64>,
    baselined: BTreeSet<String>,
    /// Clusters baselined since the last look, with their open problems then.
    ready: Vec<(String, usize)>,
}

impl Watch {
    pub fn new(plan: &Plan) -> Watch {
        Watch {
            engine: Engine::default(),
            notifier: route::Notifier::new(plan),
            started: None,
            last: None,
            baselined: BTreeSet::new(),
            ready: Vec::new(),
        }
    }

    /// For the TUI: `None` without webhooks, or when they are left to `flotilla watch`.
    pub fn for_tui(settings: &NotifySettings) -> Option<Watch> {
        // Checked at load; a plan that fails here was built in code, and notifies nothing.
        let plan = Plan::from_settings(settings).ok()?;
        (plan.tui && !plan.hooks.is_empty()).then(|| Watch::new(&plan))
    }

    /// Catches up with the store; returns what to send.
    pub fn tick(&mut self, store: &Store, thresholds: &Thresholds, now: i64) -> Vec<Outgoing> {
        if self.last == Some(now) {
            return Vec::new();
        }
        self.last = Some(now);
        let started = *self.started.get_or_insert(now);
        let changes = self.engine.refresh(store, thresholds, now);
        let baselined = &self.baselined;
        self.notifier
            .observe(&changes, |c| baselined.contains(c), now);
        // After the refresh: what it saw of a cluster whose lists are complete is its
        // initial set; from the next refresh on, that cluster's changes are news.
        for slot in store.clusters.iter() {
            if self.baselined.contains(&slot.context) {
                continue;
            }
            if listed(store, slot) || now - started >= SETTLE_SECS {
                let open = self
                    .engine
                    .problems
                    .iter()
                    .filter(|p| p.context == slot.context)
                    .count();
                self.baselined.insert(slot.context.clone());
                self.ready.push((slot.context.clone(), open));
            }
        }
        self.notifier.due(now)
    }

    /// Clusters whose initial set was taken since the last call, with its size.
    pub fn take_ready(&mut self) -> Vec<(String, usize)> {
        std::mem::take(&mut self.ready)
    }
}

/// Every sheet triage reads on this cluster has had its first list (or failed it): what
/// the cluster discovery lists and allows watching, that is.
fn listed(store: &Store, slot: &ClusterSlot) -> bool {
    if !slot.connected || slot.resources.is_empty() {
        return false;
    }
    watched().iter().all(|res| match store.sheet(slot.id, res) {
        Some(sheet) => sheet.state != SheetState::Syncing,
        None => !slot
            .resources
            .iter()
            .any(|r| r.key == *res && r.can("watch")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        ClusterEvent, ClusterId, Column, ColumnKind, ResKey, Row, RowHealth, WatchEvent,
    };
    use std::time::Instant;

    fn pod(name: &str, status: &str) -> Row {
        Row {
            uid: format!("uid-{name}"),
            name: name.into(),
            namespace: "shop".into(),
            cells: vec![name.into(), status.into()],
            created: Some(900),
            last_seen: None,
            labels: vec![],
            owners: vec![],
            deleting: None,
            facts: vec![],
            health: RowHealth::Error,
            search: name.into(),
        }
    }

    /// A store with `dev` connected, discovery listing only pods, a pods list under way.
    fn store() -> (Store, ClusterId) {
        let mut store = Store::default();
        let id = store.clusters.add("dev");
        let now = Instant::now();
        let connected = ClusterEvent::Connected {
            version: "v1.36.3".into(),
            identity: None,
            default_namespace: "default".into(),
        };
        store.clusters.apply(id, connected, now);
        let pods: Vec<_> = crate::kinds::resource::builtin()
            .into_iter()
            .filter(|r| r.key == ResKey::core("pods"))
            .collect();
        store.clusters.apply(id, ClusterEvent::Resources(pods), now);
        store.open(id, &ResKey::core("pods"), 1);
        let columns = ["Name", "Status"]
            .iter()
            .map(|n| Column {
                name: n.to_string(),
                kind: ColumnKind::Text,
                priority: 0,
            })
            .collect();
        store.apply(
            id,
            &ResKey::core("pods"),
            1,
            WatchEvent::Listing { columns },
        );
        (store, id)
    }

    fn plan() -> Plan {
        let s: NotifySettings = toml::from_str(
            "quiet = \"5s\"\nbatch = \"0\"\n[[webhook]]\nname = \"t\"\nurl = \"http://127.0.0.1:1/hook?access_token=SECRET\"",
        )
        .unwrap();
        Plan::from_settings(&s).unwrap()
    }

    #[test]
    fn only_changes_after_the_first_list_are_sent_once_each() {
        let (mut store, id) = store();
        let pods = ResKey::core("pods");
        let th = Thresholds::default();
        let mut w = Watch::new(&plan());
        let apply = |store: &mut Store, ev| store.apply(id, &pods, 1, ev);
        apply(
            &mut store,
            WatchEvent::Upsert(vec![pod("crasher", "CrashLoopBackOff")]),
        );
        assert!(w.tick(&store, &th, 1000).is_empty(), "listing: not yet");
        assert!(w.take_ready().is_empty());
        apply(&mut store, WatchEvent::Synced);
        assert!(w.tick(&store, &th, 1001).is_empty(), "the initial set");
        assert_eq!(w.take_ready(), [("dev".to_string(), 1)]);
        apply(&mut store, WatchEvent::Upsert(vec![pod("flaky", "Error")]));
        let out = w.tick(&store, &th, 1002);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].summary, "dev pod shop/flaky Error");
        // It holds, its status changes: no more messages.
        apply(
            &mut store,
            WatchEvent::Upsert(vec![pod("flaky", "CrashLoopBackOff")]),
        );
        for now in 1003..1010 {
            assert!(w.tick(&store, &th, now).is_empty());
        }
        apply(&mut store, WatchEvent::Delete(vec!["uid-flaky".into()]));
        assert!(
            w.tick(&store, &th, 1010).is_empty(),
            "held for the quiet period"
        );
        let out: Vec<Outgoing> = (1011..1020).flat_map(|t| w.tick(&store, &th, t)).collect();
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].summary,
            "dev pod shop/flaky resolved: CrashLoopBackOff"
        );
        assert!(
            !format!("{out:?}").contains("SECRET"),
            "Debug shows the URL redacted"
        );
    }
}
