//! Clusters known through the testbed's Clusterpedia index (`tb clusterpedia up`: dev, staging
//! and prod synced into PostgreSQL, served by the index's apiserver behind the `hub` cluster).
//! flotilla runs with prod connected directly and the index as a source: dev and staging join
//! the fleet from the index with their own names, their rows come from its lists and follow a
//! change at the next re-list, staging (no context of its own here) refuses a session saying
//! what is missing, and with the index's apiserver stopped its clusters turn stale while prod
//! stays live.

use crate::common;
use crate::harness;
use crate::tui_change::{body_lines, flash, until_flash};

use common::Testbed;
use flotilla::model::{Health, ResKey};
use flotilla::settings::SourceSettings;
use harness::Harness;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(60);

/// `contexts` of the testbed's kubeconfig, credentials inline, in one file.
fn only(tb: &Testbed, contexts: &[&str], dir: &Path) -> PathBuf {
    let text = tb.kubectl_ok(contexts[0], &["config", "view", "--flatten"]);
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).expect("write kubeconfig");
    for c in ["dev", "staging", "prod"] {
        if !contexts.contains(&c) {
            let out = std::process::Command::new(common::kubectl_path())
                .arg("--kubeconfig")
                .arg(&path)
                .args(["config", "delete-context", c])
                .output()
                .expect("run kubectl");
            assert!(out.status.success(), "{out:?}");
        }
    }
    path
}

/// Starts the index's apiserver again however the test ends.
struct Restart(bool);

impl Drop for Restart {
    fn drop(&mut self) {
        if self.0 {
            common::start_clusterpedia();
        }
    }
}

fn cluster_of(h: &Harness, name: &str) -> (flotilla::model::ClusterId, Option<String>) {
    let slot = h
        .app
        .store
        .clusters
        .by_context(name)
        .unwrap_or_else(|| panic!("{name} is in the fleet"));
    (slot.id, slot.via.clone())
}

