//! Workloads: Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs and CronJobs (kubectl's
//! `describeDeployment`, `describeReplicaSet`, … ). Their pod template reads as a pod's spec.

use super::pod::template;
use super::table::{
    Writer, annotations, arr, conditions, controller, format_labels, int, int_or_str,
    label_selector, labels, obj, s, scalar, time,
};
use super::{Related, Slot};
use serde_json::Value;

fn head(w: &mut Writer, o: &Value) {
    w.kv(0, "Name", s(o, "/metadata/name"));
    w.kv(0, "Namespace", s(o, "/metadata/namespace"));
}

fn meta(w: &mut Writer, o: &Value) {
    labels(w, "", "Labels", obj(o, "/metadata/labels"));
    annotations(w, "Annotations", obj(o, "/metadata/annotations"));
}

/// `*int32` that the server defaults: what it says, else kubectl's default of one.
fn replicas(o: &Value) -> i64 {
    o.pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

fn reason_conditions(w: &mut Writer, o: &Value) {
    let cols = [("Type", "type"), ("Status", "status"), ("Reason", "reason")];
    conditions(w, o, true, &cols);
}

fn controlled_by(o: &Value, uid: &str) -> bool {
    arr(o, "/metadata/ownerReferences")
        .iter()
        .any(|r| r.get("controller").and_then(Value::as_bool) == Some(true) && s(r, "/uid") == uid)
}

/// `Pods Status:` of the pods the workload controls, by phase.
fn pods_status(w: &mut Writer, o: &Value, related: &Related) {
    let text = match related.items(Slot::Pods) {
        Ok(pods) => {
            let uid = s(o, "/metadata/uid");
            let mine: Vec<&Value> = pods.iter().filter(|p| controlled_by(p, uid)).collect();
            let count = |phase: &str| {
                mine.iter()
                    .filter(|p| s(p, "/status/phase") == phase)
                    .count()
            };
            format!(
                "{} Running / {} Waiting / {} Succeeded / {} Failed",
                count("Running"),
                count("Pending"),
                count("Succeeded"),
                count("Failed")
            )
        }
        Err(e) => e,
    };
    w.kv(0, "Pods Status", text);
}

pub fn deployment(d: &Value, related: &Related) -> Vec<String> {
    let mut w = Writer::new();
    head(&mut w, d);
    w.kv(
        0,
        "CreationTimestamp",
        time(s(d, "/metadata/creationTimestamp")),
    );
    meta(&mut w, d);
    w.kv(0, "Selector", label_selector(d.pointer("/spec/selector")));
    w.kv(
        0,
        "Replicas",
        format!(
            "{} desired | {} updated | {} total | {} available | {} unavailable",
            replicas(d),
            int(d, "/status/updatedReplicas"),
            int(d, "/status/replicas"),
            int(d, "/status/availableReplicas"),
            int(d, "/status/unavailableReplicas")
        ),
    );
    w.kv(0, "StrategyType", s(d, "/spec/strategy/type"));
    w.kv(0, "MinReadySeconds", int(d, "/spec/minReadySeconds"));
    if let Some(ru) = d.pointer("/spec/strategy/rollingUpdate") {
        w.kv(
            0,
            "RollingUpdateStrategy",
            format!(
                "{} max unavailable, {} max surge",
                int_or_str(ru, "/maxUnavailable"),
                int_or_str(ru, "/maxSurge")
            ),
        );
    }
    template(&mut w, d.pointer("/spec/template"));
    reason_conditions(&mut w, d);
    match related.items(Slot::ReplicaSets) {
        Ok(all) => {
            let uid = s(d, "/metadata/uid");
            let mut mine: Vec<&Value> = all.iter().filter(|rs| controlled_by(rs, uid)).collect();
            // kubectl lists them oldest first (it sorts by creation time, then name).
            mine.sort_by_key(|rs| {
                (
                    s(rs, "/metadata/creationTimestamp").to_string(),
                    s(rs, "/metadata/name").to_string(),
                )
            });
            let new = new_replica_set(d, &mine);
            if !mine.is_empty() {
                let old: Vec<&Value> = mine
                    .iter()
                    .copied()
                    .filter(|rs| new.is_none_or(|n| !std::ptr::eq(*rs, n)))
                    .collect();
                w.kv(0, "OldReplicaSets", replica_sets(&old));
                w.kv(
                    0,
                    "NewReplicaSet",
                    replica_sets(&new.into_iter().collect::<Vec<_>>()),
                );
            }
        }
        Err(e) => {
            w.kv(0, "OldReplicaSets", &e);
            w.kv(0, "NewReplicaSet", e);
        }
    }
    w.finish()
}

/// The ReplicaSet of the deployment's current template: kubectl compares templates without
/// the hash label the controller adds; the revision annotation settles what that misses.
fn new_replica_set<'a>(d: &Value, mine: &[&'a Value]) -> Option<&'a Value> {
    let want = d.pointer("/spec/template");
    let same = |rs: &Value| {
        let mut t = rs.pointer("/spec/template").cloned().unwrap_or(Value::Null);
        if let Some(l) = t
            .pointer_mut("/metadata/labels")
            .and_then(Value::as_object_mut)
        {
            l.remove("pod-template-hash");
            if l.is_empty()
                && let Some(m) = t.pointer_mut("/metadata").and_then(Value::as_object_mut)
            {
                m.remove("labels");
            }
        }
        Some(&t) == want
    };
    let revision = "/metadata/annotations/deployment.kubernetes.io~1revision";
    let mut sorted = mine.to_vec();
    sorted.sort_by_key(|rs| s(rs, "/metadata/creationTimestamp").to_string());
    sorted.iter().copied().find(|rs| same(rs)).or_else(|| {
        let r = s(d, revision);
        sorted
            .iter()
            .copied()
            .find(|rs| !r.is_empty() && s(rs, revision) == r)
    })
}

