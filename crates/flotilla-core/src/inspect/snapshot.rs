//! What inspection reads of one cluster: its objects as JSON, kind by kind, as the list calls
//! return them, plus what discovery says and the time to judge certificates by. The I/O layer
//! fills it by looping over `kinds()`; nothing here touches the network.

use serde_json::Value;
use std::collections::BTreeMap;

/// The kinds inspection lists. The order is `KINDS`'s (tested).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Pod,
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Job,
    CronJob,
    Service,
    EndpointSlice,
    Ingress,
    ConfigMap,
    Secret,
    PersistentVolumeClaim,
    PersistentVolume,
    HorizontalPodAutoscaler,
    PodDisruptionBudget,
    Node,
    Namespace,
    ResourceQuota,
    LimitRange,
    ServiceAccount,
    RoleBinding,
    ClusterRoleBinding,
    CustomResourceDefinition,
}

/// Where a kind is served: what the I/O layer lists.
#[derive(Debug)]
pub struct KindInfo {
    pub kind: Kind,
    /// As `kind:` in a manifest.
    pub name: &'static str,
    /// `""` for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
}

impl KindInfo {
    /// The path that lists every object of the kind, across namespaces:
    /// `/api/v1/pods`, `/apis/apps/v1/deployments`.
    pub fn list_path(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}/{}", self.version, self.plural)
        } else {
            format!("/apis/{}/{}/{}", self.group, self.version, self.plural)
        }
    }
}

const fn info(
    kind: Kind,
    name: &'static str,
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    namespaced: bool,
) -> KindInfo {
    KindInfo {
        kind,
        name,
        group,
        version,
        plural,
        namespaced,
    }
}

static KINDS: [KindInfo; 24] = [
    info(Kind::Pod, "Pod", "", "v1", "pods", true),
    info(
        Kind::Deployment,
        "Deployment",
        "apps",
        "v1",
        "deployments",
        true,
    ),
    info(
        Kind::StatefulSet,
        "StatefulSet",
        "apps",
        "v1",
        "statefulsets",
        true,
    ),
    info(
        Kind::DaemonSet,
        "DaemonSet",
        "apps",
        "v1",
        "daemonsets",
        true,
    ),
    info(
        Kind::ReplicaSet,
        "ReplicaSet",
        "apps",
        "v1",
        "replicasets",
        true,
    ),
    info(Kind::Job, "Job", "batch", "v1", "jobs", true),
    info(Kind::CronJob, "CronJob", "batch", "v1", "cronjobs", true),
    info(Kind::Service, "Service", "", "v1", "services", true),
    info(
        Kind::EndpointSlice,
        "EndpointSlice",
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        true,
    ),
    info(
        Kind::Ingress,
        "Ingress",
        "networking.k8s.io",
        "v1",
        "ingresses",
        true,
    ),
    info(Kind::ConfigMap, "ConfigMap", "", "v1", "configmaps", true),
    info(Kind::Secret, "Secret", "", "v1", "secrets", true),
    info(
        Kind::PersistentVolumeClaim,
        "PersistentVolumeClaim",
        "",
        "v1",
        "persistentvolumeclaims",
        true,
    ),
    info(
        Kind::PersistentVolume,
        "PersistentVolume",
        "",
        "v1",
        "persistentvolumes",
        false,
    ),
    info(
        Kind::HorizontalPodAutoscaler,
        "HorizontalPodAutoscaler",
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        true,
    ),
    info(
        Kind::PodDisruptionBudget,
        "PodDisruptionBudget",
        "policy",
        "v1",
        "poddisruptionbudgets",
        true,
    ),
    info(Kind::Node, "Node", "", "v1", "nodes", false),
    info(Kind::Namespace, "Namespace", "", "v1", "namespaces", false),
    info(
        Kind::ResourceQuota,
        "ResourceQuota",
        "",
        "v1",
        "resourcequotas",
        true,
    ),
    info(
        Kind::LimitRange,
        "LimitRange",
        "",
        "v1",
        "limitranges",
        true,
    ),
    info(
        Kind::ServiceAccount,
        "ServiceAccount",
        "",
        "v1",
        "serviceaccounts",
        true,
    ),
    info(
        Kind::RoleBinding,
        "RoleBinding",
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        true,
    ),
    info(
        Kind::ClusterRoleBinding,
        "ClusterRoleBinding",
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        false,
    ),
    info(
        Kind::CustomResourceDefinition,
        "CustomResourceDefinition",
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        false,
    ),
];

