//! The real binary in a real terminal (tmux): a panic in any task ends flotilla with the
//! terminal restored; SIGTERM and SIGHUP restore it too, and end flotilla within 2 s by the
//! signal even while a shell session or `$EDITOR` has the terminal (the child is ended, the
//! edited file removed); `$EDITOR` gets the terminal (cooked, main screen) and flotilla comes
//! back exactly as it was. Every run has its own config and state directories, never the
//! user's. What a person at the keyboard sees is read with `capture-pane`, the terminal state
//! with `stty` and tmux's alternate-screen flag.

use crate::common;

use common::Isolated;
use serde_json::json;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How soon flotilla ends on SIGTERM or SIGHUP, whatever has the terminal.
const EXIT_WITHIN: Duration = Duration::from_secs(2);

/// A tmux server of its own, with one pane running `script`; killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, script: &str) -> Tmux {
        let socket = format!("flotilla-{name}-{}", std::process::id());
        let t = Tmux { socket };
        let ok = t
            .tmux(&[
                "new-session",
                "-d",
                "-x",
                "110",
                "-y",
                "30",
                "sh",
                "-c",
                script,
            ])
            .status
            .success();
        assert!(ok, "tmux new-session");
        t
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs (install it: apt-get install tmux)")
    }

    /// The visible screen and the main screen's scrollback.
    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-J", "-S", "-"]).stdout)
            .into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend(keys);
        self.tmux(&args);
    }

    fn alternate_screen(&self) -> bool {
        String::from_utf8_lossy(&self.tmux(&["display", "-p", "#{alternate_on}"]).stdout).trim()
            == "1"
    }

    /// Waits until the screen contains `text`; the screen either way.
    fn wait_for(&self, text: &str, timeout: Duration) -> (bool, String) {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) {
                return (true, s);
            }
            if start.elapsed() > timeout {
                return (false, s);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The pid of flotilla: the child of the pane's shell.
    fn flotilla_pid(&self) -> Option<String> {
        let shell = String::from_utf8_lossy(&self.tmux(&["display", "-p", "#{pane_pid}"]).stdout)
            .trim()
            .to_string();
        let children =
            std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).ok()?;
        children.split_whitespace().next().map(str::to_string)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

fn scratch(name: &str) -> Isolated {
    Isolated::new(&format!("term-{name}"))
}

/// A kubeconfig whose one context points at a port nobody listens on.
fn nowhere(dir: &Path) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:9\"}\n\
         users:\n- name: u\n  user: {token: t}\ncontexts:\n- name: nowhere\n  context: {cluster: c, user: u}\n\
         current-context: nowhere\n",
    )
    .expect("write kubeconfig");
    path
}

/// Runs flotilla in `iso` with `env` added, then reports how it exited and the terminal's
/// mode afterwards.
fn script(iso: &Isolated, env: &[(&str, &str)], args: &str) -> String {
    format!(
        "{} {args}; echo \"EXIT=$?\"; echo \"TTY: $(stty -a | tr ' ' '\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' ')\"; sleep 60",
        iso.shell_command(env)
    )
}

/// Sends `signal` (TERM, HUP) to flotilla, then waits for its exit line: `EXIT=128+n`, the
/// shell's way of saying the signal ended it, within [`EXIT_WITHIN`] and without a key pressed.
fn signal_and_expect_exit(t: &Tmux, signal: &str) {
    let pid = t
        .flotilla_pid()
        .expect("flotilla runs under the pane's shell");
    let sent = Instant::now();
    let killed = Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let (ended, screen) = t.wait_for("EXIT=", EXIT_WITHIN);
    let took = sent.elapsed();
    assert!(
        ended,
        "SIG{signal}: flotilla still runs after {took:?}:\n{screen}"
    );
    let code = match signal {
        "TERM" => "EXIT=143",
        "HUP" => "EXIT=129",
        other => panic!("no exit code known for SIG{other}"),
    };
    assert!(
        screen.contains(code),
        "SIG{signal} ends flotilla by it:\n{screen}"
    );
}

/// Whether a process is still there (a zombie is not).
fn alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(')')
            .next()
            .is_some_and(|s| !s.trim_start().starts_with('Z'))
    })
}

