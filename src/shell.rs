//! An interactive session on the real terminal (`kubectl exec -it` / `kubectl attach -it`),
//! run while the TUI is suspended.
//!
//! The caller has left the alternate screen and raw mode and dropped its crossterm
//! `EventStream`; [`run`] puts the terminal in raw mode for the session and always leaves it
//! cooked again. Our stdin is read on a blocking thread that polls fd 0 and checks a stop flag
//! (set when the session ends, or is cancelled because flotilla is ending), because tokio's
//! stdin thread cannot be cancelled and would swallow the first key the TUI reads afterwards,
//! or hold flotilla's exit until a key is pressed.
//!
//! When stdin or stdout is not a terminal (tests, pipes) the session runs without a TTY, like
//! `kubectl exec -i`: no raw mode, no resize, the remote stderr goes to our stderr.

use crate::cluster::exec::{ExecTarget, exit_code};
use crate::cluster::request::{short_error, timed};
use crate::text::clean;
use k8s_openapi::api::core::v1::{Container, Pod};
use kube::api::{Api, AttachParams, AttachedProcess, TerminalSize};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

/// What to run in the container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Session {
    /// `command` None = automatic: bash when the image has it, else sh ([`AUTO_SHELL`]);
    /// Some(argv) comes from the config.
    Exec { command: Option<Vec<String>> },
    /// The container's main process (its stdin and TTY when the pod spec asks for them).
    Attach,
}

/// The automatic shell: bash when there is one, else sh.
pub const AUTO_SHELL: [&str; 3] = [
    "sh",
    "-c",
    "command -v bash >/dev/null 2>&1 && exec bash || exec sh",
];

/// Ends an attach session without stopping the container's process (as telnet does). Exec
/// sessions pass every key through: Ctrl-] is vim's "jump to tag".
const DETACH_KEY: u8 = 0x1d;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long the stdin thread waits in poll(2) before it looks at the stop flag again.
const STDIN_POLL_MS: i32 = 50;
/// Modes a remote program may have left on when the connection dropped: alternate screen,
/// hidden cursor, bracketed paste, mouse reporting.
const RESTORE_TERMINAL: &str =
    "\x1b[?1049l\x1b[?25h\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\r\n";

/// Runs the session until the remote side ends (or the connection drops, or Ctrl-] detaches an
/// attach session). `context` names the cluster in the banner. Err is one line for the TUI's
/// footer ("no shell in container web", "pods \"x\" is forbidden: …", "connection lost: …").
pub async fn run(
    client: kube::Client,
    context: &str,
    target: ExecTarget,
    session: Session,
) -> Result<(), String> {
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let pods: Api<Pod> = Api::namespaced(client, &target.namespace);
    let pod = timed(pods.get(&target.pod)).await.map_err(|e| e.message)?;
    let container = pick_container(&pod, target.container.as_deref())?;
    let name = container.name.clone();
    let ap = match &session {
        Session::Exec { .. } if interactive => AttachParams::interactive_tty(),
        Session::Exec { .. } => AttachParams::default().stdin(true),
        // Attach gets only what the container was started with: a TTY when it has one (kubectl
        // warns "Unable to use a TTY" otherwise), stdin when it keeps one open.
        Session::Attach => {
            let tty = interactive && container.tty;
            AttachParams::default()
                .stdin(container.stdin)
                .stderr(!tty)
                .tty(tty)
        }
    }
    .container(name.clone());
    let where_ = format!(
        "{}/{}/{}/{}",
        clean(context),
        clean(&target.namespace),
        clean(&target.pod),
        clean(&name)
    );
    let (argv, auto) = match &session {
        Session::Exec { command: None } => (AUTO_SHELL.map(String::from).to_vec(), true),
        Session::Exec { command: Some(c) } if c.is_empty() => {
            return Err("the configured shell command is empty".into());
        }
        Session::Exec { command: Some(c) } => (c.clone(), false),
        Session::Attach => (Vec::new(), false),
    };
    let banner = match session {
        Session::Exec { .. } => format!("flotilla: shell in {where_} — exit to return"),
        Session::Attach => format!("flotilla: attached to {where_} — Ctrl-] to detach"),
    };
    say(&banner).await;
    let connect = async {
        match session {
            Session::Exec { .. } => pods.exec(&target.pod, argv.clone(), &ap).await,
            Session::Attach => pods.attach(&target.pod, &ap).await,
        }
    };
    let proc = match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return Err(not_found(&short_error(&e), auto, &argv, &name)),
        Err(_) => {
            return Err(format!("no answer within {}s", CONNECT_TIMEOUT.as_secs()));
        }
    };
    let ended = {
        let raw = if interactive {
            Some(RawMode::enable()?)
        } else {
            None
        };
        // Raw mode turns off the terminal's own \n → \r\n, which a remote TTY does itself; the
        // output of a process without one (attach) needs it done here.
        let crlf = interactive && !ap.tty;
        let ended = pump(proc, matches!(session, Session::Attach), crlf).await;
        if ended.restore && raw.is_some() {
            say(RESTORE_TERMINAL).await;
        }
        drop(raw);
        ended
    };
    match ended.result {
        End::Detached => Ok(()),
        End::Status(Ok(Some(126 | 127))) if !ended.typed && !argv.is_empty() => {
            Err(no_shell(auto, &argv, &name))
        }
        End::Status(Ok(_)) | End::Closed => Ok(()),
        End::Status(Err(e)) => Err(not_found(&e.message, auto, &argv, &name)),
        End::Lost(e) => Err(format!("connection lost: {}", clean(&e))),
    }
}

