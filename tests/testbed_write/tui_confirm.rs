//! On a protected context every change asks for the context's name, whatever screen issues
//! it: one table of rows, each a way a user starts a change or a session on `dev` (a key or
//! the actions menu on a list, the editor's apply and its "also apply", `:create`,
//! `:members`, `:set-key`, Helm's plan, a restore from an archive, `:velero`, shell, attach,
//! `:exec`, port-forward). Each row is walked up to the confirmation, which must be the typed
//! one (`require == Some("dev")`) and be titled with the op's verb; Esc then declines it, and
//! nothing may have been sent: kubectl finds the test's objects as they were, the audit log
//! holds no record but dry runs, no command ran, no forward listens.
//!
//! Every variant of `Op` is mapped to the rows that issue it (`rows_by_variant!`: no
//! wildcard, so a new variant does not compile here until it has rows, and
//! `every_op_variant_has_a_row` fails until a row of the table issues it).
//!
//! Everything the rows could change lives in a namespace of the test's own on dev (and one
//! of the same name on staging, for "also apply"), a kwok node of its own, and Velero
//! objects and a restored namespace named after it; all are deleted at the end. One harness
//! walks every row, so the whole table costs one connection per cluster.

use crate::common;
use crate::harness;

use age::secrecy::ExposeSecret;
use common::{Scratch, Testbed};
use flotilla::app::Input;
use flotilla::key::{KeyCode, KeyEvent, KeyModifiers};
use flotilla::modal::Modal;
use flotilla::model::Action;
use flotilla::ops::{audit, plan};
use flotilla::protocol::op::{DrainOpts, HelmOp, MetaField, Op, Patch, PatchKind, Propagation};
use flotilla::screens::backups::BackupsScreen;
use flotilla::screens::create::{CreateScreen, MembersScreen, Phase};
use flotilla::screens::editor::EditorScreen;
use flotilla::screens::helm::{HelmScreen, HistoryScreen, PlanScreen};
use flotilla::screens::velero::VeleroScreen;
use harness::Harness;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The protected context every row changes.
const PROTECTED: &str = "dev";
/// Not protected: the edit of "also apply" starts here and goes to dev too.
const OTHER: &str = "staging";
/// How long a step may wait for the servers (a list, a plan, a dry run).
const WAIT: Duration = Duration::from_secs(45);
/// How long the confirmation may take once the last step is done.
const ASK: Duration = Duration::from_secs(20);
/// How long after Esc a request that went out anyway would have reached the server.
const SETTLE: Duration = Duration::from_millis(300);

// ---- the table ------------------------------------------------------------------------------

