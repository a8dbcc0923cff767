//! Message bodies: generic JSON, Slack incoming webhooks, DingTalk robots. Everything that
//! came from a cluster goes through `text::clean` first: a receiver may render it in a
//! terminal or a chat, and an event message can carry escape sequences.

use super::config::Format;
use crate::text::clean;
use crate::triage::Problem;
use serde_json::{Value, json};

/// Text formats list this many changes, then "… and N more".
const LISTED: usize = 10;
/// A JSON batch carries at most this many events (and `"more"`): a storm stays one request
/// of bounded size.
const JSON_EVENTS: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Problem,
    Resolved,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub kind: Kind,
    pub problem: Problem,
}

impl Event {
    fn word(&self) -> &'static str {
        match self.kind {
            Kind::Problem => "problem",
            Kind::Resolved => "resolved",
        }
    }

    fn severity(&self) -> &'static str {
        if self.problem.critical {
            "critical"
        } else {
            "warning"
        }
    }

    /// `pod shop/crasher`, `node prod-node-1`: as the stdout line and chat messages name it.
    pub fn object(&self) -> String {
        let p = &self.problem;
        let (kind, name) = p.object.split_once('/').unwrap_or(("", p.object.as_str()));
        let name = if p.namespace.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", p.namespace)
        };
        clean(format!("{kind} {name}").trim_start())
    }

    /// `prod pod shop/crasher CrashLoopBackOff` (`resolved: …` when it went away).
    pub fn line(&self) -> String {
        let what = clean(&self.problem.what);
        let what = match self.kind {
            Kind::Problem => what,
            Kind::Resolved => format!("resolved: {what}"),
        };
        format!("{} {} {what}", clean(&self.problem.context), self.object())
    }

    fn json(&self) -> Value {
        let p = &self.problem;
        json!({
            "event": self.word(),
            "cluster": clean(&p.context),
            "namespace": clean(&p.namespace),
            "object": clean(&p.object),
            "rule": p.rule,
            "problem": clean(&p.what),
            "severity": self.severity(),
            "since": since(p.since),
            "message": clean(&p.message),
            "count": p.count,
        })
    }
}

fn since(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// The body for `events` (one, or a batch of several).
pub fn body(format: Format, events: &[Event]) -> String {
    let value = match format {
        Format::Json => json_body(events),
        Format::Slack => json!({ "text": slack_text(events) }),
        Format::DingTalk => {
            let (title, text) = dingtalk(events);
            json!({"msgtype": "markdown", "markdown": {"title": title, "text": text}})
        }
    };
    value.to_string()
}

fn json_body(events: &[Event]) -> Value {
    match events {
        [one] => one.json(),
        _ => {
            let mut v = json!({
                "events": events.iter().take(JSON_EVENTS).map(Event::json).collect::<Vec<_>>()
            });
            if events.len() > JSON_EVENTS {
                v["more"] = json!(events.len() - JSON_EVENTS);
            }
            v
        }
    }
}

/// "3 new problems, 1 resolved on prod, staging".
pub fn summary(events: &[Event]) -> String {
    let new = events.iter().filter(|e| e.kind == Kind::Problem).count();
    let gone = events.len() - new;
    let mut parts = Vec::new();
    if new > 0 {
        parts.push(format!(
            "{new} new problem{}",
            if new == 1 { "" } else { "s" }
        ));
    }
    if gone > 0 {
        parts.push(format!("{gone} resolved"));
    }
    let mut clusters: Vec<String> = events.iter().map(|e| clean(&e.problem.context)).collect();
    clusters.sort();
    clusters.dedup();
    format!("{} on {}", parts.join(", "), clusters.join(", "))
}

/// Slack's mrkdwn gives `&`, `<` and `>` meaning: links and mentions.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn slack_line(e: &Event) -> String {
    let p = &e.problem;
    let head = match (e.kind, p.critical) {
        (Kind::Resolved, _) => ":white_check_mark: *RESOLVED*",
        (Kind::Problem, true) => ":red_circle: *CRITICAL*",
        (Kind::Problem, false) => ":warning: *WARNING*",
    };
    let mut line = format!(
        "{head} {} `{}`: {}",
        slack_escape(&clean(&p.context)),
        slack_escape(&e.object()),
        slack_escape(&clean(&p.what))
    );
    if e.kind == Kind::Problem && !p.message.is_empty() {
        line.push_str(&format!(" — {}", slack_escape(&clean(&p.message))));
    }
    line
}

fn slack_text(events: &[Event]) -> String {
    match events {
        [one] => slack_line(one),
        _ => {
            let mut out = format!("*flotilla: {}*", slack_escape(&summary(events)));
            for e in events.iter().take(LISTED) {
                out.push('\n');
                out.push_str(&slack_line(e));
            }
            if events.len() > LISTED {
                out.push_str(&format!("\n… and {} more", events.len() - LISTED));
            }
            out
        }
    }
}

fn dingtalk_line(e: &Event) -> String {
    let p = &e.problem;
    let head = match (e.kind, p.critical) {
        (Kind::Resolved, _) => "✅ RESOLVED",
        (Kind::Problem, true) => "🔴 CRITICAL",
        (Kind::Problem, false) => "🟡 WARNING",
    };
    let mut line = format!(
        "**{head}** {} `{}`: {}",
        clean(&p.context),
        e.object(),
        clean(&p.what)
    );
    if e.kind == Kind::Problem && !p.message.is_empty() {
        line.push_str(&format!(" — {}", clean(&p.message)));
    }
    line
}

