//! The terminal and the event loop. The terminal is restored on normal exit, error, panic,
//! SIGTERM, SIGHUP (SSH hangup) and SIGINT.

use crate::app::App;
use crate::msg::Receiver;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
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
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};

pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        stdout(),
        DisableMouseCapture,
        DisableBracketedPaste,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

fn setup() -> std::io::Result<Terminal<CrosstermBackend<Stdout>>> {
    enable_raw_mode()?;
    let mut out = stdout();
    if let Err(e) = execute!(
        out,
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste
    ) {
        restore();
        return Err(e);
    }
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        prev(info);
    }));
    Terminal::new(CrosstermBackend::new(out))
}

pub async fn run(mut app: App, mut rx: Receiver) -> color_eyre::Result<()> {
    let mut term = setup()?;
    let result = event_loop(&mut term, &mut app, &mut rx).await;
    restore();
    result
}

async fn event_loop(
    term: &mut Terminal<CrosstermBackend<Stdout>>,
    app: &mut App,
    rx: &mut Receiver,
) -> color_eyre::Result<()> {
    let mut events = EventStream::new();
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    // Ages on screen change once a second; nothing else needs a timer. Frames are drawn
    // only when something changed, at most every 16 ms, so an idle screen costs nothing.
    let mut second = tokio::time::interval(Duration::from_secs(1));
    let frame = Duration::from_millis(16);
    let mut last_draw = tokio::time::Instant::now() - frame;
    let mut dirty = true;
    loop {
        let next_frame = last_draw + frame;
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => { app.handle_event(ev); dirty = true; }
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
            Some(msg) = rx.recv() => {
                app.handle_msg(msg);
                // Drain what is queued, then draw once.
                while let Ok(m) = rx.try_recv() { app.handle_msg(m); }
                dirty = true;
            }
            _ = second.tick() => { dirty = true; }
            _ = tokio::time::sleep_until(next_frame), if dirty => {
                app.tick();
                term.draw(|f| crate::ui::draw(f, app))?;
                last_draw = tokio::time::Instant::now();
                dirty = false;
            }
            _ = sigterm.recv() => return Ok(()),
            _ = sighup.recv() => return Ok(()),
            _ = sigint.recv() => return Ok(()),
        }
        if let Some(text) = app.clipboard.take() {
            let _ = crate::clipboard::copy(&mut stdout(), &text);
        }
        if app.should_quit {
            return Ok(());
        }
    }
}
