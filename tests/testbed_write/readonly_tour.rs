//! Read-only mode proven by the apiserver itself. flotilla runs in `--read-only` against the
//! testbed's audited cluster (dev: its kube-apiserver logs every request at Metadata level,
//! `testbed/kwok/audit-policy.yaml`) and is driven through every screen and every action
//! key: edits saved, scale, delete, drain, restart, rollback, Helm rollback and uninstall, a
//! restore from an archive, Velero creates, create and import, members, set-key, exec, shell,
//! attach and port-forward; then the CLI's backup, restore plan and inspection. Afterwards
//! the apiserver's audit log must hold no request of flotilla's that could change a cluster.
//!
//! flotilla's requests are told apart by the kubeconfig the tour gives it: the testbed's
//! admin credentials impersonating a user named for this run (in `system:masters`, so
//! nothing is denied and read-only mode is the only thing holding changes back). Other
//! tests and the cluster's own components use the cluster at the same time; none of them
//! is that user.

use crate::common;
use crate::harness;

use age::secrecy::ExposeSecret;
use common::Testbed;
use flotilla::app::Input;
use flotilla::key::{KeyCode, KeyEvent, KeyModifiers};
use flotilla::modal::Modal;
use flotilla::model::Action;
use flotilla::screens::Catalog;
use flotilla::screens::backups::BackupsScreen;
use flotilla::screens::create::MembersScreen;
use flotilla::screens::editor::EditorScreen;
use flotilla::screens::helm::HelmScreen;
use flotilla::screens::helm::HistoryScreen;
use flotilla::screens::helm::PlanScreen;
use flotilla::screens::revisions::RevisionsScreen;
use flotilla::screens::velero::VeleroScreen;
use harness::Harness;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The cluster whose apiserver writes an audit log (`AUDITED_CLUSTER` in testbed/lib.sh).
const AUDITED: &str = "dev";
const WAIT: Duration = Duration::from_secs(60);

/// Verbs of requests that change what a cluster stores.
const WRITES: [&str; 5] = ["create", "update", "patch", "delete", "deletecollection"];

/// The only writes read-only mode sends, as (API group, resource): reviews the server
/// answers for the caller and stores nothing of — who am I (at connection), may I (the
/// actions menu and every key's permission check), and `:can-i`'s rules. flotilla sends no
/// SubjectAccessReview or LocalSubjectAccessReview (reviews about others, `:access` reads
/// RBAC objects instead), so they are not here: any other POST, however harmless, fails the
/// tour until it is decided on and listed.
const REVIEWS: [(&str, &str); 3] = [
    ("authentication.k8s.io", "selfsubjectreviews"),
    ("authorization.k8s.io", "selfsubjectaccessreviews"),
    ("authorization.k8s.io", "selfsubjectrulesreviews"),
];

/// Subresources that run something in a pod or reach into it: a request to one may change
/// anything, whatever its verb (an exec over WebSocket is a GET).
const SESSIONS: [&str; 4] = ["exec", "attach", "portforward", "proxy"];

// ---- the test's own objects and files --------------------------------------------------------

