//! Rollout history and rollback to a chosen revision, computed the way `kubectl rollout history`
//! and `kubectl rollout undo --to-revision` do (kubectl's pkg/polymorphichelpers history.go and
//! rollback.go): a Deployment's revisions are the ReplicaSets it controls, numbered by their
//! `deployment.kubernetes.io/revision` annotation; a StatefulSet's or DaemonSet's are the
//! ControllerRevisions it controls. Pure functions over what the server returned: the screen
//! fetches, the app sends the patch as an audited `Op::Rollback`.

use crate::model::object::ObjectRef;
use crate::model::resource::api_prefix;
use crate::protocol::op::{Patch, PatchKind};
use serde_json::{Map, Value, json};

const REVISION: &str = "deployment.kubernetes.io/revision";
const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
/// Added by the Deployment controller to each ReplicaSet's template; never in the Deployment's.
const HASH_LABEL: &str = "pod-template-hash";

/// Annotations a Deployment rollback keeps from the Deployment rather than copying them from the
/// ReplicaSet (kubectl's `annotationsToSkip`): they describe the rollout, not the template.
const KEEP: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];

/// One entry of an object's rollout history.
#[derive(Clone, Debug, PartialEq)]
pub struct Revision {
    pub number: i64,
    /// The ReplicaSet or ControllerRevision it is recorded in.
    pub name: String,
    pub change_cause: Option<String>,
    /// Its creationTimestamp.
    pub created: Option<String>,
    /// The pod template as a rollback would restore it (a ReplicaSet's without its
    /// pod-template-hash label, a ControllerRevision's without its `$patch` directive).
    pub template: Value,
    /// The owner's template is this revision's.
    pub current: bool,
    pub images: Vec<String>,
    /// The ReplicaSet's / ControllerRevision's annotations (a Deployment rollback copies them).
    pub annotations: Map<String, Value>,
    /// A ControllerRevision's `data`: the strategic merge patch that restores it. `None` for a
    /// ReplicaSet.
    pub data: Option<Value>,
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// The list path to fetch for `obj`'s revisions: ReplicaSets for a Deployment,
/// ControllerRevisions for StatefulSets and DaemonSets, in obj's namespace. None for other kinds.
pub fn list_path(obj: &ObjectRef) -> Option<String> {
    if obj.res.group != "apps" || obj.namespace.is_empty() {
        return None;
    }
    let plural = match obj.res.plural.as_str() {
        "deployments" => "replicasets",
        "statefulsets" | "daemonsets" => "controllerrevisions",
        _ => return None,
    };
    Some(format!(
        "{}/namespaces/{}/{plural}",
        api_prefix("apps", &obj.version),
        obj.namespace
    ))
}

/// Whether `item`'s controller reference is the object with `uid` (metav1.IsControlledBy):
/// same-named objects that replaced an old owner, and orphans, are not its history.
fn controlled_by(item: &Value, uid: &str) -> bool {
    item.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| {
            refs.iter().any(|r| {
                r.get("controller").and_then(Value::as_bool) == Some(true)
                    && r.get("uid").and_then(Value::as_str) == Some(uid)
            })
        })
}

/// The template without the labels and directives that are bookkeeping, not content.
fn restorable(template: &Value) -> Value {
    let mut t = template.clone();
    if let Some(o) = t.as_object_mut() {
        o.remove("$patch");
    }
    if let Some(labels) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove(HASH_LABEL);
    }
    t
}

