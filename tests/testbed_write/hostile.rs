//! Hostile text where a cluster, an archive, a webhook or a file can put it — OSC 0/2 window
//! titles, an OSC 52 clipboard write, an OSC 8 link, DCS, CSI private modes (`?1049l`,
//! `?1000h`), 8-bit C1 CSI, bidi overrides and isolates, zero-width characters — and every
//! screen and CLI command that shows it, each asserted free of raw control characters (C0 but
//! the line break, DEL, C1), bidi controls and zero-width characters. Every check first finds
//! the planted text's visible marker (`HOSTILE-<place>`), so a sink that shows nothing cannot
//! pass; each sink checked is named on stderr (`clean: <sink>`).
//!
//! Planted by the tests, in namespaces of their own on dev: annotations, ConfigMap data, a
//! pod's status reason (the STATUS column), an image name, an Event, log lines (the testbed's
//! container `hostile`), a Helm release's values, notes and description, an archive whose
//! manifest and file name are hostile, a webhook's name in config.toml and its answer, the
//! names of a kubeconfig file and an audit log. The denials come from the testbed's admission
//! webhook (testbed/helper.py), which answers for namespaces labelled
//! `flotilla.dev/hostile-webhook=on` only.
//!
//! In the TUI, ratatui drops control characters (ESC, BEL, C1) when it fills a cell, so there a
//! missing sanitize shows as bidi and zero-width characters; the CLI writes bytes as they are,
//! so there every class shows.

use crate::common;
use crate::harness;

use common::Testbed;
use flotilla::backup::archive::{self, Stored};
use flotilla::backup::keys::Sealing;
use flotilla::backup::{Manifest, Source};
use flotilla::key::KeyCode;
use flotilla::modal::Modal;
use flotilla::model::Action;
use harness::Harness;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_flotilla");
const CONTEXT: &str = "dev";
const WAIT: Duration = Duration::from_secs(60);
/// The label the testbed's webhook looks at: `on` on a namespace, `deny` or
/// `deny-unless-dry-run` on a ConfigMap.
const LABEL: &str = "flotilla.dev/hostile-webhook";
/// What the webhook's denials start with (testbed/helper.py).
const DENIED: &str = "HOSTILE-WEBHOOK";

/// Every way text can try to drive a terminal or hide what it says (as testbed/hostile.py).
/// It starts with a zero-width non-joiner and joiner, which join the marker's last letter: a
/// renderer that drops lone invisible characters (ratatui's paragraphs do) still draws those,
/// and a column or a layer cut after the marker still shows them.
const CORPUS: &str = concat!(
    "\u{200C}\u{200D} ",                 // zero-width non-joiner and joiner
    "\u{202E}txet\u{202C}",              // bidi override
    "\u{2066}\u{2067}\u{2068}i\u{2069}", // bidi isolates
    "z\u{200B}w\u{FEFF}",                // zero-width space, BOM
    "\u{9b}2J",                          // 8-bit C1 CSI
    "\r\u{8}\u{7f}",                     // carriage return, BS, DEL
    "\u{1b}]0;HOSTILE-TITLE\u{7}",       // OSC 0, BEL-terminated
    "\u{1b}]2;HOSTILE-TITLE\u{1b}\\",    // OSC 2, ST-terminated
    "\u{1b}]52;c;aG9zdGlsZQ==\u{7}",     // OSC 52: clipboard
    "\u{1b}]8;;https://evil.example/\u{1b}\\link\u{1b}]8;;\u{1b}\\", // OSC 8: hyperlink
    "\u{1b}P1$qm\u{1b}\\",               // DCS
    "\u{1b}[?1049l\u{1b}[?1000h",        // CSI private modes
);

/// What a file name can hold of it (no `/`).
const NAME_CORPUS: &str =
    "\u{200C}\u{200D} \u{202E}txet\u{200B}\u{1b}]0;HOSTILE-TITLE\u{7}\u{1b}[?1049l\u{9b}2J";

/// The planted text for one place: its visible marker, then the corpus.
fn hostile(place: &str) -> String {
    format!("{}{CORPUS}", marker(place))
}

/// A hostile file name for one place, ending in `extension`.
fn hostile_name(place: &str, extension: &str) -> String {
    format!("{}{NAME_CORPUS}{extension}", marker(place))
}

fn marker(place: &str) -> String {
    format!("HOSTILE-{place}")
}

/// What must not reach a terminal raw.
fn forbidden(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c,
            '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}')
}