/// One thing the user does on the way to a confirmation. Text may name this run's objects:
/// `{ns}`, `{node}`, `{release}`, `{marker}`, `{file}`.
enum Step {
    /// A `:` command line.
    Command(&'static str),
    /// The list filtered to the row named so, once it shows it: the selection.
    Select(&'static str),
    /// The `/` filter of a screen that is not a plain list.
    Filter(&'static str),
    Key(KeyCode),
    Ctrl(char),
    Act(Action),
    Type(&'static str),
    /// Empties the focused form field (its value is prefilled, the cursor at its end).
    Clear,
    Paste(&'static str),
    /// The `.` actions menu, and its item whose label holds this.
    Menu(&'static str),
    /// In the in-app editor: the value after `key: ` replaced.
    SetValue(&'static str, &'static str),
    /// Waits (up to `WAIT`) until this holds.
    Until(&'static str, fn(&mut Harness, &Fixture) -> bool),
}

/// A way to issue a change (or open a session) on dev, walked up to its confirmation.
struct Row {
    /// What the user does, in a few words (named in `rows_by_variant!`).
    name: &'static str,
    /// An op of the variant this row makes the app ask about: its verb titles the
    /// confirmation.
    op: fn() -> Op,
    steps: &'static [Step],
}

use Step::*;

fn delete(propagation: Propagation, grace: Option<i64>, force: bool) -> Op {
    Op::Delete {
        propagation,
        grace,
        force,
    }
}

fn session(kind: &'static str) -> Op {
    Op::Session {
        kind,
        detail: String::new(),
    }
}

fn create() -> Op {
    Op::Create {
        objects: Vec::new(),
    }
}

fn apply() -> Op {
    Op::Apply {
        object: Value::Null,
        server_side: false,
        force: false,
    }
}

fn meta(field: MetaField) -> Op {
    Op::Meta {
        field,
        set: Vec::new(),
        remove: Vec::new(),
    }
}

fn helm(op: HelmOp) -> Op {
    Op::Helm {
        op,
        plan: Vec::new(),
    }
}

const DEPLOY: Step = Command("deploy {ns} @dev");
const PODS: Step = Command("pods {ns} @dev");
const CRONJOBS: Step = Command("cronjobs {ns} @dev");
const NODES: Step = Command("nodes @dev");
const ENTER: Step = Key(KeyCode::Enter);
const FORM: Step = Until("a form", |h, _| matches!(top(h), Some(Modal::Form(_))));
const EDITOR: Step = Until("the editor", |h, _| editor(h).is_some());
const REVIEWED: Step = Until("the review", |h, _| {
    !h.lines_with(&["+   revisionHistoryLimit: 5"]).is_empty()
});
const CREATE_READY: Step = Until("the create list", create_ready);
const MEMBERS: Step = Command("members {ns} @dev");
const MEMBERS_LISTED: Step = Until("the bindings", members_listed);
const HELM: Step = Command("helm");
const HELM_LISTED: Step = Until("the release", helm_listed);
const PLANNED: Step = Until("the plan", plan_ready);
const VELERO: Step = Command("velero @dev");
const VELERO_LISTED: Step = Until("velero's lists", velero_settled);

#[rustfmt::skip]
const ROWS: &[Row] = &[
    // A list: its keys and its `.` actions menu.
    Row { name: "ctrl-d on a deployment", op: || delete(Propagation::Background, None, false),
        steps: &[DEPLOY, Select("web"), Ctrl('d')] },
    Row { name: "menu: delete, keep dependents", op: || delete(Propagation::Orphan, None, false),
        steps: &[DEPLOY, Select("web"), Menu("delete, keep dependents")] },
    Row { name: "ctrl-k on a pod", op: || delete(Propagation::Background, Some(0), false),
        steps: &[PODS, Select("solo"), Ctrl('k')] },
    Row { name: "menu: force delete a pod", op: || delete(Propagation::Background, Some(0), true),
        steps: &[PODS, Select("solo"), Menu("force delete")] },
    Row { name: "s: scale a deployment", op: || Op::Scale { replicas: 1 },
        steps: &[DEPLOY, Select("web"), Key(KeyCode::Char('s')), FORM, ENTER] },
    Row { name: "menu: stop", op: || Op::Stop,
        steps: &[DEPLOY, Select("web"), Menu("stop (scale to 0)")] },
    Row { name: "menu: start", op: || Op::Start,
        steps: &[DEPLOY, Select("web"), Menu("start (restore replicas)")] },
    Row { name: "r: restart", op: || Op::Restart,
        steps: &[DEPLOY, Select("web"), Key(KeyCode::Char('r'))] },
    Row { name: "menu: pause", op: || Op::Pause,
        steps: &[DEPLOY, Select("web"), Menu("pause rollout")] },
    Row { name: "menu: resume", op: || Op::Resume,
        steps: &[DEPLOY, Select("web"), Menu("resume rollout")] },
    Row { name: "i: set image", op: || Op::SetImage(Vec::new()),
        steps: &[DEPLOY, Select("web"), Key(KeyCode::Char('i')), FORM, Clear,
            Type("registry.example.com/web:3"), ENTER] },
    Row { name: "menu: labels", op: || meta(MetaField::Labels),
        steps: &[DEPLOY, Select("web"), Menu("labels"), Type("cnf=yes"), ENTER] },
    Row { name: "menu: annotations", op: || meta(MetaField::Annotations),
        steps: &[DEPLOY, Select("web"), Menu("annotations"), Type("cnf=yes"), ENTER] },
    Row { name: "menu: update strategy",
        op: || Op::Strategy { max_surge: None, max_unavailable: None, partition: None },
        steps: &[DEPLOY, Select("web"), Menu("update strategy"), Type("2"), ENTER, ENTER] },
    Row { name: "ctrl-l: roll back on the revisions screen",
        op: || Op::Rollback { revision: 1, patch: Patch { kind: PatchKind::Json, body: Value::Null } },
        steps: &[DEPLOY, Select("web"), Ctrl('l'),
            Until("the revisions", |h, _| {
                !h.lines_with(&["(current)"]).is_empty() && !h.lines_with(&["│1 "]).is_empty()
            }),
            Key(KeyCode::Down), ENTER] },
    Row { name: "menu: autoscale an HPA", op: || Op::Autoscale { min: None, max: 1, cpu_percent: None },
        steps: &[Command("hpa {ns} @dev"), Select("auto"), Menu("min / max"), FORM,
            ENTER, ENTER, ENTER] },
    Row { name: "menu: service ports", op: || Op::SetSpec { field: "ports", value: Value::Null },
        steps: &[Command("svc {ns} @dev"), Select("front"), Menu("ports (form)"), FORM, Clear,
            Type("80:80,81:81"), ENTER] },
    Row { name: "menu: ingress rules", op: || Op::SetSpec { field: "rules", value: Value::Null },
        steps: &[Command("ingress {ns} @dev"), Select("front"), Menu("rules (form)"), FORM, Clear,
            Type("shop.example.com/=front:81"), ENTER] },
    Row { name: "menu: default storage class", op: || Op::DefaultClass { class: None },
        steps: &[Command("sc @dev"), Select("{ns}"), Menu("set / unset as default")] },
    Row { name: "menu: reclaim policy", op: || Op::ReclaimPolicy(String::new()),
        steps: &[Command("pv @dev"), Select("{ns}"), Menu("reclaim policy"), FORM, Clear,
            Type("Retain"), ENTER] },
    Row { name: "menu: expand a claim", op: || Op::Resize(String::new()),
        steps: &[Command("pvc {ns} @dev"), Select("data"), Menu("expand"), FORM, Clear,
            Type("2Gi"), ENTER] },
    Row { name: "c: cordon a node", op: || Op::Cordon,
        steps: &[NODES, Select("{node}"), Key(KeyCode::Char('c'))] },
    Row { name: "u: uncordon a node", op: || Op::Uncordon,
        steps: &[NODES, Select("{node}"), Key(KeyCode::Char('u'))] },
    Row { name: "r: drain a node", op: || Op::Drain(DrainOpts::default()),
        steps: &[NODES, Select("{node}"), Key(KeyCode::Char('r')), FORM, ENTER, ENTER, ENTER, ENTER] },
    Row { name: "menu: taints", op: || Op::Taint { add: Vec::new(), remove: Vec::new() },
        steps: &[NODES, Select("{node}"), Menu("taints"), Type("cnf=yes:NoSchedule"), ENTER] },
    Row { name: "t: trigger a cron job", op: || Op::Trigger,
        steps: &[CRONJOBS, Select("nightly"), Key(KeyCode::Char('t'))] },
    Row { name: "s: suspend a cron job", op: || Op::Suspend(true),
        steps: &[CRONJOBS, Select("nightly"), Key(KeyCode::Char('s'))] },
    Row { name: "s: unsuspend a cron job", op: || Op::Suspend(false),
        steps: &[CRONJOBS, Select("resting"), Key(KeyCode::Char('s'))] },

    // The editor.
    Row { name: "e: edit, ctrl-s, enter in the review", op: apply,
        steps: &[DEPLOY, Select("web"), Key(KeyCode::Char('e')), EDITOR,
            SetValue("revisionHistoryLimit", "5"), Ctrl('s'), REVIEWED, ENTER] },
    Row { name: "e on staging, a: also apply to dev", op: apply,
        steps: &[Command("deploy {ns} @staging"), Select("web"), Key(KeyCode::Char('e')), EDITOR,
            SetValue("revisionHistoryLimit", "5"), Ctrl('s'), REVIEWED,
            Key(KeyCode::Char('a')),
            Until("the other clusters", |h, _| {
                matches!(top(h), Some(Modal::Pick(p)) if p.items == ["dev"])
            }),
            ENTER,
            // dev's image was set by kubectl: the server-side apply conflicts there.
            Until("the conflict on dev", |h, _| {
                matches!(top(h), Some(Modal::Confirm(c)) if c.title.contains("conflicts"))
            }),
            Key(KeyCode::Char('y')),
            Until("the dry run on dev", |h, _| {
                !h.lines_with(&["on dev (server-side apply, forced):", "changed lines"]).is_empty()
            }),
            ENTER] },

    // Creating, members, keys.
    Row { name: ":create cm", op: create,
        steps: &[Command("create cm made -n {ns} a=1 @dev"), CREATE_READY, ENTER] },
    Row { name: "menu: expose a deployment", op: create,
        steps: &[DEPLOY, Select("web"), Menu("expose"), FORM, ENTER, ENTER, ENTER, ENTER, ENTER,
            ENTER, ENTER, CREATE_READY, ENTER] },
    Row { name: ":create deploy (form)", op: create,
        steps: &[Command("create deploy formed -n {ns} @dev"), FORM, ENTER,
            Type("registry.example.com/web:1"), ENTER, ENTER, ENTER, ENTER, ENTER, ENTER, ENTER,
            ENTER, ENTER, ENTER, ENTER,
            Until("the form's object in the editor", |h, _| {
                h.app.top_as::<CreateScreen>().is_some_and(|s| s.phase() == Phase::Editing)
            }),
            Ctrl('s'), CREATE_READY, ENTER] },
    Row { name: ":create -f FILE", op: create,
        steps: &[Command("create -f {file} @dev"), CREATE_READY, ENTER] },
    Row { name: ":create -f - (paste)", op: create,
        steps: &[Command("create -f - -n {ns} @dev"),
            Paste("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pasted\ndata:\n  from: paste\n"),
            Ctrl('s'), CREATE_READY, ENTER] },
    Row { name: ":members, b: bind", op: create,
        steps: &[MEMBERS, MEMBERS_LISTED, Key(KeyCode::Char('b')), FORM,
            ENTER, Type("builder"), ENTER, ENTER] },
    Row { name: ":members, ctrl-d: unbind", op: || delete(Propagation::Background, None, false),
        steps: &[MEMBERS, MEMBERS_LISTED, Ctrl('d')] },
    Row { name: ":set-key", op: apply,
        steps: &[Command("set-key cm cfg a=2 -n {ns} @dev")] },

    // Helm, archives, Velero.
    Row { name: ":helm, ctrl-l: roll back, enter on the plan",
        op: || helm(HelmOp::Rollback { revision: None }),
        steps: &[HELM, Filter("{release}"), HELM_LISTED, Ctrl('l'), PLANNED, ENTER] },
    Row { name: ":helm, history, r: roll back, enter on the plan",
        op: || helm(HelmOp::Rollback { revision: Some(1) }),
        steps: &[HELM, Filter("{release}"), HELM_LISTED, Act(Action::Enter),
            Until("its history", |h, _| {
                h.app.top_as::<HistoryScreen>().is_some_and(|s| s.revisions().len() == 2)
            }),
            Act(Action::Down), Key(KeyCode::Char('r')), PLANNED, ENTER] },
    Row { name: ":helm, ctrl-d: uninstall, enter on the plan",
        op: || helm(HelmOp::Uninstall { keep_history: false }),
        steps: &[HELM, Filter("{release}"), HELM_LISTED, Ctrl('d'),
            Until("uninstall how", |h, _| matches!(top(h), Some(Modal::Pick(_)))),
            ENTER, PLANNED, ENTER] },
    Row { name: ":backups, R: restore, enter on the plan",
        op: || Op::Restore { plan: Default::default(), archive: String::new() },
        steps: &[Command("backups"),
            Until("the archive", |h, fx| {
                h.app.top_as::<BackupsScreen>().is_some() && !h.lines_with(&[" dev ", &fx.ns]).is_empty()
            }),
            Key(KeyCode::Char('R')), FORM, Key(KeyCode::Tab), Type("{ns}={ns}-copy"), ENTER, ENTER,
            Until("the plan", |h, _| h.screen(200, 50).contains("into dev: ")),
            ENTER] },
    Row { name: ":velero, b: create a backup", op: create,
        steps: &[VELERO, VELERO_LISTED, Key(KeyCode::Char('b')), FORM,
            ENTER, Clear, Type("{ns}"), ENTER, Clear, Type("{ns}"), ENTER, ENTER, ENTER, ENTER] },
    Row { name: ":velero, R: restore a backup", op: create,
        steps: &[VELERO, VELERO_LISTED, Filter("daily-shop-20250601020000"), Key(KeyCode::Char('R')),
            FORM, Clear, Type("{ns}"), ENTER, ENTER, ENTER] },
    Row { name: ":velero, t: back a schedule up now", op: create,
        steps: &[VELERO, VELERO_LISTED, Filter("cron daily-shop"), Key(KeyCode::Char('t'))] },

    // Sessions (a shell or attach opened by mistake would end the walk: they come last).
    Row { name: ":exec on a marked pod", op: || session("exec"),
        steps: &[PODS, Select("solo"), Key(KeyCode::Char(' ')), Command("exec touch {marker}")] },
    Row { name: "F: port-forward", op: || session("port-forward"),
        steps: &[PODS, Select("solo"), Key(KeyCode::Char('F')), FORM, ENTER, ENTER, ENTER] },
    Row { name: "s: shell in a pod", op: || session("shell"),
        steps: &[PODS, Select("solo"), Key(KeyCode::Char('s'))] },
    Row { name: "a: attach to a pod", op: || session("attach"),
        steps: &[PODS, Select("solo"), Key(KeyCode::Char('a'))] },
    Row { name: "b: debug container in a pod", op: || session("debug"),
        steps: &[PODS, Select("solo"), Key(KeyCode::Char('b')), FORM, ENTER, ENTER] },
    Row { name: "s: node shell on a node", op: || session("node-shell"),
        steps: &[NODES, Select("{node}"), Key(KeyCode::Char('s'))] },
];

/// Maps each `Op` variant to the rows (by name) that issue it. One arm per variant and no
/// wildcard: a variant added to `Op` does not compile here until it is given its rows, and
/// `every_op_variant_has_a_row` fails until a row of `ROWS` issues it.
macro_rules! rows_by_variant {
    ($($variant:pat => $rows:expr),* $(,)?) => {
        fn rows_of(op: &Op) -> &'static [&'static str] {
            match op {
                $($variant => &$rows,)*
            }
        }

        /// The arms of `rows_of`: one per variant of `Op`.
        const VARIANTS: usize = [$(stringify!($variant)),*].len();
    };
}

rows_by_variant! {
    Op::Delete { .. } => [
        "ctrl-d on a deployment",
        "menu: delete, keep dependents",
        "ctrl-k on a pod",
        "menu: force delete a pod",
        ":members, ctrl-d: unbind",
    ],
    Op::Scale { .. } => ["s: scale a deployment"],
    Op::Stop => ["menu: stop"],
    Op::Start => ["menu: start"],
    Op::Restart => ["r: restart"],
    Op::Pause => ["menu: pause"],
    Op::Resume => ["menu: resume"],
    Op::SetImage(_) => ["i: set image"],
    Op::Meta { .. } => ["menu: labels", "menu: annotations"],
    Op::Cordon => ["c: cordon a node"],
    Op::Uncordon => ["u: uncordon a node"],
    Op::Drain(_) => ["r: drain a node"],
    Op::Taint { .. } => ["menu: taints"],
    Op::Trigger => ["t: trigger a cron job"],
    Op::Suspend(_) => ["s: suspend a cron job", "s: unsuspend a cron job"],
    Op::Rollback { .. } => ["ctrl-l: roll back on the revisions screen"],
    Op::Strategy { .. } => ["menu: update strategy"],
    Op::Autoscale { .. } => ["menu: autoscale an HPA"],
    Op::DefaultClass { .. } => ["menu: default storage class"],
    Op::ReclaimPolicy(_) => ["menu: reclaim policy"],
    Op::SetSpec { .. } => ["menu: service ports", "menu: ingress rules"],
    Op::Resize(_) => ["menu: expand a claim"],
    Op::Apply { .. } => [
        "e: edit, ctrl-s, enter in the review",
        "e on staging, a: also apply to dev",
        ":set-key",
    ],
    Op::Create { .. } => [
        ":create cm",
        "menu: expose a deployment",
        ":create deploy (form)",
        ":create -f FILE",
        ":create -f - (paste)",
        ":members, b: bind",
        ":velero, b: create a backup",
        ":velero, R: restore a backup",
        ":velero, t: back a schedule up now",
    ],
    Op::Helm { .. } => [
        ":helm, ctrl-l: roll back, enter on the plan",
        ":helm, history, r: roll back, enter on the plan",
        ":helm, ctrl-d: uninstall, enter on the plan",
    ],
    Op::Restore { .. } => [":backups, R: restore, enter on the plan"],
    Op::Session { .. } => [
        ":exec on a marked pod",
        "F: port-forward",
        "s: shell in a pod",
        "a: attach to a pod",
        "b: debug container in a pod",
        "s: node shell on a node",
    ],
}

/// Every variant has a row, every row is listed under the variant it issues, and every name
/// listed is a row.
#[test]
fn every_op_variant_has_a_row() {
    common::take_turn();
    let names: HashSet<&str> = ROWS.iter().map(|r| r.name).collect();
    assert_eq!(names.len(), ROWS.len(), "row names are unique");
    let mut variants = HashSet::new();
    for row in ROWS {
        let op = (row.op)();
        let listed = rows_of(&op);
        assert!(
            listed.contains(&row.name),
            "{:?} issues {}, whose rows are {listed:?}",
            row.name,
            plan::verb(&op)
        );
        for name in listed {
            assert!(names.contains(name), "{name:?} is listed but not a row");
        }
        variants.insert(std::mem::discriminant(&op));
    }
    assert_eq!(
        variants.len(),
        VARIANTS,
        "every variant of Op has a row that issues it"
    );
}

// ---- what the rows wait for -----------------------------------------------------------------

fn top(h: &Harness) -> Option<&Modal> {
    h.app.modals().last()
}

fn editor(h: &Harness) -> Option<&EditorScreen> {
    h.app.top_as::<EditorScreen>()
}

fn create_ready(h: &mut Harness, _: &Fixture) -> bool {
    h.app
        .top_as::<CreateScreen>()
        .is_some_and(|s| s.phase() == Phase::Ready)
}

fn members_listed(h: &mut Harness, _: &Fixture) -> bool {
    h.app.top_as::<MembersScreen>().is_some_and(|m| {
        m.listed_all()
            && m.bindings()
                .iter()
                .any(|(name, _, _)| name == "view-sa-keep")
    })
}

fn helm_listed(h: &mut Harness, fx: &Fixture) -> bool {
    h.app
        .top_as::<HelmScreen>()
        .is_some_and(|s| s.lines().len() == 1 && s.releases().iter().any(|r| r.name == fx.release))
}

fn plan_ready(h: &mut Harness, _: &Fixture) -> bool {
    h.app
        .top_as::<PlanScreen>()
        .is_some_and(|p| p.text().first().is_some_and(|l| l.starts_with("<enter>")))
}

fn velero_settled(h: &mut Harness, _: &Fixture) -> bool {
    h.app.top_as::<VeleroScreen>().is_some_and(|s| s.settled())
}

// ---- the test's own objects -----------------------------------------------------------------

/// This run's objects, and what else the test made that the end must remove.
struct Fixture {
    kubeconfig: PathBuf,
    /// The namespace on dev (and on staging) the rows change.
    ns: String,
    /// A kwok node of the test's own on dev.
    node: String,
    /// A Helm release with two revisions in `ns`.
    release: String,
    /// What `:exec` would create, had it run.
    marker: PathBuf,
    /// A YAML file for `:create -f`.
    file: PathBuf,
    /// The backup directory and its age key.
    dir: PathBuf,
}

impl Fixture {
    fn fill(&self, text: &str) -> String {
        text.replace("{ns}", &self.ns)
            .replace("{node}", &self.node)
            .replace("{release}", &self.release)
            .replace("{marker}", &self.marker.to_string_lossy())
            .replace("{file}", &self.file.to_string_lossy())
    }

    fn testbed(&self) -> Testbed {
        Testbed {
            kubeconfig: self.kubeconfig.clone(),
        }
    }

    /// What the servers (and this machine) hold that a row could have changed, by name.
    fn state(&self, h: &Harness) -> BTreeMap<String, Value> {
        const KINDS: &str = "deployments,replicasets,pods,cronjobs,jobs,horizontalpodautoscalers,\
                             configmaps,secrets,rolebindings,services,persistentvolumeclaims,ingresses";
        let velero = flotilla::screens::velero::DEFAULT_NAMESPACE;
        let in_ns = ["get", "-n", &self.ns, KINDS, "-o", "json"];
        // Cluster-scoped, or in Velero's namespace, named after this run.
        let (class, volume) = (
            format!("storageclass/{}", self.ns),
            format!("pv/{}", self.ns),
        );
        let (node, copy, backup, restore) = (
            format!("node/{}", self.node),
            format!("namespace/{}-copy", self.ns),
            format!("backups.velero.io/{}", self.ns),
            format!("restores.velero.io/{}", self.ns),
        );
        let named = [
            "get",
            "-n",
            velero,
            &node,
            &class,
            &volume,
            &copy,
            &backup,
            &restore,
            "--ignore-not-found",
            "-o",
            "json",
        ];
        let scheduled = [
            "get",
            "-n",
            velero,
            "backups",
            "-l",
            "velero.io/schedule-name=daily-shop",
            "-o",
            "name",
        ];
        let calls: [(&str, &[&str]); 4] = [
            (PROTECTED, &in_ns),
            (OTHER, &in_ns),
            (PROTECTED, &named),
            (PROTECTED, &scheduled),
        ];
        let tb = self.testbed();
        // At once: the table walks dozens of rows.
        let [dev, staging, named, scheduled] = std::thread::scope(|s| {
            calls
                .map(|(context, args)| s.spawn(|| tb.kubectl_ok(context, args)))
                .map(|t| t.join().expect("kubectl ran"))
        });
        let mut out = BTreeMap::new();
        for (context, list) in [(PROTECTED, dev), (OTHER, staging)] {
            for item in items(&list) {
                out.insert(format!("{context} {}", key(&item)), without_status(item));
            }
        }
        for item in items(&named) {
            let mut v = without_status(item.clone());
            if item["kind"] == "Node" {
                // What cordon, drain and taints change; the node controller's own
                // `node.kubernetes.io/` taints come and go with kwok's heartbeats.
                let taints: Vec<Value> = item["spec"]["taints"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|t| {
                        !t["key"]
                            .as_str()
                            .unwrap_or("")
                            .starts_with("node.kubernetes.io/")
                    })
                    .cloned()
                    .collect();
                v = json!({"unschedulable": item["spec"]["unschedulable"], "taints": taints});
            }
            out.insert(key(&item), v);
        }
        out.insert("backups of daily-shop".into(), json!(scheduled));
        out.insert("exec marker".into(), json!(self.marker.exists()));
        out.insert("forwards".into(), json!(h.app.shared.forwards.len()));
        out
    }

    /// The state once nothing moves any more (rollouts and the node controller done).
    async fn settled(&self, h: &Harness) -> BTreeMap<String, Value> {
        let start = Instant::now();
        let mut last = self.state(h);
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = self.state(h);
            if now == last {
                return now;
            }
            assert!(
                start.elapsed() < WAIT,
                "the test's objects settle: {:?}",
                changed(&last, &now)
            );
            last = now;
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let tb = self.testbed();
        let velero = flotilla::screens::velero::DEFAULT_NAMESPACE;
        let copy = format!("{}-copy", self.ns);
        for what in [
            ["node", self.node.as_str()],
            ["namespace", copy.as_str()],
            ["storageclass", self.ns.as_str()],
            ["pv", self.ns.as_str()],
            ["backups.velero.io", self.ns.as_str()],
            ["restores.velero.io", self.ns.as_str()],
        ] {
            let args = [
                &["-n", velero, "delete"][..],
                &what[..],
                &["--ignore-not-found", "--wait=false"],
            ]
            .concat();
            let _ = tb.kubectl(PROTECTED, &args);
        }
        let _ = std::fs::remove_file(&self.marker);
        let _ = std::fs::remove_file(&self.file);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn items(list: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(list).expect("kubectl prints JSON");
    v["items"].as_array().cloned().unwrap_or_default()
}

fn key(item: &Value) -> String {
    format!(
        "{} {}",
        item["kind"].as_str().unwrap_or("?"),
        item["metadata"]["name"].as_str().unwrap_or("?")
    )
}

/// The object as a change would show in it: without its status (the controllers' to write)
/// and the bookkeeping every write moves (resourceVersion, managedFields).
fn without_status(mut item: Value) -> Value {
    if let Some(o) = item.as_object_mut() {
        o.remove("status");
    }
    if let Some(m) = item["metadata"].as_object_mut() {
        m.remove("resourceVersion");
        m.remove("managedFields");
    }
    item
}

/// The names whose value differs between two states.
fn changed(a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>) -> Vec<String> {
    a.keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// `kubectl apply` of one object given as JSON.
fn apply_json(tb: &Testbed, context: &str, object: Value) {
    let path = std::env::temp_dir().join(format!(
        "flotilla-cnf-{}-{}.json",
        std::process::id(),
        object["metadata"]["name"].as_str().unwrap_or("object")
    ));
    std::fs::write(&path, object.to_string()).expect("write manifest");
    tb.kubectl_ok(context, &["apply", "-f", &path.to_string_lossy()]);
    let _ = std::fs::remove_file(&path);
}

/// The objects the rows change, on the servers; the archive `:backups` restores is made
/// later, through the app.
fn make_objects(tb: &Testbed, fx: &Fixture) {
    let ns = fx.ns.as_str();
    let dev = |args: &[&str]| tb.kubectl_ok(PROTECTED, &[&["-n", ns][..], args].concat());
    // Two revisions of `web`, for the revisions screen.
    for context in [PROTECTED, OTHER] {
        tb.kubectl_ok(
            context,
            &[
                "-n",
                ns,
                "create",
                "deployment",
                "web",
                "--image=registry.example.com/web:1",
                "--port=80",
            ],
        );
    }
    dev(&[
        "set",
        "image",
        "deployment/web",
        "web=registry.example.com/web:2",
    ]);
    dev(&[
        "run",
        "solo",
        "--image=registry.example.com/app:1",
        "--port=80",
    ]);
    for name in ["nightly", "resting"] {
        dev(&[
            "create",
            "cronjob",
            name,
            "--image=registry.example.com/job:1",
            "--schedule=0 3 1 1 *",
        ]);
    }
    dev(&[
        "patch",
        "cronjob",
        "resting",
        "-p",
        r#"{"spec":{"suspend":true}}"#,
    ]);
    dev(&["create", "configmap", "cfg", "--from-literal=a=1"]);
    dev(&["create", "service", "clusterip", "front", "--tcp=80:80"]);
    dev(&[
        "create",
        "ingress",
        "front",
        "--rule=shop.example.com/=front:80",
    ]);
    dev(&[
        "create",
        "rolebinding",
        "view-sa-keep",
        "--clusterrole=view",
        &format!("--serviceaccount={ns}:keep"),
    ]);
    // Its target does not exist: the autoscaler never scales anything meanwhile.
    apply_json(
        tb,
        PROTECTED,
        json!({
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "auto", "namespace": ns},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "absent"},
                "minReplicas": 1,
                "maxReplicas": 3
            }
        }),
    );
    // A taint of its own and no pool label: nothing seeded lands on it.
    apply_json(
        tb,
        PROTECTED,
        json!({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": fx.node,
                "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                "labels": {"kubernetes.io/hostname": fx.node, "kubernetes.io/os": "linux", "type": "kwok"}
            },
            "spec": {"taints": [{"key": "flotilla.dev/cnf-test", "value": "yes", "effect": "NoSchedule"}]},
            "status": {
                "allocatable": {"cpu": "16", "memory": "64Gi", "pods": "110"},
                "capacity": {"cpu": "16", "memory": "64Gi", "pods": "110"}
            }
        }),
    );
    // A class of its own that allows expansion, and a claim bound to a volume of it.
    apply_json(
        tb,
        PROTECTED,
        json!({
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": ns},
            "provisioner": "flotilla.dev/none",
            "allowVolumeExpansion": true
        }),
    );
    apply_json(
        tb,
        PROTECTED,
        json!({
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": ns},
            "spec": {
                "capacity": {"storage": "1Gi"},
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": ns,
                "claimRef": {"namespace": ns, "name": "data"},
                "hostPath": {"path": "/tmp/flotilla-pv"}
            }
        }),
    );
    apply_json(
        tb,
        PROTECTED,
        json!({
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": ns},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": ns,
                "volumeName": ns,
                "resources": {"requests": {"storage": "1Gi"}}
            }
        }),
    );
    dev(&[
        "wait",
        "--for=jsonpath={.status.phase}=Bound",
        "pvc/data",
        "--timeout=60s",
    ]);
    let chart = common::repo_root().join("assets/testbed/charts/frontend");
    let chart = chart.to_string_lossy();
    for (verb, message) in [("install", "message=one"), ("upgrade", "message=two")] {
        tb.helm_ok(
            PROTECTED,
            "secret",
            &[verb, &fx.release, &chart, "-n", ns, "--set", message],
        );
    }
    std::fs::write(
        &fx.file,
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: imported\n  namespace: {ns}\ndata:\n  from: file\n"
        ),
    )
    .expect("write the import file");
    for (context, what) in [
        (PROTECTED, "deployment/web".to_string()),
        (OTHER, "deployment/web".to_string()),
        (PROTECTED, format!("deployment/{}", fx.release)),
    ] {
        tb.kubectl_ok(
            context,
            &["-n", ns, "rollout", "status", &what, "--timeout=60s"],
        );
    }
}

/// A backup directory and an age key of the run's own, in a config that protects dev.
fn config(dir: &std::path::Path) -> flotilla::config::Config {
    std::fs::create_dir_all(dir).expect("backup dir");
    let id = age::x25519::Identity::generate();
    let key = dir.join("key.txt");
    std::fs::write(&key, format!("{}\n", id.to_string().expose_secret())).expect("age key");
    let mut config = harness::config();
    config.settings.protected_contexts = vec![PROTECTED.into()];
    config.settings.backup.dir = Some(dir.join("shelf"));
    config.settings.backup.recipients = vec![id.to_public().to_string()];
    config.settings.backup.identity_file = Some(key);
    config
}

// ---- walking a row --------------------------------------------------------------------------

fn ctrl(h: &mut Harness, c: char) {
    h.update(Input::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )));
}

fn typed(h: &mut Harness, text: &str) {
    for c in text.chars() {
        h.key(KeyCode::Char(c));
    }
}

fn clear_field(h: &mut Harness) {
    for _ in 0..80 {
        h.key(KeyCode::Backspace);
    }
}

/// A dry run's record (it may have failed: the server refused the object) says so in its
/// change.
fn dry_run(r: &audit::Record) -> bool {
    r.change
        .as_ref()
        .and_then(|c| c.get("dry_run"))
        .and_then(Value::as_bool)
        == Some(true)
}

/// The audit log as written so far (it must be readable: the control change wrote it).
fn audit_log(h: &Harness) -> Vec<audit::Record> {
    audit::read(&h.audit)
        .unwrap_or_else(|e| panic!("the audit log {} reads: {e}", h.audit.display()))
}

async fn until(
    h: &mut Harness,
    fx: &Fixture,
    what: &str,
    done: fn(&mut Harness, &Fixture) -> bool,
) -> Result<(), String> {
    if h.pump_until(WAIT, |h| done(h, fx)).await {
        Ok(())
    } else {
        Err(format!("no {what}:\n{}", h.screen(200, 60)))
    }
}

async fn step(h: &mut Harness, fx: &Fixture, step: &Step) -> Result<(), String> {
    match step {
        Command(cmd) => h.command(&fx.fill(cmd)),
        Select(name) => {
            let name = fx.fill(name);
            h.filter(&name);
            let listed = h
                .pump_until(WAIT, |h| {
                    h.screen(200, 60).lines().any(|l| {
                        l.strip_prefix('│')
                            .is_some_and(|l| l.split_whitespace().any(|w| w == name))
                    })
                })
                .await;
            if !listed {
                return Err(format!("no row {name}:\n{}", h.screen(200, 60)));
            }
            // The filter also lets through rows that merely mention it (a container `web`).
            for _ in 0..20 {
                h.tick();
                let line = harness::selected_line(&h.app, 200, 60).unwrap_or_default();
                let mut cells = line.trim_start_matches('│').split_whitespace();
                let first = cells.next().unwrap_or("");
                if first == name
                    || ([PROTECTED, OTHER].contains(&first) && cells.next() == Some(name.as_str()))
                {
                    return Ok(());
                }
                h.action(Action::Down);
            }
            return Err(format!("{name} is not selected:\n{}", h.screen(200, 60)));
        }
        Filter(text) => h.filter(&fx.fill(text)),
        Key(code) => h.key(*code),
        Ctrl(c) => ctrl(h, *c),
        Act(action) => h.action(action.clone()),
        Type(text) => typed(h, &fx.fill(text)),
        Clear => clear_field(h),
        Paste(text) => h.update(Input::Paste(fx.fill(text))),
        Menu(label) => {
            h.key(KeyCode::Char('.'));
            if !matches!(top(h), Some(Modal::Pick(p)) if p.title.starts_with("Actions")) {
                return Err(format!("no actions menu:\n{}", h.screen(200, 60)));
            }
            typed(h, label);
            h.key(KeyCode::Enter);
        }
        SetValue(field, value) => {
            ctrl(h, 'f');
            typed(h, &format!("{field}: "));
            h.key(KeyCode::Enter);
            h.key(KeyCode::End);
            let line = editor(h)
                .and_then(|e| e.text().lines().nth(e.cursor().0).map(str::to_string))
                .unwrap_or_default();
            let Some((_, old)) = line.split_once(": ") else {
                return Err(format!("no {field} in the editor:\n{}", h.screen(200, 60)));
            };
            for _ in old.chars() {
                h.key(KeyCode::Backspace);
            }
            typed(h, value);
        }
        Until(what, done) => until(h, fx, what, *done).await?,
    }
    Ok(())
}

/// How the confirmation of `op` is titled: its verb (or "open a shell session").
fn title_of(op: &Op) -> String {
    match op {
        Op::Session { kind, .. } => format!("open a {kind} session"),
        op => format!("{} ", plan::verb(op)),
    }
}

/// Walks `row` to its confirmation, checks it asks for dev's name, declines it, and checks
/// that nothing was sent.
async fn walk(
    h: &mut Harness,
    fx: &Fixture,
    row: &Row,
    before: &BTreeMap<String, Value>,
) -> Result<(), String> {
    let records = audit_log(h).len();
    for s in row.steps {
        step(h, fx, s).await?;
    }
    let asked = h
        .pump_until(ASK, |h| matches!(top(h), Some(Modal::Confirm(_))))
        .await;
    let (title, require) = match top(h) {
        Some(Modal::Confirm(c)) if asked => (c.title.clone(), c.require.clone()),
        _ => {
            let screen = h.screen(200, 60);
            return Err(format!(
                "no confirmation{}:\n{screen}",
                sent(h, fx, before, records)
            ));
        }
    };
    let want = title_of(&(row.op)());
    if !title.to_lowercase().starts_with(&want) {
        return Err(format!(
            "the confirmation is {title:?}, not one to {want}:\n{}",
            h.screen(200, 60)
        ));
    }
    if require.as_deref() != Some(PROTECTED) {
        return Err(format!(
            "{title:?} does not ask for {PROTECTED}'s name (require = {require:?}):\n{}",
            h.screen(200, 60)
        ));
    }
    let layers = h.app.modals().count();
    h.key(KeyCode::Esc);
    if h.app.modals().count() != layers - 1 {
        return Err(format!(
            "Esc leaves the confirmation:\n{}",
            h.screen(200, 60)
        ));
    }
    h.pump_until(SETTLE, |_| false).await;
    match sent(h, fx, before, records) {
        none if none.is_empty() => Ok(()),
        sent => Err(format!("declined{sent}")),
    }
}

/// What reached the servers since `before` (the objects kubectl finds changed, a command
/// run, a forward open) and what the audit log holds since its first `records`, other than
/// dry runs; empty when nothing did.
fn sent(h: &Harness, fx: &Fixture, before: &BTreeMap<String, Value>, records: usize) -> String {
    let mut said = String::new();
    let changed = changed(before, &fx.state(h));
    if !changed.is_empty() {
        said.push_str(&format!(", yet changed: {changed:?}"));
    }
    let audited: Vec<String> = audit_log(h)
        .into_iter()
        .skip(records)
        .filter(|r| !dry_run(r))
        .map(|r| audit::describe(&r) + ": " + &r.result)
        .collect();
    if !audited.is_empty() {
        said.push_str(&format!(", yet audited: {audited:?}"));
    }
    said
}

/// Back to the fleet view: layers closed (an edit's changes discarded), screens left,
/// marks cleared.
fn reset(h: &mut Harness) {
    for _ in 0..40 {
        let discard = matches!(top(h), Some(Modal::Confirm(c)) if c.title == "discard changes");
        if discard {
            h.key(KeyCode::Char('y'));
        } else if top(h).is_some() {
            h.key(KeyCode::Esc);
        } else if h.app.depth() > 1 {
            h.action(Action::Back);
        } else {
            break;
        }
    }
    h.app.shared.marks.clear();
}

// ---- the test -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_and_session_on_a_protected_context_asks_for_its_name() {
    let Some(tb) = common::testbed() else { return };
    let pid = std::process::id();
    let tmp = std::env::temp_dir();
    let fx = Fixture {
        kubeconfig: tb.kubeconfig.clone(),
        ns: format!("cnf-{pid}"),
        node: format!("cnf-node-{pid}"),
        release: format!("cnf-{pid}"),
        marker: tmp.join(format!("flotilla-cnf-marker-{pid}")),
        file: tmp.join(format!("flotilla-cnf-import-{pid}.yaml")),
        dir: tmp.join(format!("flotilla-cnf-backups-{pid}")),
    };
    let _dev = Scratch::new(&tb, PROTECTED, fx.ns.clone());
    let _staging = Scratch::new(&tb, OTHER, fx.ns.clone());
    make_objects(&tb, &fx);
    let mut h = Harness::with_config(&tb.kubeconfig, &[PROTECTED, OTHER], config(&fx.dir));
    let connected = h
        .pump_until(WAIT, |h| h.app.store.clusters.iter().all(|s| s.connected))
        .await;
    assert!(connected, "{}", h.header());

