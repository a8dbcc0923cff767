//! Who can do what on one cluster, from its RBAC objects: every subject of every binding,
//! where the binding holds (cluster-wide or one namespace), the role it names and that
//! role's rules, resolved to verbs per resource. Pure: the screen fetches the four lists.
//!
//! Resolution follows the RBAC authorizer: a RoleBinding may name a Role of its own
//! namespace or a ClusterRole (then the rules hold in that namespace only); aggregated
//! ClusterRoles are read as the controller filled their rules in. A binding to a role that
//! does not exist grants nothing and says so.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The resources the overview shows a column's worth of verbs for, as `resource` or
/// `resource.group`.
pub const COMMON: &[&str] = &[
    "pods",
    "pods/exec",
    "pods/log",
    "deployments.apps",
    "services",
    "configmaps",
    "secrets",
    "persistentvolumeclaims",
    "ingresses.networking.k8s.io",
    "nodes",
    "namespaces",
    "rolebindings.rbac.authorization.k8s.io",
];

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subject {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: String,
    /// A service account's as `namespace/name`.
    pub name: String,
}

impl Subject {
    /// The cluster's own: `system:` users and groups, and service accounts in `kube-*`.
    pub fn is_system(&self) -> bool {
        self.name.starts_with("system:")
            || (self.kind == "ServiceAccount" && self.name.starts_with("kube-"))
    }
}

/// One subject's grant through one binding.
#[derive(Clone, Debug, PartialEq)]
pub struct Grant {
    pub subject: Subject,
    /// `None`: cluster-wide (a ClusterRoleBinding).
    pub namespace: Option<String>,
    /// `ClusterRoleBinding/name` or `RoleBinding/name`.
    pub binding: String,
    /// `ClusterRole/name` or `Role/name`.
    pub role: String,
    /// The role's rules; empty when the role is missing.
    pub rules: Vec<Rule>,
    pub missing_role: bool,
    pub system: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub groups: Vec<String>,
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
    /// Limited to these objects.
    pub names: Vec<String>,
}

/// How much a set of rules allows, for a one-word cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Read,
    Write,
    Admin,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Read => "read",
            Level::Write => "write",
            Level::Admin => "admin",
        }
    }
}

/// The strings of an array field, cleaned of terminal control sequences.
pub fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(crate::text::clean)
        .collect()
}

fn items(list: &Value) -> &[Value] {
    list.get("items")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn rules_of(role: &Value) -> Vec<Rule> {
    role.get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| r.get("nonResourceURLs").is_none() || r.get("resources").is_some())
        .map(|r| Rule {
            groups: strings(r, "apiGroups"),
            resources: strings(r, "resources"),
            verbs: strings(r, "verbs"),
            names: strings(r, "resourceNames"),
        })
        .collect()
}

/// Every grant on the cluster, from the lists of roles, cluster roles, role bindings and
/// cluster role bindings (each as the API returns it).
pub fn grants(
    roles: &Value,
    cluster_roles: &Value,
    role_bindings: &Value,
    cluster_role_bindings: &Value,
) -> Vec<Grant> {
    let cluster_roles: BTreeMap<&str, &Value> = items(cluster_roles)
        .iter()
        .map(|r| (str_at(r, "/metadata/name"), r))
        .collect();
    let roles: BTreeMap<(&str, &str), &Value> = items(roles)
        .iter()
        .map(|r| {
            (
                (
                    str_at(r, "/metadata/namespace"),
                    str_at(r, "/metadata/name"),
                ),
                r,
            )
        })
        .collect();
    let mut out = Vec::new();
    let bindings = items(cluster_role_bindings)
        .iter()
        .map(|b| (b, None))
        .chain(
            items(role_bindings)
                .iter()
                .map(|b| (b, Some(str_at(b, "/metadata/namespace")))),
        );
    for (b, ns) in bindings {
        let name = str_at(b, "/metadata/name");
        let (role_kind, role_name) = (str_at(b, "/roleRef/kind"), str_at(b, "/roleRef/name"));
        let role = match (role_kind, ns) {
            ("Role", Some(ns)) => roles.get(&(ns, role_name)).copied(),
            ("ClusterRole", _) => cluster_roles.get(role_name).copied(),
            _ => None,
        };
        let binding = match ns {
            Some(_) => format!("RoleBinding/{}", crate::text::clean(name)),
            None => format!("ClusterRoleBinding/{}", crate::text::clean(name)),
        };
        let rules = role.map(rules_of).unwrap_or_default();
        for s in b
            .get("subjects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kind = crate::text::clean(str_at(s, "/kind"));
            let mut sname = crate::text::clean(str_at(s, "/name"));
            if kind == "ServiceAccount" {
                // A RoleBinding's subject without a namespace is in the binding's.
                let sns = match str_at(s, "/namespace") {
                    "" => ns.unwrap_or(""),
                    n => n,
                };
                sname = format!("{}/{sname}", crate::text::clean(sns));
            }
            let subject = Subject { kind, name: sname };
            out.push(Grant {
                system: subject.is_system() || name.starts_with("system:"),
                subject,
                namespace: ns.map(crate::text::clean),
                binding: binding.clone(),
                role: format!("{role_kind}/{}", crate::text::clean(role_name)),
                rules: rules.clone(),
                missing_role: role.is_none(),
            });
        }
    }
    out
}

