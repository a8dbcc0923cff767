//! A list+watch loop over the apiserver's Table rendering (what `kubectl get -w -o wide` does).
//! kube's `watcher` cannot send the Table Accept header, so this is a small loop of its own:
//! paged LIST, then WATCH from the list's resourceVersion, re-watch when the stream ends,
//! relist on 410 Gone, back off (with jitter) on errors and on streams that end at once.
//! A watch that stays silent past its liveness deadline is opened again at once, even with its
//! connection open. Only when that re-watch fails (a frozen server, a dropped load balancer) is
//! the watch reported broken; one that opens was a quiet kind whose bookmark a busy server was
//! late with. For an index that serves no watch, it re-lists at an interval instead. It only
//! sends messages.

use super::backoff::Backoff;
use super::request::{api_code, short_error};
use super::table::{self, WireTable};
use crate::model::{ClusterId, Column, ResourceInfo, Row, WatchEvent};
use crate::protocol::Msg;
use futures::{AsyncBufReadExt, StreamExt};
use kube::Client;
use serde::Deserialize;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
const PAGE: usize = 500;
/// Server-side watch timeout; the server then ends the stream and we continue from where we are.
const WATCH_SECONDS: u64 = 300;
/// The apiserver sends watches that allow bookmarks one about every minute; a stream silent
/// for longer than this is opened again.
pub const LIVENESS: Duration = Duration::from_secs(75);
/// How long opening a watch, or one page of a list, may take.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);
const PAGE_TIMEOUT: Duration = Duration::from_secs(30);
/// A watch that ends (or asks for a relist) sooner than this without an event did not really
/// work; going again at once would spin.
const QUICK_END: Duration = Duration::from_secs(2);

#[derive(Deserialize)]
struct WireEvent {
    #[serde(rename = "type")]
    kind: String,
    object: WireTable,
}

enum Outcome {
    /// The server ended the stream (its timeout); `events` arrived before.
    Ended { events: usize },
    /// The resourceVersion is too old or the stream asked for it: list again.
    Relist,
    /// A transient failure; try again after backing off.
    Retry(String),
    /// Nothing arrived, not even a bookmark, within the liveness deadline.
    Silent,
    /// Nobody listens any more.
    Closed,
}

pub struct WatchTask {
    pub client: Client,
    pub cluster: ClusterId,
    pub generation: u64,
    pub res: ResourceInfo,
    /// Where to fall back when a cluster-wide list is forbidden (the context's namespace).
    pub fallback_namespace: Option<String>,
    pub tx: UnboundedSender<Msg>,
    /// How long a stream may stay silent before it is opened again ([`LIVENESS`]).
    pub liveness: Duration,
    /// Re-list at this interval instead of watching: for an index that serves no WATCH
    /// (Clusterpedia's SQL storage).
    pub every: Option<Duration>,
}

