//! Carries out one batch on the clusters: per target, the object is read again and checked
//! to be the one the user picked (uid), the calls are planned from it, the audit **intent**
//! (what will be sent, Secret values keyed-hashed) is written and synced, the calls are sent
//! (each with its own precondition), and the **outcome** record, naming the intent, is
//! written before the result is reported. An intent that cannot be written blocks the change.
//! Targets run concurrently, so a slow cluster does not hold up the others.

use super::audit::{AuditLog, Key, Record};
use super::call::{self, Call};
use super::record::{append, intend, record_of};
use super::{drain, helm, plan};
use crate::kinds::document::diff_view;
use crate::model::ApiError;
use crate::model::ObjectRef;
use crate::protocol::Msg;
use crate::protocol::op::{Decision, Op, Outcome, Target};
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;

/// What every target of a batch shares.
pub struct Batch {
    pub ticket: u64,
    pub id: String,
    pub op: Op,
    pub dry_run: bool,
    pub audit: Result<Arc<AuditLog>, String>,
    pub tx: UnboundedSender<Msg>,
}

/// One target with what it is sent with.
pub struct Job {
    pub index: usize,
    pub target: Target,
    /// The cluster's own client, or why there is none.
    pub client: Result<kube::Client, String>,
    pub server: String,
}

pub async fn run(batch: Batch, jobs: Vec<Job>) {
    let batch = Arc::new(batch);
    let tasks = jobs.into_iter().map(|job| {
        let batch = batch.clone();
        async move {
            let index = job.index;
            // Each target of a create has its own object.
            let op = match &batch.op {
                Op::Create { objects } => Op::Create {
                    objects: objects.get(index).cloned().into_iter().collect(),
                },
                op => op.clone(),
            };
            let result = one(&batch, &op, job).await;
            let _ = batch.tx.send(Msg::Mutated {
                ticket: batch.ticket,
                index,
                result,
            });
        }
    });
    if matches!(batch.op, Op::Create { .. }) {
        // In order: a namespace exists before what is created in it.
        for t in tasks {
            t.await;
        }
    } else {
        futures::future::join_all(tasks).await;
    }
}

/// What the server did, before it is audited.
struct Done {
    result: &'static str,
    error: Option<String>,
    rv_before: Option<String>,
    rv_after: Option<String>,
    change: Option<Value>,
    summary: String,
    object: Option<Value>,
}

impl Done {
    fn failed(error: String, rv_before: Option<String>) -> Done {
        Done {
            result: "failed",
            error: Some(error),
            rv_before,
            rv_after: None,
            change: None,
            summary: String::new(),
            object: None,
        }
    }
}

async fn one(batch: &Batch, op: &Op, job: Job) -> Result<Outcome, String> {
    let log = match (&batch.audit, op) {
        (Ok(log), _) => log.clone(),
        (Err(e), Op::Session { .. }) => return Err(e.clone()),
        (Err(e), _) => return Err(format!("not changed: {e}")),
    };
    let record = record_of(&batch.id, op, &job.target, &job.server);
    let obj = &job.target.obj;
    // What sends nothing is one record.
    let client = match (&job.target.decision, &job.client) {
        (Decision::Refused(why), _) => {
            let done = Done {
                result: "refused",
                ..Done::failed(why.clone(), None)
            };
            return finish(batch, &log, record, None, done).await;
        }
        (Decision::Denied(why), _) => {
            let done = Done {
                result: "denied",
                ..Done::failed(why.clone(), None)
            };
            return finish(batch, &log, record, None, done).await;
        }
        (Decision::Go, Err(why)) => {
            let done = Done::failed(why.clone(), None);
            return finish(batch, &log, record, None, done).await;
        }
        (Decision::Go, Ok(client)) => client,
    };
    match op {
        // Every object of a restore is audited on its own, as it is sent, under one intent.
        Op::Restore { plan, archive } => {
            return restore(batch, &log, &job, client, plan, archive).await;
        }
        // The session opens once its intent is written; its outcome is written when it ends.
        Op::Session { detail, .. } => {
            let intent = intend(&log, record, json!({ "session": detail })).await?;
            return Ok(Outcome {
                summary: "started".into(),
                rv_before: None,
                rv_after: None,
                object: None,
                intent: Some(intent),
            });
        }
        _ => {}
    }
    let prepared = match prepare(op, obj, client).await {
        Ok(p) => p,
        Err(done) => return finish(batch, &log, record, None, done).await,
    };
    // A dry run changes nothing: it needs no intent.
    let intent = if batch.dry_run {
        None
    } else {
        let planned = Record {
            rv_before: prepared.rv_before.clone(),
            ..record.clone()
        };
        let intent = intend(&log, planned, prepared.intent(op)).await;
        Some(intent.map_err(|e| format!("not changed: {e}"))?)
    };
    let done = match op {
        Op::Drain(opts) => drain_node(batch, obj, client, opts, prepared.rv_before).await,
        Op::Helm { op, .. } => helm_release(batch, obj, client, *op, prepared.rv_before).await,
        op => send(batch, op, client, prepared, &log.key()).await,
    };
    finish(batch, &log, record, intent, done).await
}

