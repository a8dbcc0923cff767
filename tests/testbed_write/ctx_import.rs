//! `flotilla ctx add|rm|list` against the testbed: a kubeconfig's contexts connected before
//! anything is saved, a taken name refused until renamed, a server that refuses not saved
//! unless forced, the file 0600 in a 0700 directory of flotilla's own (the kubeconfig given is
//! never written), every import and removal audited, read-only mode refusing both, and a later
//! run listing the imported context as one of its own. (The TUI's `:ctx add` is in
//! tests/tmux/terminal.rs: it connects the context without a restart.)

use crate::common;

use common::{Isolated, Testbed};
use flotilla::ops::audit;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `context` of the testbed's kubeconfig alone, its credentials inline (`--minify --flatten`).
fn one_context(tb: &Testbed, context: &str, dir: &Path) -> PathBuf {
    let text = tb.kubectl_ok(
        context,
        &[
            "config",
            "view",
            "--minify",
            "--flatten",
            "--context",
            context,
        ],
    );
    let path = dir.join(format!("{context}.kubeconfig"));
    std::fs::write(&path, text).expect("write kubeconfig");
    path
}

/// A kubeconfig whose one context, `nowhere`, points at a port nobody listens on.
fn refusing() -> String {
    "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:9\"}\n\
     users:\n- name: u\n  user: {token: t}\ncontexts:\n- name: nowhere\n  context: {cluster: c, user: u}\n"
        .to_string()
}

fn flotilla(iso: &Isolated, tb: &Testbed, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd: Command = iso.command();
    cmd.arg("--kubeconfig").arg(&tb.kubeconfig).args(args);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run flotilla");
    if let Some(text) = stdin
        && let Some(mut pipe) = child.stdin.take()
    {
        pipe.write_all(text.as_bytes()).expect("stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("flotilla ends")
}

fn said(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A user error: exit 2, one line on stderr holding `needle`.
fn refused(out: &Output, needle: &str) {
    let (stdout, stderr) = said(out);
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(needle), "{needle:?} in {stderr}");
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn ctx_add_checks_each_context_saves_it_privately_and_rm_removes_it() {
    let Some(tb) = common::testbed() else { return };
    let iso = Isolated::new("ctx-import");
    let given = one_context(&tb, "prod", &iso.root);
    let before = std::fs::read(&given).expect("read");
    let dir = iso.path("contexts");

    // The name is the testbed's own: refused, nothing saved.
    let out = flotilla(&iso, &tb, &["ctx", "add", &given.to_string_lossy()], None);
    refused(&out, "--rename prod=NEW");
    assert!(!dir.exists(), "nothing saved");

    // Read-only mode imports nothing either.
    let args = [
        "--read-only",
        "ctx",
        "add",
        &given.to_string_lossy(),
        "--rename",
        "prod=prod-2",
    ];
    refused(&flotilla(&iso, &tb, &args, None), "read-only");
    assert!(!dir.exists(), "nothing saved");

    // Renamed: connected first (its version and identity said), then saved.
    let args = [
        "ctx",
        "add",
        &given.to_string_lossy(),
        "--rename",
        "prod=prod-2",
    ];
    let out = flotilla(&iso, &tb, &args, None);
    let (stdout, stderr) = said(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("prod-2: https://127.0.0.1:")
            && stdout.contains("answers: v1.")
            && stdout.contains("as kwok-admin"),
        "{stdout}"
    );
    let file = dir.join("prod-2.yaml");
    assert!(
        stdout.contains(&format!("imported prod-2 to {}", file.display())),
        "{stdout}"
    );
    assert_eq!((mode(&file), mode(&dir)), (0o600, 0o700));
    assert_eq!(
        std::fs::read(&given).expect("read"),
        before,
        "the given file is not written"
    );
    let list = said(&flotilla(&iso, &tb, &["ctx", "list"], None)).0;
    assert!(list.starts_with("prod-2  https://127.0.0.1:"), "{list}");

    // A later run knows it as one of its contexts, next to the kubeconfig's own.
    let out = flotilla(
        &iso,
        &tb,
        &["--context", "prod-2", "inspect", "--format", "json"],
        None,
    );
    let (stdout, stderr) = said(&out);
    assert!(
        out.status.success(),
        "inspect on the imported context: {stderr}"
    );
    assert!(
        stdout.contains("\"prod-2\""),
        "the report names it: {}",
        &stdout[..stdout.len().min(400)]
    );

    // A server that refuses: said, and not saved unless forced.
    let out = flotilla(&iso, &tb, &["ctx", "add", "-"], Some(&refusing()));
    let (stdout, _) = said(&out);
    assert!(
        stdout.contains("nowhere: https://127.0.0.1:9 does not answer:"),
        "{stdout}"
    );
    refused(&out, "no context answered: nothing imported");
    assert!(!dir.join("nowhere.yaml").exists());
    let out = flotilla(
        &iso,
        &tb,
        &["ctx", "add", "-", "--force"],
        Some(&refusing()),
    );
    assert!(out.status.success(), "{:?}", said(&out));
    assert!(dir.join("nowhere.yaml").exists(), "forced: saved");

    // rm: only what flotilla imported.
    refused(
        &flotilla(&iso, &tb, &["ctx", "rm", "dev"], None),
        "not a context flotilla imported",
    );
    refused(
        &flotilla(&iso, &tb, &["--read-only", "ctx", "rm", "prod-2"], None),
        "read-only",
    );
    assert!(file.exists());
    let out = flotilla(&iso, &tb, &["ctx", "rm", "prod-2"], None);
    assert!(out.status.success(), "{:?}", said(&out));
    assert!(!file.exists(), "its file goes with its last context");
    let list = said(&flotilla(&iso, &tb, &["ctx", "list"], None)).0;
    assert!(
        !list.contains("prod-2") && list.contains("nowhere"),
        "{list}"
    );

    let records = audit::read(&iso.path("audit.jsonl")).expect("the audit log");
    // Each an intent, then its outcome naming it.
    let of = |action: &str| -> Vec<&str> {
        records
            .iter()
            .filter(|r| r.action == action && r.result == "ok")
            .map(|r| r.context.as_str())
            .collect()
    };
    assert_eq!(of("context-add"), vec!["prod-2", "nowhere"], "{records:#?}");
    assert_eq!(of("context-remove"), vec!["prod-2"], "{records:#?}");
    let numbered: Vec<(usize, audit::Record)> = records.iter().cloned().enumerate().collect();
    assert!(audit::unanswered(&numbered).is_empty(), "{records:#?}");
    assert_eq!(
        records.len(),
        6,
        "three intents, three outcomes: {records:#?}"
    );
    assert!(records.iter().all(|r| r.target.kind == "Context"));
    assert_eq!(audit::verify(&iso.path("audit.jsonl")), Ok(records.len()));
}