/// Everything the tour acts on, in a namespace (and a node) of its own, removed at the end.
struct Scratch {
    tb: Testbed,
    ns: String,
    node: String,
    release: String,
    dir: PathBuf,
    /// The namespaces (the release's too: Helm's records are Secrets in it) and the node.
    _cleanup: common::Cleanup,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Scratch {
    fn new(tb: &Testbed) -> Scratch {
        let pid = std::process::id();
        let dir = std::env::temp_dir().join(format!("flotilla-readonly-tour-{pid}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let (ns, node, release) = (
            format!("ro-tour-{pid}"),
            format!("ro-tour-node-{pid}"),
            format!("ro-tour-release-{pid}"),
        );
        let mut cleanup = common::Cleanup::new(tb);
        cleanup.delete(AUDITED, &["node", &node]);
        cleanup.delete(AUDITED, &["namespace", &release]);
        cleanup.namespace(AUDITED, &ns);
        Scratch {
            tb: Testbed {
                kubeconfig: tb.kubeconfig.clone(),
            },
            ns,
            node,
            release,
            dir,
            _cleanup: cleanup,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `kubectl apply` (as the testbed's admin, not flotilla) of objects given as JSON.
    fn apply(&self, objects: &[Value]) {
        let file = self.path("apply.json");
        let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
        std::fs::write(&file, list.to_string()).expect("write manifest");
        self.tb
            .kubectl_ok(AUDITED, &["apply", "-f", &file.to_string_lossy()]);
    }

    /// One object of every kind whose actions differ, each with what its actions need:
    /// workloads with two revisions (something to roll back to), a pod with a port, a node
    /// of the test's own (tainted: nothing else lands on it) with a pod pinned to it, a
    /// CronJob, an HPA, config; and a Helm release with two revisions, in a namespace of
    /// its own named like it (its objects would share names with the others).
    fn populate(&self) {
        let ns = self.ns.as_str();
        let template = |app: &str, image: &str| {
            json!({
                "metadata": {"labels": {"app": app}},
                "spec": {"containers": [{"name": "app", "image": image,
                    "ports": [{"containerPort": 80}]}], "terminationGracePeriodSeconds": 0}
            })
        };
        let workloads = |image: &str| {
            let meta = |name: &str| json!({"name": name, "namespace": ns});
            let selector = |app: &str| json!({"matchLabels": {"app": app}});
            vec![
                json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("web"),
                    "spec": {"replicas": 1, "selector": selector("web"),
                        "template": template("web", image)}}),
                json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta("db"),
                    "spec": {"replicas": 1, "serviceName": "db", "selector": selector("db"),
                        "template": template("db", image)}}),
                json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta("agent"),
                    "spec": {"selector": selector("agent"), "template": template("agent", image)}}),
            ]
        };
        self.apply(&workloads("registry.example.com/app:1"));
        self.apply(&workloads("registry.example.com/app:2"));
        let taint = "flotilla.dev/readonly-tour";
        let mut pinned = template("pinned", "registry.example.com/app:1");
        pinned["spec"]["nodeSelector"] = json!({"kubernetes.io/hostname": self.node});
        pinned["spec"]["tolerations"] = json!([{"key": taint, "operator": "Exists"}]);
        self.apply(&[
            json!({"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": self.node,
                    "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                    "labels": {"kubernetes.io/hostname": self.node, "type": "kwok"}},
                "spec": {"taints": [{"key": taint, "value": "yes", "effect": "NoSchedule"}]},
                "status": {"allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110"},
                    "capacity": {"cpu": "16", "memory": "64Gi", "pods": "110"}}}),
            json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "target", "namespace": ns, "labels": {"app": "target"}},
                "spec": template("target", "registry.example.com/app:1")["spec"]}),
            json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "pinned", "namespace": ns, "labels": {"app": "pinned"}},
                "spec": pinned["spec"]}),
            json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "web", "namespace": ns},
                "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}),
            json!({"apiVersion": "batch/v1", "kind": "CronJob",
                "metadata": {"name": "nightly", "namespace": ns},
                "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {
                    "spec": {"restartPolicy": "Never",
                        "containers": [{"name": "job", "image": "registry.example.com/job:1"}]}}}}}}),
            json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": "web", "namespace": ns},
                "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                    "minReplicas": 1, "maxReplicas": 3}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "settings", "namespace": ns}, "data": {"mode": "live"}}),
            json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "token", "namespace": ns}, "stringData": {"token": "hunter2"}}),
        ]);
        let chart = common::repo_root().join("assets/testbed/charts/frontend");
        let chart = chart.to_string_lossy();
        for message in ["one", "two"] {
            self.tb.helm_ok(
                AUDITED,
                "secret",
                &[
                    "upgrade",
                    "--install",
                    "--create-namespace",
                    &self.release,
                    &chart,
                    "-n",
                    &self.release,
                    "--set",
                    &format!("message={message}"),
                ],
            );
        }
    }

    /// The testbed's kubeconfig reduced to the audited context, impersonating `marker`.
    fn marked_kubeconfig(&self, marker: &str) -> PathBuf {
        let raw = self.tb.kubectl_ok(
            AUDITED,
            &[
                "config",
                "view",
                "--raw",
                "--flatten",
                "--minify",
                "-o",
                "json",
            ],
        );
        let mut config: Value = serde_json::from_str(&raw).expect("kubeconfig as JSON");
        let user = &mut config["users"][0]["user"];
        user["as"] = json!(marker);
        user["as-groups"] = json!(["system:masters"]);
        let path = self.path("kubeconfig");
        std::fs::write(&path, config.to_string()).expect("write kubeconfig");
        path
    }
}

