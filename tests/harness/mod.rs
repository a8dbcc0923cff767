//! Drives the real App headless: the same update path as the terminal loop (messages from
//! real cluster tasks, then `tick`), rendered into a ratatui TestBackend so tests assert on
//! what a user would see.
#![allow(dead_code)]

pub mod synthetic;

use flotilla::app::App;
use flotilla::cluster::kubeconfig;
use flotilla::config::Config;
use flotilla::msg::Receiver;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::Path;
use std::time::{Duration, Instant};

pub struct Harness {
    pub app: App,
    rx: Receiver,
}

impl Harness {
    pub fn new(kubeconfig_path: &Path, contexts: &[&str]) -> Harness {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let loaded = kubeconfig::load(&[kubeconfig_path.to_path_buf()]).expect("kubeconfig loads");
        let live: Vec<String> = contexts.iter().map(|s| s.to_string()).collect();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let app = App::new(loaded.config, loaded.contexts, &live, Config::builtin(), tx);
        Harness { app, rx }
    }

    /// Feeds messages to the app until `done` holds or `timeout` passes; true if it held.
    pub async fn pump_until(
        &mut self,
        timeout: Duration,
        mut done: impl FnMut(&mut Harness) -> bool,
    ) -> bool {
        let start = Instant::now();
        loop {
            self.app.tick();
            if done(self) {
                return true;
            }
            if start.elapsed() > timeout {
                return false;
            }
            if let Ok(Some(m)) =
                tokio::time::timeout(Duration::from_millis(100), self.rx.recv()).await
            {
                self.app.handle_msg(m);
                while let Ok(m) = self.rx.try_recv() {
                    self.app.handle_msg(m);
                }
            }
        }
    }

    pub fn screen(&mut self, width: u16, height: u16) -> String {
        self.app.tick();
        let mut term = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
        term.draw(|f| flotilla::ui::draw(f, &self.app))
            .expect("draw");
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

    /// The cluster header line.
    pub fn header(&mut self) -> String {
        self.screen(200, 60)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
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
        self.app.run_command(cmd);
    }

    pub fn filter(&mut self, text: &str) {
        self.app.dispatch(flotilla::app::action::Action::Filter);
        for c in text.chars() {
            self.key(crossterm::event::KeyCode::Char(c));
        }
        self.key(crossterm::event::KeyCode::Enter);
    }

    pub fn key(&mut self, code: crossterm::event::KeyCode) {
        self.app.handle_key(crossterm::event::KeyEvent::new(
            code,
            crossterm::event::KeyModifiers::NONE,
        ));
    }
}
