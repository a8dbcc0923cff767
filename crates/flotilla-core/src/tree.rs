//! The owner tree of an object (`:tree`, `x` on a row): what owns it up to the top, all the
//! top owns down to the pods and the nodes they run on, and what refers to it or what it
//! uses: the Services selecting its pods, the autoscaler scaling it, the ConfigMaps, Secrets
//! and claims its pods read. Built from the rows the store holds (ownerReferences, labels and
//! the cells kubectl shows), so it follows the cluster live; only what the pod template reads
//! comes from the top object itself (`Uses`).

use crate::model::{ClusterId, ResKey, Row, RowHealth};
use crate::store::{Sheet, Store};
use crate::triage::rules::cell;
use serde_json::Value;

/// Kinds that own others: where an owner's uid is looked up.
const OWNERS: &[(&str, &str)] = &[
    ("apps", "deployments"),
    ("apps", "replicasets"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("batch", "cronjobs"),
    ("batch", "jobs"),
];

/// Kinds owned by others, scanned for children.
const OWNED: &[(&str, &str)] = &[("apps", "replicasets"), ("batch", "jobs"), ("", "pods")];

/// Every kind the tree reads: a tree screen watches these on its cluster.
pub fn watched() -> Vec<ResKey> {
    let mut out: Vec<ResKey> = OWNERS
        .iter()
        .chain(OWNED)
        .chain(&[
            ("", "services"),
            ("autoscaling", "horizontalpodautoscalers"),
            ("", "persistentvolumeclaims"),
            ("", "configmaps"),
            ("", "secrets"),
            ("", "nodes"),
        ])
        .map(|(g, p)| ResKey::new(g, p))
        .collect();
    out.dedup();
    out
}

/// What a pod template reads, named: `(plural, name)`; a StatefulSet's claim templates as
/// `("persistentvolumeclaims", "data-db-")`, a prefix every claim of it starts with.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Uses {
    pub named: Vec<(&'static str, String)>,
    pub claim_prefixes: Vec<String>,
}

impl Uses {
    /// From the top object as the server returned it.
    pub fn of(object: &Value) -> Uses {
        let spec = object
            .pointer("/spec/template/spec")
            .or_else(|| object.pointer("/spec/jobTemplate/spec/template/spec"))
            .or_else(|| object.get("spec"));
        let mut named = spec
            .map(crate::triage::changed::referenced)
            .unwrap_or_default();
        for v in spec
            .and_then(|s| s.get("volumes"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(claim) = v
                .pointer("/persistentVolumeClaim/claimName")
                .and_then(Value::as_str)
            {
                named.push(("persistentvolumeclaims", crate::text::clean(claim)));
            }
        }
        let sts = object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let claim_prefixes = object
            .pointer("/spec/volumeClaimTemplates")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| t.pointer("/metadata/name").and_then(Value::as_str))
            .map(|t| crate::text::clean(&format!("{t}-{sts}-")))
            .collect();
        Uses {
            named,
            claim_prefixes,
        }
    }
}

/// One line of the tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub depth: usize,
    /// How it relates to the line it hangs under: "" (owned), "selected by", "scaled by",
    /// "uses", "on".
    pub relation: &'static str,
    pub res: ResKey,
    /// `deployment/web`.
    pub object: String,
    pub namespace: String,
    pub name: String,
    /// Empty when the store has no such object (a ConfigMap the pods read that is missing).
    pub uid: String,
    pub status: String,
    pub health: RowHealth,
    pub created: Option<i64>,
}

/// The lowercase singular kubectl names a kind by.
pub fn kind_of(plural: &str) -> &str {
    match plural {
        "persistentvolumeclaims" => "persistentvolumeclaim",
        "horizontalpodautoscalers" => "horizontalpodautoscaler",
        p => p.strip_suffix('s').unwrap_or(p),
    }
}

/// The cell that says most of a row's state.
fn status(sheet: &Sheet, row: &Row) -> String {
    for (column, label) in [
        ("status", ""),
        ("ready", "ready "),
        ("completions", "completions "),
        ("suspend", "suspend "),
        ("type", ""),
        ("data", "keys "),
    ] {
        if let Some(v) = cell(&sheet.columns, row, column) {
            return format!("{label}{v}");
        }
    }
    String::new()
}

struct Sheets<'a> {
    store: &'a Store,
    cluster: ClusterId,
}

