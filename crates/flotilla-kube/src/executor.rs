//! Carries out the app's network effects on tokio: a task per connection, a task per watch,
//! one-off fetches, and the work on remote input too heavy for the UI thread (decoding Helm
//! records, checking archives) on blocking threads. Every task only sends messages back;
//! effects that need the terminal (clipboard, editor, quit) are handed back to the runner.

use crate::cluster::{Clients, access, connection, exec, fetch, imported, logs, pedia, watch};
use crate::model::ApiError;
use crate::model::{ClusterId, ForwardEvent, ImportCheck, ImportSource, Imported};
use crate::ops::audit::AuditLog;
use crate::ops::{record, run};
use crate::protocol::{Effect, Msg};
use kube::config::Kubeconfig;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

pub struct Executor {
    /// The contexts it can connect to; imports add theirs while flotilla runs.
    kubeconfig: Arc<std::sync::Mutex<Kubeconfig>>,
    tx: UnboundedSender<Msg>,
    /// What logs, shells, fetches and changes go to: each cluster's own client.
    clients: Clients,
    /// Clusters known through a Clusterpedia index: their index client (lists, discovery)
    /// and how often they are re-listed.
    indexed: Clients,
    relist: HashMap<ClusterId, std::time::Duration>,
    hubs: pedia::Hubs,
    sources: HashMap<String, JoinHandle<()>>,
    connections: HashMap<ClusterId, JoinHandle<()>>,
    watches: HashMap<(ClusterId, u64), JoinHandle<()>>,
    /// Log streams and port-forwards by ticket / id, with their connection.
    streams: HashMap<u64, (ClusterId, JoinHandle<()>)>,
    forwards: HashMap<u64, (ClusterId, JoinHandle<()>)>,
    /// Where mutations are audited; opened at the first one.
    audit_path: std::path::PathBuf,
    audit: Option<Result<Arc<AuditLog>, String>>,
    /// Webhook posts; started at the first notification.
    notify: crate::notify::Sender,
    /// Turns at decoding Helm records: one at a time, so their memory does not add up.
    decoding: Arc<tokio::sync::Semaphore>,
}

/// Output an `:exec` keeps per container.
const EXEC_LIMIT: usize = 256 * 1024;
const EXEC_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

impl Executor {
    pub fn new(kubeconfig: Kubeconfig, tx: UnboundedSender<Msg>) -> Self {
        Executor {
            kubeconfig: Arc::new(std::sync::Mutex::new(kubeconfig)),
            tx,
            clients: Clients::default(),
            indexed: Clients::default(),
            relist: HashMap::new(),
            hubs: pedia::Hubs::default(),
            sources: HashMap::new(),
            connections: HashMap::new(),
            watches: HashMap::new(),
            streams: HashMap::new(),
            forwards: HashMap::new(),
            audit_path: crate::ops::audit::default_path(),
            audit: None,
            notify: crate::notify::Sender::default(),
            decoding: Arc::new(tokio::sync::Semaphore::new(1)),
        }
    }

    /// Audits mutations to `path` instead of the default.
    pub fn with_audit_log(mut self, path: std::path::PathBuf) -> Self {
        self.audit_path = path;
        self.audit = None;
        self
    }

    fn audit_log(&mut self) -> Result<Arc<AuditLog>, String> {
        let path = &self.audit_path;
        self.audit
            .get_or_insert_with(|| {
                AuditLog::open(path.clone())
                    .map(Arc::new)
                    .map_err(|e| format!("the audit log {} cannot be opened: {e}", path.display()))
            })
            .clone()
    }

    /// The API server URL of a context, for audit records.
    fn server_of(&self, context: &str) -> String {
        crate::cluster::kubeconfig::server_of(&self.kubeconfig(), context)
    }

    /// Sends a message to the app, as a task would.
    pub fn send(&self, msg: Msg) {
        let _ = self.tx.send(msg);
    }

