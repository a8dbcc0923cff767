//! Keys, the prompts and `:` commands: turning input into changes of the view stack.

use super::action::Action;
use super::command::{self, Command};
use super::table_view::{DisplayCol, SortBy};
use super::{App, ContextsView, Mode, Prompt, PromptKind, TextKind, TextView, View, filter};
use crate::kinds::resource;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind};

impl App {
    pub fn handle_event(&mut self, ev: Event) {
        match ev {
            Event::Key(k) if k.kind == KeyEventKind::Press => self.handle_key(k),
            Event::Mouse(m) => match m.kind {
                MouseEventKind::ScrollDown => (0..3).for_each(|_| self.dispatch(Action::Down)),
                MouseEventKind::ScrollUp => (0..3).for_each(|_| self.dispatch(Action::Up)),
                _ => {}
            },
            Event::Paste(s) => {
                if let Mode::Prompt(p) = &mut self.mode {
                    p.paste(&crate::text::clean(&s));
                    self.prompt_changed();
                }
            }
            _ => {}
        }
    }

    pub fn handle_key(&mut self, k: KeyEvent) {
        if let Mode::Prompt(_) = self.mode {
            self.prompt_key(k);
            return;
        }
        let key = crate::config::keymap::Key::from_event(&k);
        if let Some(a) = self.config.keymap.resolve(self.mode_name(), key) {
            self.dispatch(a);
        }
    }

