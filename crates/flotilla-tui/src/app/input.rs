//! Keys, the prompts and `:` commands. A key goes to the top modal layer first, then to an
//! open prompt, then — resolved through the keymap — to the top screen, and what the screen
//! leaves is handled here (quit, the prompts, help, contexts, back).

use super::command::{self, Command};
use super::{App, Prompt, PromptKind};
use crate::config::keymap::Key;
use crate::key::{KeyCode, KeyEvent, KeyModifiers, MouseEvent};
use crate::kinds::resource;
use crate::modal::Step;
use crate::model::Action;
use crate::protocol::Effect;
use crate::screens::contexts::ContextsScreen;
use crate::screens::table::TableScreen;
use crate::screens::text::TextScreen;
use crate::screens::{Answer, Ctx};

impl App {
    pub(super) fn key(&mut self, k: KeyEvent) {
        if let Some(layer) = self.layers.last_mut() {
            if let Step::Done(result) = layer.modal.key(k)
                && let Some(layer) = self.layers.pop()
            {
                if layer.owner == super::mutate::APP_LAYER {
                    return self.app_modal(layer.id, result);
                }
                if let Some(mut reply) = layer.reply {
                    self.with_screen(layer.owner, |s, ctx| {
                        reply.answer(s, Answer::Modal(result), ctx)
                    });
                }
            }
            return;
        }
        if self.prompt.is_some() {
            return self.prompt_key(k);
        }
        if self.with_top(|s, ctx| s.raw_key(k, ctx)) == Some(true) {
            return;
        }
        let key = Key::from_event(&k);
        if let Some(a) = self.config.keymap.resolve(self.top().mode(), key) {
            self.action(a);
        }
    }

    pub(super) fn mouse(&mut self, m: MouseEvent) {
        let a = match m {
            MouseEvent::ScrollDown => Action::Down,
            MouseEvent::ScrollUp => Action::Up,
        };
        if self.layers.is_empty() {
            (0..3).for_each(|_| self.action(a.clone()));
        }
    }

    pub(super) fn paste(&mut self, text: &str) {
        if self.layers.is_empty()
            && self.prompt.is_none()
            && self.with_top(|s, ctx| s.raw_paste(text, ctx)) == Some(true)
        {
            return;
        }
        let text = crate::text::clean(text);
        if let Some(layer) = self.layers.last_mut() {
            layer.modal.paste(&text);
        } else if let Some(p) = &mut self.prompt {
            p.paste(&text);
            self.prompt_changed();
        }
    }

    /// An action: the top screen's first, then the app's. The screen catches up with the
    /// store first, so the action applies to what is there now (a filter typed a moment ago,
    /// a row deleted since the last frame), not to what the last frame showed.
    pub(super) fn action(&mut self, a: Action) {
        let handled = self.with_top(|s, ctx| {
            s.refresh(ctx);
            s.handle(&a, ctx)
        });
        if handled == Some(true) {
            return;
        }
        match a {
            Action::Quit => self.quit(),
            Action::Command => self.prompt = Some(Prompt::new(PromptKind::Command, "")),
            Action::Run(line) => self.run_command(&line),
            Action::Filter => {
                if let Some(text) = self.top().filter().map(str::to_string) {
                    self.prompt = Some(Prompt::new(PromptKind::Filter, &text));
                }
            }
            Action::Help => {
                let help = self.with_top(|_, ctx| TextScreen::help(ctx));
                if let Some(h) = help {
                    self.push_screen(Box::new(h));
                }
            }
            Action::Contexts => self.push_screen(Box::new(ContextsScreen::default())),
            Action::Back => self.back(),
            _ => {}
        }
    }

    fn quit(&mut self) {
        // Open port-forwards end with flotilla: their outcomes say so.
        let forwards: Vec<u64> = self.shared.forwards.iter().map(|f| f.id).collect();
        for id in forwards {
            self.session_ended(id, Ok("stopped: flotilla quit".into()));
        }
        self.effects.push(Effect::Quit);
    }

