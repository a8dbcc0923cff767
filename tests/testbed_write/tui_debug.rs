//! Debug containers and node shells in read-only mode: refused before anything is made, and
//! audited as refused. (Opening them for real needs a terminal: tests/tmux/terminal.rs.)

use crate::common;
use crate::harness;
use crate::tui_change::{
    WAIT, expect_form, fresh, must_get, namespace, one_record, rows, top_modal, unique,
    until_flash, verified,
};

use common::Cleanup;
use flotilla::key::KeyCode;
use harness::Harness;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_mode_refuses_debug_containers_and_node_shells() {
    let Some(tb) = common::testbed() else { return };
    let ns = unique("debug-ro");
    let mut cleanup = Cleanup::new(&tb);
    namespace(&mut cleanup, &["dev"], &ns);
    tb.kubectl_ok(
        "dev",
        &[
            "-n",
            &ns,
            "run",
            "quiet",
            "--image=registry.example.com/distroless:1",
        ],
    );
    let shells = || {
        tb.kubectl_ok(
            "dev",
            &[
                "get",
                "pods",
                "-A",
                "-l",
                flotilla::debug::NODE_SHELL_LABEL,
                "-o",
                "name",
            ],
        )
    };
    let before = shells();
    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.app.policy.make_read_only();
    h.command(&format!("pods {ns}"));
    rows(&mut h, &["quiet"], &["dev"]).await;
    h.key(KeyCode::Char('b'));
    let ok = h.pump_until(WAIT, |h| top_modal(h).is_some()).await;
    assert!(
        ok,
        "the form opens (reading is allowed):\n{}",
        h.screen(200, 60)
    );
    expect_form(&mut h, "Debug container in pod/quiet");
    fresh(&mut h);
    h.key(KeyCode::Enter);
    h.key(KeyCode::Enter);
    until_flash(&mut h, "debug refused: read-only").await;
    assert!(top_modal(&h).is_none(), "nothing to confirm");

    h.command("nodes");
    h.filter("dev-node-0");
    rows(&mut h, &["dev-node-0"], &["dev"]).await;
    fresh(&mut h);
    h.key(KeyCode::Char('s'));
    until_flash(&mut h, "node-shell refused: read-only").await;
    assert!(top_modal(&h).is_none(), "nothing to confirm");

    let pod = must_get(&tb, "dev", &["-n", &ns, "pod", "quiet"]);
    assert!(
        pod.pointer("/spec/ephemeralContainers").is_none(),
        "no debug container: {}",
        pod["spec"]
    );
    assert_eq!(shells(), before, "no node shell pod was made");
    for (action, name) in [("debug", "quiet"), ("node-shell", "dev-node-0")] {
        let r = one_record(&h, action, "dev", name, "refused");
        assert!(
            r.error.as_deref().unwrap_or("").contains("read-only"),
            "{r:#?}"
        );
    }
    verified(&h, 2);
}
