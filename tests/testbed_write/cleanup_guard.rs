//! The guard every cluster-changing test relies on: a namespace handed to `common::Scratch`
//! (with a pod in it, which kwok has to finish first) is gone from the server once the guard
//! drops. Moved here from `testbed_read/testbed.rs` because it changes dev.

use crate::common::{self, testbed};

#[test]
fn a_test_namespace_is_gone_from_the_server_when_its_guard_drops() {
    let Some(tb) = testbed() else { return };
    let name = format!("cleanup-{}", std::process::id());
    {
        let ns = common::Scratch::new(&tb, "dev", name.clone());
        // A pod in it, which kwok has to finish before the namespace can go.
        tb.kubectl_ok(
            "dev",
            &[
                "-n",
                &ns.name,
                "run",
                "held",
                "--image=registry.example.com/held:1",
                "--restart=Never",
            ],
        );
    }
    let out = tb.kubectl("dev", &["get", "namespace", &name]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("NotFound"),
        "still there: {}{err}",
        String::from_utf8_lossy(&out.stdout)
    );
}
