//! `flotilla watch --notify`, the real binary, against the testbed's staging cluster and a
//! webhook receiver in this test: a new failure is sent once (not once per refresh), what
//! was broken before the watch started is not sent, the failure's end is sent once, SIGTERM
//! ends the watch with exit 0, and the webhook's token never reaches the log.

use crate::common;

use common::Isolated;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A config dir of the test's own.
fn config_dir(name: &str, config: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flotilla-notify-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("config dir");
    std::fs::write(dir.join("config.toml"), config).expect("config.toml");
    dir
}

/// (request target, body) of every POST received.
type Received = Arc<Mutex<Vec<(String, String)>>>;

/// A webhook receiver on loopback: records each POST, answers 200.
async fn receiver() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let got: Received = Arc::default();
    let seen = got.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                loop {
                    let n = s.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    let Some((head, body)) = text.split_once("\r\n\r\n") else {
                        continue;
                    };
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .and_then(|v| v.trim().parse::<usize>().ok())
                        })
                        .unwrap_or(0);
                    if body.len() < len {
                        continue;
                    }
                    let target = head.split_whitespace().nth(1).unwrap_or("").to_string();
                    seen.lock().unwrap().push((target, body.to_string()));
                    let _ = s
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                        )
                        .await;
                    return;
                }
            });
        }
    });
    (format!("http://{addr}"), got)
}

/// Every event received, batches unpacked.
fn events(got: &Received) -> Vec<Value> {
    let mut out = Vec::new();
    for (_, body) in got.lock().unwrap().iter() {
        let v: Value = serde_json::from_str(body).expect("the body is JSON");
        match v.get("events").and_then(Value::as_array) {
            Some(all) => out.extend(all.iter().cloned()),
            None => out.push(v),
        }
    }
    out
}

fn about(events: &[Value], event: &str, namespace: &str, object: &str) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e["event"] == event && e["namespace"] == namespace && e["object"] == object)
        .cloned()
        .collect()
}

/// The watch process, ended when the test ends however it ends.
struct Watch {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Watch {
    fn start(dir: &Path, args: &[&str]) -> Watch {
        let mut child = Isolated::at(dir)
            .command()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start flotilla watch");
        let lines: Arc<Mutex<Vec<String>>> = Arc::default();
        let stdout = child.stdout.take().expect("stdout");
        let into = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                eprintln!("watch: {line}");
                into.lock().unwrap().push(line);
            }
        });
        Watch { child, lines }
    }

    /// How many lines hold `text`.
    fn lines_with(&self, text: &str) -> usize {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(text))
            .count()
    }

    fn has_line(&self, words: &[&str]) -> bool {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| words.iter().all(|w| l.contains(w)))
    }

    /// SIGTERM, then the exit status within `timeout`.
    fn terminate(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        // SAFETY: signals our own child, by its pid.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn without_a_webhook_watch_says_so_and_exits_2() {
    common::take_turn();
    let dir = config_dir("none", "");
    let log = dir.join("flotilla.log");
    let out = Isolated::at(&dir)
        .command()
        .args(["watch", "--notify", "--log-file", &log.to_string_lossy()])
        .output()
        .expect("run flotilla");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("no webhook configured"), "{stderr}");
}

