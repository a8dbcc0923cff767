//! The slim row a list view shows: the cells of the apiserver's Table rendering (the printers
//! `kubectl get -o wide` uses) plus a little object metadata, computed when the object changes.

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowHealth {
    #[default]
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

/// Something the table cells do not say but triage needs (a condition, a count from the
/// status), read from the full object of the few kinds watched with it (`kinds::facts`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    /// A condition type (`Ready`, `MemoryPressure`, `Progressing`) or a field name.
    pub name: String,
    /// The condition's status (`True`), or the field's value.
    pub value: String,
    pub reason: String,
    /// When it last changed (seconds since the epoch), if the object says.
    pub since: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
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
    /// When deletion was asked for (seconds since the epoch): the object is terminating.
    pub deleting: Option<i64>,
    /// Empty unless the kind is watched with its full object.
    pub facts: Vec<Fact>,
    pub health: RowHealth,
    /// Lowercase text the filter searches, precomputed so a keystroke allocates nothing per row.
    pub search: String,
}

impl Row {
    pub fn fact(&self, name: &str) -> Option<&Fact> {
        self.facts.iter().find(|f| f.name == name)
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}