/// Whether a rule covers `resource` (`pods`, `pods/log`, `deployments.apps`).
fn covers(rule: &Rule, resource: &str) -> bool {
    let (res, group) = match resource.split_once('.') {
        Some((r, g)) => (r, g),
        None => (resource, ""),
    };
    let group_ok = rule.groups.iter().any(|g| g == "*" || g == group);
    let res_ok = rule.resources.iter().any(|r| {
        r == "*"
            || r == res
            // `*/scale`, `pods/*`
            || r.split_once('/').is_some_and(|(a, b)| {
                res.split_once('/')
                    .is_some_and(|(x, y)| (a == "*" || a == x) && (b == "*" || b == y))
            })
    });
    group_ok && res_ok
}

/// The verbs `rules` allow on `resource`; a verb limited to named objects is marked with
/// `*` after it (`get*`).
pub fn verbs_on(rules: &[Rule], resource: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut limited = BTreeSet::new();
    for r in rules.iter().filter(|r| covers(r, resource)) {
        for v in &r.verbs {
            if r.names.is_empty() {
                out.insert(v.clone());
            } else {
                limited.insert(v.clone());
            }
        }
    }
    for v in limited {
        if !out.contains(&v) && !out.contains("*") {
            out.insert(format!("{v}*"));
        }
    }
    out
}

/// Everything the rules allow, one `resource.group: verbs` entry per resource named.
pub fn summary(rules: &[Rule]) -> Vec<String> {
    let mut by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in rules {
        for g in if r.groups.is_empty() {
            vec![String::new()]
        } else {
            r.groups.clone()
        } {
            for res in &r.resources {
                let key = if g.is_empty() {
                    res.clone()
                } else {
                    format!("{res}.{g}")
                };
                let key = if r.names.is_empty() {
                    key
                } else {
                    format!("{key} [{}]", r.names.join(","))
                };
                by.entry(key).or_default().extend(r.verbs.iter().cloned());
            }
        }
    }
    by.into_iter()
        .map(|(k, v)| format!("{k}: {}", v.into_iter().collect::<Vec<_>>().join(",")))
        .collect()
}

const WRITES: &[&str] = &[
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "*",
    "escalate",
    "bind",
    "impersonate",
];

