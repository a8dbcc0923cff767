//! Creating objects through the app against the real testbed: a namespace with its quota and
//! limits on two clusters in one batch, members bound and removed, a ConfigMap and a Secret
//! (its value typed masked, never in the audit log) created, a key of each updated, both
//! deleted; YAML imports created in dependency order, or — with one invalid document — not
//! at all. Every test works in namespaces of its own, deleted at the end.

use crate::common;
use crate::harness;

use base64::Engine;
use common::Cleanup;
use flotilla::app::Input;
use flotilla::key::{KeyCode, KeyEvent, KeyModifiers};
use flotilla::model::Action;
use flotilla::screens::create::{
    CreateScreen, KeyState, MembersScreen, Phase, SetKeyScreen, State,
};
use harness::Harness;
use serde_json::Value;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(45);

fn name(what: &str) -> String {
    format!("create-{what}-{}", std::process::id())
}

fn get_json(tb: &common::Testbed, context: &str, args: &[&str]) -> Value {
    let mut all = vec!["get"];
    all.extend(args);
    all.extend(["-o", "json"]);
    serde_json::from_str(&tb.kubectl_ok(context, &all)).expect("kubectl prints JSON")
}

fn exists(tb: &common::Testbed, context: &str, args: &[&str]) -> bool {
    let mut all = vec!["get"];
    all.extend(args);
    tb.kubectl(context, &all).status.success()
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
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

fn create(h: &Harness) -> Option<&CreateScreen> {
    h.app.top_as::<CreateScreen>()
}

fn phase(h: &Harness) -> Option<Phase> {
    create(h).map(CreateScreen::phase)
}

/// (context, object, state) of every item on the create screen, in order.
fn items(h: &Harness) -> Vec<(String, String, State)> {
    create(h)
        .map(|s| {
            s.items()
                .iter()
                .map(|i| (i.context.clone(), i.what.clone(), i.state.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn flash(h: &Harness) -> String {
    h.app
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default()
}

/// Waits until every context is connected and discovery has answered.
async fn connected(h: &mut Harness, contexts: &[&str]) {
    let ok = h
        .pump_until(WAIT, |h| {
            contexts.iter().all(|c| {
                h.app
                    .store
                    .clusters
                    .by_context(c)
                    .is_some_and(|s| s.connected && !s.resources.is_empty())
            })
        })
        .await;
    assert!(ok, "{contexts:?} connect:\n{}", h.screen(160, 40));
}

async fn until_phase(h: &mut Harness, want: Phase) {
    let ok = h.pump_until(WAIT, |h| phase(h) == Some(want)).await;
    assert!(
        ok,
        "create screen reaches {want:?}, is {:?}: {:#?}\nflash: {}\n{}",
        phase(h),
        items(h),
        flash(h),
        h.screen(200, 50)
    );
}

/// Enter creates what the list shows, once the app's confirmation is answered: a screen
/// that showed the objects cannot skip it.
fn create_confirmed(h: &mut Harness) {
    h.key(KeyCode::Enter);
    let screen = h.screen(200, 50);
    assert!(
        screen.contains("Create ") && screen.contains('?'),
        "the app asks first:\n{screen}"
    );
    h.key(KeyCode::Char('y'));
}

/// Closes what is left on top (the progress layer of a batch of many).
fn close_layers(h: &mut Harness) {
    for _ in 0..5 {
        if h.app.modals().next().is_none() {
            return;
        }
        h.key(KeyCode::Enter);
    }
}

async fn until_modal(h: &mut Harness) {
    let ok = h
        .pump_until(WAIT, |h| h.app.modals().next().is_some())
        .await;
    assert!(
        ok,
        "a dialog opens:\n{}\nflash: {}",
        h.screen(160, 40),
        flash(h)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_with_quota_and_limits_on_two_clusters_then_members() {
    let Some(tb) = common::testbed() else { return };
    let ns = name("project");
    let mut cleanup = Cleanup::namespaces(&tb, "dev", &[&ns]);
    cleanup.delete("staging", &["namespace", &ns]);
    let mut h = Harness::new(&tb.kubeconfig, &["dev", "staging"]);
    connected(&mut h, &["dev", "staging"]).await;

    // A typo is refused before anything is sent.
    h.command(&format!("create ns {ns} --quota cpu=abc"));
    assert!(
        flash(&h).contains("cpu=abc") && flash(&h).contains("not a quantity"),
        "{}",
        flash(&h)
    );
    assert!(create(&h).is_none());

    h.command(&format!(
        "create ns {ns} --quota cpu=4,memory=8Gi,pods=50,storage=100Gi --limits cpu=500m,memory=512Mi @dev,staging"
    ));
    until_phase(&mut h, Phase::Ready).await;
    let listed: Vec<(String, String)> = items(&h).into_iter().map(|(c, w, _)| (c, w)).collect();
    let want: Vec<(String, String)> = [
        ("dev", format!("Namespace {ns}")),
        ("staging", format!("Namespace {ns}")),
        ("dev", "ResourceQuota quota".into()),
        ("staging", "ResourceQuota quota".into()),
        ("dev", "LimitRange limits".into()),
        ("staging", "LimitRange limits".into()),
    ]
    .into_iter()
    .map(|(c, w)| (c.to_string(), w))
    .collect();
    assert_eq!(listed, want);
    assert!(
        h.screen(200, 50).contains("enter creates them"),
        "{}",
        h.screen(200, 50)
    );
    create_confirmed(&mut h);
    until_phase(&mut h, Phase::Done).await;
    close_layers(&mut h);
    assert!(
        items(&h).iter().all(|(_, _, s)| *s == State::Created),
        "{:#?}",
        items(&h)
    );

    for c in ["dev", "staging"] {
        let quota = get_json(&tb, c, &["-n", &ns, "resourcequota", "quota"]);
        let hard = &quota["spec"]["hard"];
        assert_eq!(hard["cpu"], "4", "{c}: {quota}");
        assert_eq!(hard["memory"], "8Gi", "{c}: {quota}");
        assert_eq!(hard["pods"], "50", "{c}: {quota}");
        assert_eq!(hard["requests.storage"], "100Gi", "{c}: {quota}");
        let limits = get_json(&tb, c, &["-n", &ns, "limitrange", "limits"]);
        let item = &limits["spec"]["limits"][0];
        assert_eq!(item["default"]["cpu"], "500m", "{c}: {limits}");
        assert_eq!(item["default"]["memory"], "512Mi", "{c}: {limits}");
    }
    let created: Vec<_> = h
        .audit_records()
        .into_iter()
        .filter(|r| r.result == "ok" && r.action == "create")
        .collect();
    assert_eq!(created.len(), 6, "{created:#?}");
    assert!(
        created.iter().all(|r| r.batch == created[0].batch),
        "one batch: {created:#?}"
    );

    // Members: bind a service account as view, then remove the binding.
    h.command(&format!("members {ns} @dev"));
    let listed = h
        .pump_until(WAIT, |h| {
            h.app
                .top_as::<MembersScreen>()
                .is_some_and(|m| m.listed_all() && m.bindings().is_empty())
        })
        .await;
    assert!(listed, "{}", h.screen(200, 50));
    h.key(KeyCode::Char('b'));
    until_modal(&mut h).await;
    // kind (serviceaccount, as offered) → name → role (view, as offered).
    h.key(KeyCode::Enter);
    typed(&mut h, "builder");
    h.key(KeyCode::Enter);
    h.key(KeyCode::Enter);
    // The app's confirmation names the binding.
    until_modal(&mut h).await;
    assert!(
        h.screen(200, 50).contains("RoleBinding dev/"),
        "{}",
        h.screen(200, 50)
    );
    h.key(KeyCode::Char('y'));
    let bound = h
        .pump_until(WAIT, |h| {
            h.app.top_as::<MembersScreen>().is_some_and(|m| {
                m.bindings().iter().any(|(n, role, subjects)| {
                    n == "view-sa-builder"
                        && role == "ClusterRole/view"
                        && subjects.contains("ServiceAccount")
                })
            })
        })
        .await;
    assert!(bound, "{}\nflash: {}", h.screen(200, 50), flash(&h));
    let rb = get_json(&tb, "dev", &["-n", &ns, "rolebinding", "view-sa-builder"]);
    assert_eq!(rb["roleRef"]["kind"], "ClusterRole", "{rb}");
    assert_eq!(rb["roleRef"]["name"], "view", "{rb}");
    assert_eq!(rb["subjects"][0]["kind"], "ServiceAccount", "{rb}");
    assert_eq!(rb["subjects"][0]["name"], "builder", "{rb}");
    assert_eq!(rb["subjects"][0]["namespace"], ns.as_str(), "{rb}");
    assert!(!exists(
        &tb,
        "staging",
        &["-n", &ns, "rolebinding", "view-sa-builder"]
    ));

    ctrl(&mut h, 'd');
    until_modal(&mut h).await;
    h.key(KeyCode::Char('y'));
    let gone = h
        .pump_until(WAIT, |h| {
            h.app
                .top_as::<MembersScreen>()
                .is_some_and(|m| m.bindings().is_empty())
        })
        .await;
    assert!(gone, "{}\nflash: {}", h.screen(200, 50), flash(&h));
    assert!(!exists(
        &tb,
        "dev",
        &["-n", &ns, "rolebinding", "view-sa-builder"]
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configmap_and_masked_secret_created_updated_deleted() {
    let Some(tb) = common::testbed() else { return };
    let ns = name("data");
    let mut cleanup = Cleanup::new(&tb);
    cleanup.namespace("dev", &ns);
    let dir = std::env::temp_dir().join(format!("flotilla-create-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let file = dir.join("app.properties");
    std::fs::write(&file, "level=debug\n").expect("write file");
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    connected(&mut h, &["dev"]).await;

    h.command(&format!(
        "create cm cfg -n {ns} a=1 'b=two words' --from-file {}",
        file.display()
    ));
    until_phase(&mut h, Phase::Ready).await;
    create_confirmed(&mut h);
    until_phase(&mut h, Phase::Done).await;
    let cm = get_json(&tb, "dev", &["-n", &ns, "configmap", "cfg"]);
    assert_eq!(cm["data"]["a"], "1", "{cm}");
    assert_eq!(cm["data"]["b"], "two words", "{cm}");
    assert_eq!(cm["data"]["app.properties"], "level=debug\n", "{cm}");

    // The secret's value is typed into a masked field: never on screen, never in the log.
    let value = format!("s3cr3t-{}-value", std::process::id());
    h.command(&format!("create secret creds -n {ns} password"));
    until_modal(&mut h).await;
    typed(&mut h, &value);
    let screen = h.screen(200, 50);
    assert!(
        !screen.contains(&value) && screen.contains("•••"),
        "{screen}"
    );
    h.key(KeyCode::Enter);
    until_phase(&mut h, Phase::Ready).await;
    let screen = h.screen(200, 50);
    assert!(
        !screen.contains(&value) && !screen.contains(&b64(&value)),
        "{screen}"
    );
    create_confirmed(&mut h);
    until_phase(&mut h, Phase::Done).await;
    let secret = get_json(&tb, "dev", &["-n", &ns, "secret", "creds"]);
    assert_eq!(secret["data"]["password"], b64(&value), "{secret}");

    // One key of each: the ConfigMap's inline, the Secret's in the masked form.
    h.command(&format!("set-key cm cfg a=2 -n {ns}"));
    until_modal(&mut h).await;
    h.key(KeyCode::Char('y'));
    let set = |h: &Harness| {
        h.app
            .top_as::<SetKeyScreen>()
            .is_some_and(|s| s.states() == [KeyState::Set])
    };
    assert!(
        h.pump_until(WAIT, |h| set(h)).await,
        "{}\nflash: {}",
        h.screen(200, 50),
        flash(&h)
    );
    h.command(&format!("set-key cm cfg c=3 -n {ns}"));
    until_modal(&mut h).await;
    h.key(KeyCode::Char('y'));
    assert!(
        h.pump_until(WAIT, |h| set(h)).await,
        "{}\nflash: {}",
        h.screen(200, 50),
        flash(&h)
    );
    let cm = get_json(&tb, "dev", &["-n", &ns, "configmap", "cfg"]);
    assert_eq!(cm["data"]["a"], "2", "an earlier set key stays: {cm}");
    assert_eq!(cm["data"]["c"], "3", "{cm}");
    assert_eq!(cm["data"]["b"], "two words", "{cm}");

    let new_value = format!("n3w-{}-value", std::process::id());
    h.command(&format!("set-key secret creds password -n {ns}"));
    until_modal(&mut h).await;
    typed(&mut h, &new_value);
    assert!(!h.screen(200, 50).contains(&new_value));
    h.key(KeyCode::Enter);
    until_modal(&mut h).await;
    h.key(KeyCode::Char('y'));
    assert!(
        h.pump_until(WAIT, |h| set(h)).await,
        "{}\nflash: {}",
        h.screen(200, 50),
        flash(&h)
    );
    let secret = get_json(&tb, "dev", &["-n", &ns, "secret", "creds"]);
    assert_eq!(secret["data"]["password"], b64(&new_value), "{secret}");

    // Delete both from their lists.
    for (resource, object) in [("configmaps", "cfg"), ("secrets", "creds")] {
        h.command(&format!("{resource} {ns}"));
        let listed = h
            .pump_until(WAIT, |h| {
                // Its row (the flash may name it before the list has it).
                let row = format!("│{object} ");
                h.screen(200, 50).lines().any(|l| l.starts_with(&row))
            })
            .await;
        assert!(listed, "{}", h.screen(200, 50));
        h.filter(object);
        h.action(Action::Delete);
        until_modal(&mut h).await;
        h.key(KeyCode::Char('y'));
        let gone = h
            .pump_until(WAIT, |_| {
                !exists(&tb, "dev", &["-n", &ns, resource, object])
            })
            .await;
        assert!(gone, "{resource}/{object} is deleted: {}", flash(&h));
    }

    let records = h.audit_records();
    assert!(
        records
            .iter()
            .any(|r| r.target.kind == "Secret" && r.action == "create" && r.result == "ok"),
        "{records:#?}"
    );
    assert!(
        records
            .iter()
            .any(|r| r.target.kind == "Secret" && r.action == "apply" && r.result == "ok"),
        "{records:#?}"
    );
    let text = std::fs::read_to_string(&h.audit).expect("audit log");
    for secret in [&value, &new_value] {
        assert!(
            !text.contains(secret.as_str()),
            "the audit log holds a secret value in clear"
        );
        assert!(
            !text.contains(&b64(secret)),
            "the audit log holds a secret value base64-encoded"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn write_yaml(what: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("flotilla-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join(format!("{what}.yaml"));
    std::fs::write(&path, text).expect("write yaml");
    path
}

/// A Deployment in `ns`, then a ConfigMap there, then the Namespace: the file's order is not
/// the order they can be created in.
fn manifests(ns: &str, selector: bool) -> String {
    let selector = if selector {
        "  selector:\n    matchLabels: {app: web}\n"
    } else {
        ""
    };
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: {ns}
spec:
  replicas: 1
{selector}  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: registry.example.com/web:1
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: {ns}
data:
  mode: import
---
apiVersion: v1
kind: Namespace
metadata:
  name: {ns}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_yaml_import_is_created_in_dependency_order() {
    let Some(tb) = common::testbed() else { return };
    let ns = name("import");
    let _cleanup = Cleanup::namespaces(&tb, "dev", &[&ns]);
    let path = write_yaml("good", &manifests(&ns, true));
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    connected(&mut h, &["dev"]).await;
    h.command(&format!("create -f {}", path.display()));
    until_phase(&mut h, Phase::Ready).await;
    let order: Vec<String> = items(&h).into_iter().map(|(_, w, _)| w).collect();
    assert_eq!(
        order,
        [
            format!("Namespace {ns}"),
            "ConfigMap settings".into(),
            "Deployment web".into()
        ]
    );
    // What lives in the new namespace was checked in a stand-in, and says so.
    assert!(
        matches!(&items(&h)[2].2, State::Valid(Some(note)) if note.contains("stand-in")),
        "{:#?}",
        items(&h)
    );
    create_confirmed(&mut h);
    until_phase(&mut h, Phase::Done).await;
    close_layers(&mut h);
    assert!(
        items(&h).iter().all(|(_, _, s)| *s == State::Created),
        "{:#?}",
        items(&h)
    );
    let deploy = get_json(&tb, "dev", &["-n", &ns, "deployment", "web"]);
    assert_eq!(deploy["spec"]["replicas"], 1, "{deploy}");
    let cm = get_json(&tb, "dev", &["-n", &ns, "configmap", "settings"]);
    assert_eq!(cm["data"]["mode"], "import", "{cm}");
    let created: Vec<_> = h
        .audit_records()
        .into_iter()
        .filter(|r| r.result == "ok")
        .collect();
    let kinds: Vec<&str> = created.iter().map(|r| r.target.kind.as_str()).collect();
    assert_eq!(kinds, ["Namespace", "ConfigMap", "Deployment"], "in order");
    assert!(created.iter().all(|r| r.batch == created[0].batch));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_with_an_invalid_document_creates_nothing_and_names_it() {
    let Some(tb) = common::testbed() else { return };
    let ns = name("invalid");
    let _cleanup = Cleanup::namespaces(&tb, "dev", &[&ns]);
    let path = write_yaml("invalid", &manifests(&ns, false));
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    connected(&mut h, &["dev"]).await;
    h.command(&format!("create -f {}", path.display()));
    until_phase(&mut h, Phase::Refused).await;
    let all = items(&h);
    assert!(
        matches!(&all[2], (_, w, State::Invalid(e)) if w == "Deployment web" && e.contains("spec.selector")),
        "{all:#?}"
    );
    assert_eq!(all[0].2, State::NotAttempted, "{all:#?}");
    assert_eq!(all[1].2, State::NotAttempted, "{all:#?}");
    let screen = h.screen(220, 50);
    assert!(
        screen.contains("nothing was created")
            && !h
                .lines_with(&["Deployment web", "spec.selector"])
                .is_empty(),
        "{screen}"
    );
    // Enter creates nothing now.
    h.key(KeyCode::Enter);
    h.tick();
    assert!(
        !exists(&tb, "dev", &["namespace", &ns]),
        "nothing was applied"
    );
    // The dry runs are audited, the refused document as failed; Enter added nothing.
    let audited: Vec<String> = h
        .audit_records()
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r.action, r.target.kind, r.target.name, r.result
            )
        })
        .collect();
    assert_eq!(
        audited,
        [
            format!("create Namespace {ns} dry-run"),
            "create ConfigMap settings dry-run".into(),
            "create Deployment web failed".into(),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pasted_yaml_is_checked_then_created() {
    let Some(tb) = common::testbed() else { return };
    let ns = name("paste");
    let mut cleanup = Cleanup::new(&tb);
    cleanup.namespace("dev", &ns);
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    connected(&mut h, &["dev"]).await;
    h.command(&format!("create -f - -n {ns}"));
    assert_eq!(phase(&h), Some(Phase::Editing));
    h.update(Input::Paste(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pasted\ndata:\n  from: paste\n".into(),
    ));
    ctrl(&mut h, 's');
    until_phase(&mut h, Phase::Ready).await;
    create_confirmed(&mut h);
    until_phase(&mut h, Phase::Done).await;
    let cm = get_json(&tb, "dev", &["-n", &ns, "configmap", "pasted"]);
    assert_eq!(cm["data"]["from"], "paste", "{cm}");
}

// ---- workloads from a form -------------------------------------------------------------------

/// Fills the open form: each field in order, the value given for its name (the label before
/// its hint) typed over what it held, Enter to the next; the last Enter submits.
fn fill_form(h: &mut Harness, values: &[(&str, &str)]) {
    let labels: Vec<String> = match h.app.modals().last() {
        Some(flotilla::modal::Modal::Form(f)) => f.fields.iter().map(|f| f.label.clone()).collect(),
        _ => panic!("a form is open:\n{}", h.screen(160, 40)),
    };
    for label in labels {
        let field = label.split(" (").next().unwrap_or(&label).to_string();
        if let Some((_, v)) = values.iter().find(|(l, _)| *l == field) {
            for _ in 0..80 {
                h.key(KeyCode::Backspace);
            }
            typed(h, v);
        }
        h.key(KeyCode::Enter);
    }
}

fn form_error(h: &Harness) -> Option<String> {
    match h.app.modals().last() {
        Some(flotilla::modal::Modal::Form(f)) => f.error.clone(),
        _ => None,
    }
}

/// `:create KIND NAME -n NS @dev`, the form filled, the object it shows in the editor checked
/// by the server and created; the object as the server holds it.
async fn create_from_form(
    h: &mut Harness,
    tb: &common::Testbed,
    ns: &str,
    (word, kind, name): (&str, &str, &str),
    values: &[(&str, &str)],
) -> Value {
    h.command(&format!("create {word} {name} -n {ns} @dev"));
    until_modal(h).await;
    fill_form(h, values);
    assert_eq!(form_error(h), None, "{word}: the form took every value");
    until_phase(h, Phase::Editing).await;
    let screen = h.screen(200, 50);
    assert!(
        screen.contains(&format!("kind: {kind}")) && screen.contains(&format!("name: {name}")),
        "the editor shows the form's object:\n{screen}"
    );
    ctrl(h, 's');
    until_phase(h, Phase::Ready).await;
    create_confirmed(h);
    until_phase(h, Phase::Done).await;
    close_layers(h);
    assert_eq!(
        items(h).first().map(|i| i.2.clone()),
        Some(State::Created),
        "{word}"
    );
    get_json(tb, "dev", &["-n", ns, &kind.to_lowercase(), name])
}

/// Every kind the form makes, with the fields it set, running (or scheduled) on the testbed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workloads_from_a_form_run_with_the_fields_it_set() {
    let Some(tb) = common::testbed() else { return };
    let ns = name("forms");
    let mut cleanup = Cleanup::new(&tb);
    cleanup.namespace("dev", &ns);
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    connected(&mut h, &["dev"]).await;

    let d = create_from_form(
        &mut h,
        &tb,
        &ns,
        ("deploy", "Deployment", "web"),
        &[
            ("image", "registry.example.com/web:1"),
            ("replicas", "2"),
            ("ports", "8080"),
            ("env", "MODE=fast TOKEN=secret:web-token/token"),
            ("requests", "cpu=100m,memory=64Mi"),
            ("limits", "memory=128Mi"),
            ("readiness", "http:8080/healthz"),
        ],
    )
    .await;
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(c["image"], "registry.example.com/web:1");
    assert_eq!(c["ports"][0]["containerPort"], 8080);
    assert_eq!(
        c["env"][0],
        serde_json::json!({"name": "MODE", "value": "fast"})
    );
    assert_eq!(
        c["env"][1]["valueFrom"]["secretKeyRef"]["name"],
        "web-token"
    );
    assert_eq!(c["resources"]["requests"]["memory"], "64Mi");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/healthz");

    let s = create_from_form(
        &mut h,
        &tb,
        &ns,
        ("sts", "StatefulSet", "db"),
        &[
            ("image", "registry.example.com/db:1"),
            ("ports", "5432"),
            ("liveness", "tcp:5432"),
        ],
    )
    .await;
    assert_eq!(s["spec"]["serviceName"], "db");
    let d = create_from_form(
        &mut h,
        &tb,
        &ns,
        ("ds", "DaemonSet", "agent"),
        &[
            ("image", "registry.example.com/agent:1"),
            ("volumes", "configmap:agent-conf:/etc/agent"),
        ],
    )
    .await;
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]["mountPath"],
        "/etc/agent"
    );
    let j = create_from_form(
        &mut h,
        &tb,
        &ns,
        ("job", "Job", "once"),
        &[
            ("image", "registry.example.com/job:1"),
            ("command", "sh -c 'echo done'"),
        ],
    )
    .await;
    assert_eq!(
        j["spec"]["template"]["spec"]["containers"][0]["command"],
        serde_json::json!(["sh", "-c", "echo done"])
    );
    let cj = create_from_form(
        &mut h,
        &tb,
        &ns,
        ("cronjob", "CronJob", "nightly"),
        &[
            ("image", "registry.example.com/job:1"),
            ("schedule", "0 3 * * *"),
        ],
    )
    .await;
    assert_eq!(cj["spec"]["schedule"], "0 3 * * *");

    // Running (or scheduled): the controllers and kwok took them from there.
    let running = |selector: &str| {
        let pods = get_json(&tb, "dev", &["-n", &ns, "pods", "-l", selector]);
        pods["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|p| {
                        p["status"]["phase"] == "Running" || p["status"]["phase"] == "Succeeded"
                    })
                    .count()
            })
            .unwrap_or(0)
    };
    let ok = h
        .pump_until(WAIT, |_| {
            running("app=web") == 2
                && running("app=db") == 1
                && running("app=agent") >= 1
                && running("app=once") == 1
        })
        .await;
    assert!(
        ok,
        "web 2, db 1, agent on the nodes, once ran: {} {} {} {}",
        running("app=web"),
        running("app=db"),
        running("app=agent"),
        running("app=once")
    );
    let records = h.audit_records();
    let created: Vec<&str> = records
        .iter()
        .filter(|r| r.action == "create" && r.result == "ok")
        .map(|r| r.target.kind.as_str())
        .collect();
    assert_eq!(
        created,
        ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"],
        "{records:#?}"
    );
}

/// `n` on a list of deployments opens the form for one in its namespace; a port of 70000 or
/// a quantity that is not one is refused naming the field, the form open again with what was
/// typed, and nothing is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_with_an_invalid_value_names_the_field_and_sends_nothing() {
    let Some(tb) = common::testbed() else { return };
    let ns = name("form-bad");
    let mut cleanup = Cleanup::new(&tb);
    cleanup.namespace("dev", &ns);
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    connected(&mut h, &["dev"]).await;
    h.command(&format!("deploy {ns}"));
    h.key(KeyCode::Char('n'));
    until_modal(&mut h).await;
    let title = match h.app.modals().last() {
        Some(flotilla::modal::Modal::Form(f)) => f.title.clone(),
        _ => String::new(),
    };
    assert_eq!(title, "new deployment");
    fill_form(
        &mut h,
        &[
            ("name", "bad"),
            ("image", "registry.example.com/web:1"),
            ("ports", "70000"),
        ],
    );
    assert_eq!(
        form_error(&h).as_deref(),
        Some("ports: 70000 is not a port (1-65535)")
    );
    fill_form(&mut h, &[("ports", "8080"), ("requests", "cpu=lots")]);
    let e = form_error(&h).unwrap_or_default();
    assert!(
        e.starts_with("requests: cpu=lots") && e.contains("not a quantity"),
        "{e}"
    );
    h.key(KeyCode::Esc);
    assert!(h.app.modals().next().is_none());
    assert_eq!(phase(&h), Some(Phase::Cancelled));
    assert!(
        !exists(&tb, "dev", &["-n", &ns, "deploy", "bad"]),
        "nothing created"
    );
    assert!(
        !h.audit.exists(),
        "nothing sent, not even a dry run: no audit record"
    );
}

/// Expose from the actions menu: a Service selecting the deployment's pods (its ports from
/// the containers', changed in the form) and an Ingress for a host, created through the
/// review; then the Service's ports and the Ingress's rules edited from their one-line forms,
/// a port of 70000 refused before anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expose_a_deployment_then_edit_its_ports_and_rules() {
    let Some(tb) = common::testbed() else { return };
    let ns = name("expose");
    let mut cleanup = Cleanup::new(&tb);
    cleanup.namespace("dev", &ns);
    tb.kubectl_ok(
        "dev",
        &[
            "-n",
            &ns,
            "create",
            "deployment",
            "shopfront",
            "--image=registry.example.com/web:1",
            "--port=8080",
        ],
    );
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    connected(&mut h, &["dev"]).await;
    h.command(&format!("deploy {ns}"));
    let listed = h
        .pump_until(WAIT, |h| !h.lines_with(&["shopfront"]).is_empty())
        .await;
    assert!(listed, "{}", h.screen(160, 40));
    h.action(Action::Expose);
    until_modal(&mut h).await;
    let screen = h.screen(200, 50);
    assert!(
        screen.contains("Expose deployment/shopfront on dev") && screen.contains("8080:8080"),
        "the form, its ports from the container's:\n{screen}"
    );
    fill_form(
        &mut h,
        &[
            ("ports", "80:8080"),
            ("ingress host", "shop.example.com"),
            ("ingress TLS secret", "shop-tls"),
        ],
    );
    until_phase(&mut h, Phase::Ready).await;
    let listed: Vec<String> = items(&h).into_iter().map(|(_, w, _)| w).collect();
    assert_eq!(listed, ["Service shopfront", "Ingress shopfront"]);
    create_confirmed(&mut h);
    until_phase(&mut h, Phase::Done).await;
    close_layers(&mut h);
    let svc = get_json(&tb, "dev", &["-n", &ns, "service", "shopfront"]);
    assert_eq!(svc["spec"]["selector"]["app"], "shopfront");
    assert_eq!(svc["spec"]["ports"][0]["port"], 80);
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], 8080);
    let ing = get_json(&tb, "dev", &["-n", &ns, "ingress", "shopfront"]);
    assert_eq!(ing["spec"]["rules"][0]["host"], "shop.example.com");
    assert_eq!(ing["spec"]["tls"][0]["secretName"], "shop-tls");
    // The Service selects the deployment's pod: the endpoint controller says so.
    let selects = h
        .pump_until(WAIT, |_| {
            let slices = get_json(
                &tb,
                "dev",
                &[
                    "-n",
                    &ns,
                    "endpointslices",
                    "-l",
                    "kubernetes.io/service-name=shopfront",
                ],
            );
            slices["items"][0]["endpoints"]
                .as_array()
                .is_some_and(|e| !e.is_empty())
        })
        .await;
    assert!(
        selects,
        "the Service has the deployment's pod as an endpoint"
    );

    // Ports from their form: a bad one refused first, nothing sent.
    h.action(Action::Back);
    h.command(&format!("svc {ns}"));
    let listed = h
        .pump_until(WAIT, |h| {
            !h.lines_with(&["│shopfront", "ClusterIP"]).is_empty()
        })
        .await;
    assert!(listed, "{}", h.screen(160, 40));
    h.action(Action::EditPorts);
    until_modal(&mut h).await;
    fill_form(&mut h, &[("ports", "70000")]);
    assert_eq!(flash(&h), "ports: 70000 is not a port (1-65535)");
    h.action(Action::EditPorts);
    until_modal(&mut h).await;
    assert!(
        h.screen(200, 50).contains("80:8080"),
        "prefilled: {}",
        h.screen(200, 50)
    );
    fill_form(&mut h, &[("ports", "80:8080,443:8443")]);
    let asked = h
        .pump_until(WAIT, |h| {
            h.screen(200, 50).contains("Edit-ports service/shopfront?")
        })
        .await;
    assert!(asked, "{}", h.screen(200, 50));
    h.key(KeyCode::Enter);
    let done = h
        .pump_until(WAIT, |h| flash(h).contains("edit-ports done"))
        .await;
    assert!(done, "{}", flash(&h));
    let svc = get_json(&tb, "dev", &["-n", &ns, "service", "shopfront"]);
    let ports: Vec<(i64, i64, String)> = svc["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["port"].as_i64().unwrap_or(0),
                p["targetPort"].as_i64().unwrap_or(0),
                p["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        ports,
        [
            (80, 8080, "tcp-80".to_string()),
            (443, 8443, "tcp-443".to_string())
        ]
    );

    // Rules from theirs.
    h.action(Action::Back);
    h.command(&format!("ingress {ns}"));
    // The row, not the flash line that names the Service just changed.
    let listed = h
        .pump_until(WAIT, |h| {
            !h.lines_with(&["│shopfront", "shop.example.com"]).is_empty()
        })
        .await;
    assert!(listed, "{}", h.screen(160, 40));
    h.action(Action::EditRules);
    until_modal(&mut h).await;
    assert!(
        h.screen(200, 50).contains("shop.example.com/=shopfront:80"),
        "{}",
        h.screen(200, 50)
    );
    fill_form(
        &mut h,
        &[(
            "rules",
            "shop.example.com/=shopfront:80 shop.example.com/api=shopfront:443",
        )],
    );
    let asked = h
        .pump_until(WAIT, |h| {
            h.screen(200, 50).contains("Edit-rules ingress/shopfront?")
        })
        .await;
    assert!(asked, "{}", h.screen(200, 50));
    h.key(KeyCode::Enter);
    let done = h
        .pump_until(WAIT, |h| flash(h).contains("edit-rules done"))
        .await;
    assert!(done, "{}", flash(&h));
    let ing = get_json(&tb, "dev", &["-n", &ns, "ingress", "shopfront"]);
    let paths = &ing["spec"]["rules"][0]["http"]["paths"];
    assert_eq!(paths[1]["path"], "/api");
    assert_eq!(paths[1]["backend"]["service"]["port"]["number"], 443);
    let records = h.audit_records();
    for action in ["edit-ports", "edit-rules"] {
        let n = records
            .iter()
            .filter(|r| r.action == action && r.result == "ok")
            .count();
        assert_eq!(n, 1, "{action}: {records:#?}");
    }
}

/// Read-only mode: a workload from the form is not even dry-run (the review says so and
/// nothing is made), and a Service's ports from their form are refused; both audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_mode_refuses_forms_and_port_edits() {
    let Some(tb) = common::testbed() else { return };
    let ns = name("form-ro");
    let mut cleanup = Cleanup::new(&tb);
    cleanup.namespace("dev", &ns);
    tb.kubectl_ok(
        "dev",
        &[
            "-n",
            &ns,
            "create",
            "service",
            "clusterip",
            "kept",
            "--tcp=80:80",
        ],
    );
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.app.policy.make_read_only();
    connected(&mut h, &["dev"]).await;
    h.command(&format!("create deploy frozen -n {ns} @dev"));
    until_modal(&mut h).await;
    fill_form(&mut h, &[("image", "registry.example.com/web:1")]);
    until_phase(&mut h, Phase::Editing).await;
    ctrl(&mut h, 's');
    let refused = h
        .pump_until(WAIT, |h| {
            items(h)
                .iter()
                .any(|(_, _, s)| matches!(s, State::Invalid(e) if e.contains("read-only")))
        })
        .await;
    assert!(
        refused,
        "the dry run is refused: {:#?}\n{}",
        items(&h),
        h.screen(200, 50)
    );
    h.action(Action::Back);
    h.command(&format!("svc {ns}"));
    let listed = h
        .pump_until(WAIT, |h| !h.lines_with(&["│kept"]).is_empty())
        .await;
    assert!(listed, "{}", h.screen(160, 40));
    h.action(Action::EditPorts);
    until_modal(&mut h).await;
    fill_form(&mut h, &[("ports", "81:81")]);
    let said = h.pump_until(WAIT, |h| flash(h).contains("read-only")).await;
    assert!(said, "{}", flash(&h));
    assert!(!exists(&tb, "dev", &["-n", &ns, "deploy", "frozen"]));
    let svc = get_json(&tb, "dev", &["-n", &ns, "service", "kept"]);
    assert_eq!(svc["spec"]["ports"][0]["port"], 80, "unchanged");
    let records = h.audit_records();
    for action in ["create", "edit-ports"] {
        assert!(
            records
                .iter()
                .any(|r| r.action == action && r.result == "refused"),
            "{action} refused: {records:#?}"
        );
    }
}
