//! Heavy remote input stays off the UI thread and within bounds, as a user drives it: Enter on
//! a big archive in `:backups` answers at once, keys keep working while the archive is
//! checked, and Esc stops the reading (the archive's file is closed); a release whose records
//! are gzip bombs, planted on the testbed, reads "record too large" in `:helm` and its
//! history, and the process stays far below what the bombs inflate to. "At once" is measured
//! on the harness's update path, which is the terminal loop's: the longest single update is
//! the longest the UI could not answer a key.

use crate::common;
use crate::harness;

use flotilla::backup::{Entry, FORMAT, Manifest};
use flotilla::helm::record;
use flotilla::key::KeyCode;
use flotilla::screens::backups::BackupsScreen;
use flotilla::screens::helm::{HelmScreen, HistoryScreen};
use flotilla::screens::text::TextScreen;
use harness::Harness;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a frame may take: a key is answered on the next one (60 fps is 16 ms; this leaves
/// room for a loaded test machine, and the work measured takes seconds).
const FRAME: Duration = Duration::from_millis(250);
const WAIT: Duration = Duration::from_secs(60);

/// A kubeconfig whose one context points at a port nobody listens on.
fn nowhere(dir: &Path) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:9\"}\n\
         users:\n- name: u\n  user: {token: t}\ncontexts:\n- name: nowhere\n  context: {cluster: c, user: u}\n\
         current-context: nowhere\n",
    )
    .expect("write kubeconfig");
    path
}

/// An archive of `files` files of `size` zero bytes each (a few MB on disk), its manifest
/// naming each with its checksum, created at `created`.
fn archive_of_zeros(path: &Path, files: usize, size: u64, created: &str) {
    let mut zeros = Sha256::new();
    let chunk = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64);
        zeros.update(&chunk[..n as usize]);
        left -= n;
    }
    let sum: String = zeros
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let objects: Vec<Entry> = (0..files)
        .map(|i| Entry {
            resource: "configmaps".into(),
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            namespace: "big".into(),
            name: format!("zeros-{i}"),
            path: Some(format!(
                "resources/configmaps/namespaces/big/zeros-{i}.yaml"
            )),
            sha256: Some(sum.clone()),
        })
        .collect();
    let mut manifest = Manifest {
        format: FORMAT.into(),
        created: created.into(),
        objects,
        ..Manifest::default()
    };
    manifest.cluster.context = "dev".into();
    manifest.selection.namespaces = vec!["big".into()];
    let file = std::fs::File::create(path).expect("archive file");
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    let mut add = |name: &str, size: u64, data: &mut dyn Read| {
        let mut h = tar::Header::new_gnu();
        h.set_size(size);
        h.set_mode(0o600);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, name, data).expect("append");
    };
    let head = serde_json::to_vec(&manifest).expect("manifest");
    add("manifest.json", head.len() as u64, &mut head.as_slice());
    for e in &manifest.objects {
        let name = e.path.as_deref().unwrap_or_default();
        add(name, size, &mut std::io::repeat(0).take(size));
    }
    let gz = tar.into_inner().expect("tar");
    gz.finish().expect("gzip").flush().expect("flush");
}

