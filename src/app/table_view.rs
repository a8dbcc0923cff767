//! A list view over one resource on every cluster in scope: merges the clusters' sheets,
//! applies namespace scope, drill-down scope and the filter, sorts, and keeps the selection
//! on the same object as rows come and go.

use super::filter::{Filter, LabelReq};
use crate::kinds::resource::ResKey;
use crate::msg::ClusterId;
use crate::store::row::{Column, ColumnKind, Row};
use crate::store::{SheetState, Store};
use std::cmp::Ordering;

/// What a drill-down narrowed this view to.
#[derive(Clone, Debug, PartialEq)]
pub enum Scope {
    /// Pods selected by a workload's selector, in one cluster and namespace.
    Selector {
        cluster: ClusterId,
        namespace: String,
        reqs: Vec<LabelReq>,
        what: String,
    },
    /// Pods on one node.
    Node { cluster: ClusterId, node: String },
    /// Objects owned by one object (CronJob → Jobs).
    Owner {
        cluster: ClusterId,
        uid: String,
        what: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisplayCol {
    Cluster,
    Namespace,
    Cell(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowRef {
    pub cluster: ClusterId,
    pub idx: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SortBy {
    Default,
    Name,
    Age,
    Col(DisplayCol),
}

pub struct TableView {
    pub res: ResKey,
    pub title: String,
    pub namespaced: bool,
    /// None = every live cluster.
    pub clusters: Option<Vec<ClusterId>>,
    /// None = all namespaces.
    pub namespaces: Option<Vec<String>>,
    pub scope: Option<Scope>,
    pub filter: Filter,
    pub sort: SortBy,
    pub desc: bool,
    /// Column chosen with shift-←/→ for "sort by this column".
    pub cursor_col: usize,
    pub selected: usize,
    /// Set once the user moves the cursor; from then on it follows the same object.
    pub follow: bool,
    // Computed by `refresh`:
    pub columns: Vec<Column>,
    pub display: Vec<DisplayCol>,
    /// Per cluster: merged column index → that cluster's cell index.
    col_map: Vec<(ClusterId, Vec<Option<usize>>)>,
    pub rows: Vec<RowRef>,
    /// In-scope rows, sorted, before the filter; and the store version they were built at.
    base: Vec<RowRef>,
    /// (keyed on every change?, store counter) the base was built at.
    base_version: Option<(bool, u64)>,
    base_clusters: Vec<ClusterId>,
    /// Per cluster: row index → position in `base` (u32::MAX when out of scope).
    base_rank: Vec<(ClusterId, Vec<u32>)>,
    pub total: usize,
    pub state: Vec<(ClusterId, SheetState)>,
    computed: Option<(u64, String)>,
    selected_uid: Option<(ClusterId, String)>,
}

impl TableView {
    pub fn new(res: ResKey, title: String, namespaced: bool) -> Self {
        TableView {
            res,
            title,
            namespaced,
            clusters: None,
            namespaces: None,
            scope: None,
            filter: Filter::default(),
            sort: SortBy::Default,
            desc: false,
            cursor_col: 0,
            selected: 0,
            follow: false,
            columns: Vec::new(),
            display: Vec::new(),
            col_map: Vec::new(),
            rows: Vec::new(),
            base: Vec::new(),
            base_version: None,
            base_clusters: Vec::new(),
            base_rank: Vec::new(),
            total: 0,
            state: Vec::new(),
            computed: None,
            selected_uid: None,
        }
    }

    /// Scope, namespaces or sort changed: rebuild everything on the next refresh.
    pub fn invalidate(&mut self) {
        self.computed = None;
        self.base_version = None;
    }

    pub fn clusters_in_scope(&self, live: &[ClusterId]) -> Vec<ClusterId> {
        let mut ids: Vec<ClusterId> = match (&self.scope, &self.clusters) {
            (
                Some(
                    Scope::Selector { cluster, .. }
                    | Scope::Node { cluster, .. }
                    | Scope::Owner { cluster, .. },
                ),
                _,
            ) => {
                vec![*cluster]
            }
            (None, Some(only)) => only.clone(),
            (None, None) => live.to_vec(),
        };
        ids.retain(|c| live.contains(c));
        ids
    }

    pub fn row<'a>(&self, store: &'a Store, r: RowRef) -> Option<&'a Row> {
        store.sheet(r.cluster, &self.res)?.rows.get(r.idx)
    }

    pub fn selected_ref(&self) -> Option<RowRef> {
        self.rows.get(self.selected).copied()
    }

    /// The cell of merged column `col` for a row of `cluster`.
    pub fn cell<'a>(&self, row: &'a Row, cluster: ClusterId, col: usize) -> &'a str {
        let idx = self
            .col_map
            .iter()
            .find(|(c, _)| *c == cluster)
            .and_then(|(_, m)| m.get(col).copied().flatten());
        idx.and_then(|i| row.cells.get(i))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// Recomputes rows when the store, scope or filter changed since the last time. The
    /// in-scope rows are sorted once per store change; a filter keystroke only scans them.
    pub fn refresh(&mut self, store: &Store, live: &[ClusterId], show_cluster: bool) {
        let key = (store.version, self.filter.text.clone());
        if self.computed.as_ref() == Some(&key) {
            return;
        }
        if let Some(r) = self.selected_ref().filter(|_| self.follow)
            && let Some(row) = self.row(store, r)
        {
            self.selected_uid = Some((r.cluster, row.uid.clone()));
        }
        self.computed = Some(key);
        // Rows updated in place keep their positions; unless the sort key can change with
        // them, the sorted base stays valid and only the filter runs again.
        let base_key = if self.sort_key_is_immutable() {
            (false, store.structure)
        } else {
            (true, store.version)
        };
        if self.base_version != Some(base_key) {
            self.base_version = Some(base_key);
            self.rebuild_base(store, live, show_cluster);
        }
        let sheets: Vec<_> = self
            .base_clusters
            .iter()
            .filter_map(|c| store.sheet(*c, &self.res).map(|s| (*c, s)))
            .collect();
        if self.filter.is_active() {
            // Scan rows in memory order (cache friendly), then put the hits in sorted order.
            let mut hits: Vec<(u32, RowRef)> = Vec::new();
            for (c, sheet) in &sheets {
                let Some((_, ranks)) = self.base_rank.iter().find(|(id, _)| id == c) else {
                    continue;
                };
                for (idx, row) in sheet.rows.iter().enumerate() {
                    let rank = ranks.get(idx).copied().unwrap_or(u32::MAX);
                    if rank != u32::MAX && self.filter.matches(row) {
                        hits.push((rank, RowRef { cluster: *c, idx }));
                    }
                }
            }
            hits.sort_unstable_by_key(|h| h.0);
            self.rows = hits.into_iter().map(|(_, r)| r).collect();
        } else {
            self.rows.clone_from(&self.base);
        }
        // Keep the cursor on the same object.
        if let Some((c, uid)) = self.selected_uid.take()
            && let Some(pos) = self.rows.iter().position(|r| {
                r.cluster == c
                    && sheets
                        .iter()
                        .find(|(id, _)| *id == c)
                        .and_then(|(_, s)| s.rows.get(r.idx))
                        .is_some_and(|row| row.uid == uid)
            })
        {
            self.selected = pos;
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    /// Sorts on name, namespace, cluster or creation time never change for a given object.
    fn sort_key_is_immutable(&self) -> bool {
        match &self.sort {
            SortBy::Default => !self.res.is("", "events"),
            SortBy::Name | SortBy::Age => true,
            SortBy::Col(DisplayCol::Cluster | DisplayCol::Namespace) => true,
            SortBy::Col(DisplayCol::Cell(i)) => self
                .columns
                .get(*i)
                .is_some_and(|c| c.kind == ColumnKind::Age),
        }
    }

    fn rebuild_base(&mut self, store: &Store, live: &[ClusterId], show_cluster: bool) {
        let clusters = self.clusters_in_scope(live);
        let sheets: Vec<_> = clusters
            .iter()
            .filter_map(|c| store.sheet(*c, &self.res).map(|s| (*c, s)))
            .collect();
        self.base_clusters = sheets.iter().map(|(c, _)| *c).collect();
        // Columns: the first cluster that has them; others are mapped by name, so two
        // server versions with different columns still line up.
        self.columns = sheets
            .iter()
            .map(|(_, s)| s)
            .find(|s| !s.columns.is_empty())
            .map(|s| s.columns.clone())
            .unwrap_or_default();
        self.col_map = sheets
            .iter()
            .map(|(c, sheet)| {
                let map = self
                    .columns
                    .iter()
                    .map(|col| sheet.columns.iter().position(|s| s.name == col.name))
                    .collect();
                (*c, map)
            })
            .collect();
        self.state = sheets.iter().map(|(c, s)| (*c, s.state.clone())).collect();
        self.display.clear();
        if show_cluster {
            self.display.push(DisplayCol::Cluster);
        }
        if self.namespaced && self.namespaces.as_ref().is_none_or(|n| n.len() != 1) {
            self.display.push(DisplayCol::Namespace);
        }
        self.display
            .extend((0..self.columns.len()).map(DisplayCol::Cell));
        self.cursor_col = self.cursor_col.min(self.display.len().saturating_sub(1));

        let node_col = self
            .columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case("node"));
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
        // (ref, row, numeric key, text key) computed once per row, not per comparison.
        let mut keyed: Vec<(RowRef, &Row, Option<f64>, &str)> = Vec::new();
        for (c, sheet) in &sheets {
            let map = self
                .col_map
                .iter()
                .find(|(id, _)| id == c)
                .map(|(_, m)| m.as_slice())
                .unwrap_or(&[]);
            let node_idx = node_col.and_then(|n| map.get(n).copied().flatten());
            let sort_idx = sort_col.and_then(|i| map.get(i).copied().flatten());
            for (idx, row) in sheet.rows.iter().enumerate() {
                if self.in_scope(row, node_idx) {
                    let text = sort_idx
                        .and_then(|i| row.cells.get(i))
                        .map(String::as_str)
                        .unwrap_or("");
                    keyed.push((RowRef { cluster: *c, idx }, row, leading_number(text), text));
                }
            }
        }
        self.total = keyed.len();
        let by_name = |a: &(RowRef, &Row, Option<f64>, &str),
                       b: &(RowRef, &Row, Option<f64>, &str)| {
            a.1.namespace
                .cmp(&b.1.namespace)
                .then_with(|| a.1.name.cmp(&b.1.name))
                .then(a.0.cluster.cmp(&b.0.cluster))
        };
        match &self.sort {
            SortBy::Default if self.res.is("", "events") => keyed.sort_by(|a, b| {
                b.1.health
                    .cmp(&a.1.health)
                    .then_with(|| recency(b.1).cmp(&recency(a.1)))
            }),
            SortBy::Default | SortBy::Name | SortBy::Col(DisplayCol::Namespace) => {
                keyed.sort_by(by_name)
            }
            SortBy::Age => {
                keyed.sort_by(|a, b| b.1.created.cmp(&a.1.created).then_with(|| by_name(a, b)))
            }
            SortBy::Col(DisplayCol::Cluster) => {
                keyed.sort_by(|a, b| a.0.cluster.cmp(&b.0.cluster).then_with(|| by_name(a, b)))
            }
            SortBy::Col(DisplayCol::Cell(i)) if sort_col.is_none() => {
                if self
                    .columns
                    .get(*i)
                    .is_some_and(|c| c.kind == ColumnKind::LastSeen)
                {
                    keyed
                        .sort_by(|a, b| recency(b.1).cmp(&recency(a.1)).then_with(|| by_name(a, b)))
                } else {
                    keyed.sort_by(|a, b| b.1.created.cmp(&a.1.created).then_with(|| by_name(a, b)))
                }
            }
            SortBy::Col(DisplayCol::Cell(_)) => keyed.sort_by(|a, b| {
                let by_value = match (a.2, b.2) {
                    (Some(x), Some(y)) => x
                        .partial_cmp(&y)
                        .unwrap_or(Ordering::Equal)
                        .then_with(|| a.3.cmp(b.3)),
                    _ => a.3.cmp(b.3),
                };
                by_value.then_with(|| by_name(a, b))
            }),
        }
        if self.desc {
            keyed.reverse();
        }
        self.base = keyed.into_iter().map(|(r, ..)| r).collect();
        self.base_rank = sheets
            .iter()
            .map(|(c, s)| (*c, vec![u32::MAX; s.rows.len()]))
            .collect();
        for (rank, r) in self.base.iter().enumerate() {
            if let Some((_, ranks)) = self.base_rank.iter_mut().find(|(id, _)| *id == r.cluster) {
                ranks[r.idx] = rank as u32;
            }
        }
    }

    fn in_scope(&self, row: &Row, node_idx: Option<usize>) -> bool {
        if let Some(ns) = &self.namespaces
            && self.namespaced
            && !ns.contains(&row.namespace)
        {
            return false;
        }
        match &self.scope {
            None => true,
            Some(Scope::Selector {
                namespace, reqs, ..
            }) => row.namespace == *namespace && reqs.iter().all(|r| r.matches(row)),
            Some(Scope::Node { node, .. }) => node_idx
                .and_then(|i| row.cells.get(i))
                .is_some_and(|n| n == node),
            Some(Scope::Owner { uid, .. }) => row.owners.iter().any(|o| o == uid),
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    use crate::kinds::health::RowHealth;
    use crate::store::WatchEvent;

    fn event(uid: &str, health: RowHealth, seen: i64) -> Row {
        Row {
            uid: uid.into(),
            name: uid.into(),
            namespace: "shop".into(),
            cells: vec![uid.into()],
            created: Some(0),
            last_seen: Some(seen),
            labels: vec![],
            owners: vec![],
            health,
            search: uid.into(),
        }
    }

    #[test]
    fn events_show_warnings_first_then_most_recent() {
        let res = ResKey::core("events");
        let mut store = Store::default();
        store.open(0, &res, 1);
        store.apply(
            0,
            &res,
            1,
            WatchEvent::Upsert(vec![
                event("old-normal", RowHealth::Ok, 100),
                event("new-normal", RowHealth::Ok, 300),
                event("old-warning", RowHealth::Warn, 50),
                event("new-warning", RowHealth::Warn, 200),
            ]),
        );
        let mut view = TableView::new(res, "events".into(), true);
        view.refresh(&store, &[0], false);
        let order: Vec<&str> = view
            .rows
            .iter()
            .filter_map(|r| view.row(&store, *r))
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(
            order,
            ["new-warning", "old-warning", "new-normal", "old-normal"]
        );
    }

    #[test]
    fn leading_numbers() {
        assert_eq!(leading_number("10"), Some(10.0));
        assert_eq!(leading_number("5 (2m ago)"), Some(5.0));
        assert_eq!(leading_number("abc"), None);
    }
}
