//! A port-forward started as a user starts one (shift-f on a Deployment, the form, Enter)
//! carries bytes to the testbed's helper server and back, survives the pod behind the
//! Deployment being deleted, shows in `:pf`, and frees its port when stopped.
//! The Deployment lives in a namespace of its own, deleted at the end.

use crate::common;
use crate::harness;

use flotilla::key::KeyCode;
use flotilla::model::Action;
use flotilla::screens::forwards::ForwardState;
use harness::Harness;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WAIT: Duration = Duration::from_secs(60);

async fn get(addr: SocketAddr, path: &str) -> Result<String, String> {
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&buf).ends_with("}\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut chunk))
            .await
            .map_err(|_| "no answer within 10s".to_string())?
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!("closed: {}", String::from_utf8_lossy(&buf)));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn forward_pod(h: &Harness) -> Option<String> {
    h.app.shared.forwards.first().and_then(|f| f.pod.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_to_a_deployment_survives_its_pod_being_replaced() {
    let Some(tb) = common::testbed() else { return };
    let ns = common::Scratch::new(&tb, "dev", format!("pf-tui-{}", std::process::id()));
    tb.kubectl_ok(
        "dev",
        &[
            "-n",
            &ns.name,
            "create",
            "deployment",
            "fwd",
            "--image=registry.example.com/fwd:1",
            "--port=80",
        ],
    );
    tb.kubectl_ok(
        "dev",
        &[
            "-n",
            &ns.name,
            "wait",
            "--for=condition=Available",
            "deployment/fwd",
            "--timeout=60s",
        ],
    );

    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command(&format!("deploy {}", ns.name));
    assert!(
        h.pump_until(WAIT, |h| !h.lines_with(&["fwd", "1/1"]).is_empty())
            .await,
        "{}",
        h.screen(160, 30)
    );
    h.action(Action::PortForward);
    assert!(
        h.pump_until(WAIT, |h| h.app.modals().count() == 1).await,
        "the port-forward form opens:\n{}",
        h.screen(160, 30)
    );
    assert!(
        h.screen(160, 30).contains("(ports 80)"),
        "{}",
        h.screen(160, 30)
    );
    // Remote port as suggested; a free local port typed over the suggestion; default address.
    let port = free_port();
    h.key(KeyCode::Tab);
    for _ in 0..6 {
        h.key(KeyCode::Backspace);
    }
    for c in port.to_string().chars() {
        h.key(KeyCode::Char(c));
    }
    h.key(KeyCode::Enter);
    h.key(KeyCode::Enter);
    let listening = h
        .pump_until(WAIT, |h| {
            h.app
                .shared
                .forwards
                .first()
                .is_some_and(|f| f.state == ForwardState::Listening)
        })
        .await;
    assert!(listening, "{}", h.screen(160, 30));
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");

    let first = get(addr, "/first").await.expect("GET through the forward");
    assert!(
        first.contains("flotilla-testbed") && first.contains("/first"),
        "{first}"
    );
    assert!(
        h.pump_until(WAIT, |h| forward_pod(h).is_some()).await,
        "the forward names its pod"
    );
    let old = forward_pod(&h).unwrap_or_default();

    tb.kubectl_ok(
        "dev",
        &["-n", &ns.name, "delete", "pod", &old, "--wait=true"],
    );
    tb.kubectl_ok(
        "dev",
        &[
            "-n",
            &ns.name,
            "wait",
            "--for=condition=Available",
            "deployment/fwd",
            "--timeout=60s",
        ],
    );
    // The next connection goes to the replacement.
    let mut again = Err(String::new());
    for _ in 0..20 {
        again = get(addr, "/again").await;
        if again.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let again = again.expect("GET after the pod was replaced");
    assert!(again.contains("/again"), "{again}");
    assert!(
        h.pump_until(WAIT, |h| forward_pod(h).is_some_and(|p| p != old))
            .await,
        "the forward moved to the new pod (was {old})"
    );

    h.command("pf");
    let ok = h
        .pump_until(WAIT, |h| {
            h.app
                .shared
                .forwards
                .first()
                .is_some_and(|f| f.sent > 0 && f.received > 0)
        })
        .await;
    let screen = h.screen(160, 30);
    assert!(ok, "bytes both ways:\n{screen}");
    assert!(
        screen.contains(&format!("127.0.0.1:{port}")) && screen.contains("listening"),
        "{screen}"
    );

    h.action(Action::Delete);
    h.tick();
    assert!(h.app.shared.forwards.is_empty());
    let mut freed = false;
    for _ in 0..20 {
        if TcpListener::bind(addr).is_ok() {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(freed, "stopping the forward frees {addr}");
}
