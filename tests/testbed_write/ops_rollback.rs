//! Rollback to a chosen revision against a real apiserver and its controllers, as
//! `kubectl rollout undo --to-revision` does it: a Deployment (ReplicaSets) and a StatefulSet
//! (ControllerRevisions) of the test's own, given three revisions with kubectl, their history
//! read and rolled back with flotilla's patch. What counts is what the server holds afterwards.
//! Skips locally without a testbed; fails under CI.
use crate::common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flotilla::model::object::ObjectRef;
use flotilla::model::{ClusterId, ResKey};
use flotilla::ops::call::{Call, send};
use flotilla::ops::revisions::{self, Revision};
use flotilla::protocol::op::Patch;
use k8s_openapi::api::apps::v1::StatefulSet;
use kube::Api;
use kube::api::PostParams;
use serde_json::{Value, json};

use common::{Scratch, Testbed, eventually, testbed};

// dev: the fault tests stop staging's and prod's apiservers.
const CONTEXT: &str = "dev";
const WAIT: Duration = Duration::from_secs(60);

/// A namespace of the test's own on dev, deleted when the test ends.
fn scratch(tb: &Testbed, what: &str) -> Scratch {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() % 1_000_000)
        .unwrap_or_default();
    Scratch::new(
        tb,
        CONTEXT,
        format!("rollback-{what}-{}-{millis}", std::process::id()),
    )
}

/// The object as flotilla names it (the uid is only for `ctx.checked`, not used here).
fn object(ns: &str, plural: &str, kind: &str, name: &str) -> ObjectRef {
    ObjectRef {
        context: CONTEXT.into(),
        cluster: ClusterId(0),
        res: ResKey::new("apps", plural),
        version: "v1".into(),
        kind: kind.into(),
        namespace: ns.into(),
        name: name.into(),
        uid: String::new(),
    }
}

async fn get(client: &kube::Client, path: &str) -> Option<Value> {
    let req = http::Request::get(path).body(Vec::new()).ok()?;
    client.request::<Value>(req).await.ok()
}

/// The owner and its history once the controller has recorded `numbers` (newest first) with
/// these change-causes, the newest being the current one.
async fn history(
    client: &kube::Client,
    obj: &ObjectRef,
    numbers: &[i64],
    causes: &[&str],
) -> (Value, Vec<Revision>) {
    let list = revisions::list_path(obj).expect("a kind with history");
    eventually(WAIT, &format!("{obj} revisions {numbers:?}"), || {
        let list = list.clone();
        async move {
            let owner = get(client, &obj.path()).await?;
            let revs = revisions::from_list(&owner, &get(client, &list).await?);
            let got: Vec<i64> = revs.iter().map(|r| r.number).collect();
            let got_causes: Vec<&str> = revs
                .iter()
                .map(|r| r.change_cause.as_deref().unwrap_or(""))
                .collect();
            let observed = owner.pointer("/status/observedGeneration")?.as_i64()?;
            let generation = owner.pointer("/metadata/generation")?.as_i64()?;
            (got == numbers && got_causes == causes && revs[0].current && observed >= generation)
                .then_some((owner, revs))
        }
    })
    .await
}