fn images(template: &Value) -> Vec<String> {
    template
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("image").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

/// One ReplicaSet or ControllerRevision as a revision; `None` when it carries no number.
fn revision(item: &Value) -> Option<Revision> {
    // A ControllerRevision has `revision` and `data`; a ReplicaSet has the annotation.
    let (number, template, data) = match item.get("revision").and_then(Value::as_i64) {
        Some(n) => {
            let data = item.get("data").cloned().unwrap_or(Value::Null);
            let template = data.pointer("/spec/template").map(restorable);
            (n, template.unwrap_or(Value::Null), Some(data))
        }
        // kubectl counts a ReplicaSet without the annotation as revision 0; one that was never
        // numbered cannot be asked for by number, so it is left out.
        None => {
            let n = str_at(item, &format!("/metadata/annotations/{}", escape(REVISION)))?
                .parse()
                .ok()?;
            let template = item.pointer("/spec/template").map(restorable)?;
            (n, template, None)
        }
    };
    let annotations = item
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    Some(Revision {
        number,
        name: str_at(item, "/metadata/name")
            .unwrap_or_default()
            .to_string(),
        change_cause: annotations
            .get(CHANGE_CAUSE)
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_string),
        created: str_at(item, "/metadata/creationTimestamp").map(str::to_string),
        images: images(&template),
        template,
        current: false,
        annotations,
        data,
    })
}

/// A JSON pointer token (`/` and `~` in annotation keys).
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Revisions owned by `owner` (the full current object: its uid matched against
/// ownerReferences, its current template/revision marks `current`), newest first.
pub fn from_list(owner: &Value, list: &Value) -> Vec<Revision> {
    let Some(uid) = str_at(owner, "/metadata/uid") else {
        return Vec::new();
    };
    let template = owner.pointer("/spec/template").map(restorable);
    // A StatefulSet names the revision its template is; DaemonSets (and Deployments) are
    // matched by template, as kubectl matches them.
    let update_revision = str_at(owner, "/status/updateRevision");
    let mut out: Vec<Revision> = list
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|item| controlled_by(item, uid))
        .filter_map(revision)
        .collect();
    out.sort_by_key(|r| std::cmp::Reverse(r.number));
    let mut found = false;
    for r in &mut out {
        // Two revisions with the same template can exist briefly (kubectl notes cluster upgrades
        // changing the hash); only the newest is the one running.
        r.current = !found
            && (template.as_ref() == Some(&r.template)
                || (r.data.is_some() && update_revision == Some(r.name.as_str())));
        found |= r.current;
    }
    out
}

/// The patch kubectl sends to roll `owner` back to `rev`.
///
/// Deployment: a JSON patch replacing the template (the ReplicaSet's, without its hash label)
/// and the annotations (the Deployment's rollout bookkeeping kept, the rest copied from the
/// ReplicaSet, so its change-cause comes back too). StatefulSet/DaemonSet: the
/// ControllerRevision's data, a strategic merge patch with `$patch: replace` on the template.
///
/// Both carry the uid of the object the history was read from. The revisions are that object's:
/// if it was deleted and another took its name meanwhile, applying them would roll back an
/// object the user never looked at. The server refuses the whole patch then (422: a failed
/// JSON patch `test`, or the immutable `metadata.uid` changed by the strategic merge patch),
/// and nothing is changed. On the object itself the uid changes nothing.
pub fn rollback_patch(owner: &Value, rev: &Revision) -> Result<Patch, String> {
    let uid = str_at(owner, "/metadata/uid").ok_or("the object has no uid")?;
    let kind = str_at(owner, "/kind").unwrap_or_default();
    let current = owner.pointer("/spec/template").map(restorable);
    if rev.current || current.as_ref() == Some(&rev.template) {
        return Err(format!(
            "skipped rollback (current template already matches revision {})",
            rev.number
        ));
    }
    match &rev.data {
        None if kind.is_empty() || kind == "Deployment" => deployment_patch(owner, uid, rev),
        Some(data) if kind != "Deployment" => revision_patch(uid, data),
        _ => Err(format!(
            "revision {} ({}) is not a revision of a {kind}",
            rev.number, rev.name
        )),
    }
}

