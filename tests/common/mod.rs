//! Shared helpers for integration tests that run against the local testbed clusters
//! (`testbed/tb up`: contexts `dev`, `staging`, `prod` in `target/testbed/kubeconfig`).
//!
//! - Locally, when no testbed is running, [`testbed()`] returns `None` and the test returns early
//!   (it prints "skipping: testbed not usable (why)").
//! - With `FLOTILLA_TESTBED_REQUIRED=1` (set by `testbed/tb test` under CI) a missing or
//!   unreachable testbed is a test failure.
//! - In a test binary whose modules take turns on the clusters (`MODULES_TAKE_TURNS` in its
//!   `main.rs`), [`testbed()`] waits for its module's turn: see [`take_turn`].
#![allow(dead_code)] // each test binary uses a different subset

use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, Once, OnceLock};
use std::time::{Duration, Instant};

use kube::config::{KubeConfigOptions, Kubeconfig};

/// The testbed's cluster/context names.
pub const CLUSTERS: [&str; 3] = ["dev", "staging", "prod"];

/// A running testbed.
pub struct Testbed {
    /// Kubeconfig with one context per cluster (`dev`, `staging`, `prod`), admin credentials.
    pub kubeconfig: PathBuf,
}

/// Repository root (the crate's manifest dir).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn required() -> bool {
    matches!(
        std::env::var("FLOTILLA_TESTBED_REQUIRED").as_deref(),
        Ok("1") | Ok("true")
    )
}

