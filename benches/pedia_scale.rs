//! The fleet through a Clusterpedia index against the same fleet by direct connections, on the
//! same clusters in the same run: time to every cluster's full pod list, pod rows, memory,
//! TCP connections and watches at rest, idle CPU, and how far the index runs behind a change
//! (a pod created → on screen). Not a criterion bench: one run against live servers.
//!
//!     testbed/tb up && testbed/tb clusterpedia up 50      # 53 PediaClusters
//!     cargo bench --bench pedia_scale
//!
//! Each mode runs in a process of its own (this binary again), so that memory and
//! connections are that mode's alone. Direct mode connects one context per PediaCluster,
//! each pointing at the testbed cluster that PediaCluster syncs. Skips (exit 0, with a note)
//! when the testbed or the index is not running.

use flotilla::app::{App, Input};
use flotilla::cluster::kubeconfig;
use flotilla::config::Config;
use flotilla::executor::Executor;
use flotilla::model::ResKey;
use flotilla::protocol::Effect;
use flotilla::store::SheetState;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;

use support::{cpu_seconds, kubectl, rss_mb};

const MODE: &str = "FLOTILLA_PEDIA_BENCH_MODE";

fn kc(kubeconfig: &Path, context: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(kubectl())
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["--context", context])
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn testbed_file(env: &str, name: &str) -> PathBuf {
    std::env::var_os(env).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/testbed")).join(name)
    })
}

/// Established TCP connections of this process: its socket inodes found in /proc/net/tcp*.
fn connections() -> usize {
    let mut inodes = std::collections::HashSet::new();
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        for fd in fds.flatten() {
            if let Ok(target) = std::fs::read_link(fd.path()) {
                let t = target.to_string_lossy();
                if let Some(i) = t.strip_prefix("socket:[").and_then(|r| r.strip_suffix(']')) {
                    inodes.insert(i.to_string());
                }
            }
        }
    }
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap_or_default()
                .lines()
                .skip(1)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.get(3) == Some(&"01") && cols.get(9).is_some_and(|i| inodes.contains(*i))
        })
        .count()
}