/// Asserts `shown` (a frame, a command's output) holds every marker and no forbidden
/// character.
fn assert_clean(sink: &str, shown: &str, markers: &[&str]) {
    for m in markers {
        assert!(shown.contains(m), "{sink}: {m} is shown:\n{shown}");
    }
    let raw: Vec<String> = shown
        .chars()
        .filter(|&c| forbidden(c))
        .map(|c| format!("U+{:04X}", u32::from(c)))
        .collect();
    assert!(
        raw.is_empty(),
        "{sink}: {raw:?} reach the terminal raw:\n{}",
        shown.escape_debug()
    );
    eprintln!("clean: {sink}");
}

/// A command's stdout and stderr: valid UTF-8 (no stray 8-bit C1 byte), then as for frames.
fn assert_clean_output(sink: &str, out: &Output, stdout: &[&str], stderr: &[&str]) {
    for (stream, bytes, markers) in [
        ("stdout", &out.stdout, stdout),
        ("stderr", &out.stderr, stderr),
    ] {
        let text = std::str::from_utf8(bytes)
            .unwrap_or_else(|e| panic!("{sink} {stream} is not UTF-8 ({e}): {bytes:?}"));
        // A stream meant to say nothing planted must show none either.
        let named = if markers.is_empty() {
            format!("{sink} ({stream}, nothing planted)")
        } else {
            format!("{sink} ({stream})")
        };
        assert_clean(&named, text, markers);
    }
}

// ---- the clusters ---------------------------------------------------------------------------

fn unique(test: &str) -> String {
    format!("hostile-{test}-{}", std::process::id())
}

/// Namespaces, nodes and scratch directories of a test, removed (namespaces waited for) when
/// it ends.
struct Planted {
    /// The namespaces and nodes made on the cluster, deleted and waited for at the end.
    cleanup: common::Cleanup,
    dirs: Vec<PathBuf>,
}

impl Planted {
    fn new(tb: &Testbed) -> Self {
        Planted {
            cleanup: common::Cleanup::new(tb),
            dirs: Vec::new(),
        }
    }

