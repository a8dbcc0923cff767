//! Snapshots of `:helm`, a release's history and a revision diff, from release records made
//! by hand (encoded as Helm stores them) and the fetches answered by hand.

use crate::harness;

use flotilla::app::{App, Input};
use flotilla::cluster::table::{self, WireRow};
use flotilla::helm::record::{self, Driver};
use flotilla::model::{Action, ClusterId, ResKey, Row, WatchEvent};
use flotilla::protocol::{Effect, Msg};
use harness::synthetic;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use std::collections::HashMap;

const NOW: i64 = 1_780_000_000;

/// (cluster, release, revision, status, chart version, app version, replicas, minutes ago)
type Rev = (
    &'static str,
    &'static str,
    i64,
    &'static str,
    &'static str,
    &'static str,
    i64,
    i64,
);

const REVISIONS: &[Rev] = &[
    ("dev", "frontend", 1, "superseded", "1.2.0", "2.4.0", 1, 300),
    ("dev", "frontend", 2, "deployed", "1.3.0", "2.5.0", 2, 200),
    (
        "prod",
        "frontend",
        1,
        "superseded",
        "1.3.0",
        "2.5.0",
        3,
        900,
    ),
    (
        "prod",
        "frontend",
        2,
        "superseded",
        "1.3.1",
        "2.5.1",
        4,
        600,
    ),
    ("prod", "frontend", 3, "deployed", "1.3.1", "2.5.1", 5, 30),
    ("dev", "worker", 1, "deployed", "2.0.0", "3.0.0", 1, 100),
    ("prod", "worker", 1, "deployed", "2.0.0", "3.0.0", 1, 100),
    ("prod", "stuck", 1, "deployed", "1.0.0", "1.0.0", 1, 120),
    (
        "prod",
        "stuck",
        2,
        "pending-upgrade",
        "1.0.1",
        "1.0.1",
        1,
        60,
    ),
    ("dev", "broken", 1, "failed", "0.1.0", "0.1.0", 1, 50),
];

fn release(r: &Rev) -> Value {
    let (_, name, rev, status, chart, app, replicas, ago) = *r;
    let when = jiff::Timestamp::from_second(NOW - ago * 60).expect("time");
    json!({
        "name": name, "namespace": "apps", "version": rev,
        "info": {"status": status, "last_deployed": when.to_string(),
                 "description": if rev == 1 { "Install complete" } else { "Upgrade complete" },
                 "notes": format!("{name} runs {replicas} replica(s).")},
        "chart": {"metadata": {"name": "frontend", "version": chart, "appVersion": app},
                  "values": {"replicaCount": 1, "image": {"repository": "nginx"}}},
        "config": {"replicaCount": replicas},
        "manifest": format!("---\n# Source: frontend/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n"),
    })
}

fn object_name(r: &Rev) -> String {
    record::object_name(r.1, r.2)
}

fn storage(r: &Rev) -> Value {
    json!({"kind": "Secret", "type": "helm.sh/release.v1",
        "metadata": {"name": object_name(r), "namespace": "apps", "uid": format!("{}/{}", r.0, object_name(r))},
        "data": {"release": record::encode(&release(r), Driver::Secret).expect("encodes")}})
}

fn row(r: &Rev) -> Row {
    let columns = secret_columns();
    let wire: WireRow = serde_json::from_value(json!({
        "cells": [object_name(r), "helm.sh/release.v1", 1, "1d"],
        "object": {"metadata": {"name": object_name(r), "namespace": "apps",
            "uid": format!("{}/{}", r.0, object_name(r)), "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"owner": "helm", "name": r.1, "status": r.3, "version": r.2.to_string(),
                       "modifiedAt": (NOW - r.7 * 60).to_string()}}}
    }))
    .expect("row json");
    table::build(&ResKey::core("secrets"), &columns, wire).expect("row builds")
}

fn secret_columns() -> Vec<flotilla::model::Column> {
    let defs: Vec<table::WireColumn> = serde_json::from_value(json!([
        {"name":"Name","type":"string"},{"name":"Type","type":"string"},
        {"name":"Data","type":"string"},{"name":"Age","type":"string"}
    ]))
    .expect("column json");
    table::columns(&defs)
}

