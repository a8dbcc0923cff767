//! The failure people meet behind a VPN or a dead load balancer: a cluster whose apiserver
//! freezes (SIGSTOP: connections stay open, nothing answers). It must turn stale within its
//! deadlines — the health probe's, then the watch's liveness deadline — while the other two
//! stay live and keys keep answering; after it thaws, its rows equal the server's exactly.
//! Its own test binary: it freezes a cluster other tests use.

use crate::common;
use crate::harness;

use flotilla::model::ResKey;
use flotilla::screens::table::TableScreen;
use harness::Harness;
use std::collections::HashSet;
use std::time::{Duration, Instant};

const VICTIM: &str = "staging";
/// The README's "marked within ~6 s": a health probe every 3 s that gives up after 3 s, and a
/// second for a loaded machine.
const STALE_WITHIN: Duration = Duration::from_secs(7);

/// Thaws the victim even when an assertion fails, so later tests find it running.
struct Thaw<'a>(&'a common::Testbed, bool);

impl Drop for Thaw<'_> {
    fn drop(&mut self) {
        if !self.1 {
            self.0.thaw_apiserver(VICTIM);
        }
    }
}

fn server_uids(tb: &common::Testbed) -> HashSet<String> {
    tb.kubectl_ok(
        VICTIM,
        &[
            "get",
            "pods",
            "-A",
            "-o",
            "jsonpath={range .items[*]}{.metadata.uid}{\"\\n\"}{end}",
        ],
    )
    .lines()
    .filter(|l| !l.is_empty())
    .map(str::to_string)
    .collect()
}

/// (uid, name) of a context's rows as the pod list holds them (duplicates kept).
fn shown(h: &Harness, context: &str) -> Vec<(String, String)> {
    let Some(view) = h.app.top_as::<TableScreen>() else {
        return Vec::new();
    };
    view.rows
        .rows()
        .iter()
        .filter(|r| view.rows.context_of(**r) == context)
        .filter_map(|r| view.rows.row(&h.app.store, *r))
        .map(|row| (row.uid.clone(), row.name.clone()))
        .collect()
}

fn shown_uids(h: &Harness) -> Vec<String> {
    shown(h, VICTIM).into_iter().map(|(u, _)| u).collect()
}

