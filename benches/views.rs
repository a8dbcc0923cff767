//! Store, filter, sort and render costs on synthetic rows (60k pods over 3 clusters).
//! `cargo bench --bench views`

#[path = "../tests/harness/synthetic.rs"]
mod synthetic;

use criterion::{Criterion, criterion_group, criterion_main};
use flotilla::app::{App, Input};
use flotilla::cluster::table::{self, WireTable};
use flotilla::model::{Action, ResKey};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;

const NOW: i64 = 1_780_000_000;
const PER_CLUSTER: usize = 20_000;

fn loaded_app() -> App {
    let clusters = ["dev", "staging", "prod"];
    let mut app = synthetic::app(&clusters);
    for name in clusters {
        synthetic::load_pods(&mut app, name, PER_CLUSTER, NOW);
    }
    app.update(Input::Tick);
    app
}

fn set_filter(app: &mut App, text: &str) {
    app.set_filter(text);
    app.update(Input::Tick);
}

fn table_page_json(n: usize) -> String {
    let rows: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({"cells":[format!("web-{i}"),"1/1","Running","0","5m","10.0.0.1","node-1","<none>","<none>"],
            "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":format!("web-{i}"),
            "namespace":"shop","uid":format!("uid-{i}"),"resourceVersion":"1","creationTimestamp":"2026-01-01T00:00:00Z",
            "labels":{"app":"web","pod-template-hash":"abc"},"ownerReferences":[{"uid":"rs-1","kind":"ReplicaSet","name":"web-abc"}]}}})
        })
        .collect();
    serde_json::json!({"kind":"Table","metadata":{"resourceVersion":"9"},"columnDefinitions":[
        {"name":"Name","type":"string"},{"name":"Ready","type":"string"},{"name":"Status","type":"string"},
        {"name":"Restarts","type":"string"},{"name":"Age","type":"string"},{"name":"IP","type":"string","priority":1},
        {"name":"Node","type":"string","priority":1},{"name":"Nominated Node","type":"string","priority":1},
        {"name":"Readiness Gates","type":"string","priority":1}],"rows":rows})
    .to_string()
}

fn benches(c: &mut Criterion) {
    let page = table_page_json(500);
    c.bench_function("decode 500-row Table page into rows", |b| {
        b.iter(|| {
            let t: WireTable = serde_json::from_str(black_box(&page)).expect("json");
            let cols = table::columns(&t.column_definitions);
            let rows: Vec<_> = t
                .rows
                .into_iter()
                .filter_map(|w| table::build(&ResKey::core("pods"), &cols, w))
                .collect();
            black_box(rows.len())
        })
    });

    let mut group = c.benchmark_group("60k pods, 3 clusters");
    group.sample_size(20);
    group.bench_function("build synthetic rows and load into store", |b| {
        b.iter(|| black_box(loaded_app().depth()))
    });

    let mut app = loaded_app();
    let mut flip = false;
    group.bench_function("filter keystroke (substring)", |b| {
        b.iter(|| {
            flip = !flip;
            set_filter(&mut app, if flip { "crash" } else { "cras" });
        })
    });
    group.bench_function("filter keystroke (regex)", |b| {
        b.iter(|| {
            flip = !flip;
            set_filter(
                &mut app,
                if flip {
                    "^shop .*web-0"
                } else {
                    "^shop .*web-1"
                },
            );
        })
    });
    group.bench_function("filter keystroke (fuzzy)", |b| {
        b.iter(|| {
            flip = !flip;
            set_filter(&mut app, if flip { "-f wb12" } else { "-f wb13" });
        })
    });
    set_filter(&mut app, "");
    group.bench_function("sort by status", |b| {
        b.iter(|| {
            app.update(Input::Action(Action::SortStatus));
            app.update(Input::Tick);
        })
    });
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    group.bench_function("draw one 200x50 frame", |b| {
        b.iter(|| {
            term.draw(|f| flotilla::ui::draw_at(f, &app, NOW))
                .map(|_| ())
                .expect("draw")
        })
    });
    group.finish();
}

criterion_group!(views, benches);
criterion_main!(views);
