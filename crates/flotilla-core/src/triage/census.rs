//! The fleet view's numbers per cluster, kept from the same watches the lists use: each
//! row's class is computed when the row changes and the totals move with it, so the view
//! costs what changed, not how many pods there are.

use super::follow::Follow;
use super::rules::{RULES, cell};
use crate::model::{ClusterId, ResKey, Row, RowHealth};
use crate::quantity::amount;
use crate::store::Store;
use std::collections::{HashMap, VecDeque};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PodClass {
    Running,
    Pending,
    Failed,
    CrashLoop,
    Done,
}

#[derive(Clone, Copy, Debug)]
struct NodeInfo {
    ready: bool,
    cpu_milli: i64,
    memory: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub nodes: i64,
    pub nodes_ready: i64,
    pub cpu_milli: i64,
    pub memory: i64,
    pub pods: i64,
    pub running: i64,
    pub pending: i64,
    pub failed: i64,
    pub crashloop: i64,
    pub unavailable: i64,
    pub warnings: i64,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.nodes += o.nodes;
        self.nodes_ready += o.nodes_ready;
        self.cpu_milli += o.cpu_milli;
        self.memory += o.memory;
        self.pods += o.pods;
        self.running += o.running;
        self.pending += o.pending;
        self.failed += o.failed;
        self.crashloop += o.crashloop;
        self.unavailable += o.unavailable;
        self.warnings += o.warnings;
    }

    /// Pods that need a look: what the trend line plots.
    pub fn unhealthy(&self) -> i64 {
        self.pending + self.failed + self.crashloop
    }
}

#[derive(Default)]
struct ClusterCensus {
    pods: Follow<PodClass>,
    nodes: Follow<NodeInfo>,
    workloads: HashMap<ResKey, Follow<()>>,
    /// Warning events by when last seen.
    warnings: Follow<i64>,
    counts: Counts,
    trend: VecDeque<i64>,
}

/// Samples kept for the trend line: one per `SAMPLE_SECS`, the last ten minutes.
const SAMPLES: usize = 60;
const SAMPLE_SECS: i64 = 10;

#[derive(Default)]
pub struct Census {
    clusters: HashMap<ClusterId, ClusterCensus>,
    sampled_at: i64,
}

/// Resources the fleet view reads.
pub fn watched() -> Vec<ResKey> {
    vec![
        ResKey::core("pods"),
        ResKey::core("nodes"),
        ResKey::new("apps", "deployments"),
        ResKey::new("apps", "statefulsets"),
        ResKey::new("apps", "daemonsets"),
        ResKey::core("events"),
    ]
}

fn pod_class(columns: &[crate::model::Column], row: &Row) -> PodClass {
    let status = cell(columns, row, "status").unwrap_or("");
    if status.contains("CrashLoopBackOff") {
        return PodClass::CrashLoop;
    }
    match row.health {
        RowHealth::Done => PodClass::Done,
        RowHealth::Error => PodClass::Failed,
        _ if status == "Running" || status == "Terminating" => PodClass::Running,
        _ => PodClass::Pending,
    }
}

impl Census {
    pub fn refresh(&mut self, store: &Store, th: &super::Thresholds, now: i64) {
        let unavailable: Vec<&super::rules::Rule> = RULES
            .iter()
            .filter(|r| {
                matches!(
                    r.id,
                    "deployment-unavailable" | "statefulset-unavailable" | "daemonset-unavailable"
                )
            })
            .collect();
        for slot in store.clusters.iter() {
            let id = slot.id;
            let c = self.clusters.entry(id).or_default();
            let counts = &mut c.counts;
            if let Some(sheet) = store.sheet(id, &ResKey::core("pods")) {
                let columns = &sheet.columns;
                c.pods.catch_up(
                    sheet,
                    |row, _| Some(pod_class(columns, row)),
                    |class, n| {
                        counts.pods += n;
                        match class {
                            PodClass::Running => counts.running += n,
                            PodClass::Pending => counts.pending += n,
                            PodClass::Failed => counts.failed += n,
                            PodClass::CrashLoop => counts.crashloop += n,
                            PodClass::Done => {}
                        }
                    },
                );
            }
            if let Some(sheet) = store.sheet(id, &ResKey::core("nodes")) {
                c.nodes.catch_up(
                    sheet,
                    |row, _| {
                        let fact = |n: &str| row.fact(n).map(|f| f.value.as_str());
                        Some(NodeInfo {
                            ready: fact("Ready") == Some("True"),
                            cpu_milli: fact("allocatable/cpu")
                                .and_then(|q| amount(q, true))
                                .unwrap_or(0),
                            memory: fact("allocatable/memory")
                                .and_then(|q| amount(q, false))
                                .unwrap_or(0),
                        })
                    },
                    |n, sign| {
                        counts.nodes += sign;
                        counts.nodes_ready += if n.ready { sign } else { 0 };
                        counts.cpu_milli += sign * n.cpu_milli;
                        counts.memory += sign * n.memory;
                    },
                );
            }
            for rule in &unavailable {
                let res = ResKey::new(rule.group, rule.plural);
                let Some(sheet) = store.sheet(id, &res) else {
                    continue;
                };
                let columns = &sheet.columns;
                c.workloads.entry(res).or_default().catch_up(
                    sheet,
                    |row, _| rule.test(columns, row).map(|_| ()),
                    |_, n| counts.unavailable += n,
                );
            }
            if let Some(sheet) = store.sheet(id, &ResKey::core("events")) {
                let columns = &sheet.columns;
                c.warnings.catch_up(
                    sheet,
                    |row, _| {
                        (cell(columns, row, "type") == Some("Warning"))
                            .then(|| row.last_seen.or(row.created).unwrap_or(0))
                    },
                    |_, _| {},
                );
            }
            let window = th.secs("events");
            c.counts.warnings = c
                .warnings
                .iter()
                .filter(|(_, t)| now - **t <= window)
                .count() as i64;
        }
        self.clusters
            .retain(|id, _| store.clusters.get(*id).is_some());
        if now - self.sampled_at >= SAMPLE_SECS {
            self.sampled_at = now;
            for c in self.clusters.values_mut() {
                if c.trend.len() == SAMPLES {
                    c.trend.pop_front();
                }
                c.trend.push_back(c.counts.unhealthy());
            }
        }
    }

    pub fn counts(&self, id: ClusterId) -> Option<&Counts> {
        self.clusters.get(&id).map(|c| &c.counts)
    }

    /// Unhealthy pods over the last minutes, oldest first.
    pub fn trend(&self, id: ClusterId) -> Vec<i64> {
        self.clusters
            .get(&id)
            .map(|c| c.trend.iter().copied().collect())
            .unwrap_or_default()
    }
}

/// A sparkline of `values` in at most `width` cells (the latest at the right).
pub fn sparkline(values: &[i64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let values = &values[values.len().saturating_sub(width)..];
    let max = values.iter().copied().max().unwrap_or(0);
    let min = values.iter().copied().min().unwrap_or(0);
    values
        .iter()
        .map(|v| {
            if max == min {
                if max == 0 { BARS[0] } else { BARS[3] }
            } else {
                BARS[((v - min) * 7 / (max - min)) as usize]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_to_the_range() {
        assert_eq!(sparkline(&[0, 7, 14], 10), "▁▄█");
        assert_eq!(sparkline(&[0, 0], 10), "▁▁");
        assert_eq!(sparkline(&[1, 2, 3, 4], 2), "▁█");
    }
}
