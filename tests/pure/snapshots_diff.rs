//! The diff screen without clusters: one object's drift from two JSON objects (side by side
//! on a wide terminal, unified on a narrow one), and `:diff ns/…` answered by hand.

use crate::harness;

use flotilla::app::{App, Input};
use flotilla::model::{Action, Fetched};
use flotilla::protocol::{Effect, Msg};
use flotilla::screens::diff::{ObjectDiff, SIDE_BY_SIDE, Side};
use harness::synthetic;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};

const NOW: i64 = 1_780_000_000;

fn deployment(replicas: u64, image: &str, uid: &str, rv: &str) -> Value {
    json!({"apiVersion":"apps/v1","kind":"Deployment",
        "metadata":{"name":"web","namespace":"shop","uid":uid,"resourceVersion":rv,"generation":4,
            "creationTimestamp":"2026-01-01T00:00:00Z","managedFields":[{"manager":"kubectl"}],
            "annotations":{"deployment.kubernetes.io/revision":"3"},"labels":{"app":"web"}},
        "spec":{"replicas":replicas,"revisionHistoryLimit":10,"selector":{"matchLabels":{"app":"web"}},
            "template":{"metadata":{"labels":{"app":"web"}},
                "spec":{"containers":[{"name":"web","image":image,"ports":[{"containerPort":80}]}]}}},
        "status":{"readyReplicas":replicas,"observedGeneration":4}})
}

fn app_with_diff() -> App {
    let mut app = synthetic::app(&["staging", "prod"]);
    let diff = ObjectDiff::new(
        "deployment/web in shop",
        Side::object("staging", Some(deployment(3, "nginx:1.27", "u-s", "100"))),
        Side::object("prod", Some(deployment(5, "nginx:1.28", "u-p", "200"))),
    );
    app.push(Box::new(diff));
    app
}

fn terminal(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    app.update(Input::Tick);
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| flotilla::ui::draw_at(f, app, NOW))
        .expect("draw");
    term
}

fn render(app: &mut App, w: u16, h: u16) -> String {
    format!("{}", terminal(app, w, h).backend())
}

/// The foreground of the first cell of `text` on screen.
fn colour_of(term: &Terminal<TestBackend>, text: &str) -> Option<ratatui::style::Color> {
    let buf = term.backend().buffer();
    let area = buf.area;
    for y in 0..area.height {
        let line: String = (0..area.width).map(|x| buf[(x, y)].symbol()).collect();
        if let Some(at) = line.find(text) {
            let x = line[..at].chars().count() as u16;
            return Some(buf[(x, y)].fg);
        }
    }
    None
}

fn assert_cleaned(screen: &str) {
    for gone in [
        "uid",
        "resourceVersion",
        "status",
        "managedFields",
        "generation",
        "creationTimestamp",
        "revision:",
    ] {
        assert!(!screen.contains(gone), "{gone} on screen:\n{screen}");
    }
}

