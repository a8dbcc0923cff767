//! Exec, shell sessions and port-forwards against the testbed clusters: what a user running a
//! command, opening a shell or forwarding a port would see. Skips locally without a testbed
//! (except the bind test, which needs no cluster); fails under CI.
use crate::common;

use std::net::SocketAddr;
use std::time::Duration;

use flotilla::cluster::exec::{self, ExecTarget};
use flotilla::forward::{self, Event, Spec, Target};
use flotilla::shell::{self, Session};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, PostParams};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use common::{Scratch, Testbed, eventually, testbed};

const WAIT: Duration = Duration::from_secs(60);

fn is_ready(p: &Pod) -> bool {
    let Some(s) = &p.status else { return false };
    p.metadata.deletion_timestamp.is_none()
        && s.phase.as_deref() == Some("Running")
        && s.conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// A Running, Ready pod matching `selector` (other tests may be replacing pods meanwhile).
async fn ready_pod(client: &kube::Client, ns: &str, selector: &str) -> String {
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    eventually(WAIT, &format!("a ready pod for {selector}"), || {
        let pods = pods.clone();
        async move {
            let list = pods
                .list(&ListParams::default().labels(selector))
                .await
                .ok()?;
            list.items
                .iter()
                .find(|p| is_ready(p))
                .and_then(|p| p.metadata.name.clone())
        }
    })
    .await
}

fn argv(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// exec

#[tokio::test]
async fn exec_returns_output_and_exit_code() {
    let Some(tb) = testbed() else { return };
    let client = tb.client("dev").await;
    let pod = ready_pod(&client, "shop", "app=web").await;
    let target = ExecTarget {
        namespace: "shop".into(),
        pod: pod.clone(),
        container: Some("web".into()),
    };
    let out = exec::run(
        &client,
        &target,
        &argv(&[
            "sh",
            "-c",
            "echo out-$FLOTILLA_TESTBED; echo err >&2; exit 3",
        ]),
        64 * 1024,
        Duration::from_secs(30),
    )
    .await
    .expect("exec in shop/web");
    assert_eq!(out.stdout, "out-1\n");
    assert_eq!(out.stderr, "err\n");
    assert_eq!(out.exit_code, Some(3));
    assert!(!out.truncated);

    let ok = exec::run(
        &client,
        &target,
        &argv(&["true"]),
        1024,
        Duration::from_secs(30),
    )
    .await
    .expect("exec true");
    assert_eq!(ok.exit_code, Some(0));
    assert_eq!((ok.stdout.as_str(), ok.stderr.as_str()), ("", ""));
}

#[tokio::test]
async fn exec_bounds_output_and_time() {
    let Some(tb) = testbed() else { return };
    let client = tb.client("dev").await;
    let pod = ready_pod(&client, "shop", "app=web").await;
    let target = ExecTarget {
        namespace: "shop".into(),
        pod,
        container: None,
    };
    // 200 kB on stdout, a little on stderr after it: the cut stdout must not block stderr.
    let big = exec::run(
        &client,
        &target,
        &argv(&[
            "sh",
            "-c",
            "head -c 200000 /dev/zero | tr '\\0' x; echo tail >&2",
        ]),
        1000,
        Duration::from_secs(30),
    )
    .await
    .expect("exec with big output");
    assert_eq!(big.stdout, "x".repeat(1000));
    assert_eq!(big.stderr, "tail\n");
    assert!(big.truncated);
    assert_eq!(big.exit_code, Some(0));

    let started = std::time::Instant::now();
    let slow = exec::run(
        &client,
        &target,
        &argv(&["sleep", "30"]),
        1024,
        Duration::from_secs(2),
    )
    .await
    .expect_err("sleep 30 must time out");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(slow.message, "sleep did not finish within 2s");
}

#[tokio::test]
async fn exec_errors_name_what_is_missing() {
    let Some(tb) = testbed() else { return };
    let client = tb.client("dev").await;
    let pod = ready_pod(&client, "shop", "app=web").await;
    let no_container = exec::run(
        &client,
        &ExecTarget {
            namespace: "shop".into(),
            pod: pod.clone(),
            container: Some("no-such-container".into()),
        },
        &argv(&["true"]),
        1024,
        Duration::from_secs(30),
    )
    .await
    .expect_err("a missing container is an error");
    assert!(
        no_container.message.contains("no-such-container"),
        "{no_container:?}"
    );
    assert_eq!(no_container.code, 400, "{no_container:?}");
    assert!(!no_container.message.contains('\n'));

    let no_pod = exec::run(
        &client,
        &ExecTarget {
            namespace: "shop".into(),
            pod: "no-such-pod".into(),
            container: None,
        },
        &argv(&["true"]),
        1024,
        Duration::from_secs(30),
    )
    .await
    .expect_err("a missing pod is an error");
    assert_eq!(no_pod.code, 404, "{no_pod:?}");
    assert!(no_pod.message.contains("no-such-pod"), "{no_pod:?}");

    let no_binary = exec::run(
        &client,
        &ExecTarget {
            namespace: "shop".into(),
            pod,
            container: Some("web".into()),
        },
        &argv(&["flotilla-no-such-binary"]),
        1024,
        Duration::from_secs(30),
    )
    .await
    .expect_err("a missing executable is an error, not an exit code");
    assert!(
        no_binary.message.contains("flotilla-no-such-binary"),
        "{no_binary:?}"
    );
}

#[tokio::test]
async fn exec_is_forbidden_for_a_viewer() {
    let Some(tb) = testbed() else { return };
    let admin = tb.client("dev").await;
    let pod = ready_pod(&admin, "shop", "app=web").await;
    let viewer = Testbed {
        kubeconfig: tb.viewer_kubeconfig(),
    }
    .client("dev-viewer")
    .await;
    let err = exec::run(
        &viewer,
        &ExecTarget {
            namespace: "shop".into(),
            pod,
            container: None,
        },
        &argv(&["true"]),
        1024,
        Duration::from_secs(30),
    )
    .await
    .expect_err("the viewer may not exec");
    assert_eq!(err.code, 403, "{err:?}");
    assert!(err.message.contains("forbidden"), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// shell (the non-TTY path: stdin is a pipe here; the TTY path is driven through the TUI)

/// Points fd 0 of this test binary at a pipe and returns its write end, so the test types
/// into sessions and no session reads the terminal of whoever runs the tests. Only the shell
/// test touches stdin.
fn stdin_pipe() -> std::fs::File {
    let mut fds = [0; 2];
    // SAFETY: pipe(2) fills the two-element array; dup2 onto fd 0 of descriptors we own.
    unsafe {
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0, "pipe");
        assert_eq!(libc::dup2(fds[0], 0), 0, "dup2 onto stdin");
        libc::close(fds[0]);
        std::os::fd::FromRawFd::from_raw_fd(fds[1])
    }
}

/// A file the test made, removed however the test ends.
struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What fd 0 has to read right now (within 2 s), as the TUI would read its next key.
fn read_stdin_now() -> Vec<u8> {
    let mut pfd = libc::pollfd {
        fd: 0,
        events: libc::POLLIN,
        revents: 0,
    };
    let mut buf = [0u8; 64];
    // SAFETY: poll on one pollfd on the stack; read into a buffer we own, at most its length.
    let n = unsafe {
        if libc::poll(&mut pfd, 1, 2000) != 1 {
            return Vec::new();
        }
        libc::read(0, buf.as_mut_ptr().cast(), buf.len())
    };
    buf[..usize::try_from(n).unwrap_or(0)].to_vec()
}

#[tokio::test]
async fn shell_sessions_run_until_the_remote_side_ends() {
    use std::io::Write;
    let Some(tb) = testbed() else { return };
    let mut keyboard = stdin_pipe();
    let client = tb.client("dev").await;
    let pod = ready_pod(&client, "shop", "app=web").await;
    let target = |container: &str| ExecTarget {
        namespace: "shop".into(),
        pod: pod.clone(),
        container: Some(container.into()),
    };
    let run = |target, session| {
        let client = client.clone();
        async move {
            tokio::time::timeout(
                Duration::from_secs(30),
                shell::run(client, "dev", target, session),
            )
            .await
            .expect("the session ends when the remote side does")
        }
    };
    // The automatic shell (bash, else sh) gets what is typed and ends with `exit`. The testbed
    // runs it in target/testbed/exec, so what it writes there proves the keys arrived.
    let probe = format!("shell-probe-{:08x}", fastrand::u32(..));
    let probe_path = RemoveOnDrop(common::repo_root().join("target/testbed/exec").join(&probe));
    writeln!(keyboard, "echo typed-$FLOTILLA_TESTBED > {probe}; exit").expect("type");
    let auto = run(target("web"), Session::Exec { command: None }).await;
    let written = std::fs::read_to_string(&probe_path.0);
    assert_eq!(auto, Ok(()));
    assert_eq!(
        written.expect("the shell wrote the probe file"),
        "typed-1\n"
    );
    // The session's stdin reader stopped with it: the next key is ours (the TUI's), not lost.
    keyboard.write_all(b"k").expect("type");
    assert_eq!(read_stdin_now(), b"k");

    // A configured command that exits non-zero is still a session that ended normally.
    assert_eq!(
        run(
            target("web"),
            Session::Exec {
                command: Some(argv(&["sh", "-c", "echo shell-ran; exit 4"]))
            }
        )
        .await,
        Ok(())
    );
    assert_eq!(
        run(
            target("web"),
            Session::Exec {
                command: Some(argv(&["flotilla-no-such-shell"]))
            }
        )
        .await,
        Err("no shell in container web: flotilla-no-such-shell not found".into())
    );
    assert_eq!(
        run(target("nope"), Session::Exec { command: None }).await,
        Err(format!("no container nope in pod {pod}"))
    );
    let gone = run(
        ExecTarget {
            namespace: "shop".into(),
            pod: "no-such-pod".into(),
            container: None,
        },
        Session::Exec { command: None },
    )
    .await
    .expect_err("no such pod");
    assert!(gone.contains("no-such-pod"), "{gone}");
    keyboard.write_all(b"q").expect("type");
    assert_eq!(read_stdin_now(), b"q");
}

/// The TTY path, on a pseudo-terminal: this test binary runs itself (the ignored test
/// [`tty_child`]) with the pty's slave as its controlling terminal and stdin/stdout, types into
/// the master and reads what a user would see.
#[tokio::test]
async fn shell_on_a_terminal_is_raw_resized_and_restored() {
    let Some(tb) = testbed() else { return };
    let client = tb.client("dev").await;
    let pod = ready_pod(&client, "shop", "app=web").await;
    let term = Pty::open(30, 100);
    let cooked = term.lflag();
    assert_ne!(cooked & libc::ICANON, 0, "a new pty starts cooked");
    let slave = term.slave;
    let mut cmd = std::process::Command::new(std::env::current_exe().expect("test binary"));
    cmd.args(["--exact", "live_ops::tty_child", "--ignored", "--nocapture"])
        .env("FLOTILLA_TTY_CHILD_POD", &pod)
        .env("FLOTILLA_TESTBED_KUBECONFIG", &tb.kubeconfig);
    // SAFETY: between fork and exec only async-signal-safe calls: setsid, ioctl, dup2.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
            if libc::setsid() < 0
                || libc::ioctl(slave, libc::TIOCSCTTY, 0) < 0
                || libc::dup2(slave, 0) < 0
                || libc::dup2(slave, 1) < 0
                || libc::dup2(slave, 2) < 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("run the child test");
    let mut seen = String::new();
    term.read_until(&mut seen, "exit to return", Duration::from_secs(30));
    // The remote shell waits in `read`; by now the session has its raw terminal.
    term.read_until(&mut seen, "ready>", Duration::from_secs(30));
    assert_eq!(
        term.lflag() & (libc::ICANON | libc::ECHO),
        0,
        "raw during the session"
    );
    term.type_keys(b"one\r");
    term.read_until(&mut seen, "size=30 100", Duration::from_secs(15));
    // A window change reaches the remote terminal (SIGWINCH → resize channel).
    term.resize(40, 120);
    std::thread::sleep(Duration::from_millis(1500));
    term.type_keys(b"two\r");
    term.read_until(&mut seen, "size=40 120", Duration::from_secs(15));
    term.read_until(&mut seen, "got:one,two", Duration::from_secs(15));
    term.type_keys(b"\r");
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let status = loop {
        term.drain(&mut seen);
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the session did not end with the remote shell:\n{seen}");
        }
    };
    term.drain(&mut seen);
    assert!(status.success(), "the child test failed:\n{seen}");
    assert_eq!(
        term.lflag(),
        cooked,
        "the terminal is cooked again as it was"
    );
}

/// Run by [`shell_on_a_terminal_is_raw_resized_and_restored`] on a pty; does nothing otherwise.
#[tokio::test]
#[ignore = "run on a pty by shell_on_a_terminal_is_raw_resized_and_restored"]
async fn tty_child() {
    let Ok(pod) = std::env::var("FLOTILLA_TTY_CHILD_POD") else {
        return;
    };
    let Some(tb) = testbed() else {
        panic!("no testbed in the child")
    };
    let client = tb.client("dev").await;
    // The last `read` keeps the process alive until the parent has seen everything: kwok's
    // TTY exec can drop the output of a process that exits right after writing it.
    let script = "printf 'ready> '; read a; echo size=$(stty size); read b; \
                  echo size=$(stty size); echo got:$a,$b; read c";
    let result = shell::run(
        client,
        "dev",
        ExecTarget {
            namespace: "shop".into(),
            pod,
            container: Some("web".into()),
        },
        Session::Exec {
            command: Some(argv(&["sh", "-c", script])),
        },
    )
    .await;
    assert_eq!(result, Ok(()));
}

/// A pseudo-terminal pair for [`shell_on_a_terminal_is_raw_resized_and_restored`].
struct Pty {
    master: i32,
    slave: i32,
}

impl Pty {
    fn open(rows: u16, cols: u16) -> Pty {
        let (mut master, mut slave) = (0, 0);
        let size = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty fills the two descriptors; no name buffer, default termios.
        let r = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(r, 0, "openpty");
        Pty { master, slave }
    }

    /// The slave's local modes (ICANON, ECHO, …), read through the master.
    fn lflag(&self) -> libc::tcflag_t {
        // SAFETY: tcgetattr fills a zeroed termios we own.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            assert_eq!(libc::tcgetattr(self.slave, &mut t), 0, "tcgetattr");
            t.c_lflag
        }
    }

    fn resize(&self, rows: u16, cols: u16) {
        let size = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCSWINSZ with a winsize we own; the kernel signals the foreground group.
        assert_eq!(
            unsafe { libc::ioctl(self.master, libc::TIOCSWINSZ, &size) },
            0
        );
    }

    fn type_keys(&self, keys: &[u8]) {
        // SAFETY: write from a buffer we own, at most its length.
        let n = unsafe { libc::write(self.master, keys.as_ptr().cast(), keys.len()) };
        assert_eq!(
            usize::try_from(n).ok(),
            Some(keys.len()),
            "type into the pty"
        );
    }

    /// Reads the screen output until it contains `want` (panics with all of it otherwise).
    fn read_until(&self, seen: &mut String, want: &str, within: Duration) {
        let deadline = std::time::Instant::now() + within;
        while !seen.contains(want) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            assert!(
                !left.is_zero(),
                "no {want:?} on the terminal within {within:?}:\n{seen}"
            );
            if self.read_some(seen, left.min(Duration::from_millis(200))) == Read::Closed {
                panic!("the terminal closed before {want:?}:\n{seen}");
            }
        }
    }

    /// Whatever there is to read right now.
    fn drain(&self, seen: &mut String) {
        while self.read_some(seen, Duration::from_millis(100)) == Read::Data {}
    }

    fn read_some(&self, seen: &mut String, wait: Duration) -> Read {
        let mut pfd = libc::pollfd {
            fd: self.master,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(wait.as_millis()).unwrap_or(i32::MAX);
        let mut buf = [0u8; 4096];
        // SAFETY: poll on one pollfd on the stack; read into a buffer we own.
        let n = unsafe {
            if libc::poll(&mut pfd, 1, ms) != 1 {
                return Read::Nothing;
            }
            libc::read(self.master, buf.as_mut_ptr().cast(), buf.len())
        };
        match usize::try_from(n) {
            Ok(n) if n > 0 => {
                seen.push_str(&String::from_utf8_lossy(&buf[..n]));
                Read::Data
            }
            _ => Read::Closed,
        }
    }
}

#[derive(PartialEq)]
enum Read {
    Data,
    Nothing,
    Closed,
}

impl Drop for Pty {
    fn drop(&mut self) {
        // SAFETY: closing the two descriptors this value owns.
        unsafe {
            libc::close(self.master);
            libc::close(self.slave);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// port-forward

/// Collects a forward's events.
struct Events(UnboundedReceiver<(u64, Event)>, Vec<Event>);

impl Events {
    /// Waits for the first event (from now on, or already seen) that `f` accepts.
    async fn wait<T>(&mut self, what: &str, mut f: impl FnMut(&Event) -> Option<T>) -> T {
        if let Some(v) = self.1.iter().find_map(&mut f) {
            return v;
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let next = tokio::time::timeout_at(deadline, self.0.recv()).await;
            let Ok(Some((_, ev))) = next else {
                panic!("no {what} within 20s; events so far: {:?}", self.1);
            };
            self.1.push(ev.clone());
            if let Some(v) = f(&ev) {
                return v;
            }
        }
    }

    /// Forgets what was seen so far (so the next `wait` looks only at new events).
    fn clear(&mut self) {
        while let Ok((_, ev)) = self.0.try_recv() {
            self.1.push(ev);
        }
        self.1.clear();
    }
}

fn start(
    client: kube::Client,
    id: u64,
    target: Target,
    local: SocketAddr,
) -> (tokio::task::JoinHandle<()>, Events) {
    let (tx, rx) = unbounded_channel();
    let spec = Spec {
        id,
        target,
        remote_port: 80,
        local,
    };
    let handle = forward::spawn(client, spec, move |id, ev| {
        let _ = tx.send((id, ev));
    });
    (handle, Events(rx, Vec::new()))
}

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Sends a GET on `stream` and reads the response until its JSON body is complete (the
/// forwarded stream need not report EOF).
async fn get_on(stream: &mut TcpStream, path: &str) -> String {
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.expect("send GET");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&buf).ends_with("}\n") {
        let n = tokio::time::timeout(Duration::from_secs(15), stream.read(&mut chunk))
            .await
            .expect("a response within 15s")
            .expect("read the response");
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&buf));
        buf.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

async fn get(addr: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr)
        .await
        .expect("connect to the forward");
    get_on(&mut stream, path).await
}

fn assert_helper_answered(response: &str, path: &str) {
    assert!(
        response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"),
        "{response}"
    );
    assert!(response.contains("flotilla-testbed"), "{response}");
    assert!(response.contains(path), "{response}");
}

/// True when the peer closed `stream` within `within` (EOF or reset).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut chunk = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn forward_to_a_pod_carries_http_both_ways() {
    let Some(tb) = testbed() else { return };
    let client = tb.client("dev").await;
    let pod = ready_pod(&client, "shop", "app=web").await;
    let (handle, mut events) = start(
        client,
        11,
        Target::Pod {
            namespace: "shop".into(),
            name: pod.clone(),
        },
        any_port(),
    );
    let addr = events
        .wait("Listening", |e| match e {
            Event::Listening(a) => Some(*a),
            _ => None,
        })
        .await;
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
    let response = get(addr, "/via-pod").await;
    assert_helper_answered(&response, "/via-pod");
    let named = events
        .wait("Pod", |e| match e {
            Event::Pod(p) => Some(p.clone()),
            _ => None,
        })
        .await;
    assert_eq!(named, pod);
    let (sent, received) = events
        .wait("Bytes both ways", |e| match e {
            Event::Bytes { sent, received } if *sent > 0 && *received > 0 => {
                Some((*sent, *received))
            }
            _ => None,
        })
        .await;
    assert!(sent >= 40, "the GET is longer than {sent} bytes");
    assert!(
        received >= response.len() as u64,
        "received {received} < {} bytes of response",
        response.len()
    );
    assert!(
        !events.1.iter().any(|e| matches!(e, Event::Error(_))),
        "{:?}",
        events.1
    );
    handle.abort();
}

#[tokio::test]
async fn selector_forward_follows_the_deployment_to_a_new_pod() {
    let Some(tb) = testbed() else { return };
    let context = "staging";
    let client = tb.client(context).await;
    let scratch = Scratch::new(&tb, context, format!("pf-test-{:08x}", fastrand::u32(..)));
    let ns = scratch.name.clone();
    // On the kwok nodes like the seeded workloads (the cordoned node has no pool label).
    let deployment: Deployment = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "pf", "namespace": ns, "labels": {"app": "pf"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "pf"}},
            "template": {
                "metadata": {"labels": {"app": "pf"}},
                "spec": {
                    "nodeSelector": {"flotilla.dev/pool": "kwok"},
                    "tolerations": [{"operator": "Exists"}],
                    "containers": [{
                        "name": "web",
                        "image": "nginx:1.27",
                        "ports": [{"name": "http", "containerPort": 80}]
                    }]
                }
            }
        }
    }))
    .expect("deployment");
    Api::<Deployment>::namespaced(client.clone(), &ns)
        .create(&PostParams::default(), &deployment)
        .await
        .expect("create the deployment");
    let first = ready_pod(&client, &ns, "app=pf").await;

    let (handle, mut events) = start(
        client.clone(),
        21,
        Target::Selector {
            namespace: ns.clone(),
            selector: "app=pf".into(),
        },
        any_port(),
    );
    let addr = events
        .wait("Listening", |e| match e {
            Event::Listening(a) => Some(*a),
            _ => None,
        })
        .await;
    assert_helper_answered(&get(addr, "/before").await, "/before");
    let named = events
        .wait("Pod", |e| match e {
            Event::Pod(p) => Some(p.clone()),
            _ => None,
        })
        .await;
    assert_eq!(named, first);
    // A connection left open on the first pod: it must be closed when that pod goes away.
    let mut held = TcpStream::connect(addr).await.expect("connect");
    assert_helper_answered(&get_on(&mut held, "/held").await, "/held");
    assert!(
        !closed_within(&mut held, Duration::from_secs(3)).await,
        "the held connection closed while its pod was still there"
    );
    events.clear();

    tb.kubectl_ok(
        context,
        &["-n", &ns, "delete", "pod", &first, "--wait=false"],
    );
    assert!(
        closed_within(&mut held, Duration::from_secs(20)).await,
        "the connection to the deleted pod {first} stayed open"
    );
    let second = eventually(WAIT, "a replacement pod", || {
        let client = client.clone();
        let ns = ns.clone();
        let first = first.clone();
        async move {
            let pods: Api<Pod> = Api::namespaced(client, &ns);
            let list = pods
                .list(&ListParams::default().labels("app=pf"))
                .await
                .ok()?;
            list.items
                .iter()
                .filter(|p| is_ready(p))
                .filter_map(|p| p.metadata.name.clone())
                .find(|n| *n != first)
        }
    })
    .await;
    // The user is told why their connection dropped.
    let why = events
        .wait("Error about the deleted pod", |e| match e {
            Event::Error(m) if m.contains(&first) => Some(m.clone()),
            _ => None,
        })
        .await;
    assert_eq!(
        why,
        format!("pod {first} went away; its connections were closed")
    );
    // Same local port, new pod behind it.
    assert_helper_answered(&get(addr, "/after").await, "/after");
    let named = events
        .wait("Pod for the replacement", |e| match e {
            Event::Pod(p) => Some(p.clone()),
            _ => None,
        })
        .await;
    assert_eq!(named, second);
    assert!(
        !events.1.iter().any(|e| matches!(e, Event::Stopped(_))),
        "{:?}",
        events.1
    );
    handle.abort();
}

