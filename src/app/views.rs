//! The kinds of screens on the navigation stack besides tables, and the one-off requests
//! behind them.

use super::filter::LabelReq;
use super::table_view::TableView;
use crate::cluster::connection::timed;
use crate::cluster::kubeconfig::ContextEntry;
use crate::config::keymap::Keymap;
use crate::msg::Fetched;
use serde_json::Value;

pub enum View {
    Table(Box<TableView>),
    Text(TextView),
    Contexts(ContextsView),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextKind {
    Describe,
    Yaml,
    Help,
}

pub struct TextView {
    pub id: u64,
    pub kind: TextKind,
    pub title: String,
    pub lines: Vec<String>,
    pub scroll: usize,
    pub revealed: bool,
    pub object: Option<Value>,
    pub events: Vec<Value>,
}

impl TextView {
    pub fn loading(id: u64, kind: TextKind, title: String) -> Self {
        TextView {
            id,
            kind,
            title,
            lines: vec!["loading…".into()],
            scroll: 0,
            revealed: false,
            object: None,
            events: Vec::new(),
        }
    }

    pub fn is_secret(&self) -> bool {
        self.object
            .as_ref()
            .and_then(|o| o.get("kind"))
            .and_then(Value::as_str)
            == Some("Secret")
    }

    pub fn render(&mut self, now: i64) {
        if let Some(obj) = &self.object {
            self.lines = super::render_document(self.kind, obj, &self.events, self.revealed, now);
        }
    }

    pub fn help(id: u64, keymap: &Keymap) -> Self {
        let mut lines = vec![
            "flotilla — many Kubernetes clusters, one screen".to_string(),
            String::new(),
            "Commands (type : then Enter; Tab completes)".into(),
            "  :pods  :po  :deploy  :svc  :crd  :events …   any kind, plural, short name or plural.group".into(),
            "  :pods kube-system    one namespace    :pods ns1,ns2  several    :pods -A  all".into(),
            "  :pods @prod          one cluster      :pods @dev,prod           :pods @all".into(),
            "  :ctx                 contexts (space/enter adds or removes one from the live set)".into(),
            "  :help  :q".into(),
            String::new(),
            "Filter (/)".into(),
            "  text   substring        ^api-.*   regex        !text   inverse".into(),
            "  -l app=web,tier!=db     label selector         -f abc  fuzzy name match".into(),
            String::new(),
        ];
        let mut mode = String::new();
        for (m, key, action) in keymap.bindings() {
            if m != mode {
                lines.push(format!("Keys: {m}"));
                mode = m;
            }
            lines.push(format!("  {key:<14} {}", action.describe()));
        }
        TextView {
            id,
            kind: TextKind::Help,
            title: "help".into(),
            lines,
            scroll: 0,
            revealed: false,
            object: None,
            events: Vec::new(),
        }
    }
}

#[derive(Default)]
pub struct ContextsView {
    pub selected: usize,
    pub filter: String,
}

impl ContextsView {
    pub fn visible<'a>(&self, all: &'a [ContextEntry]) -> Vec<&'a ContextEntry> {
        all.iter()
            .filter(|c| {
                self.filter.is_empty()
                    || c.name.to_lowercase().contains(&self.filter)
                    || c.cluster.to_lowercase().contains(&self.filter)
            })
            .collect()
    }
}

/// The pod selector of a workload or Service, as label requirements.
pub fn selector_of(obj: &Value) -> Option<Vec<LabelReq>> {
    let spec = obj.get("spec")?;
    let sel = spec.get("selector")?;
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    if kind == "Service" || kind == "ReplicationController" {
        return Some(
            sel.as_object()?
                .iter()
                .map(|(k, v)| LabelReq::Eq(k.clone(), s(v)))
                .collect(),
        );
    }
    let mut reqs: Vec<LabelReq> = sel
        .get("matchLabels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| LabelReq::Eq(k.clone(), s(v)))
                .collect()
        })
        .unwrap_or_default();
    for e in sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = s(e.get("key").unwrap_or(&Value::Null));
        let values: Vec<String> = e
            .get("values")
            .and_then(Value::as_array)
            .map(|v| v.iter().map(s).collect())
            .unwrap_or_default();
        reqs.push(match e.get("operator").and_then(Value::as_str) {
            Some("In") => LabelReq::In(key, values),
            Some("NotIn") => LabelReq::NotIn(key, values),
            Some("Exists") => LabelReq::Exists(key),
            Some("DoesNotExist") => LabelReq::NotExists(key),
            _ => continue,
        });
    }
    Some(reqs)
}

/// GETs an object and, for describe, the events about it.
pub async fn fetch(
    client: &kube::Client,
    path: &str,
    events: Option<&str>,
) -> Result<Fetched, String> {
    let get = |p: &str| {
        let req = http::Request::get(p).body(Vec::new());
        async move { timed(client.request::<Value>(req.map_err(|e| e.to_string())?)).await }
    };
    let object = get(path).await?;
    let events = match events {
        // Events are a nicety: a cluster that forbids them still describes the object.
        Some(p) => get(p)
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
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_of_workloads_and_services() {
        let d = json!({"kind":"Deployment","spec":{"selector":{"matchLabels":{"app":"web"},
            "matchExpressions":[{"key":"tier","operator":"In","values":["front"]}]}}});
        assert_eq!(
            selector_of(&d).unwrap(),
            vec![
                LabelReq::Eq("app".into(), "web".into()),
                LabelReq::In("tier".into(), vec!["front".into()])
            ]
        );
        let s = json!({"kind":"Service","spec":{"selector":{"app":"db"}}});
        assert_eq!(
            selector_of(&s).unwrap(),
            vec![LabelReq::Eq("app".into(), "db".into())]
        );
        assert!(selector_of(&json!({"kind":"ExternalName","spec":{}})).is_none());
    }
}
