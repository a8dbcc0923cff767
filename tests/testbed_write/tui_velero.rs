//! `:velero` against the testbed clusters, which carry Velero's real CRDs and the objects a
//! Velero install would have written (assets/testbed/common/65-velero.yaml) but no Velero
//! server: the tests check what a user sees, and what flotilla wrote to the cluster when
//! it created a Backup from the form, a Restore of a Backup, and a Backup of a Schedule now.
//! Each test works on a cluster of its own and deletes what it created (unique names).

use crate::common;
use crate::harness;

use common::Cleanup;
use flotilla::key::KeyCode;
use flotilla::modal::Modal;
use flotilla::screens::velero::VeleroScreen;
use harness::Harness;
use serde_json::Value;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);
const ALL: [&str; 3] = ["dev", "staging", "prod"];
const NS: &str = "velero";

/// Connects to `contexts` and opens `:velero` on them, waiting for every list.
async fn velero(tb: &common::Testbed, contexts: &[&str], read_only: bool) -> Harness {
    let mut h = Harness::new(&tb.kubeconfig, contexts);
    if read_only {
        h.app.policy.make_read_only();
    }
    let connected = h
        .pump_until(WAIT, |h| h.app.store.clusters.iter().all(|s| s.connected))
        .await;
    assert!(connected, "{}", h.header());
    h.command("velero");
    settled(&mut h).await;
    h
}

async fn settled(h: &mut Harness) {
    let ok = h
        .pump_until(WAIT, |h| {
            h.app.top_as::<VeleroScreen>().is_some_and(|s| s.settled())
        })
        .await;
    assert!(ok, "every cluster answered:\n{}", h.screen(200, 40));
}

/// Table rows (a cluster's name first, not the detail line) holding every one of `words`.
fn rows(h: &mut Harness, words: &[&str]) -> Vec<String> {
    h.lines_with(words)
        .into_iter()
        .filter(|l| ALL.iter().any(|c| l.starts_with(&format!("│{c} "))))
        .collect()
}

/// Sets the `/` filter to `text` (the prompt opens with the filter there is).
fn filter(h: &mut Harness, text: &str) {
    h.action(flotilla::model::Action::Filter);
    for _ in 0..60 {
        h.key(KeyCode::Backspace);
    }
    typed(h, text);
    h.key(KeyCode::Enter);
}

fn typed(h: &mut Harness, text: &str) {
    for c in text.chars() {
        h.key(KeyCode::Char(c));
    }
}

/// Replaces the focused field's prefilled value.
fn replace(h: &mut Harness, text: &str) {
    for _ in 0..80 {
        h.key(KeyCode::Backspace);
    }
    typed(h, text);
}

fn form_title(h: &Harness) -> Option<String> {
    match h.app.modals().last() {
        Some(Modal::Form(f)) => Some(f.title.clone()),
        _ => None,
    }
}

/// The app's confirmation names the object and cluster; Enter confirms it.
fn confirm(h: &mut Harness, words: &[&str]) {
    let text = match h.app.modals().last() {
        Some(Modal::Confirm(c)) => format!("{} {}", c.title, c.lines.join(" ")),
        _ => panic!("a confirmation:\n{}", h.screen(200, 50)),
    };
    for w in words {
        assert!(text.contains(w), "{w:?} in {text:?}");
    }
    h.key(KeyCode::Enter);
}

fn flash(h: &Harness) -> String {
    h.app
        .flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default()
}

async fn until_flash(h: &mut Harness, needle: &str) -> String {
    let ok = h.pump_until(WAIT, |h| flash(h).contains(needle)).await;
    assert!(ok, "flash says {needle:?}:\n{}", h.screen(200, 50));
    flash(h)
}

/// `kubectl get` of one Velero object as JSON, `None` when it does not exist.
fn get(tb: &common::Testbed, ctx: &str, what: &str) -> Option<Value> {
    let out = tb.kubectl(ctx, &["-n", NS, "get", what, "-o", "json"]);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("NotFound"), "kubectl get {what}: {err}");
        return None;
    }
    Some(serde_json::from_slice(&out.stdout).expect("kubectl prints JSON"))
}

