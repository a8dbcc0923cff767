//! Writing the audit log from the async change path: the **intent** before anything is sent
//! (synced; when it cannot be written nothing is sent), the **outcome** after, naming it. Every
//! path that changes a cluster — a batch, a restore, a session — writes through these.

use super::audit::{self, AuditLog, Record};
use super::plan;
use crate::protocol::op::{Op, Target};
use serde_json::{Value, json};
use std::sync::Arc;

/// A new batch id: the time and a random part, unique enough to tie records together.
pub fn batch_id() -> String {
    format!(
        "{}-{:08x}",
        jiff::Timestamp::now().as_second(),
        fastrand::u32(..)
    )
}

/// A record of `job` with who, where, what and when; the caller says what came of it.
pub fn record_of(batch_id: &str, op: &Op, job_target: &Target, server: &str) -> Record {
    let obj = &job_target.obj;
    Record {
        time: jiff::Timestamp::now().to_string(),
        user: audit::os_user(),
        host: audit::host_name(),
        identity: job_target.identity.clone(),
        context: obj.context.clone(),
        server: server.to_string(),
        action: plan::verb(op).to_string(),
        batch: batch_id.to_string(),
        target: audit::Target {
            group: obj.res.group.clone(),
            version: obj.version.clone(),
            kind: obj.kind.clone(),
            namespace: obj.namespace.clone(),
            name: obj.name.clone(),
            uid: obj.uid.clone(),
        },
        ..Record::default()
    }
}

/// Appends off the async threads (the write is synced).
pub async fn append(log: &Arc<AuditLog>, record: Record) -> std::io::Result<Record> {
    let log = log.clone();
    tokio::task::spawn_blocking(move || log.append(record))
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))
        .and_then(|r| r)
}

/// Writes the intent record before anything is sent: its hash, or why nothing may be sent
/// ("the audit log … cannot be written: …").
pub async fn intend(log: &Arc<AuditLog>, record: Record, change: Value) -> Result<String, String> {
    let kind = record.target.kind.clone();
    let record = Record {
        time: jiff::Timestamp::now().to_string(),
        result: audit::INTENT.into(),
        change: Some(log.key().redact(&kind, change)),
        ..record
    };
    match append(log, record).await {
        Ok(stored) => Ok(stored.hash),
        Err(e) => {
            tracing::error!("audit log {}: {e}", log.path().display());
            Err(format!(
                "the audit log {} cannot be written: {e}",
                log.path().display()
            ))
        }
    }
}

/// How a session (shell, attach, exec, port-forward) ended: the outcome of the intent written
/// before it opened.
pub async fn session_ended(
    log: Result<Arc<AuditLog>, String>,
    record: Record,
    intent: String,
    result: Result<String, String>,
) {
    let log = match log {
        Ok(log) => log,
        Err(e) => return tracing::error!("session outcome not recorded: {e}"),
    };
    let (result, summary, error) = match result {
        Ok(summary) => ("ok", summary, None),
        Err(e) => ("failed", String::new(), Some(e)),
    };
    let record = Record {
        time: jiff::Timestamp::now().to_string(),
        change: Some(json!({ "session": summary })),
        result: result.into(),
        error,
        intent: Some(intent),
        ..record
    };
    if let Err(e) = append(&log, record).await {
        tracing::error!("audit log {}: session outcome: {e}", log.path().display());
    }
}
