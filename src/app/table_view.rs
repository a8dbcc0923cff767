//! A list view over one resource on every cluster in scope: merges the clusters' sheets,
//! applies namespace scope, drill-down scope and the filter, sorts, and keeps the selection
//! on the same object as rows come and go.

use super::filter::{Filter, LabelReq};
use crate::kinds::health::RowHealth;
use crate::kinds::resource::ResKey;
use crate::msg::ClusterId;
use crate::store::row::{Column, ColumnKind, Row};
use crate::store::{SheetState, Store};
use std::cmp::Ordering;

/// What a drill-down narrowed this view to.
#[derive(Clone, Debug, PartialEq)]
pub enum Scope {
    /// Pods selected by a workload's selector, in one cluster and namespace.
    Selector { cluster: ClusterId, namespace: String, reqs: Vec<LabelReq>, what: String },
    /// Pods on one node.
    Node { cluster: ClusterId, node: String },
    /// Objects owned by one object (CronJob → Jobs).
    Owner { cluster: ClusterId, uid: String, what: String },
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
            total: 0,
            state: Vec::new(),
            computed: None,
            selected_uid: None,
        }
    }

    pub fn invalidate(&mut self) {
        self.computed = None;
    }

    pub fn clusters_in_scope(&self, live: &[ClusterId]) -> Vec<ClusterId> {
        let mut ids: Vec<ClusterId> = match (&self.scope, &self.clusters) {
            (Some(Scope::Selector { cluster, .. } | Scope::Node { cluster, .. } | Scope::Owner { cluster, .. }), _) => {
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
        idx.and_then(|i| row.cells.get(i)).map(String::as_str).unwrap_or("")
    }

    /// Recomputes rows when the store or the filter changed since the last time.
    pub fn refresh(&mut self, store: &Store, live: &[ClusterId], show_cluster: bool) {
        let key = (store.version, self.filter.text.clone());
        if self.computed.as_ref() == Some(&key) {
            return;
        }
        if let Some(r) = self.selected_ref().filter(|_| self.follow) {
            if let Some(row) = self.row(store, r) {
                self.selected_uid = Some((r.cluster, row.uid.clone()));
            }
        }
        self.computed = Some(key);
        let clusters = self.clusters_in_scope(live);
        // Columns: the first cluster that has them; others are mapped by name, so two
        // server versions with different columns still line up.
        self.columns = clusters
            .iter()
            .filter_map(|c| store.sheet(*c, &self.res))
            .find(|s| !s.columns.is_empty())
            .map(|s| s.columns.clone())
            .unwrap_or_default();
        self.col_map.clear();
        self.state.clear();
        for &c in &clusters {
            if let Some(sheet) = store.sheet(c, &self.res) {
                let map = self
                    .columns
                    .iter()
                    .map(|col| sheet.columns.iter().position(|s| s.name == col.name))
                    .collect();
                self.col_map.push((c, map));
                self.state.push((c, sheet.state.clone()));
            }
        }
        self.display.clear();
        if show_cluster {
            self.display.push(DisplayCol::Cluster);
        }
        if self.namespaced && self.namespaces.as_ref().is_none_or(|n| n.len() != 1) {
            self.display.push(DisplayCol::Namespace);
        }
        self.display.extend((0..self.columns.len()).map(DisplayCol::Cell));
        self.cursor_col = self.cursor_col.min(self.display.len().saturating_sub(1));

        let node_col = self.columns.iter().position(|c| c.name.eq_ignore_ascii_case("node"));
        self.rows.clear();
        self.total = 0;
        for &c in &clusters {
            let Some(sheet) = store.sheet(c, &self.res) else { continue };
            let node_idx = self
                .col_map
                .iter()
                .find(|(id, _)| *id == c)
                .and_then(|(_, m)| node_col.and_then(|n| m.get(n).copied().flatten()));
            for (idx, row) in sheet.rows.iter().enumerate() {
                if !self.in_scope(row, node_idx) {
                    continue;
                }
                self.total += 1;
                if self.filter.matches(row) {
                    self.rows.push(RowRef { cluster: c, idx });
                }
            }
        }
        self.sort_rows(store);
        // Keep the cursor on the same object.
        if let Some((c, uid)) = self.selected_uid.take() {
            if let Some(pos) = self
                .rows
                .iter()
                .position(|r| r.cluster == c && store.sheet(c, &self.res).and_then(|s| s.rows.get(r.idx)).is_some_and(|row| row.uid == uid))
            {
                self.selected = pos;
            }
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    fn in_scope(&self, row: &Row, node_idx: Option<usize>) -> bool {
        if let Some(ns) = &self.namespaces {
            if self.namespaced && !ns.iter().any(|n| *n == row.namespace) {
                return false;
            }
        }
        match &self.scope {
            None => true,
            Some(Scope::Selector { namespace, reqs, .. }) => {
                row.namespace == *namespace && reqs.iter().all(|r| r.matches(row))
            }
            Some(Scope::Node { node, .. }) => node_idx.and_then(|i| row.cells.get(i)).is_some_and(|n| n == node),
            Some(Scope::Owner { uid, .. }) => row.owners.iter().any(|o| o == uid),
        }
    }

    fn sort_rows(&mut self, store: &Store) {
        let res = self.res.clone();
        let rows = std::mem::take(&mut self.rows);
        let get = |r: &RowRef| store.sheet(r.cluster, &res).and_then(|s| s.rows.get(r.idx));
        let mut keyed: Vec<(RowRef, &Row)> = rows.iter().filter_map(|r| get(r).map(|row| (*r, row))).collect();
        let by_name = |a: &(RowRef, &Row), b: &(RowRef, &Row)| {
            a.1.namespace.cmp(&b.1.namespace).then_with(|| a.1.name.cmp(&b.1.name)).then(a.0.cluster.cmp(&b.0.cluster))
        };
        match self.sort.clone() {
            SortBy::Default if res.is("", "events") => keyed.sort_by(|a, b| {
                b.1.health.cmp(&a.1.health).then_with(|| b.1.created.cmp(&a.1.created))
            }),
            SortBy::Default | SortBy::Name => keyed.sort_by(by_name),
            SortBy::Age => keyed.sort_by(|a, b| b.1.created.cmp(&a.1.created).then_with(|| by_name(a, b))),
            SortBy::Col(DisplayCol::Cluster) => keyed.sort_by(|a, b| a.0.cluster.cmp(&b.0.cluster).then_with(|| by_name(a, b))),
            SortBy::Col(DisplayCol::Namespace) => keyed.sort_by(by_name),
            SortBy::Col(DisplayCol::Cell(i)) => {
                let kind = self.columns.get(i).map(|c| c.kind.clone()).unwrap_or(ColumnKind::Text);
                if kind == ColumnKind::Age {
                    keyed.sort_by(|a, b| b.1.created.cmp(&a.1.created));
                } else {
                    let this = &*self;
                    keyed.sort_by(|a, b| {
                        natural(this.cell(a.1, a.0.cluster, i), this.cell(b.1, b.0.cluster, i)).then_with(|| by_name(a, b))
                    });
                }
            }
        }
        if self.desc {
            keyed.reverse();
        }
        self.rows = keyed.into_iter().map(|(r, _)| r).collect();
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

    /// Counts of rows by health among those shown, for the title.
    pub fn health_counts(&self, store: &Store) -> [usize; 4] {
        let mut out = [0; 4];
        for r in &self.rows {
            if let Some(row) = self.row(store, *r) {
                let i = match row.health {
                    RowHealth::Ok => 0,
                    RowHealth::Done => 1,
                    RowHealth::Warn => 2,
                    RowHealth::Error => 3,
                };
                out[i] += 1;
            }
        }
        out
    }
}

/// Numbers compare as numbers ("10" after "9", "5 (2m ago)" by its 5); everything else as text.
pub fn natural(a: &str, b: &str) -> Ordering {
    fn lead(s: &str) -> Option<f64> {
        let end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
        if end == 0 { None } else { s[..end].parse().ok() }
    }
    match (lead(a), lead(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal).then_with(|| a.cmp(b)),
        _ => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        assert_eq!(natural("9", "10"), Ordering::Less);
        assert_eq!(natural("5 (2m ago)", "12"), Ordering::Less);
        assert_eq!(natural("abc", "abd"), Ordering::Less);
    }
}
