//! The terminal and the event loop. The terminal is restored on normal exit, error, panic
//! (in any task: a panic ends flotilla, it never leaves a UI drawing on a restored terminal),
//! SIGTERM, SIGHUP (SSH hangup) and SIGINT. It can be handed to a child — `$EDITOR`, a shell
//! in a container — and taken back exactly as it was. A signal that ends flotilla while a
//! child has the terminal ends the child first (the session is closed, the editor stopped and
//! its file removed), then restores the terminal to the modes it had when flotilla started,
//! whatever the child left.

use crate::app::{App, Input};
use crate::executor::Executor;
use crate::protocol::{Effect, Msg};
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{Stdout, stdout};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;

type Term = Terminal<CrosstermBackend<Stdout>>;

/// How long an editor gets to end on SIGTERM before it is killed, when flotilla must end.
const EDITOR_GRACE: Duration = Duration::from_millis(800);

/// The terminal's modes when flotilla started: what it gets back, whatever a child that was
/// killed (an editor in raw mode) left it in.
static ORIGINAL: OnceLock<libc::termios> = OnceLock::new();

/// How the event loop ended: the user quit, or a signal (its number) asked flotilla to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    Quit,
    Signal(libc::c_int),
}

/// Gives the terminal back to the shell: the modes it had when flotilla started (cooked),
/// main screen, no mouse, cursor shown.
pub fn restore() {
    let _ = disable_raw_mode();
    if let Some(t) = ORIGINAL.get() {
        // SAFETY: tcsetattr(3) on stdin with a termios tcgetattr(3) filled in.
        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, t) };
    }
    let _ = execute!(
        stdout(),
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// The terminal's modes now, if stdin is a terminal.
fn modes() -> Option<libc::termios> {
    // SAFETY: a zeroed termios is a valid value to be overwritten by tcgetattr(3), which only
    // writes into the struct we own.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        (libc::tcgetattr(libc::STDIN_FILENO, &mut t) == 0).then_some(t)
    }
}

fn enter() -> std::io::Result<()> {
    if ORIGINAL.get().is_none()
        && let Some(t) = modes()
    {
        let _ = ORIGINAL.set(t);
    }
    enable_raw_mode()?;
    if let Err(e) = execute!(
        stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste
    ) {
        restore();
        return Err(e);
    }
    Ok(())
}

/// A panic anywhere — the UI task, a watch, a credential plugin's thread — ends a running
/// editor (removing its file), restores the terminal, prints the report, and ends the process.
fn install_panic_hook() {
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        crate::editor::stop(EDITOR_GRACE);
        restore();
        tracing::error!("panic: {info}");
        prev(info);
        std::process::exit(101);
    }));
}

/// The child that has the terminal now, and the answer it will give.
struct Handover {
    ticket: u64,
    /// A shell session (answered by `Msg::Done`), or the editor (`Msg::Edited`).
    shell: bool,
    child: JoinHandle<Result<String, String>>,
    /// What must still be done when the session is ended from outside (a node shell's pod
    /// deleted); the session does it itself when it ends on its own.
    cleanup: Option<Cleanup>,
}

type Cleanup = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// How long ending flotilla waits for a session's cleanup (a node shell's pod deleted): it
/// must end within 2 s of a signal. A pod whose delete did not come back in time may still
/// be there; the next node shell of the same user on this machine deletes it.
const CLEANUP_WITHIN: Duration = Duration::from_secs(1);

struct Runner {
    term: Term,
    /// Dropped while a child has the terminal: it would read the child's keystrokes.
    events: Option<EventStream>,
    executor: Executor,
    handover: Option<Handover>,
}

/// Runs the TUI until the user quits or a signal ends it (which of the two it was).
pub async fn run(
    app: App,
    executor: Executor,
    mut rx: UnboundedReceiver<Msg>,
) -> color_eyre::Result<Ended> {
    install_panic_hook();
    enter()?;
    let term = match Terminal::new(CrosstermBackend::new(stdout())) {
        Ok(t) => t,
        Err(e) => {
            restore();
            return Err(e.into());
        }
    };
    let mut runner = Runner {
        term,
        events: Some(EventStream::new()),
        executor,
        handover: None,
    };
    let result = runner.event_loop(app, &mut rx).await;
    runner.end_handover().await;
    restore();
    result
}

async fn next_event(events: &mut Option<EventStream>) -> Option<std::io::Result<Event>> {
    match events {
        Some(e) => e.next().await,
        None => std::future::pending().await,
    }
}

async fn handed_back(h: &mut Option<Handover>) -> Msg {
    match h {
        Some(h) => {
            let r = (&mut h.child).await;
            let (ticket, result) = (h.ticket, r.unwrap_or_else(|e| Err(e.to_string())));
            if h.shell {
                Msg::Done { ticket, result }
            } else {
                Msg::Edited { ticket, result }
            }
        }
        None => std::future::pending().await,
    }
}

