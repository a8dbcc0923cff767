//! The audit log's promises under real faults, against the real testbed: a full disk blocks
//! a change before anything is sent (the server holds what it held), a log on a file system
//! remounted read-only opens no shell and says why, a log cut short blocks changes and the
//! header says so at the next start, flotilla killed with SIGKILL mid-drain leaves an intent
//! whose outcome `audit verify` and the next start call unknown, and a Secret's value is
//! never in the log, not even as its bare hash.

use crate::common;
use crate::harness;

use common::Testbed;
use flotilla::key::KeyCode;
use flotilla::modal::Modal;
use flotilla::ops::audit::{self, AuditLog, Record};
use harness::Harness;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);

/// A tmpfs of its own (root only, as CI runs), unmounted when dropped.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// `None` (the test skips) when it cannot be mounted here; CI must be able to.
    fn mount(name: &str, size: &str) -> Option<Tmpfs> {
        let dir = std::env::temp_dir().join(format!("flotilla-fs-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mount point");
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(&dir)
            .output()
            .expect("run mount");
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr).trim().to_string();
            assert!(
                !common::required(),
                "a tmpfs for the fault tests cannot be mounted (run as root): {why}"
            );
            eprintln!("skipping: cannot mount a tmpfs ({why})");
            return None;
        }
        Some(Tmpfs { dir })
    }

    fn log(&self) -> PathBuf {
        self.dir.join("audit.jsonl")
    }

    fn filler(&self) -> PathBuf {
        self.dir.join("filler")
    }

    /// Writes until the file system is full.
    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.filler()).expect("filler");
        let block = [0u8; 4096];
        while f.write_all(&block).and_then(|()| f.sync_data()).is_ok() {}
        // The last partial block may still fit byte by byte.
        while f.write_all(&[0]).and_then(|()| f.sync_data()).is_ok() {}
    }

    fn unfill(&self) {
        std::fs::remove_file(self.filler()).expect("remove the filler");
    }

    fn remount(&self, mode: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(&self.dir)
            .status()
            .expect("run mount")
            .success();
        assert!(ok, "remount {mode}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        let _ = std::fs::remove_dir(&self.dir);
    }
}

async fn until_flash(h: &mut Harness, needle: &str) -> String {
    let ok = h.pump_until(WAIT, |h| h.flash().contains(needle)).await;
    assert!(ok, "flash says {needle:?}:\n{}", h.screen(200, 50));
    h.flash()
}

/// A Deployment `web` of one replica in `ns` on dev, rolled out.
fn deployment(tb: &Testbed, ns: &str) {
    tb.kubectl_ok(
        "dev",
        &[
            "-n",
            ns,
            "create",
            "deployment",
            "web",
            "--image=registry.example.com/web:1",
            "--replicas=1",
        ],
    );
    tb.kubectl_ok(
        "dev",
        &["-n", ns, "rollout", "status", "deploy/web", "--timeout=60s"],
    );
}

/// What the server holds of `deploy/web`: replicas and resourceVersion.
fn held(tb: &Testbed, ns: &str) -> String {
    tb.kubectl_ok(
        "dev",
        &[
            "-n",
            ns,
            "get",
            "deploy/web",
            "-o",
            "jsonpath={.spec.replicas} {.metadata.resourceVersion}",
        ],
    )
}

