//! Storage actions through the TUI against the real testbed: a StorageClass made the default
//! (the one before it unset in the same batch), a PersistentVolume's reclaim policy, a bound
//! claim expanded, and what is refused before anything is sent (a class that does not allow
//! expansion, a size that is not a quantity, read-only mode). The servers' objects are checked
//! with kubectl, and each change has its audit record.

use crate::common;
use crate::harness;
use crate::tui_change::{
    WAIT, apply, clear_field, confirm, expect_form, flash, fresh, must_get, namespace, one_record,
    rows, text, top_modal, typed, unique, until_flash, until_server, verified,
};

use common::{Cleanup, Testbed};
use flotilla::key::KeyCode;
use flotilla::model::Action;
use harness::Harness;
use serde_json::json;

const DEFAULT: &str = "/metadata/annotations/storageclass.kubernetes.io~1is-default-class";

fn class(name: &str, default: bool, expands: bool) -> serde_json::Value {
    let mut c = json!({
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name},
        "provisioner": "flotilla.dev/none",
        "allowVolumeExpansion": expands,
    });
    if default {
        c["metadata"]["annotations"] =
            json!({"storageclass.kubernetes.io/is-default-class": "true"});
    }
    c
}

/// A PersistentVolume of `size` bound ahead of time to claim `ns/claim` of class `class`.
fn volume(name: &str, class: &str, ns: &str, claim: &str, size: &str) -> serde_json::Value {
    json!({
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name},
        "spec": {
            "capacity": {"storage": size},
            "accessModes": ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Delete",
            "storageClassName": class,
            "claimRef": {"namespace": ns, "name": claim},
            "hostPath": {"path": "/tmp/flotilla-pv"}
        }
    })
}

fn claim(ns: &str, name: &str, class: &str, volume: &str, size: &str) -> serde_json::Value {
    json!({
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": class,
            "volumeName": volume,
            "resources": {"requests": {"storage": size}}
        }
    })
}

/// The classes that are the default on `context` now.
fn defaults(tb: &Testbed, context: &str) -> Vec<String> {
    let list: serde_json::Value =
        serde_json::from_str(&tb.kubectl_ok(context, &["get", "storageclass", "-o", "json"]))
            .expect("kubectl prints JSON");
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| text(c, DEFAULT) == "true")
        .map(|c| text(c, "/metadata/name"))
        .collect()
}

/// The default-class annotation of class `name` on dev.
fn now_default(tb: &Testbed, name: &str) -> String {
    text(&must_get(tb, "dev", &["storageclass", name]), DEFAULT)
}

/// Makes the seeded default classes the default again at the end, whatever happened.
struct Restore<'a> {
    tb: &'a Testbed,
    classes: Vec<String>,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        for c in &self.classes {
            let _ = self.tb.kubectl(
                "dev",
                &[
                    "annotate",
                    "--overwrite",
                    "storageclass",
                    c,
                    "storageclass.kubernetes.io/is-default-class=true",
                ],
            );
        }
    }
}