    /// A new directory of the test's own under the temp dir.
    fn dir(&mut self, name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("flotilla-hostile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        self.dirs.push(dir.clone());
        dir
    }

    fn namespace(&mut self, ns: &str) {
        self.cleanup.namespace(CONTEXT, ns);
    }

    /// A node made by the test, deleted at the end.
    fn node(&mut self, node: &str) {
        self.cleanup.delete(CONTEXT, &["node", node]);
    }
}

impl Drop for Planted {
    fn drop(&mut self) {
        for d in &self.dirs {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// The webhook is part of the seed; a testbed seeded before it would deny nothing.
fn webhook_registered(tb: &Testbed) {
    let out = tb.kubectl(
        CONTEXT,
        &[
            "get",
            "validatingwebhookconfiguration",
            "flotilla-testbed-hostile",
        ],
    );
    assert!(
        out.status.success(),
        "the testbed's hostile webhook is not registered (a testbed from before it: \
         testbed/tb down && testbed/tb up): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `kubectl <verb> -f` of one object given as JSON.
fn kubectl_file(tb: &Testbed, verb: &str, object: &Value) {
    let path = std::env::temp_dir().join(format!(
        "flotilla-hostile-{}-{}.json",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::write(&path, object.to_string()).expect("write manifest");
    let out = tb.kubectl(CONTEXT, &[verb, "-f", &path.to_string_lossy()]);
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "kubectl {verb} {object}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The webhook answers for this namespace from now on.
fn guarded(tb: &Testbed, ns: &str) {
    tb.kubectl_ok(CONTEXT, &["label", "namespace", ns, &format!("{LABEL}=on")]);
}

fn config_map(ns: &str, name: &str, label: Option<&str>, note: &str) -> Value {
    let mut cm = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, "annotations": {"flotilla.dev/note": note}},
        "data": {"note": note}
    });
    if let Some(l) = label {
        cm["metadata"]["labels"] = json!({ LABEL: l });
    }
    cm
}

/// Waits until the pod runs; its uid.
async fn running(tb: &Testbed, ns: &str, pod: &str) -> String {
    common::eventually(WAIT, &format!("{ns}/{pod} running"), || {
        let out = tb.kubectl(
            CONTEXT,
            &[
                "get",
                "pod",
                pod,
                "-n",
                ns,
                "-o",
                "jsonpath={.status.phase} {.metadata.uid}",
            ],
        );
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        async move {
            text.strip_prefix("Running ")
                .map(str::to_string)
                .filter(|uid| !uid.is_empty())
        }
    })
    .await
}

// ---- the TUI --------------------------------------------------------------------------------

/// A harness whose `:audit` reads the log its changes are recorded in.
fn harness(tb: &Testbed, config: flotilla::config::Config) -> Harness {
    let mut h = Harness::with_config(&tb.kubeconfig, &[CONTEXT], config);
    h.app.config.settings.audit_log = Some(h.audit.clone());
    h
}

/// Wide enough that a long result line (a drain's, with a server's message) shows whole.
fn frame(h: &mut Harness) -> String {
    h.screen(320, 60)
}

/// Waits until a row of the list (not its title, which shows the filter) holds every word;
/// the frame.
async fn row(h: &mut Harness, sink: &str, words: &[&str]) -> String {
    let has_row = |f: &str| {
        f.lines()
            .filter(|l| l.starts_with('│'))
            .any(|l| words.iter().all(|w| l.contains(w)))
    };
    let ok = h.pump_until(WAIT, |h| has_row(&frame(h))).await;
    let f = frame(h);
    assert!(ok, "{sink}: a row with {words:?}:\n{f}");
    f
}

/// Waits until the frame shows every marker, then asserts it clean.
async fn shown(h: &mut Harness, sink: &str, markers: &[&str]) -> String {
    let ok = h
        .pump_until(WAIT, |h| {
            let f = frame(h);
            markers.iter().all(|m| f.contains(m))
        })
        .await;
    let f = frame(h);
    assert!(ok, "{sink}: {markers:?} shown:\n{f}");
    assert_clean(sink, &f, markers);
    f
}

fn typed(h: &mut Harness, text: &str) {
    for c in text.chars() {
        h.key(KeyCode::Char(c));
    }
}

fn top_modal(h: &Harness) -> Option<&Modal> {
    h.app.modals().last()
}

/// Asserts a form titled `title` is on top and takes its defaults (`fields` Enters).
fn form_defaults(h: &mut Harness, title: &str, fields: usize) {
    let ok = matches!(top_modal(h), Some(Modal::Form(f)) if f.title.contains(title));
    assert!(ok, "a form {title:?} is open:\n{}", frame(h));
    for _ in 0..fields {
        h.key(KeyCode::Enter);
    }
}

fn confirm(h: &mut Harness, title: &str) {
    let ok = matches!(top_modal(h), Some(Modal::Confirm(c)) if c.title.contains(title));
    assert!(ok, "a confirmation {title:?} is open:\n{}", frame(h));
    h.app.flash = None;
    h.key(KeyCode::Enter);
}

/// The newest audit record of `action`: the server's message it stores (its error, and the
/// reasons in its change) was cleaned on arrival, as anything that reads the log later
/// (`jq`, a pager) would print it.
fn stored_record_clean(h: &Harness, action: &str) {
    let records = flotilla::ops::audit::read(&h.audit).expect("the audit log reads");
    let r = records
        .iter()
        .rev()
        .find(|r| r.action == action)
        .unwrap_or_else(|| panic!("a {action} record: {records:#?}"));
    let stored = format!(
        "{}\n{}",
        r.error.as_deref().unwrap_or(""),
        r.change.as_ref().map(Value::to_string).unwrap_or_default()
    );
    assert_clean(&format!("stored {action} record"), &stored, &[DENIED]);
}

/// Opens `:audit` and the newest record's details.
async fn audit_details(h: &mut Harness, sink: &str, markers: &[&str]) {
    h.command("audit");
    h.action(Action::Top);
    h.action(Action::Enter);
    shown(h, sink, markers).await;
    h.action(Action::Back);
}

// ---- the CLI --------------------------------------------------------------------------------

/// The flotilla binary with a config, state and audit log of the test's own.
fn flotilla(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.env("FLOTILLA_CONFIG_DIR", dir)
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("FLOTILLA_AUDIT_LOG", dir.join("audit.jsonl"))
        .stdin(Stdio::null());
    c
}

fn run(sink: &str, cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run flotilla");
    eprintln!(
        "{sink}: exit {:?}, {} + {} bytes",
        out.status.code(),
        out.stdout.len(),
        out.stderr.len()
    );
    out
}

// ---- the tests ------------------------------------------------------------------------------

/// A pod, a ConfigMap and an Event full of hostile text: the pods list, describe, logs,
/// events, triage, YAML, a change the webhook denies (flash) and its `:audit` record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_text_is_clean_on_every_screen() {
    let Some(tb) = common::testbed() else { return };
    webhook_registered(&tb);
    let ns = unique("screens");
    let mut planted = Planted::new(&tb);
    planted.namespace(&ns);
    kubectl_file(
        &tb,
        "apply",
        &config_map(&ns, "hostile-cm", Some("deny"), &hostile("annotation")),
    );
    kubectl_file(
        &tb,
        "apply",
        &json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "hostile-pod",
                "namespace": ns,
                "annotations": {"flotilla.dev/note": hostile("pod-annotation")}
            },
            "spec": {
                "containers": [{"name": "hostile", "image": "registry.example.com/hostile:1"}],
                "terminationGracePeriodSeconds": 0
            }
        }),
    );
    guarded(&tb, &ns);
    let uid = running(&tb, &ns, "hostile-pod").await;
    // The STATUS column is the server's: status.reason when a pod has one.
    let reason = json!({"status": {"reason": hostile("reason")}}).to_string();
    tb.kubectl_ok(
        CONTEXT,
        &[
            "patch",
            "pod",
            "hostile-pod",
            "-n",
            &ns,
            "--subresource=status",
            "--type=merge",
            "-p",
            &reason,
        ],
    );
    let now = jiff::Timestamp::now().to_string();
    kubectl_file(
        &tb,
        "create",
        &json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "hostile-event", "namespace": ns},
            "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": "hostile-pod", "namespace": ns, "uid": uid},
            "type": "Warning",
            "reason": "HostileReason",
            "message": hostile("event"),
            "count": 1,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "source": {"component": "hostile-test"}
        }),
    );

    let mut h = harness(&tb, harness::config());
    h.command(&format!("pods {ns}"));
    let list = row(&mut h, "pods list", &["hostile-pod", "HOSTILE-reason"]).await;
    assert_clean("pods list (STATUS)", &list, &["HOSTILE-reason"]);
    h.action(Action::Describe);
    shown(
        &mut h,
        "describe pod (annotation, status, event)",
        &["HOSTILE-pod-annotation", "HOSTILE-reason", "HOSTILE-event"],
    )
    .await;
    h.action(Action::Back);
    h.action(Action::Yaml);
    shown(
        &mut h,
        "YAML of the pod (annotation)",
        &["HOSTILE-pod-annotation"],
    )
    .await;
    h.action(Action::Back);
    h.action(Action::Logs);
    shown(&mut h, "logs", &["HOSTILE-LOG", "HOSTILE-LOG-ERR"]).await;
    h.action(Action::Back);

    h.command("events");
    h.filter(&ns);
    shown(&mut h, ":events (list and message)", &["HOSTILE-event"]).await;
    h.command("triage");
    h.filter(&ns);
    shown(&mut h, ":triage (Warning event)", &["HOSTILE-event"]).await;

    h.command(&format!("cm {ns}"));
    h.filter("hostile-cm");
    row(&mut h, "configmaps list", &["hostile-cm"]).await;
    h.action(Action::Describe);
    shown(
        &mut h,
        "describe configmap (annotation, data)",
        &["HOSTILE-annotation"],
    )
    .await;
    h.action(Action::Back);
    h.action(Action::Yaml);
    shown(
        &mut h,
        "YAML of the configmap (annotation, data)",
        &["HOSTILE-annotation"],
    )
    .await;
    h.action(Action::Back);

    // A change the webhook denies: its message in the result line and the audit record.
    h.action(Action::Annotations);
    let ok = matches!(top_modal(&h), Some(Modal::Form(f)) if f.title.contains("Annotations of configmap/hostile-cm"));
    assert!(ok, "the annotations form:\n{}", frame(&mut h));
    typed(&mut h, "extra=1");
    h.key(KeyCode::Enter);
    confirm(&mut h, "Annotate configmap/hostile-cm?");
    shown(&mut h, "change result (flash)", &[DENIED]).await;
    audit_details(&mut h, ":audit record of the denied change", &[DENIED]).await;
    stored_record_clean(&h, "annotate");
    drop(planted);
}

