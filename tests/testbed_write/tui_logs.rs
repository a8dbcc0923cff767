//! Log panes and `:exec` against the real testbed clusters, through the App as the terminal
//! drives it: the lines a user sees, their prefixes, escapes, JSON columns, pods joining and
//! leaving a tail, previous containers, and one command run in pods of two clusters.

use crate::common;
use crate::harness;

use flotilla::model::Action;
use flotilla::screens::logs::LogScreen;
use harness::Harness;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(40);

/// Marks the rows of a list filtered to `filter` (one per cluster), waiting for `rows` rows.
async fn mark_rows(h: &mut Harness, command: &str, filter: &str, rows: usize) {
    h.command(command);
    h.filter(filter);
    let ok = h
        .pump_until(WAIT, |h| {
            let screen = h.screen(200, 60);
            let rows_shown = screen
                .lines()
                .filter(|l| l.starts_with("│dev ") || l.starts_with("│staging "))
                .count();
            rows_shown >= rows
        })
        .await;
    assert!(ok, "{rows} rows of {filter}:\n{}", h.screen(200, 60));
    h.action(Action::Top);
    for _ in 0..rows {
        h.action(Action::Mark);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workload_tail_across_two_clusters_shows_both_with_prefixes() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::new(&tb.kubeconfig, &["dev", "staging"]);
    // Deployment shop/api in both clusters (dev: 1 pod, staging: 2), two containers each.
    mark_rows(&mut h, "deploy shop", "api", 2).await;
    assert!(
        h.screen(200, 60).contains("2 marked"),
        "{}",
        h.screen(200, 60)
    );
    h.action(Action::Logs);
    // On a testbed just brought up, staging's second pod may join the tail after the first.
    let ok = h
        .pump_until(WAIT, |h| {
            let screen = h.screen(220, 60);
            screen.contains("6 sources")
                && ["dev/api-", "staging/api-"].iter().all(|p| {
                    screen
                        .lines()
                        .any(|l| l.contains(p) && l.contains("/sidecar") && l.contains("healthy"))
                        && screen
                            .lines()
                            .any(|l| l.contains(p) && l.contains("/api ") && l.contains("healthy"))
                })
        })
        .await;
    let screen = h.screen(220, 60);
    assert!(ok, "seeded lines of both clusters, prefixed:\n{screen}");
    assert!(
        screen.contains("6 sources"),
        "1+2 pods × 2 containers:\n{screen}"
    );

    // The hostile line arrives escaped, and no escape byte reaches the terminal.
    assert!(
        screen.contains(r"ESCAPE-TEST red \e]0;pwned-title\a \e[2J end"),
        "{screen}"
    );
    assert!(!screen.contains('\u{1b}') && !screen.contains('\u{7}'));

    // JSON lines as columns: level, msg, then the other fields.
    h.action(Action::Json);
    let screen = h.screen(220, 60);
    assert!(
        screen
            .lines()
            .any(|l| l.contains("error upstream timeout retry=")
                && l.contains("upstream=payments:443")),
        "JSON fields:\n{screen}"
    );
    assert!(
        screen.contains("plain text line: cache warmed"),
        "plain lines untouched"
    );

    // The filter keeps matching lines only; the pane counts them.
    h.filter("slow query");
    let pane = h.app.top_as::<LogScreen>().expect("log pane");
    let shown = pane.shown.len();
    assert!(shown >= 6, "slow queries from every container, got {shown}");
    assert!(h.screen(220, 60).contains(&format!("{shown} lines")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_join_a_tail_when_created_and_leave_when_deleted() {
    let Some(tb) = common::testbed() else { return };
    let label = format!("logjoin-{}", std::process::id());
    let run = |name: &str| {
        let out = tb.kubectl(
            "dev",
            &[
                "-n",
                "shop",
                "run",
                name,
                "--image=registry.example.com/logjoin:1",
                "--restart=Never",
                &format!("--labels=app={label}"),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let (first, second) = (format!("{label}-a"), format!("{label}-b"));
    // Gone when the test ends, however it ends: pods in shop show in other tests' lists.
    let mut made = common::Cleanup::new(&tb);
    for pod in [&first, &second] {
        made.delete("dev", &["-n", "shop", "pod", pod]);
    }
    run(&first);
    let mut h = Harness::new(&tb.kubeconfig, &["dev", "staging"]);
    h.command(&format!("logs -l app={label} -n shop"));
    let ok = h
        .pump_until(WAIT, |h| {
            h.screen(200, 50).contains("1 source") && !h.lines_with(&["healthy"]).is_empty()
        })
        .await;
    assert!(ok, "the first pod's lines:\n{}", h.screen(200, 50));

    run(&second);
    let ok = h
        .pump_until(WAIT, |h| {
            !h.lines_with(&[&format!("{second} "), "healthy"]).is_empty()
        })
        .await;
    let screen = h.screen(200, 50);
    assert!(ok, "the pod created during the tail joined it:\n{screen}");
    assert!(screen.contains("2 sources"), "{screen}");

    tb.kubectl_ok(
        "dev",
        &["-n", "shop", "delete", "pod", &second, "--wait=false"],
    );
    let ok = h
        .pump_until(WAIT, |h| h.screen(200, 50).contains("1 gone"))
        .await;
    assert!(ok, "the deleted pod left the tail:\n{}", h.screen(200, 50));
    // Its lines stay readable.
    assert!(!h.lines_with(&[&format!("{second} "), "healthy"]).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previous_container_logs_show_the_crash() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command("logs ^crasher$ -n shop");
    let ok = h
        .pump_until(WAIT, |h| !h.lines_with(&["starting crasher"]).is_empty())
        .await;
    assert!(ok, "current log:\n{}", h.screen(200, 40));
    assert!(
        h.lines_with(&["panic: dial tcp"]).is_empty(),
        "not the previous one yet"
    );
    h.action(Action::Previous);
    let ok = h
        .pump_until(WAIT, |h| !h.lines_with(&["panic: dial tcp"]).is_empty())
        .await;
    let screen = h.screen(200, 40);
    assert!(ok, "previous log with the panic:\n{screen}");
    assert!(screen.contains("previous"), "{screen}");
    // Since 1m: the seeded lines are half an hour old, so nothing but a note.
    h.action(Action::Previous);
    h.action(Action::Since(flotilla::model::Since::Seconds(60)));
    let ok = h
        .pump_until(WAIT, |h| h.screen(200, 40).contains("no lines yet"))
        .await;
    assert!(ok, "{}", h.screen(200, 40));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_runs_one_command_in_marked_pods_of_two_clusters() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::new(&tb.kubeconfig, &["dev", "staging"]);
    mark_rows(&mut h, "pods shop", "crasher", 2).await;
    h.command("exec echo out-$FLOTILLA_TESTBED; echo err-line >&2; exit 3");
    let ok = h
        .pump_until(WAIT, |h| h.screen(200, 40).contains("(2 done)"))
        .await;
    let screen = h.screen(200, 40);
    assert!(ok, "{screen}");
    assert!(
        screen.contains("dev/shop/crasher/app exit 3")
            && screen.contains("staging/shop/crasher/app exit 3"),
        "{screen}"
    );
    // Below the title (which quotes the command): each pod's stdout and stderr.
    let body: String = screen.lines().skip(2).collect();
    assert_eq!(body.matches("out-1").count(), 2, "{screen}");
    assert_eq!(body.matches("err-line").count(), 2, "{screen}");
}
