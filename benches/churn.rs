//! 60k pods across 3 clusters sorted by STATUS while 200 row updates a second arrive (status
//! changes that move rows, deletions, new pods): the UI thread's time per frame (messages +
//! tick + draw) at p50/p99/max, and how long an update waits until a drawn frame shows it.
//! Ends by checking that the incrementally kept order equals a fresh full sort.
//!
//!     cargo bench --bench churn

#[path = "../tests/harness/synthetic.rs"]
mod synthetic;

use flotilla::app::Input;
use flotilla::model::{Action, ResKey, WatchEvent};
use flotilla::protocol::Msg;
use flotilla::screens::table::TableScreen;
use flotilla::screens::table::rows::MergedRows;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::{Duration, Instant};

const NOW: i64 = 1_780_000_000;
const PER_CLUSTER: usize = 20_000;
const RATE: f64 = 200.0;
const RUN: Duration = Duration::from_secs(10);
const FRAME: Duration = Duration::from_millis(16);
const CLUSTERS: [&str; 3] = ["dev", "staging", "prod"];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("churn: measures only under `cargo bench --bench churn`");
        return;
    }
    let mut app = synthetic::app(&CLUSTERS);
    for c in CLUSTERS {
        synthetic::load_pods(&mut app, c, PER_CLUSTER, NOW);
    }
    app.update(Input::Tick);
    app.update(Input::Action(Action::SortStatus));
    let t = Instant::now();
    app.update(Input::Tick);
    println!(
        "initial sort by STATUS of {} rows     {:8.2} ms",
        PER_CLUSTER * CLUSTERS.len(),
        ms(t.elapsed())
    );
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    // FLOTILLA_CHURN_VIEW=fleet or triage: the same churn under that screen instead.
    let view = std::env::var("FLOTILLA_CHURN_VIEW").unwrap_or_default();
    if !view.is_empty() {
        let t = Instant::now();
        app.update(Input::Action(Action::Run(view.clone())));
        app.update(Input::Tick);
        term.draw(|f| flotilla::ui::draw_at(f, &app, NOW))
            .expect("draw");
        println!(
            "{view}: first frame over {} rows      {:8.2} ms",
            PER_CLUSTER * CLUSTERS.len(),
            ms(t.elapsed())
        );
    }
    let pods = ResKey::core("pods");
    let generation: Vec<(flotilla::model::ClusterId, u64)> = CLUSTERS
        .iter()
        .map(|c| {
            let id = synthetic::id(&app, c);
            (
                id,
                app.store
                    .sheet(id, &pods)
                    .map(|s| s.generation())
                    .unwrap_or(1),
            )
        })
        .collect();
    let statuses = [
        ("0/1", "CrashLoopBackOff", "13 (5s ago)"),
        ("1/1", "Running", "0"),
        ("0/1", "Pending", "0"),
        ("0/1", "Error", "1"),
        ("1/1", "Running", "2"),
    ];
    let mut rng = fastrand::Rng::with_seed(7);
    let mut frames = Vec::new();
    let mut delays = Vec::new();
    let mut sent = 0usize;
    let mut extra = PER_CLUSTER;
    let start = Instant::now();
    while start.elapsed() < RUN {
        let frame_start = Instant::now();
        let mut due_now = Vec::new();
        // Messages that arrived since the last frame, as the event loop drains them.
        while start + Duration::from_secs_f64(sent as f64 / RATE) <= frame_start {
            let due = start + Duration::from_secs_f64(sent as f64 / RATE);
            let c = rng.usize(..CLUSTERS.len());
            let (cluster, generation) = generation[c];
            let ev = match rng.u8(..20) {
                // A pod goes away; a new one comes.
                0 => WatchEvent::Delete(vec![format!(
                    "{}-{}",
                    CLUSTERS[c],
                    rng.usize(..PER_CLUSTER)
                )]),
                1 => {
                    extra += 1;
                    WatchEvent::Upsert(vec![synthetic::pod(CLUSTERS[c], extra, NOW)])
                }
                _ => {
                    let (ready, status, restarts) = statuses[rng.usize(..statuses.len())];
                    let i = rng.usize(..PER_CLUSTER);
                    WatchEvent::Upsert(vec![synthetic::pod_with(
                        CLUSTERS[c],
                        i,
                        NOW,
                        ready,
                        status,
                        restarts,
                    )])
                }
            };
            app.update(Input::Msg(Msg::Watch {
                cluster,
                res: pods.clone(),
                generation,
                ev,
            }));
            due_now.push(due);
            sent += 1;
        }
        app.update(Input::Tick);
        term.draw(|f| flotilla::ui::draw_at(f, &app, NOW))
            .expect("draw");
        let end = Instant::now();
        frames.push(end - frame_start);
        delays.extend(due_now.iter().map(|d| end - *d));
        if let Some(rest) = (frame_start + FRAME).checked_duration_since(Instant::now()) {
            std::thread::sleep(rest);
        }
    }
    frames.sort();
    delays.sort();
    println!(
        "updates applied                       {sent} in {:.1} s ({:.0}/s), {} frames",
        start.elapsed().as_secs_f64(),
        sent as f64 / start.elapsed().as_secs_f64(),
        frames.len()
    );
    println!(
        "frame (messages + tick + draw)        p50 {:6.2} ms  p99 {:6.2} ms  max {:6.2} ms",
        ms(percentile(&frames, 0.5)),
        ms(percentile(&frames, 0.99)),
        ms(percentile(&frames, 1.0))
    );
    println!(
        "update visible after                  p50 {:6.2} ms  p99 {:6.2} ms  max {:6.2} ms",
        ms(percentile(&delays, 0.5)),
        ms(percentile(&delays, 0.99)),
        ms(percentile(&delays, 1.0))
    );
    // The order kept incrementally is the one a full sort gives.
    let Some(view) = app.top_as::<TableScreen>() else {
        println!("(no pod list on top: order check skipped)");
        return;
    };
    let clusters = view.clusters_in_scope(&app.store);
    let mut fresh = MergedRows::new(pods.clone(), true);
    fresh.sort = view.rows.sort.clone();
    fresh.refresh(&app.store, &clusters);
    let names = |r: &MergedRows| -> Vec<String> {
        r.rows()
            .iter()
            .filter_map(|x| r.row(&app.store, *x).map(|row| row.uid.clone()))
            .collect()
    };
    let (kept, full) = (names(&view.rows), names(&fresh));
    assert_eq!(kept.len(), full.len());
    assert!(kept == full, "incremental order differs from a full sort");
    println!(
        "order after churn                     equals a full sort ({} rows)",
        kept.len()
    );
}
