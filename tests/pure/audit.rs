//! The audit log on real files: the chain survives concurrent appends, every kind of
//! tampering is named by `verify`, and the `flotilla audit` commands report it. No cluster.

use crate::common;

use common::Isolated;
use flotilla::ops::audit::{self, AuditLog, Record, Target};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
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
        intent: None,
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
fn a_half_written_line_is_named_and_blocks_appends() {
    let s = Scratch::new("partial");
    let path = s.log();
    log_of(3, &path);
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push_str("{\"time\":\"2026-");
    std::fs::write(&path, text).expect("write");
    let log = AuditLog::open(path.clone()).expect("open");
    let e = log.append(record("after", TIME)).expect_err("blocked");
    assert!(e.to_string().contains("audit rotate"), "{e}");
    assert_eq!(lines(&path).len(), 4, "nothing was glued onto the cut line");
    let broken = audit::verify(&path).expect_err("partial");
    assert_eq!(broken.record, 4, "{broken}");
    assert!(broken.reason.contains("unparsable JSON"), "{broken}");
    // The view still shows every record that parses.
    assert_eq!(audit::read(&path).expect("read").len(), 3);
}

#[test]
fn appends_stop_once_the_log_is_gone_or_replaced() {
    let s = Scratch::new("check");
    let path = s.log();
    let log = AuditLog::open(path.clone()).expect("open");
    log.append(record("a", TIME)).expect("append");
    std::fs::remove_file(&path).expect("rm");
    let e = log.append(record("b", TIME)).expect_err("gone");
    assert!(e.to_string().contains("is gone"), "{e}");
    assert!(
        !path.exists(),
        "no record into a new file in the removed one's place"
    );
    // Rotating starts a new log in its place (the head file of the removed one is kept).
    let rotated = audit::rotate(&path).expect("rotate a removed log");
    assert!(audit::head_path(&rotated.old).exists());
    log.append(record("c", TIME))
        .expect("appends go on in the new log");
    assert_eq!(audit::verify(&path), Ok(2));
    let other = s.0.join("other").join("audit.jsonl");
    let log = AuditLog::open(other.clone()).expect("open");
    log.append(record("a", TIME)).expect("append");
    // Another file moved into its place (as an editor saves).
    let tmp = s.0.join("other").join("tmp");
    std::fs::copy(&other, &tmp).expect("copy");
    std::fs::rename(&tmp, &other).expect("replace");
    let e = log.append(record("b", TIME)).expect_err("replaced");
    assert!(e.to_string().contains("replaced"), "{e}");
    assert_eq!(lines(&other).len(), 1);
}

#[test]
fn a_truncated_log_refuses_appends_until_rotated() {
    let s = Scratch::new("truncate-block");
    let path = s.log();
    let log = AuditLog::open(path.clone()).expect("open");
    for i in 1..=5 {
        log.append(record(&format!("obj-{i}"), TIME))
            .expect("append");
    }
    // The last record removed behind the running process's back.
    let mut l = lines(&path);
    l.pop();
    write_lines(&path, &l);
    let e = log.append(record("obj-6", TIME)).expect_err("cut");
    assert!(
        e.to_string().contains("truncated?") && e.to_string().contains("flotilla audit rotate"),
        "{e}"
    );
    // Refused for good, and the head file still shows what was cut.
    let e = log.append(record("obj-7", TIME)).expect_err("still");
    assert!(e.to_string().contains("flotilla audit rotate"), "{e}");
    assert_eq!(lines(&path).len(), 4);
    assert!(audit::verify(&path).is_err());
    // A new process finds it so too.
    let again = AuditLog::open(path.clone()).expect("open again");
    assert!(again.blocked().is_some_and(|b| b.contains("truncated?")));
    assert!(again.append(record("obj-8", TIME)).is_err());

    let rotated = audit::rotate(&path).expect("rotate");
    assert!(rotated.verdict.is_err(), "the old log's verdict is kept");
    assert_eq!(
        lines(&rotated.old).len(),
        4,
        "the old log is kept as it was"
    );
    assert!(audit::head_path(&rotated.old).exists());
    assert!(audit::key_path(&rotated.old).exists());
    // The running process takes the new log up; its first record names the old one.
    log.append(record("obj-9", TIME))
        .expect("appends go on in the new log");
    assert_eq!(audit::verify(&path), Ok(2));
    let records = audit::read(&path).expect("read");
    assert_eq!(records[0].action, "rotate");
    assert_eq!(
        records[0]
            .change
            .as_ref()
            .and_then(|c| c["previous_log"].as_str()),
        Some(rotated.old.to_str().expect("utf-8"))
    );
    assert_eq!(records[1].target.name, "obj-9");
}