/// A container a session can open in: its name, and whether it keeps stdin open and has a
/// TTY (what attach may ask for).
struct Picked {
    name: String,
    stdin: bool,
    tty: bool,
}

/// The container to use: the named one (a debug container too), else the pod's default
/// (kubectl's `kubectl.kubernetes.io/default-container` annotation, else the first).
fn pick_container(pod: &Pod, name: Option<&str>) -> Result<Picked, String> {
    let pod_name = clean(pod.metadata.name.as_deref().unwrap_or(""));
    let spec = pod.spec.as_ref();
    let containers = spec.map(|s| s.containers.as_slice()).unwrap_or_default();
    let of = |c: &Container| Picked {
        name: c.name.clone(),
        stdin: c.stdin == Some(true),
        tty: c.tty == Some(true),
    };
    let wanted = name.map(str::to_string).or_else(|| {
        pod.metadata
            .annotations
            .as_ref()?
            .get("kubectl.kubernetes.io/default-container")
            .cloned()
    });
    match wanted {
        Some(n) => containers
            .iter()
            .find(|c| c.name == n)
            .map(of)
            .or_else(|| {
                spec?
                    .ephemeral_containers
                    .as_ref()?
                    .iter()
                    .find(|c| c.name == n)
                    .map(|c| Picked {
                        name: c.name.clone(),
                        stdin: c.stdin == Some(true),
                        tty: c.tty == Some(true),
                    })
            })
            .ok_or_else(|| format!("no container {} in pod {pod_name}", clean(&n))),
        None => containers
            .first()
            .map(of)
            .ok_or_else(|| format!("pod {pod_name} has no containers")),
    }
}

fn no_shell(auto: bool, argv: &[String], container: &str) -> String {
    if auto {
        format!("no shell in container {}", clean(container))
    } else {
        format!(
            "no shell in container {}: {} not found",
            clean(container),
            clean(argv.first().map(String::as_str).unwrap_or(""))
        )
    }
}

/// The runtime's "executable file not found" becomes "no shell in container x".
fn not_found(message: &str, auto: bool, argv: &[String], container: &str) -> String {
    let m = message.to_ascii_lowercase();
    let missing = m.contains("executable file not found")
        || m.contains("no such file or directory")
        || m.contains("not found in $path");
    if missing && !argv.is_empty() {
        no_shell(auto, argv, container)
    } else {
        clean(message)
    }
}

enum End {
    /// The remote side reported how it ended.
    Status(Result<Option<i32>, crate::model::ApiError>),
    /// The streams closed without a status (attach to a process that ended, for one).
    Closed,
    /// Ctrl-] in an attach session.
    Detached,
    /// The connection failed.
    Lost(String),
}

struct Ended {
    result: End,
    /// Whether any of our input reached the remote side.
    typed: bool,
    /// Whether the remote program may have left the terminal in an odd mode.
    restore: bool,
}

/// Stops the stdin thread when dropped: when the session ends, and when it is cancelled
/// (flotilla ending on a signal) too.
struct StopReader(Arc<AtomicBool>);

