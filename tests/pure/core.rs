//! The core without a runtime, a terminal or a cluster: input goes into `App::update`, effects
//! and the drawn screen come out. Objects are followed by identity, connections are never
//! confused, late answers are dropped, modal layers get keys first.

use crate::harness;

use flotilla::app::{App, Input};
use flotilla::key::{KeyCode, KeyEvent};
use flotilla::model::{Action, ApiError, ClusterEvent, Fetched, ResKey, WatchEvent};
use flotilla::protocol::{Effect, Msg};
use harness::{render, selected_line, synthetic};

fn press(app: &mut App, a: Action) -> Vec<Effect> {
    app.update(Input::Action(a))
}

fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(Input::Key(KeyEvent::from(KeyCode::Char(c))));
    }
}

fn screen(app: &mut App) -> String {
    app.update(Input::Tick);
    render(app, 120, 30)
}

fn selected(app: &mut App) -> String {
    app.update(Input::Tick);
    selected_line(app, 120, 30).unwrap_or_default()
}

/// The ticket of the fetch among `fx`.
fn fetched(fx: &[Effect]) -> Option<u64> {
    fx.iter().find_map(|e| match e {
        Effect::Fetch { ticket, .. } => Some(*ticket),
        _ => None,
    })
}

fn deployment_answer(app: &mut App, ticket: u64) {
    app.update(Input::Msg(Msg::Fetched {
        ticket,
        result: Ok(Fetched {
            object: serde_json::json!({"kind": "Deployment", "metadata": {"uid": "d1"},
                "spec": {"selector": {"matchLabels": {"app": "web"}}}}),
            events: vec![],
        }),
    }));
}

fn flash(app: &App) -> String {
    app.flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default()
}

/// dev with pods p10, p20, … p90 in shop.
fn shop() -> App {
    let mut app = synthetic::app(&["dev"]);
    press(&mut app, Action::Run("pods shop".into()));
    app.update(Input::Tick);
    let dev = synthetic::id(&app, "dev");
    synthetic::pods_event(
        &mut app,
        dev,
        WatchEvent::Listing {
            columns: synthetic::pod_columns(),
        },
    );
    let rows = (1..10)
        .map(|i| synthetic::named_pod("dev", "shop", &format!("p{}0", i), "Running"))
        .collect();
    synthetic::pods_event(&mut app, dev, WatchEvent::Upsert(rows));
    synthetic::pods_event(&mut app, dev, WatchEvent::Synced);
    app
}

fn upsert(app: &mut App, names: &[(&str, &str)]) {
    let dev = synthetic::id(app, "dev");
    let rows = names
        .iter()
        .map(|(n, s)| synthetic::named_pod("dev", "shop", n, s))
        .collect();
    synthetic::pods_event(app, dev, WatchEvent::Upsert(rows));
}

fn delete(app: &mut App, names: &[&str]) {
    let dev = synthetic::id(app, "dev");
    let uids = names.iter().map(|n| format!("dev/shop/{n}")).collect();
    synthetic::pods_event(app, dev, WatchEvent::Delete(uids));
}