/// The audit log of the audited cluster, its rotated files included, or why there is none.
fn audit_files(tb: &Testbed) -> Result<Vec<PathBuf>, String> {
    let dir = tb
        .kubeconfig
        .with_file_name("clusters")
        .join(AUDITED)
        .join("logs");
    if !dir.join("audit.log").is_file() {
        return Err(format!(
            "{} has no audit log in {} (created before the testbed audited it: testbed/tb down && testbed/tb up)",
            AUDITED,
            dir.display()
        ));
    }
    let files = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("audit") && n.ends_with(".log"))
        })
        .collect();
    Ok(files)
}

/// One request as the apiserver logged it (its stages merged).
#[derive(Debug)]
struct Logged {
    verb: String,
    uri: String,
    group: String,
    resource: String,
    subresource: String,
    user_agents: BTreeSet<String>,
}

/// The requests impersonating `marker`, by audit id.
fn logged_by(files: &[PathBuf], marker: &str) -> BTreeMap<String, Logged> {
    let quoted = format!("\"{marker}\"");
    let mut out: BTreeMap<String, Logged> = BTreeMap::new();
    for f in files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            // The oldest rotated file, dropped since it was listed: older than the tour.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("{}: {e}", f.display()),
        };
        for line in text.lines().filter(|l| l.contains(&quoted)) {
            let e: Value = serde_json::from_str(line).expect("an audit event is JSON");
            if e.pointer("/impersonatedUser/username") != Some(&json!(marker)) {
                continue;
            }
            let s = |p: &str| {
                e.pointer(p)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let entry = out.entry(s("/auditID")).or_insert_with(|| Logged {
                verb: s("/verb"),
                uri: s("/requestURI"),
                group: s("/objectRef/apiGroup"),
                resource: s("/objectRef/resource"),
                subresource: s("/objectRef/subresource"),
                user_agents: BTreeSet::new(),
            });
            entry.user_agents.insert(s("/userAgent"));
        }
    }
    out
}

// ---- driving the app --------------------------------------------------------------------------

/// What read-only mode says when it refuses (`read-only mode: dev accepts no changes…`).
const REFUSAL: &str = "read-only mode";

/// After a step ended some other way (a flash that is not a refusal, nothing open), how
/// long a refusal may still take to come.
const GRACE: Duration = Duration::from_secs(5);

/// What a form needs typed before it asks for a change at all (its other fields, and
/// other forms, are fine as they come).
fn change_for(form: &str) -> &'static str {
    match form.split(" of ").next().unwrap_or("") {
        "Images" => "-tour",
        "Labels" | "Annotations" => "flotilla.dev/tour=yes",
        "Taints" => "flotilla.dev/tour=yes:NoSchedule",
        "Update strategy" => "1",
        _ => "",
    }
}

/// The app in read-only mode, and the steps of the tour: those refused, and those that
/// ended without a refusal (the apiserver's log is checked first, then these).
struct Tour {
    h: Harness,
    refused: Vec<String>,
    missed: Vec<String>,
}