impl WatchTask {
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run())
    }

    fn send(&self, ev: WatchEvent) -> bool {
        self.tx
            .send(Msg::Watch {
                cluster: self.cluster,
                res: self.res.key.clone(),
                generation: self.generation,
                ev,
            })
            .is_ok()
    }

    async fn run(self) {
        let mut namespace: Option<String> = None;
        let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
        loop {
            let (rv, columns) = match self.list(namespace.as_deref()).await {
                Ok(listed) => listed,
                Err((code, why)) => {
                    if code == 403
                        && namespace.is_none()
                        && self.res.namespaced
                        && let Some(ns) = self.fallback_namespace.clone()
                    {
                        namespace = Some(ns);
                        continue;
                    }
                    if !self.send(WatchEvent::Failed(why)) {
                        return;
                    }
                    if code == 403 {
                        backoff.at_least(Duration::from_secs(10));
                    }
                    tokio::time::sleep(backoff.next_wait()).await;
                    continue;
                }
            };
            if let Some(every) = self.every {
                backoff.reset();
                tokio::time::sleep(every).await;
                if self.tx.is_closed() {
                    return;
                }
                continue;
            }
            let mut rv = rv;
            let mut broken = false;
            // A quiet kind (nodes, CronJobs) can miss a bookmark on a busy server: a silence
            // only opens the watch again, and is reported with the reason when that fails.
            let mut silent = false;
            loop {
                let opened = Instant::now();
                match self
                    .watch(
                        namespace.as_deref(),
                        &columns,
                        &mut rv,
                        &mut broken,
                        &mut silent,
                    )
                    .await
                {
                    Outcome::Ended { events } => {
                        if events == 0 && opened.elapsed() < QUICK_END {
                            tokio::time::sleep(backoff.next_wait()).await;
                        } else {
                            backoff.reset();
                        }
                    }
                    Outcome::Relist => {
                        // Repeated 410s right after a list would otherwise relist in a loop.
                        if opened.elapsed() < QUICK_END {
                            tokio::time::sleep(backoff.next_wait()).await;
                        }
                        break;
                    }
                    Outcome::Silent => silent = true,
                    Outcome::Retry(why) => {
                        broken = true;
                        let why = if std::mem::take(&mut silent) {
                            format!("watch silent for {}s, then {why}", self.liveness.as_secs())
                        } else {
                            why
                        };
                        if !self.send(WatchEvent::Failed(why)) {
                            return;
                        }
                        tokio::time::sleep(backoff.next_wait()).await;
                    }
                    Outcome::Closed => return,
                }
                if self.tx.is_closed() {
                    return;
                }
            }
        }
    }

    /// What the rows carry: the metadata, or the whole object for kinds whose facts triage
    /// reads (`kinds::facts`).
    fn include(&self) -> &'static str {
        if crate::kinds::facts::wants_object(&self.res.key) {
            "Object"
        } else {
            "Metadata"
        }
    }

    /// Pages through the collection; rows flow to the store page by page so the first rows
    /// draw long before a big list completes. Returns the list's resourceVersion.
    async fn list(&self, ns: Option<&str>) -> Result<(String, Vec<Column>), (u16, String)> {
        let path = self.res.list_path(ns);
        let mut cont = String::new();
        let mut columns = Vec::new();
        loop {
            let mut query = format!("{path}?limit={PAGE}&includeObject={}", self.include());
            if !cont.is_empty() {
                query.push_str("&continue=");
                query.push_str(&cont);
            }
            let req = request(&query, false)?;
            let page = tokio::time::timeout(PAGE_TIMEOUT, self.client.request::<WireTable>(req))
                .await
                .map_err(|_| {
                    (
                        0,
                        format!("list: no answer within {}s", PAGE_TIMEOUT.as_secs()),
                    )
                })?
                .map_err(|e| (api_code(&e), short_error(&e)))?;
            let mut page = page;
            if self.every.is_some() {
                table::drop_index_cluster_column(&mut page);
            }
            if columns.is_empty() {
                columns = table::columns(&page.column_definitions);
                if !self.send(WatchEvent::Listing {
                    columns: columns.clone(),
                }) {
                    return Err((0, "closed".into()));
                }
            }
            let rows = self.rows(&columns, page.rows);
            if !self.send(WatchEvent::Upsert(rows)) {
                return Err((0, "closed".into()));
            }
            if page.metadata.continue_token.is_empty() {
                self.send(WatchEvent::Synced);
                return Ok((page.metadata.resource_version, columns));
            }
            cont = page.metadata.continue_token;
        }
    }

    /// One watch stream until it ends. `broken`: a failure was reported, so an open stream
    /// says the watch is live again; `silent`: the stream before went silent, which an open
    /// stream settles.
    async fn watch(
        &self,
        ns: Option<&str>,
        columns: &[Column],
        rv: &mut String,
        broken: &mut bool,
        silent: &mut bool,
    ) -> Outcome {
        let path = self.res.list_path(ns);
        let query = format!(
            "{path}?watch=1&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds={WATCH_SECONDS}&includeObject={}",
            self.include()
        );
        let req = match request(&query, true) {
            Ok(r) => r,
            Err((_, e)) => return Outcome::Retry(e),
        };
        let stream = match tokio::time::timeout(OPEN_TIMEOUT, self.client.request_stream(req)).await
        {
            Err(_) => {
                return Outcome::Retry(format!(
                    "watch: no answer within {}s",
                    OPEN_TIMEOUT.as_secs()
                ));
            }
            Ok(Ok(s)) => s,
            Ok(Err(e)) if api_code(&e) == 410 => return Outcome::Relist,
            Ok(Err(e)) => return Outcome::Retry(short_error(&e)),
        };
        *silent = false;
        if std::mem::take(broken) && !self.send(WatchEvent::Live) {
            return Outcome::Closed;
        }
        let mut lines = stream.lines();
        let mut events = 0;
        loop {
            let line = match tokio::time::timeout(self.liveness, lines.next()).await {
                Err(_) => return Outcome::Silent,
                Ok(None) => return Outcome::Ended { events },
                Ok(Some(Err(e))) => return Outcome::Retry(format!("watch: {e}")),
                Ok(Some(Ok(line))) => line,
            };
            if line.trim().is_empty() {
                continue;
            }
            let ev: WireEvent = match serde_json::from_str(&line) {
                Ok(ev) => ev,
                Err(e) => {
                    tracing::warn!("undecodable watch event on {}: {e}", self.res.key);
                    continue;
                }
            };
            let latest = ev
                .object
                .rows
                .last()
                .and_then(|r| r.object.as_ref())
                .map(|o| o.metadata.resource_version.clone())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| ev.object.metadata.resource_version.clone());
            tracing::debug!(res = %self.res.key, kind = %ev.kind, rows = ev.object.rows.len(), "watch event");
            let sent = match ev.kind.as_str() {
                "ADDED" | "MODIFIED" => {
                    events += 1;
                    let rows = self.rows(columns, ev.object.rows);
                    self.send(WatchEvent::Upsert(rows))
                }
                "DELETED" => {
                    events += 1;
                    let uids = ev
                        .object
                        .rows
                        .into_iter()
                        .filter_map(|r| r.object.map(|o| o.metadata.uid))
                        .collect();
                    self.send(WatchEvent::Delete(uids))
                }
                "ERROR" => {
                    return if ev.object.code == 410 {
                        Outcome::Relist
                    } else {
                        Outcome::Retry(crate::text::clean(&ev.object.message))
                    };
                }
                // BOOKMARK: nothing changed, but the stream is alive and rv moves on.
                _ => true,
            };
            if !sent {
                return Outcome::Closed;
            }
            if !latest.is_empty() {
                *rv = latest;
            }
        }
    }

    fn rows(&self, columns: &[Column], wire: Vec<table::WireRow>) -> Vec<Row> {
        // Watch events after the first carry no column definitions: the list's columns hold
        // for the whole list+watch cycle.
        wire.into_iter()
            .filter_map(|w| table::build(&self.res.key, columns, w))
            .collect()
    }
}

fn request(path_and_query: &str, watch: bool) -> Result<http::Request<Vec<u8>>, (u16, String)> {
    let mut b = http::Request::get(path_and_query).header(http::header::ACCEPT, TABLE_ACCEPT);
    if watch {
        b = b.header(http::header::ACCEPT_ENCODING, "identity");
    }
    b.body(Vec::new()).map_err(|e| (0, e.to_string()))
}
