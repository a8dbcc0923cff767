//! Sending one planned `Call` (optionally as a server-side dry run).

pub use flotilla_core::ops::call::*;

use crate::cluster::request::timed;
use crate::model::ApiError;
use kube::Client;
use serde_json::Value;

fn bad(e: impl std::fmt::Display) -> ApiError {
    ApiError {
        code: 0,
        message: e.to_string(),
    }
}

/// Sends the call; the server's answer (the object as it is now, or would be on a dry run).
pub async fn send(client: &Client, call: &Call, dry_run: bool) -> Result<Value, ApiError> {
    send_as(client, call, dry_run, "flotilla").await
}

/// Sends the call as field manager `manager` (Helm's objects are written as `helm`, so the
/// next `helm upgrade` owns what a rollback set).
pub async fn send_as(
    client: &Client,
    call: &Call,
    dry_run: bool,
    manager: &str,
) -> Result<Value, ApiError> {
    let field_manager = format!("fieldManager={manager}");
    let mut query = Vec::new();
    if dry_run {
        query.push("dryRun=All");
    }
    let (method, content_type, body) = match call {
        Call::Patch { patch, .. } => ("PATCH", patch.kind.content_type(), &patch.body),
        Call::Delete { options, .. } => ("DELETE", "application/json", options),
        Call::Create { body, .. } => ("POST", "application/json", body),
        Call::Replace { body, .. } => ("PUT", "application/json", body),
        Call::Apply { body, force, .. } => {
            query.push(field_manager.as_str());
            if *force {
                query.push("force=true");
            }
            ("PATCH", "application/apply-patch+yaml", body)
        }
    };
    if !matches!(call, Call::Apply { .. }) && method != "DELETE" {
        query.push(field_manager.as_str());
    }
    let uri = if query.is_empty() {
        call.path().to_string()
    } else {
        format!("{}?{}", call.path(), query.join("&"))
    };
    // The server reads a DELETE's options from its body when there is one and then ignores
    // the query: the dry run must be said in the body too, or the object is really deleted.
    let dry_options;
    let body = match call {
        Call::Delete { options, .. } if dry_run => {
            let mut options = options.clone();
            options["dryRun"] = serde_json::json!(["All"]);
            dry_options = options;
            &dry_options
        }
        _ => body,
    };
    let bytes = serde_json::to_vec(body).map_err(bad)?;
    let req = http::Request::builder()
        .method(method)
        .uri(uri)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(bytes)
        .map_err(bad)?;
    timed(client.request::<Value>(req)).await
}
