//! One-off GETs: the full object behind a row (describe, YAML, drill-down selectors), and for
//! describe the events about it.

use super::connection::short_error;
use super::watch::api_code;
use crate::model::Fetched;
use crate::model::msg::ApiError;
use kube::Client;
use serde_json::Value;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(15);

async fn get(client: &Client, path: &str) -> Result<Value, ApiError> {
    let fail = |code, message| ApiError { code, message };
    let req = http::Request::get(path)
        .body(Vec::new())
        .map_err(|e| fail(0, e.to_string()))?;
    match tokio::time::timeout(TIMEOUT, client.request::<Value>(req)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(fail(api_code(&e), short_error(&e))),
        Err(_) => Err(fail(0, format!("no answer within {}s", TIMEOUT.as_secs()))),
    }
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