    /// The kubeconfig as it is now (imports included).
    fn kubeconfig(&self) -> Kubeconfig {
        self.kubeconfig
            .lock()
            .map(|k| k.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    /// The client of a connected cluster, or why there is none (a cluster known only through
    /// an index).
    pub fn client(&self, cluster: ClusterId) -> Result<kube::Client, String> {
        self.clients.client(cluster)
    }

    /// The client of a connected cluster, as an `ApiError` when there is none.
    fn client_or_error(&self, cluster: ClusterId) -> Result<kube::Client, ApiError> {
        self.clients
            .client(cluster)
            .map_err(|message| ApiError { code: 0, message })
    }

    /// Carries out a network effect; returns the effect when it is the runner's to carry out.
    pub fn run(&mut self, effect: Effect) -> Option<Effect> {
        match effect {
            Effect::Connect { cluster, context } => {
                let task = connection::spawn(
                    cluster,
                    context,
                    self.kubeconfig(),
                    self.clients.clone(),
                    self.tx.clone(),
                );
                self.connections.insert(cluster, task);
            }
            Effect::ConnectIndexed {
                cluster,
                member,
                hub,
                every,
            } => {
                let task = pedia::Member {
                    id: cluster,
                    name: member,
                    hub,
                    kubeconfig: self.kubeconfig(),
                    hubs: self.hubs.clone(),
                    reads: self.indexed.clone(),
                    direct: self.clients.clone(),
                    tx: self.tx.clone(),
                }
                .spawn();
                self.relist.insert(cluster, every);
                self.connections.insert(cluster, task);
            }
            Effect::WatchSource { hub } => {
                if !self.sources.contains_key(&hub) {
                    let task = pedia::spawn_source(
                        hub.clone(),
                        self.kubeconfig(),
                        self.hubs.clone(),
                        self.tx.clone(),
                    );
                    self.sources.insert(hub, task);
                }
            }
            Effect::Search { ticket, hub, path } => {
                let (kubeconfig, hubs, tx) =
                    (self.kubeconfig(), self.hubs.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let result = match hubs.hub(&hub, kubeconfig).await {
                        Ok(h) => h.get(&path).await,
                        Err(message) => Err(ApiError { code: 0, message }),
                    }
                    .map(|object| crate::model::Fetched {
                        object,
                        events: Vec::new(),
                    });
                    let _ = tx.send(Msg::Fetched { ticket, result });
                });
            }
            Effect::Disconnect { cluster } => {
                if let Some(t) = self.connections.remove(&cluster) {
                    t.abort();
                }
                self.watches.retain(|(c, _), t| {
                    if *c == cluster {
                        t.abort();
                    }
                    *c != cluster
                });
                for tasks in [&mut self.streams, &mut self.forwards] {
                    tasks.retain(|_, (c, t)| {
                        if *c == cluster {
                            t.abort();
                        }
                        *c != cluster
                    });
                }
                self.clients.remove(cluster);
                self.indexed.remove(cluster);
                self.relist.remove(&cluster);
            }
            Effect::Watch {
                cluster,
                generation,
                res,
                fallback_namespace,
            } => {
                // The app asks only for connected clusters, whose client is registered; one
                // known through an index is listed there.
                let Some(client) = self.indexed.get(cluster).or(self.clients.get(cluster)) else {
                    tracing::warn!("watch of {} asked for {cluster} without a client", res.key);
                    return None;
                };
                let task = watch::WatchTask {
                    client,
                    cluster,
                    generation,
                    res,
                    fallback_namespace,
                    tx: self.tx.clone(),
                    liveness: watch::LIVENESS,
                    every: self.relist.get(&cluster).copied(),
                }
                .spawn();
                self.watches.insert((cluster, generation), task);
            }
            Effect::StopWatch {
                cluster,
                generation,
            } => {
                if let Some(t) = self.watches.remove(&(cluster, generation)) {
                    t.abort();
                }
            }
            Effect::Fetch {
                ticket,
                cluster,
                path,
                events,
            } => {
                // A member known only through an index is read from the index.
                let client = self
                    .client_or_error(cluster)
                    .or_else(|e| self.indexed.get(cluster).ok_or(e));
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let result = match client {
                        Ok(c) => fetch::fetch(&c, &path, events.as_deref()).await,
                        Err(e) => Err(e),
                    };
                    let _ = tx.send(Msg::Fetched { ticket, result });
                });
            }
            Effect::Logs {
                ticket,
                cluster,
                spec,
            } => {
                let tx = self.tx.clone();
                let client = match self.clients.client(cluster) {
                    Ok(c) => c,
                    Err(why) => {
                        let ev = crate::model::LogEvent::Ended(why);
                        let _ = tx.send(Msg::Log { ticket, ev });
                        return None;
                    }
                };
                let task = tokio::spawn(logs::stream(client, spec, move |ev| {
                    tx.send(Msg::Log { ticket, ev }).is_ok()
                }));
                self.streams.insert(ticket, (cluster, task));
            }
            Effect::StopLogs { ticket } => {
                if let Some((_, t)) = self.streams.remove(&ticket) {
                    t.abort();
                }
            }
            Effect::Exec {
                ticket,
                cluster,
                target,
                argv,
            } => {
                let client = self.client_or_error(cluster);
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let result = match client {
                        Ok(c) => exec::run(&c, &target, &argv, EXEC_LIMIT, EXEC_TIMEOUT).await,
                        Err(e) => Err(e),
                    };
                    let _ = tx.send(Msg::Exec { ticket, result });
                });
            }
            Effect::Forward {
                id,
                cluster,
                target,
                remote_port,
                local,
            } => {
                let tx = self.tx.clone();
                let client = match self.clients.client(cluster) {
                    Ok(c) => c,
                    Err(why) => {
                        let ev = ForwardEvent::Stopped(why);
                        let _ = tx.send(Msg::Forward { id, ev });
                        return None;
                    }
                };
                let spec = crate::forward::Spec {
                    id,
                    target,
                    remote_port,
                    local,
                };
                let task = crate::forward::spawn(client, spec, move |id, ev| {
                    let _ = tx.send(Msg::Forward { id, ev });
                });
                self.forwards.insert(id, (cluster, task));
            }
            Effect::StopForward { id } => {
                if let Some((_, t)) = self.forwards.remove(&id) {
                    t.abort();
                }
            }
            Effect::Save { ticket, path, text } => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let result = crate::files::write_private(&path, &text)
                        .map(|()| {
                            format!("saved {} lines to {}", text.lines().count(), path.display())
                        })
                        .map_err(|e| format!("could not save to {}: {e}", path.display()));
                    let _ = tx.send(Msg::Done { ticket, result });
                });
            }
            Effect::Review {
                ticket,
                cluster,
                namespace,
            } => {
                let client = self.client_or_error(cluster);
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let result = match client {
                        Ok(c) => access::rules(&c, &namespace).await,
                        Err(e) => Err(e),
                    }
                    .map(|object| crate::model::Fetched {
                        object,
                        events: Vec::new(),
                    });
                    let _ = tx.send(Msg::Fetched { ticket, result });
                });
            }
            Effect::Backup {
                ticket,
                cluster,
                context,
                job,
            } => {
                let client = self.clients.client(cluster);
                let server = self.server_of(&context);
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let result = match client {
                        Ok(c) => crate::backup::job::run(&c, &context, &server, job).await,
                        Err(e) => Err(e),
                    };
                    let _ = tx.send(Msg::BackedUp { ticket, result });
                });
            }
            Effect::Inspect {
                ticket,
                cluster,
                context,
                opts,
            } => {
                let client = self.clients.client(cluster);
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let result = match client {
                        Ok(c) => {
                            let now = jiff::Timestamp::now().as_second();
                            crate::cluster::survey::inspect(&c, &context, now, &opts)
                                .await
                                .map(Box::new)
                        }
                        Err(e) => Err(e),
                    };
                    let _ = tx.send(Msg::Inspected { ticket, result });
                });
            }
            Effect::ReadReleases {
                ticket,
                cluster,
                path,
                driver,
            } => {
                let client = self.client_or_error(cluster);
                let decoding = self.decoding.clone();
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let answer = match client {
                        Ok(c) => fetch::get(&c, &path).await,
                        Err(e) => Err(e),
                    };
                    let result = match answer {
                        Ok(answer) => {
                            // One decode at a time: each may hold a budget's worth of memory.
                            let _turn = decoding.acquire().await;
                            tokio::task::spawn_blocking(move || {
                                crate::helm::record::read(answer, driver)
                            })
                            .await
                            .map_err(|e| ApiError {
                                code: 0,
                                message: format!("decoding stopped: {e}"),
                            })
                        }
                        Err(e) => Err(e),
                    };
                    let _ = tx.send(Msg::ReleasesRead { ticket, result });
                });
            }
            Effect::CheckArchive {
                ticket,
                path,
                cancel,
            } => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let result = crate::backup::archive::check(&path, &cancel).map(Box::new);
                    let _ = tx.send(Msg::ArchiveChecked { ticket, result });
                });
            }
            Effect::Access { cluster, checks } => {
                let client = self.clients.get(cluster);
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let Some(client) = client else { return };
                    let answers = access::review(&client, checks).await;
                    let _ = tx.send(Msg::Access { cluster, answers });
                });
            }
            Effect::Mutate {
                ticket,
                op,
                dry_run,
                targets,
            } => {
                let jobs = targets
                    .into_iter()
                    .enumerate()
                    .map(|(index, target)| run::Job {
                        index,
                        client: self.clients.client(target.obj.cluster),
                        server: self.server_of(&target.obj.context),
                        target,
                    })
                    .collect();
                let batch = run::Batch {
                    ticket,
                    id: record::batch_id(),
                    op,
                    dry_run,
                    audit: self.audit_log(),
                    tx: self.tx.clone(),
                };
                tokio::spawn(run::run(batch, jobs));
            }
            Effect::SessionEnded {
                target,
                op,
                intent,
                result,
            } => {
                let server = self.server_of(&target.obj.context);
                let record = record::record_of(&record::batch_id(), &op, &target, &server);
                tokio::spawn(record::session_ended(
                    self.audit_log(),
                    record,
                    intent,
                    result,
                ));
            }
            Effect::ReadAudit => {
                let (path, tx) = (self.audit_path.clone(), self.tx.clone());
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(Msg::AuditState(crate::ops::audit::state(&path)));
                });
            }
            Effect::AcknowledgeAudit(intents) => {
                let log = self.audit_log();
                tokio::spawn(async move {
                    let Ok(log) = log else { return };
                    for intent in intents {
                        let record = crate::ops::audit::Record {
                            time: jiff::Timestamp::now().to_string(),
                            user: crate::ops::audit::os_user(),
                            host: crate::ops::audit::host_name(),
                            action: "acknowledge".into(),
                            result: crate::ops::audit::ACKNOWLEDGED.into(),
                            intent: Some(intent),
                            ..Default::default()
                        };
                        if let Err(e) = record::append(&log, record).await {
                            tracing::warn!("audit log: acknowledgement not recorded: {e}");
                            return;
                        }
                    }
                });
            }
            Effect::Notify(message) => self.notify.send(message),
            Effect::CheckImport {
                ticket,
                source,
                renames,
                known,
            } => {
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let result = check_import(source, &renames, &known).await;
                    let _ = tx.send(Msg::ImportChecked { ticket, result });
                });
            }
            Effect::Import {
                ticket,
                source,
                renames,
                keep,
            } => {
                let (tx, shared) = (self.tx.clone(), self.kubeconfig.clone());
                let log = self.audit_log();
                tokio::spawn(async move {
                    let result = import(log, source, &renames, &keep, &shared).await;
                    let _ = tx.send(Msg::Imported { ticket, result });
                });
            }
            Effect::ForgetContext { ticket, name } => {
                let (tx, shared) = (self.tx.clone(), self.kubeconfig.clone());
                let log = self.audit_log();
                tokio::spawn(async move {
                    let result = match log {
                        Ok(log) => imported::forget(&log, &name).await,
                        Err(e) => Err(e),
                    };
                    let result = result.map(|path| {
                        let mut kc = shared.lock().unwrap_or_else(|p| p.into_inner());
                        imported::drop_context(&mut kc, &name);
                        format!("{name} removed from {}", path.display())
                    });
                    let _ = tx.send(Msg::Done { ticket, result });
                });
            }
            other => return Some(other),
        }
        None
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        for t in self.connections.values().chain(self.watches.values()) {
            t.abort();
        }
        for (_, t) in self.streams.values().chain(self.forwards.values()) {
            t.abort();
        }
    }
}