fn deployment_patch(owner: &Value, uid: &str, rev: &Revision) -> Result<Patch, String> {
    if owner.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
        return Err(
            "you cannot roll back a paused deployment; resume it first and try again".into(),
        );
    }
    let mut annotations = Map::new();
    if let Some(now) = owner
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
    {
        for k in KEEP {
            if let Some(v) = now.get(k) {
                annotations.insert(k.to_string(), v.clone());
            }
        }
    }
    for (k, v) in &rev.annotations {
        if !KEEP.contains(&k.as_str()) {
            annotations.insert(k.clone(), v.clone());
        }
    }
    Ok(Patch {
        kind: PatchKind::Json,
        body: json!([
            // First: the patch is applied in order and all or nothing.
            { "op": "test", "path": "/metadata/uid", "value": uid },
            { "op": "replace", "path": "/spec/template", "value": restorable(&rev.template) },
            // kubectl says `replace`; `add` does the same to an existing member and also works
            // on a Deployment that has no annotations at all.
            { "op": "add", "path": "/metadata/annotations", "value": annotations },
        ]),
    })
}

fn revision_patch(uid: &str, data: &Value) -> Result<Patch, String> {
    let mut body = data.clone();
    let obj = body
        .as_object_mut()
        .ok_or("the revision's data is not an object")?;
    let meta = obj.entry("metadata").or_insert_with(|| json!({}));
    let meta = meta
        .as_object_mut()
        .ok_or("the revision's data has a metadata that is not an object")?;
    meta.insert("uid".into(), Value::String(uid.to_string()));
    Ok(Patch {
        kind: PatchKind::Strategic,
        body,
    })
}