    pub(super) fn prompt_key(&mut self, k: KeyEvent) {
        let Mode::Prompt(p) = &mut self.mode else {
            return;
        };
        let kind = p.kind;
        match k.code {
            KeyCode::Esc => {
                if kind == PromptKind::Filter {
                    self.set_filter("");
                }
                self.mode = Mode::Normal;
            }
            KeyCode::Enter => {
                let text = p.text().to_string();
                self.mode = Mode::Normal;
                if kind == PromptKind::Command {
                    self.run_command(&text);
                }
            }
            KeyCode::Tab => {
                if let Some(c) = self.completion()
                    && let Mode::Prompt(p) = &mut self.mode
                {
                    p.set_text(&c);
                }
            }
            KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                self.should_quit = true
            }
            _ => {
                if p.input(k) {
                    self.prompt_changed();
                }
            }
        }
    }

    pub(super) fn prompt_changed(&mut self) {
        if let Mode::Prompt(p) = &self.mode
            && p.kind == PromptKind::Filter
        {
            let text = p.text().to_string();
            self.set_filter(&text);
        }
    }

    pub(super) fn set_filter(&mut self, text: &str) {
        let live = self.live();
        match self.stack.last_mut() {
            Some(View::Table(t)) => {
                t.filter = filter::Filter::new(text);
                t.selected = 0;
                let show = live.len() > 1;
                t.refresh(&self.store, &live, show);
            }
            Some(View::Contexts(c)) => {
                c.filter = text.to_lowercase();
                c.selected = 0;
            }
            _ => {}
        }
    }

    /// The completed command line for Tab, from resource names and built-in commands.
    pub fn completion(&self) -> Option<String> {
        let Mode::Prompt(p) = &self.mode else {
            return None;
        };
        let input = p.text();
        if p.kind != PromptKind::Command || input.is_empty() || input.contains(' ') {
            return None;
        }
        let typed = input.to_lowercase();
        let mut names: Vec<String> = ["ctx", "contexts", "help", "quit"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for r in self.known_resources() {
            names.extend(r.names());
        }
        names.sort();
        names.dedup();
        let mut hits = names
            .into_iter()
            .filter(|n| n.starts_with(&typed) && *n != typed);
        hits.next()
    }

    pub fn run_command(&mut self, line: &str) {
        let cmd = match command::parse(line) {
            Ok(c) => c,
            Err(e) => return self.flash_error(e),
        };
        match cmd {
            Command::Quit => self.should_quit = true,
            Command::Help => self.dispatch(Action::Help),
            Command::Contexts => self.push(View::Contexts(ContextsView::default())),
            Command::Resource {
                name,
                namespaces,
                clusters,
            } => {
                let known = self.known_resources();
                let Some(info) = resource::resolve(&name, known) else {
                    return self.flash_error(format!("unknown resource {name:?}"));
                };
                let key = info.key.clone();
                let mut view = self.table_for(key);
                if let Some(names) = clusters {
                    if let Some(n) = names.iter().find(|n| self.live_id(n).is_none()) {
                        return self.flash_error(format!("no live cluster {n:?} (see :ctx)"));
                    }
                    view.clusters = Some(names.iter().filter_map(|n| self.live_id(n)).collect());
                }
                // Without a namespace argument the current scope carries over, as in k9s.
                view.namespaces = match namespaces {
                    Some(ns) => ns,
                    None => self.current_namespaces(),
                };
                if let Some(ns) = view.namespaces.clone() {
                    ns.iter().for_each(|n| self.remember_namespace(n));
                }
                // `:` starts a new history: the command's view replaces the stack.
                self.stack.truncate(1);
                self.stack[0] = View::Table(Box::new(view));
                self.tick();
            }
        }
    }

    pub(super) fn current_namespaces(&self) -> Option<Vec<String>> {
        self.stack.iter().rev().find_map(|v| match v {
            View::Table(t) => Some(t.namespaces.clone()),
            _ => None,
        })?
    }

    pub(super) fn remember_namespace(&mut self, ns: &str) {
        if !self.favourites.iter().any(|f| f == ns) {
            self.favourites.push(ns.to_string());
            if self.favourites.len() > 9 {
                self.favourites.remove(0);
            }
        }
    }

    pub(super) fn next_view_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn dispatch(&mut self, action: Action) {
        match action {
            Action::Quit => self.should_quit = true,
            Action::Command => {
                self.mode = Mode::Prompt(Box::new(Prompt::new(PromptKind::Command, "")))
            }
            Action::Filter => {
                let current = match self.stack.last() {
                    Some(View::Table(t)) => t.filter.text.clone(),
                    Some(View::Contexts(c)) => c.filter.clone(),
                    _ => return,
                };
                self.mode = Mode::Prompt(Box::new(Prompt::new(PromptKind::Filter, &current)));
            }
            Action::Help => {
                let id = self.next_view_id();
                self.push(View::Text(TextView::help(id, &self.config.keymap)));
            }
            Action::Contexts => self.push(View::Contexts(ContextsView::default())),
            Action::Back => self.back(),
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => self.move_cursor(action),
            Action::Enter => self.enter(),
            Action::Describe => self.open_text(TextKind::Describe),
            Action::Yaml => self.open_text(TextKind::Yaml),
            Action::Reveal => {
                if let Some(View::Text(t)) = self.stack.last_mut() {
                    t.revealed = !t.revealed;
                    t.render(jiff::Timestamp::now().as_second());
                }
            }
            Action::Copy => self.copy(),
            Action::ToggleContext => self.toggle_context(),
            Action::SortName => self.sort(SortBy::Name),
            Action::SortAge => self.sort(SortBy::Age),
            Action::SortStatus => {
                if let Some(View::Table(t)) = self.stack.last() {
                    match t
                        .columns
                        .iter()
                        .position(|c| c.name.eq_ignore_ascii_case("status"))
                    {
                        Some(i) => self.sort(SortBy::Col(DisplayCol::Cell(i))),
                        None => self.flash_error("this view has no STATUS column"),
                    }
                }
            }
            Action::SortNamespace => self.sort(SortBy::Col(DisplayCol::Namespace)),
            Action::SortColumn => {
                if let Some(View::Table(t)) = self.stack.last()
                    && let Some(c) = t.display.get(t.cursor_col).copied()
                {
                    self.sort(SortBy::Col(c));
                }
            }
            Action::ColumnLeft | Action::ColumnRight => {
                if let Some(View::Table(t)) = self.stack.last_mut() {
                    let n = t.display.len().max(1);
                    t.cursor_col = if action == Action::ColumnLeft {
                        (t.cursor_col + n - 1) % n
                    } else {
                        (t.cursor_col + 1) % n
                    };
                }
            }
            Action::AllNamespaces => self.set_namespaces(None),
            a => {
                if let Some(i) = a.favourite() {
                    match self.favourites.get(i).cloned() {
                        Some(ns) => self.set_namespaces(Some(vec![ns])),
                        None => self.flash_error(format!("no favourite namespace on {}", i + 1)),
                    }
                }
            }
        }
    }

    pub(super) fn sort(&mut self, by: SortBy) {
        if let Some(View::Table(t)) = self.stack.last_mut() {
            t.set_sort(by);
        }
        self.tick();
    }

    pub(super) fn set_namespaces(&mut self, ns: Option<Vec<String>>) {
        if let Some(View::Table(t)) = self.stack.last_mut() {
            t.namespaces = ns;
            t.selected = 0;
            t.invalidate();
        }
        self.tick();
    }

    pub(super) fn back(&mut self) {
        if let Some(View::Table(t)) = self.stack.last()
            && t.filter.is_active()
        {
            return self.set_filter("");
        }
        if self.stack.len() > 1 {
            self.stack.pop();
            if let Some(View::Table(t)) = self.stack.last_mut() {
                t.invalidate();
            }
            self.tick();
        }
    }

    pub(super) fn move_cursor(&mut self, a: Action) {
        let page = 20;
        let step = |pos: usize, len: usize| -> usize {
            let last = len.saturating_sub(1);
            match a {
                Action::Up => pos.saturating_sub(1),
                Action::Down => (pos + 1).min(last),
                Action::PageUp => pos.saturating_sub(page),
                Action::PageDown => (pos + page).min(last),
                Action::Top => 0,
                _ => last,
            }
        };
        match self.stack.last_mut() {
            Some(View::Table(t)) => {
                t.selected = step(t.selected, t.rows.len());
                t.follow = true;
            }
            Some(View::Text(t)) => t.scroll = step(t.scroll, t.lines.len()),
            Some(View::Contexts(c)) => {
                let n = c.visible(&self.contexts).len();
                c.selected = step(c.selected, n);
            }
            None => {}
        }
    }
}
