//! One command in one container, no TTY, its output collected (the "run a command" action).
//! Interactive sessions on the real terminal are the binary's `shell`.

use super::request::api_code;
use super::request::short_error;
use crate::model::ApiError;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::api::{Api, AttachParams};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

pub use crate::model::{ExecOutput, ExecTarget};

/// Runs `argv` in the container; stdout and stderr are each bounded to `limit` bytes (the rest
/// is read and dropped, so the command is never blocked on a full pipe); the whole run is
/// bounded by `timeout`. Text is lossy UTF-8, not sanitized: the caller cleans it for display.
pub async fn run(
    client: &kube::Client,
    target: &ExecTarget,
    argv: &[String],
    limit: usize,
    timeout: Duration,
) -> Result<ExecOutput, ApiError> {
    if argv.is_empty() {
        return Err(ApiError {
            code: 0,
            message: "no command to run".into(),
        });
    }
    // Dropping the future (on timeout) drops the AttachedProcess, which aborts its task and
    // closes the connection: nothing keeps running on our side.
    match tokio::time::timeout(timeout, run_inner(client, target, argv, limit)).await {
        Ok(r) => r,
        Err(_) => Err(ApiError {
            code: 0,
            message: format!(
                "{} did not finish within {}",
                crate::text::clean(&argv[0]),
                crate::human::age(whole_seconds(timeout))
            ),
        }),
    }
}

async fn run_inner(
    client: &kube::Client,
    target: &ExecTarget,
    argv: &[String],
    limit: usize,
) -> Result<ExecOutput, ApiError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), &target.namespace);
    let mut ap = AttachParams::default().stdout(true).stderr(true);
    if let Some(c) = &target.container {
        ap = ap.container(c.clone());
    }
    let mut proc = pods
        .exec(&target.pod, argv.to_vec(), &ap)
        .await
        .map_err(|e| ApiError {
            code: api_code(&e),
            message: short_error(&e),
        })?;
    let (Some(stdout), Some(stderr), Some(status)) =
        (proc.stdout(), proc.stderr(), proc.take_status())
    else {
        // Cannot happen with the params above; an error beats a panic all the same.
        return Err(ApiError {
            code: 0,
            message: "exec stream without stdout/stderr".into(),
        });
    };
    // Both pipes at once: kube's message loop stalls when either one is full.
    let ((out, cut_out), (err, cut_err), status) =
        tokio::join!(bounded(stdout, limit), bounded(stderr, limit), status);
    let joined = proc.join().await;
    let truncated = cut_out || cut_err;
    let stdout = String::from_utf8_lossy(&out).into_owned();
    let stderr = String::from_utf8_lossy(&err).into_owned();
    let exit_code = match status {
        Some(s) => exit_code(&s)?,
        None => {
            // No status frame: the connection ended before the command reported back.
            if let Err(e) = joined {
                return Err(ApiError {
                    code: 0,
                    message: format!("connection lost: {}", crate::text::clean(&e.to_string())),
                });
            }
            None
        }
    };
    Ok(ExecOutput {
        stdout,
        stderr,
        exit_code,
        truncated,
    })
}

/// The exit code a status frame reports, or the failure it describes when the command could
/// not run at all (no such executable, container not running).
pub fn exit_code(s: &Status) -> Result<Option<i32>, ApiError> {
    match s.status.as_deref() {
        Some("Success") => Ok(Some(0)),
        _ if s.reason.as_deref() == Some("NonZeroExitCode") => Ok(s
            .details
            .as_ref()
            .and_then(|d| d.causes.as_ref())
            .into_iter()
            .flatten()
            .find(|c| c.reason.as_deref() == Some("ExitCode"))
            .and_then(|c| c.message.as_deref())
            .and_then(|m| m.trim().parse().ok())),
        _ => {
            let message = s.message.as_deref().unwrap_or("");
            if let Some(code) = go_exit_status(message) {
                return Ok(Some(code));
            }
            Err(ApiError {
                code: s.code.and_then(|c| u16::try_from(c).ok()).unwrap_or(0),
                message: crate::text::clean(
                    message
                        .lines()
                        .next()
                        .filter(|l| !l.trim().is_empty())
                        .unwrap_or("the command failed without a reason"),
                ),
            })
        }
    }
}

/// Some kubelets (kwok's, for one) report a command that ran and failed as an InternalError
/// whose message ends in Go's `exec.ExitError` text, "...: exit status 3", instead of
/// NonZeroExitCode. The command did run, so that is its exit code, not a failure to exec.
fn go_exit_status(message: &str) -> Option<i32> {
    let tail = message.trim_end().rsplit_once("exit status ")?.1;
    if tail.is_empty() || !tail.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    tail.parse().ok()
}

/// Rounded up, so that a sub-second timeout does not read "within 0s".
fn whole_seconds(d: Duration) -> i64 {
    let up = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    i64::try_from(up).unwrap_or(i64::MAX)
}

/// Reads `r` to the end, keeping at most `limit` bytes; true when some were dropped.
async fn bounded(mut r: impl AsyncRead + Unpin, limit: usize) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut cut = false;
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        match r.read(&mut chunk).await {
            Ok(0) | Err(_) => return (kept, cut),
            Ok(n) => {
                let room = limit.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..n.min(room)]);
                cut |= n > room;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{StatusCause, StatusDetails};

    fn status(status: &str, reason: Option<&str>, causes: Vec<StatusCause>) -> Status {
        Status {
            status: Some(status.into()),
            reason: reason.map(Into::into),
            message: Some("command terminated with non-zero exit code".into()),
            details: Some(StatusDetails {
                causes: Some(causes),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn exit_codes_come_from_the_status() {
        assert_eq!(exit_code(&status("Success", None, vec![])), Ok(Some(0)));
        let cause = StatusCause {
            reason: Some("ExitCode".into()),
            message: Some("3".into()),
            field: None,
        };
        assert_eq!(
            exit_code(&status("Failure", Some("NonZeroExitCode"), vec![cause])),
            Ok(Some(3))
        );
        assert_eq!(
            exit_code(&status("Failure", Some("NonZeroExitCode"), vec![])),
            Ok(None)
        );
        let mut other = status("Failure", Some("InternalError"), vec![]);
        other.message = Some("exec: \"nope\": executable file not found in $PATH\nmore".into());
        other.code = Some(500);
        let err = exit_code(&other).unwrap_err();
        assert_eq!(err.code, 500);
        assert_eq!(
            err.message,
            "exec: \"nope\": executable file not found in $PATH"
        );
        // kwok: the exit status only in the message of an InternalError.
        other.message = Some(
            "Internal error occurred: error executing command in container: cmd wait: \
             sh -c exit 3: exit status 3"
                .into(),
        );
        assert_eq!(exit_code(&other), Ok(Some(3)));
        other.message = Some("exit status of the frobnicator: unknown".into());
        assert!(exit_code(&other).is_err());
    }

    #[tokio::test]
    async fn output_is_cut_at_the_limit_and_drained() {
        let data = vec![b'x'; 100_000];
        let (kept, cut) = bounded(&data[..], 10).await;
        assert_eq!(kept, b"xxxxxxxxxx");
        assert!(cut);
        let (kept, cut) = bounded(&b"short"[..], 10).await;
        assert_eq!(kept, b"short");
        assert!(!cut);
    }
}
