//! Whole-screen snapshots of the main screens, rendered from known rows at a fixed time.
//! No runtime and no terminal: the app is driven through `update` alone.

use crate::harness;

use flotilla::app::{App, Input};
use flotilla::model::{Action, ResKey};
use harness::synthetic;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const NOW: i64 = 1_780_000_000;

fn app() -> App {
    let mut app = synthetic::app(&["dev", "prod"]);
    synthetic::load_pods(&mut app, "dev", 60, NOW);
    synthetic::load_pods(&mut app, "prod", 40, NOW);
    app.update(Input::Tick);
    app
}

pub(crate) fn render(app: &mut App, w: u16, h: u16) -> String {
    app.update(Input::Tick);
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| flotilla::ui::draw_at(f, app, NOW))
        .expect("draw");
    format!("{}", term.backend())
}

pub(crate) fn type_keys(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(Input::Key(flotilla::key::KeyEvent::from(
            flotilla::key::KeyCode::Char(c),
        )));
    }
}

#[test]
fn pods_merged_80x24() {
    let mut app = app();
    insta::assert_snapshot!(render(&mut app, 80, 24));
}

#[test]
fn pods_filtered_wide() {
    let mut app = app();
    app.update(Input::Action(Action::Filter));
    type_keys(&mut app, "crash");
    insta::assert_snapshot!(render(&mut app, 140, 12));
}

