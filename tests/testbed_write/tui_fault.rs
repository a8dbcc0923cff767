//! A cluster whose apiserver stops turns unreachable while the other stays live, and comes
//! back by itself. Its own test binary: it stops an apiserver other tests use.

use crate::common;
use crate::harness;

use harness::Harness;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_apiserver_turns_unreachable_and_recovers() {
    let Some(tb) = common::testbed() else { return };
    let mut h = Harness::new(&tb.kubeconfig, &["dev", "prod"]);
    h.command("pods shop");
    let both = h
        .pump_until(Duration::from_secs(30), |h| {
            !h.lines_with(&["dev", "crasher"]).is_empty()
                && !h.lines_with(&["prod", "crasher"]).is_empty()
        })
        .await;
    assert!(both, "{}", h.screen(200, 60));

    tb.stop_apiserver("prod");
    let down = h
        .pump_until(Duration::from_secs(30), |h| {
            let header = h.header();
            header.contains("prod unreachable") && header.contains("● dev")
        })
        .await;
    let screen = h.screen(200, 60);
    tb.start_apiserver("prod");
    assert!(down, "prod unreachable, dev still ok:\n{screen}");
    assert!(
        screen
            .lines()
            .any(|l| l.contains("dev") && l.contains("crasher")),
        "dev rows still shown:\n{screen}"
    );

    let back = h
        .pump_until(Duration::from_secs(60), |h| {
            let s = h.screen(200, 60);
            s.lines().next().unwrap_or_default().contains("● prod")
                && s.lines()
                    .any(|l| l.contains("prod") && l.contains("crasher"))
        })
        .await;
    assert!(back, "prod recovers by itself:\n{}", h.screen(200, 60));
}