/// A release whose values, notes and description are hostile: `:helm`, its history, the
/// values, notes and manifest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm_values_notes_and_history_are_clean() {
    let Some(tb) = common::testbed() else { return };
    let ns = unique("helm");
    let mut planted = Planted::new(&tb);
    planted.namespace(&ns);
    let chart = planted.dir("chart");
    std::fs::create_dir_all(chart.join("templates")).expect("chart dir");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: hostile\nversion: 0.1.0\nappVersion: \"1.0\"\n",
    )
    .expect("Chart.yaml");
    std::fs::write(chart.join("templates/NOTES.txt"), "{{ .Values.note }}\n").expect("NOTES");
    std::fs::write(
        chart.join("templates/configmap.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hostile-chart\ndata:\n  note: {{ .Values.note | quote }}\n",
    )
    .expect("configmap template");
    // Helm's YAML reader takes no raw control character, escaped ones as any other.
    let values = planted.dir("helm").join("values.json");
    let escaped: String = json!({"note": hostile("helm-values")})
        .to_string()
        .chars()
        .map(|c| match c {
            ' '..='~' => c.to_string(),
            c => format!("\\u{:04x}", u32::from(c)),
        })
        .collect();
    std::fs::write(&values, escaped).expect("values");
    tb.helm_ok(
        CONTEXT,
        "secret",
        &[
            "install",
            "hostile-release",
            &chart.to_string_lossy(),
            "-n",
            &ns,
            "-f",
            &values.to_string_lossy(),
            "--description",
            &hostile("helm-description"),
        ],
    );

    let mut h = harness(&tb, harness::config());
    h.command("helm");
    h.filter("hostile-release");
    row(&mut h, ":helm list", &["hostile-release"]).await;
    h.action(Action::Enter);
    shown(
        &mut h,
        "helm history (description)",
        &["HOSTILE-helm-description"],
    )
    .await;
    for (action, sink) in [
        (Action::Values, "helm values"),
        (Action::AllValues, "helm computed values"),
        (Action::Notes, "helm notes"),
    ] {
        h.action(action);
        shown(&mut h, sink, &["HOSTILE-helm-values"]).await;
        h.action(Action::Back);
    }
    drop(planted);
}

