//! `[notify]` of config.toml: the webhooks and how changes reach them. Read loosely by serde
//! (strings), then checked here so that a mistake is one line naming the webhook, never
//! echoing a URL's secret parts.

use crate::triage::rules::RULES;
use glob::Pattern;
use serde::Deserialize;

/// The rule that is not in `RULES`: a cluster that stopped answering or a failing watch.
const CLUSTER_RULE: &str = "cluster-unhealthy";

/// A resolved problem is held this long before "resolved" goes out: back within it, it
/// was a flap and nothing is sent either way.
const DEFAULT_QUIET: i64 = 60;
/// At most one message per webhook this often; what happens meanwhile is summarised.
const DEFAULT_BATCH: i64 = 3;

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NotifySettings {
    #[serde(default)]
    pub webhook: Vec<WebhookSettings>,
    /// Send what is already broken when flotilla starts (default: only what changes).
    #[serde(default)]
    pub notify_existing: bool,
    /// Flap damping (default "60s").
    pub quiet: Option<String>,
    /// Storm batching window (default "3s").
    pub batch: Option<String>,
    /// The TUI notifies too while it runs (default true); false leaves it to `flotilla watch`.
    pub tui: Option<bool>,
}

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct WebhookSettings {
    pub name: Option<String>,
    pub url: Option<String>,
    pub format: Option<String>,
    pub rules: Option<Vec<String>>,
    pub contexts: Option<Vec<String>>,
    pub min_severity: Option<String>,
    pub resolved: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Slack,
    DingTalk,
}

/// A checked webhook.
#[derive(Clone, Debug)]
pub struct Hook {
    pub name: String,
    pub url: String,
    pub format: Format,
    rules: Vec<Pattern>,
    contexts: Vec<Pattern>,
    critical_only: bool,
    pub resolved: bool,
}

impl Hook {
    /// Whether a problem of `rule` on `context` goes to this webhook.
    pub fn wants(&self, context: &str, rule: &str, critical: bool) -> bool {
        let any = |pats: &[Pattern], s: &str| pats.is_empty() || pats.iter().any(|p| p.matches(s));
        (critical || !self.critical_only) && any(&self.rules, rule) && any(&self.contexts, context)
    }
}

/// `[notify]` checked: what the engine runs with.
#[derive(Clone, Debug)]
pub struct Plan {
    pub hooks: Vec<Hook>,
    pub notify_existing: bool,
    pub quiet: i64,
    pub batch: i64,
    pub tui: bool,
}

impl Plan {
    pub fn from_settings(s: &NotifySettings) -> Result<Plan, String> {
        let secs = |key: &str, v: &Option<String>, default: i64| -> Result<i64, String> {
            match v {
                None => Ok(default),
                Some(v) => crate::human::parse_duration(v)
                    .or_else(|| (v.trim() == "0").then_some(0))
                    .ok_or_else(|| {
                        format!("[notify] {key} = {v:?}: not a duration (e.g. \"60s\")")
                    }),
            }
        };
        let mut hooks: Vec<Hook> = Vec::new();
        for (i, w) in s.webhook.iter().enumerate() {
            let hook = check(i, w)?;
            if hooks.iter().any(|h| h.name == hook.name) {
                return Err(format!(
                    "[[notify.webhook]] {:?}: the name is used twice",
                    hook.name
                ));
            }
            hooks.push(hook);
        }
        Ok(Plan {
            hooks,
            notify_existing: s.notify_existing,
            quiet: secs("quiet", &s.quiet, DEFAULT_QUIET)?,
            batch: secs("batch", &s.batch, DEFAULT_BATCH)?,
            tui: s.tui.unwrap_or(true),
        })
    }
}

fn check(index: usize, w: &WebhookSettings) -> Result<Hook, String> {
    let name = match w.name.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => {
            return Err(format!("[[notify.webhook]] #{}: needs a name", index + 1));
        }
    };
    let fail = |why: String| format!("[[notify.webhook]] {name:?}: {why}");
    let url = w.url.as_deref().map(str::trim).unwrap_or_default();
    if url.is_empty() {
        return Err(fail("needs a url".into()));
    }
    let uri: http::Uri = url
        .parse()
        .map_err(|_| fail(format!("url {} is not a URL", redact(url))))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => {
            return Err(fail(format!(
                "url {} must start with http:// or https://",
                redact(url)
            )));
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(fail(format!("url {} has no host", redact(url))));
    }
    let format = match w.format.as_deref().unwrap_or("json") {
        "json" => Format::Json,
        "slack" => Format::Slack,
        "dingtalk" => Format::DingTalk,
        other => {
            return Err(fail(format!(
                "unknown format {other:?} (json, slack, dingtalk)"
            )));
        }
    };
    let critical_only = match w.min_severity.as_deref().unwrap_or("warning") {
        "warning" => false,
        "critical" => true,
        other => {
            return Err(fail(format!("min-severity {other:?}: warning or critical")));
        }
    };
    let patterns = |what: &str, list: &Option<Vec<String>>| -> Result<Vec<Pattern>, String> {
        list.iter()
            .flatten()
            .map(|s| Pattern::new(s).map_err(|e| fail(format!("{what} {s:?}: {e}"))))
            .collect()
    };
    let rules = patterns("rules", &w.rules)?;
    // A typo in a rule id would silently route nothing.
    let ids: Vec<&str> = RULES.iter().map(|r| r.id).chain([CLUSTER_RULE]).collect();
    for p in &rules {
        if !ids.iter().any(|id| p.matches(id)) {
            return Err(fail(format!(
                "rules {:?} matches no rule (see :triage help or README)",
                p.as_str()
            )));
        }
    }
    Ok(Hook {
        url: url.to_string(),
        format,
        rules,
        contexts: patterns("contexts", &w.contexts)?,
        critical_only,
        resolved: w.resolved.unwrap_or(true),
        name,
    })
}