fn dingtalk(events: &[Event]) -> (String, String) {
    match events {
        [one] => {
            let title = format!(
                "flotilla: {} {}",
                if one.kind == Kind::Resolved {
                    "resolved"
                } else {
                    one.severity()
                },
                clean(&one.problem.context)
            );
            (
                title.clone(),
                format!("### {title}\n\n{}", dingtalk_line(one)),
            )
        }
        _ => {
            let title = format!("flotilla: {}", summary(events));
            let mut text = format!("### {title}\n");
            for e in events.iter().take(LISTED) {
                text.push_str(&format!("\n- {}", dingtalk_line(e)));
            }
            if events.len() > LISTED {
                text.push_str(&format!("\n\n… and {} more", events.len() - LISTED));
            }
            (title, text)
        }
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::model::{ClusterId, ResKey};

    pub fn problem(context: &str, namespace: &str, object: &str, rule: &'static str) -> Problem {
        let name = object.split_once('/').map_or(object, |(_, n)| n);
        Problem {
            cluster: ClusterId(0),
            context: context.into(),
            res: ResKey::core("pods"),
            object: object.into(),
            namespace: namespace.into(),
            name: name.into(),
            uid: format!("uid-{object}"),
            rule,
            critical: rule == "pod-failing",
            what: "CrashLoopBackOff".into(),
            since: 1_796_185_800,
            started: None,
            count: 1,
            message: String::new(),
            resolved: None,
        }
    }

    fn crasher(kind: Kind) -> Event {
        let mut p = problem("prod", "shop", "pod/crasher", "pod-failing");
        p.message = "back-off \x1b[31m5m0s\x1b[0m <restarting>".into();
        Event { kind, problem: p }
    }

    #[test]
    fn generic_json_one_event() {
        let v: Value =
            serde_json::from_str(&body(Format::Json, &[crasher(Kind::Problem)])).unwrap();
        assert_eq!(
            v,
            json!({
                "event": "problem",
                "cluster": "prod",
                "namespace": "shop",
                "object": "pod/crasher",
                "rule": "pod-failing",
                "problem": "CrashLoopBackOff",
                "severity": "critical",
                "since": "2026-12-02T04:30:00Z",
                "message": "back-off 5m0s <restarting>",
                "count": 1
            })
        );
    }

    #[test]
    fn generic_json_batch_is_bounded() {
        let v: Value = serde_json::from_str(&body(
            Format::Json,
            &[crasher(Kind::Problem), crasher(Kind::Resolved)],
        ))
        .unwrap();
        assert_eq!(v["events"].as_array().map(Vec::len), Some(2));
        assert_eq!(v["events"][1]["event"], "resolved");
        assert!(v.get("more").is_none());
        let storm: Vec<Event> = (0..JSON_EVENTS + 5)
            .map(|_| crasher(Kind::Problem))
            .collect();
        let v: Value = serde_json::from_str(&body(Format::Json, &storm)).unwrap();
        assert_eq!(v["events"].as_array().map(Vec::len), Some(JSON_EVENTS));
        assert_eq!(v["more"], 5);
    }

    #[test]
    fn slack_text() {
        let v: Value =
            serde_json::from_str(&body(Format::Slack, &[crasher(Kind::Problem)])).unwrap();
        assert_eq!(
            v,
            json!({"text": ":red_circle: *CRITICAL* prod `pod shop/crasher`: CrashLoopBackOff — back-off 5m0s &lt;restarting&gt;"})
        );
        let v: Value =
            serde_json::from_str(&body(Format::Slack, &[crasher(Kind::Resolved)])).unwrap();
        assert_eq!(
            v,
            json!({"text": ":white_check_mark: *RESOLVED* prod `pod shop/crasher`: CrashLoopBackOff"})
        );
        let storm: Vec<Event> = (0..12).map(|_| crasher(Kind::Problem)).collect();
        let v: Value = serde_json::from_str(&body(Format::Slack, &storm)).unwrap();
        let text = v["text"].as_str().unwrap();
        assert!(
            text.starts_with("*flotilla: 12 new problems on prod*\n"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 1 + LISTED + 1);
        assert!(text.ends_with("… and 2 more"), "{text}");
    }

    #[test]
    fn dingtalk_markdown() {
        let v: Value =
            serde_json::from_str(&body(Format::DingTalk, &[crasher(Kind::Problem)])).unwrap();
        assert_eq!(
            v,
            json!({
                "msgtype": "markdown",
                "markdown": {
                    "title": "flotilla: critical prod",
                    "text": "### flotilla: critical prod\n\n**🔴 CRITICAL** prod `pod shop/crasher`: CrashLoopBackOff — back-off 5m0s <restarting>"
                }
            })
        );
        let v: Value = serde_json::from_str(&body(
            Format::DingTalk,
            &[crasher(Kind::Problem), crasher(Kind::Resolved)],
        ))
        .unwrap();
        assert_eq!(
            v["markdown"]["title"],
            "flotilla: 1 new problem, 1 resolved on prod"
        );
    }

    #[test]
    fn lines_name_cluster_object_and_problem() {
        assert_eq!(
            crasher(Kind::Problem).line(),
            "prod pod shop/crasher CrashLoopBackOff"
        );
        let mut node = crasher(Kind::Resolved);
        node.problem.namespace = String::new();
        node.problem.object = "node/prod-node-1".into();
        node.problem.what = "NotReady".into();
        assert_eq!(node.line(), "prod node prod-node-1 resolved: NotReady");
    }
}
