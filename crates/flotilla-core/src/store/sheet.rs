//! One (cluster, resource) sheet of rows. Rows live in slots that stay put while their object
//! exists (a deletion frees the slot, it never moves another row into it), and every change is
//! logged with the sheet's version, so a view catches up on exactly the rows that changed
//! instead of re-sorting everything.

use crate::model::{Column, Row};
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Instant;

/// How many row changes a sheet remembers; a view further behind rebuilds from scratch.
const LOG_CAP: usize = 16_384;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SheetState {
    Syncing,
    Ready,
    /// The last list or watch failed; rows shown are the last known ones.
    Failed(String),
}

/// Where a row lives: stable while its object exists; `epoch` tells a reused slot apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Slot {
    pub index: u32,
    pub epoch: u32,
}

#[derive(Debug)]
struct Entry {
    epoch: u32,
    row: Option<Row>,
}

#[derive(Debug)]
pub struct Sheet {
    pub columns: Vec<Column>,
    entries: Vec<Entry>,
    free: Vec<u32>,
    index: HashMap<String, u32>,
    pub state: SheetState,
    /// Since when the watch behind this sheet has been broken (its rows may be out of date).
    pub stale_since: Option<Instant>,
    /// When the last list completed: how old the rows of a cluster known through an index
    /// (re-listed, never watched) are.
    pub listed_at: Option<Instant>,
    /// Uids re-sent by a relist in progress.
    seen: Option<HashSet<String>>,
    /// A list has completed once: from then on a failure makes the rows stale, where before
    /// there were no rows to go stale.
    listed: bool,
    /// The watch generation feeding this sheet; events of other generations are dropped.
    pub(super) generation: u64,
    /// Bumped (from a store-wide counter, so never repeated) on every change.
    pub version: u64,
    /// The version at which the columns last changed.
    pub layout: u64,
    /// (version, slot index) of row changes, oldest first.
    log: VecDeque<(u64, u32)>,
    /// Changes at or before this version are no longer in the log.
    log_floor: u64,
}

impl Sheet {
    pub(super) fn new(generation: u64, version: u64) -> Self {
        Sheet {
            columns: Vec::new(),
            entries: Vec::new(),
            free: Vec::new(),
            index: HashMap::new(),
            state: SheetState::Syncing,
            stale_since: None,
            listed_at: None,
            seen: None,
            listed: false,
            generation,
            version,
            layout: version,
            log: VecDeque::new(),
            log_floor: version,
        }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// The watch generation this sheet takes events from.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// One past the highest slot index in use (for per-slot tables).
    pub fn slot_count(&self) -> usize {
        self.entries.len()
    }

    pub fn get(&self, slot: Slot) -> Option<&Row> {
        let e = self.entries.get(slot.index as usize)?;
        if e.epoch == slot.epoch {
            e.row.as_ref()
        } else {
            None
        }
    }

    /// Whatever row occupies a slot index now.
    pub fn at(&self, index: u32) -> Option<(Slot, &Row)> {
        let e = self.entries.get(index as usize)?;
        e.row.as_ref().map(|r| {
            (
                Slot {
                    index,
                    epoch: e.epoch,
                },
                r,
            )
        })
    }

    pub fn find(&self, uid: &str) -> Option<(Slot, &Row)> {
        self.at(*self.index.get(uid)?)
    }

    /// Every row, in memory order (fastest to scan).
    pub fn rows(&self) -> impl Iterator<Item = (Slot, &Row)> {
        self.entries.iter().enumerate().filter_map(|(i, e)| {
            e.row.as_ref().map(|r| {
                (
                    Slot {
                        index: i as u32,
                        epoch: e.epoch,
                    },
                    r,
                )
            })
        })
    }

    /// Slot indices whose row changed (added, updated, removed) after `version`, or `None`
    /// when the log no longer reaches back that far.
    pub fn changes_since(&self, version: u64) -> Option<impl Iterator<Item = u32> + '_> {
        if version < self.log_floor {
            return None;
        }
        Some(
            self.log
                .iter()
                .rev()
                .take_while(move |(v, _)| *v > version)
                .map(|(_, i)| *i),
        )
    }

    fn logged(&mut self, version: u64, index: u32) {
        if self.log.len() == LOG_CAP
            && let Some((v, _)) = self.log.pop_front()
        {
            self.log_floor = v;
        }
        self.log.push_back((version, index));
    }

    pub(super) fn begin_relist(&mut self, columns: Vec<Column>, version: u64) {
        if columns != self.columns {
            self.columns = columns;
            self.layout = version;
        }
        self.seen = Some(HashSet::new());
        if self.state == SheetState::Ready {
            return;
        }
        if !matches!(self.state, SheetState::Failed(_)) {
            self.state = SheetState::Syncing;
        }
    }

    pub(super) fn upsert(&mut self, row: Row, version: u64) {
        if let Some(seen) = self.seen.as_mut() {
            seen.insert(row.uid.clone());
        }
        let index = match self.index.get(&row.uid) {
            Some(&i) => {
                self.entries[i as usize].row = Some(row);
                i
            }
            None => {
                let i = match self.free.pop() {
                    Some(i) => {
                        let e = &mut self.entries[i as usize];
                        e.epoch = e.epoch.wrapping_add(1);
                        e.row = Some(row);
                        i
                    }
                    None => {
                        self.entries.push(Entry {
                            epoch: 0,
                            row: Some(row),
                        });
                        (self.entries.len() - 1) as u32
                    }
                };
                if let Some(r) = &self.entries[i as usize].row {
                    self.index.insert(r.uid.clone(), i);
                }
                i
            }
        };
        self.logged(version, index);
    }

    pub(super) fn remove(&mut self, uid: &str, version: u64) {
        if let Some(i) = self.index.remove(uid) {
            self.entries[i as usize].row = None;
            self.free.push(i);
            self.logged(version, i);
        }
    }

    /// The relist is complete: rows it did not re-send are gone.
    pub(super) fn end_relist(&mut self, version: u64) {
        if let Some(seen) = self.seen.take() {
            let gone: Vec<String> = self
                .index
                .keys()
                .filter(|u| !seen.contains(*u))
                .cloned()
                .collect();
            for u in gone {
                self.remove(&u, version);
            }
        }
        self.state = SheetState::Ready;
        self.stale_since = None;
        self.listed = true;
        self.listed_at = Some(Instant::now());
    }

    pub(super) fn live_again(&mut self) {
        if matches!(self.state, SheetState::Failed(_)) {
            self.state = SheetState::Ready;
        }
        self.stale_since = None;
    }

    pub(super) fn failed(&mut self, why: String, now: Instant) {
        self.state = SheetState::Failed(why);
        if self.listed {
            self.stale_since.get_or_insert(now);
        }
    }
}

#[cfg(test)]
pub(crate) fn tests_log_cap() -> usize {
    LOG_CAP
}
