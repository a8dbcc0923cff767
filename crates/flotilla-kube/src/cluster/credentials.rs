//! Exec credential plugins (aws eks get-token, gke-gcloud-auth-plugin, kubelogin) run under
//! flotilla's own guard. kube-rs runs a plugin with no deadline, and reports a failing one
//! with the whole command line and environment in the message. So every plugin of the loaded
//! kubeconfig is pointed at `flotilla __credential-plugin <seconds> -- <command> <args…>`,
//! which runs the real plugin with a deadline, kills it (and whatever it started) when the
//! deadline passes, passes its output through, and on failure writes one clean first line to
//! stderr: "credential plugin aws exited 1: <the plugin's first stderr line>".
//! Written by hand: no crate guards a child process this way.

use kube::config::Kubeconfig;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The hidden first argument that makes the flotilla binary act as the guard.
pub const GUARD_ARG: &str = "__credential-plugin";
/// The guard's exit code when it killed a plugin at its deadline (as timeout(1) uses).
const TIMED_OUT: i32 = 124;

/// Points every exec plugin of `kc` at the guard (`guard` is the flotilla binary).
pub fn guard_plugins(kc: &mut Kubeconfig, guard: &Path, timeout: Duration) {
    for user in &mut kc.auth_infos {
        let Some(exec) = user.auth_info.as_mut().and_then(|a| a.exec.as_mut()) else {
            continue;
        };
        let Some(command) = exec.command.take() else {
            continue;
        };
        let mut args = vec![
            GUARD_ARG.to_string(),
            timeout.as_secs().max(1).to_string(),
            "--".to_string(),
            command,
        ];
        args.extend(exec.args.take().unwrap_or_default());
        exec.command = Some(guard.to_string_lossy().into_owned());
        exec.args = Some(args);
    }
}

/// The guard itself: `args` are what follows `__credential-plugin`. Returns the exit code.
pub fn run_guard(args: &[OsString]) -> i32 {
    let mut err = std::io::stderr();
    let (secs, rest) = match args {
        [secs, dashes, rest @ ..] if dashes == "--" && !rest.is_empty() => (secs, rest),
        _ => {
            let _ = writeln!(
                err,
                "usage: flotilla {GUARD_ARG} SECONDS -- COMMAND [ARGS...]"
            );
            return 2;
        }
    };
    let timeout = Duration::from_secs(secs.to_string_lossy().parse().unwrap_or(30));
    let program = &rest[0];
    let name = Path::new(program)
        .file_name()
        .unwrap_or(program)
        .to_string_lossy()
        .into_owned();
    let mut cmd = Command::new(program);
    cmd.args(&rest[1..])
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped());
    // Its own process group, so that what it starts (aws → python) dies with it.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "credential plugin {name} could not start: {e}");
            return 127;
        }
    };
    // Read stderr on a thread: a plugin that fills the pipe must not block on us.
    let stderr = child.stderr.take().map(|mut s| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = s.read_to_end(&mut buf);
            buf
        })
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => break None,
        }
    };
    let Some(status) = status else {
        kill_group(child.id());
        let _ = child.wait();
        let _ = writeln!(
            err,
            "credential plugin {name} did not finish within {}s and was killed",
            timeout.as_secs()
        );
        return TIMED_OUT;
    };
    let captured = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    if status.success() {
        // Plugins print progress and warnings on stderr; pass them on for the log.
        let _ = err.write_all(&captured);
        return 0;
    }
    let text = String::from_utf8_lossy(&captured);
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    let code = status
        .code()
        .map(|c| format!("exited {c}"))
        .unwrap_or_else(|| "was killed by a signal".into());
    let _ = match first {
        Some(line) => writeln!(err, "credential plugin {name} {code}: {line}"),
        None => writeln!(err, "credential plugin {name} {code}"),
    };
    let _ = err.write_all(&captured);
    status.code().unwrap_or(1)
}

fn kill_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) with a negative pid signals that process group; no memory is involved.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// A one-line reason for a failed credential plugin, when `e` is one.
pub fn plugin_error(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(auth) = c.downcast_ref::<kube::client::AuthError>() {
            return match auth {
                kube::client::AuthError::AuthExecRun { out, .. } => {
                    let text = String::from_utf8_lossy(&out.stderr);
                    let line = text.lines().map(str::trim).find(|l| !l.is_empty());
                    let code = out.status.code().unwrap_or(1);
                    Some(crate::text::clean(&match line {
                        // The guard's own line already names the plugin and its exit.
                        Some(l) if l.starts_with("credential plugin ") => l.to_string(),
                        Some(l) => format!("credential plugin exited {code}: {l}"),
                        None => format!("credential plugin exited {code}"),
                    }))
                }
                kube::client::AuthError::AuthExecStart(io) => {
                    Some(format!("credential plugin could not start: {io}"))
                }
                kube::client::AuthError::AuthExecParse(_) => {
                    Some("credential plugin printed no valid ExecCredential".into())
                }
                _ => None,
            };
        }
        cause = c.source();
    }
    None
}
