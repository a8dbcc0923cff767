//! Whole-screen snapshots of the main screens, rendered from known rows at a fixed time.
//! No runtime and no terminal: the app is driven through `update` alone.

mod harness;

use flotilla::app::{App, Input};
use flotilla::model::Action;
use harness::synthetic;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const NOW: i64 = 1_780_000_000;

fn app() -> App {
    let mut app = synthetic::app(&["dev", "prod"]);
    synthetic::load_pods(&mut app, "dev", 60, NOW);
    synthetic::load_pods(&mut app, "prod", 40, NOW);
    app.update(Input::Tick);
    app
}

fn render(app: &mut App, w: u16, h: u16) -> String {
    app.update(Input::Tick);
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| flotilla::ui::draw_at(f, app, NOW))
        .expect("draw");
    format!("{}", term.backend())
}

fn type_keys(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(Input::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char(c),
        )));
    }
}

#[test]
fn pods_merged_80x24() {
    let mut app = app();
    insta::assert_snapshot!(render(&mut app, 80, 24));
}

#[test]
fn pods_filtered_wide() {
    let mut app = app();
    app.update(Input::Action(Action::Filter));
    type_keys(&mut app, "crash");
    insta::assert_snapshot!(render(&mut app, 140, 12));
}

#[test]
fn command_prompt_completes() {
    let mut app = app();
    app.update(Input::Action(Action::Command));
    type_keys(&mut app, "dep");
    let screen = render(&mut app, 80, 6);
    assert!(screen.contains(":deploy"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn help_lists_bindings() {
    let mut app = app();
    app.update(Input::Action(Action::Help));
    insta::assert_snapshot!(render(&mut app, 100, 40));
}

#[test]
fn typed_confirmation_over_a_list() {
    let mut app = app();
    app.open_modal(
        1,
        flotilla::modal::Modal::confirm_typed(
            "delete",
            vec!["Delete Deployment web in shop on prod?".into()],
            "web",
        ),
    );
    type_keys(&mut app, "we");
    insta::assert_snapshot!(render(&mut app, 80, 16));
}
