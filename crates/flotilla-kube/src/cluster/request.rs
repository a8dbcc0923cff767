//! One request to a cluster and how it fails: the standard timeout, the HTTP status, and a
//! one-line reason fit for a badge. Every part of `cluster` (and the change path) sends
//! through these, so they sit below all of it.

use crate::model::ApiError;
use std::time::Duration;

/// How long one request may take before it is reported as unanswered.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// Runs one request with the standard timeout; an error is the HTTP status (0 when the
/// server did not answer) and a one-line reason.
pub async fn timed<T>(
    f: impl std::future::Future<Output = Result<T, kube::Error>>,
) -> Result<T, ApiError> {
    match tokio::time::timeout(TIMEOUT, f).await {
        Ok(r) => r.map_err(|e| ApiError {
            code: api_code(&e),
            message: short_error(&e),
        }),
        Err(_) => Err(ApiError {
            code: 0,
            message: format!("no answer within {}s", TIMEOUT.as_secs()),
        }),
    }
}

/// A one-line reason fit for a badge: the API's message when there is one, else the
/// innermost cause (e.g. "Connection refused").
pub fn short_error(e: &kube::Error) -> String {
    if let Some(plugin) = super::credentials::plugin_error(e) {
        return plugin;
    }
    if let kube::Error::Api(s) = e {
        return crate::text::clean(&format!("{} ({})", s.message, s.code));
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let msg = cause.to_string();
    crate::text::clean(msg.lines().next().unwrap_or(&msg))
}

/// The HTTP status of a failed request, 0 when the server did not answer.
pub fn api_code(e: &kube::Error) -> u16 {
    match e {
        kube::Error::Api(s) => s.code,
        _ => 0,
    }
}
