//! One object on one cluster, named the way every selection, drill-down, describe, YAML and
//! mutation refers to it. It is a name, not a handle: whoever uses it looks the object up
//! again at that moment, and an object that vanished (or was replaced by another with the same
//! name) is reported as gone, never swapped for a different one.

use crate::cluster::ClusterId;
use crate::resource::{ResKey, api_prefix};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectRef {
    /// The kubeconfig context, and the connection to it the object was seen on.
    pub context: String,
    pub cluster: ClusterId,
    pub res: ResKey,
    /// The version the cluster serves the resource at.
    pub version: String,
    pub kind: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

impl ObjectRef {
    /// A container of this pod, as a command or shell names it.
    pub fn container(&self, name: &str) -> super::stream::ExecTarget {
        super::stream::ExecTarget {
            namespace: self.namespace.clone(),
            pod: self.name.clone(),
            container: Some(name.to_string()),
        }
    }

    /// The object's API path.
    pub fn path(&self) -> String {
        let prefix = api_prefix(&self.res.group, &self.version);
        if self.namespace.is_empty() {
            format!("{prefix}/{}/{}", self.res.plural, self.name)
        } else {
            format!(
                "{prefix}/namespaces/{}/{}/{}",
                self.namespace, self.res.plural, self.name
            )
        }
    }

    /// `deployment/web`, as kubectl names it.
    pub fn short(&self) -> String {
        format!("{}/{}", self.kind.to_lowercase(), self.name)
    }
}

/// `Pod dev/shop/web-1`
impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/", self.kind, self.context)?;
        if !self.namespace.is_empty() {
            write!(f, "{}/", self.namespace)?;
        }
        write!(f, "{}", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod() -> ObjectRef {
        ObjectRef {
            context: "dev".into(),
            cluster: ClusterId(3),
            res: ResKey::core("pods"),
            version: "v1".into(),
            kind: "Pod".into(),
            namespace: "shop".into(),
            name: "web-1".into(),
            uid: "u1".into(),
        }
    }

    #[test]
    fn paths_and_names() {
        let p = pod();
        assert_eq!(p.path(), "/api/v1/namespaces/shop/pods/web-1");
        assert_eq!(p.to_string(), "Pod dev/shop/web-1");
        assert_eq!(p.short(), "pod/web-1");
        let node = ObjectRef {
            res: ResKey::core("nodes"),
            kind: "Node".into(),
            namespace: String::new(),
            name: "n1".into(),
            ..pod()
        };
        assert_eq!(node.path(), "/api/v1/nodes/n1");
        assert_eq!(node.to_string(), "Node dev/n1");
        let deploy = ObjectRef {
            res: ResKey::new("apps", "deployments"),
            kind: "Deployment".into(),
            ..pod()
        };
        assert_eq!(
            deploy.path(),
            "/apis/apps/v1/namespaces/shop/deployments/web-1"
        );
    }
}