/// Writes the outcome (naming its intent, if one was written) and reports it.
async fn finish(
    batch: &Batch,
    log: &Arc<AuditLog>,
    record: Record,
    intent: Option<String>,
    done: Done,
) -> Result<Outcome, String> {
    let kind = record.target.kind.clone();
    let key = log.key();
    let record = Record {
        time: jiff::Timestamp::now().to_string(),
        rv_before: done.rv_before.clone(),
        rv_after: done.rv_after.clone(),
        change: mark_dry_run(done.change, batch.dry_run).map(|c| key.redact(&kind, c)),
        result: done.result.into(),
        error: done.error.clone(),
        intent: intent.clone(),
        ..record
    };
    if let Err(e) = append(log, record).await {
        tracing::error!("audit log {}: {e}", log.path().display());
        let what = match (done.result, &intent) {
            ("ok", Some(_)) => {
                "changed, but its outcome could not be recorded (the log reads \"outcome unknown\")"
            }
            (_, Some(_)) => {
                "failed, and its outcome could not be recorded (the log reads \"outcome unknown\")"
            }
            _ => "the audit record could not be written",
        };
        return Err(format!("{what}: {e}"));
    }
    match done.error {
        Some(e) => Err(e),
        None => Ok(Outcome {
            summary: done.summary,
            rv_before: done.rv_before,
            rv_after: done.rv_after,
            object: done.object,
            intent,
        }),
    }
}

/// Restores an archive's plan into the target's cluster; the outcome sums it up, and names
/// every object that failed.
async fn restore(
    batch: &Batch,
    log: &Arc<AuditLog>,
    job: &Job,
    client: &kube::Client,
    plan: &crate::backup::restore::Plan,
    archive: &str,
) -> Result<Outcome, String> {
    if batch.dry_run {
        return Err("a restore's plan is its dry run".into());
    }
    let audit = crate::backup::restore::Audit {
        log: log.clone(),
        batch: batch.id.clone(),
        context: job.target.obj.context.clone(),
        server: job.server.clone(),
        identity: job.target.identity.clone(),
        archive: archive.to_string(),
    };
    let applied = crate::backup::restore::apply(client, plan, &audit).await?;
    let failed: Vec<String> = applied
        .iter()
        .filter_map(|a| a.result.as_ref().err().map(|e| format!("{}: {e}", a.title)))
        .collect();
    let changed = applied
        .iter()
        .filter(|a| matches!(a.result, Ok("created" | "updated")))
        .count();
    let summary = format!("{changed} objects restored, {} failed", failed.len());
    if failed.is_empty() {
        Ok(Outcome {
            summary,
            rv_before: None,
            rv_after: None,
            object: None,
            intent: None,
        })
    } else {
        Err(format!("{summary} — {}", failed.join("; ")))
    }
}

