//! The real binary on this machine alone, no cluster needed: what it writes is its owner's only
//! — the state directory 0700 (also when an older flotilla left it open), `flotilla.log` 0600,
//! an `inspect -o` report 0600 and never written through a link planted beside it — and a
//! keymap holding a multi-byte character is refused in one line instead of panicking.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_flotilla");

/// A directory of the test's own, empty.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flotilla-local-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// flotilla with its config in `dir/config`, its state under `dir/state`, and the umask most
/// accounts have (022): what it creates is private because it asks, not by luck.
fn flotilla(dir: &Path, args: &[&str]) -> Output {
    let config = dir.join("config");
    std::fs::create_dir_all(&config).expect("config dir");
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env("FLOTILLA_CONFIG_DIR", &config)
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_CONFIG_HOME", dir.join("xdg-config"))
        .env("HOME", dir)
        .env("FLOTILLA_AUDIT_LOG", dir.join("audit.jsonl"))
        .env_remove("KUBECONFIG");
    // SAFETY: umask is async-signal-safe and touches only the child's own state.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o022);
            Ok(())
        });
    }
    cmd.output().expect("run flotilla")
}

/// The permission bits, in octal as `ls` and `chmod` speak them.
fn mode(p: &Path) -> String {
    let bits = std::fs::symlink_metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode();
    format!("{:o}", bits & 0o777)
}

fn succeeded(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_state_dir_and_the_log_are_the_owners_alone() {
    let dir = scratch("state");
    succeeded(&flotilla(&dir, &["backup", "list"]));
    let state = dir.join("state/flotilla");
    assert_eq!(mode(&dir.join("state")), "700", "a state home it made");
    assert_eq!(mode(&state), "700");
    assert_eq!(mode(&state.join("flotilla.log")), "600");

    // Left open to others by an older flotilla or a umask: closed at the next start.
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let log = state.join("flotilla.log");
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    succeeded(&flotilla(&dir, &["backup", "list"]));
    assert_eq!([mode(&state), mode(&log)], ["700", "600"]);

    // A log file of the user's choosing is private too.
    let chosen = dir.join("logs/mine.log");
    succeeded(&flotilla(
        &dir,
        &[
            "--log-file",
            chosen.to_str().expect("utf-8"),
            "backup",
            "list",
        ],
    ));
    assert_eq!([mode(&dir.join("logs")), mode(&chosen)], ["700", "600"]);
}

#[test]
fn an_inspect_report_is_private_and_no_planted_link_is_written_through() {
    let dir = scratch("report");
    // One context whose server refuses connections: the report says it is unreachable.
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster: {server: 'https://127.0.0.1:1'}\n\
         users:\n- name: nobody\n  user: {token: nothing}\ncontexts:\n- name: gone\n  context: {cluster: gone, user: nobody}\n",
    )
    .expect("kubeconfig");
    // Someone else's file, and a link to it where an older flotilla wrote the report first.
    let victim = dir.join("victim");
    std::fs::write(&victim, "theirs\n").expect("victim");
    std::os::unix::fs::symlink(&victim, dir.join(".report.txt.tmp")).expect("symlink");
    let report = dir.join("report.txt");
    let out = flotilla(
        &dir,
        &[
            "--kubeconfig",
            kubeconfig.to_str().expect("utf-8"),
            "inspect",
            "--context",
            "gone",
            "-o",
            report.to_str().expect("utf-8"),
        ],
    );
    succeeded(&out);
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "theirs\n"
    );
    assert!(
        std::fs::symlink_metadata(&report)
            .expect("report")
            .file_type()
            .is_file(),
        "the report is a file of its own, not the planted link"
    );
    assert_eq!(mode(&report), "600");
    let text = std::fs::read_to_string(&report).expect("report");
    assert!(text.contains("gone"), "{text}");
    let left: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".report.txt.") && n != ".report.txt.tmp")
        .collect();
    assert!(left.is_empty(), "no temp file left: {left:?}");
}

#[test]
fn a_keymap_with_a_multibyte_unit_is_refused_in_one_line() {
    let dir = scratch("keymap");
    std::fs::create_dir_all(dir.join("config")).expect("config dir");
    std::fs::write(
        dir.join("config/keymap.toml"),
        "[logs]\n\"9\" = \"since(5µ)\"\n",
    )
    .expect("keymap");
    let out = flotilla(&dir, &["backup", "list"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("since takes tail, all or a duration"), "{err}");
}
