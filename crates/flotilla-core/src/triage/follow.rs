//! A value per row of one sheet, recomputed only for the rows that changed since the last
//! look (the sheet's change log), so a view over 20k pods costs what changed, not what exists.

use crate::model::Row;
use crate::store::{Sheet, SheetState};
use std::collections::HashMap;

pub struct Follow<T> {
    generation: u64,
    version: u64,
    /// Values of the rows that have one, by slot index.
    values: HashMap<u32, T>,
    /// The sheet's first list had completed at the last look: rows from then on are new.
    settled: bool,
}

impl<T> Default for Follow<T> {
    fn default() -> Self {
        Follow {
            generation: u64::MAX,
            version: 0,
            values: HashMap::new(),
            settled: false,
        }
    }
}

impl<T> Follow<T> {
    /// Catches up with `sheet`: `compute` gives a row's value (`fresh` is true for rows that
    /// were there before this follower or the sheet's first list complete, false for rows
    /// that changed while followed);
    /// `count` hears every value leave (-1) and arrive (+1), so totals stay exact without a
    /// rescan. Returns whether anything changed.
    pub fn catch_up(
        &mut self,
        sheet: &Sheet,
        mut compute: impl FnMut(&Row, bool) -> Option<T>,
        mut count: impl FnMut(&T, i64),
    ) -> bool {
        if sheet.generation() == self.generation && sheet.version == self.version {
            return false;
        }
        if sheet.generation() != self.generation {
            self.settled = false;
        }
        // Rows up to the look that finds the first list complete were there before.
        let fresh = !self.settled;
        let incremental = (sheet.generation() == self.generation && sheet.layout <= self.version)
            .then(|| sheet.changes_since(self.version))
            .flatten();
        match incremental {
            Some(changed) => {
                let mut changed: Vec<u32> = changed.collect();
                changed.sort_unstable();
                changed.dedup();
                for i in changed {
                    if let Some(old) = self.values.remove(&i) {
                        count(&old, -1);
                    }
                    if let Some(v) = sheet.at(i).and_then(|(_, r)| compute(r, fresh)) {
                        count(&v, 1);
                        self.values.insert(i, v);
                    }
                }
            }
            None => {
                for old in self.values.values() {
                    count(old, -1);
                }
                self.values.clear();
                for (slot, row) in sheet.rows() {
                    if let Some(v) = compute(row, fresh) {
                        count(&v, 1);
                        self.values.insert(slot.index, v);
                    }
                }
            }
        }
        self.generation = sheet.generation();
        self.version = sheet.version;
        self.settled = sheet.state != SheetState::Syncing;
        true
    }

    /// The rows with a value: (slot index, value).
    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.values.iter().map(|(i, v)| (*i, v))
    }
}
