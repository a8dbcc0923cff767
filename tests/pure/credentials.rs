//! Exec credential plugins run under flotilla's guard: a failing one is reported in one line
//! (its name, exit code and first stderr line, never its environment), a hanging one is
//! killed at its deadline. Real processes, no cluster needed: the plugin fails before any
//! request is made.

use crate::harness;

use harness::Harness;
use std::time::Duration;

const KUBECONFIG: &str = r#"
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:9"}
users:
- name: failing
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: sh
      args: ["-c", "echo 'token expired: run aws sso login' >&2; echo 'second line' >&2; exit 1"]
      env: [{name: PLUGIN_SECRET, value: hunter2}]
- name: hanging
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: sleep
      args: ["3600.4242"]
contexts:
- {name: failing, context: {cluster: c, user: failing}}
- {name: hanging, context: {cluster: c, user: hanging}}
"#;

fn sleepers() -> usize {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|c| String::from_utf8_lossy(c).contains("3600.4242"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_and_hanging_plugins_are_reported_in_one_line() {
    let dir = std::env::temp_dir().join(format!("flotilla-cred-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let path = dir.join("kubeconfig");
    std::fs::write(&path, KUBECONFIG).expect("write kubeconfig");
    let mut config = harness::config();
    config.settings.credential_plugin_timeout = Some(2);
    let mut h = Harness::with_config(&path, &["failing", "hanging"], config);
    let ok = h
        .pump_until(Duration::from_secs(20), |h| {
            let header = h.header();
            header.contains("failing unreachable")
                && header
                    .contains("credential plugin sh exited 1: token expired: run aws sso login")
                && header
                    .contains("credential plugin sleep did not finish within 2s and was killed")
        })
        .await;
    let header = h.header();
    assert!(ok, "{header}");
    assert!(
        !header.contains("hunter2") && !header.contains("KUBERNETES_EXEC_INFO"),
        "no environment in the message: {header}"
    );
    assert!(!header.contains("second line"), "{header}");
    assert_eq!(sleepers(), 0, "the hanging plugin was killed");
}
