//! Startup, completeness, filter latency, idle CPU and memory of the real engine against the
//! testbed's clusters. Not a criterion bench: it measures one run against live servers.
//!
//!     testbed/tb up && for c in dev staging prod; do testbed/tb scale $c 20000; done
//!     cargo bench --bench testbed_scale
//!
//! Skips (exit 0, with a note) when the testbed is not running.

use flotilla::app::{App, Input};
use flotilla::cluster::kubeconfig;
use flotilla::config::Config;
use flotilla::executor::Executor;
use flotilla::model::ResKey;
use flotilla::protocol::Effect;
use flotilla::screens::table::TableScreen;
use flotilla::store::SheetState;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;

use support::{cpu_seconds, kubectl, status_kb};

const CONTEXTS: [&str; 3] = ["dev", "staging", "prod"];

fn pod_rows(app: &App) -> usize {
    let pods = ResKey::core("pods");
    app.store
        .clusters
        .ids()
        .iter()
        .filter_map(|id| app.store.sheet(*id, &pods))
        .map(|s| s.len())
        .sum()
}

fn all_ready(app: &App) -> bool {
    let pods = ResKey::core("pods");
    app.store.clusters.ids().iter().all(|id| {
        app.store
            .sheet(*id, &pods)
            .is_some_and(|s| s.state == SheetState::Ready)
    })
}

