//! Changes made through the TUI against the real testbed: keys and forms on a list, the
//! confirmation, the request to the kube-apiserver, the audit record. Each test works on
//! objects of its own (namespaces `chg-<test>-<pid>` on dev and staging, a kwok node
//! `chg-node-<pid>`) and checks what the servers hold afterwards with kubectl, what the user
//! sees (flash line, modals, header) and that the audit log has one record per object per
//! cluster, with an intact hash chain.

use crate::common;
use crate::harness;

use common::{Cleanup, Testbed};
use flotilla::app::Input;
use flotilla::key::{KeyCode, KeyEvent, KeyModifiers};
use flotilla::modal::Modal;
use flotilla::model::Action;
use flotilla::ops::audit::{self, Record};
use harness::Harness;
use serde_json::{Value, json};
use std::time::Duration;

pub(super) const WAIT: Duration = Duration::from_secs(30);

/// `chg-<test>-<pid>`: unique per test and per run.
pub(super) fn unique(test: &str) -> String {
    format!("chg-{test}-{}", std::process::id())
}

// ---- the servers ----------------------------------------------------------------------------

/// Creates namespace `ns` on each context (removed again by `cleanup`).
pub(super) fn namespace(cleanup: &mut Cleanup, contexts: &[&str], ns: &str) {
    for c in contexts {
        cleanup.namespace(c, ns);
    }
}

/// `kubectl apply` of one object given as JSON.
pub(super) fn apply(tb: &Testbed, context: &str, object: Value) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("flotilla-chg-{}-{n}.json", std::process::id()));
    std::fs::write(&path, object.to_string()).expect("write manifest");
    let file = path.to_string_lossy().into_owned();
    tb.kubectl_ok(context, &["apply", "-f", &file]);
    let _ = std::fs::remove_file(&path);
}

/// A Deployment of `replicas` pods with these (name, image) containers.
pub(super) fn deployment(
    ns: &str,
    name: &str,
    replicas: i64,
    containers: &[(&str, &str)],
) -> Value {
    let containers: Vec<Value> = containers
        .iter()
        .map(|(n, i)| json!({"name": n, "image": i}))
        .collect();
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": containers, "terminationGracePeriodSeconds": 0}
            }
        }
    })
}

/// The object as the server holds it (`kubectl get … -o json`), `None` when it is not there.
pub(super) fn get(tb: &Testbed, context: &str, args: &[&str]) -> Option<Value> {
    let mut all = vec!["get"];
    all.extend_from_slice(args);
    all.extend(["-o", "json"]);
    let out = tb.kubectl(context, &all);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("NotFound"), "kubectl {all:?}: {err}");
        return None;
    }
    Some(serde_json::from_slice(&out.stdout).expect("kubectl prints JSON"))
}

pub(super) fn must_get(tb: &Testbed, context: &str, args: &[&str]) -> Value {
    get(tb, context, args).unwrap_or_else(|| panic!("{args:?} exists on {context}"))
}

pub(super) fn text(v: &Value, pointer: &str) -> String {
    match v.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Polls the server until `f` holds for the object (or its absence).
pub(super) async fn until_server(
    tb: &Testbed,
    context: &str,
    args: &[&str],
    what: &str,
    f: impl Fn(Option<&Value>) -> bool,
) {
    common::eventually(WAIT, what, || {
        let v = get(tb, context, args);
        let ok = f(v.as_ref());
        async move { ok.then_some(()) }
    })
    .await;
}

// ---- the TUI --------------------------------------------------------------------------------

pub(super) fn ctrl(h: &mut Harness, c: char) {
    h.update(Input::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )));
}

pub(super) fn typed(h: &mut Harness, text: &str) {
    for c in text.chars() {
        h.key(KeyCode::Char(c));
    }
}

/// Empties the focused form field (its value is prefilled, the cursor at its end).
pub(super) fn clear_field(h: &mut Harness) {
    for _ in 0..80 {
        h.key(KeyCode::Backspace);
    }
}

pub(super) fn top_modal(h: &Harness) -> Option<&Modal> {
    h.app.modals().last()
}

pub(super) fn flash(h: &Harness) -> String {
    h.app
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default()
}

/// Forgets the flash line of the previous step, so the next one is known to be new.
pub(super) fn fresh(h: &mut Harness) {
    h.app.flash = None;
}

/// The table's body lines (between the frame's borders, not its title) that contain every
/// one of `words`.
pub(super) fn body_lines(h: &mut Harness, words: &[&str]) -> Vec<String> {
    h.lines_with(words)
        .into_iter()
        .filter_map(|l| l.strip_prefix('│').map(str::to_string))
        .collect()
}

/// Waits until the list shows a row with every one of `words` on each of `contexts` (the
/// CLUSTER column, first, is there only with more than one cluster).
pub(super) async fn rows(h: &mut Harness, words: &[&str], contexts: &[&str]) {
    let ok = h
        .pump_until(WAIT, |h| {
            let lines = body_lines(h, words);
            if h.app.store.clusters.len() == 1 {
                return !lines.is_empty();
            }
            contexts
                .iter()
                .all(|c| lines.iter().any(|l| l.starts_with(&format!("{c} "))))
        })
        .await;
    assert!(
        ok,
        "rows with {words:?} on {contexts:?}:\n{}",
        h.screen(200, 60)
    );
}

/// Asserts the top layer is a form whose title contains `title`; its field labels.
pub(super) fn expect_form(h: &mut Harness, title: &str) -> Vec<String> {
    let found = match top_modal(h) {
        Some(Modal::Form(f)) if f.title.contains(title) => {
            Some(f.fields.iter().map(|f| f.label.clone()).collect())
        }
        _ => None,
    };
    found.unwrap_or_else(|| panic!("a form {title:?} is open:\n{}", h.screen(200, 60)))
}

