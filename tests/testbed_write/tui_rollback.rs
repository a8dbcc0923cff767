//! Roll back through the TUI against the real testbed, as a user does it: a list of
//! Deployments (or StatefulSets), `ctrl-l` on one opens its revisions (REVISION, CHANGE-CAUSE,
//! IMAGES, AGE and the pod template diff of the highlighted one), Enter on an old revision asks
//! for confirmation, Enter again rolls back. Each test has a namespace of its own on dev
//! (`rb-<test>-<pid>`), makes three revisions with kubectl (`set image`, then the
//! `kubernetes.io/change-cause` annotation), and checks what the user sees (the revisions
//! screen, the confirmation, the flash line), what the server holds afterwards (the template,
//! `kubectl rollout history`) and the audit log (one record, intact hash chain).

use crate::common;
use crate::harness;

use common::{Scratch, Testbed};
use flotilla::app::Input;
use flotilla::key::{KeyCode, KeyEvent, KeyModifiers};
use flotilla::modal::Modal;
use flotilla::ops::audit::{self, Record};
use harness::Harness;
use serde_json::{Value, json};
use std::time::Duration;

// dev: the fault tests stop staging's and prod's apiservers.
const CONTEXT: &str = "dev";
const WAIT: Duration = Duration::from_secs(60);

/// `rb-<test>-<pid>`: unique per test and per run.
fn unique(test: &str) -> String {
    format!("rb-{test}-{}", std::process::id())
}

// ---- the server -----------------------------------------------------------------------------

/// A namespace of the test's own on dev, deleted when the test ends.
fn scratch(tb: &Testbed, test: &str) -> Scratch {
    Scratch::new(tb, CONTEXT, unique(test))
}

/// `kubectl -n <ns> <args>` on dev; its output.
fn kubectl(tb: &Testbed, ns: &str, args: &[&str]) -> String {
    tb.kubectl_ok(CONTEXT, &[&["-n", ns][..], args].concat())
}

/// `kubectl apply` of one object given as JSON.
fn apply(tb: &Testbed, object: Value) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("flotilla-rb-{}-{n}.json", std::process::id()));
    std::fs::write(&path, object.to_string()).expect("write manifest");
    let file = path.to_string_lossy().into_owned();
    tb.kubectl_ok(CONTEXT, &["apply", "-f", &file]);
    let _ = std::fs::remove_file(&path);
}

/// The object as the server holds it.
fn get(tb: &Testbed, ns: &str, what: &str) -> Value {
    let out = kubectl(tb, ns, &["get", what, "-o", "json"]);
    serde_json::from_str(&out).expect("kubectl prints JSON")
}

fn text(v: &Value, pointer: &str) -> String {
    match v.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// `kubectl rollout history` rows as "REVISION CHANGE-CAUSE", single-spaced, oldest first.
fn rollout_history(tb: &Testbed, ns: &str, what: &str) -> Vec<String> {
    kubectl(tb, ns, &["rollout", "history", what])
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// Waits until the controller has seen the latest spec and `kubectl rollout history` reads
/// `want`.
async fn until_history(tb: &Testbed, ns: &str, what: &str, want: &[&str]) {
    common::eventually(WAIT, &format!("{what} history {want:?}"), || {
        let obj = get(tb, ns, what);
        let settled =
            text(&obj, "/status/observedGeneration") == text(&obj, "/metadata/generation");
        let ok = settled && rollout_history(tb, ns, what) == want;
        async move { ok.then_some(()) }
    })
    .await;
}

/// Three revisions of `what` (created at `first`): `set image` to each of `next`, one at a
/// time, each with its change-cause ("image <image>"); the first's is "create <first>".
/// `annotate_first`: a ControllerRevision copies the annotations once, when it is made, so a
/// StatefulSet is annotated before its image changes; a Deployment's controller copies them
/// to the newest ReplicaSet on every sync, so kubectl's order (image, then annotation) works.
async fn three_revisions(
    tb: &Testbed,
    ns: &str,
    what: &str,
    container: &str,
    first: &str,
    next: [&str; 2],
    annotate_first: bool,
) {
    let mut want = vec![format!("1 create {first}")];
    for (i, image) in next.into_iter().enumerate() {
        let set = [
            "set".to_string(),
            "image".into(),
            what.into(),
            format!("{container}={image}"),
        ];
        let annotate = [
            "annotate".to_string(),
            "--overwrite".into(),
            what.into(),
            format!("kubernetes.io/change-cause=image {image}"),
        ];
        let steps = if annotate_first {
            [annotate, set]
        } else {
            [set, annotate]
        };
        for step in &steps {
            let args: Vec<&str> = step.iter().map(String::as_str).collect();
            kubectl(tb, ns, &args);
        }
        want.push(format!("{} image {image}", i + 2));
        let want: Vec<&str> = want.iter().map(String::as_str).collect();
        until_history(tb, ns, what, &want).await;
    }
    kubectl(tb, ns, &["rollout", "status", what, "--timeout=60s"]);
}

// ---- the TUI --------------------------------------------------------------------------------

fn ctrl(h: &mut Harness, c: char) {
    h.update(Input::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )));
}