impl Drop for StopReader {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Copies the streams until the remote side ends, then stops the stdin thread.
async fn pump(mut proc: AttachedProcess, attach: bool, crlf: bool) -> Ended {
    let stop = StopReader(Arc::new(AtomicBool::new(false)));
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(16);
    let reader = {
        let stop = stop.0.clone();
        tokio::task::spawn_blocking(move || read_stdin(&stop, &tx))
    };
    let mut remote_in = proc.stdin();
    let mut remote_out = proc.stdout();
    let mut remote_err = proc.stderr();
    let status = proc.take_status();
    let mut resize = proc.terminal_size();
    if let Some(r) = resize.as_mut() {
        send_size(r);
    }
    // Without a SIGWINCH stream the remote size just stays as it started.
    let mut winch = resize.as_ref().and_then(|_| {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change()).ok()
    });
    let mut out = tokio::io::stdout();
    let mut err = tokio::io::stderr();
    let mut buf_out = vec![0u8; 16 * 1024];
    let mut buf_err = vec![0u8; 16 * 1024];
    let mut typed = false;
    let mut detached = false;
    let mut stdin_open = true;
    while remote_out.is_some() || remote_err.is_some() {
        tokio::select! {
            n = read_some(&mut remote_out, &mut buf_out) => {
                if !copy_out(&mut out, &buf_out, n, crlf).await {
                    remote_out = None;
                }
            }
            n = read_some(&mut remote_err, &mut buf_err) => {
                if !copy_out(&mut err, &buf_err, n, crlf).await {
                    remote_err = None;
                }
            }
            chunk = rx.recv(), if stdin_open => match chunk {
                Some(bytes) if attach && bytes.contains(&DETACH_KEY) => {
                    detached = true;
                    break;
                }
                Some(bytes) => {
                    // Without a remote stdin (attach to a process that has none) keys only
                    // matter for detaching.
                    if let Some(w) = remote_in.as_mut() {
                        typed = true;
                        // A failed write means the remote side is going away; the output
                        // streams end next and say how.
                        let _ = w.write_all(&bytes).await;
                    }
                }
                // Our stdin ended: pass the EOF on (the remote shell exits, as with `exec -i`).
                None => {
                    stdin_open = false;
                    if let Some(mut w) = remote_in.take() {
                        let _ = w.shutdown().await;
                    }
                }
            },
            Some(()) = next_signal(&mut winch) => {
                if let Some(r) = resize.as_mut() {
                    send_size(r);
                }
            }
        }
    }
    drop(stop);
    // The thread may be waiting to hand over a chunk: closing the channel releases it.
    drop(rx);
    let _ = reader.await;
    if detached {
        return Ended {
            result: End::Detached,
            typed,
            restore: true,
        };
    }
    // The status frame comes before the streams close, so this does not wait in practice.
    let status = match status {
        Some(s) => tokio::time::timeout(Duration::from_secs(2), s)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    drop(remote_in);
    let result = match status {
        Some(s) => End::Status(exit_code(&s)),
        None => match tokio::time::timeout(Duration::from_secs(2), proc.join()).await {
            Ok(Ok(())) => End::Closed,
            Ok(Err(e)) => End::Lost(e.to_string()),
            Err(_) => End::Lost("the connection did not close".into()),
        },
    };
    let restore = matches!(result, End::Lost(_));
    Ended {
        result,
        typed,
        restore,
    }
}

/// Reads from a stream that may be absent (then never ready).
async fn read_some(
    r: &mut Option<tokio::io::ReadHalf<tokio::io::SimplexStream>>,
    buf: &mut [u8],
) -> std::io::Result<usize> {
    match r {
        Some(r) => r.read(buf).await,
        None => std::future::pending().await,
    }
}

/// Writes one chunk through and flushes it (a prompt has no newline); false at the end.
async fn copy_out(
    out: &mut (impl AsyncWrite + Unpin),
    buf: &[u8],
    n: std::io::Result<usize>,
    crlf: bool,
) -> bool {
    match n {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            let chunk = &buf[..n];
            let converted;
            let chunk = if crlf && chunk.contains(&b'\n') {
                converted = to_crlf(chunk);
                &converted[..]
            } else {
                chunk
            };
            // Our terminal going away leaves nothing to show output on; keep draining so the
            // remote side is not blocked until it ends.
            let _ = out.write_all(chunk).await;
            let _ = out.flush().await;
            true
        }
    }
}

fn to_crlf(chunk: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(chunk.len() + 16);
    for &b in chunk {
        if b == b'\n' {
            v.push(b'\r');
        }
        v.push(b);
    }
    v
}

