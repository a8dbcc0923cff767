//! The in-memory, multi-cluster state the network feeds and the views read: the live
//! connections, and one sheet of slim rows per (cluster, resource). Only messages change it.

pub mod clusters;
pub mod sheet;

use crate::model::{ClusterId, Health, ObjectRef, ResKey, Row, WatchEvent};
pub use clusters::{ClusterSlot, Clusters};
pub use sheet::{Sheet, SheetState, Slot};
use std::collections::HashMap;
use std::time::Instant;

#[derive(Default)]
pub struct Store {
    pub clusters: Clusters,
    // Keyed resource first so lookups borrow the key instead of cloning it.
    sheets: HashMap<ResKey, HashMap<ClusterId, Sheet>>,
    /// The source of every sheet version: a new sheet never repeats an old one's versions.
    version: u64,
}

impl Store {
    fn bump(&mut self) -> u64 {
        self.version += 1;
        self.version
    }

    /// A new watch generation for this sheet; rows of the old one stay until the new list
    /// completes, so a restart does not blank the screen.
    pub fn open(&mut self, id: ClusterId, res: &ResKey, generation: u64) {
        let v = self.bump();
        self.sheets
            .entry(res.clone())
            .or_default()
            .entry(id)
            .or_insert_with(|| Sheet::new(generation, v))
            .generation = generation;
    }

    pub fn close(&mut self, id: ClusterId, res: &ResKey) {
        if let Some(m) = self.sheets.get_mut(res) {
            m.remove(&id);
        }
    }

    pub fn drop_cluster(&mut self, id: ClusterId) {
        self.sheets.values_mut().for_each(|m| {
            m.remove(&id);
        });
        self.clusters.remove(id);
    }

    pub fn sheet(&self, id: ClusterId, res: &ResKey) -> Option<&Sheet> {
        self.sheets.get(res)?.get(&id)
    }

    pub fn sheets_of(&self, id: ClusterId) -> impl Iterator<Item = (&ResKey, &Sheet)> {
        self.sheets
            .iter()
            .filter_map(move |(r, m)| m.get(&id).map(|s| (r, s)))
    }

    /// The object as it is now, or `None` when it is gone (or its connection is).
    pub fn lookup(&self, obj: &ObjectRef) -> Option<&Row> {
        let slot = self.clusters.get(obj.cluster)?;
        if slot.context != obj.context {
            return None;
        }
        self.sheet(obj.cluster, &obj.res)?
            .find(&obj.uid)
            .map(|(_, r)| r)
    }

    /// Applies one watch message; stale generations are dropped. Returns whether anything changed.
    pub fn apply(&mut self, id: ClusterId, res: &ResKey, generation: u64, ev: WatchEvent) -> bool {
        let v = self.version + 1;
        let Some(sheet) = self.sheets.get_mut(res).and_then(|m| m.get_mut(&id)) else {
            return false;
        };
        if sheet.generation != generation {
            return false;
        }
        match ev {
            WatchEvent::Listing { columns } => sheet.begin_relist(columns, v),
            WatchEvent::Upsert(rows) => rows.into_iter().for_each(|r| sheet.upsert(r, v)),
            WatchEvent::Delete(uids) => uids.iter().for_each(|u| sheet.remove(u, v)),
            WatchEvent::Synced => sheet.end_relist(v),
            WatchEvent::Live => sheet.live_again(),
            WatchEvent::Failed(why) => sheet.failed(why, Instant::now()),
        }
        sheet.version = v;
        self.version = v;
        true
    }

    /// The badge: the connection's health, degraded when a watch of this cluster is failing.
    pub fn health(&self, id: ClusterId) -> Health {
        let Some(slot) = self.clusters.get(id) else {
            return Health::Unreachable(crate::model::not_connected().message);
        };
        if slot.health == Health::Ok {
            for (res, sheet) in self.sheets_of(id) {
                if let SheetState::Failed(why) = &sheet.state {
                    return Health::Degraded(format!("{res}: {why}"));
                }
            }
        }
        slot.health.clone()
    }

    /// For a cluster known through an index: when its oldest list on screen completed (its
    /// rows are that index's answer as of then). `None` for a directly watched cluster.
    pub fn as_of(&self, id: ClusterId) -> Option<Instant> {
        self.clusters.get(id)?.via.as_ref()?;
        self.sheets_of(id).filter_map(|(_, s)| s.listed_at).min()
    }