/// After flotilla exited: cooked mode with echo, main screen.
fn assert_restored(t: &Tmux) {
    let (done, screen) = t.wait_for("TTY:", Duration::from_secs(5));
    assert!(done, "{screen}");
    assert!(
        screen.contains("icanon echo") && !screen.contains("-icanon"),
        "cooked mode with echo again:\n{screen}"
    );
    assert!(!t.alternate_screen(), "back on the main screen:\n{screen}");
}

#[test]
fn a_panic_in_a_background_task_ends_flotilla_with_the_terminal_restored() {
    common::take_turn();
    let iso = scratch("panic");
    let kc = nowhere(&iso.root);
    let t = Tmux::start(
        "panic",
        &script(
            &iso,
            &[("FLOTILLA_DEBUG_PANIC", "1500")],
            &format!("--kubeconfig {}", kc.display()),
        ),
    );
    let (up, screen) = t.wait_for("flotilla", Duration::from_secs(10));
    assert!(up, "{screen}");
    let (ended, screen) = t.wait_for("EXIT=", Duration::from_secs(15));
    assert!(ended, "flotilla ends instead of drawing on:\n{screen}");
    assert!(screen.contains("EXIT=101"), "{screen}");
    assert!(
        screen.contains("a background task panicked on purpose"),
        "the panic message is printed:\n{screen}"
    );
    assert_restored(&t);
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    common::take_turn();
    for signal in ["TERM", "HUP"] {
        let iso = scratch(&signal.to_lowercase());
        let kc = nowhere(&iso.root);
        let t = Tmux::start(
            &signal.to_lowercase(),
            &script(&iso, &[], &format!("--kubeconfig {}", kc.display())),
        );
        let (up, screen) = t.wait_for("nowhere", Duration::from_secs(10));
        assert!(up && t.alternate_screen(), "{screen}");
        signal_and_expect_exit(&t, signal);
        assert_restored(&t);
    }
}

/// Where flotilla keeps its state for the user running the tests (`~/.local/state/flotilla`).
fn users_state_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/state")))?;
    Some(base.join("flotilla"))
}

/// Every file under `dir` with its size and modification time.
fn files(dir: &Path) -> Vec<(PathBuf, u64, Option<std::time::SystemTime>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let Ok(meta) = e.metadata() else { continue };
        if meta.is_dir() {
            out.extend(files(&e.path()));
        } else {
            out.push((e.path(), meta.len(), meta.modified().ok()));
        }
    }
    out.sort();
    out
}

#[test]
fn a_run_reads_its_own_config_and_leaves_the_users_state_alone() {
    common::take_turn();
    let users = users_state_dir().expect("HOME is set");
    let before = files(&users);
    let iso = scratch("own");
    // Read-only mode shows in the header: the config read is this one.
    std::fs::write(iso.path("config.toml"), "read-only = true\n").expect("config");
    let kc = nowhere(&iso.root);
    // No --log-file: the log goes to the state dir, which must be the test's own.
    let t = Tmux::start(
        "own",
        &script(&iso, &[], &format!("--kubeconfig {}", kc.display())),
    );
    let (up, screen) = t.wait_for("READ-ONLY", Duration::from_secs(10));
    assert!(up, "the test's config.toml is read:\n{screen}");
    t.keys(&["q"]);
    let (ended, screen) = t.wait_for("EXIT=0", Duration::from_secs(10));
    assert!(ended, "{screen}");
    let log = std::fs::read_to_string(iso.state_dir().join("flotilla.log")).unwrap_or_default();
    assert!(
        log.contains("starting with contexts [\"nowhere\"]"),
        "flotilla logged into the test's own state dir: {log:?}"
    );
    assert_eq!(
        files(&users),
        before,
        "{} is left as it was",
        users.display()
    );
}

/// Runs flotilla on dev's deployments in `shop` with `$EDITOR` external, then opens `cart`
/// in the editor.
fn edit_cart(iso: &Isolated, tb: &common::Testbed, name: &str, editor: &Path) -> Tmux {
    std::fs::write(iso.path("config.toml"), "editor = \"external\"\n").expect("config");
    let t = Tmux::start(
        name,
        &script(
            iso,
            &[("EDITOR", &editor.display().to_string())],
            &format!(
                "--kubeconfig {} --context dev -c 'deploy shop'",
                tb.kubeconfig.display()
            ),
        ),
    );
    let (listed, screen) = t.wait_for("cart", Duration::from_secs(30));
    assert!(listed, "{screen}");
    t.keys(&["/", "cart", "Enter"]);
    let (filtered, screen) = t.wait_for("</cart>", Duration::from_secs(5));
    assert!(filtered, "{screen}");
    t.keys(&["e"]);
    t
}

