//! One-off GETs: the full object behind a row (describe, YAML, drill-down selectors), and for
//! describe the events about it.

use super::request::timed;
use crate::model::ApiError;
use crate::model::Fetched;
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

/// Every item of a list, read in pages of `page` (a continue token carries on where the last
/// page ended), so a 20k-pod list is many bounded answers rather than one that times out.
/// `path` may already hold a query.
pub async fn list_all(client: &Client, path: &str, page: usize) -> Result<Vec<Value>, ApiError> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    let mut next = String::new();
    loop {
        let mut query = format!("{path}{sep}limit={page}");
        if !next.is_empty() {
            query.push_str("&continue=");
            query.push_str(&next);
        }
        let mut answer = get(client, &query).await?;
        if let Some(Value::Array(got)) = answer.get_mut("items").map(Value::take) {
            items.extend(got);
        }
        match answer.pointer("/metadata/continue").and_then(Value::as_str) {
            Some(c) if !c.is_empty() => next = crate::text::url_encode(c),
            _ => return Ok(items),
        }
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

#[cfg(test)]
mod tests {
    #[test]
    fn continue_tokens_are_percent_encoded() {
        assert_eq!(crate::text::url_encode("eyJ2Ijoi+/="), "eyJ2Ijoi%2B%2F%3D");
        assert_eq!(crate::text::url_encode("app=web,a b"), "app%3Dweb%2Ca%20b");
    }
}