#[test]
fn starting_asks_for_connections_and_nothing_runs_by_itself() {
    let contexts = ["dev", "prod"].map(|n| flotilla::model::ContextEntry {
        name: n.into(),
        cluster: n.into(),
        user: "u".into(),
        namespace: None,
        server: String::new(),
    });
    let mut app = App::new(
        contexts.to_vec(),
        &["dev".into(), "prod".into()],
        harness::config(),
    );
    let fx = app.update(Input::Tick);
    let connects: Vec<&str> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Connect { context, .. } => Some(context.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(connects, ["dev", "prod"]);
    // No watch before the connection is up; then those the fleet view (the start screen
    // with two clusters) counts from, on that cluster only.
    assert!(!fx.iter().any(|e| matches!(e, Effect::Watch { .. })));
    let dev = synthetic::id(&app, "dev");
    synthetic::connected(&mut app, dev);
    let fx = app.update(Input::Tick);
    let watched: Vec<ResKey> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::Watch { cluster, res, .. } if *cluster == dev => Some(res.key.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(watched, flotilla::triage::census::watched(), "{fx:?}");
    assert_eq!(watched.len(), fx.len(), "{fx:?}");
}

#[test]
fn cursor_stays_on_its_object_while_rows_come_go_and_resort() {
    let mut app = shop();
    for _ in 0..4 {
        press(&mut app, Action::Down);
    }
    assert!(selected(&mut app).contains("p50"), "{}", screen(&mut app));
    // Rows before it appear and disappear; the list re-sorts by status.
    upsert(
        &mut app,
        &[("p01", "Running"), ("p02", "Running"), ("p03", "Pending")],
    );
    assert!(selected(&mut app).contains("p50"), "{}", screen(&mut app));
    delete(&mut app, &["p10", "p20", "p30"]);
    assert!(selected(&mut app).contains("p50"), "{}", screen(&mut app));
    press(&mut app, Action::SortStatus);
    upsert(&mut app, &[("p50", "CrashLoopBackOff"), ("p60", "Pending")]);
    let line = selected(&mut app);
    assert!(
        line.contains("p50") && line.contains("CrashLoopBackOff"),
        "{}",
        screen(&mut app)
    );
    // An action between a message and the next frame resolves the object, not a position.
    upsert(&mut app, &[("p00", "Completed"), ("p04", "Completed")]);
    let copied = press(&mut app, Action::Copy)
        .into_iter()
        .find_map(|e| match e {
            Effect::Copy(t) => Some(t),
            _ => None,
        });
    assert_eq!(copied.as_deref(), Some("p50"));
}

#[test]
fn an_object_deleted_under_the_cursor_moves_it_to_a_neighbour_and_says_so() {
    let mut app = shop();
    for _ in 0..4 {
        press(&mut app, Action::Down);
    }
    assert!(selected(&mut app).contains("p50"));
    delete(&mut app, &["p50"]);
    assert!(selected(&mut app).contains("p60"), "{}", screen(&mut app));
    assert_eq!(flash(&app), "p50 was deleted on dev; cursor moved to p60");
    // And it keeps following its new object.
    upsert(&mut app, &[("p05", "Running")]);
    assert!(selected(&mut app).contains("p60"));
}

#[test]
fn describing_a_vanished_object_says_so_instead_of_showing_another() {
    let mut app = shop();
    press(&mut app, Action::Down);
    assert!(selected(&mut app).contains("p20"));
    // Deleted between the last frame and the key press: not described, and not swapped for
    // its neighbour either.
    delete(&mut app, &["p20"]);
    let fx = press(&mut app, Action::Describe);
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Fetch { .. })),
        "{fx:?}"
    );
    assert_eq!(flash(&app), "p20 was deleted on dev; cursor moved to p30");
    // The cursor is on p30 now; describe it, and let the server answer with another object.
    let fx = press(&mut app, Action::Describe);
    assert!(
        fx.iter().any(|e| matches!(e, Effect::Fetch { path, .. } if path == "/api/v1/namespaces/shop/pods/p30")),
        "{fx:?}"
    );
    let ticket = fetched(&fx).expect("a fetch");
    app.update(Input::Msg(Msg::Fetched {
        ticket,
        result: Ok(Fetched {
            object: serde_json::json!({"kind": "Pod", "metadata": {"name": "p30", "uid": "someone-else"},
                "spec": {"nodeName": "impostor-node"}}),
            events: vec![],
        }),
    }));
    let s = screen(&mut app);
    assert!(
        s.contains(
            "Pod dev/shop/p30 no longer exists: another object of that name (uid someone-else) took its place."
        ),
        "{s}"
    );
    // The other object is not described in its place.
    assert!(!s.contains("impostor-node"), "{s}");
}

#[test]
fn a_view_scoped_to_a_context_never_shows_the_next_connection_in_its_place() {
    let mut app = synthetic::app_with(&["dev"], &["prod"]);
    press(&mut app, Action::Run("pods shop @dev".into()));
    app.update(Input::Tick);
    let old_dev = synthetic::id(&app, "dev");
    let columns = synthetic::pod_columns();
    synthetic::pods_event(&mut app, old_dev, WatchEvent::Listing { columns });
    upsert(&mut app, &[("dev-pod", "Running")]);
    assert!(screen(&mut app).contains("dev-pod"));
    // Remove dev and add prod from :ctx.
    press(&mut app, Action::Contexts);
    press(&mut app, Action::ToggleContext); // dev is first
    let fx = press(&mut app, Action::Down);
    assert!(fx.is_empty());
    let fx = press(&mut app, Action::ToggleContext);
    let prod = match fx.as_slice() {
        [Effect::Connect { cluster, context }] if context == "prod" => *cluster,
        other => panic!("{other:?}"),
    };
    assert_ne!(prod, old_dev, "a new connection gets a new id");
    synthetic::connected(&mut app, prod);
    app.update(Input::Tick);
    let columns = synthetic::pod_columns();
    synthetic::pods_event(&mut app, prod, WatchEvent::Listing { columns });
    let rows = vec![synthetic::named_pod("prod", "shop", "prod-pod", "Running")];
    synthetic::pods_event(&mut app, prod, WatchEvent::Upsert(rows));
    // A late event of the removed connection lands nowhere.
    app.update(Input::Msg(Msg::Watch {
        cluster: old_dev,
        res: ResKey::core("pods"),
        generation: 1,
        ev: WatchEvent::Upsert(vec![synthetic::named_pod(
            "dev", "shop", "ghost", "Running",
        )]),
    }));
    press(&mut app, Action::Back);
    let s = screen(&mut app);
    assert!(s.contains("@dev"), "{s}");
    assert!(!s.contains("prod-pod") && !s.contains("ghost"), "{s}");
    assert!(s.contains("no live cluster in scope"), "{s}");
}

