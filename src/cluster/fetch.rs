//! One-off GETs: the full object behind a row (describe, YAML, drill-down selectors), and for
//! describe the events about it.

use super::connection::timed;
use crate::model::Fetched;
use crate::model::msg::ApiError;
use kube::Client;
use serde_json::Value;

/// GETs one object (or list) as the server holds it now.
pub async fn get(client: &Client, path: &str) -> Result<Value, ApiError> {
    let req = http::Request::get(path)
        .body(Vec::new())
        .map_err(|e| ApiError {
            code: 0,
            message: e.to_string(),
        })?;
    timed(client.request::<Value>(req)).await
}

/// GETs an object and, when `events` is a path, the events about it.
pub async fn fetch(client: &Client, path: &str, events: Option<&str>) -> Result<Fetched, ApiError> {
    let object = get(client, path).await?;
    let events = match events {
        // Events are a nicety: a cluster that forbids them still describes the object.
        Some(p) => get(client, p)
            .await
            .ok()
            .and_then(|mut v| v.get_mut("items").map(Value::take))
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    Ok(Fetched { object, events })
}