/// `s` on `deploy/web`, `replicas`, Enter, and the confirmation answered.
async fn scale(h: &mut Harness, ns: &str, replicas: &str) {
    h.command(&format!("deploy {ns}"));
    let listed = h
        .pump_until(WAIT, |h| !h.lines_with(&["web", "1/1"]).is_empty())
        .await;
    assert!(listed, "{}", h.screen(200, 50));
    h.key(KeyCode::Char('s'));
    for _ in 0..10 {
        h.key(KeyCode::Backspace);
    }
    h.typed(replicas);
    h.key(KeyCode::Enter);
    let asked = matches!(h.app.modals().last(), Some(Modal::Confirm(c)) if c.title.contains("Scale deployment/web?"));
    assert!(asked, "the confirmation:\n{}", h.screen(200, 50));
    h.app.flash = None;
    h.key(KeyCode::Char('y'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_audit_disk_refuses_a_scale_and_the_server_is_unchanged() {
    let Some(tb) = common::testbed() else { return };
    let Some(fs) = Tmpfs::mount("full", "256k") else {
        return;
    };
    let ns = common::Scratch::new(&tb, "dev", format!("audit-full-{}", std::process::id()));
    deployment(&tb, &ns.name);
    // The log and its key exist, as after earlier changes; then the disk fills up.
    drop(AuditLog::open(fs.log()).expect("open"));
    fs.fill();
    let before = held(&tb, &ns.name);
    let mut h = Harness::with_audit_log(&tb.kubeconfig, &["dev"], fs.log());
    scale(&mut h, &ns.name, "4").await;
    let said = until_flash(&mut h, "not changed").await;
    assert!(
        said.contains("cannot be written") && said.contains("No space left on device"),
        "{said}"
    );
    assert_eq!(held(&tb, &ns.name), before, "nothing was sent");
    assert!(audit::read(&fs.log()).expect("read").is_empty());

    // With room again the same scale goes through, its outcome naming its intent.
    fs.unfill();
    scale(&mut h, &ns.name, "4").await;
    until_flash(&mut h, "scaled to 4").await;
    assert!(held(&tb, &ns.name).starts_with("4 "));
    let records = audit::read(&fs.log()).expect("read");
    let results: Vec<&str> = records.iter().map(|r| r.result.as_str()).collect();
    assert_eq!(results, ["intent", "ok"]);
    assert_eq!(records[1].intent.as_deref(), Some(records[0].hash.as_str()));
    assert_eq!(audit::verify(&fs.log()), Ok(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_audit_log_opens_no_shell_and_says_why() {
    let Some(tb) = common::testbed() else { return };
    let Some(fs) = Tmpfs::mount("ro", "1m") else {
        return;
    };
    drop(AuditLog::open(fs.log()).expect("open"));
    let mut h = Harness::with_audit_log(&tb.kubeconfig, &["dev"], fs.log());
    h.command("pods shop");
    h.filter("web-");
    let listed = h
        .pump_until(WAIT, |h| !h.lines_with(&["web-", "Running"]).is_empty())
        .await;
    assert!(listed, "{}", h.screen(200, 50));
    fs.remount("ro");
    // The harness fails the test on any shell it is handed: none may open.
    h.key(KeyCode::Char('s'));
    let said = until_flash(&mut h, "shell not opened").await;
    assert!(
        said.contains("audit log") && said.contains("Read-only file system"),
        "{said}"
    );
    fs.remount("rw");
    assert!(audit::read(&fs.log()).expect("read").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_cut_short_blocks_changes_and_the_header_says_so() {
    let Some(tb) = common::testbed() else { return };
    let ns = common::Scratch::new(&tb, "dev", format!("audit-cut-{}", std::process::id()));
    deployment(&tb, &ns.name);
    let dir = std::env::temp_dir().join(format!("flotilla-audit-cut-{}", std::process::id()));
    let log = dir.join("audit.jsonl");
    {
        let l = AuditLog::open(log.clone()).expect("open");
        for i in 0..3 {
            l.append(Record {
                time: format!("2026-12-01T10:0{i}:00Z"),
                action: "label".into(),
                context: "dev".into(),
                result: "ok".into(),
                ..Record::default()
            })
            .expect("append");
        }
    }
    // The last line removed by hand: what a cover-up looks like.
    let text = std::fs::read_to_string(&log).expect("read");
    let kept: Vec<&str> = text.lines().take(2).collect();
    std::fs::write(&log, format!("{}\n", kept.join("\n"))).expect("cut");

    let mut h = Harness::with_audit_log(&tb.kubeconfig, &["dev"], log.clone());
    let said = h.pump_until(WAIT, |h| h.header().contains("audit:")).await;
    let header = h.header();
    assert!(said, "{header}");
    assert!(
        header.contains("truncated?") && header.contains("flotilla audit rotate"),
        "{header}"
    );
    let before = held(&tb, &ns.name);
    scale(&mut h, &ns.name, "3").await;
    let refused = until_flash(&mut h, "not changed").await;
    assert!(refused.contains("truncated?"), "{refused}");
    assert_eq!(held(&tb, &ns.name), before, "nothing was sent");
    assert_eq!(
        std::fs::read_to_string(&log).expect("read").lines().count(),
        2
    );
    let verify = common::Isolated::new("audit-cut-verify")
        .command()
        .args(["audit", "verify"])
        .arg(&log)
        .output()
        .expect("verify");
    assert_eq!(verify.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_value_is_never_in_the_log_not_even_as_its_hash() {
    let Some(tb) = common::testbed() else { return };
    let ns = common::Scratch::new(&tb, "dev", format!("audit-secret-{}", std::process::id()));
    let dir = std::env::temp_dir().join(format!("flotilla-audit-secret-{}", std::process::id()));
    let log = dir.join("audit.jsonl");
    let mut h = Harness::with_audit_log(&tb.kubeconfig, &["dev"], log.clone());
    let connected = h
        .pump_until(WAIT, |h| {
            h.app
                .store
                .clusters
                .by_context("dev")
                .is_some_and(|s| s.connected && !s.resources.is_empty())
        })
        .await;
    assert!(connected);
    h.command(&format!("create secret creds -n {} password", ns.name));
    let asked = h
        .pump_until(WAIT, |h| h.app.modals().next().is_some())
        .await;
    assert!(asked, "{}", h.screen(200, 50));
    h.typed("hunter2");
    h.key(KeyCode::Enter);
    let ready = h
        .pump_until(WAIT, |h| h.screen(200, 50).contains("enter creates"))
        .await;
    assert!(ready, "{}", h.screen(200, 50));
    h.key(KeyCode::Enter);
    h.key(KeyCode::Char('y'));
    let created = h
        .pump_until(WAIT, |_| {
            audit::read(&log).is_ok_and(|r| r.iter().any(|r| r.result == "ok"))
        })
        .await;
    assert!(created, "{}", h.screen(200, 50));
    assert_eq!(
        tb.kubectl_ok(
            "dev",
            &[
                "-n",
                &ns.name,
                "get",
                "secret",
                "creds",
                "-o",
                "jsonpath={.data.password}"
            ]
        ),
        "aHVudGVyMg=="
    );
    let text = std::fs::read_to_string(&log).expect("read the log");
    for value in ["hunter2", "aHVudGVyMg=="] {
        assert!(!text.contains(value), "{value} in the log: {text}");
        let digest = flotilla::files::sha256_hex(value.as_bytes());
        assert!(
            !text.contains(&digest),
            "the bare SHA-256 of {value} in the log: {text}"
        );
    }
    assert!(text.contains("hmac-sha256:"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The pid of the flotilla whose command line holds `marker`.
fn pid_of(marker: &str) -> Option<i32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: i32 = e.file_name().to_str()?.parse().ok()?;
        let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
        let cmd = String::from_utf8_lossy(&cmd);
        let argv0 = cmd.split('\0').next()?;
        (argv0.ends_with("/flotilla") && cmd.contains(marker)).then_some(pid)
    })
}

/// A tmux server of its own with one 140×40 pane running `command`; killed on drop.
struct Tmux(String);

impl Tmux {
    fn start(name: &str, command: &str) -> Tmux {
        let t = Tmux(format!("flotilla-audit-{name}-{}", std::process::id()));
        let ok = t
            .run(&[
                "new-session",
                "-d",
                "-x",
                "140",
                "-y",
                "40",
                "sh",
                "-c",
                command,
            ])
            .status
            .success();
        assert!(ok, "tmux new-session");
        t
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.0)
            .args(args)
            .output()
            .expect("tmux runs (apt-get install tmux)")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-J"]).stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend(keys);
        self.run(&args);
    }

    fn wait_for(&self, text: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) || start.elapsed() > timeout {
                return s;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

/// A kwok node of the test's own (tainted: nothing else lands on it) with `pods` pods on it
/// that a PodDisruptionBudget keeps from being evicted, so a drain of it waits; the node and
/// namespace go when dropped.
struct Blocked {
    node: String,
    ns: String,
    _cleanup: common::Cleanup,
}

impl Blocked {
    fn new(tb: &Testbed, pods: usize) -> Blocked {
        let node = format!("audit-drain-{}", std::process::id());
        let manifest = std::env::temp_dir().join(format!("{node}.yaml"));
        std::fs::write(
            &manifest,
            format!(
                "apiVersion: v1\nkind: Node\nmetadata:\n  name: {node}\n  annotations: {{kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: \"0\"}}\n  labels: {{kubernetes.io/hostname: {node}, kubernetes.io/os: linux, type: kwok}}\nspec:\n  taints: [{{key: flotilla.dev/audit-test, value: \"yes\", effect: NoSchedule}}]\nstatus:\n  allocatable: {{cpu: \"16\", memory: 64Gi, pods: \"110\"}}\n  capacity: {{cpu: \"16\", memory: 64Gi, pods: \"110\"}}\n"
            ),
        )
        .expect("node manifest");
        let mut cleanup = common::Cleanup::new(tb);
        tb.kubectl_ok("dev", &["apply", "-f", &manifest.to_string_lossy()]);
        cleanup.delete("dev", &["node", &node]);
        let _ = std::fs::remove_file(&manifest);
        cleanup.namespace("dev", &node);
        let b = Blocked {
            ns: node.clone(),
            node,
            _cleanup: cleanup,
        };
        let deploy = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: held, namespace: {ns}}}\nspec:\n  replicas: {pods}\n  selector: {{matchLabels: {{app: held}}}}\n  template:\n    metadata: {{labels: {{app: held}}}}\n    spec:\n      nodeName: {node}\n      containers: [{{name: app, image: registry.example.com/held:1}}]\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: held, namespace: {ns}}}\nspec:\n  minAvailable: {pods}\n  selector: {{matchLabels: {{app: held}}}}\n",
            ns = b.ns,
            node = b.node,
        );
        let path = std::env::temp_dir().join(format!("{}-held.yaml", b.node));
        std::fs::write(&path, deploy).expect("manifest");
        tb.kubectl_ok("dev", &["apply", "-f", &path.to_string_lossy()]);
        let _ = std::fs::remove_file(&path);
        tb.kubectl_ok(
            "dev",
            &[
                "-n",
                &b.ns,
                "rollout",
                "status",
                "deploy/held",
                "--timeout=60s",
            ],
        );
        b
    }
}

/// flotilla on dev's nodes in its own config and state (its log is `iso`'s audit.jsonl), as
/// a tmux pane's command line; `--log-file` under `iso` marks its command line.
fn flotilla_in_tmux(kubeconfig: &Path, iso: &common::Isolated) -> String {
    format!(
        "{} --kubeconfig '{}' --context dev --log-file '{}' -c nodes",
        iso.shell_command(&[("TERM", "xterm-256color")]),
        kubeconfig.display(),
        iso.path("flotilla.log").display(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flotilla_killed_mid_drain_leaves_an_intent_whose_outcome_is_unknown() {
    let Some(tb) = common::testbed() else { return };
    let blocked = Blocked::new(&tb, 3);
    let iso = common::Isolated::new("audit-kill");
    let log = iso.path("audit.jsonl");
    let marker = iso.path("flotilla.log").display().to_string();
    let t = Tmux::start("kill", &flotilla_in_tmux(&tb.kubeconfig, &iso));
    let s = t.wait_for(&blocked.node, WAIT);
    assert!(s.contains(&blocked.node), "{s}");
    t.keys(&["/", &blocked.node, "Enter"]);
    t.wait_for(&format!("</{}>", blocked.node), WAIT);
    // r on a node drains it: a form of four fields (Enter moves on, then submits), then the
    // confirmation.
    t.keys(&["r"]);
    let s = t.wait_for("Drain", WAIT);
    assert!(s.contains("Drain"), "{s}");
    t.keys(&["Enter", "Enter", "Enter", "Enter"]);
    let asked = format!("Drain node/{}?", blocked.node);
    let s = t.wait_for(&asked, WAIT);
    assert!(s.contains(&asked), "{s}");
    t.keys(&["y"]);
    // The intent is written before the first request; evictions then wait on the PDB.
    let start = Instant::now();
    while !audit::read(&log).is_ok_and(|r| r.iter().any(|r| r.result == audit::INTENT)) {
        assert!(start.elapsed() < WAIT, "no intent written:\n{}", t.screen());
        std::thread::sleep(Duration::from_millis(100));
    }
    let s = t.wait_for("evict", WAIT);
    assert!(
        s.to_lowercase().contains("evict"),
        "the drain is under way:\n{s}"
    );
    let pid = pid_of(&marker).expect("flotilla's pid");
    // SAFETY: kill sends a signal; the pid is flotilla's, found above.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    std::thread::sleep(Duration::from_millis(500));

    let records = audit::read(&log).expect("read");
    let intents: Vec<&Record> = records
        .iter()
        .filter(|r| r.result == audit::INTENT)
        .collect();
    assert_eq!(intents.len(), 1, "{records:#?}");
    assert_eq!(intents[0].action, "drain");
    assert_eq!(intents[0].target.name, blocked.node);
    let open = audit::unanswered(&audit::read_verified(&log).expect("read").0);
    assert_eq!(open.len(), 1, "no outcome for the drain: {records:#?}");

    let verify = iso
        .command()
        .args(["audit", "verify"])
        .output()
        .expect("verify");
    let err = String::from_utf8_lossy(&verify.stderr);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "a warning, not a break: {err}"
    );
    assert!(
        err.contains("outcome unknown: drain Node") && err.contains(&blocked.node),
        "{err}"
    );

    // The next start says so in the header, until :audit has been looked at.
    drop(t);
    let t = Tmux::start("restart", &flotilla_in_tmux(&tb.kubeconfig, &iso));
    let s = t.wait_for("outcome unknown", WAIT);
    assert!(
        s.contains("audit: outcome unknown") && s.contains(&blocked.node),
        "{s}"
    );
    t.keys(&[":", "audit", "Enter"]);
    let s = t.wait_for("1 outcome unknown", WAIT);
    assert!(
        s.contains("1 outcome unknown"),
        "the audit view names it:\n{s}"
    );
    t.keys(&["Escape"]);
    let start = Instant::now();
    while t.screen().contains("audit: outcome unknown") {
        assert!(
            start.elapsed() < WAIT,
            "the header still says it:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let acknowledged = audit::read_verified(&log).expect("read").0;
    assert!(audit::unanswered(&acknowledged)[0].acknowledged);
    drop(t);
    let _ = std::fs::remove_dir_all(&iso.root);
}

/// An import writes its intent before it saves anything: on a full audit disk nothing is
/// saved, and no "ok" is recorded. (The contexts refuse: `--force` saves them anyway, so no
/// cluster is needed.)
#[test]
fn a_full_audit_disk_leaves_no_context_imported() {
    let Some(fs) = Tmpfs::mount("ctx-import", "512k") else {
        return;
    };
    let iso = common::Isolated::new("audit-ctx-import");
    let kubeconfig = |name: &str| {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: \"https://127.0.0.1:9\"}}\n\
             users:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: {name}\n  context: {{cluster: c, user: u}}\n"
        )
    };
    let add = |name: &str| {
        use std::io::Write;
        let mut child = iso
            .command()
            .env("FLOTILLA_AUDIT_LOG", fs.log())
            .args(["ctx", "add", "-", "--force"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run flotilla");
        if let Some(mut pipe) = child.stdin.take() {
            pipe.write_all(kubeconfig(name).as_bytes()).expect("stdin");
        }
        child.wait_with_output().expect("flotilla ends")
    };
    // The log exists and holds the first import.
    let out = add("first");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(iso.path("contexts/first.yaml").exists());
    fs.fill();
    let out = add("second");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("nothing imported") && stderr.contains("audit log"),
        "{stderr}"
    );
    assert!(
        !iso.path("contexts/second.yaml").exists(),
        "nothing saved without its intent"
    );
    fs.unfill();
    // The second's intent may have reached the file before the disk refused the rest: then
    // it stays unanswered (an unknown outcome), never an "ok" for what was not imported.
    let records = audit::read(&fs.log()).expect("the audit log");
    let added: Vec<&str> = records
        .iter()
        .filter(|r| r.result == "ok")
        .map(|r| r.context.as_str())
        .collect();
    assert_eq!(added, ["first"], "{records:#?}");
}