#[test]
fn a_drill_down_that_answers_after_the_user_moved_on_is_dropped() {
    let mut app = synthetic::app(&["dev"]);
    press(&mut app, Action::Run("deploy shop".into()));
    app.update(Input::Tick);
    let dev = synthetic::id(&app, "dev");
    let res = ResKey::new("apps", "deployments");
    let generation = app
        .store
        .sheet(dev, &res)
        .map(|s| s.generation())
        .unwrap_or(0);
    let wire: flotilla::cluster::table::WireRow = serde_json::from_value(serde_json::json!({
        "cells": ["web", "2/2", "2", "2", "1d"],
        "object": {"metadata": {"name": "web", "namespace": "shop", "uid": "d1"}}
    }))
    .unwrap();
    let row = flotilla::cluster::table::build(&res, &[], wire).unwrap();
    app.update(Input::Msg(Msg::Watch {
        cluster: dev,
        res: res.clone(),
        generation,
        ev: WatchEvent::Upsert(vec![row]),
    }));
    let ticket = fetched(&press(&mut app, Action::Enter)).expect("the drill-down fetches");
    // The user moves on before the answer arrives.
    press(&mut app, Action::Help);
    let depth = app.depth();
    deployment_answer(&mut app, ticket);
    assert_eq!(app.depth(), depth, "nothing pushed over help");
    // Help itself is drawn, not only the hint bar's "help".
    let s = screen(&mut app);
    assert!(
        s.contains("flotilla — many Kubernetes clusters, one screen"),
        "{s}"
    );
    // Without moving on, the same answer drills down.
    press(&mut app, Action::Back);
    let ticket = fetched(&press(&mut app, Action::Enter)).expect("a fetch");
    deployment_answer(&mut app, ticket);
    assert!(screen(&mut app).contains("deployment/web"));
    // An error answer is one line.
    press(&mut app, Action::Back);
    let ticket = fetched(&press(&mut app, Action::Enter)).expect("a fetch");
    app.update(Input::Msg(Msg::Fetched {
        ticket,
        result: Err(ApiError {
            code: 404,
            message: "not found".into(),
        }),
    }));
    assert_eq!(flash(&app), "Deployment dev/shop/web no longer exists");
}

#[test]
fn the_top_modal_layer_gets_keys_first() {
    let mut app = shop();
    app.open_modal(flotilla::modal::Modal::confirm_typed(
        "delete",
        vec!["delete p10?".into()],
        "p10",
    ));
    // j and q are letters of the name being typed, not "down" and "quit".
    for c in "jq".chars() {
        let fx = app.update(Input::Key(KeyEvent::from(KeyCode::Char(c))));
        assert!(fx.is_empty(), "{fx:?}");
    }
    assert!(selected(&mut app).contains("p10"));
    let s = screen(&mut app);
    assert!(s.contains("type p10 to confirm: jq"), "{s}");
    app.update(Input::Key(KeyEvent::from(KeyCode::Esc)));
    assert_eq!(app.modals().count(), 0);
    press(&mut app, Action::Down);
    assert!(selected(&mut app).contains("p20"));
}

#[test]
fn a_key_can_run_a_command() {
    let mut config = harness::config();
    config.keymap = flotilla::config::keymap::Keymap::load(
        Some(("[table]\nX = 'command(\"deploy -A\")'\n", "keymap.toml")),
        &flotilla::screens::modes(),
    )
    .unwrap();
    let mut app = App::new(Vec::new(), &[], config);
    keys(&mut app, "X");
    assert!(
        screen(&mut app).contains("deployments(all)"),
        "{}",
        screen(&mut app)
    );
}