impl Tour {
    fn ctrl(&mut self, c: char) {
        self.h.update(Input::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::CONTROL,
        )));
    }

    fn typed(&mut self, text: &str) {
        for c in text.chars() {
            self.h.key(KeyCode::Char(c));
        }
    }

    fn flash(&self) -> String {
        self.h
            .app
            .flash
            .as_ref()
            .map(|f| f.text.clone())
            .unwrap_or_default()
    }

    fn screen(&mut self) -> String {
        self.h.screen(200, 60)
    }

    /// Before a step: no refusal on show yet, so the one that comes is the step's.
    fn ready(&mut self, step: &str) {
        self.h.app.flash = None;
        let screen = self.screen();
        assert!(
            !screen.contains(REFUSAL),
            "{step}: a refusal is on screen before it starts\n{screen}"
        );
    }

    /// Answers whatever the step opened — a form with a change (`change_for`), a picker
    /// with what it offers, a confirmation with yes (a layer more or less changes nothing)
    /// — until the flash line or the screen says read-only mode refused the change. A step
    /// that ends otherwise is noted as missed.
    async fn until_refused(&mut self, step: &str) {
        let mut filled = BTreeSet::new();
        let mut ended: Option<std::time::Instant> = None;
        let refused = self
            .h
            .pump_until(WAIT, |h| {
                if h.app
                    .flash
                    .as_ref()
                    .is_some_and(|f| f.text.contains(REFUSAL))
                    || h.screen(200, 60).contains(REFUSAL)
                {
                    return true;
                }
                let answer = match h.app.modals().last() {
                    Some(Modal::Confirm(c)) => Some(c.require.clone().unwrap_or_default() + "\n"),
                    // At the end of the field's text, then the change.
                    Some(Modal::Form(f)) if filled.insert(f.title.clone()) => {
                        Some(format!("\u{1}{}\n", change_for(&f.title)))
                    }
                    Some(Modal::Form(_) | Modal::Pick(_) | Modal::Progress(_)) => Some("\n".into()),
                    None => None,
                };
                let Some(answer) = answer else {
                    if h.app.flash.is_some() {
                        let since = *ended.get_or_insert_with(std::time::Instant::now);
                        return since.elapsed() > GRACE;
                    }
                    return false;
                };
                for c in answer.chars() {
                    match c {
                        '\u{1}' => h.key(KeyCode::End),
                        '\n' => h.key(KeyCode::Enter),
                        c => h.key(KeyCode::Char(c)),
                    }
                }
                false
            })
            .await;
        let said = self.flash();
        if refused && (said.contains(REFUSAL) || self.screen().contains(REFUSAL)) {
            self.refused.push(step.to_string());
        } else {
            self.missed.push(format!("{step}: {said}"));
        }
        self.close_layers();
        self.h.app.flash = None;
    }

    /// Closes what a step left open (a form, a finished progress layer).
    fn close_layers(&mut self) {
        for _ in 0..5 {
            if self.h.app.modals().next().is_none() {
                return;
            }
            self.h.key(KeyCode::Esc);
        }
    }

    /// Back down to `depth` screens.
    fn back_to(&mut self, depth: usize) {
        self.close_layers();
        for _ in 0..10 {
            if self.h.app.depth() <= depth {
                return;
            }
            self.h.action(Action::Back);
            // An editor asks before its changes are dropped.
            if let Some(Modal::Confirm(c)) = self.h.app.modals().last()
                && c.title == "discard changes"
            {
                self.h.key(KeyCode::Enter);
            }
            self.close_layers();
        }
    }

    /// Opens `command` filtered to `name` (no other object of the list has it in its
    /// name) and waits until its row is the only one, the cursor on it.
    async fn list(&mut self, command: &str, name: &str) {
        self.h.command(command);
        self.h.filter(name);
        let first = format!("│{name} ");
        let ok = self
            .h
            .pump_until(WAIT, |h| {
                let screen = h.screen(200, 60);
                screen.contains("[1/") && screen.lines().any(|l| l.starts_with(&first))
            })
            .await;
        assert!(ok, ":{command}: {name} listed\n{}", self.screen());
    }

    /// The actions menu (`.`) of the selected row: its entries.
    async fn menu(&mut self) -> Vec<String> {
        self.h.action(Action::Actions);
        let mut items = Vec::new();
        let open = self
            .h
            .pump_until(WAIT, |h| match h.app.modals().last() {
                Some(Modal::Pick(p)) => {
                    items = p.items.clone();
                    true
                }
                _ => false,
            })
            .await;
        assert!(open, "the actions menu\n{}", self.screen());
        items
    }

    /// Every entry of the object's actions menu, picked in turn and carried as far as it
    /// goes; how many there were.
    async fn every_action(&mut self, command: &str, name: &str) -> usize {
        self.list(command, name).await;
        let entries = self.menu().await;
        self.close_layers();
        for (i, entry) in entries.iter().enumerate() {
            self.list(command, name).await;
            let depth = self.h.app.depth();
            let step = format!("{} on :{command} {name}", entry.trim());
            self.ready(&step);
            self.menu().await;
            for _ in 0..i {
                self.h.key(KeyCode::Down);
            }
            self.h.key(KeyCode::Enter);
            if entry.contains("edit YAML") {
                self.edit_and_save(&step).await;
            } else if entry.contains("roll back") {
                self.roll_back(&step).await;
            } else {
                self.until_refused(&step).await;
            }
            self.back_to(depth);
        }
        entries.len()
    }

    /// The editor: a field added under `metadata:`, saved (the server's dry run is what
    /// read-only mode refuses).
    async fn edit_and_save(&mut self, step: &str) {
        let open = self
            .h
            .pump_until(WAIT, |h| h.app.top_as::<EditorScreen>().is_some())
            .await;
        assert!(open, "{step}: the editor opens\n{}", self.screen());
        self.ctrl('f');
        self.typed("metadata:");
        self.h.key(KeyCode::Enter);
        self.h.key(KeyCode::End);
        self.h.key(KeyCode::Enter);
        self.typed("  generateName: tour-");
        self.h.action(Action::Submit);
        self.until_refused(step).await;
    }

    /// The revisions screen: the older revision picked and carried out.
    async fn roll_back(&mut self, step: &str) {
        let two = self
            .h
            .pump_until(WAIT, |h| {
                h.app.top_as::<RevisionsScreen>().is_some() && h.screen(200, 60).contains("\n│1 ")
            })
            .await;
        assert!(two, "{step}: revision 1 listed\n{}", self.screen());
        self.h.action(Action::Bottom);
        self.h.action(Action::Enter);
        self.until_refused(step).await;
    }

    /// The pod's sessions: shell, attach, port-forward, and `:exec` in it (marked); then
    /// port-forwards to a Service and a Deployment.
    async fn sessions(&mut self, scratch: &Scratch) {
        let ns = scratch.ns.as_str();
        self.list(&format!("pods {ns}"), "target").await;
        for (action, step) in [
            (Action::Shell, "shell"),
            (Action::Attach, "attach"),
            (Action::PortForward, "port-forward to a pod"),
        ] {
            self.ready(step);
            self.h.action(action);
            self.until_refused(step).await;
        }
        self.h.action(Action::Mark);
        self.ready(":exec");
        // The testbed's exec runs the command on this machine: a file says whether it ran.
        let ran = scratch.path("exec-ran");
        self.h.command(&format!("exec touch {}", ran.display()));
        self.until_refused(":exec").await;
        assert!(!ran.exists(), "the command ran");
        self.back_to(1);
        self.h.action(Action::ClearMarks);
        assert!(self.h.app.shared.marks.is_empty(), "{}", self.screen());
        for (command, name) in [
            (format!("svc {ns}"), "web"),
            (format!("deploy {ns}"), "web"),
        ] {
            self.list(&command, name).await;
            let step = format!("port-forward to :{command} {name}");
            self.ready(&step);
            self.h.action(Action::PortForward);
            self.until_refused(&step).await;
        }
        assert!(self.h.app.shared.forwards.is_empty(), "no forward started");
    }

    /// `:helm` on the tour's release: ctrl-l rolls back to the revision before, ctrl-d
    /// uninstalls; in its history, rollback to revision 1.
    async fn helm(&mut self, release: &str) {
        self.h.command("helm");
        self.h.filter(release);
        let listed = self
            .h
            .pump_until(WAIT, |h| {
                h.app
                    .top_as::<HelmScreen>()
                    .is_some_and(|s| s.releases().iter().any(|r| r.name == release))
            })
            .await;
        assert!(listed, "{release} listed\n{}", self.screen());
        let depth = self.h.app.depth();
        for (key, step) in [('l', "Helm rollback"), ('d', "Helm uninstall")] {
            self.ready(step);
            self.ctrl(key);
            self.helm_plan(step).await;
            self.back_to(depth);
        }
        self.h.action(Action::Enter);
        let history = self
            .h
            .pump_until(WAIT, |h| {
                h.app
                    .top_as::<HistoryScreen>()
                    .is_some_and(|s| s.revisions().len() == 2)
            })
            .await;
        assert!(history, "its history\n{}", self.screen());
        self.h.action(Action::Down);
        let step = "Helm rollback from the history";
        self.ready(step);
        self.h.action(Action::Rollback);
        self.helm_plan(step).await;
        self.back_to(1);
    }

    /// A Helm plan is the server's dry runs: read-only mode refuses it; a plan that came
    /// anyway is carried out (Enter), to be refused then.
    async fn helm_plan(&mut self, step: &str) {
        let shown = self
            .h
            .pump_until(WAIT, |h| {
                if let Some(Modal::Pick(_) | Modal::Confirm(_)) = h.app.modals().last() {
                    h.key(KeyCode::Enter);
                }
                h.app.top_as::<PlanScreen>().is_some_and(|p| {
                    p.text().first().is_some_and(|l| {
                        l.starts_with("<enter>") || l.starts_with("the plan cannot")
                    })
                })
            })
            .await;
        assert!(shown, "{step}: a plan\n{}", self.screen());
        self.h.action(Action::Enter);
        self.until_refused(step).await;
    }

    /// `:backup` of the namespace (it reads only), then `:backups` R: the plan restoring
    /// it over a ConfigMap changed since, made from reads, and Enter on it.
    async fn restore(&mut self, tb: &Testbed, ns: &str) {
        self.h.command(&format!("backup {ns} @{AUDITED}"));
        let written = self
            .h
            .pump_until(WAIT, |h| {
                h.screen(200, 60).contains(&format!("backed up {AUDITED}"))
            })
            .await;
        assert!(written, "{}", self.screen());
        tb.kubectl_ok(
            AUDITED,
            &[
                "-n",
                ns,
                "patch",
                "configmap",
                "settings",
                "-p",
                r#"{"data":{"mode":"again"}}"#,
            ],
        );
        self.h.action(Action::Restore);
        let form = self
            .h
            .pump_until(WAIT, |h| {
                matches!(h.app.modals().last(), Some(Modal::Form(_)))
            })
            .await;
        assert!(form, "the restore form\n{}", self.screen());
        // Into the same context and namespace; objects that differ: update.
        self.h.key(KeyCode::Enter);
        self.h.key(KeyCode::Enter);
        for _ in "skip".chars() {
            self.h.key(KeyCode::Backspace);
        }
        self.typed("update");
        self.h.key(KeyCode::Enter);
        let planned = self
            .h
            .pump_until(WAIT, |h| {
                h.app.top_as::<BackupsScreen>().is_some()
                    && h.screen(200, 60).contains("no dry run")
            })
            .await;
        let screen = self.screen();
        assert!(planned, "the plan, from reads\n{screen}");
        assert!(
            screen.contains(&format!("update     configmaps {ns}/settings")),
            "{screen}"
        );
        let step = "restore from an archive";
        self.ready(step);
        self.h.action(Action::Enter);
        self.until_refused(step).await;
        self.back_to(1);
    }

    /// `:velero` on the audited cluster's seeded objects: `b` a Backup, `R` a restore of
    /// a Backup, `t` a Schedule's backup now.
    async fn velero(&mut self) {
        self.h.command(&format!("velero @{AUDITED}"));
        let settled = self
            .h
            .pump_until(WAIT, |h| {
                h.app.top_as::<VeleroScreen>().is_some_and(|s| s.settled())
            })
            .await;
        assert!(settled, "{}", self.screen());
        let depth = self.h.app.depth();
        for (filter, key, step) in [
            ("", 'b', "Velero backup"),
            ("backup ", 'R', "Velero restore"),
            ("cron daily-shop", 't', "Velero backup from a schedule"),
        ] {
            self.h.filter(filter);
            self.ready(step);
            self.h.key(KeyCode::Char(key));
            self.until_refused(step).await;
            self.back_to(depth);
        }
        self.back_to(1);
    }

    /// `:create` of a namespace and a ConfigMap, an import, `:set-key`, `:members`.
    async fn create(&mut self, scratch: &Scratch) {
        let ns = scratch.ns.as_str();
        let import = scratch.path("import.yaml");
        std::fs::write(
            &import,
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: imported\n  namespace: {ns}\ndata:\n  a: \"1\"\n"
            ),
        )
        .expect("import file");
        for command in [
            format!("create ns {ns}-new"),
            format!("create cm made -n {ns} a=1"),
            format!("create -f {}", import.display()),
            format!("set-key cm settings mode=set -n {ns}"),
        ] {
            self.ready(&command);
            self.h.command(&command);
            self.until_refused(&command).await;
            self.back_to(1);
        }
        self.h.command(&format!("members {ns} @{AUDITED}"));
        let listed = self
            .h
            .pump_until(WAIT, |h| {
                h.app
                    .top_as::<MembersScreen>()
                    .is_some_and(MembersScreen::listed_all)
            })
            .await;
        assert!(listed, "{}", self.screen());
        let step = "members: bind";
        self.ready(step);
        self.h.key(KeyCode::Char('b'));
        // kind (as offered) → name → role (as offered).
        let form = self
            .h
            .pump_until(WAIT, |h| h.app.modals().next().is_some())
            .await;
        assert!(form, "the members form\n{}", self.screen());
        self.h.key(KeyCode::Enter);
        self.typed("builder");
        self.until_refused(step).await;
        self.back_to(1);
    }
}