/// A drain whose eviction the webhook denies: the progress lines, the result line and the
/// audit record carry its message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_denied_by_a_webhook_is_reported_clean() {
    let Some(tb) = common::testbed() else { return };
    webhook_registered(&tb);
    let ns = unique("drain");
    let node = unique("node");
    let mut planted = Planted::new(&tb);
    // No `flotilla.dev/pool` label and a taint of its own: nothing seeded lands here.
    const TAINT: &str = "flotilla.dev/hostile-test";
    kubectl_file(
        &tb,
        "apply",
        &json!({
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
    planted.node(&node);
    planted.namespace(&ns);
    guarded(&tb, &ns);
    kubectl_file(
        &tb,
        "apply",
        &json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "pinned", "namespace": ns},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "pinned"}},
                "template": {
                    "metadata": {"labels": {"app": "pinned"}},
                    "spec": {
                        "nodeSelector": {"kubernetes.io/hostname": node},
                        "tolerations": [{"key": TAINT, "operator": "Exists", "effect": "NoSchedule"}],
                        "containers": [{"name": "app", "image": "registry.example.com/app:1"}],
                        "terminationGracePeriodSeconds": 0
                    }
                }
            }
        }),
    );
    common::eventually(WAIT, "the pinned pod running on the node", || {
        let out = tb.kubectl(
            CONTEXT,
            &[
                "get",
                "pods",
                "-n",
                &ns,
                "-o",
                "jsonpath={.items[*].status.phase}",
            ],
        );
        let phase = String::from_utf8_lossy(&out.stdout).to_string();
        async move { (phase == "Running").then_some(()) }
    })
    .await;

    let mut h = harness(&tb, harness::config());
    h.command("nodes");
    h.filter(&node);
    row(&mut h, "nodes list", &[&node, "Ready"]).await;
    h.action(Action::Drain);
    form_defaults(&mut h, &format!("Drain node/{node}"), 4);
    confirm(&mut h, &format!("Drain node/{node}?"));
    shown(&mut h, "drain progress lines", &["not evicted", DENIED]).await;
    let done = h
        .pump_until(WAIT, |h| {
            h.app
                .flash
                .as_ref()
                .is_some_and(|f| f.text.contains("1 not evicted"))
        })
        .await;
    assert!(done, "the drain ends:\n{}", frame(&mut h));
    if matches!(top_modal(&h), Some(Modal::Progress(p)) if p.finished) {
        h.key(KeyCode::Enter);
    }
    shown(&mut h, "drain result (flash)", &["1 not evicted", DENIED]).await;
    audit_details(&mut h, ":audit record of the drain", &[DENIED]).await;
    stored_record_clean(&h, "drain");
    // The cordon is undone before the node goes, so nothing else is left cordoned meanwhile.
    let _ = tb.kubectl(CONTEXT, &["uncordon", &node]);
    drop(planted);
}