#[test]
fn command_prompt_completes() {
    let mut app = app();
    app.update(Input::Action(Action::Command));
    type_keys(&mut app, "dep");
    let screen = render(&mut app, 80, 6);
    assert!(screen.contains(":deploy"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn help_lists_bindings() {
    let mut app = app();
    app.update(Input::Action(Action::Help));
    insta::assert_snapshot!(render(&mut app, 100, 40));
}

#[test]
fn typed_confirmation_over_a_list() {
    let mut app = app();
    app.open_modal(flotilla::modal::Modal::confirm_typed(
        "delete",
        vec!["Delete Deployment web in shop on prod?".into()],
        "web",
    ));
    type_keys(&mut app, "we");
    insta::assert_snapshot!(render(&mut app, 80, 16));
}

/// A pane over `web` pods of dev and prod (two containers each), with a few lines per source.
fn log_pane() -> (App, Vec<u64>) {
    let mut app = synthetic::app(&["dev", "prod"]);
    synthetic::load_pods(&mut app, "dev", 5, NOW);
    synthetic::load_pods(&mut app, "prod", 5, NOW);
    let mut fx = app.update(Input::Action(Action::Run("logs -l app=web".into())));
    fx.extend(app.update(Input::Tick));
    let streams = synthetic::answer_pod_fetches(&mut app, fx, &["web", "sidecar"]);
    assert_eq!(streams.len(), 8, "2 web pods × 2 clusters × 2 containers");
    let t0 = NOW * 1_000_000_000;
    for (i, (ticket, _, container)) in streams.iter().enumerate() {
        let at = |k: i64| t0 + k * 1_000_000_000 + i as i64;
        let lines: Vec<(i64, String)> = if container == "web" {
            vec![
                (
                    at(0),
                    format!("10.0.0.{i} - - \"GET /index.html HTTP/1.1\" 200 512"),
                ),
                (
                    at(2),
                    "\u{1b}[31mred\u{1b}[0m \u{1b}]0;title\u{7} done".to_string(),
                ),
            ]
        } else {
            vec![
                (
                    at(1),
                    r#"{"level":"info","msg":"request served","path":"/api","status":200}"#
                        .to_string(),
                ),
                (
                    at(3),
                    r#"{"level":"error","msg":"upstream timeout","retry":2}"#.to_string(),
                ),
            ]
        };
        let refs: Vec<(i64, &str)> = lines.iter().map(|(t, s)| (*t, s.as_str())).collect();
        synthetic::log_lines(&mut app, *ticket, &refs);
    }
    (app, streams.into_iter().map(|(t, ..)| t).collect())
}

#[test]
fn log_pane_prefixes_sources_and_escapes() {
    let (mut app, _) = log_pane();
    let screen = render(&mut app, 120, 24);
    assert!(screen.contains("dev/web-00000/sidecar"), "{screen}");
    assert!(!screen.contains('\u{1b}'), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn log_pane_json_columns() {
    let (mut app, _) = log_pane();
    app.update(Input::Action(Action::Json));
    insta::assert_snapshot!(render(&mut app, 120, 24));
}

#[test]
fn log_pane_paused_counts_new_lines() {
    let (mut app, streams) = log_pane();
    app.update(Input::Action(Action::Follow));
    app.update(Input::Action(Action::Up));
    let t = (NOW + 10) * 1_000_000_000;
    synthetic::log_lines(
        &mut app,
        streams[0],
        &[(t, "late one"), (t + 1, "late two")],
    );
    let screen = render(&mut app, 120, 12);
    assert!(screen.contains("paused, 2 new"), "{screen}");
    assert!(
        !screen.contains("late one"),
        "the view stays where it was:\n{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn port_forwards_list() {
    use flotilla::model::ForwardEvent;
    use flotilla::protocol::{Effect, Msg};
    let mut app = app();
    // shift-f on the first pod: its object is fetched, the form is filled in with defaults.
    let fx = app.update(Input::Action(Action::PortForward));
    assert_eq!(
        synthetic::answer_pod_fetches(&mut app, fx, &["web"]).len(),
        0
    );
    let mut forward = None;
    for _ in 0..3 {
        let fx = app.update(Input::Key(flotilla::key::KeyEvent::from(
            flotilla::key::KeyCode::Enter,
        )));
        for e in fx {
            // The forward starts once its audit intent is written, not before.
            assert!(!matches!(e, Effect::Forward { .. }), "before its intent");
            if let Effect::Mutate { ticket, .. } = e {
                let written = Ok(flotilla::protocol::op::Outcome {
                    summary: "started".into(),
                    rv_before: None,
                    rv_after: None,
                    object: None,
                    intent: Some("0".repeat(64)),
                });
                let fx = app.update(Input::Msg(Msg::Mutated {
                    ticket,
                    index: 0,
                    result: written,
                }));
                for e in fx {
                    if let Effect::Forward { id, local, .. } = e {
                        forward = Some((id, local));
                    }
                }
            }
        }
    }
    let (id, local) = forward.expect("the form starts a forward");
    assert_eq!(local.to_string(), "127.0.0.1:8080");
    for ev in [
        ForwardEvent::Listening(local),
        ForwardEvent::Pod("web-00000".into()),
        ForwardEvent::Bytes {
            sent: 1536,
            received: 3 * 1024 * 1024,
        },
    ] {
        app.update(Input::Msg(Msg::Forward { id, ev }));
    }
    app.update(Input::Action(Action::Run("pf".into())));
    let screen = render(&mut app, 120, 8);
    assert!(screen.contains("3.0 MiB"), "{screen}");
    insta::assert_snapshot!(screen);
    // ctrl-d stops it and frees the port.
    let fx = app.update(Input::Action(Action::Delete));
    assert!(fx.contains(&Effect::StopForward { id }), "{fx:?}");
}

#[test]
fn audit_log_newest_first() {
    use flotilla::ops::audit::{AuditLog, Record, Target};
    let dir = std::env::temp_dir().join(format!("flotilla-snapshot-audit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("audit.jsonl");
    let log = AuditLog::open(path.clone()).expect("open");
    let at = |ago: i64| {
        jiff::Timestamp::from_second(NOW - ago)
            .expect("time")
            .to_string()
    };
    let rows = [
        (
            3600,
            "scale",
            "ok",
            "dev",
            "Deployment",
            "shop",
            "web",
            Some("kwok-admin"),
            None,
        ),
        (
            1800,
            "delete",
            "dry-run",
            "prod",
            "Pod",
            "shop",
            "web-00001",
            Some("kwok-admin"),
            None,
        ),
        (
            900,
            "delete",
            "denied",
            "prod",
            "Secret",
            "shop",
            "db-creds",
            Some("dev-user"),
            Some("forbidden"),
        ),
        (
            300,
            "cordon",
            "refused",
            "prod",
            "Node",
            "",
            "prod-node-1",
            None,
            Some("read-only session"),
        ),
        (
            42,
            "set-image",
            "failed",
            "dev",
            "Deployment",
            "shop",
            "evil\u{1b}[31mred\u{202e}",
            Some("kwok-admin"),
            Some("conflict"),
        ),
    ];
    for (ago, action, result, context, kind, ns, name, identity, error) in rows {
        log.append(Record {
            time: at(ago),
            user: "ops".into(),
            host: "jump-1".into(),
            identity: identity.map(String::from),
            context: context.into(),
            server: format!("https://{context}.example:6443"),
            action: action.into(),
            batch: format!("b{ago:07}-batch"),
            target: Target {
                group: String::new(),
                version: "v1".into(),
                kind: kind.into(),
                namespace: ns.into(),
                name: name.into(),
                uid: format!("uid-{ago}"),
            },
            change: Some(serde_json::json!({"spec": {"replicas": 3}})),
            result: result.into(),
            error: error.map(String::from),
            ..Record::default()
        })
        .expect("append");
    }
    let mut app = app();
    app.config.settings.audit_log = Some(path.clone());
    app.update(Input::Action(Action::Run("audit".into())));
    let screen = render(&mut app, 100, 12);
    assert!(screen.contains("chain ok"), "{screen}");
    assert!(
        !screen.contains('\u{1b}') && !screen.contains('\u{202e}'),
        "{screen}"
    );
    insta::assert_snapshot!(screen);

    // Enter: the newest record in full.
    app.update(Input::Action(Action::Enter));
    let details = render(&mut app, 100, 30);
    assert!(details.contains("change:"), "{details}");
    assert!(details.contains("\"replicas\": 3"), "{details}");
    assert!(details.contains("\"action\": \"set-image\""), "{details}");

    // A record taken out: the title says where the chain breaks.
    let text = std::fs::read_to_string(&path).expect("read");
    let kept: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, l)| l)
        .collect();
    std::fs::write(&path, kept.join("\n") + "\n").expect("write");
    app.update(Input::Action(Action::Run("audit".into())));
    let screen = render(&mut app, 100, 12);
    assert!(screen.contains("chain BROKEN at record 2"), "{screen}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Deployment on dev and the editor over it (as `e` on its row opens it).
fn edited_deployment(app: &App) -> flotilla::screens::editor::EditorScreen {
    let cluster = app.store.clusters.by_context("dev").expect("dev").id;
    let target = flotilla::model::ObjectRef {
        context: "dev".into(),
        cluster,
        res: flotilla::model::ResKey::new("apps", "deployments"),
        version: "v1".into(),
        kind: "Deployment".into(),
        namespace: "shop".into(),
        name: "web".into(),
        uid: "u-web".into(),
    };
    let obj = serde_json::json!({"apiVersion":"apps/v1","kind":"Deployment",
        "metadata":{"name":"web","namespace":"shop","uid":"u-web","resourceVersion":"123",
            "generation":3,"managedFields":[{"manager":"kubectl"}],"labels":{"app":"web"}},
        "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
            "template":{"metadata":{"labels":{"app":"web"}},
                "spec":{"containers":[{"name":"web","image":"nginx:1.27","ports":[{"containerPort":80}]}]}}},
        "status":{"readyReplicas":2}});
    flotilla::screens::editor::EditorScreen::new(target, &obj, false).expect("editor")
}

#[test]
fn editor_with_a_yaml_buffer() {
    let mut app = app();
    let editor = edited_deployment(&app);
    app.push(Box::new(editor));
    // Down to `replicas`, a change typed: the cursor and [modified] show.
    for _ in 0..10 {
        app.update(Input::Key(flotilla::key::KeyEvent::from(
            flotilla::key::KeyCode::Down,
        )));
    }
    app.update(Input::Key(flotilla::key::KeyEvent::from(
        flotilla::key::KeyCode::End,
    )));
    type_keys(&mut app, "0");
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("[modified]"), "{screen}");
    assert!(!screen.contains("managedFields") && !screen.contains("readyReplicas"));
    insta::assert_snapshot!(screen);
}

#[test]
fn edit_review_shows_the_dry_run_diff() {
    let mut app = app();
    let editor = edited_deployment(&app);
    let mut after = serde_json::json!({"apiVersion":"apps/v1","kind":"Deployment",
        "metadata":{"name":"web","namespace":"shop","uid":"u-web","resourceVersion":"130",
            "generation":4,"labels":{"app":"web"}},
        "spec":{"replicas":5,"selector":{"matchLabels":{"app":"web"}},
            "template":{"metadata":{"labels":{"app":"web"}},
                "spec":{"containers":[{"name":"web","image":"nginx:1.28","ports":[{"containerPort":80}]}]}}}});
    after["status"] = serde_json::json!({"readyReplicas": 2});
    app.push(Box::new(editor.reviewed(after).expect("reviews")));
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("+   replicas: 5"), "{screen}");
    assert!(screen.contains("-   replicas: 2"), "{screen}");
    assert!(
        !screen.contains("resourceVersion") && !screen.contains("generation"),
        "{screen}"
    );
    // Added and removed lines in the theme's diff colours.
    let mut term = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    term.draw(|f| flotilla::ui::draw_at(f, &app, NOW))
        .expect("draw");
    let buf = term.backend().buffer();
    let row_of = |text: &str| {
        (0..24u16).find(|y| {
            (0..80u16)
                .map(|x| buf[(x, *y)].symbol())
                .collect::<String>()
                .contains(text)
        })
    };
    let theme = &app.config.theme;
    let add = row_of("+   replicas: 5").expect("added line");
    let remove = row_of("-   replicas: 2").expect("removed line");
    assert_eq!(
        buf[(3, add)].fg,
        theme.get("diff-add").fg.unwrap_or_default()
    );
    assert_eq!(
        buf[(3, remove)].fg,
        theme.get("diff-remove").fg.unwrap_or_default()
    );
    insta::assert_snapshot!(screen);
}

/// Marks `n` rows from the top of the list.
fn mark_rows(app: &mut App, n: usize) {
    for _ in 0..n {
        app.update(Input::Action(Action::Mark));
    }
}

#[test]
fn change_confirmation_names_objects_clusters_and_protection() {
    let mut app = app();
    let settings = flotilla::config::Settings {
        protected_contexts: vec!["prod".into()],
        ..Default::default()
    };
    app.policy = flotilla::app::mutate::Policy::from_settings(&settings);
    mark_rows(&mut app, 2);
    app.update(Input::Action(Action::Bottom));
    mark_rows(&mut app, 1);
    app.update(Input::Action(Action::Delete));
    let screen = render(&mut app, 100, 24);
    assert!(screen.contains("3 objects on dev, prod"), "{screen}");
    assert!(screen.contains("type prod to confirm"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn actions_menu_shows_what_is_not_allowed_and_why() {
    use flotilla::protocol::Msg;
    use flotilla::protocol::op::{Access, Check};
    let mut app = app();
    app.update(Input::Action(Action::Down));
    let check = |verb: &'static str, ns: &str| Check {
        verb,
        group: String::new(),
        resource: "pods".into(),
        subresource: "",
        namespace: ns.into(),
    };
    // The synthetic pods live in these namespaces; whichever is selected, delete is denied.
    for context in ["dev", "prod"] {
        for ns in ["shop", "payments", "data", "batch", "monitoring"] {
            app.update(Input::Msg(Msg::Access {
                cluster: synthetic::id(&app, context),
                answers: vec![
                    (check("delete", ns), Access::Denied("RBAC: no rule".into())),
                    (check("patch", ns), Access::Allowed),
                    (check("update", ns), Access::Allowed),
                ],
            }));
        }
    }
    app.update(Input::Action(Action::Actions));
    let screen = render(&mut app, 120, 24);
    assert!(
        screen.contains("✗ delete <ctrl-d> — not allowed: kwok-admin may not delete pods"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn fleet_overview_counts_each_cluster() {
    let mut app = app();
    app.update(Input::Action(Action::Run("fleet".into())));
    // Only the pods are listed yet: the clusters are syncing, and what is not listed reads
    // `…`, never an "ok" cluster with zero nodes.
    let syncing = render(&mut app, 120, 8);
    let rows: Vec<&str> = syncing
        .lines()
        .filter(|l| l.starts_with("\"│dev ") || l.starts_with("\"│prod "))
        .collect();
    assert_eq!(rows.len(), 2, "{syncing}");
    for row in rows {
        assert!(
            row.contains("◌ syncing") && row.contains(" … "),
            "{syncing}"
        );
        assert!(!row.contains("● ok") && !row.contains("0/0"), "{syncing}");
    }
    for context in ["dev", "prod"] {
        for (group, resource) in [
            ("", "nodes"),
            ("apps", "deployments"),
            ("apps", "statefulsets"),
            ("apps", "daemonsets"),
            ("", "events"),
        ] {
            synthetic::list_empty(&mut app, context, ResKey::new(group, resource));
        }
    }
    let screen = render(&mut app, 120, 8);
    assert!(screen.contains("TOTAL"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn fleet_of_fifty_long_contexts_in_80_columns_tells_every_cluster_apart() {
    let names: Vec<String> = (0..50)
        .map(|i| format!("arn:aws:eks:eu-west-1:123456789012:cluster/shop-{i:02}"))
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut app = synthetic::app(&refs);
    for name in &refs {
        synthetic::load_pods(&mut app, name, 3, NOW);
    }
    app.update(Input::Action(Action::Run("fleet".into())));
    let screen = render(&mut app, 80, 24);
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| l.starts_with("\"│") && !l.contains("CLUSTER") && !l.contains("TOTAL"))
        .collect();
    assert!(rows.len() >= 15, "{screen}");
    // Only the pods are listed: every row is syncing, none "ok" with zero nodes.
    assert!(rows.iter().all(|r| r.contains("◌ syncing")), "{screen}");
    let clusters: std::collections::HashSet<&str> = rows
        .iter()
        .filter_map(|r| r.trim_start_matches("\"│").split_whitespace().next())
        .collect();
    assert_eq!(
        clusters.len(),
        rows.len(),
        "every cluster told apart:\n{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn triage_lists_critical_problems_first_then_newest() {
    let mut app = app();
    app.update(Input::Action(Action::Run("triage".into())));
    let screen = render(&mut app, 120, 12);
    assert!(screen.contains("CrashLoopBackOff"), "{screen}");
    insta::assert_snapshot!(screen);
    // Folded: the same problem on both clusters is one row naming them.
    app.update(Input::Action(Action::Collapse));
    insta::assert_snapshot!("triage_folded", render(&mut app, 120, 12));
}

#[test]
fn events_screen_without_events() {
    let mut app = app();
    app.update(Input::Action(Action::Run("events".into())));
    insta::assert_snapshot!(render(&mut app, 120, 6));
}

/// A row of `res` built as a Table watch would: its cells, and its metadata (`uid`, labels,
/// owner uid).
fn object_row(
    res: &ResKey,
    columns: &[&str],
    cells: &[&str],
    (name, uid, owner): (&str, &str, Option<&str>),
) -> (Vec<flotilla::model::Column>, flotilla::model::Row) {
    use flotilla::cluster::table::{self, WireColumn, WireRow};
    let defs: Vec<WireColumn> = serde_json::from_value(serde_json::Value::Array(
        columns
            .iter()
            .map(|c| serde_json::json!({"name": c, "type": "string"}))
            .collect(),
    ))
    .expect("columns");
    let columns = table::columns(&defs);
    let owners: Vec<serde_json::Value> = owner
        .map(|o| serde_json::json!({"uid": o, "kind": "x", "name": "x", "apiVersion": "v1"}))
        .into_iter()
        .collect();
    let wire: WireRow = serde_json::from_value(serde_json::json!({
        "cells": cells,
        "object": {"metadata": {"name": name, "uid": uid,
            "namespace": if matches!(res.plural.as_str(), "nodes" | "storageclasses") { "" } else { "shop" },
            "creationTimestamp": "2026-05-28T00:00:00Z", "labels": {"app": "web"},
            "ownerReferences": owners}}
    }))
    .expect("row");
    let row = table::build(res, &columns, wire).expect("row builds");
    (columns, row)
}

#[test]
fn tree_of_a_deployment_down_to_its_nodes_80x24_and_200x50() {
    use flotilla::model::WatchEvent;
    let mut app = synthetic::app(&["dev"]);
    let dev = synthetic::id(&app, "dev");
    let pods = ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node"];
    type Meta<'a> = (&'a str, &'a str, Option<&'a str>);
    type Rows<'a> = Vec<(&'a [&'a str], Meta<'a>)>;
    let objects: Vec<(ResKey, &[&str], Rows)> = vec![
        (
            ResKey::new("apps", "deployments"),
            &["Name", "Ready", "Up-to-date", "Available", "Age"],
            vec![(&["web", "2/3", "3", "2", "5d"], ("web", "d1", None))],
        ),
        (
            ResKey::new("apps", "replicasets"),
            &["Name", "Desired", "Current", "Ready", "Age"],
            vec![
                (
                    &["web-5d8f", "0", "0", "0", "5d"],
                    ("web-5d8f", "r0", Some("d1")),
                ),
                (
                    &["web-7c9b", "3", "3", "2", "1h"],
                    ("web-7c9b", "r1", Some("d1")),
                ),
            ],
        ),
        (
            ResKey::core("pods"),
            &pods,
            vec![
                (
                    &[
                        "web-7c9b-a",
                        "1/1",
                        "Running",
                        "0",
                        "1h",
                        "10.0.0.1",
                        "dev-node-0",
                    ],
                    ("web-7c9b-a", "p1", Some("r1")),
                ),
                (
                    &[
                        "web-7c9b-b",
                        "1/1",
                        "Running",
                        "0",
                        "1h",
                        "10.0.0.2",
                        "dev-node-1",
                    ],
                    ("web-7c9b-b", "p2", Some("r1")),
                ),
                (
                    &[
                        "web-7c9b-c",
                        "0/1",
                        "CrashLoopBackOff",
                        "7",
                        "1h",
                        "10.0.0.3",
                        "dev-node-1",
                    ],
                    ("web-7c9b-c", "p3", Some("r1")),
                ),
            ],
        ),
        (
            ResKey::core("services"),
            &["Name", "Type", "Cluster-IP", "Age", "Selector"],
            vec![(
                &["web", "ClusterIP", "10.96.0.10", "5d", "app=web"],
                ("web", "s1", None),
            )],
        ),
        (
            ResKey::core("nodes"),
            &["Name", "Status", "Roles", "Age", "Version"],
            vec![
                (
                    &["dev-node-0", "Ready", "<none>", "9d", "v1.36"],
                    ("dev-node-0", "n0", None),
                ),
                (
                    &["dev-node-1", "NotReady", "<none>", "9d", "v1.36"],
                    ("dev-node-1", "n1", None),
                ),
            ],
        ),
    ];
    for (res, columns, rows) in objects {
        let built: Vec<_> = rows
            .into_iter()
            .map(|(cells, meta)| object_row(&res, columns, cells, meta))
            .collect();
        let columns = built[0].0.clone();
        synthetic::sheet_event(&mut app, dev, res.clone(), WatchEvent::Listing { columns });
        let rows = built.into_iter().map(|(_, r)| r).collect();
        synthetic::sheet_event(&mut app, dev, res.clone(), WatchEvent::Upsert(rows));
        synthetic::sheet_event(&mut app, dev, res, WatchEvent::Synced);
    }
    // From a pod, the tree starts at its top owner.
    app.update(Input::Action(Action::Run(
        "tree pod/web-7c9b-c -n shop".into(),
    )));
    let narrow = render(&mut app, 80, 24);
    for line in [
        "deployment/web",
        "└─ selected by service/web",
        "└─ replicaset/web-5d8f",
        "└─ replicaset/web-7c9b",
        "   └─ pod/web-7c9b-c",
        "      └─ on node/dev-node-1",
    ] {
        assert!(narrow.contains(line), "{line}:\n{narrow}");
    }
    insta::assert_snapshot!("tree_80x24", narrow);
    insta::assert_snapshot!("tree_200x50", render(&mut app, 200, 50));
}

/// Answers every fetch among `effects` from `objects` (path → object); an unknown path is 404.
fn answer_fetches(
    app: &mut App,
    mut effects: Vec<flotilla::protocol::Effect>,
    objects: &dyn Fn(&str) -> Option<serde_json::Value>,
) {
    use flotilla::model::{ApiError, Fetched};
    use flotilla::protocol::{Effect, Msg};
    for _ in 0..5 {
        let mut next = Vec::new();
        for e in effects {
            if let Effect::Fetch { ticket, path, .. } = e {
                let result = objects(&path)
                    .map(|object| Fetched {
                        object,
                        events: vec![],
                    })
                    .ok_or(ApiError {
                        code: 404,
                        message: format!("{path} not found"),
                    });
                next.extend(app.update(Input::Msg(Msg::Fetched { ticket, result })));
            }
        }
        effects = next;
    }
}

#[test]
fn triage_row_expanded_with_its_pods_events_and_the_rollout_before_it() {
    use flotilla::cluster::table::{self, WireColumn, WireRow};
    use flotilla::model::WatchEvent;
    use serde_json::json;
    let mut app = synthetic::app(&["staging"]);
    let staging = synthetic::id(&app, "staging");
    let at = |secs_ago: i64| {
        jiff::Timestamp::from_second(NOW - secs_ago)
            .expect("time")
            .to_string()
    };
    let columns = |names: &[&str]| {
        let defs: Vec<WireColumn> = serde_json::from_value(serde_json::Value::Array(
            names
                .iter()
                .map(|c| json!({"name": c, "type": "string"}))
                .collect(),
        ))
        .expect("columns");
        table::columns(&defs)
    };
    let load = |app: &mut App,
                res: ResKey,
                cols: Vec<flotilla::model::Column>,
                rows: Vec<serde_json::Value>| {
        let rows = rows
            .into_iter()
            .map(|w| {
                let wire: WireRow = serde_json::from_value(w).expect("row");
                table::build(&res, &cols, wire).expect("row builds")
            })
            .collect();
        synthetic::sheet_event(
            app,
            staging,
            res.clone(),
            WatchEvent::Listing { columns: cols },
        );
        synthetic::sheet_event(app, staging, res.clone(), WatchEvent::Upsert(rows));
        synthetic::sheet_event(app, staging, res, WatchEvent::Synced);
    };
    // A rollout 20 minutes ago that has not moved since: one new pod, never ready.
    load(
        &mut app,
        ResKey::new("apps", "deployments"),
        columns(&["Name", "Ready", "Up-to-date", "Available", "Age"]),
        vec![json!({"cells": ["web", "3/3", "1", "3", "9d"],
            "object": {"metadata": {"name": "web", "namespace": "shop", "uid": "d1",
                "creationTimestamp": at(9 * 86400), "labels": {"app": "web"}},
              "spec": {"replicas": 3, "progressDeadlineSeconds": 3600},
              "status": {"updatedReplicas": 1, "conditions": [
                {"type": "Available", "status": "True", "lastTransitionTime": at(9 * 86400)},
                {"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated",
                 "lastUpdateTime": at(1200), "lastTransitionTime": at(9 * 86400)}]}}})],
    );
    load(
        &mut app,
        ResKey::core("events"),
        columns(&["Last Seen", "Type", "Reason", "Object", "Count", "Message"]),
        vec![
            json!({"cells": ["30s", "Warning", "Unhealthy", "pod/web-7c9b-x4k2p", "41",
                "Readiness probe failed: HTTP probe failed with statuscode: 503"],
            "object": {"metadata": {"name": "web-7c9b-x4k2p.1", "namespace": "shop", "uid": "e1",
                "creationTimestamp": at(1195)}}}),
        ],
    );
    let template = |image: &str, extra: serde_json::Value| {
        let mut labels = json!({"app": "web"});
        if let Some(o) = extra.as_object() {
            for (k, v) in o {
                labels[k] = v.clone();
            }
        }
        json!({"metadata": {"labels": labels},
            "spec": {"containers": [{"name": "web", "image": image}]}})
    };
    let new = template("nginx:1.28-rc1", json!({"flotilla.dev/not-ready": "true"}));
    let old = template("nginx:1.27", json!({}));
    let rs = |name: &str, revision: &str, created: i64, t: &serde_json::Value| {
        json!({"metadata": {"name": name, "creationTimestamp": at(created),
            "annotations": {"deployment.kubernetes.io/revision": revision},
            "ownerReferences": [{"uid": "d1", "controller": true, "kind": "Deployment", "name": "web"}]},
          "spec": {"template": t}})
    };
    let deployment = json!({"kind": "Deployment", "metadata": {"name": "web", "namespace": "shop",
        "uid": "d1"}, "spec": {"template": new}});
    let replicasets = json!({"items": [
        rs("web-7c9b", "4", 1203, &new),
        rs("web-5d8f", "3", 5 * 86400, &old)]});
    let objects = move |path: &str| match path {
        "/apis/apps/v1/namespaces/shop/deployments/web" => Some(deployment.clone()),
        "/apis/apps/v1/namespaces/shop/replicasets" => Some(replicasets.clone()),
        _ => None,
    };
    app.update(Input::Action(Action::Run("triage".into())));
    app.update(Input::Tick);
    // What changed is read once the cursor has rested on the row.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let fx = app.update(Input::Tick);
    answer_fetches(&mut app, fx, &objects);
    let grouped = render(&mut app, 80, 24);
    assert!(
        grouped.contains("3s before: rollout to revision 4: image nginx:1.27 → nginx:1.28-rc1"),
        "{grouped}"
    );
    insta::assert_snapshot!("triage_grouped_80x24", grouped);
    app.update(Input::Action(Action::Expand));
    let expanded = render(&mut app, 200, 50);
    assert!(expanded.contains("└ rollout"), "{expanded}");
    insta::assert_snapshot!("triage_expanded_200x50", expanded);
    insta::assert_snapshot!("triage_expanded_80x24", render(&mut app, 80, 24));
}

/// `s` on a node: before anything is made, the confirmation says that it makes a privileged
/// pod, where, and what runs in it, on any context (not only a protected one).
#[test]
fn node_shell_confirmation_says_it_makes_a_privileged_pod() {
    use flotilla::model::WatchEvent;
    let mut app = synthetic::app(&["dev"]);
    let dev = synthetic::id(&app, "dev");
    let res = ResKey::core("nodes");
    let (columns, row) = object_row(
        &res,
        &["Name", "Status", "Roles", "Age", "Version"],
        &["dev-node-0", "Ready", "<none>", "9d", "v1.36"],
        ("dev-node-0", "n0", None),
    );
    synthetic::sheet_event(&mut app, dev, res.clone(), WatchEvent::Listing { columns });
    synthetic::sheet_event(&mut app, dev, res.clone(), WatchEvent::Upsert(vec![row]));
    synthetic::sheet_event(&mut app, dev, res, WatchEvent::Synced);
    app.update(Input::Action(Action::Run("nodes".into())));
    app.update(Input::Action(Action::Shell));
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("Open a node-shell session?")
            && screen.contains("This creates a privileged pod on the node:"),
        "{screen}"
    );
    // The pod's name ends in a random suffix: the snapshot shows it as xxxxx.
    let at = screen
        .find("flotilla-node-shell-")
        .expect("the pod is named")
        + 20;
    let suffix: String = screen[at..].chars().take(5).collect();
    insta::assert_snapshot!(screen.replace(&suffix, "xxxxx"));
}

/// `:ctx add FILE`: each context as it answered, the one that did not with why, and what
/// enter and ! do.
#[test]
fn ctx_add_shows_each_context_and_why_one_failed() {
    use flotilla::model::{ImportCheck, Probed};
    use flotilla::protocol::{Effect, Msg};
    let mut app = synthetic::app(&["dev"]);
    let effects = app.update(Input::Action(Action::Run(
        "ctx add /home/sre/Downloads/eu-clusters.kubeconfig".into(),
    )));
    let ticket = effects
        .iter()
        .find_map(|e| match e {
            Effect::CheckImport { ticket, .. } => Some(*ticket),
            _ => None,
        })
        .expect("the kubeconfig is checked");
    let probed = |context: &str, port: u16, result| Probed {
        context: context.into(),
        server: format!("https://10.20.0.{port}:6443"),
        result,
    };
    app.update(Input::Msg(Msg::ImportChecked {
        ticket,
        result: Ok(ImportCheck {
            taken: Vec::new(),
            probed: vec![
                probed(
                    "eu-west-1",
                    11,
                    Ok(("v1.35.2".into(), Some("sre@example.com".into()))),
                ),
                probed(
                    "eu-central-1",
                    12,
                    Err("client: tls: x509: certificate signed by unknown authority".into()),
                ),
            ],
        }),
    }));
    let screen = render(&mut app, 100, 12);
    assert!(
        screen.contains("✓ v1.35.2 as sre@example.com")
            && screen.contains("✗ client: tls")
            && screen.contains("enter imports the 1 that answered; ! also the 1 that did not"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

/// `:create deploy web -n shop`: the form, its name given, the rest to fill in.
#[test]
fn workload_form_asks_what_an_operator_sets() {
    let mut app = synthetic::app(&["dev"]);
    app.update(Input::Action(Action::Run(
        "create deploy web -n shop".into(),
    )));
    let screen = render(&mut app, 100, 24);
    assert!(
        screen.contains("new deployment")
            && screen.contains("readiness (http:PORT/PATH or tcp:PORT)"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

/// A StorageClass made the default: the confirmation names it and the default before it,
/// which stops being one in the same batch.
#[test]
fn default_class_confirmation_lists_the_default_it_replaces() {
    use flotilla::model::WatchEvent;
    let mut app = synthetic::app(&["dev"]);
    let dev = synthetic::id(&app, "dev");
    let res = ResKey::new("storage.k8s.io", "storageclasses");
    let columns = [
        "Name",
        "Provisioner",
        "ReclaimPolicy",
        "VolumeBindingMode",
        "AllowVolumeExpansion",
        "Age",
    ];
    let rows: Vec<_> = [("fast-ssd", "sc1"), ("standard", "sc2")]
        .into_iter()
        .map(|(name, uid)| {
            object_row(
                &res,
                &columns,
                &[
                    name,
                    "ebs.csi.aws.com",
                    "Delete",
                    "WaitForFirstConsumer",
                    "true",
                    "40d",
                ],
                (name, uid, None),
            )
        })
        .collect();
    let columns = rows[0].0.clone();
    synthetic::sheet_event(&mut app, dev, res.clone(), WatchEvent::Listing { columns });
    let rows = rows.into_iter().map(|(_, r)| r).collect();
    synthetic::sheet_event(&mut app, dev, res.clone(), WatchEvent::Upsert(rows));
    synthetic::sheet_event(&mut app, dev, res, WatchEvent::Synced);
    app.update(Input::Action(Action::Run("storageclasses".into())));
    let effects = app.update(Input::Action(Action::DefaultClass));
    let class = |name: &str, uid: &str, default: bool| {
        serde_json::json!({"metadata": {"name": name, "uid": uid,
            "annotations": {"storageclass.kubernetes.io/is-default-class": default.to_string()}}})
    };
    let list = serde_json::json!({"items": [class("fast-ssd", "sc1", false), class("standard", "sc2", true)]});
    answer_fetches(&mut app, effects, &|path| {
        (path == "/apis/storage.k8s.io/v1/storageclasses").then(|| list.clone())
    });
    let screen = render(&mut app, 100, 16);
    assert!(
        screen.contains("Default-class 2 objects?")
            && screen.contains("make fast-ssd the default StorageClass")
            && screen.contains("StorageClass dev/standard"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}