fn top_modal(h: &Harness) -> Option<&Modal> {
    h.app.modals().last()
}

fn flash(h: &Harness) -> String {
    h.app
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default()
}

/// Forgets the flash line of the previous step, so the next one is known to be new.
fn fresh(h: &mut Harness) {
    h.app.flash = None;
}

/// The lines inside a frame (between its borders, not its title), without the borders.
fn framed(h: &mut Harness) -> Vec<String> {
    h.screen(200, 60)
        .lines()
        .filter_map(|l| l.strip_prefix('│'))
        .map(|l| l.trim_end().trim_end_matches('│').trim_end().to_string())
        .collect()
}

/// Waits until a list row names `name`.
async fn row(h: &mut Harness, name: &str) {
    let ok = h
        .pump_until(WAIT, |h| {
            framed(h)
                .iter()
                .any(|l| l.split_whitespace().any(|w| w == name))
        })
        .await;
    assert!(ok, "a row {name}:\n{}", h.screen(200, 60));
}

/// The revisions table's rows as the user reads them: (REVISION, CHANGE-CAUSE and IMAGES
/// and AGE), split at the REVISION column (14 wide).
fn revision_rows(h: &mut Harness) -> Vec<(String, String)> {
    framed(h)
        .into_iter()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
        .map(|l| {
            let (number, rest) = l.split_at(l.char_indices().nth(14).map_or(l.len(), |(i, _)| i));
            (number.trim().to_string(), rest.trim().to_string())
        })
        .collect()
}

/// Waits until the revisions screen shows exactly these rows, newest first: (REVISION as
/// drawn, e.g. "3 (current)", change-cause, image).
async fn until_revisions(h: &mut Harness, want: &[(&str, &str, &str)]) {
    let shown = |h: &mut Harness| {
        let rows = revision_rows(h);
        rows.len() == want.len()
            && rows
                .iter()
                .zip(want)
                .all(|((number, rest), (n, cause, image))| {
                    let words: Vec<&str> = rest.split("  ").map(str::trim).collect();
                    number == n && words.contains(cause) && words.contains(image)
                })
    };
    let ok = h.pump_until(WAIT, |h| shown(h)).await;
    assert!(ok, "the revisions {want:#?}:\n{}", h.screen(200, 60));
}

/// The diff's changed lines ("- " removed by the rollback, "+ " added), as drawn.
fn changed_lines(h: &mut Harness) -> Vec<String> {
    framed(h)
        .into_iter()
        .filter(|l| l.starts_with("- ") || l.starts_with("+ "))
        .collect()
}

/// The highlighted line of the screen, without its borders.
fn highlighted(h: &mut Harness) -> String {
    h.tick();
    harness::selected_line(&h.app, 200, 60)
        .unwrap_or_default()
        .trim_matches(|c: char| c == '│' || c.is_whitespace())
        .to_string()
}