/// An executable script at `path`.
fn write_script(path: &Path, body: &str) {
    std::fs::write(path, body).expect("write script");
    let ok = Command::new("chmod")
        .args(["+x", &path.display().to_string()])
        .status()
        .expect("chmod");
    assert!(ok.success());
}

/// Waits for a file a child writes, and returns its first line.
fn written(path: &Path, timeout: Duration) -> Option<String> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if let Some(line) = text.lines().next().filter(|l| !l.trim().is_empty()) {
            return Some(line.trim().to_string());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

#[test]
fn the_editor_gets_the_terminal_and_flotilla_comes_back() {
    let Some(tb) = common::testbed() else { return };
    let iso = scratch("editor");
    // The "editor" records the terminal it was given, then changes the replica count.
    let editor = iso.path("edit.sh");
    let seen = iso.path("seen");
    write_script(
        &editor,
        &format!(
            "#!/bin/sh\nstty -a > {seen}\ntty >> {seen}\nsed -i 's/replicas: 2$/replicas: 7/' \"$1\"\n",
            seen = seen.display()
        ),
    );
    let t = edit_cart(&iso, &tb, "editor", &editor);
    let (edited, screen) = t.wait_for("+   replicas: 7", Duration::from_secs(20));
    assert!(edited, "{screen}");
    assert!(screen.contains("+   replicas: 7"), "{screen}");
    assert!(screen.contains("-   replicas: 2"), "{screen}");
    assert!(t.alternate_screen(), "flotilla took the screen back");
    let seen = std::fs::read_to_string(&seen).expect("the editor ran");
    assert!(
        seen.contains(" icanon") && seen.contains("/dev/pts/"),
        "the editor got a cooked terminal: {seen}"
    );
    // Back to the list, exactly as it was.
    // Esc: the edit goes on in the in-app buffer; esc again and y throw it away.
    t.keys(&["Escape"]);
    let (buffer, screen) = t.wait_for("back from $EDITOR", Duration::from_secs(10));
    assert!(buffer, "{screen}");
    t.keys(&["Escape"]);
    let (asked, screen) = t.wait_for("Discard your changes", Duration::from_secs(10));
    assert!(asked, "{screen}");
    t.keys(&["y"]);
    let (yaml, screen) = t.wait_for("<e> edit", Duration::from_secs(10));
    assert!(yaml, "{screen}");
    t.keys(&["Escape"]);
    let (back, screen) = t.wait_for("deployments(shop)", Duration::from_secs(5));
    assert!(back && screen.contains("● dev"), "{screen}");
    let replicas = tb.kubectl_ok(
        "dev",
        &[
            "-n",
            "shop",
            "get",
            "deploy",
            "cart",
            "-o",
            "jsonpath={.spec.replicas}",
        ],
    );
    assert_eq!(replicas, "2", "nothing was applied");
    t.keys(&["q"]);
    let (ended, screen) = t.wait_for("EXIT=", Duration::from_secs(10));
    assert!(ended && screen.contains("EXIT=0"), "{screen}");
    assert_restored(&t);
}

/// An "editor" that notes its pid, the file it was given and what the file holds, touches
/// `then` (if any), and waits as a person would, in raw mode as full-screen editors put the
/// terminal.
fn waiting_editor(iso: &Isolated, then: Option<&Path>) -> PathBuf {
    let editor = iso.path("wait.sh");
    let touch = then
        .map(|p| format!("touch {}\n", p.display()))
        .unwrap_or_default();
    write_script(
        &editor,
        &format!(
            "#!/bin/sh\necho $$ > {pid}\ncp \"$1\" {copy}\necho \"$1\" > {file}\nstty raw -echo\n{touch}exec sleep 600\n",
            pid = iso.path("editor.pid").display(),
            copy = iso.path("editor.copy").display(),
            file = iso.path("editor.file").display(),
        ),
    );
    editor
}

/// The editor's pid and file once it runs (the file held the object).
fn editing(t: &Tmux, iso: &Isolated) -> (String, PathBuf) {
    let file = written(&iso.path("editor.file"), Duration::from_secs(20))
        .unwrap_or_else(|| panic!("the editor runs:\n{}", t.screen()));
    let pid = written(&iso.path("editor.pid"), Duration::from_secs(5)).expect("its pid");
    let text = std::fs::read_to_string(iso.path("editor.copy")).unwrap_or_default();
    assert!(text.contains("name: cart"), "{file}: {text}");
    (pid, PathBuf::from(file))
}

/// After flotilla ended during an edit: the editor is gone, and so is its file's directory.
fn assert_edit_ended(pid: &str, file: &Path) {
    assert!(!alive(pid), "the editor ({pid}) was ended");
    let dir = file.parent().expect("the file's directory");
    assert!(!file.exists(), "{} is removed", file.display());
    assert!(!dir.exists(), "{} is removed", dir.display());
}

#[test]
fn sigterm_and_sighup_during_an_edit_end_the_editor_and_remove_its_file() {
    let Some(tb) = common::testbed() else { return };
    for signal in ["TERM", "HUP"] {
        let name = format!("edit-{}", signal.to_lowercase());
        let iso = scratch(&name);
        let editor = waiting_editor(&iso, None);
        let t = edit_cart(&iso, &tb, &name, &editor);
        let (pid, file) = editing(&t, &iso);
        signal_and_expect_exit(&t, signal);
        assert_restored(&t);
        assert_edit_ended(&pid, &file);
    }
}

#[test]
fn a_panic_during_an_edit_ends_the_editor_and_removes_its_file() {
    let Some(tb) = common::testbed() else { return };
    let iso = scratch("edit-panic");
    let trigger = iso.path("panic-now");
    let editor = waiting_editor(&iso, Some(&trigger));
    std::fs::write(iso.path("config.toml"), "editor = \"external\"\n").expect("config");
    let trigger = trigger.display().to_string();
    let t = Tmux::start(
        "edit-panic",
        &script(
            &iso,
            &[
                ("EDITOR", &editor.display().to_string()),
                ("FLOTILLA_DEBUG_PANIC", &trigger),
            ],
            &format!(
                "--kubeconfig {} --context dev -c 'deploy shop'",
                tb.kubeconfig.display()
            ),
        ),
    );
    let (listed, screen) = t.wait_for("cart", Duration::from_secs(30));
    assert!(listed, "{screen}");
    t.keys(&["/", "cart", "Enter"]);
    let (filtered, screen) = t.wait_for("</cart>", Duration::from_secs(5));
    assert!(filtered, "{screen}");
    t.keys(&["e"]);
    let (pid, file) = editing(&t, &iso);
    let (ended, screen) = t.wait_for("EXIT=", Duration::from_secs(10));
    assert!(ended, "the panic ends flotilla:\n{screen}");
    assert!(screen.contains("EXIT=101"), "{screen}");
    assert_restored(&t);
    assert_edit_ended(&pid, &file);
}

/// Runs flotilla on dev's pods in `shop` and opens a shell in a `web` pod.
fn shell_in_web(iso: &Isolated, tb: &common::Testbed, name: &str) -> Tmux {
    let t = Tmux::start(
        name,
        &script(
            iso,
            &[],
            &format!(
                "--kubeconfig {} --context dev -c 'pods shop'",
                tb.kubeconfig.display()
            ),
        ),
    );
    let (listed, screen) = t.wait_for("crasher", Duration::from_secs(30));
    assert!(listed, "{screen}");
    t.keys(&["/", "web-", "Enter"]);
    let (filtered, screen) = t.wait_for("</web->", Duration::from_secs(5));
    assert!(filtered, "{screen}");
    t.keys(&["s"]);
    let (banner, screen) = t.wait_for("exit to return", Duration::from_secs(20));
    assert!(banner, "the session says where it is:\n{screen}");
    t
}

#[test]
fn a_shell_in_a_container_gets_the_terminal_and_flotilla_comes_back() {
    let Some(tb) = common::testbed() else { return };
    let iso = scratch("shell");
    let t = shell_in_web(&iso, &tb, "shell");
    let screen = t.screen();
    assert!(
        !t.alternate_screen(),
        "the shell has the main screen:\n{screen}"
    );
    // The testbed's exec runs the shell on this machine, with FLOTILLA_TESTBED=1. (Its fake
    // kubelet may drop the last output of a process that exits at once: hence the pause.)
    t.keys(&["echo hi-from-$FLOTILLA_TESTBED; sleep 1; exit", "Enter"]);
    let (back, screen) = t.wait_for("pods(shop)", Duration::from_secs(20));
    assert!(back, "flotilla is back after exit:\n{screen}");
    assert!(t.alternate_screen(), "flotilla took the screen back");
    assert!(
        screen.contains("</web->") && screen.contains("● dev"),
        "the same list, filter and all:\n{screen}"
    );
    // The shell's output went to the terminal while it had it.
    let log = std::fs::read_to_string(iso.state_dir().join("flotilla.log")).unwrap_or_default();
    assert!(log.contains("starting with contexts"), "{log}");
    assert!(!log.contains("panic"), "{log}");
    t.keys(&["q"]);
    let (ended, screen) = t.wait_for("EXIT=0", Duration::from_secs(10));
    assert!(ended, "{screen}");
    assert!(
        screen.contains("hi-from-1"),
        "the shell's output is in the scrollback:\n{screen}"
    );
    assert_restored(&t);
}

/// Ends a process the testbed started for a test (an interactive shell ignores SIGTERM).
struct Hangup(String);

impl Drop for Hangup {
    fn drop(&mut self) {
        for signal in ["-HUP", "-KILL"] {
            let _ = Command::new("kill").args([signal, &self.0]).status();
        }
    }
}

#[test]
fn sigterm_and_sighup_during_a_shell_session_end_it_and_flotilla() {
    let Some(tb) = common::testbed() else { return };
    for signal in ["TERM", "HUP"] {
        let name = format!("shell-{}", signal.to_lowercase());
        let iso = scratch(&name);
        let t = shell_in_web(&iso, &tb, &name);
        // The remote shell (run on this machine by the testbed) says who it is, then waits
        // for input, as a person's shell does. The testbed's kubelet keeps it running when
        // the session's connection closes (with kubectl too), so the test ends it.
        let pid_file = iso.path("remote.pid");
        t.keys(&[&format!("echo $$ > {}", pid_file.display()), "Enter"]);
        let remote = written(&pid_file, Duration::from_secs(20))
            .unwrap_or_else(|| panic!("the remote shell ran:\n{}", t.screen()));
        let _remote = Hangup(remote);
        signal_and_expect_exit(&t, signal);
        assert_restored(&t);
    }
}

// ---- debug containers and node shells --------------------------------------------------------

/// The testbed's working directory: kwok's exec dir (where the testbed's `nsenter` writes what
/// it was called with) and the file an attach follows.
fn testbed_work(tb: &common::Testbed) -> PathBuf {
    tb.kubeconfig
        .parent()
        .expect("the kubeconfig is in the testbed's directory")
        .to_path_buf()
}

fn kubectl_json(tb: &common::Testbed, args: &[&str]) -> serde_json::Value {
    let out = tb.kubectl_ok("dev", &[args, &["-o", "json"]].concat());
    serde_json::from_str(&out).expect("kubectl prints JSON")
}

/// The node shell pods on dev (in `default`, where they are made), by name.
fn node_shell_pods(tb: &common::Testbed) -> Vec<String> {
    let list = kubectl_json(
        tb,
        &[
            "get",
            "pods",
            "-n",
            "default",
            "-l",
            flotilla::debug::NODE_SHELL_LABEL,
        ],
    );
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["metadata"]["name"].as_str().map(str::to_string))
        .collect()
}