/// Every kind inspection lists, with where it is served: the I/O layer's loop.
pub fn kinds() -> &'static [KindInfo] {
    &KINDS
}

/// The kinds that hold a pod spec (a pod's own, or a template's).
pub const POD_HOLDERS: &[Kind] = &[
    Kind::Pod,
    Kind::Deployment,
    Kind::StatefulSet,
    Kind::DaemonSet,
    Kind::ReplicaSet,
    Kind::Job,
    Kind::CronJob,
];

impl Kind {
    pub fn info(self) -> &'static KindInfo {
        &KINDS[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The kind a manifest's `kind:` (or an ownerReference's) names, if inspection lists it.
    pub fn from_name(name: &str) -> Option<Kind> {
        KINDS.iter().find(|k| k.name == name).map(|k| k.kind)
    }

    /// Where the pod spec of an object of this kind is, for the kinds that hold one.
    pub fn pod_spec_pointer(self) -> Option<&'static str> {
        match self {
            Kind::Pod => Some("/spec"),
            Kind::Deployment
            | Kind::StatefulSet
            | Kind::DaemonSet
            | Kind::ReplicaSet
            | Kind::Job => Some("/spec/template/spec"),
            Kind::CronJob => Some("/spec/jobTemplate/spec/template/spec"),
            _ => None,
        }
    }
}

/// The one data key of a Secret inspection reads.
pub const TLS_CERT: &str = "tls.crt";

/// One cluster's objects at one moment.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Seconds since the epoch: what certificate expiry is measured from.
    pub now: i64,
    objects: BTreeMap<Kind, Vec<Value>>,
    /// The group/versions the server serves, as `kubectl api-versions` prints them
    /// (`v1`, `apps/v1`, `policy/v1beta1`).
    pub api_versions: Vec<String>,
    /// Instances per CustomResourceDefinition (by the CRD's name, `widgets.example.com`); a
    /// CRD absent here was not counted and is not judged.
    pub crd_instances: BTreeMap<String, u64>,
    /// What could not be read, for the report (`secrets: forbidden`).
    pub errors: Vec<String>,
}

impl Snapshot {
    pub fn new(now: i64) -> Snapshot {
        Snapshot {
            now,
            ..Snapshot::default()
        }
    }

    /// Takes a list's items. Sheds on the way in what inspection never reads and should not
    /// hold: the values of Secrets (all but `tls.crt`, and the last-applied annotation, which
    /// repeats them), and the field sets of `managedFields` (their manager and apiVersion
    /// stay: deprecated APIs are found by them). Items of a list carry no `kind`; it is set,
    /// so objects read as they do in a manifest (and `kinds::selector::selector_of` knows a
    /// Service's selector).
    pub fn set(&mut self, kind: Kind, items: Vec<Value>) {
        let items = items.into_iter().map(|v| shed(kind, v)).collect();
        self.objects.insert(kind, items);
    }

    /// The list of a kind could not be read: the checks needing it are skipped.
    pub fn failed(&mut self, kind: Kind, why: &str) {
        self.objects.remove(&kind);
        self.errors.push(format!("{}: {why}", kind.info().plural));
    }

    /// Whether the kind's list was read (an empty list was).
    pub fn has(&self, kind: Kind) -> bool {
        self.objects.contains_key(&kind)
    }

    pub fn of(&self, kind: Kind) -> &[Value] {
        self.objects.get(&kind).map_or(&[], Vec::as_slice)
    }

    /// Every object read, with its kind.
    pub fn all(&self) -> impl Iterator<Item = (Kind, &Value)> {
        self.objects
            .iter()
            .flat_map(|(k, items)| items.iter().map(move |v| (*k, v)))
    }