fn secrets_event(app: &mut App, cluster: ClusterId, ev: WatchEvent) -> Vec<Effect> {
    let res = ResKey::core("secrets");
    let generation = app
        .store
        .sheet(cluster, &res)
        .map(|s| s.generation())
        .expect("the helm screen opened the secrets sheet");
    app.update(Input::Msg(Msg::Watch {
        cluster,
        res,
        generation,
        ev,
    }))
}

/// Answers record reads (one object, or a release's records) from `REVISIONS`, decoded as the
/// executor decodes them, and the reads those answers lead to.
fn answer(app: &mut App, effects: Vec<Effect>) {
    let by_path: HashMap<(&str, String), &Rev> = REVISIONS
        .iter()
        .map(|r| {
            let path = format!("/api/v1/namespaces/apps/secrets/{}", object_name(r));
            ((r.0, path), r)
        })
        .collect();
    let mut pending = effects;
    while !pending.is_empty() {
        let mut next = Vec::new();
        for e in pending {
            let Effect::ReadReleases {
                ticket,
                cluster,
                path,
                driver,
            } = e
            else {
                continue;
            };
            let context = app
                .store
                .clusters
                .get(cluster)
                .expect("cluster")
                .context
                .clone();
            let object = match by_path.get(&(context.as_str(), path.clone())) {
                Some(r) => storage(r),
                None => {
                    let name = path.rsplit("name%3D").next().unwrap_or_default();
                    let items: Vec<Value> = REVISIONS
                        .iter()
                        .filter(|r| r.0 == context && r.1 == name)
                        .map(storage)
                        .collect();
                    json!({"kind": "SecretList", "items": items})
                }
            };
            let result = Ok(record::read(object, driver));
            next.extend(app.update(Input::Msg(Msg::ReleasesRead { ticket, result })));
        }
        pending = next;
    }
}

fn app() -> App {
    let mut app = synthetic::app(&["dev", "prod"]);
    app.update(Input::Action(Action::Run("helm".into())));
    app.update(Input::Tick);
    for context in ["dev", "prod"] {
        let cluster = synthetic::id(&app, context);
        secrets_event(
            &mut app,
            cluster,
            WatchEvent::Listing {
                columns: secret_columns(),
            },
        );
        let rows = REVISIONS
            .iter()
            .filter(|r| r.0 == context)
            .map(row)
            .collect();
        secrets_event(&mut app, cluster, WatchEvent::Upsert(rows));
        secrets_event(&mut app, cluster, WatchEvent::Synced);
    }
    let fx = app.update(Input::Tick);
    answer(&mut app, fx);
    // A few at a time: ask until every release is read.
    for _ in 0..4 {
        let fx = app.update(Input::Tick);
        answer(&mut app, fx);
    }
    app
}

fn render(app: &mut App, w: u16, h: u16) -> String {
    let fx = app.update(Input::Tick);
    answer(app, fx);
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| flotilla::ui::draw_at(f, app, NOW))
        .expect("draw");
    format!("{}", term.backend())
}

#[test]
fn release_list_and_folded() {
    let mut app = app();
    let screen = render(&mut app, 130, 12);
    let dev = screen
        .lines()
        .find(|l| l.contains("dev     apps      frontend"))
        .unwrap_or_default();
    assert!(dev.contains("frontend-1.3.0 2.5.0"), "{screen}");
    assert!(screen.contains("pending-upgrade (stuck)"), "{screen}");
    insta::assert_snapshot!(screen);
    app.update(Input::Action(Action::Collapse));
    insta::assert_snapshot!("helm_folded", render(&mut app, 130, 10));
}

#[test]
fn history_and_revision_diff() {
    let mut app = app();
    app.update(Input::Action(Action::Filter));
    for c in "prod frontend".chars() {
        app.update(Input::Key(flotilla::key::KeyEvent::from(
            flotilla::key::KeyCode::Char(c),
        )));
    }
    app.update(Input::Key(flotilla::key::KeyEvent::from(
        flotilla::key::KeyCode::Enter,
    )));
    let fx = app.update(Input::Action(Action::Enter));
    answer(&mut app, fx);
    let screen = render(&mut app, 120, 9);
    assert!(
        screen.contains("history of frontend in apps @prod [3]"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
    // The newest against the one before: values and manifest.
    app.update(Input::Action(Action::Diff));
    insta::assert_snapshot!("helm_revision_diff", render(&mut app, 90, 16));
}
