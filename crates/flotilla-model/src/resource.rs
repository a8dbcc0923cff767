//! API resources: group/plural independent of version, and what discovery says about one.

use std::fmt;

/// A resource independent of version: the same kind on two clusters may be served at
/// different versions, and the merged view must still treat it as one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResKey {
    pub group: String,
    pub plural: String,
}

impl ResKey {
    pub fn new(group: &str, plural: &str) -> Self {
        Self {
            group: group.to_string(),
            plural: plural.to_string(),
        }
    }
    pub fn core(plural: &str) -> Self {
        Self::new("", plural)
    }
    pub fn is(&self, group: &str, plural: &str) -> bool {
        self.group == group && self.plural == plural
    }
}

impl fmt::Display for ResKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            write!(f, "{}", self.plural)
        } else {
            write!(f, "{}.{}", self.plural, self.group)
        }
    }
}

/// A resource as one cluster serves it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceInfo {
    pub key: ResKey,
    pub version: String,
    pub kind: String,
    pub singular: String,
    pub short_names: Vec<String>,
    pub namespaced: bool,
    pub verbs: Vec<String>,
}

/// `/api/v1` or `/apis/<group>/<version>`.
pub fn api_prefix(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    }
}

impl ResourceInfo {
    pub fn api_prefix(&self) -> String {
        api_prefix(&self.key.group, &self.version)
    }

    /// Collection path; `ns` is ignored for cluster-scoped kinds.
    pub fn list_path(&self, ns: Option<&str>) -> String {
        match ns {
            Some(ns) if self.namespaced => {
                format!(
                    "{}/namespaces/{}/{}",
                    self.api_prefix(),
                    ns,
                    self.key.plural
                )
            }
            _ => format!("{}/{}", self.api_prefix(), self.key.plural),
        }
    }

    pub fn object_path(&self, ns: &str, name: &str) -> String {
        let ns = if self.namespaced && !ns.is_empty() {
            Some(ns)
        } else {
            None
        };
        format!("{}/{}", self.list_path(ns), name)
    }

    pub fn can(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }

    /// Every name a user may type for this resource, lowercase.
    pub fn names(&self) -> impl Iterator<Item = String> + '_ {
        let kind = self.kind.to_lowercase();
        let full = if self.key.group.is_empty() {
            None
        } else {
            Some(format!("{}.{}", self.key.plural, self.key.group))
        };
        [self.key.plural.clone(), self.singular.clone(), kind]
            .into_iter()
            .chain(self.short_names.iter().map(|s| s.to_lowercase()))
            .chain(full)
            .filter(|s| !s.is_empty())
    }
}