fn lists(h: &Harness, context: &str, name: &str) -> bool {
    shown(h, context).iter().any(|(_, n)| n == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_apiserver_turns_stale_and_comes_back_exact() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::new(&tb.kubeconfig, &["dev", "staging", "prod"]);
    h.command("pods -A");
    let listed = h
        .pump_until(Duration::from_secs(60), |h| {
            ["dev", "staging", "prod"]
                .iter()
                .all(|c| lists(h, c, "crasher"))
                && !h.screen(200, 60).contains("syncing")
        })
        .await;
    assert!(listed, "{}", h.screen(200, 60));
    // A pod that will be deleted while flotilla cannot see the cluster.
    let doomed = format!("doomed-{}", std::process::id());
    let probe = format!("while-frozen-{}", std::process::id());
    let born = format!("after-thaw-{}", std::process::id());
    // Pods this test makes, deleted however it ends (declared before the thaw guard, so that
    // they are deleted after it thaws the victim).
    let mut made = common::Cleanup::new(&tb);
    for (context, pod) in [(VICTIM, &doomed), ("dev", &probe), (VICTIM, &born)] {
        made.delete(
            context,
            &["-n", "shop", "pod", pod, "--grace-period=0", "--force"],
        );
    }
    tb.kubectl_ok(
        VICTIM,
        &[
            "-n",
            "shop",
            "run",
            &doomed,
            "--image=registry.example.com/x:1",
            "--restart=Never",
        ],
    );
    assert!(
        h.pump_until(Duration::from_secs(30), |h| lists(h, VICTIM, &doomed))
            .await
    );

    tb.freeze_apiserver(VICTIM);
    let mut thaw = Thaw(&tb, false);
    let frozen = Instant::now();
    let stale = h
        .pump_until(STALE_WITHIN, |h| {
            h.header().contains(&format!("{VICTIM} unreachable, stale"))
        })
        .await;
    let took = frozen.elapsed();
    assert!(
        stale,
        "stale within {STALE_WITHIN:?} of the freeze:\n{}",
        h.screen(200, 60)
    );
    eprintln!(
        "{VICTIM} shown stale {:.1} s after the freeze",
        took.as_secs_f64()
    );
    let screen = h.screen(200, 60);
    assert!(
        screen.contains(&format!("{VICTIM}: stale")),
        "the list title says so:\n{screen}"
    );
    assert!(
        screen.contains("● dev") && screen.contains("● prod"),
        "{screen}"
    );

    // The other clusters stay live, and keys answer at once.
    tb.kubectl_ok(
        "dev",
        &[
            "-n",
            "shop",
            "run",
            &probe,
            "--image=registry.example.com/x:1",
            "--restart=Never",
        ],
    );
    assert!(
        h.pump_until(Duration::from_secs(30), |h| lists(h, "dev", &probe))
            .await,
        "dev keeps updating while {VICTIM} is frozen:\n{}",
        h.screen(200, 60)
    );
    let t = Instant::now();
    h.filter("crasher");
    let narrowed = h.lines_with(&["crasher", "CrashLoopBackOff"]).len();
    assert!(t.elapsed() < Duration::from_secs(1));
    assert_eq!(narrowed, 3, "{}", h.screen(200, 60));
    h.action(flotilla::model::Action::Back);

    // The watch itself notices the silence at its liveness deadline, not after 5 minutes, and
    // reports it once opening the watch again fails too.
    let silent = h
        .pump_until(Duration::from_secs(100), |h| {
            h.screen(200, 60).contains("watch silent for 75s, then ")
        })
        .await;
    assert!(silent, "{}", h.screen(200, 60));
    // Stale since the freeze, not since the latest failed probe.
    let header = h.header();
    let secs: u64 = header
        .split("stale ")
        .nth(1)
        .and_then(|r| r.split('s').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(secs >= 60, "{header}");
    eprintln!(
        "the watch reported silence {:.1} s after the freeze",
        frozen.elapsed().as_secs_f64()
    );

    tb.thaw_apiserver(VICTIM);
    thaw.1 = true;
    // Changes right after the thaw: one pod goes, one comes.
    tb.kubectl_ok(
        VICTIM,
        &[
            "-n",
            "shop",
            "delete",
            "pod",
            &doomed,
            "--grace-period=0",
            "--force",
            "--wait=false",
        ],
    );
    tb.kubectl_ok(
        VICTIM,
        &[
            "-n",
            "shop",
            "run",
            &born,
            "--image=registry.example.com/x:1",
            "--restart=Never",
        ],
    );
    let exact = h
        .pump_until(Duration::from_secs(90), |h| {
            let shown = shown_uids(h);
            let unique: HashSet<String> = shown.iter().cloned().collect();
            !h.header().contains("stale")
                && unique.len() == shown.len()
                && unique == server_uids(&tb)
        })
        .await;
    let shown = shown_uids(&h);
    let server = server_uids(&tb);
    let screen = h.screen(200, 60);
    assert!(
        exact,
        "after the thaw {VICTIM}'s rows equal the server's: {} shown, {} on the server, \
         missing {:?}, extra {:?}\n{screen}",
        shown.len(),
        server.len(),
        server
            .difference(&shown.iter().cloned().collect())
            .collect::<Vec<_>>(),
        shown
            .iter()
            .filter(|u| !server.contains(*u))
            .collect::<Vec<_>>()
    );
    let sheet = h
        .app
        .store
        .clusters
        .by_context(VICTIM)
        .and_then(|s| h.app.store.sheet(s.id, &ResKey::core("pods")));
    assert!(sheet.is_some_and(|s| s.stale_since.is_none()));
}