async fn next_signal(s: &mut Option<tokio::signal::unix::Signal>) -> Option<()> {
    match s {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}

fn send_size(tx: &mut futures::channel::mpsc::Sender<TerminalSize>) {
    if let Ok((width, height)) = crossterm::terminal::size() {
        // A full queue means sizes are still on their way; the next change sends again.
        let _ = tx.try_send(TerminalSize { width, height });
    }
}

/// A line of flotilla's own on the terminal a session has.
pub(crate) async fn say(line: &str) {
    let mut out = tokio::io::stdout();
    let _ = out.write_all(line.as_bytes()).await;
    if !line.ends_with('\n') {
        let _ = out.write_all(b"\n").await;
    }
    let _ = out.flush().await;
}

/// Reads fd 0 until `stop`, EOF, an error or a closed channel. poll(2) with a short timeout
/// keeps the thread responsive to `stop`, so no key meant for the TUI is read after the session.
fn read_stdin(stop: &AtomicBool, tx: &mpsc::Sender<Vec<u8>>) {
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        let mut pfd = libc::pollfd {
            fd: libc::STDIN_FILENO,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll(2) on one pollfd that lives on this stack frame for the whole call.
        let ready = unsafe { libc::poll(&mut pfd, 1, STDIN_POLL_MS) };
        if ready < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if ready == 0 || pfd.revents & libc::POLLNVAL != 0 {
            if pfd.revents & libc::POLLNVAL != 0 {
                return;
            }
            continue;
        }
        // The session may have ended while we waited: the key is then the TUI's.
        if stop.load(Ordering::SeqCst) {
            return;
        }
        // SAFETY: read(2) into a buffer we own, at most its length.
        let n = unsafe { libc::read(libc::STDIN_FILENO, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            let e = std::io::Error::last_os_error().kind();
            if matches!(
                e,
                std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock
            ) {
                continue;
            }
            return;
        }
        let Ok(n) = usize::try_from(n) else { return };
        if n == 0 || tx.blocking_send(buf[..n].to_vec()).is_err() {
            return;
        }
    }
}

/// Raw mode for as long as it lives: dropped on every path out of the session, panics included.
struct RawMode;

impl RawMode {
    fn enable() -> Result<Self, String> {
        crossterm::terminal::enable_raw_mode()
            .map(|()| RawMode)
            .map_err(|e| format!("terminal: {e}"))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(json: serde_json::Value) -> Pod {
        serde_json::from_value(json).expect("pod")
    }

    #[test]
    fn the_default_container_follows_kubectl() {
        let p = pod(serde_json::json!({
            "metadata": {"name": "web-1",
                "annotations": {"kubectl.kubernetes.io/default-container": "app"}},
            "spec": {"containers": [{"name": "sidecar"}, {"name": "app"}]}
        }));
        assert_eq!(pick_container(&p, None).map(|c| c.name), Ok("app".into()));
        assert_eq!(
            pick_container(&p, Some("sidecar")).map(|c| c.name),
            Ok("sidecar".into())
        );
        assert_eq!(
            pick_container(&p, Some("nope")).map(|c| c.name),
            Err("no container nope in pod web-1".to_string())
        );
        let plain = pod(serde_json::json!({
            "metadata": {"name": "x"},
            "spec": {"containers": [{"name": "one"}, {"name": "two"}]}
        }));
        assert_eq!(
            pick_container(&plain, None).map(|c| c.name),
            Ok("one".into())
        );
        // A debug container is found by its name, with its stdin and TTY.
        let debugged = pod(serde_json::json!({
            "metadata": {"name": "x"},
            "spec": {"containers": [{"name": "one"}],
                "ephemeralContainers": [{"name": "debugger-ab", "stdin": true, "tty": true}]}
        }));
        let picked = pick_container(&debugged, Some("debugger-ab")).expect("found");
        assert!(picked.stdin && picked.tty);
        assert_eq!(
            pick_container(&debugged, None).map(|c| c.name),
            Ok("one".into())
        );
    }

    #[test]
    fn output_without_a_remote_tty_gets_carriage_returns() {
        assert_eq!(to_crlf(b"a\nb\n"), b"a\r\nb\r\n");
    }

    #[test]
    fn a_missing_executable_reads_as_no_shell() {
        let auto = AUTO_SHELL.map(String::from).to_vec();
        assert_eq!(
            not_found(
                "exec: \"sh\": executable file not found in $PATH",
                true,
                &auto,
                "web"
            ),
            "no shell in container web"
        );
        let zsh = vec!["zsh".to_string()];
        assert_eq!(
            not_found(
                "OCI runtime exec failed: no such file or directory",
                false,
                &zsh,
                "web"
            ),
            "no shell in container web: zsh not found"
        );
        assert_eq!(
            not_found("pods \"x\" is forbidden: nope (403)", true, &auto, "web"),
            "pods \"x\" is forbidden: nope (403)"
        );
    }
}