/// A failed dry run is a failed record too; this says nothing was meant to change.
fn mark_dry_run(change: Option<Value>, dry_run: bool) -> Option<Value> {
    if !dry_run {
        return change;
    }
    let mut c = change.unwrap_or_else(|| json!({}));
    if let Some(m) = c.as_object_mut() {
        m.insert("dry_run".into(), Value::Bool(true));
    }
    Some(c)
}

fn rv(v: &Value) -> Option<String> {
    v.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .map(str::to_string)
}

const REPLACED: &str = "no longer exists (another object of that name took its place)";

/// The server's refusal in the user's words. The target is named by whoever shows this.
fn failure(e: &ApiError) -> String {
    let m = &e.message;
    match e.code {
        404 => "no longer exists".into(),
        409 if m.contains("Precondition failed: UID") => REPLACED.into(),
        422 if m.contains("metadata.uid") && m.contains("immutable") => REPLACED.into(),
        // A JSON patch `test` that failed: the server says no more than this.
        422 if m.contains("the server rejected our request due to an error in our request") => {
            "it changed meanwhile (a precondition of the patch did not hold); nothing was applied"
                .into()
        }
        _ => m.clone(),
    }
}

/// The object as it is now and the calls planned from it; nothing sent yet.
struct Prepared {
    current: Value,
    rv_before: Option<String>,
    calls: Vec<Call>,
}

impl Prepared {
    /// What the intent record says will be sent.
    fn intent(&self, op: &Op) -> Value {
        let mut intent = json!({ "op": plan::describe(op) });
        if let Op::Drain(opts) = op {
            intent["options"] = json!({
                "grace": opts.grace,
                "timeout_secs": opts.timeout_secs,
                "delete_emptydir_data": opts.delete_emptydir_data,
                "force": opts.force,
            });
        }
        if !self.calls.is_empty() {
            intent["calls"] = calls_of(&self.calls);
        }
        intent
    }
}

/// Reads the object as it is now — the plan is computed from it, and it must still be the
/// one the user picked — and plans the calls (a drain and a Helm op plan their own).
async fn prepare(op: &Op, obj: &ObjectRef, client: &kube::Client) -> Result<Prepared, Done> {
    let current = if matches!(op, Op::Create { .. }) {
        Value::Null
    } else {
        match crate::cluster::fetch::get(client, &obj.path()).await {
            Ok(v) => v,
            Err(e) => return Err(Done::failed(failure(&e), None)),
        }
    };
    let rv_before = rv(&current);
    if !current.is_null()
        && current.pointer("/metadata/uid").and_then(Value::as_str) != Some(&obj.uid)
    {
        return Err(Done::failed(REPLACED.into(), rv_before));
    }
    let calls = match op {
        Op::Drain(_) | Op::Helm { .. } => Vec::new(),
        op => {
            let now = jiff::Timestamp::now().to_string();
            match plan::plan(op, obj, &current, &now, &crate::ops::build::random_suffix()) {
                Ok(c) => c,
                Err(e) => return Err(Done::failed(e, rv_before)),
            }
        }
    };
    Ok(Prepared {
        current,
        rv_before,
        calls,
    })
}

async fn send(batch: &Batch, op: &Op, client: &kube::Client, p: Prepared, key: &Key) -> Done {
    let mut last = Value::Null;
    for c in &p.calls {
        match call::send(client, c, batch.dry_run).await {
            Ok(v) => last = v,
            Err(e) => return Done::failed(failure(&e), p.rv_before),
        }
    }
    let change = change_of(op, &p.calls, &p.current, &last, key);
    let summary = summary(op, &last, batch.dry_run);
    Done {
        result: if batch.dry_run { "dry-run" } else { "ok" },
        error: None,
        rv_after: if batch.dry_run { None } else { rv(&last) },
        rv_before: p.rv_before,
        change: Some(change),
        summary,
        object: Some(last),
    }
}

