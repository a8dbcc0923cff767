//! Drives the real App headless: the same update path as the terminal loop (messages from
//! real cluster tasks, effects carried out by the real executor, then a tick), rendered into a
//! ratatui TestBackend so tests assert on what a user would see. Effects that need a terminal
//! are carried out here: the clipboard is recorded, `$EDITOR` runs without a terminal.
#![allow(dead_code)]

pub mod synthetic;

use flotilla::app::{App, Input};
use flotilla::cluster::{credentials, kubeconfig};
use flotilla::config::Config;
use flotilla::executor::Executor;
use flotilla::model::Action;
use flotilla::ops::audit::Record;
use flotilla::protocol::{Effect, Msg};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;

pub struct Harness {
    pub app: App,
    executor: Executor,
    rx: UnboundedReceiver<Msg>,
    /// What `c` put on the clipboard.
    pub copied: Vec<String>,
    /// The editor command `Effect::Edit` runs (a script; there is no terminal).
    pub editor: Option<String>,
    pub quit: bool,
    /// This harness's own audit log (every change the app makes is recorded here).
    pub audit: std::path::PathBuf,
    /// The longest one `update` took (the app's and the executor's part): how long the UI
    /// thread was busy at once.
    pub slowest: Duration,
}

/// A fresh audit log path per harness: tests run in parallel and each reads its own records.
fn audit_path() -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "flotilla-test-audit-{}-{n}/audit.jsonl",
        std::process::id()
    ))
}

pub fn config() -> Config {
    Config::builtin(&flotilla::screens::modes())
}

impl Harness {
    pub fn new(kubeconfig_path: &Path, contexts: &[&str]) -> Harness {
        Harness::with_config(kubeconfig_path, contexts, config())
    }

    /// A harness whose changes are audited to `audit` (a log the test set up or broke).
    pub fn with_audit_log(kubeconfig_path: &Path, contexts: &[&str], audit: PathBuf) -> Harness {
        Harness::build(&[kubeconfig_path], contexts, config(), audit)
    }

    pub fn with_config(kubeconfig_path: &Path, contexts: &[&str], config: Config) -> Harness {
        Harness::build(&[kubeconfig_path], contexts, config, audit_path())
    }

    /// A harness over several kubeconfig files, merged as `$KUBECONFIG` would be.
    pub fn with_kubeconfigs(paths: &[&Path], contexts: &[&str], config: Config) -> Harness {
        Harness::build(paths, contexts, config, audit_path())
    }

    fn build(paths: &[&Path], contexts: &[&str], config: Config, audit: PathBuf) -> Harness {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let paths: Vec<PathBuf> = paths.iter().map(|p| p.to_path_buf()).collect();
        let mut loaded = kubeconfig::load(&paths).expect("kubeconfig loads");
        // Credential plugins run under the real binary's guard, as in the product.
        credentials::guard_plugins(
            &mut loaded.config,
            Path::new(env!("CARGO_BIN_EXE_flotilla")),
            config.settings.credential_plugin_timeout(),
        );
        let live: Vec<String> = contexts.iter().map(|s| s.to_string()).collect();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let app = App::new(loaded.contexts, &live, config);
        let mut h = Harness {
            app,
            executor: Executor::new(loaded.config, tx).with_audit_log(audit.clone()),
            audit,
            rx,
            copied: Vec::new(),
            editor: None,
            quit: false,
            slowest: Duration::ZERO,
        };
        h.update(Input::Tick);
        h
    }

    /// Applies input and carries out the effects, as the terminal loop does.
    pub fn update(&mut self, input: Input) {
        let start = Instant::now();
        let mut effects = self.app.update(input);
        while !effects.is_empty() {
            let mut next = Vec::new();
            for e in effects {
                match self.executor.run(e) {
                    None => {}
                    Some(Effect::Copy(t)) => self.copied.push(t),
                    Some(Effect::Quit) => self.quit = true,
                    Some(Effect::Edit { ticket, name, text }) => {
                        let editor = self.editor.clone().unwrap_or_else(|| "true".into());
                        let result = flotilla::editor::edit_with(&editor, &name, &text);
                        next.extend(self.app.update(Input::Msg(Msg::Edited { ticket, result })));
                    }
                    Some(other) => panic!("unexpected effect {other:?}"),
                }
            }
            effects = next;
        }
        self.slowest = self.slowest.max(start.elapsed());
    }

