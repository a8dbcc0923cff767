//! What the identity may do, asked with the reviews a server answers for the caller and
//! stores nothing of: one SelfSubjectAccessReview per check (asked concurrently), a
//! SelfSubjectRulesReview per namespace, and the SelfSubjectReview saying who we are. They
//! are the only POSTs flotilla sends that change nothing, so read-only mode allows them.

use super::request::timed;
use crate::model::ApiError;
use crate::protocol::op::{Access, Check};
use kube::Client;
use serde_json::{Value, json};

/// POSTs one review to its collection; the server's answer.
pub(crate) async fn ask(client: &Client, path: &str, body: &Value) -> Result<Value, ApiError> {
    let req = serde_json::to_vec(body)
        .map_err(|e| e.to_string())
        .and_then(|b| {
            http::Request::post(path)
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(b)
                .map_err(|e| e.to_string())
        })
        .map_err(|message| ApiError { code: 0, message })?;
    timed(client.request::<Value>(req)).await
}

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
    let path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
    match ask(client, path, &body).await {
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

/// Everything the identity may do in `namespace` (SelfSubjectRulesReview), as the server
/// answers it.
pub async fn rules(client: &Client, namespace: &str) -> Result<Value, ApiError> {
    let body = json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectRulesReview",
        "spec": {"namespace": namespace},
    });
    ask(
        client,
        "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
        &body,
    )
    .await
}