fn template_image(obj: &Value) -> &str {
    obj.pointer("/spec/template/spec/containers/0/image")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `kubectl rollout history` rows as "REVISION CHANGE-CAUSE", single-spaced.
fn rollout_history(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

async fn patch(client: &kube::Client, obj: &ObjectRef, patch: Patch, dry_run: bool) -> Value {
    let call = Call::Patch {
        path: obj.path(),
        patch,
    };
    send(client, &call, dry_run)
        .await
        .unwrap_or_else(|e| panic!("rollback patch of {obj}: {e:?}"))
}

#[tokio::test]
async fn deployment_rolls_back_to_revision_one_as_kubectl_does() {
    let Some(tb) = testbed() else { return };
    let client = tb.client(CONTEXT).await;
    let ns = scratch(&tb, "deploy");
    let n = ns.name.as_str();
    let kubectl = |args: &[&str]| tb.kubectl_ok(CONTEXT, &[&["-n", n][..], args].concat());
    kubectl(&["create", "deployment", "web", "--image=nginx:1.25"]);
    kubectl(&[
        "annotate",
        "deployment/web",
        "kubernetes.io/change-cause=create nginx:1.25",
    ]);
    let obj = object(n, "deployments", "Deployment", "web");
    history(&client, &obj, &[1], &["create nginx:1.25"]).await;
    for (i, image) in ["nginx:1.26", "nginx:1.27"].into_iter().enumerate() {
        kubectl(&["set", "image", "deployment/web", &format!("nginx={image}")]);
        kubectl(&[
            "annotate",
            "--overwrite",
            "deployment/web",
            &format!("kubernetes.io/change-cause=image {image}"),
        ]);
        // One at a time, so each image is a revision of its own.
        let numbers: Vec<i64> = (1..=i as i64 + 2).rev().collect();
        let mut causes = vec![format!("image {image}")];
        if i == 1 {
            causes.push("image nginx:1.26".into());
        }
        causes.push("create nginx:1.25".into());
        let causes: Vec<&str> = causes.iter().map(String::as_str).collect();
        history(&client, &obj, &numbers, &causes).await;
    }

    let (owner, revs) = history(
        &client,
        &obj,
        &[3, 2, 1],
        &["image nginx:1.27", "image nginx:1.26", "create nginx:1.25"],
    )
    .await;
    let current: Vec<bool> = revs.iter().map(|r| r.current).collect();
    assert_eq!(current, [true, false, false]);
    let images: Vec<String> = revs.iter().map(|r| r.images.join(",")).collect();
    assert_eq!(images, ["nginx:1.27", "nginx:1.26", "nginx:1.25"]);
    let diff = revisions::template_diff(&owner, &revs[2]);
    let changed: Vec<&String> = diff.iter().filter(|l| !l.starts_with("  ")).collect();
    assert_eq!(changed.len(), 2, "only the image changes: {diff:#?}");
    assert!(changed[0].starts_with("- ") && changed[0].ends_with("image: nginx:1.27"));
    assert!(changed[1].starts_with("+ ") && changed[1].ends_with("image: nginx:1.25"));
    assert!(
        revisions::rollback_patch(&owner, &revs[0]).is_err(),
        "the current revision is no rollback"
    );

    let to_one = revisions::rollback_patch(&owner, &revs[2]).expect("a rollback patch");
    // A server-side dry run answers with the rolled-back object and changes nothing.
    let would = patch(&client, &obj, to_one.clone(), true).await;
    assert_eq!(template_image(&would), "nginx:1.25");
    let image = |tb: &Testbed| {
        tb.kubectl_ok(
            CONTEXT,
            &[
                "-n",
                n,
                "get",
                "deployment/web",
                "-o",
                "jsonpath={.spec.template.spec.containers[0].image}",
            ],
        )
    };
    assert_eq!(image(&tb), "nginx:1.27");

    let done = patch(&client, &obj, to_one, false).await;
    assert_eq!(template_image(&done), "nginx:1.25");
    assert_eq!(image(&tb), "nginx:1.25");
    assert_eq!(
        tb.kubectl_ok(
            CONTEXT,
            &[
                "-n",
                n,
                "get",
                "deployment/web",
                "-o",
                "jsonpath={.metadata.annotations.kubernetes\\.io/change-cause}",
            ],
        ),
        "create nginx:1.25",
        "the change-cause comes back with the template, as kubectl copies it"
    );
    // kubectl's semantics: revision 1's ReplicaSet becomes revision 4, and the current one.
    let (_, after) = history(
        &client,
        &obj,
        &[4, 3, 2],
        &["create nginx:1.25", "image nginx:1.27", "image nginx:1.26"],
    )
    .await;
    assert_eq!(after[0].name, revs[2].name);
    let rs_revision = tb.kubectl_ok(
        CONTEXT,
        &[
            "-n",
            n,
            "get",
            &format!("replicaset/{}", revs[2].name),
            "-o",
            "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}",
        ],
    );
    assert_eq!(rs_revision, "4");
    assert_eq!(
        rollout_history(&kubectl(&["rollout", "history", "deployment/web"])),
        [
            "2 image nginx:1.26",
            "3 image nginx:1.27",
            "4 create nginx:1.25"
        ]
    );
}

async fn create_statefulset(client: &kube::Client, ns: &str, name: &str, image: &str) {
    let sts: StatefulSet = serde_json::from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {
            "name": name,
            "annotations": { "kubernetes.io/change-cause": format!("create {image}") }
        },
        "spec": {
            "replicas": 1,
            "serviceName": name,
            "selector": { "matchLabels": { "app": name } },
            "template": {
                "metadata": { "labels": { "app": name } },
                "spec": { "containers": [ { "name": "db", "image": image } ] }
            }
        }
    }))
    .expect("a valid StatefulSet");
    Api::<StatefulSet>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &sts)
        .await
        .expect("create the StatefulSet");
}

