//! Posts messages off the UI loop: one worker task per webhook (so one dead webhook delays
//! no other, and each receives its messages in order), a bounded queue each, a timeout per
//! try and a few tries with backoff. Failures are logged and counted, never fatal.

use super::Outgoing;
use super::config::{Format, redact};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const TIMEOUT: Duration = Duration::from_secs(5);
const TRIES: u32 = 3;
#[cfg(not(test))]
const BACKOFF: Duration = Duration::from_secs(1);
#[cfg(test)]
const BACKOFF: Duration = Duration::from_millis(10);
/// Messages waiting per webhook; batching keeps this short unless the webhook is down.
const QUEUE: usize = 32;
/// Of a response, read this much at most (for DingTalk's error code and error lines).
const RESPONSE_LIMIT: usize = 64 * 1024;

static SENT: AtomicU64 = AtomicU64::new(0);
static FAILED: AtomicU64 = AtomicU64::new(0);

/// Messages delivered and given up on (or dropped) since start.
pub fn counts() -> (u64, u64) {
    (SENT.load(Ordering::Relaxed), FAILED.load(Ordering::Relaxed))
}

type Http = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// How one message fared: the tries it took, or why it was given up.
#[derive(Debug)]
pub struct Report {
    pub hook: String,
    pub summary: String,
    pub result: Result<u32, String>,
}

#[derive(Default)]
pub struct Sender {
    http: Option<Arc<Result<Http, String>>>,
    workers: HashMap<String, (mpsc::Sender<Outgoing>, JoinHandle<()>)>,
    reports: Option<mpsc::UnboundedSender<Report>>,
}

impl Sender {
    /// A sender that also reports each outcome on `reports`.
    pub fn with_reports(reports: mpsc::UnboundedSender<Report>) -> Sender {
        Sender {
            reports: Some(reports),
            ..Sender::default()
        }
    }

    /// Queues `o` for its webhook. Needs a tokio runtime (the executor's, or the watch's).
    pub fn send(&mut self, o: Outgoing) {
        let http = self.http.get_or_insert_with(|| Arc::new(http())).clone();
        let reports = self.reports.clone();
        let (tx, _) = self.workers.entry(o.hook.clone()).or_insert_with(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            (tx, tokio::spawn(worker(rx, http, reports)))
        });
        if let Err(e) = tx.try_send(o) {
            let o = match e {
                mpsc::error::TrySendError::Full(o) | mpsc::error::TrySendError::Closed(o) => o,
            };
            FAILED.fetch_add(1, Ordering::Relaxed);
            let why = "dropped: the webhook is not keeping up".to_string();
            tracing::warn!("notify {}: {}: {why}", o.hook, o.summary);
            if let Some(r) = &self.reports {
                let _ = r.send(Report {
                    hook: o.hook,
                    summary: o.summary,
                    result: Err(why),
                });
            }
        }
    }

    /// Lets queued messages go out for up to `grace`, then gives up on the rest.
    pub async fn finish(self, grace: Duration) {
        let handles: Vec<JoinHandle<()>> = self.workers.into_values().map(|(_, h)| h).collect();
        let all = futures::future::join_all(handles);
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!("notify: stopped with messages still unsent");
        }
    }
}

fn http() -> Result<Http, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = match hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(provider.clone())
    {
        Ok(b) => b,
        Err(e) => {
            // http:// webhooks still work; https:// ones fail with a certificate error.
            tracing::warn!("notify: no system CA certificates ({e}); https webhooks will fail");
            let tls = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| format!("TLS set-up: {e}"))?
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls)
        }
    };
    let https = builder.https_or_http().enable_http1().build();
    Ok(Client::builder(TokioExecutor::new()).build(https))
}

async fn worker(
    mut rx: mpsc::Receiver<Outgoing>,
    http: Arc<Result<Http, String>>,
    reports: Option<mpsc::UnboundedSender<Report>>,
) {
    while let Some(o) = rx.recv().await {
        let result = match http.as_ref() {
            Ok(client) => deliver(client, &o).await,
            Err(e) => Err(e.clone()),
        };
        match &result {
            Ok(tries) => {
                SENT.fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    "notify {} ({}): sent {} (try {tries})",
                    o.hook,
                    redact(&o.url),
                    o.summary
                );
            }
            Err(why) => {
                FAILED.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    "notify {} ({}): gave up on {}: {why}",
                    o.hook,
                    redact(&o.url),
                    o.summary
                );
            }
        }
        if let Some(r) = &reports {
            let _ = r.send(Report {
                hook: o.hook,
                summary: o.summary,
                result,
            });
        }
    }
}

enum Failure {
    /// Might work later: no connection, a timeout, 5xx, 429.
    Again(String),
    /// Will not: the webhook refused the message (4xx, DingTalk's error code).
    Refused(String),
}

async fn deliver(http: &Http, o: &Outgoing) -> Result<u32, String> {
    let mut last = String::new();
    for attempt in 1..=TRIES {
        match tokio::time::timeout(TIMEOUT, post(http, o)).await {
            Ok(Ok(())) => return Ok(attempt),
            Ok(Err(Failure::Refused(why))) => return Err(scrub(&why, &o.url)),
            Ok(Err(Failure::Again(why))) => last = why,
            Err(_) => last = format!("no answer within {}s", TIMEOUT.as_secs()),
        }
        if attempt < TRIES {
            let jitter = Duration::from_millis(fastrand::u64(0..=BACKOFF.as_millis() as u64 / 4));
            tokio::time::sleep(BACKOFF * 2u32.pow(attempt - 1) + jitter).await;
        }
    }
    Err(format!("{} (after {TRIES} tries)", scrub(&last, &o.url)))
}

