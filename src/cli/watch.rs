//! `flotilla watch --notify`: the app without a terminal (for tmux on a jump host or a
//! systemd unit). The same loop as the TUI's (messages in, effects out, ticks), with the
//! notifications sent here so that each one can be reported on stdout (sanitized, as all the
//! CLI prints).

use super::{eprint, print};
use crate::app::{App, Input};
use crate::executor::Executor;
use crate::notify::sender::{Report, Sender};
use crate::notify::{Plan, Watch, redact};
use crate::protocol::{Effect, Msg};
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::UnboundedReceiver;

const TICK: Duration = Duration::from_millis(250);
/// On SIGINT/SIGTERM, messages already queued get this long to go out.
const GRACE: Duration = Duration::from_secs(3);

fn stamp() -> String {
    let now = jiff::Timestamp::now().as_second();
    jiff::Timestamp::from_second(now)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// What was sent on stdout, what failed (with the webhook's answer) on stderr; both hold a
/// cluster's and a webhook's text, so they go out sanitized.
fn report(r: Report) {
    match r.result {
        Ok(_) => say(&format!("{} sent {}: {}", stamp(), r.hook, r.summary)),
        Err(why) => eprint(&format!(
            "{} failed {}: {}: {why}\n",
            stamp(),
            r.hook,
            r.summary
        )),
    }
}

/// One line on stdout; a closed stdout ends nothing here (the notifications still go out).
fn say(line: &str) {
    let _ = print(&format!("{line}\n"));
}

/// Runs until SIGINT or SIGTERM (or `for_secs`), then returns. Errors are the user's
/// (signals that cannot be caught).
pub async fn run(
    mut app: App,
    mut executor: Executor,
    mut rx: UnboundedReceiver<Msg>,
    plan: &Plan,
    for_secs: Option<u64>,
) -> Result<(), String> {
    let mut sigint = signal(SignalKind::interrupt()).map_err(|e| format!("SIGINT: {e}"))?;
    let mut sigterm = signal(SignalKind::terminate()).map_err(|e| format!("SIGTERM: {e}"))?;
    app.notify = Some(Watch::new(plan));
    let contexts: Vec<String> = app
        .store
        .clusters
        .iter()
        .map(|s| s.context.clone())
        .collect();
    let hooks: Vec<String> = plan
        .hooks
        .iter()
        .map(|h| format!("{} ({})", h.name, redact(&h.url)))
        .collect();
    say(&format!(
        "{} watching {} for {}",
        stamp(),
        contexts.join(", "),
        hooks.join(", ")
    ));
    let (tx, mut reports) = tokio::sync::mpsc::unbounded_channel();
    let mut sender = Sender::with_reports(tx);
    let mut carry = |effects: Vec<Effect>, sender: &mut Sender| {
        for e in effects {
            match e {
                Effect::Notify(o) => sender.send(o),
                other => {
                    // The rest (clipboard, editor, shells) needs a terminal no one asked for here.
                    if let Some(left) = executor.run(other) {
                        tracing::debug!("watch: ignoring {left:?}");
                    }
                }
            }
        }
    };
    carry(app.update(Input::Tick), &mut sender);
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let until = async {
        match for_secs {
            Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(until);
    loop {
        tokio::select! {
            _ = sigint.recv() => break,
            _ = sigterm.recv() => break,
            _ = &mut until => break,
            Some(m) = rx.recv() => {
                carry(app.update(Input::Msg(m)), &mut sender);
                while let Ok(m) = rx.try_recv() {
                    carry(app.update(Input::Msg(m)), &mut sender);
                }
            }
            _ = ticks.tick() => {
                carry(app.update(Input::Tick), &mut sender);
                for (context, open) in app.notify.as_mut().map(Watch::take_ready).unwrap_or_default() {
                    say(&format!(
                        "{} ready {context}: {open} problem(s) already open, not sent; notifying changes",
                        stamp()
                    ));
                }
            }
            Some(r) = reports.recv() => report(r),
        }
    }
    sender.finish(GRACE).await;
    while let Ok(r) = reports.try_recv() {
        report(r);
    }
    let (sent, failed) = crate::notify::sender::counts();
    tracing::info!("watch: stopping ({sent} sent, {failed} failed)");
    Ok(())
}