/// An archive whose manifest and file name are hostile, holding objects the webhook denies:
/// `backup list`, `backup inspect` (text and JSON), the restore plan and result, `audit
/// verify` and `audit export` (on a terminal and to a pipe), and `:backups` with its plan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_archive_and_its_restore_are_clean() {
    let Some(tb) = common::testbed() else { return };
    webhook_registered(&tb);
    let ns = unique("archive");
    let mut planted = Planted::new(&tb);
    planted.namespace(&ns);
    kubectl_file(&tb, "apply", &config_map(&ns, "differs", None, "plain"));
    guarded(&tb, &ns);

    let dir = planted.dir("archive");
    let shelf = dir.join("shelf");
    std::fs::create_dir_all(&shelf).expect("shelf");
    let file_name = hostile_name("file", ".tar.gz");
    let file = shelf.join(&file_name);
    let manifest = Manifest {
        created: hostile("created"),
        flotilla: hostile("version"),
        cluster: Source {
            context: hostile("context"),
            server: hostile("server"),
            version: hostile("cluster-version"),
        },
        selection: flotilla::backup::Selection {
            namespaces: vec![ns.clone()],
            selector: Some(hostile("selector")),
            ..Default::default()
        },
        skipped: [(hostile("skipped"), 1)].into(),
        warnings: vec![hostile("warning")],
        ..Manifest::default()
    };
    let stored = |name: &str, label: Option<&str>, note: &str| Stored {
        group: String::new(),
        plural: "configmaps".into(),
        object: config_map(&ns, name, label, note),
    };
    let objects = [
        // Refused by the webhook in the plan's dry run.
        stored("refused", Some("deny"), "refused"),
        // Let through in the dry run, refused when it is applied.
        stored("fails", Some("deny-unless-dry-run"), "fails"),
        // Differs from the live one: a diff of hostile lines.
        stored("differs", None, &hostile("diff")),
    ];
    archive::write(&file, manifest, &objects, &Sealing::Plain).expect("write the archive");

    let home = planted.dir("cli");
    std::fs::write(home.join("config.toml"), "").expect("config.toml");
    let kubeconfig = tb.kubeconfig.to_string_lossy().to_string();
    let file_arg = file.to_string_lossy().to_string();

    let out = run(
        "backup list",
        flotilla(&home).args(["backup", "list", "--dir", &shelf.to_string_lossy()]),
    );
    assert!(out.status.success());
    assert_clean_output(
        "flotilla backup list",
        &out,
        &["HOSTILE-created", "HOSTILE-file"],
        &[],
    );
    let out = run(
        "backup inspect",
        flotilla(&home).args(["backup", "inspect", &file_arg]),
    );
    assert!(out.status.success());
    assert_clean_output(
        "flotilla backup inspect",
        &out,
        &[
            "HOSTILE-file",
            "HOSTILE-created",
            "HOSTILE-context",
            "HOSTILE-server",
            "HOSTILE-selector",
            "HOSTILE-skipped",
            "HOSTILE-warning",
        ],
        &[],
    );
    let out = run(
        "backup inspect --json",
        flotilla(&home).args(["backup", "inspect", "--json", &file_arg]),
    );
    assert!(out.status.success());
    assert_clean_output(
        "flotilla backup inspect --json",
        &out,
        &["HOSTILE-created", "HOSTILE-warning"],
        &[],
    );

    // A user error naming a file: one clean line.
    let missing = shelf.join(hostile_name("missing", ".tar.gz"));
    let out = run(
        "backup inspect of a missing file",
        flotilla(&home).args(["backup", "inspect", &missing.to_string_lossy()]),
    );
    assert_eq!(out.status.code(), Some(2));
    assert_clean_output(
        "flotilla backup inspect (user error)",
        &out,
        &[],
        &["HOSTILE-missing"],
    );

    // The restore's audit log, under a hostile name that `audit verify` prints.
    let log = home.join(hostile_name("audit-log", ".jsonl"));
    let restore = |extra: &[&str]| {
        let mut c = flotilla(&home);
        c.env("FLOTILLA_AUDIT_LOG", &log);
        c.args([
            "--kubeconfig",
            &kubeconfig,
            "backup",
            "restore",
            &file_arg,
            "--context",
            CONTEXT,
        ]);
        c.args(extra);
        c
    };
    let out = run("backup restore --dry-run", &mut restore(&["--dry-run"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_clean_output(
        "flotilla backup restore --dry-run (plan)",
        &out,
        &["HOSTILE-file", "HOSTILE-created", DENIED, "HOSTILE-diff"],
        &[],
    );
    // :backups over the same directory, and the plan of a restore from it.
    let mut config = harness::config();
    config.settings.backup.dir = Some(shelf.clone());
    let mut h = harness(&tb, config);
    // A plan needs the cluster's client, there once it is connected.
    let connected = h
        .pump_until(WAIT, |h| h.app.store.clusters.iter().all(|s| s.connected))
        .await;
    assert!(connected, "dev connects:\n{}", frame(&mut h));
    h.command("backups");
    // CREATED shows a time's `T` as a space: "HOS ILE-created".
    shown(
        &mut h,
        ":backups (list and manifest)",
        &["ILE-created", "HOSTILE-file", "HOSTILE-warning"],
    )
    .await;
    h.action(Action::Restore);
    let ok = matches!(top_modal(&h), Some(Modal::Form(f)) if f.title.contains("HOSTILE-file"));
    assert!(ok, "the restore form:\n{}", frame(&mut h));
    assert_clean(":backups restore form", &frame(&mut h), &["HOSTILE-file"]);
    // Into dev, the only live cluster (the form's default), objects that differ skipped.
    form_defaults(&mut h, "Restore", 3);
    shown(
        &mut h,
        ":backups restore plan (title, refusal)",
        &["HOSTILE-file", DENIED],
    )
    .await;
    // The third step, `differs`: its diff under the list.
    h.action(Action::Down);
    h.action(Action::Down);
    shown(&mut h, ":backups restore plan (diff)", &["HOSTILE-diff"]).await;
    // Carried out from there: the confirmation names the archive; the webhook refuses the
    // real create.
    h.action(Action::Enter);
    let asked = frame(&mut h);
    assert_clean(":backups restore confirmation", &asked, &["HOSTILE-file"]);
    confirm(&mut h, "Restore into dev?");
    shown(&mut h, ":backups restore result", &[DENIED]).await;

    // And by the CLI, updating what differs.
    let out = run(
        "backup restore --yes --existing update",
        &mut restore(&["--yes", "--existing", "update"]),
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "a failed object fails the restore: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_clean_output(
        "flotilla backup restore --yes (plan and result)",
        &out,
        &["FAILED", DENIED, "updated", "HOSTILE-diff"],
        &[],
    );

    // The restore's records name the archive (its hostile file name) and hold the update's diff.
    let out = run(
        "audit verify",
        flotilla(&home).args(["audit", "verify", &log.to_string_lossy()]),
    );
    assert!(out.status.success());
    assert_clean_output(
        "flotilla audit verify",
        &out,
        &["audit log ok", "HOSTILE-audit-log"],
        &[],
    );
    let stored_log = std::fs::read(&log).expect("the audit log");
    let piped = run(
        "audit export | …",
        flotilla(&home).args(["audit", "export", &log.to_string_lossy()]),
    );
    assert_eq!(
        piped.stdout, stored_log,
        "to a pipe, the records exactly as stored"
    );
    // On a terminal: a pty from python's pty module (the testbed needs python3 anyway); the
    // pty's own line discipline turns each \n into \r\n.
    let mut on_terminal = run(
        "audit export on a terminal",
        Command::new("python3")
            .args([
                "-c",
                "import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))",
            ])
            .arg(BIN)
            .args(["audit", "export", &log.to_string_lossy()])
            .env("FLOTILLA_CONFIG_DIR", &home)
            .stdin(Stdio::null()),
    );
    assert!(on_terminal.status.success());
    let unwrapped = String::from_utf8_lossy(&on_terminal.stdout).replace("\r\n", "\n");
    on_terminal.stdout = unwrapped.into_bytes();
    assert_clean_output(
        "flotilla audit export (on a terminal)",
        &on_terminal,
        &["HOSTILE-file", "HOSTILE-diff"],
        &[],
    );
    drop(planted);
}

/// `flotilla inspect` over dev while a pod with a hostile image is there (kwok cannot run it,
/// so it stays Pending; inspect judges it as any pod), with a kubeconfig problem to report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inspect_report_is_clean() {
    let Some(tb) = common::testbed() else { return };
    let ns = unique("inspect");
    let mut planted = Planted::new(&tb);
    planted.namespace(&ns);
    kubectl_file(
        &tb,
        "apply",
        &json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "unpinned", "namespace": ns},
            "spec": {"containers": [{"name": "app", "image": hostile("inspect-image")}]}
        }),
    );

    let home = planted.dir("inspect");
    std::fs::write(home.join("config.toml"), "").expect("config.toml");
    let kubeconfig = tb.kubeconfig.to_string_lossy().to_string();
    // A second kubeconfig that does not parse, under a hostile name: a problem said on stderr.
    let broken = home.join(hostile_name("kubeconfig", ""));
    std::fs::write(&broken, "clusters: [unclosed\n").expect("broken kubeconfig");
    for format in ["text", "markdown", "json"] {
        let out = run(
            &format!("inspect --format {format}"),
            flotilla(&home).args([
                "--kubeconfig",
                &kubeconfig,
                "--kubeconfig",
                &broken.to_string_lossy(),
                "inspect",
                "--context",
                CONTEXT,
                "--format",
                format,
            ]),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_clean_output(
            &format!("flotilla inspect --format {format}"),
            &out,
            &["HOSTILE-inspect-image"],
            &["HOSTILE-kubeconfig"],
        );
    }
    drop(planted);
}