fn install_crypto_provider() {
    // kube is built with rustls + ring; rustls needs a process-wide provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// `Some(testbed)` when `$FLOTILLA_TESTBED_KUBECONFIG` (or `target/testbed/kubeconfig`) exists
/// and its `dev` context answers; `None` otherwise, or a panic when
/// `FLOTILLA_TESTBED_REQUIRED=1`. First waits for the calling module's turn ([`take_turn`]).
#[track_caller]
pub fn testbed() -> Option<Testbed> {
    take_turn();
    install_crypto_provider();
    let kubeconfig = std::env::var_os("FLOTILLA_TESTBED_KUBECONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/testbed/kubeconfig"));
    let problem = if !kubeconfig.is_file() {
        Some(format!("{} does not exist", kubeconfig.display()))
    } else {
        let tb = Testbed {
            kubeconfig: kubeconfig.clone(),
        };
        let out = tb.kubectl(CLUSTERS[0], &["get", "--raw", "/readyz"]);
        if out.status.success() {
            return Some(tb);
        }
        Some(format!(
            "context {} in {} is not reachable: {}",
            CLUSTERS[0],
            kubeconfig.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    };
    skip_unless_required(problem.unwrap_or_default());
    None
}

/// A testbed test that cannot run (`problem` says why) skips, and says so; under
/// `FLOTILLA_TESTBED_REQUIRED=1` it fails instead.
pub fn skip_unless_required(problem: String) {
    if required() {
        panic!(
            "FLOTILLA_TESTBED_REQUIRED=1 but the testbed is not usable: {problem} (run testbed/tb up)"
        );
    }
    eprintln!("skipping: testbed not usable ({problem}); start it with testbed/tb up");
    note_skip(problem);
}

/// The module whose tests use the clusters now, and how many of its tests hold a turn.
struct Turns {
    module: Option<&'static str>,
    holders: usize,
}

static TURNS: Mutex<Turns> = Mutex::new(Turns {
    module: None,
    holders: 0,
});
static TURN_ENDED: Condvar = Condvar::new();

/// A test's hold on its module's turn, released when the test's thread ends.
struct Turn(&'static str);

impl Drop for Turn {
    fn drop(&mut self) {
        let mut turns = TURNS.lock().unwrap_or_else(|e| e.into_inner());
        turns.holders -= 1;
        if turns.holders == 0 {
            turns.module = None;
            TURN_ENDED.notify_all();
        }
    }
}

thread_local! {
    static MY_TURN: RefCell<Option<Turn>> = const { RefCell::new(None) };
}

/// Waits until the calling test's module (the source file of the call) may use the clusters,
/// and holds that turn until the test's thread ends: after its cleanup guards have dropped, and
/// also when it fails. Tests of the same module run at once, as they did when each module was a
/// test binary of its own; a test of another module waits until none of them is left. In a
/// binary whose modules share the clusters at once (`MODULES_TAKE_TURNS` false) it does
/// nothing. [`testbed()`] calls it; a test that needs no cluster but must not run beside other
/// modules (timed ones) calls it itself.
///
/// libtest runs each test on a thread of its own and starts them in name order, so the tests
/// of one module are started together and a waiting test holds up at most the one thread.
#[track_caller]
pub fn take_turn() {
    if !crate::MODULES_TAKE_TURNS {
        return;
    }
    let module = std::panic::Location::caller().file();
    match MY_TURN.with(|t| t.borrow().as_ref().map(|t| t.0)) {
        Some(held) if held == module => return,
        Some(held) => panic!("a test holding the turn of {held} asks for the turn of {module}"),
        None => {}
    }
    let mut turns = TURNS.lock().unwrap_or_else(|e| e.into_inner());
    while turns.module.is_some_and(|m| m != module) {
        turns = TURN_ENDED.wait(turns).unwrap_or_else(|e| e.into_inner());
    }
    turns.module = Some(module);
    turns.holders += 1;
    drop(turns);
    MY_TURN.with(|t| *t.borrow_mut() = Some(Turn(module)));
}

static SKIPPED: AtomicUsize = AtomicUsize::new(0);
static WHY: OnceLock<String> = OnceLock::new();
static AT_EXIT: Once = Once::new();

/// Counts a skipped test; when the test binary exits, one line (outside the harness's output
/// capture, so it is always seen) says how many skipped and why. A green run without clusters
/// is never mistaken for a full one.
fn note_skip(why: String) {
    SKIPPED.fetch_add(1, Ordering::SeqCst);
    WHY.get_or_init(|| why);
    AT_EXIT.call_once(|| {
        // SAFETY: registers a plain function with no captured state to run at process exit.
        unsafe {
            libc::atexit(report_skips);
        }
    });
}

extern "C" fn report_skips() {
    let n = SKIPPED.load(Ordering::SeqCst);
    let why = WHY.get().map(String::as_str).unwrap_or("");
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {n} testbed test(s) of {}: {why} — start it with testbed/tb up (CI runs them all)",
        std::env::args()
            .next()
            .and_then(|a| Path::new(&a)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned()))
            .map(|f| f
                .rsplit_once('-')
                .map(|(name, _)| name.to_string())
                .unwrap_or(f))
            .unwrap_or_default()
    );
}

impl Testbed {
    /// A client for one context of the testbed kubeconfig.
    pub async fn client(&self, context: &str) -> kube::Client {
        install_crypto_provider();
        let kc = Kubeconfig::read_from(&self.kubeconfig).expect("read testbed kubeconfig");
        let opts = KubeConfigOptions {
            context: Some(context.to_string()),
            ..Default::default()
        };
        let config = kube::Config::from_custom_kubeconfig(kc, &opts)
            .await
            .unwrap_or_else(|e| panic!("kubeconfig context {context}: {e}"));
        kube::Client::try_from(config).expect("build kube client")
    }

    /// Kubeconfig with `<cluster>-viewer` contexts: ServiceAccount `shop/viewer`, which may only
    /// get/list/watch pods (and pods/log) in namespace `shop` (plus list namespaces).
    pub fn viewer_kubeconfig(&self) -> PathBuf {
        self.kubeconfig.with_file_name("kubeconfig-viewer")
    }

    /// Stops only `cluster`'s kube-apiserver (`testbed/tb stop-apiserver`).
    pub fn stop_apiserver(&self, cluster: &str) {
        run_tb(&["stop-apiserver", cluster]);
    }

    /// Starts it again on the same port and waits until `/readyz` is ok.
    pub fn start_apiserver(&self, cluster: &str) {
        run_tb(&["start-apiserver", cluster]);
    }

    /// SIGSTOPs `cluster`'s kube-apiserver (`testbed/tb freeze-apiserver`): its connections
    /// stay open and nothing answers.
    pub fn freeze_apiserver(&self, cluster: &str) {
        run_tb(&["freeze-apiserver", cluster]);
    }

    /// SIGCONTs it, restarts components that gave up meanwhile, waits for `/readyz`.
    pub fn thaw_apiserver(&self, cluster: &str) {
        run_tb(&["thaw-apiserver", cluster]);
    }

    /// Runs the testbed's own kubectl against `context`.
    pub fn kubectl(&self, context: &str, args: &[&str]) -> Output {
        Command::new(kubectl_path())
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--context")
            .arg(context)
            .args(args)
            .output()
            .expect("run kubectl")
    }

    /// Runs the testbed's helm against `context` (`driver`: secret or configmap), its caches
    /// under target/testbed/helm.
    pub fn helm(&self, context: &str, driver: &str, args: &[&str]) -> Output {
        self.helm_with(&helm_path(), context, driver, args)
    }

    /// Like [`Testbed::helm`], with another helm binary (`helm4_path()`).
    pub fn helm_with(&self, bin: &Path, context: &str, driver: &str, args: &[&str]) -> Output {
        let home = repo_root().join("target/testbed/helm");
        Command::new(bin)
            .env("HELM_DRIVER", driver)
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_DATA_HOME", home.join("data"))
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--kube-context")
            .arg(context)
            .args(args)
            .output()
            .expect("run helm")
    }

    /// Like [`Testbed::helm`] but panics on failure and returns stdout.
    pub fn helm_ok(&self, context: &str, driver: &str, args: &[&str]) -> String {
        self.helm_ok_with(&helm_path(), context, driver, args)
    }

    pub fn helm_ok_with(&self, bin: &Path, context: &str, driver: &str, args: &[&str]) -> String {
        let out = self.helm_with(bin, context, driver, args);
        assert!(
            out.status.success(),
            "helm --kube-context {context} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 helm output")
    }

    /// Like [`Testbed::kubectl`] but panics on failure and returns stdout.
    pub fn kubectl_ok(&self, context: &str, args: &[&str]) -> String {
        let out = self.kubectl(context, args);
        assert!(
            out.status.success(),
            "kubectl --context {context} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 kubectl output")
    }
}

/// The kubectl built for the testbed (`~/.cache/flotilla/testbed/<versions>/kubectl`), else
/// whatever `kubectl` is on PATH.
pub fn kubectl_path() -> PathBuf {
    cached_binary(|_| "kubectl".into()).unwrap_or_else(|| PathBuf::from("kubectl"))
}

/// The helm v3 built for the testbed (a test tool: it checks what flotilla reads and writes).
pub fn helm_path() -> PathBuf {
    cached_binary(|get| format!("helm-{}", get("HELM_VERSION")))
        .expect("the testbed's helm binary (testbed/tb build)")
}

/// The helm v4 built for the testbed.
pub fn helm4_path() -> PathBuf {
    cached_binary(|get| format!("helm4-{}", get("HELM4_VERSION")))
        .expect("the testbed's helm v4 binary (testbed/tb build)")
}

/// A binary in the testbed's cache, named from testbed/versions.env.
fn cached_binary(name: impl Fn(&dyn Fn(&str) -> String) -> String) -> Option<PathBuf> {
    let root = repo_root();
    let versions = std::fs::read_to_string(root.join("testbed/versions.env")).unwrap_or_default();
    let get = |key: &str| {
        versions
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or("")
            .trim()
            .to_string()
    };
    let cache = std::env::var_os("FLOTILLA_TESTBED_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME").map(|d| Path::new(&d).join("flotilla/testbed"))
        })
        .or_else(|| {
            std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/flotilla/testbed"))
        })?;
    let bin = cache
        .join(format!(
            "k8s-{}_etcd-{}_kwok-{}",
            get("K8S_VERSION"),
            get("ETCD_VERSION"),
            get("KWOK_VERSION")
        ))
        .join(name(&get));
    bin.is_file().then_some(bin)
}