/// Whether this process has `path` open (the archive is being read).
fn reading(path: &Path) -> bool {
    std::fs::read_dir("/proc/self/fd")
        .into_iter()
        .flatten()
        .flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|p| p == path))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_archive_is_checked_while_keys_are_answered_and_esc_stops_the_reading() {
    common::take_turn();
    let dir = std::env::temp_dir().join(format!("flotilla-tui-bounded-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let shelf = dir.join("shelf");
    std::fs::create_dir_all(&shelf).expect("shelf");
    // 2.5 GiB to unpack and hash (12 MB on disk): seconds of work. The newest is listed
    // first.
    let big = shelf.join("big.tar.gz");
    archive_of_zeros(&big, 40, 64 << 20, "2026-12-02T10:00:00Z");
    let small = shelf.join("small.tar.gz");
    archive_of_zeros(&small, 2, 1 << 10, "2026-12-01T10:00:00Z");
    let mut config = harness::config();
    config.settings.backup.dir = Some(shelf);
    let mut h = Harness::with_config(&nowhere(&dir), &["nowhere"], config);
    h.command("backups");
    let selected = |h: &Harness| harness::selected_line(&h.app, 160, 30).unwrap_or_default();
    assert!(selected(&h).contains("big.tar.gz"), "{}", h.screen(160, 30));

    h.slowest = Duration::ZERO;
    let pressed = Instant::now();
    h.key(KeyCode::Enter);
    let screen = h.screen(160, 30);
    assert!(
        pressed.elapsed() < FRAME,
        "Enter was answered after {:?}",
        pressed.elapsed()
    );
    assert!(screen.contains("checking big.tar.gz"), "{screen}");
    let start = Instant::now();
    while !reading(&big) && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(reading(&big), "the check reads the archive");

    // A key while it runs: the cursor moves on the next frame.
    h.key(KeyCode::Down);
    assert!(
        selected(&h).contains("small.tar.gz"),
        "{}",
        h.screen(160, 30)
    );
    assert!(reading(&big), "still checking: the key did not wait for it");

    // Esc stops the check (the screen stays), and the reading with it.
    h.key(KeyCode::Esc);
    let screen = h.screen(160, 30);
    assert!(h.app.top_as::<BackupsScreen>().is_some(), "{screen}");
    assert!(screen.contains("stopped checking"), "{screen}");
    assert!(!screen.contains("checking big.tar.gz…"), "{screen}");
    let stopped = Instant::now();
    while reading(&big) && stopped.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!reading(&big), "the archive is closed within 2 s of Esc");

    // The small one is checked, and its manifest shown.
    h.key(KeyCode::Enter);
    let shown = h
        .pump_until(WAIT, |h| h.app.top_as::<TextScreen>().is_some())
        .await;
    let screen = h.screen(160, 30);
    assert!(shown, "{screen}");
    assert!(
        screen.contains("every file matches (2 objects)"),
        "{screen}"
    );
    assert!(
        h.slowest < FRAME,
        "the UI thread was busy for {:?} at once",
        h.slowest
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// This process's peak resident memory (VmHWM), in bytes.
fn peak_memory() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb << 10)
        .expect("VmHWM")
}

/// A release record as Helm stores it, for revision `revision` of release `name` in `ns`,
/// holding `json` (Helm's release JSON, gzipped and encoded twice).
fn secret(ns: &str, name: &str, revision: i64, status: &str, json: &[u8]) -> Value {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(json).expect("gzip");
    let packed = gz.finish().expect("gzip");
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    json!({
        "apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
        "metadata": {"name": record::object_name(name, revision), "namespace": ns,
            "labels": {"owner": "helm", "name": name, "status": status,
                       "version": revision.to_string()}},
        "data": {"release": b64.encode(b64.encode(packed))},
    })
}

/// Helm's JSON of a small release.
fn release(ns: &str, name: &str, revision: i64) -> Vec<u8> {
    json!({"name": name, "namespace": ns, "version": revision,
        "info": {"status": "superseded", "description": "Install complete",
                 "last_deployed": "2026-12-01T10:00:00Z"},
        "chart": {"metadata": {"name": "tiny", "version": "0.1.0", "appVersion": "1"}},
        "config": {}, "manifest": ""})
    .to_string()
    .into_bytes()
}

/// A record that inflates to 60 MiB of `[0,0,…]` (a few hundred KiB stored): about 1 GiB
/// once parsed, more than a gigabyte for each one a reader keeps.
fn bomb(ns: &str, name: &str, revision: i64) -> Vec<u8> {
    let mut json = format!(
        r#"{{"name":"{name}","namespace":"{ns}","version":{revision},"info":{{"status":"deployed"}},"config":{{"pad":["#
    )
    .into_bytes();
    json.extend(b"0,".repeat(30 << 20));
    json.extend(b"0]}}");
    json
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_bombs_in_a_releases_records_read_too_large_and_memory_stays_bounded() {
    let Some(tb) = common::testbed() else { return };
    let ns = format!("bomb-{}", std::process::id());
    let _scratch = common::Scratch::new(&tb, "dev", ns.clone());
    // Revision 1 is a record Helm could have written; 2 to 4 are bombs, 4 the newest.
    let mut records = vec![secret(
        &ns,
        "bomb",
        1,
        "superseded",
        &release(&ns, "bomb", 1),
    )];
    for revision in 2..=4 {
        let status = if revision == 4 {
            "deployed"
        } else {
            "superseded"
        };
        records.push(secret(
            &ns,
            "bomb",
            revision,
            status,
            &bomb(&ns, "bomb", revision),
        ));
    }
    let list = records_file(
        &ns,
        &json!({"apiVersion": "v1", "kind": "List", "items": records}),
    );
    tb.kubectl_ok("dev", &["create", "-f", &list.display().to_string()]);
    // From here on the peak is the reading's, not the planting's (where the kernel lets a
    // process reset it; the planting's few hundred MiB stay far below the bound otherwise).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = peak_memory();

    let mut h = Harness::new(&tb.kubeconfig, &["dev"]);
    h.command("helm");
    h.filter("bomb");
    let listed = h
        .pump_until(WAIT, |h| {
            h.app.top_as::<HelmScreen>().is_some_and(|s| {
                s.releases()
                    .iter()
                    .any(|r| r.name == "bomb" && r.namespace == ns)
                    && s.releases().iter().all(|r| s.decoded(r).is_some())
            })
        })
        .await;
    let screen = h.screen(170, 20);
    assert!(listed, "{screen}");
    let line = screen
        .lines()
        .find(|l| l.contains(&ns))
        .unwrap_or_default()
        .to_string();
    assert!(line.contains("record too large"), "{screen}");

    h.action(flotilla::model::Action::Enter);
    let read = h
        .pump_until(WAIT, |h| {
            h.app
                .top_as::<HistoryScreen>()
                .is_some_and(|s| s.revisions().len() == 4)
        })
        .await;
    let screen = h.screen(170, 20);
    assert!(read, "{screen}");
    for revision in 2..=4 {
        let row = screen
            .lines()
            .find(|l| {
                l.trim_start_matches('│')
                    .trim_start()
                    .starts_with(&format!("{revision} "))
            })
            .unwrap_or_default();
        assert!(
            row.contains("record too large"),
            "revision {revision}:\n{screen}"
        );
    }
    let first = screen
        .lines()
        .find(|l| l.trim_start_matches('│').trim_start().starts_with("1 "))
        .unwrap_or_default();
    assert!(
        first.contains("tiny-0.1.0") && first.contains("Install complete"),
        "revision 1 is read:\n{screen}"
    );
    // A revision that was not read says so (in the footer) instead of opening.
    h.action(flotilla::model::Action::Values);
    let flash = h.app.flash.as_ref().map(|f| f.text.clone());
    assert_eq!(flash.as_deref(), Some("revision 4: record too large"));
    assert!(h.app.top_as::<HistoryScreen>().is_some());

    let peak = peak_memory();
    eprintln!(
        "peak memory {} MiB (when reading began: {} MiB); slowest update {:?}",
        peak >> 20,
        before >> 20,
        h.slowest
    );
    assert!(
        peak < 768 << 20,
        "the process peaked at {} MiB: three bombs kept would be gigabytes",
        peak >> 20
    );
    assert!(
        h.slowest < FRAME,
        "the UI thread was busy for {:?} at once",
        h.slowest
    );
}

/// `value` as a JSON file in a directory named for the test's namespace, for kubectl.
fn records_file(name: &str, value: &Value) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flotilla-{name}"));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("records.json");
    std::fs::write(&path, value.to_string()).expect("records");
    path
}
