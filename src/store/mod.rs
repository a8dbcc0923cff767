//! The in-memory, multi-cluster object store: one sheet of slim rows per (cluster, resource),
//! fed only by watch messages, read by the views.

pub mod manager;
pub mod row;
pub mod watch;

use crate::kinds::resource::ResKey;
use crate::msg::ClusterId;
use row::{Column, Row};
use std::collections::{HashMap, HashSet};

#[derive(Debug)]
pub enum WatchEvent {
    /// A (re)list began; rows not re-sent before `Synced` are gone.
    Listing {
        columns: Vec<Column>,
    },
    Upsert(Vec<Row>),
    Delete(Vec<String>),
    Synced,
    Failed(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SheetState {
    Syncing,
    Ready,
    /// The last list or watch failed; rows shown are the last known ones.
    Failed(String),
}

#[derive(Debug)]
pub struct Sheet {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    index: HashMap<String, usize>,
    pub state: SheetState,
    seen: Option<HashSet<String>>,
    generation: u64,
}

impl Sheet {
    fn new(generation: u64) -> Self {
        Self {
            columns: Vec::new(),
            rows: Vec::new(),
            index: HashMap::new(),
            state: SheetState::Syncing,
            seen: None,
            generation,
        }
    }

    /// Returns true when the row is new (rows were added, not only updated in place).
    fn upsert(&mut self, row: Row) -> bool {
        if let Some(seen) = self.seen.as_mut() {
            seen.insert(row.uid.clone());
        }
        match self.index.get(&row.uid) {
            Some(&i) => {
                self.rows[i] = row;
                false
            }
            None => {
                self.index.insert(row.uid.clone(), self.rows.len());
                self.rows.push(row);
                true
            }
        }
    }

    fn remove(&mut self, uid: &str) -> bool {
        let Some(i) = self.index.remove(uid) else {
            return false;
        };
        self.rows.swap_remove(i);
        if let Some(moved) = self.rows.get(i) {
            self.index.insert(moved.uid.clone(), i);
        }
        true
    }
}

#[derive(Default)]
pub struct Store {
    // Keyed resource first so lookups borrow the key instead of cloning it.
    sheets: HashMap<ResKey, HashMap<ClusterId, Sheet>>,
    /// Bumped on every change, so views know when to recompute.
    pub version: u64,
    /// Bumped on every change except rows updated in place: while it holds still, row
    /// positions are stable and a view sorted by immutable keys need not re-sort.
    pub structure: u64,
}

impl Store {
    /// A new watch generation for this sheet; rows of the old one stay until the new list
    /// completes, so a restart does not blank the screen.
    pub fn open(&mut self, id: ClusterId, res: &ResKey, generation: u64) {
        self.sheets
            .entry(res.clone())
            .or_default()
            .entry(id)
            .or_insert_with(|| Sheet::new(generation))
            .generation = generation;
        self.bump_structure();
    }

    pub fn close(&mut self, id: ClusterId, res: &ResKey) {
        if let Some(m) = self.sheets.get_mut(res) {
            m.remove(&id);
        }
        self.bump_structure();
    }

    pub fn drop_cluster(&mut self, id: ClusterId) {
        self.sheets.values_mut().for_each(|m| {
            m.remove(&id);
        });
        self.bump_structure();
    }

    fn bump_structure(&mut self) {
        self.version += 1;
        self.structure += 1;
    }

    pub fn sheet(&self, id: ClusterId, res: &ResKey) -> Option<&Sheet> {
        self.sheets.get(res)?.get(&id)
    }

    pub fn sheets_of(&self, id: ClusterId) -> impl Iterator<Item = (&ResKey, &Sheet)> {
        self.sheets
            .iter()
            .filter_map(move |(r, m)| m.get(&id).map(|s| (r, s)))
    }

    /// Applies one watch message; stale generations are dropped. Returns whether anything changed.
    pub fn apply(&mut self, id: ClusterId, res: &ResKey, generation: u64, ev: WatchEvent) -> bool {
        let Some(sheet) = self.sheets.get_mut(res).and_then(|m| m.get_mut(&id)) else {
            return false;
        };
        if sheet.generation != generation {
            return false;
        }
        let structural = match ev {
            WatchEvent::Listing { columns } => {
                sheet.columns = columns;
                sheet.seen = Some(HashSet::new());
                if sheet.state != SheetState::Ready {
                    sheet.state = SheetState::Syncing;
                }
                true
            }
            WatchEvent::Upsert(rows) => rows
                .into_iter()
                .fold(false, |added, r| sheet.upsert(r) | added),
            WatchEvent::Delete(uids) => uids.iter().fold(false, |gone, u| sheet.remove(u) | gone),
            WatchEvent::Synced => {
                if let Some(seen) = sheet.seen.take() {
                    let gone: Vec<String> = sheet
                        .rows
                        .iter()
                        .filter(|r| !seen.contains(&r.uid))
                        .map(|r| r.uid.clone())
                        .collect();
                    gone.iter().for_each(|u| {
                        sheet.remove(u);
                    });
                }
                sheet.state = SheetState::Ready;
                true
            }
            WatchEvent::Failed(why) => {
                sheet.state = SheetState::Failed(why);
                true
            }
        };
        self.version += 1;
        if structural {
            self.structure += 1;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::health::RowHealth;

    fn row(uid: &str) -> Row {
        Row {
            uid: uid.into(),
            name: uid.into(),
            namespace: "ns".into(),
            cells: vec![uid.into()],
            created: None,
            last_seen: None,
            labels: vec![],
            owners: vec![],
            health: RowHealth::Ok,
            search: uid.into(),
        }
    }

    #[test]
    fn relist_drops_unseen_rows_and_stale_generations_are_ignored() {
        let mut s = Store::default();
        let pods = ResKey::core("pods");
        s.open(0, &pods, 1);
        s.apply(0, &pods, 1, WatchEvent::Listing { columns: vec![] });
        s.apply(
            0,
            &pods,
            1,
            WatchEvent::Upsert(vec![row("a"), row("b"), row("c")]),
        );
        s.apply(0, &pods, 1, WatchEvent::Synced);
        assert_eq!(s.sheet(0, &pods).unwrap().rows.len(), 3);
        s.apply(0, &pods, 1, WatchEvent::Delete(vec!["a".into()]));
        let names: HashSet<_> = s
            .sheet(0, &pods)
            .unwrap()
            .rows
            .iter()
            .map(|r| r.uid.clone())
            .collect();
        assert_eq!(names, HashSet::from(["b".to_string(), "c".to_string()]));
        // Relist that no longer contains "b".
        s.apply(0, &pods, 1, WatchEvent::Listing { columns: vec![] });
        s.apply(0, &pods, 1, WatchEvent::Upsert(vec![row("c"), row("d")]));
        assert_eq!(
            s.sheet(0, &pods).unwrap().rows.len(),
            3,
            "old rows stay until the list completes"
        );
        s.apply(0, &pods, 1, WatchEvent::Synced);
        assert_eq!(s.sheet(0, &pods).unwrap().rows.len(), 2);
        assert!(!s.apply(0, &pods, 7, WatchEvent::Upsert(vec![row("x")])));
        // An in-place update changes the version but not the structure.
        let (v, st) = (s.version, s.structure);
        s.apply(0, &pods, 1, WatchEvent::Upsert(vec![row("c")]));
        assert_eq!((s.version, s.structure), (v + 1, st));
        s.apply(0, &pods, 1, WatchEvent::Upsert(vec![row("e")]));
        assert_eq!(s.structure, st + 1);
        assert_eq!(s.sheet(0, &pods).unwrap().rows.len(), 3);
    }
}