    /// The audit records, where the test expects some: the log must exist and read.
    pub fn audit_records(&self) -> Vec<Record> {
        audit_records(&self.audit)
    }

    /// The audit records written so far, none while there is no log; one that cannot be
    /// read fails the test.
    pub fn audit_records_so_far(&self) -> Vec<Record> {
        audit_records_so_far(&self.audit)
    }

    pub fn tick(&mut self) {
        self.update(Input::Tick);
    }

    /// Feeds messages to the app until `done` holds or `timeout` passes; true if it held.
    pub async fn pump_until(
        &mut self,
        timeout: Duration,
        mut done: impl FnMut(&mut Harness) -> bool,
    ) -> bool {
        let start = Instant::now();
        loop {
            self.tick();
            if done(self) {
                return true;
            }
            if start.elapsed() > timeout {
                return false;
            }
            if let Ok(Some(m)) =
                tokio::time::timeout(Duration::from_millis(100), self.rx.recv()).await
            {
                self.update(Input::Msg(m));
                while let Ok(m) = self.rx.try_recv() {
                    self.update(Input::Msg(m));
                }
            }
        }
    }

    pub fn screen(&mut self, width: u16, height: u16) -> String {
        self.tick();
        render(&self.app, width, height)
    }

    /// The cluster header (up to three lines when many clusters have long reasons).
    pub fn header(&mut self) -> String {
        let screen = self.screen(200, 60);
        let lines: Vec<&str> = screen.lines().collect();
        let end = lines.iter().position(|l| l.starts_with('┌')).unwrap_or(1);
        lines[..end].concat()
    }

    /// Lines of the screen that contain every one of `words`.
    pub fn lines_with(&mut self, words: &[&str]) -> Vec<String> {
        self.screen(200, 60)
            .lines()
            .filter(|l| words.iter().all(|w| l.contains(w)))
            .map(str::to_string)
            .collect()
    }

    pub fn command(&mut self, cmd: &str) {
        self.action(Action::Run(cmd.to_string()));
        self.tick();
    }

    pub fn action(&mut self, a: Action) {
        self.update(Input::Action(a));
    }

    pub fn filter(&mut self, text: &str) {
        self.action(Action::Filter);
        for c in text.chars() {
            self.key(flotilla::key::KeyCode::Char(c));
        }
        self.key(flotilla::key::KeyCode::Enter);
    }

    pub fn key(&mut self, code: flotilla::key::KeyCode) {
        self.update(Input::Key(flotilla::key::KeyEvent::new(
            code,
            flotilla::key::KeyModifiers::NONE,
        )));
    }

    /// Each character of `text` as a key.
    pub fn typed(&mut self, text: &str) {
        for c in text.chars() {
            self.key(flotilla::key::KeyCode::Char(c));
        }
    }

    /// The footer's message, "" when there is none.
    pub fn flash(&self) -> String {
        self.app
            .flash
            .as_ref()
            .map(|f| f.text.clone())
            .unwrap_or_default()
    }
}

/// The records of the audit log at `path`, which must exist and read: a missing or unreadable
/// log fails the test rather than read as one without records.
pub fn audit_records(path: &Path) -> Vec<Record> {
    match flotilla::ops::audit::read(path) {
        Ok(records) => records,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("no audit log at {}: nothing was recorded", path.display())
        }
        Err(e) => panic!("the audit log {} cannot be read: {e}", path.display()),
    }
}

/// The records of the audit log at `path` so far: none when it does not exist (the log is made
/// at the first record), and a failed test when it exists but cannot be read.
pub fn audit_records_so_far(path: &Path) -> Vec<Record> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        _ => audit_records(path),
    }
}

/// The app drawn into a `width`×`height` test terminal, one string line per row.
pub fn render(app: &App, width: u16, height: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    term.draw(|f| flotilla::ui::draw(f, app)).expect("draw");
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        for x in 0..width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// The screen line drawn with the selection style (reversed), if any.
pub fn selected_line(app: &App, width: u16, height: u16) -> Option<String> {
    let mut term = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    term.draw(|f| flotilla::ui::draw(f, app)).expect("draw");
    let buf = term.backend().buffer();
    (0..height)
        .find(|&y| {
            buf[(1, y)]
                .modifier
                .contains(ratatui::style::Modifier::REVERSED)
        })
        .map(|y| (0..width).map(|x| buf[(x, y)].symbol()).collect())
}