/// Asserts the top layer is a confirmation whose title contains `title`, then confirms it.
pub(super) fn confirm(h: &mut Harness, title: &str) {
    let ok = matches!(top_modal(h), Some(Modal::Confirm(c)) if c.title.contains(title) && c.require.is_none());
    assert!(
        ok,
        "a confirmation {title:?} is open:\n{}",
        h.screen(200, 60)
    );
    fresh(h);
    h.key(KeyCode::Enter);
    assert!(
        !matches!(top_modal(h), Some(Modal::Confirm(_))),
        "Enter confirms:\n{}",
        h.screen(200, 60)
    );
}

/// Waits for the flash line to say `needle`; closes a finished progress layer.
pub(super) async fn until_flash(h: &mut Harness, needle: &str) -> String {
    let ok = h.pump_until(WAIT, |h| flash(h).contains(needle)).await;
    let screen = h.screen(200, 60);
    assert!(ok, "flash says {needle:?}:\n{screen}");
    let text = flash(h);
    let start: String = text.chars().take(60).collect();
    assert!(screen.contains(&start), "the flash is on screen:\n{screen}");
    if matches!(top_modal(h), Some(Modal::Progress(p)) if p.finished) {
        h.key(KeyCode::Enter);
    }
    text
}

/// The audit records of `action`.
pub(super) fn records_of(h: &Harness, action: &str) -> Vec<Record> {
    h.audit_records()
        .into_iter()
        .filter(|r| r.action == action)
        .collect()
}

/// Exactly one attempt of `action` on `context` for `name`, with `result`; when something
/// was sent, its intent was written first and the outcome names it.
pub(super) fn one_record(
    h: &Harness,
    action: &str,
    context: &str,
    name: &str,
    result: &str,
) -> Record {
    let all = h.audit_records();
    let (intents, found): (Vec<&Record>, Vec<&Record>) = all
        .iter()
        .filter(|r| r.action == action && r.context == context && r.target.name == name)
        .partition(|r| r.result == audit::INTENT);
    assert_eq!(
        found.len(),
        1,
        "one {action} record for {name} on {context}: {all:#?}"
    );
    assert_eq!(found[0].result, result, "{:#?}", found[0]);
    match &found[0].intent {
        Some(hash) => assert!(
            intents.len() == 1 && intents[0].hash == *hash,
            "the outcome names the one intent written before it: {all:#?}"
        ),
        None => assert!(intents.is_empty(), "an intent without an outcome: {all:#?}"),
    }
    found[0].clone()
}

/// The audit log holds `n` attempts (each an outcome, after its intent when something was
/// sent), every intent is answered, and its hash chain checks.
pub(super) fn verified(h: &Harness, n: usize) {
    let records = h.audit_records();
    let outcomes = records.iter().filter(|r| r.result != audit::INTENT).count();
    assert_eq!(outcomes, n, "{records:#?}");
    let numbered: Vec<(usize, Record)> = records.iter().cloned().enumerate().collect();
    assert!(
        audit::unanswered(&numbered).is_empty(),
        "every intent has its outcome: {records:#?}"
    );
    match audit::verify(&h.audit) {
        Ok(count) => assert_eq!(count, records.len(), "verify counts every record"),
        Err(e) => panic!("audit chain broken: {e}"),
    }
}

// ---- the tests ------------------------------------------------------------------------------

/// `s` on two marked deployments (dev and staging) → one form, one confirmation, one batch:
/// both servers hold the new count, and both records share the batch id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_marked_deployments_on_two_clusters_in_one_batch() {
    let Some(tb) = common::testbed() else { return };
    let ns = unique("scale");
    let mut cleanup = Cleanup::new(&tb);
    namespace(&mut cleanup, &["dev", "staging"], &ns);
    for c in ["dev", "staging"] {
        apply(
            &tb,
            c,
            deployment(&ns, "scaled", 1, &[("app", "registry.example.com/app:1")]),
        );
    }
    let mut h = Harness::new(&tb.kubeconfig, &["dev", "staging"]);
    h.command(&format!("deploy {ns}"));
    rows(&mut h, &["scaled"], &["dev", "staging"]).await;
    h.key(KeyCode::Char(' '));
    h.key(KeyCode::Char(' '));
    assert_eq!(h.app.shared.marks.len(), 2, "both rows marked");
    h.key(KeyCode::Char('s'));
    assert_eq!(expect_form(&mut h, "Scale 2 objects"), vec!["replicas"]);
    clear_field(&mut h);
    typed(&mut h, "3");
    h.key(KeyCode::Enter);
    let screen = h.screen(200, 60);
    assert!(
        screen.contains("scale to 3") && screen.contains("2 objects on dev, staging"),
        "the confirmation says what and where:\n{screen}"
    );
    confirm(&mut h, "Scale 2 objects?");
    until_flash(&mut h, "scale: 2 objects done").await;

    let mut batches = Vec::new();
    for c in ["dev", "staging"] {
        let d = must_get(&tb, c, &["-n", &ns, "deploy", "scaled"]);
        assert_eq!(text(&d, "/spec/replicas"), "3", "replicas on {c}");
        let r = one_record(&h, "scale", c, "scaled", "ok");
        assert_eq!(r.target.namespace, ns);
        assert_eq!(r.target.kind, "Deployment");
        assert_eq!(
            r.target.uid,
            text(&d, "/metadata/uid"),
            "the uid of {c}'s object"
        );
        assert!(r.error.is_none(), "{r:#?}");
        batches.push(r.batch);
    }
    assert!(!batches[0].is_empty());
    assert_eq!(batches[0], batches[1], "one batch id for both clusters");
    verified(&h, 2);
}

