//! Helm releases against the three testbed clusters, whose records were written by the real
//! helm binary (testbed/seed.sh): what `:helm`, a release's history and its parts show is
//! checked against what `helm list`, `helm history` and `helm get` print.

use crate::common;
use crate::harness;

use flotilla::model::Action;
use flotilla::screens::diff::ObjectDiff;
use flotilla::screens::helm::{HelmScreen, HistoryScreen};
use flotilla::screens::text::TextScreen;
use flotilla::screens::triage::TriageScreen;
use flotilla::triage::{Thresholds, TriageSettings};
use harness::Harness;
use serde_json::Value;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);
const ALL: [&str; 3] = ["dev", "staging", "prod"];

/// A pending release counts as stuck at once (the seeded one is minutes old at most).
fn eager() -> flotilla::config::Config {
    let mut config = harness::config();
    let mut s = TriageSettings::default();
    s.after.insert("helm-pending".into(), "0s".into());
    config.thresholds = Thresholds::from_settings(&s).expect("valid thresholds");
    config
}

/// (namespace, name, revision, status, chart, app version) of one release.
type Listed = (String, String, String, String, String, String);

/// `helm list -a -A -o json` of a cluster (both drivers): (namespace, name, revision, status,
/// chart, app version), releases named `live-*` (made by a test meanwhile) left out.
fn helm_list(tb: &common::Testbed, context: &str) -> Vec<Listed> {
    let mut out = Vec::new();
    for driver in ["secret", "configmap"] {
        let json = tb.helm_ok(context, driver, &["list", "-a", "-A", "-o", "json"]);
        let list: Vec<Value> = serde_json::from_str(&json).expect("helm list json");
        for r in list {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            if s("name").starts_with("live-") {
                continue;
            }
            out.push((
                s("namespace"),
                s("name"),
                s("revision"),
                s("status"),
                s("chart"),
                s("app_version"),
            ));
        }
    }
    out.sort();
    out
}