// ---- the tour -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_mode_sends_no_write_the_apiserver_sees() {
    let Some(tb) = common::testbed() else { return };
    if let Err(why) = audit_files(&tb) {
        return common::skip_unless_required(why);
    }
    let scratch = Scratch::new(&tb);
    scratch.populate();
    let ns = scratch.ns.clone();
    let marker = format!(
        "flotilla-readonly-tour-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    let kubeconfig = scratch.marked_kubeconfig(&marker);

    // The CLI: a backup (reads only); the plans restoring it over a ConfigMap changed
    // since (an update) and into a new namespace (creates), made from reads; the restore
    // itself, refused; an inspection.
    let archive = scratch.path("tour.tar.gz");
    let archive = archive.to_string_lossy();
    let cli = |args: &[&str]| cli(&scratch, &kubeconfig, args);
    let out = cli(&[
        "backup",
        "create",
        "--context",
        AUDITED,
        "-n",
        &ns,
        "--no-encrypt-secrets",
        "-o",
        &archive,
    ]);
    succeeded(&out);
    tb.kubectl_ok(
        AUDITED,
        &[
            "-n",
            &ns,
            "patch",
            "configmap",
            "settings",
            "-p",
            r#"{"data":{"mode":"changed"}}"#,
        ],
    );
    let restore = ["backup", "restore", &archive, "--context", AUDITED];
    let plan = succeeded(&cli(&[
        &restore[..],
        &["--existing", "update", "--dry-run"],
    ]
    .concat()));
    assert!(
        plan.lines()
            .any(|l| l.contains("update") && l.contains(&format!("configmaps {ns}/settings"))),
        "{plan}"
    );
    assert!(
        plan.contains("+   mode: live") && plan.contains("no dry run"),
        "{plan}"
    );
    let map = format!("{ns}={ns}-copy");
    let copy = succeeded(&cli(&[
        &restore[..],
        &["--namespace-map", &map, "--dry-run"],
    ]
    .concat()));
    assert!(
        copy.contains(&format!("create     namespaces {ns}-copy")),
        "{copy}"
    );
    let refused = cli(&[&restore[..], &["-y"]].concat());
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains(REFUSAL),
        "{refused:?}"
    );
    succeeded(&cli(&["inspect", "--context", AUDITED, "--format", "json"]));

    // The TUI, in --read-only.
    let mut config = harness::config();
    config.settings.backup.dir = Some(scratch.path("shelf"));
    // The namespace holds a Secret: a backup seals it, a restore plan opens it.
    let key = age::x25519::Identity::generate();
    let key_file = scratch.path("key.txt");
    std::fs::write(&key_file, format!("{}\n", key.to_string().expose_secret())).expect("key");
    config.settings.backup.recipients = vec![key.to_public().to_string()];
    config.settings.backup.identity_file = Some(key_file);
    let mut h = Harness::with_config(&kubeconfig, &[AUDITED], config);
    h.app.policy.make_read_only();
    let connected = h
        .pump_until(WAIT, |h| {
            h.app
                .store
                .clusters
                .iter()
                .all(|s| s.connected && !s.resources.is_empty())
        })
        .await;
    assert!(connected, "{}", h.header());
    assert!(h.header().contains("READ-ONLY"), "{}", h.header());
    let mut tour = Tour {
        h,
        refused: Vec::new(),
        missed: Vec::new(),
    };

    // Every screen a command opens, with the tour's namespace where it takes one.
    for c in Catalog::default().commands() {
        tour.h.command(&format!("{} {ns}", c.names[0]));
        tour.h.pump_until(Duration::from_secs(2), |_| false).await;
        tour.back_to(1);
    }
    // :can-i posts the one review a screen may ask for; its answer is on screen.
    tour.h.command(&format!("can-i {ns}"));
    let answered = tour
        .h
        .pump_until(WAIT, |h| {
            let s = h.screen(200, 60);
            s.contains(&format!("{AUDITED} as {marker}"))
                && !s.contains("(asking…)")
                && !s.contains("(error")
                && !s.contains("No rules.")
        })
        .await;
    assert!(answered, ":can-i answered\n{}", tour.screen());
    tour.back_to(1);
    // Every entry of every kind's actions menu.
    let mut actions = 0;
    for (command, name) in [
        (format!("deploy {ns}"), "web"),
        (format!("sts {ns}"), "db"),
        (format!("ds {ns}"), "agent"),
        (format!("cronjob {ns}"), "nightly"),
        (format!("hpa {ns}"), "web"),
        (format!("pods {ns}"), "target"),
        (format!("svc {ns}"), "web"),
        (format!("cm {ns}"), "settings"),
        (format!("secret {ns}"), "token"),
        ("nodes".to_string(), scratch.node.as_str()),
    ] {
        actions += tour.every_action(&command, name).await;
    }
    // Several objects at once: marked on two lists, scaled as one batch.
    tour.list(&format!("deploy {ns}"), "web").await;
    tour.h.action(Action::Mark);
    tour.list(&format!("sts {ns}"), "db").await;
    tour.h.action(Action::Mark);
    assert_eq!(tour.h.app.shared.marks.len(), 2, "{}", tour.screen());
    tour.ready("scale of two marked workloads");
    tour.h.action(Action::Scale);
    tour.until_refused("scale of two marked workloads").await;
    tour.h.action(Action::ClearMarks);
    tour.sessions(&scratch).await;
    tour.helm(&scratch.release).await;
    tour.restore(&tb, &ns).await;
    tour.velero().await;
    tour.create(&scratch).await;
    let Tour {
        h, refused, missed, ..
    } = tour;
    drop(h);
    // What was under way when the app went (a one-off fetch) reaches the server meanwhile.
    tokio::time::sleep(Duration::from_secs(2)).await;

    // The apiserver's word: what came from flotilla, and that none of it was a write.
    let files = audit_files(&tb).expect("the audit log");
    let logged = logged_by(&files, &marker);
    let mut by_verb: BTreeMap<&str, usize> = BTreeMap::new();
    let mut reviews: BTreeMap<&str, usize> = BTreeMap::new();
    let mut violations = Vec::new();
    let mut strangers = Vec::new();
    for r in logged.values() {
        *by_verb.entry(r.verb.as_str()).or_default() += 1;
        let review = REVIEWS.contains(&(r.group.as_str(), r.resource.as_str()));
        if review && r.verb == "create" {
            *reviews.entry(r.resource.as_str()).or_default() += 1;
        } else if WRITES.contains(&r.verb.as_str()) || SESSIONS.contains(&r.subresource.as_str()) {
            violations.push(format!("{} {}", r.verb, r.uri));
        }
        if r.user_agents.iter().any(|a| a != flotilla::USER_AGENT) {
            strangers.push(format!("{:?} {} {}", r.user_agents, r.verb, r.uri));
        }
    }
    println!(
        "read-only tour: {} steps refused ({actions} from actions menus): {}",
        refused.len(),
        refused.join("; ")
    );
    println!(
        "read-only tour: flotilla sent {} requests to {AUDITED}, by verb {by_verb:?}, of them reviews {reviews:?}",
        logged.len()
    );
    assert!(
        violations.is_empty(),
        "read-only mode sent {} requests that could change the cluster:\n{}",
        violations.len(),
        violations.join("\n")
    );
    assert!(
        strangers.is_empty(),
        "every request says it is {}:\n{}",
        flotilla::USER_AGENT,
        strangers.join("\n")
    );
    assert!(
        missed.is_empty(),
        "steps read-only mode did not refuse:\n{}",
        missed.join("\n")
    );
    // The log saw the tour: its reads, and every kind of review.
    for verb in ["get", "list", "watch"] {
        assert!(
            by_verb.get(verb).is_some_and(|n| *n > 0),
            "{verb}: {by_verb:?}"
        );
    }
    for (_, resource) in REVIEWS {
        assert!(reviews.contains_key(resource), "{resource}: {reviews:?}");
    }
    assert!(actions > 50, "{actions} menu actions");
}

// ---- the CLI --------------------------------------------------------------------------------

/// `flotilla --read-only` with the tour's kubeconfig, config and state of its own.
fn cli(scratch: &Scratch, kubeconfig: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_flotilla"))
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--read-only")
        .args(args)
        .env("FLOTILLA_CONFIG_DIR", &scratch.dir)
        .env("XDG_STATE_HOME", &scratch.dir)
        .env("FLOTILLA_AUDIT_LOG", scratch.path("audit.jsonl"))
        .env_remove("KUBECONFIG")
        .output()
        .expect("run flotilla")
}

/// Its stdout, once it is known to have succeeded.
fn succeeded(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "flotilla failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
