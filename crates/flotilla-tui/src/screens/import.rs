//! `:ctx add PATH` (or `:ctx add -`, a paste buffer for the kubeconfig): every context of a
//! kubeconfig connected and shown with its version and identity, or why it did not answer;
//! a name already known is renamed first, as the user chooses. Enter saves the contexts that
//! answered to a file of flotilla's own (0600, audited; never the user's kubeconfig), `!`
//! those that did not too, and they connect at once.

use super::{Ctx, DrawCtx, Screen};
use crate::key::{KeyCode, KeyEvent, KeyModifiers};
use crate::modal::{Modal, ModalResult};
use crate::model::{Action, ImportCheck, ImportSource, Imported};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};
use ratatui_textarea::TextArea;

pub const MODE: &str = "ctx-add";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The paste buffer takes keys; ctrl-s checks it.
    Pasting,
    Checking,
    /// A taken name is being renamed.
    Renaming,
    Checked,
    Saving,
    /// Saved, or refused: the line says which.
    Done,
}

pub struct ImportScreen {
    title: String,
    source: Option<ImportSource>,
    buffer: Option<TextArea<'static>>,
    renames: Vec<(String, String)>,
    phase: Phase,
    check: ImportCheck,
    note: Option<Result<String, String>>,
    cursor: usize,
    step: u64,
}

/// `:ctx add PATH|-`
pub fn open(args: &str, _ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let path = args.trim();
    let mut s = ImportScreen {
        title: String::new(),
        source: None,
        buffer: None,
        renames: Vec::new(),
        phase: Phase::Checking,
        check: ImportCheck::default(),
        note: None,
        cursor: 0,
        step: 0,
    };
    match path {
        "" => return Err(":ctx add PATH (a kubeconfig file), or :ctx add - to paste one".into()),
        "-" => {
            s.title = "import contexts: paste a kubeconfig, then ctrl-s".into();
            s.buffer = Some(TextArea::default());
            s.phase = Phase::Pasting;
        }
        p => {
            let path = crate::files::expand_home(p);
            s.title = format!("import contexts from {}", path.display());
            s.source = Some(ImportSource::File(path));
        }
    }
    Ok(Box::new(s))
}

impl ImportScreen {
    pub fn phase(&self) -> Phase {
        self.phase.clone()
    }

    /// The contexts as checked: (name, server, what came of it).
    pub fn rows(&self) -> Vec<(String, String, String)> {
        self.check
            .probed
            .iter()
            .map(|p| {
                let said = match &p.result {
                    Ok((version, identity)) => format!(
                        "✓ {version} as {}",
                        identity.as_deref().unwrap_or("an unknown identity")
                    ),
                    Err(why) => format!("✗ {why}"),
                };
                (p.context.clone(), p.server.clone(), said)
            })
            .collect()
    }

    fn next_step(&mut self) -> u64 {
        self.step += 1;
        self.step
    }

    fn check(&mut self, ctx: &mut Ctx) {
        let Some(source) = self.source.clone() else {
            return;
        };
        self.phase = Phase::Checking;
        let step = self.next_step();
        ctx.check_import(
            source,
            self.renames.clone(),
            move |me: &mut Self, r, ctx| {
                if me.step == step {
                    me.checked(r, ctx);
                }
            },
        );
    }

    fn checked(&mut self, result: Result<ImportCheck, String>, ctx: &mut Ctx) {
        match result {
            Err(e) => {
                self.phase = Phase::Done;
                self.note = Some(Err(e));
            }
            Ok(check) => match check.taken.first().cloned() {
                Some(name) => self.ask_rename(name, ctx),
                None => {
                    self.check = check;
                    self.cursor = 0;
                    self.phase = Phase::Checked;
                }
            },
        }
    }

    /// A context named as one flotilla knows: the user names it anew (Esc cancels).
    fn ask_rename(&mut self, name: String, ctx: &mut Ctx) {
        self.phase = Phase::Renaming;
        let title = format!("A context named {name} exists: import it as");
        let suggested = format!("{name}-2");
        let fields = vec![("new name", suggested.as_str(), false)];
        let step = self.next_step();
        ctx.modal(Modal::form(title, fields), move |me: &mut Self, r, ctx| {
            if me.step != step {
                return;
            }
            match r {
                ModalResult::Submitted(v) => {
                    let new = v.first().map(|s| s.trim().to_string()).unwrap_or_default();
                    me.renames.retain(|(old, _)| *old != name);
                    me.renames.push((name, new));
                    me.check(ctx);
                }
                _ => {
                    me.phase = Phase::Done;
                    me.note = Some(Err(format!("{name} is taken: nothing imported")));
                }
            }
        });
    }