/// The kubeconfig of the testbed's Clusterpedia hub (context `hub`, `tb clusterpedia up`):
/// `$FLOTILLA_TESTBED_PEDIA_KUBECONFIG`, else `target/testbed/kubeconfig-pedia`, when the index
/// answers through it; `None` (or a panic under `FLOTILLA_TESTBED_REQUIRED=1`) otherwise.
pub fn pedia_kubeconfig() -> Option<PathBuf> {
    let path = std::env::var_os("FLOTILLA_TESTBED_PEDIA_KUBECONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/testbed/kubeconfig-pedia"));
    let problem = if path.is_file() {
        let out = Command::new(kubectl_path())
            .arg("--kubeconfig")
            .arg(&path)
            .args(["--context", "hub", "get", "--raw"])
            .arg("/apis/clusterpedia.io/v1beta1/resources/api")
            .output()
            .expect("run kubectl");
        if out.status.success() {
            return Some(path);
        }
        format!(
            "Clusterpedia does not answer through {}: {} (testbed/tb clusterpedia up)",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )
    } else {
        format!(
            "{} does not exist (testbed/tb clusterpedia up)",
            path.display()
        )
    };
    skip_unless_required(problem);
    None
}

/// Stops the testbed's Clusterpedia apiserver (`testbed/tb clusterpedia stop`): the index's
/// API on the hub then fails.
pub fn stop_clusterpedia() {
    run_tb(&["clusterpedia", "stop"]);
}