/// The names of the pods in `ns` that flotilla holds for `cluster`.
fn pods_in(h: &Harness, cluster: &str, ns: &str) -> Vec<String> {
    let (id, _) = cluster_of(h, cluster);
    let mut names: Vec<String> = h
        .app
        .store
        .sheet(id, &ResKey::core("pods"))
        .map(|s| {
            s.rows()
                .filter(|(_, r)| r.namespace == ns)
                .map(|(_, r)| r.name.clone())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// What each cluster discovered and how its lists are doing, for a failure's message.
fn lists(h: &Harness) -> String {
    h.app
        .store
        .clusters
        .iter()
        .map(|s| {
            let sheets: Vec<String> = h
                .app
                .store
                .sheets_of(s.id)
                .map(|(r, sh)| format!("{r}: {:?} {} rows", sh.state, sh.len()))
                .collect();
            format!(
                "{} ({:?}): {} resources, {}",
                s.context,
                s.health,
                s.resources.len(),
                sheets.join("; ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_members_are_listed_refreshed_refused_and_go_stale_while_direct_stays_live() {
    let Some(tb) = common::testbed() else { return };
    let Some(pedia) = common::pedia_kubeconfig() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("flotilla-pedia-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // No staging context: staging is reachable only through the index.
    let kubeconfig = only(&tb, &["dev", "prod"], &dir);
    let mut config = harness::config();
    config.settings.sources.push(SourceSettings {
        relist_seconds: Some(2),
        ..SourceSettings::clusterpedia("hub")
    });
    let mut h = Harness::with_kubeconfigs(&[&kubeconfig, &pedia], &["prod"], config);

    // The index's clusters join the fleet under their own names; prod, connected directly,
    // is not added a second time.
    let joined = h
        .pump_until(WAIT, |h| {
            ["dev", "staging"].iter().all(|c| {
                h.app
                    .store
                    .clusters
                    .by_context(c)
                    .is_some_and(|s| s.connected)
            })
        })
        .await;
    assert!(
        joined,
        "dev and staging join from the index:\n{}",
        h.header()
    );
    assert_eq!(h.app.store.clusters.len(), 3, "{}", h.header());
    assert_eq!(cluster_of(&h, "prod").1, None);
    assert_eq!(cluster_of(&h, "dev").1.as_deref(), Some("hub"));
    assert_eq!(cluster_of(&h, "staging").1.as_deref(), Some("hub"));

    // Their pods, listed from the index, are the clusters' own, each under its cluster's name.
    h.command("pods shop");
    let listed = h
        .pump_until(WAIT, |h| {
            let rows = body_lines(h, &["crasher"]);
            ["dev ", "staging ", "prod "]
                .iter()
                .all(|c| rows.iter().any(|l| l.starts_with(c)))
        })
        .await;
    assert!(
        listed,
        "crasher on every cluster:\n{}\n{}",
        h.screen(200, 60),
        lists(&h)
    );
    // The index's rows have the columns of the cluster's own: its extra cluster column
    // (flotilla has its own) is dropped.
    let (staging, _) = cluster_of(&h, "staging");
    let sheet = h.app.store.sheet(staging, &ResKey::core("pods"));
    let columns: Vec<&str> = sheet
        .map(|s| s.columns.iter().map(|c| c.name.as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        columns.get(..3),
        Some(&["Name", "Ready", "Status"][..]),
        "{columns:?}"
    );
    for cluster in ["dev", "staging"] {
        let mut want: Vec<String> = tb
            .kubectl_ok(cluster, &["get", "pods", "-n", "shop", "-o", "name"])
            .lines()
            .map(|l| l.trim_start_matches("pod/").to_string())
            .collect();
        want.sort();
        assert_eq!(
            pods_in(&h, cluster, "shop"),
            want,
            "{cluster}'s pods in shop"
        );
    }
    let header = h.header();
    assert!(
        header.contains("staging v1.36.3 via hub, as of"),
        "the header says where the rows come from and how old they are:\n{header}"
    );

    // One search across the index: the web Deployment of every cluster it syncs (prod too:
    // the index knows it, though flotilla watches it directly), then its pods by owner.
    h.command("search web kind:deploy -n shop");
    let found = h
        .pump_until(WAIT, |h| {
            let rows = body_lines(h, &["Deployment", "shop", "web"]);
            ["dev ", "staging ", "prod "]
                .iter()
                .all(|c| rows.iter().any(|l| l.starts_with(c)))
        })
        .await;
    assert!(
        found,
        "web on every cluster ({}):\n{}",
        flash(&h),
        h.screen(200, 60)
    );
    assert!(
        h.screen(200, 60)
            .contains("search <web kind:deploy -n shop> [3]")
    );
    // Enter describes the one found, from the cluster it is in.
    h.filter("staging");
    h.key(flotilla::key::KeyCode::Enter);
    let described = h
        .pump_until(WAIT, |h| {
            let s = h.screen(200, 60);
            s.contains("Replicas:") && s.contains("shop")
        })
        .await;
    assert!(described, "{}", h.screen(200, 60));
    h.command("search owner:web- kind:po -n shop @dev -l app=web");
    let owned = h
        .pump_until(WAIT, |h| !body_lines(h, &["dev", "Pod", "web-"]).is_empty())
        .await;
    let screen = h.screen(200, 60);
    assert!(owned, "{screen}");
    let rows = body_lines(&mut h, &[" "]);
    let pods: Vec<&String> = rows.iter().filter(|l| l.starts_with("dev ")).collect();
    assert!(
        pods.len() >= 2
            && pods
                .iter()
                .all(|l| l.contains(" Pod ") && l.contains("web-")),
        "only dev's web pods:\n{screen}"
    );
    assert!(
        !rows
            .iter()
            .any(|l| l.starts_with("staging ") || l.starts_with("prod ")),
        "only dev's web pods:\n{screen}"
    );

    // A pod created in staging appears at a later list of the index, without input.
    h.command("pods shop");
    let name = format!("pedia-{}", std::process::id());
    let mut made = common::Cleanup::new(&tb);
    made.delete(
        "staging",
        &["-n", "shop", "pod", &name, "--grace-period=0", "--force"],
    );
    let created = Instant::now();
    tb.kubectl_ok(
        "staging",
        &[
            "-n",
            "shop",
            "run",
            &name,
            "--image=registry.example.com/pedia:1",
            "--restart=Never",
        ],
    );
    let seen = h
        .pump_until(WAIT, |h| {
            body_lines(h, &[&name])
                .iter()
                .any(|l| l.starts_with("staging "))
        })
        .await;
    assert!(seen, "{name} appears:\n{}", h.screen(200, 60));
    eprintln!(
        "clusterpedia: a pod created in staging was on screen {} ms later",
        created.elapsed().as_millis()
    );

    // A session on staging, known only through the index, is refused before anything is sent,
    // saying what is missing; the refusal is audited as every refused change is.
    h.filter(&name);
    h.key(flotilla::key::KeyCode::Char(' '));
    h.command("exec true");
    let said = until_flash(&mut h, "exec refused:").await;
    assert!(
        said.contains("staging is known only through the Clusterpedia index on hub")
            && said.contains("kubeconfig context named staging"),
        "{said}"
    );
    let refused = |h: &Harness| {
        h.audit_records_so_far()
            .into_iter()
            .filter(|r| r.context == "staging" && r.result == "refused")
            .count()
    };
    h.pump_until(WAIT, |h| refused(h) > 0).await;
    assert_eq!(refused(&h), 1, "the refused exec is audited");

    // The index's apiserver stops: its clusters turn stale with the reason, prod stays live.
    let mut restart = Restart(true);
    common::stop_clusterpedia();
    let stale = h
        .pump_until(WAIT, |h| {
            ["dev", "staging"].iter().all(|c| {
                let (id, _) = cluster_of(h, c);
                matches!(h.app.store.health(id), Health::Stale(_))
                    && h.app.store.stale_since(id, None).is_some()
            })
        })
        .await;
    let header = h.header();
    assert!(stale, "dev and staging stale:\n{header}");
    let (prod, _) = cluster_of(&h, "prod");
    assert_eq!(h.app.store.health(prod), Health::Ok, "{header}");
    assert!(h.app.store.stale_since(prod, None).is_none(), "{header}");
    assert!(
        header.contains("◔ staging stale") && header.contains("index hub does not answer"),
        "{header}"
    );
    assert!(header.contains("● prod v1.36.3"), "{header}");
    // The last rows stay on screen, marked stale.
    assert!(!pods_in(&h, "staging", "shop").is_empty());

    // Back: the index answers, its clusters are current again.
    common::start_clusterpedia();
    restart.0 = false;
    let back = h
        .pump_until(WAIT, |h| {
            ["dev", "staging"].iter().all(|c| {
                let (id, _) = cluster_of(h, c);
                h.app.store.health(id) == Health::Ok && h.app.store.stale_since(id, None).is_none()
            })
        })
        .await;
    assert!(back, "dev and staging current again:\n{}", h.header());
    let _ = std::fs::remove_dir_all(&dir);
}
