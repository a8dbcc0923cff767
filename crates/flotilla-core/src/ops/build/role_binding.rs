//! Members of a namespace (`:members`): a RoleBinding giving a user, group or service account
//! one of the ClusterRoles view, edit or admin.

use super::names::{dns_label, dns_name};
use serde_json::{Value, json};

/// The ClusterRoles a member can be given in a namespace.
pub const ROLES: [&str; 3] = ["view", "edit", "admin"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectKind {
    User,
    Group,
    ServiceAccount,
}

impl SubjectKind {
    pub fn parse(s: &str) -> Result<SubjectKind, String> {
        match s.trim().to_lowercase().as_str() {
            "user" | "u" => Ok(SubjectKind::User),
            "group" | "g" => Ok(SubjectKind::Group),
            "serviceaccount" | "service-account" | "sa" => Ok(SubjectKind::ServiceAccount),
            other => Err(format!(
                "{other:?} is not a subject kind: user, group or serviceaccount"
            )),
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            SubjectKind::User => "User",
            SubjectKind::Group => "Group",
            SubjectKind::ServiceAccount => "ServiceAccount",
        }
    }

    fn short(self) -> &'static str {
        match self {
            SubjectKind::User => "user",
            SubjectKind::Group => "group",
            SubjectKind::ServiceAccount => "sa",
        }
    }
}

/// A name made of anything: lowercase, other characters as '-', as an object name allows.
fn slug(s: &str) -> String {
    let mapped: String = s
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut out = String::new();
    for c in mapped.chars() {
        // No runs of separators, so "a::b" reads "a-b".
        if (c == '-' || c == '.') && out.ends_with(['-', '.']) {
            continue;
        }
        out.push(c);
    }
    out.trim_matches(['-', '.']).chars().take(200).collect()
}

/// A RoleBinding giving `subject` the ClusterRole `role` in `ns`. A service account is
/// `name` (in `ns`) or `namespace:name`. Named `ROLE-KIND-NAME`, so binding the same subject
/// to the same role twice is refused by the server instead of making a duplicate.
pub fn role_binding(
    ns: &str,
    kind: SubjectKind,
    subject: &str,
    role: &str,
) -> Result<Value, String> {
    let subject = subject.trim();
    if subject.is_empty() {
        return Err("the subject's name is missing".into());
    }
    if !ROLES.contains(&role) {
        return Err(format!("{role:?} is not a role here: {}", ROLES.join(", ")));
    }
    let subject_json = match kind {
        SubjectKind::ServiceAccount => {
            let (sa_ns, name) = subject.split_once(':').unwrap_or((ns, subject));
            dns_label("service account namespace", sa_ns)?;
            dns_name("service account", name)?;
            json!({"kind": "ServiceAccount", "name": name, "namespace": sa_ns})
        }
        k => json!({"kind": k.kind(), "name": subject, "apiGroup": "rbac.authorization.k8s.io"}),
    };
    let name = slug(&format!("{role}-{}-{subject}", kind.short()));
    Ok(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": ns},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [subject_json],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_bindings_name_the_subject_and_the_role() {
        let b = role_binding("team-a", SubjectKind::ServiceAccount, "builder", "view").unwrap();
        assert_eq!(b["metadata"]["name"], "view-sa-builder");
        assert_eq!(
            b["subjects"][0],
            json!({"kind": "ServiceAccount", "name": "builder", "namespace": "team-a"})
        );
        assert_eq!(b["roleRef"]["name"], "view");
        let u = role_binding("team-a", SubjectKind::User, "Alice@Example.com", "edit").unwrap();
        assert_eq!(u["metadata"]["name"], "edit-user-alice-example.com");
        assert_eq!(u["subjects"][0]["apiGroup"], "rbac.authorization.k8s.io");
        let other = role_binding("a", SubjectKind::ServiceAccount, "ci:deployer", "admin").unwrap();
        assert_eq!(other["subjects"][0]["namespace"], "ci");
        assert!(role_binding("a", SubjectKind::Group, "devs", "cluster-admin").is_err());
        assert!(role_binding("a", SubjectKind::Group, " ", "view").is_err());
        assert_eq!(SubjectKind::parse("SA"), Ok(SubjectKind::ServiceAccount));
        assert!(SubjectKind::parse("robot").is_err());
    }
}