/// A class made the default unsets every default before it (the seeded one and the test's
/// own), in one batch; the default made default again stops being one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn making_a_class_the_default_unsets_the_one_before() {
    let Some(tb) = common::testbed() else { return };
    let old = unique("sc-old");
    let new = unique("sc-new");
    let seeded = defaults(&tb, "dev");
    let _restore = Restore {
        tb: &tb,
        classes: seeded.clone(),
    };
    let mut cleanup = Cleanup::new(&tb);
    for (name, default) in [(&old, true), (&new, false)] {
        cleanup.delete("dev", &["storageclass", name]);
        apply(&tb, "dev", class(name, default, false));
    }
    // Read-only mode first: refused for every class of the batch, nothing sent. (Here, not
    // in the read-only test: the tests of a module run at once, and this one moves the
    // cluster's default meanwhile.)
    let mut ro = Harness::new(&tb.kubeconfig, &["dev"]);
    ro.app.policy.make_read_only();
    ro.command("sc");
    ro.filter(&new);
    rows(&mut ro, &[&new], &["dev"]).await;
    ro.action(Action::DefaultClass);
    until_flash(&mut ro, "read-only").await;
    assert!(top_modal(&ro).is_none(), "nothing to confirm");
    let r = one_record(&ro, "default-class", "dev", &new, "refused");
    assert!(
        r.error.as_deref().unwrap_or("").contains("read-only"),
        "{r:#?}"
    );
    verified(&ro, 2 + seeded.len());
    assert_eq!(now_default(&tb, &new), "", "not made the default");
    assert_eq!(now_default(&tb, &old), "true", "still the default");
    drop(ro);

    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command("sc");
    h.filter(&new);
    rows(&mut h, &[&new], &["dev"]).await;
    h.action(Action::DefaultClass);
    let ok = h.pump_until(WAIT, |h| top_modal(h).is_some()).await;
    assert!(ok, "a confirmation opens:\n{}", h.screen(200, 60));
    let screen = h.screen(200, 60);
    assert!(
        screen.contains(&format!("make {new} the default StorageClass"))
            && screen.contains(&format!("StorageClass dev/{old}"))
            && seeded
                .iter()
                .all(|c| screen.contains(&format!("StorageClass dev/{c}\n"))
                    || screen.contains(&format!("StorageClass dev/{c} "))),
        "the confirmation names both classes:\n{screen}"
    );
    let n = 2 + seeded.len();
    confirm(&mut h, &format!("Default-class {n} objects?"));
    until_flash(&mut h, &format!("default-class: {n} objects done")).await;
    let now = |n: &str| now_default(&tb, n);
    assert_eq!(now(&new), "true");
    assert_eq!(now(&old), "false");
    assert_eq!(defaults(&tb, "dev"), vec![new.clone()], "one default");
    let r1 = one_record(&h, "default-class", "dev", &new, "ok");
    let r2 = one_record(&h, "default-class", "dev", &old, "ok");
    assert_eq!(r1.batch, r2.batch, "one batch");

    // Again on the default: it stops being one, and nothing else changes.
    h.action(Action::Back);
    h.filter(&new);
    rows(&mut h, &[&new], &["dev"]).await;
    h.action(Action::DefaultClass);
    let ok = h.pump_until(WAIT, |h| top_modal(h).is_some()).await;
    assert!(ok, "a confirmation opens:\n{}", h.screen(200, 60));
    assert!(
        h.screen(200, 60)
            .contains("stop being the default StorageClass"),
        "{}",
        h.screen(200, 60)
    );
    confirm(&mut h, &format!("Default-class storageclass/{new}?"));
    until_flash(&mut h, "default-class done").await;
    assert_eq!(now(&new), "false");
    assert_eq!(now(&old), "false");
    assert!(defaults(&tb, "dev").is_empty(), "no default left");
    verified(&h, n + 1);
}

/// A volume's reclaim policy, from the actions menu's form; a policy that is neither Retain
/// nor Delete is refused naming the field, and nothing is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reclaim_policy_of_a_volume() {
    let Some(tb) = common::testbed() else { return };
    let ns = unique("pv");
    let pv = unique("pv-keep");
    let mut cleanup = Cleanup::new(&tb);
    namespace(&mut cleanup, &["dev"], &ns);
    cleanup.delete("dev", &["pv", &pv]);
    apply(&tb, "dev", volume(&pv, "manual", &ns, "data", "1Gi"));
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command("pv");
    h.filter(&pv);
    rows(&mut h, &[&pv, "Delete"], &["dev"]).await;

    h.action(Action::ReclaimPolicy);
    expect_form(&mut h, &format!("Reclaim policy of persistentvolume/{pv}"));
    clear_field(&mut h);
    typed(&mut h, "Recycle");
    fresh(&mut h);
    h.key(KeyCode::Enter);
    assert!(top_modal(&h).is_none(), "nothing to confirm");
    assert!(
        flash(&h).contains("policy: \"recycle\" is not Retain or Delete"),
        "{}",
        flash(&h)
    );

    h.action(Action::ReclaimPolicy);
    expect_form(&mut h, "Reclaim policy");
    clear_field(&mut h);
    typed(&mut h, "retain");
    h.key(KeyCode::Enter);
    confirm(&mut h, &format!("Reclaim-policy persistentvolume/{pv}?"));
    until_flash(&mut h, "reclaim-policy done").await;
    let v = must_get(&tb, "dev", &["pv", &pv]);
    assert_eq!(text(&v, "/spec/persistentVolumeReclaimPolicy"), "Retain");
    rows(&mut h, &[&pv, "Retain"], &["dev"]).await;
    one_record(&h, "reclaim-policy", "dev", &pv, "ok");
    verified(&h, 1);
}

