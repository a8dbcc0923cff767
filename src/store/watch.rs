//! A list+watch loop over the apiserver's Table rendering (what `kubectl get -w -o wide` does).
//! kube's `watcher` cannot send the Table Accept header, so this is a small loop of its own:
//! paged LIST, then WATCH from the list's resourceVersion, re-watch when the stream ends,
//! relist on 410 Gone, back off on errors. It only sends messages.

use super::WatchEvent;
use super::row::{self, WireTable};
use crate::cluster::connection::short_error;
use crate::kinds::resource::ResourceInfo;
use crate::msg::{ClusterId, Msg, Sender};
use futures::{AsyncBufReadExt, StreamExt};
use kube::Client;
use serde::Deserialize;
use std::time::Duration;

const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
const PAGE: usize = 500;
const WATCH_SECONDS: u64 = 290;

#[derive(Deserialize)]
struct WireEvent {
    #[serde(rename = "type")]
    kind: String,
    object: WireTable,
}

enum Outcome {
    /// The resourceVersion is too old or the stream asked for it: list again.
    Relist,
    /// A transient failure; try again after backing off.
    Retry(String),
}

pub struct WatchTask {
    pub client: Client,
    pub cluster: ClusterId,
    pub generation: u64,
    pub res: ResourceInfo,
    /// Where to fall back when a cluster-wide list is forbidden (the context's namespace).
    pub fallback_namespace: Option<String>,
    pub tx: Sender,
}

impl WatchTask {
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run())
    }

    fn send(&self, ev: WatchEvent) -> bool {
        self.tx
            .send(Msg::Watch {
                id: self.cluster,
                res: self.res.key.clone(),
                generation: self.generation,
                ev,
            })
            .is_ok()
    }

    async fn run(self) {
        let mut namespace: Option<String> = None;
        let mut backoff = Duration::from_millis(500);
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
                    tokio::time::sleep(backoff).await;
                    backoff =
                        (backoff * 2).min(Duration::from_secs(if code == 403 { 30 } else { 5 }));
                    continue;
                }
            };
            backoff = Duration::from_millis(500);
            let mut rv = rv;
            loop {
                match self.watch(namespace.as_deref(), &columns, &mut rv).await {
                    Ok(()) => {
                        // Server-side timeout: continue from where we are.
                        backoff = Duration::from_millis(500);
                    }
                    Err(Outcome::Relist) => break,
                    Err(Outcome::Retry(why)) => {
                        if !self.send(WatchEvent::Failed(why)) {
                            return;
                        }
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                    }
                }
                if self.tx.is_closed() {
                    return;
                }
            }
        }
    }

    /// Pages through the collection; rows flow to the store page by page so the first rows
    /// draw long before a big list completes. Returns the list's resourceVersion.
    async fn list(&self, ns: Option<&str>) -> Result<(String, Vec<row::Column>), (u16, String)> {
        let path = self.res.list_path(ns);
        let mut cont = String::new();
        let mut columns = Vec::new();
        loop {
            let mut query = format!("{path}?limit={PAGE}&includeObject=Metadata");
            if !cont.is_empty() {
                query.push_str("&continue=");
                query.push_str(&cont);
            }
            let req = request(&query, false)?;
            let page = tokio::time::timeout(
                Duration::from_secs(60),
                self.client.request::<WireTable>(req),
            )
            .await
            .map_err(|_| (0, "list timed out".to_string()))?
            .map_err(|e| (api_code(&e), short_error(&e)))?;
            if columns.is_empty() {
                columns = row::columns(&page.column_definitions);
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

    async fn watch(
        &self,
        ns: Option<&str>,
        columns: &[row::Column],
        rv: &mut String,
    ) -> Result<(), Outcome> {
        let path = self.res.list_path(ns);
        let query = format!(
            "{path}?watch=1&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds={WATCH_SECONDS}&includeObject=Metadata"
        );
        let req = request(&query, true).map_err(|(_, e)| Outcome::Retry(e))?;
        let stream = match self.client.request_stream(req).await {
            Ok(s) => s,
            Err(e) if api_code(&e) == 410 => return Err(Outcome::Relist),
            Err(e) => return Err(Outcome::Retry(short_error(&e))),
        };
        let mut lines = stream.lines();
        let idle = Duration::from_secs(WATCH_SECONDS + 15);
        loop {
            let line = match tokio::time::timeout(idle, lines.next()).await {
                Err(_) => return Err(Outcome::Retry("watch went silent".into())),
                Ok(None) => return Ok(()),
                Ok(Some(Err(e))) => return Err(Outcome::Retry(format!("watch: {e}"))),
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
            match ev.kind.as_str() {
                "ADDED" | "MODIFIED" => {
                    let rows = self.rows(columns, ev.object.rows);
                    if !self.send(WatchEvent::Upsert(rows)) {
                        return Ok(());
                    }
                }
                "DELETED" => {
                    let uids = ev
                        .object
                        .rows
                        .into_iter()
                        .filter_map(|r| r.object.map(|o| o.metadata.uid))
                        .collect();
                    self.send(WatchEvent::Delete(uids));
                }
                "BOOKMARK" => {}
                "ERROR" => {
                    return if ev.object.code == 410 {
                        Err(Outcome::Relist)
                    } else {
                        Err(Outcome::Retry(crate::text::clean(&ev.object.message)))
                    };
                }
                _ => {}
            }
            if !latest.is_empty() {
                *rv = latest;
            }
        }
    }

    fn rows(&self, columns: &[row::Column], wire: Vec<row::WireRow>) -> Vec<row::Row> {
        // Watch events after the first carry no column definitions: the list's columns hold
        // for the whole list+watch cycle.
        wire.into_iter()
            .filter_map(|w| row::build(&self.res.key, columns, w))
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

fn api_code(e: &kube::Error) -> u16 {
    match e {
        kube::Error::Api(s) => s.code,
        _ => 0,
    }
}