/// Waits until pod `name` is gone from `default` on dev.
fn gone(tb: &common::Testbed, name: &str, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if !node_shell_pods(tb).iter().any(|p| p == name) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

/// The name of the node shell pod the screen says is starting.
fn pod_named(screen: &str) -> String {
    let starting = "starting node shell pod default/";
    let at = screen
        .find(starting)
        .unwrap_or_else(|| panic!("a node shell pod is named:\n{screen}"));
    screen[at + starting.len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// flotilla on dev's nodes, a node shell on `node` confirmed: the pod's name once the shell
/// runs.
fn node_shell(iso: &Isolated, tb: &common::Testbed, name: &str, node: &str) -> (Tmux, String) {
    let args = format!(
        "--kubeconfig {} --context dev -c nodes",
        tb.kubeconfig.display()
    );
    let t = Tmux::start(name, &script(iso, &[], &args));
    let (listed, screen) = t.wait_for(node, Duration::from_secs(30));
    assert!(listed, "{screen}");
    t.keys(&["/", node, "Enter"]);
    let (filtered, screen) = t.wait_for(&format!("</{node}>"), Duration::from_secs(5));
    assert!(filtered, "{screen}");
    t.keys(&["s"]);
    let (asked, screen) = t.wait_for("This creates a privileged pod", Duration::from_secs(10));
    assert!(asked, "the confirmation says what it makes:\n{screen}");
    assert!(
        screen.contains("Open a node-shell session?")
            && screen.contains("nsenter -t 1 -m -u -i -n -p -- sh")
            && screen.contains("It is deleted when the shell ends."),
        "{screen}"
    );
    t.keys(&["y"]);
    let (opened, screen) = t.wait_for("exit to return", Duration::from_secs(30));
    assert!(opened, "the node shell opens:\n{screen}");
    let pod = pod_named(&screen);
    (t, pod)
}

/// `b` on a pod: a debug container of the configured image is added to the pod's ephemeral
/// containers, sharing the chosen container's processes, and attached to; Ctrl-] gives the
/// terminal back. The server holds the container, the audit log the session.
#[test]
fn a_debug_container_is_added_to_the_pod_and_attached() {
    let Some(tb) = common::testbed() else { return };
    let iso = scratch("debug");
    let ns = common::Scratch::new(&tb, "dev", format!("term-debug-{}", std::process::id()));
    tb.kubectl_ok(
        "dev",
        &[
            "-n",
            &ns.name,
            "run",
            "quiet",
            "--image=registry.example.com/distroless:1",
        ],
    );
    tb.kubectl_ok(
        "dev",
        &[
            "-n",
            &ns.name,
            "wait",
            "--for=condition=Ready",
            "pod/quiet",
            "--timeout=60s",
        ],
    );
    let args = format!(
        "--kubeconfig {} --context dev -c 'pods {}'",
        tb.kubeconfig.display(),
        ns.name
    );
    let t = Tmux::start("debug", &script(&iso, &[], &args));
    let (listed, screen) = t.wait_for("quiet", Duration::from_secs(30));
    assert!(listed, "{screen}");
    t.keys(&["b"]);
    let (form, screen) = t.wait_for(
        "Debug container in pod/quiet on dev",
        Duration::from_secs(10),
    );
    assert!(form, "{screen}");
    assert!(
        screen.contains("busybox:1.36") && screen.contains("share processes with container"),
        "the image and the target, prefilled:\n{screen}"
    );
    t.keys(&["Enter", "Enter"]);
    let (attached, screen) = t.wait_for("Ctrl-] to detach", Duration::from_secs(30));
    assert!(attached, "the debug container is attached to:\n{screen}");
    assert!(
        screen.contains("adding debug container debugger-"),
        "{screen}"
    );
    // The testbed's attach follows a file: a line written now reaches this terminal.
    let line = format!("said-through-attach-{}", std::process::id());
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(testbed_work(&tb).join("logs/attach.log"))
        .expect("the testbed's attach file");
    use std::io::Write;
    writeln!(log, "{} stdout F {line}", jiff::Timestamp::now()).expect("append");
    let (streamed, screen) = t.wait_for(&line, Duration::from_secs(10));
    assert!(streamed, "the attach streams:\n{screen}");
    t.keys(&["C-]"]);
    let (back, screen) = t.wait_for(
        &format!("debug session in dev/{}/quiet ended", ns.name),
        Duration::from_secs(10),
    );
    assert!(back, "flotilla is back, saying how it ended:\n{screen}");
    assert!(t.alternate_screen());

    let pod = kubectl_json(&tb, &["-n", &ns.name, "get", "pod", "quiet"]);
    let debug = &pod["spec"]["ephemeralContainers"][0];
    assert_eq!(debug["image"], "busybox:1.36", "{pod}");
    assert_eq!(debug["targetContainerName"], "quiet", "{pod}");
    assert_eq!(
        (&debug["stdin"], &debug["tty"]),
        (&json!(true), &json!(true))
    );
    assert!(
        debug["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("debugger-")),
        "{debug}"
    );
    let records = flotilla::ops::audit::read(&iso.path("audit.jsonl")).expect("the audit log");
    let debug: Vec<_> = records.iter().filter(|r| r.action == "debug").collect();
    assert_eq!(debug.len(), 2, "its intent, then its outcome: {records:#?}");
    assert_eq!(debug[1].result, "ok", "{records:#?}");
    assert_eq!(debug[1].target.name, "quiet");
    assert_eq!(debug[1].intent.as_ref(), Some(&debug[0].hash));
    t.keys(&["q"]);
    let (ended, screen) = t.wait_for("EXIT=0", Duration::from_secs(10));
    assert!(ended, "{screen}");
    assert_restored(&t);
}

/// `s` on a node, confirmed: a privileged pod pinned to the node, tolerating every taint,
/// runs `nsenter` into PID 1's namespaces; exiting the shell deletes the pod.
#[test]
fn a_node_shell_runs_in_a_privileged_pod_deleted_when_it_ends() {
    let Some(tb) = common::testbed() else { return };
    let iso = scratch("node-shell");
    let nsenter_log = testbed_work(&tb).join("exec/nsenter.log");
    let before = std::fs::read_to_string(&nsenter_log).unwrap_or_default();
    let (t, pod) = node_shell(&iso, &tb, "node-shell", "dev-node-1");
    let p = kubectl_json(&tb, &["-n", "default", "get", "pod", &pod]);
    assert_eq!(p["spec"]["nodeName"], "dev-node-1");
    assert_eq!(
        (&p["spec"]["hostPID"], &p["spec"]["hostNetwork"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(
        p["spec"]["containers"][0]["securityContext"]["privileged"],
        true
    );
    assert_eq!(p["spec"]["tolerations"], json!([{"operator": "Exists"}]));
    let ran = iso.path("ran");
    t.keys(&[
        &format!(
            "echo on-the-node-$FLOTILLA_TESTBED > {}; sleep 1; exit",
            ran.display()
        ),
        "Enter",
    ]);
    assert_eq!(
        written(&ran, Duration::from_secs(10)).as_deref(),
        Some("on-the-node-1")
    );
    let after = std::fs::read_to_string(&nsenter_log).unwrap_or_default();
    assert!(
        after.len() > before.len() && after.contains("nsenter -t 1 -m -u -i -n -p -- sh"),
        "the shell is nsenter's: {after}"
    );
    let (back, screen) = t.wait_for(
        &format!("node shell on dev-node-1 ended; pod default/{pod} deleted"),
        Duration::from_secs(20),
    );
    assert!(back, "{screen}");
    assert!(
        gone(&tb, &pod, Duration::from_secs(20)),
        "the pod is deleted"
    );
    let records = flotilla::ops::audit::read(&iso.path("audit.jsonl")).expect("the audit log");
    let shell: Vec<_> = records
        .iter()
        .filter(|r| r.action == "node-shell")
        .collect();
    assert_eq!(shell.len(), 2, "its intent, then its outcome: {records:#?}");
    assert_eq!(
        (shell[1].target.kind.as_str(), shell[1].target.name.as_str()),
        ("Node", "dev-node-1")
    );
    assert_eq!(shell[1].result, "ok");
    t.keys(&["q"]);
    let (ended, screen) = t.wait_for("EXIT=0", Duration::from_secs(10));
    assert!(ended, "{screen}");
}

/// SIGHUP (the SSH connection dropped) during a node shell ends flotilla and deletes the pod;
/// SIGKILL cannot, so the next node shell of the same user on this machine deletes what the
/// killed one left.
#[test]
fn a_node_shell_pod_is_deleted_on_hangup_and_after_a_kill() {
    let Some(tb) = common::testbed() else { return };
    let iso = scratch("node-shell-hup");
    let (t, pod) = node_shell(&iso, &tb, "node-shell-hup", "dev-node-0");
    let pid_file = iso.path("remote.pid");
    t.keys(&[&format!("echo $$ > {}", pid_file.display()), "Enter"]);
    let remote = written(&pid_file, Duration::from_secs(20))
        .unwrap_or_else(|| panic!("the remote shell ran:\n{}", t.screen()));
    let _remote = Hangup(remote);
    signal_and_expect_exit(&t, "HUP");
    assert_restored(&t);
    assert!(
        gone(&tb, &pod, Duration::from_secs(10)),
        "SIGHUP deletes the pod"
    );
    drop(t);

    let iso = scratch("node-shell-kill");
    let (t, left) = node_shell(&iso, &tb, "node-shell-kill", "dev-node-0");
    let pid_file = iso.path("remote.pid");
    t.keys(&[&format!("echo $$ > {}", pid_file.display()), "Enter"]);
    let remote = written(&pid_file, Duration::from_secs(20))
        .unwrap_or_else(|| panic!("the remote shell ran:\n{}", t.screen()));
    let _remote = Hangup(remote);
    let pid = t.flotilla_pid().expect("flotilla runs");
    let killed = Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let (ended, screen) = t.wait_for("EXIT=137", Duration::from_secs(5));
    assert!(ended, "{screen}");
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        node_shell_pods(&tb).contains(&left),
        "nothing could delete the pod of a killed flotilla"
    );
    drop(t);

    let (t, pod) = node_shell(&iso, &tb, "node-shell-next", "dev-node-0");
    assert_ne!(pod, left);
    let screen = t.screen();
    assert!(
        screen.contains(&format!(
            "deleted node shell pod {left} that an ended flotilla left"
        )),
        "the next node shell says it deleted the leftover:\n{screen}"
    );
    assert!(
        gone(&tb, &left, Duration::from_secs(10)),
        "the leftover is deleted"
    );
    t.keys(&["exit", "Enter"]);
    assert!(
        gone(&tb, &pod, Duration::from_secs(20)),
        "and its own when it ends"
    );
}

// ---- importing contexts ----------------------------------------------------------------------

/// `:ctx add FILE`: a server that refuses is shown with why and nothing is imported; a taken
/// name is renamed in a form, the context checked (version, identity), imported 0600 and
/// connected without a restart; `:ctx rm` removes and disconnects it.
#[test]
fn ctx_add_in_the_tui_connects_the_imported_context_at_once() {
    let Some(tb) = common::testbed() else { return };
    let iso = scratch("ctx-add");
    let prod = iso.path("prod.kubeconfig");
    let text = tb.kubectl_ok(
        "prod",
        &[
            "config",
            "view",
            "--minify",
            "--flatten",
            "--context",
            "prod",
        ],
    );
    std::fs::write(&prod, text).expect("write kubeconfig");
    let nowhere = nowhere(&iso.root);
    let args = format!(
        "--kubeconfig {} --context dev -c 'ctx add {}'",
        tb.kubeconfig.display(),
        nowhere.display()
    );
    let t = Tmux::start("ctx-add", &script(&iso, &[], &args));
    let (checked, screen) = t.wait_for("✗", Duration::from_secs(30));
    assert!(checked, "the refusing server is shown with why:\n{screen}");
    assert!(
        screen.contains("nowhere") && screen.contains("https://127.0.0.1:9"),
        "{screen}"
    );
    t.keys(&["Enter"]);
    let (said, screen) = t.wait_for("no context answered", Duration::from_secs(5));
    assert!(said, "{screen}");
    assert!(!iso.path("contexts").exists(), "nothing imported");

    t.keys(&[&format!(":ctx add {}", prod.display()), "Enter"]);
    let (asked, screen) = t.wait_for("A context named prod exists", Duration::from_secs(10));
    assert!(asked, "a taken name is renamed first:\n{screen}");
    t.keys(&["Enter"]);
    let (checked, screen) = t.wait_for("as kwok-admin", Duration::from_secs(30));
    assert!(checked, "the context is connected and shown:\n{screen}");
    assert!(
        screen.contains("prod-2") && screen.contains("✓ v1."),
        "{screen}"
    );
    t.keys(&["Enter"]);
    let (live, screen) = t.wait_for("● prod-2 v1.", Duration::from_secs(30));
    assert!(live, "imported and connected without a restart:\n{screen}");
    let file = iso.path("contexts/prod-2.yaml");
    assert_eq!(
        std::fs::metadata(&file)
            .map(|m| m.permissions().mode() & 0o777)
            .ok(),
        Some(0o600)
    );

    t.keys(&[":ctx rm prod-2", "Enter"]);
    let (asked, screen) = t.wait_for("Remove context prod-2?", Duration::from_secs(10));
    assert!(asked, "{screen}");
    t.keys(&["y"]);
    let (removed, screen) = t.wait_for("prod-2 removed from", Duration::from_secs(10));
    assert!(removed, "{screen}");
    assert!(!screen.contains("● prod-2"), "disconnected:\n{screen}");
    assert!(!file.exists(), "its file is gone");
    t.keys(&["q", "q"]);
}