#[test]
fn object_diff_side_by_side() {
    let mut app = app_with_diff();
    let screen = render(&mut app, SIDE_BY_SIDE + 20, 24);
    assert!(
        screen
            .lines()
            .any(|l| l.contains("-   replicas: 3") && l.contains("+   replicas: 5")),
        "the two sides on one line:\n{screen}"
    );
    assert!(screen.contains("4 changed lines between staging and prod"));
    assert_cleaned(&screen);
    let term = terminal(&mut app, SIDE_BY_SIDE + 20, 24);
    let theme = &app.config.theme;
    assert_eq!(
        colour_of(&term, "-   replicas: 3"),
        theme.get("diff-remove").fg
    );
    assert_eq!(
        colour_of(&term, "+   replicas: 5"),
        theme.get("diff-add").fg
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn object_diff_unified_at_80_columns() {
    let mut app = app_with_diff();
    let screen = render(&mut app, 80, 24);
    assert!(screen.contains("-   replicas: 3"), "{screen}");
    assert!(screen.contains("+   replicas: 5"), "{screen}");
    assert!(
        !screen
            .lines()
            .any(|l| l.contains("replicas: 3") && l.contains("replicas: 5")),
        "unified, not side by side:\n{screen}"
    );
    assert_cleaned(&screen);
    insta::assert_snapshot!(screen);
}

#[test]
fn an_object_on_one_side_only_says_so() {
    let mut app = synthetic::app(&["staging", "prod"]);
    app.push(Box::new(ObjectDiff::new(
        "deployment/web in shop",
        Side::object("staging", None),
        Side::object("prod", Some(deployment(5, "nginx:1.28", "u-p", "200"))),
    )));
    let screen = render(&mut app, 80, 12);
    assert!(
        screen.contains("only on prod: staging has no deployment/web in shop"),
        "{screen}"
    );
}

fn list(items: Vec<Value>) -> Value {
    json!({"kind":"List","apiVersion":"v1","metadata":{},"items":items})
}

/// Answers the fetches among `effects` as two clusters whose `shop` differs in a Deployment's
/// replicas, a ConfigMap on one side only and a Secret's value; everything else is empty.
fn answer(app: &mut App, effects: Vec<Effect>) -> usize {
    let staging = synthetic::id(app, "staging");
    let mut answered = 0;
    for e in effects {
        let Effect::Fetch {
            ticket,
            cluster,
            path,
            ..
        } = e
        else {
            continue;
        };
        let on_staging = cluster == staging;
        let secret = |pw: &str| {
            json!({"metadata":{"name":"db-credentials","namespace":"shop","uid":pw},
                "type":"Opaque","data":{"password":pw}})
        };
        let cm = |name: &str| {
            json!({"metadata":{"name":name,"namespace":"shop","uid":format!("{name}{on_staging}")},
                "data":{"k":"v"}})
        };
        let object = match path.rsplit('/').next().unwrap_or_default() {
            "shop" => json!({"kind":"Namespace","metadata":{"name":"shop"}}),
            "deployments" => {
                let n = if on_staging { 3 } else { 5 };
                let mut d = deployment(n, "nginx:1.27", &format!("u{n}"), "1");
                d.as_object_mut().map(|o| o.remove("kind"));
                list(vec![d])
            }
            "configmaps" if on_staging => list(vec![cm("web-config"), cm("extra")]),
            "configmaps" => list(vec![cm("web-config"), cm("kube-root-ca.crt")]),
            "secrets" => list(vec![secret(if on_staging {
                "aHVudGVyMg=="
            } else {
                "c3dvcmRmaXNo"
            })]),
            _ => list(Vec::new()),
        };
        let result = Ok(Fetched {
            object,
            events: Vec::new(),
        });
        app.update(Input::Msg(Msg::Fetched { ticket, result }));
        answered += 1;
    }
    answered
}

#[test]
fn namespace_diff_lists_drift_and_opens_an_object() {
    let mut app = synthetic::app(&["staging", "prod"]);
    let mut fx = app.update(Input::Action(Action::Run(
        "diff ns/shop @staging @prod".into(),
    )));
    fx.extend(app.update(Input::Tick));
    assert!(answer(&mut app, fx) > 10, "a list per kind and cluster");
    let screen = render(&mut app, 100, 20);
    let row = |name: &str| {
        screen
            .lines()
            .find(|l| l.split_whitespace().any(|w| w == name))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    assert!(
        row("web").contains("Deployment web 2 changed lines"),
        "{screen}"
    );
    assert!(
        row("web-config").contains("ConfigMap web-config equal"),
        "{screen}"
    );
    assert!(row("extra").contains("only on staging"), "{screen}");
    assert!(
        row("db-credentials").contains("2 changed lines"),
        "{screen}"
    );
    assert!(!screen.contains("kube-root-ca.crt"), "{screen}");
    assert!(
        screen.contains("2 drifted, 1 only on staging, 0 only on prod, 1 equal"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);

    // Enter on the Secret: that they differ, never the values.
    app.update(Input::Action(Action::Down));
    let screen = render(&mut app, 140, 20);
    assert!(screen.contains("diff ns/shop"), "{screen}");
    app.update(Input::Action(Action::Enter));
    let screen = render(&mut app, 140, 20);
    assert!(
        screen.contains("diff secret/db-credentials in shop: staging ↔ prod"),
        "{screen}"
    );
    assert!(screen.contains("(staging's value)") && screen.contains("(prod's value)"));
    assert!(
        !screen.contains("aHVudGVyMg==") && !screen.contains("c3dvcmRmaXNo"),
        "{screen}"
    );
}
