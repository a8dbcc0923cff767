//! `:inspect` against the three testbed clusters, as a user sees it: every cluster is judged
//! and scored, the lab namespace's violators are listed on each, and Enter on a finding opens
//! the object's list with the cursor on it.

use crate::common;
use crate::harness;

use flotilla::model::Action;
use flotilla::screens::inspect::InspectScreen;
use flotilla::screens::table::TableScreen;
use harness::Harness;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);
const ALL: [&str; 3] = ["dev", "staging", "prod"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_scores_every_cluster_and_jumps_to_a_finding() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::new(&tb.kubeconfig, &ALL);
    // The clusters connect first: :inspect judges the connected ones.
    let connected = h
        .pump_until(WAIT, |h| h.app.store.clusters.iter().all(|s| s.connected))
        .await;
    assert!(connected, "{}", h.header());
    h.command("inspect");
    assert!(
        h.app.top_as::<InspectScreen>().is_some(),
        "{}",
        h.screen(160, 40)
    );
    let done = h
        .pump_until(WAIT, |h| {
            let s = h.screen(200, 60);
            ALL.iter().all(|c| {
                s.lines()
                    .any(|l| l.starts_with(&format!(" {c} ")) && l.contains("score "))
            }) && !s.contains("inspecting")
        })
        .await;
    let screen = h.screen(200, 60);
    assert!(done, "{screen}");
    assert!(screen.contains(" fleet score "), "{screen}");
    // Scores per category and namespace, the lab namespace among them on each cluster.
    h.action(Action::Scores);
    let scores = h.screen(200, 100);
    for c in ALL {
        for scope in ["namespace lab", "category security"] {
            let n = scores
                .lines()
                .filter(|l| l.starts_with(&format!("│{c} ")) && l.contains(scope))
                .count();
            assert_eq!(n, 1, "{c} {scope}: {scores}");
        }
    }
    h.action(Action::Scores);

    h.filter("pod-privileged");
    for c in ALL {
        let rows = h.lines_with(&["error", c, "pod-privileged", "lab", "Deployment/risky"]);
        assert_eq!(rows.len(), 1, "{c}: {}", h.screen(200, 60));
    }
    // The selected finding's check explains itself and says how to fix it.
    assert!(h.screen(200, 60).contains("Fix: "), "{}", h.screen(200, 60));

    h.action(Action::Enter);
    let jumped = h
        .pump_until(WAIT, |h| {
            h.app.top_as::<TableScreen>().is_some()
                && harness::selected_line(&h.app, 200, 60).is_some_and(|l| l.contains("risky"))
        })
        .await;
    assert!(jumped, "{}", h.screen(200, 60));
    h.action(Action::Back);
    assert!(h.app.top_as::<InspectScreen>().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_shows_each_subjects_roles_per_cluster_side_by_side() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::new(&tb.kubeconfig, &ALL);
    let connected = h
        .pump_until(WAIT, |h| h.app.store.clusters.iter().all(|s| s.connected))
        .await;
    assert!(connected, "{}", h.header());
    h.command("access");
    let read = h
        .pump_until(WAIT, |h| {
            let s = h.screen(220, 60);
            s.contains(" access[") && !s.contains("reading")
        })
        .await;
    assert!(read, "{}", h.screen(220, 60));
    // The seeded viewer's Role in shop, on every cluster, and its cluster-wide lister.
    h.filter("viewer");
    let role = h.lines_with(&["ServiceAccount", "shop/viewer", " shop "]);
    assert_eq!(role.len(), 1, "{}", h.screen(220, 60));
    assert_eq!(role[0].matches("read (pod-viewer)").count(), 3, "{role:?}");
    let lister = h.lines_with(&["ServiceAccount", "shop/viewer", "cluster-wide"]);
    assert_eq!(lister.len(), 1, "{}", h.screen(220, 60));
    assert_eq!(lister[0].matches("read (namespace-lister)").count(), 3);
    // The detail resolves the roles to verbs: namespaces cluster-wide; in shop, pods and
    // their logs, nothing else.
    let screen = h.screen(220, 60);
    assert!(screen.contains("namespaces: get,list,watch"), "{screen}");
    h.action(Action::Down);
    let screen = h.screen(220, 60);
    assert!(
        screen.contains("pods: get,list,watch · pods/log: get,list,watch"),
        "{screen}"
    );
    assert!(!screen.contains("secrets:"), "{screen}");

    // Drift: developers may edit on dev only; the lab robot is admin everywhere.
    refilter(&mut h, "developers");
    let devs = h.lines_with(&["Group", "developers", "cluster-wide"]);
    assert_eq!(devs.len(), 1, "{}", h.screen(220, 60));
    let header = h.lines_with(&["KIND", "SUBJECT", "WHERE"]);
    assert_eq!(header.len(), 1, "{}", h.screen(220, 60));
    assert_eq!(
        cells(&header[0], &devs[0], &ALL),
        ["write (edit)", "-", "-"],
        "write (edit) on dev, nothing elsewhere: {devs:?}"
    );
    refilter(&mut h, "lab/robot");
    let robot = h.lines_with(&["ServiceAccount", "lab/robot", "cluster-wide"]);
    assert_eq!(robot.len(), 1, "{}", h.screen(220, 60));
    assert_eq!(robot[0].matches("admin (cluster-admin)").count(), 3);
}

/// The cells of a table `row` under the `header`'s last columns, named `columns` in order: each
/// runs to the next one's start, the last to the end of the line (counted in characters).
fn cells(header: &str, row: &str, columns: &[&str]) -> Vec<String> {
    let starts: Vec<usize> = columns
        .iter()
        .map(|name| {
            let at = header
                .find(&format!(" {name} "))
                .unwrap_or_else(|| panic!("no column {name} in {header:?}"));
            header[..=at].chars().count()
        })
        .collect();
    let row: Vec<char> = row.chars().collect();
    starts
        .iter()
        .enumerate()
        .map(|(i, &from)| {
            let to = starts
                .get(i + 1)
                .map_or(row.len(), |&next| next.min(row.len()));
            row[from.min(to)..to]
                .iter()
                .collect::<String>()
                .trim_matches(|c: char| c.is_whitespace() || c == '│')
                .to_string()
        })
        .collect()
}

/// Replaces the filter (the prompt opens with the current one).
fn refilter(h: &mut Harness, text: &str) {
    h.action(Action::Filter);
    for _ in 0..40 {
        h.key(flotilla::key::KeyCode::Backspace);
    }
    for c in text.chars() {
        h.key(flotilla::key::KeyCode::Char(c));
    }
    h.key(flotilla::key::KeyCode::Enter);
}