/// Back to the list (Esc) and `ctrl-l` on `name` again: a fresh read of the history.
///
/// The screen left open after a rollback keeps re-reading until the history has settled, but
/// it can decide it has settled on a stale mix: its owner and list are fetched concurrently,
/// and when the list (still numbered as before) is answered before the owner, the rebuild
/// pairs it with the owner read *before* the rollback (observedGeneration = generation, its
/// template the newest revision's) and stops re-reading; the screen then shows the old
/// numbering for good. Reported, not worked around in src/.
async fn reopen(h: &mut Harness, name: &str) {
    h.key(KeyCode::Esc);
    row(h, name).await;
    ctrl(h, 'l');
}

/// Asserts the top layer is a confirmation whose title contains `title`, then confirms it.
fn confirm(h: &mut Harness, title: &str) {
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

/// Waits for the flash line to say `needle`, and for it to be on screen.
async fn until_flash(h: &mut Harness, needle: &str) -> String {
    let ok = h.pump_until(WAIT, |h| flash(h).contains(needle)).await;
    let screen = h.screen(200, 60);
    assert!(ok, "flash says {needle:?}:\n{screen}");
    let text = flash(h);
    let start: String = text.chars().take(60).collect();
    assert!(screen.contains(&start), "the flash is on screen:\n{screen}");
    text
}

/// Exactly one attempt of `action` on dev for `name`, with `result`; when something
/// was sent, its intent was written first and the outcome names it.
fn one_record(h: &Harness, action: &str, name: &str, result: &str) -> Record {
    let all = h.audit_records();
    let (intents, found): (Vec<&Record>, Vec<&Record>) = all
        .iter()
        .filter(|r| r.action == action && r.context == CONTEXT && r.target.name == name)
        .partition(|r| r.result == audit::INTENT);
    assert_eq!(
        found.len(),
        1,
        "one {action} record for {name} on {CONTEXT}: {all:#?}"
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
fn verified(h: &Harness, n: usize) {
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

/// Enter on the highlighted (current) revision: it says so, asks nothing, sends nothing.
fn enter_on_current(h: &mut Harness, what: &str, number: i64) {
    fresh(h);
    h.key(KeyCode::Enter);
    assert!(
        top_modal(h).is_none(),
        "nothing to confirm:\n{}",
        h.screen(200, 60)
    );
    let said = flash(h);
    assert_eq!(
        said,
        format!("revision {number} is the current one of {what}")
    );
    assert!(h.screen(200, 60).contains(&said), "on screen");
}

// ---- the tests ------------------------------------------------------------------------------

/// A Deployment with three revisions: `ctrl-l` lists them with their change-causes and
/// images, the current one marked; Enter on it does nothing; on revision 1 the diff shows the
/// image going back from 1.27 to 1.25, Enter asks, Enter rolls back: the server holds
/// nginx:1.25 as revision 4 (kubectl's semantics), the screen follows, one audit record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_rolls_back_to_revision_one_from_its_revisions_screen() {
    let Some(tb) = common::testbed() else { return };
    let scratch = scratch(&tb, "deploy");
    let ns = scratch.name.as_str();
    kubectl(
        &tb,
        ns,
        &["create", "deployment", "web", "--image=nginx:1.25"],
    );
    kubectl(
        &tb,
        ns,
        &[
            "annotate",
            "deployment/web",
            "kubernetes.io/change-cause=create nginx:1.25",
        ],
    );
    until_history(&tb, ns, "deployment/web", &["1 create nginx:1.25"]).await;
    three_revisions(
        &tb,
        ns,
        "deployment/web",
        "nginx",
        "nginx:1.25",
        ["nginx:1.26", "nginx:1.27"],
        false,
    )
    .await;
    let before = get(&tb, ns, "deployment/web");
    let uid = text(&before, "/metadata/uid");
    let what = format!("Deployment {CONTEXT}/{ns}/web");

    let mut h = Harness::new(&tb.kubeconfig, &[CONTEXT]);
    h.command(&format!("deploy {ns}"));
    row(&mut h, "web").await;
    ctrl(&mut h, 'l');
    until_revisions(
        &mut h,
        &[
            ("3 (current)", "image nginx:1.27", "nginx:1.27"),
            ("2", "image nginx:1.26", "nginx:1.26"),
            ("1", "create nginx:1.25", "nginx:1.25"),
        ],
    )
    .await;
    let screen = h.screen(200, 60);
    for want in [
        &format!("revisions {what}"),
        "REVISION",
        "CHANGE-CAUSE",
        "IMAGES",
        "AGE",
        "revision 3: the current pod template",
    ] {
        assert!(screen.contains(want), "{want:?} on screen:\n{screen}");
    }
    assert!(highlighted(&mut h).starts_with("3 (current)"));
    assert!(
        changed_lines(&mut h).is_empty(),
        "no change against the current one:\n{screen}"
    );

    enter_on_current(&mut h, &what, 3);
    h.pump_until(Duration::from_millis(300), |_| false).await;
    let so_far = h.audit_records_so_far();
    assert!(so_far.is_empty(), "nothing audited: {so_far:#?}");
    let now = get(&tb, ns, "deployment/web");
    assert_eq!(
        text(&now, "/metadata/generation"),
        text(&before, "/metadata/generation"),
        "nothing was sent"
    );

    h.key(KeyCode::Char('j'));
    h.key(KeyCode::Down);
    assert!(
        highlighted(&mut h).starts_with("1 "),
        "revision 1 highlighted:\n{}",
        h.screen(200, 60)
    );
    let screen = h.screen(200, 60);
    assert!(
        screen.contains("pod template: current → revision 1"),
        "{screen}"
    );
    let changed = changed_lines(&mut h);
    assert_eq!(changed.len(), 2, "only the image changes: {changed:#?}");
    assert!(
        changed[0].starts_with("- ") && changed[0].ends_with("image: nginx:1.27"),
        "{changed:#?}"
    );
    assert!(
        changed[1].starts_with("+ ") && changed[1].ends_with("image: nginx:1.25"),
        "{changed:#?}"
    );

    h.key(KeyCode::Enter);
    let screen = h.screen(200, 60);
    assert!(
        screen.contains("roll back to revision 1")
            && screen.contains(&format!("1 object on {CONTEXT}:"))
            && screen.contains(&what),
        "the confirmation says what and where:\n{screen}"
    );
    confirm(&mut h, "Rollback deployment/web?");
    let said = until_flash(&mut h, "rolled back to revision 1").await;
    assert_eq!(
        said,
        format!("{what}: rolled back to revision 1 (rollback done)")
    );

    let after = get(&tb, ns, "deployment/web");
    assert_eq!(
        text(&after, "/spec/template/spec/containers/0/image"),
        "nginx:1.25"
    );
    assert_eq!(text(&after, "/metadata/uid"), uid);
    // kubectl's semantics: revision 1's ReplicaSet becomes revision 4, with its change-cause.
    until_history(
        &tb,
        ns,
        "deployment/web",
        &[
            "2 image nginx:1.26",
            "3 image nginx:1.27",
            "4 create nginx:1.25",
        ],
    )
    .await;
    // Opened again, the screen shows the history as the controller left it: revision 1's
    // ReplicaSet is now revision 4, the current one. (Not asserted on the screen that
    // stayed open: it may stop re-reading too early, see `reopen`.)
    reopen(&mut h, "web").await;
    until_revisions(
        &mut h,
        &[
            ("4 (current)", "create nginx:1.25", "nginx:1.25"),
            ("3", "image nginx:1.27", "nginx:1.27"),
            ("2", "image nginx:1.26", "nginx:1.26"),
        ],
    )
    .await;
    assert!(highlighted(&mut h).starts_with("4 (current)"));
    enter_on_current(&mut h, &what, 4);

    let r = one_record(&h, "rollback", "web", "ok");
    assert_eq!(r.target.kind, "Deployment");
    assert_eq!(r.target.namespace, ns);
    assert_eq!(r.target.uid, uid, "the uid of the object rolled back");
    assert!(r.error.is_none(), "{r:#?}");
    assert!(
        r.rv_before.is_some() && r.rv_after.is_some() && r.rv_before != r.rv_after,
        "{r:#?}"
    );
    let change = r.change.as_ref().map(Value::to_string).unwrap_or_default();
    assert!(change.contains("nginx:1.25"), "the patch is kept: {change}");
    verified(&h, 1);
}

/// The same for a StatefulSet, whose revisions are ControllerRevisions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_rolls_back_to_revision_one_from_its_revisions_screen() {
    let Some(tb) = common::testbed() else { return };
    let scratch = scratch(&tb, "sts");
    let ns = scratch.name.as_str();
    apply(
        &tb,
        json!({
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {
                "name": "db",
                "namespace": ns,
                "annotations": {"kubernetes.io/change-cause": "create postgres:15"}
            },
            "spec": {
                "replicas": 1,
                "serviceName": "db",
                "selector": {"matchLabels": {"app": "db"}},
                "template": {
                    "metadata": {"labels": {"app": "db"}},
                    "spec": {
                        "containers": [{"name": "db", "image": "postgres:15"}],
                        "terminationGracePeriodSeconds": 0
                    }
                }
            }
        }),
    );
    until_history(&tb, ns, "statefulset/db", &["1 create postgres:15"]).await;
    three_revisions(
        &tb,
        ns,
        "statefulset/db",
        "db",
        "postgres:15",
        ["postgres:16", "postgres:17"],
        true,
    )
    .await;
    let uid = text(&get(&tb, ns, "statefulset/db"), "/metadata/uid");
    let what = format!("StatefulSet {CONTEXT}/{ns}/db");

    let mut h = Harness::new(&tb.kubeconfig, &[CONTEXT]);
    h.command(&format!("sts {ns}"));
    row(&mut h, "db").await;
    ctrl(&mut h, 'l');
    until_revisions(
        &mut h,
        &[
            ("3 (current)", "image postgres:17", "postgres:17"),
            ("2", "image postgres:16", "postgres:16"),
            ("1", "create postgres:15", "postgres:15"),
        ],
    )
    .await;
    enter_on_current(&mut h, &what, 3);
    let so_far = h.audit_records_so_far();
    assert!(so_far.is_empty(), "nothing audited: {so_far:#?}");

    h.key(KeyCode::Char('G'));
    assert!(highlighted(&mut h).starts_with("1 "));
    let changed = changed_lines(&mut h);
    assert_eq!(changed.len(), 2, "only the image changes: {changed:#?}");
    assert!(
        changed[0].starts_with("- ") && changed[0].ends_with("image: postgres:17"),
        "{changed:#?}"
    );
    assert!(
        changed[1].starts_with("+ ") && changed[1].ends_with("image: postgres:15"),
        "{changed:#?}"
    );
    h.key(KeyCode::Enter);
    assert!(
        h.screen(200, 60).contains("roll back to revision 1"),
        "{}",
        h.screen(200, 60)
    );
    confirm(&mut h, "Rollback statefulset/db?");
    let said = until_flash(&mut h, "rolled back to revision 1").await;
    assert_eq!(
        said,
        format!("{what}: rolled back to revision 1 (rollback done)")
    );

    let after = get(&tb, ns, "statefulset/db");
    assert_eq!(
        text(&after, "/spec/template/spec/containers/0/image"),
        "postgres:15"
    );
    until_history(
        &tb,
        ns,
        "statefulset/db",
        &[
            "2 image postgres:16",
            "3 image postgres:17",
            "4 create postgres:15",
        ],
    )
    .await;
    reopen(&mut h, "db").await;
    until_revisions(
        &mut h,
        &[
            ("4 (current)", "create postgres:15", "postgres:15"),
            ("3", "image postgres:17", "postgres:17"),
            ("2", "image postgres:16", "postgres:16"),
        ],
    )
    .await;

    let r = one_record(&h, "rollback", "db", "ok");
    assert_eq!(r.target.kind, "StatefulSet");
    assert_eq!(r.target.namespace, ns);
    assert_eq!(r.target.uid, uid);
    assert!(r.error.is_none(), "{r:#?}");
    verified(&h, 1);
}