#[test]
fn a_bad_webhook_is_one_line_naming_it_without_its_token() {
    common::take_turn();
    let dir = config_dir(
        "bad",
        "[[notify.webhook]]\nname = \"oncall\"\nformat = \"teams\"\n\
         url = \"https://oapi.dingtalk.com/robot/send?access_token=SECRET\"\n",
    );
    let log = dir.join("flotilla.log");
    let out = Isolated::at(&dir)
        .command()
        .args(["watch", "--notify", "--log-file", &log.to_string_lossy()])
        .output()
        .expect("run flotilla");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("\"oncall\": unknown format \"teams\""),
        "{stderr}"
    );
    assert!(!stderr.contains("SECRET"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_failure_is_sent_once_and_its_end_once() {
    let Some(tb) = common::testbed() else { return };
    let (base, got) = receiver().await;
    let dir = config_dir(
        "staging",
        &format!(
            "[notify]\nquiet = \"2s\"\nbatch = \"1s\"\n\n[[notify.webhook]]\nname = \"test\"\n\
             url = \"{base}/hook?access_token=SECRET\"\nformat = \"json\"\n\
             rules = [\"pod-*\"]\ncontexts = [\"staging\"]\n"
        ),
    );
    let log = dir.join("flotilla.log");
    let kubeconfig = tb.kubeconfig.to_string_lossy().to_string();
    let mut watch = Watch::start(
        &dir,
        &[
            "--kubeconfig",
            &kubeconfig,
            "watch",
            "--notify",
            "--context",
            "staging",
            "--log-file",
            &log.to_string_lossy(),
        ],
    );
    let start = Instant::now();
    while !watch.has_line(&["ready staging", "already open"]) {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the watch never finished listing staging"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A few refreshes later, still nothing about what was broken before.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let crasher = |got: &Received| {
        events(got)
            .into_iter()
            .filter(|e| e["namespace"] == "shop" && e["object"] == "pod/crasher")
            .count()
    };
    assert_eq!(crasher(&got), 0, "seeded problems are not sent at start");

    let ns = common::Scratch::new(&tb, "staging", format!("notify-{}", std::process::id()));
    let pod = format!(
        r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"flaky","namespace":"{}","labels":{{"flotilla.dev/crashloop":"true"}}}},
        "spec":{{"containers":[{{"name":"app","image":"registry.example.com/flaky:1"}}]}}}}"#,
        ns.name
    );
    let file = dir.join("flaky.json");
    std::fs::write(&file, pod).expect("pod manifest");
    tb.kubectl_ok("staging", &["apply", "-f", &file.to_string_lossy()]);
    let sent = common::eventually(Duration::from_secs(60), "the new failure is sent", || {
        let found = about(&events(&got), "problem", &ns.name, "pod/flaky");
        async move { (!found.is_empty()).then_some(found) }
    })
    .await;
    let e = &sent[0];
    assert_eq!(e["cluster"], "staging");
    assert_eq!(e["rule"], "pod-failing");
    assert_eq!(e["severity"], "critical");
    assert!(
        e["problem"]
            .as_str()
            .is_some_and(|p| p.contains("CrashLoopBackOff")),
        "{e}"
    );
    // It holds (and its restart count climbs) over many refreshes: still one message.
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert_eq!(
        about(&events(&got), "problem", &ns.name, "pod/flaky").len(),
        1,
        "{:?}",
        got.lock().unwrap()
    );
    // A line on stdout per message: the message that carried the failure names it, or, when it
    // went in a batch with others, says how many new problems the batch held.
    let bodies: Vec<Value> = got
        .lock()
        .unwrap()
        .iter()
        .map(|(_, b)| serde_json::from_str(b).expect("the body is JSON"))
        .collect();
    let carried = bodies
        .iter()
        .find(|b| {
            let held = b["events"]
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![(*b).clone()]);
            !about(&held, "problem", &ns.name, "pod/flaky").is_empty()
        })
        .expect("the message that carried the failure");
    let line = match carried["events"].as_array() {
        Some(batch) => {
            let new = batch.iter().filter(|e| e["event"] == "problem").count();
            format!("sent test: {new} new problem")
        }
        None => format!("sent test: staging pod {}/flaky CrashLoopBackOff", ns.name),
    };
    assert!(watch.has_line(&[&line]), "{line:?} on stdout");
    assert_eq!(
        watch.lines_with("sent test:"),
        bodies.len(),
        "a line per message"
    );

    tb.kubectl_ok(
        "staging",
        &[
            "delete",
            "pod",
            "flaky",
            "-n",
            &ns.name,
            "--grace-period=0",
            "--force",
        ],
    );
    common::eventually(Duration::from_secs(60), "its end is sent", || {
        let n = about(&events(&got), "resolved", &ns.name, "pod/flaky").len();
        async move { (n > 0).then_some(()) }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let all = events(&got);
    assert_eq!(about(&all, "resolved", &ns.name, "pod/flaky").len(), 1);
    assert_eq!(about(&all, "problem", &ns.name, "pod/flaky").len(), 1);
    assert_eq!(crasher(&got), 0, "nor later");
    assert!(
        got.lock()
            .unwrap()
            .iter()
            .all(|(target, _)| target == "/hook?access_token=SECRET"),
        "the URL is used as configured"
    );

    let status = watch.terminate(Duration::from_secs(15));
    assert!(
        status.is_some_and(|s| s.success()),
        "SIGTERM ends the watch with exit 0: {status:?}"
    );
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        logged.contains("notify test"),
        "sends are logged:\n{logged}"
    );
    assert!(
        !logged.contains("SECRET"),
        "the token is not logged:\n{logged}"
    );
}