#[tokio::test]
async fn stopping_a_forward_frees_its_port_and_closes_its_connections() {
    let Some(tb) = testbed() else { return };
    let client = tb.client("prod").await;
    let pod = ready_pod(&client, "shop", "app=web").await;
    let (handle, mut events) = start(
        client,
        31,
        Target::Pod {
            namespace: "shop".into(),
            name: pod,
        },
        any_port(),
    );
    let addr = events
        .wait("Listening", |e| match e {
            Event::Listening(a) => Some(*a),
            _ => None,
        })
        .await;
    let mut open = TcpStream::connect(addr).await.expect("connect");
    assert_helper_answered(&get_on(&mut open, "/open").await, "/open");
    handle.abort();
    assert!(handle.await.is_err_and(|e| e.is_cancelled()));
    std::net::TcpListener::bind(addr).expect("the port is free again after stopping");
    assert!(
        closed_within(&mut open, Duration::from_secs(5)).await,
        "a connection outlived its forward"
    );
}

#[tokio::test]
async fn a_port_in_use_stops_the_forward_and_names_the_address() {
    common::take_turn();
    // Binding happens before any cluster is contacted, so this needs no testbed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("local addr");
    let config = kube::Config::new("https://127.0.0.1:9".parse().expect("url"));
    let client = kube::Client::try_from(config).expect("client");
    let (handle, mut events) = start(
        client,
        41,
        Target::Selector {
            namespace: "shop".into(),
            selector: "app=web".into(),
        },
        addr,
    );
    tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .expect("the forward ends by itself")
        .expect("without panicking");
    let stopped = events
        .wait("Stopped", |e| match e {
            Event::Stopped(m) => Some(m.clone()),
            _ => None,
        })
        .await;
    assert_eq!(stopped, format!("{addr}: address in use"));
    assert_eq!(events.1.len(), 1, "nothing but Stopped: {:?}", events.1);
}
