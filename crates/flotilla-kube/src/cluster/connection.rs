//! One task per live context: builds the client (credential plugins run off the async
//! threads), reads the server version, discovers resources, asks who we are, then keeps
//! probing health. It only ever sends messages; it never touches UI state.

use super::request::{short_error, timed};
use super::{Clients, discovery};
use crate::model::{ClusterEvent, ClusterId, Health};
use crate::protocol::Msg;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

const PROBE_EVERY: Duration = Duration::from_secs(3);
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
const REDISCOVER_EVERY: Duration = Duration::from_secs(120);
const BUILD_TIMEOUT: Duration = Duration::from_secs(120);

pub fn spawn(
    id: ClusterId,
    context: String,
    kubeconfig: Kubeconfig,
    clients: Clients,
    tx: UnboundedSender<Msg>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let send = |ev| tx.send(Msg::Cluster { cluster: id, ev }).is_ok();
        let client = loop {
            match build_client(&context, kubeconfig.clone()).await {
                Ok(c) => break c,
                Err(e) => {
                    if !send(ClusterEvent::Health(Health::Unreachable(e))) {
                        return;
                    }
                    tokio::time::sleep(Duration::from_secs(10)).await;
                }
            }
        };
        let default_namespace = client.default_namespace().to_string();
        // Version first: it is the cheapest proof that the server answers.
        let mut backoff = Duration::from_millis(500);
        let version = loop {
            match timed(client.apiserver_version()).await {
                Ok(v) => break v.git_version,
                Err(e) => {
                    if !send(ClusterEvent::Health(Health::Unreachable(e.message))) {
                        return;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        };
        let identity = whoami(&client).await;
        clients.insert(id, client.clone());
        if !send(ClusterEvent::Connected {
            version,
            identity,
            default_namespace,
        }) {
            return;
        }
        let (mut healthy, mut metrics) = rediscover(&client, &send).await;
        let mut since_discovery = tokio::time::Instant::now();
        let mut polled: Option<tokio::time::Instant> = None;
        // Usage is polled in a task of its own (one in flight), so a slow or frozen
        // metrics-server never delays the health probe; dropping the guard (the connection
        // ending) stops it.
        let mut poll: Option<AbortOnDrop<ClusterEvent>> = None;
        loop {
            tokio::time::sleep(PROBE_EVERY).await;
            if let Some(mut p) = poll.take_if(|p| p.0.is_finished())
                && let Ok(u) = (&mut p.0).await
            {
                polled = Some(tokio::time::Instant::now());
                if !send(u) {
                    return;
                }
            }
            let due = metrics
                && healthy
                && poll.is_none()
                && polled.is_none_or(|t| t.elapsed() >= super::metrics::EVERY);
            if due {
                let client = client.clone();
                poll = Some(AbortOnDrop(tokio::spawn(async move {
                    super::metrics::poll(&client).await
                })));
            }
            let started = tokio::time::Instant::now();
            let probe = tokio::time::timeout(PROBE_TIMEOUT, readyz(&client)).await;
            let now_ok = matches!(probe, Ok(Ok(())));
            if now_ok && !send(ClusterEvent::Latency(started.elapsed())) {
                return;
            }
            let health = match probe {
                Ok(Ok(())) => Health::Ok,
                Ok(Err(e)) => Health::Unreachable(e),
                Err(_) => Health::Unreachable("no answer within 3s".into()),
            };
            if now_ok && (!healthy || since_discovery.elapsed() > REDISCOVER_EVERY) {
                // Back from an outage (or due): CRDs may have come and gone meanwhile.
                (healthy, metrics) = rediscover(&client, &send).await;
                since_discovery = tokio::time::Instant::now();
                continue;
            }
            healthy = now_ok;
            if !send(ClusterEvent::Health(health)) {
                return;
            }
        }
    })
}

/// A task that is aborted when its handle is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Sends the discovered resources and the resulting health; returns whether it worked and
/// whether the cluster serves metrics.k8s.io.
async fn rediscover(client: &Client, send: &impl Fn(ClusterEvent) -> bool) -> (bool, bool) {
    match tokio::time::timeout(super::request::TIMEOUT, discovery::discover(client)).await {
        Ok(Ok(resources)) => {
            let metrics = super::metrics::served(&resources);
            if !metrics {
                send(ClusterEvent::Usage(Err(
                    "n/a: the cluster serves no metrics.k8s.io (metrics-server)".into(),
                )));
            }
            send(ClusterEvent::Resources(resources));
            send(ClusterEvent::Health(Health::Ok));
            (true, metrics)
        }
        Ok(Err(e)) => {
            send(ClusterEvent::Health(Health::Degraded(format!(
                "discovery: {}",
                short_error(&e)
            ))));
            (false, false)
        }
        Err(_) => {
            send(ClusterEvent::Health(Health::Unreachable(
                "discovery timed out".into(),
            )));
            (false, false)
        }
    }
}

/// The files a context refers to must exist; kube's own error names no file.
fn missing_files(context: &str, kc: &Kubeconfig) -> Result<(), String> {
    let ctx = kc
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .ok_or_else(|| format!("context {context:?} not found"))?;
    let user = ctx
        .user
        .as_deref()
        .and_then(|u| kc.auth_infos.iter().find(|a| a.name == u))
        .and_then(|a| a.auth_info.as_ref());
    let cluster = kc
        .clusters
        .iter()
        .find(|c| c.name == ctx.cluster)
        .and_then(|c| c.cluster.as_ref());
    if cluster.is_none() {
        return Err(format!("cluster {:?} not found in kubeconfig", ctx.cluster));
    }
    let files = [
        (
            "certificate-authority",
            cluster.and_then(|c| c.certificate_authority.as_deref()),
        ),
        (
            "client-certificate",
            user.and_then(|u| u.client_certificate.as_deref()),
        ),
        ("client-key", user.and_then(|u| u.client_key.as_deref())),
        ("tokenFile", user.and_then(|u| u.token_file.as_deref())),
    ];
    for (what, path) in files {
        if let Some(p) = path.filter(|p| !std::path::Path::new(p).exists()) {
            return Err(format!("{what} {p} does not exist"));
        }
    }
    Ok(())
}

pub async fn build_client(context: &str, kubeconfig: Kubeconfig) -> Result<Client, String> {
    missing_files(context, &kubeconfig).map_err(|e| format!("kubeconfig: {e}"))?;
    let opts = KubeConfigOptions {
        context: Some(context.to_string()),
        ..Default::default()
    };
    let mut config = Config::from_custom_kubeconfig(kubeconfig, &opts)
        .await
        .map_err(|e| format!("kubeconfig: {e}"))?;
    config.connect_timeout = Some(Duration::from_secs(5));
    // Interactive actions must not sit in 15 silent retries against an overloaded server.
    config.default_retry = false;
    // kube sets no User-Agent of its own (hyper neither), so this is the one every request,
    // exec and port-forward upgrades included, carries.
    config.headers.push((
        http::header::USER_AGENT,
        http::HeaderValue::from_static(crate::USER_AGENT),
    ));
    // Exec credential plugins run synchronously inside client construction, each under the
    // guard's own deadline (see `credentials`); this is the last resort above them.
    let built = tokio::task::spawn_blocking(move || Client::try_from(config));
    match tokio::time::timeout(BUILD_TIMEOUT, built).await {
        Ok(Ok(Ok(c))) => Ok(c),
        Ok(Ok(Err(e))) => Err(super::credentials::plugin_error(&e)
            .unwrap_or_else(|| format!("client: {}", short_error(&e)))),
        Ok(Err(e)) => Err(format!("client: {e}")),
        Err(_) => Err(format!(
            "building the client did not finish within {}s",
            BUILD_TIMEOUT.as_secs()
        )),
    }
}

async fn readyz(client: &Client) -> Result<(), String> {
    let req = http::Request::get("/readyz")
        .body(Vec::new())
        .map_err(|e| e.to_string())?;
    client
        .request_text(req)
        .await
        .map(|_| ())
        .map_err(|e| short_error(&e))
}

pub(super) async fn whoami(client: &Client) -> Option<String> {
    let body =
        serde_json::json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"});
    let path = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
    let v = super::access::ask(client, path, &body).await.ok()?;
    v.pointer("/status/userInfo/username")
        .and_then(|u| u.as_str())
        .map(crate::text::clean)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// The request head one connection to a plain-HTTP stand-in for an apiserver carried,
    /// answered with a version.
    async fn one_request_head() -> (String, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let head = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            let body = r#"{"major":"1","minor":"36","gitVersion":"v1.36.3","gitCommit":"","gitTreeState":"","buildDate":"","goVersion":"","compiler":"","platform":""}"#;
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            s.write_all(reply.as_bytes()).await.unwrap();
            String::from_utf8_lossy(&got).into_owned()
        });
        (url, head)
    }

    #[tokio::test]
    async fn every_request_names_flotilla_once_as_its_user_agent() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let (url, head) = one_request_head().await;
        let kubeconfig = Kubeconfig::from_yaml(&format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\n\
             clusters: [{{name: c, cluster: {{server: '{url}'}}}}]\n\
             users: [{{name: u, user: {{token: t}}}}]\n\
             contexts: [{{name: c, context: {{cluster: c, user: u}}}}]\n"
        ))
        .unwrap();
        let client = build_client("c", kubeconfig).await.unwrap();
        let version = client.apiserver_version().await.unwrap();
        assert_eq!(version.git_version, "v1.36.3");
        let head = head.await.unwrap();
        let agents: Vec<&str> = head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .filter(|(name, _)| name.eq_ignore_ascii_case("user-agent"))
            .map(|(_, value)| value.trim())
            .collect();
        assert_eq!(
            agents,
            [concat!("flotilla/", env!("CARGO_PKG_VERSION"))],
            "{head}"
        );
    }
}
