//! The real binary in a real terminal (tmux): a panic in any task ends flotilla with the
//! terminal restored; SIGTERM and SIGHUP restore it too; `$EDITOR` gets the terminal (cooked,
//! main screen) and flotilla comes back exactly as it was. What a person at the keyboard sees
//! is read with `capture-pane`, the terminal state with `stty` and tmux's alternate-screen flag.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const FLOTILLA: &str = env!("CARGO_BIN_EXE_flotilla");

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

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flotilla-term-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
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

/// Runs flotilla, then reports how it exited and the terminal's mode afterwards.
fn script(env: &str, args: &str, dir: &Path) -> String {
    format!(
        "{env} {FLOTILLA} --log-file {log} {args}; echo \"EXIT=$?\"; echo \"TTY: $(stty -a | tr ' ' '\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' ')\"; sleep 60",
        log = dir.join("flotilla.log").display()
    )
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
    let dir = scratch("panic");
    let kc = nowhere(&dir);
    let t = Tmux::start(
        "panic",
        &script(
            "FLOTILLA_DEBUG_PANIC=1500",
            &format!("--kubeconfig {}", kc.display()),
            &dir,
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
    for signal in ["TERM", "HUP"] {
        let dir = scratch(&signal.to_lowercase());
        let kc = nowhere(&dir);
        let t = Tmux::start(
            &signal.to_lowercase(),
            &script("", &format!("--kubeconfig {}", kc.display()), &dir),
        );
        let (up, screen) = t.wait_for("nowhere", Duration::from_secs(10));
        assert!(up && t.alternate_screen(), "{screen}");
        let pid = t
            .flotilla_pid()
            .expect("flotilla runs under the pane's shell");
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .expect("kill");
        assert!(killed.success());
        let (ended, screen) = t.wait_for("EXIT=", Duration::from_secs(10));
        assert!(ended, "SIG{signal}:\n{screen}");
        assert_restored(&t);
    }
}

#[test]
fn the_editor_gets_the_terminal_and_flotilla_comes_back() {
    let Some(tb) = common::testbed() else { return };
    let dir = scratch("editor");
    // The "editor" records the terminal it was given, then changes the replica count.
    let editor = dir.join("edit.sh");
    let seen = dir.join("seen");
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\nstty -a > {seen}\ntty >> {seen}\nsed -i 's/replicas: 2$/replicas: 7/' \"$1\"\n",
            seen = seen.display()
        ),
    )
    .expect("write editor");
    std::process::Command::new("chmod")
        .args(["+x", &editor.display().to_string()])
        .status()
        .expect("chmod");
    std::fs::write(dir.join("config.toml"), "editor = \"external\"\n").expect("config");
    let t = Tmux::start(
        "editor",
        &script(
            &format!(
                "FLOTILLA_CONFIG_DIR={} EDITOR={}",
                dir.display(),
                editor.display()
            ),
            &format!(
                "--kubeconfig {} --context dev -c 'deploy shop'",
                tb.kubeconfig.display()
            ),
            &dir,
        ),
    );
    let (listed, screen) = t.wait_for("cart", Duration::from_secs(30));
    assert!(listed, "{screen}");
    t.keys(&["/", "cart", "Enter"]);
    let (filtered, screen) = t.wait_for("</cart>", Duration::from_secs(5));
    assert!(filtered, "{screen}");
    t.keys(&["e"]);
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

#[test]
fn a_shell_in_a_container_gets_the_terminal_and_flotilla_comes_back() {
    let Some(tb) = common::testbed() else { return };
    let dir = scratch("shell");
    let t = Tmux::start(
        "shell",
        &script(
            "",
            &format!(
                "--kubeconfig {} --context dev -c 'pods shop'",
                tb.kubeconfig.display()
            ),
            &dir,
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
    let log = std::fs::read_to_string(dir.join("flotilla.log")).unwrap_or_default();
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