impl Runner {
    async fn event_loop(
        &mut self,
        mut app: App,
        rx: &mut UnboundedReceiver<Msg>,
    ) -> color_eyre::Result<Ended> {
        let mut sigterm = signal(SignalKind::terminate())?;
        let mut sighup = signal(SignalKind::hangup())?;
        let mut sigint = signal(SignalKind::interrupt())?;
        // Ages on screen change once a second; nothing else needs a timer. Frames are drawn
        // only when something changed, at most every 16 ms, so an idle screen costs nothing.
        let mut second = tokio::time::interval(Duration::from_secs(1));
        let frame = Duration::from_millis(16);
        let mut last_draw = tokio::time::Instant::now() - frame;
        let mut dirty = true;
        let first = app.update(Input::Tick);
        if self.carry_out(first)? {
            return Ok(Ended::Quit);
        }
        loop {
            let next_frame = last_draw + frame;
            let effects = tokio::select! {
                ev = next_event(&mut self.events) => match ev {
                    Some(Ok(ev)) => {
                        dirty = true;
                        match input(ev) {
                            Some(i) => app.update(i),
                            None => Vec::new(),
                        }
                    }
                    Some(Err(e)) => return Err(e.into()),
                    None => return Ok(Ended::Quit),
                },
                Some(msg) = rx.recv() => {
                    // Drain what is queued, then draw once.
                    let mut fx = app.update(Input::Msg(msg));
                    while let Ok(m) = rx.try_recv() {
                        fx.extend(app.update(Input::Msg(m)));
                    }
                    dirty = true;
                    fx
                }
                msg = handed_back(&mut self.handover) => {
                    self.handover = None;
                    self.take_back()?;
                    dirty = true;
                    app.update(Input::Msg(msg))
                }
                _ = second.tick() => { dirty = true; Vec::new() }
                _ = tokio::time::sleep_until(next_frame), if dirty && self.handover.is_none() => {
                    let fx = app.update(Input::Tick);
                    self.term.draw(|f| crate::ui::draw(f, &app))?;
                    last_draw = tokio::time::Instant::now();
                    dirty = false;
                    fx
                }
                _ = sigterm.recv() => return Ok(Ended::Signal(libc::SIGTERM)),
                _ = sighup.recv() => return Ok(Ended::Signal(libc::SIGHUP)),
                // ctrl-c in the editor reaches us too: it is the editor's while it runs.
                _ = sigint.recv() => {
                    if self.handover.is_none() {
                        return Ok(Ended::Signal(libc::SIGINT));
                    }
                    Vec::new()
                }
            };
            if self.carry_out(effects)? {
                return Ok(Ended::Quit);
            }
        }
    }

    /// Carries out effects; true when it is time to quit.
    fn carry_out(&mut self, effects: Vec<Effect>) -> color_eyre::Result<bool> {
        for e in effects {
            match self.executor.run(e) {
                None => {}
                Some(Effect::Quit) => return Ok(true),
                Some(Effect::Copy(text)) => {
                    let _ = crate::clipboard::copy(&mut stdout(), &text);
                }
                Some(Effect::Edit { ticket, name, text }) => {
                    self.hand_over(ticket, false, None, || {
                        tokio::task::spawn_blocking(move || crate::editor::edit(&name, &text))
                    })
                }
                Some(Effect::Debug {
                    ticket,
                    cluster,
                    context,
                    target,
                    image,
                }) => {
                    let Some(client) = self.connected(cluster, ticket, &context) else {
                        continue;
                    };
                    self.hand_over(ticket, true, None, move || {
                        tokio::spawn(async move {
                            crate::debug::debug(client, &context, target, image).await
                        })
                    });
                }
                Some(Effect::NodeShell {
                    ticket,
                    cluster,
                    context,
                    node,
                    pod,
                }) => {
                    let Some(client) = self.connected(cluster, ticket, &context) else {
                        continue;
                    };
                    let cleanup: Cleanup = {
                        let (client, pod) = (client.clone(), pod.clone());
                        Box::pin(async move { crate::debug::delete_pod(client, &pod).await })
                    };
                    self.hand_over(ticket, true, Some(cleanup), move || {
                        tokio::spawn(async move {
                            crate::debug::node_shell(client, &context, &node, pod).await
                        })
                    });
                }
                Some(Effect::Shell {
                    ticket,
                    cluster,
                    context,
                    target,
                    attach,
                    command,
                }) => {
                    let Some(client) = self.connected(cluster, ticket, &context) else {
                        continue;
                    };
                    let session = if attach {
                        crate::shell::Session::Attach
                    } else {
                        crate::shell::Session::Exec { command }
                    };
                    self.hand_over(ticket, true, None, move || {
                        tokio::spawn(async move {
                            crate::shell::run(client, &context, target, session)
                                .await
                                .map(|()| String::new())
                        })
                    });
                }
                Some(other) => tracing::warn!("effect nobody carries out: {other:?}"),
            }
        }
        Ok(false)
    }

