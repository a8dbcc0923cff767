//! Draining a node the way `kubectl drain` does: cordon it, then evict its pods through the
//! Eviction API so PodDisruptionBudgets get their say, and wait until each evicted pod is gone.
//! Unlike a batch of plain requests it runs for a while (budgets hold evictions back until the
//! timeout), so it reports progress line by line and ends with what was and was not evicted.

use super::call::{Call, send};
use crate::cluster::fetch::{get, list_all};
use crate::cluster::request::timed;
use crate::model::ApiError;
use crate::protocol::op::{DrainOpts, Patch, PatchKind};
use crate::text::one_line;
use futures::StreamExt;
use kube::Client;
use kube::core::Status;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::Instant;

/// Evictions in flight at once: enough that a node of 100 pods does not take 100 waits, few
/// enough not to flood the apiserver with eviction retries and polls.
const CONCURRENCY: usize = 32;
/// kubectl waits 5 s between evictions a budget refused; a little less keeps short timeouts
/// useful.
const RETRY_EVERY: Duration = Duration::from_secs(3);
const POLL_EVERY: Duration = Duration::from_secs(1);
/// Pods listed per request, so a huge node does not come back as one enormous answer.
const PAGE: usize = 500;

/// What happens to one pod on the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Evict,
    /// Left alone: DaemonSet-managed, mirror pod, already terminated (Succeeded/Failed).
    Skip(String),
    /// Stops the whole drain: unmanaged without force, emptyDir without delete_emptydir_data.
    Refuse(String),
}