/// `admin` for `*` on `*` in every group; `write` for any change; else `read`; `None` for
/// rules that allow nothing.
pub fn level(rules: &[Rule]) -> Option<Level> {
    let star = |v: &[String]| v.iter().any(|s| s == "*");
    if rules
        .iter()
        .any(|r| star(&r.groups) && star(&r.resources) && star(&r.verbs) && r.names.is_empty())
    {
        return Some(Level::Admin);
    }
    if rules
        .iter()
        .any(|r| r.verbs.iter().any(|v| WRITES.contains(&v.as_str())))
    {
        return Some(Level::Write);
    }
    rules
        .iter()
        .any(|r| !r.verbs.is_empty())
        .then_some(Level::Read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn list(items: Vec<Value>) -> Value {
        json!({ "items": items })
    }

    fn sample() -> Vec<Grant> {
        let roles = list(vec![json!({
            "metadata": {"name": "pod-viewer", "namespace": "shop"},
            "rules": [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]}]
        })]);
        let cluster_roles = list(vec![
            json!({"metadata": {"name": "cluster-admin"},
                   "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                             {"nonResourceURLs": ["*"], "verbs": ["*"]}]}),
            json!({"metadata": {"name": "edit"},
                   "rules": [{"apiGroups": ["apps"], "resources": ["deployments", "deployments/scale"], "verbs": ["get", "update", "patch"]},
                             {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["app-token"], "verbs": ["get"]}]}),
        ]);
        let rbs = list(vec![
            json!({"metadata": {"name": "viewer-pod-viewer", "namespace": "shop"},
                   "roleRef": {"kind": "Role", "name": "pod-viewer"},
                   "subjects": [{"kind": "ServiceAccount", "name": "viewer"}]}),
            json!({"metadata": {"name": "devs", "namespace": "lab"},
                   "roleRef": {"kind": "ClusterRole", "name": "edit"},
                   "subjects": [{"kind": "Group", "name": "developers"}]}),
            json!({"metadata": {"name": "dangling", "namespace": "lab"},
                   "roleRef": {"kind": "Role", "name": "gone"},
                   "subjects": [{"kind": "User", "name": "alice"}]}),
        ]);
        let crbs = list(vec![json!({"metadata": {"name": "robot-admin"},
                   "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
                   "subjects": [{"kind": "ServiceAccount", "name": "robot", "namespace": "lab"},
                                {"kind": "Group", "name": "system:masters"}]})]);
        grants(&roles, &cluster_roles, &rbs, &crbs)
    }

    #[test]
    fn bindings_resolve_to_subjects_scopes_and_rules() {
        let g = sample();
        let find = |name: &str| g.iter().find(|g| g.subject.name == name).unwrap();
        let viewer = find("shop/viewer");
        assert_eq!(viewer.namespace.as_deref(), Some("shop"));
        assert_eq!(viewer.role, "Role/pod-viewer");
        assert_eq!(level(&viewer.rules), Some(Level::Read));
        assert_eq!(
            verbs_on(&viewer.rules, "pods/log"),
            ["get", "list", "watch"].map(String::from).into()
        );
        assert!(verbs_on(&viewer.rules, "secrets").is_empty());
        let robot = find("lab/robot");
        assert_eq!((robot.namespace.as_deref(), robot.system), (None, false));
        assert_eq!(level(&robot.rules), Some(Level::Admin));
        assert!(find("system:masters").system);
        let devs = find("developers");
        assert_eq!(level(&devs.rules), Some(Level::Write));
        assert_eq!(
            verbs_on(&devs.rules, "deployments.apps"),
            ["get", "patch", "update"].map(String::from).into()
        );
        assert_eq!(
            verbs_on(&devs.rules, "secrets"),
            ["get*"].map(String::from).into()
        );
        assert!(
            verbs_on(&devs.rules, "deployments").is_empty(),
            "core group has none"
        );
        let alice = find("alice");
        assert!(alice.missing_role && alice.rules.is_empty());
        assert_eq!(level(&alice.rules), None);
        assert_eq!(
            summary(&devs.rules),
            [
                "deployments.apps: get,patch,update",
                "deployments/scale.apps: get,patch,update",
                "secrets [app-token]: get"
            ]
        );
    }

    #[test]
    fn wildcards_cover_subresources() {
        let r = Rule {
            groups: vec!["".into()],
            resources: vec!["pods/*".into()],
            verbs: vec!["create".into()],
            names: vec![],
        };
        assert!(covers(&r, "pods/exec"));
        assert!(!covers(&r, "pods"));
        assert!(!covers(&r, "services/proxy"));
    }
}
