//! Helm rollback and uninstall through the TUI, against the testbed clusters: each test
//! installs its own release with the real helm binary (named `live-*`, so the listing tests
//! leave it out), changes it through flotilla — plan, confirmation, the change — and then
//! checks what `helm history`, `helm list` and `helm get` print and what the cluster holds.

use crate::common;
use crate::harness;

use flotilla::key::KeyCode;
use flotilla::modal::Modal;
use flotilla::model::Action;
use flotilla::screens::helm::{HelmScreen, HistoryScreen, PlanScreen};
use harness::Harness;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);
const NS: &str = "apps";

fn chart() -> String {
    common::repo_root()
        .join("assets/testbed/charts/frontend")
        .to_string_lossy()
        .into_owned()
}

/// `helm history -o json` of a release: (revision, status, description) oldest first.
fn history_of(
    tb: &common::Testbed,
    helm: &Path,
    ctx: &str,
    driver: &str,
    name: &str,
) -> Vec<(i64, String, String)> {
    let json = tb.helm_ok_with(
        helm,
        ctx,
        driver,
        &["history", name, "-n", NS, "-o", "json"],
    );
    let list: Vec<Value> = serde_json::from_str(&json).expect("helm history json");
    list.iter()
        .map(|r| {
            (
                r["revision"].as_i64().unwrap_or(0),
                r["status"].as_str().unwrap_or("").to_string(),
                r["description"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// `kubectl get` of one object as JSON, `None` when it does not exist.
fn object(tb: &common::Testbed, ctx: &str, what: &str) -> Option<Value> {
    let out = tb.kubectl(ctx, &["-n", NS, "get", what, "-o", "json"]);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("NotFound"), "kubectl get {what}: {err}");
        return None;
    }
    Some(serde_json::from_slice(&out.stdout).expect("kubectl prints JSON"))
}

/// Opens `:helm` with only `name`'s lines in it.
async fn releases(h: &mut Harness, name: &str, lines: usize) {
    h.command("helm");
    h.filter(name);
    let ok = h
        .pump_until(WAIT, |h| {
            h.app.top_as::<HelmScreen>().is_some_and(|s| {
                s.lines().len() == lines && s.releases().iter().any(|r| r.name == name)
            })
        })
        .await;
    assert!(ok, "{name} listed: {}", h.screen(170, 20));
}

/// Waits for the plan on top to be ready (or refused), and returns its text.
async fn plan(h: &mut Harness) -> String {
    let ok = h
        .pump_until(WAIT, |h| {
            h.app.top_as::<PlanScreen>().is_some_and(|p| {
                let first = p.text().first().cloned().unwrap_or_default();
                first.starts_with("<enter>") || first.starts_with("the plan cannot")
            })
        })
        .await;
    let text = h
        .app
        .top_as::<PlanScreen>()
        .map(|p| p.text().join("\n"))
        .unwrap_or_default();
    assert!(ok, "a plan: {text}\n{}", h.screen(170, 40));
    text
}

/// Enter on the plan, the confirmation titled `title` confirmed, and the plan's results.
async fn carry_out(h: &mut Harness, title: &str) -> String {
    h.action(Action::Enter);
    let confirm = h.app.modals().last();
    let ok = matches!(confirm, Some(Modal::Confirm(c)) if c.title.contains(title));
    assert!(ok, "a confirmation {title:?}: {}", h.screen(170, 40));
    h.key(KeyCode::Enter);
    let ok = h
        .pump_until(WAIT, |h| {
            h.app
                .top_as::<PlanScreen>()
                .is_some_and(|p| p.text().first().is_some_and(|l| l.starts_with("done")))
        })
        .await;
    let text = h
        .app
        .top_as::<PlanScreen>()
        .map(|p| p.text().join("\n"))
        .unwrap_or_default();
    assert!(ok, "carried out: {text}");
    text
}

/// What Helm leaves behind a release on purpose: its hook's ConfigMap and the one marked
/// `keep` (both labelled app=NAME by the chart).
fn leftovers(tb: &common::Testbed, ctx: &str, name: &str) {
    tb.kubectl_ok(
        ctx,
        &[
            "-n",
            NS,
            "delete",
            "configmap",
            "-l",
            &format!("app={name}"),
            "--ignore-not-found",
        ],
    );
}

fn has_line(text: &str, words: &[&str]) -> bool {
    text.lines().any(|l| words.iter().all(|w| l.contains(w)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_restores_the_old_revision_and_helm_agrees() {
    let Some(tb) = common::testbed() else { return };
    let helm = common::helm_path();
    let name = format!("live-rb-{}", std::process::id());
    let (chart, ctx) = (chart(), "dev");
    tb.helm_ok(
        ctx,
        "secret",
        &["install", &name, &chart, "-n", NS, "--set", "message=one"],
    );
    tb.helm_ok(
        ctx,
        "secret",
        &[
            "upgrade",
            &name,
            &chart,
            "-n",
            NS,
            "--set",
            "replicaCount=3,message=two,extra=true",
        ],
    );
    let mut h = Harness::new(&tb.kubeconfig, &[ctx]);
    releases(&mut h, &name, 1).await;
    h.action(Action::Enter);
    let ok = h
        .pump_until(WAIT, |h| {
            h.app
                .top_as::<HistoryScreen>()
                .is_some_and(|s| s.revisions().len() == 2)
        })
        .await;
    assert!(ok, "history: {}", h.screen(170, 20));
    // Newest first: revision 1 is the second row.
    h.action(Action::Down);
    h.action(Action::Rollback);
    let text = plan(&mut h).await;
    let dep = format!("Deployment {NS}/{name}");
    assert!(
        has_line(&text, &[&format!("~ {dep}: would change")]),
        "{text}"
    );
    assert!(
        has_line(&text, &["- ", "replicas: 3"]) && has_line(&text, &["+ ", "replicas: 1"]),
        "{text}"
    );
    assert!(
        has_line(
            &text,
            &[&format!("- ConfigMap {NS}/{name}-extra: would be deleted")]
        ),
        "{text}"
    );
    assert!(
        has_line(
            &text,
            &[&format!(
                "· ConfigMap {NS}/{name}-kept: kept (helm.sh/resource-policy: keep)"
            )]
        ),
        "{text}"
    );
    assert!(
        has_line(&text, &[&format!("= Service {NS}/{name}: unchanged")]),
        "{text}"
    );
    assert!(
        has_line(&text, &["revision 3 would be recorded", "Rollback to 1"]),
        "{text}"
    );
    assert!(
        has_line(&text, &["revision 2 would be superseded"]),
        "{text}"
    );
    // The plan changed nothing.
    let replicas = |tb: &common::Testbed| {
        object(tb, ctx, &format!("deployment/{name}")).and_then(|d| d["spec"]["replicas"].as_i64())
    };
    assert_eq!(replicas(&tb), Some(3));
    assert_eq!(history_of(&tb, &helm, ctx, "secret", &name).len(), 2);

    let done = carry_out(&mut h, &format!("Helm-rollback {name}?")).await;
    assert!(
        has_line(&done, &["✓ rolled back to revision 1: revision 3"]),
        "{done}"
    );

    // What helm prints now.
    assert_eq!(
        history_of(&tb, &helm, ctx, "secret", &name),
        vec![
            (1, "superseded".into(), "Install complete".into()),
            (2, "superseded".into(), "Upgrade complete".into()),
            (3, "deployed".into(), "Rollback to 1".into()),
        ]
    );
    let get = |what: &str, rev: &str| {
        tb.helm_ok(
            ctx,
            "secret",
            &["get", what, &name, "-n", NS, "--revision", rev],
        )
    };
    assert_eq!(get("values", "3"), get("values", "1"));
    assert_eq!(get("manifest", "3"), get("manifest", "1"));
    let list = tb.helm_ok(
        ctx,
        "secret",
        &["list", "-n", NS, "--filter", &name, "-o", "json"],
    );
    let list: Vec<Value> = serde_json::from_str(&list).expect("helm list json");
    assert_eq!(
        (list[0]["revision"].as_str(), list[0]["status"].as_str()),
        (Some("3"), Some("deployed"))
    );

    // What the cluster holds: revision 1's objects.
    assert_eq!(replicas(&tb), Some(1));
    let config = object(&tb, ctx, &format!("configmap/{name}-config")).expect("config map");
    assert_eq!(config["data"]["message"], "one");
    assert!(object(&tb, ctx, &format!("configmap/{name}-extra")).is_none());
    assert!(
        object(&tb, ctx, &format!("configmap/{name}-kept")).is_some(),
        "kept"
    );

    let audit = h.audit_records();
    assert!(
        audit.iter().any(|r| r.action == "helm-rollback"
            && r.result == "ok"
            && r.target.name == format!("sh.helm.release.v1.{name}.v2")),
        "audited: {audit:?}"
    );

    // Helm carries on from flotilla's records.
    tb.helm_ok(
        ctx,
        "secret",
        &["upgrade", &name, &chart, "-n", NS, "--set", "message=three"],
    );
    assert_eq!(
        history_of(&tb, &helm, ctx, "secret", &name)
            .last()
            .map(|r| r.0),
        Some(4)
    );
    tb.helm_ok(ctx, "secret", &["uninstall", &name, "-n", NS]);
    leftovers(&tb, ctx, &name);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uninstall_removes_objects_and_records_or_keeps_the_history() {
    let Some(tb) = common::testbed() else { return };
    let helm = common::helm_path();
    let name = format!("live-un-{}", std::process::id());
    let (chart, ctx) = (chart(), "dev");
    tb.helm_ok(
        ctx,
        "configmap",
        &["install", &name, &chart, "-n", NS, "--set", "extra=true"],
    );
    let mut h = Harness::new(&tb.kubeconfig, &[ctx]);
    releases(&mut h, &name, 1).await;

    // First with --keep-history (the second choice).
    h.action(Action::Delete);
    assert!(
        matches!(h.app.modals().last(), Some(Modal::Pick(_))),
        "{}",
        h.screen(170, 30)
    );
    h.key(KeyCode::Down);
    h.key(KeyCode::Enter);
    let text = plan(&mut h).await;
    for kind in ["Deployment", "Service"] {
        assert!(
            has_line(&text, &[&format!("- {kind} {NS}/{name}: would be deleted")]),
            "{text}"
        );
    }
    assert!(
        has_line(
            &text,
            &[&format!("- ConfigMap {NS}/{name}-config: would be deleted")]
        ),
        "{text}"
    );
    assert!(
        has_line(&text, &[&format!("· ConfigMap {NS}/{name}-kept: kept")]),
        "{text}"
    );
    assert!(
        has_line(&text, &["revision 1 would be marked uninstalled"]),
        "{text}"
    );
    assert!(
        object(&tb, ctx, &format!("deployment/{name}")).is_some(),
        "the plan deleted nothing"
    );
    carry_out(&mut h, &format!("Helm-uninstall {name}?")).await;

    assert_eq!(
        history_of(&tb, &helm, ctx, "configmap", &name),
        vec![(1, "uninstalled".into(), "Uninstallation complete".into())]
    );
    for what in ["deployment", "service"] {
        assert!(
            object(&tb, ctx, &format!("{what}/{name}")).is_none(),
            "{what} deleted"
        );
    }
    assert!(object(&tb, ctx, &format!("configmap/{name}-config")).is_none());
    assert!(
        object(&tb, ctx, &format!("configmap/{name}-kept")).is_some(),
        "kept"
    );

    // Then without: what is left, the history, goes.
    h.action(Action::Back);
    let ok = h
        .pump_until(WAIT, |h| {
            h.app.top_as::<HelmScreen>().is_some_and(|s| {
                s.releases()
                    .iter()
                    .any(|r| r.name == name && r.newest().status == "uninstalled")
            })
        })
        .await;
    assert!(ok, "listed as uninstalled: {}", h.screen(170, 20));
    h.action(Action::Delete);
    h.key(KeyCode::Enter);
    let text = plan(&mut h).await;
    assert!(
        has_line(&text, &["the release's 1 records would be deleted"]),
        "{text}"
    );
    carry_out(&mut h, &format!("Helm-uninstall {name}?")).await;
    let list = tb.helm_ok(
        ctx,
        "configmap",
        &["list", "-a", "-n", NS, "--filter", &name, "-o", "json"],
    );
    assert_eq!(list.trim(), "[]", "no release left");
    let records = tb.kubectl_ok(
        ctx,
        &[
            "-n",
            NS,
            "get",
            "configmaps",
            "-l",
            &format!("owner=helm,name={name}"),
            "-o",
            "name",
        ],
    );
    assert_eq!(records.trim(), "", "no record left");
    leftovers(&tb, ctx, &name);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marked_releases_on_two_clusters_roll_back_as_one_batch() {
    let Some(tb) = common::testbed() else { return };
    let helm = common::helm_path();
    let name = format!("live-batch-{}", std::process::id());
    let chart = chart();
    let clusters = ["dev", "prod"];
    for ctx in clusters {
        tb.helm_ok(ctx, "secret", &["install", &name, &chart, "-n", NS]);
        tb.helm_ok(
            ctx,
            "secret",
            &[
                "upgrade",
                &name,
                &chart,
                "-n",
                NS,
                "--set",
                "replicaCount=2",
            ],
        );
    }
    let mut h = Harness::new(&tb.kubeconfig, &clusters);
    releases(&mut h, &name, 2).await;
    h.action(Action::Collapse);
    h.action(Action::Mark);
    let marked = h.app.top_as::<HelmScreen>().map(|s| s.marked().len());
    assert_eq!(
        marked,
        Some(2),
        "a folded line marks every cluster's release"
    );
    h.action(Action::Rollback);
    let text = plan(&mut h).await;
    for ctx in clusters {
        assert!(
            has_line(
                &text,
                &[&format!(
                    "{ctx} {NS}/{name} (revision 2): rollback to 1 would change 2"
                )]
            ),
            "{text}"
        );
    }
    carry_out(&mut h, "Helm-rollback 2 releases?").await;
    for ctx in clusters {
        let history = history_of(&tb, &helm, ctx, "secret", &name);
        assert_eq!(
            history.last(),
            Some(&(3, "deployed".into(), "Rollback to 1".into())),
            "{ctx}"
        );
        let dep = object(&tb, ctx, &format!("deployment/{name}")).expect("deployment");
        assert_eq!(dep["spec"]["replicas"], 1, "{ctx}");
        tb.helm_ok(ctx, "secret", &["uninstall", &name, "-n", NS]);
        leftovers(&tb, ctx, &name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_helm_4_release_is_rolled_back_by_server_side_apply() {
    let Some(tb) = common::testbed() else { return };
    let helm4 = common::helm4_path();
    let name = format!("live-v4-{}", std::process::id());
    let (chart, ctx) = (chart(), "staging");
    tb.helm_ok_with(
        &helm4,
        ctx,
        "secret",
        &["install", &name, &chart, "-n", NS, "--set", "extra=true"],
    );
    tb.helm_ok_with(
        &helm4,
        ctx,
        "secret",
        &["upgrade", &name, &chart, "-n", NS, "--set", "message=two"],
    );
    let mut h = Harness::new(&tb.kubeconfig, &[ctx]);
    releases(&mut h, &name, 1).await;
    h.action(Action::Rollback);
    let text = plan(&mut h).await;
    assert!(
        has_line(
            &text,
            &[&format!("~ ConfigMap {NS}/{name}-config: would change")]
        ),
        "{text}"
    );
    assert!(
        has_line(
            &text,
            &[&format!("+ ConfigMap {NS}/{name}-extra: would be created")]
        ),
        "{text}"
    );
    carry_out(&mut h, &format!("Helm-rollback {name}?")).await;
    let history = history_of(&tb, &helm4, ctx, "secret", &name);
    assert_eq!(
        history.last(),
        Some(&(3, "deployed".into(), "Rollback to 1".into()))
    );
    let config = object(&tb, ctx, &format!("configmap/{name}-config")).expect("config map");
    assert_eq!(config["data"]["message"], "hello");
    let out = tb.kubectl(
        ctx,
        &[
            "-n",
            NS,
            "get",
            &format!("configmap/{name}-config"),
            "-o",
            "json",
            "--show-managed-fields",
        ],
    );
    let config: Value = serde_json::from_slice(&out.stdout).expect("kubectl prints JSON");
    assert!(
        object(&tb, ctx, &format!("configmap/{name}-extra")).is_some(),
        "created again"
    );
    // Written the way Helm 4 writes: a server-side apply as `helm`.
    let managers = config["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        managers
            .iter()
            .any(|m| m["manager"] == "helm" && m["operation"] == "Apply"),
        "{managers:?}"
    );
    tb.helm_ok_with(
        &helm4,
        ctx,
        "secret",
        &["upgrade", &name, &chart, "-n", NS, "--set", "message=three"],
    );
    tb.helm_ok_with(&helm4, ctx, "secret", &["uninstall", &name, "-n", NS]);
    leftovers(&tb, ctx, &name);
}