/// Stop remembers the count in an annotation and scales to 0; start restores it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_then_start_restores_the_replica_count() {
    let Some(tb) = common::testbed() else { return };
    let ns = unique("stop");
    let mut cleanup = Cleanup::new(&tb);
    namespace(&mut cleanup, &["dev"], &ns);
    apply(
        &tb,
        "dev",
        deployment(&ns, "sleeper", 2, &[("app", "registry.example.com/app:1")]),
    );
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command(&format!("deploy {ns}"));
    rows(&mut h, &["sleeper"], &["dev"]).await;

    h.action(Action::Stop);
    confirm(&mut h, "Stop deployment/sleeper?");
    until_flash(&mut h, "stopped (0 replicas)").await;
    let d = must_get(&tb, "dev", &["-n", &ns, "deploy", "sleeper"]);
    assert_eq!(text(&d, "/spec/replicas"), "0");
    assert_eq!(
        text(&d, "/metadata/annotations/flotilla.dev~1stopped-replicas"),
        "2",
        "the count is remembered while stopped"
    );

    h.action(Action::Start);
    confirm(&mut h, "Start deployment/sleeper?");
    until_flash(&mut h, "started (2 replicas)").await;
    let d = must_get(&tb, "dev", &["-n", &ns, "deploy", "sleeper"]);
    assert_eq!(text(&d, "/spec/replicas"), "2");
    assert!(
        d.pointer("/metadata/annotations/flotilla.dev~1stopped-replicas")
            .is_none(),
        "the annotation is gone once started: {}",
        d["metadata"]
    );
    one_record(&h, "stop", "dev", "sleeper", "ok");
    one_record(&h, "start", "dev", "sleeper", "ok");
    verified(&h, 2);
}

/// `r` restarts the rollout (pod template annotation); pause and resume set spec.paused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_pause_and_resume_a_deployment() {
    let Some(tb) = common::testbed() else { return };
    let ns = unique("restart");
    let mut cleanup = Cleanup::new(&tb);
    namespace(&mut cleanup, &["dev"], &ns);
    apply(
        &tb,
        "dev",
        deployment(&ns, "roller", 1, &[("app", "registry.example.com/app:1")]),
    );
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command(&format!("deploy {ns}"));
    rows(&mut h, &["roller"], &["dev"]).await;
    let args = ["-n", ns.as_str(), "deploy", "roller"];

    h.key(KeyCode::Char('r'));
    confirm(&mut h, "Restart deployment/roller?");
    until_flash(&mut h, "restart done").await;
    let d = must_get(&tb, "dev", &args);
    let at = text(
        &d,
        "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt",
    );
    assert!(
        at.parse::<jiff::Timestamp>().is_ok(),
        "restartedAt is a time: {at:?}"
    );

    h.action(Action::Pause);
    confirm(&mut h, "Pause deployment/roller?");
    until_flash(&mut h, "pause done").await;
    assert_eq!(text(&must_get(&tb, "dev", &args), "/spec/paused"), "true");

    h.action(Action::Resume);
    confirm(&mut h, "Resume deployment/roller?");
    until_flash(&mut h, "resume done").await;
    let paused = text(&must_get(&tb, "dev", &args), "/spec/paused");
    assert!(
        paused == "false" || paused.is_empty(),
        "resumed: {paused:?}"
    );
    for action in ["restart", "pause", "resume"] {
        one_record(&h, action, "dev", "roller", "ok");
    }
    verified(&h, 3);
}

/// `i` opens one field per container; only the edited container's image changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_image_changes_only_the_edited_container() {
    let Some(tb) = common::testbed() else { return };
    let ns = unique("image");
    let mut cleanup = Cleanup::new(&tb);
    namespace(&mut cleanup, &["dev"], &ns);
    let containers = [
        ("app", "registry.example.com/app:1"),
        ("sidecar", "registry.example.com/side:1"),
    ];
    apply(&tb, "dev", deployment(&ns, "twin", 1, &containers));
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command(&format!("deploy {ns}"));
    rows(&mut h, &["twin"], &["dev"]).await;

    h.key(KeyCode::Char('i'));
    // The form waits for the object (its containers).
    let opened = h
        .pump_until(WAIT, |h| matches!(top_modal(h), Some(Modal::Form(_))))
        .await;
    assert!(opened, "{}", h.screen(200, 60));
    assert_eq!(
        expect_form(&mut h, "Images of deployment/twin"),
        vec!["app", "sidecar"]
    );
    let screen = h.screen(200, 60);
    assert!(
        screen.contains("registry.example.com/app:1")
            && screen.contains("registry.example.com/side:1"),
        "the fields show the current images:\n{screen}"
    );
    h.key(KeyCode::Enter); // app: unchanged
    clear_field(&mut h);
    typed(&mut h, "registry.example.com/side:2");
    h.key(KeyCode::Enter);
    confirm(&mut h, "Set-image deployment/twin?");
    until_flash(&mut h, "set-image done").await;

    let d = must_get(&tb, "dev", &["-n", &ns, "deploy", "twin"]);
    let images: Vec<(String, String)> = d["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .map(|c| (text(c, "/name"), text(c, "/image")))
        .collect();
    assert_eq!(
        images,
        vec![
            ("app".to_string(), "registry.example.com/app:1".to_string()),
            (
                "sidecar".to_string(),
                "registry.example.com/side:2".to_string()
            ),
        ]
    );
    one_record(&h, "set-image", "dev", "twin", "ok");
    verified(&h, 1);
}

