//! What counts as a problem: one table, one entry per rule. A rule names the kind it reads,
//! the test on a row (its cells as `kubectl get` shows them, or the facts of kinds watched
//! with their full object), what the problem is called, since when it holds, and the
//! threshold it must outlast before it counts (set in `[triage]` of the settings).

use crate::model::Row;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Critical,
}

#[derive(Debug)]
pub enum Test {
    /// The cell contains one of these (STATUS `Init:CrashLoopBackOff` counts as crash-looping).
    CellHas(&'static str, &'static [&'static str]),
    /// The cell is one of these.
    CellIs(&'static str, &'static [&'static str]),
    /// A `ready/total` cell with fewer ready.
    Short(&'static str),
    /// A count cell below another (`ready` below `desired`).
    Below(&'static str, &'static str),
    /// A condition with this status.
    Condition(&'static str, &'static str),
    /// A condition that is not `True` (or missing status).
    NotTrue(&'static str),
    /// A condition with this reason.
    Reason(&'static str, &'static str),
    /// Deletion asked for, object still there.
    Deleting,
    /// Fewer updated replicas than desired: a rollout under way.
    RolloutBehind,
    /// The CronJob's last scheduled run has not succeeded (and none is running).
    LastRunFailed,
    /// A Service that selects pods; confirmed against its EndpointSlices by the engine.
    SelectsPods,
    /// A Warning event; the engine groups them by object and reason.
    WarningEvent,
    /// A Helm release record (labelled owner=helm) whose status is pending-*.
    HelmPending,
}

/// What the problem reads as.
#[derive(Debug)]
pub enum What {
    Text(&'static str),
    /// The text of the cell the test read.
    Cell(&'static str),
    /// `<cell> ready` for a ratio cell.
    Ready(&'static str),
    /// A condition's reason (after a prefix).
    Reason(&'static str, &'static str),
    /// `Helm release NAME stuck in STATUS`, from the record's labels.
    HelmRelease,
}

#[derive(Debug)]
pub enum Since {
    Created,
    Deleting,
    /// A fact's time (a condition's transition); when flotilla first saw it if absent.
    Fact(&'static str),
    /// When a condition stopped being met (its transition while not `True`); when flotilla
    /// first saw the problem if it is met or absent.
    Unmet(&'static str),
    /// When flotilla first saw the problem (the object's creation for what was already
    /// there when the list came).
    FirstSeen,
    LastSeen,
}

#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub group: &'static str,
    pub plural: &'static str,
    pub test: Test,
    pub what: What,
    pub since: Since,
    pub severity: Severity,
    /// The threshold (by name) the problem must outlast before it counts; `None`: at once.
    pub after: Option<&'static str>,
}

use Severity::{Critical, Warning};

/// Every rule. Adding one is adding an entry here.
pub const RULES: &[Rule] = &[
    Rule {
        id: "pod-failing",
        group: "",
        plural: "pods",
        test: Test::CellHas(
            "status",
            &[
                "CrashLoopBackOff",
                "ImagePullBackOff",
                "ErrImagePull",
                "Error",
                "OOMKilled",
                "InvalidImageName",
                "ContainerStatusUnknown",
                "Evicted",
                "StartError",
            ],
        ),
        what: What::Cell("status"),
        since: Since::FirstSeen,
        severity: Critical,
        after: None,
    },
    Rule {
        id: "pod-pending",
        group: "",
        plural: "pods",
        test: Test::CellIs(
            "status",
            &["Pending", "ContainerCreating", "PodInitializing"],
        ),
        what: What::Cell("status"),
        since: Since::Created,
        severity: Warning,
        after: Some("pending"),
    },
    Rule {
        id: "pod-terminating",
        group: "",
        plural: "pods",
        test: Test::Deleting,
        what: What::Text("Terminating"),
        since: Since::Deleting,
        severity: Warning,
        after: Some("terminating"),
    },
    Rule {
        id: "node-not-ready",
        group: "",
        plural: "nodes",
        test: Test::NotTrue("Ready"),
        what: What::Reason("Ready", "NotReady"),
        since: Since::Fact("Ready"),
        severity: Critical,
        after: None,
    },
    Rule {
        id: "node-memory-pressure",
        group: "",
        plural: "nodes",
        test: Test::Condition("MemoryPressure", "True"),
        what: What::Text("MemoryPressure"),
        since: Since::Fact("MemoryPressure"),
        severity: Warning,
        after: None,
    },
    Rule {
        id: "node-disk-pressure",
        group: "",
        plural: "nodes",
        test: Test::Condition("DiskPressure", "True"),
        what: What::Text("DiskPressure"),
        since: Since::Fact("DiskPressure"),
        severity: Warning,
        after: None,
    },
    Rule {
        id: "node-pid-pressure",
        group: "",
        plural: "nodes",
        test: Test::Condition("PIDPressure", "True"),
        what: What::Text("PIDPressure"),
        since: Since::Fact("PIDPressure"),
        severity: Warning,
        after: None,
    },
    Rule {
        id: "node-cordoned",
        group: "",
        plural: "nodes",
        test: Test::CellHas("status", &["SchedulingDisabled"]),
        what: What::Text("Cordoned"),
        since: Since::Fact("cordoned"),
        severity: Warning,
        after: None,
    },
    Rule {
        id: "deployment-unavailable",
        group: "apps",
        plural: "deployments",
        test: Test::Short("ready"),
        what: What::Ready("ready"),
        since: Since::Unmet("Available"),
        severity: Warning,
        after: Some("unavailable"),
    },
    Rule {
        id: "deployment-rollout-stuck",
        group: "apps",
        plural: "deployments",
        test: Test::Reason("Progressing", "ProgressDeadlineExceeded"),
        what: What::Text("Rollout stuck: ProgressDeadlineExceeded"),
        since: Since::Fact("Progressing"),
        severity: Critical,
        after: None,
    },
    Rule {
        id: "deployment-rollout-stalled",
        group: "apps",
        plural: "deployments",
        test: Test::RolloutBehind,
        what: What::Text("Rollout not progressing"),
        since: Since::Fact("Progressing"),
        severity: Warning,
        after: Some("rollout"),
    },
    Rule {
        id: "statefulset-unavailable",
        group: "apps",
        plural: "statefulsets",
        test: Test::Short("ready"),
        what: What::Ready("ready"),
        since: Since::FirstSeen,
        severity: Warning,
        after: Some("unavailable"),
    },
    Rule {
        id: "statefulset-rollout-stalled",
        group: "apps",
        plural: "statefulsets",
        test: Test::RolloutBehind,
        what: What::Text("Rollout not progressing"),
        since: Since::FirstSeen,
        severity: Warning,
        after: Some("rollout"),
    },
    Rule {
        id: "daemonset-unavailable",
        group: "apps",
        plural: "daemonsets",
        test: Test::Below("ready", "desired"),
        what: What::Text("Pods not ready"),
        since: Since::FirstSeen,
        severity: Warning,
        after: Some("unavailable"),
    },
    Rule {
        id: "job-failed",
        group: "batch",
        plural: "jobs",
        test: Test::CellIs("status", &["Failed", "FailureTarget"]),
        what: What::Reason("Failed", "Failed: "),
        since: Since::Fact("Failed"),
        severity: Critical,
        after: None,
    },
    Rule {
        id: "cronjob-last-run-failed",
        group: "batch",
        plural: "cronjobs",
        test: Test::LastRunFailed,
        what: What::Text("Last scheduled run did not succeed"),
        since: Since::Fact("lastScheduleTime"),
        severity: Warning,
        after: None,
    },
    Rule {
        id: "pvc-pending",
        group: "",
        plural: "persistentvolumeclaims",
        test: Test::CellIs("status", &["Pending"]),
        what: What::Text("Pending"),
        since: Since::Created,
        severity: Warning,
        after: Some("pvc-pending"),
    },
    Rule {
        id: "pvc-lost",
        group: "",
        plural: "persistentvolumeclaims",
        test: Test::CellIs("status", &["Lost"]),
        what: What::Text("Lost"),
        since: Since::FirstSeen,
        severity: Critical,
        after: None,
    },
    Rule {
        id: "service-no-endpoints",
        group: "",
        plural: "services",
        test: Test::SelectsPods,
        what: What::Text("No ready endpoints"),
        since: Since::FirstSeen,
        severity: Warning,
        after: Some("no-endpoints"),
    },
    Rule {
        id: "hpa-no-metrics",
        group: "autoscaling",
        plural: "horizontalpodautoscalers",
        test: Test::Condition("ScalingActive", "False"),
        what: What::Reason("ScalingActive", "Cannot compute metrics: "),
        since: Since::Fact("ScalingActive"),
        severity: Warning,
        after: None,
    },
    Rule {
        id: "warning-events",
        group: "",
        plural: "events",
        test: Test::WarningEvent,
        what: What::Cell("reason"),
        since: Since::LastSeen,
        severity: Warning,
        after: None,
    },
    Rule {
        id: "helm-pending",
        group: "",
        plural: "secrets",
        test: Test::HelmPending,
        what: What::HelmRelease,
        since: Since::Created,
        severity: Critical,
        after: Some("helm-pending"),
    },
    Rule {
        id: "helm-pending-configmap",
        group: "",
        plural: "configmaps",
        test: Test::HelmPending,
        what: What::HelmRelease,
        since: Since::Created,
        severity: Critical,
        after: Some("helm-pending"),
    },
];

/// Thresholds and their defaults, in seconds; `[triage]` in the settings overrides them.
pub const THRESHOLDS: &[(&str, i64, &str)] = &[
    (
        "pending",
        300,
        "a pod Pending (or creating containers) this long",
    ),
    ("terminating", 300, "a pod Terminating this long"),
    (
        "unavailable",
        120,
        "a workload with replicas not ready this long",
    ),
    ("rollout", 600, "a rollout without progress this long"),
    (
        "changes",
        1800,
        "how far before a problem started triage looks for what changed",
    ),
    (
        "pvc-pending",
        120,
        "a PersistentVolumeClaim Pending this long",
    ),
    (
        "no-endpoints",
        60,
        "a Service selecting pods without a ready endpoint this long",
    ),
    ("events", 900, "Warning events seen within this window"),
    (
        "helm-pending",
        300,
        "a Helm release pending (install, upgrade, rollback) this long: Helm refuses every other operation on it",
    ),
];

/// A cell by its column name (the server's header, case aside).
pub fn cell<'a>(columns: &[crate::model::Column], row: &'a Row, name: &str) -> Option<&'a str> {
    let i = columns
        .iter()
        .position(|c| c.name.eq_ignore_ascii_case(name))?;
    row.cells.get(i).map(String::as_str)
}

fn count(s: Option<&str>) -> Option<u64> {
    s?.trim().parse().ok()
}

impl Rule {
    /// Whether the row has this problem, and what it reads as.
    pub fn test(&self, columns: &[crate::model::Column], row: &Row) -> Option<String> {
        let hit = match &self.test {
            Test::CellHas(c, any) => {
                cell(columns, row, c).is_some_and(|v| any.iter().any(|a| v.contains(a)))
            }
            Test::CellIs(c, any) => cell(columns, row, c).is_some_and(|v| any.contains(&v)),
            Test::Short(c) => cell(columns, row, c)
                .and_then(|v| v.split_once('/'))
                .and_then(|(a, b)| Some((count(Some(a))?, count(Some(b))?)))
                .is_some_and(|(a, b)| a < b),
            Test::Below(have, want) => match (
                count(cell(columns, row, have)),
                count(cell(columns, row, want)),
            ) {
                (Some(h), Some(w)) => h < w,
                _ => false,
            },
            Test::Condition(name, status) => row.fact(name).is_some_and(|f| f.value == *status),
            Test::NotTrue(name) => row.fact(name).is_some_and(|f| f.value != "True"),
            Test::Reason(name, reason) => row.fact(name).is_some_and(|f| f.reason == *reason),
            Test::Deleting => row.deleting.is_some(),
            Test::RolloutBehind => {
                let n = |k: &str| row.fact(k).and_then(|f| f.value.parse::<u64>().ok());
                n("replicas").is_some_and(|want| n("updatedReplicas").unwrap_or(0) < want)
            }
            Test::LastRunFailed => {
                let at = |k: &str| row.fact(k).and_then(|f| f.since);
                let active = row.fact("active").is_some_and(|f| f.value != "0");
                match (at("lastScheduleTime"), at("lastSuccessfulTime")) {
                    (Some(s), ok) => !active && ok.is_none_or(|ok| ok < s),
                    (None, _) => false,
                }
            }
            Test::SelectsPods => {
                cell(columns, row, "selector").is_some_and(|s| s != "<none>" && !s.is_empty())
                    && cell(columns, row, "type") != Some("ExternalName")
            }
            Test::WarningEvent => cell(columns, row, "type") == Some("Warning"),
            Test::HelmPending => {
                row.label("owner") == Some("helm")
                    && row
                        .label("status")
                        .is_some_and(|s| s.starts_with("pending-"))
            }
        };
        if !hit {
            return None;
        }
        Some(match &self.what {
            What::Text(t) => t.to_string(),
            What::Cell(c) => cell(columns, row, c).unwrap_or("").to_string(),
            What::Ready(c) => format!("{} ready", cell(columns, row, c).unwrap_or("?")),
            What::Reason(name, prefix) => {
                let reason = row.fact(name).map(|f| f.reason.as_str()).unwrap_or("");
                match (reason.is_empty(), prefix.ends_with(' ')) {
                    (true, true) => prefix.trim_end_matches([' ', ':']).to_string(),
                    (true, false) => prefix.to_string(),
                    (false, true) => format!("{prefix}{reason}"),
                    (false, false) => format!("{prefix}: {reason}"),
                }
            }
            What::HelmRelease => format!(
                "Helm release {} stuck in {} (another operation is in progress)",
                row.label("name").unwrap_or("?"),
                row.label("status").unwrap_or("?")
            ),
        })
    }

    pub fn is(&self, group: &str, plural: &str) -> bool {
        self.group == group && self.plural == plural
    }
}
