//! A cluster whose apiserver goes away and comes back: the same client works again afterwards,
//! and the other clusters are not affected. Its own test binary, so no other test in the same
//! process sees the outage.
use crate::common;

use std::time::Duration;

use common::{eventually, testbed};

const VICTIM: &str = "staging";

/// Starts the victim's apiserver again however the test ends (an assertion failing while it
/// is down included), so the test binaries after this one find it running.
struct Restart<'a>(&'a common::Testbed, bool);

impl Drop for Restart<'_> {
    fn drop(&mut self) {
        if !self.1 {
            self.0.start_apiserver(VICTIM);
        }
    }
}

#[tokio::test]
async fn client_recovers_after_apiserver_restart() {
    let Some(tb) = testbed() else { return };
    let victim = tb.client(VICTIM).await;
    let other = tb.client("dev").await;
    victim
        .apiserver_version()
        .await
        .expect("victim up before the stop");

    tb.stop_apiserver(VICTIM);
    let mut restart = Restart(&tb, false);
    let result = tokio::time::timeout(Duration::from_secs(20), victim.apiserver_version()).await;
    assert!(
        !matches!(result, Ok(Ok(_))),
        "{VICTIM} still answers after its apiserver was stopped"
    );
    other
        .apiserver_version()
        .await
        .expect("dev unaffected while staging is down");

    tb.start_apiserver(VICTIM);
    restart.1 = true;
    let version = eventually(
        Duration::from_secs(60),
        "the old client to work again",
        || {
            let victim = victim.clone();
            async move { victim.apiserver_version().await.ok() }
        },
    )
    .await;
    assert!(version.git_version.starts_with("v1.36."));
}