/// A kubeconfig to import read, renamed and, when none of its names is taken, checked.
async fn check_import(
    source: ImportSource,
    renames: &[(String, String)],
    known: &[String],
) -> Result<ImportCheck, String> {
    let kc = imported::renamed(imported::read(source_of(source))?, renames)?;
    let taken = imported::taken(&kc, known);
    if !taken.is_empty() {
        return Ok(ImportCheck {
            taken,
            probed: Vec::new(),
        });
    }
    Ok(ImportCheck {
        taken,
        probed: imported::probe(&kc).await,
    })
}

/// The contexts of `keep` saved and audited, then added to what can be connected.
async fn import(
    log: Result<Arc<AuditLog>, String>,
    source: ImportSource,
    renames: &[(String, String)],
    keep: &[String],
    shared: &std::sync::Mutex<Kubeconfig>,
) -> Result<Imported, String> {
    let log = log?;
    let kc = imported::renamed(imported::read(source_of(source))?, renames)?;
    let (path, saved) = imported::add(&log, &kc, keep).await?;
    let contexts = crate::cluster::kubeconfig::entries_of(&saved);
    let mut current = shared.lock().unwrap_or_else(|p| p.into_inner());
    let merged = current.clone().merge(saved).map_err(|e| e.to_string())?;
    *current = merged;
    Ok(Imported {
        file: path.display().to_string(),
        contexts,
    })
}

fn source_of(source: ImportSource) -> imported::Source {
    match source {
        ImportSource::File(p) => imported::Source::File(p),
        ImportSource::Text(t) => imported::Source::Text(t),
    }
}
