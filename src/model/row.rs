//! The slim row a list view shows: the cells of the apiserver's Table rendering (the printers
//! `kubectl get -o wide` uses) plus a little object metadata, computed when the object changes.

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowHealth {
    Ok,
    /// Finished work (Completed pods, complete Jobs): shown dimmed.
    Done,
    Warn,
    Error,
}

impl RowHealth {
    /// The theme slot a row of this health is drawn with.
    pub fn slot(self) -> &'static str {
        match self {
            RowHealth::Ok => "row-ok",
            RowHealth::Done => "row-done",
            RowHealth::Warn => "row-warn",
            RowHealth::Error => "row-error",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    Number,
    /// Shown as a live age from the object's creation time, not the server's stale string.
    Age,
    /// Events' LAST SEEN: the server's string turned into a time once, then shown live.
    LastSeen,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
    /// 0 = `kubectl get` column; >0 = `-o wide` only (dropped first when space is short).
    pub priority: i32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub uid: String,
    pub name: String,
    pub namespace: String,
    pub cells: Vec<String>,
    /// Seconds since the epoch.
    pub created: Option<i64>,
    /// When an event was last seen (seconds since the epoch), from its LAST SEEN cell.
    pub last_seen: Option<i64>,
    pub labels: Vec<(String, String)>,
    pub owners: Vec<String>,
    pub health: RowHealth,
    /// Lowercase text the filter searches, precomputed so a keystroke allocates nothing per row.
    pub search: String,
}

impl Row {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}