/// Pure: decides from the pod alone, as kubectl's filters do (except that a DaemonSet pod whose
/// DaemonSet is gone is still skipped: finding that out needs the server).
pub fn classify(pod: &Value, opts: &DrainOpts) -> Verdict {
    let controller = pod
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .and_then(|refs| {
            refs.iter()
                .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        });
    let field = |v: Option<&Value>, key: &str| {
        v.and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    // The DaemonSet controller would put it straight back (it tolerates the cordon).
    if field(controller, "kind").as_deref() == Some("DaemonSet")
        && field(controller, "apiVersion").as_deref() == Some("apps/v1")
    {
        return Verdict::Skip("DaemonSet".into());
    }
    // The kubelet owns mirror pods; the API object only reflects a static pod.
    if pod
        .pointer("/metadata/annotations/kubernetes.io~1config.mirror")
        .is_some()
    {
        return Verdict::Skip("mirror pod".into());
    }
    if let Some(phase @ ("Succeeded" | "Failed")) =
        pod.pointer("/status/phase").and_then(Value::as_str)
    {
        return Verdict::Skip(format!("already {phase}"));
    }
    let mut refused = Vec::new();
    let empty_dir = pod
        .pointer("/spec/volumes")
        .and_then(Value::as_array)
        .is_some_and(|vs| vs.iter().any(|v| v.get("emptyDir").is_some()));
    if empty_dir && !opts.delete_emptydir_data {
        refused.push("uses emptyDir: its data would be lost (allow deleting emptyDir data)");
    }
    if controller.is_none() && !opts.force {
        refused.push("no controller would recreate it (force evicts it)");
    }
    if refused.is_empty() {
        Verdict::Evict
    } else {
        // Both at once, so one retry with the right options is enough.
        Verdict::Refuse(refused.join("; "))
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DrainReport {
    /// `namespace/name` of each pod evicted and gone.
    pub evicted: Vec<String>,
    /// `namespace/name`, why it was left alone.
    pub skipped: Vec<(String, String)>,
    /// `namespace/name`, why it is still there: the budget that held it back and its message,
    /// the refusal, a timeout, an API error.
    pub failed: Vec<(String, String)>,
}

impl DrainReport {
    /// One line: "3 evicted, 2 skipped (DaemonSet), 1 not evicted".
    pub fn summary(&self) -> String {
        let mut parts = vec![format!("{} evicted", self.evicted.len())];
        if !self.skipped.is_empty() {
            let mut why: Vec<(&str, usize)> = Vec::new();
            for (_, reason) in &self.skipped {
                match why.iter_mut().find(|(r, _)| r == reason) {
                    Some((_, n)) => *n += 1,
                    None => why.push((reason, 1)),
                }
            }
            let why = match why.as_slice() {
                [(reason, _)] => reason.to_string(),
                _ => why
                    .iter()
                    .map(|(r, n)| format!("{n} {r}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            parts.push(format!("{} skipped ({why})", self.skipped.len()));
        }
        if !self.failed.is_empty() {
            parts.push(format!("{} not evicted", self.failed.len()));
        }
        parts.join(", ")
    }
}

/// Cordons the node (with a precondition on `node_uid`, so a node re-created under the same name
/// is left alone), then evicts its pods concurrently, retrying those a PodDisruptionBudget
/// holds back until `opts.timeout_secs` (0: no limit, as in kubectl) and waiting for each to be
/// gone. If any pod is refused nothing is evicted, as kubectl does, but the node stays
/// cordoned. `Err` only when the node cannot be cordoned or its pods cannot be listed.
pub async fn drain(
    client: &Client,
    node: &str,
    node_uid: &str,
    opts: &DrainOpts,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<DrainReport, ApiError> {
    cordon(client, node, node_uid).await?;
    progress(format!("{node} cordoned"));
    let pods = pods_on(client, node).await?;
    let mut report = DrainReport::default();
    let mut to_evict = Vec::new();
    let mut refused = Vec::new();
    for pod in pods {
        let Some(target) = Target::of(&pod) else {
            continue;
        };
        match classify(&pod, opts) {
            Verdict::Evict => to_evict.push(target),
            Verdict::Skip(why) => {
                progress(format!("{}: skipped ({why})", target.key));
                report.skipped.push((target.key, why));
            }
            Verdict::Refuse(why) => {
                progress(format!("{}: refused: {why}", target.key));
                refused.push((target.key, why));
            }
        }
    }
    if !refused.is_empty() {
        let held = format!(
            "not attempted: {} pod(s) refused, so nothing was evicted",
            refused.len()
        );
        progress(format!(
            "nothing evicted: {} pod(s) refused; {node} stays cordoned",
            refused.len()
        ));
        report.failed = refused;
        report
            .failed
            .extend(to_evict.into_iter().map(|t| (t.key, held.clone())));
        return Ok(report);
    }
    let deadline =
        (opts.timeout_secs > 0).then(|| Instant::now() + Duration::from_secs(opts.timeout_secs));
    let outcomes: Vec<(String, Result<(), String>)> = futures::stream::iter(to_evict)
        .map(|t| async move {
            let outcome = evict(client, &t, opts, deadline, progress).await;
            match &outcome {
                Ok(()) => progress(format!("{} evicted", t.key)),
                Err(why) => progress(format!("{}: not evicted: {why}", t.key)),
            }
            (t.key, outcome)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for (key, outcome) in outcomes {
        match outcome {
            Ok(()) => report.evicted.push(key),
            Err(why) => report.failed.push((key, why)),
        }
    }
    // Completion order is arbitrary; a sorted report reads (and compares) better.
    report.evicted.sort();
    report.failed.sort();
    Ok(report)
}

async fn cordon(client: &Client, node: &str, uid: &str) -> Result<(), ApiError> {
    let call = Call::Patch {
        path: format!("/api/v1/nodes/{node}"),
        patch: Patch {
            kind: PatchKind::Merge,
            body: json!({"metadata": {"uid": uid}, "spec": {"unschedulable": true}}),
        },
    };
    send(client, &call, false).await.map(|_| ()).map_err(|e| {
        // The uid precondition fails as an immutable-field error; say what it means.
        if e.code == 422 && e.message.contains("metadata.uid") {
            ApiError {
                code: 409,
                message: format!("node {node} was replaced by another of the same name"),
            }
        } else {
            e
        }
    })
}

/// Every pod bound to the node, in all namespaces.
async fn pods_on(client: &Client, node: &str) -> Result<Vec<Value>, ApiError> {
    list_all(
        client,
        &format!("/api/v1/pods?fieldSelector=spec.nodeName%3D{node}"),
        PAGE,
    )
    .await
}

/// One pod to evict, as it was when listed.
struct Target {
    key: String,
    namespace: String,
    name: String,
    uid: String,
    terminating: bool,
}

impl Target {
    fn of(pod: &Value) -> Option<Target> {
        let s = |p: &str| pod.pointer(p).and_then(Value::as_str).map(str::to_string);
        let (namespace, name) = (s("/metadata/namespace")?, s("/metadata/name")?);
        Some(Target {
            key: format!("{namespace}/{name}"),
            uid: s("/metadata/uid").unwrap_or_default(),
            terminating: pod.pointer("/metadata/deletionTimestamp").is_some(),
            namespace,
            name,
        })
    }

    fn path(&self) -> String {
        format!("/api/v1/namespaces/{}/pods/{}", self.namespace, self.name)
    }
}

fn past(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}

/// Sleeps `d`, or until the deadline if that comes first.
async fn pause(d: Duration, deadline: Option<Instant>) {
    let until = Instant::now() + d;
    tokio::time::sleep_until(deadline.map_or(until, |dl| dl.min(until))).await;
}

fn waited(opts: &DrainOpts) -> String {
    format!("gave up after {}s", opts.timeout_secs)
}

/// Evicts one pod and waits until it is gone; `Err` says why it is still there.
async fn evict(
    client: &Client,
    t: &Target,
    opts: &DrainOpts,
    deadline: Option<Instant>,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<(), String> {
    let mut delete_options = json!({"preconditions": {"uid": t.uid}});
    if let Some(g) = opts.grace {
        delete_options["gracePeriodSeconds"] = json!(g);
    }
    let body = json!({
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": t.name, "namespace": t.namespace},
        "deleteOptions": delete_options,
    });
    progress(format!("evicting {}", t.key));
    // Said once per reason, not on every retry: a budget may hold a pod back for minutes.
    let mut last_said = String::new();
    loop {
        let why = match post_eviction(client, &t.path(), &body).await {
            Ok(Ok(())) => break,
            Ok(Err(status)) if status.code == 404 => return Ok(()),
            Ok(Err(status)) if status.code == 429 => blocked_by(&status),
            // Our uid precondition: the pod we listed is gone and one of the same name
            // (a StatefulSet's) took its place; that one is not ours to evict.
            Ok(Err(status)) if status.code == 409 => match still_there(client, t).await {
                Ok(false) => return Ok(()),
                _ => status.message.clone(),
            },
            // A pod of a namespace being deleted cannot be evicted; it goes with the
            // namespace, so one already terminating only needs waiting for.
            Ok(Err(status)) if has_cause(&status, "NamespaceTerminating") => {
                if t.terminating {
                    break;
                }
                status.message.clone()
            }
            Ok(Err(status)) => return Err(format!("{} ({})", status.message, status.code)),
            // No answer (network, timeout): worth another try while time is left.
            Err(e) => e.message,
        };
        if past(deadline) {
            return Err(format!("{why}; {}", waited(opts)));
        }
        if why != last_said {
            progress(format!("{}: {why}, retrying", t.key));
            last_said = why;
        }
        pause(RETRY_EVERY, deadline).await;
    }
    wait_gone(client, t, opts, deadline).await
}

/// `Ok(Err)` for an answer from the server that refused, with its details (the budget).
async fn post_eviction(
    client: &Client,
    path: &str,
    body: &Value,
) -> Result<Result<(), Box<Status>>, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(|e| ApiError {
        code: 0,
        message: e.to_string(),
    })?;
    let req = http::Request::post(format!("{path}/eviction"))
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(bytes)
        .map_err(|e| ApiError {
            code: 0,
            message: e.to_string(),
        })?;
    timed(async {
        match client.request::<Value>(req).await {
            Ok(_) => Ok(Ok(())),
            Err(kube::Error::Api(status)) => Ok(Err(cleaned(status))),
            Err(e) => Err(e),
        }
    })
    .await
}

/// The refusal with its messages made one sanitized line each: they become progress lines,
/// the report and the audit record, and an admission webhook can put anything in them.
fn cleaned(mut status: Box<Status>) -> Box<Status> {
    status.message = one_line(&status.message);
    if let Some(details) = status.details.as_mut() {
        for cause in &mut details.causes {
            cause.message = one_line(&cause.message);
        }
    }
    status
}

fn has_cause(status: &Status, reason: &str) -> bool {
    status
        .details
        .as_ref()
        .is_some_and(|d| d.causes.iter().any(|c| c.reason == reason))
}

/// "blocked by PodDisruptionBudget <name>: <its message>" from a 429; the budget's name is only
/// in the cause's message ("The disruption budget web needs 2 healthy pods …").
fn blocked_by(status: &Status) -> String {
    let cause = status
        .details
        .as_ref()
        .and_then(|d| d.causes.iter().find(|c| c.reason == "DisruptionBudget"));
    let Some(cause) = cause else {
        // Priority and fairness also answer 429: the server is busy, not a budget.
        return format!("{} ({})", status.message, status.code);
    };
    match cause
        .message
        .strip_prefix("The disruption budget ")
        .and_then(|rest| rest.split_whitespace().next())
    {
        Some(name) => format!("blocked by PodDisruptionBudget {name}: {}", cause.message),
        None => format!("blocked by a PodDisruptionBudget: {}", cause.message),
    }
}

/// Whether the pod we listed (same uid) still exists.
async fn still_there(client: &Client, t: &Target) -> Result<bool, ApiError> {
    match get(client, &t.path()).await {
        Ok(pod) => Ok(pod.pointer("/metadata/uid").and_then(Value::as_str) == Some(&t.uid)),
        Err(e) if e.code == 404 => Ok(false),
        Err(e) => Err(e),
    }
}

async fn wait_gone(
    client: &Client,
    t: &Target,
    opts: &DrainOpts,
    deadline: Option<Instant>,
) -> Result<(), String> {
    loop {
        let last = match still_there(client, t).await {
            Ok(false) => return Ok(()),
            Ok(true) => "evicted, still terminating".to_string(),
            // A failed poll says nothing about the pod; keep asking while time is left.
            Err(e) => format!("evicted, then: {e}"),
        };
        if past(deadline) {
            return Err(format!("{last}; {}", waited(opts)));
        }
        pause(POLL_EVERY, deadline).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::response::{StatusCause, StatusDetails};

    fn pod(extra: Value) -> Value {
        let mut p = json!({
            "metadata": {
                "name": "web-1", "namespace": "shop", "uid": "u1",
                "ownerReferences": [{
                    "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d", "controller": true
                }]
            },
            "spec": {"nodeName": "n1", "containers": [{"name": "web"}]},
            "status": {"phase": "Running"}
        });
        merge(&mut p, extra);
        p
    }

    fn merge(a: &mut Value, b: Value) {
        match (a, b) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, v) in b {
                    merge(a.entry(k).or_insert(Value::Null), v);
                }
            }
            (a, b) => *a = b,
        }
    }

    fn opts(force: bool, emptydir: bool) -> DrainOpts {
        DrainOpts {
            force,
            delete_emptydir_data: emptydir,
            ..DrainOpts::default()
        }
    }

    #[test]
    fn replicated_pods_are_evicted() {
        assert_eq!(
            classify(&pod(json!({})), &opts(false, false)),
            Verdict::Evict
        );
    }

    #[test]
    fn daemonset_and_mirror_and_finished_pods_are_skipped() {
        let ds = pod(json!({"metadata": {"ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "controller": true}
        ]}}));
        assert_eq!(
            classify(&ds, &opts(true, true)),
            Verdict::Skip("DaemonSet".into())
        );
        let mirror = pod(json!({"metadata": {
            "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "n1", "controller": true}],
            "annotations": {"kubernetes.io/config.mirror": "abc"}
        }}));
        assert_eq!(
            classify(&mirror, &opts(false, false)),
            Verdict::Skip("mirror pod".into())
        );
        // Finished: nothing is lost by leaving it, even unmanaged and with emptyDir.
        let done = pod(json!({
            "metadata": {"ownerReferences": []},
            "spec": {"volumes": [{"name": "tmp", "emptyDir": {}}]},
            "status": {"phase": "Succeeded"}
        }));
        assert_eq!(
            classify(&done, &opts(false, false)),
            Verdict::Skip("already Succeeded".into())
        );
    }

    #[test]
    fn an_owner_that_is_not_the_controller_does_not_manage_the_pod() {
        let p = pod(json!({"metadata": {"ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent"}
        ]}}));
        assert!(matches!(
            classify(&p, &opts(false, false)),
            Verdict::Refuse(_)
        ));
        assert_eq!(classify(&p, &opts(true, false)), Verdict::Evict);
    }

    #[test]
    fn unmanaged_and_emptydir_pods_are_refused_unless_allowed() {
        let bare = pod(json!({"metadata": {"ownerReferences": null}}));
        let Verdict::Refuse(why) = classify(&bare, &opts(false, true)) else {
            panic!("bare pod not refused");
        };
        assert!(why.contains("no controller"), "{why}");
        assert_eq!(classify(&bare, &opts(true, false)), Verdict::Evict);

        let scratch = pod(json!({"spec": {"volumes": [
            {"name": "cfg", "configMap": {"name": "c"}}, {"name": "tmp", "emptyDir": {}}
        ]}}));
        let Verdict::Refuse(why) = classify(&scratch, &opts(true, false)) else {
            panic!("emptyDir pod not refused");
        };
        assert!(why.contains("emptyDir"), "{why}");
        assert_eq!(classify(&scratch, &opts(false, true)), Verdict::Evict);

        // Both reasons at once, so the user learns every option needed in one go.
        let both = pod(json!({
            "metadata": {"ownerReferences": []},
            "spec": {"volumes": [{"name": "tmp", "emptyDir": {}}]}
        }));
        let Verdict::Refuse(why) = classify(&both, &opts(false, false)) else {
            panic!("not refused");
        };
        assert!(
            why.contains("emptyDir") && why.contains("no controller"),
            "{why}"
        );
    }

    #[test]
    fn summary_counts_and_groups_skip_reasons() {
        let r = DrainReport {
            evicted: vec!["a/1".into(), "a/2".into(), "a/3".into()],
            skipped: vec![
                ("m/x".into(), "DaemonSet".into()),
                ("m/y".into(), "DaemonSet".into()),
            ],
            failed: vec![("a/4".into(), "blocked".into())],
        };
        assert_eq!(
            r.summary(),
            "3 evicted, 2 skipped (DaemonSet), 1 not evicted"
        );
        let mixed = DrainReport {
            skipped: vec![
                ("m/x".into(), "DaemonSet".into()),
                ("k/y".into(), "mirror pod".into()),
                ("m/z".into(), "DaemonSet".into()),
            ],
            ..DrainReport::default()
        };
        assert_eq!(
            mixed.summary(),
            "0 evicted, 3 skipped (2 DaemonSet, 1 mirror pod)"
        );
    }

    fn status(code: u16, causes: Vec<StatusCause>) -> Status {
        Status::failure(
            "Cannot evict pod as it would violate the pod's disruption budget.",
            "TooManyRequests",
        )
        .with_code(code)
        .with_details(StatusDetails {
            name: String::new(),
            group: String::new(),
            kind: String::new(),
            uid: String::new(),
            causes,
            retry_after_seconds: 0,
        })
    }

    #[test]
    fn a_budget_refusal_names_the_budget() {
        let s = status(
            429,
            vec![StatusCause {
                reason: "DisruptionBudget".into(),
                message: "The disruption budget api-pdb needs 2 healthy pods and has 2 currently"
                    .into(),
                field: String::new(),
            }],
        );
        assert_eq!(
            blocked_by(&s),
            "blocked by PodDisruptionBudget api-pdb: The disruption budget api-pdb needs 2 \
             healthy pods and has 2 currently"
        );
        let busy = status(429, vec![]);
        assert!(!blocked_by(&busy).contains("PodDisruptionBudget"));
    }

    #[test]
    fn a_refusal_from_a_webhook_cannot_drive_the_terminal() {
        let mut s = status(
            403,
            vec![StatusCause {
                reason: "DisruptionBudget".into(),
                message: "The disruption budget \u{1b}]0;owned\u{7}web needs\n2".into(),
                field: String::new(),
            }],
        );
        s.message = "admission webhook denied: \u{1b}[?1049l\u{202E}gone\u{9b}2J".into();
        let s = cleaned(Box::new(s));
        assert_eq!(s.message, "admission webhook denied: gone2J");
        assert_eq!(
            s.details.unwrap().causes[0].message,
            "The disruption budget web needs 2"
        );
    }

    #[test]
    fn the_drain_future_can_be_spawned() {
        fn is_send<T: Send>(_: &T) {}
        let _check = |c: &Client, o: &DrainOpts, p: &(dyn Fn(String) + Send + Sync)| {
            is_send(&drain(c, "n", "u", o, p));
        };
    }
}