/// Labels (action) and annotations (from the `.` menu): `k=v` sets, `k-` removes, the rest
/// stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_and_annotations_are_set_changed_and_removed() {
    let Some(tb) = common::testbed() else { return };
    let ns = unique("meta");
    let mut cleanup = Cleanup::new(&tb);
    namespace(&mut cleanup, &["dev"], &ns);
    apply(
        &tb,
        "dev",
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "settings",
                "namespace": ns,
                "labels": {"keep": "1", "tier": "old", "gone": "x"},
                "annotations": {"note": "a", "drop": "y"}
            },
            "data": {"k": "v"}
        }),
    );
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command(&format!("cm {ns}"));
    h.filter("settings");
    rows(&mut h, &["settings"], &["dev"]).await;

    h.action(Action::Labels);
    expect_form(&mut h, "Labels of configmap/settings");
    typed(&mut h, "tier=new added=yes gone-");
    h.key(KeyCode::Enter);
    let screen = h.screen(200, 60);
    assert!(
        screen.contains("labels: added=yes tier=new gone-")
            || screen.contains("labels: tier=new added=yes gone-"),
        "the confirmation lists the changes:\n{screen}"
    );
    confirm(&mut h, "Label configmap/settings?");
    until_flash(&mut h, "label done").await;

    h.key(KeyCode::Char('.'));
    let is_menu = matches!(top_modal(&h), Some(Modal::Pick(p)) if p.title.contains("Actions"));
    assert!(is_menu, "the actions menu:\n{}", h.screen(200, 60));
    typed(&mut h, "annotations");
    h.key(KeyCode::Enter);
    expect_form(&mut h, "Annotations of configmap/settings");
    typed(&mut h, "note=b drop- extra=1");
    h.key(KeyCode::Enter);
    confirm(&mut h, "Annotate configmap/settings?");
    until_flash(&mut h, "annotate done").await;

    let cm = must_get(&tb, "dev", &["-n", &ns, "cm", "settings"]);
    let labels = &cm["metadata"]["labels"];
    assert_eq!(
        labels,
        &json!({"keep": "1", "tier": "new", "added": "yes"}),
        "labels"
    );
    let ann = &cm["metadata"]["annotations"];
    assert_eq!(text(ann, "/note"), "b", "{ann}");
    assert_eq!(text(ann, "/extra"), "1", "{ann}");
    assert!(ann.get("drop").is_none(), "drop removed: {ann}");
    one_record(&h, "label", "dev", "settings", "ok");
    one_record(&h, "annotate", "dev", "settings", "ok");
    verified(&h, 2);
}

/// ctrl-d deletes a deployment; ctrl-k kills a pod (grace 0: gone at once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_a_deployment_and_kill_a_pod() {
    let Some(tb) = common::testbed() else { return };
    let ns = unique("delete");
    let mut cleanup = Cleanup::new(&tb);
    namespace(&mut cleanup, &["dev"], &ns);
    apply(
        &tb,
        "dev",
        deployment(&ns, "doomed", 1, &[("app", "registry.example.com/app:1")]),
    );
    apply(
        &tb,
        "dev",
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "victim", "namespace": ns},
            "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:1"}]}
        }),
    );
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command(&format!("deploy {ns}"));
    rows(&mut h, &["doomed"], &["dev"]).await;
    ctrl(&mut h, 'd');
    let screen = h.screen(200, 60);
    assert!(screen.contains("delete (background)"), "{screen}");
    confirm(&mut h, "Delete deployment/doomed?");
    until_flash(&mut h, "deleted").await;
    until_server(
        &tb,
        "dev",
        &["-n", &ns, "deploy", "doomed"],
        "doomed gone",
        |v| v.is_none(),
    )
    .await;
    let r = one_record(&h, "delete", "dev", "doomed", "ok");
    assert_eq!(r.target.kind, "Deployment");

    h.command(&format!("pods {ns}"));
    h.filter("victim");
    rows(&mut h, &["victim"], &["dev"]).await;
    ctrl(&mut h, 'k');
    confirm(&mut h, "Kill pod/victim?");
    until_flash(&mut h, "deleted").await;
    // Grace 0: the pod does not linger as Terminating.
    common::eventually(Duration::from_secs(5), "victim gone at once", || {
        let gone = get(&tb, "dev", &["-n", &ns, "pod", "victim"]).is_none();
        async move { gone.then_some(()) }
    })
    .await;
    let r = one_record(&h, "kill", "dev", "victim", "ok");
    assert_eq!(r.target.kind, "Pod");
    verified(&h, 2);
}

/// `t` creates `<cron>-manual-xxxxx` owned by the CronJob; `s` suspends, `s` again resumes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cronjob_trigger_suspend_and_resume() {
    let Some(tb) = common::testbed() else { return };
    let ns = unique("cron");
    let mut cleanup = Cleanup::new(&tb);
    namespace(&mut cleanup, &["dev"], &ns);
    apply(
        &tb,
        "dev",
        json!({
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "nightly", "namespace": ns},
            "spec": {
                "schedule": "0 3 1 1 *",
                "jobTemplate": {"spec": {"template": {"spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "job", "image": "registry.example.com/job:1"}]
                }}}}
            }
        }),
    );
    let cron = must_get(&tb, "dev", &["-n", &ns, "cronjob", "nightly"]);
    let cron_uid = text(&cron, "/metadata/uid");
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command(&format!("cronjobs {ns}"));
    rows(&mut h, &["nightly", "False"], &["dev"]).await;

    h.key(KeyCode::Char('t'));
    confirm(&mut h, "Trigger cronjob/nightly?");
    let said = until_flash(&mut h, "job nightly-manual-").await;
    let jobs = must_get(&tb, "dev", &["-n", &ns, "jobs"]);
    let jobs = jobs["items"].as_array().expect("job list");
    assert_eq!(jobs.len(), 1, "one job: {jobs:#?}");
    let job = &jobs[0];
    let name = text(job, "/metadata/name");
    let suffix = name.strip_prefix("nightly-manual-").unwrap_or("");
    assert!(
        suffix.len() == 5
            && suffix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
        "job name {name:?}"
    );
    assert!(said.contains(&name), "the flash names the job: {said}");
    assert_eq!(text(job, "/metadata/ownerReferences/0/kind"), "CronJob");
    assert_eq!(text(job, "/metadata/ownerReferences/0/name"), "nightly");
    assert_eq!(text(job, "/metadata/ownerReferences/0/uid"), cron_uid);
    assert_eq!(
        text(
            job,
            "/metadata/annotations/cronjob.kubernetes.io~1instantiate"
        ),
        "manual"
    );

    let args = ["-n", ns.as_str(), "cronjob", "nightly"];
    h.key(KeyCode::Char('s'));
    confirm(&mut h, "Suspend cronjob/nightly?");
    until_flash(&mut h, "suspend done").await;
    assert_eq!(text(&must_get(&tb, "dev", &args), "/spec/suspend"), "true");
    // `s` toggles by what the SUSPEND column shows.
    rows(&mut h, &["nightly", "True"], &["dev"]).await;
    h.key(KeyCode::Char('s'));
    confirm(&mut h, "Unsuspend cronjob/nightly?");
    until_flash(&mut h, "unsuspend done").await;
    assert_eq!(text(&must_get(&tb, "dev", &args), "/spec/suspend"), "false");
    one_record(&h, "trigger", "dev", "nightly", "ok");
    one_record(&h, "suspend", "dev", "nightly", "ok");
    one_record(&h, "unsuspend", "dev", "nightly", "ok");
    verified(&h, 3);
}

