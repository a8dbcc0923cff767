//! Editing objects against the real testbed (`dev`): the in-app editor changes a Deployment
//! after the server's dry run showed the change, refuses a stale edit with the server's
//! conflict, points at YAML errors, edits a Secret decoded; `editor = "external"` takes the
//! same way through `$EDITOR`. Each test works in a namespace of its own, deleted at the end.

use crate::common;
use crate::harness;

use flotilla::app::Input;
use flotilla::key::{KeyCode, KeyEvent, KeyModifiers};
use flotilla::model::Action;
use flotilla::screens::editor::EditorScreen;
use harness::Harness;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

/// A namespace of the test's own on dev, deleted when the test ends (passed or not).
struct Scratch<'a> {
    tb: &'a common::Testbed,
    ns: String,
    cleanup: common::Cleanup,
}

impl<'a> Scratch<'a> {
    fn new(tb: &'a common::Testbed, what: &str) -> Scratch<'a> {
        let ns = format!("edit-{what}-{}", std::process::id());
        let mut cleanup = common::Cleanup::new(tb);
        cleanup.namespace("dev", &ns);
        Scratch { tb, ns, cleanup }
    }

    fn kubectl(&self, args: &[&str]) -> String {
        let mut all = vec!["-n", self.ns.as_str()];
        all.extend(args);
        self.tb.kubectl_ok("dev", &all)
    }

    fn deployment(&self) {
        self.kubectl(&[
            "create",
            "deployment",
            "web",
            "--image=registry.example.com/web:1",
            "--replicas=1",
        ]);
        // Its controllers write to it until it is rolled out, and each write is a new
        // resourceVersion: an edit begun before then would rightly be refused as stale.
        self.kubectl(&["rollout", "status", "deployment/web", "--timeout=60s"]);
    }

    fn jsonpath(&self, what: &str, path: &str) -> String {
        self.kubectl(&["get", what, "-o", &format!("jsonpath={path}")])
    }
}

fn editor(h: &Harness) -> Option<&EditorScreen> {
    h.app.top_as::<EditorScreen>()
}

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

/// Puts the cursor on the first match of `pattern` (ctrl-f, the pattern, enter).
fn find(h: &mut Harness, pattern: &str) {
    ctrl(h, 'f');
    typed(h, pattern);
    h.key(KeyCode::Enter);
}

/// Enter applies what the review showed, once the app's confirmation is answered (one per
/// batch: the edited cluster, then the others): the review cannot skip it.
fn apply_confirmed(h: &mut Harness) {
    h.key(KeyCode::Enter);
    let mut asked = 0;
    while h.app.modals().next().is_some() {
        let screen = h.screen(160, 40);
        assert!(screen.contains("Apply "), "the app asks first:\n{screen}");
        h.key(KeyCode::Char('y'));
        asked += 1;
    }
    assert!(asked > 0, "no confirmation:\n{}", h.screen(160, 40));
}

fn flash(h: &Harness) -> String {
    h.app
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default()
}

/// Opens the list of `resource` in the scratch namespace, waits for `name`, presses `e` and
/// waits for the editor to hold the object.
async fn open_editor(h: &mut Harness, resource: &str, ns: &str, name: &str) {
    h.command(&format!("{resource} {ns}"));
    let listed = h
        .pump_until(WAIT, |h| !h.lines_with(&[&format!("│{name} ")]).is_empty())
        .await;
    assert!(listed, "{}", h.screen(160, 40));
    h.action(Action::Edit);
    let open = h.pump_until(WAIT, |h| editor(h).is_some()).await;
    assert!(open, "the editor opens:\n{}", h.screen(160, 40));
}

/// Replaces the value after `key: ` on the line the cursor is on.
fn set_value(h: &mut Harness, key: &str, value: &str) {
    find(h, &format!("{key}: "));
    h.key(KeyCode::End);
    let line = editor(h)
        .map(|e| e.text().lines().nth(e.cursor().0).unwrap_or("").to_string())
        .unwrap_or_default();
    let old = line.split_once(": ").map(|(_, v)| v).unwrap_or("");
    for _ in old.chars() {
        h.key(KeyCode::Backspace);
    }
    typed(h, value);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_edited_in_app_after_the_dry_run_diff() {
    let Some(tb) = common::testbed() else { return };
    let s = Scratch::new(&tb, "replicas");
    s.deployment();
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    open_editor(&mut h, "deploy", &s.ns, "web").await;
    let text = editor(&h).map(EditorScreen::text).unwrap_or_default();
    assert!(
        text.contains("resourceVersion:") && !text.contains("managedFields"),
        "{text}"
    );
    assert!(!text.contains("\nstatus:"), "{text}");
    set_value(&mut h, "replicas", "3");
    ctrl(&mut h, 's');
    let reviewed = h
        .pump_until(WAIT, |h| !h.lines_with(&["+   replicas: 3"]).is_empty())
        .await;
    let screen = h.screen(160, 40);
    assert!(reviewed, "the dry run's diff:\n{screen}");
    assert!(screen.contains("-   replicas: 1"), "{screen}");
    assert_eq!(
        s.jsonpath("deploy/web", "{.spec.replicas}"),
        "1",
        "a dry run only"
    );
    apply_confirmed(&mut h);
    let applied = h
        .pump_until(WAIT, |h| flash(h).contains("edited on dev"))
        .await;
    assert!(applied, "{}\n{}", flash(&h), h.screen(160, 40));
    assert!(
        flash(&h).starts_with("deployment/web edited on dev (rv "),
        "{}",
        flash(&h)
    );
    assert!(editor(&h).is_none(), "the edit is over");
    assert_eq!(s.jsonpath("deploy/web", "{.spec.replicas}"), "3");
    // Back on the object's YAML, as the server has it now.
    assert!(
        !h.lines_with(&["replicas: 3"]).is_empty(),
        "{}",
        h.screen(160, 40)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_edit_is_refused_with_the_servers_conflict() {
    let Some(tb) = common::testbed() else { return };
    let s = Scratch::new(&tb, "stale");
    s.deployment();
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    open_editor(&mut h, "deploy", &s.ns, "web").await;
    set_value(&mut h, "replicas", "4");
    // Someone else changes the object meanwhile.
    s.kubectl(&["label", "deployment", "web", "changed-by=someone-else"]);
    ctrl(&mut h, 's');
    let refused = h
        .pump_until(WAIT, |h| {
            editor(h)
                .and_then(EditorScreen::status)
                .is_some_and(|m| m.contains("the object has been modified"))
        })
        .await;
    let status = editor(&h)
        .and_then(EditorScreen::status)
        .unwrap_or_default()
        .to_string();
    assert!(refused, "{status}\n{}", h.screen(160, 40));
    assert!(
        editor(&h).is_some_and(|e| e.text().contains("replicas: 4")),
        "the buffer is kept"
    );
    assert_eq!(s.jsonpath("deploy/web", "{.spec.replicas}"), "1");
    assert_eq!(
        s.jsonpath("deploy/web", "{.metadata.labels.changed-by}"),
        "someone-else"
    );
    assert!(h.screen(160, 40).contains("has been modified"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_yaml_says_where_and_moves_the_cursor_there() {
    let Some(tb) = common::testbed() else { return };
    let s = Scratch::new(&tb, "invalid");
    s.deployment();
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    open_editor(&mut h, "deploy", &s.ns, "web").await;
    // Line 2 indented under a scalar: not YAML. Pasted, newline and all (the escape
    // sequence is dropped: pasted text is sanitized like any other).
    h.key(KeyCode::Down);
    h.key(KeyCode::Home);
    h.update(Input::Paste("  oops:\u{1b}[31m 1\n".into()));
    assert_eq!(
        editor(&h).and_then(|e| e.text().lines().nth(1).map(str::to_string)),
        Some("  oops: 1".to_string())
    );
    for _ in 0..4 {
        h.key(KeyCode::Down);
    }
    assert_eq!(editor(&h).map(|e| e.cursor().0), Some(6));
    ctrl(&mut h, 's');
    let e = editor(&h).expect("still editing");
    let status = e.status().unwrap_or_default().to_string();
    assert!(
        status.starts_with("YAML error at line 2, column"),
        "{status}"
    );
    assert_eq!(e.cursor().0, 1, "the cursor is on line 2");
    assert!(h.screen(160, 40).contains("YAML error at line 2"));
    // Esc asks before the change is thrown away.
    h.key(KeyCode::Esc);
    assert!(h.app.modals().next().is_some(), "{}", h.screen(160, 40));
    h.key(KeyCode::Char('y'));
    assert!(editor(&h).is_none());
    assert_eq!(s.jsonpath("deploy/web", "{.spec.replicas}"), "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_is_edited_decoded_and_saved_encoded() {
    let Some(tb) = common::testbed() else { return };
    let s = Scratch::new(&tb, "secret");
    s.kubectl(&[
        "create",
        "secret",
        "generic",
        "creds",
        "--from-literal=password=hunter2",
        "--from-literal=user=admin",
    ]);
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    open_editor(&mut h, "secrets", &s.ns, "creds").await;
    let text = editor(&h).map(EditorScreen::text).unwrap_or_default();
    assert!(
        text.contains("stringData:") && text.contains("password: hunter2"),
        "{text}"
    );
    assert!(!text.contains("aHVudGVyMg=="), "{text}");
    set_value(&mut h, "password", "swordfish");
    ctrl(&mut h, 's');
    let reviewed = h
        .pump_until(WAIT, |h| {
            !h.lines_with(&["+   password: swordfish"]).is_empty()
        })
        .await;
    assert!(reviewed, "{}", h.screen(160, 40));
    apply_confirmed(&mut h);
    let applied = h
        .pump_until(WAIT, |h| flash(h).contains("edited on dev"))
        .await;
    assert!(applied, "{}\n{}", flash(&h), h.screen(160, 40));
    assert_eq!(
        s.jsonpath("secret/creds", "{.data.password}"),
        "c3dvcmRmaXNo",
        "base64 of swordfish"
    );
    assert_eq!(s.jsonpath("secret/creds", "{.data.user}"), "YWRtaW4=");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_external_editor_takes_the_same_way() {
    let Some(tb) = common::testbed() else { return };
    let s = Scratch::new(&tb, "external");
    s.deployment();
    let mut config = harness::config();
    config.settings.editor = flotilla::config::EditorKind::External;
    let mut h = Harness::with_config(&tb.kubeconfig, &["dev"], config);
    h.editor = Some("sed -i 's/replicas: 1$/replicas: 2/'".into());
    h.command(&format!("deploy {}", s.ns));
    let listed = h
        .pump_until(WAIT, |h| !h.lines_with(&["│web "]).is_empty())
        .await;
    assert!(listed, "{}", h.screen(160, 40));
    h.action(Action::Edit);
    let reviewed = h
        .pump_until(WAIT, |h| !h.lines_with(&["+   replicas: 2"]).is_empty())
        .await;
    assert!(reviewed, "{}", h.screen(160, 40));
    apply_confirmed(&mut h);
    let applied = h
        .pump_until(WAIT, |h| flash(h).contains("edited on dev"))
        .await;
    assert!(applied, "{}\n{}", flash(&h), h.screen(160, 40));
    assert_eq!(s.jsonpath("deploy/web", "{.spec.replicas}"), "2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_is_also_applied_to_the_same_object_on_another_cluster() {
    let Some(tb) = common::testbed() else { return };
    let mut s = Scratch::new(&tb, "fleet");
    s.deployment();
    // The same Deployment on staging, in a namespace of the same name.
    s.cleanup.namespace("staging", &s.ns);
    tb.kubectl_ok(
        "staging",
        &[
            "-n",
            &s.ns,
            "create",
            "deployment",
            "web",
            "--image=registry.example.com/web:1",
            "--replicas=1",
        ],
    );
    tb.kubectl_ok(
        "staging",
        &[
            "-n",
            &s.ns,
            "rollout",
            "status",
            "deployment/web",
            "--timeout=60s",
        ],
    );
    let mut h = Harness::new(&tb.kubeconfig, &["dev", "staging"]);
    h.command(&format!("deploy {} @dev", s.ns));
    let listed = h
        .pump_until(WAIT, |h| {
            !h.lines_with(&["web", "registry.example.com/web:1"])
                .is_empty()
        })
        .await;
    assert!(listed, "{}", h.screen(160, 40));
    h.action(Action::Edit);
    assert!(h.pump_until(WAIT, |h| editor(h).is_some()).await);
    set_value(&mut h, "replicas", "3");
    ctrl(&mut h, 's');
    let reviewed = h
        .pump_until(WAIT, |h| !h.lines_with(&["+   replicas: 3"]).is_empty())
        .await;
    assert!(reviewed, "{}", h.screen(160, 40));
    // a: the other connected cluster is offered; its object is fetched and dry-run applied.
    h.key(KeyCode::Char('a'));
    let offered = h.screen(160, 40);
    assert!(offered.contains("staging"), "{offered}");
    h.key(KeyCode::Enter);
    // kubectl create owns staging's replicas: the server-side apply conflicts, force is offered.
    let asked = h
        .pump_until(WAIT, |h| {
            h.app.modals().next().is_some() && h.screen(160, 40).contains("conflict")
        })
        .await;
    assert!(asked, "{}", h.screen(160, 40));
    h.key(KeyCode::Char('y'));
    let checked = h
        .pump_until(WAIT, |h| {
            !h.lines_with(&["on staging (server-side apply, forced): 2 changed lines"])
                .is_empty()
        })
        .await;
    assert!(checked, "{}", h.screen(160, 40));
    assert_eq!(
        tb.kubectl_ok(
            "staging",
            &[
                "-n",
                &s.ns,
                "get",
                "deploy/web",
                "-o",
                "jsonpath={.spec.replicas}"
            ]
        ),
        "1",
        "dry runs only"
    );
    apply_confirmed(&mut h);
    let applied = h
        .pump_until(WAIT, |h| flash(h).contains("also on staging"))
        .await;
    assert!(applied, "{}\n{}", flash(&h), h.screen(160, 40));
    assert_eq!(s.jsonpath("deploy/web", "{.spec.replicas}"), "3");
    assert_eq!(
        tb.kubectl_ok(
            "staging",
            &[
                "-n",
                &s.ns,
                "get",
                "deploy/web",
                "-o",
                "jsonpath={.spec.replicas}"
            ]
        ),
        "3"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esc_in_the_review_of_an_external_edit_keeps_the_text_in_app() {
    let Some(tb) = common::testbed() else { return };
    let s = Scratch::new(&tb, "external-esc");
    s.deployment();
    let mut config = harness::config();
    config.settings.editor = flotilla::config::EditorKind::External;
    let mut h = Harness::with_config(&tb.kubeconfig, &["dev"], config);
    h.editor = Some("sed -i 's/replicas: 1$/replicas: 5/'".into());
    h.command(&format!("deploy {}", s.ns));
    assert!(
        h.pump_until(WAIT, |h| !h.lines_with(&["│web "]).is_empty())
            .await
    );
    h.action(Action::Edit);
    let reviewed = h
        .pump_until(WAIT, |h| !h.lines_with(&["+   replicas: 5"]).is_empty())
        .await;
    assert!(reviewed, "{}", h.screen(160, 40));
    h.key(KeyCode::Esc);
    let e = editor(&h).expect("still editing");
    assert!(e.text().contains("replicas: 5"), "{}", e.text());
    assert!(e.status().is_some_and(|m| m.contains("back from $EDITOR")));
    // Leaving now asks first: the edit would be lost.
    h.key(KeyCode::Esc);
    h.key(KeyCode::Char('y'));
    assert!(editor(&h).is_none());
    assert_eq!(s.jsonpath("deploy/web", "{.spec.replicas}"), "1");
}