/// A bound claim of a class that allows expansion grows to the size typed; a size that is not
/// a quantity and a claim whose class does not allow it are refused before anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expanding_a_bound_claim() {
    let Some(tb) = common::testbed() else { return };
    let ns = unique("pvc");
    let (grows, fixed) = (unique("sc-grows"), unique("sc-fixed"));
    let (pv1, pv2) = (unique("pv-grows"), unique("pv-fixed"));
    let mut cleanup = Cleanup::new(&tb);
    for (sc, expands) in [(&grows, true), (&fixed, false)] {
        cleanup.delete("dev", &["storageclass", sc]);
        apply(&tb, "dev", class(sc, false, expands));
    }
    for pv in [&pv1, &pv2] {
        cleanup.delete("dev", &["pv", pv]);
    }
    namespace(&mut cleanup, &["dev"], &ns);
    apply(&tb, "dev", volume(&pv1, &grows, &ns, "data", "1Gi"));
    apply(&tb, "dev", volume(&pv2, &fixed, &ns, "logs", "1Gi"));
    apply(&tb, "dev", claim(&ns, "data", &grows, &pv1, "1Gi"));
    apply(&tb, "dev", claim(&ns, "logs", &fixed, &pv2, "1Gi"));
    for c in ["data", "logs"] {
        until_server(
            &tb,
            "dev",
            &["-n", &ns, "pvc", c],
            "the claim is bound",
            |v| v.is_some_and(|v| text(v, "/status/phase") == "Bound"),
        )
        .await;
    }
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command(&format!("pvc {ns}"));
    rows(&mut h, &["logs", "Bound"], &["dev"]).await;

    h.filter("logs");
    rows(&mut h, &["logs"], &["dev"]).await;
    fresh(&mut h);
    h.action(Action::Resize);
    let said = until_flash(&mut h, "does not allow expansion").await;
    assert!(said.contains(&fixed), "{said}");
    assert!(
        top_modal(&h).is_none(),
        "no form for a class that cannot expand"
    );

    h.action(Action::Back);
    h.filter("data");
    rows(&mut h, &["data"], &["dev"]).await;
    h.action(Action::Resize);
    let ok = h.pump_until(WAIT, |h| top_modal(h).is_some()).await;
    assert!(ok, "the form opens:\n{}", h.screen(200, 60));
    expect_form(&mut h, "Expand persistentvolumeclaim/data on dev (now 1Gi)");
    clear_field(&mut h);
    typed(&mut h, "lots");
    fresh(&mut h);
    h.key(KeyCode::Enter);
    assert!(top_modal(&h).is_none(), "nothing to confirm");
    assert!(
        flash(&h).contains("size: \"lots\" is not a quantity"),
        "{}",
        flash(&h)
    );

    h.action(Action::Resize);
    let ok = h.pump_until(WAIT, |h| top_modal(h).is_some()).await;
    assert!(ok, "the form opens again:\n{}", h.screen(200, 60));
    clear_field(&mut h);
    typed(&mut h, "5Gi");
    h.key(KeyCode::Enter);
    confirm(&mut h, "Resize persistentvolumeclaim/data?");
    until_flash(&mut h, "resize done").await;
    let c = must_get(&tb, "dev", &["-n", &ns, "pvc", "data"]);
    assert_eq!(text(&c, "/spec/resources/requests/storage"), "5Gi");
    let c = must_get(&tb, "dev", &["-n", &ns, "pvc", "logs"]);
    assert_eq!(text(&c, "/spec/resources/requests/storage"), "1Gi");
    one_record(&h, "resize", "dev", "data", "ok");
    verified(&h, 1);
}

/// Read-only mode: the reclaim policy is not sent, the attempt is audited as refused (the
/// default class's refusal is in its own test).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_mode_refuses_storage_changes() {
    let Some(tb) = common::testbed() else { return };
    let pv = unique("pv-ro");
    let mut cleanup = Cleanup::new(&tb);
    cleanup.delete("dev", &["pv", &pv]);
    apply(
        &tb,
        "dev",
        volume(&pv, "manual", "nowhere", "nothing", "1Gi"),
    );
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.app.policy.make_read_only();
    h.command("pv");
    h.filter(&pv);
    rows(&mut h, &[&pv], &["dev"]).await;
    h.action(Action::ReclaimPolicy);
    expect_form(&mut h, "Reclaim policy");
    clear_field(&mut h);
    typed(&mut h, "Retain");
    fresh(&mut h);
    h.key(KeyCode::Enter);
    until_flash(&mut h, "read-only").await;
    assert!(top_modal(&h).is_none(), "nothing to confirm");
    let v = must_get(&tb, "dev", &["pv", &pv]);
    assert_eq!(text(&v, "/spec/persistentVolumeReclaimPolicy"), "Delete");
    let r = one_record(&h, "reclaim-policy", "dev", &pv, "refused");
    assert!(
        r.error.as_deref().unwrap_or("").contains("read-only"),
        "{r:#?}"
    );
    verified(&h, 1);
}