/// On a kwok node of the test's own: taints added and removed, cordon (`c`) and uncordon
/// (`u`), then a drain (`r`) that evicts the one pod pinned to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_taints_cordon_uncordon_and_drain() {
    let Some(tb) = common::testbed() else { return };
    let ns = unique("drain");
    let node = unique("node");
    let mut cleanup = Cleanup::new(&tb);
    // No `flotilla.dev/pool` label and a taint of its own: nothing seeded lands here.
    const TAINT: &str = "flotilla.dev/chg-test";
    apply(
        &tb,
        "dev",
        json!({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": node,
                "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                "labels": {"kubernetes.io/hostname": node, "kubernetes.io/os": "linux", "type": "kwok"}
            },
            "spec": {"taints": [{"key": TAINT, "value": "yes", "effect": "NoSchedule"}]},
            "status": {
                "allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110"},
                "capacity": {"cpu": "16", "memory": "64Gi", "pods": "110"}
            }
        }),
    );
    cleanup.delete("dev", &["node", &node]);
    namespace(&mut cleanup, &["dev"], &ns);
    let mut pinned = deployment(&ns, "pinned", 1, &[("app", "registry.example.com/app:1")]);
    pinned["spec"]["template"]["spec"]["nodeSelector"] = json!({"kubernetes.io/hostname": node});
    pinned["spec"]["template"]["spec"]["tolerations"] =
        json!([{"key": TAINT, "operator": "Exists", "effect": "NoSchedule"}]);
    apply(&tb, "dev", pinned);
    let node_args = ["node", node.as_str()];
    let taint_keys = |v: &Value| -> Vec<String> {
        v.pointer("/spec/taints")
            .and_then(Value::as_array)
            .map(|ts| ts.iter().map(|t| text(t, "/key")).collect())
            .unwrap_or_default()
    };
    // Ready, and the node controller's not-ready taints gone: taint changes are tested
    // against the taints as they are, so nothing else may be changing them meanwhile.
    until_server(
        &tb,
        "dev",
        &node_args,
        "the node ready with only its own taint",
        |v| {
            v.is_some_and(|v| {
                let ready = v["status"]["conditions"].as_array().is_some_and(|cs| {
                    cs.iter()
                        .any(|c| text(c, "/type") == "Ready" && text(c, "/status") == "True")
                });
                ready && taint_keys(v) == [TAINT]
            })
        },
    )
    .await;

    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command("nodes");
    h.filter(&node);
    rows(&mut h, &[&node], &["dev"]).await;

    h.action(Action::Taints);
    expect_form(&mut h, &format!("Taints of node/{node}"));
    typed(&mut h, "chg-extra=yes:NoSchedule");
    h.key(KeyCode::Enter);
    confirm(&mut h, &format!("Taint node/{node}?"));
    until_flash(&mut h, "taint done").await;
    let n = must_get(&tb, "dev", &node_args);
    assert_eq!(taint_keys(&n), [TAINT, "chg-extra"], "{}", n["spec"]);
    let added = &n["spec"]["taints"][1];
    assert_eq!(
        (text(added, "/value"), text(added, "/effect")),
        ("yes".into(), "NoSchedule".into())
    );

    h.action(Action::Taints);
    typed(&mut h, "chg-extra-");
    h.key(KeyCode::Enter);
    confirm(&mut h, &format!("Taint node/{node}?"));
    until_flash(&mut h, "taint done").await;
    assert_eq!(taint_keys(&must_get(&tb, "dev", &node_args)), [TAINT]);

    let unschedulable =
        |tb: &Testbed| text(&must_get(tb, "dev", &node_args), "/spec/unschedulable");
    h.key(KeyCode::Char('c'));
    confirm(&mut h, &format!("Cordon node/{node}?"));
    until_flash(&mut h, "cordon done").await;
    assert_eq!(unschedulable(&tb), "true");
    h.key(KeyCode::Char('u'));
    confirm(&mut h, &format!("Uncordon node/{node}?"));
    until_flash(&mut h, "uncordon done").await;
    let u = unschedulable(&tb);
    assert!(u == "false" || u.is_empty(), "uncordoned: {u:?}");

    // The deployment's pod running on the node.
    let pod = common::eventually(WAIT, "the pinned pod running on the node", || {
        let pods = get(&tb, "dev", &["-n", &ns, "pods"]);
        let node = node.clone();
        async move {
            pods?["items"].as_array()?.iter().find_map(|p| {
                (text(p, "/spec/nodeName") == node
                    && text(p, "/status/phase") == "Running"
                    && p.pointer("/metadata/deletionTimestamp").is_none())
                .then(|| text(p, "/metadata/name"))
            })
        }
    })
    .await;

    h.key(KeyCode::Char('r'));
    let fields = expect_form(&mut h, &format!("Drain node/{node}"));
    assert_eq!(
        fields.len(),
        4,
        "timeout, grace, emptyDir, force: {fields:?}"
    );
    for _ in 0..4 {
        h.key(KeyCode::Enter); // the defaults: 120 s, the pods' own grace, n, n
    }
    confirm(&mut h, &format!("Drain node/{node}?"));
    let report = until_flash(&mut h, "1 evicted").await;
    assert!(!report.contains("failed"), "{report}");
    assert_eq!(unschedulable(&tb), "true", "a drained node stays cordoned");
    assert!(
        get(&tb, "dev", &["-n", &ns, "pod", &pod]).is_none(),
        "{pod} was evicted and is gone"
    );
    let r = one_record(&h, "drain", "dev", &node, "ok");
    let evicted = r
        .change
        .as_ref()
        .and_then(|c| c.get("evicted"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(evicted, json!([format!("{ns}/{pod}")]), "{r:#?}");
    for action in ["cordon", "uncordon"] {
        one_record(&h, action, "dev", &node, "ok");
    }
    let taints = records_of(&h, "taint");
    assert_eq!(
        taints.iter().filter(|r| r.result == "ok").count(),
        2,
        "{taints:#?}"
    );
    verified(&h, 5);
}

/// The autoscaler form: min and max replicas of an HPA change, nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autoscale_changes_min_and_max_of_an_hpa() {
    let Some(tb) = common::testbed() else { return };
    let ns = unique("hpa");
    let mut cleanup = Cleanup::new(&tb);
    namespace(&mut cleanup, &["dev"], &ns);
    apply(
        &tb,
        "dev",
        deployment(
            &ns,
            "scaled-app",
            1,
            &[("app", "registry.example.com/app:1")],
        ),
    );
    apply(
        &tb,
        "dev",
        json!({
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "auto", "namespace": ns},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "scaled-app"},
                "minReplicas": 1,
                "maxReplicas": 3,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 70}}}]
            }
        }),
    );
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command(&format!("hpa {ns}"));
    rows(&mut h, &["auto", "scaled-app"], &["dev"]).await;
    h.action(Action::Autoscale);
    let fields = expect_form(&mut h, "Autoscale horizontalpodautoscaler/auto");
    assert_eq!(fields.len(), 3, "{fields:?}");
    let screen = h.screen(200, 60);
    assert!(
        h.lines_with(&["min replicas", "1"]).len() == 1
            && h.lines_with(&["max replicas", "3"]).len() == 1,
        "prefilled from the row:\n{screen}"
    );
    clear_field(&mut h);
    typed(&mut h, "2");
    h.key(KeyCode::Enter);
    clear_field(&mut h);
    typed(&mut h, "6");
    h.key(KeyCode::Enter);
    h.key(KeyCode::Enter); // CPU target: unchanged
    confirm(&mut h, "Autoscale horizontalpodautoscaler/auto?");
    until_flash(&mut h, "autoscale done").await;
    let hpa = must_get(&tb, "dev", &["-n", &ns, "hpa", "auto"]);
    assert_eq!(text(&hpa, "/spec/minReplicas"), "2");
    assert_eq!(text(&hpa, "/spec/maxReplicas"), "6");
    assert_eq!(
        text(&hpa, "/spec/metrics/0/resource/target/averageUtilization"),
        "70",
        "the CPU target is left alone"
    );
    one_record(&h, "autoscale", "dev", "auto", "ok");
    verified(&h, 1);
}

