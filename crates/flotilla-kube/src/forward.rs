//! Port-forwards that live in the background: a local listener whose every connection gets its
//! own `pods/portforward` stream to a pod (kube's WebSocket forwarder carries one port per
//! stream, so connections cannot share one).
//!
//! A forward to a Service or workload follows its selector: each new connection picks a ready
//! pod, preferring the one already in use, so the forward outlives the pods behind it. While
//! connections are open, their pods are checked every few seconds; a connection whose pod is
//! going away is closed (the fake kubelet of a test cluster does not close it by itself).

use crate::cluster::request::{short_error, timed};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use crate::model::{ForwardEvent as Event, ForwardTarget as Target};

fn namespace_of(target: &Target) -> &str {
    match target {
        Target::Pod { namespace, .. } | Target::Selector { namespace, .. } => namespace,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    pub id: u64,
    pub target: Target,
    /// The port on the pod (mapped from a Service port by the caller, see
    /// [`resolve_service_port`]).
    pub remote_port: u16,
    /// Where to listen, as the caller decided (127.0.0.1 by default); port 0 picks a free one.
    pub local: SocketAddr,
}

/// How often the pods of open connections are checked.
const LIVENESS_EVERY: Duration = Duration::from_secs(2);
const BYTES_EVERY: Duration = Duration::from_secs(1);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

type Emit = Arc<dyn Fn(u64, Event) + Send + Sync>;

/// Binds the listener first (a bind error arrives as `Event::Stopped("127.0.0.1:8080: address
/// in use")` and the task ends), then forwards every accepted connection to a ready pod.
/// Aborting the handle stops everything: the listener and every connection are dropped with
/// the task, so once the aborted handle has been awaited the port is free again.
pub fn spawn(
    client: kube::Client,
    spec: Spec,
    events: impl Fn(u64, Event) + Send + Sync + 'static,
) -> tokio::task::JoinHandle<()> {
    let emit: Emit = Arc::new(events);
    tokio::spawn(async move {
        let id = spec.id;
        let listener = match TcpListener::bind(spec.local).await {
            Ok(l) => l,
            Err(e) => {
                emit(
                    id,
                    Event::Stopped(format!("{}: {}", spec.local, io_reason(&e))),
                );
                return;
            }
        };
        let local = listener.local_addr().unwrap_or(spec.local);
        emit(id, Event::Listening(local));
        let shared = Arc::new(Shared {
            client,
            target: spec.target,
            remote_port: spec.remote_port,
            emit,
            id,
            current: Mutex::new(None),
            open: Mutex::new(HashMap::new()),
            serial: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
        });
        // Owned by this task: aborting it drops the set, which aborts every connection.
        let mut tasks = JoinSet::new();
        tasks.spawn(watch_pods(shared.clone()));
        let mut bytes_tick = tokio::time::interval(BYTES_EVERY);
        bytes_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut reported = (0, 0);
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((sock, _)) => {
                        tasks.spawn(connection(shared.clone(), sock));
                    }
                    Err(e) => {
                        // Out of file descriptors, most likely: say so, and do not spin.
                        shared.error(format!("accept on {local}: {}", io_reason(&e)));
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                },
                _ = bytes_tick.tick() => {
                    let now = shared.bytes();
                    if now != reported {
                        reported = now;
                        (shared.emit)(id, Event::Bytes { sent: now.0, received: now.1 });
                    }
                }
                // Reaps finished connections so the set does not grow.
                Some(_) = tasks.join_next() => {}
            }
        }
    })
}

/// What the connections of one forward share.
struct Shared {
    client: kube::Client,
    target: Target,
    remote_port: u16,
    emit: Emit,
    id: u64,
    /// The pod new connections prefer (the last one used).
    current: Mutex<Option<String>>,
    /// Pods with open connections: how many, and the signal that closes them.
    open: Mutex<HashMap<String, OpenPod>>,
    serial: AtomicU64,
    sent: AtomicU64,
    received: AtomicU64,
}

struct OpenPod {
    /// Tells this entry from a later one for the same pod name, so that a connection closed by
    /// `gone` does not count itself off its successor.
    serial: u64,
    connections: usize,
    gone: watch::Sender<bool>,
}

impl Shared {
    fn error(&self, message: String) {
        (self.emit)(self.id, Event::Error(message));
    }

    fn bytes(&self) -> (u64, u64) {
        (
            self.sent.load(Ordering::Relaxed),
            self.received.load(Ordering::Relaxed),
        )
    }

    fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), namespace_of(&self.target))
    }

    /// Remembers `pod` as the one in use; announces it when it changed.
    fn use_pod(&self, pod: &str) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.as_deref() != Some(pod) {
            *current = Some(pod.to_string());
            drop(current);
            (self.emit)(self.id, Event::Pod(pod.to_string()));
        }
    }

    /// Registers a connection to `pod`; the receiver turns true when the pod goes away.
    fn open(&self, pod: &str) -> (u64, watch::Receiver<bool>) {
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = open.entry(pod.to_string()).or_insert_with(|| OpenPod {
            serial,
            connections: 0,
            gone: watch::channel(false).0,
        });
        entry.connections += 1;
        (entry.serial, entry.gone.subscribe())
    }

    fn close(&self, pod: &str, serial: u64) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = open.get_mut(pod).filter(|e| e.serial == serial) {
            entry.connections = entry.connections.saturating_sub(1);
            if entry.connections == 0 {
                open.remove(pod);
            }
        }
    }

    /// Closes the connections to `pod` and stops preferring it.
    fn gone(&self, pod: &str) {
        if let Some(entry) = self
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(pod)
        {
            entry.gone.send_replace(true);
        }
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.as_deref() == Some(pod) {
            *current = None;
        }
    }

    /// A pod for a new connection: the named one, or a ready pod matching the selector.
    async fn resolve(&self) -> Result<String, String> {
        let selector = match &self.target {
            Target::Pod { name, .. } => return Ok(name.clone()),
            Target::Selector { selector, .. } => selector,
        };
        let list = timed(self.pods().list(&ListParams::default().labels(selector)))
            .await
            .map_err(|e| format!("pods for {}: {}", crate::text::clean(selector), e.message))?;
        let ready: Vec<&str> = list
            .items
            .iter()
            .filter(|p| is_ready(p))
            .filter_map(|p| p.metadata.name.as_deref())
            .collect();
        let current = self
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let pick = current
            .as_deref()
            .filter(|c| ready.contains(c))
            .or_else(|| ready.first().copied());
        pick.map(str::to_string)
            .ok_or_else(|| format!("no ready pod for {}", crate::text::clean(selector)))
    }
}

