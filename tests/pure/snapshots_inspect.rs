//! Snapshots of `:inspect`: the fleet summary with a finding list, a silenced finding, a
//! cluster that could not be read, and the scores per category and namespace. The clusters'
//! objects are made by hand and judged by the real checks.

use crate::harness;

use flotilla::app::{App, Input};
use flotilla::inspect::silence::Silence;
use flotilla::inspect::{InspectSettings, Kind, Options, Snapshot, inspect, kinds};
use flotilla::model::Action;
use flotilla::protocol::{Effect, Msg};
use harness::synthetic;
use serde_json::{Value, json};

/// 2026-06-01T00:00:00Z.
const NOW: i64 = 1_780_272_000;

fn objects() -> Vec<(Kind, Value)> {
    let template = |image: &str, privileged: bool| {
        json!({"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{
            "name": "app", "image": image,
            "securityContext": {"privileged": privileged},
        }]}})
    };
    vec![
        (Kind::Namespace, json!({"metadata": {"name": "lab"}})),
        (
            Kind::Deployment,
            json!({"metadata": {"name": "risky", "namespace": "lab"},
                   "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "x"}},
                            "template": template("nginx:latest", true)}}),
        ),
        (
            Kind::Deployment,
            json!({"metadata": {"name": "agent", "namespace": "lab"},
                   "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "y"}},
                            "template": template("registry.example.com/agent:1.0", false)}}),
        ),
        (
            Kind::Service,
            json!({"metadata": {"name": "orphan", "namespace": "lab"},
                   "spec": {"selector": {"app": "gone"}, "ports": [{"port": 80}]}}),
        ),
    ]
}

fn snapshot() -> Snapshot {
    let mut snap = Snapshot::new(NOW);
    let objects = objects();
    for k in kinds() {
        let items = objects
            .iter()
            .filter(|(kind, _)| *kind == k.kind)
            .map(|(_, v)| v.clone())
            .collect();
        snap.set(k.kind, items);
    }
    snap.api_versions = vec!["v1".into(), "apps/v1".into()];
    snap
}

/// `:inspect` on dev and prod: dev answers (judged with a silence), prod cannot be read.
fn app() -> App {
    let mut app = synthetic::app(&["dev", "prod"]);
    let effects = app.update(Input::Action(Action::Run("inspect".into())));
    let settings = InspectSettings {
        silence: vec![Silence {
            check: "pod-no-requests".into(),
            cluster: None,
            namespace: None,
            object: Some("Deployment/agent".into()),
            reason: "sized by the vendor".into(),
        }],
        ..InspectSettings::default()
    };
    let opts = Options::from_settings(&settings).expect("valid silence");
    let mut asked = 0;
    for e in effects {
        let Effect::Inspect {
            ticket, context, ..
        } = e
        else {
            continue;
        };
        asked += 1;
        let result = match context.as_str() {
            "dev" => Ok(Box::new(inspect(&context, &snapshot(), &opts))),
            _ => Err("Connection refused (os error 111)".to_string()),
        };
        app.update(Input::Msg(Msg::Inspected { ticket, result }));
    }
    assert_eq!(asked, 2, "one inspection per connected cluster");
    app.update(Input::Tick);
    app
}

#[test]
fn summary_and_findings() {
    let app = app();
    insta::assert_snapshot!(harness::render(&app, 150, 34));
}

#[test]
fn scores_per_category_and_namespace() {
    let mut app = app();
    app.update(Input::Action(Action::Scores));
    app.update(Input::Tick);
    insta::assert_snapshot!(harness::render(&app, 150, 30));
}