impl<'a> Sheets<'a> {
    fn get(&self, group: &str, plural: &str) -> Option<&'a Sheet> {
        self.store.sheet(self.cluster, &ResKey::new(group, plural))
    }

    fn node(&self, depth: usize, relation: &'static str, (g, p): (&str, &str), row: &Row) -> Node {
        let sheet = self.get(g, p);
        Node {
            depth,
            relation,
            res: ResKey::new(g, p),
            object: format!("{}/{}", kind_of(p), row.name),
            namespace: row.namespace.clone(),
            name: row.name.clone(),
            uid: row.uid.clone(),
            status: sheet.map(|s| status(s, row)).unwrap_or_default(),
            health: row.health,
            created: row.created,
        }
    }

    /// A named object, or a line saying it is missing.
    fn named(
        &self,
        depth: usize,
        relation: &'static str,
        (g, p): (&str, &str),
        ns: &str,
        name: &str,
    ) -> Node {
        let row = self.get(g, p).and_then(|s| {
            s.rows()
                .map(|(_, r)| r)
                .find(|r| r.name == name && r.namespace == ns)
        });
        match row {
            Some(row) => self.node(depth, relation, (g, p), row),
            None => Node {
                depth,
                relation,
                res: ResKey::new(g, p),
                object: format!("{}/{name}", kind_of(p)),
                namespace: ns.to_string(),
                name: name.to_string(),
                uid: String::new(),
                status: match self.get(g, p) {
                    Some(_) => "missing".into(),
                    None => String::new(),
                },
                health: match self.get(g, p) {
                    Some(_) => RowHealth::Error,
                    None => RowHealth::Ok,
                },
                created: None,
            },
        }
    }

    /// The owner of `row` among the kinds that own, with its kind.
    fn owner(&self, row: &Row) -> Option<((&'static str, &'static str), &'a Row)> {
        let uid = row.owners.first()?;
        OWNERS.iter().find_map(|&(g, p)| {
            let (_, r) = self.get(g, p)?.find(uid)?;
            Some(((g, p), r))
        })
    }
}

/// `key=value,key2=value2` (a Service's SELECTOR cell) matched against a row's labels.
pub fn selects(selector: &str, row: &Row) -> bool {
    let pairs: Vec<(&str, &str)> = selector
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    !pairs.is_empty()
        && pairs
            .iter()
            .all(|(k, v)| row.label(k.trim()) == Some(v.trim()))
}