    /// Since when rows of this cluster (of `res`, or of any resource) may be out of date: the
    /// connection stopped answering, or a watch broke.
    pub fn stale_since(&self, id: ClusterId, res: Option<&ResKey>) -> Option<Instant> {
        let unreachable = self.clusters.get(id).and_then(|s| s.unreachable_since);
        let watch = match res {
            Some(r) => self.sheet(id, r).and_then(|s| s.stale_since),
            None => self.sheets_of(id).filter_map(|(_, s)| s.stale_since).min(),
        };
        match (unreachable, watch) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RowHealth;
    use std::collections::HashSet;

    pub fn row(uid: &str) -> Row {
        Row {
            uid: uid.into(),
            name: uid.into(),
            namespace: "ns".into(),
            cells: vec![uid.into()],
            created: None,
            last_seen: None,
            labels: vec![],
            owners: vec![],
            deleting: None,
            facts: vec![],
            health: RowHealth::Ok,
            search: uid.into(),
        }
    }

    fn uids(s: &Store, id: ClusterId, res: &ResKey) -> HashSet<String> {
        s.sheet(id, res)
            .unwrap()
            .rows()
            .map(|(_, r)| r.uid.clone())
            .collect()
    }

    #[test]
    fn relist_drops_unseen_rows_and_stale_generations_are_ignored() {
        let mut s = Store::default();
        let id = s.clusters.add("dev");
        let pods = ResKey::core("pods");
        s.open(id, &pods, 1);
        s.apply(id, &pods, 1, WatchEvent::Listing { columns: vec![] });
        s.apply(
            id,
            &pods,
            1,
            WatchEvent::Upsert(vec![row("a"), row("b"), row("c")]),
        );
        s.apply(id, &pods, 1, WatchEvent::Synced);
        assert_eq!(s.sheet(id, &pods).unwrap().len(), 3);
        s.apply(id, &pods, 1, WatchEvent::Delete(vec!["a".into()]));
        assert_eq!(uids(&s, id, &pods), HashSet::from(["b".into(), "c".into()]));
        // Relist that no longer contains "b".
        s.apply(id, &pods, 1, WatchEvent::Listing { columns: vec![] });
        s.apply(id, &pods, 1, WatchEvent::Upsert(vec![row("c"), row("d")]));
        assert_eq!(
            s.sheet(id, &pods).unwrap().len(),
            3,
            "old rows stay until the list completes"
        );
        s.apply(id, &pods, 1, WatchEvent::Synced);
        assert_eq!(uids(&s, id, &pods), HashSet::from(["c".into(), "d".into()]));
        assert!(!s.apply(id, &pods, 7, WatchEvent::Upsert(vec![row("x")])));
    }

    #[test]
    fn slots_stay_put_and_the_log_names_what_changed() {
        let mut s = Store::default();
        let id = s.clusters.add("dev");
        let pods = ResKey::core("pods");
        s.open(id, &pods, 1);
        s.apply(
            id,
            &pods,
            1,
            WatchEvent::Upsert(vec![row("a"), row("b"), row("c")]),
        );
        let sheet = s.sheet(id, &pods).unwrap();
        let (c_slot, _) = sheet.find("c").unwrap();
        let (a_slot, _) = sheet.find("a").unwrap();
        let v = sheet.version;
        s.apply(id, &pods, 1, WatchEvent::Delete(vec!["a".into()]));
        let sheet = s.sheet(id, &pods).unwrap();
        assert_eq!(
            sheet.find("c").unwrap().0,
            c_slot,
            "a deletion moves no row"
        );
        assert!(sheet.get(a_slot).is_none());
        assert_eq!(
            sheet.changes_since(v).unwrap().collect::<Vec<_>>(),
            vec![a_slot.index]
        );
        // A new row may reuse the freed slot, but never under the old reference.
        s.apply(id, &pods, 1, WatchEvent::Upsert(vec![row("d")]));
        let sheet = s.sheet(id, &pods).unwrap();
        let (d_slot, _) = sheet.find("d").unwrap();
        assert_eq!(d_slot.index, a_slot.index);
        assert!(sheet.get(a_slot).is_none());
        assert_eq!(sheet.get(d_slot).map(|r| r.uid.as_str()), Some("d"));
    }

    #[test]
    fn a_sheet_far_behind_asks_for_a_rebuild() {
        let mut s = Store::default();
        let id = s.clusters.add("dev");
        let pods = ResKey::core("pods");
        s.open(id, &pods, 1);
        let v = s.sheet(id, &pods).unwrap().version;
        for i in 0..(sheet::tests_log_cap() + 10) {
            s.apply(id, &pods, 1, WatchEvent::Upsert(vec![row(&i.to_string())]));
        }
        assert!(s.sheet(id, &pods).unwrap().changes_since(v).is_none());
    }

    #[test]
    fn stale_while_unreachable_or_watch_broken() {
        let mut s = Store::default();
        let id = s.clusters.add("dev");
        let pods = ResKey::core("pods");
        s.open(id, &pods, 1);
        s.apply(id, &pods, 1, WatchEvent::Failed("forbidden".into()));
        assert!(
            s.stale_since(id, Some(&pods)).is_none(),
            "never listed: nothing to be stale"
        );
        s.apply(id, &pods, 1, WatchEvent::Listing { columns: vec![] });
        s.apply(id, &pods, 1, WatchEvent::Synced);
        assert!(s.stale_since(id, Some(&pods)).is_none());
        s.apply(id, &pods, 1, WatchEvent::Failed("watch went silent".into()));
        assert!(s.stale_since(id, Some(&pods)).is_some());
        s.apply(id, &pods, 1, WatchEvent::Live);
        assert!(s.stale_since(id, Some(&pods)).is_none());
        let now = Instant::now();
        let connected = crate::model::ClusterEvent::Connected {
            version: "v1".into(),
            identity: None,
            default_namespace: "default".into(),
        };
        s.clusters.apply(id, connected, now);
        s.clusters.apply(
            id,
            crate::model::ClusterEvent::Health(Health::Unreachable("no answer".into())),
            now,
        );
        assert_eq!(s.stale_since(id, None), Some(now));
        s.clusters
            .apply(id, crate::model::ClusterEvent::Health(Health::Ok), now);
        assert!(s.stale_since(id, None).is_none());
    }
}