fn flotilla_list(h: &Harness, context: &str) -> Option<Vec<Listed>> {
    let s = h.app.top_as::<HelmScreen>().expect(":helm on top");
    let mut out = Vec::new();
    for r in s
        .releases()
        .iter()
        .filter(|r| r.context == context && !r.name.starts_with("live-"))
    {
        let d = s.decoded(r)?.as_ref().ok()?;
        out.push((
            r.namespace.clone(),
            r.name.clone(),
            r.newest().revision.to_string(),
            r.newest().status.clone(),
            d.summary.chart_ref(),
            d.summary.app_version.clone(),
        ));
    }
    out.sort();
    Some(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn releases_of_three_clusters_are_what_helm_lists() {
    let Some(tb) = common::testbed() else { return };
    let want: Vec<_> = ALL.iter().map(|c| helm_list(&tb, c)).collect();
    for (c, w) in ALL.iter().zip(&want) {
        assert!(
            w.iter().any(|r| r.1 == "frontend" && r.3 == "deployed"),
            "{c}: the seeded frontend release: {w:?}"
        );
    }
    let mut h = Harness::with_config(&tb.kubeconfig, &ALL, eager());
    h.command("helm");
    let ok = h
        .pump_until(WAIT, |h| {
            ALL.iter()
                .zip(&want)
                .all(|(c, w)| flotilla_list(h, c).as_ref() == Some(w))
        })
        .await;
    let got: Vec<_> = ALL.iter().map(|c| flotilla_list(&h, c)).collect();
    assert!(ok, "helm list says {want:#?}\nflotilla shows {got:#?}");
    // Three revisions on staging (installed by v3), the v4 release and the ConfigMap one too.
    let staging = &want[1];
    assert!(
        staging.iter().any(|r| r.1 == "frontend" && r.2 == "3"),
        "{staging:?}"
    );
    assert!(
        want[0].iter().any(|r| r.1 == "legacy"),
        "dev's ConfigMap release"
    );
    assert!(
        want.iter().all(|w| w.iter().any(|r| r.1 == "worker")),
        "helm v4's release"
    );

    // The failed and the pending release are flagged where a user looks.
    let screen = h.screen(170, 30);
    let line = |name: &str| {
        screen
            .lines()
            .find(|l| l.contains("staging") && l.contains(&format!(" {name} ")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line("broken").contains("failed"), "{screen}");
    assert!(
        line("stuck").contains("pending-upgrade (stuck)"),
        "{screen}"
    );

    // Folded: one row per release, each cluster's chart version, and the drift between them.
    h.action(Action::Collapse);
    let screen = h.screen(170, 30);
    let frontend = screen
        .lines()
        .find(|l| l.contains(" frontend "))
        .unwrap_or_default();
    assert!(
        frontend.contains("dev 1.3.0")
            && frontend.contains("staging 1.4.1")
            && frontend.contains("prod 1.3.1"),
        "{screen}"
    );
    assert!(frontend.contains("chart, values"), "{screen}");
    let worker = screen
        .lines()
        .find(|l| l.contains(" worker "))
        .unwrap_or_default();
    assert!(
        worker.contains("none"),
        "same chart and values everywhere: {screen}"
    );

    // Triage names the stuck release.
    h.command("triage");
    let ok = h
        .pump_until(WAIT, |h| {
            h.app.top_as::<TriageScreen>().is_some_and(|t| {
                t.problems().iter().any(|p| {
                    p.context == "staging"
                        && p.what
                            .contains("Helm release stuck stuck in pending-upgrade")
                })
            })
        })
        .await;
    assert!(ok, "triage lists the stuck release: {}", h.screen(170, 40));
}

/// Opens the history of `name` on `context` from `:helm`.
async fn history(h: &mut Harness, context: &str, name: &str) {
    h.command("helm");
    h.filter(&format!("{context} {name}"));
    let ok = h
        .pump_until(WAIT, |h| {
            h.app.top_as::<HelmScreen>().is_some_and(|s| {
                s.lines().len() == 1
                    && s.releases()
                        .iter()
                        .any(|r| r.context == context && r.name == name)
            })
        })
        .await;
    assert!(ok, "{name} on {context}: {}", h.screen(170, 20));
    h.action(Action::Enter);
    let ok = h
        .pump_until(WAIT, |h| {
            h.app
                .top_as::<HistoryScreen>()
                .is_some_and(|s| !s.revisions().is_empty())
        })
        .await;
    assert!(ok, "history of {name}: {}", h.screen(170, 20));
}

/// What the part screen `action` opens shows, as text.
async fn part(h: &mut Harness, action: Action) -> String {
    h.action(action);
    let ok = h
        .pump_until(WAIT, |h| h.app.top_as::<TextScreen>().is_some())
        .await;
    assert!(ok, "a part screen: {}", h.screen(170, 20));
    let text = h
        .app
        .top_as::<TextScreen>()
        .map(|t| t.lines.join("\n"))
        .unwrap_or_default();
    h.action(Action::Back);
    text
}

fn yaml_value(text: &str) -> Value {
    if text.trim() == "(no values)" {
        return Value::Object(Default::default());
    }
    serde_saphyr::from_str(text).expect("values shown are YAML")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_and_parts_are_what_helm_get_prints() {
    let Some(tb) = common::testbed() else { return };
    let history_json = tb.helm_ok(
        "staging",
        "secret",
        &["history", "frontend", "-n", "apps", "-o", "json"],
    );
    let want: Vec<Value> = serde_json::from_str(&history_json).expect("helm history json");
    let mut h = Harness::new(&tb.kubeconfig, &ALL);
    history(&mut h, "staging", "frontend").await;
    let got: Vec<(i64, String, String, String, String)> = h
        .app
        .top_as::<HistoryScreen>()
        .expect("history on top")
        .revisions()
        .iter()
        .map(|r| {
            let s = &r.summary;
            (
                s.revision,
                s.status.clone(),
                s.chart_ref(),
                s.app_version.clone(),
                s.description.clone(),
            )
        })
        .collect();
    let mut want: Vec<(i64, String, String, String, String)> = want
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (
                r["revision"].as_i64().unwrap_or(0),
                s("status"),
                s("chart"),
                s("app_version"),
                s("description"),
            )
        })
        .collect();
    want.reverse(); // helm: oldest first; flotilla: newest first
    assert_eq!(got, want);

    // Each revision's parts, from the newest down.
    for (i, rev) in want.iter().map(|w| w.0).enumerate() {
        if i > 0 {
            h.action(Action::Down);
        }
        let r = rev.to_string();
        let get = |what: &[&str]| {
            let mut args = vec!["get"];
            args.extend_from_slice(what);
            args.extend_from_slice(&["frontend", "-n", "apps", "--revision", &r]);
            tb.helm_ok("staging", "secret", &args)
        };
        let values = yaml_value(&part(&mut h, Action::Values).await);
        let helm_values: Value =
            serde_json::from_str(&get(&["values", "-o", "json"])).expect("json");
        let helm_values = if helm_values.is_null() {
            Value::Object(Default::default())
        } else {
            helm_values
        };
        assert_eq!(values, helm_values, "revision {rev}: user values");
        let all = yaml_value(&part(&mut h, Action::AllValues).await);
        let helm_all: Value =
            serde_json::from_str(&get(&["values", "--all", "-o", "json"])).expect("json");
        assert_eq!(all, helm_all, "revision {rev}: computed values");
        let manifest = part(&mut h, Action::Manifest).await;
        assert_eq!(
            manifest.trim(),
            get(&["manifest"]).trim(),
            "revision {rev}: manifest"
        );
        let notes = part(&mut h, Action::Notes).await;
        let helm_notes = get(&["notes"]);
        assert_eq!(
            notes.trim(),
            helm_notes.trim().trim_start_matches("NOTES:").trim(),
            "revision {rev}: notes"
        );
        let hooks = part(&mut h, Action::Hooks).await;
        let helm_hooks = get(&["hooks"]);
        assert_eq!(
            hooks.split_whitespace().collect::<Vec<_>>(),
            helm_hooks.split_whitespace().collect::<Vec<_>>(),
            "revision {rev}: hooks"
        );
    }

    // Revision 1 marked, revision 3 highlighted: the diff of values and manifest.
    h.action(Action::Mark); // on revision 1 (the cursor went down to it)
    h.action(Action::Top);
    h.action(Action::Diff);
    let ok = h
        .pump_until(WAIT, |h| h.app.top_as::<ObjectDiff>().is_some())
        .await;
    assert!(ok, "the revision diff: {}", h.screen(170, 20));
    let screen = h.screen(100, 40);
    assert!(
        screen.contains("revision 1") && screen.contains("revision 3"),
        "{screen}"
    );
    for line in [
        "- replicaCount: 2",
        "+ replicaCount: 3",
        "+ message: patched",
        "-   release: \"1\"",
        "+   release: \"3\"",
    ] {
        assert!(screen.contains(line), "{line:?} in:\n{screen}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_changed_by_helm_shows_without_input() {
    let Some(tb) = common::testbed() else { return };
    let name = format!("live-{}", std::process::id());
    let chart = common::repo_root().join("assets/testbed/charts/frontend");
    let chart = chart.to_str().expect("utf-8 path");
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command("helm");
    tb.helm_ok("dev", "secret", &["install", &name, chart, "-n", "apps"]);
    let shown = |h: &Harness, revision: i64, status: &str| {
        h.app.top_as::<HelmScreen>().is_some_and(|s| {
            s.releases().iter().any(|r| {
                r.name == name && r.newest().revision == revision && r.newest().status == status
            })
        })
    };
    let ok = h.pump_until(WAIT, |h| shown(h, 1, "deployed")).await;
    assert!(ok, "installed: {}", h.screen(170, 20));

    // The manifest's objects, live: in sync as installed; then changed behind Helm's back.
    history(&mut h, "dev", &name).await;
    let objects = async |h: &mut Harness| {
        h.action(Action::Objects);
        let ok = h
            .pump_until(WAIT, |h| {
                let s = h.screen(170, 20);
                s.contains("objects of") && !s.contains(" … ")
            })
            .await;
        let screen = h.screen(170, 20);
        assert!(ok, "objects read: {screen}");
        screen
    };
    let screen = objects(&mut h).await;
    for kind in ["ConfigMap", "Service", "Deployment"] {
        let line = screen
            .lines()
            .find(|l| l.contains(kind))
            .unwrap_or_default();
        assert!(line.contains("in sync"), "{kind}: {screen}");
    }
    h.action(Action::Back);
    tb.kubectl_ok(
        "dev",
        &["-n", "apps", "scale", "deployment", &name, "--replicas=5"],
    );
    tb.kubectl_ok(
        "dev",
        &[
            "-n",
            "apps",
            "delete",
            "configmap",
            &format!("{name}-config"),
        ],
    );
    let screen = objects(&mut h).await;
    let line = |kind: &str| {
        screen
            .lines()
            .find(|l| l.contains(kind))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line("Deployment").contains("drift: 2 lines"), "{screen}");
    assert!(line("ConfigMap").contains("missing"), "{screen}");
    assert!(line("Service").contains("in sync"), "{screen}");
    // The Deployment's drift: the manifest's replicas against the live ones.
    let row = screen
        .lines()
        .skip(3)
        .position(|l| l.contains("Deployment"))
        .unwrap_or(0);
    for _ in 0..row {
        h.action(Action::Down);
    }
    h.action(Action::Diff);
    let diff = h.screen(100, 30);
    let changed = |sign: &str, text: &str| {
        diff.lines()
            .any(|l| l.trim_start_matches('│').starts_with(sign) && l.contains(text))
    };
    assert!(
        changed("-", "replicas: 1") && changed("+", "replicas: 5"),
        "{diff}"
    );
    h.command("helm");
    tb.helm_ok(
        "dev",
        "secret",
        &[
            "upgrade",
            &name,
            chart,
            "-n",
            "apps",
            "--set",
            "replicaCount=2",
        ],
    );
    let ok = h.pump_until(WAIT, |h| shown(h, 2, "deployed")).await;
    assert!(ok, "upgraded: {}", h.screen(170, 20));
    tb.helm_ok("dev", "secret", &["uninstall", &name, "-n", "apps"]);
    let ok = h
        .pump_until(WAIT, |h| {
            h.app
                .top_as::<HelmScreen>()
                .is_some_and(|s| !s.releases().iter().any(|r| r.name == name))
        })
        .await;
    assert!(ok, "uninstalled: {}", h.screen(170, 20));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_context_that_may_not_list_secrets_is_named() {
    let Some(tb) = common::testbed() else { return };
    // The viewer may read pods in shop, nothing else: its releases cannot be seen, and the
    // screen says so instead of showing an empty fleet; the admin context still lists its own.
    let mut h = Harness::new(&tb.viewer_kubeconfig(), &["dev-viewer"]);
    h.command("helm");
    let ok = h
        .pump_until(WAIT, |h| {
            h.screen(170, 12)
                .contains("no releases from dev-viewer: secrets")
        })
        .await;
    assert!(ok, "{}", h.screen(170, 12));
    let screen = h.screen(170, 12);
    assert!(
        screen.contains("forbidden") || screen.contains("Forbidden"),
        "{screen}"
    );
}