#[test]
fn a_head_file_one_record_behind_is_a_crash_not_tampering() {
    let s = Scratch::new("head-behind");
    let path = s.log();
    log_of(3, &path);
    let head = std::fs::read_to_string(audit::head_path(&path)).expect("head");
    log_of(1, &path);
    // As if flotilla stopped between writing record 4 and its head.
    std::fs::write(audit::head_path(&path), &head).expect("old head");
    assert_eq!(
        audit::verify_intact(&path),
        Ok(audit::Intact {
            records: 4,
            head_behind: 1
        })
    );
    let log = AuditLog::open(path.clone()).expect("open");
    assert_eq!(log.blocked(), None);
    log.append(record("obj-5", TIME)).expect("append");
    assert_eq!(audit::verify(&path), Ok(5));
    // A head whose hash is not that of the record it counts is not a crash.
    let mut wrong = head.clone();
    wrong.replace_range(wrong.len() - 5..wrong.len() - 1, "0000");
    std::fs::write(audit::head_path(&path), wrong).expect("wrong head");
    assert!(audit::verify(&path).is_err());
}

#[test]
fn secret_values_are_keyed_hashes_under_the_logs_own_key() {
    let s = Scratch::new("hmac");
    let path = s.log();
    let log = AuditLog::open(path.clone()).expect("open");
    assert_eq!(mode(&audit::key_path(&path)), 0o600);
    // "hunter2", and as the API holds it under data: base64.
    let change = serde_json::json!({"stringData": {"password": "hunter2"},
        "data": {"copy": "aHVudGVyMg=="}});
    let mut rec = record("db-credentials", TIME);
    rec.target.kind = "Secret".into();
    rec.change = Some(log.key().redact("Secret", change.clone()));
    log.append(rec).expect("append");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(
        !text.contains("hunter2") && !text.contains("aHVudGVyMg=="),
        "{text}"
    );
    for plain in [b"hunter2".as_slice(), b"aHVudGVyMg==".as_slice()] {
        let digest = flotilla::files::sha256_hex(plain);
        assert!(
            !text.contains(&digest),
            "a bare SHA-256 of the value is in the log: {text}"
        );
    }
    assert!(text.contains("hmac-sha256:"), "{text}");
    // Another log has another key: the same value hashes differently.
    let other = AuditLog::open(s.0.join("other.jsonl")).expect("open other");
    assert_ne!(
        other.key().redact("Secret", change.clone()),
        log.key().redact("Secret", change)
    );
}

#[test]
fn intents_without_an_outcome_are_named() {
    let records: Vec<(usize, Record)> = {
        let mut intent = record("web", TIME);
        intent.result = audit::INTENT.into();
        intent.hash = "a".repeat(64);
        let mut answered = record("api", TIME);
        answered.result = audit::INTENT.into();
        answered.hash = "b".repeat(64);
        let mut outcome = record("api", TIME);
        outcome.intent = Some("b".repeat(64));
        // A restore's per-object record names the intent but not its target.
        let mut part = record("cart", TIME);
        part.intent = Some("a".repeat(64));
        vec![(1, intent), (2, answered), (3, outcome), (4, part)]
    };
    let open = audit::unanswered(&records);
    assert_eq!(open.len(), 1);
    assert_eq!((open[0].record, open[0].acknowledged), (1, false));
    let mut ack = record("", TIME);
    ack.result = audit::ACKNOWLEDGED.into();
    ack.intent = Some("a".repeat(64));
    let mut records = records;
    records.push((5, ack));
    assert!(audit::unanswered(&records)[0].acknowledged);
}

fn flotilla(args: &[&str], env_log: Option<&Path>, config: &Path) -> (i32, String, String) {
    let mut cmd = Isolated::at(config).command();
    cmd.args(args).env_remove("FLOTILLA_AUDIT_LOG");
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
fn verify_warns_of_unknown_outcomes_and_rotate_starts_a_new_log() {
    let s = Scratch::new("cli-rotate");
    let path = s.log();
    let config = s.0.join("config");
    let file = path.to_str().expect("utf-8 path");
    let log = AuditLog::open(path.clone()).expect("open");
    let mut intent = record("web", TIME);
    intent.result = audit::INTENT.into();
    let stored = log.append(intent).expect("intent");
    let (code, out, err) = flotilla(&["audit", "verify", file], None, &config);
    assert_eq!(code, 0, "an unknown outcome is no break: {err}");
    assert_eq!(out.trim(), format!("audit log ok: 1 records ({file})"));
    assert_eq!(
        err.trim(),
        "warning: record 1: outcome unknown: scale Deployment shop/web on dev at 2026-05-28T20:26:40Z (flotilla stopped after writing its intent; check the cluster)"
    );
    let mut outcome = record("web", TIME);
    outcome.intent = Some(stored.hash);
    log.append(outcome).expect("outcome");
    let (code, _, err) = flotilla(&["audit", "verify", file], None, &config);
    assert_eq!((code, err.as_str()), (0, ""));

    // Cut short: verify fails, rotate keeps the old log and starts a new one.
    let mut l = lines(&path);
    l.pop();
    write_lines(&path, &l);
    let (code, _, err) = flotilla(&["audit", "verify", file], None, &config);
    assert_eq!(code, 1, "{err}");
    let (code, out, err) = flotilla(&["audit", "rotate", file], None, &config);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(&format!("new audit log at {file}; the old one is {file}.")),
        "{out}"
    );
    assert!(out.contains("its chain was broken"), "{out}");
    let (code, out, _) = flotilla(&["audit", "verify", file], None, &config);
    assert_eq!(
        (code, out.trim()),
        (0, format!("audit log ok: 1 records ({file})").as_str())
    );
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
