//! How healthy a row looks, from the same cells the user reads: the colour of a row must
//! agree with its STATUS/READY text.

use crate::model::{Column, ResKey, RowHealth};

fn cell<'a>(columns: &[Column], cells: &'a [String], name: &str) -> Option<&'a str> {
    let i = columns
        .iter()
        .position(|c| c.name.eq_ignore_ascii_case(name))?;
    cells.get(i).map(String::as_str)
}

/// "3/4" → Some((3, 4))
fn ratio(s: &str) -> Option<(u64, u64)> {
    let (a, b) = s.split_once('/')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

pub fn row_health(res: &ResKey, columns: &[Column], cells: &[String], deleting: bool) -> RowHealth {
    if deleting {
        return RowHealth::Warn;
    }
    let status = cell(columns, cells, "status").unwrap_or("");
    match (res.group.as_str(), res.plural.as_str()) {
        ("", "pods") => pod(status, cell(columns, cells, "ready")),
        ("", "nodes") => {
            if status.contains("NotReady") || status.contains("Unknown") {
                RowHealth::Error
            } else if status.contains("SchedulingDisabled") {
                RowHealth::Warn
            } else {
                RowHealth::Ok
            }
        }
        ("", "events") => match cell(columns, cells, "type") {
            Some("Warning") => RowHealth::Warn,
            _ => RowHealth::Ok,
        },
        ("batch", "jobs") => match status {
            "Failed" | "FailureTarget" => RowHealth::Error,
            "Complete" | "SuccessCriteriaMet" => RowHealth::Done,
            _ => RowHealth::Ok,
        },
        ("apps", "daemonsets") => {
            let desired = cell(columns, cells, "desired").and_then(|s| s.parse::<u64>().ok());
            let ready = cell(columns, cells, "ready").and_then(|s| s.parse::<u64>().ok());
            match (ready, desired) {
                (Some(r), Some(d)) if r < d => RowHealth::Warn,
                _ => RowHealth::Ok,
            }
        }
        _ => generic(status, cell(columns, cells, "ready")),
    }
}

fn pod(status: &str, ready: Option<&str>) -> RowHealth {
    match status {
        "Running" => match ready.and_then(ratio) {
            Some((r, t)) if r < t => RowHealth::Warn,
            _ => RowHealth::Ok,
        },
        "Completed" | "Succeeded" => RowHealth::Done,
        "Pending" | "ContainerCreating" | "PodInitializing" | "Terminating" | "NotReady" => {
            RowHealth::Warn
        }
        s if s.starts_with("Init:") && !s.contains("Error") && !s.contains("BackOff") => {
            RowHealth::Warn
        }
        _ => RowHealth::Error,
    }
}

fn generic(status: &str, ready: Option<&str>) -> RowHealth {
    match status {
        "Failed" | "Error" | "Lost" | "NotReady" | "False" => return RowHealth::Error,
        "Pending" | "Released" | "Unknown" => return RowHealth::Warn,
        _ => {}
    }
    match ready.and_then(ratio) {
        Some((r, t)) if r < t => RowHealth::Warn,
        _ => RowHealth::Ok,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ColumnKind;

    fn cols(names: &[&str]) -> Vec<Column> {
        names
            .iter()
            .map(|n| Column {
                name: n.to_string(),
                kind: ColumnKind::Text,
                priority: 0,
            })
            .collect()
    }
    fn cells(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn pods() {
        let c = cols(&["Name", "Ready", "Status"]);
        let p = ResKey::core("pods");
        assert_eq!(
            row_health(&p, &c, &cells(&["a", "1/1", "Running"]), false),
            RowHealth::Ok
        );
        assert_eq!(
            row_health(&p, &c, &cells(&["a", "0/1", "Running"]), false),
            RowHealth::Warn
        );
        assert_eq!(
            row_health(&p, &c, &cells(&["a", "0/1", "CrashLoopBackOff"]), false),
            RowHealth::Error
        );
        assert_eq!(
            row_health(&p, &c, &cells(&["a", "0/1", "Pending"]), false),
            RowHealth::Warn
        );
        assert_eq!(
            row_health(&p, &c, &cells(&["a", "0/1", "Completed"]), false),
            RowHealth::Done
        );
        assert_eq!(
            row_health(&p, &c, &cells(&["a", "1/1", "Running"]), true),
            RowHealth::Warn
        );
    }

    #[test]
    fn workloads_and_nodes() {
        let d = ResKey::new("apps", "deployments");
        let c = cols(&["Name", "Ready", "Up-to-date"]);
        assert_eq!(
            row_health(&d, &c, &cells(&["w", "1/3", "3"]), false),
            RowHealth::Warn
        );
        assert_eq!(
            row_health(&d, &c, &cells(&["w", "3/3", "3"]), false),
            RowHealth::Ok
        );
        let n = ResKey::core("nodes");
        let c = cols(&["Name", "Status"]);
        assert_eq!(
            row_health(&n, &c, &cells(&["n", "NotReady"]), false),
            RowHealth::Error
        );
    }
}
