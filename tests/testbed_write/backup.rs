//! `flotilla backup`, the real binary, against the testbed clusters. Namespaces `shop` and
//! `data` of dev are backed up; so that the seed stays as other tests need it, the namespace
//! that is deleted and restored is a copy of them made by a restore (which is itself the
//! cross-namespace case). What is compared is what a user would: the cleaned objects of the
//! archives and what the server holds.

use crate::common;

use common::{Cleanup, Isolated, Testbed};
use flotilla::backup::archive::{self, SecretsBy};
use flotilla::backup::keys;
use flotilla::backup::restore::{mapped, parse_namespace_map};
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The test's own directory: config, state (audit log), archives, keys.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str, config: &str) -> Dir {
        let dir =
            std::env::temp_dir().join(format!("flotilla-backup-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("test dir");
        std::fs::write(dir.join("config.toml"), config).expect("config.toml");
        Dir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn run(&self, tb: &Testbed, args: &[&str]) -> Output {
        // Its own config, state and audit log (audit.jsonl here); no passphrase from outside.
        Isolated::at(&self.0)
            .command()
            .arg("--kubeconfig")
            .arg(&tb.kubeconfig)
            .args(args)
            .output()
            .expect("run flotilla")
    }

    /// Runs it and returns stdout; panics with stderr when it fails.
    fn ok(&self, tb: &Testbed, args: &[&str]) -> String {
        let out = self.run(tb, args);
        assert!(
            out.status.success(),
            "flotilla {args:?} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Runs it expecting a user error: exit 2 and one line on stderr, which is returned.
    fn refused(&self, tb: &Testbed, args: &[&str]) -> String {
        let out = self.run(tb, args);
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        assert_eq!(out.status.code(), Some(2), "flotilla {args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        err
    }

    /// A new age identity; its recipient.
    fn keygen(&self, tb: &Testbed, name: &str) -> String {
        let file = self.path(name);
        self.ok(tb, &["backup", "keygen", "-o", file.to_str().unwrap()])
            .trim()
            .to_string()
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The archive's objects, Secrets opened with the identity file.
fn objects(file: &Path, identity: &Path) -> Vec<Value> {
    let opened = archive::open(file).expect("archive opens");
    let id = keys::identities(identity).expect("identity");
    opened
        .objects(SecretsBy::Opening(&id))
        .expect("objects")
        .into_iter()
        .map(|(_, v)| v)
        .collect()
}

fn exists(tb: &Testbed, context: &str, ns: &str) -> bool {
    tb.kubectl(context, &["get", "namespace", ns])
        .status
        .success()
}

fn restores_in_audit(dir: &Dir, tb: &Testbed) -> Vec<Value> {
    let log = dir.path("audit.jsonl");
    let out = dir.ok(tb, &["audit", "export", s(&log)]);
    out.lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("audit line"))
        .filter(|r| r["action"] == "restore")
        .collect()
}

#[test]
fn a_deleted_namespace_comes_back_equal_to_the_original_from_its_archive() {
    let Some(tb) = common::testbed() else { return };
    let dir = Dir::new("roundtrip", "");
    let recipient = dir.keygen(&tb, "key.txt");
    let key = dir.path("key.txt");
    let pid = std::process::id();
    let (shop, data) = (format!("rt-shop-{pid}"), format!("rt-data-{pid}"));
    let _made = Cleanup::namespaces(&tb, "dev", &[&shop, &data]);
    let original = dir.path("original.tar.gz");
    dir.ok(
        &tb,
        &[
            "backup",
            "create",
            "--context",
            "dev",
            "-n",
            "shop,data",
            "-o",
            s(&original),
            "--recipient",
            &recipient,
        ],
    );

    // A copy of shop and data under other names: the namespaces this test may delete.
    let map = format!("shop={shop},data={data}");
    let out = dir.ok(
        &tb,
        &[
            "backup",
            "restore",
            s(&original),
            "--context",
            "dev",
            "--namespace-map",
            &map,
            "--identity",
            s(&key),
            "--yes",
        ],
    );
    assert!(out.contains(", 0 failed"), "{out}");
    let before = dir.path("before.tar.gz");
    let ns = format!("{shop},{data}");
    dir.ok(
        &tb,
        &[
            "backup",
            "create",
            "--context",
            "dev",
            "-n",
            &ns,
            "-o",
            s(&before),
            "--recipient",
            &recipient,
        ],
    );

    tb.kubectl_ok(
        "dev",
        &[
            "delete",
            "namespace",
            &shop,
            &data,
            "--wait=true",
            "--timeout=120s",
        ],
    );
    assert!(!exists(&tb, "dev", &shop));

    let out = dir.ok(
        &tb,
        &[
            "backup",
            "restore",
            s(&before),
            "--context",
            "dev",
            "--identity",
            s(&key),
            "--yes",
        ],
    );
    assert!(out.contains(", 0 failed"), "{out}");
    let after = dir.path("after.tar.gz");
    dir.ok(
        &tb,
        &[
            "backup",
            "create",
            "--context",
            "dev",
            "-n",
            &ns,
            "-o",
            s(&after),
            "--recipient",
            &recipient,
        ],
    );

    let (was, is) = (objects(&before, &key), objects(&after, &key));
    let kinds: Vec<&str> = was.iter().filter_map(|o| o["kind"].as_str()).collect();
    for k in [
        "Namespace",
        "Deployment",
        "StatefulSet",
        "Service",
        "Secret",
        "ConfigMap",
        "PersistentVolumeClaim",
        "Database",
        "CustomResourceDefinition",
        "RoleBinding",
        "Pod",
    ] {
        assert!(kinds.contains(&k), "the archive holds a {k}: {kinds:?}");
    }
    assert_eq!(was.len(), is.len(), "as many objects after as before");
    for (w, i) in was.iter().zip(&is) {
        assert_eq!(w, i, "restored object differs from the one backed up");
    }
    // The copy is the original under other names.
    let map = parse_namespace_map(&map).expect("map");
    let first = objects(&original, &key);
    assert_eq!(first.len(), was.len());
    for (o, w) in first.iter().zip(&was) {
        assert_eq!(&mapped(o, &map), w);
    }
    // Every object created was audited as one batch, ok, under the intent written first,
    // which the restore's closing record answers.
    let records = restores_in_audit(&dir, &tb);
    let last_batch = records.last().expect("restore records")["batch"].clone();
    let (whole, batch): (Vec<&Value>, Vec<&Value>) = records
        .iter()
        .filter(|r| r["batch"] == last_batch)
        .partition(|r| r["target"]["kind"] == "Archive");
    assert_eq!(
        batch.len(),
        was.len() - 1,
        "one record per object but the CRD, unchanged"
    );
    assert!(
        batch
            .iter()
            .all(|r| r["result"] == "ok" && r["context"] == "dev")
    );
    let results: Vec<&Value> = whole.iter().map(|r| &r["result"]).collect();
    assert_eq!(results, ["intent", "ok"], "{whole:#?}");
    let intent = &whole[0]["hash"];
    assert!(
        batch
            .iter()
            .chain([&whole[1]])
            .all(|r| r["intent"] == *intent)
    );
    assert!(
        dir.ok(&tb, &["audit", "verify", s(&dir.path("audit.jsonl"))])
            .contains("audit log ok")
    );
}

#[test]
fn restoring_into_another_cluster_maps_namespaces_and_a_changed_object_is_planned_as_an_update() {
    let Some(tb) = common::testbed() else { return };
    let dir = Dir::new("cross", "");
    let recipient = dir.keygen(&tb, "key.txt");
    let key = dir.path("key.txt");
    let pid = std::process::id();
    let (shop, data) = (format!("xc-shop-{pid}"), format!("xc-data-{pid}"));
    let _made = Cleanup::namespaces(&tb, "staging", &[&shop, &data]);
    let file = dir.path("dev.tar.gz");
    dir.ok(
        &tb,
        &[
            "backup",
            "create",
            "--context",
            "dev",
            "-n",
            "shop,data",
            "-o",
            s(&file),
            "--recipient",
            &recipient,
        ],
    );
    let map = format!("shop={shop},data={data}");
    let restore = |extra: &[&str]| {
        let mut args = vec![
            "backup",
            "restore",
            s(&file),
            "--context",
            "staging",
            "--namespace-map",
            &map,
            "--identity",
            s(&key),
        ];
        args.extend_from_slice(extra);
        dir.ok(&tb, &args)
    };
    let plan = restore(&["--dry-run"]);
    assert!(
        plan.contains(&format!("create     namespaces {shop}")),
        "{plan}"
    );
    assert!(
        plan.contains(&format!("create     deployments.apps {shop}/web")),
        "{plan}"
    );
    assert!(!exists(&tb, "staging", &shop), "a dry run creates nothing");
    let out = restore(&["--yes"]);
    assert!(out.contains(", 0 failed"), "{out}");

    // What staging now holds is dev's.
    let jsonpath = |ctx: &str, ns: &str, what: &str, path: &str| {
        tb.kubectl_ok(
            ctx,
            &["-n", ns, "get", what, "-o", &format!("jsonpath={path}")],
        )
    };
    let image = "{.spec.template.spec.containers[0].image}";
    assert_eq!(
        jsonpath("staging", &shop, "deployment/web", image),
        jsonpath("dev", "shop", "deployment/web", image)
    );
    assert_eq!(
        jsonpath("staging", &shop, "secret/db-credentials", "{.data}"),
        jsonpath("dev", "shop", "secret/db-credentials", "{.data}")
    );
    assert_eq!(
        jsonpath("staging", &data, "database/orders", "{.spec}"),
        jsonpath("dev", "data", "database/orders", "{.spec}")
    );
    let subjects = jsonpath(
        "staging",
        &shop,
        "rolebinding/viewer-pod-viewer",
        "{.subjects[0].namespace}",
    );
    assert_eq!(
        subjects, shop,
        "a ServiceAccount subject follows its namespace"
    );

    // Someone changes the copy; the plan shows the change undone, as a diff.
    tb.kubectl_ok(
        "staging",
        &[
            "-n",
            &shop,
            "patch",
            "configmap",
            "web-config",
            "--type",
            "merge",
            "-p",
            r#"{"data":{"LOG_LEVEL":"debug"}}"#,
        ],
    );
    tb.kubectl_ok(
        "staging",
        &["-n", &shop, "scale", "deployment", "web", "--replicas", "7"],
    );
    let plan = restore(&["--existing", "update", "--dry-run"]);
    let lines: Vec<&str> = plan.lines().collect();
    let at = |what: &str| {
        lines
            .iter()
            .position(|l| l.trim_start().starts_with(what))
            .unwrap_or_else(|| panic!("no {what:?} in\n{plan}"))
    };
    let cm = at(&format!("update     configmaps {shop}/web-config"));
    assert!(
        lines[cm + 1].contains("- ") && lines[cm + 1].contains("LOG_LEVEL: debug"),
        "{plan}"
    );
    let web = at(&format!("update     deployments.apps {shop}/web"));
    assert!(
        lines[web + 1..web + 3]
            .iter()
            .any(|l| l.contains("-   replicas: 7")),
        "{plan}"
    );
    assert!(plan.contains("plan: 2 update,"), "{plan}");
    // Left as they are unless asked.
    let plan = restore(&["--dry-run"]);
    assert!(
        plan.contains(&format!(
            "skip       configmaps {shop}/web-config: it differs"
        )),
        "{plan}"
    );
    assert_eq!(
        jsonpath(
            "staging",
            &shop,
            "configmap/web-config",
            "{.data.LOG_LEVEL}"
        ),
        "debug",
        "dry runs change nothing"
    );

    let out = restore(&["--existing", "update", "--yes"]);
    assert!(
        out.contains(&format!("updated    configmaps {shop}/web-config")),
        "{out}"
    );
    assert_eq!(
        jsonpath(
            "staging",
            &shop,
            "configmap/web-config",
            "{.data.LOG_LEVEL}"
        ),
        ""
    );
    assert_eq!(
        jsonpath("staging", &shop, "deployment/web", "{.spec.replicas}"),
        jsonpath("dev", "shop", "deployment/web", "{.spec.replicas}")
    );
    let again = restore(&["--existing", "update", "--dry-run"]);
    let changes = again
        .lines()
        .filter(|l| l.trim_start().starts_with("update") || l.trim_start().starts_with("create"));
    assert_eq!(
        changes.count(),
        0,
        "restored: nothing left to change\n{again}"
    );
}

/// Every file of the archive, decompressed, and the names of its files.
fn unpacked(file: &Path) -> (Vec<String>, Vec<u8>) {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(file).expect("archive"))
        .read_to_end(&mut raw)
        .expect("gunzip");
    let mut tar = tar::Archive::new(raw.as_slice());
    let names = tar
        .entries()
        .expect("tar")
        .map(|e| {
            e.expect("entry")
                .path()
                .expect("path")
                .display()
                .to_string()
        })
        .collect();
    (names, raw)
}

#[test]
fn secrets_cannot_be_read_without_the_key_and_a_damaged_archive_restores_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let Some(tb) = common::testbed() else { return };
    let dir = Dir::new("sealed", "");
    let recipient = dir.keygen(&tb, "key.txt");
    dir.keygen(&tb, "other.txt");
    let file = dir.path("shop.tar.gz");
    dir.ok(
        &tb,
        &[
            "backup",
            "create",
            "--context",
            "dev",
            "-n",
            "shop",
            "-o",
            s(&file),
            "--recipient",
            &recipient,
        ],
    );
    assert_eq!(
        std::fs::metadata(&file)
            .expect("archive")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );

    let (names, raw) = unpacked(&file);
    assert_eq!(names[0], "manifest.json");
    assert!(
        names.contains(&"resources/deployments.apps/namespaces/shop/web.yaml".to_string()),
        "{names:?}"
    );
    assert!(
        names.iter().all(|n| !n.contains("secrets/")),
        "no Secret in plain files: {names:?}"
    );
    let password = tb.kubectl_ok(
        "dev",
        &[
            "-n",
            "shop",
            "get",
            "secret",
            "db-credentials",
            "-o",
            "jsonpath={.data.password}",
        ],
    );
    assert!(!password.is_empty());
    let decoded = String::from_utf8(base64_decode(&password)).expect("utf-8 password");
    let text = String::from_utf8_lossy(&raw);
    assert!(
        !text.contains(&password) && !text.contains(&decoded),
        "the archive holds the password"
    );
    // The manifest still says what is in it.
    let info = dir.ok(&tb, &["backup", "inspect", s(&file)]);
    assert!(
        info.contains("encrypted to age X25519 recipients") && info.contains("every file matches"),
        "{info}"
    );

    let target = format!("sealed-{}", std::process::id());
    let _made = Cleanup::namespaces(&tb, "staging", &[&target]);
    let map = format!("shop={target}");
    let restore = |file: &Path, extra: &[&str]| {
        let mut args = vec![
            "backup",
            "restore",
            s(file),
            "--context",
            "staging",
            "--namespace-map",
            &map,
            "--yes",
        ];
        args.extend_from_slice(extra);
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>()
    };
    let e = dir.refused(&tb, &strs(&restore(&file, &[])));
    assert!(e.contains("--identity"), "{e}");
    let e = dir.refused(
        &tb,
        &strs(&restore(&file, &["--identity", s(&dir.path("other.txt"))])),
    );
    assert!(e.contains("none of the given identities"), "{e}");
    assert!(
        !exists(&tb, "staging", &target),
        "nothing restored without the key"
    );

    // A flipped byte: refused whole.
    let mut bytes = std::fs::read(&file).expect("archive");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x5a;
    let damaged = dir.path("damaged.tar.gz");
    std::fs::write(&damaged, &bytes).expect("write");
    let e = dir.refused(
        &tb,
        &strs(&restore(&damaged, &["--identity", s(&dir.path("key.txt"))])),
    );
    assert!(
        (e.contains("is damaged") || e.contains("is not a flotilla backup"))
            && e.contains("nothing was restored"),
        "{e}"
    );
    let e = dir.refused(&tb, &["backup", "inspect", s(&damaged)]);
    assert!(
        e.contains("damaged") || e.contains("not a flotilla backup"),
        "{e}"
    );
    // A good gzip and tar whose object was edited: its checksum no longer matches.
    let edited = dir.path("edited.tar.gz");
    repack_with(
        &file,
        &edited,
        "resources/configmaps/namespaces/shop/web-config.yaml",
        |y| y.replace("dev", "evil"),
    );
    let e = dir.refused(
        &tb,
        &strs(&restore(&edited, &["--identity", s(&dir.path("key.txt"))])),
    );
    assert!(
        e.contains("web-config.yaml does not match its checksum"),
        "{e}"
    );
    assert!(
        !exists(&tb, "staging", &target),
        "nothing restored from a damaged archive"
    );

    // Read-only mode refuses before anything is read from the cluster.
    let mut ro = vec!["--read-only".to_string()];
    ro.extend(restore(&file, &["--identity", s(&dir.path("key.txt"))]));
    let e = dir.refused(&tb, &strs(&ro));
    assert!(e.contains("read-only mode"), "{e}");

    // A passphrase seals them too; the plan opens them with it.
    let pass = dir.path("pass.txt");
    std::fs::write(&pass, "correct horse battery staple\n").expect("pass");
    let sealed = dir.path("pass.tar.gz");
    dir.ok(
        &tb,
        &[
            "backup",
            "create",
            "--context",
            "dev",
            "-n",
            "shop",
            "--kinds",
            "secrets",
            "-o",
            s(&sealed),
            "--passphrase-file",
            s(&pass),
        ],
    );
    let wrong = dir.path("wrong.txt");
    std::fs::write(&wrong, "wrong\n").expect("wrong");
    let e = dir.refused(
        &tb,
        &strs(&restore(&sealed, &["--passphrase-file", s(&wrong)])),
    );
    assert!(e.contains("passphrase"), "{e}");
    let plan = dir.ok(
        &tb,
        &strs(&restore(
            &sealed,
            &["--passphrase-file", s(&pass), "--dry-run"],
        )),
    );
    assert!(
        plan.contains(&format!("create     secrets {target}/db-credentials")),
        "{plan}"
    );
    // Without a key, creating is refused unless plain text is chosen.
    let e = dir.refused(
        &tb,
        &[
            "backup",
            "create",
            "--context",
            "dev",
            "-n",
            "shop",
            "-o",
            s(&dir.path("x.tar.gz")),
        ],
    );
    assert!(e.contains("--no-encrypt-secrets"), "{e}");
}

/// Rewrites `file` into `to` with one file's text changed and the manifest as it was.
fn repack_with(file: &Path, to: &Path, name: &str, change: impl Fn(&str) -> String) {
    let (_, raw) = unpacked(file);
    let mut tar = tar::Archive::new(raw.as_slice());
    let out = std::fs::File::create(to).expect("create");
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        out,
        flate2::Compression::default(),
    ));
    for e in tar.entries().expect("tar") {
        let mut e = e.expect("entry");
        let path = e.path().expect("path").display().to_string();
        let mut body = Vec::new();
        e.read_to_end(&mut body).expect("read");
        if path == name {
            body = change(&String::from_utf8(body).expect("utf-8")).into_bytes();
        }
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o600);
        builder
            .append_data(&mut h, &path, body.as_slice())
            .expect("append");
    }
    builder.into_inner().expect("tar").finish().expect("gzip");
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .expect("base64")
}

