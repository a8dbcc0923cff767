//! `:pf` — the port-forwards running now: where each goes, its state and the bytes each way.
//! Forwards outlive the screen that started them; they stop on ctrl-d here, when their
//! context is disconnected, or when flotilla exits.

use super::{Ctx, DrawCtx, Request, Screen};
use crate::model::{Action, ClusterId, ForwardEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use std::net::SocketAddr;

pub const MODE: &str = "forwards";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ForwardState {
    Starting,
    Listening,
    Stopped(String),
}

#[derive(Clone, Debug)]
pub struct Forward {
    pub id: u64,
    pub cluster: ClusterId,
    pub context: String,
    /// What the user forwards to (`Service shop/web`).
    pub what: String,
    pub remote_port: u16,
    pub local: SocketAddr,
    pub state: ForwardState,
    /// The pod traffic goes to now.
    pub pod: Option<String>,
    pub sent: u64,
    pub received: u64,
    pub error: Option<String>,
}

impl Forward {
    pub fn new(
        id: u64,
        cluster: ClusterId,
        context: String,
        what: String,
        remote_port: u16,
        local: SocketAddr,
    ) -> Self {
        Forward {
            id,
            cluster,
            context,
            what,
            remote_port,
            local,
            state: ForwardState::Starting,
            pod: None,
            sent: 0,
            received: 0,
            error: None,
        }
    }

    pub fn apply(&mut self, ev: ForwardEvent) {
        match ev {
            ForwardEvent::Listening(addr) => {
                self.local = addr;
                self.state = ForwardState::Listening;
            }
            ForwardEvent::Pod(p) => self.pod = Some(crate::text::clean(&p)),
            ForwardEvent::Bytes { sent, received } => (self.sent, self.received) = (sent, received),
            ForwardEvent::Error(e) => self.error = Some(crate::text::clean(&e)),
            ForwardEvent::Stopped(why) => self.stopped(&why),
        }
    }

    pub fn stopped(&mut self, why: &str) {
        self.state = ForwardState::Stopped(crate::text::clean(why));
    }

    fn state_text(&self) -> String {
        match &self.state {
            ForwardState::Starting => "starting".into(),
            ForwardState::Listening => match &self.error {
                Some(e) => format!("listening (last error: {e})"),
                None => "listening".into(),
            },
            ForwardState::Stopped(why) => format!("stopped: {why}"),
        }
    }
}

pub struct ForwardsScreen {
    cursor: usize,
    filter: String,
}

pub fn open(_args: &str, _ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    Ok(Box::new(ForwardsScreen {
        cursor: 0,
        filter: String::new(),
    }))
}

impl ForwardsScreen {
    fn shown<'a>(&self, forwards: &'a [Forward]) -> Vec<&'a Forward> {
        let f = self.filter.to_lowercase();
        forwards
            .iter()
            .filter(|x| {
                f.is_empty()
                    || format!("{} {} {}", x.context, x.what, x.local)
                        .to_lowercase()
                        .contains(&f)
            })
            .collect()
    }
}

impl Screen for ForwardsScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Delete, "stop"),
            (Action::Filter, "filter"),
            (Action::Back, "back"),
        ]
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        let shown = self.shown(&ctx.shared.forwards);
        if let Some(to) = super::moved(action, self.cursor, shown.len()) {
            self.cursor = to;
            return true;
        }
        match action {
            Action::Delete => match shown.get(self.cursor) {
                Some(f) => {
                    let msg = format!("stopped the forward {} → {}", f.local, f.what);
                    ctx.request(Request::StopForward(f.id));
                    ctx.info(msg);
                }
                None => ctx.error("no port-forward selected"),
            },
            _ => return false,
        }
        true
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        let n = self.shown(&ctx.shared.forwards).len();
        self.cursor = self.cursor.min(n.saturating_sub(1));
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let shown = self.shown(&ctx.shared.forwards);
        let title = format!(" port-forwards ({}) ", shown.len());
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Line::from(title).style(theme.get("title")));
        if shown.is_empty() {
            let p = Paragraph::new(
                "No port-forwards. Press shift-f on a pod, service or workload to start one.",
            )
            .block(block)
            .style(theme.get("row-done"));
            f.render_widget(p, area);
            return;
        }
        let header = Row::new(
            [
                "CONTEXT", "TARGET", "LOCAL", "POD", "STATE", "SENT", "RECEIVED",
            ]
            .map(Cell::from),
        )
        .style(theme.get("table-header"));
        let rows = shown.iter().enumerate().map(|(i, fw)| {
            let style = match (&fw.state, i == self.cursor) {
                (_, true) => theme.get("selected"),
                (ForwardState::Stopped(_), _) => theme.get("row-error"),
                _ => theme.get("row-ok"),
            };
            Row::new(vec![
                Cell::from(fw.context.clone()),
                Cell::from(format!("{}:{}", fw.what, fw.remote_port)),
                Cell::from(fw.local.to_string()),
                Cell::from(fw.pod.clone().unwrap_or_else(|| "-".into())),
                Cell::from(fw.state_text()),
                Cell::from(crate::human::bytes(fw.sent)),
                Cell::from(crate::human::bytes(fw.received)),
            ])
            .style(style)
        });
        let widths = [
            Constraint::Length(12),
            Constraint::Min(20),
            Constraint::Length(21),
            Constraint::Length(28),
            Constraint::Min(12),
            Constraint::Length(10),
            Constraint::Length(10),
        ];
        f.render_widget(Table::new(rows, widths).header(header).block(block), area);
    }

    fn filter(&self) -> Option<&str> {
        Some(&self.filter)
    }

    fn set_filter(&mut self, text: &str, _ctx: &mut Ctx) {
        self.filter = text.to_string();
        self.cursor = 0;
    }
}
