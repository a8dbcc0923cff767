//! Whole-screen snapshots of the main screens, rendered from known rows at a fixed time.

mod harness;

use flotilla::app::App;
use flotilla::app::action::Action;
use flotilla::config::Config;
use harness::synthetic;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const NOW: i64 = 1_780_000_000;

fn app() -> App {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let kc = kube::config::Kubeconfig::default();
    let mut app = App::new(kc, Vec::new(), &[], Config::builtin(), tx);
    let dev = app.insert_static_cluster("dev", "v1.36.3");
    let prod = app.insert_static_cluster("prod", "v1.36.3");
    synthetic::load_pods(&mut app, dev, "dev", 60, NOW);
    synthetic::load_pods(&mut app, prod, "prod", 40, NOW);
    app.tick();
    app
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| flotilla::ui::draw_at(f, app, NOW))
        .expect("draw");
    format!("{}", term.backend())
}

fn type_keys(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle_key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char(c),
        ));
    }
}

#[tokio::test]
async fn pods_merged_80x24() {
    let app = app();
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[tokio::test]
async fn pods_filtered_wide() {
    let mut app = app();
    app.dispatch(Action::Filter);
    type_keys(&mut app, "crash");
    insta::assert_snapshot!(render(&app, 140, 12));
}

#[tokio::test]
async fn command_prompt_completes() {
    let mut app = app();
    app.dispatch(Action::Command);
    type_keys(&mut app, "dep");
    let screen = render(&app, 80, 6);
    assert!(screen.contains(":deploy"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn help_lists_bindings() {
    let mut app = app();
    app.dispatch(Action::Help);
    insta::assert_snapshot!(render(&app, 100, 40));
}