    /// Esc: clears the filter first, then goes back a screen.
    fn back(&mut self) {
        if self.top().filter().is_some_and(|f| !f.is_empty()) {
            return self.set_filter("");
        }
        if self.screens.len() > 1 {
            self.pop();
        }
    }

    fn prompt_key(&mut self, k: KeyEvent) {
        let Some(p) = &mut self.prompt else { return };
        let kind = p.kind;
        match k.code {
            KeyCode::Esc => {
                if kind == PromptKind::Filter {
                    self.set_filter("");
                }
                self.prompt = None;
            }
            KeyCode::Enter => {
                let text = p.text().to_string();
                self.prompt = None;
                if kind == PromptKind::Command {
                    self.run_command(&text);
                }
            }
            KeyCode::Tab => {
                if let Some(c) = self.completion()
                    && let Some(p) = &mut self.prompt
                {
                    p.set_text(&c);
                }
            }
            KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => self.quit(),
            _ => {
                if p.input(k) {
                    self.prompt_changed();
                }
            }
        }
    }

    fn prompt_changed(&mut self) {
        if let Some(p) = &self.prompt
            && p.kind == PromptKind::Filter
        {
            let text = p.text().to_string();
            self.set_filter(&text);
        }
    }

    /// Sets the top screen's filter, as typing it after `/` does.
    pub fn set_filter(&mut self, text: &str) {
        self.with_top(|s, ctx| s.set_filter(text, ctx));
    }

    /// The completed command line for Tab, from resource names and screen commands.
    pub fn completion(&self) -> Option<String> {
        let p = self.prompt.as_ref()?;
        let input = p.text();
        if p.kind != PromptKind::Command || input.is_empty() || input.contains(' ') {
            return None;
        }
        let typed = input.to_lowercase();
        let mut names: Vec<String> = vec!["quit".into()];
        for c in self.catalog.commands() {
            names.extend(c.names.iter().map(|n| n.to_string()));
        }
        for r in self.known_resources() {
            names.extend(r.names());
        }
        names.sort();
        names.dedup();
        names
            .into_iter()
            .find(|n| n.starts_with(&typed) && *n != typed)
    }

    /// Runs a `:` command line.
    pub fn run_command(&mut self, line: &str) {
        let cmd = match command::parse(line, &self.catalog) {
            Ok(c) => c,
            Err(e) => return self.flash_error(e),
        };
        match cmd {
            Command::Quit => self.quit(),
            Command::Open { screen, args } => {
                let opened = self.with_top(|_, ctx| (screen.open)(&args, ctx));
                match opened {
                    Some(Ok(s)) => self.push_screen(s),
                    Some(Err(e)) => self.flash_error(e),
                    None => {}
                }
            }
            Command::Resource {
                name,
                namespaces,
                clusters,
            } => {
                let Some(info) = resource::resolve(&name, self.known_resources()) else {
                    return self.flash_error(format!("unknown resource {name:?}"));
                };
                let key = info.key.clone();
                if let Some(Some(names)) = &clusters
                    && let Some(n) = names
                        .iter()
                        .find(|n| self.store.clusters.by_context(n).is_none())
                {
                    return self.flash_error(format!("no live cluster {n:?} (see :ctx)"));
                }
                // Without a namespace argument the current scope carries over, as in k9s.
                let namespaces = match namespaces {
                    Some(ns) => ns,
                    None => self
                        .screens
                        .iter()
                        .rev()
                        .find_map(|e| e.screen.namespaces())
                        .flatten(),
                };
                for ns in namespaces.iter().flatten() {
                    self.remember_namespace(ns);
                }
                // So does the cluster scope (a cluster opened from the fleet view).
                let clusters = match clusters {
                    Some(c) => c,
                    None => self
                        .screens
                        .iter()
                        .rev()
                        .find_map(|e| e.screen.contexts())
                        .flatten(),
                };
                let view = self.with_top(|_, ctx: &mut Ctx| {
                    let mut view = TableScreen::of(key, ctx).with_namespaces(namespaces);
                    view.contexts = clusters;
                    view
                });
                // `:` starts a new history: the command's view replaces the stack.
                if let Some(view) = view {
                    self.root(Box::new(view));
                }
            }
        }
    }
}
