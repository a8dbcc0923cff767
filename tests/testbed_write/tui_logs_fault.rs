//! A followed log survives its cluster's apiserver going away: the pane says the source is
//! reconnecting, and once the server is back the stream resumes from its last line, with no
//! line lost or repeated (checked against `kubectl logs` of the same container).
//! Its own binary: it stops prod's apiserver, which no other test of this binary uses.

use crate::common;
use crate::harness;

use flotilla::screens::logs::LogScreen;
use harness::Harness;
use std::collections::HashSet;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn lines_of(h: &Harness) -> Vec<(i64, String)> {
    let pane = h.app.top_as::<LogScreen>().expect("log pane");
    pane.buf
        .iter_from(0)
        .map(|(_, l)| (l.ts, l.text.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followed_log_reconnects_without_losing_or_repeating_lines() {
    let Some(tb) = common::testbed() else { return };
    let pod = tb
        .kubectl_ok(
            "prod",
            &[
                "-n",
                "shop",
                "get",
                "pods",
                "-l",
                "app=web",
                "-o",
                "jsonpath={.items[0].metadata.name}",
            ],
        )
        .trim()
        .to_string();
    let mut h = Harness::new(&tb.kubeconfig, &["prod"]);
    h.command(&format!("logs ^{pod}$ -n shop --tail 5"));
    let ok = h.pump_until(WAIT, |h| lines_of(h).len() >= 6).await;
    assert!(ok, "the web log grows every 2 s:\n{}", h.screen(200, 30));

    tb.stop_apiserver("prod");
    // The helper keeps writing while the server is away.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let ok = h
        .pump_until(WAIT, |h| h.screen(200, 30).contains("1 reconnecting"))
        .await;
    let during = h.screen(200, 30);
    tb.start_apiserver("prod");
    assert!(ok, "the pane says the source is reconnecting:\n{during}");
    let before = lines_of(&h).len();
    let ok = h
        .pump_until(WAIT, |h| {
            !h.screen(200, 30).contains("reconnecting") && lines_of(h).len() >= before + 4
        })
        .await;
    assert!(ok, "lines flow again:\n{}", h.screen(200, 30));

    let got = lines_of(&h);
    let unique: HashSet<_> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "no line repeated");
    let sorted = got.windows(2).all(|w| w[0].0 <= w[1].0);
    assert!(sorted, "lines stay in time order");

    // Every line the server has between the first and last line shown is shown.
    let (first, last) = (got[0].0, got[got.len() - 1].0);
    let since = jiff::Timestamp::from_nanosecond(i128::from(first))
        .expect("timestamp")
        .to_string();
    let server = tb.kubectl_ok(
        "prod",
        &[
            "-n",
            "shop",
            "logs",
            &pod,
            "--timestamps",
            &format!("--since-time={since}"),
        ],
    );
    let want: Vec<(i64, String)> = server
        .lines()
        .filter_map(|l| {
            let (ts, text) = flotilla::cluster::logs::split_timestamp(l)?;
            Some((ts, text.to_string()))
        })
        .filter(|(ts, _)| *ts >= first && *ts <= last)
        .collect();
    let have: HashSet<_> = got.iter().cloned().collect();
    let missing: Vec<_> = want.iter().filter(|l| !have.contains(l)).collect();
    assert!(
        missing.is_empty(),
        "lines lost across the outage: {missing:?}"
    );
    assert!(
        want.len() >= got.len() - 1,
        "server {} vs pane {}",
        want.len(),
        got.len()
    );
}