#[test]
fn archives_go_to_the_backup_directory_where_retention_prunes_them() {
    let Some(tb) = common::testbed() else { return };
    let shelf =
        std::env::temp_dir().join(format!("flotilla-backup-archives-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&shelf);
    let config = format!(
        "[backup]\ndir = {:?}\nkeep-last = 1\n",
        shelf.display().to_string()
    );
    let dir = Dir::new("shelf", &config);
    for _ in 0..2 {
        let out = dir.ok(
            &tb,
            &[
                "backup",
                "create",
                "--context",
                "dev",
                "-n",
                "shop",
                "--kinds",
                "configmaps,deployments",
            ],
        );
        assert!(out.contains("backed up dev (shop)"), "{out}");
        // Archive names carry the time to the second.
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    let files: Vec<_> = std::fs::read_dir(&shelf)
        .expect("shelf")
        .flatten()
        .collect();
    assert_eq!(
        files.len(),
        1,
        "keep-last = 1 keeps one archive of the series"
    );
    let listed = dir.ok(&tb, &["backup", "list"]);
    assert!(
        listed
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains("dev") && l.contains("shop")),
        "{listed}"
    );
    let e = dir.refused(
        &tb,
        &[
            "backup",
            "create",
            "--context",
            "dev",
            "-n",
            "no-such-namespace",
            "--kinds",
            "configmaps",
        ],
    );
    assert!(e.contains("there is no namespace no-such-namespace"), "{e}");
    let _ = std::fs::remove_dir_all(&shelf);
}