    /// For each CRD read: its name and the path that lists its instances (at the storage
    /// version), for the I/O layer to count into `crd_instances`.
    pub fn custom_resource_paths(&self) -> Vec<(String, String)> {
        self.of(Kind::CustomResourceDefinition)
            .iter()
            .filter_map(|crd| {
                let name = crd.pointer("/metadata/name")?.as_str()?;
                let spec = crd.get("spec")?;
                let group = spec.get("group")?.as_str()?;
                let plural = spec.pointer("/names/plural")?.as_str()?;
                let versions = spec.get("versions")?.as_array()?;
                let flag = |v: &Value, f: &str| v.get(f).and_then(Value::as_bool) == Some(true);
                let version = versions
                    .iter()
                    .find(|v| flag(v, "storage"))
                    .or_else(|| versions.iter().find(|v| flag(v, "served")))?
                    .get("name")?
                    .as_str()?;
                Some((
                    name.to_string(),
                    format!("/apis/{group}/{version}/{plural}"),
                ))
            })
            .collect()
    }
}

fn shed(kind: Kind, mut v: Value) -> Value {
    if let Some(fields) = v
        .pointer_mut("/metadata/managedFields")
        .and_then(Value::as_array_mut)
    {
        for f in fields.iter_mut().filter_map(Value::as_object_mut) {
            f.retain(|k, _| k == "manager" || k == "apiVersion" || k == "operation");
        }
    }
    if kind == Kind::Secret {
        if let Some(o) = v.as_object_mut() {
            o.remove("stringData");
        }
        if let Some(data) = v.get_mut("data").and_then(Value::as_object_mut) {
            data.retain(|k, _| k == TLS_CERT);
        }
        if let Some(notes) = v
            .pointer_mut("/metadata/annotations")
            .and_then(Value::as_object_mut)
        {
            notes.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
    if let Some(o) = v.as_object_mut() {
        o.entry("kind")
            .or_insert_with(|| Value::String(kind.name().to_string()));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_are_in_enum_order_with_their_paths() {
        for (i, k) in kinds().iter().enumerate() {
            assert_eq!(k.kind as usize, i, "{}", k.name);
            assert_eq!(Kind::from_name(k.name), Some(k.kind));
        }
        assert_eq!(Kind::Pod.info().list_path(), "/api/v1/pods");
        assert_eq!(
            Kind::Deployment.info().list_path(),
            "/apis/apps/v1/deployments"
        );
        assert_eq!(Kind::from_name("Widget"), None);
    }

    #[test]
    fn secrets_keep_only_the_certificate_and_lists_get_their_kind() {
        let mut s = Snapshot::new(0);
        s.set(
            Kind::Secret,
            vec![json!({
                "metadata": {"name": "web-tls", "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{}}",
                    "team": "shop"},
                    "managedFields": [{"manager": "kubectl", "apiVersion": "v1",
                        "operation": "Apply", "fieldsV1": {"f:data": {}}}]},
                "type": "kubernetes.io/tls",
                "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5"},
                "stringData": {"password": "hunter2"}
            })],
        );
        assert_eq!(
            s.of(Kind::Secret)[0],
            json!({
                "kind": "Secret",
                "metadata": {"name": "web-tls", "annotations": {"team": "shop"},
                    "managedFields": [{"manager": "kubectl", "apiVersion": "v1",
                        "operation": "Apply"}]},
                "type": "kubernetes.io/tls",
                "data": {"tls.crt": "Y2VydA=="}
            })
        );
        assert!(s.has(Kind::Secret) && !s.has(Kind::Pod));
        s.failed(Kind::Secret, "forbidden");
        assert!(!s.has(Kind::Secret));
        assert_eq!(s.errors, vec!["secrets: forbidden"]);
    }

    #[test]
    fn custom_resources_are_listed_at_their_storage_version() {
        let mut s = Snapshot::new(0);
        s.set(
            Kind::CustomResourceDefinition,
            vec![
                json!({"metadata": {"name": "widgets.example.com"}, "spec": {
                "group": "example.com", "names": {"plural": "widgets"},
                "versions": [{"name": "v1beta1", "served": true},
                             {"name": "v1", "served": true, "storage": true}]}}),
            ],
        );
        assert_eq!(
            s.custom_resource_paths(),
            vec![(
                "widgets.example.com".to_string(),
                "/apis/example.com/v1/widgets".to_string()
            )]
        );
    }
}
