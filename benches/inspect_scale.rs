//! `flotilla inspect` over the testbed's three clusters: the whole report (every list read,
//! paged, and judged, clusters at once), and the judging alone. Not a criterion bench: one
//! run against live servers.
//!
//!     testbed/tb up && for c in dev staging prod; do testbed/tb scale $c 20000; done
//!     cargo bench --bench inspect_scale
//!
//! Skips (exit 0, with a note) when the testbed is not running.

use flotilla::cluster::kubeconfig;
use flotilla::inspect::{Options, Snapshot};
use std::path::PathBuf;
use std::time::Instant;

const CONTEXTS: [&str; 3] = ["dev", "staging", "prod"];

/// Peak resident memory of this process, in MiB.
fn peak_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
        / 1024
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("inspect_scale: measures only under `cargo bench --bench inspect_scale`");
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
            "inspect_scale: skipped, no testbed kubeconfig at {}",
            kc_path.display()
        );
        return;
    }
    let loaded = match kubeconfig::load(&[kc_path]) {
        Ok(l) => l,
        Err(e) => {
            println!("inspect_scale: skipped, {e}");
            return;
        }
    };
    let contexts: Vec<String> = CONTEXTS.iter().map(|c| c.to_string()).collect();
    let opts = Options::default();

    let t = Instant::now();
    let report = flotilla::cli::inspect::report(&loaded.config, &contexts, &opts).await;
    let whole = t.elapsed();
    for c in &report.clusters {
        let examined: u64 = c.checks.values().map(|s| s.count.examined).sum();
        println!(
            "{}: score {:?}, {} findings, {} examined, errors {:?}",
            c.name,
            c.score,
            c.findings.len(),
            examined,
            c.errors
        );
    }
    println!(
        "inspect_scale: report of {} clusters in {:.2} s (peak {} MiB)",
        report.clusters.len(),
        whole.as_secs_f64(),
        peak_mib()
    );

    // The judging alone, on one cluster's snapshot read again.
    let Some(client) = client(&loaded.config, "dev").await else {
        return;
    };
    let t = Instant::now();
    let snap: Snapshot = match flotilla::cluster::survey::snapshot(&client, 0).await {
        Ok(s) => s,
        Err(e) => {
            println!("inspect_scale: dev: {e}");
            return;
        }
    };
    let read = t.elapsed();
    let t = Instant::now();
    let judged = flotilla::inspect::inspect("dev", &snap, &opts);
    println!(
        "inspect_scale: dev read in {:.2} s ({} pods), judged in {:.0} ms ({} findings)",
        read.as_secs_f64(),
        snap.of(flotilla::inspect::Kind::Pod).len(),
        t.elapsed().as_secs_f64() * 1000.0,
        judged.findings.len()
    );
}

async fn client(kc: &kube::config::Kubeconfig, context: &str) -> Option<kube::Client> {
    let opts = kube::config::KubeConfigOptions {
        context: Some(context.to_string()),
        ..Default::default()
    };
    let config = kube::Config::from_custom_kubeconfig(kc.clone(), &opts)
        .await
        .ok()?;
    kube::Client::try_from(config).ok()
}