/// A kubeconfig with one context per PediaCluster, each at the testbed cluster it syncs.
fn direct_kubeconfig(testbed: &Path, pedia: &Path, dir: &Path) -> Option<(PathBuf, Vec<String>)> {
    let members = kc(
        pedia,
        "hub",
        &[
            "get",
            "pediaclusters",
            "-o",
            "jsonpath={range .items[*]}{.metadata.name} {.spec.apiserver}{\"\\n\"}{end}",
        ],
    )?;
    let mut config: Value = serde_json::from_str(&kc(
        testbed,
        "dev",
        &["config", "view", "--flatten", "-o", "json"],
    )?)
    .ok()?;
    let server_of = |cluster: &str| {
        config["clusters"]
            .as_array()?
            .iter()
            .find(|c| c["name"] == cluster)
            .and_then(|c| c["cluster"]["server"].as_str())
            .map(str::to_string)
    };
    let by_server: Vec<(String, Value)> = config["contexts"]
        .as_array()?
        .iter()
        .filter_map(|c| {
            Some((
                server_of(c["context"]["cluster"].as_str()?)?,
                c["context"].clone(),
            ))
        })
        .collect();
    let mut contexts = Vec::new();
    let mut names = Vec::new();
    for line in members.lines() {
        let (name, server) = line.split_once(' ')?;
        let (_, ctx) = by_server.iter().find(|(s, _)| s == server)?;
        contexts.push(json!({"name": name, "context": ctx}));
        names.push(name.to_string());
    }
    config["contexts"] = Value::Array(contexts);
    config["current-context"] = json!(names.first()?);
    let path = dir.join("direct.kubeconfig");
    std::fs::write(&path, config.to_string()).ok()?;
    Some((path, names))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Ok(mode) = std::env::var(MODE) {
        return measure(&mode).await;
    }
    if !std::env::args().any(|a| a == "--bench") {
        println!("pedia_scale: measures only under `cargo bench --bench pedia_scale`");
        return;
    }
    let testbed = testbed_file("FLOTILLA_TESTBED_KUBECONFIG", "kubeconfig");
    let pedia = testbed_file("FLOTILLA_TESTBED_PEDIA_KUBECONFIG", "kubeconfig-pedia");
    let dir = std::env::temp_dir().join(format!("flotilla-pedia-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let Some((direct, names)) = direct_kubeconfig(&testbed, &pedia, &dir) else {
        println!(
            "pedia_scale: skipped, no testbed and Clusterpedia ({} / {}): testbed/tb up && testbed/tb clusterpedia up 50",
            testbed.display(),
            pedia.display()
        );
        return;
    };
    println!(
        "{} PediaClusters on hub, each also as a direct context",
        names.len()
    );
    let me = std::env::current_exe().expect("this bench");
    for (mode, files) in [
        ("index", vec![testbed.clone(), pedia.clone()]),
        ("direct", vec![direct.clone(), testbed.clone()]),
    ] {
        let joined = std::env::join_paths(&files).expect("paths");
        let status = Command::new(&me)
            .env(MODE, mode)
            .env("FLOTILLA_BENCH_KUBECONFIG", joined)
            .env("FLOTILLA_BENCH_CLUSTERS", names.join(","))
            .status();
        if !status.is_ok_and(|s| s.success()) {
            println!("pedia_scale: the {mode} run failed");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// One mode: the app over every cluster, as `flotilla -c pods -A` would start it.
async fn measure(mode: &str) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let paths: Vec<PathBuf> =
        std::env::split_paths(&std::env::var_os("FLOTILLA_BENCH_KUBECONFIG").unwrap_or_default())
            .collect();
    let names: Vec<String> = std::env::var("FLOTILLA_BENCH_CLUSTERS")
        .unwrap_or_default()
        .split(',')
        .map(str::to_string)
        .collect();
    let loaded = kubeconfig::load(&paths).expect("kubeconfig");
    let mut config = Config::builtin(&flotilla::screens::modes());
    let live = if mode == "index" {
        config
            .settings
            .sources
            .push(flotilla::settings::SourceSettings::clusterpedia("hub"));
        Vec::new()
    } else {
        names.clone()
    };
    let rss_before = rss_mb();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let start = Instant::now();
    let mut app = App::new(loaded.contexts, &live, config);
    app.start_with("pods -A");
    let mut executor = Executor::new(loaded.config, tx);
    let mut watches = 0i64;
    let mut carry = |effects: Vec<Effect>, watches: &mut i64| {
        for e in effects {
            match &e {
                Effect::Watch { .. } => *watches += 1,
                Effect::StopWatch { .. } => *watches -= 1,
                _ => {}
            }
            executor.run(e);
        }
    };
    let pods = ResKey::core("pods");
    let complete = |app: &App| {
        app.store.clusters.len() >= names.len()
            && app.store.clusters.ids().iter().all(|id| {
                app.store
                    .sheet(*id, &pods)
                    .is_some_and(|s| s.state == SheetState::Ready)
            })
    };
    let rows = |app: &App| -> usize {
        app.store
            .clusters
            .ids()
            .iter()
            .filter_map(|id| app.store.sheet(*id, &pods))
            .map(|s| s.len())
            .sum()
    };
    let mut done = None;
    carry(app.update(Input::Tick), &mut watches);
    while start.elapsed() < Duration::from_secs(300) {
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(16), rx.recv()).await {
            carry(app.update(Input::Msg(m)), &mut watches);
            while let Ok(m) = rx.try_recv() {
                carry(app.update(Input::Msg(m)), &mut watches);
            }
        }
        carry(app.update(Input::Tick), &mut watches);
        if complete(&app) {
            done = Some(start.elapsed());
            break;
        }
    }
    let listed = match done {
        Some(d) => format!("{:6.0} ms", d.as_secs_f64() * 1000.0),
        None => "NOT within 300 s".into(),
    };
    // At rest: 20 s with nothing typed.
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(20) {
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(250), rx.recv()).await {
            carry(app.update(Input::Msg(m)), &mut watches);
            while let Ok(m) = rx.try_recv() {
                carry(app.update(Input::Msg(m)), &mut watches);
            }
        }
        carry(app.update(Input::Tick), &mut watches);
    }
    let cpu = (cpu_seconds() - cpu0) / t0.elapsed().as_secs_f64() * 100.0;
    let kept = if mode == "index" {
        "lists re-listed every 15 s (the index serves no watch)"
    } else {
        "open watches"
    };
    println!(
        "{mode:6}: {} clusters, {} pod rows, every pod list complete {listed}; at rest: {} MB resident ({} MB before start), {} TCP connections, {} {kept}, idle CPU {cpu:.2} %",
        app.store.clusters.len(),
        rows(&app),
        rss_mb(),
        rss_before,
        connections(),
        watches.max(0),
    );
    // Behind a change: a pod created in dev, until dev's row shows it.
    let testbed = testbed_file("FLOTILLA_TESTBED_KUBECONFIG", "kubeconfig");
    let pod = format!("bench-{mode}-{}", std::process::id());
    let created = Instant::now();
    let ran = kc(
        &testbed,
        "dev",
        &[
            "-n",
            "default",
            "run",
            &pod,
            "--image=registry.example.com/bench:1",
            "--restart=Never",
        ],
    );
    if ran.is_none() {
        println!("{mode:6}: could not create {pod} in dev");
        return;
    }
    let dev = app.store.clusters.by_context("dev").map(|s| s.id);
    let mut seen = None;
    while created.elapsed() < Duration::from_secs(120) {
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(16), rx.recv()).await {
            carry(app.update(Input::Msg(m)), &mut watches);
            while let Ok(m) = rx.try_recv() {
                carry(app.update(Input::Msg(m)), &mut watches);
            }
        }
        let there = dev
            .and_then(|id| app.store.sheet(id, &pods))
            .is_some_and(|s| s.rows().any(|(_, r)| r.name == pod));
        if there {
            seen = Some(created.elapsed());
            break;
        }
    }
    let _ = kc(
        &testbed,
        "dev",
        &[
            "-n",
            "default",
            "delete",
            "pod",
            &pod,
            "--grace-period=0",
            "--force",
        ],
    );
    match seen {
        Some(d) => println!(
            "{mode:6}: a pod created in dev was in flotilla {:.1} s later",
            d.as_secs_f64()
        ),
        None => println!("{mode:6}: a pod created in dev was NOT seen within 120 s"),
    }
}