/// The pod template diff, from the current one (`current`: the owner object, or its template)
/// to `rev.template`, as YAML lines marked "+ " (the rollback adds), "- " (it removes) or "  ".
pub fn template_diff(current: &Value, rev: &Revision) -> Vec<String> {
    let now = restorable(current.pointer("/spec/template").unwrap_or(current));
    let (before, after) = (super::yaml_of(&now), super::yaml_of(&rev.template));
    similar::TextDiff::from_lines(&before, &after)
        .iter_all_changes()
        .map(|c| {
            let mark = match c.tag() {
                similar::ChangeTag::Insert => "+ ",
                similar::ChangeTag::Delete => "- ",
                similar::ChangeTag::Equal => "  ",
            };
            // Label values and commands are the cluster's text: drawn, so no control characters.
            format!(
                "{mark}{}",
                crate::text::clean(c.value().trim_end_matches('\n'))
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClusterId, ResKey};

    const UID: &str = "d-uid";

    fn template(image: &str, hash: Option<&str>) -> Value {
        let mut labels = json!({ "app": "web" });
        if let Some(h) = hash {
            labels[HASH_LABEL] = json!(h);
        }
        json!({
            "metadata": { "labels": labels },
            "spec": { "containers": [ { "name": "web", "image": image } ] }
        })
    }

    fn deployment(image: &str) -> Value {
        json!({
            "kind": "Deployment",
            "metadata": {
                "name": "web", "uid": UID,
                "annotations": {
                    "deployment.kubernetes.io/revision": "3",
                    "kubernetes.io/change-cause": "image nginx:1.27",
                    "kubectl.kubernetes.io/last-applied-configuration": "{}"
                }
            },
            "spec": { "template": template(image, None) }
        })
    }

    fn rs(name: &str, revision: &str, image: &str, owner: &str, cause: &str) -> Value {
        json!({
            "metadata": {
                "name": name,
                "creationTimestamp": "2026-12-02T00:03:27Z",
                "annotations": {
                    "deployment.kubernetes.io/revision": revision,
                    "deployment.kubernetes.io/desired-replicas": "2",
                    "kubernetes.io/change-cause": cause
                },
                "ownerReferences": [
                    { "kind": "Deployment", "name": "web", "uid": owner, "controller": true }
                ]
            },
            "spec": { "template": template(image, Some(name)) }
        })
    }

    fn rs_list() -> Value {
        json!({ "kind": "ReplicaSetList", "items": [
            rs("web-a", "1", "nginx:1.25", UID, "initial"),
            rs("web-c", "3", "nginx:1.27", UID, "image nginx:1.27"),
            rs("web-b", "2", "nginx:1.26", UID, ""),
            // A ReplicaSet of an earlier Deployment with the same name.
            rs("web-old", "7", "nginx:1.0", "other-uid", "old"),
        ]})
    }

    fn obj(plural: &str, kind: &str) -> ObjectRef {
        ObjectRef {
            context: "dev".into(),
            cluster: ClusterId(0),
            res: ResKey::new("apps", plural),
            version: "v1".into(),
            kind: kind.into(),
            namespace: "shop".into(),
            name: "web".into(),
            uid: UID.into(),
        }
    }

    #[test]
    fn list_paths_by_kind() {
        assert_eq!(
            list_path(&obj("deployments", "Deployment")).as_deref(),
            Some("/apis/apps/v1/namespaces/shop/replicasets")
        );
        assert_eq!(
            list_path(&obj("statefulsets", "StatefulSet")).as_deref(),
            Some("/apis/apps/v1/namespaces/shop/controllerrevisions")
        );
        assert_eq!(
            list_path(&obj("daemonsets", "DaemonSet")).as_deref(),
            Some("/apis/apps/v1/namespaces/shop/controllerrevisions")
        );
        assert_eq!(list_path(&obj("replicasets", "ReplicaSet")), None);
        let pod = ObjectRef {
            res: ResKey::core("pods"),
            ..obj("pods", "Pod")
        };
        assert_eq!(list_path(&pod), None);
    }

    #[test]
    fn deployment_history_is_its_replicasets_newest_first() {
        let revs = from_list(&deployment("nginx:1.27"), &rs_list());
        let numbers: Vec<i64> = revs.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [3, 2, 1]);
        let current: Vec<bool> = revs.iter().map(|r| r.current).collect();
        assert_eq!(current, [true, false, false]);
        assert_eq!(revs[0].change_cause.as_deref(), Some("image nginx:1.27"));
        assert_eq!(revs[1].change_cause, None, "an empty change-cause is none");
        assert_eq!(revs[2].name, "web-a");
        assert_eq!(revs[2].images, ["nginx:1.25"]);
        assert_eq!(revs[2].created.as_deref(), Some("2026-12-02T00:03:27Z"));
        assert_eq!(revs[2].template, template("nginx:1.25", None));
        assert!(revs.iter().all(|r| r.data.is_none()));
    }

    #[test]
    fn nothing_is_current_while_the_new_replicaset_is_not_there_yet() {
        let revs = from_list(&deployment("nginx:1.28"), &rs_list());
        assert!(revs.iter().all(|r| !r.current));
        assert!(from_list(&json!({}), &rs_list()).is_empty());
        assert!(from_list(&deployment("x"), &json!({ "items": "junk" })).is_empty());
    }

    #[test]
    fn deployment_rollback_patch_is_kubectls_with_a_uid_test() {
        let owner = deployment("nginx:1.27");
        let revs = from_list(&owner, &rs_list());
        let patch = rollback_patch(&owner, &revs[2]).expect("a patch");
        assert_eq!(patch.kind, PatchKind::Json);
        assert_eq!(
            patch.body,
            json!([
                { "op": "test", "path": "/metadata/uid", "value": UID },
                { "op": "replace", "path": "/spec/template", "value": template("nginx:1.25", None) },
                { "op": "add", "path": "/metadata/annotations", "value": {
                    // Kept from the Deployment.
                    "deployment.kubernetes.io/revision": "3",
                    "kubectl.kubernetes.io/last-applied-configuration": "{}",
                    // Copied from the ReplicaSet (its desired-replicas is bookkeeping: not).
                    "kubernetes.io/change-cause": "initial",
                } },
            ])
        );
    }

    #[test]
    fn rollback_refuses_the_current_revision_and_paused_deployments() {
        let owner = deployment("nginx:1.27");
        let revs = from_list(&owner, &rs_list());
        let err = rollback_patch(&owner, &revs[0]).unwrap_err();
        assert!(err.contains("already matches revision 3"), "{err}");
        let mut paused = owner.clone();
        paused["spec"]["paused"] = json!(true);
        let err = rollback_patch(&paused, &revs[1]).unwrap_err();
        assert!(err.contains("paused"), "{err}");
        assert!(rollback_patch(&json!({}), &revs[1]).is_err());
    }

    fn controller_revision(name: &str, n: i64, image: &str, owner: &str) -> Value {
        let mut t = template(image, None);
        t["$patch"] = json!("replace");
        json!({
            "metadata": {
                "name": name,
                "annotations": { "kubernetes.io/change-cause": format!("to {image}") },
                "ownerReferences": [ { "kind": "StatefulSet", "uid": owner, "controller": true } ]
            },
            "data": { "spec": { "template": t } },
            "revision": n
        })
    }

    fn statefulset(image: &str, update_revision: &str) -> Value {
        json!({
            "kind": "StatefulSet",
            "metadata": { "name": "db", "uid": "s-uid" },
            "spec": { "template": template(image, None) },
            "status": { "updateRevision": update_revision }
        })
    }

    #[test]
    fn statefulset_history_and_patch_are_its_controller_revisions() {
        let list = json!({ "items": [
            controller_revision("db-1", 1, "pg:15", "s-uid"),
            controller_revision("db-2", 2, "pg:16", "s-uid"),
            controller_revision("other-9", 9, "pg:16", "x-uid"),
        ]});
        let owner = statefulset("pg:16", "db-2");
        let revs = from_list(&owner, &list);
        assert_eq!(revs.iter().map(|r| r.number).collect::<Vec<_>>(), [2, 1]);
        assert!(revs[0].current && !revs[1].current);
        assert_eq!(revs[1].template, template("pg:15", None), "no $patch");
        assert_eq!(revs[1].change_cause.as_deref(), Some("to pg:15"));

        let patch = rollback_patch(&owner, &revs[1]).expect("a patch");
        assert_eq!(patch.kind, PatchKind::Strategic);
        let mut t = template("pg:15", None);
        t["$patch"] = json!("replace");
        assert_eq!(
            patch.body,
            json!({ "metadata": { "uid": "s-uid" }, "spec": { "template": t } })
        );
        assert!(rollback_patch(&owner, &revs[0]).is_err());

        // Revisions of one kind never patch the other.
        let d = deployment("nginx:1.27");
        assert!(rollback_patch(&d, &revs[1]).is_err());
        let rs_rev = &from_list(&d, &rs_list())[2];
        assert!(rollback_patch(&owner, rs_rev).is_err());
    }

    #[test]
    fn daemonset_current_is_matched_by_template() {
        let list = json!({ "items": [
            controller_revision("ds-1", 1, "exp:1", "s-uid"),
            controller_revision("ds-2", 2, "exp:2", "s-uid"),
        ]});
        let mut owner = statefulset("exp:1", "");
        owner["kind"] = json!("DaemonSet");
        owner.as_object_mut().map(|o| o.remove("status"));
        let revs = from_list(&owner, &list);
        assert!(!revs[0].current && revs[1].current);
    }

    #[test]
    fn template_diff_shows_what_the_rollback_changes() {
        let owner = deployment("nginx:1.27");
        let revs = from_list(&owner, &rs_list());
        let diff = template_diff(&owner, &revs[2]);
        assert!(
            diff.iter().any(|l| l == "-   - image: nginx:1.27"),
            "{diff:#?}"
        );
        assert!(
            diff.iter().any(|l| l == "+   - image: nginx:1.25"),
            "{diff:#?}"
        );
        assert!(!diff.iter().any(|l| l.contains(HASH_LABEL)), "{diff:#?}");
        assert_eq!(diff.iter().filter(|l| !l.starts_with("  ")).count(), 2);
        // The owner's template alone diffs the same.
        assert_eq!(template_diff(&owner["spec"]["template"], &revs[2]), diff);
    }

    #[test]
    fn template_diff_draws_no_control_characters() {
        let mut rev = from_list(&deployment("nginx:1.27"), &rs_list()).remove(2);
        rev.template["metadata"]["labels"]["evil"] = json!("\u{1b}]0;pwned\u{7}x\u{202e}y");
        let diff = template_diff(&deployment("nginx:1.27"), &rev);
        assert!(diff.iter().all(|l| !l.chars().any(char::is_control)));
        assert!(
            diff.iter()
                .any(|l| l.starts_with("+ ") && l.contains("evil"))
        );
    }
}
