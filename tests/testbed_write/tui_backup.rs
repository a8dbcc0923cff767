//! `:backup` and `:backups` as a user drives them: namespaces of dev backed up into the
//! backup directory, the archive restored into staging under other names through the form,
//! the plan and the confirmation; what staging then holds, and the audit records. In
//! read-only mode the same restore is refused and nothing is created.

use crate::common;
use crate::harness;

use age::secrecy::ExposeSecret;
use common::Cleanup;
use flotilla::key::KeyCode;
use flotilla::model::Action;
use flotilla::screens::backups::BackupsScreen;
use harness::Harness;
use std::path::PathBuf;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);
const ALL: [&str; 3] = ["dev", "staging", "prod"];

/// A backup directory and an age key of the test's own, in a config.
fn config(name: &str, read_only: bool) -> (flotilla::config::Config, PathBuf) {
    let dir =
        std::env::temp_dir().join(format!("flotilla-tui-backup-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let id = age::x25519::Identity::generate();
    let key = dir.join("key.txt");
    std::fs::write(&key, format!("{}\n", id.to_string().expose_secret())).expect("key");
    let mut config = harness::config();
    config.settings.backup.dir = Some(dir.join("shelf"));
    config.settings.backup.recipients = vec![id.to_public().to_string()];
    config.settings.backup.identity_file = Some(key);
    config.settings.read_only = read_only;
    (config, dir)
}

fn type_text(h: &mut Harness, text: &str) {
    for c in text.chars() {
        h.key(KeyCode::Char(c));
    }
}

/// Backs shop and data of dev up with `:backup`, then fills the restore form for staging.
async fn back_up_and_plan(h: &mut Harness, map: &str) {
    let connected = h
        .pump_until(WAIT, |h| h.app.store.clusters.iter().all(|s| s.connected))
        .await;
    assert!(connected, "{}", h.header());
    h.command("backup shop,data @dev");
    assert!(
        h.app.top_as::<BackupsScreen>().is_some(),
        "{}",
        h.screen(160, 40)
    );
    let listed = h
        .pump_until(WAIT, |h| {
            let s = h.screen(200, 50);
            s.lines()
                .any(|l| l.contains(" dev ") && l.contains("shop,data") && l.contains("2 age"))
        })
        .await;
    assert!(listed, "{}", h.screen(200, 50));
    assert!(
        h.screen(200, 50).contains("backed up dev (shop, data)"),
        "{}",
        h.screen(200, 50)
    );

    h.action(Action::Restore);
    assert!(
        h.screen(200, 50).contains("into context"),
        "{}",
        h.screen(200, 50)
    );
    for _ in 0.."dev".len() {
        h.key(KeyCode::Backspace);
    }
    type_text(h, "staging");
    h.key(KeyCode::Tab);
    type_text(h, map);
    h.key(KeyCode::Enter);
    h.key(KeyCode::Enter);
    let planned = h
        .pump_until(WAIT, |h| h.screen(200, 50).contains("into staging: "))
        .await;
    assert!(planned, "{}", h.screen(200, 50));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_is_restored_into_another_cluster_from_the_plan() {
    let Some(tb) = common::testbed() else { return };
    let pid = std::process::id();
    let (shop, data) = (format!("tui-shop-{pid}"), format!("tui-data-{pid}"));
    let _gone = Cleanup::namespaces(&tb, "staging", &[&shop, &data]);
    let (config, _dir) = config("restore", false);
    let mut h = Harness::with_config(&tb.kubeconfig, &ALL, config);
    back_up_and_plan(&mut h, &format!("shop={shop},data={data}")).await;

    let plan = h.screen(200, 50);
    assert!(
        plan.contains(&format!("create     namespaces {shop}")),
        "{plan}"
    );
    assert!(
        plan.contains("unchanged  customresourcedefinitions.apiextensions.k8s.io"),
        "{plan}"
    );
    h.action(Action::Enter);
    let asked = h.screen(200, 50);
    assert!(
        asked.contains("Restore into staging?")
            && asked.contains("restore from ")
            && asked.contains(&format!("create  namespaces {shop}")),
        "{asked}"
    );
    h.key(KeyCode::Char('y'));
    let done = h
        .pump_until(WAIT, |h| h.screen(200, 50).contains("done: "))
        .await;
    let screen = h.screen(200, 50);
    assert!(done && screen.contains(", 0 failed"), "{screen}");

    let image = |ctx: &str, ns: &str| {
        tb.kubectl_ok(
            ctx,
            &[
                "-n",
                ns,
                "get",
                "deployment/web",
                "-o",
                "jsonpath={.spec.template.spec.containers[0].image}",
            ],
        )
    };
    assert_eq!(image("staging", &shop), image("dev", "shop"));
    // One record per object, and the restore's intent and closing record about the archive.
    let restored: Vec<_> = h
        .audit_records()
        .into_iter()
        .filter(|r| r.action == "restore" && r.target.kind != "Archive")
        .collect();
    assert!(
        restored.len() > 20,
        "one record per object: {}",
        restored.len()
    );
    assert!(
        restored
            .iter()
            .all(|r| r.result == "ok" && r.context == "staging")
    );
    assert!(
        restored
            .iter()
            .any(|r| r.target.kind == "Secret" && r.target.namespace == shop)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_mode_refuses_the_restore_and_creates_nothing() {
    let Some(tb) = common::testbed() else { return };
    let ns = format!("tui-ro-{}", std::process::id());
    let _gone = Cleanup::namespaces(&tb, "staging", &[&ns, &format!("{ns}-data")]);
    let (config, _dir) = config("readonly", true);
    let mut h = Harness::with_config(&tb.kubeconfig, &ALL, config);
    // Backing up reads only: read-only mode allows it.
    back_up_and_plan(&mut h, &format!("shop={ns},data={ns}-data")).await;
    h.action(Action::Enter);
    let refused = h
        .pump_until(WAIT, |h| h.screen(200, 50).contains("read-only mode"))
        .await;
    assert!(refused, "{}", h.screen(200, 50));
    assert!(
        !tb.kubectl("staging", &["get", "namespace", &ns])
            .status
            .success(),
        "nothing was created"
    );
    let records = h.audit_records();
    assert!(
        records
            .iter()
            .any(|r| r.action == "restore" && r.result == "refused"),
        "{records:?}"
    );
}

/// Whether the list (of one cluster: no context column) shows a row named `name`.
async fn shown(h: &mut Harness, name: &str) -> bool {
    let first = format!("│{name}");
    h.pump_until(WAIT, |h| {
        h.screen(200, 30)
            .lines()
            .any(|l| l.split_whitespace().next() == Some(first.as_str()))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marked_objects_are_backed_up_alone_with_their_namespace() {
    let Some(tb) = common::testbed() else { return };
    let (config, dir) = config("marked", false);
    let mut h = Harness::with_config(&tb.kubeconfig, &["dev"], config);
    h.command("deploy shop");
    h.filter("web");
    assert!(shown(&mut h, "web").await, "{}", h.screen(200, 30));
    h.key(KeyCode::Char(' '));
    h.command("cm shop");
    h.filter("web-config");
    assert!(shown(&mut h, "web-config").await, "{}", h.screen(200, 30));
    h.key(KeyCode::Char(' '));
    assert_eq!(h.app.shared.marks.len(), 2, "{}", h.screen(200, 30));

    h.command("backup");
    let written = h
        .pump_until(WAIT, |h| h.screen(200, 50).contains("backed up dev (shop)"))
        .await;
    assert!(written, "{}", h.screen(200, 50));
    let screen = h.screen(200, 50);
    assert!(
        screen.contains("objects deployments.apps/shop/web, configmaps/shop/web-config"),
        "the manifest names what was marked:\n{screen}"
    );

    let file = std::fs::read_dir(dir.join("shelf"))
        .expect("shelf")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .expect("an archive in the backup directory");
    let opened = flotilla::backup::archive::open(&file).expect("archive opens");
    assert!(!opened.sealed_secrets(), "no Secret was marked");
    let mut held: Vec<String> = opened
        .objects(flotilla::backup::archive::SecretsBy::NotNeeded)
        .expect("objects")
        .into_iter()
        .map(|(_, o)| {
            format!(
                "{} {}",
                o["kind"].as_str().unwrap_or(""),
                o["metadata"]["name"].as_str().unwrap_or("")
            )
        })
        .collect();
    held.sort();
    assert_eq!(
        held,
        ["ConfigMap web-config", "Deployment web", "Namespace shop"],
        "the marked objects and their namespace, nothing else"
    );
    let web = tb.kubectl_ok(
        "dev",
        &[
            "-n",
            "shop",
            "get",
            "deployment/web",
            "-o",
            "jsonpath={.spec.replicas}",
        ],
    );
    let archived = opened
        .objects(flotilla::backup::archive::SecretsBy::NotNeeded)
        .expect("objects")
        .into_iter()
        .find(|(_, o)| o["kind"] == "Deployment")
        .map(|(_, o)| o["spec"]["replicas"].to_string())
        .unwrap_or_default();
    assert_eq!(archived, web, "the Deployment as dev holds it");
}