fn replica_sets(list: &[&Value]) -> String {
    if list.is_empty() {
        return "<none>".into();
    }
    list.iter()
        .map(|rs| {
            format!(
                "{} ({}/{} replicas created)",
                s(rs, "/metadata/name"),
                int(rs, "/status/replicas"),
                replicas(rs)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn replica_set(rs: &Value, related: &Related) -> Vec<String> {
    let mut w = Writer::new();
    head(&mut w, rs);
    w.kv(0, "Selector", label_selector(rs.pointer("/spec/selector")));
    meta(&mut w, rs);
    if let Some(c) = controller(rs) {
        w.kv(0, "Controlled By", c);
    }
    let current = int(rs, "/status/replicas");
    w.kv(
        0,
        "Replicas",
        format!("{current} current / {} desired", replicas(rs)),
    );
    pods_status(&mut w, rs, related);
    template(&mut w, rs.pointer("/spec/template"));
    reason_conditions(&mut w, rs);
    w.finish()
}

pub fn stateful_set(ss: &Value, related: &Related) -> Vec<String> {
    let mut w = Writer::new();
    head(&mut w, ss);
    w.kv(
        0,
        "CreationTimestamp",
        time(s(ss, "/metadata/creationTimestamp")),
    );
    w.kv(0, "Selector", label_selector(ss.pointer("/spec/selector")));
    meta(&mut w, ss);
    for (key, ptr) in [
        ("Service Name", "/spec/serviceName"),
        ("Pod Management Policy", "/spec/podManagementPolicy"),
    ] {
        if !s(ss, ptr).is_empty() {
            w.kv(0, key, s(ss, ptr));
        }
    }
    let total = int(ss, "/status/replicas");
    w.kv(
        0,
        "Replicas",
        format!("{} desired | {total} total", replicas(ss)),
    );
    w.kv(0, "Update Strategy", s(ss, "/spec/updateStrategy/type"));
    if let Some(p) = ss.pointer("/spec/updateStrategy/rollingUpdate/partition") {
        w.kv(1, "Partition", scalar(p));
        let mu = int_or_str(ss, "/spec/updateStrategy/rollingUpdate/maxUnavailable");
        if !mu.is_empty() {
            w.kv(1, "MaxUnavailable", mu);
        }
    }
    if let Some(p) = ss.pointer("/spec/persistentVolumeClaimRetentionPolicy") {
        w.line(0, "Persistent Volume Claim Retention Policy:");
        w.kv(1, "WhenDeleted", s(p, "/whenDeleted"));
        w.kv(1, "WhenScaled", s(p, "/whenScaled"));
    }
    pods_status(&mut w, ss, related);
    template(&mut w, ss.pointer("/spec/template"));
    let claims = arr(ss, "/spec/volumeClaimTemplates");
    if claims.is_empty() {
        w.kv(0, "Volume Claims", "<none>");
    } else {
        w.line(0, "Volume Claims:");
        for c in claims {
            w.kv(1, "Name", s(c, "/metadata/name"));
            w.kv(1, "StorageClass", super::storage::claim_class(c));
            labels(&mut w, "  ", "Labels", obj(c, "/metadata/labels"));
            labels(&mut w, "  ", "Annotations", obj(c, "/metadata/annotations"));
            let cap = match s(c, "/spec/resources/requests/storage") {
                "" => "<default>",
                v => v,
            };
            w.kv(1, "Capacity", cap);
            w.kv(
                1,
                "Access Modes",
                super::storage::modes_list(c, "/spec/accessModes"),
            );
        }
    }
    w.finish()
}

pub fn daemon_set(ds: &Value, related: &Related) -> Vec<String> {
    let mut w = Writer::new();
    head(&mut w, ds);
    w.kv(0, "Selector", label_selector(ds.pointer("/spec/selector")));
    let node_sel = format_labels(obj(ds, "/spec/template/spec/nodeSelector"));
    w.kv(0, "Node-Selector", node_sel);
    meta(&mut w, ds);
    for (key, field) in [
        (
            "Desired Number of Nodes Scheduled",
            "desiredNumberScheduled",
        ),
        (
            "Current Number of Nodes Scheduled",
            "currentNumberScheduled",
        ),
        (
            "Number of Nodes Scheduled with Up-to-date Pods",
            "updatedNumberScheduled",
        ),
        (
            "Number of Nodes Scheduled with Available Pods",
            "numberAvailable",
        ),
        ("Number of Nodes Misscheduled", "numberMisscheduled"),
    ] {
        // kubectl writes these without a tab: they are not aligned.
        w.line(
            0,
            &format!("{key}: {}", int(ds, &format!("/status/{field}"))),
        );
    }
    pods_status(&mut w, ds, related);
    template(&mut w, ds.pointer("/spec/template"));
    w.finish()
}

pub fn job(j: &Value) -> Vec<String> {
    let mut w = Writer::new();
    head(&mut w, j);
    w.kv(0, "Selector", label_selector(j.pointer("/spec/selector")));
    meta(&mut w, j);
    if let Some(c) = controller(j) {
        w.kv(0, "Controlled By", c);
    }
    let opt = |p: &str| j.pointer(p).map(scalar);
    if let Some(p) = opt("/spec/parallelism") {
        w.kv(0, "Parallelism", p);
    }
    w.kv(
        0,
        "Completions",
        opt("/spec/completions").unwrap_or("<unset>".into()),
    );
    for (key, ptr) in [
        ("Completion Mode", "/spec/completionMode"),
        ("Suspend", "/spec/suspend"),
        ("Backoff Limit", "/spec/backoffLimit"),
        (
            "TTL Seconds After Finished",
            "/spec/ttlSecondsAfterFinished",
        ),
    ] {
        if let Some(v) = opt(ptr) {
            w.kv(0, key, v);
        }
    }
    let (start, done) = (s(j, "/status/startTime"), s(j, "/status/completionTime"));
    if !start.is_empty() {
        w.kv(0, "Start Time", time(start));
    }
    if !done.is_empty() {
        w.kv(0, "Completed At", time(done));
    }
    if let (Some(a), Some(b)) = (
        crate::human::parse_time(start),
        crate::human::parse_time(done),
    ) {
        w.kv(0, "Duration", crate::human::age(b - a));
    }
    if let Some(v) = opt("/spec/activeDeadlineSeconds") {
        w.kv(0, "Active Deadline Seconds", format!("{v}s"));
    }
    let (active, ok, failed) = (
        int(j, "/status/active"),
        int(j, "/status/succeeded"),
        int(j, "/status/failed"),
    );
    let statuses = match j.pointer("/status/ready").and_then(Value::as_i64) {
        Some(r) => format!("{active} Active ({r} Ready) / {ok} Succeeded / {failed} Failed"),
        None => format!("{active} Active / {ok} Succeeded / {failed} Failed"),
    };
    w.kv(0, "Pods Statuses", statuses);
    if s(j, "/spec/completionMode") == "Indexed" {
        let idx = s(j, "/status/completedIndexes");
        w.kv(0, "Completed Indexes", super::table::or_none(idx));
    }
    template(&mut w, j.pointer("/spec/template"));
    w.finish()
}

pub fn cron_job(c: &Value) -> Vec<String> {
    let mut w = Writer::new();
    head(&mut w, c);
    meta(&mut w, c);
    let opt = |p: &str| c.pointer(p).map(scalar).unwrap_or("<unset>".into());
    w.kv(0, "Schedule", s(c, "/spec/schedule"));
    w.kv(0, "Concurrency Policy", s(c, "/spec/concurrencyPolicy"));
    let suspend = match c.pointer("/spec/suspend").and_then(Value::as_bool) {
        Some(b) => super::table::bool_word(b).to_string(),
        None => "<unset>".into(),
    };
    w.kv(0, "Suspend", suspend);
    w.kv(0, "Time Zone", opt("/spec/timeZone"));
    w.kv(
        0,
        "Successful Job History Limit",
        opt("/spec/successfulJobsHistoryLimit"),
    );
    w.kv(
        0,
        "Failed Job History Limit",
        opt("/spec/failedJobsHistoryLimit"),
    );
    let deadline = c
        .pointer("/spec/startingDeadlineSeconds")
        .map(|v| format!("{}s", scalar(v)));
    w.kv(
        0,
        "Starting Deadline Seconds",
        deadline.unwrap_or("<unset>".into()),
    );
    let spec = c.pointer("/spec/jobTemplate/spec").unwrap_or(&Value::Null);
    let selector = match spec.get("selector") {
        Some(sel) => label_selector(Some(sel)),
        None => "<unset>".into(),
    };
    w.kv(0, "Selector", selector);
    let opt = |p: &str| spec.pointer(p).map(scalar).unwrap_or("<unset>".into());
    w.kv(0, "Parallelism", opt("/parallelism"));
    w.kv(0, "Completions", opt("/completions"));
    if let Some(v) = spec.get("activeDeadlineSeconds") {
        w.kv(0, "Active Deadline Seconds", format!("{}s", scalar(v)));
    }
    template(&mut w, spec.get("template"));
    let last = match s(c, "/status/lastScheduleTime") {
        "" => "<unset>".to_string(),
        t => time(t),
    };
    w.kv(0, "Last Schedule Time", last);
    let active: Vec<&str> = arr(c, "/status/active")
        .iter()
        .map(|j| s(j, "/name"))
        .collect();
    let active = if active.is_empty() {
        "<none>".to_string()
    } else {
        active.join(", ")
    };
    w.kv(0, "Active Jobs", active);
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flat(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn rs(name: &str, image: &str, revision: &str, replicas: i64) -> Value {
        json!({"metadata":{"name":name,"annotations":{"deployment.kubernetes.io/revision":revision},
            "ownerReferences":[{"kind":"Deployment","name":"web","uid":"d1","controller":true}]},
            "spec":{"replicas":replicas,"template":{"metadata":{"labels":{"app":"web","pod-template-hash":"h"}},
                "spec":{"containers":[{"name":"web","image":image}]}}},
            "status":{"replicas":replicas}})
    }

    #[test]
    fn deployment_replicas_strategy_and_replica_sets() {
        let d = json!({"kind":"Deployment","metadata":{"name":"web","namespace":"shop","uid":"d1",
                "annotations":{"deployment.kubernetes.io/revision":"3"}},
            "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
                "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}},
                "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}},
            "status":{"replicas":2,"updatedReplicas":2,"availableReplicas":1,"unavailableReplicas":1,
                "conditions":[{"type":"Available","status":"False","reason":"MinimumReplicasUnavailable"}]}});
        let mut related = Related::default();
        related.set(
            Slot::ReplicaSets,
            Ok(json!({"items":[
            rs("web-1", "nginx:1.25", "1", 0), rs("web-3", "nginx:1.27", "3", 2),
            {"metadata":{"name":"stranger"},"spec":{"replicas":1}}]})),
        );
        let lines = deployment(&d, &related);
        let text = lines.join("\n");
        let has = |s: &str| assert!(text.contains(s), "{s:?} in\n{text}");
        has(
            "Replicas:               2 desired | 2 updated | 2 total | 1 available | 1 unavailable",
        );
        has("RollingUpdateStrategy:  25% max unavailable, 25% max surge");
        has("OldReplicaSets:  web-1 (0/0 replicas created)");
        has("NewReplicaSet:   web-3 (2/2 replicas created)");
        assert!(!text.contains("stranger"), "{text}");
        assert!(
            lines
                .iter()
                .any(|l| l.split_whitespace().collect::<Vec<_>>()
                    == ["Available", "False", "MinimumReplicasUnavailable"]),
            "{text}"
        );
        let p = lines.iter().position(|l| l == "Pod Template:");
        let c = lines.iter().position(|l| l == "Conditions:");
        assert!(p < c && p.is_some(), "{text}");
    }

    #[test]
    fn jobs_cronjobs_and_pod_counts() {
        let j = json!({"kind":"Job","metadata":{"name":"report-fail","namespace":"batch"},
            "spec":{"completions":1,"parallelism":1,"backoffLimit":2,
                "selector":{"matchLabels":{"batch.kubernetes.io/controller-uid":"u"}}},
            "status":{"failed":3,"ready":0,"startTime":"2026-01-01T00:00:00Z",
                "conditions":[{"type":"Failed","status":"True","reason":"BackoffLimitExceeded"}]}});
        let text = job(&j).join("\n");
        assert!(
            text.contains("Pods Statuses:  0 Active (0 Ready) / 0 Succeeded / 3 Failed"),
            "{text}"
        );
        assert!(
            text.contains("Backoff Limit:  2") && text.contains("Completions:    1"),
            "{text}"
        );
        let c = json!({"kind":"CronJob","metadata":{"name":"cleanup"},
            "spec":{"schedule":"*/5 * * * *","suspend":true,"concurrencyPolicy":"Forbid"},
            "status":{"active":[{"name":"cleanup-1"}]}});
        let text = flat(&cron_job(&c).join("\n"));
        assert!(text.contains("Suspend: True"), "{text}");
        assert!(text.contains("Last Schedule Time: <unset>"), "{text}");
        assert!(text.contains("Active Jobs: cleanup-1"), "{text}");
        let ss = json!({"kind":"StatefulSet","metadata":{"name":"postgres","uid":"s1"},"spec":{"replicas":2}});
        let mut related = Related::default();
        let pod = |phase: &str, uid: &str| json!({"metadata":{"ownerReferences":[{"uid":uid,"controller":true}]},"status":{"phase":phase}});
        related.set(
            Slot::Pods,
            Ok(json!({"items":[pod("Running","s1"), pod("Pending","s1"), pod("Running","other")]})),
        );
        let text = stateful_set(&ss, &related).join("\n");
        assert!(
            text.contains("1 Running / 1 Waiting / 0 Succeeded / 0 Failed"),
            "{text}"
        );
        assert!(
            text.contains("Replicas:           2 desired | 0 total"),
            "{text}"
        );
    }
}
