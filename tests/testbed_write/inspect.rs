//! `flotilla inspect`, the real binary, against the three testbed clusters: namespace `lab`
//! seeds an object violating each check family and a clean Deployment ("tidy"). Each
//! expected finding is in each cluster's report, tidy has none, silences move findings to the
//! silenced list with their reason, the JSON report validates against the documented schema,
//! `--diff` names what a change on the server made new and then fixed, and a cluster that
//! does not answer (or forbids most lists) is reported as such while the others are judged.

use crate::common;

use common::Isolated;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

const ALL: [&str; 3] = ["dev", "staging", "prod"];

/// A config dir of the test's own, with `config` as its config.toml.
fn config_dir(name: &str, config: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flotilla-inspect-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("config dir");
    std::fs::write(dir.join("config.toml"), config).expect("config.toml");
    dir
}

fn inspect(kubeconfigs: &[&Path], config: &Path, args: &[&str]) -> Output {
    let mut cmd = Isolated::at(config).command();
    for k in kubeconfigs {
        cmd.arg("--kubeconfig").arg(k);
    }
    cmd.arg("inspect")
        .args(args)
        .output()
        .expect("run flotilla inspect")
}

fn json_report(kubeconfigs: &[&Path], config: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = inspect(kubeconfigs, config, &all);
    assert!(
        out.status.success(),
        "flotilla inspect failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the report is JSON")
}

fn cluster<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["clusters"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no cluster {name} in the report"))
}

