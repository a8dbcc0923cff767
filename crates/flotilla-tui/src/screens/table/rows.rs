//! The rows of one resource from every cluster in scope, narrowed by namespace scope,
//! drill-down scope and filter, sorted, and kept up to date incrementally. Each refresh takes
//! only the rows that changed since the last one (the sheets' change logs say which) out of
//! the sorted list and puts them back where they now belong, so 200 changes a second among
//! 60k rows cost a fraction of a frame. A full sort happens only when the sort, the scope or
//! the set of clusters changes, or when a sheet changed too much to catch up on.

use super::filter::Filter;
use crate::kinds::selector::LabelReq;
use crate::model::{ClusterId, Column, ColumnKind, ResKey, Row};
use crate::store::{Sheet, Slot, Store};
use std::cmp::Ordering;

/// What a drill-down narrowed a view to. It names its context, never a connection slot.
#[derive(Clone, Debug, PartialEq)]
pub enum Scope {
    /// Pods selected by a workload's selector, in one context and namespace.
    Selector {
        context: String,
        namespace: String,
        reqs: Vec<LabelReq>,
        what: String,
    },
    /// Pods on one node.
    Node { context: String, node: String },
    /// Objects owned by one object (CronJob → Jobs).
    Owner {
        context: String,
        uid: String,
        what: String,
    },
}