    // The archive a restore starts from.
    h.command(&format!("backup {} @dev", fx.ns));
    let backed_up = h
        .pump_until(WAIT, |h| {
            h.screen(200, 50)
                .contains(&format!("backed up dev ({})", fx.ns))
        })
        .await;
    assert!(backed_up, "{}", h.screen(200, 50));
    reset(&mut h);

    // A change confirmed with dev's name goes out and is audited: the oracles below see
    // what a confirmation let through.
    for s in [
        Command("cm {ns} @dev"),
        Select("cfg"),
        Menu("labels"),
        Type("checked=yes"),
        ENTER,
    ] {
        step(&mut h, &fx, &s)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let asks =
        matches!(top(&h), Some(Modal::Confirm(c)) if c.require.as_deref() == Some(PROTECTED));
    assert!(asks, "{}", h.screen(200, 60));
    typed(&mut h, PROTECTED);
    h.key(KeyCode::Enter);
    let labelled = h
        .pump_until(WAIT, |h| {
            h.app
                .flash
                .as_ref()
                .is_some_and(|f| f.text.contains("label done"))
        })
        .await;
    assert!(labelled, "{}", h.screen(200, 60));
    let cm = tb.kubectl_ok(
        PROTECTED,
        &[
            "-n",
            &fx.ns,
            "get",
            "cm",
            "cfg",
            "-o",
            "jsonpath={.metadata.labels.checked}",
        ],
    );
    assert_eq!(cm, "yes");
    let results: Vec<String> = audit_log(&h)
        .iter()
        .filter(|r| r.action == "label")
        .map(|r| r.result.clone())
        .collect();
    assert_eq!(results, ["intent", "ok"], "the control change is audited");
    reset(&mut h);

    let mut before = fx.settled(&h).await;
    let mut failed = Vec::new();
    for row in ROWS {
        let started = Instant::now();
        let result = walk(&mut h, &fx, row, &before).await;
        eprintln!(
            "{:<50} {:>5} ms  {}",
            row.name,
            started.elapsed().as_millis(),
            match &result {
                Ok(()) => "asked for dev, declined, nothing sent".to_string(),
                Err(e) => format!("FAILED: {}", e.lines().next().unwrap_or("")),
            }
        );
        reset(&mut h);
        if let Err(e) = result {
            failed.push(format!("{}: {e}", row.name));
            // What a failed row let through is not the next row's doing.
            before = fx.settled(&h).await;
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