/// The tree of the object `name` of kind `res` in `namespace` on `cluster`, from its top
/// owner down; empty when the store does not hold it (yet).
pub fn build(
    store: &Store,
    cluster: ClusterId,
    res: &ResKey,
    namespace: &str,
    name: &str,
    uses: &Uses,
) -> Vec<Node> {
    let s = Sheets { store, cluster };
    let Some(sheet) = store.sheet(cluster, res) else {
        return Vec::new();
    };
    let Some(mut row) = sheet
        .rows()
        .map(|(_, r)| r)
        .find(|r| r.name == name && r.namespace == namespace)
    else {
        return Vec::new();
    };
    let mut kind = (
        OWNERS
            .iter()
            .chain(OWNED)
            .find(|(g, p)| res.is(g, p))
            .map_or(res.group.as_str(), |k| k.0),
        res.plural.as_str(),
    );
    // Up to the top owner.
    let mut guard = 0;
    while let Some((k, owner)) = s.owner(row) {
        (kind, row) = (k, owner);
        guard += 1;
        if guard > 8 {
            break;
        }
    }
    let ns = row.namespace.as_str();
    // Children by owner uid, from the kinds that are owned, in this namespace.
    type Kind<'k> = (&'k str, &'k str);
    let mut children: std::collections::HashMap<&str, Vec<(Kind, &Row)>> =
        std::collections::HashMap::new();
    for &(g, p) in OWNED {
        for (_, r) in s.get(g, p).into_iter().flat_map(|sh| sh.rows()) {
            if r.namespace == ns
                && let Some(o) = r.owners.first()
            {
                children.entry(o.as_str()).or_default().push(((g, p), r));
            }
        }
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| (a.0.1, &a.1.name).cmp(&(b.0.1, &b.1.name)));
    }
    let mut out: Vec<Node> = Vec::new();
    let mut pods: Vec<&Row> = Vec::new();
    // Depth first, each object before what it owns.
    let mut stack: Vec<(usize, (&str, &str), &Row)> = vec![(0, kind, row)];
    while let Some((depth, k, r)) = stack.pop() {
        out.push(s.node(depth, "", k, r));
        if k.1 == "pods" {
            pods.push(r);
            if let Some(node) = s
                .get("", "pods")
                .and_then(|sh| cell(&sh.columns, r, "node"))
                .filter(|n| !n.is_empty() && *n != "<none>")
            {
                out.push(s.named(depth + 1, "on", ("", "nodes"), "", node));
            }
        }
        if out.len() > 500 {
            break;
        }
        for (ck, c) in children.get(r.uid.as_str()).into_iter().flatten().rev() {
            stack.push((depth + 1, *ck, c));
        }
    }
    let top = &out[0];
    let mut refs: Vec<Node> = Vec::new();
    if let Some(services) = s.get("", "services") {
        for (_, svc) in services.rows() {
            if svc.namespace == ns
                && let Some(sel) = cell(&services.columns, svc, "selector")
                && pods.iter().any(|p| selects(sel, p))
            {
                refs.push(s.node(1, "selected by", ("", "services"), svc));
            }
        }
    }
    if let Some(hpas) = s.get("autoscaling", "horizontalpodautoscalers") {
        for (_, h) in hpas.rows() {
            let target = cell(&hpas.columns, h, "reference").unwrap_or("");
            if h.namespace == ns
                && let Some((k, n)) = target.split_once('/')
                && n == top.name
                && k.eq_ignore_ascii_case(kind_of(&top.res.plural))
            {
                refs.push(s.node(
                    1,
                    "scaled by",
                    ("autoscaling", "horizontalpodautoscalers"),
                    h,
                ));
            }
        }
    }
    for (plural, name) in &uses.named {
        refs.push(s.named(1, "uses", ("", plural), ns, name));
    }
    if let Some(claims) = s.get("", "persistentvolumeclaims") {
        let mut found: Vec<&Row> = claims
            .rows()
            .map(|(_, r)| r)
            .filter(|r| r.namespace == ns)
            .filter(|r| uses.claim_prefixes.iter().any(|p| r.name.starts_with(p)))
            .collect();
        found.sort_by(|a, b| a.name.cmp(&b.name));
        for c in found {
            refs.push(s.node(1, "uses", ("", "persistentvolumeclaims"), c));
        }
    }
    out.splice(1..1, refs);
    out
}

/// The workload whose labels Service `name` in `namespace` selects, as `deployment/web`:
/// a Service without endpoints names what should be behind it. `None` when none matches.
pub fn selected_workload(
    store: &Store,
    cluster: ClusterId,
    namespace: &str,
    name: &str,
) -> Option<String> {
    let services = store.sheet(cluster, &ResKey::core("services"))?;
    let svc = services
        .rows()
        .map(|(_, r)| r)
        .find(|r| r.namespace == namespace && r.name == name)?;
    let selector = cell(&services.columns, svc, "selector")?;
    [
        ("apps", "deployments"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
    ]
    .iter()
    .find_map(|(g, p)| {
        let sheet = store.sheet(cluster, &ResKey::new(g, p))?;
        sheet
            .rows()
            .map(|(_, r)| r)
            .find(|r| r.namespace == namespace && selects(selector, r))
            .map(|r| format!("{}/{}", kind_of(p), r.name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_a_template_uses_is_named() {
        let sts = json!({"metadata": {"name": "db"}, "spec": {
            "volumeClaimTemplates": [{"metadata": {"name": "data"}}],
            "template": {"spec": {
                "containers": [{"name": "db", "envFrom": [{"configMapRef": {"name": "db-config"}}]}],
                "volumes": [{"name": "b", "persistentVolumeClaim": {"claimName": "backup"}}]}}}});
        let uses = Uses::of(&sts);
        assert_eq!(
            uses.named,
            [
                ("configmaps", "db-config".to_string()),
                ("persistentvolumeclaims", "backup".to_string())
            ]
        );
        assert_eq!(uses.claim_prefixes, ["data-db-"]);
    }

    #[test]
    fn a_selector_cell_matches_labels() {
        let pod = Row {
            labels: vec![("app".into(), "web".into()), ("tier".into(), "fe".into())],
            ..Row::default()
        };
        assert!(selects("app=web", &pod));
        assert!(selects("app=web,tier=fe", &pod));
        assert!(!selects("app=api", &pod));
        assert!(!selects("<none>", &pod));
    }
}