/// A URL as logs and errors may show it: scheme, host, port and the first path segment.
/// The rest of the path (Slack's hook token) and the query (DingTalk's `access_token`)
/// become `…`; so do credentials in the authority.
pub fn redact(url: &str) -> String {
    let Ok(uri) = url.trim().parse::<http::Uri>() else {
        return "<unparsable url>".into();
    };
    let (Some(scheme), Some(host)) = (uri.scheme_str(), uri.host()) else {
        return "<unparsable url>".into();
    };
    let mut out = format!("{scheme}://{host}");
    if let Some(port) = uri.port_u16() {
        out.push_str(&format!(":{port}"));
    }
    let mut segments = uri.path().split('/').filter(|s| !s.is_empty());
    if let Some(first) = segments.next() {
        out.push('/');
        out.push_str(first);
        if segments.next().is_some() {
            out.push_str("/…");
        }
    }
    if uri.query().is_some() {
        out.push_str("?…");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Plan, String> {
        #[derive(Deserialize)]
        struct Top {
            notify: NotifySettings,
        }
        let top: Top = toml::from_str(text).map_err(|e| e.to_string())?;
        Plan::from_settings(&top.notify)
    }

    #[test]
    fn the_documented_example_loads() {
        let plan = parse(
            r#"
            [notify]
            quiet = "2m"
            [[notify.webhook]]
            name = "oncall"
            url = "http://127.0.0.1:9000/hook"
            format = "json"
            rules = ["pod-*", "node-not-ready"]
            contexts = ["prod-*"]
            min-severity = "critical"
            resolved = true
            "#,
        )
        .unwrap();
        assert_eq!(plan.quiet, 120);
        assert_eq!(plan.batch, DEFAULT_BATCH);
        assert!(!plan.notify_existing && plan.tui);
        let h = &plan.hooks[0];
        assert_eq!((h.name.as_str(), h.format), ("oncall", Format::Json));
    }

    #[test]
    fn routing_by_rule_and_context_globs_and_severity() {
        let plan = parse(
            r#"
            [[notify.webhook]]
            name = "pods"
            url = "https://example.com/x"
            rules = ["pod-*", "node-not-ready"]
            contexts = ["prod-*"]
            [[notify.webhook]]
            name = "critical"
            url = "https://example.com/y"
            min-severity = "critical"
            [[notify.webhook]]
            name = "all"
            url = "https://example.com/z"
            "#,
        )
        .unwrap();
        let [pods, critical, all] = &plan.hooks[..] else {
            panic!("three hooks")
        };
        assert!(pods.wants("prod-eu", "pod-failing", true));
        assert!(pods.wants("prod-eu", "pod-pending", false));
        assert!(pods.wants("prod-us", "node-not-ready", true));
        assert!(!pods.wants("staging", "pod-failing", true));
        assert!(!pods.wants("prod-eu", "node-cordoned", false));
        assert!(critical.wants("dev", "pod-failing", true));
        assert!(!critical.wants("dev", "pod-pending", false));
        assert!(all.wants("anything", "warning-events", false));
    }

    #[test]
    fn mistakes_are_one_line_naming_the_webhook_without_its_secret() {
        let err = |body: &str| {
            let e = parse(&format!("[[notify.webhook]]\n{body}")).unwrap_err();
            assert!(!e.contains('\n'), "one line: {e}");
            assert!(!e.contains("SECRET"), "no secret: {e}");
            e
        };
        let e = err("name = \"chat\"\nurl = \"https://x.example/a\"\nformat = \"teams\"");
        assert_eq!(
            e,
            "[[notify.webhook]] \"chat\": unknown format \"teams\" (json, slack, dingtalk)"
        );
        let e = err("name = \"ding\"\nurl = \"ftp://x.example/robot/send?access_token=SECRET\"");
        assert_eq!(
            e,
            "[[notify.webhook]] \"ding\": url ftp://x.example/robot/…?… must start with http:// or https://"
        );
        let e = err("name = \"x\"\nurl = \"not a url SECRET\"");
        assert!(
            e.contains("\"x\": url <unparsable url> is not a URL"),
            "{e}"
        );
        let e = err("url = \"https://x.example/\"");
        assert_eq!(e, "[[notify.webhook]] #1: needs a name");
        let e = err("name = \"x\"\nurl = \"https://x.example/\"\nrules = [\"pdo-*\"]");
        assert!(e.contains("rules \"pdo-*\" matches no rule"), "{e}");
        let e = err("name = \"x\"\nurl = \"https://x.example/\"\nmin-severity = \"info\"");
        assert!(e.contains("min-severity \"info\""), "{e}");
        let e = err(
            "name = \"x\"\nurl = \"https://x.example/\"\n[[notify.webhook]]\nname = \"x\"\nurl = \"https://x.example/\"",
        );
        assert!(e.contains("used twice"), "{e}");
        assert!(
            parse("[notify]\nquiet = \"soon\"")
                .unwrap_err()
                .contains("quiet")
        );
    }

    #[test]
    fn urls_are_redacted_for_logs() {
        assert_eq!(
            redact("https://oapi.dingtalk.com/robot/send?access_token=abc123"),
            "https://oapi.dingtalk.com/robot/…?…"
        );
        assert_eq!(
            redact("https://hooks.slack.com/services/T000/B000/XXXXXXXX"),
            "https://hooks.slack.com/services/…"
        );
        assert_eq!(
            redact("http://127.0.0.1:9000/hook"),
            "http://127.0.0.1:9000/hook"
        );
        assert_eq!(
            redact("https://user:pass@example.com/"),
            "https://example.com"
        );
    }
}