impl Scope {
    pub fn context(&self) -> &str {
        match self {
            Scope::Selector { context, .. }
            | Scope::Node { context, .. }
            | Scope::Owner { context, .. } => context,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisplayCol {
    Cluster,
    Namespace,
    Cell(usize),
    /// Pods' and nodes' CPU and memory in use (metrics.k8s.io), looked up when drawn.
    Cpu,
    Memory,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SortBy {
    Default,
    Name,
    Age,
    Col(DisplayCol),
}

/// A row as a view holds it: which of the view's sheets, and where in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowRef {
    pub sheet: u16,
    pub slot: Slot,
}

/// One cluster's sheet as this view uses it.
struct SheetIn {
    cluster: ClusterId,
    context: String,
    /// The sheet's version and layout this view has caught up with.
    version: u64,
    layout: u64,
    /// Merged column → this sheet's cell index (two server versions may differ in columns).
    col_map: Vec<Option<usize>>,
    /// This sheet's cell index of the NODE column (node drill-down) and of the sort column.
    node_idx: Option<usize>,
    sort_idx: Option<usize>,
    /// The context's place in name order, the last tie-breaker.
    rank: u16,
}

/// The first thing rows are compared by.
#[derive(Clone, Copy)]
enum Order {
    /// Warnings first, then most recent (events' default).
    Events,
    Name,
    Age,
    Cluster,
    Recency,
    /// A cell's leading number, then its text.
    Value,
}

/// What a comparison reads of a row, computed once per row for a full sort.
struct Key<'a> {
    row: &'a Row,
    rank: u16,
    num: Option<f64>,
    text: &'a str,
}

pub struct MergedRows {
    pub res: ResKey,
    pub namespaced: bool,
    /// None = all namespaces.
    pub namespaces: Option<Vec<String>>,
    pub scope: Option<Scope>,
    pub filter: Filter,
    pub sort: SortBy,
    pub desc: bool,
    /// The merged columns (the first cluster's that has any).
    pub columns: Vec<Column>,
    sheets: Vec<SheetIn>,
    /// In-scope rows, sorted, before the filter.
    base: Vec<RowRef>,
    /// The filter's verdict per sheet and slot index, while a filter is active.
    hits: Vec<Vec<bool>>,
    /// `base` narrowed by the filter, while a filter is active.
    shown: Vec<RowRef>,
    /// The filter text `hits` were computed for.
    filtered: Option<String>,
    /// Sort, scope or namespaces changed: rebuild on the next refresh.
    invalid: bool,
    order: Order,
}

/// When the object last did something: an event's last sighting, else its creation.
fn recency(row: &Row) -> Option<i64> {
    row.last_seen.or(row.created)
}

/// The number a cell starts with, so "10" sorts after "9" and "5 (2m ago)" by its 5.
pub fn leading_number(s: &str) -> Option<f64> {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    if end == 0 {
        None
    } else {
        s[..end].parse().ok()
    }
}

impl MergedRows {
    pub fn new(res: ResKey, namespaced: bool) -> Self {
        MergedRows {
            res,
            namespaced,
            namespaces: None,
            scope: None,
            filter: Filter::default(),
            sort: SortBy::Default,
            desc: false,
            columns: Vec::new(),
            sheets: Vec::new(),
            base: Vec::new(),
            hits: Vec::new(),
            shown: Vec::new(),
            filtered: None,
            invalid: true,
            order: Order::Name,
        }
    }

    /// Sort, scope or namespaces changed: rebuild everything on the next refresh.
    pub fn invalidate(&mut self) {
        self.invalid = true;
    }

    /// The rows to show, in order.
    pub fn rows(&self) -> &[RowRef] {
        if self.filter.is_active() {
            &self.shown
        } else {
            &self.base
        }
    }

    /// In-scope rows before the filter.
    pub fn total(&self) -> usize {
        self.base.len()
    }

    pub fn cluster_of(&self, r: RowRef) -> ClusterId {
        self.sheets[usize::from(r.sheet)].cluster
    }

    pub fn context_of(&self, r: RowRef) -> &str {
        &self.sheets[usize::from(r.sheet)].context
    }

    /// The clusters this view shows rows of, in their order.
    pub fn clusters(&self) -> impl Iterator<Item = ClusterId> + '_ {
        self.sheets.iter().map(|s| s.cluster)
    }

    pub fn row<'a>(&self, store: &'a Store, r: RowRef) -> Option<&'a Row> {
        let s = self.sheets.get(usize::from(r.sheet))?;
        store.sheet(s.cluster, &self.res)?.get(r.slot)
    }

    /// The cell of merged column `col` for a row of sheet `sheet`.
    pub fn cell<'a>(&self, row: &'a Row, sheet: u16, col: usize) -> &'a str {
        self.sheets
            .get(usize::from(sheet))
            .and_then(|s| s.col_map.get(col).copied().flatten())
            .and_then(|i| row.cells.get(i))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Where the object is among the shown rows (after a refresh), found by binary search.
    pub fn position_of(&self, store: &Store, cluster: ClusterId, uid: &str) -> Option<usize> {
        let s = self.sheets.iter().position(|s| s.cluster == cluster)?;
        let sheets = self.resolve(store)?;
        let (slot, _) = sheets[s].find(uid)?;
        let target = RowRef {
            sheet: s as u16,
            slot,
        };
        let key = self.key(&sheets, target)?;
        let rows = self.rows();
        let p = rows.partition_point(|r| {
            self.key(&sheets, *r)
                .is_some_and(|k| self.compare(&k, &key) == Ordering::Less)
        });
        (rows.get(p) == Some(&target)).then_some(p)
    }

    /// The store's sheets behind this view's, in the same order; `None` if one is gone.
    fn resolve<'a>(&self, store: &'a Store) -> Option<Vec<&'a Sheet>> {
        self.sheets
            .iter()
            .map(|s| store.sheet(s.cluster, &self.res))
            .collect()
    }

    /// Brings the rows up to date with the store; `clusters` are those in scope, by context.
    /// Returns whether anything changed.
    pub fn refresh(&mut self, store: &Store, clusters: &[(ClusterId, &str)]) -> bool {
        let present: Vec<(ClusterId, &str, &Sheet)> = clusters
            .iter()
            .filter_map(|(c, name)| store.sheet(*c, &self.res).map(|s| (*c, *name, s)))
            .collect();
        let same = present.len() == self.sheets.len()
            && present
                .iter()
                .zip(&self.sheets)
                .all(|((c, _, s), mine)| *c == mine.cluster && s.layout == mine.layout);
        if self.invalid || !same {
            self.rebuild(&present);
            return true;
        }
        let mut changed: Vec<(u16, u32)> = Vec::new();
        for (i, (_, _, sheet)) in present.iter().enumerate() {
            let seen = self.sheets[i].version;
            if sheet.version == seen {
                continue;
            }
            match sheet.changes_since(seen) {
                Some(slots) => changed.extend(slots.map(|s| (i as u16, s))),
                None => {
                    self.rebuild(&present);
                    return true;
                }
            }
            self.sheets[i].version = sheet.version;
        }
        let refilter = self.filtered.as_deref() != Some(self.filter.text.as_str());
        if changed.is_empty() && !refilter {
            return false;
        }
        changed.sort_unstable();
        changed.dedup();
        // A relist or a burst touching much of the list is cheaper to sort from scratch.
        if changed.len() > self.base.len() / 4 + 256 {
            self.rebuild(&present);
            return true;
        }
        let sheets: Vec<&Sheet> = present.iter().map(|(_, _, s)| *s).collect();
        if !changed.is_empty() {
            self.base
                .retain(|r| changed.binary_search(&(r.sheet, r.slot.index)).is_err());
            for &(s, index) in &changed {
                let Some((slot, row)) = sheets[usize::from(s)].at(index) else {
                    continue;
                };
                if !self.in_scope(row, &self.sheets[usize::from(s)]) {
                    continue;
                }
                let r = RowRef { sheet: s, slot };
                let Some(key) = self.key(&sheets, r) else {
                    continue;
                };
                let at = self.base.partition_point(|x| {
                    self.key(&sheets, *x)
                        .is_some_and(|k| self.compare(&k, &key) == Ordering::Less)
                });
                self.base.insert(at, r);
            }
        }
        if refilter {
            self.filter_all(&sheets);
        } else if self.filter.is_active() {
            for &(s, index) in &changed {
                let hit = sheets[usize::from(s)]
                    .at(index)
                    .is_some_and(|(_, row)| self.filter.matches(row));
                let hits = &mut self.hits[usize::from(s)];
                if hits.len() <= index as usize {
                    hits.resize(index as usize + 1, false);
                }
                hits[index as usize] = hit;
            }
            self.narrow();
        }
        true
    }

    fn rebuild(&mut self, present: &[(ClusterId, &str, &Sheet)]) {
        self.invalid = false;
        // Columns: the first cluster that has them; others are mapped by name, so two
        // server versions with different columns still line up.
        self.columns = present
            .iter()
            .map(|(_, _, s)| s)
            .find(|s| !s.columns.is_empty())
            .map(|s| s.columns.clone())
            .unwrap_or_default();
        let node_col = self
            .columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case("node"));
        self.order = self.order();
        let sort_col = match self.sort {
            SortBy::Col(DisplayCol::Cell(i))
                if self
                    .columns
                    .get(i)
                    .is_some_and(|c| !matches!(c.kind, ColumnKind::Age | ColumnKind::LastSeen)) =>
            {
                Some(i)
            }
            _ => None,
        };
        let mut by_name: Vec<&str> = present.iter().map(|(_, n, _)| *n).collect();
        by_name.sort_unstable();
        self.sheets = present
            .iter()
            .map(|(c, name, sheet)| {
                let col_map: Vec<Option<usize>> = self
                    .columns
                    .iter()
                    .map(|col| sheet.columns.iter().position(|s| s.name == col.name))
                    .collect();
                SheetIn {
                    cluster: *c,
                    context: name.to_string(),
                    version: sheet.version,
                    layout: sheet.layout,
                    node_idx: node_col.and_then(|n| col_map.get(n).copied().flatten()),
                    sort_idx: sort_col.and_then(|i| col_map.get(i).copied().flatten()),
                    col_map,
                    rank: by_name.iter().position(|n| n == name).unwrap_or(0) as u16,
                }
            })
            .collect();
        let sheets: Vec<&Sheet> = present.iter().map(|(_, _, s)| *s).collect();
        let mut keyed: Vec<(RowRef, Key)> = Vec::new();
        for (i, sheet) in sheets.iter().enumerate() {
            let info = &self.sheets[i];
            for (slot, row) in sheet.rows() {
                if self.in_scope(row, info) {
                    keyed.push((
                        RowRef {
                            sheet: i as u16,
                            slot,
                        },
                        self.key_of(row, info),
                    ));
                }
            }
        }
        keyed.sort_by(|a, b| self.compare(&a.1, &b.1));
        self.base = keyed.into_iter().map(|(r, _)| r).collect();
        self.filter_all(&sheets);
    }

    /// Runs the filter over every row, in memory order (cache friendly).
    fn filter_all(&mut self, sheets: &[&Sheet]) {
        self.filtered = Some(self.filter.text.clone());
        self.hits.clear();
        self.shown.clear();
        if !self.filter.is_active() {
            return;
        }
        for sheet in sheets {
            let mut hits = vec![false; sheet.slot_count()];
            for (slot, row) in sheet.rows() {
                hits[slot.index as usize] = self.filter.matches(row);
            }
            self.hits.push(hits);
        }
        self.narrow();
    }

    fn narrow(&mut self) {
        let hits = &self.hits;
        self.shown.clear();
        self.shown.extend(self.base.iter().copied().filter(|r| {
            hits.get(usize::from(r.sheet))
                .and_then(|h| h.get(r.slot.index as usize))
                .copied()
                .unwrap_or(false)
        }));
    }

    fn in_scope(&self, row: &Row, s: &SheetIn) -> bool {
        if let Some(ns) = &self.namespaces
            && self.namespaced
            && !ns.contains(&row.namespace)
        {
            return false;
        }
        match &self.scope {
            None => true,
            Some(scope) if scope.context() != s.context => false,
            Some(Scope::Selector {
                namespace, reqs, ..
            }) => row.namespace == *namespace && reqs.iter().all(|r| r.matches(row)),
            Some(Scope::Node { node, .. }) => s
                .node_idx
                .and_then(|i| row.cells.get(i))
                .is_some_and(|n| n == node),
            Some(Scope::Owner { uid, .. }) => row.owners.iter().any(|o| o == uid),
        }
    }

    fn key_of<'a>(&self, row: &'a Row, s: &SheetIn) -> Key<'a> {
        let text = s
            .sort_idx
            .and_then(|i| row.cells.get(i))
            .map(String::as_str)
            .unwrap_or("");
        Key {
            row,
            rank: s.rank,
            num: leading_number(text),
            text,
        }
    }

    fn key<'a>(&self, sheets: &[&'a Sheet], r: RowRef) -> Option<Key<'a>> {
        let row = sheets.get(usize::from(r.sheet))?.get(r.slot)?;
        Some(self.key_of(row, &self.sheets[usize::from(r.sheet)]))
    }

    /// The one order of the view: a total order, so incremental placement and a full sort
    /// always agree.
    /// What the sort compares first, decided once per rebuild rather than per comparison.
    fn order(&self) -> Order {
        let kind = |i: usize| self.columns.get(i).map(|c| &c.kind);
        match &self.sort {
            SortBy::Default if self.res.is("", "events") => Order::Events,
            // Usage changes every poll: ranking by it is `:top`'s job, the list keeps names.
            SortBy::Default
            | SortBy::Name
            | SortBy::Col(DisplayCol::Namespace | DisplayCol::Cpu | DisplayCol::Memory) => {
                Order::Name
            }
            SortBy::Age => Order::Age,
            SortBy::Col(DisplayCol::Cluster) => Order::Cluster,
            SortBy::Col(DisplayCol::Cell(i)) if kind(*i) == Some(&ColumnKind::LastSeen) => {
                Order::Recency
            }
            SortBy::Col(DisplayCol::Cell(i)) if kind(*i) == Some(&ColumnKind::Age) => Order::Age,
            SortBy::Col(DisplayCol::Cell(_)) => Order::Value,
        }
    }

    fn compare(&self, a: &Key, b: &Key) -> Ordering {
        let by_name = || {
            a.row
                .namespace
                .cmp(&b.row.namespace)
                .then_with(|| a.row.name.cmp(&b.row.name))
                .then(a.rank.cmp(&b.rank))
                .then_with(|| a.row.uid.cmp(&b.row.uid))
        };
        let newest_first = |x: Option<i64>, y: Option<i64>| y.cmp(&x);
        let order = match self.order {
            Order::Events => b
                .row
                .health
                .cmp(&a.row.health)
                .then_with(|| newest_first(recency(a.row), recency(b.row)))
                .then_with(by_name),
            Order::Name => by_name(),
            Order::Age => newest_first(a.row.created, b.row.created).then_with(by_name),
            Order::Cluster => a.rank.cmp(&b.rank).then_with(by_name),
            Order::Recency => newest_first(recency(a.row), recency(b.row)).then_with(by_name),
            Order::Value => {
                let by_value = match (a.num, b.num) {
                    (Some(x), Some(y)) => x
                        .partial_cmp(&y)
                        .unwrap_or(Ordering::Equal)
                        .then_with(|| a.text.cmp(b.text)),
                    _ => a.text.cmp(b.text),
                };
                by_value.then_with(by_name)
            }
        };
        if self.desc { order.reverse() } else { order }
    }

    /// Pick a sort; the same one again reverses it.
    pub fn set_sort(&mut self, sort: SortBy) {
        if self.sort == sort {
            self.desc = !self.desc;
        } else {
            self.sort = sort;
            self.desc = false;
        }
        self.invalidate();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RowHealth, WatchEvent};

    fn row(uid: &str, status: &str, health: RowHealth, seen: i64) -> Row {
        Row {
            uid: uid.into(),
            name: uid.into(),
            namespace: "shop".into(),
            cells: vec![uid.into(), status.into()],
            created: Some(seen),
            last_seen: Some(seen),
            labels: vec![],
            owners: vec![],
            deleting: None,
            facts: vec![],
            health,
            search: format!("{uid} {status}").to_lowercase(),
        }
    }

    fn columns() -> Vec<Column> {
        ["Name", "Status"]
            .iter()
            .map(|n| Column {
                name: n.to_string(),
                kind: ColumnKind::Text,
                priority: 0,
            })
            .collect()
    }

    fn names(v: &MergedRows, store: &Store) -> Vec<String> {
        v.rows()
            .iter()
            .filter_map(|r| v.row(store, *r))
            .map(|r| r.name.clone())
            .collect()
    }

    fn loaded(res: &ResKey, rows: Vec<Row>) -> (Store, ClusterId) {
        let mut store = Store::default();
        let id = store.clusters.add("dev");
        store.open(id, res, 1);
        store.apply(id, res, 1, WatchEvent::Listing { columns: columns() });
        store.apply(id, res, 1, WatchEvent::Upsert(rows));
        store.apply(id, res, 1, WatchEvent::Synced);
        (store, id)
    }

    #[test]
    fn events_show_warnings_first_then_most_recent() {
        let res = ResKey::core("events");
        let (store, id) = loaded(
            &res,
            vec![
                row("old-normal", "", RowHealth::Ok, 100),
                row("new-normal", "", RowHealth::Ok, 300),
                row("old-warning", "", RowHealth::Warn, 50),
                row("new-warning", "", RowHealth::Warn, 200),
            ],
        );
        let mut view = MergedRows::new(res, true);
        view.refresh(&store, &[(id, "dev")]);
        assert_eq!(
            names(&view, &store),
            ["new-warning", "old-warning", "new-normal", "old-normal"]
        );
    }

    #[test]
    fn changed_rows_are_placed_where_a_full_sort_puts_them() {
        let res = ResKey::core("pods");
        let statuses = ["Running", "CrashLoopBackOff", "Pending", "Completed"];
        let rows = (0..400)
            .map(|i| {
                row(
                    &format!("p{i:03}"),
                    statuses[i % 4],
                    RowHealth::Ok,
                    i as i64,
                )
            })
            .collect();
        let (mut store, id) = loaded(&res, rows);
        let mut view = MergedRows::new(res.clone(), true);
        view.set_sort(SortBy::Col(DisplayCol::Cell(1)));
        view.filter = Filter::new("!completed");
        view.refresh(&store, &[(id, "dev")]);
        // Churn: status changes, deletions and new rows, a few at a time.
        for round in 0..40usize {
            let i = (round * 37) % 400;
            store.apply(
                id,
                &res,
                1,
                WatchEvent::Upsert(vec![
                    row(
                        &format!("p{i:03}"),
                        statuses[(i + round) % 4],
                        RowHealth::Ok,
                        0,
                    ),
                    row(
                        &format!("new{round}"),
                        statuses[round % 4],
                        RowHealth::Ok,
                        0,
                    ),
                ]),
            );
            store.apply(
                id,
                &res,
                1,
                WatchEvent::Delete(vec![format!("p{:03}", (round * 11) % 400)]),
            );
            assert!(view.refresh(&store, &[(id, "dev")]));
            let mut full = MergedRows::new(res.clone(), true);
            full.set_sort(SortBy::Col(DisplayCol::Cell(1)));
            full.filter = Filter::new("!completed");
            full.refresh(&store, &[(id, "dev")]);
            assert_eq!(names(&view, &store), names(&full, &store), "round {round}");
        }
        assert!(!view.refresh(&store, &[(id, "dev")]), "nothing changed");
    }

    #[test]
    fn finds_an_object_by_binary_search() {
        let res = ResKey::core("pods");
        let rows = (0..50)
            .map(|i| row(&format!("p{i:02}"), "Running", RowHealth::Ok, 0))
            .collect();
        let (store, id) = loaded(&res, rows);
        let mut view = MergedRows::new(res, true);
        view.refresh(&store, &[(id, "dev")]);
        assert_eq!(view.position_of(&store, id, "p17"), Some(17));
        assert_eq!(view.position_of(&store, id, "nope"), None);
    }

    #[test]
    fn leading_numbers() {
        assert_eq!(leading_number("10"), Some(10.0));
        assert_eq!(leading_number("5 (2m ago)"), Some(5.0));
        assert_eq!(leading_number("abc"), None);
    }
}