/// An error line never carries the URL itself, whatever a library put in it.
fn scrub(why: &str, url: &str) -> String {
    why.replace(url, &redact(url))
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

async fn post(http: &Http, o: &Outgoing) -> Result<(), Failure> {
    let request = http::Request::post(o.url.as_str())
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::USER_AGENT, crate::USER_AGENT)
        .body(Full::new(Bytes::from(o.body.clone())))
        .map_err(|e| Failure::Refused(format!("cannot build the request: {e}")))?;
    let response = http
        .request(request)
        .await
        .map_err(|e| Failure::Again(chain(&e)))?;
    let status = response.status();
    let body = Limited::new(response.into_body(), RESPONSE_LIMIT)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let text = crate::text::clean(&String::from_utf8_lossy(&body));
    let short: String = text.chars().take(200).collect();
    if status.is_success() {
        return match o.format {
            Format::DingTalk => dingtalk_answer(&body, &short),
            _ => Ok(()),
        };
    }
    let why = format!("HTTP {status}: {short}");
    if status.is_server_error() || status == http::StatusCode::TOO_MANY_REQUESTS {
        Err(Failure::Again(why))
    } else {
        Err(Failure::Refused(why))
    }
}

/// DingTalk answers 200 with `{"errcode":310000,"errmsg":"..."}` when it refuses.
fn dingtalk_answer(body: &[u8], short: &str) -> Result<(), Failure> {
    let code = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("errcode").and_then(serde_json::Value::as_i64));
    match code {
        None | Some(0) => Ok(()),
        // "send too fast": DingTalk's rate limit.
        Some(130101) => Err(Failure::Again(format!("DingTalk: {short}"))),
        Some(_) => Err(Failure::Refused(format!("DingTalk: {short}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// Answers each request with the next status of `statuses` (then 200) and `body`.
    async fn server(
        statuses: Vec<u16>,
        body: &'static str,
    ) -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/hook?access_token=SECRET",
            listener.local_addr().unwrap()
        );
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let got = seen.clone();
        tokio::spawn(async move {
            let mut statuses = statuses.into_iter();
            loop {
                let Ok((mut s, _)) = listener.accept().await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Reads one request: headers, then Content-Length bytes.
                loop {
                    let n = s.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some((head, rest)) = text.split_once("\r\n\r\n") {
                        let len = head
                            .lines()
                            .find_map(|l| {
                                l.to_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if rest.len() >= len {
                            got.lock().unwrap().push(rest.to_string());
                            break;
                        }
                    }
                }
                let status = statuses.next().unwrap_or(200);
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(reply.as_bytes()).await;
            }
        });
        (url, seen)
    }

    fn outgoing(url: &str, format: Format) -> Outgoing {
        Outgoing {
            hook: "test".into(),
            url: url.into(),
            format,
            body: "{\"text\":\"hi\"}".into(),
            summary: "prod pod shop/crasher CrashLoopBackOff".into(),
            events: 1,
        }
    }

    #[tokio::test]
    async fn retries_server_errors_then_delivers() {
        let (url, seen) = server(vec![500, 503], "ok").await;
        let http = http().unwrap();
        assert_eq!(deliver(&http, &outgoing(&url, Format::Json)).await, Ok(3));
        assert_eq!(seen.lock().unwrap().as_slice(), ["{\"text\":\"hi\"}"; 3]);
    }

    #[tokio::test]
    async fn gives_up_without_leaking_the_token() {
        let (url, seen) = server(vec![500, 500, 500], "down").await;
        let http = http().unwrap();
        let err = deliver(&http, &outgoing(&url, Format::Json))
            .await
            .unwrap_err();
        assert_eq!(err, "HTTP 500 Internal Server Error: down (after 3 tries)");
        assert_eq!(seen.lock().unwrap().len(), 3);
        // A refusal is not retried.
        let (url, seen) = server(vec![404], "no such hook").await;
        let err = deliver(&http, &outgoing(&url, Format::Json))
            .await
            .unwrap_err();
        assert_eq!(err, "HTTP 404 Not Found: no such hook");
        assert_eq!(seen.lock().unwrap().len(), 1);
        // Nobody listening.
        let dead = "http://127.0.0.1:9/hook?access_token=SECRET";
        let err = deliver(&http, &outgoing(dead, Format::Json))
            .await
            .unwrap_err();
        assert!(
            !err.contains("SECRET") && err.contains("after 3 tries"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn dingtalk_errors_come_in_a_200() {
        let (url, _) = server(
            vec![],
            r#"{"errcode":310000,"errmsg":"keywords not in content"}"#,
        )
        .await;
        let http = http().unwrap();
        let err = deliver(&http, &outgoing(&url, Format::DingTalk))
            .await
            .unwrap_err();
        assert!(err.contains("keywords not in content"), "{err}");
        let (url, _) = server(vec![], r#"{"errcode":0,"errmsg":"ok"}"#).await;
        assert_eq!(
            deliver(&http, &outgoing(&url, Format::DingTalk)).await,
            Ok(1)
        );
    }

    #[tokio::test]
    async fn the_sender_reports_each_message() {
        let (url, _) = server(vec![], "ok").await;
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut sender = Sender::with_reports(tx);
        sender.send(outgoing(&url, Format::Slack));
        sender.send(outgoing(&url, Format::Slack));
        sender.finish(Duration::from_secs(5)).await;
        let mut n = 0;
        while let Ok(r) = rx.try_recv() {
            assert_eq!((r.hook.as_str(), r.result), ("test", Ok(1)));
            n += 1;
        }
        assert_eq!(n, 2);
    }
}