/// A webhook receiver on loopback that refuses every message (400) with a hostile answer.
fn refusing_receiver() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for mut s in listener.incoming().map_while(Result::ok) {
            let mut got = Vec::new();
            let mut chunk = [0u8; 8192];
            // The request's head and body, as far as its length says.
            while let Ok(n @ 1..) = s.read(&mut chunk) {
                got.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&got).to_string();
                let Some((head, body)) = text.split_once("\r\n\r\n") else {
                    continue;
                };
                let want = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .and_then(|v| v.trim().parse::<usize>().ok())
                    })
                    .unwrap_or(0);
                if body.len() >= want {
                    break;
                }
            }
            let answer = hostile("answer");
            let _ = write!(
                s,
                "HTTP/1.1 400 Bad Request\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    format!("http://{addr}/hook")
}

/// `flotilla watch --notify` telling of a message a webhook refused: the hook's name (from
/// config.toml), the problem (a hostile Event's) and the webhook's answer, printed clean.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_reports_are_clean() {
    let Some(tb) = common::testbed() else { return };
    let ns = unique("watch");
    let mut planted = Planted::new(&tb);
    planted.namespace(&ns);
    let url = refusing_receiver();
    let home = planted.dir("watch");
    // TOML's own escapes carry the corpus into the file; the file holds no control character.
    let name: String = hostile("hook")
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c.to_string(),
            c => format!("\\u{:04X}", u32::from(c)),
        })
        .collect();
    std::fs::write(
        home.join("config.toml"),
        format!(
            "[notify]\nquiet = \"1s\"\nbatch = \"1s\"\n\n[[notify.webhook]]\nname = \"{name}\"\n\
             url = \"{url}\"\nformat = \"json\"\nrules = [\"warning-events\"]\ncontexts = [\"{CONTEXT}\"]\n"
        ),
    )
    .expect("config.toml");
    let mut child = flotilla(&home)
        .args([
            "--kubeconfig",
            &tb.kubeconfig.to_string_lossy(),
            "watch",
            "--notify",
            "--context",
            CONTEXT,
            "--for",
            "120",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start flotilla watch");
    let collect = |from: Box<dyn std::io::Read + Send>| {
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
        let into = got.clone();
        std::thread::spawn(move || {
            let mut from = from;
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = from.read(&mut chunk) {
                into.lock().expect("output").extend_from_slice(&chunk[..n]);
            }
        });
        got
    };
    use std::io::Read;
    let stdout = collect(Box::new(child.stdout.take().expect("stdout")));
    let stderr = collect(Box::new(child.stderr.take().expect("stderr")));
    let text = |b: &std::sync::Arc<std::sync::Mutex<Vec<u8>>>| {
        String::from_utf8_lossy(&b.lock().expect("output")).to_string()
    };
    common::eventually(WAIT * 2, "the watch ready on dev", || {
        let ready = text(&stdout).contains(&format!("ready {CONTEXT}"));
        async move { ready.then_some(()) }
    })
    .await;
    let now = jiff::Timestamp::now().to_string();
    kubectl_file(
        &tb,
        "create",
        &json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "hostile-event", "namespace": ns},
            "involvedObject": {"apiVersion": "v1", "kind": "ConfigMap", "name": "somewhere", "namespace": ns},
            "type": "Warning",
            "reason": "HostileReason",
            "message": hostile("event"),
            "count": 1,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "source": {"component": "hostile-test"}
        }),
    );
    common::eventually(WAIT, "the refusal reported", || {
        let failed = text(&stderr).contains("HOSTILE-answer");
        async move { failed.then_some(()) }
    })
    .await;
    let _ = child.kill();
    let status = child.wait().expect("wait for the watch");
    let out = Output {
        status,
        stdout: stdout.lock().expect("stdout").clone(),
        stderr: stderr.lock().expect("stderr").clone(),
    };
    assert_clean_output(
        "flotilla watch --notify",
        &out,
        &["HOSTILE-hook", "watching dev", "ready dev"],
        &["failed HOSTILE-hook", "HostileReason", "HOSTILE-answer"],
    );
    drop(planted);
}