async fn until_created(tb: &common::Testbed, ctx: &str, what: &str) -> Value {
    let start = std::time::Instant::now();
    loop {
        if let Some(v) = get(tb, ctx, what) {
            return v;
        }
        assert!(start.elapsed() < WAIT, "{what} created on {ctx}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_micros())
            .unwrap_or(0)
    )
}

/// Backup names the Schedule `daily-shop` has on `ctx` (by its label).
fn scheduled(tb: &common::Testbed, ctx: &str) -> Vec<String> {
    tb.kubectl_ok(
        ctx,
        &[
            "-n",
            NS,
            "get",
            "backups",
            "-l",
            "velero.io/schedule-name=daily-shop",
            "-o",
            "jsonpath={.items[*].metadata.name}",
        ],
    )
    .split_whitespace()
    .map(str::to_string)
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn velero_lists_backups_restores_schedules_and_locations_of_every_cluster() {
    let Some(tb) = common::testbed() else { return };
    let mut h = velero(&tb, &ALL, false).await;
    for c in ALL {
        let c = &format!("│{c} ");
        for words in [
            &[
                c,
                "Backup",
                "daily-shop-20250601020000",
                "Completed",
                "42/42",
            ][..],
            &[
                c,
                "Backup",
                "data-full",
                "PartiallyFailed",
                "118/121",
                " 3 ",
                " 7 ",
            ],
            &[c, "Backup", "monitoring-now", "InProgress", "17/64"],
            &[c, "Backup", "archive-old", "FailedValidation"],
            &[
                c,
                "Restore",
                "daily-shop-20250601020000-2025060209",
                "Completed",
                "40/42",
            ],
            &[c, "Schedule", "daily-shop", "Enabled · last backup", "ago"],
            &[c, "Schedule", "weekly-data", "Paused · last backup never"],
            &[c, "BSL", "default", "Available · validated"],
            &[c, "BSL", "archive", "Unavailable"],
        ] {
            assert_eq!(
                rows(&mut h, words).len(),
                1,
                "{words:?}:\n{}",
                h.screen(200, 60)
            );
        }
    }
    // No cluster is missing Velero, none failed: no note above the table.
    let notes = h
        .app
        .top_as::<VeleroScreen>()
        .map(|s| s.notes())
        .unwrap_or_default();
    assert!(
        notes
            .iter()
            .all(|(_, n)| *n == flotilla::screens::velero::Note::Listed),
        "{notes:?}"
    );
    // The selected row's spec and failure under the table.
    filter(&mut h, "data-full");
    assert_eq!(
        rows(&mut h, &["data-full"]).len(),
        3,
        "{}",
        h.screen(200, 40)
    );
    let screen = h.screen(200, 40);
    assert!(
        screen.contains("namespaces data,batch · location default · ttl 720h0m0s · snapshots on"),
        "{screen}"
    );
    assert!(
        screen.contains("failure: volume snapshot of data/pg-0 failed"),
        "{screen}"
    );
    // y: the selected object's YAML, read from its cluster.
    h.key(KeyCode::Char('y'));
    let shown = h
        .pump_until(WAIT, |h| {
            let s = h.screen(200, 40);
            s.contains("kind: Backup") && s.contains("failureReason:")
        })
        .await;
    assert!(shown, "{}", h.screen(200, 40));
    h.key(KeyCode::Esc);
    filter(&mut h, "cron daily-shop");
    let screen = h.screen(200, 40);
    assert!(
        screen.contains("cron 0 2 * * * · namespaces shop"),
        "{screen}"
    );
    // Refresh lists again, and the footer names the keys.
    h.key(KeyCode::Char('r'));
    settled(&mut h).await;
    assert_eq!(rows(&mut h, &["Schedule", "daily-shop"]).len(), 3);
    let footer = h.screen(200, 40);
    for hint in [
        "<b> new backup",
        "<R> restore",
        "<t> schedule now",
        "<r> refresh",
    ] {
        assert!(footer.contains(hint), "{hint}: {footer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_from_the_form_is_created_on_the_server() {
    let Some(tb) = common::testbed() else { return };
    let ctx = "dev";
    let name = unique("form");
    let mut clean = Cleanup::new(&tb);
    clean.delete(ctx, &["-n", NS, &format!("backup/{name}")]);
    let mut h = velero(&tb, &[ctx], false).await;
    h.key(KeyCode::Char('b'));
    let title = form_title(&h).unwrap_or_else(|| panic!("a form:\n{}", h.screen(200, 50)));
    assert!(title.contains("Backup on dev"), "{title}");
    let screen = h.screen(200, 50);
    assert!(screen.contains("720h0m0s"), "ttl default: {screen}");
    h.key(KeyCode::Enter); // cluster: dev
    replace(&mut h, &name);
    h.key(KeyCode::Enter);
    replace(&mut h, "shop,data");
    h.key(KeyCode::Enter);
    h.key(KeyCode::Enter); // ttl 720h0m0s
    h.key(KeyCode::Enter); // storage location: the default one
    typed(&mut h, "yes");
    h.key(KeyCode::Enter);
    confirm(&mut h, &[&name, "dev"]);
    let b = until_created(&tb, ctx, &format!("backup/{name}")).await;
    assert_eq!(
        b["spec"]["includedNamespaces"],
        serde_json::json!(["shop", "data"])
    );
    assert_eq!(b["spec"]["ttl"], "720h0m0s");
    assert_eq!(b["spec"]["storageLocation"], "default");
    assert_eq!(b["spec"]["snapshotVolumes"], true);
    assert!(b.get("status").is_none(), "flotilla writes no status");
    // The audit log has it; the list shows it, as no server picked it up: New.
    let ok = h
        .pump_until(WAIT, |h| {
            h.audit_records_so_far()
                .iter()
                .any(|r| r.action == "create" && r.result == "ok")
        })
        .await;
    assert!(ok, "{:#?}", h.audit_records_so_far());
    let shown = h
        .pump_until(WAIT, |h| !rows(h, &["Backup", &name, "New"]).is_empty())
        .await;
    assert!(shown, "{}", h.screen(200, 50));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_of_the_selected_backup_maps_namespaces() {
    let Some(tb) = common::testbed() else { return };
    let ctx = "staging";
    let name = unique("restore");
    let mut clean = Cleanup::new(&tb);
    clean.delete(ctx, &["-n", NS, &format!("restore/{name}")]);
    let mut h = velero(&tb, &[ctx], false).await;
    // Backups are listed before Restores: the Backup is the first row the filter leaves.
    filter(&mut h, "daily-shop-20250601020000");
    h.key(KeyCode::Char('R'));
    let title = form_title(&h).unwrap_or_else(|| panic!("a form:\n{}", h.screen(200, 50)));
    assert!(
        title.contains("Restore Backup daily-shop-20250601020000 on staging"),
        "{title}"
    );
    replace(&mut h, &name);
    h.key(KeyCode::Enter);
    typed(&mut h, "shop=shop-copy,data=data-copy");
    h.key(KeyCode::Enter);
    replace(&mut h, "update");
    h.key(KeyCode::Enter);
    confirm(&mut h, &[&name, "staging"]);
    let r = until_created(&tb, ctx, &format!("restore/{name}")).await;
    assert_eq!(r["spec"]["backupName"], "daily-shop-20250601020000");
    assert_eq!(
        r["spec"]["namespaceMapping"],
        serde_json::json!({"shop": "shop-copy", "data": "data-copy"})
    );
    assert_eq!(r["spec"]["existingResourcePolicy"], "update");
    // R on a row that is not a Backup says so and opens nothing.
    filter(&mut h, "cron daily-shop");
    h.key(KeyCode::Char('R'));
    assert!(form_title(&h).is_none());
    until_flash(&mut h, "select a Backup").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_backs_up_now_with_its_template_and_label() {
    let Some(tb) = common::testbed() else { return };
    let ctx = "prod";
    let before = scheduled(&tb, ctx);
    let mut clean = Cleanup::new(&tb);
    let mut h = velero(&tb, &[ctx], false).await;
    filter(&mut h, "cron daily-shop");
    h.key(KeyCode::Char('t'));
    confirm(&mut h, &["daily-shop-", "prod"]);
    let start = std::time::Instant::now();
    let new = loop {
        let now: Vec<String> = scheduled(&tb, ctx)
            .into_iter()
            .filter(|n| !before.contains(n))
            .collect();
        if !now.is_empty() {
            break now;
        }
        assert!(start.elapsed() < WAIT, "a new backup of daily-shop");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for n in &new {
        clean.delete(ctx, &["-n", NS, &format!("backup/{n}")]);
    }
    assert_eq!(new.len(), 1, "{new:?}");
    // <schedule>-YYYYMMDDhhmmss, as `velero backup create --from-schedule` names it.
    let stamp = new[0].strip_prefix("daily-shop-").unwrap_or_default();
    assert!(
        stamp.len() == 14 && stamp.chars().all(|c| c.is_ascii_digit()),
        "{new:?}"
    );
    let backup = get(&tb, ctx, &format!("backup/{}", new[0])).expect("the backup");
    let schedule = get(&tb, ctx, "schedule/daily-shop").expect("the schedule");
    assert_eq!(backup["spec"], schedule["spec"]["template"]);
    assert_eq!(
        backup["metadata"]["labels"]["velero.io/schedule-name"],
        "daily-shop"
    );
    // t on a Backup row says so and creates nothing.
    filter(&mut h, "data-full");
    h.key(KeyCode::Char('t'));
    until_flash(&mut h, "select a Schedule").await;
    assert!(h.app.modals().next().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_mode_refuses_every_velero_create() {
    let Some(tb) = common::testbed() else { return };
    let ctx = "dev";
    let before = scheduled(&tb, ctx);
    let name = unique("ro");
    let mut h = velero(&tb, &[ctx], true).await;
    filter(&mut h, "cron daily-shop");
    h.key(KeyCode::Char('t'));
    assert!(h.app.modals().next().is_none(), "nothing to confirm");
    let said = until_flash(&mut h, "read-only").await;
    assert!(said.contains("dev"), "{said}");
    h.app.flash = None;
    filter(&mut h, "");
    h.key(KeyCode::Char('b'));
    assert!(form_title(&h).is_some(), "{}", h.screen(200, 50));
    h.key(KeyCode::Enter);
    replace(&mut h, &name);
    for _ in 0..5 {
        h.key(KeyCode::Enter);
    }
    assert!(h.app.modals().next().is_none(), "nothing to confirm");
    until_flash(&mut h, "read-only").await;
    assert!(
        get(&tb, ctx, &format!("backup/{name}")).is_none(),
        "not created"
    );
    assert_eq!(scheduled(&tb, ctx), before, "no backup of the schedule");
    let refused: Vec<_> = h
        .audit_records()
        .into_iter()
        .filter(|r| r.action == "create" && r.result == "refused")
        .collect();
    assert_eq!(refused.len(), 2, "{refused:#?}");
}