#[test]
fn unreachable_clusters_rows_are_marked_stale() {
    let mut app = shop();
    let dev = synthetic::id(&app, "dev");
    assert!(!screen(&mut app).contains("stale"));
    app.update(Input::Msg(Msg::Cluster {
        cluster: dev,
        ev: ClusterEvent::Health(flotilla::model::Health::Unreachable(
            "no answer within 3s".into(),
        )),
    }));
    let s = screen(&mut app);
    assert!(
        s.contains("dev unreachable, stale 0s: no answer within 3s"),
        "{s}"
    );
    assert!(s.contains("dev: stale 0s"), "{s}");
    // The fleet says it once.
    press(&mut app, Action::Run("fleet".into()));
    let s = screen(&mut app);
    assert!(
        s.contains("✖ stale 0s") && !s.contains("stale stale"),
        "{s}"
    );
    app.update(Input::Msg(Msg::Cluster {
        cluster: dev,
        ev: ClusterEvent::Health(flotilla::model::Health::Ok),
    }));
    assert!(!screen(&mut app).contains("stale"));
}

#[test]
fn a_degraded_clusters_reason_is_said_once_in_triage() {
    let mut app = shop();
    let dev = synthetic::id(&app, "dev");
    let why = "watch silent for 75s, then watch: no answer within 10s";
    synthetic::pods_event(&mut app, dev, WatchEvent::Failed(why.into()));
    press(&mut app, Action::Run("triage".into()));
    let s = screen(&mut app);
    let row: Vec<&str> = s.lines().filter(|l| l.contains("cluster/dev")).collect();
    assert_eq!(row.len(), 1, "{s}");
    assert!(row[0].contains("degraded"), "{s}");
    // The detail under the list (the header says it too): the state, then the reason, once.
    let body = s.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert!(body.contains(&format!("degraded: pods: {why}")), "{s}");
    assert_eq!(body.matches("watch silent for 75s").count(), 1, "{s}");
}

/// A screen of the test's own: adding one needs nothing but the trait.
struct Drain {
    log: Vec<String>,
}

impl flotilla::screens::Screen for Drain {
    fn mode(&self) -> &'static str {
        "text"
    }
    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[]
    }
    fn handle(&mut self, _: &Action, _: &mut flotilla::screens::Ctx) -> bool {
        false
    }
    fn draw(
        &self,
        f: &mut ratatui::Frame,
        area: ratatui::layout::Rect,
        _: &flotilla::screens::DrawCtx,
    ) {
        f.render_widget(ratatui::widgets::Paragraph::new(self.log.join(" | ")), area);
    }
    fn opened(&mut self, ctx: &mut flotilla::screens::Ctx) {
        use flotilla::screens::{Ctx, ProgressStep};
        let layer = ctx.modal(
            flotilla::modal::Modal::progress("drain node-1", 2),
            |me: &mut Drain, r, _: &mut Ctx| me.log.push(format!("progress closed: {r:?}")),
        );
        for pod in ["web-1", "web-2"] {
            let cluster = ctx.store.clusters.ids()[0];
            ctx.fetch(
                cluster,
                format!("/api/v1/namespaces/shop/pods/{pod}"),
                None,
                flotilla::screens::Deliver::OnStack,
                move |me: &mut Drain, r, ctx: &mut Ctx| {
                    let Ok(f) = r else { return };
                    let name = f.object["metadata"]["name"]
                        .as_str()
                        .unwrap_or("?")
                        .to_string();
                    me.log.push(format!("evicted {name}"));
                    ctx.progress(layer, ProgressStep::Advance(format!("evicted {name}")));
                    if me.log.len() == 2 {
                        ctx.progress(layer, ProgressStep::Finish("node-1 drained".into()));
                    }
                },
            );
        }
    }
}

#[test]
fn a_screen_of_its_own_drives_a_progress_layer_from_its_answers() {
    let mut app = synthetic::app(&["dev"]);
    app.push(Box::new(Drain { log: Vec::new() }));
    let fx = app.update(Input::Tick);
    let tickets: Vec<u64> = fx.chunks(1).filter_map(fetched).collect();
    assert_eq!(tickets.len(), 2, "{fx:?}");
    for (ticket, pod) in tickets.iter().zip(["web-1", "web-2"]) {
        app.update(Input::Msg(Msg::Fetched {
            ticket: *ticket,
            result: Ok(Fetched {
                object: serde_json::json!({"metadata": {"name": pod}}),
                events: vec![],
            }),
        }));
    }
    let s = screen(&mut app);
    assert!(
        s.contains("drain node-1") && s.contains("2/2") && s.contains("node-1 drained"),
        "{s}"
    );
    app.update(Input::Key(KeyEvent::from(KeyCode::Enter)));
    let s = screen(&mut app);
    assert!(s.contains("progress closed: Confirmed"), "{s}");
    assert!(!s.contains("2/2"), "the layer is gone:\n{s}");
}

