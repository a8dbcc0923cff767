//! One HTTP request of a mutation, as planned (sending it is the client layer's `ops::call`).

use crate::protocol::op::Patch;
use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub enum Call {
    Patch {
        path: String,
        patch: Patch,
    },
    /// DELETE with these DeleteOptions (preconditions, propagation, grace).
    Delete {
        path: String,
        options: Value,
    },
    /// POST to a collection (or a subresource such as `pods/x/eviction`).
    Create {
        path: String,
        body: Value,
    },
    /// PUT the whole object; its resourceVersion makes it refuse a changed object.
    Replace {
        path: String,
        body: Value,
    },
    /// Server-side apply (as field manager `flotilla` unless sent as another).
    Apply {
        path: String,
        body: Value,
        force: bool,
    },
}

impl Call {
    pub fn path(&self) -> &str {
        match self {
            Call::Patch { path, .. }
            | Call::Delete { path, .. }
            | Call::Create { path, .. }
            | Call::Replace { path, .. }
            | Call::Apply { path, .. } => path,
        }
    }
}