/// Every watch of every cluster has listed (or failed): nothing is still syncing.
fn every_sheet_listed(app: &App) -> bool {
    app.store.clusters.ids().iter().all(|id| {
        app.store
            .sheets_of(*id)
            .all(|(_, s)| s.state != SheetState::Syncing)
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        // `cargo test --all-targets` runs bench targets too; this one only measures under `cargo bench`.
        println!("testbed_scale: measures only under `cargo bench --bench testbed_scale`");
        return;
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kc_path = std::env::var_os("FLOTILLA_TESTBED_KUBECONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/target/testbed/kubeconfig"
            ))
        });
    if !kc_path.is_file() {
        println!(
            "testbed_scale: skipped, no testbed kubeconfig at {} (testbed/tb up)",
            kc_path.display()
        );
        return;
    }

    // Baseline: kubectl get pods -A -o json per cluster (output discarded, so that this
    // process's memory figure is flotilla's alone); counts come from a cheap `-o name`.
    let mut kubectl_max = Duration::ZERO;
    let mut expected = 0usize;
    for ctx in CONTEXTS {
        let kc = kc_path.to_string_lossy().to_string();
        let base = [
            "--kubeconfig",
            &kc,
            "--context",
            ctx,
            "get",
            "pods",
            "-A",
            "-o",
        ];
        let t = Instant::now();
        let status = Command::new(kubectl())
            .args(base)
            .arg("json")
            .stdout(Stdio::null())
            .status();
        let took = t.elapsed();
        let names = Command::new(kubectl()).args(base).arg("name").output();
        let (Ok(status), Ok(names)) = (status, names) else {
            println!("testbed_scale: skipped, kubectl against {ctx} failed (is the testbed up?)");
            return;
        };
        if !status.success() {
            println!("testbed_scale: skipped, kubectl against {ctx} failed (is the testbed up?)");
            return;
        }
        let n = names
            .stdout
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        println!(
            "kubectl get pods -A -o json  {ctx:8} {n:6} pods  {:7.0} ms",
            took.as_secs_f64() * 1000.0
        );
        expected += n;
        kubectl_max = kubectl_max.max(took);
    }

    let rss_before = status_kb("VmRSS:");
    let loaded = kubeconfig::load(&[kc_path]).expect("kubeconfig");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let live: Vec<String> = CONTEXTS.iter().map(|s| s.to_string()).collect();
    let start = Instant::now();
    let mut app = App::new(
        loaded.contexts,
        &live,
        Config::builtin(&flotilla::screens::modes()),
    );
    let mut executor = Executor::new(loaded.config, tx);
    let mut carry = |effects: Vec<Effect>| {
        for e in effects {
            executor.run(e);
        }
    };
    // Start the connections at once, as the terminal loop does.
    carry(app.update(Input::Tick));
    // Several clusters start on the fleet view; this measures the pod list alone (as
    // `flotilla -c pods`), unless FLOTILLA_BENCH_FLEET=1: the fleet under it, as a user
    // who starts on the fleet and types `:pods`.
    if std::env::var_os("FLOTILLA_BENCH_FLEET").is_some() {
        carry(app.update(Input::Action(flotilla::model::Action::Run("pods".into()))));
    } else {
        app.start_with("pods");
    }
    let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let mut first_rows = None;
    let mut complete = None;
    // The same loop as the terminal: drain messages, tick, draw.
    while start.elapsed() < Duration::from_secs(300) {
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(16), rx.recv()).await {
            carry(app.update(Input::Msg(m)));
            while let Ok(m) = rx.try_recv() {
                carry(app.update(Input::Msg(m)));
            }
        }
        carry(app.update(Input::Tick));
        term.draw(|f| flotilla::ui::draw(f, &app)).expect("draw");
        let on_screen = app
            .top_as::<TableScreen>()
            .is_some_and(|t| !t.rows.rows().is_empty());
        if first_rows.is_none() && on_screen {
            first_rows = Some(start.elapsed());
        }
        if all_ready(&app) && pod_rows(&app) >= expected {
            complete = Some(start.elapsed());
            break;
        }
    }
    let rows = pod_rows(&app);
    println!(
        "clusters live                         {}",
        app.store.clusters.len()
    );
    println!("pod rows in store                     {rows} (kubectl saw {expected})");
    println!(
        "first rows on screen                  {:7.0} ms",
        first_rows.unwrap_or_default().as_secs_f64() * 1000.0
    );
    match complete {
        Some(c) => println!(
            "all clusters complete                 {:7.0} ms  ({:.2}x the slowest kubectl -o json)",
            c.as_secs_f64() * 1000.0,
            c.as_secs_f64() / kubectl_max.as_secs_f64().max(1e-9)
        ),
        None => println!("all clusters complete                 NOT within 300 s"),
    }

    // Filter keystrokes on the live merged view.
    let mut worst = Duration::ZERO;
    let mut total = Duration::ZERO;
    let keys = ["c", "cr", "cra", "cras", "crash", "crash-", "!crash", ""];
    for text in keys {
        let t = Instant::now();
        app.set_filter(text);
        carry(app.update(Input::Tick));
        term.draw(|f| flotilla::ui::draw(f, &app)).expect("draw");
        let took = t.elapsed();
        worst = worst.max(took);
        total += took;
    }
    println!(
        "filter keystroke + redraw             {:7.2} ms mean, {:.2} ms worst",
        total.as_secs_f64() * 1000.0 / keys.len() as f64,
        worst.as_secs_f64() * 1000.0
    );

    // Idle: no user input, clusters unchanged (except the seeded crash-loop pods).
    let idle = Duration::from_secs(20);
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let mut second = tokio::time::interval(Duration::from_secs(1));
    while t0.elapsed() < idle {
        tokio::select! {
            Some(m) = rx.recv() => {
                carry(app.update(Input::Msg(m)));
                while let Ok(m) = rx.try_recv() { carry(app.update(Input::Msg(m))); }
            }
            _ = second.tick() => {}
        }
        carry(app.update(Input::Tick));
        term.draw(|f| flotilla::ui::draw(f, &app)).expect("draw");
    }
    let cpu = (cpu_seconds() - cpu0) / t0.elapsed().as_secs_f64() * 100.0;
    println!("idle CPU (20 s, redraw every second)  {cpu:7.2} %");

    println!(
        "resident memory, pod list             {:7} MB",
        status_kb("VmRSS:") / 1024
    );

    // The fleet and triage screens over the same watches (triage adds the kinds its rules
    // read): time until the screen has caught up with every sheet, then frame time.
    for view in ["fleet", "triage"] {
        let t = Instant::now();
        carry(app.update(Input::Action(flotilla::model::Action::Run(view.into()))));
        let mut first = None;
        while t.elapsed() < Duration::from_secs(120) {
            while let Ok(m) = rx.try_recv() {
                carry(app.update(Input::Msg(m)));
            }
            carry(app.update(Input::Tick));
            term.draw(|f| flotilla::ui::draw(f, &app)).expect("draw");
            first.get_or_insert(t.elapsed());
            if every_sheet_listed(&app) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(16)).await;
        }
        let caught_up = t.elapsed();
        let mut frames: Vec<Duration> = (0..50)
            .map(|_| {
                let f0 = Instant::now();
                carry(app.update(Input::Tick));
                term.draw(|f| flotilla::ui::draw(f, &app)).expect("draw");
                f0.elapsed()
            })
            .collect();
        frames.sort();
        println!(
            "{view:6} first frame {:6.1} ms, every sheet listed {:7.0} ms, frame p50 {:.2} ms max {:.2} ms",
            first.unwrap_or_default().as_secs_f64() * 1000.0,
            caught_up.as_secs_f64() * 1000.0,
            frames[frames.len() / 2].as_secs_f64() * 1000.0,
            frames[frames.len() - 1].as_secs_f64() * 1000.0
        );
    }
    println!(
        "resident memory                       {:7} MB (peak {} MB, before start {} MB)",
        status_kb("VmRSS:") / 1024,
        status_kb("VmHWM:") / 1024,
        rss_before / 1024
    );
}