#[test]
fn an_audit_log_that_cannot_be_read_is_never_taken_for_one_without_records() {
    let dir = std::env::temp_dir().join(format!("flotilla-core-audit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let missing = dir.join("audit.jsonl");
    // No log yet: nothing was written, which a "no record" check accepts…
    assert!(harness::audit_records_so_far(&missing).is_empty());
    // …and a check that expects records does not.
    let expected = std::panic::catch_unwind(|| harness::audit_records(&missing));
    assert!(expected.is_err(), "a missing log read as {expected:?}");
    // A log that exists and cannot be read (a directory in its place) fails either check.
    let unreadable = dir.join("unreadable.jsonl");
    std::fs::create_dir(&unreadable).expect("dir");
    for read in [harness::audit_records, harness::audit_records_so_far] {
        let got = std::panic::catch_unwind(|| read(&unreadable));
        assert!(got.is_err(), "an unreadable log read as {got:?}");
    }
}

#[test]
fn a_cluster_without_metrics_server_says_so_once_in_top() {
    let mut app = shop();
    let dev = synthetic::id(&app, "dev");
    app.update(Input::Msg(Msg::Cluster {
        cluster: dev,
        ev: ClusterEvent::Usage(Err(
            "n/a: the cluster serves no metrics.k8s.io (metrics-server)".into(),
        )),
    }));
    press(&mut app, Action::Run("top".into()));
    let s = screen(&mut app);
    assert_eq!(
        s.matches("dev: n/a: the cluster serves no metrics.k8s.io")
            .count(),
        1,
        "{s}"
    );
}

/// A Warning event on `object` in shop, as the events list has it.
fn warning(object: &str, reason: &str, count: u64, message: &str) -> flotilla::model::Row {
    use flotilla::cluster::table::{self, WireRow};
    let uid = format!("{object}-{reason}");
    let wire: WireRow = serde_json::from_value(serde_json::json!({
        "cells": ["10s", "Warning", reason, object, count.to_string(), message],
        "object": {"metadata": {"name": uid, "namespace": "shop", "uid": uid}}
    }))
    .expect("event json");
    table::build(&ResKey::core("events"), &event_columns(), wire).expect("event row")
}

fn event_columns() -> Vec<flotilla::model::Column> {
    let defs: Vec<flotilla::cluster::table::WireColumn> =
        serde_json::from_value(serde_json::json!([
            {"name":"Last Seen","type":"string"},{"name":"Type","type":"string"},
            {"name":"Reason","type":"string"},{"name":"Object","type":"string"},
            {"name":"Count","type":"string"},{"name":"Message","type":"string"}
        ]))
        .expect("column json");
    flotilla::cluster::table::columns(&defs)
}

#[test]
fn a_pods_warning_events_are_on_its_own_row_in_triage() {
    let mut app = shop();
    let dev = synthetic::id(&app, "dev");
    let crasher = synthetic::named_pod("dev", "shop", "p10", "CrashLoopBackOff");
    synthetic::pods_event(&mut app, dev, WatchEvent::Upsert(vec![crasher]));
    let events = ResKey::core("events");
    let columns = event_columns();
    synthetic::sheet_event(
        &mut app,
        dev,
        events.clone(),
        WatchEvent::Listing { columns },
    );
    let rows = vec![
        warning(
            "pod/p10",
            "BackOff",
            26,
            "Back-off restarting failed container",
        ),
        warning("pod/p10", "Unhealthy", 3, "Readiness probe failed"),
        // p20 is Running: its events are the only word of trouble, on a row of their own.
        warning("pod/p20", "FailedMount", 2, "secret \"tls\" not found"),
    ];
    synthetic::sheet_event(&mut app, dev, events.clone(), WatchEvent::Upsert(rows));
    synthetic::sheet_event(&mut app, dev, events, WatchEvent::Synced);
    press(&mut app, Action::Run("triage".into()));
    let s = screen(&mut app);
    let p10: Vec<&str> = s.lines().filter(|l| l.contains("pod/p10")).collect();
    assert_eq!(p10.len(), 1, "one row for the pod:\n{s}");
    // Its state, then its events by reason, counted (newest reason first).
    let row = p10[0];
    assert!(row.contains("CrashLoopBackOff · "), "{s}");
    assert!(
        row.contains("BackOff ×26") && row.contains("Unhealthy ×3"),
        "{s}"
    );
    let p20: Vec<&str> = s.lines().filter(|l| l.contains("pod/p20")).collect();
    assert_eq!(p20.len(), 1, "{s}");
    assert!(p20[0].contains("FailedMount ×2"), "{s}");
    // Critical first: the crash loop above the mount warning.
    let at = |needle: &str| s.find(needle).unwrap_or(usize::MAX);
    assert!(at("pod/p10") < at("pod/p20"), "{s}");
}

#[test]
fn a_deployments_failing_pods_and_their_events_are_on_its_row() {
    use flotilla::cluster::table::{self, WireColumn, WireRow};
    let mut app = shop();
    let dev = synthetic::id(&app, "dev");
    let pods = ["cart-5d9f8-abcde", "cart-5d9f8-fghij"]
        .map(|n| synthetic::named_pod("dev", "shop", n, "CrashLoopBackOff"));
    synthetic::pods_event(&mut app, dev, WatchEvent::Upsert(pods.to_vec()));
    let deployments = ResKey::new("apps", "deployments");
    let defs: Vec<WireColumn> = serde_json::from_value(serde_json::json!([
        {"name":"Name","type":"string"},{"name":"Ready","type":"string"},
        {"name":"Up-to-date","type":"string"},{"name":"Available","type":"string"},
        {"name":"Age","type":"string"}
    ]))
    .expect("column json");
    let columns = table::columns(&defs);
    let wire: WireRow = serde_json::from_value(serde_json::json!({
        "cells": ["cart", "0/2", "2", "0", "1h"],
        "object": {"metadata": {"name": "cart", "namespace": "shop", "uid": "cart-uid",
            "creationTimestamp": "2020-01-01T00:00:00Z"}}
    }))
    .expect("row json");
    let cart = table::build(&deployments, &columns, wire).expect("deployment row");
    let listing = WatchEvent::Listing {
        columns: columns.clone(),
    };
    synthetic::sheet_event(&mut app, dev, deployments.clone(), listing);
    synthetic::sheet_event(
        &mut app,
        dev,
        deployments.clone(),
        WatchEvent::Upsert(vec![cart]),
    );
    synthetic::sheet_event(&mut app, dev, deployments, WatchEvent::Synced);
    let events = ResKey::core("events");
    let columns = event_columns();
    synthetic::sheet_event(
        &mut app,
        dev,
        events.clone(),
        WatchEvent::Listing { columns },
    );
    let unhealthy = warning(
        "pod/cart-5d9f8-abcde",
        "Unhealthy",
        3,
        "Readiness probe failed",
    );
    synthetic::sheet_event(
        &mut app,
        dev,
        events.clone(),
        WatchEvent::Upsert(vec![unhealthy]),
    );
    synthetic::sheet_event(&mut app, dev, events, WatchEvent::Synced);
    press(&mut app, Action::Run("triage".into()));
    let s = screen(&mut app);
    assert!(
        !s.contains("pod/cart-"),
        "the pods are on the deployment's row:\n{s}"
    );
    let rows: Vec<&str> = s
        .lines()
        .filter(|l| l.contains("deployment/cart"))
        .collect();
    assert_eq!(rows.len(), 1, "{s}");
    assert!(
        rows[0].contains("0/2 ready · 2 pods CrashLoopBackOff · Unhealthy ×3"),
        "{s}"
    );
    // As bad as its worst pod: counted and drawn as critical.
    assert!(s.contains("1 critical"), "{s}");
}

#[test]
fn one_cause_on_many_pods_is_one_row_in_triage() {
    let mut app = shop();
    let dev = synthetic::id(&app, "dev");
    let events = ResKey::core("events");
    let columns = event_columns();
    synthetic::sheet_event(
        &mut app,
        dev,
        events.clone(),
        WatchEvent::Listing { columns },
    );
    // A node went NotReady: every pod on it got the event.
    let mut rows: Vec<_> = (0..30)
        .map(|i| {
            warning(
                &format!("pod/batch-{i:03}"),
                "NodeNotReady",
                1,
                "Node is not ready",
            )
        })
        .collect();
    rows.extend((0..3).map(|i| warning(&format!("pod/web-{i}"), "FailedMount", 2, "no secret")));
    synthetic::sheet_event(&mut app, dev, events.clone(), WatchEvent::Upsert(rows));
    synthetic::sheet_event(&mut app, dev, events, WatchEvent::Synced);
    // The pods, on three nodes, ten each.
    let pods = (0..30)
        .map(|i| {
            let mut pod = synthetic::named_pod("dev", "shop", &format!("batch-{i:03}"), "Running");
            pod.cells[6] = format!("dev-node-{}", i % 3);
            pod
        })
        .collect();
    synthetic::pods_event(&mut app, dev, WatchEvent::Upsert(pods));
    // And twelve nodes NotReady at once.
    not_ready_nodes(&mut app, dev, "dev-node-", 12);
    press(&mut app, Action::Run("triage".into()));
    let s = screen(&mut app);
    assert!(
        !s.contains("pod/batch-") && !s.contains("node/dev-node-"),
        "{s}"
    );
    let folded: Vec<&str> = s.lines().filter(|l| l.contains("NodeNotReady ×")).collect();
    assert_eq!(folded.len(), 1, "{s}");
    assert!(
        folded[0].contains("30 pods")
            && folded[0].contains("NodeNotReady ×30")
            && folded[0].contains("on 3 nodes"),
        "{s}"
    );
    assert_eq!(
        s.lines()
            .filter(|l| l.contains("12 nodes") && l.contains("NotReady"))
            .count(),
        1,
        "{s}"
    );
    // A reason on a few objects keeps a row per object.
    assert_eq!(
        s.lines().filter(|l| l.contains("FailedMount")).count(),
        3,
        "{s}"
    );
    assert!(s.contains("triage[5]"), "{s}");
    // On the pods' row: the nodes they run on, named under the list; → lists the pods.
    while !selected(&mut app).contains("NodeNotReady ×30") {
        press(&mut app, Action::Down);
    }
    let s = screen(&mut app);
    assert!(
        s.contains("pods on nodes: dev-node-0 ×10, dev-node-1 ×10, dev-node-2 ×10"),
        "{s}"
    );
    // Enter on the fold opens it, as → does.
    press(&mut app, Action::Enter);
    let s = screen(&mut app);
    assert!(
        s.contains("└ shop/pod/batch-000") && s.contains("NodeNotReady"),
        "{s}"
    );
}

/// Lists `n` nodes named `{prefix}{i:03}` on `cluster`, every one NotReady (its Ready condition
/// Unknown, as the node controller leaves it when heartbeats stop).
fn not_ready_nodes(app: &mut App, cluster: flotilla::model::ClusterId, prefix: &str, n: usize) {
    use flotilla::cluster::table::{self, WireRow};
    let nodes = ResKey::core("nodes");
    let columns = vec![flotilla::model::Column {
        name: "Name".into(),
        kind: flotilla::model::ColumnKind::Text,
        priority: 0,
    }];
    let rows = (0..n)
        .map(|i| {
            let name = format!("{prefix}{i:03}");
            let wire: WireRow = serde_json::from_value(serde_json::json!({
                "cells": [name],
                "object": {"metadata": {"name": name, "uid": name},
                  "status": {"conditions": [{"type": "Ready", "status": "Unknown",
                    "reason": "NodeStatusUnknown", "lastTransitionTime": "2026-05-28T19:00:00Z"}]}}
            }))
            .expect("node json");
            table::build(&nodes, &columns, wire).expect("node row")
        })
        .collect();
    let listing = WatchEvent::Listing { columns };
    synthetic::sheet_event(app, cluster, nodes.clone(), listing);
    synthetic::sheet_event(app, cluster, nodes.clone(), WatchEvent::Upsert(rows));
    synthetic::sheet_event(app, cluster, nodes, WatchEvent::Synced);
}

#[test]
fn a_flap_of_500_nodes_under_20000_pods_is_two_rows_naming_the_nodes() {
    let mut app = synthetic::app(&["big"]);
    let big = synthetic::id(&app, "big");
    let (pods, nodes) = (20_000, 500);
    synthetic::pods_event(
        &mut app,
        big,
        WatchEvent::Listing {
            columns: synthetic::pod_columns(),
        },
    );
    let rows: Vec<_> = (0..pods)
        .map(|i| {
            let mut pod = synthetic::named_pod("big", "load", &format!("w-{i:05}"), "Running");
            pod.cells[6] = format!("big-node-{:03}", i % nodes);
            pod
        })
        .collect();
    synthetic::pods_event(&mut app, big, WatchEvent::Upsert(rows));
    synthetic::pods_event(&mut app, big, WatchEvent::Synced);
    let events = ResKey::core("events");
    synthetic::sheet_event(
        &mut app,
        big,
        events.clone(),
        WatchEvent::Listing {
            columns: event_columns(),
        },
    );
    let rows = (0..pods)
        .map(|i| {
            let object = format!("pod/w-{i:05}");
            let mut row = warning(&object, "NodeNotReady", 1, "Node is not ready");
            row.namespace = "load".into();
            row
        })
        .collect();
    synthetic::sheet_event(&mut app, big, events.clone(), WatchEvent::Upsert(rows));
    synthetic::sheet_event(&mut app, big, events, WatchEvent::Synced);
    not_ready_nodes(&mut app, big, "big-node-", nodes);
    press(&mut app, Action::Run("triage".into()));
    let s = screen(&mut app);
    assert!(s.contains("triage[2]"), "{s}");
    assert!(
        s.lines()
            .any(|l| l.contains("500 nodes") && l.contains("NotReady")),
        "{s}"
    );
    assert!(
        s.lines().any(|l| l.contains("20000 pods")
            && l.contains("NodeNotReady ×20000")
            && l.contains("on 500 nodes")),
        "{s}"
    );
}

/// Read-only mode: `:ctx add` still checks the kubeconfig (reading changes nothing), but
/// importing it, and removing an imported context, are refused before any effect is asked.
#[test]
fn read_only_mode_imports_and_removes_no_context() {
    use flotilla::model::{ImportCheck, Probed};
    let mut app = synthetic::app(&["dev"]);
    app.policy.make_read_only();
    let effects = press(&mut app, Action::Run("ctx add /tmp/eu.kubeconfig".into()));
    let ticket = effects
        .iter()
        .find_map(|e| match e {
            Effect::CheckImport { ticket, .. } => Some(*ticket),
            _ => None,
        })
        .expect("checking is reading: allowed");
    let probed = Probed {
        context: "eu".into(),
        server: "https://10.0.0.1:6443".into(),
        result: Ok(("v1.35.0".into(), None)),
    };
    app.update(Input::Msg(Msg::ImportChecked {
        ticket,
        result: Ok(ImportCheck {
            taken: Vec::new(),
            probed: vec![probed],
        }),
    }));
    let effects = press(&mut app, Action::Apply);
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Import { .. })),
        "nothing imported: {effects:?}"
    );
    assert!(screen(&mut app).contains("read-only: nothing is imported"));

    press(&mut app, Action::Run("ctx rm dev".into()));
    assert!(screen(&mut app).contains("Remove context dev?"));
    let effects = app.update(Input::Key(KeyEvent::from(KeyCode::Enter)));
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::ForgetContext { .. })),
        "nothing removed: {effects:?}"
    );
    let shown = screen(&mut app);
    assert!(shown.contains("read-only: nothing is removed"), "{shown}");
}