    /// The client of `cluster` for a session; when it is not connected, the session's
    /// screen is told so.
    fn connected(
        &self,
        cluster: crate::model::ClusterId,
        ticket: u64,
        context: &str,
    ) -> Option<kube::Client> {
        match self.executor.client(cluster) {
            Ok(client) => Some(client),
            Err(why) => {
                let result = Err(format!("{context}: {why}"));
                self.executor.send(Msg::Done { ticket, result });
                None
            }
        }
    }

    /// Gives the terminal to `$EDITOR` or a shell; the loop keeps applying cluster messages
    /// meanwhile, but draws nothing and reads no keys until the child is done.
    fn hand_over(
        &mut self,
        ticket: u64,
        shell: bool,
        cleanup: Option<Cleanup>,
        start: impl FnOnce() -> JoinHandle<Result<String, String>>,
    ) {
        if self.handover.is_some() {
            return;
        }
        self.events = None;
        restore();
        let child = start();
        self.handover = Some(Handover {
            ticket,
            shell,
            child,
            cleanup,
        });
    }

    /// Ends the child that has the terminal, if one has, because flotilla is ending: a shell
    /// session is closed (its stdin thread stops with it), the editor is stopped and its file
    /// removed.
    async fn end_handover(&mut self) {
        let Some(h) = self.handover.take() else {
            return;
        };
        if h.shell {
            h.child.abort();
        } else {
            crate::editor::stop(EDITOR_GRACE);
        }
        // The session's or the editor's thread is done, or nearly: it no longer holds the exit.
        let _ = tokio::time::timeout(Duration::from_millis(500), h.child).await;
        if let Some(cleanup) = h.cleanup {
            let _ = tokio::time::timeout(CLEANUP_WITHIN, cleanup).await;
        }
    }

    fn take_back(&mut self) -> std::io::Result<()> {
        enter()?;
        self.events = Some(EventStream::new());
        // The child drew over everything: the next frame repaints every cell.
        self.term.clear()
    }
}

/// The terminal's event as the app's input: the edge where crossterm's types end. Key
/// releases and repeats (reported only with keyboard enhancement) and the mouse events
/// flotilla does not act on are dropped.
fn input(ev: Event) -> Option<Input> {
    use crate::key::{KeyCode as Code, KeyEvent as Key, KeyModifiers as Mods, MouseEvent};
    use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers, MouseEventKind};
    match ev {
        Event::Key(k) if k.kind == KeyEventKind::Press => {
            let code = match k.code {
                KeyCode::Char(c) => Code::Char(c),
                KeyCode::F(n) => Code::F(n),
                KeyCode::Enter => Code::Enter,
                KeyCode::Esc => Code::Esc,
                KeyCode::Tab => Code::Tab,
                KeyCode::BackTab => Code::BackTab,
                KeyCode::Backspace => Code::Backspace,
                KeyCode::Delete => Code::Delete,
                KeyCode::Insert => Code::Insert,
                KeyCode::Up => Code::Up,
                KeyCode::Down => Code::Down,
                KeyCode::Left => Code::Left,
                KeyCode::Right => Code::Right,
                KeyCode::Home => Code::Home,
                KeyCode::End => Code::End,
                KeyCode::PageUp => Code::PageUp,
                KeyCode::PageDown => Code::PageDown,
                _ => Code::Other,
            };
            let mut mods = Mods::NONE;
            for (theirs, ours) in [
                (KeyModifiers::SHIFT, Mods::SHIFT),
                (KeyModifiers::CONTROL, Mods::CONTROL),
                (KeyModifiers::ALT, Mods::ALT),
            ] {
                if k.modifiers.contains(theirs) {
                    mods.insert(ours);
                }
            }
            Some(Input::Key(Key::new(code, mods)))
        }
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollUp => Some(Input::Mouse(MouseEvent::ScrollUp)),
            MouseEventKind::ScrollDown => Some(Input::Mouse(MouseEvent::ScrollDown)),
            _ => None,
        },
        Event::Paste(s) => Some(Input::Paste(s)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyEventState, KeyModifiers};

    #[test]
    fn presses_become_the_apps_keys_and_releases_are_dropped() {
        let press = KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL | KeyModifiers::ALT,
        );
        let Some(Input::Key(k)) = input(Event::Key(press)) else {
            panic!("a press is a key");
        };
        assert_eq!(k.code, crate::key::KeyCode::Char('c'));
        assert_eq!(
            k.modifiers,
            crate::key::KeyModifiers::CONTROL | crate::key::KeyModifiers::ALT
        );
        let release = KeyEvent {
            kind: KeyEventKind::Release,
            state: KeyEventState::NONE,
            ..press
        };
        assert!(input(Event::Key(release)).is_none());
        assert!(input(Event::FocusGained).is_none());
    }
}