/// The object under the cursor is replaced (deleted and created again under the same name)
/// behind the app's back: the change is refused, the new object untouched; a deleted one
/// likewise. Both audited as failed. Nothing is pumped between the kubectl calls and the
/// keys, so the list still shows the old objects: only the executor's uid check stands in
/// the way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaced_or_deleted_object_is_not_changed() {
    let Some(tb) = common::testbed() else { return };
    let ns = unique("stale");
    let mut cleanup = Cleanup::new(&tb);
    namespace(&mut cleanup, &["dev"], &ns);
    let phoenix = deployment(&ns, "phoenix", 1, &[("app", "registry.example.com/app:1")]);
    apply(&tb, "dev", phoenix.clone());
    apply(
        &tb,
        "dev",
        deployment(&ns, "ghost", 1, &[("app", "registry.example.com/app:1")]),
    );
    let args = ["-n", ns.as_str(), "deploy", "phoenix"];
    let old_uid = text(&must_get(&tb, "dev", &args), "/metadata/uid");
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command(&format!("deploy {ns}"));
    h.filter("phoenix");
    rows(&mut h, &["phoenix"], &["dev"]).await;

    tb.kubectl_ok(
        "dev",
        &["-n", &ns, "delete", "deploy", "phoenix", "--wait=true"],
    );
    apply(&tb, "dev", phoenix);
    let new_uid = text(&must_get(&tb, "dev", &args), "/metadata/uid");
    assert_ne!(old_uid, new_uid);
    h.key(KeyCode::Char('s'));
    expect_form(&mut h, "Scale deployment/phoenix");
    clear_field(&mut h);
    typed(&mut h, "4");
    h.key(KeyCode::Enter);
    confirm(&mut h, "Scale deployment/phoenix?");
    let said = until_flash(&mut h, "no longer exists").await;
    assert!(
        said.contains("another object of that name took its place"),
        "{said}"
    );
    let d = must_get(&tb, "dev", &args);
    assert_eq!(text(&d, "/metadata/uid"), new_uid);
    assert_eq!(
        text(&d, "/spec/replicas"),
        "1",
        "the new object is not scaled"
    );
    let r = one_record(&h, "scale", "dev", "phoenix", "failed");
    assert_eq!(
        r.target.uid, old_uid,
        "the record names the object the user picked"
    );
    assert!(
        r.error.as_deref().unwrap_or("").contains("took its place"),
        "{r:#?}"
    );

    h.app.set_filter("");
    h.filter("ghost");
    rows(&mut h, &["ghost"], &["dev"]).await;
    tb.kubectl_ok(
        "dev",
        &["-n", &ns, "delete", "deploy", "ghost", "--wait=true"],
    );
    h.action(Action::Labels);
    typed(&mut h, "seen=yes");
    h.key(KeyCode::Enter);
    confirm(&mut h, "Label deployment/ghost?");
    let said = until_flash(&mut h, "no longer exists").await;
    assert!(said.contains("ghost"), "{said}");
    assert!(get(&tb, "dev", &["-n", &ns, "deploy", "ghost"]).is_none());
    let r = one_record(&h, "label", "dev", "ghost", "failed");
    assert!(
        r.error
            .as_deref()
            .unwrap_or("")
            .contains("no longer exists"),
        "{r:#?}"
    );
    verified(&h, 2);
}