/// Starts it again and waits until it answers.
pub fn start_clusterpedia() {
    run_tb(&["clusterpedia", "start"]);
}

fn run_tb(args: &[&str]) {
    let out = Command::new(repo_root().join("testbed/tb"))
        .args(args)
        .output()
        .expect("run testbed/tb");
    assert!(
        out.status.success(),
        "testbed/tb {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Polls `f` every 500 ms until it returns `Some`, panicking with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// What a test made on the clusters, deleted when the guard drops — the test passed or not —
/// and waited for until the server no longer has it: what a namespace holds (a crash-looping
/// pod, a RoleBinding, a restored copy of `crasher`) would otherwise show in the counts of the
/// tests that run next. Deleted last made first (a namespace before the node its pods run on).
/// A deletion that does not finish fails the test.
pub struct Cleanup {
    kubeconfig: PathBuf,
    /// (context, what to delete as kubectl words: `namespace x`, `node y`, `-n ns pod z`)
    items: Vec<(String, Vec<String>)>,
}

impl Cleanup {
    pub fn new(tb: &Testbed) -> Cleanup {
        Cleanup {
            kubeconfig: tb.kubeconfig.clone(),
            items: Vec::new(),
        }
    }

    /// Namespaces the code under test may make on `context` (a restore, an import).
    pub fn namespaces(tb: &Testbed, context: &str, names: &[&str]) -> Cleanup {
        let mut cleanup = Cleanup::new(tb);
        for name in names {
            cleanup.delete(context, &["namespace", name]);
        }
        cleanup
    }

    /// Creates namespace `name` on `context`.
    pub fn namespace(&mut self, context: &str, name: &str) {
        self.testbed()
            .kubectl_ok(context, &["create", "namespace", name]);
        self.delete(context, &["namespace", name]);
    }

    /// Deletes `what` (kubectl words after `delete`) on `context` at the end, if it exists then.
    pub fn delete(&mut self, context: &str, what: &[&str]) {
        self.items.push((
            context.to_string(),
            what.iter().map(|w| w.to_string()).collect(),
        ));
    }

    fn testbed(&self) -> Testbed {
        Testbed {
            kubeconfig: self.kubeconfig.clone(),
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let tb = self.testbed();
        let mut left = Vec::new();
        for (context, what) in self.items.iter().rev() {
            let mut args = vec!["delete"];
            args.extend(what.iter().map(String::as_str));
            args.extend(["--ignore-not-found", "--wait=true", "--timeout=120s"]);
            let out = tb.kubectl(context, &args);
            if !out.status.success() {
                left.push(format!(
                    "{context}: {}: {}",
                    what.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
        if left.is_empty() {
            return;
        }
        // Already failing: a second panic would abort the test binary.
        if std::thread::panicking() {
            eprintln!("cleanup left: {left:#?}");
        } else {
            panic!("cleanup left what later tests would see: {left:#?}");
        }
    }
}

/// A namespace of the test's own on `context`, deleted (and waited for) when the test ends,
/// passed or not.
pub struct Scratch {
    pub name: String,
    _cleanup: Cleanup,
}

impl Scratch {
    pub fn new(tb: &Testbed, context: &str, name: String) -> Scratch {
        let mut cleanup = Cleanup::new(tb);
        cleanup.namespace(context, &name);
        Scratch {
            name,
            _cleanup: cleanup,
        }
    }
}

/// Directories of a test's own for the flotilla binary it runs, so that no run reads the
/// user's config.toml or keymap, or writes to their audit log, log file or backup directory:
/// `FLOTILLA_CONFIG_DIR` is the root (a test writes its config.toml there), the audit log is
/// `audit.jsonl` in it, and HOME and the XDG directories (where the state dir, the log and
/// the backups go by default) are under it. Settings from the test's own environment that
/// flotilla reads (KUBECONFIG, VISUAL, EDITOR, every FLOTILLA_ variable) are not passed on.
pub struct Isolated {
    pub root: PathBuf,
}

impl Isolated {
    /// A fresh, empty root under the temp dir, named for the test.
    pub fn new(name: &str) -> Isolated {
        let root = std::env::temp_dir().join(format!("flotilla-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("the test's own directory");
        Isolated { root }
    }

    /// An existing directory as the root (its config.toml, if any, is the one read).
    pub fn at(root: &Path) -> Isolated {
        Isolated {
            root: root.to_path_buf(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// flotilla's state dir under this root (its log, default backup directory).
    pub fn state_dir(&self) -> PathBuf {
        self.path("xdg/state/flotilla")
    }

    /// What flotilla is run with.
    pub fn vars(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("HOME", self.path("home")),
            ("XDG_CONFIG_HOME", self.path("xdg/config")),
            ("XDG_STATE_HOME", self.path("xdg/state")),
            ("XDG_DATA_HOME", self.path("xdg/data")),
            ("XDG_CACHE_HOME", self.path("xdg/cache")),
            ("FLOTILLA_CONFIG_DIR", self.root.clone()),
            ("FLOTILLA_AUDIT_LOG", self.path("audit.jsonl")),
        ]
    }

    /// What flotilla is run without.
    pub fn unset() -> Vec<String> {
        let mut names: Vec<String> = ["KUBECONFIG", "VISUAL", "EDITOR"]
            .map(String::from)
            .to_vec();
        names.extend(
            std::env::vars_os()
                .filter_map(|(k, _)| k.into_string().ok())
                .filter(|k| k.starts_with("FLOTILLA_")),
        );
        names
    }

    /// The flotilla binary, to run in this isolation.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_flotilla"));
        for name in Isolated::unset() {
            cmd.env_remove(name);
        }
        cmd.envs(self.vars());
        cmd
    }

    /// The same as a shell command line (`env -u … HOME=… flotilla`), with `extra` variables
    /// set too, for a tmux pane: tmux does not hand the client's environment to a session,
    /// and a session's own (`new-session -e`) cannot unset what the server inherited.
    pub fn shell_command(&self, extra: &[(&str, &str)]) -> String {
        let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
        let mut line = String::from("env");
        for name in Isolated::unset() {
            line.push_str(&format!(" -u {name}"));
        }
        for (k, v) in self.vars() {
            line.push_str(&format!(" {k}={}", quote(&v.display().to_string())));
        }
        for (k, v) in extra {
            line.push_str(&format!(" {k}={}", quote(v)));
        }
        line.push(' ');
        line.push_str(&quote(env!("CARGO_BIN_EXE_flotilla")));
        line
    }
}
