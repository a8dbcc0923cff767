//! The README's "How to add a screen", done from outside the crate: a screen of this test's
//! own, declared once, opened by its `:` command, drawn, given its own keys, reaching the
//! cluster only through a request (an `Effect` the runner carries out), listed in help with
//! its description, completed on Tab, and closed by Esc.

use crate::snapshots::type_keys;
use flotilla::app::{App, Input};
use flotilla::config::Config;
use flotilla::config::keymap::Keymap;
use flotilla::key::{KeyCode, KeyEvent};
use flotilla::model::{Action, ApiError, ClusterId, Fetched};
use flotilla::protocol::{Effect, Msg};
use flotilla::screens::{Catalog, Command, Ctx, Declared, Deliver, DrawCtx, Screen};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Paragraph;

/// `:greet NAME`: the ConfigMap NAME in `default` of the first live cluster, its `greeting`
/// key shown; `u` (its own binding to `wrap`) shouts it.
struct Greeter {
    name: String,
    cluster: Option<ClusterId>,
    greeting: Option<String>,
    shout: bool,
}

const MODE: &str = "greet";

static GREETER: Declared = Declared {
    mode: MODE,
    commands: &[Command {
        names: &["greet", "gr"],
        about: "the greeting a ConfigMap holds: :greet NAME",
        open,
    }],
};

fn open(args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let name = args.trim();
    if name.is_empty() {
        return Err("usage: :greet NAME".into());
    }
    Ok(Box::new(Greeter {
        name: name.into(),
        cluster: ctx.store.clusters.ids().into_iter().next(),
        greeting: None,
        shout: false,
    }))
}

impl Screen for Greeter {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        &[(Action::Back, "back"), (Action::Wrap, "shout")]
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        let Some(cluster) = self.cluster else {
            return ctx.error("no live cluster");
        };
        let path = format!("/api/v1/namespaces/default/configmaps/{}", self.name);
        ctx.fetch(
            cluster,
            path,
            None,
            Deliver::OnStack,
            |me: &mut Self, r, ctx: &mut Ctx| match r {
                Ok(f) => {
                    let text = f.object.pointer("/data/greeting").and_then(|g| g.as_str());
                    me.greeting = Some(text.unwrap_or("(none)").to_string());
                }
                Err(e) => ctx.error(format!("configmap {}: {e}", me.name)),
            },
        );
    }

    fn handle(&mut self, action: &Action, _ctx: &mut Ctx) -> bool {
        match action {
            Action::Wrap => self.shout = !self.shout,
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, _ctx: &DrawCtx) {
        let text = match &self.greeting {
            None => "asking…".to_string(),
            Some(g) if self.shout => g.to_uppercase(),
            Some(g) => g.clone(),
        };
        f.render_widget(Paragraph::new(format!("greeting: {text}")), area);
    }
}

fn render(app: &mut App) -> String {
    crate::snapshots::render(app, 100, 60)
}

fn command(app: &mut App, line: &str) -> Vec<Effect> {
    app.update(Input::Action(Action::Command));
    type_keys(app, line);
    app.update(Input::Key(KeyEvent::from(KeyCode::Enter)))
}

fn app() -> App {
    let catalog = Catalog::default().with(&GREETER).expect("greet is free");
    let mut config = Config::builtin(&catalog.modes());
    // The screen's keymap section, as a user's keymap file (or keymaps/default.toml) has it.
    config.keymap = Keymap::load(
        Some(("[greet]\nu = \"wrap\"\n", "keymap.toml")),
        &catalog.modes(),
    )
    .expect("the greet section is known");
    let dev = flotilla::model::ContextEntry {
        name: "dev".into(),
        cluster: "dev".into(),
        user: "admin".into(),
        namespace: None,
        server: "https://127.0.0.1:1".into(),
    };
    App::with_screens(vec![dev], &["dev".into()], config, catalog)
}

#[test]
fn a_screen_declared_outside_flotilla_works_like_its_own() {
    let mut app = app();
    app.update(Input::Tick);

    // Its command opens it, and it asks the cluster through an effect.
    let effects = command(&mut app, "gr hello");
    let (ticket, path) = effects
        .iter()
        .find_map(|e| match e {
            Effect::Fetch { ticket, path, .. } => Some((*ticket, path.clone())),
            _ => None,
        })
        .expect("the screen's fetch became an effect");
    assert_eq!(path, "/api/v1/namespaces/default/configmaps/hello");
    let screen = render(&mut app);
    assert!(screen.contains("greeting: asking…"), "{screen}");
    assert!(screen.contains("<u> shout"), "{screen}");

    // The answer goes to it; its own key works.
    let object = serde_json::json!({"data": {"greeting": "hello, world"}});
    app.update(Input::Msg(Msg::Fetched {
        ticket,
        result: Ok::<_, ApiError>(Fetched {
            object,
            events: Vec::new(),
        }),
    }));
    assert!(render(&mut app).contains("greeting: hello, world"));
    type_keys(&mut app, "u");
    assert!(render(&mut app).contains("greeting: HELLO, WORLD"));

    // Esc closes it.
    app.update(Input::Action(Action::Back));
    assert!(!render(&mut app).contains("greeting:"));

    // A wrong argument is one line.
    command(&mut app, "greet");
    assert!(render(&mut app).contains("usage: :greet NAME"));

    // Help lists it with its description; Tab completes it.
    command(&mut app, "help");
    let help = render(&mut app);
    assert!(
        help.lines()
            .any(|l| l.contains(":greet  :gr") && l.contains("the greeting a ConfigMap holds")),
        "{help}"
    );
    app.update(Input::Action(Action::Back));
    app.update(Input::Action(Action::Command));
    type_keys(&mut app, "gre");
    assert_eq!(app.completion().as_deref(), Some("greet"));
}