/// The viewer (may only read pods in shop): the server refuses a delete the app did not know
/// to be forbidden yet; once the access answers are in, the menu marks what is not allowed
/// and why, and ctrl-d is refused before anything is sent ("denied").
///
/// What makes this robust: the harness applies messages only inside `pump_until`, and the
/// table asks for its selection's permissions in the tick that first shows the row. So right
/// after the first pump that shows a row, the access answers cannot have been applied yet
/// (asserted below): a delete sent then is decided without them and reaches the server. The
/// access checks are per (verb, resource, namespace), so no other row or screen could have
/// had them answered earlier either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_is_refused_by_the_server_and_then_before_sending() {
    let Some(tb) = common::testbed() else { return };
    // At the API level first: the server itself denies the viewer a delete (a dry run, so a
    // broken RBAC setup could not delete a seeded pod).
    let viewer_tb = Testbed {
        kubeconfig: tb.viewer_kubeconfig(),
    };
    let pod = tb
        .kubectl_ok(
            "dev",
            &[
                "-n",
                "shop",
                "get",
                "pods",
                "-l",
                "app=web",
                "-o",
                "jsonpath={.items[0].metadata.name}",
            ],
        )
        .trim()
        .to_string();
    assert!(!pod.is_empty(), "a web pod in shop");
    let client = viewer_tb.client("dev-viewer").await;
    let call = flotilla::ops::call::Call::Delete {
        path: format!("/api/v1/namespaces/shop/pods/{pod}"),
        options: json!({"kind": "DeleteOptions", "apiVersion": "v1"}),
    };
    let err = flotilla::ops::call::send(&client, &call, true)
        .await
        .expect_err("the viewer may not delete pods");
    assert_eq!(err.code, 403, "{err:?}");
    assert!(err.message.contains("forbidden"), "{err:?}");

    let mut h = Harness::new(&tb.viewer_kubeconfig(), &["dev-viewer"]);
    h.command("pods shop");
    h.filter("web-");
    rows(&mut h, &["web-"], &["dev-viewer"]).await;
    let delete_check = flotilla::protocol::op::Check {
        verb: "delete",
        group: String::new(),
        resource: "pods".into(),
        subresource: "",
        namespace: "shop".into(),
    };
    let answered = |h: &Harness| {
        h.app
            .store
            .clusters
            .by_context("dev-viewer")
            .and_then(|s| s.access(&delete_check).cloned())
    };
    assert_eq!(answered(&h), None, "the delete check is not answered yet");
    ctrl(&mut h, 'd');
    let title = match top_modal(&h) {
        Some(Modal::Confirm(c)) => c.title.clone(),
        _ => panic!(
            "not known to be forbidden: confirmation\n{}",
            h.screen(200, 60)
        ),
    };
    let name = title
        .strip_prefix("Delete pod/")
        .and_then(|t| t.strip_suffix('?'))
        .unwrap_or_else(|| panic!("{title}"))
        .to_string();
    confirm(&mut h, "Delete pod/");
    let said = until_flash(&mut h, "forbidden").await;
    assert!(said.contains("delete failed"), "{said}");
    let r = one_record(&h, "delete", "dev-viewer", &name, "failed");
    assert!(
        r.error.as_deref().unwrap_or("").contains("forbidden"),
        "{r:#?}"
    );
    assert!(
        get(&tb, "dev", &["-n", "shop", "pod", &name]).is_some(),
        "{name} is still there"
    );

    // The answers arrive: the menu says what is not allowed, and why.
    let ok = h
        .pump_until(WAIT, |h| {
            matches!(answered(h), Some(flotilla::protocol::op::Access::Denied(_)))
        })
        .await;
    assert!(ok, "the server answers the access review");
    h.key(KeyCode::Char('.'));
    let items = match top_modal(&h) {
        Some(Modal::Pick(p)) => p.items.clone(),
        _ => panic!("the actions menu:\n{}", h.screen(200, 60)),
    };
    let why = "may not delete pods in shop";
    // "✗ <label>[ <key>] — not allowed: <why>"
    let item = |label: &str| -> Option<String> {
        items
            .iter()
            .find(|i| {
                i.strip_prefix(&format!("✗ {label}"))
                    .is_some_and(|rest| rest.starts_with(" —") || rest.starts_with(" <"))
            })
            .cloned()
    };
    for label in ["delete", "kill (grace 0)", "labels", "edit YAML"] {
        assert!(
            item(label).is_some_and(|i| i.contains("— not allowed: ")),
            "{label} marked not allowed: {items:#?}"
        );
    }
    let delete = item("delete").unwrap_or_default();
    assert!(delete.contains(why), "{items:#?}");
    let screen = h.screen(200, 60);
    let shown: String = delete.chars().take(60).collect();
    assert!(screen.contains(&shown), "the menu on screen:\n{screen}");
    // Picking it says why and sends nothing.
    typed(&mut h, "delete");
    h.key(KeyCode::Enter);
    let said = flash(&h);
    assert!(
        said.starts_with("not allowed on dev-viewer:") && said.contains(why),
        "{said}"
    );

    // ctrl-d anyway: refused before sending, no confirmation, audited as denied.
    fresh(&mut h);
    ctrl(&mut h, 'd');
    assert!(
        top_modal(&h).is_none(),
        "no confirmation for a denied change"
    );
    let said = until_flash(&mut h, why).await;
    assert!(said.contains(&name), "{said}");
    let denied: Vec<Record> = records_of(&h, "delete")
        .into_iter()
        .filter(|r| r.result == "denied")
        .collect();
    assert_eq!(denied.len(), 1, "{denied:#?}");
    assert!(denied[0].error.as_deref().unwrap_or("").contains(why));
    assert!(get(&tb, "dev", &["-n", "shop", "pod", &name]).is_some());
    verified(&h, 2);
}