async fn drain_node(
    batch: &Batch,
    obj: &ObjectRef,
    client: &kube::Client,
    opts: &crate::protocol::op::DrainOpts,
    rv_before: Option<String>,
) -> Done {
    if batch.dry_run {
        return Done::failed("a drain cannot be a dry run".into(), rv_before);
    }
    let (tx, ticket) = (batch.tx.clone(), batch.ticket);
    let progress = move |line: String| {
        let _ = tx.send(Msg::Progress { ticket, line });
    };
    match drain::drain(client, &obj.name, &obj.uid, opts, &progress).await {
        Ok(report) => {
            let change = json!({
                "evicted": report.evicted,
                "skipped": report.skipped,
                "failed": report.failed,
            });
            let summary = report.summary();
            if report.failed.is_empty() {
                Done {
                    result: "ok",
                    error: None,
                    rv_before,
                    rv_after: None,
                    change: Some(change),
                    summary,
                    object: None,
                }
            } else {
                let why: Vec<String> = report
                    .failed
                    .iter()
                    .map(|(pod, why)| format!("{pod}: {why}"))
                    .collect();
                Done {
                    change: Some(change),
                    ..Done::failed(format!("{summary} — {}", why.join("; ")), rv_before)
                }
            }
        }
        Err(e) => Done::failed(failure(&e), rv_before),
    }
}

/// A rollback or uninstall of the release whose newest record is `obj`. A plan that would
/// fail is still a plan: its lines say where, and `refused` why.
async fn helm_release(
    batch: &Batch,
    obj: &ObjectRef,
    client: &kube::Client,
    op: crate::protocol::op::HelmOp,
    rv_before: Option<String>,
) -> Done {
    let report = helm::run(client, obj, op, batch.dry_run).await;
    let change = json!({ "summary": report.summary, "steps": report.lines });
    match report.error {
        Some(e) if !batch.dry_run => Done {
            change: Some(change),
            ..Done::failed(e, rv_before)
        },
        refused => Done {
            result: if batch.dry_run { "dry-run" } else { "ok" },
            error: None,
            rv_before,
            rv_after: None,
            summary: match &refused {
                Some(e) => format!("would fail: {e}"),
                None => report.summary,
            },
            object: Some(json!({ "plan": report.lines, "refused": refused })),
            change: Some(change),
        },
    }
}

/// What the audit record keeps of the change: the patch, the delete options, the created
/// object — or, for a whole-object write, the lines that changed.
fn change_of(op: &Op, calls: &[Call], current: &Value, after: &Value, key: &Key) -> Value {
    if let Op::Apply { .. } = op {
        let kind = current.get("kind").and_then(Value::as_str).unwrap_or("");
        let before = super::yaml_of(&key.redact(kind, diff_view(current)));
        let after = super::yaml_of(&key.redact(kind, diff_view(after)));
        return json!({ "diff": super::changed_lines(&before, &after) });
    }
    json!({ "calls": calls_of(calls) })
}

/// The calls as a record keeps them: paths, patches, delete options and created objects; a
/// whole-object write by its path only.
fn calls_of(calls: &[Call]) -> Value {
    calls
        .iter()
        .map(|c| match c {
            Call::Patch { path, patch } => {
                json!({"patch": path, "type": patch.kind.content_type(), "body": patch.body})
            }
            Call::Delete { path, options } => json!({"delete": path, "options": options}),
            Call::Create { path, body } => json!({"create": path, "body": body}),
            Call::Replace { path, .. } => json!({"replace": path}),
            Call::Apply { path, force, .. } => json!({"apply": path, "force": force}),
        })
        .collect()
}

fn summary(op: &Op, after: &Value, dry_run: bool) -> String {
    // Said as a check, not as a result: "applied (dry run: …)" read as if it had been applied.
    if dry_run {
        return format!("dry run of {} passed; nothing changed yet", plan::verb(op));
    }
    match op {
        Op::Scale { replicas } => format!("scaled to {replicas}"),
        Op::Stop => "stopped (0 replicas)".into(),
        Op::Start => format!(
            "started ({} replicas)",
            after
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(0)
        ),
        Op::Delete { .. } => "deleted".into(),
        Op::Trigger => format!(
            "job {} created",
            after
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("?")
        ),
        Op::Apply { .. } => "applied".into(),
        Op::Create { .. } => "created".into(),
        other => format!("{} done", plan::verb(other)),
    }
}