/// Running, Ready=True and not being deleted.
fn is_ready(p: &Pod) -> bool {
    let Some(status) = &p.status else {
        return false;
    };
    p.metadata.deletion_timestamp.is_none()
        && status.phase.as_deref() == Some("Running")
        && status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// Still there to forward to: not deleted, not being deleted, not finished.
fn is_alive(p: &Pod) -> bool {
    p.metadata.deletion_timestamp.is_none()
        && !matches!(
            p.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded" | "Failed")
        )
}

/// Checks the pods of open connections; closes the connections of those going away.
async fn watch_pods(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(LIVENESS_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let in_use: Vec<String> = shared
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect();
        for pod in in_use {
            // Only a definite answer closes connections: an unreachable apiserver does not
            // mean the pod is gone.
            match timed(shared.pods().get_opt(&pod)).await {
                Ok(Some(p)) if is_alive(&p) => {}
                Ok(_) => {
                    shared.error(format!(
                        "pod {} went away; its connections were closed",
                        crate::text::clean(&pod)
                    ));
                    shared.gone(&pod);
                }
                Err(_) => {}
            }
        }
    }
}

/// Aborts kube's forwarding task with the connection: dropping a Portforwarder leaves it running.
struct Forwarder(kube::api::Portforwarder);

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One accepted connection: pick a pod, open a stream to it, copy both ways.
async fn connection(shared: Arc<Shared>, sock: TcpStream) {
    let pod = match shared.resolve().await {
        Ok(p) => p,
        Err(e) => return shared.error(e),
    };
    let port = shared.remote_port;
    let shown = format!("{}:{port}", crate::text::clean(&pod));
    let pods = shared.pods();
    let opened = tokio::time::timeout(CONNECT_TIMEOUT, pods.portforward(&pod, &[port])).await;
    let mut pf = match opened {
        Ok(Ok(pf)) => Forwarder(pf),
        Ok(Err(e)) => {
            if matches!(&e, kube::Error::Api(s) if s.code == 404) {
                shared.gone(&pod);
            }
            return shared.error(format!("{shown}: {}", short_error(&e)));
        }
        Err(_) => {
            return shared.error(format!(
                "{shown}: no answer within {}s",
                CONNECT_TIMEOUT.as_secs()
            ));
        }
    };
    let (Some(stream), Some(failed)) = (pf.0.take_stream(port), pf.0.take_error(port)) else {
        return shared.error(format!("{shown}: no stream for the port"));
    };
    shared.use_pod(&pod);
    let (serial, mut gone) = shared.open(&pod);
    let (local_r, local_w) = sock.into_split();
    let (pod_r, pod_w) = tokio::io::split(stream);
    let to_pod = pump(local_r, pod_w, &shared.sent);
    let from_pod = pump(pod_r, local_w, &shared.received);
    tokio::pin!(to_pod, from_pod, failed);
    let mut to_pod_done = false;
    let mut failed_done = false;
    loop {
        tokio::select! {
            // The client finished sending: its EOF went on to the pod; wait for the answer.
            r = &mut to_pod, if !to_pod_done => match r {
                Ok(()) => to_pod_done = true,
                Err(_) => break,
            },
            // The pod side ended (or the client stopped reading): the connection is over.
            _ = &mut from_pod => break,
            msg = &mut failed, if !failed_done => match msg {
                Some(m) => {
                    shared.error(format!("{shown}: {}", crate::text::clean(m.trim())));
                    break;
                }
                // No error: the stream just ended; the copies see that themselves.
                None => failed_done = true,
            },
            // True, or the entry is gone altogether: either way the pod is.
            _ = gone.wait_for(|g| *g) => break,
        }
    }
    shared.close(&pod, serial);
}

/// Copies until EOF, counting bytes, then passes the EOF on.
async fn pump(
    mut r: impl AsyncRead + Unpin,
    mut w: impl AsyncWrite + Unpin,
    count: &AtomicU64,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = r.read(&mut buf).await?;
        if n == 0 {
            return w.shutdown().await;
        }
        w.write_all(&buf[..n]).await?;
        count.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// "address in use" rather than "Address already in use (os error 98)".
fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::AddrInUse => "address in use".into(),
        K::AddrNotAvailable => "address not available on this machine".into(),
        K::PermissionDenied => "permission denied".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

/// For a Service: the pod port behind `service_port` (its targetPort number, or a named
/// targetPort looked up in the pod's container ports; no targetPort means the same number),
/// given the Service and one of its pods as JSON.
pub fn resolve_service_port(service: &Value, pod: &Value, service_port: u16) -> Option<u16> {
    let port = service
        .pointer("/spec/ports")?
        .as_array()?
        .iter()
        .find(|p| p.get("port").and_then(Value::as_u64) == Some(u64::from(service_port)))?;
    let number = |v: u64| u16::try_from(v).ok().filter(|&p| p != 0);
    match port.get("targetPort") {
        None | Some(Value::Null) => Some(service_port),
        Some(Value::Number(n)) => number(n.as_u64()?),
        Some(Value::String(s)) => {
            // Named ports always contain a letter; a quoted number is still a number.
            if let Ok(n) = s.parse::<u64>() {
                return number(n);
            }
            pod.pointer("/spec/containers")?
                .as_array()?
                .iter()
                .filter_map(|c| c.get("ports")?.as_array())
                .flatten()
                .find(|p| p.get("name").and_then(Value::as_str) == Some(s.as_str()))
                .and_then(|p| p.get("containerPort")?.as_u64())
                .and_then(number)
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service() -> Value {
        json!({"kind": "Service", "spec": {"ports": [
            {"name": "http", "port": 80, "targetPort": "web"},
            {"name": "metrics", "port": 9090, "targetPort": 9100},
            {"name": "same", "port": 8443},
            {"name": "quoted", "port": 81, "targetPort": "8081"},
            {"name": "missing", "port": 82, "targetPort": "nope"}
        ]}})
    }

    fn pod() -> Value {
        json!({"spec": {"containers": [
            {"name": "sidecar"},
            {"name": "app", "ports": [{"name": "web", "containerPort": 8080}]}
        ]}})
    }

    #[test]
    fn service_ports_map_to_pod_ports() {
        assert_eq!(resolve_service_port(&service(), &pod(), 80), Some(8080));
        assert_eq!(resolve_service_port(&service(), &pod(), 9090), Some(9100));
        assert_eq!(resolve_service_port(&service(), &pod(), 8443), Some(8443));
        assert_eq!(resolve_service_port(&service(), &pod(), 81), Some(8081));
        assert_eq!(resolve_service_port(&service(), &pod(), 82), None);
        assert_eq!(resolve_service_port(&service(), &pod(), 1234), None);
        assert_eq!(resolve_service_port(&json!({}), &pod(), 80), None);
    }

    #[test]
    fn only_running_ready_pods_are_picked() {
        let p = |v: Value| -> Pod { serde_json::from_value(v).expect("pod") };
        let ready = json!({"metadata": {"name": "a"}, "status": {"phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}]}});
        assert!(is_ready(&p(ready.clone())));
        let mut deleting = ready.clone();
        deleting["metadata"]["deletionTimestamp"] = json!("2025-01-01T00:00:00Z");
        assert!(!is_ready(&p(deleting.clone())));
        assert!(!is_alive(&p(deleting)));
        let mut unready = ready.clone();
        unready["status"]["conditions"][0]["status"] = json!("False");
        assert!(!is_ready(&p(unready.clone())));
        assert!(is_alive(&p(unready)));
        let mut pending = ready;
        pending["status"]["phase"] = json!("Pending");
        assert!(!is_ready(&p(pending)));
    }

    #[test]
    fn bind_errors_read_like_a_person_wrote_them() {
        let e = std::io::Error::from(std::io::ErrorKind::AddrInUse);
        assert_eq!(io_reason(&e), "address in use");
        let e = std::io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(io_reason(&e), "No such file or directory");
    }
}