#[test]
fn an_index_brings_its_clusters_once_and_takes_away_those_it_forgets() {
    let contexts = ["prod", "hub"].map(|n| flotilla::model::ContextEntry {
        name: n.into(),
        cluster: n.into(),
        user: "u".into(),
        namespace: None,
        server: String::new(),
    });
    let mut config = harness::config();
    config
        .settings
        .sources
        .push(flotilla::settings::SourceSettings::clusterpedia("hub"));
    let mut app = App::new(contexts.to_vec(), &["prod".into()], config);
    let fx = app.update(Input::Tick);
    assert!(
        fx.contains(&Effect::WatchSource { hub: "hub".into() }),
        "{fx:?}"
    );
    let listed = |names: &[&str]| Msg::Source {
        hub: "hub".into(),
        result: Ok(names.iter().map(|n| n.to_string()).collect()),
    };
    // prod is connected directly: live beats indexed, it is not added again.
    let fx = app.update(Input::Msg(listed(&["dev", "prod", "staging"])));
    let joined: Vec<(&str, &str)> = fx
        .iter()
        .filter_map(|e| match e {
            Effect::ConnectIndexed { member, hub, .. } => Some((member.as_str(), hub.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(joined, [("dev", "hub"), ("staging", "hub")]);
    assert_eq!(app.store.clusters.len(), 3);
    // Listed again: nothing new is connected twice.
    let fx = app.update(Input::Msg(listed(&["dev", "prod", "staging"])));
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::ConnectIndexed { .. }))
    );
    // staging is no longer in the index: it leaves the fleet; prod, direct, stays.
    let staging = synthetic::id(&app, "staging");
    let fx = app.update(Input::Msg(listed(&["dev", "prod"])));
    assert!(
        fx.contains(&Effect::Disconnect { cluster: staging }),
        "{fx:?}"
    );
    let left: Vec<&str> = app
        .store
        .clusters
        .iter()
        .map(|s| s.context.as_str())
        .collect();
    assert_eq!(left, ["prod", "dev"]);
}