/// `check namespace/Kind/name` of each finding (`-` for cluster-scoped objects).
fn lines(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            format!(
                "{} {}/{}/{}",
                f["check"].as_str().unwrap_or(""),
                f["namespace"].as_str().unwrap_or("-"),
                f["kind"].as_str().unwrap_or(""),
                f["name"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// What the lab namespace (and the rest of the seed) must make each check family report.
const EXPECTED: &[&str] = &[
    // security
    "pod-privileged lab/Deployment/risky",
    "pod-runs-as-root lab/Deployment/risky",
    "pod-host-namespaces lab/Deployment/risky",
    "pod-host-path lab/Deployment/risky",
    // resources
    "pod-no-requests lab/Deployment/risky",
    "pod-no-limits lab/Deployment/risky",
    "pod-image-latest lab/Deployment/risky",
    // reliability
    "pod-no-probes lab/Deployment/risky",
    "deployment-single-replica lab/Deployment/risky",
    "deployment-no-pdb lab/Deployment/spread",
    "pdb-blocks-disruption lab/PodDisruptionBudget/pinned",
    "statefulset-single-replica lab/StatefulSet/ledger",
    "pod-no-controller lab/Pod/stray",
    "pod-restarts shop/Pod/crasher",
    "hpa-no-metrics shop/HorizontalPodAutoscaler/api",
    // networking
    "service-selector-no-pods lab/Service/orphan",
    "ingress-missing-service lab/Ingress/broken",
    "ingress-missing-tls-secret lab/Ingress/broken",
    // config
    "configmap-unused lab/ConfigMap/stale-config",
    "secret-unused lab/Secret/stale-secret",
    "serviceaccount-unused lab/ServiceAccount/idle-robot",
    "tls-cert-expired lab/Secret/legacy-tls",
    "namespace-no-quota lab/Namespace/lab",
    "namespace-no-limitrange lab/Namespace/lab",
    // storage
    "pvc-unused lab/PersistentVolumeClaim/spare-claim",
    "pvc-pending data/PersistentVolumeClaim/scratch",
    "pv-released -/PersistentVolume/lab-released",
    "pv-failed -/PersistentVolume/lab-failed",
    // rbac
    "clusterrolebinding-sa-cluster-admin -/ClusterRoleBinding/lab-robot-cluster-admin",
    "rolebinding-sa-cluster-admin lab/RoleBinding/robot-admin",
    // api
    "api-deprecated-served -/APIVersion/lab.flotilla.dev/v1alpha1",
    "crd-no-instances -/CustomResourceDefinition/widgets.lab.flotilla.dev",
];

/// The expected findings `found` lacks.
fn lacking(found: &[String]) -> Vec<&'static str> {
    EXPECTED
        .iter()
        .copied()
        .filter(|e| !found.iter().any(|f| f == e))
        .collect()
}

/// Waits until the crash-looping pod has restarted at least once on every cluster (so a
/// threshold of 0 reports it) and the lab's volumes and disruption budgets have settled.
fn settled(tb: &common::Testbed) {
    let deadline = Instant::now() + Duration::from_secs(120);
    for c in ALL {
        loop {
            let restarts = tb.kubectl_ok(
                c,
                &[
                    "get",
                    "pod",
                    "-n",
                    "shop",
                    "crasher",
                    "-o",
                    "jsonpath={.status.containerStatuses[0].restartCount}",
                ],
            );
            let phases = tb.kubectl_ok(
                c,
                &[
                    "get",
                    "pv",
                    "lab-released",
                    "lab-failed",
                    "-o",
                    "jsonpath={.items[*].status.phase}",
                ],
            );
            let pdb = tb.kubectl_ok(
                c,
                &[
                    "get",
                    "pdb",
                    "-n",
                    "lab",
                    "pinned",
                    "-o",
                    "jsonpath={.status.expectedPods}",
                ],
            );
            if restarts.trim().parse::<u32>().unwrap_or(0) >= 1
                && phases.trim() == "Released Failed"
                && pdb.trim() == "2"
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{c}: the seed did not settle (restarts {restarts:?}, volumes {phases:?}, pdb {pdb:?})"
            );
            std::thread::sleep(Duration::from_secs(2));
        }
    }
}

#[test]
fn every_check_family_is_found_on_every_cluster_and_the_clean_deployment_has_none() {
    let Some(tb) = common::testbed() else { return };
    settled(&tb);
    let config = config_dir("all", "[inspect]\nrestarts = 0\n");
    let report = json_report(&[&tb.kubeconfig], &config, &["-A"]);

    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(common::repo_root().join("docs/inspect-report.schema.json"))
            .expect("schema file"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema violations: {errors:#?}");

    for c in ALL {
        let cr = cluster(&report, c);
        assert!(cr["score"].is_u64(), "{c} has a score: {}", cr["score"]);
        assert_eq!(cr["errors"], serde_json::json!([]), "{c} read everything");
        let found = lines(&cr["findings"]);
        let missing = lacking(&found);
        assert!(
            missing.is_empty(),
            "{c} lacks {missing:#?}\nfound: {found:#?}"
        );
        let tidy: Vec<&String> = found
            .iter()
            .filter(|f| f.contains("lab/") && f.contains("/tidy"))
            .collect();
        assert!(
            tidy.is_empty(),
            "{c}: the clean Deployment was flagged: {tidy:?}"
        );
        // Its pods are examined through the Deployment's template, never on their own.
        assert!(
            !found.iter().any(|f| f.contains("lab/Pod/tidy")),
            "{c}: {found:?}"
        );
        // What the control plane keeps for itself is not "unused".
        assert!(
            !found.iter().any(|f| f.contains(" kube-system/")),
            "{c}: {found:?}"
        );
        let detail = cr["findings"]
            .as_array()
            .and_then(|fs| fs.iter().find(|f| f["check"] == "tls-cert-expired"))
            .map(|f| f["detail"].as_str().unwrap_or("").to_string())
            .unwrap_or_default();
        assert!(detail.contains("expired on 2021-01-01"), "{c}: {detail}");
    }
    // Nodes as each cluster's seed has them.
    let prod = lines(&cluster(&report, "prod")["findings"]);
    assert!(prod.contains(&"node-not-ready -/Node/prod-node-broken".to_string()));
    let staging = lines(&cluster(&report, "staging")["findings"]);
    assert!(staging.contains(&"node-cordoned -/Node/staging-node-cordoned".to_string()));
    let dev = lines(&cluster(&report, "dev")["findings"]);
    assert!(!dev.iter().any(|f| f.starts_with("node-")), "{dev:?}");
    assert_eq!(report["fleet"]["counts"]["clusters"], 3);
}

#[test]
fn silences_move_findings_aside_with_their_reason() {
    let Some(tb) = common::testbed() else { return };
    let config = config_dir(
        "silence",
        r#"
[[inspect.silence]]
check = "pod-*"
namespace = "lab"
object = "Deployment/risky"
reason = "node agent, reviewed by security"

[[inspect.silence]]
check = "namespace-no-quota"
cluster = "dev"
reason = "dev has no quotas"
"#,
    );
    let report = json_report(
        &[&tb.kubeconfig],
        &config,
        &["--context", "dev", "--context", "prod"],
    );
    let dev = cluster(&report, "dev");
    let found = lines(&dev["findings"]);
    let silenced = lines(&dev["silenced"]);
    for s in [
        "pod-privileged lab/Deployment/risky",
        "pod-image-latest lab/Deployment/risky",
        "namespace-no-quota lab/Namespace/lab",
    ] {
        assert!(
            silenced.iter().any(|f| f == s),
            "{s} silenced: {silenced:?}"
        );
        assert!(!found.iter().any(|f| f == s), "{s} not a finding");
    }
    // Only what the silences name: the same Deployment's other checks, and other pods, stay.
    assert!(
        found
            .iter()
            .any(|f| f == "deployment-single-replica lab/Deployment/risky")
    );
    assert!(found.iter().any(|f| f == "pod-no-controller lab/Pod/stray"));
    let reason = dev["silenced"]
        .as_array()
        .and_then(|s| s.iter().find(|f| f["check"] == "pod-privileged"))
        .map(|f| f["reason"].clone());
    assert_eq!(
        reason,
        Some(Value::from("node agent, reviewed by security"))
    );
    // The cluster glob: prod's namespaces are still reported.
    let prod = lines(&cluster(&report, "prod")["findings"]);
    assert!(
        prod.iter()
            .any(|f| f == "namespace-no-quota lab/Namespace/lab")
    );
    assert!(report["fleet"]["counts"]["silenced"].as_u64().unwrap_or(0) >= 3);

    // The text report says what was silenced and why.
    let out = inspect(&[&tb.kubeconfig], &config, &["--context", "dev"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().any(|l| l.contains("silenced")
            && l.contains("pod-privileged")
            && l.contains("[node agent, reviewed by security]")),
        "{text}"
    );

    // A silence naming no check is a typo that would hide nothing: refused in one line.
    let bad = config_dir(
        "bad-silence",
        "[[inspect.silence]]\ncheck = \"pod-no-limit\"\nreason = \"x\"\n",
    );
    let out = inspect(&[&tb.kubeconfig], &bad, &["--context", "dev"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("pod-no-limit"), "{err}");
}

#[test]
fn diff_names_what_a_change_made_new_and_then_fixed() {
    let Some(tb) = common::testbed() else { return };
    let config = config_dir("diff", "");
    let dir = config.join("reports");
    std::fs::create_dir_all(&dir).expect("reports dir");
    let (before, middle) = (dir.join("before.json"), dir.join("middle.json"));
    let write = |to: &Path| {
        let to = to.to_str().expect("path");
        let out = inspect(
            &[&tb.kubeconfig],
            &config,
            &["--context", "staging", "-o", to],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "with -o nothing goes to stdout");
    };
    write(&before);
    let ns = common::Scratch::new(
        &tb,
        "staging",
        format!("inspect-diff-{}", std::process::id()),
    );
    tb.kubectl_ok(
        "staging",
        &[
            "create",
            "deployment",
            "fresh",
            "-n",
            &ns.name,
            "--image",
            "nginx:latest",
        ],
    );
    let line = |text: &str, label: &str| {
        text.lines().any(|l| {
            l.starts_with(label)
                && l.contains("pod-image-latest")
                && l.contains(&format!("{}/Deployment/fresh", ns.name))
        })
    };
    let to = middle.to_str().expect("path");
    let old = before.to_str().expect("path");
    let out = inspect(
        &[&tb.kubeconfig],
        &config,
        &["--context", "staging", "-o", to, "--diff", old],
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(line(&text, "new"), "{text}");
    assert!(
        !text.lines().any(|l| l.starts_with("fixed")),
        "nothing was fixed: {text}"
    );
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&middle).expect("report")).expect("JSON");
    assert!(
        lines(&cluster(&saved, "staging")["findings"])
            .iter()
            .any(|f| f == &format!("pod-image-latest {}/Deployment/fresh", ns.name))
    );

    tb.kubectl_ok(
        "staging",
        &[
            "delete",
            "deployment",
            "fresh",
            "-n",
            &ns.name,
            "--wait=true",
        ],
    );
    let out = inspect(
        &[&tb.kubeconfig],
        &config,
        &["--context", "staging", "--diff", to, "--format", "json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d: Value = serde_json::from_slice(&out.stdout).expect("diff as JSON");
    let fixed = lines(&d["fixed_findings"]);
    assert!(
        fixed
            .iter()
            .any(|f| f == &format!("pod-image-latest {}/Deployment/fresh", ns.name)),
        "{fixed:?}"
    );

    // An old report that is not one is refused before any cluster is read.
    let junk = dir.join("junk.json");
    std::fs::write(&junk, "[1, 2]").expect("write");
    let out = inspect(
        &[&tb.kubeconfig],
        &config,
        &["--diff", junk.to_str().expect("path")],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is not a flotilla inspect JSON report"),
        "{err}"
    );
}

#[test]
fn an_unreachable_or_forbidding_cluster_is_reported_and_the_rest_judged() {
    let Some(tb) = common::testbed() else { return };
    settled(&tb);
    let config = config_dir("unreachable", "[inspect]\nrestarts = 0\n");
    // A context whose server refuses connections, in a kubeconfig of its own.
    let broken = config.join("broken-kubeconfig");
    std::fs::write(
        &broken,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster: {server: 'https://127.0.0.1:1'}\n\
         users:\n- name: nobody\n  user: {token: nothing}\ncontexts:\n- name: gone\n  context: {cluster: gone, user: nobody}\n",
    )
    .expect("kubeconfig");
    let viewer = tb.viewer_kubeconfig();
    let report = json_report(
        &[&tb.kubeconfig, &broken, &viewer],
        &config,
        &[
            "--context",
            "dev",
            "--context",
            "gone",
            "--context",
            "dev-viewer",
        ],
    );
    let gone = cluster(&report, "gone");
    assert!(gone["score"].is_null(), "{gone}");
    assert!(
        gone["errors"][0].as_str().is_some_and(|e| !e.is_empty()),
        "{gone}"
    );
    // The clusters that answer are judged as if alone: dev's seed makes every expected finding.
    assert!(cluster(&report, "dev")["score"].is_u64());
    let dev = lines(&cluster(&report, "dev")["findings"]);
    let missing = lacking(&dev);
    assert!(
        missing.is_empty(),
        "dev lacks {missing:#?}\nfound: {dev:#?}"
    );
    // The viewer may list pods in shop and namespaces only: the lists it may not read are
    // named, the checks needing them skipped rather than passed.
    let viewer = cluster(&report, "dev-viewer");
    let errors: Vec<&str> = viewer["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        errors.iter().any(|e| e.starts_with("secrets:")),
        "{errors:?}"
    );
    let skipped: Vec<&str> = viewer["skipped"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["check"].as_str())
        .collect();
    assert!(skipped.contains(&"secret-unused"), "{skipped:?}");
    assert!(
        !lines(&viewer["findings"])
            .iter()
            .any(|f| f.starts_with("secret-unused"))
    );

    // Markdown and HTML by the file's extension, written whole.
    for (ext, start) in [("md", "# "), ("html", "<!DOCTYPE html>")] {
        let file = config.join(format!("report.{ext}"));
        let out = inspect(
            &[&tb.kubeconfig],
            &config,
            &["--context", "dev", "-o", file.to_str().expect("path")],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&file).expect("report file");
        assert!(
            text.starts_with(start),
            "{ext}: {}",
            text.chars().take(200).collect::<String>()
        );
        assert!(text.contains("pod-privileged"), "{ext}");
    }
}
