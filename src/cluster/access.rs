//! What the identity may do: one SelfSubjectAccessReview per check, asked concurrently.

use super::connection::timed;
use crate::model::op::{Access, Check};
use kube::Client;
use serde_json::{Value, json};

async fn review_one(client: &Client, check: &Check) -> Access {
    let mut attrs = json!({
        "verb": check.verb,
        "group": check.group,
        "resource": check.resource,
    });
    if !check.subresource.is_empty() {
        attrs["subresource"] = json!(check.subresource);
    }
    if !check.namespace.is_empty() {
        attrs["namespace"] = json!(check.namespace);
    }
    let body = json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": attrs},
    });
    let req = match serde_json::to_vec(&body).map(|b| {
        http::Request::post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(b)
    }) {
        Ok(Ok(r)) => r,
        // Never happens for these bodies; like a server that cannot answer, it decides nothing.
        _ => return Access::Allowed,
    };
    match timed(client.request::<Value>(req)).await {
        Ok(v) if v.pointer("/status/allowed") == Some(&Value::Bool(true)) => Access::Allowed,
        Ok(v) => {
            let reason = v
                .pointer("/status/reason")
                .and_then(Value::as_str)
                .unwrap_or("");
            Access::Denied(crate::text::clean(reason))
        }
        // A server that cannot answer reviews does not get actions disabled: it decides
        // when the action is sent.
        Err(_) => Access::Allowed,
    }
}

pub async fn review(client: &Client, checks: Vec<Check>) -> Vec<(Check, Access)> {
    let answers = futures::future::join_all(checks.iter().map(|c| review_one(client, c))).await;
    checks.into_iter().zip(answers).collect()
}
