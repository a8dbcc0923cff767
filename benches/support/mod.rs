//! What the benches against the testbed share: its kubectl, and this process's CPU time and
//! memory as /proc tells them.
#![allow(dead_code)]

use std::path::PathBuf;

/// The kubectl the testbed built (`~/.cache/flotilla/testbed/<versions>/kubectl`).
pub fn kubectl() -> PathBuf {
    let versions =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/testbed/versions.env"))
            .unwrap_or_default();
    let v = |k: &str| {
        versions
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let home = std::env::var("HOME").unwrap_or_default();
    PathBuf::from(format!(
        "{home}/.cache/flotilla/testbed/k8s-{}_etcd-{}_kwok-{}/kubectl",
        v("K8S_VERSION"),
        v("ETCD_VERSION"),
        v("KWOK_VERSION")
    ))
}

/// (utime + stime) of this process, in seconds.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields.get(11).and_then(|s| s.parse().ok()).unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
    ticks / 100.0
}

/// A field of /proc/self/status, in kB (`VmRSS:`, `VmHWM:`).
pub fn status_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(key)
                .map(|v| v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0))
        })
        .unwrap_or(0)
}

pub fn rss_mb() -> u64 {
    status_kb("VmRSS:") / 1024
}