/// Read-only mode: delete, scale, exec, shell and port-forward are each refused (and
/// audited as refused), nothing reaches the server, and the header says READ-ONLY.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_mode_refuses_every_change_and_session() {
    let Some(tb) = common::testbed() else { return };
    let ns = unique("readonly");
    let mut cleanup = Cleanup::new(&tb);
    namespace(&mut cleanup, &["dev"], &ns);
    apply(
        &tb,
        "dev",
        deployment(&ns, "frozen", 1, &[("app", "registry.example.com/app:1")]),
    );
    apply(
        &tb,
        "dev",
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "target", "namespace": ns},
            "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:1",
                "ports": [{"containerPort": 80}]}]}
        }),
    );
    let marker = std::env::temp_dir().join(format!("flotilla-chg-readonly-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.app.policy.make_read_only();
    assert!(h.header().contains("READ-ONLY"), "{}", h.header());
    h.command(&format!("deploy {ns}"));
    rows(&mut h, &["frozen"], &["dev"]).await;

    fresh(&mut h);
    ctrl(&mut h, 'd');
    assert!(top_modal(&h).is_none(), "nothing to confirm");
    let said = until_flash(&mut h, "read-only").await;
    assert!(said.contains("delete"), "{said}");
    h.key(KeyCode::Char('s'));
    expect_form(&mut h, "Scale deployment/frozen");
    clear_field(&mut h);
    typed(&mut h, "5");
    fresh(&mut h);
    h.key(KeyCode::Enter);
    assert!(top_modal(&h).is_none(), "nothing to confirm");
    let said = until_flash(&mut h, "read-only").await;
    assert!(said.contains("scale"), "{said}");

    h.command(&format!("pods {ns}"));
    h.filter("target");
    rows(&mut h, &["target"], &["dev"]).await;
    h.key(KeyCode::Char(' '));
    let cmd = format!("exec touch {}", marker.display());
    h.command(&cmd);
    let said = until_flash(&mut h, "exec refused: read-only").await;
    assert!(said.contains("dev"), "{said}");
    h.action(Action::Back);
    rows(&mut h, &["target"], &["dev"]).await;
    h.key(KeyCode::Char('s'));
    until_flash(&mut h, "shell refused: read-only").await;
    h.key(KeyCode::Char('F'));
    let opened = h
        .pump_until(WAIT, |h| matches!(top_modal(h), Some(Modal::Form(_))))
        .await;
    assert!(opened, "the port-forward form:\n{}", h.screen(200, 60));
    expect_form(&mut h, "port-forward to pod/target");
    for _ in 0..3 {
        h.key(KeyCode::Enter);
    }
    until_flash(&mut h, "port-forward refused: read-only").await;
    assert!(h.app.shared.forwards.is_empty(), "no forward started");
    assert!(h.header().contains("READ-ONLY"));

    let d = must_get(&tb, "dev", &["-n", &ns, "deploy", "frozen"]);
    assert_eq!(text(&d, "/spec/replicas"), "1", "not scaled");
    assert!(!marker.exists(), "the command did not run");
    for (action, name) in [
        ("delete", "frozen"),
        ("scale", "frozen"),
        ("exec", "target"),
        ("shell", "target"),
        ("port-forward", "target"),
    ] {
        let r = one_record(&h, action, "dev", name, "refused");
        assert!(
            r.error.as_deref().unwrap_or("").contains("read-only"),
            "{r:#?}"
        );
    }
    verified(&h, 5);
}

/// A protected context: a delete there asks for its name; Enter alone does nothing, the name
/// then Enter deletes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_context_delete_needs_its_name_typed() {
    let Some(tb) = common::testbed() else { return };
    let ns = unique("protected");
    let mut cleanup = Cleanup::new(&tb);
    namespace(&mut cleanup, &["staging"], &ns);
    apply(
        &tb,
        "staging",
        deployment(&ns, "guarded", 1, &[("app", "registry.example.com/app:1")]),
    );
    let mut config = harness::config();
    config.settings.protected_contexts = vec!["staging".into()];
    let mut h = Harness::with_config(&tb.kubeconfig, &["staging"], config);
    h.command(&format!("deploy {ns}"));
    rows(&mut h, &["guarded"], &["staging"]).await;
    let args = ["-n", ns.as_str(), "deploy", "guarded"];

    ctrl(&mut h, 'd');
    let require = match top_modal(&h) {
        Some(Modal::Confirm(c)) => c.require.clone(),
        _ => None,
    };
    assert_eq!(require.as_deref(), Some("staging"), "{}", h.screen(200, 60));
    let screen = h.screen(200, 60);
    assert!(
        screen.contains("staging is a protected context")
            && screen.contains("type staging to confirm"),
        "{screen}"
    );
    h.key(KeyCode::Enter);
    assert!(
        matches!(top_modal(&h), Some(Modal::Confirm(_))),
        "Enter alone does not confirm"
    );
    assert!(
        h.screen(200, 60)
            .contains("type staging to confirm, Esc to cancel"),
        "{}",
        h.screen(200, 60)
    );
    typed(&mut h, "stag");
    h.key(KeyCode::Enter);
    assert!(
        matches!(top_modal(&h), Some(Modal::Confirm(_))),
        "a prefix does not confirm"
    );
    // Nothing was sent meanwhile.
    h.pump_until(Duration::from_millis(300), |_| false).await;
    assert!(get(&tb, "staging", &args).is_some());
    let so_far = h.audit_records_so_far();
    assert!(so_far.is_empty(), "nothing audited: {so_far:#?}");

    typed(&mut h, "ing");
    h.key(KeyCode::Enter);
    assert!(top_modal(&h).is_none(), "confirmed");
    until_flash(&mut h, "deleted").await;
    until_server(&tb, "staging", &args, "guarded gone", |v| v.is_none()).await;
    one_record(&h, "delete", "staging", "guarded", "ok");
    verified(&h, 1);
}