    fn save(&mut self, all: bool, ctx: &mut Ctx) {
        let Some(source) = self.source.clone() else {
            return;
        };
        let keep: Vec<String> = self
            .check
            .probed
            .iter()
            .filter(|p| all || p.result.is_ok())
            .map(|p| p.context.clone())
            .collect();
        if keep.is_empty() {
            return ctx.error("no context answered: ! imports them anyway");
        }
        self.phase = Phase::Saving;
        let step = self.next_step();
        ctx.import_contexts(
            source,
            self.renames.clone(),
            keep,
            move |me: &mut Self, r: Result<Imported, String>, ctx| {
                if me.step != step {
                    return;
                }
                me.phase = Phase::Done;
                match r {
                    Ok(done) => {
                        let names: Vec<String> =
                            done.contexts.iter().map(|c| c.name.clone()).collect();
                        let said =
                            format!("imported {} to {}; connecting", names.join(", "), done.file);
                        ctx.info(said.clone());
                        me.note = Some(Ok(said));
                    }
                    Err(e) => {
                        ctx.error(e.clone());
                        me.note = Some(Err(e));
                    }
                }
            },
        );
    }

    fn status(&self) -> String {
        match (&self.phase, &self.note) {
            (_, Some(Ok(s))) | (_, Some(Err(s))) => s.clone(),
            (Phase::Pasting, _) => "paste or type a kubeconfig; ctrl-s checks it".into(),
            (Phase::Checking, _) => "connecting to each context…".into(),
            (Phase::Renaming, _) => "a name is taken: choose another".into(),
            (Phase::Saving, _) => "saving…".into(),
            (Phase::Checked, _) => {
                let ok = self
                    .check
                    .probed
                    .iter()
                    .filter(|p| p.result.is_ok())
                    .count();
                let failed = self.check.probed.len() - ok;
                match (ok, failed) {
                    (_, 0) => format!("enter imports {ok} context(s)"),
                    (0, _) => format!("no context answered: ! imports the {failed} anyway"),
                    _ => format!(
                        "enter imports the {ok} that answered; ! also the {failed} that did not"
                    ),
                }
            }
            (Phase::Done, None) => String::new(),
        }
    }
}

impl Screen for ImportScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Apply, "import"),
            (Action::Force, "import all"),
            (Action::Submit, "check paste"),
            (Action::Back, "back"),
        ]
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        self.check(ctx);
    }

    fn raw_key(&mut self, key: KeyEvent, _ctx: &mut Ctx) -> bool {
        let (Phase::Pasting, Some(b)) = (&self.phase, &mut self.buffer) else {
            return false;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if key.code == KeyCode::Esc || (ctrl && matches!(key.code, KeyCode::Char('s' | 'c'))) {
            return false;
        }
        b.input(key);
        true
    }

    fn raw_paste(&mut self, text: &str, _ctx: &mut Ctx) -> bool {
        let (Phase::Pasting, Some(b)) = (&self.phase, &mut self.buffer) else {
            return false;
        };
        b.insert_str(crate::text::clean_lines(text).join("\n"));
        true
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if let Some(to) = super::moved(action, self.cursor, self.check.probed.len()) {
            self.cursor = to;
            return true;
        }
        match action {
            Action::Submit if self.phase == Phase::Pasting => {
                let text = self
                    .buffer
                    .as_ref()
                    .map(|b| b.lines().join("\n"))
                    .unwrap_or_default();
                self.source = Some(ImportSource::Text(text));
                self.check(ctx);
            }
            Action::Apply if self.phase == Phase::Checked => self.save(false, ctx),
            Action::Force if self.phase == Phase::Checked => self.save(true, ctx),
            Action::Apply | Action::Force => {
                ctx.error(format!("nothing to import: {}", self.status()))
            }
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.get("border"))
            .title(
                Line::from(format!(" {} ", crate::text::clean(&self.title)))
                    .style(theme.get("title")),
            );
        let inner = block.inner(area);
        f.render_widget(block, area);
        let [status, body] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(inner);
        let style = match &self.note {
            Some(Err(_)) => theme.get("flash-error"),
            _ => theme.get("text"),
        };
        f.render_widget(
            Paragraph::new(Line::styled(crate::text::clean(&self.status()), style))
                .wrap(Wrap { trim: false }),
            status,
        );
        if let (Phase::Pasting, Some(b)) = (&self.phase, &self.buffer) {
            f.render_widget(b, body);
            return;
        }
        let header = Row::new(["CONTEXT", "SERVER", "CHECK"].map(Cell::from))
            .style(theme.get("table-header"));
        let rows = self
            .rows()
            .into_iter()
            .enumerate()
            .map(|(i, (name, server, said))| {
                let slot = match (i == self.cursor, said.starts_with('✓')) {
                    (true, _) => "selected",
                    (_, true) => "row-ok",
                    _ => "row-error",
                };
                Row::new([name, server, said].map(|c| Cell::from(crate::text::clean(&c))))
                    .style(theme.get(slot))
            });
        let widths = [
            Constraint::Length(24),
            Constraint::Length(32),
            Constraint::Min(20),
        ];
        f.render_widget(Table::new(rows, widths).header(header), body);
    }
}
