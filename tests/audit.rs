//! The audit log on real files: the chain survives concurrent appends, every kind of
//! tampering is named by `verify`, and the `flotilla audit` commands report it. No cluster.

use flotilla::ops::audit::{self, AuditLog, Record, Target};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// A fresh directory of its own under the temp dir, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "flotilla-audit-{name}-{}-{nanos}",
            std::process::id()
        ));
        Scratch(dir)
    }

    fn log(&self) -> PathBuf {
        self.0.join("state").join("audit.jsonl")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn record(name: &str, time: &str) -> Record {
    Record {
        time: time.into(),
        user: audit::os_user(),
        host: audit::host_name(),
        identity: Some("kwok-admin".into()),
        context: "dev".into(),
        server: "https://127.0.0.1:6443".into(),
        action: "scale".into(),
        batch: "b-0001".into(),
        target: Target {
            group: "apps".into(),
            version: "v1".into(),
            kind: "Deployment".into(),
            namespace: "shop".into(),
            name: name.into(),
            uid: format!("uid-{name}"),
        },
        rv_before: Some("100".into()),
        rv_after: Some("101".into()),
        change: Some(serde_json::json!({"spec": {"replicas": 3}})),
        result: "ok".into(),
        error: None,
        prev: String::new(),
        hash: String::new(),
    }
}

const TIME: &str = "2026-05-28T20:26:40Z";

/// A log of `n` records named obj-1 … obj-n.
fn log_of(n: usize, path: &Path) {
    let log = AuditLog::open(path.to_path_buf()).expect("open");
    for i in 1..=n {
        log.append(record(&format!("obj-{i}"), TIME))
            .expect("append");
    }
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("read log")
        .lines()
        .map(String::from)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).expect("write log");
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn concurrent_appends_keep_one_chain_and_private_files() {
    let s = Scratch::new("threads");
    let path = s.log();
    let log = Arc::new(AuditLog::open(path.clone()).expect("open"));
    // A second handle on the same file stands for a second flotilla process.
    let other = Arc::new(AuditLog::open(path.clone()).expect("open again"));
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let log = if t % 2 == 0 {
                log.clone()
            } else {
                other.clone()
            };
            std::thread::spawn(move || {
                for i in 0..20 {
                    let stored = log
                        .append(record(&format!("t{t}-{i}"), TIME))
                        .expect("append");
                    assert_eq!(stored.hash.len(), 64);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    assert_eq!(audit::verify(&path), Ok(120));
    assert_eq!(lines(&path).len(), 120);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&audit::head_path(&path)), 0o600);
    assert_eq!(mode(path.parent().expect("dir")), 0o700);
    let head = std::fs::read_to_string(audit::head_path(&path)).expect("head");
    let last: Record = serde_json::from_str(lines(&path).last().expect("a line")).expect("json");
    assert_eq!(head.trim(), format!("120 {}", last.hash));

    // Reopened later, the chain goes on.
    drop((log, other));
    log_of(2, &path);
    assert_eq!(audit::verify(&path), Ok(122));
    let records = audit::read(&path).expect("read");
    assert_eq!(records.len(), 122);
    assert_eq!(records[121].prev, records[120].hash);
    assert_eq!(records[0].prev, "");
}

#[test]
fn an_edited_record_is_named() {
    let s = Scratch::new("edit");
    let path = s.log();
    log_of(10, &path);
    let mut l = lines(&path);
    l[6] = l[6].replacen("\"obj-7\"", "\"obj-8\"", 1);
    write_lines(&path, &l);
    let broken = audit::verify(&path).expect_err("edited");
    assert_eq!(broken.record, 7, "{broken}");
    assert_eq!(
        broken.to_string(),
        "record 7: hash does not match its content (edited?)"
    );
}

#[test]
fn a_removed_record_is_named_by_the_one_after_it() {
    let s = Scratch::new("remove");
    let path = s.log();
    log_of(10, &path);
    let mut l = lines(&path);
    l.remove(4);
    write_lines(&path, &l);
    let broken = audit::verify(&path).expect_err("removed");
    assert_eq!(
        broken.to_string(),
        "record 5: previous hash does not match record 4 (a record was removed or reordered)"
    );
    // Swapping two keeps every count right but not the chain.
    let s2 = Scratch::new("swap");
    let path2 = s2.log();
    log_of(4, &path2);
    let mut l = lines(&path2);
    l.swap(1, 2);
    write_lines(&path2, &l);
    assert_eq!(audit::verify(&path2).expect_err("swapped").record, 2);
}

#[test]
fn a_truncated_tail_is_caught_by_the_head_file() {
    let s = Scratch::new("truncate");
    let path = s.log();
    log_of(10, &path);
    let mut l = lines(&path);
    l.pop();
    write_lines(&path, &l);
    let broken = audit::verify(&path).expect_err("truncated");
    assert_eq!(
        broken.to_string(),
        "the log ends at record 9 but the head file says 10 records (truncated?)"
    );
    std::fs::remove_file(audit::head_path(&path)).expect("rm head");
    let broken = audit::verify(&path).expect_err("no head");
    assert!(
        broken.to_string().contains("head file") && broken.to_string().contains("missing"),
        "{broken}"
    );
}

#[test]
fn a_half_written_line_is_named_and_the_chain_goes_on_after_it() {
    let s = Scratch::new("partial");
    let path = s.log();
    log_of(3, &path);
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push_str("{\"time\":\"2026-");
    std::fs::write(&path, text).expect("write");
    log_of(1, &path);
    assert_eq!(
        lines(&path).len(),
        5,
        "the new record has a line of its own"
    );
    let broken = audit::verify(&path).expect_err("partial");
    assert_eq!(broken.record, 4, "{broken}");
    assert!(broken.reason.contains("unparsable JSON"), "{broken}");
    // The view still shows every record that parses.
    assert_eq!(audit::read(&path).expect("read").len(), 4);
}

#[test]
fn check_fails_once_the_log_is_gone_or_replaced() {
    let s = Scratch::new("check");
    let path = s.log();
    let log = AuditLog::open(path.clone()).expect("open");
    log.check().expect("fresh log passes");
    log.append(record("a", TIME)).expect("append");
    log.check().expect("still passes");
    std::fs::remove_file(&path).expect("rm");
    let e = log.check().expect_err("gone");
    assert!(e.to_string().contains("is gone"), "{e}");
    assert!(
        log.append(record("b", TIME)).is_err(),
        "no record into a removed file"
    );
    std::fs::write(&path, "").expect("replace");
    let e = log.check().expect_err("replaced");
    assert!(e.to_string().contains("replaced"), "{e}");
}

fn flotilla(args: &[&str], env_log: Option<&Path>, config: &Path) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flotilla"));
    cmd.args(args)
        .env("FLOTILLA_CONFIG_DIR", config)
        .env_remove("FLOTILLA_AUDIT_LOG");
    if let Some(p) = env_log {
        cmd.env("FLOTILLA_AUDIT_LOG", p);
    }
    let out = cmd.output().expect("run flotilla");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn verify_command_exit_codes_and_messages() {
    let s = Scratch::new("cli-verify");
    let path = s.log();
    let config = s.0.join("config");
    log_of(3, &path);
    let file = path.to_str().expect("utf-8 path");

    let (code, out, err) = flotilla(&["audit", "verify", file], None, &config);
    assert_eq!(
        (code, out.trim(), err.as_str()),
        (0, format!("audit log ok: 3 records ({file})").as_str(), "")
    );
    // The default path is $FLOTILLA_AUDIT_LOG.
    let (code, out, _) = flotilla(&["audit", "verify"], Some(&path), &config);
    assert_eq!(
        (code, out.trim()),
        (0, format!("audit log ok: 3 records ({file})").as_str())
    );

    let mut l = lines(&path);
    l.remove(1);
    write_lines(&path, &l);
    let (code, out, err) = flotilla(&["audit", "verify", file], None, &config);
    assert_eq!((code, out.as_str()), (1, ""));
    assert_eq!(
        err.trim(),
        "audit log broken: record 2: previous hash does not match record 1 (a record was removed or reordered)"
    );

    let missing = s.0.join("nothing.jsonl");
    let (code, out, err) = flotilla(
        &["audit", "verify", missing.to_str().expect("utf-8")],
        None,
        &config,
    );
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no audit log at"), "{err}");
}

#[test]
fn export_since_filters_and_keeps_lines_as_stored() {
    let s = Scratch::new("cli-export");
    let path = s.log();
    let config = s.0.join("config");
    let now = jiff::Timestamp::now();
    let hour_ago = now
        .checked_sub(jiff::SignedDuration::from_hours(1))
        .expect("time");
    let log = AuditLog::open(path.clone()).expect("open");
    log.append(record("old", "2020-01-01T00:00:00Z"))
        .expect("append");
    log.append(record("older-but-later-in-2021", "2021-06-01T00:00:00Z"))
        .expect("append");
    log.append(record("recent", &hour_ago.to_string()))
        .expect("append");
    let stored = lines(&path);

    // The library writes the stored line itself, byte for byte.
    let mut since_api = Vec::new();
    let n = audit::export(&path, Some(hour_ago), &mut since_api).expect("export");
    assert_eq!(n, 1);
    assert_eq!(
        String::from_utf8(since_api).expect("utf-8"),
        format!("{}\n", stored[2])
    );

    let (code, out, err) = flotilla(&["audit", "export", "--since", "24h"], Some(&path), &config);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out.lines().collect::<Vec<_>>(), vec![stored[2].as_str()]);

    let file = path.to_str().expect("utf-8");
    let (code, out, _) = flotilla(
        &["audit", "export", "--since", "2021-01-01T00:00:00Z", file],
        None,
        &config,
    );
    assert_eq!(code, 0);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        vec![&stored[1], &stored[2]]
    );

    let (code, out, _) = flotilla(&["audit", "export", file], None, &config);
    assert_eq!(code, 0);
    assert_eq!(out.lines().collect::<Vec<_>>(), stored);

    let (code, _, err) = flotilla(&["audit", "export", "--since", "soon", file], None, &config);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("RFC 3339"), "{err}");
}