#[tokio::test]
async fn statefulset_rolls_back_to_revision_one_as_kubectl_does() {
    let Some(tb) = testbed() else { return };
    let client = tb.client(CONTEXT).await;
    let ns = scratch(&tb, "sts");
    let n = ns.name.as_str();
    let kubectl = |args: &[&str]| tb.kubectl_ok(CONTEXT, &[&["-n", n][..], args].concat());
    create_statefulset(&client, n, "db", "postgres:15").await;
    let obj = object(n, "statefulsets", "StatefulSet", "db");
    history(&client, &obj, &[1], &["create postgres:15"]).await;
    for (i, image) in ["postgres:16", "postgres:17"].into_iter().enumerate() {
        // A ControllerRevision copies the annotations once, when it is made: annotate first.
        kubectl(&[
            "annotate",
            "--overwrite",
            "statefulset/db",
            &format!("kubernetes.io/change-cause=image {image}"),
        ]);
        kubectl(&["set", "image", "statefulset/db", &format!("db={image}")]);
        let numbers: Vec<i64> = (1..=i as i64 + 2).rev().collect();
        let mut causes = vec![format!("image {image}")];
        if i == 1 {
            causes.push("image postgres:16".into());
        }
        causes.push("create postgres:15".into());
        let causes: Vec<&str> = causes.iter().map(String::as_str).collect();
        history(&client, &obj, &numbers, &causes).await;
    }
    let (owner, revs) = history(
        &client,
        &obj,
        &[3, 2, 1],
        &[
            "image postgres:17",
            "image postgres:16",
            "create postgres:15",
        ],
    )
    .await;
    assert!(revs.iter().all(|r| r.data.is_some()));
    assert_eq!(revs[2].images, ["postgres:15"]);

    let to_one = revisions::rollback_patch(&owner, &revs[2]).expect("a rollback patch");
    let done = patch(&client, &obj, to_one, false).await;
    assert_eq!(template_image(&done), "postgres:15");
    // The controller gives revision 1's ControllerRevision the next number.
    let (_, after) = history(
        &client,
        &obj,
        &[4, 3, 2],
        &[
            "create postgres:15",
            "image postgres:17",
            "image postgres:16",
        ],
    )
    .await;
    assert_eq!(after[0].name, revs[2].name);
    assert_eq!(
        rollout_history(&kubectl(&["rollout", "history", "statefulset/db"])),
        [
            "2 image postgres:16",
            "3 image postgres:17",
            "4 create postgres:15"
        ]
    );
}

/// Waits until `obj` is there again under a new uid.
async fn replaced(client: &kube::Client, obj: &ObjectRef, old_uid: &str) -> Value {
    eventually(WAIT, &format!("{obj} recreated"), || async move {
        let now = get(client, &obj.path()).await?;
        let uid = now.pointer("/metadata/uid")?.as_str()?;
        (uid != old_uid).then_some(now)
    })
    .await
}

/// Sends `patch`, which must be refused as invalid (422); the server's message.
async fn refused(client: &kube::Client, obj: &ObjectRef, patch: Patch) -> String {
    let call = Call::Patch {
        path: obj.path(),
        patch,
    };
    let err = send(client, &call, false)
        .await
        .expect_err("a patch made for the object that was replaced must be refused");
    assert_eq!(err.code, 422, "{err:?}");
    err.message
}

#[tokio::test]
async fn a_rollback_for_a_replaced_object_is_refused() {
    let Some(tb) = testbed() else { return };
    let client = tb.client(CONTEXT).await;
    let ns = scratch(&tb, "replaced");
    let n = ns.name.as_str();
    let kubectl = |args: &[&str]| tb.kubectl_ok(CONTEXT, &[&["-n", n][..], args].concat());

    // A Deployment with two revisions; the patch back to 1 is made, then the Deployment is
    // deleted and another one takes its name.
    kubectl(&["create", "deployment", "web", "--image=nginx:1.25"]);
    let deploy = object(n, "deployments", "Deployment", "web");
    history(&client, &deploy, &[1], &[""]).await;
    kubectl(&["set", "image", "deployment/web", "nginx=nginx:1.26"]);
    let (owner, revs) = history(&client, &deploy, &[2, 1], &["", ""]).await;
    let stale = revisions::rollback_patch(&owner, &revs[1]).expect("a rollback patch");
    let old_uid = owner
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    kubectl(&["delete", "deployment", "web", "--wait=true"]);
    kubectl(&["create", "deployment", "web", "--image=nginx:1.30"]);
    replaced(&client, &deploy, old_uid).await;
    // A failed JSON patch `test`: the server's message names nothing more.
    refused(&client, &deploy, stale).await;
    let now = replaced(&client, &deploy, old_uid).await;
    assert_eq!(
        template_image(&now),
        "nginx:1.30",
        "the new one is untouched"
    );

    // The same for a StatefulSet's strategic merge patch.
    create_statefulset(&client, n, "db", "postgres:15").await;
    let sts = object(n, "statefulsets", "StatefulSet", "db");
    history(&client, &sts, &[1], &["create postgres:15"]).await;
    kubectl(&["set", "image", "statefulset/db", "db=postgres:16"]);
    let (owner, revs) = history(
        &client,
        &sts,
        &[2, 1],
        &["create postgres:15", "create postgres:15"],
    )
    .await;
    let stale = revisions::rollback_patch(&owner, &revs[1]).expect("a rollback patch");
    let old_uid = owner
        .pointer("/metadata/uid")
        .and_then(Value::as_str)
        .unwrap_or_default();
    kubectl(&["delete", "statefulset", "db", "--wait=true"]);
    create_statefulset(&client, n, "db", "postgres:18").await;
    replaced(&client, &sts, old_uid).await;
    let why = refused(&client, &sts, stale).await;
    assert!(
        why.contains("metadata.uid") && why.contains("immutable"),
        "the uid no longer matches: {why}"
    );
    let now = replaced(&client, &sts, old_uid).await;
    assert_eq!(
        template_image(&now),
        "postgres:18",
        "the new one is untouched"
    );
}
